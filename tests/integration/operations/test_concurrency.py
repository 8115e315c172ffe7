"""SQLite under concurrent writers: many readers posting at once never see "database is locked"."""

from __future__ import annotations

import re
import threading
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from blog.extensions import db
from blog.models import Comment

CLIENTS = 20
POSTS = 200


@pytest.mark.slow
def test_parallel_comment_posts_all_succeed(app, make, caplog):
    app.config.update(COMMENT_MIN_SECONDS=0, COMMENT_FLOOD_SECONDS=0, COMMENT_MODERATION="none")
    post = make.post("Busy article")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    page = urllib.request.urlopen(f"{base}/posts/{post.slug}").read().decode()
    stamp = re.search(r'name="stamp" value="([^"]+)"', page).group(1)

    def send(n: int) -> int:
        body = urllib.parse.urlencode(
            {"comment": f"Parallel comment {n}", "author": f"Reader {n}",
             "email": f"reader{n}@example.org", "stamp": stamp}
        ).encode()  # fmt: skip
        request = urllib.request.Request(f"{base}/posts/{post.slug}/comments", data=body)
        opener = urllib.request.build_opener(NoRedirect)
        try:
            return opener.open(request, timeout=30).status
        except urllib.error.HTTPError as error:
            return error.code

    try:
        with ThreadPoolExecutor(CLIENTS) as pool:
            statuses = list(pool.map(send, range(POSTS)))
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()
    assert statuses == [303] * POSTS
    assert db.session.scalar(select(func.count(Comment.id))) == POSTS
    assert "database is locked" not in caplog.text


@pytest.mark.sqlite_only
def test_a_post_queues_behind_another_process_holding_the_posting_lock(app, client, make):
    """Workers queue for the comment lock on a file beside the database
    (blog/comments/posting.py), not in SQLite's sleeping busy handler. Holding that lock here,
    as another worker would, keeps a post waiting; releasing it lets the post through at once."""
    import fcntl
    import time

    from tests.helpers import fields

    post = make.post("Queued article")
    data = fields(client, post)
    with app.app_context():
        lock_path = f"{db.engine.url.database}-posting.lock"
    result = {}
    with open(lock_path, "a+b") as other_worker:
        fcntl.flock(other_worker.fileno(), fcntl.LOCK_EX)
        poster = threading.Thread(
            target=lambda: result.update(
                response=client.post(f"/posts/{post.slug}/comments", data=data)
            )
        )
        poster.start()
        poster.join(0.5)
        assert poster.is_alive(), "the post did not wait for the posting lock"
        released = time.monotonic()
        fcntl.flock(other_worker.fileno(), fcntl.LOCK_UN)
    poster.join(10)
    assert not poster.is_alive()
    assert time.monotonic() - released < 2
    assert result["response"].status_code == 303
    assert db.session.scalar(select(func.count(Comment.id))) == 1


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
