"""Flood and duplicate rules hold when several worker processes post at the same instant.

Each process is its own app (as gunicorn workers are), on the same SQLite file or PostgreSQL
database; a barrier releases their posts together. Before the checks ran in one serialised
transaction with the insert, two identical comments were both stored.
"""

from __future__ import annotations

import multiprocessing
import re

import pytest
from sqlalchemy import func, select

from blog import create_app
from blog.database import upgrade_to_head
from blog.extensions import db
from blog.models import Comment
from tests.helpers import throwaway_postgres

WORKERS = 4
SLUG = "race-day"


def app_config(url: str, flood_seconds: int) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "race-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "COMMENT_MIN_SECONDS": 0,
        "COMMENT_MODERATION": "none",
        "COMMENT_FLOOD_SECONDS": flood_seconds,
        "MAIL_SENDER_GATHER_SECONDS": 0,
        "MAIL_SENDER_LINGER_SECONDS": 0,
    }


def post_at_once(url, flood_seconds, instance, barrier, results, n, same_text) -> None:
    """One worker process: render the article, wait for the others, post."""
    import os

    os.environ["BLOG_INSTANCE_PATH"] = instance
    app = create_app(app_config(url, flood_seconds))
    client = app.test_client()
    page = client.get(f"/posts/{SLUG}").get_data(as_text=True)
    stamp = re.search(r'name="stamp" value="([^"]+)"', page).group(1)
    data = {
        "comment": "Same words at the same moment" if same_text else f"Words of worker {n}",
        "author": "Racing Rita" if same_text else f"Racer {n}",
        "email": "rita@example.org" if same_text else f"racer{n}@example.org",
        "stamp": stamp,
    }
    barrier.wait(timeout=60)
    response = client.post(f"/posts/{SLUG}/comments", data=data)
    results.put((response.status_code, response.headers.get("Retry-After")))
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path, monkeypatch):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'race.sqlite'}"
        return
    with throwaway_postgres() as (url,):
        yield url


def race(database_url, tmp_path, flood_seconds: int, same_text: bool):
    app = create_app(app_config(database_url, flood_seconds))
    with app.app_context():
        upgrade_to_head()
        from tests.conftest import Factory

        Factory("not-a-real-hash").post("Race day", slug=SLUG)
        db.session.remove()
        db.engine.dispose()
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(WORKERS)
    results = spawn.Queue()
    workers = [
        spawn.Process(
            target=post_at_once,
            args=(
                database_url,
                flood_seconds,
                str(tmp_path / "instance"),
                barrier,
                results,
                n,
                same_text,
            ),
        )
        for n in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    answers = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(30)
    with app.app_context():
        stored = db.session.scalar(select(func.count(Comment.id)))
        db.session.remove()
        db.engine.dispose()
    return answers, stored


@pytest.mark.slow
def test_identical_comments_from_parallel_workers_are_stored_once(database_url, tmp_path):
    answers, stored = race(database_url, tmp_path, flood_seconds=0, same_text=True)
    statuses = sorted(status for status, _ in answers)
    assert stored == 1
    assert statuses == [303] + [409] * (WORKERS - 1)


@pytest.mark.slow
def test_flood_rule_holds_across_parallel_workers(database_url, tmp_path):
    answers, stored = race(database_url, tmp_path, flood_seconds=15, same_text=False)
    assert stored == 1  # every post came from the same address within 15 seconds
    refused = [retry for status, retry in answers if status == 429]
    assert len(refused) == WORKERS - 1
    # The wait told is the rule's, not a rate limiter's minute.
    assert all(retry is not None and 1 <= int(retry) <= 15 for retry in refused)
    accepted = [retry for status, retry in answers if status == 303]
    assert accepted == [None]  # no Retry-After on a success
