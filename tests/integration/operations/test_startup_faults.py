"""A start that cannot be left broken (issue 19): the generated secret key appears whole or not
at all, workers starting together agree on it, and nothing a start writes is needed to serve
the pages that were served before (a full disk, a read-only instance folder)."""

from __future__ import annotations

import contextlib
import errno
import logging
import multiprocessing
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import pytest

from blog import create_app
from tests.conftest import IsolatedClient

PROCESSES = 8
TRIALS = 20
# No mail sender thread: it would outlive the small disk these tests unmount.
SETTINGS = {
    "TESTING": True,
    "COMMENT_MIN_SECONDS": 0,
    "RATELIMIT_ENABLED": False,
    "MAIL_SENDER_IN_PROCESS": False,
}


@pytest.fixture
def instance(tmp_path, monkeypatch):
    path = tmp_path / "instance"
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(path))
    for name in list(os.environ):
        if (name.startswith("BLOG_") and name != "BLOG_INSTANCE_PATH") or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    return path


def start_worker(instance_path: str, static_cache: str, barrier, results) -> None:
    """One worker process: create_app on the shared instance folder, all at the same moment."""
    os.environ["BLOG_INSTANCE_PATH"] = instance_path
    barrier.wait()
    try:
        app = create_app({"STATIC_CACHE_DIR": static_cache, "MAIL_SENDER_IN_PROCESS": False})
        results.put(app.config["SECRET_KEY"])
    except Exception as error:  # reported to the test, which fails on it
        results.put(f"error: {error!r}")


@pytest.mark.slow
def test_workers_starting_together_agree_on_one_generated_key(tmp_path, monkeypatch):
    """8 processes start on a fresh instance folder at once, 20 times: every one gets the same
    whole key (before, a worker could read the file another had created but not yet written)."""
    for name in ("BLOG_SECRET_KEY", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    # Forked from a clean process that has imported the blog already: each start is quick,
    # so the 8 really run into each other.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(
        ["blog", "blog.admin", "blog.reading.views", "blog.reading.comment_views"]
    )
    static_cache = str(tmp_path / "static-cache")
    create_app({"STATIC_CACHE_DIR": static_cache, "SECRET_KEY": "x"})  # built once, shared
    failures = []
    for trial in range(TRIALS):
        instance_path = tmp_path / f"instance-{trial}"
        barrier = context.Barrier(PROCESSES)
        results = context.Queue()
        workers = [
            context.Process(
                target=start_worker, args=(str(instance_path), static_cache, barrier, results)
            )
            for _ in range(PROCESSES)
        ]
        for worker in workers:
            worker.start()
        keys = [results.get(timeout=60) for _ in workers]
        for worker in workers:
            worker.join(30)
        on_disk = (instance_path / "secret_key").read_text()
        if len(set(keys)) != 1 or keys[0] != on_disk or len(on_disk) != 64:
            failures.append((trial, sorted(set(keys))))
        leftovers = [p.name for p in instance_path.iterdir() if p.name.startswith(".secret_key")]
        assert not leftovers, f"temporary key files left behind: {leftovers}"
    assert not failures, f"{len(failures)} of {TRIALS} trials disagreed: {failures[:3]}"


@pytest.mark.parametrize("content", ["", "\n", "abc123"], ids=["empty", "newline", "short"])
def test_an_empty_or_short_key_file_is_refused_by_name(instance, content):
    instance.mkdir(parents=True)
    (instance / "secret_key").write_text(content)
    with pytest.raises(RuntimeError) as refused:
        create_app()
    message = str(refused.value)
    assert str(instance / "secret_key") in message
    assert "Delete it" in message and "BLOG_SECRET_KEY" in message


def test_a_key_that_cannot_be_written_leaves_no_file(instance, monkeypatch):
    """A first start on a full disk: a clear error, and no empty key file to trip over once
    space is freed (before, every article and the sign-in page then answered 500)."""
    real_fsync = os.fsync

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(RuntimeError, match="none could be saved") as refused:
        create_app()
    assert "No space left on device" in str(refused.value)
    assert not (instance / "secret_key").exists()
    assert [p.name for p in instance.iterdir() if "secret" in p.name] == []
    monkeypatch.setattr(os, "fsync", real_fsync)
    app = create_app()  # space freed: the next start just works
    assert len(app.config["SECRET_KEY"]) == 64


def test_an_unwritable_static_cache_serves_static_as_it_is(instance, monkeypatch, caplog):
    import blog.web.assets

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(blog.web.assets.tempfile, "mkstemp", full)
    with caplog.at_level(logging.WARNING, logger="blog"):
        app = create_app({**SETTINGS, "SECRET_KEY": "x"})
    assert caplog.text.count("could not be written") == 1
    assert not any((instance / "static-cache").rglob("*.css"))
    client = app.test_client()
    with app.app_context():
        from blog.extensions import db

        db.create_all()
        page = client.get("/")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert 'href="/static/css/blog.css"' in html  # the plain name: no hashed copy exists
        for name in ("css/blog.css", "js/blog.js"):
            with client.get(f"/static/{name}") as served:
                assert served.status_code == 200
        db.engine.dispose()


# --- the real thing: a small tmpfs filled up, or remounted read-only ----------------------------


@contextlib.contextmanager
def small_disk(tmp_path, size="4m"):
    """A tmpfs of ``size`` mounted in tmp_path (needs root and mount(2); skips otherwise)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(folder: Path) -> Path:
    """Write until the disk is full; the file that holds the space."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 512):  # then the last few bytes, so that not even a small write fits
            with contextlib.suppress(OSError):
                while os.write(fd, b"\0" * size):
                    pass
    finally:
        os.close(fd)
    return filler


def live_site(instance: Path):
    """A migrated site with one article on ``instance``, as `make run` leaves it."""
    from blog.database import upgrade_to_head
    from blog.demo import seed_demo
    from blog.extensions import db

    app = create_app(SETTINGS)
    with app.app_context():
        upgrade_to_head()
        seed_demo()
        db.session.execute(db.text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.session.commit()
        db.engine.dispose()
    return app


def first_article(client) -> str:
    html = client.get("/").get_data(as_text=True)
    return re.search(r'href="(/posts/[^"#]+)"', html).group(1)


def post_comment(client, article: str, **headers):
    html = client.get(article).get_data(as_text=True)
    stamp = re.search(r'name="stamp" value="([^"]+)"', html).group(1)
    assert "csrf_token" not in html  # checked by the browser's Sec-Fetch-Site instead
    data = {
        "comment": "Typed while the disk was full",
        "author": "Rosa",
        "email": "rosa@example.org",
        "stamp": stamp,
    }
    return client.post(
        f"{article}/comments", data=data, headers={"Sec-Fetch-Site": "same-origin", **headers}
    )


def restarted(article: str) -> None:
    """A cold start on storage that takes no file: the pages are read from the database file
    alone (read-only), posting answers 503, the deep health check says why."""
    cold = create_app(SETTINGS)
    cold.test_client_class = IsolatedClient
    client = cold.test_client()
    with cold.app_context():
        assert client.get(article).status_code == 200
        assert client.get("/").status_code == 200
        posted = post_comment(client, article)
        assert posted.status_code == 503
        assert "Typed while the disk was full" in posted.get_data(as_text=True)
        assert client.get("/healthz").status_code == 200
        assert client.get("/healthz?deep=1").status_code == 503
        from blog.extensions import db

        db.engine.dispose()


@pytest.mark.sqlite_only
@pytest.mark.parametrize("fault", ["full", "read-only"])
def test_a_full_or_read_only_disk(tmp_path, monkeypatch, caplog, fault):
    """Pages go on; posting and signing in answer 503 (not 500); /healthz?deep=1 says why; a
    restart on that disk starts and serves the pages, its static cache gone or not."""
    with small_disk(tmp_path) as disk:
        instance = disk / "instance"
        monkeypatch.setenv("BLOG_INSTANCE_PATH", str(instance))
        monkeypatch.delenv("BLOG_SECRET_KEY", raising=False)
        monkeypatch.delenv("DATABASE_URL", raising=False)
        live_site(instance)
        shutil.rmtree(instance / "static-cache")  # so the restart has to write it again
        other_workers = None
        if fault == "full":
            # The other workers, still running, keep SQLite's -wal and -shm files (see below).
            other_workers = sqlite3.connect(instance / "blog.sqlite")
            other_workers.execute("SELECT count(*) FROM posts").fetchone()
            fill(disk)
        else:  # after a clean stop, so no -wal and no -shm file either: read from the file alone
            subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        try:
            app = create_app(SETTINGS)
            app.test_client_class = IsolatedClient  # a session per request, as when served
            client = app.test_client()
            with app.app_context():
                article = first_article(client)
                assert client.get(article).status_code == 200
                with client.get("/static/css/blog.css") as served:
                    assert served.status_code == 200
                for headers in ({}, {"HX-Request": "true"}):
                    posted = post_comment(client, article, **headers)
                    assert posted.status_code == 503, posted.get_data(as_text=True)[:300]
                    assert "Typed while the disk was full" in posted.get_data(as_text=True)
                    assert "Retry-After" in posted.headers
                login_page = client.get("/admin/login").get_data(as_text=True)
                token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page).group(1)
                signing_in = client.post(
                    "/admin/login",
                    data={"username": "nobody", "password": "x" * 12, "csrf_token": token},
                )
                assert signing_in.status_code == 503
                assert client.get("/healthz").status_code == 200
                deep = client.get("/healthz?deep=1")
                assert deep.status_code == 503
                body = deep.get_data(as_text=True)
                expected = "No space left" if fault == "full" else "Read-only file system"
                assert expected in body, body
                from blog.extensions import db

                db.engine.dispose()
                if other_workers is not None:
                    # Every worker gone: the last one's close removed SQLite's -wal and -shm
                    # files, and a WAL database cannot be opened without making them again.
                    other_workers.close()
                    db.engine.dispose()
                    assert not (instance / "blog.sqlite-shm").exists()
                    restarted(article)
        finally:
            if fault == "read-only":
                subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=False)
    assert "Unhandled error" not in caplog.text
    assert "Traceback" not in caplog.text


@pytest.mark.sqlite_only
def test_a_first_start_on_a_full_disk_leaves_nothing_to_delete_by_hand(tmp_path, monkeypatch):
    with small_disk(tmp_path, size="1m") as disk:
        instance = disk / "instance"
        instance.mkdir()
        monkeypatch.setenv("BLOG_INSTANCE_PATH", str(instance))
        monkeypatch.delenv("BLOG_SECRET_KEY", raising=False)
        filler = fill(disk)
        with pytest.raises(RuntimeError, match="none could be saved"):
            create_app({"STATIC_CACHE_DIR": tempfile.mkdtemp(dir=tmp_path)})
        assert list(instance.iterdir()) == []
        filler.unlink()  # space freed
        app = create_app({"STATIC_CACHE_DIR": tempfile.mkdtemp(dir=tmp_path)})
        assert len(app.config["SECRET_KEY"]) == 64
