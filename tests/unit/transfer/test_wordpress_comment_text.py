"""A WordPress comment, imported, shows what WordPress showed: the same visible text and the
same elements (#21: entities are decoded once; "&lt;s&gt;" is the text "<s>", not an element).

The judge is a browser's reading of both (html5lib, the HTML5 parser bleach carries):
WordPress's stored comment HTML on one side, our rendering of the imported comment
(render_comment of comment_text) on the other. Bare URLs are left out of the generated text:
both sides link them when they show a comment (WordPress's make_clickable, our linkify), which
the stored HTML does not hold."""

from __future__ import annotations

import pytest
from bleach._vendor import html5lib  # the parser bleach (and so our sanitizer) uses
from hypothesis import given, settings
from hypothesis import strategies as st

from blog.sanitize import render_comment
from blog.transfer.wordpress.content import WORD_JOINER, comment_text

INLINE = ["s", "em", "strong", "b", "i", "code", "del", "q", "cite", "strike"]
# Text as WordPress stores it (entity-encoded by kses), including escaped markup shown literally.
ATOMS = [
    "Tom &amp; Jerry",
    "&lt;s&gt;",
    "&lt;/s&gt;",
    "&amp;lt;b&amp;gt;",
    "&lt;blockquote&gt;",
    "&lt;/blockquote&gt;",
    "a &lt; b",
    "&lt;3",
    "&quot;quoted&quot;",
    "it&#8217;s",
    "&amp;amp;",
    "&lt;!-- not a comment --&gt;",
    "&lt;a href=&quot;/x&quot;&gt;",
    "&lt;?php",
    "&lt;!DOCTYPE",
    "\u00e9t\u00e9 \u65e5\u672c",
    "\n",
    "\n\n",
    " ",
]
plain = st.text(alphabet="abcdxyz 0123.,!?>;:'\"-", min_size=1, max_size=12)
atom = st.one_of(st.sampled_from(ATOMS), plain)


def wrap(children: st.SearchStrategy) -> st.SearchStrategy:
    inline = st.tuples(st.sampled_from(INLINE), children).map(
        lambda pair: f"<{pair[0]}>x{pair[1]}</{pair[0]}>"
    )
    link = children.map(lambda inner: f'<a href="https://example.org/?a=1&amp;b=2">y{inner}</a>')
    return st.one_of(inline, link)


fragment = st.recursive(
    atom,
    lambda children: st.lists(st.one_of(children, wrap(children)), min_size=1, max_size=4).map(
        "".join
    ),
    max_leaves=12,
)
top_level = st.one_of(fragment, fragment.map(lambda inner: f"<blockquote>q{inner}</blockquote>"))
comments = st.lists(top_level, min_size=1, max_size=5).map("".join)


def reading(markup: str) -> tuple[str, list[str]]:
    """What a reader sees: the text (whitespace collapsed, blocks and line breaks as spaces,
    the invisible word joiner gone) and the comment elements in document order."""
    tree = html5lib.parseFragment(markup, treebuilder="etree", namespaceHTMLElements=False)
    text: list[str] = []
    elements: list[str] = []

    def walk(node) -> None:
        if node.tag in ("p", "br", "blockquote"):
            text.append(" ")
        if isinstance(node.tag, str) and node.tag not in ("p", "br", "DOCUMENT_FRAGMENT"):
            # <strike> and <acronym> are shown as <s> and <abbr>, the names HTML has for them now.
            elements.append({"strike": "s", "acronym": "abbr"}.get(node.tag, node.tag))
        text.append(node.text or "")
        for child in node:
            walk(child)
            text.append(child.tail or "")
        if node.tag in ("p", "blockquote"):
            text.append(" ")

    walk(tree)
    shown = " ".join("".join(text).replace(WORD_JOINER, "").split())
    return shown, elements


@settings(max_examples=300, deadline=None)
@given(comments)
def test_an_imported_comment_reads_as_it_did_on_wordpress(wordpress_html):
    ours = render_comment(comment_text(wordpress_html))
    assert reading(ours) == reading(wordpress_html)


@pytest.mark.parametrize(
    ("wordpress_html", "shown", "elements"),
    [
        ("&lt;s&gt;not struck&lt;/s&gt; after", "<s>not struck</s> after", []),
        ("&amp;lt;s&amp;gt;", "&lt;s&gt;", []),
        ("<s>struck</s> after", "struck after", ["s"]),
        ("&lt;blockquote&gt;no quote&lt;/blockquote&gt;", "<blockquote>no quote</blockquote>", []),
        ("<blockquote>a quote</blockquote>", "a quote", ["blockquote"]),
        ("Tom &amp; Jerry &lt;3", "Tom & Jerry <3", []),
    ],
)
def test_the_cases_from_the_issue(wordpress_html, shown, elements):
    assert reading(render_comment(comment_text(wordpress_html))) == (shown, elements)
