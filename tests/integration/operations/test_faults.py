"""Faults degrade gracefully (issue 19): a stalled write, a full disk or read-only storage give
the poster a 503 with Retry-After and their text back, never a 500 or a hang; readers go on."""

from __future__ import annotations

import contextlib
import errno
import re
import sqlite3
import threading
import time

import pytest
from sqlalchemy import create_engine, text

from blog.comments import posting
from blog.comments.visitor import OWN_COOKIE
from blog.extensions import db
from blog.models import Comment
from tests.helpers import HX, PASSWORD, READER, TEXT, fields

WAIT = 0.6  # DB_WRITE_WAIT_SECONDS in these tests: short, so they run quickly


@pytest.fixture(autouse=True)
def fresh_fault_log():
    """Each test sees a fault's first report (they are logged once a minute per cause)."""
    import blog.web.errors

    blog.web.errors._logged.clear()
    posting._stall.until = 0.0
    yield
    posting._stall.until = 0.0


@pytest.fixture
def short_waits(app, fast_posting):
    """Every new connection waits WAIT seconds at most (the setting is read when it connects)."""
    app.config["DB_WRITE_WAIT_SECONDS"] = WAIT
    db.session.rollback()  # its connection back first: dispose() closes only pooled ones
    db.engine.dispose()
    yield
    db.session.remove()
    db.engine.dispose()


@pytest.fixture
def post(make):
    return make.post("Stormy weather")


def comment_count() -> int:
    db.session.rollback()  # see what the requests committed
    return db.session.scalar(text("SELECT count(*) FROM comments"))


@contextlib.contextmanager
def write_lock_held(app):
    """Another process holds the database's write lock: a second SQLite connection in BEGIN
    EXCLUSIVE, or on PostgreSQL a connection holding the comments table ACCESS EXCLUSIVE."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        other = sqlite3.connect(url.database, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    engine = create_engine(url)
    try:
        with engine.connect() as other:
            other.execute(text("LOCK TABLE comments IN ACCESS EXCLUSIVE MODE"))
            try:
                yield
            finally:
                other.rollback()
    finally:
        engine.dispose()


def timed(call):
    start = time.monotonic()
    response = call()
    return response, time.monotonic() - start


def in_background(call) -> tuple[threading.Thread, dict]:
    """Run ``call`` in a thread; the dict gets its "response" and how many "seconds" it took."""
    answer: dict = {}

    def run():
        answer["response"], answer["seconds"] = timed(call)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, answer


def assert_form_back(response, *, htmx: bool):
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1
    assert "Nothing was saved" in html
    assert TEXT in html  # the reader's text, in the form
    assert 'id="respond"' in html
    if htmx:
        assert response.headers["X-Form-Answer"] == "swap"
        assert "<html" not in html  # the fragment
    else:
        assert "<html" in html  # the whole article


# --- a stalled write ----------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [HX, {}], ids=["htmx", "plain"])
def test_a_held_write_lock_gives_the_poster_503_and_readers_go_on(
    app, client, post, short_waits, headers, caplog
):
    data = fields(client, post)
    reader = app.test_client()
    assert reader.get(f"/posts/{post.slug}").status_code == 200  # warm, as a live site is
    with write_lock_held(app):
        poster, answer = in_background(
            lambda: client.post(f"/posts/{post.slug}/comments", data=data, headers=headers)
        )
        reads = []
        while poster.is_alive() and len(reads) < 50:
            response, seconds = timed(lambda: reader.get(f"/posts/{post.slug}"))
            reads.append((response.status_code, seconds))
        poster.join(WAIT + 5)
        assert not poster.is_alive(), "the post still waits for the lock"
    assert_form_back(answer["response"], htmx=bool(headers))
    assert answer["seconds"] < WAIT + 1.5
    assert reads, "no reader request ran while the post waited"
    if db.engine.dialect.name == "sqlite":  # WAL: readers never wait for a writer
        assert {status for status, _ in reads} == {200}
        assert max(seconds for _, seconds in reads) < 0.5
    else:  # the table itself is locked: a reader gets an answer within the wait, never a hang
        assert max(seconds for _, seconds in reads) < WAIT + 1.5
    assert comment_count() == 0
    assert "Unhandled error" not in caplog.text and "Traceback" not in caplog.text
    assert "answered 503" in caplog.text


def test_no_reader_page_writes(app, client, make):
    """Readers never wait behind a writer only if no page they read writes: every statement a
    round of reader pages runs (the shared page cache cold and warm) is a read."""
    post = make.post("Quiet reading")
    make.comment(post)
    writes = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if not re.match(
            r"\s*(SELECT|PRAGMA|BEGIN|COMMIT|ROLLBACK|RELEASE|SAVEPOINT|SET)\b", statement, re.I
        ):
            writes.append(statement.split("\n")[0][:80])

    from sqlalchemy import event

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        for _ in range(2):
            for path in (
                "/",
                f"/posts/{post.slug}",
                f"/posts/{post.slug}/comments/new?after=0",
                "/feed.xml",
                "/comments/feed.xml",
                f"/posts/{post.slug}/comments.xml",
                "/sitemap.xml",
                "/robots.txt",
                "/healthz",
            ):
                assert client.get(path).status_code == 200, path
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert writes == []


def test_the_fault_is_logged_once_not_per_request(app, client, post, short_waits, caplog):
    data = fields(client, post)
    with write_lock_held(app):
        for _ in range(3):
            response = client.post(f"/posts/{post.slug}/comments", data=data, headers=HX)
            assert response.status_code == 503
    assert caplog.text.count("answered 503") == 1


@pytest.mark.sqlite_only  # on PostgreSQL the locked table also holds up the form's re-render
def test_after_one_post_waited_in_vain_the_next_ones_answer_at_once(app, client, post, short_waits):
    """A stalled database must not keep every worker waiting: after one full wait, the next
    posts of the worker give up after STALLED_WAIT_SECONDS; once the lock is free, they go
    through again."""
    with write_lock_held(app):
        first, first_seconds = timed(
            lambda: client.post(f"/posts/{post.slug}/comments", data=fields(client, post))
        )
        data = fields(client, post)
        second, second_seconds = timed(
            lambda: client.post(f"/posts/{post.slug}/comments", data=data)
        )
    assert (first.status_code, second.status_code) == (503, 503)
    assert first_seconds >= WAIT - 0.1
    assert second_seconds < posting.STALLED_WAIT_SECONDS + 0.3
    assert client.post(f"/posts/{post.slug}/comments", data=data).status_code == 303
    assert posting._stall.until == 0.0


@pytest.mark.sqlite_only
def test_the_posting_lock_held_by_another_worker_is_waited_for_within_the_deadline(
    app, client, post, short_waits
):
    import fcntl

    data = fields(client, post)
    with open(f"{db.engine.url.database}-posting.lock", "a+b") as other_worker:
        fcntl.flock(other_worker.fileno(), fcntl.LOCK_EX)
        try:
            poster, answer = in_background(
                lambda: client.post(f"/posts/{post.slug}/comments", data=data)
            )
            poster.join(WAIT + 3)
            stuck = poster.is_alive()
        finally:
            fcntl.flock(other_worker.fileno(), fcntl.LOCK_UN)
            poster.join(30)
    assert not stuck, "the post waited for the posting lock with no deadline"
    assert_form_back(answer["response"], htmx=False)
    assert answer["seconds"] < WAIT + 1


@pytest.mark.sqlite_only
def test_an_unusable_lock_file_falls_back_to_sqlites_own_lock(
    app, client, post, fast_posting, monkeypatch, caplog
):
    def refused(path, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", path)

    monkeypatch.setattr(posting, "open", refused, raising=False)
    posting._lock_file_warned.clear()
    for n in range(2):
        data = fields(client, post, comment=f"{TEXT} {n}")
        assert client.post(f"/posts/{post.slug}/comments", data=data).status_code == 303
    assert comment_count() == 2
    assert caplog.text.count("Posting lock file unusable") == 1


# --- full disk, read-only storage ---------------------------------------------------------------


def storage_error(kind: str) -> Exception:
    """What the driver raises when the disk is full or the storage read-only."""
    if db.engine.dialect.name == "postgresql":
        import psycopg.errors

        if kind == "full":
            return psycopg.errors.DiskFull("could not extend file: No space left on device")
        return psycopg.errors.ReadOnlySqlTransaction("cannot execute INSERT in a read-only txn")
    message, code = {
        "full": ("database or disk is full", 13),
        "readonly": ("attempt to write a readonly database", 8),
    }[kind]
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = code
    return error


@pytest.fixture(params=["full", "readonly"])
def broken_storage(request, app, monkeypatch):
    """Every statement that writes fails as it does on a full disk / read-only storage."""
    dialect = db.engine.dialect
    real = dialect.do_execute
    error = storage_error(request.param)

    def do_execute(cursor, statement, parameters, context=None):
        if re.match(r"\s*(INSERT|UPDATE|DELETE)\b", statement, re.IGNORECASE):
            raise error
        return real(cursor, statement, parameters, context)

    monkeypatch.setattr(dialect, "do_execute", do_execute)
    return request.param


@pytest.mark.parametrize("headers", [HX, {}], ids=["htmx", "plain"])
def test_a_comment_on_broken_storage_gets_503_with_its_text(
    app, client, post, fast_posting, broken_storage, headers, caplog
):
    data = fields(client, post)
    response = client.post(f"/posts/{post.slug}/comments", data=data, headers=headers)
    assert_form_back(response, htmx=bool(headers))
    assert "Unhandled error" not in caplog.text
    assert client.get(f"/posts/{post.slug}").status_code == 200  # reading goes on


def test_signing_in_on_broken_storage_gets_503_not_500(admin, client, broken_storage, caplog):
    response = admin.login()
    assert response.status_code == 503
    assert "Retry-After" in response.headers
    assert "Nothing was saved" in response.get_data(as_text=True)
    assert "Unhandled error" not in caplog.text
    assert client.get("/admin/login").status_code == 200


def test_an_admin_write_on_broken_storage_gets_503(admin, client, make, caplog, monkeypatch):
    post = make.post("Draft to publish")
    assert admin.login().status_code == 303
    dialect = db.engine.dialect
    real = dialect.do_execute
    error = storage_error("full")

    def do_execute(cursor, statement, parameters, context=None):
        if re.match(r"\s*(INSERT|UPDATE|DELETE)\b", statement, re.IGNORECASE):
            raise error
        return real(cursor, statement, parameters, context)

    monkeypatch.setattr(dialect, "do_execute", do_execute)
    page = client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    response = client.post(
        f"/admin/posts/{post.id}/edit",
        data={
            "title": "New title",
            "slug": post.slug,
            "body": "Changed.",
            "action": "draft",
            "csrf_token": token.group(1) if token else "",
        },
    )
    assert response.status_code == 503
    assert "Unhandled error" not in caplog.text


@pytest.mark.sqlite_only
def test_a_read_only_database_file(tmp_path, monkeypatch, make, app, caplog):
    """The real thing, not a stand-in: SQLite opened read-only (mode=ro), as on a read-only
    mount. Pages work; posting and signing in answer 503; the deep health check says why."""
    from tests.helpers import make_test_app

    post = make.post("Read-only news")
    make.author("ro-editor")
    database = db.engine.url.database
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "ro-instance"))
    readonly = make_test_app(
        tmp_path,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///file:{database}?mode=ro&uri=true",
        COMMENT_MIN_SECONDS=0,
        COMMENT_FLOOD_SECONDS=0,
    )
    client = readonly.test_client()
    with readonly.app_context():
        assert client.get(f"/posts/{post.slug}").status_code == 200
        response = client.post(f"/posts/{post.slug}/comments", data=fields(client, post))
        assert response.status_code == 503
        assert TEXT in response.get_data(as_text=True)
        signing_in = client.post(
            "/admin/login", data={"username": "ro-editor", "password": PASSWORD}
        )
        assert signing_in.status_code == 503
        health = client.get("/healthz?deep=1")
        assert health.status_code == 503
        assert "readonly database" in health.get_data(as_text=True)
        assert client.get("/healthz").status_code == 200  # the shallow check: it can read
        db.engine.dispose()
    assert "Unhandled error" not in caplog.text


# --- /healthz?deep=1 ----------------------------------------------------------------------------


def test_deep_health_check_passes_on_a_healthy_site(client):
    response = client.get("/healthz?deep=1")
    assert response.status_code == 200
    assert response.get_data(as_text=True).startswith("ok\n")
    assert response.headers["Cache-Control"] == "no-store"


def test_deep_health_check_reports_a_held_write_lock(app, client, short_waits):
    with write_lock_held(app):
        response, seconds = timed(lambda: client.get("/healthz?deep=1"))
        assert client.get("/healthz").status_code == 200  # reading still works
    assert response.status_code == 503
    body = response.get_data(as_text=True)
    assert body.startswith("database does not take writes")
    assert "lock" in body
    assert seconds < 2.5


def test_deep_health_check_reports_a_full_instance_folder(app, client, monkeypatch):
    import blog.web.health

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(blog.web.health.tempfile, "mkstemp", full)
    response = client.get("/healthz?deep=1")
    assert response.status_code == 503
    body = response.get_data(as_text=True)
    assert "folder not writable" in body and "No space left on device" in body
    assert app.instance_path in body


# --- a poster whose answer was lost -------------------------------------------------------------


def test_the_same_browser_posting_again_gets_its_own_comment_back(app, client, post, fast_posting):
    """The first answer was lost (the worker was killed, the connection dropped), so the
    browser never got the cookie that shows a held comment to its poster. Pressing Post
    Comment again is a duplicate, and the 409 now brings that cookie."""
    app.config["COMMENT_MODERATION"] = "all"  # held: only its poster sees it
    # blog.js adds its tab's random value to each comment post (the shared page has none).
    data = fields(client, post, poster="0123456789abcdef0123456789abcdef")
    first = client.post(f"/posts/{post.slug}/comments", data=data)
    assert first.status_code == 303
    client.delete_cookie(OWN_COOKIE)  # the answer never arrived
    assert TEXT not in client.get(f"/posts/{post.slug}").get_data(as_text=True)
    again = client.post(f"/posts/{post.slug}/comments", data=data, headers=HX)
    assert again.status_code == 409
    assert "Your first post did arrive" in again.get_data(as_text=True)
    assert OWN_COOKIE in again.headers.get("Set-Cookie", "")
    page = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "Your comment is awaiting moderation" in page and TEXT in page
    assert comment_count() == 1
    # Without that value (no JavaScript) the same post is a plain duplicate: nothing in the
    # request is this browser's alone.
    data.pop("poster")
    plain = app.test_client().post(f"/posts/{post.slug}/comments", data=data, headers=HX)
    assert plain.status_code == 409
    assert "Your first post did arrive" not in plain.get_data(as_text=True)
    assert OWN_COOKIE not in plain.headers.get("Set-Cookie", "")


def test_someone_else_posting_the_same_words_gets_no_comment(app, client, post, fast_posting):
    app.config["COMMENT_MODERATION"] = "all"
    mine = fields(client, post, poster="0" * 32)  # blog.js's per-tab value
    assert client.post(f"/posts/{post.slug}/comments", data=mine).status_code == 303
    stranger = app.test_client()
    copied = fields(stranger, post, poster="f" * 32)  # same name, email and text
    response = stranger.post(f"/posts/{post.slug}/comments", data=copied)
    assert response.status_code == 409
    assert "Your first post did arrive" not in response.get_data(as_text=True)
    assert OWN_COOKIE not in response.headers.get("Set-Cookie", "")
    assert TEXT not in stranger.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert db.session.scalar(text("SELECT count(*) FROM comments")) == 1
    assert db.session.get(Comment, 1) is None or db.session.get(Comment, 1).author_name == READER
