"""WordPress export files for the tests (the hand-written one: tests/data/wordpress.xml)."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "wordpress.xml"

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.1/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.1/">
<channel><title>Generated</title><wp:wxr_version>1.1</wp:wxr_version>
<wp:author><wp:author_id>1</wp:author_id><wp:author_login>gen</wp:author_login></wp:author>
"""
ITEM = """<item><title>Post {n}</title><dc:creator>gen</dc:creator>
<content:encoded><![CDATA[<!-- wp:paragraph --><p>{text}</p><!-- /wp:paragraph -->]]>
</content:encoded>
<wp:post_id>{n}</wp:post_id><wp:post_date_gmt>2021-05-01 10:00:00</wp:post_date_gmt>
<wp:post_name>post-{n}</wp:post_name><wp:status>publish</wp:status>
<wp:post_type>post</wp:post_type>
<category domain="post_tag" nicename="generated"><![CDATA[Generated]]></category>
<wp:comment><wp:comment_id>{n}</wp:comment_id><wp:comment_author>Reader</wp:comment_author>
<wp:comment_content>First! {text}</wp:comment_content><wp:comment_approved>1</wp:comment_approved>
<wp:comment_parent>0</wp:comment_parent></wp:comment>
</item>
"""
TAIL = "</channel></rss>\n"


def write_wxr(path: Path, items: int, first_id: int = 1, text_size: int = 2000) -> Path:
    """A WXR 1.1 file with ``items`` posts of about ``text_size`` characters, one comment each."""
    text = ("Good news travels far. " * (text_size // 23 + 1))[:text_size]
    with path.open("w", encoding="utf-8") as out:
        out.write(HEAD)
        for n in range(first_id, first_id + items):
            out.write(ITEM.format(n=n, text=text))
        out.write(TAIL)
    return path


# A whole WordPress site, written for the tests in WordPress's own layout (WXR 1.2, offset +05:00):
# pages, nested categories, menus, sticky/private/password posts, more/nextpage, escaped comments.
SITE = DATA / "wordpress-site.xml"


# A WordPress site with media (WXR 1.2): blocks, shortcodes, featured images and the attachments
# behind them. Its uploads folder is made by write_uploads.
MEDIA = DATA / "wordpress-media.xml"
# What write_uploads puts in the folder (below 2024/05/): lost.jpg is missing on purpose.
MEDIA_PICTURES = {
    "sunrise.jpg": (1600, 1000),
    "harbour.jpg": (1000, 667),
    "boats.png": (900, 600),
    "nets.jpg": (800, 500),
    "gulls.jpg": (800, 500),
    "dunes.jpg": (800, 500),
}


def _picture(path: Path, size: tuple[int, int], colour: tuple[int, int, int]) -> None:
    from PIL import Image, ImageDraw

    mode = "RGBA" if path.suffix == ".png" else "RGB"
    picture = Image.new(mode, size, colour)
    draw = ImageDraw.Draw(picture)
    draw.ellipse((size[0] // 4, size[1] // 4, size[0] // 2, size[1] // 2), fill=(250, 250, 250))
    picture.save(path)


def _sine_wav(path: Path, seconds: float = 2.0, rate: int = 8000) -> None:
    """A few seconds of a 440 Hz tone, mono, 16-bit."""
    import math
    import struct
    import wave

    frames = b"".join(
        struct.pack("<h", int(12000 * math.sin(2 * math.pi * 440 * n / rate)))
        for n in range(int(seconds * rate))
    )
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)


def _box(kind: bytes, payload: bytes) -> bytes:
    return (8 + len(payload)).to_bytes(4, "big") + kind + payload


def minimal_mp4() -> bytes:
    """An ISO media file's outline (ftyp, an empty moov and mdat): a video by its first bytes,
    which is what the library checks; made by hand, since no encoder is at hand (it does not
    play)."""
    ftyp = _box(b"ftyp", b"isom" + (512).to_bytes(4, "big") + b"isomiso2mp41")
    return ftyp + _box(b"moov", _box(b"mvhd", bytes(100))) + _box(b"mdat", bytes(64))


def silent_mp3(frames: int = 40) -> bytes:
    """MPEG-1 Layer III frames of silence, 128 kbit/s at 44.1 kHz (417 bytes each, ~1 s)."""
    return (b"\xff\xfb\x90\x64" + bytes(413)) * frames


def write_uploads(root: Path) -> Path:
    """The old site's wp-content/uploads folder for MEDIA: Pillow pictures, a WAV tone, an
    MP4 outline, an MP3, a PDF, and a PHP file named like a picture (sneaky.jpg)."""
    uploads = root / "wp-content" / "uploads"
    may = uploads / "2024" / "05"
    may.mkdir(parents=True)
    for n, (name, size) in enumerate(MEDIA_PICTURES.items()):
        _picture(may / name, size, (40 * n, 90, 160))
    _sine_wav(may / "waves.wav")
    (may / "swim.mp4").write_bytes(minimal_mp4())
    (may / "chime.mp3").write_bytes(silent_mp3())
    (may / "report.pdf").write_bytes(b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
    (may / "sneaky.jpg").write_bytes(b"<?php system($_GET['c']); ?>")
    return uploads
