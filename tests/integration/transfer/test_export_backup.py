"""flask export / import-json / backup: everything out and back in, and live SQLite copies."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from blog import search_text
from blog.extensions import db
from blog.models import Comment, CommentStatus, Post, SlugRedirect, Subscription, now_utc
from blog.sanitize import COMMENT_RENDER_VERSION, render_comment, render_post_body
from blog.settings import save_settings
from tests.helpers import PASSWORD, dump_every_column, make_test_app, taken_columns
from tests.wxr import SAMPLE


@pytest.fixture
def full_site(runner, make):
    """A site with a bit of everything: an import, threads, every comment status, settings."""
    assert runner.invoke(args=["import-wxr", str(SAMPLE)]).exit_code == 0
    author = make.author("ada", display_name="Ada Lovelace", email="ada@example.org")
    tag = make.tag("science")
    post = make.post("A story of ours", tags=[tag], author=author, comments_open=False)
    draft = make.post("Not yet", status="draft", author=author)
    top = make.comment(post, author_ip="203.0.113.9", user_agent="Firefox")
    top.root_id = top.id
    reply = make.comment(post, parent_id=top.id, root_id=top.id, depth=1, author_id=author.id)
    for status in CommentStatus:
        make.comment(post, status=status.value, edited_at=now_utc() - timedelta(minutes=3))
    make.comment(draft, status_version=4, moderation_reason="2 links")
    db.session.add(SlugRedirect(old_slug="old-name", post_id=post.id))
    db.session.add(Subscription(post_id=post.id, email="rosa@example.org", status="confirmed"))
    db.session.commit()
    save_settings({"POSTS_PER_PAGE": 7, "COMMENT_MODERATION_WORDS": ["casino", "pills"]})
    assert reply.parent_id == top.id
    return dump_every_column()


def test_export_then_import_json_loses_nothing(full_site, runner, tmp_path, monkeypatch):
    path = tmp_path / "export.json"
    result = runner.invoke(args=["export", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Exported 5 settings, 3 authors, 5 tags, 1 media, 9 posts, 10 post_tags, 1 post_media, "
        "20 comments, 1 slug_redirects, 0 revisions, 0 menu_items, 1 subscriptions.\n"
    )
    data = json.loads(path.read_text(encoding="utf-8"))
    assert (data["format"], data["version"]) == ("good-news-export", 1)
    assert all("password_hash" not in author for author in data["tables"]["authors"])
    # What an own-comments cookie or a moderation link names stays with this database.
    assert all("secret" not in comment for comment in data["tables"]["comments"])
    assert {c["status"] for c in data["tables"]["comments"]} == {s.value for s in CommentStatus}

    fresh_dir = tmp_path / "fresh"
    fresh_dir.mkdir()
    fresh = make_test_app(fresh_dir)
    with fresh.app_context():
        db.create_all()
        restored = fresh.test_cli_runner().invoke(args=["import-json", str(path)])
        assert restored.exit_code == 0, restored.output
        assert "set-password" in restored.output
        # Everything but what a restore never takes from a file
        # (blog.transfer.portable.NOT_TAKEN): the cached HTML is rendered again, the session
        # epochs are new.
        restored_rows = dump_every_column()
        assert taken_columns(restored_rows) == taken_columns(full_site)
        for comment in restored_rows["comments"]:
            assert comment["body_render_version"] == COMMENT_RENDER_VERSION
            expected = "" if comment["status"] == "deleted" else render_comment(comment["body"])
            assert comment["body_html"] == expected
        for post in restored_rows["posts"]:
            assert post["body_html"] == render_post_body(post["body_md"])
        # Each restored comment has a secret of its own, made by this restore.
        new_secrets = dict(db.session.execute(select(Comment.id, Comment.secret)).all())
        assert len(set(new_secrets.values())) == len(new_secrets)
        assert all(len(secret) == 16 for secret in new_secrets.values())
        # Each post's approved count is not in the file: the triggers counted it as the
        # comments went in.
        stored = dict(db.session.execute(select(Post.id, Post.approved_comments)).all())
        counted = dict(
            db.session.execute(
                select(Comment.post_id, func.count(Comment.id))
                .where(Comment.status == "approved")
                .group_by(Comment.post_id)
            ).all()
        )
        assert stored == {post_id: counted.get(post_id, 0) for post_id in stored}
        assert sum(stored.values()) > 3
        assert all("approved_comments" not in post for post in data["tables"]["posts"])
        # Replies went in as top-level and were linked after: their moves were counted too.
        top_level = dict(db.session.execute(select(Post.id, Post.approved_top_level)).all())
        counted_top = dict(
            db.session.execute(
                select(Comment.post_id, func.count(Comment.id))
                .where(Comment.status == "approved", Comment.parent_id.is_(None))
                .group_by(Comment.post_id)
            ).all()
        )
        assert top_level == {post_id: counted_top.get(post_id, 0) for post_id in top_level}
        db.session.remove()
        db.engine.dispose()


def test_restored_authors_set_a_password_before_signing_in(full_site, runner, tmp_path):
    path = tmp_path / "export.json"
    runner.invoke(args=["export", str(path)])
    fresh_dir = tmp_path / "fresh"
    fresh_dir.mkdir()
    fresh = make_test_app(fresh_dir)
    with fresh.app_context():
        db.create_all()
        cli = fresh.test_cli_runner()
        assert cli.invoke(args=["import-json", str(path)]).exit_code == 0
        client = fresh.test_client()
        login = {"username": "ada", "password": PASSWORD}
        assert client.post("/admin/login", data=login).status_code != 303
        assert cli.invoke(args=["set-password", "ada", "--password", PASSWORD]).exit_code == 0
        assert client.post("/admin/login", data=login).status_code == 303
        # New rows continue after the restored ids.
        assert client.get("/posts/a-story-of-ours").status_code == 200
        db.session.remove()
        db.engine.dispose()


def test_import_json_refuses_a_database_that_is_not_empty(runner, make, tmp_path):
    path = tmp_path / "export.json"
    assert runner.invoke(args=["export", str(path)]).exit_code == 0
    make.post("Already here")
    result = runner.invoke(args=["import-json", str(path)])
    assert result.exit_code == 1
    assert "The database is not empty (1 authors, 1 posts)" in result.output
    assert "only restores into an empty database" in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "is not valid JSON"),
        ('{"format": "something-else"}', "This is not a good-news-export file"),
        (
            '{"format": "good-news-export", "version": 99, "tables": {}}',
            "version 99 is not supported",
        ),
        (
            '{"format": "good-news-export", "version": 1, "tables": {"authors": '
            '[{"id": 1, "username": "x", "shoe_size": 42}]}}',
            "authors[0] has unknown columns: ['shoe_size']",
        ),
        (
            '{"format": "good-news-export", "version": 1, "tables": {"tags": '
            '[{"id": "one", "name": "x", "slug": "x"}]}}',
            "tags[0].id: expected int, found 'one'",
        ),
        (
            '{"format": "good-news-export", "version": 1, "tables": {"authors": [{"id": 1, '
            '"username": "x", "display_name": "x", "created_at": "2024-01-01T00:00:00"}]}}',
            "has no time zone",
        ),
    ],
)
def test_import_json_explains_bad_files(runner, tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    result = runner.invoke(args=["import-json", str(path)])
    assert result.exit_code == 1
    assert message in result.output


def test_a_failed_restore_keeps_nothing(runner, tmp_path):
    path = tmp_path / "half.json"
    rows = {
        "authors": [{"id": 1, "username": "a", "display_name": "A", "email": ""}],
        # A post by an author who is not in the file: the database refuses it.
        "posts": [{"id": 1, "title": "t", "slug": "t", "author_id": 7}],
    }
    path.write_text(
        json.dumps({"format": "good-news-export", "version": 1, "tables": rows}), encoding="utf-8"
    )
    result = runner.invoke(args=["import-json", str(path)])
    assert result.exit_code == 1 and "nothing was restored" in result.output
    from blog.models import Author

    assert db.session.scalar(select(Author)) is None


@pytest.mark.sqlite_only
def test_backup_copies_a_live_database_while_comments_arrive(app, runner, make, tmp_path):
    post_id = make.post("Busy thread").id
    database = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    stop = threading.Event()
    errors: list[Exception] = []
    written = []

    def post_comments():
        """Each transaction adds a comment and a reply to it: a consistent copy has pairs."""
        conn = sqlite3.connect(database, timeout=30)
        search_text.register(conn)  # another process of the site: the search triggers call it
        try:
            n = 0
            while not stop.is_set() or n < 20:
                n += 1
                with conn:
                    cursor = conn.execute(
                        "INSERT INTO comments (post_id, depth, author_name, author_email, "
                        "author_url, author_ip, user_agent, body, body_html, body_render_version,"
                        " status, moderation_reason, status_version, created_at) VALUES "
                        "(?, 0, 'r', 'r@example.org', '', '', '', ?, '', 0, 'approved', '', 0, "
                        "'2024-01-01 00:00:00')",
                        (post_id, f"comment {n}" + " padding" * 200),
                    )
                    parent = cursor.lastrowid
                    conn.execute("UPDATE comments SET root_id = ? WHERE id = ?", (parent, parent))
                    conn.execute(
                        "INSERT INTO comments (post_id, parent_id, root_id, depth, author_name, "
                        "author_email, author_url, author_ip, user_agent, body, body_html, "
                        "body_render_version, status, moderation_reason, status_version, "
                        "created_at) VALUES (?, ?, ?, 1, 'r', 'r@example.org', '', '', '', "
                        "'reply', '', 0, 'approved', '', 0, '2024-01-01 00:00:00')",
                        (post_id, parent, parent),
                    )
                written.append(n)
        except Exception as error:
            errors.append(error)
        finally:
            conn.close()

    writer = threading.Thread(target=post_comments)
    writer.start()
    try:
        while len(written) < 20 and writer.is_alive():  # well under way before the copy starts
            threading.Event().wait(0.01)
        before = len(written)
        copy = tmp_path / "backup.sqlite"
        result = runner.invoke(args=["backup", str(copy)])
        after = len(written)
    finally:
        stop.set()
        writer.join()
    assert result.exit_code == 0, result.output
    assert "integrity check ok" in result.output
    assert errors == []
    backup = sqlite3.connect(copy)
    try:
        assert backup.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert backup.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file
        count = backup.execute("SELECT count(*) FROM comments").fetchone()[0]
        orphans = backup.execute(
            "SELECT count(*) FROM comments c WHERE c.parent_id IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM comments p WHERE p.id = c.parent_id)"
        ).fetchone()[0]
        childless = backup.execute(
            "SELECT count(*) FROM comments p WHERE p.parent_id IS NULL AND NOT EXISTS "
            "(SELECT 1 FROM comments c WHERE c.parent_id = p.id)"
        ).fetchone()[0]
    finally:
        backup.close()
    # Whole transactions only: every reply with its comment, every comment with its reply.
    assert count % 2 == 0 and orphans == 0 and childless == 0
    assert 2 * before <= count <= 2 * after
    assert f"{count} comments" in result.output


@pytest.mark.sqlite_only
def test_backup_will_not_overwrite_without_force(runner, tmp_path):
    target = tmp_path / "existing.sqlite"
    target.write_text("keep me")
    refused = runner.invoke(args=["backup", str(target)])
    assert refused.exit_code == 1 and "pass --force" in refused.output
    assert target.read_text() == "keep me"
    assert runner.invoke(args=["backup", str(target), "--force"]).exit_code == 0
    assert sqlite3.connect(target).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_backup_on_postgresql_points_to_pg_dump(tmp_path, monkeypatch):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_test_app(tmp_path, SQLALCHEMY_DATABASE_URI="postgresql+psycopg://u@127.0.0.1:1/x")
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "b.sqlite")])
    assert result.exit_code == 1
    assert "On PostgreSQL use pg_dump" in result.output
    assert not (tmp_path / "b.sqlite").exists()
