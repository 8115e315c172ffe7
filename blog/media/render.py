"""Pictures, galleries and players in articles, and the data templates use for pictures.

An article's source refers to media by their stable addresses (/media/ID/FILE_NAME, see
``urls``). After the sanitizer has cleaned a part of an article, ``render_media`` (a step
registered with ``blog.sanitize.add_post_html_step``) turns those references into what readers
see:

- ``<img src="/media/ID/…">`` -> ``<picture>`` with AVIF and WebP sources and a JPEG/PNG
  ``<img>`` carrying srcset, sizes, width, height, lazy loading (not for the article's first
  picture) and the alignment classes from a fixed list;
- ``<a href="/media/ID/…">`` -> a link to the stored file;
- ``<audio>``/``<video>`` with a media address, and paragraphs that are exactly an
  ``[audio src="…"]`` or ``[video src="…"]`` shortcode -> native players (never autoplay);
- a paragraph that is exactly ``[gallery ids="…" columns="N"]`` -> a grid of pictures with
  their captions;
- a reference to an item whose file is not here (an import without its uploads folder) or to no
  item at all -> a placeholder saying so, never a broken image; a link to it -> plain text.

The input is bleach's serialized output, so it is tokenized with html.parser and written back
token by token; every tag this step writes is built here from escaped values, and no attribute of
the input is copied through. It returns a ``str``: ``blog.sanitize`` alone makes ``Markup``.

``picture(item, size)`` gives templates the same data as plain values (the macro
``templates/macros/media.html`` renders it), and ``media_url(item, size, external=…)`` one file's
address, for ``og:image``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from html import unescape
from html.parser import HTMLParser

from flask import Flask, current_app, has_app_context, has_request_context
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import escape
from sqlalchemy import select

from ..extensions import db
from ..models import MediaItem, MediaKind
from ..sanitize import add_post_html_step
from ..web.urls import site_prefix
from . import urls

# The sizes made by blog.media.processing, smallest first; "thumbnail" is a square crop.
SIZE_ORDER = ("thumbnail", "medium", "large", "full")
DEFAULT_SIZE = "large"
# The formats a browser may pick from, best first, and the fallback every browser shows.
SOURCE_FORMATS = (("avif", "image/avif"), ("webp", "image/webp"))
FALLBACK_FORMATS = ("jpeg", "png", "gif")
# Classes an author (or WordPress) may put on a picture; anything else is dropped.
ALIGN_CLASSES = ("alignleft", "alignright", "aligncenter", "alignwide", "alignfull", "alignnone")
SIZE_CLASSES = tuple(f"size-{name}" for name in SIZE_ORDER)
KEPT_CLASSES = frozenset(ALIGN_CLASSES + SIZE_CLASSES)
# The reading column is about this wide (43rem); a picture is never shown wider than its size.
COLUMN_PX = 768
MAX_GALLERY_COLUMNS = 9
MAX_GALLERY_ITEMS = 100
# Shortcodes alone in a paragraph. Markdown's smart quotes may have curled the quotes.
_SHORTCODE_RE = re.compile(r"^\[(gallery|audio|video)((?:\s+[^\]]*)?)\]$")
_SHORTCODE_ATTRIBUTE_RE = re.compile(r"""([a-zA-Z0-9_-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|(\S+))""")
_CURLY_QUOTES = str.maketrans(
    {"\u201c": '"', "\u201d": '"', "\u2033": '"', "\u2018": "'", "\u2019": "'"}
)
_PLAYER_KINDS = {"audio": MediaKind.AUDIO.value, "video": MediaKind.VIDEO.value}
# In the site's language (lazy: this module is imported before any request).
_MISSING_TEXTS = {
    MediaKind.IMAGE.value: _l("Picture not here yet: %(name)s"),
    MediaKind.AUDIO.value: _l("Recording not here yet: %(name)s"),
    MediaKind.VIDEO.value: _l("Video not here yet: %(name)s"),
    MediaKind.FILE.value: _l("File not here yet: %(name)s"),
}
_DOWNLOAD_TEXTS = {
    MediaKind.AUDIO.value: _l("Download the recording: %(name)s"),
    MediaKind.VIDEO.value: _l("Download the video: %(name)s"),
}
_SHARED_ITEMS = "media_items"  # shared[...]: {id: MediaItem or None}, loaded once per body
_SHARED_FIRST_DONE = "media_first_picture_done"


# --- Picture data (templates and the article step alike) -----------------------------------


@dataclass(frozen=True)
class Picture:
    """What a ``<picture>`` of one item at one size needs, as plain values."""

    src: str
    srcset: str
    sizes: str
    width: int | None
    height: int | None
    alt: str
    sources: tuple[tuple[str, str], ...]  # (MIME type, srcset), best format first
    full_url: str  # the original file (what a click on the picture opens)


def _file_path(stored_name: str, external: bool = False) -> str:
    """The address of a stored file; outside a request (an import) from the site's prefix."""
    if external or has_request_context():
        return urls.file_url(stored_name, external=external)
    adapter = current_app.url_map.bind("localhost", script_name=site_prefix(current_app) or "/")
    return adapter.build("media.file", {"name": stored_name})


def _size_name(sizes: dict, wanted: str) -> str | None:
    """``wanted`` when it was made, else the next larger one (the original being smaller)."""
    if wanted not in SIZE_ORDER:
        wanted = DEFAULT_SIZE
    for name in SIZE_ORDER[SIZE_ORDER.index(wanted) :]:
        if isinstance(sizes.get(name), dict) and isinstance(sizes[name].get("files"), dict):
            return name
    return None


def _fallback_format(files: dict) -> str | None:
    return next((fmt for fmt in FALLBACK_FORMATS if files.get(fmt)), None)


def _number(value) -> int | None:
    return value if isinstance(value, int) and value > 0 else None


def picture(item: MediaItem | None, size: str = DEFAULT_SIZE, alt: str = "") -> Picture | None:
    """The picture of ``item`` at ``size`` (thumbnail, medium, large, full), or None when there
    is nothing to show (no item, not a picture, its file missing). ``alt`` replaces the item's
    own alt text when given."""
    if item is None or item.kind != MediaKind.IMAGE.value or item.is_missing:
        return None
    alt = alt.strip() or item.alt_text or ""
    full_url = _file_path(item.stored_name)
    sizes = urls.sizes_of(item)
    chosen = _size_name(sizes, size)
    fallback = _fallback_format(sizes[chosen]["files"]) if chosen else None
    if chosen is None or fallback is None:  # no sizes made: the original as it is
        return Picture(full_url, "", "", item.width, item.height, alt, (), full_url)
    # The square thumbnail is its own picture; the others are one picture at several widths.
    members = [chosen] if chosen == "thumbnail" else [n for n in SIZE_ORDER[1:] if n in sizes]
    members.sort(key=lambda name: _number(sizes[name].get("width")) or 0)
    width = _number(sizes[chosen].get("width"))
    height = _number(sizes[chosen].get("height"))
    shown = min(width or COLUMN_PX, COLUMN_PX)
    sizes_attribute = f"(max-width: {shown}px) 100vw, {shown}px"

    def srcset(fmt: str) -> str:
        entries = []
        for name in members:
            stored = sizes[name].get("files", {}).get(fmt)
            member_width = _number(sizes[name].get("width"))
            if isinstance(stored, str) and stored and member_width:
                entries.append(f"{_file_path(stored)} {member_width}w")
        return ", ".join(entries)

    sources = tuple((mime, found) for fmt, mime in SOURCE_FORMATS if (found := srcset(fmt)))
    return Picture(
        src=_file_path(sizes[chosen]["files"][fallback]),
        srcset=srcset(fallback),
        sizes=sizes_attribute,
        width=width,
        height=height,
        alt=alt,
        sources=sources,
        full_url=full_url,
    )


def media_url(item: MediaItem | None, size: str = DEFAULT_SIZE, external: bool = False) -> str:
    """One file of ``item``: the JPEG/PNG of ``size`` (the original without sizes), "" when
    its file is missing. ``external``: absolute, from SITE_URL (og:image)."""
    if item is None or item.is_missing:
        return ""
    sizes = urls.sizes_of(item)
    chosen = _size_name(sizes, size) if item.kind == MediaKind.IMAGE.value else None
    fallback = _fallback_format(sizes[chosen]["files"]) if chosen else None
    stored = sizes[chosen]["files"][fallback] if fallback else item.stored_name
    return _file_path(stored, external=external)


# --- Markup built here ------------------------------------------------------------------------


def _attributes(**values) -> str:
    """name="value" pairs, escaped; None leaves one out, True writes a bare attribute."""
    out = []
    for name, value in values.items():
        if value is None or value is False:
            continue
        name = name.rstrip("_").replace("_", "-")
        out.append(f" {name}" if value is True else f' {name}="{escape(str(value))}"')
    return "".join(out)


def picture_html(
    pic: Picture, *, classes: str = "", lazy: bool = True, priority: bool = False
) -> str:
    sources = "".join(
        f"<source{_attributes(type=mime, srcset=srcset, sizes=pic.sizes)}>"
        for mime, srcset in pic.sources
    )
    img = "<img" + _attributes(
        src=pic.src,
        srcset=pic.srcset or None,
        sizes=pic.sizes or None,
        width=pic.width,
        height=pic.height,
        alt=pic.alt,
        class_=classes or None,
        loading="lazy" if lazy else None,
        fetchpriority="high" if priority else None,
        decoding="async",
    )
    return f"<picture>{sources}{img}></picture>"


def missing_html(kind: str, name: str, alt: str = "") -> str:
    """A clear placeholder for a file that is not here (or an address no item has)."""
    missing = _MISSING_TEXTS.get(kind, _MISSING_TEXTS[MediaKind.FILE.value])
    text = str(missing) % {"name": name or gettext("unknown file")}
    label = f"{text} ({alt})" if alt else text
    role = _attributes(role="img", aria_label=label) if kind == MediaKind.IMAGE.value else ""
    return f'<span class="media-missing"{role}>{escape(text)}</span>'


def _player_html(item: MediaItem) -> str:
    """A native player (phrasing content, so it may stand inside a paragraph)."""
    url = _file_path(item.stored_name)
    download = _DOWNLOAD_TEXTS.get(item.kind, _DOWNLOAD_TEXTS[MediaKind.AUDIO.value])
    words = escape(str(download) % {"name": item.file_name})
    fallback = f'<a href="{escape(url)}" download>{words}</a>'
    if item.kind == MediaKind.VIDEO.value:
        tag = "video" + _attributes(
            controls=True,
            preload="metadata",
            playsinline=True,
            src=url,
            width=_number(item.width),
            height=_number(item.height),
        )
        return f"<{tag}>{fallback}</video>"
    return (
        "<audio" + _attributes(controls=True, preload="metadata", src=url) + f">{fallback}</audio>"
    )


def _file_name_of(url: str) -> str:
    return unescape(url.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1])


# --- The article step -------------------------------------------------------------------------


class _Tokens(HTMLParser):
    """Sanitized HTML as a list of tokens that write back to the same text:
    ("start", tag, attrs, raw), ("end", tag, None, raw), ("text", None, None, raw)."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=False)
        self.tokens: list[tuple[str, str | None, dict | None, str]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        raw = self.get_starttag_text() or ""
        self.tokens.append(("start", tag, {k: v or "" for k, v in attrs}, raw))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        self.tokens.append(("end", tag, None, f"</{tag}>"))

    def handle_data(self, data):
        self.tokens.append(("text", None, None, data))

    def handle_entityref(self, name):
        self.tokens.append(("text", None, None, f"&{name};"))

    def handle_charref(self, name):
        self.tokens.append(("text", None, None, f"&#{name};"))

    def handle_comment(self, data):
        self.tokens.append(("text", None, None, f"<!--{data}-->"))


def _shortcode(tokens, index: int) -> tuple[str, dict, int] | None:
    """(name, attributes, index of the closing </p>) when tokens[index] is a <p> that holds
    nothing but a gallery, audio or video shortcode."""
    text = []
    for end in range(index + 1, min(index + 200, len(tokens))):
        kind, tag, _, raw = tokens[end]
        if kind == "end" and tag == "p":
            break
        if kind != "text":
            return None
        text.append(raw)
    else:
        return None
    found = _SHORTCODE_RE.match(unescape("".join(text)).strip().translate(_CURLY_QUOTES))
    if found is None:
        return None
    attributes = {
        m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None)
        for m in _SHORTCODE_ATTRIBUTE_RE.finditer(found.group(2))
    }
    return found.group(1), attributes, end


def _gallery_ids(attributes: dict) -> list[int]:
    ids = []
    for part in attributes.get("ids", "").split(","):
        part = part.strip()
        if part.isdigit() and len(part) <= 10 and int(part) not in ids:
            ids.append(int(part))
    return ids[:MAX_GALLERY_ITEMS]


def _shortcode_media(attributes: dict) -> tuple[int, str] | None:
    """[audio src="…"] / [video mp4="…"]: (id, address) of the first media address."""
    for value in attributes.values():
        if (media_id := urls.referenced_id(value)) is not None:
            return media_id, value
    return None


def _player_source(tokens, index: int) -> tuple[int | None, str, int]:
    """An <audio>/<video> at tokens[index]: (media id of its src or first <source>, the address,
    index of its end tag)."""
    _, tag, attrs, _ = tokens[index]
    media_id, address = urls.referenced_id(attrs.get("src", "")), attrs.get("src", "")
    end = index + 1
    while end < len(tokens) and not (tokens[end][0] == "end" and tokens[end][1] == tag):
        kind, inner, inner_attrs, _ = tokens[end]
        if media_id is None and kind == "start" and inner == "source":
            media_id = urls.referenced_id(inner_attrs.get("src", ""))
            address = inner_attrs.get("src", "")
        end += 1
    return media_id, address, end


def _referenced_ids(tokens) -> set[int]:
    ids: set[int] = set()
    for index, (kind, tag, attrs, _) in enumerate(tokens):
        if kind != "start":
            continue
        if tag in ("img", "audio", "video", "source"):
            found = urls.referenced_id(attrs.get("src", ""))
        elif tag == "a":
            found = urls.referenced_id(attrs.get("href", ""))
        elif tag == "p" and (code := _shortcode(tokens, index)):
            name, attributes, _ = code
            if name == "gallery":
                ids.update(_gallery_ids(attributes))
            media = _shortcode_media(attributes) if name != "gallery" else None
            found = media[0] if media else None
        else:
            found = None
        if found is not None:
            ids.add(found)
    return ids


def _load(ids: set[int], shared: dict) -> dict[int, MediaItem | None]:
    """The items ``ids`` name, in one query for those this body has not loaded yet."""
    known = shared.setdefault(_SHARED_ITEMS, {})
    wanted = ids - known.keys()
    if wanted:
        # No autoflush: the step runs while a post is being saved, half-made.
        with db.session.no_autoflush:
            found = db.session.scalars(select(MediaItem).where(MediaItem.id.in_(wanted))).all()
        for media_id in wanted:
            known[media_id] = None
        known.update({item.id: item for item in found})
    return known


class _Writer:
    def __init__(self, items: dict[int, MediaItem | None], shared: dict):
        self.items = items
        self.shared = shared
        self.out: list[str] = []

    def lazy(self) -> bool:
        """Pictures load lazily, but for the article's first (likely in view at once)."""
        if self.shared.get(_SHARED_FIRST_DONE):
            return True
        self.shared[_SHARED_FIRST_DONE] = True
        return False

    def image(self, attrs: dict) -> None:
        media_id = urls.referenced_id(attrs.get("src", ""))
        item = self.items.get(media_id) if media_id is not None else None
        classes = [c for c in attrs.get("class", "").split() if c in KEPT_CLASSES]
        size = next((c[5:] for c in classes if c.startswith("size-")), DEFAULT_SIZE)
        pic = picture(item, size, attrs.get("alt", ""))
        if pic is None:
            name = item.file_name if item is not None else _file_name_of(attrs.get("src", ""))
            kind = item.kind if item is not None else MediaKind.IMAGE.value
            alt = attrs.get("alt", "").strip() or (item.alt_text if item is not None else "")
            self.out.append(missing_html(kind, name, alt))
            return
        self.out.append(
            picture_html(pic, classes=" ".join(dict.fromkeys(classes)), lazy=self.lazy())
        )

    def player(self, media_id: int | None, address: str, wanted_kind: str, block: bool) -> None:
        """A player, or a placeholder; ``block``: in place of a whole paragraph (a shortcode),
        else where an <audio>/<video> stood (maybe inside a paragraph)."""
        item = self.items.get(media_id) if media_id is not None else None
        if item is None or item.is_missing or item.kind not in _PLAYER_KINDS.values():
            name = item.file_name if item is not None else _file_name_of(address)
            kind = item.kind if item is not None else wanted_kind
            shown = missing_html(kind, name)
            self.out.append(f"<p>{shown}</p>" if block else shown)
            return
        shown = _player_html(item)
        self.out.append(f'<figure class="media-player">{shown}</figure>' if block else shown)

    def gallery(self, attributes: dict) -> None:
        columns = attributes.get("columns", "3").strip()
        columns = min(max(int(columns), 1), MAX_GALLERY_COLUMNS) if columns.isdigit() else 3
        if columns == 1:
            gallery_sizes = f"(max-width: {COLUMN_PX}px) 100vw, {COLUMN_PX}px"
        else:
            gallery_sizes = f"(max-width: 40em) 50vw, {COLUMN_PX // columns}px"
        entries = []
        for media_id in _gallery_ids(attributes):
            item = self.items.get(media_id)
            pic = picture(item, "medium")
            if pic is None:
                name = item.file_name if item is not None else f"#{media_id}"
                body = missing_html(MediaKind.IMAGE.value, name, item.alt_text if item else "")
            else:
                # Two to a row on a phone, ``columns`` to a row in the reading column.
                pic = replace(pic, sizes=gallery_sizes)
                body = f'<a href="{escape(pic.full_url)}">{picture_html(pic, lazy=self.lazy())}</a>'
            caption = (
                f"<figcaption>{escape(item.caption)}</figcaption>" if item and item.caption else ""
            )
            entries.append(f"<li><figure>{body}{caption}</figure></li>")
        if entries:
            self.out.append(
                f'<figure class="gallery gallery-columns-{columns}"><ul class="gallery-grid">'
                + "".join(entries)
                + "</ul></figure>"
            )

    def link(self, attrs: dict) -> bool:
        """A link to a media address: to its file. False when the file is missing (the link is
        then left out, its text kept)."""
        media_id = urls.referenced_id(attrs.get("href", ""))
        item = self.items.get(media_id) if media_id is not None else None
        if item is None or item.is_missing:
            return False
        href = _file_path(item.stored_name)
        self.out.append(f"<a{_attributes(href=href, title=attrs.get('title') or None)}>")
        return True


def _rewrite(tokens, items: dict[int, MediaItem | None], shared: dict) -> str:
    writer = _Writer(items, shared)
    out = writer.out
    dropped_link = False
    index = 0
    while index < len(tokens):
        kind, tag, attrs, raw = tokens[index]
        if (
            kind == "start"
            and tag == "img"
            and urls.referenced_id(attrs.get("src", "")) is not None
        ):
            writer.image(attrs)
        elif (
            kind == "start" and tag == "a" and urls.referenced_id(attrs.get("href", "")) is not None
        ):
            dropped_link = not writer.link(attrs)
        elif kind == "end" and tag == "a" and dropped_link:
            dropped_link = False
        elif kind == "start" and tag in ("audio", "video"):
            media_id, address, end = _player_source(tokens, index)
            if media_id is None:
                out.extend(token[3] for token in tokens[index : end + 1])
            else:
                writer.player(media_id, address, _PLAYER_KINDS[tag], block=False)
            index = end
        elif kind == "start" and tag == "p" and (code := _shortcode(tokens, index)):
            name, attributes, end = code
            if name == "gallery" and _gallery_ids(attributes):
                writer.gallery(attributes)
            elif name != "gallery" and (media := _shortcode_media(attributes)) is not None:
                writer.player(media[0], media[1], _PLAYER_KINDS[name], block=True)
            else:
                out.extend(token[3] for token in tokens[index : end + 1])
            index = end
        else:
            out.append(raw)
        index += 1
    return "".join(out)


def render_media(html: str, shared: dict) -> str:
    """The sanitizer step: media references in one part of an article -> pictures, galleries,
    players, file links and placeholders. Parts without a reference come back unchanged."""
    if "media" not in html and "gallery" not in html:
        return html
    if not has_app_context():  # the sanitizer used on its own (its tests): nothing to look up
        return html
    tokens = _Tokens(html).tokens
    ids = _referenced_ids(tokens)
    if not ids:
        return html
    return _rewrite(tokens, _load(ids, shared), shared)


def init_app(app: Flask) -> None:
    add_post_html_step(render_media)
    app.jinja_env.globals["media_picture"] = picture
    app.jinja_env.globals["media_url"] = media_url
