"""WordPress's media markup -> ours (blog.media's source conventions), in two steps.

1. ``convert_blocks`` (while a post is read, before its attachments may be known): the Image,
   Gallery, Audio, Video, File and Embed blocks and the ``[gallery]``, ``[audio]`` and
   ``[video]`` shortcodes become plain figures, tags and lines; dynamic blocks (latest posts,
   page list...) are named for the summary; footnotes kept in the post's meta are written out.
   Addresses stay WordPress's, and a gallery is written ``[wp-gallery ids="WORDPRESS IDS"]``: a
   form nothing of ours reads, so no half-converted gallery ever points at our ids.
2. ``rewrite_references`` (once every attachment of the export is known): each reference to an
   attachment (its file, a sized variant ``photo-300x200.jpg``, an ``<img class="wp-image-ID">``,
   a gallery's ids) becomes our stable address ``/media/ID/FILE_NAME``.

Both only reshape; the result goes through the post sanitizer like any article.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, quote, unquote, urlsplit

# --- tags and their attributes ---------------------------------------------------------------

_ATTRIBUTE_RE = re.compile(r"""([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
_IMG_RE = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_FIGURE_TAG_RE = re.compile(r"<(/?)figure\b[^>]*>", re.IGNORECASE)
_FIGCAPTION_RE = re.compile(r"<figcaption\b[^>]*>(.*?)</figcaption\s*>", re.DOTALL | re.IGNORECASE)
_WP_IMAGE_CLASS_RE = re.compile(r"^wp-image-(\d{1,10})$")
ALIGNMENTS = ("alignleft", "alignright", "aligncenter", "alignwide", "alignfull", "alignnone")
SIZES = ("size-thumbnail", "size-medium", "size-large", "size-full")


def attributes(tag: str) -> dict[str, str]:
    """'<img src="a.jpg" alt=\'A &amp; B\' hidden>' -> {"src": "a.jpg", "alt": "A & B",
    "hidden": ""} (names lower-cased, values decoded; the first of a repeated name wins)."""
    inner = re.sub(r"^<\s*[\w-]+|/?\s*>$", "", tag)
    found: dict[str, str] = {}
    for match in _ATTRIBUTE_RE.finditer(inner):
        name = match.group(1).lower()
        value = next((v for v in match.group(2, 3, 4) if v is not None), "")
        found.setdefault(name, html.unescape(value))
    return found


def tag(name: str, attrs: dict[str, str]) -> str:
    """An opening tag written from decoded values, each escaped again."""
    written = "".join(f' {key}="{html.escape(value, quote=True)}"' for key, value in attrs.items())
    return f"<{name}{written}>"


def classes(attrs: dict[str, str]) -> list[str]:
    return attrs.get("class", "").split()


def wp_image_id(attrs: dict[str, str]) -> int | None:
    """The attachment an <img> shows, by its class wp-image-ID or its data-id."""
    for name in classes(attrs):
        if found := _WP_IMAGE_CLASS_RE.match(name):
            return int(found.group(1))
    data_id = attrs.get("data-id", "")
    return int(data_id) if data_id.isdigit() and len(data_id) <= 10 else None


def _top_level_figures(text: str) -> list[tuple[int, int, str]]:
    """(start, end, opening tag) of each <figure> not inside another one (galleries nest)."""
    found, depth, start, opening = [], 0, 0, ""
    for match in _FIGURE_TAG_RE.finditer(text):
        if not match.group(1):
            if depth == 0:
                start, opening = match.start(), match.group(0)
            depth += 1
        elif depth:
            depth -= 1
            if depth == 0:
                found.append((start, match.end(), opening))
    return found


def _line(text: str) -> str:
    """A block of its own (autop gives it its own paragraph)."""
    return f"\n\n{text}\n\n"


# --- step 1: blocks and shortcodes -----------------------------------------------------------


@dataclass
class Converted:
    """A post's source after step 1, and what the importer needs to know about it."""

    source: str
    # Names of the dynamic blocks left out ("latest-posts"), in order of appearance.
    dynamic_blocks: list[str] = field(default_factory=list)
    # WordPress attachment id -> the caption a Gallery block showed under it.
    gallery_captions: dict[int, str] = field(default_factory=dict)


# A block with no HTML of its own (<!-- wp:latest-posts {"postsToShow":3} /-->): WordPress
# makes its content when the page is shown, from things we do not have.
_BLOCK_JSON = r"(?:\s+\{(?:(?!-->).)*?\})?"  # the block's attributes, never past its comment
_SELF_CLOSING_BLOCK_RE = re.compile(rf"<!--\s*wp:([a-z0-9_/-]+){_BLOCK_JSON}\s*/-->", re.DOTALL)
_FOOTNOTES_BLOCK_RE = re.compile(rf"<!--\s*wp:footnotes\b{_BLOCK_JSON}\s*/-->", re.DOTALL)
# Query loops and comment lists: containers whose content WordPress makes from the database.
_DYNAMIC_CONTAINER_RE = re.compile(r"<!--\s*wp:(query|comments)\b[^>]*?(?<!/)-->")
# Names that say more in the summary than the block's own.
_BLOCK_NAMES = {"block": "reusable block", "query": "query loop", "comments": "comments list"}
_IMAGE_BLOCK_DIV_RE = re.compile(
    r"<div\b[^>]*\bclass=\"[^\"]*\bwp-block-image\b[^\"]*\"[^>]*>\s*(<figure\b.*?</figure\s*>)\s*</div\s*>",
    re.DOTALL | re.IGNORECASE,
)
_FILE_BLOCK_RE = re.compile(
    r"<div\b[^>]*\bclass=\"[^\"]*\bwp-block-file\b[^\"]*\"[^>]*>(.*?)</div\s*>",
    re.DOTALL | re.IGNORECASE,
)
_LINK_RE = re.compile(r"<a\b[^>]*>.*?</a\s*>", re.DOTALL | re.IGNORECASE)
_PLAYER_RE = re.compile(r"<(audio|video)\b[^>]*>(.*?)</\1\s*>", re.DOTALL | re.IGNORECASE)
_SOURCE_RE = re.compile(r"<source\b[^>]*>", re.IGNORECASE)
_EMBED_WRAPPER_RE = re.compile(
    r"<div\b[^>]*wp-block-embed__wrapper[^>]*>\s*(.*?)\s*</div\s*>", re.DOTALL | re.IGNORECASE
)
_BARE_URL_RE = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)
_SHORTCODE_RE = re.compile(r"\[(gallery|audio|video)\b([^\]]*)\](?:\s*\[/\1\])?", re.IGNORECASE)
_SHORTCODE_ATTRIBUTE_RE = re.compile(r"""([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s\]]+))""")
_COLUMNS_CLASS_RE = re.compile(r"^columns-(\d{1,2})$")
_IDS_RE = re.compile(r"\d{1,10}")
# Source attributes of [audio] and [video], in WordPress's order of preference.
_PLAYER_SOURCES = ("src", "mp3", "m4a", "ogg", "wav", "wma", "flac", "mp4", "m4v", "webm", "ogv")


def footnotes_list(meta: str) -> str:
    """The footnotes block WordPress makes from the post's "footnotes" meta (JSON: [{"id",
    "content"}]): the list the <sup data-fn> links in the text point at, back links included."""
    try:
        notes = json.loads(meta)
    except ValueError:
        return ""
    items = []
    for note in notes if isinstance(notes, list) else []:
        if not isinstance(note, dict) or not isinstance(note.get("id"), str):
            continue
        note_id = html.escape(note["id"], quote=True)
        content = note.get("content") if isinstance(note.get("content"), str) else ""
        items.append(f'<li id="{note_id}">{content} <a href="#{note_id}-link">↩︎</a></li>')
    if not items:
        return ""
    return '<ol class="wp-block-footnotes">' + "".join(items) + "</ol>"


def shortcode_attributes(text: str) -> dict[str, str]:
    return {
        m.group(1).lower(): html.unescape(next(v for v in m.group(2, 3, 4) if v is not None))
        for m in _SHORTCODE_ATTRIBUTE_RE.finditer(text)
    }


def _gallery_marker(ids: list[int], columns: str = "") -> str:
    written = f' ids="{",".join(map(str, ids))}"' if ids else ""
    if columns.isdigit() and 0 < int(columns) <= 9:
        written += f' columns="{int(columns)}"'
    return _line(f"[wp-gallery{written}]")


def _gallery_shortcode(match: re.Match) -> str:
    found = shortcode_attributes(match.group(2))
    kind = match.group(1).lower()
    if kind == "gallery":
        ids = [int(n) for n in _IDS_RE.findall(found.get("ids") or found.get("include") or "")]
        return _gallery_marker(ids, found.get("columns", ""))
    url = next((found[name] for name in _PLAYER_SOURCES if found.get(name)), "")
    if not url:
        return ""
    return _line(f'[{kind} src="{html.escape(url, quote=True)}"]')


def _player_source(match: re.Match) -> str:
    """The file an <audio>/<video> plays: its src, or its first <source>'s."""
    url = attributes(match.group(0)[: match.group(0).index(">") + 1]).get("src", "")
    if not url:
        url = next((attributes(s).get("src", "") for s in _SOURCE_RE.findall(match.group(2))), "")
    return url


def _player(match: re.Match) -> str:
    """<audio controls src=…> or one with <source> children -> <audio src="…"></audio> (the
    renderer adds the controls; autoplay, loop and the like go)."""
    kind, url = match.group(1).lower(), _player_source(match)
    return f'<{kind} src="{html.escape(url, quote=True)}"></{kind}>' if url else ""


def _figure(opening: str, whole: str, converted: Converted) -> str:
    """One top-level figure, converted by the block it was (its class)."""
    names = classes(attributes(opening))
    inner = whole[len(opening) : whole.rindex("<")]
    align = [n for n in names if n in ALIGNMENTS][:1]
    figure_open = tag("figure", {"class": align[0]}) if align else "<figure>"
    if "wp-block-gallery" in names:
        return _gallery_block(names, inner, converted)
    if "wp-block-embed" in names or any(n.startswith("wp-block-embed-") for n in names):
        wrapper = _EMBED_WRAPPER_RE.search(inner)
        url = html.unescape(wrapper.group(1)).strip() if wrapper else ""
        caption = _FIGCAPTION_RE.search(inner)
        if not _BARE_URL_RE.match(url):
            return whole
        after = _line(f"<p>{caption.group(1).strip()}</p>") if caption else ""
        return _line(html.escape(url, quote=False)) + after
    if "wp-block-image" in names:
        size = [n for n in names if n in SIZES][:1]

        def image(match: re.Match) -> str:
            attrs = attributes(match.group(0))
            kept = [n for n in classes(attrs) if not n.startswith("size-")]
            attrs["class"] = " ".join(size + kept)
            if not attrs["class"]:
                del attrs["class"]
            return tag("img", attrs)

        body = _FIGCAPTION_RE.sub(lambda m: f"<figcaption>{m.group(1)}</figcaption>", inner)
        return figure_open + _IMG_RE.sub(image, body.strip()) + "</figure>"
    if "wp-block-audio" in names or "wp-block-video" in names:
        player = _PLAYER_RE.search(inner)
        if player is None:
            return ""
        caption = _FIGCAPTION_RE.search(inner)
        if caption is None:  # the player alone: the shortcode line, as [audio]/[video] give
            url = _player_source(player)
            kind = player.group(1).lower()
            return _line(f'[{kind} src="{html.escape(url, quote=True)}"]') if url else ""
        return f"<figure>{_player(player)}<figcaption>{caption.group(1)}</figcaption></figure>"
    return whole


def _gallery_block(names: list[str], inner: str, converted: Converted) -> str:
    """The Gallery block -> a gallery of the attachments it showed, captions noted; a picture
    that is no attachment (no id) is kept as a figure after it."""
    ids: list[int] = []
    loose: list[str] = []
    pieces = _top_level_figures(inner)
    for start, end, _ in pieces:
        figure = inner[start:end]
        image = _IMG_RE.search(figure)
        if image is None:
            continue
        number = wp_image_id(attributes(image.group(0)))
        caption = _FIGCAPTION_RE.search(figure)
        if number is None:
            loose.append(figure)
            continue
        ids.append(number)
        if caption and caption.group(1).strip():
            converted.gallery_captions.setdefault(number, caption.group(1).strip())
    rest = inner
    for start, end, _ in reversed(pieces):
        rest = rest[:start] + rest[end:]
    columns = next((m.group(1) for n in names if (m := _COLUMNS_CLASS_RE.match(n))), "")
    out = _gallery_marker(ids, columns) if ids else ""
    out += "".join(_line(figure) for figure in loose)
    if caption := _FIGCAPTION_RE.search(rest):
        out += _line(f"<p>{caption.group(1).strip()}</p>")
    return out


def _file_block(match: re.Match) -> str:
    """The File block -> the link to the file (the "Download" button and preview go)."""
    links = _LINK_RE.findall(match.group(1))
    if not links:
        return ""
    first = links[0]
    attrs = attributes(first[: first.index(">") + 1])
    text = first[first.index(">") + 1 : first.rindex("<")]
    href = attrs.get("href", "")
    return _line(f"<p>{tag('a', {'href': href})}{text.strip() or html.escape(href)}</a></p>")


def _without_srcset(match: re.Match) -> str:
    attrs = attributes(match.group(0))
    if "srcset" not in attrs and "sizes" not in attrs:
        return match.group(0)
    attrs.pop("srcset", None)
    attrs.pop("sizes", None)
    return tag("img", attrs)


def convert_blocks(content: str, footnotes: str = "") -> Converted:
    """Step 1 on a post's HTML (content:encoded), block comments still in it."""
    converted = Converted(content)
    text = content
    if footnotes and (notes := footnotes_list(footnotes)):
        text = _FOOTNOTES_BLOCK_RE.sub(lambda _: _line(notes), text, count=1)
    converted.dynamic_blocks = [
        _BLOCK_NAMES.get(name, name)
        for name in [
            m.group(1).removeprefix("core/") for m in _SELF_CLOSING_BLOCK_RE.finditer(text)
        ]
        + [m.group(1) for m in _DYNAMIC_CONTAINER_RE.finditer(text)]
    ]
    text = _IMAGE_BLOCK_DIV_RE.sub(
        lambda m: (
            m.group(1).replace('class="', 'class="wp-block-image ', 1)
            if 'class="' in m.group(1)[: m.group(1).index(">")]
            else m.group(1).replace("<figure", '<figure class="wp-block-image"', 1)
        ),
        text,
    )
    out, last = [], 0
    for start, end, opening in _top_level_figures(text):
        out.append(text[last:start])
        out.append(_figure(opening, text[start:end], converted))
        last = end
    out.append(text[last:])
    text = "".join(out)
    text = _FILE_BLOCK_RE.sub(_file_block, text)
    text = _SHORTCODE_RE.sub(_gallery_shortcode, text)
    text = _PLAYER_RE.sub(_player, text)
    text = _IMG_RE.sub(_without_srcset, text)
    converted.source = text
    return converted


# --- step 2: references to attachments -------------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    """What the rewriting needs to know of one imported attachment."""

    id: int  # ours
    wp_id: int
    file_name: str
    path: str  # below wp-content/uploads/ ("2024/05/photo.jpg")
    parent: int | None = None  # the WordPress post it was attached to
    order: int = 0  # its menu_order (a [gallery] without ids lists a post's in this order)

    @property
    def reference(self) -> str:
        """Our stable address for it (blog.media.urls.reference_path, built without a request:
        url_for needs one, or SERVER_NAME, and the import runs from the command line)."""
        return f"/media/{self.id}/{quote(self.file_name)}"


UPLOADS = "/wp-content/uploads/"
# photo-300x200.jpg is WordPress's 300x200 copy of photo.jpg; photo-scaled.jpg the big-image
# copy WordPress (5.3+) makes and links instead of the original.
_SIZED_RE = re.compile(r"^(.*)-(\d{1,5})x(\d{1,5})(\.[A-Za-z0-9]+)$")
_SCALED_RE = re.compile(r"^(.*)-scaled(\.[A-Za-z0-9]+)$")
_WP_GALLERY_RE = re.compile(r"\[wp-gallery\b([^\]]*)\]")
_PLAYER_SHORTCODE_RE = re.compile(r"\[(audio|video) src=\"([^\"]*)\"\]")
_URL_TAG_RE = re.compile(r"<(img|a|audio|video|source)\b[^>]*>", re.IGNORECASE)
_URL_ATTRIBUTE = {"img": "src", "a": "href", "audio": "src", "video": "src", "source": "src"}
# What a rewritten <img> keeps: the renderer makes srcset, sizes and dimensions itself.
_IMG_KEPT = ("alt", "title")


def uploads_path(url: str) -> str:
    """'https://old.example/wp-content/uploads/2024/05/a%20b.jpg?x' -> '2024/05/a b.jpg'."""
    path = urlsplit(url.strip()).path
    if UPLOADS not in path:
        return ""
    return unquote(path.split(UPLOADS, 1)[1])


def _site(netloc: str, path: str) -> str:
    """How old site addresses are compared: "WWW.Example.org/blog/" -> "example.org/blog"."""
    return (netloc.lower().removeprefix("www.") + path.rstrip("/")).lower()


def size_class(width: int, height: int) -> str:
    """The size of ours closest to a WordPress copy of that size."""
    if width <= 150 and height <= 150:
        return "size-thumbnail"
    if width <= 768:
        return "size-medium"
    return "size-large"


class AttachmentIndex:
    """The export's attachments, found by WordPress id or by any address of their file."""

    def __init__(self) -> None:
        self.by_wp_id: dict[int, Attachment] = {}
        self.by_path: dict[str, Attachment] = {}
        self.sites: set[str] = set()  # hosts (with path) the old uploads were served from

    def add(self, attachment: Attachment, source_url: str = "") -> None:
        self.by_wp_id[attachment.wp_id] = attachment
        paths = {attachment.path, uploads_path(source_url)} - {""}
        for path in list(paths):
            if scaled := _SCALED_RE.match(path):
                paths.add(scaled.group(1) + scaled.group(2))
        for path in paths:
            self.by_path.setdefault(path, attachment)
        if UPLOADS in source_url:
            self.add_site(source_url.split(UPLOADS, 1)[0])

    def add_site(self, address: str) -> None:
        parts = urlsplit(address if "//" in address else f"//{address}")
        if parts.netloc:
            self.sites.add(_site(parts.netloc, parts.path))

    def is_old_site(self, url: str) -> bool:
        """An address on the old site (with or without "www."), or a path on it."""
        parts = urlsplit(url.strip())
        if not parts.netloc:
            return UPLOADS in "/" + parts.path.lstrip("/")
        return _site(parts.netloc, parts.path.split(UPLOADS, 1)[0]) in self.sites

    def find(self, url: str) -> tuple[Attachment, str] | None:
        """The attachment a URL shows, and the size class a WordPress copy of it stands for
        ("" for the file itself)."""
        if page := self.attachment_page(url):
            return page, ""
        if not self.is_old_site(url):
            return None
        path = (
            uploads_path(url)
            or unquote(urlsplit(url.strip()).path).split("wp-content/uploads/", 1)[-1]
        )
        if path in self.by_path:
            return self.by_path[path], ""
        if sized := _SIZED_RE.match(path):
            found = self.by_path.get(sized.group(1) + sized.group(4))
            if found is not None:
                return found, size_class(int(sized.group(2)), int(sized.group(3)))
        return None

    def attachment_page(self, url: str) -> Attachment | None:
        """The attachment whose page on the old site this is (/?attachment_id=ID: where the
        Image block's "link to attachment page" went); we have no such page, the file will do."""
        parts = urlsplit(url.strip())
        number = parse_qs(parts.query).get("attachment_id", [""])[0]
        if not (number.isascii() and number.isdigit() and len(number) <= 10):
            return None
        if parts.netloc and _site(parts.netloc, parts.path) not in self.sites:
            return None
        return self.by_wp_id.get(int(number))

    def children(self, wp_post_id: int) -> list[Attachment]:
        found = [a for a in self.by_wp_id.values() if a.parent == wp_post_id]
        return sorted(found, key=lambda a: (a.order, a.wp_id))


@dataclass
class Rewritten:
    source: str
    media_ids: set[int] = field(default_factory=set)  # ours, every one the source now uses
    galleries_emptied: int = 0  # galleries none of whose pictures were in the export


def rewrite_references(source: str, index: AttachmentIndex, wp_post_id: int) -> Rewritten:
    """Step 2: every reference to an attachment of the export -> /media/ID/FILE_NAME."""
    result = Rewritten(source)

    def gallery(match: re.Match) -> str:
        found = shortcode_attributes(match.group(1))
        if "ids" in found:
            wanted = [index.by_wp_id.get(int(n)) for n in _IDS_RE.findall(found["ids"])]
            items = [a for a in wanted if a is not None]
        else:
            items = index.children(wp_post_id)
        if not items:
            result.galleries_emptied += 1
            return ""
        result.media_ids.update(a.id for a in items)
        columns = f' columns="{found["columns"]}"' if found.get("columns") else ""
        return f'[gallery ids="{",".join(str(a.id) for a in items)}"{columns}]'

    def player(match: re.Match) -> str:
        found = index.find(html.unescape(match.group(2)))
        if found is None:
            return match.group(0)
        result.media_ids.add(found[0].id)
        return f'[{match.group(1)} src="{html.escape(found[0].reference)}"]'

    def url_tag(match: re.Match) -> str:
        name = match.group(1).lower()
        attrs = attributes(match.group(0))
        url = attrs.get(_URL_ATTRIBUTE[name], "")
        by_id = index.by_wp_id.get(wp_image_id(attrs) or 0) if name == "img" else None
        found = (by_id, "") if by_id is not None else index.find(url) if url else None
        if found is None:
            return match.group(0)
        attachment, size = found
        result.media_ids.add(attachment.id)
        if name != "img":
            attrs[_URL_ATTRIBUTE[name]] = attachment.reference
            return tag(name, attrs)
        kept_classes = [n for n in classes(attrs) if n in ALIGNMENTS or n in SIZES]
        if size and (index.find(url) or (None, ""))[0] == attachment:
            kept_classes = [n for n in kept_classes if n not in SIZES] + [size]
        written = {"src": attachment.reference}
        written.update({k: attrs[k] for k in _IMG_KEPT if k in attrs})
        if kept_classes:
            written["class"] = " ".join(kept_classes)
        return tag("img", written)

    text = _WP_GALLERY_RE.sub(gallery, source)
    text = _PLAYER_SHORTCODE_RE.sub(player, text)
    text = _URL_TAG_RE.sub(url_tag, text)
    result.source = text
    return result


def player_links(source: str) -> str:
    """[audio src=URL]/[video src=URL] that do not point at our media -> a link to URL (a player
    for a file we do not have would only show a broken control; a link still leads to it)."""

    def link(match: re.Match) -> str:
        url = html.unescape(match.group(2))
        if url.startswith("/media/"):
            return match.group(0)
        safe = html.escape(url, quote=True)
        return f'<a href="{safe}">{safe}</a>'

    return _PLAYER_SHORTCODE_RE.sub(link, source)
