"""Bare addresses in articles: a video's becomes a privacy-friendly card, any other a link.

WordPress embeds what an author pastes as a bare URL on its own line; imports keep that
convention (part of the WordPress Embed block reaches here as a <figure> holding just the URL).
Here the player is not loaded with the page: the card is a plain link to the video, and carries
the provider's player address in ``data-embed-src``, built from the video's id alone after strict
checks. ``static/js/embeds.js`` swaps the card for a sandboxed iframe when the reader asks for it,
so nothing is asked of YouTube, Vimeo or Dailymotion until then (the CSP's ``frame-src`` names
exactly the three player hosts below). No thumbnail: none is stored here, and fetching one from
the provider is the request the card exists to avoid.

The step runs on HTML that bleach has already sanitized, after the picture step, and builds
its markup only from values it escapes itself (blog.sanitize makes the Markup).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qs, urlsplit

from flask import Flask

from ..sanitize import add_post_html_step


@dataclass(frozen=True)
class Embed:
    provider: str  # the name readers see
    key: str  # the class name's suffix: embed-youtube
    player: str  # the player's address, for the iframe


YOUTUBE_HOSTS = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com"})
VIMEO_HOSTS = frozenset({"vimeo.com", "www.vimeo.com"})
DAILYMOTION_HOSTS = frozenset({"dailymotion.com", "www.dailymotion.com"})
# The players' hosts: the CSP's frame-src (blog.web.security) and embeds.js name exactly these.
PLAYER_HOSTS = ("www.youtube-nocookie.com", "player.vimeo.com", "www.dailymotion.com")

_YOUTUBE_ID_RE = re.compile(r"[A-Za-z0-9_-]{11}")
_YOUTUBE_PATH_RE = re.compile(r"/(?:shorts|embed|live)/(?P<id>[^/]+)/?")
_VIMEO_PATH_RE = re.compile(r"/(?P<id>[0-9]{1,12})(?:/(?P<hash>[0-9a-f]{6,20}))?/?")
_DAILYMOTION_PATH_RE = re.compile(r"/video/(?P<id>[A-Za-z0-9]{5,20})/?")
_DAILYMOTION_SHORT_PATH_RE = re.compile(r"/(?P<id>[A-Za-z0-9]{5,20})/?")


def _youtube(parts: SplitResult) -> Embed | None:
    video = None
    if parts.hostname == "youtu.be":
        video = parts.path[1:].rstrip("/")
    elif parts.hostname in YOUTUBE_HOSTS and parts.path in ("/watch", "/watch/"):
        values = parse_qs(parts.query).get("v", [])
        video = values[0] if len(values) == 1 else None
    elif parts.hostname in YOUTUBE_HOSTS and (found := _YOUTUBE_PATH_RE.fullmatch(parts.path)):
        video = found.group("id")
    if not video or not _YOUTUBE_ID_RE.fullmatch(video):
        return None
    return Embed("YouTube", "youtube", f"https://www.youtube-nocookie.com/embed/{video}")


def _vimeo(parts: SplitResult) -> Embed | None:
    found = _VIMEO_PATH_RE.fullmatch(parts.path) if parts.hostname in VIMEO_HOSTS else None
    if found is None:
        return None
    player = f"https://player.vimeo.com/video/{found.group('id')}"
    if found.group("hash"):  # an unlisted video's key, which its player needs too
        player += f"?h={found.group('hash')}"
    return Embed("Vimeo", "vimeo", player)


def _dailymotion(parts: SplitResult) -> Embed | None:
    found = None
    if parts.hostname in DAILYMOTION_HOSTS:
        found = _DAILYMOTION_PATH_RE.fullmatch(parts.path)
    elif parts.hostname == "dai.ly":
        found = _DAILYMOTION_SHORT_PATH_RE.fullmatch(parts.path)
    if found is None:
        return None
    return Embed(
        "Dailymotion", "dailymotion", f"https://www.dailymotion.com/embed/video/{found.group('id')}"
    )


def embed_for(url: str) -> Embed | None:
    """The card for a video address of a known provider, or None (any other address, anything
    that is not https, a user name or a port in it, an id of the wrong shape)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme != "https" or port is not None or "@" in parts.netloc:
        return None
    for provider in (_youtube, _vimeo, _dailymotion):
        if embed := provider(parts):
            return embed
    return None


# A bare address, as the whole of a paragraph's text (no space, no quote, nothing HTML-like).
_BARE_URL_RE = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
# Sanitized HTML, as bleach writes it: double-quoted attributes, or single-quoted when the value
# holds a double quote.
_ATTRIBUTES = r"""(?:\s++[a-z-]++=(?:"[^"]*+"|'[^']*+'))*+"""
# A paragraph whose whole content is one address as text, or one link; or a figure (what is left
# of WordPress's Embed block) holding one address and perhaps a caption. Possessive, so a long
# paragraph that is not one costs a single pass.
_CONTENT = rf"\s*+(?P<content>[^<]++|<a{_ATTRIBUTES}>[^<]*+</a>\s*+)"
_PARAGRAPH_RE = re.compile(rf"<p(?P<attributes>{_ATTRIBUTES})>{_CONTENT}</p>")
_FIGURE_RE = re.compile(
    rf"<figure(?P<attributes>{_ATTRIBUTES})>{_CONTENT}"
    r"(?:<figcaption>(?P<caption>(?:(?!</?figcaption|</?figure).)*+)</figcaption>\s*+)?</figure>",
    re.DOTALL,
)
# Text between two blocks, outside any element: what a sanitized <div> leaves (WordPress's embed
# wrapper without its figure). Only between a block's end (or the start) and the next block's
# start (or the end), so a line of a list item, a quotation or code is never one; each of its
# lines that is one address alone is then treated as a paragraph would be.
_BLOCKS = r"(?:p|figure|ul|ol|dl|blockquote|h[1-6]|table|pre|details|hr)"
_LOOSE_RE = re.compile(rf"(?P<before>\A|</{_BLOCKS}>|<hr>)(?P<text>[^<]*+)(?=\Z|<{_BLOCKS}[\s>])")
_EMBED_SHORTCODE_RE = re.compile(r"\[embed(?:\s[^\]]*)?\]\s*(\S+?)\s*\[/embed\]")
_HREF_RE = re.compile(r"""\shref=(?:"([^"]*)"|'([^']*)')""")
_CLASS_RE = re.compile(r"""\sclass=(?:"([^"]*)"|'([^']*)')""")


def _address_of(content: str) -> tuple[str, bool] | None:
    """(the address, whether it is already a link) when the content is one bare address: the
    text itself, or a link whose text is its own address."""
    content = content.strip()
    if content.startswith("<a"):
        opening, text = content[: content.index(">")], content[content.index(">") + 1 : -4]
        href = _HREF_RE.search(opening)
        if href is None:
            return None
        address = html.unescape(href.group(1) or href.group(2) or "")
        if html.unescape(text.strip()) != address:
            return None
        linked = True
    else:
        address, linked = html.unescape(content), False
        # WordPress's classic [embed]URL[/embed] shortcode says the same as the bare address.
        if shortcode := _EMBED_SHORTCODE_RE.fullmatch(address):
            address = shortcode.group(1)
    return (address, linked) if _BARE_URL_RE.fullmatch(address) else None


def _alignment(attributes: str) -> str:
    """The alignment class the sanitizer kept on the paragraph or figure, if any."""
    found = _CLASS_RE.search(attributes)
    names = (found.group(1) or found.group(2) or "").split() if found else []
    return next((name for name in names if name.startswith("align")), "")


def card_html(
    url: str, embed: Embed, title: str = "", caption_html: str = "", align: str = ""
) -> str:
    """The card: a link to the video that embeds.js turns into the player on a click."""
    classes = f"embed embed-{embed.key}" + (f" {align}" if align else "")
    title = title or f"Video on {embed.provider}"
    caption = f"<figcaption>{caption_html}</figcaption>" if caption_html else ""
    return (
        f'<figure class="{html.escape(classes)}">'
        f'<a class="embed-card" href="{html.escape(url)}"'
        f' data-embed-src="{html.escape(embed.player)}">'
        f'<span class="embed-provider">{html.escape(embed.provider)}</span> '
        f'<span class="embed-title">{html.escape(title)}</span> '
        '<span class="embed-play">Play</span></a>'
        f"{caption}</figure>"
    )


def _link_html(url: str) -> str:
    escaped = html.escape(url)
    return f'<a href="{escaped}">{escaped}</a>'


def _paragraph(match: re.Match) -> str:
    found = _address_of(match.group("content"))
    if found is None:
        return match.group(0)
    address, linked = found
    if embed := embed_for(address):
        return card_html(address, embed, align=_alignment(match.group("attributes")))
    if linked:
        return match.group(0)
    return f"<p{match.group('attributes')}>{_link_html(address)}</p>"


def _figure(match: re.Match) -> str:
    found = _address_of(match.group("content"))
    if found is None:
        return match.group(0)
    address, linked = found
    caption = (match.group("caption") or "").strip()
    # A caption of plain text names the video; one with links or emphasis stays a caption.
    if "<" in caption:
        title, kept_caption = "", caption
    else:
        title, kept_caption = " ".join(html.unescape(caption).split()), ""
    if embed := embed_for(address):
        align = _alignment(match.group("attributes"))
        return card_html(address, embed, title, kept_caption, align)
    if linked:
        return match.group(0)
    caption_html = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f"<figure{match.group('attributes')}><p>{_link_html(address)}</p>{caption_html}</figure>"


def _loose_line(line: str) -> str:
    found = _address_of(line)
    if found is None:
        return line
    address = found[0]
    if embed := embed_for(address):
        return card_html(address, embed)
    return f"<p>{_link_html(address)}</p>"


def _loose(match: re.Match) -> str:
    text = match.group("text")
    if "://" not in text:
        return match.group(0)
    return match.group("before") + "\n".join(_loose_line(line) for line in text.split("\n"))


def embed_bare_urls(source_html: str, shared: dict) -> str:
    """The sanitizer step: each paragraph or figure that is one bare address, made a card or a
    link; everything else as it was."""
    if "://" not in source_html:
        return source_html
    out = _PARAGRAPH_RE.sub(_paragraph, _FIGURE_RE.sub(_figure, source_html))
    return _LOOSE_RE.sub(_loose, out)


def init_app(app: Flask) -> None:
    add_post_html_step(embed_bare_urls)
