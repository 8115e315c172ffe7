"""The admin's media library (blog/admin/media.py): uploads, the list and its search, details,
deleting, the editor's insert and gallery answers, the featured image, and who may do what."""

from __future__ import annotations

import html
import io
import os
import re

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import stream_encode_multipart

from blog.admin.media import ALT_REQUIRED
from blog.admin.posts import FEATURED_REFUSED
from blog.extensions import db
from blog.media.storage import media_root
from blog.models import MediaItem, Post
from tests.helpers import HX, PASSWORD, post_form

UPLOAD = "/admin/media/upload"


def picture(fmt: str = "JPEG", size=(640, 480), mode: str = "RGB", noise: bool = False) -> bytes:
    if noise:
        image = Image.frombytes(mode, size, os.urandom(size[0] * size[1] * len(mode)))
    else:
        image = Image.new(mode, size, (200, 120, 40) if mode == "RGB" else (200, 120, 40, 128))
    out = io.BytesIO()
    image.save(out, fmt, quality=95) if fmt == "JPEG" else image.save(out, fmt)
    return out.getvalue()


def upload(client, *files, alt_text: str = "", headers=None):
    """A multipart POST made in memory (the test client spools a body over 500 KB to a
    temporary file it never closes: a ResourceWarning)."""
    fields = MultiDict([("alt_text", alt_text)])
    for name, content in files:
        fields.add("file", FileStorage(io.BytesIO(content), filename=name))
    stream, _length, boundary = stream_encode_multipart(fields, use_tempfile=False)
    return client.post(
        UPLOAD,
        data=stream.read(),
        content_type=f"multipart/form-data; boundary={boundary}",
        headers=headers,
    )


def count_media() -> int:
    return db.session.scalar(select(func.count(MediaItem.id)))


def stored_files(app) -> list[str]:
    with app.test_request_context():
        root = media_root()
    return [str(path) for path in root.rglob("*") if path.is_file()] if root.exists() else []


def sign_in_as(client, make, role: str, username: str | None = None):
    author = make.author(username or role, role=role)
    client.post("/admin/login", data={"username": author.username, "password": PASSWORD})
    return author


# --- uploads ------------------------------------------------------------------------------------


def test_upload_a_jpeg_and_a_png_lists_both_with_thumbnails(app, admin, client):
    admin.login()
    jpeg, png = picture("JPEG"), picture("PNG", mode="RGBA")
    response = upload(client, ("harbour.jpg", jpeg), ("logo.png", png))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "harbour.jpg</span>: uploaded." in page and "logo.png</span>: uploaded." in page
    items = db.session.scalars(select(MediaItem).order_by(MediaItem.id)).all()
    assert [(i.file_name, i.kind, i.width, i.height) for i in items] == [
        ("harbour.jpg", "image", 640, 480),
        ("logo.png", "image", 640, 480),
    ]
    assert all(item.author_id == admin.author.id for item in items)
    assert stored_files(app)

    library = client.get("/admin/media").get_data(as_text=True)
    assert "harbour.jpg" in library and "logo.png" in library
    assert "640&times;480" in library and "Edith Editor" in library
    # The thumbnail size of each, served from /media/files/.
    assert (
        len(re.findall(r'<img class="media-thumb" src="/media/files/[^"]+-150x150\.', library)) == 2
    )


def test_alt_text_typed_at_upload_is_kept_for_one_file(admin, client):
    admin.login()
    response = upload(client, ("cat.jpg", picture()), alt_text="A ginger cat asleep on a chair")
    assert response.status_code == 200
    assert db.session.scalar(select(MediaItem.alt_text)) == "A ginger cat asleep on a chair"


def test_an_htmx_upload_answers_with_the_rows_only(admin, client):
    admin.login()
    response = upload(client, ("cat.jpg", picture()), headers=HX)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith("<li") and "<html" not in body
    assert "cat.jpg</span>: uploaded." in body


def test_an_upload_larger_than_the_form_limit_is_accepted(app, admin, client):
    """The site takes 1 MB in a form; an upload raises the limit for itself."""
    admin.login()
    big = picture("JPEG", size=(1400, 1400), noise=True)
    assert len(big) > app.config["MAX_CONTENT_LENGTH"]
    response = upload(client, ("noise.jpg", big))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert count_media() == 1


def test_a_php_file_named_jpg_is_refused_and_nothing_stored(app, admin, client):
    admin.login()
    response = upload(client, ("shell.jpg", b"<?php system($_GET['c']); ?>\n"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    row = re.search(r'<li class="upload-result upload-refused">(.*?)</li>', page, re.S).group(1)
    assert "shell.jpg" in row and 'class="field-error"' in row
    message = re.search(r'class="field-error" role="alert">([^<]+)<', row).group(1)
    assert len(message) > 20  # a sentence for the person, from blog.media.processing
    assert "Traceback" not in page
    assert count_media() == 0
    assert stored_files(app) == []


def test_one_refused_file_does_not_stop_the_others(admin, client):
    admin.login()
    response = upload(client, ("fake.jpg", b"not a picture at all"), ("real.jpg", picture()))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "real.jpg</span>: uploaded." in page
    assert re.search(r"fake\.jpg</span>: <span class=\"field-error\"", page)
    assert db.session.scalar(select(MediaItem.file_name)) == "real.jpg"


def test_a_too_big_upload_gets_a_friendly_413(app, admin, client):
    admin.login()
    app.config["MEDIA_MAX_BYTES"] = 200_000
    response = upload(client, ("huge.jpg", b"\xff\xd8" + b"0" * 400_000))
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "more than this site accepts in one upload" in page
    assert "Upload media" in page  # the upload page again, not a bare error
    assert count_media() == 0


def test_an_upload_without_a_file_asks_for_one(admin, client):
    admin.login()
    response = client.post(UPLOAD, data={"alt_text": ""}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choose one or more files to upload." in response.get_data(as_text=True)


def test_the_upload_checks_its_csrf_token(app, admin, client):
    admin.login()
    app.config["WTF_CSRF_ENABLED"] = True
    response = upload(client, ("cat.jpg", picture()))
    assert response.status_code == 400
    assert count_media() == 0


# --- the list, its search, details and deleting -------------------------------------------------


def test_search_and_kind_filter(admin, client, make):
    admin.login()
    make.media("sunset-beach.jpg", title="Sunset over the beach")
    make.media("market.jpg", title="Market day")
    make.media("song.mp3", kind="audio", mime_type="audio/mpeg", title="Harbour song")
    found = client.get("/admin/media?q=sunset").get_data(as_text=True)
    assert "sunset-beach.jpg" in found and "market.jpg" not in found
    audio = client.get("/admin/media?kind=audio").get_data(as_text=True)
    assert "song.mp3" in audio and "market.jpg" not in audio
    fragment = client.get("/admin/media?q=market", headers=HX).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="media-list"') and "market.jpg" in fragment
    nothing = client.get("/admin/media?q=zebra").get_data(as_text=True)
    assert "No media matches." in nothing


def test_the_list_pages(admin, client, make):
    admin.login()
    for n in range(30):
        make.media(f"photo-{n:02}.jpg")
    first = client.get("/admin/media").get_data(as_text=True)
    assert "30 files, page 1 of 2" in first and 'rel="next"' in first
    second = client.get("/admin/media?page=2").get_data(as_text=True)
    assert second.count('class="file-name"') == 6


def test_the_list_shows_where_each_item_is_used(admin, client, make):
    admin.login()
    item = make.media("map.jpg")
    make.post("Trip report", body_md=f'<img src="/media/{item.id}/map.jpg" alt="Map">')
    page = client.get("/admin/media").get_data(as_text=True)
    used = page[page.index('class="media-used-in"') :]
    assert ">Trip report</a>" in used[: used.index("</td>")]


def test_edit_the_alt_text(admin, client, make):
    admin.login()
    item = make.media("dog.jpg", alt_text="")
    response = client.post(
        f"/admin/media/{item.id}/edit",
        data={
            "title": "Dog",
            "alt_text": "A dog catching a frisbee",
            "caption": "",
            "description": "",
        },
    )
    assert response.status_code == 303
    db.session.refresh(item)
    assert (item.title, item.alt_text) == ("Dog", "A dog catching a frisbee")
    page = client.get(f"/admin/media/{item.id}/edit").get_data(as_text=True)
    assert "A dog catching a frisbee" in page


def test_a_too_long_alt_text_comes_back_with_a_message(admin, client, make):
    admin.login()
    item = make.media("dog.jpg")
    response = client.post(
        f"/admin/media/{item.id}/edit", data={"title": "Dog", "alt_text": "x" * 1001}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="alt_text-error"' in page and "x" * 1001 in page


def test_delete_is_refused_while_a_post_uses_it_then_forced(admin, client, make):
    admin.login()
    item = make.media("map.jpg")
    item_id = item.id
    post = make.post("Trip report", body_md=f"![Map](/media/{item.id}/map.jpg)")
    page = client.get(f"/admin/media/{item.id}/delete").get_data(as_text=True)
    assert (
        "Used in 1 post:" in page
        and ">Trip report</a>" in page
        and "remove it from it first" in page
    )
    refused = client.post(f"/admin/media/{item.id}/delete")
    assert refused.status_code == 409
    assert 'role="alert"' in refused.get_data(as_text=True)
    assert db.session.get(MediaItem, item.id) is not None
    forced = client.post(f"/admin/media/{item_id}/delete", data={"force": "1"})
    assert forced.status_code == 303
    db.session.expire_all()
    assert db.session.get(MediaItem, item_id) is None
    assert db.session.get(Post, post.id) is not None


def test_delete_an_unused_item(app, admin, client):
    admin.login()
    upload(client, ("cat.jpg", picture()))
    item = db.session.scalar(select(MediaItem))
    assert "No post uses it." in client.get(f"/admin/media/{item.id}/delete").get_data(as_text=True)
    assert client.post(f"/admin/media/{item.id}/delete").status_code == 303
    db.session.expire_all()
    assert count_media() == 0
    assert stored_files(app) == []


# --- roles ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/admin/media"),
        ("GET", UPLOAD),
        ("POST", UPLOAD),
        ("GET", "/admin/media/picker"),
        ("GET", "/admin/media/{id}/insert"),
        ("POST", "/admin/media/{id}/insert"),
        ("POST", "/admin/media/gallery"),
        ("GET", "/admin/media/{id}/edit"),
        ("POST", "/admin/media/{id}/delete"),
    ],
)
def test_contributors_may_not_use_the_library(client, make, method, path):
    item = make.media("photo.jpg")
    sign_in_as(client, make, "contributor")
    response = client.open(path.format(id=item.id), method=method, data={"alt_text": "x"})
    assert response.status_code == 403
    assert "You are not allowed to do that." in response.get_data(as_text=True)


def test_contributors_have_no_media_link_or_add_media_button(client, make):
    sign_in_as(client, make, "contributor")
    page = client.get("/admin/posts/new").get_data(as_text=True)
    nav = page[page.index('<nav class="admin-nav"') : page.index("</nav>")]
    assert ">Media" not in nav
    assert "Add media" not in page


def test_authors_upload_and_change_only_their_own_media(client, make):
    other = make.author("other", role="author")
    theirs = make.media("theirs.jpg", author_id=other.id)
    me = sign_in_as(client, make, "author", "writer")
    mine = make.media("mine.jpg", author_id=me.id)
    library = client.get("/admin/media").get_data(as_text=True)
    assert "theirs.jpg" in library and "mine.jpg" in library
    assert f"/admin/media/{theirs.id}/edit" not in library
    assert f"/admin/media/{mine.id}/edit" in library
    assert client.get(f"/admin/media/{theirs.id}/edit").status_code == 403
    assert client.post(f"/admin/media/{theirs.id}/delete", data={"force": "1"}).status_code == 403
    assert client.get(f"/admin/media/{mine.id}/edit").status_code == 200
    assert upload(client, ("new.jpg", picture())).status_code == 200
    assert db.session.get(MediaItem, theirs.id) is not None


def test_editors_change_everyones_media(client, make):
    other = make.author("other", role="author")
    theirs = make.media("theirs.jpg", author_id=other.id)
    sign_in_as(client, make, "editor", "chief")
    assert client.get(f"/admin/media/{theirs.id}/edit").status_code == 200
    response = client.post(
        f"/admin/media/{theirs.id}/edit", data={"title": "T", "alt_text": "Described"}
    )
    assert response.status_code == 303


# --- the editor's panel: insert and gallery ----------------------------------------------------


def test_the_picker_lists_recent_media_and_searches(admin, client):
    admin.login()
    upload(client, ("lighthouse.jpg", picture()), alt_text="A lighthouse")
    upload(client, ("boat.jpg", picture()))
    panel = client.get("/admin/media/picker", headers=HX).get_data(as_text=True)
    assert "<html" not in panel and "lighthouse" in panel and "boat" in panel
    assert 'name="file" type="file" multiple accept="image/*,audio/*,video/*"' in panel
    found = client.get("/admin/media/picker?q=boat", headers=HX).get_data(as_text=True)
    assert "boat" in found and "lighthouse" not in found


def test_insert_refuses_an_empty_alt_text(admin, client, make):
    admin.login()
    item = make.media("cat.jpg", alt_text="")
    response = client.post(f"/admin/media/{item.id}/insert", data={"alt_text": "  "}, headers=HX)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert (
        f'<span id="alt_text-error" class="field-error">{html.escape(ALT_REQUIRED)}</span>' in page
    )
    assert 'aria-invalid="true"' in page
    assert "data-media-snippet" not in page


def test_insert_saves_the_alt_text_and_answers_with_the_snippet(admin, client, make):
    admin.login()
    item = make.media("cat.jpg", alt_text="")
    response = client.post(
        f"/admin/media/{item.id}/insert",
        data={
            "alt_text": 'A cat "Tom" & a mouse',
            "caption": "Friends",
            "align": "alignleft",
            "size": "medium",
        },
        headers=HX,
    )
    assert response.status_code == 200
    snippet = html.unescape(
        re.search(r"<textarea[^>]*>(.*?)</textarea>", response.get_data(as_text=True), re.S).group(
            1
        )
    )
    assert snippet == (
        f'<figure class="alignleft"><img src="/media/{item.id}/cat.jpg" '
        'alt="A cat &quot;Tom&quot; &amp; a mouse" class="size-medium">'
        "<figcaption>Friends</figcaption></figure>"
    )
    db.session.refresh(item)
    assert item.alt_text == 'A cat "Tom" & a mouse'


def test_insert_keeps_unknown_choices_to_the_defaults(admin, client, make):
    admin.login()
    item = make.media("cat.jpg")
    response = client.post(
        f"/admin/media/{item.id}/insert",
        data={"alt_text": "Cat", "align": "evil onload=x", "size": "huge"},
    )
    body = html.unescape(response.get_data(as_text=True))
    assert (
        f'<figure class="aligncenter"><img src="/media/{item.id}/cat.jpg" alt="Cat" '
        'class="size-large"></figure>' in body
    )


def test_insert_audio_and_video_as_players(admin, client, make):
    admin.login()
    song = make.media("song.mp3", kind="audio", mime_type="audio/mpeg")
    film = make.media("film.mp4", kind="video", mime_type="video/mp4")
    for item, tag in ((song, "audio"), (film, "video")):
        response = client.post(f"/admin/media/{item.id}/insert", data={}, headers=HX)
        assert response.status_code == 200
        expected = f'<{tag} src="/media/{item.id}/{item.file_name}"></{tag}>'
        assert expected in html.unescape(response.get_data(as_text=True))


def test_a_gallery_needs_alt_text_on_every_picture(admin, client, make):
    admin.login()
    first = make.media("one.jpg", alt_text="One")
    second = make.media("two.jpg", alt_text="", title="Second picture")
    response = client.post(
        "/admin/media/gallery", data={"ids": [first.id, second.id], "columns": "2"}, headers=HX
    )
    assert response.status_code == 422
    assert "Missing for: Second picture" in response.get_data(as_text=True)
    second.alt_text = "Two"
    db.session.commit()
    response = client.post(
        "/admin/media/gallery", data={"ids": [first.id, second.id], "columns": "2"}, headers=HX
    )
    assert response.status_code == 200
    assert f'[gallery ids="{first.id},{second.id}" columns="2"]' in html.unescape(
        response.get_data(as_text=True)
    )


def test_the_editor_has_an_add_media_button_and_its_dialog(admin, client):
    admin.login()
    page = client.get("/admin/posts/new").get_data(as_text=True)
    assert 'hx-get="/admin/media/picker" hx-target="#media-panel"' in page
    assert '<dialog id="media-dialog"' in page
    assert "/static/js/media.js" in page or "js/media." in page


# --- the featured image ------------------------------------------------------------------------


def test_featured_image_is_saved_and_shown_again(admin, client):
    admin.login()
    upload(client, ("cover.jpg", picture()), alt_text="The cover")
    item = db.session.scalar(select(MediaItem))
    response = client.post(
        "/admin/posts/new", data=post_form(title="With a cover", featured_media_id=str(item.id))
    )
    assert response.status_code == 303
    post = db.session.scalar(select(Post).where(Post.title == "With a cover"))
    assert post.featured_media_id == item.id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'<option value="{item.id}" data-thumbnail="/media/files/' in page
    assert re.search(rf'<option value="{item.id}"[^>]* selected>', page)
    assert 'class="featured-thumb" src="/media/files/' in page
    # Removing it: the empty choice.
    client.post(
        response.headers["Location"], data=post_form(title="With a cover", featured_media_id="")
    )
    db.session.refresh(post)
    assert post.featured_media_id is None


@pytest.mark.parametrize("kind", ["missing", "audio"])
def test_featured_image_must_be_a_picture_of_the_library(admin, client, make, kind):
    admin.login()
    song = make.media("song.mp3", kind="audio", mime_type="audio/mpeg")
    wanted = "99999" if kind == "missing" else str(song.id)
    response = client.post(
        "/admin/posts/new",
        data=post_form(title="Typed title", body="Typed body", featured_media_id=wanted),
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert (
        f'<span id="featured_media_id-error" class="field-error">{html.escape(FEATURED_REFUSED)}'
        in page
    )
    assert 'value="Typed title"' in page and "Typed body" in page
    assert re.search(rf'<option value="{wanted}" selected>', page)
    assert db.session.scalar(select(func.count(Post.id)).where(Post.title == "Typed title")) == 0


def test_a_save_without_the_field_keeps_the_featured_image(admin, client, make):
    admin.login()
    item = make.media("cover.jpg")
    post = make.post("Kept", featured_media_id=item.id, author=admin.author)
    data = post_form(title="Kept")
    data.pop("featured_media_id", None)
    assert client.post(f"/admin/posts/{post.id}/edit", data=data).status_code == 303
    db.session.refresh(post)
    assert post.featured_media_id == item.id


def test_an_author_inserting_anothers_picture_does_not_change_it(client, make):
    other = make.author("other", role="author")
    theirs = make.media("theirs.jpg", author_id=other.id, alt_text="Their words")
    sign_in_as(client, make, "author", "writer")
    response = client.post(
        f"/admin/media/{theirs.id}/insert", data={"alt_text": "My own words"}, headers=HX
    )
    assert response.status_code == 200
    assert 'alt="My own words"' in html.unescape(response.get_data(as_text=True))
    db.session.refresh(theirs)
    assert theirs.alt_text == "Their words"


def test_a_too_big_upload_from_the_script_gets_its_row(app, admin, client):
    admin.login()
    app.config["MEDIA_MAX_BYTES"] = 100_000
    response = upload(client, ("huge.jpg", b"\xff\xd8" + b"0" * 200_000), headers=HX)
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<li class="upload-result upload-refused">')
    assert "more than this site accepts in one upload" in body and "<html" not in body
