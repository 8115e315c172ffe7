"""export / import-json carry the media library's records (#22): media rows, which posts use
them (post_media) and featured images. The files themselves are copied with the MEDIA_DIR
folder; a restore says when they are not there. A file that breaks a rule of the media rows is
refused whole, naming the table, the row and the column."""

from __future__ import annotations

import io
import json
import shutil

import pytest
from PIL import Image
from sqlalchemy import func, select

from blog import create_app
from blog.database import upgrade_to_head
from blog.extensions import db
from blog.media import library
from blog.media.storage import media_root
from blog.models import MediaItem, Post
from blog.transfer.portable import TABLES
from tests.helpers import dump_every_column, make_test_app, taken_columns, throwaway_postgres

WHEN = "2024-03-01T10:00:00+00:00"


def png(color=(20, 120, 60), size=(900, 500)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def build_site(make) -> dict[str, int]:
    author = make.author("ada")
    photo = library.add_media(png(), "field.png", author=author, alt_text="A green field")
    second = library.add_media(png((200, 30, 30)), "barn.png", caption="The <em>red</em> barn")
    sound = library.add_media(b"ID3\x04\x00" + bytes(200), "birds.mp3", title="Birdsong")
    missing = make.media(
        "old.jpg", wp_id=55, wp_parent_id=9, source_url="https://old.example/o.jpg"
    )
    db.session.commit()
    make.post(
        "Spring",
        author=author,
        featured_media_id=photo.id,
        body_md=(
            f'<img src="/media/{photo.id}/field.png" alt="A green field">\n\n'
            f'[gallery ids="{photo.id},{second.id}"]\n\n[audio src="/media/{sound.id}/birds.mp3"]'
        ),
    )
    make.post("Old times", author=author, body_md=f"![Old](/media/{missing.id}/old.jpg)")
    return {"photo": photo.id, "missing": missing.id}


def export(runner, path) -> dict:
    result = runner.invoke(args=["export", str(path)])
    assert result.exit_code == 0, result.output
    assert "4 media, " in result.output and "4 post_media, " in result.output
    return json.loads(path.read_text(encoding="utf-8"))


def test_media_records_go_out_and_come_back_with_their_files(app, make, runner, tmp_path):
    ids = build_site(make)
    expected = dump_every_column()
    data = export(runner, tmp_path / "site.json")
    rows = {row["file_name"]: row for row in data["tables"]["media"]}
    assert rows["old.jpg"]["stored_name"] == "" and rows["old.jpg"]["wp_id"] == 55
    assert json.loads(rows["field.png"]["sizes"])["medium"]["width"] == 768
    posts = {row["title"]: row for row in data["tables"]["posts"]}
    assert posts["Spring"]["featured_media_id"] == ids["photo"]

    fresh_dir = tmp_path / "fresh"
    shutil.copytree(media_root(), fresh_dir / "media")  # what docs/media.md tells the owner
    fresh = make_test_app(fresh_dir, MEDIA_DIR=str(fresh_dir / "media"))
    with fresh.app_context():
        db.create_all()
        result = fresh.test_cli_runner().invoke(args=["import-json", str(tmp_path / "site.json")])
        assert result.exit_code == 0, result.output
        assert "media files are not in" not in result.output
        assert taken_columns(dump_every_column()) == taken_columns(expected)
        spring = db.session.scalar(select(Post).where(Post.slug == "spring"))
        assert spring.featured_media.alt_text == "A green field"
        # Restored HTML is rendered again, with the item's sizes; the files are served.
        photo = db.session.get(MediaItem, ids["photo"])
        medium = json.loads(photo.sizes)["medium"]["files"]["webp"]
        assert f"/media/files/{medium}" in spring.body_html
        with fresh.test_client() as client, client.get(f"/media/files/{medium}") as served:
            assert served.status_code == 200 and served.content_type == "image/webp"
        # New rows continue after the restored ids.
        later = library.add_media(png((1, 2, 3)), "later.png")
        db.session.commit()
        assert later.id == 5
        db.session.remove()
        db.engine.dispose()


def test_a_restore_without_the_files_says_so(app, make, runner, tmp_path):
    build_site(make)
    export(runner, tmp_path / "site.json")
    fresh_dir = tmp_path / "fresh"
    fresh_dir.mkdir()
    fresh = make_test_app(fresh_dir, MEDIA_DIR=str(fresh_dir / "media"))
    with fresh.app_context():
        db.create_all()
        result = fresh.test_cli_runner().invoke(args=["import-json", str(tmp_path / "site.json")])
        assert result.exit_code == 0, result.output
        assert (
            f"3 media files are not in {fresh_dir / 'media'} yet: copy the media folder "
            "(MEDIA_DIR) of the exported site there; export writes the records only."
        ) in result.output
        db.session.remove()
        db.engine.dispose()


# --- refused whole ------------------------------------------------------------------------------


def media_file() -> dict:
    item = {
        "id": 1, "kind": "image", "file_name": "a.jpg", "stored_name": "ab/ab0123456789abcdef.jpg",
        "mime_type": "image/jpeg", "byte_size": 10, "width": 10, "height": 10,
        "sizes": '{"full":{"width":10,"height":10,"files":{"jpeg":"ab/ab0123456789abcdef.jpg"}}}',
        "title": "A", "alt_text": "", "caption": "", "description": "", "author_id": 1,
        "wp_id": None, "wp_parent_id": None, "source_url": "", "created_at": WHEN,
        "updated_at": WHEN,
    }  # fmt: skip
    return {
        "format": "good-news-export",
        "version": 1,
        "exported_at": WHEN,
        "tables": {
            "authors": [
                {"id": 1, "username": "ada", "display_name": "Ada", "email": "", "created_at": WHEN}
            ],
            "media": [item, dict(item, id=2, file_name="b.jpg", stored_name="", sizes="{}")],
            "posts": [
                {
                    "id": 1,
                    "title": "Hello",
                    "slug": "hello",
                    "body_md": "![](/media/1/a.jpg)",
                    "summary": "",
                    "status": "published",
                    "published_at": WHEN,
                    "created_at": WHEN,
                    "author_id": 1,
                    "featured_media_id": 2,
                },
            ],
            "post_media": [{"post_id": 1, "media_id": 1}, {"post_id": 1, "media_id": 2}],
        },
    }


def change(table: str, index: int, **values):
    def apply(data):
        data["tables"][table][index].update(values)

    return apply


def add(table: str, row: dict):
    def apply(data):
        data["tables"][table].append(row)

    return apply


REFUSED = {
    "traversal in stored_name": (
        change("media", 0, stored_name="../../blog.sqlite"),
        "media[0].stored_name: '../../blog.sqlite' is not a name this site stores files under",
    ),
    "a script's name": (
        change("media", 0, stored_name="ab/ab0123456789abcdef.php"),
        "media[0].stored_name:",
    ),
    "traversal in a size": (
        change(
            "media",
            0,
            sizes='{"medium":{"width":1,"height":1,"files":{"webp":"../../etc/passwd"}}}',
        ),
        "media[0].sizes: size 'medium' needs a width, a height and files stored by this site",
    ),
    "sizes not JSON": (change("media", 0, sizes="{oops"), "media[0].sizes: '{oops' is not JSON"),
    "sizes a list": (change("media", 0, sizes="[]"), "media[0].sizes: must be a JSON object"),
    "sizes without a file": (
        change("media", 1, sizes=json.dumps({"full": {"width": 1, "height": 1, "files": {}}})),
        "media[1].sizes: an item without its file has no sizes",
    ),
    "unknown kind": (
        change("media", 0, kind="script"),
        "media[0].kind: 'script' is not a kind of media (image, audio, video, file)",
    ),
    "a path as file name": (
        change("media", 0, file_name="../x.jpg"),
        "media[0].file_name: '../x.jpg' is not a file name",
    ),
    "no author": (change("media", 0, author_id=7), "media[0].author_id: no row of authors"),
    "id twice": (change("media", 1, id=1), "media[1].id: id 1 appears twice"),
    "wp_id twice": (
        lambda d: [change("media", i, wp_id=5)(d) for i in (0, 1)],
        "media[1].wp_id: WordPress id 5 appears twice",
    ),
    "negative size": (change("media", 0, byte_size=-1), "media[0].byte_size: must be 0 or more"),
    "zero width": (change("media", 0, width=0), "media[0].width: must be 1 or more"),
    "featured to nothing": (
        change("posts", 0, featured_media_id=9),
        "posts[0].featured_media_id: no row of media has the id 9",
    ),
    "use of no item": (
        add("post_media", {"post_id": 1, "media_id": 9}),
        "post_media[2].media_id: no row of media has the id 9",
    ),
    "use by no post": (
        add("post_media", {"post_id": 4, "media_id": 1}),
        "post_media[2].post_id: no row of posts has the id 4",
    ),
    "use twice": (
        add("post_media", {"post_id": 1, "media_id": 2}),
        "post_media[2].media_id: the pair (1, 2) appears twice",
    ),
}


def restore(runner, tmp_path, data):
    path = tmp_path / "site.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return runner.invoke(args=["import-json", str(path)])


def test_a_valid_media_file_restores(app, runner, tmp_path):
    result = restore(runner, tmp_path, media_file())
    assert result.exit_code == 0, result.output
    assert "1 media files are not in" in result.output
    assert db.session.get(Post, 1).featured_media_id == 2


@pytest.mark.parametrize("case", REFUSED.values(), ids=REFUSED.keys())
def test_a_file_breaking_a_media_rule_is_refused_whole(app, runner, tmp_path, case):
    spoil, message = case
    data = media_file()
    spoil(data)
    result = restore(runner, tmp_path, data)
    assert result.exit_code == 1
    assert message in result.output and "nothing was restored" in result.output
    counts = [db.session.scalar(select(func.count()).select_from(table)) for _, table in TABLES]
    assert counts == [0] * len(TABLES)


@pytest.mark.postgres
def test_media_round_trips_on_postgres(make, tmp_path, monkeypatch):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    with throwaway_postgres(2) as urls:
        config = {"TESTING": True, "SECRET_KEY": "x", "MAIL_SENDER_LINGER_SECONDS": 0}
        apps = [
            create_app({**config, "SQLALCHEMY_DATABASE_URI": url, "MEDIA_DIR": str(tmp_path / n)})
            for url, n in zip(urls, ("one", "two"), strict=True)
        ]
        with apps[0].app_context():
            upgrade_to_head()
            build_site(make)
            expected = dump_every_column()
            export(apps[0].test_cli_runner(), tmp_path / "site.json")
            db.session.remove()
            db.engine.dispose()
        shutil.copytree(tmp_path / "one", tmp_path / "two")
        with apps[1].app_context():
            upgrade_to_head()
            runner = apps[1].test_cli_runner()
            result = runner.invoke(args=["import-json", str(tmp_path / "site.json")])
            assert result.exit_code == 0, result.output
            assert "media files are not in" not in result.output
            assert taken_columns(dump_every_column()) == taken_columns(expected)
            later = library.add_media(png((1, 2, 3)), "later.png")  # the sequence moved on
            db.session.commit()
            assert later.id == 5
            db.session.remove()
            db.engine.dispose()
