"""blog.media.processing and library.add_media: uploads checked by content, sizes made,
metadata gone, refusals that store nothing. Every picture is made here with Pillow."""

from __future__ import annotations

import io
import json
import re

import pytest
from PIL import Image, ImageCms, ImageDraw, features
from sqlalchemy import func, select

from blog.extensions import db
from blog.media import library, processing
from blog.media.storage import media_root, valid_name
from blog.models import MediaItem

ORIENTATION = 0x0112
GPS_IFD = 0x8825
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
    b'22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'exif:GPSLatitude="48,51.5N"/></rdf:RDF></x:xmpmeta>'
)


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def with_gps(orientation: int = 6) -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "Camera maker"
    exif[GPS_IFD] = {1: "N", 2: (48.0, 51.0, 30.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    return exif


def drawn(size=(640, 480), mode="RGB", color=(30, 120, 200)) -> Image.Image:
    image = Image.new(mode, size, color)
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.ellipse(
        (w // 8, h // 8, w // 2, h // 2), fill=(250, 200, 40) + (() if mode == "RGB" else (255,))
    )
    draw.rectangle((0, h * 3 // 4, w, h), fill=(40, 140, 60) + (() if mode == "RGB" else (255,)))
    return image


@pytest.fixture(scope="module")
def photo_24mp() -> bytes:
    """A 6000 x 4000 JPEG taken "sideways" (orientation 6) with GPS in its EXIF and in XMP."""
    return encoded(drawn((6000, 4000)), "JPEG", quality=90, exif=with_gps(6), xmp=XMP)


def stored_files() -> list[str]:
    root = media_root()
    if not root.exists():
        return []
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def opened(name: str) -> Image.Image:
    return Image.open(media_root() / name)


def media_count() -> int:
    return db.session.scalar(select(func.count()).select_from(MediaItem))


def test_a_24_megapixel_photo_is_turned_upright_stripped_and_made_in_sizes(app, photo_24mp):
    with Image.open(io.BytesIO(photo_24mp)) as source:  # the test's own premise
        assert source.getexif().get_ifd(GPS_IFD) and "xmp" in source.info

    item = library.add_media(photo_24mp, "Holiday photo.JPG", alt_text="Our tent")
    db.session.commit()

    assert (item.kind, item.mime_type, item.file_name) == (
        "image",
        "image/jpeg",
        "Holiday-photo.JPG",
    )
    assert (item.width, item.height) == (4000, 6000)  # orientation 6: turned a quarter
    assert item.title == "Holiday photo" and item.alt_text == "Our tent"
    assert re.fullmatch(r"([0-9a-f]{2})/\1[0-9a-f]{30}\.jpg", item.stored_name)
    sizes = json.loads(item.sizes)
    expected = {
        "thumbnail": (150, 150),
        "medium": (768, 1152),
        "large": (1536, 2304),
        "full": (4000, 6000),
    }
    assert {name: (s["width"], s["height"]) for name, s in sizes.items()} == expected
    avif = ["avif"] if features.check("avif") else []
    for name in ("thumbnail", "medium", "large"):
        assert sorted(sizes[name]["files"]) == sorted([*avif, "webp", "jpeg"])
    assert sizes["full"]["files"] == {
        "webp": sizes["full"]["files"]["webp"],
        "jpeg": item.stored_name,
    }
    names = {item.stored_name} | {n for s in sizes.values() for n in s["files"].values()}
    assert sorted(names) == stored_files()
    for name in names:
        assert valid_name(name)
        with opened(name) as image:
            image.load()  # every file decodes, AVIF and WebP included
            size_name = next(k for k, s in sizes.items() if name in s["files"].values())
            assert image.size == expected[size_name]
            assert (
                image.format
                == {"avif": "AVIF", "webp": "WEBP", "jpg": "JPEG"}[name[-4:].lstrip(".")]
            )
            assert not image.getexif(), name  # no EXIF at all: no GPS, no orientation, no maker
            assert "xmp" not in image.info and "exif" not in image.info, name
            assert b"GPS" not in (media_root() / name).read_bytes()
    with opened(item.stored_name) as original:
        # Upright: the drawing's green band (the bottom of the sideways picture) is now on the left.
        assert original.getpixel((10, 3000))[1] > 120 and original.getpixel((3990, 3000))[2] > 150


def test_transparent_pictures_keep_their_alpha_in_png_sizes(app):
    image = drawn((900, 600), mode="RGBA", color=(0, 0, 0, 0))
    item = library.add_media(encoded(image, "PNG"), "logo.png")
    sizes = json.loads(item.sizes)
    assert item.mime_type == "image/png" and item.stored_name.endswith(".png")
    assert "png" in sizes["medium"]["files"] and "jpeg" not in sizes["medium"]["files"]
    assert sizes["full"]["files"]["png"] == item.stored_name
    assert "large" not in sizes  # 900 wide: no 1536 size bigger than the original
    with opened(sizes["thumbnail"]["files"]["png"]) as thumb:
        assert thumb.mode == "RGBA" and thumb.getpixel((0, 0))[3] == 0


def test_the_icc_profile_is_kept(app):
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    item = library.add_media(encoded(drawn(), "JPEG", icc_profile=profile), "colour.jpg")
    with opened(item.stored_name) as original:
        assert original.info.get("icc_profile") == profile
    with opened(json.loads(item.sizes)["thumbnail"]["files"]["webp"]) as medium:
        assert medium.info.get("icc_profile") == profile


def test_a_small_picture_gets_no_sizes_bigger_than_itself(app):
    item = library.add_media(encoded(drawn((120, 90)), "GIF"), "tiny.gif")
    sizes = json.loads(item.sizes)
    assert list(sizes) == ["full"] and (item.width, item.height) == (120, 90)
    assert set(sizes["full"]["files"]) == {"webp", "jpeg"}


def test_an_animated_gif_is_kept_whole_with_no_sizes(app):
    frames = [drawn((200, 100), color=(i * 60, 0, 0)).convert("P") for i in range(3)]
    data = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    item = library.add_media(data, "spin.gif")
    sizes = json.loads(item.sizes)
    assert sizes == {"full": {"width": 200, "height": 100, "files": {"gif": item.stored_name}}}
    with opened(item.stored_name) as gif:
        assert gif.n_frames == 3


def test_a_png_bomb_is_refused_before_decoding_and_nothing_is_stored(app):
    bomb = encoded(Image.new("1", (20000, 20000)), "PNG", optimize=True)
    assert len(bomb) < 200_000  # small on disk, 400 million pixels once decoded
    with pytest.raises(processing.UploadRefused) as refused:
        library.add_media(bomb, "bomb.png")
    assert refused.value.message == (
        "This picture is 20000 × 20000 pixels (400 megapixels); "  # noqa: RUF001
        "the most this site takes is 60 megapixels."
    )
    db.session.commit()
    assert stored_files() == [] and media_count() == 0


def test_a_picture_just_over_the_configured_pixels_is_refused_with_its_size(app):
    app.config["MEDIA_MAX_PIXELS"] = 100_000
    with pytest.raises(processing.UploadRefused) as refused:
        library.add_media(encoded(drawn((400, 300)), "PNG"), "wide.png")
    assert refused.value.message == (
        "This picture is 400 × 300 pixels (0.1 megapixels); the most this site takes is "  # noqa: RUF001
        "0.1 megapixels."
    )
    assert stored_files() == []


@pytest.mark.parametrize(
    "data",
    [
        b"<?php system($_GET['c']); ?>\n",
        b"<!doctype html><html><script>alert(1)</script></html>",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"GIF89a<?php echo 1; ?>",  # a GIF signature in front of a script: no GIF inside
        b"%PDF-1.4\n%%EOF\n",  # a PDF: only an import records one
    ],
    ids=["php", "html", "svg", "gif-signature", "pdf"],
)
def test_anything_but_a_picture_sound_or_video_is_refused_whatever_its_name(app, data):
    with pytest.raises(processing.UploadRefused) as refused:
        library.add_media(data, "x.jpg")
    assert refused.value.message == (
        "“x.jpg” is not a picture, sound or video this site can show "
        "(it is not a JPEG, PNG, GIF or WebP image inside)."
    )
    db.session.commit()
    assert stored_files() == [] and media_count() == 0


def test_a_pdf_is_recorded_as_a_file_for_imports(app):
    item = library.add_media(b"%PDF-1.4\n%%EOF\n", "menu.pdf", allow_files=True)
    assert (item.kind, item.mime_type, item.sizes) == ("file", "application/pdf", "{}")
    assert item.stored_name.endswith(".pdf")


def test_a_truncated_jpeg_is_refused_as_damaged(app):
    data = encoded(drawn((800, 600)), "JPEG", quality=90)
    with pytest.raises(processing.UploadRefused) as refused:
        library.add_media(data[: len(data) // 2], "cut.jpg")
    assert refused.value.message.startswith("“cut.jpg” could not be read: the picture is damaged")
    assert stored_files() == [] and media_count() == 0


def test_a_png_with_a_bad_checksum_is_refused(app):
    data = bytearray(encoded(drawn((64, 64)), "PNG"))
    assert data[37:41] == b"IDAT"
    data[45] ^= 0xFF  # inside the first IDAT chunk: its CRC no longer matches
    with pytest.raises(processing.UploadRefused, match="could not be read"):
        library.add_media(bytes(data), "bad.png")


def test_files_over_the_size_limit_and_empty_files_are_refused(app):
    app.config["MEDIA_MAX_BYTES"] = 1024 * 1024
    with pytest.raises(processing.UploadRefused) as refused:
        library.add_media(b"ID3" + bytes(1024 * 1024), "song.mp3")
    assert refused.value.message == "“song.mp3” is larger than 1 MB, the most this site takes."
    with pytest.raises(processing.UploadRefused, match="is empty"):
        library.add_media(b"", "nothing.png")


RIFF_WAVE = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(28)
FTYP = b"\x00\x00\x00\x18ftyp"


@pytest.mark.parametrize(
    ("data", "kind", "mime_type", "extension"),
    [
        (b"ID3\x04\x00" + bytes(64), "audio", "audio/mpeg", "mp3"),
        (b"\xff\xfb\x90\x64" + bytes(64), "audio", "audio/mpeg", "mp3"),  # a bare MPEG frame
        (RIFF_WAVE, "audio", "audio/wav", "wav"),
        (b"OggS\x00\x02" + bytes(22) + b"\x01vorbis" + bytes(30), "audio", "audio/ogg", "ogg"),
        (b"OggS\x00\x02" + bytes(22) + b"\x80theora" + bytes(30), "video", "video/ogg", "ogg"),
        (FTYP + b"M4A \x00\x00\x00\x00" + bytes(16), "audio", "audio/mp4", "m4a"),
        (FTYP + b"isom\x00\x00\x02\x00" + bytes(16), "video", "video/mp4", "mp4"),
        (FTYP + b"qt  \x00\x00\x02\x00" + bytes(16), "video", "video/mp4", "mp4"),
        (
            b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm" + bytes(16),
            "video",
            "video/webm",
            "webm",
        ),
    ],
    ids=["id3", "mpeg-frame", "wav", "ogg-vorbis", "ogg-theora", "m4a", "mp4", "mov", "webm"],
)
def test_sound_and_video_are_recognised_by_their_first_bytes(app, data, kind, mime_type, extension):
    item = library.add_media(data, "clip.bin")
    assert (item.kind, item.mime_type, item.sizes) == (kind, mime_type, "{}")
    assert item.stored_name.endswith("." + extension)
    assert (media_root() / item.stored_name).read_bytes() == data  # stored as it is


@pytest.mark.parametrize(
    "data",
    [
        FTYP + b"heic\x00\x00\x00\x00" + bytes(16),  # a HEIC picture is no video
        b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska" + bytes(16),
        b"\xff\xd8\xff\xe0" + bytes(64),  # JPEG's signature with nothing after it
        b"RIFF\x24\x00\x00\x00AVI LIST" + bytes(28),
    ],
    ids=["heic", "mkv", "jpeg-signature", "avi"],
)
def test_lookalikes_are_refused(app, data):
    with pytest.raises(processing.UploadRefused):
        library.add_media(data, "clip.bin")
    assert stored_files() == []


def test_the_same_bytes_twice_share_their_files_until_the_last_goes(app):
    data = encoded(drawn((1000, 800)), "JPEG")
    first = library.add_media(data, "a.jpg")
    second = library.add_media(data, "b.jpg")
    db.session.commit()
    assert first.stored_name == second.stored_name and first.id != second.id
    files = stored_files()
    library.delete_media(first)
    db.session.commit()
    assert stored_files() == files  # the second item still shows them
    library.delete_media(second)
    assert stored_files() == files  # removed only once the deletion commits
    db.session.commit()
    assert stored_files() == []


def test_files_written_for_a_transaction_that_rolls_back_are_removed(app):
    library.add_media(encoded(drawn((400, 300)), "PNG"), "a.png")
    assert stored_files()
    db.session.rollback()
    assert stored_files() == [] and media_count() == 0


def test_a_missing_file_is_filled_in_on_the_existing_record(app, make):
    item = make.media("beach.jpg", title="Beach", alt_text="Sand", wp_id=77)
    assert item.is_missing
    filled = library.add_media(encoded(drawn(), "JPEG"), "beach.jpg", item=item)
    db.session.commit()
    assert filled is item and not item.is_missing
    assert (item.title, item.alt_text, item.wp_id, item.width) == ("Beach", "Sand", 77, 640)
    assert media_count() == 1


def test_replacing_a_file_removes_the_old_files_on_commit(app):
    item = library.add_media(encoded(drawn((400, 300)), "PNG"), "a.png")
    db.session.commit()
    old = set(stored_files())
    library.add_media(encoded(drawn((500, 300), color=(1, 2, 3)), "PNG"), "a.png", item=item)
    db.session.commit()
    assert not old & set(stored_files()) and stored_files()


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("C:\\Users\\me\\My Photo.jpg", "My-Photo.jpg"),
        ("../../etc/passwd", "passwd"),
        ("été à la plage.png", "été-à-la-plage.png"),
        ("<script>.gif", "script-.gif"),
        ("...", "file"),
        ("a" * 300 + ".jpeg", "a" * 195 + ".jpeg"),
    ],
)
def test_file_names_are_cleaned(sent, kept):
    assert library.clean_file_name(sent) == kept


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("ab/ab0123456789abcdef.jpg", True),
        ("ab/ab0123456789abcdef-768x512.avif", True),
        ("ab/cd0123456789abcdef.jpg", False),  # not in its own folder
        ("../ab/ab0123456789abcdef.jpg", False),
        ("ab/ab0123456789abcdef.php", False),
        ("ab/ab0123456789abcdef.jpg/..", False),
        ("/etc/passwd", False),
        ("ab\\ab0123456789abcdef.jpg", False),
    ],
)
def test_only_names_the_site_makes_are_valid(name, valid):
    assert valid_name(name) is valid


def sixteen_bit_grey() -> Image.Image:
    ramp = Image.linear_gradient("L").resize((300, 200)).convert("I")
    return ramp.point(lambda value: value * 257).convert("I;16")


@pytest.mark.parametrize(
    ("make_picture", "fmt", "options", "mode", "middle"),
    [
        (lambda: Image.new("CMYK", (300, 200), (0, 255, 255, 0)), "JPEG", {}, "RGB", (254, 0, 0)),
        (lambda: Image.new("L", (300, 200), 128), "JPEG", {}, "RGB", (128, 128, 128)),
        (sixteen_bit_grey, "PNG", {}, "RGB", (127, 127, 127)),  # scaled, not clipped to white
        (lambda: Image.new("LA", (300, 200), (128, 100)), "PNG", {}, "RGBA", (128, 128, 128, 100)),
        (lambda: Image.new("P", (300, 200), 0), "GIF", {"transparency": 0}, "RGBA", (0, 0, 0, 0)),
        (lambda: Image.new("1", (300, 200), 1), "PNG", {}, "RGB", (255, 255, 255)),
    ],
    ids=["cmyk", "grey", "16-bit-grey", "grey-alpha", "gif-transparent", "bilevel"],
)
def test_unusual_modes_are_stored_in_rgb_or_rgba_with_their_colours(
    app, make_picture, fmt, options, mode, middle
):
    item = library.add_media(encoded(make_picture(), fmt, **options), f"odd.{fmt.lower()}")
    with opened(item.stored_name) as original:
        assert original.mode == mode
        assert original.getpixel((150, 100)) == pytest.approx(middle, abs=2)
