"""How fast the WordPress importer takes a big export, and how much memory it needs.

    .venv/bin/python -m bench.wxr_import                        # 1,000,000 comments, SQLite
    .venv/bin/python -m bench.wxr_import --comments 100000 --postgresql

Writes a WXR 1.1 file (tests/wxr.py's head and tail) straight to disk, item by item: posts with
comment threads (replies nested up to four deep), statuses mixed as WordPress writes them (1,
0, spam, trash), then imports it into a fresh database with the real command,
`flask --app blog import-wxr FILE`, under /usr/bin/time -v: its wall time gives the rate
(comments per second) and its maximum resident set size the peak memory. The same import of a
tenth of the file runs first: if the importer held the export (or what it made of it) in
memory, the peak would grow with the file; streamed, the two peaks are about the same.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

from tests.wxr import HEAD, TAIL

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BASE = "postgresql://postgres@127.0.0.1:5432/postgres"
APPROVED = ("1", "1", "1", "1", "1", "1", "1", "1", "0", "spam")  # and one in 50 trash below

ITEM_HEAD = """<item><title>Good news {n}</title><dc:creator>gen</dc:creator>
<content:encoded><![CDATA[<!-- wp:paragraph --><p>{text}</p><!-- /wp:paragraph -->]]>
</content:encoded>
<wp:post_id>{n}</wp:post_id><wp:post_date_gmt>{date}</wp:post_date_gmt>
<wp:post_name>good-news-{n}</wp:post_name><wp:status>publish</wp:status>
<wp:post_type>post</wp:post_type>
<category domain="post_tag" nicename="topic-{tag}"><![CDATA[Topic {tag}]]></category>
"""
COMMENT = """<wp:comment><wp:comment_id>{id}</wp:comment_id>
<wp:comment_author><![CDATA[Reader {reader}]]></wp:comment_author>
<wp:comment_author_email>reader{reader}@example.org</wp:comment_author_email>
<wp:comment_author_IP>192.0.2.{ip}</wp:comment_author_IP>
<wp:comment_date_gmt>{date}</wp:comment_date_gmt>
<wp:comment_content><![CDATA[{text}]]></wp:comment_content>
<wp:comment_approved>{status}</wp:comment_approved><wp:comment_type>comment</wp:comment_type>
<wp:comment_parent>{parent}</wp:comment_parent></wp:comment>
"""


def write_export(path: Path, comments: int, per_post: int = 100, seed: int = 24) -> dict:
    """An export with ``comments`` comments, ``per_post`` on each post, written as it is made
    (never held whole): its size on disk and what it holds."""
    rng = random.Random(seed)
    words = "good news library river harbour school garden bridge repair volunteers".split()
    texts = [
        " ".join(rng.choices(words, k=rng.randint(15, 60))).capitalize() + f". ({n})"
        for n in range(97)
    ]
    posts = -(-comments // per_post)
    comment_id = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(HEAD)
        for n in range(1, posts + 1):
            day = f"20{10 + n % 14:02d}-{1 + n % 12:02d}-{1 + n % 28:02d}"
            out.write(
                ITEM_HEAD.format(
                    n=n, text=escape(texts[n % 97]) * 5, date=f"{day} 08:00:00", tag=n % 30
                )
            )
            first = comment_id + 1
            depth: dict[int, int] = {}
            for k in range(min(per_post, comments - comment_id)):
                comment_id += 1
                parent = 0
                if k and rng.random() < 0.35:
                    parent = rng.randrange(first, comment_id)
                    if depth[parent] >= 4:  # no deeper than five levels, as WordPress's default
                        parent = 0
                depth[comment_id] = depth[parent] + 1 if parent else 0
                status = "trash" if comment_id % 50 == 0 else rng.choice(APPROVED)
                out.write(
                    COMMENT.format(
                        id=comment_id,
                        reader=comment_id % 997,
                        ip=comment_id % 250,
                        date=f"{day} {8 + k // 3600 % 12:02d}:{k // 60 % 60:02d}:{k % 60:02d}",
                        text=texts[(comment_id * 7) % 97] + f" #{comment_id}",
                        status=status,
                        parent=parent,
                    )
                )
            out.write("</item>\n")
        out.write(TAIL)
    return {"posts": posts, "comments": comment_id, "bytes": path.stat().st_size}


def import_once(export: Path, url: str, instance: Path) -> dict:
    """`flask --app blog init-db` then `import-wxr` into ``url`` under /usr/bin/time -v."""
    env = dict(os.environ, DATABASE_URL=url, BLOG_INSTANCE_PATH=str(instance))
    flask = str(Path(sys.executable).with_name("flask"))
    subprocess.run(
        [flask, "--app", "blog", "init-db"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-v", flask, "--app", "blog", "import-wxr", str(export)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError(f"import-wxr failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    return {"seconds": seconds, "peak_kib": peak, "output": done.stdout.strip()[-600:]}


def count_comments(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(text("SELECT count(*) FROM comments")).scalar()
    engine.dispose()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--per-post", type=int, default=100)
    parser.add_argument(
        "--postgresql",
        action="store_true",
        help="import into a throwaway PostgreSQL database (TEST_DATABASE_URL or the local one) "
        "instead of a SQLite file",
    )
    args = parser.parse_args()
    engine = "PostgreSQL" if args.postgresql else "SQLite"
    print(f"\nWXR import into {engine} (flask --app blog import-wxr, /usr/bin/time -v)")
    print(
        f"{'comments':>10}{'posts':>8}{'file MB':>9}{'written s':>10}{'import s':>10}"
        f"{'comments/s':>12}{'peak RSS MiB':>14}{'stored':>10}",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        runs = []
        for comments in (args.comments // 10, args.comments):
            export = Path(tmp, f"export-{comments}.xml")
            started = time.perf_counter()
            made = write_export(export, comments, args.per_post)
            written = time.perf_counter() - started
            instance = Path(tmp, f"instance-{comments}")
            drop = None
            if args.postgresql:
                from bench.bigsite import create_database

                url, drop = create_database(
                    os.environ.get("TEST_DATABASE_URL", DEFAULT_BASE), "wxr"
                )
            else:
                url = f"sqlite:///{Path(tmp, f'import-{comments}.sqlite')}"
            try:
                result = import_once(export, url, instance)
                result["stored"] = count_comments(url)
            finally:
                if drop:
                    drop()
            export.unlink()
            runs.append((made, written, result))
            print(
                f"{made['comments']:>10}{made['posts']:>8}{made['bytes'] / 2**20:>9.1f}"
                f"{written:>10.1f}{result['seconds']:>10.1f}"
                f"{made['comments'] / result['seconds']:>12.0f}{result['peak_kib'] / 1024:>14.1f}"
                f"{result['stored']:>10}",
                flush=True,
            )
    small, big = runs[0][2]["peak_kib"], runs[1][2]["peak_kib"]
    print(
        f"Peak memory, ten times the comments: {big / small:.2f}x "
        f"({'flat: the export is streamed' if big / small < 1.5 else 'it grows with the file'})"
    )
    print(f"The importer's summary (largest run):\n{runs[1][2]['output']}")


if __name__ == "__main__":
    main()
