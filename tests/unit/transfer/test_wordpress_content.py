"""WordPress HTML -> our post source and comment text (table-driven)."""

from __future__ import annotations

import pytest

from blog.sanitize import render_post_body
from blog.transfer.wordpress.content import comment_text, plain_text, post_source


@pytest.mark.parametrize(
    ("wordpress", "ours"),
    [
        ("One\nline\n\nTwo", "<p>One<br>\nline</p>\n\n<p>Two</p>"),
        (
            '<!-- wp:paragraph {"align":"left"} -->\n<p>Hi</p>\n<!-- /wp:paragraph -->',
            "<p>Hi</p>",
        ),
        (
            "<!-- wp:separator /-->\n<hr/>\n<!--more-->\nAfter",
            "<hr/>\n\n<!--more-->\n\n<p>After</p>",
        ),
        ("A<!-- more  Read on -->B", "<p>A</p>\n\n<!--more Read on-->\n\n<p>B</p>"),
        ("<p>1</p><!-- nextpage --><p>2</p>", "<p>1</p>\n\n<!--nextpage-->\n\n<p>2</p>"),
        (
            '[caption id="a" width="300"]<img src="c.jpg" alt="Cat"> A cat[/caption]',
            '<figure><img src="c.jpg" alt="Cat"><figcaption>A cat</figcaption></figure>',
        ),
        (
            '[caption caption="Named"]<a href="big.jpg"><img src="c.jpg"></a>[/caption]',
            '<figure><a href="big.jpg"><img src="c.jpg"></a>'
            "<figcaption>Named</figcaption></figure>",
        ),
        ("[caption]No image here[/caption]", "<p>No image here</p>"),
        ("<pre>  a\n\n  b</pre>", "<pre>  a\n\n  b</pre>"),
        (
            "<div>in div\n\npara</div>",
            "<div>\n\n<p>in div</p>\n\n<p>para</p>\n\n</div>",
        ),
        ("<ul><li>a</li><li>b</li></ul>", "<ul>\n\n<li>a</li>\n\n<li>b</li>\n\n</ul>"),
        (
            "[embed]https://video.example/1[/embed]",
            "<p>https://video.example/1</p>",  # a bare URL line: our renderer's card or link
        ),
        # Step 1 of the media conversion: WordPress's ids, resolved once attachments are known.
        (
            'Before\n\n[gallery ids="1,2"]\n\nAfter',
            '<p>Before</p>\n\n<p>[wp-gallery ids="1,2"]</p>\n\n<p>After</p>',
        ),
        ("Stars * and _under_ stay as typed", "<p>Stars * and _under_ stay as typed</p>"),
    ],
)
def test_post_source(wordpress, ours):
    assert post_source(wordpress) == ours


def test_post_source_survives_markdown_and_the_sanitizer():
    html = render_post_body(post_source("5 * 3 * 2\n\n    indented, not code\n\n# not a heading"))
    assert html == ("<p>5 * 3 * 2</p>\n\n<p>indented, not code</p>\n\n<p># not a heading</p>")


def test_hostile_post_markup_is_still_sanitized():
    html = render_post_body(
        post_source('<p onclick="x()" hx-get="/admin">a</p><script>alert(1)</script>')
    )
    assert "onclick" not in html and "hx-get" not in html and "<script" not in html


@pytest.mark.parametrize(
    ("wordpress", "typed"),
    [
        ("Tom &amp; Jerry &lt;3", "Tom & Jerry <3"),
        (
            '<a href="https://x.org/?a=1&amp;b=2">x &amp; y</a>',
            '<a href="https://x.org/?a=1&amp;b=2">x & y</a>',
        ),
        ("line\r\nbreak", "line\nbreak"),
    ],
)
def test_comment_text(wordpress, typed):
    assert comment_text(wordpress) == typed


def test_plain_text():
    assert plain_text("<b>Bold</b> &amp; <!-- wp:x --> plain\n  text") == "Bold & plain text"
