"""The app the benchmark serves: the blog as configured for the load test, plus a baseline.

Only here: a hello-world endpoint (the framework's ceiling, measured in the same run) and an
X-Bench-Queries header counting the SQL statements of each request. The blog itself has neither.

gunicorn loads ``bench.app:create_bench_app()`` with BENCH_DATABASE pointing at the bench's
throwaway SQLite file.
"""

from __future__ import annotations

import os
import threading

from flask import Flask
from sqlalchemy import Engine, event

from blog import create_app

SECRET = "bench-secret-not-for-production"


def bench_config(database_path: str) -> dict:
    return {
        "SECRET_KEY": SECRET,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database_path}",
        # The load test posts many comments from one address: flood and rate limits off.
        "RATELIMIT_ENABLED": False,
        "COMMENT_FLOOD_SECONDS": 0,
        "COMMENT_MIN_SECONDS": 0,
        # CSRF stays on: the POST row sends a token and session cookie taken from a page.
    }


# Counted by SQLite itself, so a statement sent on a raw DBAPI connection (the settings read,
# blog/settings.py) counts like one sent through SQLAlchemy. Transaction control is not a query.
NOT_QUERIES = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")


class _Tally(threading.local):
    """The statements of the request this thread serves. SQLite calls the counter for every
    statement, a trigger's and the search index's own included (dozens per comment posted), so
    it stays a few attribute reads: the proxies of Flask's ``g`` cost more than the statements
    of a post did."""

    counting = False
    count = 0
    last = None


_tally = _Tally()


def _count_statement(statement: str) -> None:
    tally = _tally
    # Each statement a trigger runs is reported again with the text of the statement that fired
    # it: part of that statement, not one more sent.
    if not tally.counting or statement == tally.last:
        return
    tally.last = statement
    if not statement.lstrip().upper().startswith(NOT_QUERIES):
        tally.count += 1


def _trace_connection(dbapi_connection, connection_record) -> None:
    dbapi_connection.set_trace_callback(_count_statement)


def create_bench_app(database_path: str | None = None) -> Flask:
    app = create_app(bench_config(database_path or os.environ["BENCH_DATABASE"]))
    # Each mail notification would be logged per POST; the bench measures the request, not logs.
    app.logger.setLevel("WARNING")

    @app.get("/bench/hello")
    def hello():
        return "Hello, World!"

    if not event.contains(Engine, "connect", _trace_connection):
        event.listen(Engine, "connect", _trace_connection)

    def start_counting():
        _tally.counting, _tally.count, _tally.last = True, 0, None

    # First of all the request's functions: the blog's own before_request ones read too.
    app.before_request_funcs.setdefault(None, []).insert(0, start_counting)

    @app.after_request
    def report_queries(response):
        response.headers["X-Bench-Queries"] = str(_tally.count)
        return response

    @app.teardown_request
    def stop_counting(error=None):
        _tally.counting = False

    return app
