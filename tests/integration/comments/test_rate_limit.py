"""Flask-Limiter on comment posting: per IP, in memory by default, shared through Redis."""

from __future__ import annotations

import re
import uuid

import pytest

from blog.extensions import db
from tests.helpers import HX, make_test_app, require_service


def limited_app(tmp_path, monkeypatch, **config):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    settings = dict(
        RATELIMIT_ENABLED=True,
        COMMENT_RATE_LIMIT="2 per minute",
        COMMENT_MIN_SECONDS=0,
        COMMENT_FLOOD_SECONDS=0,
    )
    settings.update(config)
    app = make_test_app(tmp_path, **settings)
    with app.app_context():
        db.create_all()
        from tests.conftest import Factory

        Factory("x").post("Rate limited news")
    return app


def post_comment(client, n, ip="198.51.100.1", headers=None):
    html = client.get("/posts/rate-limited-news").get_data(as_text=True)
    stamp = re.search(r'name="stamp" value="([^"]+)"', html).group(1)
    data = {
        "comment": f"Comment number {n}",
        "author": "Quick",
        "email": f"quick{n}@example.org",
        "stamp": stamp,
    }
    return client.post(
        "/posts/rate-limited-news/comments",
        data=data,
        headers=headers or {},
        environ_base={"REMOTE_ADDR": ip},
    )


def test_per_ip_limit_answers_429_with_the_form_kept(tmp_path, monkeypatch):
    app = limited_app(tmp_path, monkeypatch)
    client = app.test_client()
    first = post_comment(client, 1)
    assert first.status_code == 303
    assert "Retry-After" not in first.headers  # only a refusal says when to come back
    assert post_comment(client, 2).status_code == 303
    response = post_comment(client, 3, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "You are posting comments too quickly. Slow down." in html
    assert "Comment number 3" in html
    # The limit is per minute: the wait told is the rest of that minute, never more.
    assert 0 < int(response.headers["Retry-After"]) <= 61
    # Another address is not affected.
    assert post_comment(client, 4, ip="198.51.100.2").status_code == 303


def test_limits_can_be_switched_off(tmp_path, monkeypatch):
    app = limited_app(tmp_path, monkeypatch, RATELIMIT_ENABLED=False)
    client = app.test_client()
    assert [post_comment(client, n).status_code for n in range(4)] == [303] * 4


def test_redis_storage_shares_counts_between_workers(tmp_path, monkeypatch):
    """Two app instances (two workers) count against one Redis, so the limit holds overall."""
    redis_url = require_service("TEST_REDIS_URL", "Redis")
    prefix = f"blogtest-{uuid.uuid4().hex[:8]}"
    config = {"RATELIMIT_STORAGE_URI": redis_url, "RATELIMIT_KEY_PREFIX": prefix}
    first = limited_app(tmp_path / "a", monkeypatch, **config)
    second = limited_app(tmp_path / "b", monkeypatch, **config)
    assert post_comment(first.test_client(), 1).status_code == 303
    assert post_comment(second.test_client(), 2).status_code == 303
    assert post_comment(first.test_client(), 3).status_code == 429
    assert post_comment(second.test_client(), 4).status_code == 429
    import redis

    keys = redis.Redis.from_url(redis_url).keys(f"*{prefix}*")
    assert keys, "the limiter should have written its counters to Redis"


@pytest.mark.parametrize("path", ["/", "/posts/rate-limited-news"])
def test_reading_is_never_limited(tmp_path, monkeypatch, path):
    app = limited_app(tmp_path, monkeypatch)
    client = app.test_client()
    assert {client.get(path).status_code for _ in range(10)} == {200}
