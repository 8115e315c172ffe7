"""Reader-page latency: medians over repeated requests, as ratios against /robots.txt.

Usage: .venv/bin/python bench/bench_pages.py [--posts 200] [--comments 20] [--rounds 200]

The baseline (/robots.txt) goes through the same WSGI stack, middleware and headers but touches no
database and renders no template, so the ratio shows what the page itself costs on this machine,
whatever else the machine is doing at the time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import timedelta

from blog import create_app
from blog.database import upgrade_to_head
from blog.extensions import db
from blog.models import Author, Comment, Post, Tag, now_utc
from blog.sanitize import refresh_comment_html, refresh_post_html


def build_site(posts: int, comments: int) -> None:
    author = Author(username="bench", display_name="Bench", password_hash="x")
    tags = [Tag(name=f"tag{n}", slug=f"tag{n}") for n in range(5)]
    db.session.add_all([author, *tags])
    for n in range(posts):
        post = Post(
            title=f"Post {n}",
            slug=f"post-{n}",
            body_md="Some *Markdown* text.\n\n" * 20,
            summary="A summary.",
            status="published",
            published_at=now_utc() - timedelta(hours=n),
            author=author,
            tags=tags[n % 5 : n % 5 + 2],
        )
        refresh_post_html(post)
        db.session.add(post)
        for c in range(comments):
            comment = Comment(
                post=post,
                author_name=f"R{c}",
                author_email=f"r{c}@example.org",
                body="Nice.",
                status="approved",
            )
            refresh_comment_html(comment)  # as saving a comment does
            db.session.add(comment)
    db.session.commit()


def median_ms(client, path: str, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.get(path)
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--comments", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["BLOG_INSTANCE_PATH"] = tmp
        app = create_app(
            {"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/b.db"}
        )
        with app.app_context():
            upgrade_to_head()
            build_site(args.posts, args.comments)
            client = app.test_client()
            paths = ["/robots.txt", "/", "/?page=5", "/posts/post-10", "/tag/tag1", "/feed.xml"]
            for path in paths:  # warm-up
                median_ms(client, path, 5)
            baseline = median_ms(client, "/robots.txt", args.rounds)
            print(f"{args.posts} posts x {args.comments} comments, {args.rounds} rounds, SQLite")
            print(f"{'path':<18}{'median ms':>10}{'x baseline':>12}")
            for path in paths:
                ms = baseline if path == "/robots.txt" else median_ms(client, path, args.rounds)
                print(f"{path:<18}{ms:>10.2f}{ms / baseline:>12.1f}")
            db.engine.dispose()


if __name__ == "__main__":
    main()
