"""Article bodies: Markdown rendered, then cleaned through the wider article allow-list."""

from __future__ import annotations

import pytest

from blog.models import Post
from blog.sanitize import POST_RENDER_VERSION, post_body, refresh_post_html, render_post_body

CASES = [
    ("## Title", "<h2>Title</h2>"),
    ("- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"),
    ('[link](https://example.org "t")', '<a href="https://example.org" title="t">link</a>'),
    ("![alt](/static/favicon.svg)", '<img alt="alt" src="/static/favicon.svg">'),
    ("> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>"),
    ("```python\nx = 1\n```", '<pre><code class="language-python">x = 1\n</code></pre>'),
    ("| a | b |\n|:--|--:|\n| 1 | 2 |", '<th align="left">a</th>'),
    ("<script>alert(1)</script>ok", "<p>ok</p>"),
    ("[x](javascript:alert(1))", "<a>x</a>"),
    ('<a href="jav&#x61;script:alert(1)">x</a>', "<a>x</a>"),
    ('<img src="x" onerror="alert(1)">', '<img src="x">'),
    ('<p style="color:red" class="evil" id="main" hx-get="/x" data-hx-post="/y">t</p>', "<p>t</p>"),
    ('<code class="evil">c</code>', "<code>c</code>"),
    ("<iframe src=https://example.org></iframe>", ""),
    ('<svg><a href="javascript:alert(1)">x</a></svg>', "x"),
    ('<meta name="htmx-config" content="{}">', ""),
]


@pytest.mark.parametrize(("source", "expected"), CASES)
def test_render_post_body(source, expected):
    assert expected in render_post_body(source)


@pytest.mark.parametrize("source", [c[0] for c in CASES])
def test_no_dangerous_output(source):
    html = render_post_body(source).lower()
    for bad in ("<script", "javascript:", "onerror", "hx-", "style=", "<iframe", "<meta", "<svg"):
        assert bad not in html


def test_cached_html_is_used_until_the_renderer_changes():
    post = Post(body_md="*fresh*")
    refresh_post_html(post)
    assert post.body_render_version == POST_RENDER_VERSION
    post.body_html = "<p>cached</p>"
    assert str(post_body(post)) == "<p>cached</p>"
    post.body_render_version = POST_RENDER_VERSION - 1
    assert str(post_body(post)) == "<p><em>fresh</em></p>"


def test_absurd_numeric_reference_does_not_crash():
    html = render_post_body('<a title="&#' + "1" * 5000 + ';">x</a> and &#' + "9" * 5000 + ";")
    assert "x" in html


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('"Good" news', "<p>\u201cGood\u201d news</p>"),
        ("it's 'fine'", "<p>it\u2019s \u2018fine\u2019</p>"),
        ("1990--2000 --- then...", "<p>1990\u20132000 \u2014 then\u2026</p>"),
        # Typed entities survive the sanitizer as the characters they name.
        ("a &mdash; b &ldquo;c&rdquo;", "<p>a &mdash; b &ldquo;c&rdquo;</p>"),
        # Code keeps its straight quotes and double hyphens.
        ('`say "hi" -- x`', '<p><code>say "hi" -- x</code></p>'),
        ('```\nx = "a" -- b\n```', "<pre><code>x = &quot;a&quot; -- b\n</code></pre>"),
    ],
)
def test_smart_quotes_and_dashes_outside_code(source, expected):
    assert render_post_body(source) == expected


def test_articles_cached_before_smart_quotes_are_rendered_again():
    post = Post(body_md='"quoted"')
    post.body_html = '<p>"quoted"</p>'
    post.body_render_version = 1
    assert POST_RENDER_VERSION > 1
    assert str(post_body(post)) == "<p>\u201cquoted\u201d</p>"
