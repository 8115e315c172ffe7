"""The one place where markup is made and marked safe.

Everything a person types is stored as source text; this module turns it into HTML through
bleach allow-lists and is the only module that wraps HTML in ``Markup``. bleach is in maintenance
mode, so it stays behind these functions and could be swapped for another sanitizer here alone.
"""

from __future__ import annotations

import re
from functools import partial

import markdown
from bleach.html5lib_shim import Filter
from bleach.linkifier import LinkifyFilter
from bleach.sanitizer import Cleaner
from markupsafe import Markup

# Bump when the allow-lists or the Markdown set-up change: cached HTML with an older version is
# rendered again from its source text.
POST_RENDER_VERSION = 1

POST_TAGS = frozenset(
    {
        "p", "br", "hr", "h2", "h3", "h4", "h5", "h6",
        "a", "img", "strong", "b", "em", "i", "s", "del", "code", "pre", "kbd",
        "blockquote", "q", "cite", "abbr", "sup", "sub",
        "ul", "ol", "li", "dl", "dt", "dd",
        "table", "thead", "tbody", "tr", "th", "td", "caption",
    }
)  # fmt: skip
POST_PROTOCOLS = frozenset({"http", "https", "mailto"})


def _post_attribute_allowed(tag: str, name: str, value: str) -> bool:
    allowed = {
        "a": {"href", "title"},
        "img": {"src", "alt", "title", "width", "height"},
        "abbr": {"title"},
        "blockquote": {"cite"},
        "q": {"cite"},
        "th": {"align"},
        "td": {"align"},
        "ol": {"start"},
    }
    if name in allowed.get(tag, ()):
        return True
    # Fenced code blocks mark their language as class="language-xyz"; nothing else gets a class.
    return tag == "code" and name == "class" and value.startswith("language-")


def _markdown_to_html(source: str) -> str:
    return markdown.markdown(
        source,
        extensions=["fenced_code", "tables", "sane_lists"],
        extension_configs={"tables": {"use_align_attribute": True}},
        output_format="html",
    )


def render_post_body(source: str) -> str:
    """Markdown source of an article -> sanitized HTML string (to be cached on the post)."""
    # A Cleaner is not thread-safe, so each call builds its own.
    cleaner = Cleaner(
        tags=POST_TAGS,
        attributes=_post_attribute_allowed,
        protocols=POST_PROTOCOLS,
        strip=True,
        strip_comments=True,
    )
    return cleaner.clean(_markdown_to_html(source))


def post_body(post) -> Markup:
    """The article body as safe markup, from the cache when it is current."""
    if post.body_render_version == POST_RENDER_VERSION and post.body_html:
        return Markup(post.body_html)  # noqa: S704 - produced by render_post_body
    return Markup(render_post_body(post.body_md))  # noqa: S704 - sanitized just now


def refresh_post_html(post) -> None:
    """Recompute the cached HTML of a post from its Markdown source."""
    post.body_html = render_post_body(post.body_md)
    post.body_render_version = POST_RENDER_VERSION


# --- Reader comments -----------------------------------------------------------------------------
#
# A comment is stored as the plain text the reader typed (with optional inline HTML, as on
# WordPress); the HTML below is a cache of it. Only a small inline allow-list survives, plus the
# <p> and <br> that are made here from blank lines and line breaks.

# Bump when the allow-lists, the link rules or the paragraph rules change.
COMMENT_RENDER_VERSION = 1

# Tags a reader may type. <p> and <br> are not among them: a typed <p> becomes a blank line and a
# typed <br> a line break before parsing, other block tags are stripped (bleach's tokenizer leaves
# a line break for most), and the paragraphs and breaks in the output are made by _ParagraphFilter
# alone.
COMMENT_TAGS = frozenset(
    {
        "a", "abbr", "acronym", "b", "blockquote", "cite", "code", "del", "em", "i", "q", "s",
        "strike", "strong",
    }
)  # fmt: skip
COMMENT_ATTRIBUTES = {
    "a": frozenset({"href", "title"}),
    "abbr": frozenset({"title"}),
    "acronym": frozenset({"title"}),
    "blockquote": frozenset({"cite"}),
    "q": frozenset({"cite"}),
    "del": frozenset({"datetime"}),
}
COMMENT_PROTOCOLS = frozenset({"http", "https", "mailto"})
COMMENT_LINK_REL = "nofollow ugc noopener"

# A typed tag allow-list is not enough against a tag bomb: html5lib's tree builder is quadratic in
# nesting depth and re-creates formatting elements (the "reconstruct the active formatting
# elements" step), so the number of allowed tags it is shown is capped. Past the cap a tag's "<" is
# written as "&lt;", which shows the tag as text (or, inside an attribute value, means the same).
MAX_COMMENT_TAGS = 300

# Beyond bleach's own protocol check, a URL attribute must *literally* begin with its scheme: no
# leading space, no entity, control or invisible character in the scheme, no relative URL (which
# would point into this site, e.g. at an admin action).
_SAFE_URL_RE = re.compile(r"(?:https?://|mailto:)", re.IGNORECASE)
_URL_ATTRIBUTES = frozenset({"href", "cite"})

# Bare URLs that are linked: ones that start with http(s):// or www. (not bleach's default, which
# also links "example.py" or "readme.md", and which backtracks quadratically on long inputs). The
# last character may not be sentence punctuation; bleach strips a trailing ")" "," or "." itself.
_COMMENT_URL_RE = re.compile(
    r"""\b(?:https?://|www\.)[^\s<>"`{}|\\^]*[^\s<>"`{}|\\^.,:;!?'*]""", re.IGNORECASE
)

_TAG_START_RE = re.compile(r"<(/?)([A-Za-z][^\t\n\f\r />]*)")
# Typed line and paragraph breaks, made into text before parsing (bleach would strip a <br> to
# nothing and the first <p> after text too, gluing words together). Only "\n" is written in, so
# this can neither make a tag nor end one; the result still goes through the whole sanitizer.
_TYPED_BR_RE = re.compile(r"<br(?=[\s/>])[^>]*>\n?", re.IGNORECASE)
_TYPED_P_RE = re.compile(r"</?p(?=[\s/>])[^>]*>", re.IGNORECASE)
# One or more empty (or blank) lines: a paragraph break.
_BLANK_LINES_RE = re.compile(r"\n(?:[ \t\f]*\n)+")


def _comment_attribute_allowed(tag: str, name: str, value: str) -> bool:
    if name not in COMMENT_ATTRIBUTES.get(tag, ()):
        return False
    # bleach passes the value as typed (entities not decoded); it checks the protocol itself too.
    return name not in _URL_ATTRIBUTES or _SAFE_URL_RE.match(value) is not None


def _set_link_rel(attrs: dict, new: bool = False) -> dict:
    """Linkify callback, run for typed links and made links alike: one fixed rel on every link."""
    attrs[(None, "rel")] = COMMENT_LINK_REL
    return attrs


def _cap_typed_tags(text: str) -> str:
    """Write the "<" of allowed tags past MAX_COMMENT_TAGS as "&lt;" (see MAX_COMMENT_TAGS).

    This over-counts (a "<b" inside an attribute value or a comment counts too), which is the safe
    direction; the text still goes through the full sanitizer afterwards.
    """
    seen = 0

    def cap(match: re.Match[str]) -> str:
        nonlocal seen
        if match.group(2).lower() not in COMMENT_TAGS:
            return match.group(0)
        seen += 1
        return match.group(0) if seen <= MAX_COMMENT_TAGS else "&lt;" + match.group(0)[1:]

    return _TAG_START_RE.sub(cap, text)


class _ParagraphFilter(Filter):
    """html5lib filter: blank lines -> ``<p>`` paragraphs, single line breaks -> ``<br>``.

    It runs last, on the token stream that bleach has already sanitized and linkified, so it never
    sees a tag or attribute outside the allow-list, and the text it handles stays in Characters
    tokens that the serializer escapes: adding <p> and <br> tokens cannot let the reader's text turn
    into markup. It keeps the stream well-formed: every tag it opens it closes, and a <p> never
    contains a <blockquote>.

    - Paragraphs are made in the flow of the comment and of each blockquote, at the top level. A
      blank line inside an open inline element (``<b>a\\n\\nb</b>``) becomes two <br> instead:
      splitting the paragraph would mean closing and re-opening every open element, and a
      deeply nested input would make the output many times larger than the input.
    - A blockquote inside an open inline element (``<b>x<blockquote>``, e.g. a <b> left unclosed)
      ends those elements in the output; they are not re-opened inside or after it.
    - Line breaks at the start or the end of a paragraph are dropped, as is whitespace between
      paragraphs.
    """

    def __iter__(self):
        out: list[dict] = []
        open_inline: list[dict] = []  # inline start tags open in the input, innermost last
        dead = 0  # open_inline[:dead] were ended by a blockquote and are never re-opened
        emitted = 0  # open_inline[dead:dead + emitted] are open in the output, inside the <p>
        in_p = False
        breaks = 0  # line breaks seen inside the paragraph, written once more content follows

        def close_paragraph() -> None:
            nonlocal in_p, emitted, breaks
            if in_p:
                for token in reversed(open_inline[dead : dead + emitted]):
                    out.append({"type": "EndTag", "name": token["name"], "data": {}})
                out.append({"type": "EndTag", "name": "p", "data": {}})
                out.append({"type": "Characters", "data": "\n"})
            in_p, emitted, breaks = False, 0, 0

        def start_content() -> None:
            """Open the paragraph, write pending breaks, open the enclosing inline elements."""
            nonlocal in_p, emitted, breaks
            if not in_p:
                out.append({"type": "StartTag", "name": "p", "data": {}})
                in_p = True
            for _ in range(breaks):
                out.append({"type": "EmptyTag", "name": "br", "data": {}})
                out.append({"type": "Characters", "data": "\n"})
            breaks = 0
            for token in open_inline[dead + emitted :]:
                out.append({"type": "StartTag", "name": token["name"], "data": token["data"]})
            emitted = len(open_inline) - dead

        def text(data: str) -> None:
            nonlocal breaks
            at_top = len(open_inline) == dead
            for index, chunk in enumerate(_BLANK_LINES_RE.split(data)):
                if index:
                    if at_top:
                        close_paragraph()
                    elif in_p:
                        breaks += 2
                for number, line in enumerate(chunk.split("\n")):
                    if number and in_p:
                        breaks += 1
                    if line and (in_p or not line.isspace()):
                        start_content()
                        out.append({"type": "Characters", "data": line})

        for token in self.source:
            kind = token["type"]
            if kind in ("Characters", "SpaceCharacters"):
                text(token["data"])
            elif kind == "Entity":
                start_content()
                out.append(token)
            elif kind == "StartTag" and token["name"] == "blockquote":
                close_paragraph()
                dead = len(open_inline)
                out.append(token)
                out.append({"type": "Characters", "data": "\n"})
            elif kind == "EndTag" and token["name"] == "blockquote":
                close_paragraph()
                out.append(token)
                out.append({"type": "Characters", "data": "\n"})
            elif kind == "StartTag":
                open_inline.append(token)
            elif kind == "EndTag":
                if not open_inline:  # not produced by bleach's balanced tree walk; skip it
                    continue
                depth = len(open_inline) - 1
                open_inline.pop()
                if depth < dead:
                    dead = depth
                elif depth < dead + emitted:
                    out.append({"type": "EndTag", "name": token["name"], "data": {}})
                    emitted -= 1
            elif kind == "EmptyTag":  # no allowed tag is void, but keep it inline if one ever is
                start_content()
                out.append(token)
            # Comments are stripped by bleach; a doctype cannot occur in a fragment.
        close_paragraph()
        # The trailing separator after the last block is dropped.
        if out and out[-1] == {"type": "Characters", "data": "\n"}:
            out.pop()
        return iter(out)


def render_comment(text: str) -> str:
    """A reader's comment text -> sanitized HTML string (to be cached on the comment).

    One parse does it all: bleach parses the text with html5lib, its sanitizer drops every tag and
    attribute outside the allow-lists and every URL that is not http(s)/mailto, LinkifyFilter links
    bare URLs and gives every link the same rel, and _ParagraphFilter makes <p> and <br> from the
    line structure of what is left. Text is otherwise kept as typed (no Unicode normalization, no
    URL decoding), except that, as in HTML, a typed character reference is a character reference:
    "&lt;b&gt;" shows as "<b>" and "&amp;" as "&", while a lone "&" or an unknown "&foo;" shows as
    typed. Control characters other than tab and line breaks are dropped or shown as "?".
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _TYPED_P_RE.sub("\n\n", _TYPED_BR_RE.sub("\n", text))
    text = _cap_typed_tags(text)
    # A Cleaner (and its filters) is not thread-safe, so each call builds its own.
    cleaner = Cleaner(
        tags=COMMENT_TAGS,
        attributes=_comment_attribute_allowed,
        protocols=COMMENT_PROTOCOLS,
        strip=True,
        strip_comments=True,
        filters=[
            partial(
                LinkifyFilter,
                callbacks=[_set_link_rel],
                skip_tags={"code"},
                parse_email=False,
                url_re=_COMMENT_URL_RE,
            ),
            _ParagraphFilter,
        ],
    )
    return cleaner.clean(text)


def comment_body(comment) -> Markup:
    """The comment body as safe markup, from the cache when it is current."""
    if comment.body_render_version == COMMENT_RENDER_VERSION and comment.body_html:
        return Markup(comment.body_html)  # noqa: S704 - produced by render_comment
    return Markup(render_comment(comment.body))  # noqa: S704 - sanitized just now


def refresh_comment_html(comment) -> None:
    """Recompute the cached HTML of a comment from its text."""
    comment.body_html = render_comment(comment.body)
    comment.body_render_version = COMMENT_RENDER_VERSION
