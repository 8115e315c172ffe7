"""Sign-in that cannot be turned against the site: lockouts, huge names, races, bad next."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from blog.accounts import auth
from blog.database import upgrade_to_head
from blog.extensions import db
from blog.models import Author, LoginAttempt, now_utc
from tests.helpers import PASSWORD, make_test_app, throwaway_postgres

STRANGER = {"REMOTE_ADDR": "203.0.113.66"}
AUTHOR_HOME = {"REMOTE_ADDR": "198.51.100.10"}


def attempts() -> int:
    return db.session.scalar(select(func.count(LoginAttempt.id)))


def test_a_stranger_cannot_lock_the_author_out(admin, client):
    for _ in range(20):
        admin.login(password="guess", environ_base=STRANGER)
    assert admin.login(environ_base=STRANGER).status_code == 429  # even with the right password
    assert admin.login(environ_base=AUTHOR_HOME).status_code == 303


def test_many_addresses_hit_the_per_username_ceiling(app, admin):
    app.config["LOGIN_MAX_FAILURES_PER_USERNAME"] = 8
    for n in range(8):
        ip = {"REMOTE_ADDR": f"192.0.2.{n}"}
        assert admin.login(password="guess", environ_base=ip).status_code == 401
    locked = admin.login(environ_base={"REMOTE_ADDR": "192.0.2.200"})
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    # Other names are not affected by that ceiling.
    other = admin.login(username="someone", password="x", environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert other.status_code == 401


def test_a_huge_username_is_refused_in_the_form_and_never_stored_or_logged(app, admin, caplog):
    huge = "n" * 450_000
    with caplog.at_level(logging.INFO):
        for _ in range(6):
            response = admin.login(username=huge, password="x")
            assert response.status_code == 422
            assert "Usernames have at most 64 characters." in response.get_data(as_text=True)
    assert attempts() == 0
    assert max((len(record.getMessage()) for record in caplog.records), default=0) < 1000


def test_a_65_character_name_is_refused_and_64_is_checked(admin):
    assert admin.login(username="a" * 65, password="x").status_code == 422
    assert admin.login(username="a" * 64, password="x").status_code == 401


def test_log_lines_are_bounded():
    assert auth.for_log("x" * 10_000) == repr("x" * auth.LOG_VALUE_MAX + "...")


def test_attempts_are_kept_only_for_the_window(admin):
    admin.login(password="wrong", environ_base=STRANGER)
    for attempt in db.session.scalars(select(LoginAttempt)):
        attempt.attempted_at = now_utc() - timedelta(minutes=16)
    db.session.commit()
    admin.login(username="other", password="wrong", environ_base=AUTHOR_HOME)
    db.session.expire_all()
    assert [row.username for row in db.session.scalars(select(LoginAttempt))] == ["other"]


def test_a_refused_attempt_is_not_stored(admin):
    for _ in range(5):
        admin.login(password="wrong", environ_base=STRANGER)
    assert attempts() == 5
    for _ in range(10):
        assert admin.login(password="wrong", environ_base=STRANGER).status_code == 429
    assert attempts() == 5


@pytest.mark.parametrize(
    "target",
    ["/admin/\nX-Injected: 1", "/admin/\r\nSet-Cookie: a=b", "/admin/\u2028", "/admin/\x85"],
)
def test_next_with_line_breaks_falls_back_to_the_dashboard(admin, target):
    response = admin.login(query_string={"next": target})
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/"


def test_next_with_a_bracket_or_percent_still_redirects(admin, client):
    response = admin.login(query_string={"next": "/[x%0A"})
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/")
    assert "\n" not in response.headers["Location"]


def test_sign_in_has_a_per_address_rate_limit(tmp_path, monkeypatch, password_hash):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_test_app(tmp_path, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    with app.app_context():
        db.create_all()
    client = app.test_client()
    data = {"username": "nobody", "password": "x"}
    codes = [
        client.post("/admin/login", data=data, environ_base=STRANGER).status_code for _ in range(4)
    ]
    assert codes == [401, 401, 401, 429]
    # Showing the form is not limited, and another address may still try.
    assert client.get("/admin/login", environ_base=STRANGER).status_code == 200
    other = client.post("/admin/login", data=data, environ_base=AUTHOR_HOME)
    assert other.status_code == 401


# --- parallel attempts: no more than the limit get a password check --------------------------


PARALLEL = 16


def parallel_wrong_attempts(app, monkeypatch) -> tuple[list[int], int]:
    """PARALLEL wrong sign-ins from one address at the same instant; (statuses, checks)."""
    checks = 0
    lock = threading.Lock()
    start = threading.Barrier(PARALLEL)
    real_check = auth.check_password

    def slow_check(author, password):
        nonlocal checks
        with lock:
            checks += 1
        time.sleep(0.2)  # a real hash takes time too: every racer is inside at once
        return real_check(author, password)

    monkeypatch.setattr(auth, "check_password", slow_check)
    with app.app_context():
        # Old attempts, so the parallel requests also purge at the same time.
        old = now_utc() - timedelta(minutes=20)
        for n in range(30):
            db.session.add(LoginAttempt(username=f"old{n}", ip="192.0.2.1", attempted_at=old))
        db.session.commit()

    def attempt(_):
        client = app.test_client()
        start.wait()
        with app.app_context():
            response = client.post(
                "/admin/login",
                data={"username": "editor", "password": "wrong"},
                environ_base=STRANGER,
            )
        return response.status_code

    with ThreadPoolExecutor(PARALLEL) as pool:
        statuses = list(pool.map(attempt, range(PARALLEL)))
    return statuses, checks


def test_parallel_attempts_on_sqlite_stay_within_the_limit(app, admin, monkeypatch):
    statuses, checks = parallel_wrong_attempts(app, monkeypatch)
    assert checks <= app.config["LOGIN_MAX_FAILURES"]
    assert statuses.count(401) == checks
    assert statuses.count(429) == PARALLEL - checks
    assert 500 not in statuses
    assert not db.session.scalar(select(func.count()).where(LoginAttempt.username.like("old%")))


@pytest.fixture
def pg_app(tmp_path, monkeypatch, password_hash):
    with throwaway_postgres() as (url,):
        monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
        app = make_test_app(tmp_path, SQLALCHEMY_DATABASE_URI=url)
        with app.app_context():
            upgrade_to_head()
            db.session.add(Author(username="editor", display_name="E", password_hash=password_hash))
            db.session.commit()
            yield app
            db.session.remove()
            db.engine.dispose()


@pytest.mark.postgres
def test_parallel_attempts_on_postgres_stay_within_the_limit(pg_app, monkeypatch):
    statuses, checks = parallel_wrong_attempts(pg_app, monkeypatch)
    assert checks <= pg_app.config["LOGIN_MAX_FAILURES"]
    assert statuses.count(401) == checks
    assert 500 not in statuses


@pytest.mark.postgres
@pytest.mark.parametrize("username", ["x" * 129, "edi\x00tor", "e" * 450_000])
def test_postgres_hostile_usernames_are_4xx(pg_app, username):
    client = pg_app.test_client()
    response = client.post("/admin/login", data={"username": username, "password": "x"})
    assert response.status_code in (401, 422)
    ok = client.post("/admin/login", data={"username": "editor", "password": PASSWORD})
    assert ok.status_code == 303
