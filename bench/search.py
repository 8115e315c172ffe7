"""How long a search takes on a large site: N posts and 10 N approved comments, on SQLite and on
PostgreSQL (TEST_DATABASE_URL; a throwaway database is made there and dropped after).

    .venv/bin/python -m bench.search --posts 5000
    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m bench.search --posts 5000 --engine postgresql

Prints, per query, the median time of the engine's answer (search_index.count_and_page: the
page of results and their number) for page 1 and page 10, and of the whole /search page.

The text is made of a synthetic vocabulary with Zipf-like word frequencies (as in real prose, a
few words are everywhere and most are rare), some Markdown and HTML markup, and planted words:
one in a fifth of the posts and comments ("common"), one in six documents ("rare"), a phrase.
Rows are inserted in bulk; the search triggers index them as they would any other write.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from blog import create_app
from blog.extensions import db
from blog.models import Author, Comment, Post, Tag, now_utc, post_tags
from blog.reading import search_index

PER_PAGE = 10
SYLLABLES = "ka lo mi ne ru sa ti vo de pa gu re bi to fa li mo nu se ha".split()
COMMON, RARE, PHRASE = "lantern", "zeppelin", ("reading", "tent")

QUERIES = {
    "common word": COMMON,
    "common prefix": COMMON[:4],
    "frequent word": None,  # the vocabulary's most frequent word, in nearly every document
    "two words": None,
    "rare word": RARE,
    "phrase": f'"{PHRASE[0]} {PHRASE[1]}"',
    "word OR word": f"{RARE} OR {COMMON}",
    "no match": "quixotrybble",
}


def vocabulary(size: int, rng: random.Random) -> list[str]:
    words = {
        "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(size * 2)
    }
    return sorted(words)[:size]


class Writer:
    def __init__(self, rng: random.Random, words: list[str]):
        self.rng = rng
        self.words = words
        self.weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(words))))

    def prose(self, count: int, planted: list[str]) -> str:
        chosen = self.rng.choices(self.words, cum_weights=self.weights, k=count)
        for word in planted:
            chosen.insert(self.rng.randrange(len(chosen) + 1), word)
        # Markup a reader never sees: a link, bold text, an HTML element.
        chosen[0] = f"**{chosen[0]}**"
        chosen.insert(len(chosen) // 2, '<a href="https://example.org/strong">link</a>')
        return " ".join(chosen)

    def planted(self, n: int, rare_every: int) -> list[str]:
        words = []
        if n % 5 == 0:
            words.append(COMMON)
        if n % rare_every == 0:
            words.append(RARE)
        if n % 10 == 3:
            words.append(" ".join(PHRASE))
        return words


def fill(posts: int, rng: random.Random) -> None:
    words = vocabulary(5000, rng)
    writer = Writer(rng, words)
    author = Author(username="bench", display_name="Bench", password_hash="x")
    tags = [Tag(name=f"{words[n * 7]}", slug=f"topic-{n}") for n in range(30)]
    db.session.add_all([author, *tags])
    db.session.flush()
    now = now_utc()
    documents = posts * 11
    rare_every = max(1, documents // 6)
    post_rows = [
        {
            "id": n + 1,
            "title": " ".join(rng.choices(words[:2000], k=6)),
            "slug": f"post-{n}",
            "body_md": writer.prose(400, writer.planted(n, rare_every)),
            "status": "published",
            "published_at": now - timedelta(hours=n + 1),
            "created_at": now - timedelta(hours=n + 1),
            "author_id": author.id,
        }
        for n in range(posts)
    ]
    for chunk in range(0, posts, 2000):
        db.session.execute(insert(Post), post_rows[chunk : chunk + 2000])
    db.session.execute(
        insert(post_tags),
        [{"post_id": n + 1, "tag_id": tags[n % 30].id} for n in range(posts) if n % 3],
    )
    for chunk in range(0, posts * 10, 5000):
        db.session.execute(
            insert(Comment),
            [
                {
                    "post_id": n % posts + 1,
                    "author_name": f"Reader {n % 97}",
                    "author_email": f"reader{n % 97}@example.org",
                    "body": writer.prose(50, writer.planted(posts + n, rare_every)),
                    "status": "approved",
                    "created_at": now - timedelta(minutes=n),
                }
                for n in range(chunk, min(chunk + 5000, posts * 10))
            ],
        )
    db.session.commit()
    fill_queries(random.Random(23))


def fill_queries(rng: random.Random) -> None:
    words = vocabulary(5000, rng)
    QUERIES["frequent word"] = words[0]
    QUERIES["two words"] = f"{words[3]} {words[40]}"


def median_ms(run, repeat: int) -> float:
    run()  # warm the caches
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(app, repeat: int) -> list[tuple[str, str, str, float, float, float]]:
    rows = []
    client = app.test_client()
    for name, raw in QUERIES.items():
        query = search_index.parse(raw)
        with app.app_context():
            found = search_index.count_and_page(query, PER_PAGE, 0)
            # "+": more matched than MATCH_CAP posts or comments; the newest were ranked.
            total = f"{found.total}{'+' if found.capped else ''}"
            first = median_ms(lambda q=query: search_index.count_and_page(q, PER_PAGE, 0), repeat)
            tenth = median_ms(
                lambda q=query: search_index.count_and_page(q, PER_PAGE, 9 * PER_PAGE), repeat
            )
            db.session.rollback()
        page = median_ms(lambda r=raw: client.get("/search", query_string={"q": r}), repeat)
        rows.append((name, raw, total, first, tenth, page))
    return rows


def run(engine: str, posts: int, repeat: int, keep: str | None = None) -> None:
    rng = random.Random(23)
    with tempfile.TemporaryDirectory() as scratch:
        dropper = None
        if keep:
            url = keep
        elif engine == "sqlite":
            url = f"sqlite:///{Path(scratch) / 'search.sqlite'}"
        else:
            base = make_url(os.environ["TEST_DATABASE_URL"])
            name = f"bench_search_{uuid.uuid4().hex[:8]}"
            admin = create_engine(base, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            url = base.set(database=name).render_as_string(hide_password=False)

            def dropper():
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()

        app = create_app(
            {
                "SECRET_KEY": "bench",
                "SQLALCHEMY_DATABASE_URI": url,
                "RATELIMIT_ENABLED": False,
                "BLOG_INSTANCE_PATH": scratch,
            }
        )
        app.logger.setLevel("WARNING")
        try:
            with app.app_context():
                db.create_all()
                start = time.perf_counter()
                if db.session.scalar(text("SELECT count(*) FROM posts")):
                    fill_queries(rng)  # a kept database, filled by an earlier run
                else:
                    fill(posts, rng)
                built = time.perf_counter() - start
                if engine == "postgresql":
                    # What autovacuum does on a live site: the bulk load left the statistics
                    # unknown and, the tag links having rewritten their posts, dead rows.
                    with db.engine.connect().execution_options(
                        isolation_level="AUTOCOMMIT"
                    ) as conn:
                        conn.execute(text("VACUUM ANALYZE"))
            print(
                f"\n{engine}: {posts} posts, {posts * 10} comments"
                f" (built and indexed in {built:.1f} s); median of {repeat}, ms"
            )
            print(
                f"{'query':<14} {'typed':<22} {'results':>8} {'page 1':>8} {'page 10':>8} "
                f"{'/search':>8}"
            )
            for label, raw, total, first, tenth, page in measure(app, repeat):
                print(
                    f"{label:<14} {raw[:22]:<22} {total:>8}"
                    f" {first:>8.1f} {tenth:>8.1f} {page:>8.1f}"
                )
        finally:
            with app.app_context():
                db.engine.dispose()
            if dropper:
                dropper()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument(
        "--engine",
        choices=("sqlite", "postgresql", "both"),
        default="both" if os.environ.get("TEST_DATABASE_URL") else "sqlite",
    )
    parser.add_argument(
        "--keep", metavar="URL", help="use (and fill when empty) this database; never drop it"
    )
    args = parser.parse_args()
    if args.keep:
        run(make_url(args.keep).get_backend_name(), args.posts, args.repeat, args.keep)
        return
    for engine in ("sqlite", "postgresql") if args.engine == "both" else (args.engine,):
        run(engine, args.posts, args.repeat)


if __name__ == "__main__":
    main()
