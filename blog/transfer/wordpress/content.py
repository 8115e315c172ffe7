"""WordPress HTML -> what our posts and comments store.

A post's HTML becomes the post's Markdown source: WordPress HTML is already valid Markdown input
once every paragraph is an HTML block (Markdown passes raw HTML blocks through untouched, so a
``*`` or an indented line in the text is not reinterpreted). It then goes through the same post
sanitizer as any article. Nothing here makes anything safe; it only reshapes.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from .media import ALIGNMENTS, Converted, convert_blocks

# Gutenberg's block delimiters (<!-- wp:paragraph {...} --> and <!-- /wp:paragraph -->) and the
# classic editor's <!--noteaser-->: dropped.
_EDITOR_COMMENT_RE = re.compile(r"<!--\s*(?:/?wp:|noteaser\b).*?-->", re.DOTALL)
# <!--more-->, <!--more Read on--> and <!--nextpage-->: kept, each as a block of its own, written
# as WordPress writes them (the reader side splits the source at them, blog.sanitize).
_SPLIT_MARKER_RE = re.compile(r"<!--\s*(more\b.*?|nextpage\b\s*)-->", re.DOTALL)
_MARKER_RE = re.compile(r"<!--(?:more\b.*?|nextpage)-->", re.DOTALL)
# Titles, names and excerpts: every comment goes (the split markers too).
_ANY_EDITOR_COMMENT_RE = re.compile(
    r"<!--\s*(?:/?wp:|more\b|nextpage\b|noteaser\b).*?-->", re.DOTALL
)

# [caption id="" align="" width="" caption="..."]<a><img></a> Caption text[/caption]
_CAPTION_RE = re.compile(r"\[caption\b([^\]]*)\](.*?)\[/caption\]", re.DOTALL | re.IGNORECASE)
_CAPTION_ATTRIBUTE_RE = re.compile(r"""\bcaption=(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_CAPTION_ALIGN_RE = re.compile(r"""\balign=(?:"([^"]*)"|'([^']*)'|(\w+))""", re.IGNORECASE)
_CAPTION_IMAGE_RE = re.compile(
    r"^\s*((?:<a\b[^>]*>\s*)?<img\b[^>]*>(?:\s*</a>)?)(.*)$", re.DOTALL | re.IGNORECASE
)
# [embed]URL[/embed]: the URL alone on its line (our renderer makes a card or a link of it).
_EMBED_RE = re.compile(r"\[embed\b[^\]]*\]\s*(\S+?)\s*\[/embed\]", re.IGNORECASE)
# Shortcodes that only make sense with WordPress behind them: dropped (gallery, audio and video
# are converted before this runs: blog.transfer.wordpress.blocks).
_CORE_SHORTCODE_RE = re.compile(r"\[/?(?:playlist|embed)\b[^\]]*\]", re.IGNORECASE)

# Block-level tags: wpautop never wraps them in <p>, and each starts its own chunk.
_BLOCK = (
    r"address|article|aside|blockquote|dd|details|div|dl|dt|figcaption|figure|footer|form|"
    r"h[1-6]|header|hr|li|ol|p|pre|section|summary|table|tbody|td|tfoot|th|thead|tr|ul"
)
_BLOCK_OPEN_RE = re.compile(rf"(<(?:{_BLOCK})\b[^>]*>)", re.IGNORECASE)
_BLOCK_CLOSE_RE = re.compile(rf"(</(?:{_BLOCK})\s*>)", re.IGNORECASE)
_STARTS_WITH_BLOCK_RE = re.compile(rf"</?(?:{_BLOCK})\b", re.IGNORECASE)
# Containers of paragraphs: their tags stand alone, so the text inside gets its own <p>s.
_CONTAINER = r"address|article|aside|blockquote|details|div|footer|form|header|section"
_CONTAINER_TAG_RE = re.compile(rf"(</?(?:{_CONTAINER})\b[^>]*>)", re.IGNORECASE)
# Kept verbatim: preformatted text, and figures (an image and its caption, one unit).
_VERBATIM_RE = re.compile(r"<(pre|figure)\b.*?</\1\s*>", re.DOTALL | re.IGNORECASE)
_PLACEHOLDER_RE = re.compile("^\ue000(\\d+)\ue000$")
_PLACEHOLDER_ANYWHERE_RE = re.compile("\ue000(\\d+)\ue000")
_BLANK_LINES_RE = re.compile(r"\n[ \t]*\n\s*")
_TAG_RE = re.compile(r"(<[^>]*>)")


def _caption_to_figure(match: re.Match) -> str:
    attributes, inner = match.group(1), match.group(2)
    parts = _CAPTION_IMAGE_RE.match(inner)
    if parts is None:  # no image inside: keep the text
        return inner
    image, caption = parts.group(1), parts.group(2).strip()
    if not caption and (named := _CAPTION_ATTRIBUTE_RE.search(attributes)):
        caption = named.group(1) or named.group(2) or ""
    figcaption = f"<figcaption>{caption}</figcaption>" if caption else ""
    align = _CAPTION_ALIGN_RE.search(attributes)
    align_class = next((a for a in align.groups() if a), "") if align else ""
    opening = f'<figure class="{align_class}">' if align_class in ALIGNMENTS else "<figure>"
    return f"{opening}{image}{figcaption}</figure>"


def _normal_marker(match: re.Match) -> str:
    """ "<!-- more  Read on -->" -> "<!--more Read on-->", "<!-- nextpage -->" ->
    "<!--nextpage-->"."""
    inner = match.group(1).strip()
    if inner.startswith("nextpage"):
        return "<!--nextpage-->"
    text = " ".join(inner[4:].split())
    return f"<!--more {text}-->" if text else "<!--more-->"


def autop(text: str) -> str:
    """A simple wpautop: blank lines separate paragraphs, single line breaks become <br>.

    Block-level elements stay as they are and get chunks of their own; <pre> and <figure> are
    kept verbatim, and so are the split markers <!--more--> and <!--nextpage-->, each a block of
    its own (Markdown passes an HTML comment alone between blank lines through as it is).
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ue000", "")
    kept: list[str] = []

    def keep(match: re.Match) -> str:
        kept.append(match.group(0))
        return f"\n\n\ue000{len(kept) - 1}\ue000\n\n"

    text = _VERBATIM_RE.sub(keep, text)
    text = _MARKER_RE.sub(keep, text)
    text = _BLOCK_OPEN_RE.sub(r"\n\n\1", text)
    text = _BLOCK_CLOSE_RE.sub(r"\1\n\n", text)
    text = _CONTAINER_TAG_RE.sub(r"\n\n\1\n\n", text)
    out = []
    for chunk in _BLANK_LINES_RE.split(text):
        chunk = chunk.strip()
        if not chunk:
            continue
        if placeholder := _PLACEHOLDER_RE.match(chunk):
            out.append(kept[int(placeholder.group(1))])
        elif _STARTS_WITH_BLOCK_RE.match(chunk):
            out.append(chunk)
        else:
            lines = [line.strip() for line in chunk.split("\n")]
            out.append("<p>" + "<br>\n".join(lines) + "</p>")
    return "\n\n".join(out)


def convert_post(content: str, footnotes: str = "") -> Converted:
    """A WordPress post's HTML (content:encoded) -> the Markdown source our posts store, its
    media markup in our conventions but still pointing at WordPress's files and ids
    (blog.transfer.wordpress.media, step 1). ``footnotes``: the post's "footnotes" meta."""
    text = _CAPTION_RE.sub(_caption_to_figure, content)
    converted = convert_blocks(text, footnotes)
    text = _EDITOR_COMMENT_RE.sub("", converted.source)
    text = _SPLIT_MARKER_RE.sub(_normal_marker, text)
    text = _EMBED_RE.sub(lambda m: f"\n\n{html.escape(m.group(1), quote=False)}\n\n", text)
    text = _CORE_SHORTCODE_RE.sub("", text)
    converted.source = autop(text)
    return converted


def post_source(content: str) -> str:
    """A WordPress post's HTML (content:encoded) -> the Markdown source our posts store."""
    return convert_post(content).source


# The tags a comment may hold (WordPress's own $allowedtags for comments, and ours,
# blog.sanitize.COMMENT_TAGS), and the two our comment format reads as line structure.
_COMMENT_ELEMENTS = frozenset(
    {
        "a", "abbr", "acronym", "b", "blockquote", "cite", "code", "del", "em", "i", "q", "s",
        "strike", "strong",
    }
)  # fmt: skip
_LINE_ELEMENTS = frozenset({"p", "br"})
# A "<" in text that our comment format would read as the start of markup (a tag, an end tag,
# a comment or a declaration: blog.sanitize._MARKUP_START_RE).
_MARKUP_LIKE_RE = re.compile(r"<(?=[A-Za-z/!?])")
# Written between such a "<" and what follows: it shows as nothing (U+2060 WORD JOINER, which
# also keeps the two from being split across lines), and the "<" stays text.
WORD_JOINER = "\u2060"
# Comments are Markdown (blog.sanitize.COMMENT_MARKDOWN_RULES) since issue #23; WordPress's are
# not. So the characters Markdown would read get a backslash (its escape): "*", "_", "`", "[",
# "]" and "\" anywhere, and a quote, list or fence marker at the start of a line.
_MARKDOWN_INLINE_RE = re.compile(r"[\\`*_\[\]]")
_MARKDOWN_LINE_START_RE = re.compile(
    r"^([ \t]*)([>+-]|~~~)|^([ \t]*[0-9]{1,9})([.)])", re.MULTILINE
)


def _markdown_escaped(text: str) -> str:
    text = _MARKDOWN_INLINE_RE.sub(r"\\\g<0>", text)
    return _MARKDOWN_LINE_START_RE.sub(
        lambda match: (
            f"{match[1]}\\{match[2]}" if match[2] is not None else f"{match[3]}\\{match[4]}"
        ),
        text,
    )


class _CommentConverter(HTMLParser):
    """WordPress comment HTML -> our comment text (see comment_text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.text: list[str] = []  # text since the last tag (the parser hands it in pieces)

    def flush(self) -> None:
        text = _markdown_escaped("".join(self.text))
        self.parts.append(_MARKUP_LIKE_RE.sub("<" + WORD_JOINER, text))
        self.text.clear()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.flush()
        if tag in _LINE_ELEMENTS:
            self.parts.append(f"<{tag}>")
        elif tag in _COMMENT_ELEMENTS:
            written = "".join(
                f" {name}" if value is None else f' {name}="{html.escape(value, quote=True)}"'
                for name, value in attrs
            )
            self.parts.append(f"<{tag}{written}>")
        # Any other element: WordPress showed its text; so do we (the tag goes).

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        self.flush()
        if tag == "p" or tag in _COMMENT_ELEMENTS:
            self.parts.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.flush()  # a comment ends the text around it, as it does for a browser

    def close(self) -> None:
        super().close()
        self.flush()


def comment_text(content: str) -> str:
    """A WordPress comment's stored HTML -> the text our comments store, so that it shows what
    WordPress showed.

    WordPress keeps a comment as HTML and shows it as such: "Tom &amp; Jerry" shows "Tom &
    Jerry", "&lt;s&gt;" shows the text "<s>", "&amp;lt;s&amp;gt;" the text "&lt;s&gt;", and
    "<s>x</s>" strikes x through. Ours keep the text as typed, with the allowed tags as markup
    (blog.sanitize.render_comment): "&" always shows as "&", and "<" as "<" unless a tag starts
    there. So the HTML is parsed once (the XML parser already decoded the file's own escaping):
    its elements are written as tags (the allowed ones, and <p>/<br> as line structure; others
    are dropped, their text kept), its text is written decoded, and a "<" of the text that our
    format would read as a tag ("<s>", "</b", "<!") gets an invisible WORD JOINER after it.
    """
    converter = _CommentConverter()
    converter.feed(content.replace("\r\n", "\n").replace("\r", "\n"))
    converter.close()
    return "".join(converter.parts)


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(content: str) -> str:
    """Text only (tags dropped, entities decoded, whitespace collapsed): titles, names, excerpts."""
    collector = _TextCollector()
    collector.feed(_ANY_EDITOR_COMMENT_RE.sub("", content))
    collector.close()
    return " ".join("".join(collector.parts).split())
