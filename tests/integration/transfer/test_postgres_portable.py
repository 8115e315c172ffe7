"""WordPress import, export and restore on a real PostgreSQL server (id sequences included)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from blog import create_app
from blog.database import upgrade_to_head
from blog.extensions import db
from blog.models import Author, Comment, Post, Tag
from tests.helpers import dump_every_column, taken_columns, throwaway_postgres
from tests.wxr import SAMPLE

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_urls():
    """Two throwaway databases (a site and the place it is restored to), dropped afterwards."""
    with throwaway_postgres(2) as urls:
        yield urls


def pg_app(url, tmp_path, monkeypatch):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    config = {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url}
    return create_app({**config, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})


def new_rows_continue_after_imported_ids():
    """Inserting without ids works: the sequences were moved past the explicit ids."""
    author = Author(username="later", display_name="Later", password_hash="x")
    tag = Tag(name="Later", slug="later")
    db.session.add_all([author, tag])
    db.session.flush()
    post = Post(title="Later", slug="later", author_id=author.id)
    db.session.add(post)
    db.session.flush()
    comment = Comment(post_id=post.id, author_name="r", author_email="r@example.org", body="x")
    db.session.add(comment)
    db.session.commit()
    assert comment.id > 140
    for row in (comment, post, tag, author):
        db.session.delete(row)
    db.session.commit()


def test_import_export_restore_on_postgres(pg_urls, tmp_path, monkeypatch):
    source_url, target_url = pg_urls
    source = pg_app(source_url, tmp_path, monkeypatch)
    with source.app_context():
        upgrade_to_head()
        runner = source.test_cli_runner()
        imported = runner.invoke(args=["import-wxr", str(SAMPLE)])
        assert imported.exit_code == 0, imported.output
        again = runner.invoke(args=["import-wxr", str(SAMPLE)])
        assert "comments: 0 new, 12 already there" in again.output
        assert db.session.get(Comment, 103).root_id == 101
        new_rows_continue_after_imported_ids()
        client = source.test_client()
        assert client.get("/?p=10").status_code == 301
        assert client.get("/healthz").status_code == 200
        path = tmp_path / "export.json"
        assert runner.invoke(args=["export", str(path)]).exit_code == 0
        backup = runner.invoke(args=["backup", str(tmp_path / "b.sqlite")])
        assert backup.exit_code == 1 and "pg_dump" in backup.output
        expected = dump_every_column()
        db.session.remove()
        db.engine.dispose()

    target = pg_app(target_url, tmp_path, monkeypatch)
    with target.app_context():
        upgrade_to_head()
        restored = target.test_cli_runner().invoke(args=["import-json", str(path)])
        assert restored.exit_code == 0, restored.output
        # Cached HTML is rendered again and session epochs are new (blog.portable.NOT_TAKEN).
        assert taken_columns(dump_every_column()) == taken_columns(expected)
        assert db.session.scalar(select(func.count(Comment.id))) == 12
        new_rows_continue_after_imported_ids()
        db.session.remove()
        db.engine.dispose()
