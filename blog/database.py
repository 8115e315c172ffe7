"""Engine tuning and database set-up shared by the CLI and the tests."""

from __future__ import annotations

import sqlite3

from flask import current_app, has_app_context
from sqlalchemy import Connection, Engine, event
from sqlalchemy.pool import Pool

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
    DB_WRITE_WAIT_SECONDS at most, then fails ("database is locked": a 503, blog/errors.py)."""
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


@event.listens_for(Engine, "do_connect")
def _bound_postgresql_lock_waits(dialect, connection_record, cargs, cparams) -> None:
    """On PostgreSQL every statement waits DB_WRITE_WAIT_SECONDS at most for a lock (a table
    someone holds in ACCESS EXCLUSIVE mode, the posting lock), then fails with a lock timeout
    (a 503). Given when the session starts, so no transaction's rollback undoes it."""
    if dialect.name != "postgresql":
        return
    option = f"-c lock_timeout={_wait_ms(write_wait_seconds())}"
    cparams["options"] = f"{cparams['options']} {option}" if cparams.get("options") else option


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
