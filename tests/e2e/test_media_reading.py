"""Media as a reader's browser meets them: an article with a featured image, a gallery of real
pictures (made with Pillow and added through blog.media.library, so every size and format is
served by the app itself), a recording and a video, seen on a 360-pixel-wide phone and on a
desktop, under the real Content-Security-Policy."""

from __future__ import annotations

import io
import math
import struct
import wave

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect
from sqlalchemy import select

from blog.extensions import db
from blog.media import library
from blog.models import Author, Post, PostStatus, now_utc
from blog.sanitize import refresh_post_html
from tests.e2e.helpers import assert_no_page_errors

SLUG = "pictures-from-the-harbour-fair"
GALLERY_SIZE = 6


def photo(width: int, height: int, hue: int) -> bytes:
    """A JPEG that looks a little like a photo: a sky, a sea and a few boats."""
    picture = Image.new("RGB", (width, height), (90 + hue % 120, 150, 210))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((0, height * 2 // 3, width, height), fill=(20, 70 + hue % 90, 120))
    for n in range(4):
        x = width * (n + 1) // 5
        draw.polygon(
            [(x - 60, height * 2 // 3), (x + 60, height * 2 // 3), (x, height // 3)],
            fill=((hue * (n + 3)) % 255, 90, 60),
        )
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=85)
    return out.getvalue()


def tone(seconds: float = 1.0, rate: int = 8000) -> bytes:
    """A short sine tone as a WAV file."""
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(rate)
        frames = (
            int(8000 * math.sin(2 * math.pi * 440 * n / rate)) for n in range(int(seconds * rate))
        )
        sound.writeframes(b"".join(struct.pack("<h", frame) for frame in frames))
    return out.getvalue()


def add_media_article(app, *, players: bool = True) -> str:
    """An article with a featured picture, a gallery of GALLERY_SIZE pictures and (``players``) a
    recording and a video; returns its address."""
    with app.app_context():
        featured = library.add_media(
            photo(1600, 1067, 7), "harbour.jpg", alt_text="The harbour on fair day"
        )
        gallery = [
            library.add_media(
                photo(1000, 667, 40 * n),
                f"boat-{n}.jpg",
                alt_text=f"Boat number {n + 1} at the quay",
                caption=f"Boat {n + 1}, painted by the school's class {n + 1}",
            )
            for n in range(GALLERY_SIZE)
        ]
        ids = ",".join(str(item.id) for item in gallery)
        body = [
            f'<figure class="alignright"><img class="alignright size-medium" '
            f'src="/media/{gallery[0].id}/boat-0.jpg" alt="The first boat, up close">'
            "<figcaption>The first boat</figcaption></figure>",
            "The fair filled the quay from morning to night. Here is what the boats looked like.",
            f'[gallery ids="{ids}" columns="3"]',
            "Thank you to everyone who came, painted, sailed or cooked.",
        ]
        if players:
            song = library.add_media(tone(), "shanty.wav", title="The shanty")
            # Not a playable film (no encoder here): enough for the player's markup and controls.
            clip = library.add_media(
                b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(64), "race.mp4"
            )
            body += [
                f'[audio src="/media/{song.id}/shanty.wav"]',
                f'<video src="/media/{clip.id}/race.mp4"></video>',
            ]
        author = db.session.scalar(select(Author).order_by(Author.id))
        post = Post(
            title="Pictures from the harbour fair",
            slug=SLUG,
            body_md="\n\n".join(body),
            summary="The boats of the harbour fair, in pictures.",
            status=PostStatus.PUBLISHED.value,
            published_at=now_utc(),
            author=author,
            featured_media=featured,
        )
        refresh_post_html(post)
        db.session.add(post)
        db.session.commit()
    return f"/posts/{SLUG}"


@pytest.fixture
def article(live_app):
    return add_media_article(live_app)


def test_the_gallery_reads_on_a_360_pixel_phone(new_page, article):
    page: Page = new_page(viewport={"width": 360, "height": 740})
    page.goto(article)
    grid = page.locator(".gallery-grid")
    expect(grid.locator("li")).to_have_count(GALLERY_SIZE)
    # Nothing wider than the screen: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # Two pictures to a row, side by side, each about half the column.
    first, second, third = (grid.locator("li").nth(n).bounding_box() for n in range(3))
    assert first["y"] == second["y"] < third["y"]
    assert 120 < first["width"] < 180
    # Every picture has its alt text, loads (scrolled into view: they are lazy) and is shown
    # from one of the sizes, not the original.
    for n in range(GALLERY_SIZE):
        item = grid.locator("li").nth(n)
        img = item.locator("img")
        img.scroll_into_view_if_needed()
        expect(img).to_have_attribute("alt", f"Boat number {n + 1} at the quay")
        expect(item.locator("figcaption")).to_contain_text(f"Boat {n + 1}, painted")
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=img.element_handle()
        )
        assert "/media/files/" in img.evaluate("img => img.currentSrc")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_no_page_errors(page)


def test_the_featured_picture_and_the_gallery_on_a_desktop(new_page, article):
    page: Page = new_page(viewport={"width": 1280, "height": 900})
    page.goto(article)
    top = page.locator(".post-thumbnail img")
    expect(top).to_have_attribute("alt", "The harbour on fair day")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=top.element_handle())
    # Chromium takes the best format the <picture> offers.
    assert top.evaluate("img => img.currentSrc").endswith(".avif")
    # Three to a row, as the gallery asks.
    boxes = [page.locator(".gallery-grid li").nth(n).bounding_box() for n in range(4)]
    assert boxes[0]["y"] == boxes[1]["y"] == boxes[2]["y"] < boxes[3]["y"]
    # A click on a gallery picture opens its full-size file.
    href = page.locator(".gallery-grid a").first.get_attribute("href")
    response = page.request.get(href)
    assert response.status == 200 and response.headers["content-type"] == "image/jpeg"
    assert_no_page_errors(page)


def test_recordings_and_videos_have_controls_and_never_autoplay(new_page, article):
    page: Page = new_page(viewport={"width": 360, "height": 740})
    page.goto(article)
    audio = page.locator(".entry-content audio")
    video = page.locator(".entry-content video")
    expect(audio).to_have_count(1)
    expect(video).to_have_count(1)
    for player in (audio, video):
        assert player.evaluate("p => p.controls && !p.autoplay && p.paused")
        assert player.get_attribute("preload") == "metadata"
        box = player.bounding_box()
        assert box["width"] > 300  # as wide as the column
    # The recording is served and the browser reads its length: the CSP allows the site's media.
    audio.scroll_into_view_if_needed()
    page.wait_for_function("a => a.readyState >= 1 && a.duration > 0.9", arg=audio.element_handle())
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_no_page_errors(page)


def test_the_listing_card_shows_the_featured_picture(new_page, article):
    page: Page = new_page()
    page.goto("/")
    card = page.locator("article.post-summary").filter(has_text="Pictures from the harbour fair")
    img = card.locator(".post-thumbnail img")
    expect(img).to_have_attribute("alt", "The harbour on fair day")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    assert_no_page_errors(page)


@pytest.mark.parametrize(("width", "floats"), [(360, False), (1280, True)])
def test_an_aligned_picture_floats_only_where_there_is_room(new_page, article, width, floats):
    page: Page = new_page(viewport={"width": width, "height": 900})
    page.goto(article)
    figure = page.locator(".entry-content figure.alignright")
    column = page.locator(".entry-content").bounding_box()["width"]
    box = figure.bounding_box()
    if floats:
        assert figure.evaluate("f => getComputedStyle(f).float") == "right"
        assert box["width"] <= column / 2 + 1
    else:
        assert figure.evaluate("f => getComputedStyle(f).float") == "none"
        assert box["width"] == pytest.approx(column, abs=1)
    # The gallery below starts under the picture, not beside it.
    assert page.locator(".gallery").bounding_box()["y"] >= box["y"] + box["height"]
    assert_no_page_errors(page)
