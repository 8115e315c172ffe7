"""/healthz for load balancers and uptime checks: 200 after a database round trip, else 503.

It answers before Flask handles the request at all (a small WSGI wrapper), so no session is
opened, read or saved: no Set-Cookie, no "Vary: Cookie", no sign-in lookup, no rate limit. And
``Cache-Control: no-store``, so no proxy answers it from a cache while the site is down.

``/healthz?deep=1`` also checks what a reader's comment and an author's sign-in need: that the
database takes a write (a table created in a transaction that is rolled back: on a read-only
database, or one locked past the wait, that fails; on PostgreSQL also a standby or a table
locked by someone else) and that the instance folder (and the SQLite file's folder) can take a
new file of 4 KiB (a full disk or a read-only mount fails). Each wait is at most
HEALTH_WAIT_SECONDS; the body names what failed, and the answer is 503.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path
from urllib.parse import parse_qs

from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from ..database import limit_wait, write_wait_seconds
from ..extensions import db
from ..models import Comment

# The deep check's longest wait for a lock: a monitor wants its answer quickly.
HEALTH_WAIT_SECONDS = 1.0
PROBE_BYTES = 4096

PATH = "/healthz"


class HealthCheck:
    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != PATH:
            return self.wsgi_app(environ, start_response)
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            deep = parse_qs(environ.get("QUERY_STRING", "")).get("deep", [""])[0]
            response = self.check(deep.lower() in ("1", "true", "yes"))
        else:
            response = self.answer("method not allowed\n", 405)
            response.headers["Allow"] = "GET, HEAD"
        return response(environ, start_response)

    def check(self, deep: bool = False) -> Response:
        with self.app.app_context():
            try:
                with db.engine.connect() as connection:
                    connection.execute(text("SELECT 1")).scalar_one()
            except (SQLAlchemyError, sqlite3.Error) as error:
                self.app.logger.warning("Health check failed: database unreachable: %s", error)
                return self.answer("database unreachable\n", 503)
            if not deep:
                return self.answer("ok\n", 200)
            problems = [*database_write_problems(), *folder_problems(self.app)]
        if problems:
            self.app.logger.warning("Health check failed: %s", "; ".join(problems))
            return self.answer("".join(f"{problem}\n" for problem in problems), 503)
        return self.answer("ok\ndatabase: takes writes\nfolders: writable\n", 200)

    @staticmethod
    def answer(body: str, status: int) -> Response:
        response = Response(body, status, mimetype="text/plain")
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def database_write_problems() -> list[str]:
    """What keeps the database from taking a write now, as lines for the body ([] if nothing).

    The write is a table created in a transaction that is rolled back: nothing is left behind,
    yet the database had to accept a change (a read-only file fails here, where BEGIN
    IMMEDIATE alone still succeeds). A full disk shows in the folder check instead: SQLite
    writes nothing to the disk before a commit."""
    from .errors import storage_fault

    wait = min(HEALTH_WAIT_SECONDS, write_wait_seconds())
    try:
        with db.engine.connect() as connection:
            limit_wait(connection, wait)
            if connection.dialect.name == "sqlite":
                _probe_sqlite(connection)
            elif connection.dialect.name == "postgresql":
                problem = _probe_postgresql(connection, wait)
                if problem:
                    return [problem]
    except (SQLAlchemyError, sqlite3.Error) as error:
        fault = storage_fault(error)
        cause = fault.cause if fault else str(getattr(error, "orig", error)).strip()
        first_line = cause.splitlines()[0] if cause else repr(error)
        return [f"database does not take writes: {first_line}"]
    return []


def _probe_sqlite(connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")  # waits for the write lock (the limit above)
    try:
        connection.exec_driver_sql("CREATE TABLE healthz_probe (x INTEGER)")
    finally:
        connection.exec_driver_sql("ROLLBACK")


def _probe_postgresql(connection, wait: float) -> str | None:
    # A statement that runs long without waiting for a lock (a server too busy) ends too; the
    # lock waits end first (lock_timeout), so that their cause is the one named.
    connection.exec_driver_sql(f"SET LOCAL statement_timeout = {max(1, int(wait * 2000))}")
    if connection.execute(text("SELECT pg_is_in_recovery()")).scalar():
        return "database does not take writes: PostgreSQL is a standby in recovery"
    # Waits for nobody but a holder of a strong lock (LOCK TABLE, ALTER TABLE, VACUUM FULL).
    connection.exec_driver_sql(f"LOCK TABLE {Comment.__tablename__} IN ROW EXCLUSIVE MODE")
    connection.exec_driver_sql("CREATE TEMPORARY TABLE healthz_probe (x integer) ON COMMIT DROP")
    connection.rollback()
    return None


def folder_problems(app: Flask) -> list[str]:
    """The instance folder, and the SQLite database's folder where that differs, each take a
    small new file (written, flushed to the disk, removed)."""
    folders = [Path(app.instance_path)]
    url = db.engine.url
    database = url.database or ""
    if url.get_backend_name() == "sqlite" and database not in ("", ":memory:"):
        folder = Path(database.removeprefix("file:").split("?")[0]).resolve().parent
        if folder != folders[0].resolve():
            folders.append(folder)
    problems = []
    for folder in folders:
        try:
            _write_probe(folder)
        except OSError as error:
            problems.append(f"folder not writable: {folder}: {error.strerror or error}")
    return problems


def _write_probe(folder: Path) -> None:
    fd, name = tempfile.mkstemp(dir=folder, prefix=".healthz-")
    try:
        os.write(fd, b"\0" * PROBE_BYTES)
        os.fsync(fd)
    finally:
        os.close(fd)
        os.unlink(name)


def init_app(app: Flask) -> None:
    app.wsgi_app = HealthCheck(app, app.wsgi_app)
