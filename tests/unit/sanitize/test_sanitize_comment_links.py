"""Links in comments (issue #23, part 5): a link left without a usable href is unwrapped, its
text kept; href and cite must be valid URLs, not only start with a safe scheme; a bare URL that
is not a valid address stays text. Every output is checked for an <a> without href."""

from __future__ import annotations

import re

import pytest

from blog.sanitize import COMMENT_LINK_REL, COMMENT_RENDER_VERSION, render_comment

REL = f'rel="{COMMENT_LINK_REL}"'

UNWRAPPED = [
    # Dropped by the scheme check.
    ('<a href="javascript:alert(1)">x</a>', "<p>x</p>"),
    ('<a href="data:text/html,x">x</a>', "<p>x</p>"),
    ('<a href="/admin/delete">x</a>', "<p>x</p>"),
    ('<a href="//evil.example">x</a>', "<p>x</p>"),
    # Safe scheme, but not a valid URL.
    ('<a href="https://exa mple.org">x</a>', "<p>x</p>"),
    ('<a href="https://exa&lt;mple.org">x</a>', "<p>x</p>"),
    ('<a href="http://[::1">x</a>', "<p>x</p>"),
    ('<a href="https://example.org:99999">x</a>', "<p>x</p>"),
    ('<a href="https://-bad-.org">x</a>', "<p>x</p>"),
    ('<a href="https://user:pass@example.org">x</a>', "<p>x</p>"),
    ('<a href="https://example.org/%zz">x</a>', "<p>x</p>"),
    ('<a href="mailto:a b@example.org">x</a>', "<p>x</p>"),
    # No href at all, or only attributes that need one.
    ("<a>x</a>", "<p>x</p>"),
    ('<a rel="nofollow">x</a>', "<p>x</p>"),
    ('<a title="t">x</a>', "<p>x</p>"),
    ('<a name="top">x</a>', "<p>x</p>"),
    # What was inside is kept, markup included; what follows is untouched.
    (
        '<a href="javascript:x"><b>bold</b> and <i>it</i></a> after',
        "<p><b>bold</b> and <i>it</i> after</p>",
    ),
    ('<code><a href="javascript:x">c</a></code>', "<p><code>c</code></p>"),
    ('<a href="javascript:x">a\n\nb</a>', "<p>a<br>\n<br>\nb</p>"),
    # An unwrapped link's text that is a URL is linked as any text is.
    (
        '<a href="javascript:x">https://example.org/</a>',
        f'<p><a href="https://example.org/" {REL}>https://example.org/</a></p>',
    ),
]


@pytest.mark.parametrize(("source", "html"), UNWRAPPED)
def test_a_link_without_a_usable_href_is_unwrapped(source, html):
    assert render_comment(source) == html


def test_a_good_link_next_to_a_bad_one_keeps_its_own_end():
    html = render_comment(
        '<a href="https://a.example/">a</a> <a href="javascript:x">b</a> <a href="https://c.example/">c</a>'
    )
    a = f'<a href="https://a.example/" {REL}>a</a>'
    c = f'<a href="https://c.example/" {REL}>c</a>'
    assert html == f"<p>{a} b {c}</p>"


@pytest.mark.parametrize(
    ("source", "html"),
    [
        ('<q cite="https://exa mple.org">q</q>', "<p><q>q</q></p>"),
        ('<q cite="javascript:x">q</q>', "<p><q>q</q></p>"),
        ('<blockquote cite="http://[::1">b</blockquote>', "<blockquote>\n<p>b</p>\n</blockquote>"),
        (
            '<q cite="https://example.org/src">q</q>',
            '<p><q cite="https://example.org/src">q</q></p>',
        ),
        # An <abbr> without title is valid HTML: kept.
        ("<abbr>HTML</abbr>", "<p><abbr>HTML</abbr></p>"),
    ],
)
def test_a_bad_cite_drops_only_the_attribute(source, html):
    assert render_comment(source) == html


@pytest.mark.parametrize(
    "text",
    [
        "see http://[::1 here",
        "see https://example.org:99999 here",
        "see https://-bad-.org here",
        "see https://user:pass@example.org here",
    ],
)
def test_a_bare_url_that_is_not_a_valid_address_stays_text(text):
    assert render_comment(text) == f"<p>{text}</p>"


@pytest.mark.parametrize(
    ("source", "href"),
    [
        ('<a href="https://example.org/?a=1&amp;b=2">x</a>', "https://example.org/?a=1&amp;b=2"),
        ('<a href="HTTPS://Example.org/Path">x</a>', "HTTPS://Example.org/Path"),  # as typed
        ('<a href="https://bücher.de/ü">x</a>', "https://bücher.de/ü"),
        ('<a href="mailto:me@example.org">x</a>', "mailto:me@example.org"),
        ("https://example.org/?a=1&b=2", "https://example.org/?a=1&amp;b=2"),
        ("www.example.org", "http://www.example.org"),
    ],
)
def test_good_links_keep_their_href(source, href):
    assert f'<a href="{href}" {REL}>' in render_comment(source)


def test_no_output_has_an_a_without_href():
    sources = [row[0] for row in UNWRAPPED] + [
        '<a href="javascript:x"><a href="https://ok.example/">in</a></a>',
        '<b><a href="javascript:x">x</b></a>',
        '<a href="javascript:x">unclosed',
        '<a href="https://ok.example/">unclosed',
    ]
    for source in sources:
        html = render_comment(source)
        assert not re.search(r"<a(?![^>]*\bhref=)[^>]*>", html), (source, html)
        assert html.count("<a ") == html.count("</a>"), (source, html)


@pytest.mark.parametrize(
    ("source", "html"),
    [
        (
            '<acronym title="As Soon As Possible">ASAP</acronym>',
            '<p><abbr title="As Soon As Possible">ASAP</abbr></p>',
        ),
        ("<strike>gone</strike>", "<p><s>gone</s></p>"),
        ("<b><strike>a</b>b</strike>", "<p><b><s>a</s></b><s>b</s></p>"),
    ],
)
def test_obsolete_tags_are_written_as_their_html_successors(source, html):
    assert render_comment(source) == html


def test_the_render_version_was_bumped_for_the_new_link_rules():
    assert COMMENT_RENDER_VERSION >= 2
