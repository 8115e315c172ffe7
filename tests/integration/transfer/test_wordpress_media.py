"""flask import-wxr with media: attachments become media items, --uploads brings their files,
and the posts show every picture, gallery, player, embed and featured image WordPress showed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from blog.extensions import db
from blog.models import MediaItem, Post
from tests.wxr import MEDIA, write_uploads

OLD_HOST = "oldnews.example.org"


@pytest.fixture
def uploads(tmp_path):
    return write_uploads(tmp_path / "old-site")


def run_import(runner, *options) -> list[str]:
    result = runner.invoke(args=["import-wxr", str(MEDIA), *options])
    assert result.exit_code == 0, result.output
    return [line.strip() for line in result.output.splitlines()]


def media(number: int) -> MediaItem:
    return db.session.scalar(select(MediaItem).where(MediaItem.wp_id == number))


def post(number: int) -> Post:
    return db.session.scalar(select(Post).where(Post.wp_id == number))


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def article(html: str) -> str:
    """The article's own part of a page (the header and sidebars have other links)."""
    return html.split("<article", 1)[1].split("</article>", 1)[0]


def ref(number: int) -> str:
    item = media(number)
    return f"/media/{item.id}/{item.file_name}"


def test_with_uploads_every_file_comes_in_and_the_summary_says_what_did_not(
    runner, uploads, client
):
    lines = run_import(runner, "--uploads", str(uploads))
    assert "media: 12 new (8 images, 2 audio, 1 video, 1 files), 0 already there" in lines
    assert f"media files from {uploads}: 10 brought in, 1 missing, 1 refused" in lines
    assert "missing: 2024/05/lost.jpg (not in the folder)" in lines
    refused = [line for line in lines if line.startswith("refused: 2024/05/sneaky.jpg: ")]
    assert len(refused) == 1, lines
    # Only what is no attachment of the export (the About page's old logo) is still there.
    assert "posts still using files on the old site: 2" in lines
    assert {'"About"', '"Lost and found"'} <= set(lines)
    assert not any(line.startswith("to bring the files") for line in lines)

    sunrise = media(101)
    assert (sunrise.kind, sunrise.width, sunrise.height) == ("image", 1600, 1000)
    assert sunrise.stored_name and not sunrise.is_missing
    assert sunrise.alt_text == "Sunrise over the bay" and sunrise.caption == "Morning light"
    assert sunrise.title == "Sunrise" and sunrise.wp_parent_id == 10
    assert sunrise.source_url == f"https://{OLD_HOST}/wp-content/uploads/2024/05/sunrise.jpg"
    assert sunrise.author.username == "ana"
    assert '"medium"' in sunrise.sizes and '"large"' in sunrise.sizes
    kinds = {n: (media(n).kind, media(n).is_missing) for n in (103, 107, 108, 109, 110)}
    assert kinds == {
        103: ("image", False),
        107: ("audio", False),
        108: ("video", False),
        109: ("file", False),
        110: ("audio", False),
    }
    assert media(111).is_missing and media(112).is_missing  # lost, and a PHP file


def test_pictures_captions_and_featured_images_show_from_our_files(runner, uploads, client):
    run_import(runner, "--uploads", str(uploads))
    # The Image block: centred, its caption's link kept, the file from our library.
    sunrise = post(10)
    assert (
        f'<figure class="aligncenter"><img src="{ref(101)}" alt="Sunrise over the bay" '
        'class="size-large"><figcaption>Taken from <a href="https://example.org/pier">the pier'
        "</a> at six</figcaption></figure>"
    ) in sunrise.body_md
    assert sunrise.featured_media_id == media(101).id
    html = page(client, "/posts/sunrise")
    body = article(html)
    assert OLD_HOST not in html
    assert re.search(r'<img[^>]+src="/media/files/[^"]+"[^>]+alt="Sunrise over the bay"', body)
    assert 'class="aligncenter' in body
    assert '<a href="https://example.org/pier">the pier</a>' in body
    assert re.search(r'<meta property="og:image" content="http://[^"]+/media/files/', html)
    # [caption] with a link around a sized copy (-300x200) and srcset: the same attachment.
    harbour = post(11).body_md
    assert (
        f'<figure class="alignright"><a href="{ref(102)}"><img src="{ref(102)}" '
        'alt="The harbour" class="size-medium"></a><figcaption>The harbour at '
        '<a href="https://example.org/dawn">dawn</a></figcaption></figure>'
    ) in harbour
    assert "srcset" not in harbour and "300x200" not in harbour
    assert f'<img src="{ref(101)}" alt="" class="size-thumbnail">' in harbour  # -150x150
    assert f'<a href="{ref(109)}">the harbour report</a>' in harbour
    body = article(page(client, "/posts/harbour"))
    assert OLD_HOST not in body
    assert body.count("/media/files/") >= 3 and "dawn</a>" in body
    assert post(11).featured_media_id == media(102).id


def test_galleries_keep_their_pictures_order_and_captions(runner, uploads, client):
    run_import(runner, "--uploads", str(uploads))
    boats, nets = media(103).id, media(104).id
    source = post(12).body_md
    assert f'<p>[gallery ids="{boats},{nets}" columns="2"]</p>' in source
    # [gallery] without ids: the post's attachments in their menu order (nets first).
    assert f'<p>[gallery ids="{nets},{boats}"]</p>' in source
    body = article(page(client, "/posts/boats"))
    assert body.count('class="gallery ') == 2
    assert "Nets drying" in body and "Boats" in body and "[gallery" not in body
    # The Gallery block: its pictures, the captions the post showed, the gallery's caption.
    gulls, dunes = media(105).id, media(106).id
    assert f'<p>[gallery ids="{gulls},{dunes}" columns="2"]</p>' in post(13).body_md
    assert media(105).caption == "Gulls over the pier"  # the post's, not "Gulls"
    body = article(page(client, "/posts/week-at-sea"))
    assert "Gulls over the pier" in body and "Dunes at noon" in body
    assert "Our week at the sea" in body
    assert body.count("/media/files/") >= 2


def test_sound_video_files_embeds_footnotes_and_details(runner, uploads, client):
    run_import(runner, "--uploads", str(uploads))
    source = post(14).body_md
    assert f'<audio src="{ref(107)}"></audio><figcaption>Waves at night</figcaption>' in source
    assert f'<p>[video src="{ref(108)}"]</p>' in source
    assert f'[audio src="{ref(110)}"]' in source
    assert f'<a href="{ref(109)}">Harbour report</a>' in source and "Download" not in source
    body = article(page(client, "/posts/sounds"))
    assert body.count("<audio controls") == 2 and body.count("<video controls") == 1
    assert "autoplay" not in body and OLD_HOST not in body
    assert "Waves at night" in body
    links = article(page(client, "/posts/links"))
    # The Embed block and a bare Vimeo line: cards that ask nothing of YouTube or Vimeo yet.
    assert "embed-youtube" in links and "embed-vimeo" in links
    assert "<iframe" not in links
    # Footnotes from the post's meta, their links and targets kept; details kept.
    assert "Seen on a <em>clear</em> day." in links
    note = "9c7b1a2e-3f4d-4e5a-8b6c-0d1e2f3a4b5c"
    assert re.search(rf"<li id=\"p[0-9]+-{note}\">", links)
    assert re.search(rf"<a href=\"#p[0-9]+-{note}\" id=\"p[0-9]+-{note}-link\">1</a>", links)
    assert re.search(rf"<a href=\"#p[0-9]+-{note}-link\">", links)  # back to the text
    assert "<details" in links and "<summary>Where is it?</summary>" in links
    assert "latest-posts" not in links and "wp:" not in links


def test_dynamic_blocks_are_counted_with_an_example(runner, uploads):
    lines = run_import(runner, "--uploads", str(uploads))
    assert (
        "dynamic blocks left out: 2 (latest-posts in \u201cLinks and notes\u201d, "
        "page-list in \u201cAbout\u201d)"
    ) in lines


def test_without_uploads_records_stay_posts_show_placeholders_and_are_named(runner, client):
    lines = run_import(runner)
    assert "media: 12 new (8 images, 2 audio, 1 video, 1 files), 0 already there" in lines
    assert db.session.scalar(select(func.count()).where(MediaItem.stored_name == "")) == 12
    assert "posts still using files on the old site: 7" in lines
    for title in (
        "Sunrise over the bay",
        "The harbour",
        "Boats and nets",
        "A week at the sea",
        "Sounds of the sea",
        "About",
        "Lost and found",
    ):
        assert f'"{title}"' in lines
    assert (
        "to bring the files: run import-wxr again with --uploads PATH/TO/wp-content/uploads "
        "(records are kept; nothing is added twice)"
    ) in lines
    # The posts already point at our addresses; readers see placeholders, never a broken
    # picture on the old host (the CSP would refuse it).
    assert f'src="{ref(101)}"' in post(10).body_md
    for path in ("/posts/sunrise", "/posts/harbour", "/posts/boats", "/posts/sounds"):
        body = article(page(client, path))
        assert OLD_HOST not in body, path
        assert "media-missing" in body, path
        assert not re.search(r"<img[^>]+src=\"https?://", body), path


def test_running_again_with_uploads_fills_the_files_in(runner, uploads, client):
    run_import(runner)
    before = page(client, "/posts/sunrise")
    assert "media-missing" in article(before)
    lines = run_import(runner, "--uploads", str(uploads))
    assert "media: 0 new (0 images, 0 audio, 0 video, 0 files), 12 already there" in lines
    assert f"media files from {uploads}: 10 brought in, 1 missing, 1 refused" in lines
    assert "posts: 0 new, 7 already there" in lines
    # Still on the old site: the post whose file is missing, and the page's old logo.
    assert "posts still using files on the old site: 2" in lines
    assert {'"About"', '"Lost and found"'} <= set(lines)
    assert db.session.scalar(select(func.count()).select_from(MediaItem)) == 12
    assert not media(101).is_missing
    body = article(page(client, "/posts/sunrise"))
    assert "media-missing" not in body and "/media/files/" in body
    # A third run has nothing left to bring but the two it cannot.
    lines = run_import(runner, "--uploads", str(uploads))
    assert f"media files from {uploads}: 0 brought in, 1 missing, 1 refused" in lines


def test_a_file_outside_the_uploads_folder_is_never_read(runner, tmp_path, uploads):
    (uploads.parent.parent / "secret.jpg").write_bytes((uploads / "2024/05/nets.jpg").read_bytes())
    export = tmp_path / "sly.xml"
    text = MEDIA.read_text(encoding="utf-8")
    export.write_text(
        text.replace("2024/05/lost.jpg", "../../secret.jpg").replace(
            "uploads/2024/05/lost.jpg", "uploads/../../secret.jpg"
        ),
        encoding="utf-8",
    )
    result = runner.invoke(args=["import-wxr", str(export), "--uploads", str(uploads)])
    assert result.exit_code == 0, result.output
    assert media(111).is_missing
    assert "missing: ../../secret.jpg (not in the folder)" in result.output


def test_media_url_still_moves_what_is_no_attachment(runner, uploads, client):
    lines = run_import(runner, "--uploads", str(uploads), "--media-url", "/old-uploads/")
    assert "posts whose uploads now point to --media-url: 1" in lines
    assert '<img src="/old-uploads/2019/01/logo.png" alt="Old logo">' in post(16).body_md
    assert f'src="{ref(101)}"' in post(10).body_md


def test_a_failed_import_keeps_no_file_and_no_record(runner, app, tmp_path, uploads):
    broken = tmp_path / "broken.xml"
    text = MEDIA.read_text(encoding="utf-8")
    broken.write_text(text.replace("</channel>", "<item><title>cut here</channel>"), "utf-8")
    result = runner.invoke(args=["import-wxr", str(broken), "--uploads", str(uploads)])
    assert result.exit_code == 1 and "Nothing was imported." in result.output
    assert db.session.scalar(select(func.count()).select_from(MediaItem)) == 0
    media_dir = Path(app.instance_path) / "media"
    assert not [p for p in media_dir.rglob("*") if p.is_file()]
    # The same import whole keeps its files.
    run_import(runner, "--uploads", str(uploads))
    assert len([p for p in media_dir.rglob("*") if p.is_file()]) > 10


def test_a_file_over_the_size_limit_is_refused_unread(runner, app, uploads):
    app.config["MEDIA_MAX_BYTES"] = 20_000  # sunrise.jpg is about 30 kB, chime.mp3 17 kB
    lines = run_import(runner, "--uploads", str(uploads))
    assert (
        "refused: 2024/05/sunrise.jpg: “sunrise.jpg” is larger than 19 KB, the most this site "
        "takes (MEDIA_MAX_BYTES)."
    ) in lines
    assert media(101).is_missing and not media(110).is_missing
