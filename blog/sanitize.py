"""The one place where markup is made and marked safe.

Everything a person types is stored as source text; this module turns it into HTML through
bleach allow-lists and is the only module that wraps HTML in ``Markup``. bleach is in maintenance
mode, so it stays behind these functions and could be swapped for another sanitizer here alone.
"""

from __future__ import annotations

import ipaddress
import re
import threading
import unicodedata
from collections.abc import Callable
from functools import lru_cache, partial
from html import unescape as html_unescape

import idna
import markdown
import rfc3986
import rfc3986.exceptions
import rfc3986.validators
from bleach.html5lib_shim import HTML_TAGS_BLOCK_LEVEL, Filter
from bleach.linkifier import LinkifyFilter
from bleach.sanitizer import Cleaner
from markdown_it import MarkdownIt
from markupsafe import Markup

# Bump when the allow-lists or the Markdown set-up change: cached HTML with an older version is
# rendered again from its source text.
# 2: smart quotes and dashes; 3: <figure> and <figcaption> (WordPress); 4: <!--more--> and
# <!--nextpage--> kept as trusted markers between separately rendered parts; 5: media
# (pictures in sizes, galleries, players, embeds) and the authors' richer allow-list.
POST_RENDER_VERSION = 5

POST_TAGS = frozenset(
    {
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
        "a", "img", "strong", "b", "em", "i", "s", "del", "ins", "u", "small", "mark",
        "code", "pre", "kbd", "samp", "var",
        "blockquote", "q", "cite", "abbr", "sup", "sub",
        "ul", "ol", "li", "dl", "dt", "dd", "details", "summary",
        "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "figure", "figcaption",
        "audio", "video", "source",
    }
)  # fmt: skip
POST_PROTOCOLS = frozenset({"http", "https", "mailto"})
# Old tags authors still write (and WordPress exports keep): shown as their modern names rather
# than stripped. The parser lets them through, they take no attribute, and _PostFilter renames them.
_RENAMED_POST_TAGS = {"strike": "s", "tt": "code"}

# Classes an author's picture, figure or paragraph may carry: WordPress's alignment and size
# names, which the stylesheet and the picture step know. Other classes are dropped one by one.
POST_CLASSES = frozenset(
    {
        "alignleft", "alignright", "aligncenter", "alignwide", "alignfull", "alignnone",
        "size-thumbnail", "size-medium", "size-large", "size-full",
    }
)  # fmt: skip
_CLASSED_TAGS = frozenset({"img", "figure", "p"})

# <audio>, <video> and <source> play only this site's media: "/media/ID/FILE_NAME" (the stable
# address of a library item, which the player step turns into the stored file). The foundation
# cannot import blog.media, so the shape is repeated here; it matches blog.media.urls.
_LOCAL_MEDIA_RE = re.compile(r"/media/[0-9]+/[^/\s\\?#&][^\s\\?#&]*")


def _local_media(address: str) -> bool:
    """A local media address, and no more: browsers resolve "..", "%2e%2e" and "\\" in a path,
    and bleach leaves character references in a value as typed, so none of them may occur."""
    if _LOCAL_MEDIA_RE.fullmatch(address) is None:
        return False
    segments = address.lower().replace("%2e", ".").split("/")
    return not any(segment in (".", "..") for segment in segments)


# Footnotes keep their ids: Markdown's ("fn:LABEL", "fnref:LABEL", "fnref2:LABEL") and those of
# WordPress's Footnotes block (a UUID on the note, UUID-link on its reference). No other id
# survives: an author's id could clash with the page's own ("comments", "respond").
_MARKDOWN_FOOTNOTE_ID_RE = re.compile(r"(fn|fnref[0-9]*):(.{1,100})", re.DOTALL)
_WORDPRESS_FOOTNOTE_ID_RE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(-link)?"
)
_FOOTNOTE_TAGS = frozenset({"sup", "li", "a", "ol"})
# Put in front of every footnote id (and the "#" link to it) by the renderer alone, and replaced
# in post_body() by "p{post.id}-" (the post's id is not known yet while a new post renders), so
# two articles on one listing never share an id and no footnote takes one of the page's.
# A private-use character: nothing in the source makes it into an id or a "#" link.
FOOTNOTE_MARK = "\ue0f1"
_FOOTNOTE_MARK_RE = re.compile('(id="|href="#)' + FOOTNOTE_MARK)


def _footnote_id(value: str) -> bool:
    return bool(
        _MARKDOWN_FOOTNOTE_ID_RE.fullmatch(value) or _WORDPRESS_FOOTNOTE_ID_RE.fullmatch(value)
    )


def _post_attribute_allowed(tag: str, name: str, value: str) -> bool:
    allowed = {
        "a": {"href", "title"},
        "img": {"src", "alt", "title", "width", "height"},
        "abbr": {"title"},
        "blockquote": {"cite"},
        "q": {"cite"},
        "ins": {"cite", "datetime"},
        "del": {"cite", "datetime"},
        "th": {"align"},
        "td": {"align"},
        "ol": {"start"},
        "details": {"open"},
    }
    if name in allowed.get(tag, ()):
        return True
    if name == "src" and tag in {"audio", "video", "source"}:
        return _local_media(value)
    if name == "id" and tag in _FOOTNOTE_TAGS:
        return _footnote_id(value)
    if name == "class" and tag in _CLASSED_TAGS:
        return not POST_CLASSES.isdisjoint(value.split())
    # Fenced code blocks mark their language as class="language-xyz"; nothing else gets a class.
    return tag == "code" and name == "class" and value.startswith("language-")


def _footnote_target(value: str, part: int) -> str:
    """A footnote id as the page shows it: the mark, the part's number for Markdown's ids (each
    part between <!--more--> and <!--nextpage--> is rendered on its own and numbers its notes
    from 1), and a label reduced to characters that read well in an address."""
    markdown_id = _MARKDOWN_FOOTNOTE_ID_RE.fullmatch(value)
    if markdown_id is None:
        return FOOTNOTE_MARK + value.lower()
    kind, label = markdown_id.group(1), re.sub(r"[^A-Za-z0-9_.-]", "-", markdown_id.group(2))
    return f"{FOOTNOTE_MARK}{part}-{kind}-{label}" if part else f"{FOOTNOTE_MARK}{kind}-{label}"


class _PostFilter(Filter):
    """html5lib filter run after bleach's sanitizer on an article's tokens: old tag names renamed,
    classes narrowed to POST_CLASSES, footnote ids and the links to them given the mark."""

    def __init__(self, source, part: int = 0):
        super().__init__(source)
        self.part = part

    def __iter__(self):
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EndTag", "EmptyTag"):
                token["name"] = _RENAMED_POST_TAGS.get(token["name"], token["name"])
            attributes = token.get("data") if token["type"] in ("StartTag", "EmptyTag") else None
            if attributes:
                self._attributes(token["name"], attributes)
            yield token

    def _attributes(self, tag: str, attributes: dict) -> None:
        if (None, "class") in attributes and tag in _CLASSED_TAGS:
            names = attributes[(None, "class")].split()
            attributes[(None, "class")] = " ".join(
                dict.fromkeys(name for name in names if name in POST_CLASSES)
            )
        if (None, "id") in attributes:
            attributes[(None, "id")] = _footnote_target(attributes[(None, "id")], self.part)
        href = attributes.get((None, "href"), "")
        if href.startswith("#") and _footnote_id(href[1:]):
            attributes[(None, "href")] = "#" + _footnote_target(href[1:], self.part)


# Typographer's quotes and dashes in articles ("smarty"): "--" an en dash, "---" an em dash,
# "..." an ellipsis. Written as the characters themselves rather than the extension's named
# entities, so the cached HTML, the feed and the sanitizer all see plain text (code stays as typed).
_SMART_PUNCTUATION = {
    "left-single-quote": "\u2018",
    "right-single-quote": "\u2019",
    "left-double-quote": "\u201c",
    "right-double-quote": "\u201d",
    "ndash": "\u2013",
    "mdash": "\u2014",
    "ellipsis": "\u2026",
}


def _markdown_to_html(source: str) -> str:
    return markdown.markdown(
        source,
        extensions=["fenced_code", "tables", "sane_lists", "smarty", "footnotes"],
        extension_configs={
            "tables": {"use_align_attribute": True},
            "smarty": {"substitutions": _SMART_PUNCTUATION},
        },
        output_format="html",
    )


# Steps that run on an article's HTML after bleach, registered by the areas that own them
# (blog.media: pictures, galleries, players; nothing else yet). A step takes the sanitized HTML
# of one part and a dict shared by every part of one body (so "the first image" means the
# article's first) and returns HTML that is still safe: it may only add markup it builds itself
# from escaped values. The foundation keeps no import of the areas this way.
PostHtmlStep = Callable[[str, dict], str]
_post_html_steps: list[PostHtmlStep] = []


def add_post_html_step(step: PostHtmlStep) -> None:
    if step not in _post_html_steps:
        _post_html_steps.append(step)


def _after_sanitizing(html: str, shared: dict) -> str:
    for step in _post_html_steps:
        html = step(html, shared)
    return html


def _render_post_part(source: str, part: int = 0) -> str:
    # A Cleaner is not thread-safe, so each call builds its own.
    cleaner = Cleaner(
        tags=POST_TAGS | _RENAMED_POST_TAGS.keys(),
        attributes=_post_attribute_allowed,
        protocols=POST_PROTOCOLS,
        strip=True,
        strip_comments=True,
        filters=[partial(_PostFilter, part=part)],
    )
    # A numeric reference too long to be a character makes Markdown and bleach fail (int()'s
    # digit limit): such a one is text.
    source = LONG_NUMERIC_REFERENCE_RE.sub("&amp;", source)
    return cleaner.clean(LONG_NUMERIC_REFERENCE_RE.sub("&amp;", _markdown_to_html(source)))


# WordPress's split tags, as the author writes them in the source (kept in body_md). <!--more-->
# may carry a link text ("<!--more Read on-->"), which WordPress shows instead of its own.
_NEXTPAGE_RE = re.compile(r"<!--nextpage-->")
_MORE_RE = re.compile(r"<!--more(.*?)-->", re.DOTALL)
# What the renderer puts between the parts it rendered separately. They are HTML comments, and
# the sanitizer strips every comment from what the author wrote (strip_comments=True), so only
# this module can make one: the rendered HTML is split at them without trusting the author.
MORE_MARK = "<!--blog:more-->"
NEXTPAGE_MARK = "<!--blog:nextpage-->"


def render_post_body(source: str) -> str:
    """Markdown source of an article -> sanitized HTML string (to be cached on the post).

    ``<!--nextpage-->`` splits the source into pages and the first ``<!--more-->`` of a page
    splits that page into the teaser and the rest; each part is rendered on its own and the
    parts are joined with MORE_MARK and NEXTPAGE_MARK (a source without them renders as one)."""
    pages = []
    shared: dict = {}

    rendered = 0  # parts so far: each numbers its Markdown footnotes from 1

    def render(part: str) -> str:
        nonlocal rendered
        html = _after_sanitizing(_render_post_part(part, rendered), shared)
        rendered += 1
        return html

    for page in _NEXTPAGE_RE.split(source):
        parts = _MORE_RE.split(page, maxsplit=1)
        if len(parts) == 3:
            before, _, after = parts
            pages.append(render(before) + MORE_MARK + render(after))
        else:
            pages.append(render(page))
    return NEXTPAGE_MARK.join(pages)


def _post_html(post) -> str:
    """The post's rendered HTML with the marks, from the cache when it is current."""
    if post.body_render_version == POST_RENDER_VERSION and post.body_html:
        return post.body_html
    return render_post_body(post.body_md)


def _cached_or_rendered(row, source: str, version: int, render) -> Markup:
    """A row's cached HTML while it was made by the current renderer, else rendered now."""
    if row.body_render_version == version and row.body_html:
        return Markup(row.body_html)  # noqa: S704 - produced by this module's renderer
    return Markup(render(source))  # noqa: S704 - sanitized just now


def post_page_count(post) -> int:
    """How many <!--nextpage--> pages the post has (1 without any)."""
    return _post_html(post).count(NEXTPAGE_MARK) + 1


def post_body(post, page: int | None = None) -> Markup:
    """The article body as safe markup: page ``page`` of it (1-based), or every page (None, as
    feeds show it). Where <!--more--> stood, an anchor "more-ID" (WordPress's) that the
    listings' "Continue reading" links point at. IndexError past the last page."""
    pages = _post_html(post).split(NEXTPAGE_MARK)
    if page is not None:
        if not 1 <= page <= len(pages):
            raise IndexError(page)
        pages = [pages[page - 1]]
    anchor = f'<span id="more-{int(post.id or 0)}"></span>'
    html = "\n".join(part.replace(MORE_MARK, anchor, 1).replace(MORE_MARK, "") for part in pages)
    return Markup(_with_footnote_ids(html, post))  # noqa: S704 - this module's, marks replaced


def _with_footnote_ids(html: str, post) -> str:
    """The footnote marks replaced by the post's own prefix (see FOOTNOTE_MARK)."""
    return _FOOTNOTE_MARK_RE.sub(rf"\g<1>p{int(post.id or 0)}-", html)


def post_teaser(post) -> Markup | None:
    """The part of the first page before <!--more-->, or None when the first page has none."""
    first = _post_html(post).split(NEXTPAGE_MARK, 1)[0]
    if MORE_MARK not in first:
        return None
    teaser = _with_footnote_ids(first.split(MORE_MARK, 1)[0], post)
    return Markup(teaser)  # noqa: S704 - produced by this module


EXCERPT_WORDS = 55  # WordPress's excerpt_length


def post_text_excerpt(post, words: int = EXCERPT_WORDS) -> str:
    """The first ``words`` words of the first page as plain text (WordPress's automatic
    excerpt), "…" after a cut one. Plain text: the template escapes it."""
    first = _post_html(post).split(NEXTPAGE_MARK, 1)[0].replace(MORE_MARK, " ")
    text = Markup(first).striptags()  # noqa: S704 - only read as text here
    found = text.split()
    if len(found) <= words:
        return " ".join(found)
    return " ".join(found[:words]) + " [\u2026]"


def refresh_post_html(post) -> None:
    """Recompute the cached HTML of a post from its Markdown source."""
    post.body_html = render_post_body(post.body_md)
    post.body_render_version = POST_RENDER_VERSION


# --- Reader comments -----------------------------------------------------------------------------
#
# A comment is stored as the text the reader typed: a small Markdown subset (emphasis, links,
# code, quotes, lists) with optional inline HTML, as on WordPress; the HTML below is a cache of it.
# Only a small inline allow-list of typed tags survives, plus the blocks the Markdown makes.

# Bump when the allow-lists, the link rules, the paragraph rules or the Markdown subset change.
# 2: links whose address was dropped or is not a valid URL are unwrapped (their text kept),
# href/cite must be valid URLs (check_link_url), not only begin with a safe scheme, and
# <acronym> and <strike> (obsolete in HTML) are written as <abbr> and <s>.
# 3: comments are Markdown (markdown-it-py, COMMENT_MARKDOWN_RULES): *emphasis*, **strong**,
# [links](https://...), `code` and fenced code, > quotes and lists; paragraphs and line breaks are
# made by the Markdown parser instead of an html5lib filter; typed <ul>, <ol>, <li> and <pre> are
# dropped like other tags outside COMMENT_TAGS.
COMMENT_RENDER_VERSION = 3

# Tags a reader may type. <p> and <br> are not among them: a typed <p> counts as a blank line and
# a typed <br> as a line break, other tags are dropped (block-level ones leave a line break, as
# bleach would), and the <p>, <br>, lists and code blocks in the output are made by Markdown alone.
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
# What the Markdown subset makes besides the typed tags: the sanitizer lets these through, but
# _prepare_comment_text drops them when typed, so a reader cannot write <ul> or <pre> directly.
_MARKDOWN_TAGS = frozenset(
    {"p", "br", "ul", "ol", "li", "pre", "code", "blockquote", "em", "strong"}
)
_RENDERED_COMMENT_TAGS = COMMENT_TAGS | _MARKDOWN_TAGS
_RENDERED_COMMENT_ATTRIBUTES = {**COMMENT_ATTRIBUTES, "ol": frozenset({"start"})}
# The markdown-it rules on top of the "zero" preset (paragraphs and text). Not headings (a line
# starting "#" stays text), images, tables, horizontal rules, indented code, reference
# definitions, autolinks (<https://...>), entities (an "&" shows as typed) nor HTML blocks: the
# typed inline HTML goes through html_inline and then the allow-list.
COMMENT_MARKDOWN_RULES = (
    "blockquote", "list", "fence", "newline", "escape", "backticks", "emphasis", "link",
    "html_inline",
)  # fmt: skip

# html5lib (inside bleach) is pure Python and has two costs that grow with the square of the input:
# the tree builder with the nesting of tags (and it re-creates "formatting elements" such as <b>
# after a block closes them), and the tokenizer with the number of attributes of one tag. So a
# comment is shown at most this many allowed tags, and no tag with more than this many attributes;
# _prepare_comment_text drops the rest of the tags (their text stays).
MAX_COMMENT_TAGS = 400
MAX_COMMENT_TAG_ATTRIBUTES = 32
# The same holds for the elements Markdown makes, and a list item, a code block or a link costs
# html5lib far more than its text (a comment of 9,000 list items took 250 times as long as plain
# text of its size), and markdown-it-py's link rule is slow over thousands of "[". A comment
# with more Markdown elements than this, or more "[", is shown as text with its paragraphs,
# line breaks and typed tags, without Markdown (a real comment has far fewer).
MAX_COMMENT_MARKDOWN_ELEMENTS = 500

# Beyond bleach's own protocol check, a URL attribute must *literally* begin with its scheme: no
# leading space, no entity, control or invisible character in the scheme, no relative URL (which
# would point into this site, e.g. at an admin action).
_SAFE_URL_RE = re.compile(r"(?:https?://|mailto:)", re.IGNORECASE)
_URL_ATTRIBUTES = frozenset({"href", "cite"})

# Bare URLs that are linked: ones that start with http(s):// or www. (not bleach's default, which
# also links "example.py" or "readme.md" and backtracks a lot on long inputs). The last character
# may not be sentence punctuation; bleach itself strips a trailing ")" if unbalanced, "," or ".".
# In text, "<" and "&" reach bleach encoded with _ESCAPE (see _prepare_comment_text): an encoded
# "<" ends a URL, as "<" does, and an encoded "&" or _ESCAPE does not.
# "_" and "*" inside a bare URL are encoded too (as _ESCAPE + "3" and "4"), so that Markdown
# does not read "https://example.org/__init__.py" as strong emphasis.
_ESCAPE = "\ue000"  # a private-use character
# _ESCAPE + "5" is nothing: it holds an otherwise empty line open (see _prepare_comment_text).
_ESCAPED = {"0": _ESCAPE, "1": "&lt;", "2": "&amp;", "3": "_", "4": "*", "5": ""}
_ESCAPED_RE = re.compile(_ESCAPE + "([0-5])")
_COMMENT_URL_RE = re.compile(
    r"""\b(?:https?://|www\.)
    (?:[^\s<>"`{}|\\^\ue000]|\ue000[0234])*
    (?:[^\s<>"`{}|\\^\ue000.,:;!?'*]|\ue000[023])""",
    re.IGNORECASE | re.VERBOSE,
)
# What the escapes stand for in a Markdown link's address (text, not yet HTML).
_UNESCAPED_IN_URL = {**_ESCAPED, "1": "<", "2": "&"}

# One or more empty (or blank) lines: a paragraph break.
_BLANK_LINES_RE = re.compile(r"\n(?:[ \t\f]*\n)+")

# What follows a "<" for html5lib's tokenizer, as bleach runs it. With strip=True bleach turns a
# disallowed tag into text before html5lib's tree builder sees it, so the tokenizer never enters
# the RCDATA/RAWTEXT/script states (a <script> or <textarea> does not swallow what follows), and
# there is no foreign content (<svg>, <math>) where CDATA would count.
_MARKUP_START_RE = re.compile(
    r"""<(?:
        (?P<tag>/?[A-Za-z][^\t\n\f />]*+)   # a start or end tag, and its name
      | (?P<comment>!--)
      | (?P<bogus>[!?/])                    # bogus comment, doctype or "</>": up to the next ">"
    )""",
    re.VERBOSE,
)
# One attribute of a tag (html5lib's attribute states), or the end of the tag.
_ATTRIBUTE_RE = re.compile(
    r"""[\t\n\f /]*+
    (?: (?P<end>>|\Z)
      | (?P<name>[^\t\n\f />][^\t\n\f /=>]*+)
        (?:[\t\n\f ]*+=[\t\n\f ]*+(?P<value>"[^"]*+"?|'[^']*+'?|[^\t\n\f >]*+))?+
    )""",
    re.VERBOSE,
)
# The rest of a comment after "<!--" (html5lib ends one at "-->", "--!>", "<!-->" or "<!--->").
_COMMENT_END_RE = re.compile(r"-?>|.*?--!?>", re.DOTALL)
# The control characters bleach shows as "?" in text. html5lib reports each of them, and each of the
# other code points it calls invalid, as a parse error, which is slow; so they are replaced before
# parsing (in attribute values too), the others by U+FFFD.
_CONTROL_CHARACTERS_RE = re.compile("[\x01-\x08\x0b\x0e-\x1f]")
_INVALID_CODE_POINTS_RE = re.compile(
    "[\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff\ud800-\udfff"
    + "".join(chr(plane << 16 | 0xFFFE) + chr(plane << 16 | 0xFFFF) for plane in range(1, 17))
    + "]"
)
# A numeric character reference that long is no character; bleach would take quadratic time over
# it, and over 4300 decimal digits int() raises ValueError when it decodes one in an attribute.
LONG_NUMERIC_REFERENCE_RE = re.compile(r"&(?=#[xX]?[0-9a-fA-F]{16})")


# --- Web addresses (a commenter's website, the links in a comment) ---------------------------
#
# One check, made with rfc3986 (the RFC's grammar) and idna (IDNA 2008 / UTS 46 host names), for
# every website a person types or a file brings (the comment forms, the admin's comment edit,
# import-wxr, restore) and for the links inside comments, so that no page ever carries an address
# the browser or the Nu checker would call broken. The hand-written urllib check it replaces took
# "https://exa mple.org".

WEB_ADDRESS_MAX = 200  # Comment.author_url; WordPress's limit
BAD_WEB_ADDRESS = "Enter a web address starting with http:// or https://."
WEB_ADDRESS_SPACES = "A web address cannot contain spaces."
WEB_ADDRESS_CHARACTERS = (
    'A web address cannot contain invisible characters or a backslash, nor any of < > " { } | ^ `'
    " in the site name."
)
WEB_ADDRESS_HOST = (
    "Check the site name after http:// or https://: it is not a valid host name "
    "(letters, digits and hyphens, no hyphen at the start or end of a part, parts of at most "
    "63 characters)."
)
WEB_ADDRESS_PORT = "The port after the site name must be a number from 1 to 65535."
WEB_ADDRESS_CREDENTIALS = (
    "Leave out the user name and password (the part before @): the address is shown to everyone."
)
WEB_ADDRESS_TOO_LONG = f"Use at most {WEB_ADDRESS_MAX} characters for the website."

_FORBIDDEN_URL_CHARACTERS = frozenset('<>"{}|\\^`')
# A DNS name of letters, digits and hyphens: labels of 1-63, no hyphen at either end, none
# starting "xn--" (those are checked as punycode by IDNA).
_PLAIN_HOST_RE = re.compile(
    r"(?![xX][nN]--)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(?:\.(?![xX][nN]--)(?!-)[A-Za-z0-9-]{1,63}(?<!-))*",
    re.ASCII,
)
_URL_VALIDATOR = (
    rfc3986.validators.Validator()
    .require_presence_of("scheme", "host")
    .allow_schemes("http", "https")
    .check_validity_of("scheme", "host", "port", "path", "query", "fragment")
)


def _invisible(char: str) -> bool:
    """Control and format characters (zero-width, direction marks), surrogates, unassigned code
    points and noncharacters: never part of an address (private-use characters may be)."""
    return unicodedata.category(char) in ("Cc", "Cf", "Cs", "Cn")


class WebAddressError(ValueError):
    """A typed or imported web address that cannot be used; its message is for the person."""


def check_web_address(value: str, max_length: int = WEB_ADDRESS_MAX) -> str:
    """``value`` (an http(s) URL) in the form it is stored and rendered, or WebAddressError.

    The stored form is rfc3986's normalisation: scheme and host in lower case, an international
    host name in its ASCII (punycode) form ("https://bücher.de" -> "https://xn--bcher-kva.de",
    which shows the reader the real name, not a look-alike), characters outside ASCII in the path
    percent-encoded, dot segments resolved. The admin and the public page show that same string.
    Refused: other schemes, spaces and characters URLs cannot hold, a user name or password
    (secrets shown to everyone, and the "https://bank.example@evil.example" trick), a host that is
    not a valid DNS name, IPv4 or bracketed IPv6 address, a port outside 1-65535.
    """
    if not isinstance(value, str) or not value:
        raise WebAddressError(BAD_WEB_ADDRESS)
    if any(char.isspace() for char in value):
        raise WebAddressError(WEB_ADDRESS_SPACES)
    if "\\" in value or any(map(_invisible, value)):
        raise WebAddressError(WEB_ADDRESS_CHARACTERS)
    scheme, separator, rest = value.partition("://")
    if not separator or scheme.lower() not in ("http", "https"):
        raise WebAddressError(BAD_WEB_ADDRESS)
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority, tail = rest[:end], rest[end:]
    if "@" in authority:
        raise WebAddressError(WEB_ADDRESS_CREDENTIALS)
    if _FORBIDDEN_URL_CHARACTERS.intersection(authority):
        raise WebAddressError(WEB_ADDRESS_CHARACTERS)
    # After the host they are percent-encoded, as a browser sends them ("?a=\"b" -> "?a=%22b").
    tail = "".join(
        f"%{ord(char):02X}" if char in _FORBIDDEN_URL_CHARACTERS else char for char in tail
    )
    host, port = _split_authority(authority)
    netloc = _ascii_host(host) + (f":{port}" if port is not None else "")
    uri = rfc3986.uri_reference(f"{scheme.lower()}://{netloc}{tail}").normalize()
    try:
        _URL_VALIDATOR.validate(uri)
    except rfc3986.exceptions.ValidationError:
        raise WebAddressError(BAD_WEB_ADDRESS) from None
    result = uri.unsplit()
    if len(result) > max_length:
        raise WebAddressError(WEB_ADDRESS_TOO_LONG)
    return result


def _split_authority(authority: str) -> tuple[str, int | None]:
    """``host[:port]`` -> (host, port or None); a bracketed IPv6 host keeps its brackets."""
    if authority.startswith("["):
        close = authority.find("]")
        if close < 0:
            raise WebAddressError(WEB_ADDRESS_HOST)
        host, after = authority[: close + 1], authority[close + 1 :]
        if after and not after.startswith(":"):
            raise WebAddressError(WEB_ADDRESS_HOST)
        port_text = after[1:] if after else None
    else:
        host, colon, port_text = authority.partition(":")
        port_text = port_text if colon else None
    if not port_text:  # "example.org:" means the default port
        return host, None
    if not (port_text.isascii() and port_text.isdigit()) or not 0 < int(port_text) <= 65535:
        raise WebAddressError(WEB_ADDRESS_PORT)
    return host, int(port_text)


def _ascii_host(host: str) -> str:
    """A host as it goes into the URL: an IP address, or a DNS name in ASCII (IDNA)."""
    if host.startswith("["):
        try:
            return f"[{ipaddress.IPv6Address(host[1:-1]).compressed}]"
        except ValueError:
            raise WebAddressError(WEB_ADDRESS_HOST) from None
    if host and all(char.isdigit() or char == "." for char in host):
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            raise WebAddressError(WEB_ADDRESS_HOST) from None
    name = host[:-1] if host.endswith(".") else host  # a fully qualified "example.org."
    if _PLAIN_HOST_RE.fullmatch(name) and len(name) <= 253:
        # Letters, digits and hyphens only: what IDNA would give back, lower-cased, without its
        # cost (a comment of a few thousand links checks each one). Punycode ("xn--") and any
        # other character go through IDNA.
        return name.lower()
    try:
        return idna.encode(name, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        raise WebAddressError(WEB_ADDRESS_HOST) from None


@lru_cache(maxsize=4096)
def shown_website(value: str) -> str:
    """A stored website as the pages show it (the ``website`` template filter): its normalised
    form, or "" when it is not a web address (a row stored before the check, or written some
    other way), so no page ever carries a broken link. Cached: a page of comments repeats few."""
    try:
        return check_web_address(value or "", COMMENT_MAX_URL)
    except WebAddressError:
        return ""


def check_link_url(value: str) -> bool:
    """Whether a URL in a comment (an ``href`` or ``cite``, entities already decoded) is one a
    link may carry: an http(s) address that check_web_address takes (longer ones too), or a
    mailto: without spaces or characters URLs cannot hold."""
    value = value.strip()
    if _FORBIDDEN_URL_CHARACTERS.intersection(value):  # kept as typed in the href
        return False
    if value[:7].lower() == "mailto:":
        address = value[7:]
        return (
            bool(address)
            and not any(map(_invisible, address))
            and not any(char.isspace() for char in address)
            and not _FORBIDDEN_URL_CHARACTERS.intersection(address)
        )
    if _BAD_PERCENT_RE.search(value):  # kept as typed in the href, so not normalised away
        return False
    try:
        check_web_address(value, max_length=COMMENT_MAX_URL)
    except WebAddressError:
        return False
    return True


COMMENT_MAX_URL = 2048
_BAD_PERCENT_RE = re.compile("%(?![0-9A-Fa-f]{2})")


def _comment_attribute_allowed(tag: str, name: str, value: str) -> bool:
    if name not in _RENDERED_COMMENT_ATTRIBUTES.get(tag, ()):
        return False
    if name == "start":  # a Markdown list's first number; CommonMark allows nine digits
        return value.isascii() and value.isdigit() and len(value) <= 9
    if name not in _URL_ATTRIBUTES:
        return True
    # bleach passes the value as typed (entities not decoded); it checks the protocol itself too.
    # The address must also be a valid URL: a browser would not follow "https://exa mple.org",
    # and the Nu checker calls the page invalid.
    return _SAFE_URL_RE.match(value) is not None and check_link_url(html_unescape(value))


_OBSOLETE_TAGS = {"acronym": "abbr", "strike": "s"}


class _UnwrapFilter(Filter):
    """html5lib filter, run right after bleach's sanitizer: an ``<a>`` left without an ``href``
    (it was dropped: a bad scheme, an unparsable address) is unwrapped, its content kept. An
    ``<a>`` without href is only a placeholder, and with the rel every link gets it is invalid
    HTML. The walk of the parsed tree is balanced, so each end tag is matched to its start tag.
    ``<acronym>`` and ``<strike>``, which WordPress allows and HTML no longer has, are written
    as ``<abbr>`` and ``<s>``."""

    def __iter__(self):
        dropped: list[bool] = []
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EndTag") and token["name"] in _OBSOLETE_TAGS:
                token = {**token, "name": _OBSOLETE_TAGS[token["name"]]}
            if token["type"] == "StartTag" and token["name"] == "a":
                unwrap = (None, "href") not in (token.get("data") or {})
                dropped.append(unwrap)
                if unwrap:
                    continue
            elif token["type"] == "EndTag" and token["name"] == "a" and dropped and dropped.pop():
                continue
            yield token


def _set_link_rel(attrs: dict, new: bool = False) -> dict | None:
    """Linkify callback, run for typed links and made links alike: one fixed rel on every link.
    A bare URL that is not a valid address (``http://[::1``, a port past 65535) stays text."""
    href = attrs.get((None, "href"), "")
    # A made link's href is the text, still encoded (see _prepare_comment_text).
    href = _ESCAPED_RE.sub(lambda match: _ESCAPED[match.group(1)], href)
    if new and not check_link_url(html_unescape(href)):
        return None
    attrs[(None, "rel")] = COMMENT_LINK_REL
    return attrs


def _prepare_comment_text(text: str) -> str:
    """Bound the parser's work, and settle what typed text means, before Markdown and bleach.

    It walks the text as html5lib's tokenizer would (see _MARKUP_START_RE), so that it knows which
    "<" start tags and how many attributes each has, and then
    - drops a tag with more than MAX_COMMENT_TAG_ATTRIBUTES attributes, any allowed tag past the
      first MAX_COMMENT_TAGS, and every tag outside COMMENT_TAGS (a block-level one leaves a line
      break, as bleach would), so only allowed tags reach the Markdown parser and <ul> or <pre>
      cannot be typed, only made by Markdown;
    - writes each allowed tag in one canonical form that Markdown's inline HTML rule always
      recognizes: ``<b>``/``</b>`` bare, or with its allowed attributes double-quoted (a value's
      line breaks as references, so that a tag never spans lines and cannot end a paragraph or
      start a list item); html5lib only caps copies of *identical* formatting elements;
    - writes "\n" for a typed <br> (eating one line break after it) and "\n\n" for <p> or </p>;
      puts a typed <blockquote> between blank lines (a block of its own), and writes a blank line
      inside a typed inline element as a line holding only _ESCAPE + "5" (nothing, once
      rendered), so that it makes two line breaks rather than a new paragraph;
    - drops comments and declarations, and shows a tag that the end of the text cuts off as text;
    - makes "&" and a literal "<" in text stand for themselves, so that "&lt;" typed as text shows
      as "&lt;", as typed (and neither Markdown nor html5lib reads them): they are encoded as
      _ESCAPE + "1" and _ESCAPE + "2" (and _ESCAPE itself as _ESCAPE + "0"), which render_comment
      decodes to "&lt;", "&amp;" and _ESCAPE after serializing; "_" and "*" inside a bare URL
      likewise, as _ESCAPE + "3" and "4", so that Markdown does not take them for emphasis.
      Inside a tag, where "&amp;" is markup and means "&", only _ESCAPE is touched, written as the
      reference "&#xe000;", and the "&" of a numeric reference too long to be a character, written
      as "&amp;".
    It only ever removes markup or writes line breaks, canonical allowed tags or encoded text, so
    it cannot make anything the sanitizer after it would not deal with, and no "<" or "&" of the
    text reaches Markdown or bleach.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "")
    text = _CONTROL_CHARACTERS_RE.sub("?", text)
    text = _INVALID_CODE_POINTS_RE.sub("\ufffd", text)
    out: list[str] = []
    allowed_tags = 0
    open_inline: dict[str, int] = {}  # typed inline elements open here, by name
    pos = 0

    def add_text(data: str, code: bool = False) -> None:
        data = data.replace(_ESCAPE, _ESCAPE + "0")
        data = data.replace("<", _ESCAPE + "1").replace("&", _ESCAPE + "2")
        data = _COMMENT_URL_RE.sub(_protect_url, data)
        if not code and any(open_inline.values()):
            # A blank line inside a typed <b> or <a>: two line breaks, the element stays whole
            # (a new paragraph would make html5lib re-open it there: a link would become two).
            data = _BLANK_LINES_RE.sub("\n" + _ESCAPE + "5\n", data)
        out.append(data)

    code_spans = _COMMENT_CODE_RE.finditer(text)
    code = next(code_spans, None)
    while (lt := text.find("<", pos)) >= 0:
        while code is not None and code.end() <= lt:
            code = next(code_spans, None)
        if code is not None and code.start() <= lt:
            # In code, "<" is text: "`<b>`" shows <b>. Where the guess is wrong, that text
            # shows as typed too.
            add_text(text[pos : code.end()], code=True)
            pos = code.end()
            continue
        add_text(text[pos:lt])
        start = _MARKUP_START_RE.match(text, lt)
        if start is None:  # "<" followed by anything else is text
            add_text("<")
            pos = lt + 1
        elif start.group("comment"):
            end = _COMMENT_END_RE.match(text, start.end())
            pos = end.end() if end else len(text)
        elif start.group("bogus"):
            end = text.find(">", start.end())
            if end < 0:
                end = len(text)
            pos = min(end + 1, len(text))
            # bleach shows "</3 ..." (a bogus comment to html5lib) and a final "</" as text,
            # unless it reads as an allowed tag ("</ b>"); it drops "</>", the other bogus
            # comments and doctypes.
            content = text[lt + 2 : end]
            shown = start.group("bogus") == "/" and (content or end == len(text))
            if shown and content.strip().lower() not in COMMENT_TAGS:
                add_text(text[lt:pos])
        else:
            closing = start.group("tag").startswith("/")
            name = start.group("tag").lstrip("/").lower()
            pos, attributes = start.end(), []
            while (attribute := _ATTRIBUTE_RE.match(text, pos)) and attribute.group("end") is None:
                pos = attribute.end()
                attributes.append((attribute.group("name"), attribute.group("value")))
            pos = attribute.end()
            allowed_tags += name in COMMENT_TAGS
            if not attribute.group("end"):
                # Cut off by the end of the text: shown as text (bleach shows most such as text,
                # but with entities decoded, and slowly for a long numeric one).
                add_text(text[lt:])
            elif len(attributes) > MAX_COMMENT_TAG_ATTRIBUTES:
                pass  # dropped
            elif name == "br":
                out.append("\n")
                if text.startswith("\n", pos):
                    pos += 1
            elif name == "p":
                out.append("\n\n")
            elif name not in COMMENT_TAGS:
                if name in HTML_TAGS_BLOCK_LEVEL:
                    out.append("\n")
            elif allowed_tags > MAX_COMMENT_TAGS:
                pass  # dropped
            elif name == "blockquote":
                # A typed quote is a block of its own, its text in paragraphs (as before Markdown).
                tag = "</blockquote>" if closing else _canonical_tag(name, attributes)
                out.append(f"\n\n{tag}\n\n")
            elif closing:
                if open_inline.get(name):
                    open_inline[name] -= 1
                out.append(f"</{name}>")
            else:
                open_inline[name] = open_inline.get(name, 0) + 1
                out.append(_canonical_tag(name, attributes))
    add_text(text[pos:])
    return "".join(out)


# Where Markdown will most likely see code: a fenced block (up to its closing fence or the end)
# or a code span within one line. Only a guess, used to keep tags in code as text; it need not
# match Markdown exactly, since either way the text is safe. Linear: no span holds a backtick.
_COMMENT_CODE_RE = re.compile(
    r"""^[ ]{0,3}(?P<fence>`{3,}|~{3,})[^\n]*(?:\n.*?(?:^[ ]{0,3}(?P=fence)[`~]*[ \t]*$|\Z)|\Z)
    | (?<!`)(?P<ticks>`+)(?!`)[^`\n]+(?<!`)(?P=ticks)(?!`)""",
    re.MULTILINE | re.DOTALL | re.VERBOSE,
)


def _protect_url(match: re.Match) -> str:
    return match.group().replace("_", _ESCAPE + "3").replace("*", _ESCAPE + "4")


_ATTRIBUTE_VALUE_ESCAPES = str.maketrans(
    {'"': "&quot;", "\n": "&#10;", "\t": "&#9;", "\f": "&#12;", _ESCAPE: "&#xe000;"}
)


def _canonical_tag(name: str, attributes: list[tuple[str, str | None]]) -> str:
    """An allowed start tag with only its allowed attributes (the first of each name, as
    html5lib keeps), each double-quoted. A value keeps its HTML meaning ("&amp;" is "&")."""
    kept: dict[str, str] = {}
    for attribute, value in attributes:
        attribute = attribute.lower()
        if attribute in kept or attribute not in COMMENT_ATTRIBUTES.get(name, ()):
            continue
        value = value or ""
        if value[:1] in ("'", '"'):
            value = value[1:-1]
        value = LONG_NUMERIC_REFERENCE_RE.sub("&amp;", value)
        kept[attribute] = value.translate(_ATTRIBUTE_VALUE_ESCAPES)
    return "<" + name + "".join(f' {key}="{value}"' for key, value in kept.items()) + ">"


# Markdown's line break after a block tag. It is taken out before parsing: html5lib would wrap
# it in the inline elements a paragraph left open ("<b>a\n\nb</b>"); _BlockFilter puts it back.
_BLOCK_NEWLINE_RE = re.compile(r"(</?(?:p|ul|ol|li|blockquote|pre)(?: [^>]*)?>)\n")
_BLOCK_TAGS = frozenset({"p", "ul", "ol", "li", "blockquote", "pre"})


class _BlockFilter(Filter):
    """html5lib filter, run last, on sanitized tokens: line breaks, and tidy blocks.

    - A line break in text (outside <pre>) becomes <br>. Markdown leaves them as text rather
      than writing <br> (see _comment_markdown), so that thousands of lines do not cost html5lib
      thousands of tags to parse; the reader's text stays in Characters tokens, which the
      serializer escapes, so this cannot turn any of it into markup.
    - A paragraph left empty is dropped (a typed <blockquote> inside a Markdown paragraph
      splits it when parsed, and the parser leaves an empty <p> on either side), and so is
      whitespace at the start of a paragraph.
    - A line break follows each block's end and each list's or quote's start, but the last.
    """

    def __iter__(self):
        held: dict | None = None  # a <p> start tag, until something shows inside it
        pending = False
        in_pre = 0
        for token in super().__iter__():
            kind, name = token["type"], token.get("name")
            if kind in ("Characters", "SpaceCharacters"):
                if not token["data"] or (held is not None and token["data"].isspace()):
                    continue  # bleach ends with an empty one
            elif held is not None and kind == "EndTag" and name == "p":
                held = None
                continue
            if pending:
                yield {"type": "Characters", "data": "\n"}
                pending = False
            if held is not None:
                yield held
                held = None
            if kind == "StartTag" and name == "p":
                held = token
                continue
            if kind in ("Characters", "SpaceCharacters") and not in_pre and "\n" in token["data"]:
                lines = token["data"].split("\n")
                for line in lines[:-1]:
                    if line:
                        yield {"type": "Characters", "data": line}
                    yield {"type": "EmptyTag", "name": "br", "data": {}}
                    yield {"type": "Characters", "data": "\n"}
                if lines[-1]:
                    yield {"type": "Characters", "data": lines[-1]}
                continue
            in_pre += (kind == "StartTag" and name == "pre") - (kind == "EndTag" and name == "pre")
            yield token
            pending = (kind == "EndTag" and name in _BLOCK_TAGS) or (
                kind == "StartTag" and name in ("ul", "ol", "blockquote")
            )


def _made_elements(tokens) -> int:
    """How many elements the Markdown makes, paragraphs and line breaks aside."""
    made = 0
    for token in tokens:
        if token.type == "inline":
            made += sum(
                child.nesting == 1 or child.type == "code_inline" for child in token.children
            )
        elif (token.nesting == 1 and token.type != "paragraph_open") or token.type == "fence":
            made += 1
    return made


@lru_cache(maxsize=1)
def _plain_comment_markdown() -> MarkdownIt:
    """Paragraphs, line breaks and the typed tags, without Markdown: for a comment past
    MAX_COMMENT_MARKDOWN_ELEMENTS."""
    return MarkdownIt("zero", {"html": True}).enable(["html_inline"])


@lru_cache(maxsize=1)
def _comment_markdown() -> MarkdownIt:
    """The Markdown parser for comments: the "zero" preset and COMMENT_MARKDOWN_RULES. A single
    line break stays a line break, as in comments written before Markdown (what breaks=True
    does, but made by _BlockFilter). The parser keeps no state between renders, so threads
    share it."""
    md = MarkdownIt("zero", {"html": True}).enable(list(COMMENT_MARKDOWN_RULES))
    # A line break is written as one, a hard break ("  " or "\\" at the end of a line) too:
    # _BlockFilter makes both <br> after sanitizing.
    md.add_render_rule("hardbreak", lambda self, tokens, i, options, env: "\n")
    normalize_link = md.normalizeLink

    def normalize_encoded_link(url: str) -> str:
        # The address of [text](address) is text that _prepare_comment_text encoded.
        return normalize_link(_ESCAPED_RE.sub(lambda match: _UNESCAPED_IN_URL[match[1]], url))

    md.normalizeLink = normalize_encoded_link
    # Text as html5lib would serialize it: quotes stay quotes ("&quot;" would stay in the output).
    md.add_render_rule(
        "text", lambda self, tokens, i, options, env: _escape_text(tokens[i].content)
    )
    md.add_render_rule(
        "code_inline",
        lambda self, tokens, i, options, env: f"<code>{_escape_text(tokens[i].content)}</code>",
    )
    md.add_render_rule(  # the info string ("```python") is dropped: no class is allowed
        "fence",
        lambda self, tokens, i, options, env: (
            f"<pre><code>{_escape_text(tokens[i].content)}</code></pre>\n"
        ),
    )
    return md


def _escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_comment(text: str) -> str:
    """A reader's comment text -> sanitized HTML string (to be cached on the comment).

    After _prepare_comment_text, markdown-it-py makes HTML of the Markdown subset, with the
    (canonical, allowed) typed tags passed through as inline HTML, and then one parse does the
    rest: bleach parses that HTML with html5lib, its sanitizer drops every tag and attribute
    outside the allow-lists and every URL that is not http(s)/mailto, _UnwrapFilter unwraps links
    left without one, LinkifyFilter links bare URLs and gives every link the same rel, and
    _BlockFilter drops the empty paragraphs that typed blocks leave. Markdown runs
    before the sanitizer and produces nothing that the sanitizer does not check.

    Text reads back exactly as typed, but for the Markdown it holds: no Unicode normalization,
    no URL decoding, and a character reference typed as text is text ("&lt;b&gt;" shows as
    "&lt;b&gt;"; left to itself bleach would show "<b>"). Inside a tag, attribute values keep
    their HTML meaning ("&amp;" in an href is "&"). The exceptions: NUL is dropped, other C0
    control characters but tab, form feed and line breaks show as "?" (as bleach does in text), C1
    controls, noncharacters and lone surrogates as U+FFFD, a backslash before ASCII punctuation is
    Markdown's escape, and leading whitespace of a line, which HTML would not show anyway, is
    dropped.
    """
    prepared = _prepare_comment_text(text)
    md, env = _comment_markdown(), {}
    tokens = (
        md.parse(prepared, env) if prepared.count("[") <= MAX_COMMENT_MARKDOWN_ELEMENTS else None
    )
    if tokens is None or _made_elements(tokens) > MAX_COMMENT_MARKDOWN_ELEMENTS:
        md = _plain_comment_markdown()
        tokens = md.parse(prepared, env)
    html = md.renderer.render(tokens, md.options, env)
    html = _BLOCK_NEWLINE_RE.sub(r"\1", html)
    html = _comment_cleaner().clean(html).rstrip("\n")
    return _ESCAPED_RE.sub(lambda match: _ESCAPED[match.group(1)], html)


_per_thread = threading.local()


def _comment_cleaner() -> Cleaner:
    """This thread's comment Cleaner. A Cleaner keeps its parser's state while it cleans, so
    threads must not share one; one after another they may (each clean starts a new parse, and
    the filters are made anew for it). Building one for every comment was a fifth of the cost of
    sanitizing it."""
    cleaner = getattr(_per_thread, "comment_cleaner", None)
    if cleaner is None:
        cleaner = _per_thread.comment_cleaner = Cleaner(
            tags=_RENDERED_COMMENT_TAGS,
            attributes=_comment_attribute_allowed,
            protocols=COMMENT_PROTOCOLS,
            strip=True,
            strip_comments=True,
            filters=[
                _UnwrapFilter,
                partial(
                    LinkifyFilter,
                    callbacks=[_set_link_rel],
                    skip_tags={"code"},
                    parse_email=False,
                    url_re=_COMMENT_URL_RE,
                ),
                _BlockFilter,
            ],
        )
    return cleaner


def comment_body(comment) -> Markup:
    """The comment body as safe markup, from the cache when it is current."""
    return _cached_or_rendered(comment, comment.body, COMMENT_RENDER_VERSION, render_comment)


def render_comment_preview(text: str) -> Markup:
    """A comment as it will be published (the reader's Preview button), not cached."""
    return Markup(render_comment(text))  # noqa: S704 - sanitized just now


def refresh_comment_html(comment) -> None:
    """Recompute the cached HTML of a comment from its text."""
    comment.body_html = render_comment(comment.body)
    comment.body_render_version = COMMENT_RENDER_VERSION


def render_post_preview(source: str) -> Markup:
    """The admin's live preview: the same rendering readers get, without caching; where the
    source splits into pages, a rule."""
    html = render_post_body(source).replace(MORE_MARK, "")
    html = html.replace(NEXTPAGE_MARK, '<hr class="nextpage">')
    html = _FOOTNOTE_MARK_RE.sub(r"\g<1>preview-", html)
    return Markup(html)  # noqa: S704 - sanitized just now
