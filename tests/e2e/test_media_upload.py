"""Media in Chromium: an author uploads a 24-megapixel photo with GPS data (and drops a second
file on the drop zone), sees each file's progress and result, puts the photo into a new post
from the editor's "Add media" dialog (alt text required), publishes, and readers see it, while
the stored files carry no location. axe-core checks the library and the dialog."""

from __future__ import annotations

import base64
import io
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from PIL import ExifTags, Image
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from blog.accounts.passwords import hash_password
from blog.extensions import db
from blog.media import library
from blog.media.storage import media_root
from blog.models import Author, MediaItem, Post
from tests.e2e.helpers import assert_no_page_errors

AXE = Axe()
ALT = "Fishing boats in the harbour at dawn"
REQUIRED = "Describe the picture for people who cannot see it"


def photo_with_gps(width: int = 6000, height: int = 4000) -> bytes:
    """A 24-megapixel JPEG of about 10 MB (a gradient with noise, so it compresses like a
    photo) whose EXIF names where it was taken."""
    base = Image.linear_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), 30)
    picture = Image.merge("RGB", (base, noise, base.rotate(180)))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Test camera"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 31.0, 12.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (13.0, 24.0, 0.0)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=85, exif=exif)
    data = out.getvalue()
    assert dict(Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo))
    return data


def small_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (30, 120, 200)).save(out, "PNG")
    return out.getvalue()


def sign_in_as(new_page, live_app, live_server, role: str, **options) -> Page:
    """A browser signed in as a new account of ``role`` (the cookie the login view makes);
    ``options`` for the browser context (java_script_enabled=False...)."""
    with live_app.app_context():
        account = Author(
            username=f"{role}1",
            display_name=f"Alex {role.title()}",
            password_hash=hash_password("long enough pass"),
            role=role,
        )
        db.session.add(account)
        db.session.commit()
        author_id, epoch = account.id, account.session_epoch
    serializer = live_app.session_interface.get_signing_serializer(live_app)
    cookie = serializer.dumps({"author_id": author_id, "epoch": epoch, "_permanent": True})
    page = new_page(**options)
    page.context.add_cookies(
        [{"name": live_app.config["SESSION_COOKIE_NAME"], "value": cookie, "url": live_server.url}]
    )
    return page


def drop_file(page: Page, selector: str, name: str, data: bytes, mime: str) -> None:
    """Drags a file onto ``selector`` as a file manager would (a drop event with its files)."""
    transfer = page.evaluate_handle(
        """([name, b64, mime]) => {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, {type: mime}));
            return transfer;
        }""",
        [name, base64.b64encode(data).decode(), mime],
    )
    page.dispatch_event(selector, "dragenter", {"dataTransfer": transfer})
    page.dispatch_event(selector, "drop", {"dataTransfer": transfer})


def stored_files(app) -> list:
    with app.test_request_context():
        root = media_root()
    return [path for path in root.rglob("*") if path.is_file()]


def test_author_uploads_a_photo_and_puts_it_in_a_post(new_page, live_app, live_server, tmp_path):
    page = sign_in_as(new_page, live_app, live_server, "author")
    big = photo_with_gps()
    assert 6_000_000 < len(big) < 30_000_000
    path = tmp_path / "harbour-at-dawn.jpg"
    path.write_bytes(big)

    page.goto("/admin/media")
    expect(page.get_by_role("heading", level=1)).to_have_text("Media library")
    form = page.locator("form[data-media-upload]")
    form.get_by_label("Files to upload").set_input_files(str(path))
    drop_file(
        page, "form[data-media-upload] [data-drop-zone]", "blue.png", small_png(), "image/png"
    )
    assert form.get_by_label("Files to upload").evaluate("input => input.files.length") == 2
    form.get_by_role("button", name="Upload", exact=True).click()
    # Each file gets its own progress bar while it uploads, then its result row.
    expect(form.locator("progress").first).to_be_attached()
    results = form.locator("[data-upload-results]")
    expect(results.get_by_text("harbour-at-dawn.jpg")).to_be_visible(timeout=60_000)
    expect(results.locator(".upload-stored")).to_have_count(2, timeout=60_000)
    expect(results.locator("progress")).to_have_count(0)
    # The list below reloads itself with the new files.
    listed = page.locator("#media-list .file-name")
    expect(listed.filter(has_text="harbour-at-dawn.jpg")).to_be_visible()
    expect(listed.filter(has_text="blue.png")).to_be_visible()

    with live_app.app_context():
        photo = db.session.scalar(
            select(MediaItem).where(MediaItem.file_name == "harbour-at-dawn.jpg")
        )
        assert (photo.width, photo.height, photo.kind) == (6000, 4000, "image")
        media_id = photo.id
    # No stored file (the original and every size) says where the photo was taken.
    files = stored_files(live_app)
    assert len(files) >= 4
    for stored in files:
        with Image.open(stored) as picture:
            assert not dict(picture.getexif().get_ifd(ExifTags.IFD.GPSInfo)), stored.name

    page.goto("/admin/posts/new")
    page.get_by_label("Title").fill("Morning at the harbour")
    body = page.get_by_label("Body (Markdown)")
    body.fill("The boats came in early.\n\nThen the market opened.")
    body.evaluate("area => area.setSelectionRange(25, 25)")  # after the first paragraph
    page.get_by_role("link", name="Add media").click()
    dialog = page.get_by_role("dialog", name="Add media")
    expect(dialog).to_be_visible()
    dialog.locator(".media-choice", has_text=re.compile("harbour at dawn", re.I)).click()
    dialog.get_by_role("button", name="Insert into post").click()
    expect(dialog.locator(".field-error")).to_contain_text(REQUIRED)
    dialog.get_by_label("Alternative text (required)").fill(ALT)
    dialog.get_by_role("button", name="Insert into post").click()
    expect(dialog).to_be_hidden()
    expect(body).to_have_value(re.compile(rf'<img src="/media/{media_id}/harbour-at-dawn\.jpg"'))
    source = body.input_value()
    assert source.startswith('The boats came in early.\n\n<figure class="aligncenter">')
    assert source.endswith("\n\nThen the market opened.")
    with live_app.app_context():
        assert db.session.get(MediaItem, media_id).alt_text == ALT

    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".flash")).to_have_text("Published.")
    page.get_by_role("link", name="View post").click()
    picture = page.locator(f'main img[alt="{ALT}"]')
    expect(picture).to_be_visible()
    assert picture.evaluate("img => img.complete && img.naturalWidth > 0")
    # Part R's rendering: sizes, dimensions.
    assert "/media/files/" in (picture.get_attribute("srcset") or "")
    assert picture.get_attribute("width") and picture.get_attribute("height")
    with live_app.app_context():
        post = db.session.scalar(select(Post).where(Post.title == "Morning at the harbour"))
        assert library.uses_of(db.session.get(MediaItem, media_id))[0].id == post.id
    assert_no_page_errors(page, expected_statuses=(422,))


def test_a_refused_file_says_why_next_to_its_name(admin_page: Page, tmp_path):
    page = admin_page
    path = tmp_path / "invoice.jpg"
    path.write_bytes(b"<?php echo 'hello'; ?>\n")
    page.goto("/admin/media")
    form = page.locator("form[data-media-upload]")
    form.get_by_label("Files to upload").set_input_files(str(path))
    form.get_by_role("button", name="Upload", exact=True).click()
    row = form.locator(".upload-refused")
    expect(row).to_contain_text("invoice.jpg")
    expect(row.locator(".field-error")).not_to_be_empty()
    assert_no_page_errors(page, expected_statuses=(422,))


@pytest.fixture
def some_media(live_app):
    with live_app.app_context():
        out = io.BytesIO()
        Image.new("RGB", (900, 600), (120, 160, 90)).save(out, "JPEG")
        meadow = library.add_media(out.getvalue(), "meadow.jpg", alt_text="A green meadow")
        no_alt = library.add_media(out.getvalue(), "no-alt.jpg")
        db.session.commit()
        # The ids of these two (the demo site has pictures of its own).
        return [meadow.id, no_alt.id]


def assert_accessible(page: Page, state: str) -> None:
    results = AXE.run(page)
    assert results.violations_count == 0, f"axe, {state}:\n{results.generate_report()}"
    ids = page.evaluate("Array.from(document.querySelectorAll('[id]'), e => e.id)")
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert duplicates == [], f"duplicate ids, {state}: {duplicates}"


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_the_library_and_the_dialog_pass_axe(
    new_page, live_app, live_server, some_media, color_scheme
):
    page = sign_in_as(new_page, live_app, live_server, "editor")
    page.emulate_media(color_scheme=color_scheme)
    page.goto("/admin/media")
    expect(page.locator(".file-name", has_text="meadow.jpg")).to_be_visible()
    assert_accessible(page, "the library")
    page.goto("/admin/posts/new")
    page.get_by_role("link", name="Add media").click()
    dialog = page.get_by_role("dialog", name="Add media")
    expect(dialog).to_be_visible()
    dialog.locator(".media-choice", has_text="no alt").click()
    dialog.get_by_role("button", name="Insert into post").click()
    expect(dialog.locator(".field-error")).to_contain_text(REQUIRED)
    assert_accessible(page, "the Add media dialog with a mistake")
    assert_no_page_errors(page, expected_statuses=(422,))


def test_featured_image_chosen_in_the_editor(admin_page: Page, live_app, some_media):
    page = admin_page
    page.goto("/admin/posts/new")
    page.get_by_label("Title").fill("A post with a cover")
    remove = page.get_by_role("button", name="Remove featured image")
    expect(remove).to_be_hidden()
    page.get_by_label("Picture").select_option(label="meadow")
    expect(remove).to_be_visible()
    expect(page.locator("[data-featured-preview] img")).to_be_visible()
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".flash")).to_have_text("Draft saved.")
    expect(page.locator("[data-featured-preview] img")).to_be_visible()
    page.get_by_role("button", name="Remove featured image").click()
    expect(page.locator("[data-featured-preview] img")).to_have_count(0)
    expect(page.get_by_label("Picture")).to_have_value("")
    expect(remove).to_be_hidden()
    with live_app.app_context():
        post = db.session.scalar(select(Post).where(Post.title == "A post with a cover"))
        assert post.featured_media is not None and post.featured_media.file_name == "meadow.jpg"
    assert_no_page_errors(page)


def test_upload_from_the_dialog_adds_to_its_list(admin_page: Page, tmp_path):
    page = admin_page
    path = tmp_path / "fresh-picture.png"
    path.write_bytes(small_png())
    page.goto("/admin/posts/new")
    page.get_by_role("link", name="Add media").click()
    dialog = page.get_by_role("dialog", name="Add media")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".media-choice", has_text="fresh picture")).to_have_count(0)
    dialog.get_by_label("Files to upload").set_input_files(str(path))
    dialog.get_by_label("Alternative text").fill("A blue square")
    dialog.get_by_role("button", name="Upload", exact=True).click()
    expect(dialog.locator(".upload-stored")).to_contain_text("fresh-picture.png")
    # The list reloads itself: the new picture can be chosen at once, its alt text prefilled.
    dialog.locator(".media-choice", has_text="fresh picture").click()
    expect(dialog.get_by_label("Alternative text (required)")).to_have_value("A blue square")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    assert_no_page_errors(page)


def test_upload_without_javascript(new_page, live_app, live_server, tmp_path):
    """The plain form: a multipart POST, then the page with each file's result."""
    page = sign_in_as(new_page, live_app, live_server, "author", java_script_enabled=False)
    good, bad = tmp_path / "plain.png", tmp_path / "script.jpg"
    good.write_bytes(small_png())
    bad.write_bytes(b"<script>alert(1)</script>")
    page.goto("/admin/media")
    page.get_by_label("Files to upload").set_input_files([str(good), str(bad)])
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/media/upload$"))
    expect(page.locator(".upload-stored")).to_contain_text("plain.png: uploaded.")
    expect(page.locator(".upload-refused")).to_contain_text("script.jpg")


def test_a_gallery_from_the_dialog(admin_page: Page, live_app, some_media):
    page = admin_page
    page.goto("/admin/posts/new")
    body = page.get_by_label("Body (Markdown)")
    body.fill("Our walk.")
    page.get_by_role("link", name="Add media").click()
    dialog = page.get_by_role("dialog", name="Add media")
    dialog.get_by_label("Gallery: meadow").check()
    dialog.get_by_label("Gallery: no alt").check()
    dialog.get_by_role("button", name="Insert gallery of the ticked pictures").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Missing for: no alt")
    dialog.get_by_label("Gallery: no alt").uncheck()
    dialog.get_by_role("button", name="Insert gallery of the ticked pictures").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Choose two or more pictures")
    ids = some_media
    with live_app.app_context():
        db.session.get(MediaItem, ids[1]).alt_text = "A second meadow"
        db.session.commit()
    dialog.get_by_label("Gallery: no alt").check()
    dialog.get_by_label("Columns").select_option("2")
    dialog.get_by_role("button", name="Insert gallery of the ticked pictures").click()
    expect(dialog).to_be_hidden()
    # In the list's order, newest first.
    expect(body).to_have_value(f'Our walk.\n\n[gallery ids="{ids[1]},{ids[0]}" columns="2"]\n')
    assert_no_page_errors(page, expected_statuses=(422,))


def test_an_expired_token_is_explained_on_the_files_row(admin_page: Page, live_app, tmp_path):
    page = admin_page
    path = tmp_path / "late.png"
    path.write_bytes(small_png())
    with live_app.app_context():
        before = db.session.scalar(select(func.count(MediaItem.id)))
    page.goto("/admin/media")
    form = page.locator("form[data-media-upload]")
    form.locator("[name=csrf_token]").evaluate("input => { input.value = 'expired'; }")
    form.get_by_label("Files to upload").set_input_files(str(path))
    form.get_by_role("button", name="Upload", exact=True).click()
    row = form.locator(".upload-refused")
    expect(row).to_contain_text("late.png")
    expect(row.get_by_role("alert")).to_contain_text("reload it and try again")
    expect(form.locator("[data-upload-results] li")).to_have_count(1)  # no stray rows
    with live_app.app_context():
        assert db.session.scalar(select(func.count(MediaItem.id))) == before  # nothing stored
    assert_no_page_errors(page, expected_statuses=(400,))
