"""The same reading side on a real PostgreSQL server, schema built by the migrations."""

from __future__ import annotations

import os
import warnings
from datetime import UTC, datetime

import feedparser
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from blog import create_app
from blog.database import upgrade_to_head
from blog.demo import seed_demo
from blog.extensions import db
from blog.models import Comment, CommentStatus, Post
from tests.helpers import throwaway_postgres

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg_url():
    """A throwaway database on the server named by TEST_DATABASE_URL, dropped afterwards."""
    with throwaway_postgres() as (url,):
        yield url


@pytest.fixture(scope="module")
def pg_app(pg_url, tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("BLOG_INSTANCE_PATH", str(tmp_path_factory.mktemp("pg-instance")))
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": pg_url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "MAIL_SENDER_GATHER_SECONDS": 0,
            "MAIL_SENDER_LINGER_SECONDS": 0,
        }
    )
    with app.app_context():
        upgrade_to_head()
        seed_demo()
        yield app
        db.session.remove()
        db.engine.dispose()
    mp.undo()


def test_migrations_match_models_on_postgres(pg_app):
    assert db.engine.dialect.name == "postgresql"
    upgrade_to_head()  # a second run changes nothing
    with db.engine.connect() as conn, warnings.catch_warnings():
        # An expression index (lower(author_email)) cannot be compared by reflection.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression")
        # The moderation search's trigram index (blog/comment_search.py) is an expression with
        # an operator class: PostgreSQL hands its text back rewritten, so it is checked apart.
        context = MigrationContext.configure(
            conn,
            opts={"include_object": lambda obj, name, *_: name != "ix_comments_admin_search"},
        )
        assert compare_metadata(context, db.metadata) == []
        definition = conn.exec_driver_sql(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_comments_admin_search'"
        ).scalar()
        assert "gin_trgm_ops" in definition and "author_url" in definition


def test_reader_pages_on_postgres(pg_app):
    client = pg_app.test_client()
    posts = db.session.scalars(select(Post).where(Post.kind == "post")).all()
    assert len(posts) >= 3
    home = client.get("/").get_data(as_text=True)
    assert posts[0].title in home
    for post in posts:
        assert client.get(f"/posts/{post.slug}").status_code == 200
        for tag in post.tags:
            assert client.get(f"/tag/{tag.slug}/").status_code == 200
    first = min(p.published_at for p in posts)
    assert client.get(f"/archive/{first.year}/{first.month}").status_code == 200
    assert not feedparser.parse(client.get("/feed.xml").data).bozo


def test_comment_counts_and_times_on_postgres(pg_app):
    client = pg_app.test_client()
    post = db.session.scalars(select(Post).order_by(Post.id)).first()
    for status in ("approved", "approved", "pending"):
        db.session.add(
            Comment(
                post=post, author_name="R", author_email="r@example.org", body="hi", status=status
            )
        )
    db.session.commit()
    assert "2 thoughts on" in client.get(f"/posts/{post.slug}").get_data(as_text=True)
    approved = db.session.scalar(
        select(func.count(Comment.id)).where(Comment.status == CommentStatus.APPROVED.value)
    )
    assert approved == 2
    db.session.expire_all()
    assert db.session.get(Post, post.id).published_at.tzinfo is UTC
    assert db.session.get(Post, post.id).published_at < datetime.now(UTC)


def test_comment_posting_and_moderation_on_postgres(pg_app):
    """The comment flow with its count/lower()/paging queries, on PostgreSQL."""
    import re

    from blog.accounts.passwords import hash_password
    from blog.models import Author

    pg_app.config.update(COMMENT_MIN_SECONDS=0, COMMENT_FLOOD_SECONDS=0)
    post = db.session.scalars(
        select(Post).where(Post.kind == "post").order_by(Post.id.desc())
    ).first()
    reader = pg_app.test_client()
    html = reader.get(f"/posts/{post.slug}").get_data(as_text=True)
    stamp = re.search(r'name="stamp" value="([^"]+)"', html).group(1)
    data = {
        "comment": "Hello from PostgreSQL",
        "author": "Pat",
        "email": "Pat@Example.org",
        "stamp": stamp,
    }
    assert reader.post(f"/posts/{post.slug}/comments", data=data).status_code == 303
    comment = db.session.scalars(
        select(Comment).where(Comment.body == "Hello from PostgreSQL")
    ).one()
    assert comment.status == "pending" and comment.root_id == comment.id
    assert reader.post(f"/posts/{post.slug}/comments", data=data).status_code == 409
    db.session.add(
        Author(
            username="pgadmin",
            display_name="PG",
            password_hash=hash_password("pg admin pass"),
            role="editor",  # moderating comments is an editor's capability
        )
    )
    db.session.commit()
    moderator = pg_app.test_client()
    moderator.post("/admin/login", data={"username": "pgadmin", "password": "pg admin pass"})
    listing = moderator.get("/admin/comments?status=pending&q=postgresql").get_data(as_text=True)
    assert "Hello from PostgreSQL" in listing
    assert moderator.post(f"/admin/comments/{comment.id}/approve").status_code == 303
    stranger = pg_app.test_client()
    assert "Hello from PostgreSQL" in stranger.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert stranger.get(f"/c/{comment.id}").status_code == 302


def test_pages_recover_after_the_server_drops_every_connection(pg_app, pg_url):
    """The settings and content version are read on a raw pooled connection (blog/settings.py);
    when the server drops it (a restart, a failover), that connection is thrown away, not handed
    back to the pool, and the reader's next page is served normally."""
    import psycopg
    from sqlalchemy.engine import make_url

    client = pg_app.test_client()
    slug = db.session.scalars(select(Post.slug)).first()
    db.session.remove()
    for _ in range(3):  # connections in the pool
        assert client.get(f"/posts/{slug}").status_code == 200
    target = make_url(pg_url)
    admin = make_url(os.environ["TEST_DATABASE_URL"]).set(drivername="postgresql")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (target.database,),
        )
    statuses = [client.get(f"/posts/{slug}").status_code for _ in range(6)]
    # This module's requests share the fixture's app context, and so its session: drop what
    # that session still holds of the old connections without talking to the server.
    db.session().invalidate()
    # At most the requests that met a dropped connection fail (the error page, never a
    # traceback); after that every page is served.
    assert statuses[-3:] == [200, 200, 200], statuses
