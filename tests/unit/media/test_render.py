"""blog.media.render: media references in a sanitized article -> pictures, galleries, players.

Records are made without files (make.media) with a sizes JSON as blog.media.processing writes
it; the step only reads records, so no file is needed to check the markup."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
from sqlalchemy import event

from blog.extensions import db
from blog.media import render
from blog.sanitize import render_post_body


def sized(stem: str, width: int = 3000, height: int = 2000, fallback: str = "jpeg") -> dict:
    """Fields of a stored picture with every size, as processing makes them."""

    def size(w: int, h: int, formats=("avif", "webp", fallback)) -> dict:
        return {
            "width": w,
            "height": h,
            "files": {fmt: f"{stem[:2]}/{stem}-{w}x{h}.{fmt}" for fmt in formats},
        }

    original = f"{stem[:2]}/{stem}.{fallback}"
    sizes = {
        "thumbnail": size(150, 150),
        "medium": size(768, 768 * height // width),
        "large": size(1536, 1536 * height // width),
        "full": {
            "width": width,
            "height": height,
            "files": {"webp": f"{stem[:2]}/{stem}.webp", fallback: original},
        },
    }
    return {"stored_name": original, "width": width, "height": height, "sizes": json.dumps(sizes)}


class Tags(HTMLParser):
    """Every start tag of some HTML, as (name, attributes) pairs."""

    def __init__(self, html: str):
        super().__init__()
        self.found: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    def all(self, name: str) -> list[dict]:
        return [attrs for tag, attrs in self.found if tag == name]


def body(source: str) -> str:
    return render_post_body(source)


@pytest.fixture
def photo(make):
    return make.media("harbour.jpg", alt_text="Boats in the harbour", **sized("ab12cd"))


def test_a_picture_gets_sources_srcset_sizes_and_dimensions(photo):
    html = body(f'<img src="/media/{photo.id}/harbour.jpg" alt="The harbour at dawn">')
    tags = Tags(html)
    assert html.startswith("<p><picture><source")
    (avif, webp) = tags.all("source")
    assert avif["type"] == "image/avif"
    assert avif["srcset"] == (
        "/media/files/ab/ab12cd-768x512.avif 768w, /media/files/ab/ab12cd-1536x1024.avif 1536w"
    )
    assert webp["type"] == "image/webp"
    assert "/media/files/ab/ab12cd.webp 3000w" in webp["srcset"]
    (img,) = tags.all("img")
    assert img["src"] == "/media/files/ab/ab12cd-1536x1024.jpeg"
    assert img["srcset"] == (
        "/media/files/ab/ab12cd-768x512.jpeg 768w, /media/files/ab/ab12cd-1536x1024.jpeg 1536w, "
        "/media/files/ab/ab12cd.jpeg 3000w"
    )
    assert img["sizes"] == avif["sizes"] == "(max-width: 768px) 100vw, 768px"
    assert (img["width"], img["height"]) == ("1536", "1024")
    assert img["alt"] == "The harbour at dawn"
    assert img["decoding"] == "async"
    # The square thumbnail is another picture: never a candidate for this one.
    assert "150x150" not in html


def test_only_the_first_picture_of_the_article_is_eager(photo, make):
    other = make.media("hill.jpg", **sized("ef34ab"))
    html = body(
        f"![]( /media/{photo.id}/harbour.jpg)\n\n"
        f"Text.\n\n<!--more-->\n\n![](/media/{other.id}/hill.jpg)\n\n![](/media/{photo.id}/x.jpg)"
    )
    loading = [img.get("loading") for img in Tags(html).all("img")]
    assert loading == [None, "lazy", "lazy"]


@pytest.mark.parametrize(
    ("size_class", "src", "width", "sizes"),
    [
        ("size-medium", "ab12cd-768x512.jpeg", "768", "(max-width: 768px) 100vw, 768px"),
        ("size-full", "ab12cd.jpeg", "3000", "(max-width: 768px) 100vw, 768px"),
        ("size-thumbnail", "ab12cd-150x150.jpeg", "150", "(max-width: 150px) 100vw, 150px"),
        ("", "ab12cd-1536x1024.jpeg", "1536", "(max-width: 768px) 100vw, 768px"),
    ],
)
def test_a_size_class_chooses_the_size(photo, size_class, src, width, sizes):
    source = f'<img class="{size_class}" src="/media/{photo.id}/harbour.jpg" alt="x">'
    img = render.render_media(f"<p>{source}</p>", {})
    (found,) = Tags(img).all("img")
    assert found["src"] == f"/media/files/ab/{src}"
    assert found["width"] == width
    assert found["sizes"] == sizes
    if size_class == "size-thumbnail":
        assert found["srcset"] == "/media/files/ab/ab12cd-150x150.jpeg 150w"
        assert found["height"] == "150"


def test_a_small_original_falls_back_to_the_largest_size_made(make):
    small = {
        "full": {"width": 600, "height": 400, "files": {"webp": "cd/cd.webp", "png": "cd/cd.png"}}
    }
    item = make.media(
        "logo.png", stored_name="cd/cd.png", width=600, height=400, sizes=json.dumps(small)
    )
    (img,) = Tags(render.render_media(f'<img src="/media/{item.id}/logo.png">', {})).all("img")
    assert img["src"] == "/media/files/cd/cd.png"
    assert (img["width"], img["height"]) == ("600", "400")
    assert img["sizes"] == "(max-width: 600px) 100vw, 600px"


def test_alignment_and_size_classes_are_kept_and_others_dropped(photo):
    source = (
        f'<img class="alignleft size-medium wp-image-9 evil" src="/media/{photo.id}/h.jpg" alt="a">'
    )
    (img,) = Tags(render.render_media(source, {})).all("img")
    assert img["class"] == "alignleft size-medium"


def test_the_items_alt_text_stands_in_for_an_empty_alt(photo):
    html = render.render_media(f'<img src="/media/{photo.id}/harbour.jpg" alt="">', {})
    assert Tags(html).all("img")[0]["alt"] == "Boats in the harbour"


def test_only_attributes_built_here_reach_the_output(photo):
    # The sanitizer already removed these; the step must not copy an attribute even if one came.
    source = (
        f'<img src="/media/{photo.id}/h.jpg" alt="a&quot;b" onerror="x()" title="t" data-x="1">'
    )
    html = render.render_media(source, {})
    (img,) = Tags(html).all("img")
    assert set(img) == {"src", "srcset", "sizes", "width", "height", "alt", "decoding"}
    assert img["alt"] == 'a"b'
    assert "onerror" not in html


def test_values_are_escaped(make):
    item = make.media(
        'a"<b>.jpg',
        alt_text='"><script>alert(1)</script>',
        caption="<i>Cap</i> & co",
        **sized("ee11ff"),
    )
    html = body(f'[gallery ids="{item.id}"]\n\n<img src="/media/{item.id}/a.jpg" alt="">')
    assert "<script>" not in html and "<i>" not in html
    assert "&lt;i&gt;Cap&lt;/i&gt; &amp; co" in html
    assert Tags(html).all("img")[0]["alt"] == '"><script>alert(1)</script>'


def test_a_missing_file_or_unknown_id_is_a_placeholder_not_a_broken_image(make):
    missing = make.media("lost.jpg", alt_text="A lost picture")
    html = body(
        f'<figure class="aligncenter"><img src="/media/{missing.id}/lost.jpg" alt="">'
        "<figcaption>Caption</figcaption></figure>\n\n"
        '<img src="/media/99999/never.jpg" alt="Never">'
    )
    assert "<img" not in html and "<picture" not in html
    spans = Tags(html).all("span")
    assert [span["class"] for span in spans] == ["media-missing", "media-missing"]
    assert [span["role"] for span in spans] == ["img", "img"]
    assert spans[0]["aria-label"] == "Picture not here yet: lost.jpg (A lost picture)"
    assert "Picture not here yet: never.jpg" in html
    assert "<figcaption>Caption</figcaption>" in html


def test_links_to_media_point_at_the_file_or_become_text(photo, make):
    missing = make.media("lost.pdf", kind="file")
    html = body(
        f'[The photo](/media/{photo.id}/harbour.jpg "Full size") and '
        f"[the lost file](/media/{missing.id}/lost.pdf) and [elsewhere](/about/)."
    )
    links = Tags(html).all("a")
    assert links == [
        {"href": "/media/files/ab/ab12cd.jpeg", "title": "Full size"},
        {"href": "/about/"},
    ]
    assert "and the lost file and" in html


def test_a_gallery_is_a_grid_of_linked_pictures_with_captions(make):
    items = [
        make.media(f"g{n}.jpg", alt_text=f"Gallery {n}", caption=f"Caption {n}", **sized(f"aa{n}0"))
        for n in range(3)
    ]
    items[1].caption = ""
    db.session.commit()
    ids = ",".join(str(item.id) for item in items)
    html = body(f'Before.\n\n[gallery ids="{ids}" columns="2"]\n\nAfter.')
    assert "[gallery" not in html
    assert html.count('<figure class="gallery gallery-columns-2"><ul class="gallery-grid">') == 1
    assert html.count("<li><figure><a href=") == 3
    assert [a["href"] for a in Tags(html).all("a")] == [
        f"/media/files/aa/aa{n}0.jpeg" for n in range(3)
    ]
    imgs = Tags(html).all("img")
    assert [img["alt"] for img in imgs] == ["Gallery 0", "Gallery 1", "Gallery 2"]
    assert [img.get("loading") for img in imgs] == [None, "lazy", "lazy"]
    assert imgs[0]["src"] == "/media/files/aa/aa00-768x512.jpeg"
    assert imgs[0]["sizes"] == "(max-width: 40em) 50vw, 384px"
    assert "<figcaption>Caption 0</figcaption>" in html and "Caption 1" not in html
    assert html.index("Before.") < html.index("gallery-grid") < html.index("After.")


def test_a_gallery_keeps_its_order_and_shows_missing_items(make, photo):
    missing = make.media("gone.jpg")
    html = body(f"[gallery ids='{missing.id}, {photo.id}, 424242' columns=\"12\"]")
    assert 'class="gallery gallery-columns-9"' in html
    assert html.index("gone.jpg") < html.index("ab12cd") < html.index("#424242")
    assert html.count("media-missing") == 2


@pytest.mark.parametrize(
    "source",
    [
        "[gallery]",
        '[gallery ids="" columns="3"]',
        'Look: [gallery ids="1"]',
        "[audio]",
    ],
)
def test_shortcodes_not_alone_or_without_media_stay_text(source):
    html = body(source)
    assert "gallery-grid" not in html and "<audio" not in html
    assert html.startswith("<p>")


@pytest.mark.parametrize("shortcode", [True, False])
def test_audio_and_video_play_with_controls_and_never_autoplay(make, shortcode):
    song = make.media("song.mp3", kind="audio", mime_type="audio/mpeg", stored_name="so/song.mp3")
    clip = make.media(
        "clip.mp4",
        kind="video",
        mime_type="video/mp4",
        stored_name="cl/clip.mp4",
        width=640,
        height=360,
    )
    if shortcode:
        source = (
            f'[audio src="/media/{song.id}/song.mp3"]\n\n[video src="/media/{clip.id}/clip.mp4"]'
        )
    else:
        source = (
            f'<audio src="/media/{song.id}/song.mp3" autoplay loop></audio>\n\n'
            f'<video autoplay><source src="/media/{clip.id}/clip.mp4"></video>'
        )
    html = body(source)
    tags = Tags(html)
    (audio,) = tags.all("audio")
    assert audio == {"controls": None, "preload": "metadata", "src": "/media/files/so/song.mp3"}
    (video,) = tags.all("video")
    assert video == {
        "controls": None,
        "preload": "metadata",
        "playsinline": None,
        "src": "/media/files/cl/clip.mp4",
        "width": "640",
        "height": "360",
    }
    assert "autoplay" not in html and "loop" not in html
    assert "download>Download the recording: song.mp3</a></audio>" in html
    assert "Download the video: clip.mp4" in html
    if shortcode:
        assert html.count('<figure class="media-player">') == 2


def test_players_straight_from_sanitized_markup(make):
    """The step itself, on markup as the sanitizer keeps it (<audio src>, <source src>)."""
    song = make.media("song.mp3", kind="audio", stored_name="so/song.mp3")
    clip = make.media("clip.webm", kind="video", stored_name="cl/clip.webm")
    html = render.render_media(
        f'<p><audio src="/media/{song.id}/song.mp3" autoplay="">old</audio></p>'
        f'<video><source src="/media/{clip.id}/clip.webm" type="video/webm"></video>'
        '<audio src="https://elsewhere.example/a.mp3"></audio>',
        {},
    )
    assert html.startswith('<p><audio controls preload="metadata" src="/media/files/so/song.mp3">')
    assert "old" not in html and "autoplay" not in html
    assert '<video controls preload="metadata" playsinline src="/media/files/cl/clip.webm">' in html
    # Not a media address: left as the sanitizer made it.
    assert html.endswith('<audio src="https://elsewhere.example/a.mp3"></audio>')


def test_a_missing_recording_is_a_placeholder(make):
    song = make.media("song.mp3", kind="audio")
    html = body(f'[audio src="/media/{song.id}/song.mp3"]\n\n[video src="/media/5555/v.mp4"]')
    assert "<audio" not in html and "<video" not in html
    assert '<p><span class="media-missing">Recording not here yet: song.mp3</span></p>' in html
    assert "Video not here yet: v.mp4" in html


def test_one_query_loads_every_item_of_a_body(make, photo):
    others = [make.media(f"o{n}.jpg", **sized(f"bb{n}0")) for n in range(4)]
    song = make.media("song.mp3", kind="audio", stored_name="so/song.mp3")
    ids = ",".join(str(item.id) for item in others)
    source = (
        f'![](/media/{photo.id}/a.jpg)\n\n[gallery ids="{ids}"]\n\n'
        f'[audio src="/media/{song.id}/song.mp3"]\n\n[link](/media/{others[0].id}/o0.jpg)'
    )
    db.session.expire_all()
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        html = body(source)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    # Besides the settings the site's language is chosen from (once per context, for the
    # player's translated download link), one query for every item.
    media = [statement for statement in statements if "FROM settings" not in statement]
    assert len(media) == 1, statements
    assert html.count("<picture>") == 5 and "<audio" in html


def test_html_without_references_is_returned_unchanged_without_a_query():
    html = '<p>Nothing about <em>media</em> here, <a href="/mediation/">really</a>.</p>'
    assert render.render_media(html, {}) == html


def test_picture_data_for_templates(photo, app):
    pic = render.picture(photo, "medium")
    assert pic.src == "/media/files/ab/ab12cd-768x512.jpeg"
    assert pic.alt == "Boats in the harbour"
    assert [mime for mime, _ in pic.sources] == ["image/avif", "image/webp"]
    assert render.picture(None) is None
    with app.test_request_context():
        assert render.media_url(photo) == "/media/files/ab/ab12cd-1536x1024.jpeg"
    app.config["SITE_URL"] = "https://news.example"
    with app.test_request_context():
        assert (
            render.media_url(photo, external=True)
            == "https://news.example/media/files/ab/ab12cd-1536x1024.jpeg"
        )


def test_without_an_application_the_step_leaves_the_html_alone():
    """The sanitizer's own tests render without an app: there is no library to look in."""
    html = '<p><img src="/media/1/a.jpg" alt="a"></p>'
    assert render.render_media(html, {}) == html


ROUND_TRIP = [
    "Fish &amp; chips, &lt;b&gt;not bold&lt;/b&gt;, 5 &gt; 3, &#169; and "
    "\u00e9t\u00e9 \u201cquoted\u201d.",
    '<a href="/a?b=1&amp;c=&quot;2&quot;" title="It\'s &quot;here&quot;">link</a> and <br> a break',
    "| a | b |\n|:--|--:|\n| 1 | 2 |\n\n```python\nif a < b and c > d: print('&amp;')\n```",
    "<details><summary>More</summary>\n\n* one\n* two\n\n</details>\n\nText[^1].\n\n[^1]: A note.",
    '<figure class="alignleft"><img src="https://elsewhere.example/a.jpg" alt="x"></figure>',
]


@pytest.mark.parametrize("source", ROUND_TRIP)
def test_everything_but_media_is_written_back_unchanged(photo, source):
    """The step rewrites only media references: the rest of a sanitized part comes back as the
    sanitizer made it, byte for byte."""
    reference = f'<p><img src="/media/{photo.id}/harbour.jpg" alt="x"></p>'
    sanitized = render_post_body(source)
    html = render.render_media(sanitized + reference, {})
    assert html.startswith(sanitized)
    assert html[len(sanitized) :].startswith("<p><picture>")
