"""Shared fixtures: an app on a real SQLite file per test, clients, and row factories."""

from __future__ import annotations

import itertools
import os
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from blog.extensions import db
from blog.mail.outbox import sender
from blog.models import (
    Author,
    Comment,
    CommentStatus,
    MediaItem,
    Post,
    PostStatus,
    Tag,
    now_utc,
)
from blog.sanitize import refresh_post_html
from tests.helpers import PASSWORD, make_test_app, throwaway_postgres


@pytest.fixture(scope="session")
def password_hash() -> str:
    from blog.accounts.passwords import hash_password

    return hash_password(PASSWORD)


class IsolatedClient(FlaskClient):
    """Each request gets its own app context, as under a real server.

    The tests hold an app context for database access; without this, requests would share its
    ``g`` and its database session with each other and with the test.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app_database_url():
    """None: each test's app gets its own SQLite file. With BLOG_TEST_DATABASE=postgresql (the
    second pass of `make test`), every app test runs on one throwaway PostgreSQL database
    instead, its tables created and dropped around each test."""
    if os.environ.get("BLOG_TEST_DATABASE") != "postgresql":
        yield None
        return
    with throwaway_postgres() as (url,):
        yield url


@pytest.fixture
def app(tmp_path, monkeypatch, app_database_url):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    overrides = {"SQLALCHEMY_DATABASE_URI": app_database_url} if app_database_url else {}
    app = make_test_app(tmp_path, **overrides)
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.create_all()
        yield app
        # The mail sender thread must finish with this database before its tables go.
        assert sender(app).wait_idle()
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Factory:
    """Makes rows with sensible defaults; every call commits so views see the data."""

    def __init__(self, password_hash: str):
        self.password_hash = password_hash
        self.counter = itertools.count(1)

    def author(self, username: str | None = None, **fields) -> Author:
        n = next(self.counter)
        author = Author(
            username=username or f"author{n}",
            display_name=fields.pop("display_name", f"Author {n}"),
            password_hash=self.password_hash,
            **{"role": "administrator", **fields},
        )
        db.session.add(author)
        db.session.commit()
        return author

    def tag(self, name: str) -> Tag:
        tag = Tag(name=name, slug=name.lower().replace(" ", "-"))
        db.session.add(tag)
        db.session.commit()
        return tag

    def post(self, title: str | None = None, **fields) -> Post:
        n = next(self.counter)
        title = title or f"Post number {n}"
        fields.setdefault("slug", title.lower().replace(" ", "-"))
        fields.setdefault("body_md", f"Body of *{title}*.")
        fields.setdefault("summary", f"Summary of {title}.")
        fields.setdefault("status", PostStatus.PUBLISHED.value)
        if fields["status"] != PostStatus.DRAFT.value:
            fields.setdefault("published_at", now_utc() - timedelta(hours=n))
        if "author" not in fields:
            fields["author"] = self.author()
        post = Post(title=title, **fields)
        refresh_post_html(post)
        db.session.add(post)
        db.session.commit()
        return post

    def comment(self, post: Post, **fields) -> Comment:
        n = next(self.counter)
        fields.setdefault("author_name", f"Reader {n}")
        fields.setdefault("author_email", f"reader{n}@example.org")
        fields.setdefault("body", f"Comment {n}")
        fields.setdefault("status", CommentStatus.APPROVED.value)
        parent = fields.get("parent")
        if parent is not None:  # placed in its thread as lifecycle.thread_place places it
            fields.setdefault("depth", parent.depth + 1)
            fields.setdefault("root_id", parent.root_id or parent.id)
        comment = Comment(post=post, **fields)
        db.session.add(comment)
        db.session.flush()
        if comment.root_id is None and parent is None:
            comment.root_id = comment.id
        db.session.commit()
        return comment

    def media(self, file_name: str = "photo.jpg", **fields) -> MediaItem:
        """A media record without a file (as an import without its uploads folder leaves one).
        Tests that need real files and sizes upload them through blog.media.library."""
        n = next(self.counter)
        fields.setdefault("kind", "image")
        fields.setdefault("mime_type", "image/jpeg")
        fields.setdefault("title", f"Picture {n}")
        fields.setdefault("alt_text", f"Picture {n}")
        item = MediaItem(file_name=file_name, **fields)
        db.session.add(item)
        db.session.commit()
        return item


@pytest.fixture
def make(app, password_hash) -> Factory:
    return Factory(password_hash)


@pytest.fixture
def fast_posting(app):
    """Tests post straight away: the too-fast, flood and rate rules get their own tests."""
    app.config.update(COMMENT_MIN_SECONDS=0, COMMENT_FLOOD_SECONDS=0, RATELIMIT_ENABLED=False)


class AdminActions:
    """Signs an author in and out through the real login form (flaskr's AuthActions)."""

    def __init__(self, client, make):
        self.client = client
        self.author = make.author("editor", display_name="Edith Editor")

    def login(self, username="editor", password=PASSWORD, **kwargs):
        return self.client.post(
            "/admin/login", data={"username": username, "password": password}, **kwargs
        )

    def logout(self):
        return self.client.post("/admin/logout")


@pytest.fixture
def admin(client, make) -> AdminActions:
    return AdminActions(client, make)
