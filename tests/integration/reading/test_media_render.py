"""Media as readers get them, through the test client: pictures, galleries and players in
articles, featured images in listings' cards, at the top of the article and in og:image."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import event

from blog.extensions import db
from blog.media import library
from tests.e2e.test_media_reading import photo
from tests.integration.reading.test_html_validity import check
from tests.unit.media.test_render import Tags, sized


@pytest.fixture
def pictures(make):
    return [
        make.media(f"p{n}.jpg", alt_text=f"Picture {n}", caption=f"Caption {n}", **sized(f"cc{n}0"))
        for n in range(6)
    ]


def gallery_source(items, columns: int = 3) -> str:
    return f'[gallery ids="{",".join(str(item.id) for item in items)}" columns="{columns}"]'


def test_an_article_shows_its_pictures_gallery_and_players(client, make, pictures):
    song = make.media("song.mp3", kind="audio", mime_type="audio/mpeg", stored_name="so/song.mp3")
    source = (
        f'<figure class="alignright"><img class="alignright size-medium" '
        f'src="/media/{pictures[0].id}/p0.jpg" alt="A boat"><figcaption>The boat</figcaption>'
        f"</figure>\n\nSome words.\n\n{gallery_source(pictures[1:])}\n\n"
        f'[audio src="/media/{song.id}/song.mp3"]'
    )
    post = make.post("With pictures", body_md=source)
    html = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    content = html[html.index('<div class="entry-content"') :]
    tags = Tags(content)
    imgs = tags.all("img")
    assert len(imgs) == 6
    assert imgs[0]["class"] == "alignright size-medium" and "loading" not in imgs[0]
    assert all(img["loading"] == "lazy" for img in imgs[1:])
    assert all(img["width"] and img["height"] and img["alt"] for img in imgs)
    assert '<figure class="alignright"><picture>' in content
    assert 'class="gallery gallery-columns-3"' in content
    assert content.count("<figcaption>Caption") == 5
    assert tags.all("audio") == [
        {"controls": None, "preload": "metadata", "src": "/media/files/so/song.mp3"}
    ]


def test_an_article_read_from_its_cached_html_asks_nothing_about_media(client, make, pictures):
    """The pictures are rendered once, when the post is saved (one query, see the unit tests);
    readers get the cached HTML."""
    post = make.post("Counted", body_md=gallery_source(pictures))
    statements = []

    def count(conn, cursor, statement, *args):
        if "FROM media" in statement:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        html = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert html.count("<picture>") == 6
    assert statements == []


def test_the_article_top_shows_the_featured_image_large_and_eager(client, make, pictures):
    post = make.post("Featured", featured_media=pictures[0], body_md="Words.")
    html = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    top = html[html.index('<figure class="post-thumbnail">') :]
    (img, *_) = Tags(top).all("img")
    assert img["src"] == "/media/files/cc/cc00-1536x1024.jpeg"
    assert img["fetchpriority"] == "high" and "loading" not in img
    assert (img["width"], img["height"]) == ("1536", "1024")
    assert img["alt"] == "Picture 0"
    assert html.index("post-thumbnail") < html.index('<div class="entry-content"')


def test_og_and_twitter_images_are_absolute_from_site_url(app, client, make, pictures):
    app.config["SITE_URL"] = "https://news.example"
    post = make.post("Shared", featured_media=pictures[1])
    html = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    url = "https://news.example/media/files/cc/cc10-1536x1024.jpeg"
    assert f'<meta property="og:image" content="{url}">' in html
    assert f'<meta name="twitter:image" content="{url}">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    assert '<meta property="og:image:alt" content="Picture 1">' in html


def test_no_og_image_without_a_featured_picture(client, make):
    missing = make.media("gone.jpg")
    plain = make.post("Plain")
    lost = make.post("Lost", featured_media=missing)
    assert "og:image" not in client.get(f"/posts/{plain.slug}").get_data(as_text=True)
    html = client.get(f"/posts/{lost.slug}").get_data(as_text=True)
    assert "og:image" not in html and "twitter:card" not in html
    # The article says the picture is not here, rather than showing a broken image.
    assert "Picture not here yet: gone.jpg" in html


def test_a_protected_post_shows_no_featured_image_until_unlocked(client, make, pictures):
    post = make.post("Secret", featured_media=pictures[0], password="open sesame")
    html = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "cc00" not in html


def test_listing_cards_show_featured_images_first_eager_then_lazy(client, make, pictures):
    for n, picture in enumerate(pictures[:3]):
        make.post(f"Card {n}", featured_media=picture)
    make.post("No picture")
    statements = []

    def count(conn, cursor, statement, *args):
        if "FROM media" in statement:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        html = client.get("/").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1, statements  # the page's featured items, in one query
    cards = Tags(html[html.index("post-summary") :]).all("img")
    assert [img["src"] for img in cards] == [
        f"/media/files/cc/cc{n}0-768x512.jpeg" for n in range(3)
    ]
    assert [img.get("loading") for img in cards] == [None, "lazy", "lazy"]
    assert all("768w" in img["srcset"] and img["width"] == "768" for img in cards)


def test_a_card_without_its_file_shows_no_picture(client, make):
    make.post("Lost card", featured_media=make.media("gone.jpg"))
    html = client.get("/").get_data(as_text=True)
    assert "Lost card" in html and "gone.jpg" not in html and "<picture" not in html


def test_a_page_shows_its_featured_image(client, make, pictures):
    page = make.post("About us", kind="page", slug="about", featured_media=pictures[2])
    html = client.get("/about/").get_data(as_text=True)
    assert "/media/files/cc/cc20-1536x1024.jpeg" in html
    assert "og:image" in html
    assert page.title in html


def test_an_article_with_media_is_valid_html(client, make, pictures, tmp_path):
    song = make.media("song.mp3", kind="audio", stored_name="so/song.mp3")
    clip = make.media("clip.mp4", kind="video", stored_name="cl/clip.mp4", width=640, height=360)
    png = make.media(
        "logo.png",
        stored_name="dd/dd.png",
        width=300,
        height=100,
        sizes=json.dumps(
            {
                "full": {
                    "width": 300,
                    "height": 100,
                    "files": {"webp": "dd/dd.webp", "png": "dd/dd.png"},
                }
            }
        ),
    )
    source = (
        f"![A boat](/media/{pictures[0].id}/p0.jpg)\n\n"
        f'<figure class="aligncenter"><img src="/media/{png.id}/logo.png" alt="Logo">'
        "<figcaption>Our logo</figcaption></figure>\n\n"
        f"{gallery_source(pictures, columns=4)}\n\n"
        f'[audio src="/media/{song.id}/song.mp3"]\n\n'
        f'<video src="/media/{clip.id}/clip.mp4"></video>\n\n'
        f'Read <a href="/media/{song.id}/song.mp3">the recording</a>.\n\n'
        f'<img src="/media/424242/lost.jpg" alt="Lost">\n\n'
        f'[video src="/media/424243/lost.mp4"]'
    )
    post = make.post("Valid media", body_md=source, featured_media=pictures[1])
    make.post("Another", featured_media=pictures[2])
    pages = {
        "article": client.get(f"/posts/{post.slug}").get_data(as_text=True),
        "home": client.get("/").get_data(as_text=True),
    }
    assert "<video" in pages["article"] and "gallery-grid" in pages["article"]
    assert check(pages, tmp_path) == []


def test_a_placeholder_turns_into_the_picture_when_its_file_arrives(client, make):
    """An import without its uploads folder left a record; given the file later, the article
    that pointed at it shows the picture (its cached HTML is rendered again)."""
    missing = make.media("late.jpg", alt_text="Late but here")
    post = make.post("Late", body_md=f"![](/media/{missing.id}/late.jpg)")
    assert "Picture not here yet: late.jpg" in client.get(f"/posts/{post.slug}").get_data(
        as_text=True
    )
    library.add_media(photo(900, 600, 3), "late.jpg", item=missing)
    db.session.commit()
    html = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "Picture not here yet" not in html
    assert Tags(html[html.index('<div class="entry-content"') :]).all("img")[0]["alt"] == (
        "Late but here"
    )
