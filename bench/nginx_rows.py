"""The bench's nginx rows: the article through deploy/nginx.conf's cache, and the same bytes as a
static file served by the same nginx (the ceiling a page cache can reach).

deploy/nginx.conf is rendered as the tests render it (tests/nginx.py): loopback ports, temporary
paths, the upstream pointed at the bench's gunicorn. Plain HTTP instead of TLS: wrk over TLS would
measure handshakes and ciphers, and hello world is measured over plain HTTP too. One extra
location serves the static copy; every other directive is the sample's own. nginx runs with
``worker_processes auto`` as Debian's /etc/nginx/nginx.conf does, and logs each request as
Debian's does (to a temporary file).

bench/run.py calls ``nginx_rows(server.port, free_port(), article_path, ...)`` with its
gunicorn running; each row comes back as a dict in the shape of run.py's table (``x_baseline``
left for the caller, who measured hello world in the same run). Alone,
``.venv/bin/python -m bench.nginx_rows`` builds the bench site, starts gunicorn, and prints hello
world and the two rows from one run.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from bench import run
from tests.nginx import Nginx, find_nginx, main_config, render_site

CACHED = "article, nginx cache"
STATIC = "article, nginx static file"
STATIC_PREFIX = "/bench-static/"


def fetch(url: str) -> tuple[int, dict, bytes]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, dict(response.headers), response.read()


class NginxFront:
    """nginx on deploy/nginx.conf in front of the gunicorn on ``backend_port``, listening on
    ``port``, with the article's bytes as a static file beside it. A context manager."""

    def __init__(self, backend_port: int, port: int, article_path: str, workers: str = "auto"):
        binary = find_nginx()
        if binary is None:
            raise RuntimeError("nginx is not installed: apt-get install nginx-light")
        self.binary, self.backend_port, self.port = binary, backend_port, port
        self.article_path, self.workers = article_path, workers
        self.base = f"http://127.0.0.1:{port}"
        self.static_path = STATIC_PREFIX + "article.html"
        self._folder = tempfile.TemporaryDirectory(prefix="bench-nginx-")
        self.folder = Path(self._folder.name)
        self.nginx: Nginx | None = None

    def __enter__(self) -> NginxFront:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        static = self.folder / "static"
        static.mkdir()
        # The redirect server (port 80 in the sample) needs a port of its own; nothing uses it.
        site = render_site(
            self.folder,
            self.backend_port,
            run.free_port(),
            self.port,
            tls=None,
            extra_locations=(
                f"    # bench only: the article's bytes as a file ({__name__})\n"
                f"    location {STATIC_PREFIX} {{\n"
                f"        alias {static}/;\n"
                f"    }}\n"
            ),
        )
        conf = main_config(self.folder, self.binary, site, workers=self.workers)
        checked = subprocess.run(
            [self.binary, "-t", "-p", str(self.folder), "-c", str(conf)],
            capture_output=True,
            text=True,
        )
        if checked.returncode:
            raise RuntimeError(f"nginx -t refused the bench configuration:\n{checked.stderr}")
        self.nginx = Nginx(self.binary, self.folder, conf, [self.port])
        # The copy is what a reader without cookies gets through the cache, byte for byte.
        status, headers, body = fetch(self.base + self.article_path)
        if status != 200 or not headers.get("Cache-Control", "").startswith("public"):
            raise RuntimeError(
                f"{self.article_path} is not public through nginx ({status}, "
                f"Cache-Control: {headers.get('Cache-Control')}): nothing for the cache to keep"
            )
        (static / "article.html").write_bytes(body)
        self.article_bytes = body

    def check(self) -> None:
        """Both rows answer as meant: the article from the cache, the file the same bytes."""
        fetch(self.base + self.article_path)
        _, headers, body = fetch(self.base + self.article_path)
        if headers.get("X-Cache-Status") not in ("HIT", "STALE", "UPDATING"):
            raise RuntimeError(f"the article is not served from the cache: {headers}")
        _, _, copy = fetch(self.base + self.static_path)
        if len(copy) != len(body):
            raise RuntimeError("the static copy and the cached article differ in size")

    def rows(self) -> list[tuple[str, str, str]]:
        """(name, path, note) of each row; the URL is ``self.base + path``."""
        return [
            (
                CACHED,
                self.article_path,
                "deploy/nginx.conf's microcache in front of gunicorn, plain HTTP, no cookies",
            ),
            (
                STATIC,
                self.static_path,
                "the same bytes as a file, served by the same nginx: the ceiling",
            ),
        ]

    def stop(self) -> None:
        if self.nginx is not None:
            self.nginx.stop()
            self.nginx = None
        self._folder.cleanup()


def summarise(name: str, path: str, note: str, runs: list[dict], size: int) -> dict:
    """One row in the shape of bench/run.py's table (x_baseline is the caller's to add)."""
    return {
        "row": name,
        "path": path,
        "req_per_s": round(statistics.median(r["rps"] for r in runs), 1),
        "p50_ms": round(statistics.median(r["p50"] for r in runs) / 1000, 2),
        "p99_ms": round(statistics.median(r["p99"] for r in runs) / 1000, 2),
        "bytes": size,
        "sql_per_request": "0",
        "sql_first_request": "-",
        "cpu_ms": 0.0,
        "note": note,
        "runs": runs,
    }


def nginx_rows(
    backend_port: int,
    port: int,
    article_path: str,
    seconds: float = 3,
    rounds: int = 3,
    warmup: float = 1,
) -> list[dict]:
    """Start nginx on ``port`` in front of the gunicorn on ``backend_port``, load both rows with
    wrk in interleaved rounds (run.py's -t2 -c16), stop nginx; the two rows' results."""
    with NginxFront(backend_port, port, article_path) as front:
        front.check()
        rows = front.rows()
        for _, path, _ in rows:  # warm-up: the cache filled, the file in the page cache
            run.wrk(front.base + path, warmup, "")
        results: dict[str, list[dict]] = {name: [] for name, _, _ in rows}
        for _ in range(rounds):
            for name, path, _ in rows:
                result = run.wrk(front.base + path, seconds, "")
                if result["errors"] or result["non2xx"]:
                    raise RuntimeError(f"{name}: {result}")
                results[name].append(result)
        size = len(front.article_bytes)
        return [summarise(name, path, note, results[name], size) for name, path, note in rows]


def main() -> None:
    """Hello world through gunicorn and the two nginx rows, measured in one run."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database, instance = Path(tmp, "bench.sqlite"), Path(tmp, "instance")
        slugs = run.build_database(database, instance)
        server = run.Server(database, instance)
        try:
            article = f"/posts/{slugs['article-50']}"
            hello = []
            run.wrk(server.base + "/bench/hello", 1, "")
            rows = nginx_rows(server.port, run.free_port(), article, args.seconds, args.rounds)
            for _ in range(args.rounds):
                hello.append(run.wrk(server.base + "/bench/hello", args.seconds, ""))
            direct = [run.wrk(server.base + article, args.seconds, "") for _ in range(args.rounds)]
        finally:
            server.stop()
    baseline = statistics.median(r["rps"] for r in hello)
    article_rps = statistics.median(r["rps"] for r in direct)
    print(f"\nwrk -t{run.THREADS} -c{run.CONNECTIONS} -d{args.seconds}s, {args.rounds} rounds")
    print(f"{'row':<32}{'req/s':>9}{'p50 ms':>8}{'p99 ms':>8}{'x hello':>9}")
    print(f"{'baseline (hello world)':<32}{baseline:>9.0f}{'':>8}{'':>8}{1:>9.2f}")
    ratio = article_rps / baseline
    print(f"{'article-50 (gunicorn)':<32}{article_rps:>9.0f}{'':>8}{'':>8}{ratio:>9.2f}")
    for row in rows:
        print(
            f"{row['row']:<32}{row['req_per_s']:>9.0f}{row['p50_ms']:>8.2f}{row['p99_ms']:>8.2f}"
            f"{row['req_per_s'] / baseline:>9.2f}"
        )
    cached, static = rows[0]["req_per_s"], rows[1]["req_per_s"]
    print(f"\ncache / static file: {cached / static:.2f}  (goal: >= 0.5)")
    print(f"cache / hello world: {cached / baseline:.2f}  (goal: >= 5)")


if __name__ == "__main__":
    sys.exit(main())
