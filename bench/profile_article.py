"""Profile one page in process (no server): where a request's time goes.

Usage: .venv/bin/python -m bench.profile_article [/posts/article-50] [--requests 300]

Builds the bench site in a temporary folder, warms the page up, then runs pyinstrument over
``--requests`` test-client requests and prints the call tree (and the SQL count per request).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from bench import site
from bench.app import create_bench_app
from blog.database import upgrade_to_head


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", nargs="?", default="/posts/article-50")
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    from pyinstrument import Profiler

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["BLOG_INSTANCE_PATH"] = tmp
        app = create_bench_app(f"{tmp}/bench.sqlite")
        with app.app_context():
            upgrade_to_head()
            site.build()
        client = app.test_client()
        for _ in range(20):
            response = client.get(args.path)
        print(
            args.path,
            response.status_code,
            len(response.data),
            "bytes,",
            response.headers.get("X-Bench-Queries"),
            "SQL statements",
        )
        profiler = Profiler(interval=0.0005)
        start = time.perf_counter()
        with profiler:
            for _ in range(args.requests):
                client.get(args.path)
        elapsed = (time.perf_counter() - start) / args.requests * 1000
        print(f"{elapsed:.2f} ms per request (profiled)")
        print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
