"""Checking an upload by its content, and making the sizes of a picture (with Pillow).

Neither the file's name nor the Content-Type a browser sent decide anything: the bytes do.
Pictures are opened by Pillow limited to JPEG, PNG, GIF and WebP (and AVIF where the installed
Pillow reads it); their pixel count is checked from the header before a single pixel is
decoded, so a decompression bomb (a small file that decodes to gigabytes) is refused cheaply.
Then the picture is verified, decoded, turned upright by its EXIF orientation and written anew:
the stored original and every size carry no EXIF (GPS included) and no XMP, only the ICC colour
profile. Sound and video are recognised by their first bytes and stored as they are.

Nothing here touches the disk or the database: ``process`` returns the files to store, so a
refused upload stores nothing.
"""

from __future__ import annotations

import hashlib
import io
import struct
import warnings
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError, features

PICTURE_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
# The stored original's extension and type, by the format it is written in.
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp", "AVIF": "avif"}
MIME_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
# Quality of the sizes; the original keeps more (JPEG 90) as it is what others are made from.
JPEG_QUALITY = 82
WEBP_QUALITY = 80
AVIF_QUALITY = 60
# libaom/SVT speed 0 (slowest, smallest) to 10: 8 keeps a 24-megapixel upload within seconds.
AVIF_SPEED = 8
WEBP_MAX_SIDE = 16383  # the WebP format's limit
HASH_LENGTH = 32  # hex characters of sha256 kept in a stored name (128 bits)
NAMES_SHOWN = _l("JPEG, PNG, GIF or WebP")


class UploadRefused(Exception):
    """An upload this site does not take; ``message`` is a sentence for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Processed:
    """What an upload becomes: the record's fields and the files to store (name -> bytes)."""

    kind: str
    mime_type: str
    original: str  # the stored name of the original
    byte_size: int
    width: int | None = None
    height: int | None = None
    sizes: dict = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)


# --- sound, video and other files, by their first bytes ----------------------------------------

# ISO base media "ftyp" brands of sound only; every other (but pictures') is a video.
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "}
_PICTURE_BRANDS = {b"avif", b"avis", b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"hevc"}


def _mp3_frame(data: bytes) -> bool:
    """An MPEG audio frame header: 11 sync bits, a known version and layer, a valid bitrate."""
    if len(data) < 4 or data[0] != 0xFF or data[1] & 0xE0 != 0xE0:
        return False
    version = (data[1] >> 3) & 3
    layer = (data[1] >> 1) & 3
    bitrate = data[2] >> 4
    return version != 1 and layer != 0 and bitrate not in (0, 15)


def sniff_other(data: bytes) -> tuple[str, str, str] | None:
    """(kind, mime type, extension) of a sound, video or PDF file, or None."""
    head = data[:64]
    if head.startswith(b"ID3") or _mp3_frame(head):
        return "audio", "audio/mpeg", "mp3"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio", "audio/wav", "wav"
    if head.startswith(b"OggS"):
        if b"\x80theora" in data[:512]:
            return "video", "video/ogg", "ogg"
        return "audio", "audio/ogg", "ogg"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _AUDIO_BRANDS:
            return "audio", "audio/mp4", "m4a"
        if brand in _PICTURE_BRANDS:
            return None
        return "video", "video/mp4", "mp4"  # mp4, mov (qt), 3gp: browsers play them as MP4
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in data[:64]:
        return "video", "video/webm", "webm"
    if head.startswith(b"%PDF-"):
        return "file", "application/pdf", "pdf"
    return None


# --- pictures ----------------------------------------------------------------------------------


def picture_formats() -> tuple[str, ...]:
    return (*PICTURE_FORMATS, "AVIF") if features.check("avif") else PICTURE_FORMATS


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1_000_000:,.0f}" if pixels >= 10_000_000 else f"{pixels / 1_000_000:,.1f}"


def _too_many_pixels(width: int, height: int, limit: int) -> UploadRefused:
    return UploadRefused(
        _(
            "This picture is %(width)s × %(height)s pixels "  # noqa: RUF001 - the sign people read
            "(%(megapixels)s megapixels); "
            "the most this site takes is %(limit)s megapixels.",
            width=width,
            height=height,
            megapixels=_megapixels(width * height),
            limit=_megapixels(limit),
        )
    )


def _not_readable(shown: str) -> UploadRefused:
    return UploadRefused(
        _(
            "“%(name)s” could not be read: the picture is damaged or incomplete. "
            "Please save it again and upload the new file.",
            name=shown,
        )
    )


def open_picture(data: bytes, shown: str, max_pixels: int) -> Image.Image | None:
    """The decoded picture in ``data``, or None when ``data`` is no picture at all.

    The size is checked from the header before decoding; ``verify`` checks the file's structure
    (PNG checksums), and the picture is opened again for decoding (a verified image cannot be
    used). Pillow's own bomb guard (a warning past MAX_IMAGE_PIXELS, an error past twice that)
    is turned into a refusal too."""
    formats = picture_formats()
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=formats) as probe:
                width, height = probe.size
                if width * height > max_pixels:
                    raise _too_many_pixels(width, height, max_pixels)
                frames = getattr(probe, "n_frames", 1)
                if width * height * frames > max_pixels * 4:
                    raise UploadRefused(
                        _(
                            "This animation has %(frames)s pictures of %(width)s × %(height)s "  # noqa: RUF001
                            "pixels; that is more than this site takes. "
                            "Please upload a shorter or smaller one.",
                            frames=frames,
                            width=width,
                            height=height,
                        )
                    )
                probe.verify()
            picture = Image.open(io.BytesIO(data), formats=formats)
            picture.load()
        except UploadRefused:
            raise
        except UnidentifiedImageError:
            return None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            # Past Pillow's own limit Image.open refuses before saying the size: read it from
            # the header for the message.
            size = _header_size(data, formats)
            if size is None:
                raise UploadRefused(
                    _(
                        "“%(name)s” is far larger in pixels than this site takes "
                        "(%(limit)s megapixels at most).",
                        name=shown,
                        limit=_megapixels(max_pixels),
                    )
                ) from None
            raise _too_many_pixels(*size, max_pixels) from None
        except (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error):
            raise _not_readable(shown) from None
    return picture


def _header_size(data: bytes, formats: tuple[str, ...]) -> tuple[int, int] | None:
    """The size in a picture's header, read by the format's own plugin without Pillow's bomb
    check (which Image.open applies after the plugin read the header)."""
    Image.init()
    for fmt in formats:
        factory, accept = Image.OPEN.get(fmt, (None, None))
        accepted = accept(data[:16]) if accept is not None else True
        if factory is None or not accepted or isinstance(accepted, str):
            continue
        try:
            with factory(io.BytesIO(data)) as header:
                return header.size
        except (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error):
            continue
    return None


def _has_transparency(picture: Image.Image) -> bool:
    if picture.mode in ("RGBA", "LA", "PA") or picture.info.get("transparency") is not None:
        alpha = picture.convert("RGBA").getchannel("A")
        return alpha.getextrema()[0] < 255
    return False


def _upright(picture: Image.Image) -> tuple[Image.Image, bytes | None, bool]:
    """The picture turned by its orientation tag, in RGB or RGBA, with no metadata left but
    the ICC profile (kept only while the colours stay in its colour space)."""
    icc = picture.info.get("icc_profile")
    transparent = _has_transparency(picture)
    if picture.mode not in ("RGB", "RGBA") and (picture.mode not in ("P", "PA") or not icc):
        icc = None  # a grey, CMYK or 16-bit profile does not describe the RGB made from it
    try:
        upright = ImageOps.exif_transpose(picture) or picture
    except (SyntaxError, ValueError, TypeError, KeyError, OSError, struct.error):
        upright = picture  # EXIF too damaged to read an orientation from: as it is (and stripped)
    if upright.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        # 16-bit (or float) grey: scaled to 8 bits, not clipped to white.
        upright = upright.convert("I") if upright.mode != "I" else upright
        if (upright.getextrema()[1] or 0) > 255:
            upright = upright.point(lambda value: value / 257)
        upright = upright.convert("L")
    target = "RGBA" if transparent else "RGB"
    if upright.mode != target:
        upright = upright.convert(target)
    upright.info = {}  # EXIF (GPS), XMP, comments: nothing is written from here on
    return upright, icc, transparent


def _encode(picture: Image.Image, fmt: str, icc: bytes | None, **options) -> bytes:
    out = io.BytesIO()
    if icc:
        options["icc_profile"] = icc
    picture.save(out, fmt, **options)
    return out.getvalue()


def _encoders(transparent: bool, avif: bool) -> list[tuple[str, str, dict]]:
    """(key, Pillow format, options) for each format a size is written in, best first."""
    formats = []
    if avif:
        formats.append(("avif", "AVIF", {"quality": AVIF_QUALITY, "speed": AVIF_SPEED}))
    formats.append(("webp", "WEBP", {"quality": WEBP_QUALITY, "method": 4}))
    if transparent:
        formats.append(("png", "PNG", {"optimize": True}))
    else:
        formats.append(("jpeg", "JPEG", {"quality": JPEG_QUALITY, "optimize": True}))
    return formats


def _resized(source: Image.Image, width: int, height: int) -> Image.Image:
    # reducing_gap: a fast integer reduction first, then Lanczos over the last steps.
    return source.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)


def _scaled_height(width: int, height: int, new_width: int) -> int:
    return max(1, round(height * new_width / width))


def _original(picture: Image.Image, source_format: str, icc: bytes | None) -> tuple[bytes, str]:
    """The original written anew (metadata gone): its bytes and format."""
    if source_format == "JPEG":
        return _encode(picture, "JPEG", icc, quality=90), "JPEG"
    if source_format == "WEBP":
        return _encode(picture, "WEBP", icc, quality=90, method=4), "WEBP"
    # PNG, a still GIF and AVIF: PNG (lossless). A huge PNG is compressed less hard: optimize
    # costs seconds on tens of megapixels for a few percent.
    big = picture.width * picture.height > 4_000_000
    options = {"compress_level": 6} if big else {"optimize": True}
    return _encode(picture, "PNG", icc, **options), "PNG"


def _animation(picture: Image.Image, fmt: str) -> bytes:
    """An animated GIF or WebP written anew, every frame kept, no metadata."""
    out = io.BytesIO()
    options: dict = {"save_all": True}
    if fmt == "GIF":
        options |= {"loop": picture.info.get("loop", 0), "optimize": False}
    else:
        options |= {"loop": picture.info.get("loop", 0), "quality": 90}
    frames = []
    durations = []
    for frame in range(getattr(picture, "n_frames", 1)):
        picture.seek(frame)
        durations.append(picture.info.get("duration", 100))
        frames.append(picture.convert("RGBA") if fmt == "WEBP" else picture.copy())
    frames[0].info = {}
    frames[0].save(out, fmt, append_images=frames[1:], duration=durations, **options)
    return out.getvalue()


def process_picture(picture: Image.Image, size_widths: dict[str, int]) -> Processed:
    source_format = picture.format or "PNG"
    if getattr(picture, "is_animated", False) and source_format in ("GIF", "WEBP"):
        data = _animation(picture, source_format)
        digest = hashlib.sha256(data).hexdigest()[:HASH_LENGTH]
        name = f"{digest[:2]}/{digest}.{EXTENSIONS[source_format]}"
        key = source_format.lower()
        full = {"width": picture.width, "height": picture.height, "files": {key: name}}
        return Processed(
            "image",
            MIME_TYPES[source_format],
            name,
            len(data),
            picture.width,
            picture.height,
            {"full": full},
            {name: data},
        )
    upright, icc, transparent = _upright(picture)
    picture.close()
    data, stored_format = _original(upright, source_format, icc)
    digest = hashlib.sha256(data).hexdigest()[:HASH_LENGTH]
    stem = f"{digest[:2]}/{digest}"
    original = f"{stem}.{EXTENSIONS[stored_format]}"
    files = {original: data}
    width, height = upright.size
    avif = features.check("avif")
    fallback = "png" if transparent else "jpeg"

    def write(image: Image.Image, keys: list[tuple[str, str, dict]]) -> dict[str, str]:
        written = {}
        for key, fmt, options in keys:
            name = f"{stem}-{image.width}x{image.height}.{EXTENSIONS[fmt]}"
            files[name] = _encode(image, fmt, icc, **options)
            written[key] = name
        return written

    sizes: dict[str, dict] = {}
    made: list[Image.Image] = []  # the sizes made so far, largest first: smaller ones use them
    for size_name, target in sorted(size_widths.items(), key=lambda pair: -pair[1]):
        if size_name == "thumbnail" or width <= target:
            continue
        source = next((m for m in reversed(made) if m.width >= target * 2), upright)
        image = _resized(source, target, _scaled_height(width, height, target))
        made.append(image)
        sizes[size_name] = {
            "width": image.width,
            "height": image.height,
            "files": write(image, _encoders(transparent, avif)),
        }
    square = size_widths.get("thumbnail")
    if square and width >= square and height >= square and (width, height) != (square, square):
        # A size made above keeps the aspect ratio, so its centre square is the original's.
        source = next((m for m in reversed(made) if min(m.size) >= square * 2), upright)
        thumb = ImageOps.fit(source, (square, square), Image.Resampling.LANCZOS)
        sizes["thumbnail"] = {
            "width": square,
            "height": square,
            "files": write(thumb, _encoders(transparent, avif)),
        }
    full_files: dict[str, str] = {}
    if max(width, height) <= WEBP_MAX_SIDE:
        if stored_format == "WEBP":
            full_files["webp"] = original
        else:
            full_files |= write(upright, [("webp", "WEBP", {"quality": 85, "method": 4})])
    if EXTENSIONS[stored_format] == ("png" if transparent else "jpg"):
        full_files[fallback] = original
    else:
        full_files |= write(upright, _encoders(transparent, False)[-1:])
    sizes["full"] = {"width": width, "height": height, "files": full_files}
    return Processed(
        "image",
        MIME_TYPES[stored_format],
        original,
        len(data),
        width,
        height,
        sizes,
        files,
    )


# --- the whole check ---------------------------------------------------------------------------


def size_limit_text(limit: int) -> str:
    megabytes = limit / (1024 * 1024)
    return f"{megabytes:g} MB" if megabytes >= 1 else f"{limit // 1024} KB"


def process(data: bytes, shown_name: str, *, allow_files: bool = False) -> Processed:
    """Check ``data`` by its content and make what is stored of it; UploadRefused otherwise.

    ``shown_name`` is only used in messages. ``allow_files`` (imports) also takes a PDF, as
    kind "file"."""
    config = current_app.config
    limit = config["MEDIA_MAX_BYTES"]
    if not data:
        raise UploadRefused(_("“%(name)s” is empty.", name=shown_name))
    if len(data) > limit:
        raise UploadRefused(
            _(
                "“%(name)s” is larger than %(limit)s, the most this site takes.",
                name=shown_name,
                limit=size_limit_text(limit),
            )
        )
    picture = open_picture(data, shown_name, config["MEDIA_MAX_PIXELS"])
    if picture is not None:
        try:
            return process_picture(picture, dict(config["MEDIA_SIZES"]))
        except (OSError, ValueError, SyntaxError, EOFError) as error:
            # A picture Pillow opened but could not convert or encode (an unusual mode, a
            # corrupt frame met late): refused, logged for the operator.
            current_app.logger.warning("Could not process the picture %r: %r", shown_name, error)
            raise _not_readable(shown_name) from None
        finally:
            picture.close()
    other = sniff_other(data)
    if other is not None and (other[0] != "file" or allow_files):
        kind, mime_type, extension = other
        digest = hashlib.sha256(data).hexdigest()[:HASH_LENGTH]
        name = f"{digest[:2]}/{digest}.{extension}"
        return Processed(kind, mime_type, name, len(data), files={name: data})
    raise UploadRefused(
        _(
            "“%(name)s” is not a picture, sound or video this site can show (it is not a "
            "%(formats)s image inside).",
            name=shown_name,
            formats=NAMES_SHOWN,
        )
    )
