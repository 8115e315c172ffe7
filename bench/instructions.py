"""Instructions per request, counted by valgrind's callgrind: the same number on a busy machine.

Usage: .venv/bin/python -m bench.instructions [--post] [--comments 3000] [path]

req/s and CPU time on a shared machine move by tens of per cent from run to run; instructions
do not. This builds the bench site (bench/site.py) once, optionally with ``--comments`` more
approved comments on the article the POST row posts to, then runs the requests in process under
``valgrind --tool=callgrind`` twice, with 0 and with REQUESTS measured requests after the same
warm-up, and prints the difference divided by REQUESTS. The in-process mail sender is off (its
work is not per request). Needs valgrind (Debian's package).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

REQUESTS = 40
WARM_UP = 30


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", nargs="?", help="default: article-50, or article-post to --post")
    parser.add_argument("--post", action="store_true", help="count the bench's comment POST")
    parser.add_argument("--comments", type=int, default=0, help="more comments on article-post")
    args = parser.parse_args()
    args.path = args.path or ("/posts/article-post" if args.post else "/posts/article-50")
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is missing: `apt-get install valgrind`.")
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp, "site.sqlite")
        build(database, args.comments)
        # Both at once (two cores): the counts do not depend on what else runs.
        runs = [callgrind(database, tmp, args, requests) for requests in (0, REQUESTS)]
        counts = [finished(run) for run in runs]
    what = f"POST {args.path}/comments" if args.post else f"GET {args.path}"
    per_request = (counts[1] - counts[0]) / REQUESTS
    print(f"{what}: {per_request / 1e6:.2f} million instructions per request")


def build(database: Path, comments: int) -> None:
    """The bench's site, plus ``comments`` approved top-level comments on article-post."""
    from sqlalchemy import insert, select

    from bench.app import create_bench_app
    from bench.run import build_database
    from blog.extensions import db
    from blog.models import Comment, Post, body_digest, now_utc
    from blog.sanitize import COMMENT_RENDER_VERSION

    build_database(database, database.parent / "instance")
    if not comments:
        return
    app = create_bench_app(str(database))
    with app.app_context():
        post_id = db.session.scalar(select(Post.id).where(Post.slug == "article-post"))
        start = now_utc() - timedelta(days=2)
        db.session.execute(
            insert(Comment),
            [
                {
                    "post_id": post_id,
                    "author_name": "Reader",
                    "author_email": "reader@example.org",
                    "body": f"Comment {n}",
                    "body_digest": body_digest(f"Comment {n}"),
                    "body_html": f"<p>Comment {n}</p>",
                    "body_render_version": COMMENT_RENDER_VERSION,
                    "status": "approved",
                    "created_at": start + timedelta(seconds=n),
                }
                for n in range(comments)
            ],
        )
        db.session.commit()
        db.engine.dispose()


def callgrind(database: Path, tmp: str, args, requests: int) -> subprocess.Popen:
    """A process, under callgrind, that makes WARM_UP + ``requests`` requests."""
    out = Path(tmp, f"callgrind.{requests}")
    command = [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={out}",
        sys.executable,
        "-m",
        "bench.instructions",
        "--run",
        str(database),
        str(requests),
        "post" if args.post else "get",
        args.path,
    ]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def finished(process: subprocess.Popen) -> int:
    """The process's total instructions, once it has ended."""
    _, stderr = process.communicate()
    if process.returncode:
        raise SystemExit(f"valgrind failed:\n{stderr[-2000:]}")
    return int(re.search(r"Collected : (\d+)", stderr).group(1))


def run(database: str, requests: int, method: str, path: str) -> None:
    """Inside valgrind: a copy of the site, the warm-up, then ``requests`` requests."""
    import logging

    from bench import app as bench_app
    from bench.profile_article import comment_poster

    logging.disable(logging.INFO)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp, "site.sqlite")
        shutil.copy(database, copy)
        os.environ["BLOG_INSTANCE_PATH"] = str(Path(tmp, "instance"))
        config = bench_app.bench_config
        bench_app.bench_config = lambda p: {**config(p), "MAIL_SENDER_IN_PROCESS": False}
        app = bench_app.create_bench_app(str(copy))
        client = app.test_client()
        if method == "post":
            request = comment_poster(client, path)
        else:
            request = lambda: client.get(path)  # noqa: E731
        for _ in range(WARM_UP + requests):
            response = request()
        if response.status_code != 200:
            raise SystemExit(f"{method} {path} answered {response.status_code}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--run"]:
        run(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    else:
        main()
