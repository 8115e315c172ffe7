"""Engine tuning and database set-up shared by the CLI and the tests."""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from urllib.parse import quote

from blinker import Namespace
from flask import current_app, has_app_context
from sqlalchemy import Connection, Engine, event, exc
from sqlalchemy.pool import Pool

from . import search_text

log = logging.getLogger(__name__)

# Sent with the session after content was written with Core statements, which no ORM flush sees
# (a new comment is one INSERT): whatever keeps derived copies of the content (the page cache,
# blog/caching/pagecache.py) listens. The writer needs to know nothing about who does.
core_content_written = Namespace().signal("core-content-written")

# How long a request waits for a lock or for the database's write lock before it gives up with
# a 503 (setting DB_WRITE_WAIT_SECONDS): well under a worker's timeout (gunicorn's is 30 s), so
# a stalled write never takes every worker, and the reader gets an answer while it still helps.
DEFAULT_WRITE_WAIT_SECONDS = 3.0


class LockWaitTimeout(Exception):
    """A lock was not free within DB_WRITE_WAIT_SECONDS: nothing was written (a 503)."""


def write_wait_seconds() -> float:
    """DB_WRITE_WAIT_SECONDS of the app in use (the default outside one)."""
    if has_app_context():
        return float(current_app.config.get("DB_WRITE_WAIT_SECONDS", DEFAULT_WRITE_WAIT_SECONDS))
    return DEFAULT_WRITE_WAIT_SECONDS


def _wait_ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection, connection_record) -> None:
    """WAL lets readers work while one writer writes; a writer waits for the write lock for
    DB_WRITE_WAIT_SECONDS at most, then fails ("database is locked": a 503, blog/web/errors.py)."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    wait_ms = _wait_ms(write_wait_seconds())
    connection_record.info["busy_timeout_ms"] = wait_ms
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={wait_ms}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    search_text.register(dbapi_connection)  # the search index's triggers call it


@event.listens_for(Engine, "connect")
def _bound_postgresql_lock_waits(dbapi_connection, connection_record) -> None:
    """On PostgreSQL every statement waits DB_WRITE_WAIT_SECONDS at most for a lock (a table
    someone holds in ACCESS EXCLUSIVE mode, the posting lock), then fails with a lock timeout
    (a 503). Set for the session and committed, so no later rollback undoes it (a SET, not a
    startup option: connection poolers such as PgBouncer refuse those)."""
    if type(dbapi_connection).__module__.split(".")[0] != "psycopg":
        return
    dbapi_connection.execute(f"SET lock_timeout = {_wait_ms(write_wait_seconds())}")
    dbapi_connection.commit()


# SQLite's result codes for a file it cannot open or extend (CANTOPEN, IOERR, FULL, READONLY).
_CANNOT_OPEN = {14, 10, 13, 8}
# A read-only stand-in connection is given up after this long, so that the next request tries
# the real file again (the disk may have room again, the mount be writable).
READ_ONLY_RETRY_SECONDS = 10.0
_read_only_warned: set[str] = set()


@event.listens_for(Engine, "do_connect")
def _open_sqlite(dialect, connection_record, cargs, cparams):
    """Open a SQLite file; if the storage cannot take a file now, read it read-only instead.

    A WAL database needs its -shm file (32 KiB) and -wal file beside it to be read, and the
    last connection to close removes both: after a restart on a full disk or a read-only
    mount, SQLite can then not even read ("disk I/O error", "unable to open database file").
    When no -wal file holds unmerged writes, the file itself is the whole database, and
    SQLite's immutable mode reads it without either file: pages are served, every write fails
    as on read-only storage (a 503), and the real file is tried again after
    READ_ONLY_RETRY_SECONDS."""
    if dialect.name != "sqlite" or not cargs or cparams.get("uri"):
        return None
    path = cargs[0]
    if not isinstance(path, str) or path in ("", ":memory:") or path.startswith("file:"):
        return None
    connection = None
    try:
        connection = dialect.loaded_dbapi.connect(*cargs, **cparams)
        connection.execute("PRAGMA schema_version").fetchone()  # opens the WAL index
        return connection
    except sqlite3.OperationalError as error:
        if connection is not None:
            connection.close()
        code = (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF
        wal = f"{path}-wal"
        if code not in _CANNOT_OPEN or not os.path.exists(path):
            raise
        if os.path.exists(wal) and os.path.getsize(wal) > 0:
            raise  # writes not yet merged into the file: reading it alone would be stale
        read_only = dialect.loaded_dbapi.connect(
            f"file:{quote(os.path.abspath(path))}?immutable=1", uri=True, **cparams
        )
        connection_record.info["read_only_since"] = time.monotonic()
        if path not in _read_only_warned:
            _read_only_warned.add(path)
            log.warning(
                "SQLite database %s opened read-only (%s): pages are served, writes answer "
                "503 until the storage takes files again",
                path,
                error,
            )
        if not event.contains(Pool, "checkout", _retry_read_only):
            event.listen(Pool, "checkout", _retry_read_only)
        return read_only


def _retry_read_only(dbapi_connection, connection_record, connection_proxy) -> None:
    since = connection_record.info.get("read_only_since")
    if since is not None and time.monotonic() - since > READ_ONLY_RETRY_SECONDS:
        raise exc.DisconnectionError("read-only stand-in for a SQLite file: try the file again")


def limit_wait(connection: Connection, seconds: float) -> None:
    """Wait at most ``seconds`` for locks in the transaction ``connection`` is in (what is left
    of a deadline that began earlier); the connection's usual wait comes back with the pool."""
    wait_ms = _wait_ms(seconds)
    if connection.dialect.name == "postgresql":
        # LOCAL: it ends with the transaction.
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = {wait_ms}")
    elif connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"PRAGMA busy_timeout={wait_ms}")
        connection.connection.info["busy_timeout_changed"] = True


@event.listens_for(Pool, "checkin")
def _restore_busy_timeout(dbapi_connection, connection_record) -> None:
    if dbapi_connection is None or not connection_record.info.pop("busy_timeout_changed", False):
        return
    wait_ms = connection_record.info.get("busy_timeout_ms", _wait_ms(DEFAULT_WRITE_WAIT_SECONDS))
    dbapi_connection.execute(f"PRAGMA busy_timeout={wait_ms}")


def upgrade_to_head() -> None:
    """Apply every migration; running it again changes nothing."""
    from flask_migrate import upgrade

    upgrade()


def reset_id_sequences(*models) -> None:
    """After rows were inserted with explicit ids, PostgreSQL's id sequences must continue after
    the largest one (SQLite takes the largest id + 1 by itself)."""
    from sqlalchemy import func, select

    from .extensions import db

    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model in models:
        following = select(func.coalesce(func.max(model.id), 0) + 1).scalar_subquery()
        sequence = func.pg_get_serial_sequence(model.__tablename__, "id")
        db.session.execute(select(func.setval(sequence, following, False)))


def refresh_stale_html() -> int:
    """Re-render cached HTML made by an older sanitizer (after an upgrade changed the rules).

    Pages render stale rows on the fly anyway; this stores the result so they need not.
    """
    from sqlalchemy import select

    from .extensions import db
    from .models import Comment, Post
    from .sanitize import (
        COMMENT_RENDER_VERSION,
        POST_RENDER_VERSION,
        refresh_comment_html,
        refresh_post_html,
    )

    count = 0
    for model, version, refresh in (
        (Post, POST_RENDER_VERSION, refresh_post_html),
        (Comment, COMMENT_RENDER_VERSION, refresh_comment_html),
    ):
        stale = select(model).where(model.body_render_version != version).limit(500)
        while rows := db.session.scalars(stale).all():
            for row in rows:
                refresh(row)
            db.session.commit()
            count += len(rows)
    return count
