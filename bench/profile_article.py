"""Profile one page in process (no server): where a request's time goes.

Usage: .venv/bin/python -m bench.profile_article [/posts/article-50] [--requests 300] [--post]

Builds the bench site in a temporary folder, warms the page up, then runs pyinstrument over
``--requests`` test-client requests and prints the call tree (and the SQL count per request).
With ``--post``, each request is instead the bench's comment POST over htmx to ``path``'s
article (default article-post), as the bench's reader (no token: Sec-Fetch-Site); the mail
sender runs in process as in the bench (its thread is not in the tree, its CPU is in the time).
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import tempfile
import time
import uuid

from bench import site
from bench.app import create_bench_app
from blog.database import upgrade_to_head


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", nargs="?", default="/posts/article-50")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--post", action="store_true", help="profile the comment POST")
    args = parser.parse_args()
    from pyinstrument import Profiler

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["BLOG_INSTANCE_PATH"] = tmp
        app = create_bench_app(f"{tmp}/bench.sqlite")
        with app.app_context():
            upgrade_to_head()
            site.build()
        client = app.test_client()
        path = args.path
        if args.post:
            path = path if path != "/posts/article-50" else "/posts/article-post"
            request = comment_poster(client, path)
            path = f"POST {path}/comments"
        else:
            request = lambda: client.get(path)  # noqa: E731
        for _ in range(20):
            response = request()
        print(
            path,
            response.status_code,
            len(response.data),
            "bytes,",
            response.headers.get("X-Bench-Queries"),
            "SQL statements",
        )
        profiler = Profiler(interval=0.0005)
        start, cpu = time.perf_counter(), time.process_time()
        with profiler:
            for _ in range(args.requests):
                request()
        elapsed = (time.perf_counter() - start) / args.requests * 1000
        used = (time.process_time() - cpu) / args.requests * 1000
        print(f"{elapsed:.2f} ms per request, {used:.2f} ms of CPU (profiled)")
        print(profiler.output_text(unicode=True, color=False, show_all=False))


def comment_poster(client, article: str):
    """A function that posts a new comment to ``article`` the way the bench's POST row does."""
    page = client.get(article).get_data(as_text=True)
    # No token: the public page has none, a reader's post is checked by Sec-Fetch-Site.
    form = {"stamp": re.search(r'name="stamp" value="([^"]*)"', page).group(1)}
    form.update(author=site.COMMENTER[0], email=site.COMMENTER[1], url="", parent="")
    headers = {"HX-Request": "true", "Sec-Fetch-Site": "same-origin"}
    nonce, counter = uuid.uuid4().hex[:8], itertools.count()

    def post():
        text = f"{site.COMMENT_TEXT.strip()} {nonce}-{next(counter)}"
        # A new reader each time, as wrk sends: no own-comments cookie from the last post.
        client.delete_cookie("blog_own_comments")
        return client.post(f"{article}/comments", data={**form, "comment": text}, headers=headers)

    return post


if __name__ == "__main__":
    main()
