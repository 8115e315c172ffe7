"""Real servers: gunicorn with 4 sync worker processes and waitress, on SQLite and PostgreSQL.

Readers are plain HTTP clients with their own cookie jar: they read the article, take the CSRF
token and the form stamp from it, and post through the real form. All clients come from
127.0.0.1, so the per-IP rules (flood, too-fast, Flask-Limiter) are switched off for the server.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import time
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


class Server:
    """A WSGI server in a subprocess on a free port, its log in a file."""

    def __init__(self, command: list[str], port: int, database_url: str, tmp_path):
        env = dict(os.environ)
        env.pop("DATABASE_URL", None)
        env.update(
            BLOG_INSTANCE_PATH=str(tmp_path / "server-instance"),
            BLOG_SECRET_KEY="server-secret",
            BLOG_SQLALCHEMY_DATABASE_URI=database_url,
            BLOG_COMMENT_FLOOD_SECONDS="0",
            BLOG_COMMENT_MIN_SECONDS="0",
            BLOG_RATELIMIT_ENABLED="false",
            BLOG_COMMENT_MODERATION="none",
        )
        self.base = f"http://127.0.0.1:{port}"
        self.log_path = tmp_path / "server.log"
        self.log = open(self.log_path, "wb")  # noqa: SIM115  (closed in stop)
        self.process = subprocess.Popen(command, env=env, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 45
        while True:
            try:
                urllib.request.urlopen(f"{self.base}/robots.txt", timeout=2).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"server did not start:\n{self.output()}") from None
                time.sleep(0.2)

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.log.close()


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
        self.token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        self.stamp = re.search(r'name="stamp" value="([^"]+)"', page).group(1)

    def post(self, n: int, with_token: bool = True) -> int:
        fields = {"comment": f"Comment number {n} from the crowd", "author": f"Reader {n}",
                  "email": f"reader{n}@example.org", "stamp": self.stamp}  # fmt: skip
        if with_token:
            fields["csrf_token"] = self.token
        request = urllib.request.Request(
            f"{self.base}/posts/{SLUG}/comments", data=urllib.parse.urlencode(fields).encode()
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
                refused = Reader(server.base).post(9999, with_token=False)
                statuses = post_in_parallel(server.base, 40, 8)
            finally:
                server.stop()
            assert refused == 400  # no CSRF token, no comment
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
