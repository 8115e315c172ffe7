"""What a comment POST costs, part by part: the posting path with its parts switched off in turn.

Usage: .venv/bin/python -m bench.post_split [--posts 200] [--rounds 3]

Issue #24 asks for posting at 0.15x hello and for the time split reported. ``bench.run``
measures the POST through gunicorn and wrk; this measures it in process (test client, no
server), where each part can be taken away to see what it costs and what would be left:

1. the whole post, as the bench's POST row sends it (a valid comment over htmx, its notification
   email queued and sent by the worker's mail thread, the answer fragment rendered);
2. without the notification email (nothing drafted, queued or sent);
3. also without the answer fragment (an empty 204 instead of the new comment, the count and a
   fresh form);
4. also without the search index (SQLite's trigger that indexes the comment's text);
5. also without Markdown and bleach (the text stored escaped, not rendered).

Each line is the process's CPU per post (the mail thread's included), the median of
``--rounds`` rounds taken in turn, and the SQL statements of one post. "x hello" is the in-process
hello world's CPU per request over the line's. Through gunicorn and wrk (bench.run) both cost
more: hello about 0.1-0.2 ms more, a post 0.5 ms or more (the server's parsing, the workers' lock
waits and the mail thread contending for the interpreter).
Steps 2-5 are experiments, never the blog's behaviour: each is a feature a reader or an author
relies on.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from contextlib import ExitStack, contextmanager
from unittest import mock

from flask import Response
from markupsafe import escape
from sqlalchemy import text

from bench import site
from bench.app import create_bench_app
from bench.profile_article import comment_poster
from blog.database import upgrade_to_head
from blog.extensions import db
from blog.mail import outbox

ARTICLE = "/posts/article-post"
SEARCH_TRIGGER = "search_comments_insert"


def no_notification():
    return mock.patch("blog.comments.posting.prepare_notification", lambda post, row: None)


def no_answer():
    def empty_answer(post, comment):
        return Response(status=204)

    return mock.patch("blog.reading.comment_views.posted_answer", empty_answer)


@contextmanager
def no_search_index(app):
    with app.app_context():
        created = db.session.execute(
            text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name"),
            {"name": SEARCH_TRIGGER},
        ).scalar_one()
        db.session.execute(text(f"DROP TRIGGER {SEARCH_TRIGGER}"))
        db.session.commit()
    try:
        yield
    finally:
        with app.app_context():
            db.session.execute(text(created))
            db.session.commit()


def no_markdown():
    return mock.patch("blog.comments.posting.render_comment", lambda body: str(escape(body)))


# Each step takes one more part away: (its line, how to switch it off for one step's posts).
PARTS = [
    ("  without the notification email", lambda app: no_notification()),
    ("  also without the answer fragment", lambda app: no_answer()),
    ("  also without the search index", no_search_index),
    ("  also without Markdown and bleach", lambda app: no_markdown()),
]
STEPS = [("whole post (as the bench's POST row)", [])] + [
    (name, [switch for _, switch in PARTS[: number + 1]]) for number, (name, _) in enumerate(PARTS)
]


def cpu_per_request(app, request, count: int) -> tuple[float, int]:
    """Process CPU per request in ms (this thread's and the mail thread's), and the median SQL
    count (SQLite's search index merges its segments every few posts, dozens of statements)."""
    sender = outbox.sender(app)
    statements = []
    start = time.process_time()
    for _ in range(count):
        response = request()
        if response.status_code not in (200, 204):
            raise RuntimeError(f"the post was answered {response.status_code}")
        statements.append(int(response.headers.get("X-Bench-Queries", 0)))
    sender.wait_idle(timeout=60)  # what the posts queued is sent: its CPU counts
    used = time.process_time() - start
    return used / count * 1000, int(statistics.median(statements))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["BLOG_INSTANCE_PATH"] = tmp
        app = create_bench_app(f"{tmp}/bench.sqlite")
        with app.app_context():
            upgrade_to_head()
            site.build()
        client = app.test_client()
        post = comment_poster(client, ARTICLE)
        hello = lambda: client.get("/bench/hello")  # noqa: E731
        for _ in range(30):
            post(), hello()
        figures: dict[str, list[float]] = {name: [] for name, _ in STEPS}
        statements: dict[str, int] = {}
        hello_figures = []
        for _ in range(args.rounds):
            hello_figures.append(cpu_per_request(app, hello, args.posts * 5)[0])
            for name, switches in STEPS:
                with ExitStack() as stack:
                    for switch in switches:
                        stack.enter_context(switch(app))
                    post()  # the first one after a switch warms up what it changed
                    cpu, sql = cpu_per_request(app, post, args.posts)
                figures[name].append(cpu)
                statements[name] = sql
        base = statistics.median(hello_figures)
        print(f"in process, {args.posts} posts x {args.rounds} rounds; CPU ms per request, median")
        print(f"{'':40} {'CPU ms':>7} {'x hello':>8} {'SQL':>4}")
        print(f"{'hello world':40} {base:7.2f} {1:8.3f} {0:4}")
        for name, _ in STEPS:
            cpu = statistics.median(figures[name])
            print(f"{name:40} {cpu:7.2f} {base / cpu:8.3f} {statements[name]:4}")
        print("SQL: statements per post, median, as SQLite counts them (a trigger's included).")


if __name__ == "__main__":
    main()
