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

    app.add_url_rule("/bench/own/<slug>", view_func=own_comments_fragment)
    return app


# One own comment, out of band at the end of its place in the thread (as comments/_posted.html
# places a new one).
OWN_PLACED = """<div hx-swap-oob="beforeend:#{{ container_id }}">
{% with replying_to = node.comment.parent.author_name if node.comment.parent_id else none %}
{% include "comments/_comment.html" %}{% endwith %}</div>"""


def own_comments_fragment(slug: str):
    """Issue #24's other way to show a returning commenter their own comments, measured here and
    not served by the blog: the shared page (from the cache, with the saved name put in) plus
    this fragment, asked for by htmx when the comment cookie is there. It holds what the page
    made for them adds: each of their comments that waits or may still be edited, rendered as
    the thread shows it, out of band at the end of its place in the thread (as a new comment
    is answered). The bench's "article, shared + own-comments fragment" row loads the two."""
    from flask import abort, render_template_string
    from sqlalchemy import select

    from blog.caching.article_cache import own_comments_shown_condition
    from blog.comments import discussion, threads, visitor
    from blog.extensions import db
    from blog.models import Comment
    from blog.reading import access

    post = access.readable_content_by_slug(slug)
    own = list(visitor.own_comments())
    if post is None or not own:
        abort(404)
    page = discussion.comment_page()
    shown = db.session.scalars(
        select(Comment)
        .where(Comment.post_id == post.id, own_comments_shown_condition(own))
        .order_by(Comment.id)
    ).all()
    parts = [
        render_template_string(
            OWN_PLACED,
            node=placement.node,
            container_id=placement.container_id,
            **discussion.comment_context(post, page),
        )
        for placement in map(threads.placement_of_new, shown)
        if threads.page_of(placement.node.comment, own) == page
    ]
    return "".join(parts), 200, {"Cache-Control": "private, no-store"}
