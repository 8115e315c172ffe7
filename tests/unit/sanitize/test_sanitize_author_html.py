"""The authors' richer allow-list (issue #22): what an article keeps that a comment does not.

Authors legitimately write h1, u, ins, small, var, samp, mark, details, tfoot, their own audio and
video, alignment classes and footnotes; readers' comments keep their small list. Whatever the
author types, no style, event handler, hx-* or data-* attribute and no javascript: address gets
through, and no id but a footnote's, which is prefixed per post.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blog import sanitize
from blog.models import Post
from blog.sanitize import (
    COMMENT_TAGS,
    POST_CLASSES,
    POST_TAGS,
    post_body,
    post_teaser,
    refresh_post_html,
    render_comment,
    render_post_body,
    render_post_preview,
)


@pytest.fixture(autouse=True)
def sanitizer_alone(monkeypatch):
    """The allow-list on its own: without the steps blog.media registers once an app exists
    (pictures and players need the database; embeds have tests of their own)."""
    monkeypatch.setattr(sanitize, "_post_html_steps", [])


NEW_AUTHOR_TAGS = ["h1", "u", "ins", "small", "var", "samp", "mark", "details", "summary"]


class Parsed(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    @property
    def tags(self) -> list[str]:
        return [tag for tag, _ in self.elements]

    def attributes(self, tag: str) -> list[dict]:
        return [attrs for name, attrs in self.elements if name == tag]


def post(body_md: str, post_id: int) -> Post:
    made = Post(id=post_id, body_md=body_md)
    refresh_post_html(made)
    return made


# --- tags -------------------------------------------------------------------------------------


@pytest.mark.parametrize("tag", NEW_AUTHOR_TAGS)
def test_new_tags_are_kept_in_articles_and_stripped_from_comments(tag):
    source = f"<{tag}>words</{tag}>"
    assert tag in Parsed(render_post_body(source)).tags
    comment = Parsed(render_comment(source))
    assert tag not in comment.tags
    assert "words" in render_comment(source)


def test_the_comment_allow_list_did_not_grow():
    expected = {"a", "abbr", "acronym", "b", "blockquote", "cite", "code", "del", "em", "i", "q"}
    assert expected | {"s", "strike", "strong"} == COMMENT_TAGS


def test_tables_keep_caption_and_footer():
    html = render_post_body(
        "<table><caption>Sums</caption><thead><tr><th>a</th></tr></thead>"
        "<tbody><tr><td>1</td></tr></tbody><tfoot><tr><td>1</td></tr></tfoot></table>"
    )
    tags = Parsed(html).tags
    for tag in ("caption", "thead", "tbody", "tfoot"):
        assert tag in tags
    assert "tfoot" not in Parsed(render_comment("<table><tfoot><tr><td>1</td></tr></tfoot>")).tags


def test_details_keeps_open_and_nothing_else():
    html = render_post_body(
        '<details open onclick="x()" class="c"><summary>More</summary>Body</details>'
    )
    assert [set(attrs) for attrs in Parsed(html).attributes("details")] == [{"open"}]
    assert "<summary>More</summary>" in html


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<strike>gone</strike>", "<s>gone</s>"),
        ("<STRIKE>gone</STRIKE>", "<s>gone</s>"),
        ("<tt>mono</tt>", "<code>mono</code>"),
        ('<strike class="x" style="color:red" onclick="y()">gone</strike>', "<s>gone</s>"),
        ('<tt id="fn:1" data-x="1">mono</tt>', "<code>mono</code>"),
    ],
)
def test_old_tags_are_renamed_not_stripped(source, expected):
    assert expected in render_post_body(source)


def test_ins_and_del_keep_datetime_and_cite():
    html = render_post_body(
        '<ins datetime="2024-01-02" cite="https://example.org/why" title="t">new</ins>'
        '<del datetime="2024-01-01" cite="javascript:alert(1)">old</del>'
    )
    parsed = Parsed(html)
    assert parsed.attributes("ins") == [
        {"datetime": "2024-01-02", "cite": "https://example.org/why"}
    ]
    assert parsed.attributes("del") == [{"datetime": "2024-01-01"}]


# --- classes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(POST_CLASSES))
@pytest.mark.parametrize("tag", ["img", "figure", "p"])
def test_each_fixed_class_is_kept(tag, name):
    content = "" if tag == "img" else "x"
    closing = "" if tag == "img" else f"</{tag}>"
    html = render_post_body(f'<{tag} src="/static/favicon.svg" class="{name}">{content}{closing}')
    assert Parsed(html).attributes(tag)[0]["class"] == name


def test_other_classes_are_dropped_one_by_one():
    html = render_post_body(
        '<figure class="wp-block-image aligncenter size-large is-style-rounded aligncenter">'
        '<img src="/media/1/a.jpg" alt="a" class="wp-image-5 size-medium evil"></figure>'
        '<p class="has-text-color">plain</p><div class="alignleft">d</div>'
        '<span class="alignright">s</span>'
    )
    parsed = Parsed(html)
    assert parsed.attributes("figure") == [{"class": "aligncenter size-large"}]
    assert parsed.attributes("img")[0]["class"] == "size-medium"
    assert all("class" not in attrs for attrs in parsed.attributes("p"))
    assert "class=" not in html.replace('class="aligncenter size-large"', "").replace(
        'class="size-medium"', ""
    )


def test_code_keeps_its_language_class_only():
    assert '<code class="language-python">' in render_post_body("```python\nx = 1\n```")
    assert "<code>c</code>" in render_post_body('<code class="alignleft">c</code>')


# --- audio and video ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "src",
    ["/media/3/song.mp3", "/media/12/clip%20one.webm", "/media/7/sub/dir/a.ogg"],
)
def test_local_media_addresses_play(src):
    for tag in ("audio", "video"):
        html = render_post_body(f'<{tag} src="{src}"></{tag}>')
        assert Parsed(html).attributes(tag) == [{"src": src}]
    html = render_post_body(f'<video><source src="{src}" type="video/webm"></video>')
    assert Parsed(html).attributes("source") == [{"src": src}]


@pytest.mark.parametrize(
    "src",
    [
        "https://example.org/media/3/song.mp3",
        "//example.org/media/3/song.mp3",
        "/media//example.org/x.mp3",
        "/media/x/song.mp3",
        "/media/3/",
        "media/3/song.mp3",
        "/static/song.mp3",
        "/media/3/../../admin/posts/1/delete",
        "/media/3/%2e%2e/%2E%2E/admin",
        "/media/3/a\\..\\..\\admin",
        "/media/3/&#46;&#46;/x",
        "/media/3/a.mp3?x=1",
        "javascript:alert(1)",
        "data:audio/mp3;base64,AAAA",
        " /media/3/song.mp3",
    ],
)
def test_other_media_addresses_are_dropped(src):
    for tag in ("audio", "video"):
        html = render_post_body(f'<{tag} src="{src}" controls autoplay poster="/x.png"></{tag}>')
        assert Parsed(html).attributes(tag) == [{}]
    html = render_post_body(f'<video><source src="{src}"></video>')
    assert Parsed(html).attributes("source") == [{}]


def test_comments_play_nothing():
    html = render_comment('<audio src="/media/3/song.mp3"></audio><video src="/media/3/v.mp4">')
    assert "<audio" not in html and "<video" not in html


# --- what never gets through ----------------------------------------------------------------

ALL_ARTICLE_TAGS = sorted(POST_TAGS | {"strike", "tt"})
FORBIDDEN_NAME_RE = re.compile(r"^(style|on.*|hx-.*|data-.*|xmlns.*|srcdoc|formaction)$")
NAMES_TO_TRY = [
    "style", "onclick", "onerror", "onload", "ONMOUSEOVER", "hx-get", "hx-post", "HX-Trigger",
    "hx-on:click", "hx-on::load", "data-hx-get", "data-embed-src", "data-fn", "data-x", "Data-Y",
    "class", "id", "href", "src", "cite", "title", "srcdoc", "formaction", "xmlns", "datetime",
    "open", "align", "start",
]  # fmt: skip
VALUES_TO_TRY = [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "jav&#x61;script:alert(1)",
    " javascript:alert(1)", "alignleft", "alignleft evil", "fn:1", "respond",
    "8e0a1f7c-1234-4abc-9def-0123456789ab", "#fn:1", "/media/1/a.mp3", "color:red", "alert(1)",
    "language-python", "https://example.org/",
]  # fmt: skip
ATTRIBUTE_NAMES = st.one_of(
    st.sampled_from(NAMES_TO_TRY),
    st.from_regex(r"(on|hx-|data-|HX-|Data-)[a-z:-]{1,10}", fullmatch=True),
)
ATTRIBUTE_VALUES = st.one_of(
    st.sampled_from(VALUES_TO_TRY),
    st.text(alphabet=st.characters(exclude_characters='"\x00'), max_size=30),
)


def _attribute(name: str, value: str) -> str:
    return f'{name}="{value}"'


@pytest.mark.parametrize("tag", ALL_ARTICLE_TAGS)
def test_every_listed_attribute_with_every_listed_value(tag):
    """The named attributes and values, all at once on each tag: the same check as below without
    leaving to chance which combinations are tried."""
    for value in VALUES_TO_TRY:
        typed = " ".join(_attribute(name, value) for name in NAMES_TO_TRY)
        _assert_harmless(str(post_body(post(f"<{tag} {typed}>x</{tag}>", post_id=7))))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(attributes=st.lists(st.tuples(ATTRIBUTE_NAMES, ATTRIBUTE_VALUES), min_size=1, max_size=6))
def test_no_author_attribute_reaches_the_page_as_a_handle_for_script_or_style(attributes):
    """The same typed attributes on every tag the article list keeps (each in a body of its own,
    so no tag moves another), and then checked on everything that came out."""
    typed = " ".join(_attribute(name, value) for name, value in attributes)
    for tag in ALL_ARTICLE_TAGS:
        _assert_harmless(str(post_body(post(f"<{tag} {typed}>x</{tag}>", post_id=7))))


def _assert_harmless(html: str) -> None:
    for element, found in Parsed(html).elements:
        for name, value in found.items():
            assert not FORBIDDEN_NAME_RE.match(name), (element, name)
            if name in ("href", "src", "cite"):
                assert "script:" not in (value or "").lower(), (element, value)
                assert not (value or "").lower().startswith(("data:", "vbscript:")), value
            if name == "id":
                assert value.startswith("p7-"), value
            if name == "class" and element != "code":
                assert set(value.split()) <= POST_CLASSES
            if name == "class" and element == "code":
                assert value.startswith("language-")


@pytest.mark.parametrize(
    "source",
    [
        '<h1 style="color:red" onclick="x()" hx-get="/admin/" data-hx-post="/y">Big</h1>',
        '<u id="respond" class="alignleft">u</u>',
        '<mark hx-on:click="alert(1)" data-embed-src="https://evil.example/">m</mark>',
        '<details ontoggle="alert(1)" open><summary onclick="x()">s</summary></details>',
        '<video src="/media/1/v.mp4" onerror="alert(1)" poster="javascript:alert(1)"></video>',
        '<a href="javascript:alert(1)" id="fn:1">x</a>',
        '<small><a href=" javascript:alert(1)">x</a></small>',
    ],
)
def test_named_vectors_keep_nothing_dangerous(source):
    html = render_post_body(source).lower()
    for bad in ("style=", "onclick", "onerror", "ontoggle", "hx-", "data-", "javascript:"):
        assert bad not in html
    assert 'id="respond"' not in html


# --- footnotes --------------------------------------------------------------------------------

MARKDOWN_FOOTNOTES = "Claim[^1] and another[^note two].\n\n[^1]: The source.\n[^note two]: More.\n"
UUID = "8e0a1f7c-1234-4abc-9def-0123456789ab"
WORDPRESS_FOOTNOTES = (
    f'<p>Claim<sup data-fn="{UUID}" class="fn"><a href="#{UUID}" id="{UUID}-link">1</a></sup></p>'
    f'<ol class="wp-block-footnotes"><li id="{UUID}">The source. '
    f'<a href="#{UUID}-link" aria-label="Jump to footnote reference 1">\u21a9\ufe0e</a></li></ol>'
)


def _ids_and_targets(html: str) -> tuple[list[str], list[str]]:
    parsed = Parsed(html)
    ids = [attrs["id"] for _, attrs in parsed.elements if "id" in attrs]
    targets = [
        attrs["href"][1:]
        for attrs in parsed.attributes("a")
        if attrs.get("href", "").startswith("#")
    ]
    return ids, targets


@pytest.mark.parametrize("source", [MARKDOWN_FOOTNOTES, WORDPRESS_FOOTNOTES])
def test_footnote_ids_are_prefixed_per_post_and_links_match(source):
    html = str(post_body(post(source, post_id=42)))
    ids, targets = _ids_and_targets(html)
    assert len(ids) >= 2 and targets
    assert all(found.startswith("p42-") for found in ids), ids
    assert len(set(ids)) == len(ids)
    # Every footnote link leads to an id on the page, both ways.
    assert set(targets) <= set(ids), (targets, ids)
    assert "\ue0f1" not in html


def test_markdown_footnotes_render_as_a_list_with_back_links():
    html = str(post_body(post(MARKDOWN_FOOTNOTES, post_id=3)))
    assert '<sup id="p3-fnref-1"><a href="#p3-fn-1">1</a></sup>' in html
    assert '<li id="p3-fn-1">' in html
    assert '<li id="p3-fn-note-two">' in html
    assert 'href="#p3-fnref-note-two"' in html


def test_wordpress_footnotes_keep_their_links():
    html = str(post_body(post(WORDPRESS_FOOTNOTES, post_id=9)))
    assert f'<a href="#p9-{UUID}" id="p9-{UUID}-link">1</a>' in html
    assert f'<li id="p9-{UUID}">' in html
    assert f'href="#p9-{UUID}-link"' in html
    assert "data-fn" not in html and 'class="fn"' not in html


def test_two_posts_never_share_a_footnote_id():
    first = _ids_and_targets(str(post_body(post(MARKDOWN_FOOTNOTES, post_id=1))))[0]
    second = _ids_and_targets(str(post_body(post(MARKDOWN_FOOTNOTES, post_id=2))))[0]
    assert first and second and not set(first) & set(second)


def test_parts_split_by_more_number_their_own_notes_apart():
    source = "One[^1]\n\n[^1]: a\n\n<!--more-->\n\nTwo[^1]\n\n[^1]: b\n"
    made = post(source, post_id=5)
    ids, targets = _ids_and_targets(str(post_body(made)))
    notes = [found for found in ids if found != "more-5"]
    assert len(set(notes)) == len(notes) == 4  # a reference and a note in each part
    assert set(targets) <= set(notes) and len(set(targets)) == 4
    teaser = str(post_teaser(made))
    assert 'id="p5-fn-1"' in teaser and "\ue0f1" not in teaser


@pytest.mark.parametrize(
    "source",
    [
        '<p id="comments">x</p>',
        '<a id="respond" href="#respond">x</a>',
        '<sup id="main">1</sup>',
        '<li id="fn:1 onclick=x">x</li>',
        '<h2 id="fn:1">heading</h2>',
        '<div id="8e0a1f7c-1234-4abc-9def-0123456789ab">x</div>',
    ],
)
def test_ids_that_are_not_footnotes_are_dropped(source):
    html = str(post_body(post(source, post_id=4)))
    ids = [attrs["id"] for _, attrs in Parsed(html).elements if "id" in attrs]
    assert ids == [] or all(found.startswith("p4-") for found in ids)
    assert 'id="comments"' not in html and 'id="respond"' not in html and 'id="main"' not in html


def test_other_in_page_links_are_left_alone():
    html = str(post_body(post('<a href="#comments">Jump to the comments</a>', post_id=4)))
    assert 'href="#comments"' in html


def test_the_mark_typed_by_an_author_makes_no_id():
    html = str(post_body(post('\ue0f1fn:1 and id="\ue0f1x" <a title="\ue0f1">t</a>', post_id=8)))
    assert Parsed(html).attributes("a") == [{"title": "\ue0f1"}]
    assert not [attrs for _, attrs in Parsed(html).elements if "id" in attrs]


def test_the_preview_uses_its_own_prefix():
    html = str(render_post_preview(MARKDOWN_FOOTNOTES))
    ids, targets = _ids_and_targets(html)
    assert ids and all(found.startswith("preview-") for found in ids)
    assert set(targets) <= set(ids)


def test_comments_keep_no_footnote_ids():
    html = render_comment(WORDPRESS_FOOTNOTES)
    assert " id=" not in html and "<sup" not in html and "<ol" not in html
