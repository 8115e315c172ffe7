"""Real servers: gunicorn with 4 sync worker processes and waitress, on SQLite and PostgreSQL.

Readers are plain HTTP clients with their own cookie jar: they read the article, take the CSRF
token and the form stamp from it, and post through the real form. All clients come from
127.0.0.1, so the per-IP rules (flood, too-fast, Flask-Limiter) are switched off for the server.
"""

from __future__ import annotations

import http.cookiejar
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from blog.database import upgrade_to_head
from blog.extensions import db
from blog.models import Author, Comment, Post, PostStatus, now_utc
from tests.helpers import free_port, make_test_app, scratch_database
from tests.servers import Server

SLUG = "busy-article"
CLIENTS = 20
POSTS = 200


@pytest.fixture(params=["sqlite", "postgresql"])
def site(request, tmp_path, monkeypatch):
    """A migrated database holding one published article; yields its URL."""
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with scratch_database(request.param, tmp_path) as url:
        app = make_test_app(tmp_path, SQLALCHEMY_DATABASE_URI=url)
        with app.app_context():
            upgrade_to_head()
            author = Author(username="w", display_name="Writer", password_hash="x")
            db.session.add(
                Post(title="Busy article", slug=SLUG, body_md="Hello.", body_html="<p>Hello.</p>",
                     status=PostStatus.PUBLISHED.value, published_at=now_utc(), author=author)
            )  # fmt: skip
            db.session.commit()
            yield url
            db.session.remove()
            db.engine.dispose()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Reader:
    """One browser: its own cookies; reads the article once, then posts through its form."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect
        )
        page = self.opener.open(f"{base}/posts/{SLUG}", timeout=30).read().decode()
        # No token in the public page: a browser's Origin header is what the site checks.
        assert "csrf_token" not in page
        self.stamp = re.search(r'name="stamp" value="([^"]+)"', page).group(1)

    def post(self, n: int, origin: str | None = None) -> int:
        fields = {"comment": f"Comment number {n} from the crowd", "author": f"Reader {n}",
                  "email": f"reader{n}@example.org", "stamp": self.stamp}  # fmt: skip
        request = urllib.request.Request(
            f"{self.base}/posts/{SLUG}/comments",
            data=urllib.parse.urlencode(fields).encode(),
            headers={"Origin": origin or self.base},
        )
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as error:
            error.close()
            return error.code


def post_in_parallel(base: str, posts: int, clients: int) -> list[int]:
    readers = [Reader(base) for _ in range(clients)]
    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(lambda n: readers[n % clients].post(n), range(posts)))


def stored_bodies() -> Counter:
    db.session.commit()
    return Counter(db.session.scalars(select(Comment.body)))


@pytest.mark.slow
def test_gunicorn_four_workers_store_200_parallel_comments_exactly_once(site, tmp_path):
    port = free_port()
    server = Server(
        [sys.executable, "-m", "gunicorn", "-w", "4", "-b", f"127.0.0.1:{port}",
         "--graceful-timeout", "5", "blog.wsgi:app"],
        port, site, tmp_path,
    )  # fmt: skip
    try:
        statuses = post_in_parallel(server.base, POSTS, CLIENTS)
    finally:
        server.stop()
    log = server.output()
    assert Counter(statuses) == {303: POSTS}, log[-3000:]
    bodies = stored_bodies()
    assert len(bodies) == POSTS and set(bodies.values()) == {1}  # each once, none lost
    assert db.session.scalar(select(func.count(Comment.id))) == POSTS
    assert "database is locked" not in log
    assert "Traceback" not in log
    # The app configured logging under gunicorn: its lines reach stderr, each with a request id.
    saved = [line for line in log.splitlines() if " blog: Comment " in line]
    assert len(saved) == POSTS
    assert all(re.search(r"INFO \[[0-9a-f]{32}\] blog: Comment", line) for line in saved)
    assert len(set(re.findall(r"Booting worker with pid: (\d+)", log))) == 4


@pytest.mark.slow
def test_waitress_serves_the_article_and_takes_comments_with_csrf(tmp_path, monkeypatch):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    with scratch_database("sqlite", tmp_path) as url:
        app = make_test_app(tmp_path, SQLALCHEMY_DATABASE_URI=url)
        with app.app_context():
            upgrade_to_head()
            author = Author(username="w", display_name="Writer", password_hash="x")
            db.session.add(
                Post(title="Busy article", slug=SLUG, body_md="Hello.", body_html="<p>Hello.</p>",
                     status=PostStatus.PUBLISHED.value, published_at=now_utc(), author=author)
            )  # fmt: skip
            db.session.commit()
            port = free_port()
            server = Server(
                [sys.executable, "-m", "waitress", f"--listen=127.0.0.1:{port}", "--threads=8",
                 "blog.wsgi:app"],
                port, url, tmp_path,
            )  # fmt: skip
            try:
                html = urllib.request.urlopen(f"{server.base}/posts/{SLUG}").read().decode()
                assert "Busy article" in html
                refused = Reader(server.base).post(9999, origin="https://evil.example")
                statuses = post_in_parallel(server.base, 40, 8)
            finally:
                server.stop()
            assert refused == 403  # sent from another origin: no comment
            assert Counter(statuses) == {303: 40}
            bodies = stored_bodies()
            assert len(bodies) == 40 and set(bodies.values()) == {1}
            assert "database is locked" not in server.output()
            db.session.remove()
            db.engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("site", ["sqlite"], indirect=True)
def test_gunicorn_script_name_header_does_not_poison_the_shared_page(site, tmp_path):
    """Issue 18: gunicorn takes SCRIPT_NAME from a header sent from an address it trusts (here,
    127.0.0.1), with a path that starts with it; eight such requests made every later reader's
    form post to another site."""
    port = free_port()
    server = Server(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
         "--graceful-timeout", "5", "blog.wsgi:app"],
        port, site, tmp_path,
    )  # fmt: skip
    try:
        for _ in range(8):
            request = urllib.request.Request(
                f"{server.base}//evil.example/posts/{SLUG}",
                headers={"SCRIPT_NAME": "//evil.example"},
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                steered = response.read().decode()
        clean = Reader(server.base).opener.open(f"{server.base}/posts/{SLUG}", timeout=30)
        page = clean.read().decode()
    finally:
        server.stop()
    assert "evil.example" not in steered
    assert "evil.example" not in page
    assert f'action="/posts/{SLUG}/comments"' in page
