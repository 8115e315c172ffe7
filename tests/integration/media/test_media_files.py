"""Serving media files: immutable, typed, never run as a page; conditional requests and HEAD;
a friendly 413 for anything too large."""

from __future__ import annotations

import io
import json

import pytest
from flask import request
from PIL import Image

from blog.extensions import db
from blog.media import library
from blog.media.storage import media_root
from tests.helpers import HX


def picture() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1000, 700), (10, 90, 160)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def item(app):
    item = library.add_media(picture(), "harbour.jpg", alt_text="Boats")
    db.session.commit()
    return item


@pytest.mark.parametrize(
    ("key", "content_type"),
    [("avif", "image/avif"), ("webp", "image/webp"), ("jpeg", "image/jpeg")],
)
def test_a_size_is_served_immutable_typed_and_sandboxed(client, item, key, content_type):
    name = json.loads(item.sizes)["medium"]["files"][key]
    with client.get(f"/media/files/{name}") as response:
        response.make_sequence()
    assert response.status_code == 200
    assert response.content_type == content_type
    assert response.data == (media_root() / name).read_bytes()
    cache = response.cache_control
    assert cache.public and cache.immutable and cache.max_age == 31536000
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers.getlist("Content-Security-Policy") == ["default-src 'none'; sandbox"]


def test_conditional_requests_and_head_work(client, item):
    url = f"/media/files/{item.stored_name}"
    with client.get(url) as first:
        etag = first.headers["ETag"]
    with client.get(url, headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304 and again.data == b""
    with client.head(url) as head:
        pass
    assert head.status_code == 200 and head.data == b""
    assert int(head.headers["Content-Length"]) == item.byte_size


@pytest.mark.parametrize(
    "name",
    [
        "ab/ab0123456789abcdef0123456789abcd.jpg",  # a valid name nobody stored
        "../instance/blog.sqlite",
        "..%2Fblog.sqlite",
        "ab/ab0123456789abcdef.php",
        "config.py",
    ],
)
def test_unknown_or_invalid_names_are_404(client, item, name):
    assert client.get(f"/media/files/{name}").status_code == 404


def test_the_stable_address_serves_the_original_with_short_caching(client, item):
    with client.get(f"/media/{item.id}/harbour.jpg") as response:
        response.make_sequence()
    assert response.status_code == 200 and response.content_type == "image/jpeg"
    assert response.data == (media_root() / item.stored_name).read_bytes()
    assert response.cache_control.max_age == 600 and not response.cache_control.immutable
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    # The id decides; the name is for people.
    with client.get(f"/media/{item.id}/other-name.png") as renamed:
        assert renamed.data == response.data


def test_the_stable_address_of_a_missing_file_or_item_is_404(client, make):
    missing = make.media("gone.jpg")
    assert client.get(f"/media/{missing.id}/gone.jpg").status_code == 404
    assert client.get("/media/999/none.jpg").status_code == 404
    assert client.get("/media/99999999999/none.jpg").status_code == 404


@pytest.fixture
def upload_route(app):
    """What the admin's upload view does first: raise the request limit to MEDIA_MAX_BYTES."""

    @app.post("/__upload")
    def upload():
        request.max_content_length = app.config["MEDIA_MAX_BYTES"]
        return str(len(request.files["file"].read()))

    @app.post("/__form")
    def form():
        return str(len(request.form))

    app.config["WTF_CSRF_ENABLED"] = False
    return app.test_client()


def send(client, size: int, headers=None, url="/__upload"):
    # The body built here, in memory: the test client's own encoder spools a big one to a
    # temporary file that stays open when the app refuses to read it.
    body = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\n'
        b"Content-Type: image/jpeg\r\n\r\n" + b"\0" * size + b"\r\n--b--\r\n"
    )
    return client.post(
        url, data=body, content_type="multipart/form-data; boundary=b", headers=headers or {}
    )


def test_an_upload_within_media_max_bytes_passes_the_request_limit(upload_route):
    response = send(upload_route, 2 * 1024 * 1024)  # above MAX_CONTENT_LENGTH (1 MB)
    assert response.status_code == 200 and response.text == str(2 * 1024 * 1024)


def test_an_upload_over_media_max_bytes_gets_a_friendly_413(upload_route):
    response = send(upload_route, 32 * 1024 * 1024 + 1)
    assert response.status_code == 413
    assert "This file is larger than 32 MB, the most this site takes." in response.text
    assert "<html" in response.text  # the styled page
    fragment = send(upload_route, 32 * 1024 * 1024 + 1, HX)
    assert fragment.status_code == 413
    assert "This file is larger than 32 MB, the most this site takes." in fragment.text
    assert "<html" not in fragment.text  # a fragment for htmx to show


def test_any_other_request_over_max_content_length_gets_the_413_page(upload_route, app):
    too_long = app.config["MAX_CONTENT_LENGTH"] + 1
    response = upload_route.post("/__form", data={"text": "x" * too_long})
    assert response.status_code == 413
    assert "What you sent is larger than 1 MB, the most this site takes." in response.text
    upload = send(upload_route, too_long, url="/__form")  # a file where no upload is expected
    assert upload.status_code == 413
    assert "This file is larger than 1 MB, the most this site takes." in upload.text


def test_sound_answers_range_requests_so_players_can_seek(client, app):
    song = library.add_media(b"ID3\x04\x00" + bytes(range(256)) * 8, "song.mp3")
    db.session.commit()
    with client.get(f"/media/files/{song.stored_name}", headers={"Range": "bytes=5-9"}) as part:
        assert part.status_code == 206 and part.content_type == "audio/mpeg"
        assert part.data == bytes(range(5))  # the first five bytes after the ID3 header
        assert part.headers["Content-Range"] == f"bytes 5-9/{song.byte_size}"


def test_a_pdf_is_downloaded_never_shown(client, app):
    menu = library.add_media(b"%PDF-1.4\n%%EOF\n", "Lunch menu.pdf", allow_files=True)
    db.session.commit()
    with client.get(f"/media/{menu.id}/Lunch-menu.pdf") as response:
        assert response.status_code == 200 and response.content_type == "application/pdf"
        assert response.headers["Content-Disposition"] == "attachment; filename=Lunch-menu.pdf"
    with client.get(f"/media/files/{menu.stored_name}") as response:
        assert response.headers["Content-Disposition"].startswith("attachment;")
