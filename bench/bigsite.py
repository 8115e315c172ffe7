"""A big site on PostgreSQL: 100,000 posts and 1,000,000 comments, against the same site small.

    .venv/bin/python -m bench.bigsite                       # build both, load both, drop both
    .venv/bin/python -m bench.bigsite --posts 20000 --comments 200000 --rounds 1 --seconds 2
    .venv/bin/python -m bench.bigsite --keep postgresql://postgres@127.0.0.1:5432/bigsite_bench

The generator (``build``) makes the schema as the app does (its Alembic migrations,
``upgrade_to_head``), then writes every row with COPY: posts published an hour apart (so the
newest month looks the same on a small site and a big one; the big one just has a longer past),
a few authors, tags and categories (one tag on a third of all posts), comment threads with
nested replies and mixed statuses, one article with exactly 5,000 comments. Markdown is
rendered once per distinct text, as bench/site.py does. As PostgreSQL's manual advises for a
bulk load, in one transaction the indexes no constraint needs are dropped and made again after
the COPY, and the triggers are off during it: the comment counts (blog/comment_counts.py) are
written by one UPDATE afterwards, and the search vectors (migration 0015) by the same SQL
functions the triggers call, once per distinct text (a sample is then checked against the real
triggers, and every count against a fresh count). Then VACUUM ANALYZE, as autovacuum would do
on a live site. 100,000 posts and 1,000,000 comments take a few minutes on two cores.

The bench (``measure_large_site``) serves each site with gunicorn (2 sync workers, bench/app.py
plus a statement counter for PostgreSQL) and loads each row with wrk on both, interleaved, and
prints req/s and the workers' CPU per request with the ratio big/small. It also renders every
row's page uncached in process (CACHE_TYPE NullCache: what a cache miss costs, where size
shows), runs EXPLAIN (ANALYZE, BUFFERS) on each SQL statement the page sends and names those
that scan a big table sequentially, and reads worker memory before and after 10,000 requests.

Needs PostgreSQL: TEST_DATABASE_URL or --base (default postgresql://postgres@127.0.0.1:5432/
postgres); throwaway databases bigsite_bench_* are made there and dropped after (not --keep).
"""

from __future__ import annotations

import argparse
import hashlib
import http.cookiejar
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask, g, has_app_context
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from bench import site
from bench.run import (
    NOT_FOLLOWING,
    POST_LUA,
    RSS_LUA,
    RSS_REQUESTS,
    free_port,
    lua_string,
    wrk,
)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BASE = "postgresql://postgres@127.0.0.1:5432/postgres"
ADMIN = ("benchadmin", "bench-admin-password-1")
SEARCH_WORD = "zeppelin"  # planted in one comment text of 128: the admin search finds ~0.8 %
BIG_THREAD = site.BIG_THREAD  # 5,000 comments on one article
COMMENTS_PER_PAGE = 50
TAGS, CATEGORIES = 30, 5
AUTHORS = 5

# --- the text ------------------------------------------------------------------------------

SYLLABLES = "ka lo mi ne ru sa ti vo de pa gu re bi to fa li mo nu se ha".split()


def _vocabulary(rng: random.Random, size: int = 3000) -> list[str]:
    words = {"".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))) for _ in range(size * 2)}
    return sorted(words)[:size]


def comment_texts(rng: random.Random, words: list[str], count: int = 128) -> list[str]:
    """Distinct comment texts (a few hundred characters, some Markdown); one holds SEARCH_WORD.

    A pool, not a text per comment: the sanitizer is rendered once per text (it is not what
    the bench measures) and the table's size is what matters, not the variety of its texts."""
    texts = []
    for n in range(count):
        chosen = rng.choices(words[:800], k=rng.randint(20, 70))
        if n % 9 == 0:
            chosen[1] = f"*{chosen[1]}*"
        if n % 13 == 0:
            chosen.insert(4, "[a link](https://example.org/elsewhere)")
        if n == 7:
            chosen.insert(len(chosen) // 2, SEARCH_WORD)
        texts.append(" ".join(chosen).capitalize() + ".")
    return texts


def post_texts(rng: random.Random, words: list[str], count: int = 32) -> list[str]:
    texts = []
    for _ in range(count):
        paragraphs = [
            " ".join(rng.choices(words, k=rng.randint(40, 90))).capitalize() + "."
            for _ in range(rng.randint(3, 8))
        ]
        paragraphs[0] = "**Good news.** " + paragraphs[0]
        texts.append("\n\n".join(paragraphs))
    return texts


def digest(body: str) -> str:
    """models.body_digest, without importing the app into the generator's hot loop."""
    return hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()[:16]


# --- databases ------------------------------------------------------------------------------


def psycopg_url(url: str) -> str:
    """The libpq form of a SQLAlchemy URL (psycopg.connect does not know "+psycopg")."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def sqlalchemy_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def create_database(base: str, label: str) -> tuple[str, callable]:
    """A new empty database beside ``base``'s; its URL and a function that drops it."""
    admin = create_engine(sqlalchemy_url(base), isolation_level="AUTOCOMMIT")
    name = f"bigsite_bench_{label}_{uuid.uuid4().hex[:6]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return sqlalchemy_url(make_url(base).set(database=name).render_as_string(False)), drop


def migrate(url: str, instance: str) -> None:
    """The schema as `flask init-db` makes it: every Alembic migration, in order."""
    from blog import create_app
    from blog.database import upgrade_to_head
    from blog.extensions import db

    app = create_app(
        {"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, "BLOG_INSTANCE_PATH": instance}
    )
    app.logger.setLevel("WARNING")
    with app.app_context():
        upgrade_to_head()
        db.engine.dispose()


# --- the generator --------------------------------------------------------------------------

POST_COLUMNS = (
    "id title slug body_md body_html body_render_version summary status kind menu_order sticky "
    "password status_before_trash published_at updated_at created_at comments_open author_id "
    "approved_comments approved_top_level discussion_version"
).split()
COMMENT_COLUMNS = (
    "id post_id parent_id root_id depth author_name author_email author_url author_ip user_agent "
    "body body_digest body_html body_render_version status moderation_reason status_version "
    "created_at secret search_vector"
).split()
AUTHOR_COLUMNS = (
    "id username display_name email password_hash session_epoch created_at role bio".split()
)
# Off during the load; build() does their work afterwards.
LOAD_TRIGGERS = (
    ("comments", "comments_count_approved"),
    ("comments", "comments_search_vector"),
    ("posts", "posts_search_vector"),
    ("post_tags", "post_terms_search_vector"),
)
# Statuses of the generated comments (the 5,000-comment article's are all approved).
STATUS_WEIGHTS = (("approved", 88), ("pending", 6), ("spam", 4), ("trash", 2))
REPLY_SHARE = 0.35  # of the comments answer an earlier one on the same post
MAX_DEPTH = 4


class Plan:
    """Who is who on the generated site: the ids and slugs the bench needs."""

    def __init__(self, posts: int, comments: int):
        if comments < BIG_THREAD + site.SMALL_THREAD + 1:
            raise ValueError(f"--comments must be more than {BIG_THREAD + site.SMALL_THREAD}")
        self.posts, self.comments = posts, comments
        # The last four ids are the bench's articles, the newest posts of the site.
        self.articles = {"article-50": 0, "article-5000": 1, "article-0": 2, "article-post": 3}
        self.article_id = {slug: posts - 3 + offset for slug, offset in self.articles.items()}
        self.many_tag = "topic-0"  # on every third post
        self.now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)

    def published(self, post_id: int) -> datetime:
        """One post an hour going back from now (the newest is the highest id)."""
        return self.now - timedelta(hours=self.posts - post_id + 1)


def _copy(cursor, table: str, columns: list[str], rows) -> int:
    count = 0
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _post_rows(plan: Plan, rng: random.Random, words: list[str]):
    from blog.sanitize import POST_RENDER_VERSION, render_post_body

    bodies = post_texts(rng, words)
    rendered = [render_post_body(body) for body in bodies]
    article_html = render_post_body(site.ARTICLE_MD)
    special = {post_id: slug for slug, post_id in plan.article_id.items()}
    for post_id in range(1, plan.posts + 1):
        at = plan.published(post_id)
        status = "published"
        if post_id in special:
            slug, title = special[post_id], f"The library reopens ({special[post_id]})"
            body, html = site.ARTICLE_MD, article_html
        else:
            slug = f"news-{post_id}"
            title = " ".join(rng.choices(words[:1500], k=rng.randint(3, 8))).capitalize()
            pick = post_id % len(bodies)
            body, html = bodies[pick], rendered[pick]
            if post_id % 200 == 17:
                status = "draft"  # a few drafts and trashed posts among them, as on any blog
            elif post_id % 500 == 33:
                status = "trash"
        yield (
            post_id,
            title,
            slug,
            body,
            html,
            POST_RENDER_VERSION,
            "",
            status,
            "post",
            0,
            post_id in (plan.posts // 2, plan.posts // 3),  # two sticky posts
            "",
            "",
            at if status == "published" else None,
            at,
            at,
            True,
            post_id % AUTHORS + 1,
            0,
            0,
            0,
        )


def _comment_rows(plan: Plan, rng: random.Random, texts: list[str], html: list[str], vectors):
    """Every comment, post by post: threads with nested replies and mixed statuses.

    The comments other than the bench articles' are spread unevenly (a Pareto weight per
    post, as on real sites a few posts draw most of the discussion)."""
    from blog.sanitize import COMMENT_RENDER_VERSION

    digests = [digest(body) for body in texts]
    statuses = [status for status, weight in STATUS_WEIGHTS for _ in range(weight)]
    special = set(plan.article_id.values())
    regular = [p for p in range(1, plan.posts + 1) if p not in special]
    spread = plan.comments - BIG_THREAD - site.SMALL_THREAD - 1
    weights = [rng.paretovariate(1.6) for _ in regular]
    scale = spread / sum(weights)
    counts = [int(w * scale) for w in weights]
    for n in range(spread - sum(counts)):  # what the rounding left, one more each
        counts[n % len(counts)] += 1
    per_post = dict(zip(regular, counts, strict=True))
    per_post[plan.article_id["article-50"]] = site.SMALL_THREAD
    per_post[plan.article_id["article-5000"]] = BIG_THREAD
    per_post[plan.article_id["article-post"]] = 1
    comment_id = 0
    for post_id in range(1, plan.posts + 1):
        count = per_post.get(post_id, 0)
        if not count:
            continue
        at = plan.published(post_id) + timedelta(minutes=5)
        bench_article = post_id in special
        first = comment_id + 1
        depths: list[int] = []
        roots: list[int] = []
        for n in range(count):
            comment_id += 1
            parent = None
            if bench_article:
                # As bench/site.py: every fifth comment answers the one before it.
                if post_id == plan.article_id["article-5000"] and n % 5 == 4:
                    parent = comment_id - 1
                status = "approved"
            else:
                if n and rng.random() < REPLY_SHARE:
                    parent = first + rng.randrange(n)
                    # Deeper than MAX_DEPTH attaches at the deepest level, as the app does.
                    while depths[parent - first] >= MAX_DEPTH:
                        parent = roots[parent - first]
                status = rng.choice(statuses)
            depth = depths[parent - first] + 1 if parent else 0
            root = roots[parent - first] if parent else comment_id
            depths.append(depth)
            roots.append(root)
            pick = comment_id % len(texts)
            reader = comment_id % 997
            name, email = f"Reader {reader}", f"reader{reader}@example.org"
            if post_id == plan.article_id["article-post"]:
                # The POST row's commenter has an approved comment: their posts go live.
                name, email = site.COMMENTER
            yield (
                comment_id,
                post_id,
                parent,
                root,
                depth,
                name,
                email,
                "",
                f"192.0.2.{reader % 250}",
                "bench",
                texts[pick],
                digests[pick],
                html[pick],
                COMMENT_RENDER_VERSION,
                status,
                "bench",
                0,
                at + timedelta(seconds=30 * n),
                f"{comment_id:016x}",
                vectors[pick],
            )


def build(url: str, posts: int, comments: int, seed: int = 24) -> dict:
    """Fill the migrated, empty database at ``url``; the timings and what the bench needs."""
    import psycopg

    from blog.accounts.passwords import hash_password
    from blog.sanitize import render_comment

    rng = random.Random(seed)
    plan = Plan(posts, comments)
    words = _vocabulary(rng)
    texts = comment_texts(rng, words)
    html = [render_comment(body) for body in texts]
    timings = {}
    started = time.perf_counter()
    with psycopg.connect(psycopg_url(url)) as conn, conn.cursor() as cur:
        # Bulk loading as PostgreSQL's manual advises ("Populating a Database"): in one
        # transaction (nobody sees the triggers off or the indexes gone), the indexes that no
        # constraint needs dropped and made again after the COPY (one sorted build each instead
        # of 1,000,000 insertions into ten B-trees and a GIN index), every trigger the load
        # would fire off and their work done set-wise afterwards:
        # - the counting triggers would update the post once per comment;
        # - the search triggers would parse every comment's text (128 distinct texts here) and
        #   every post's (32), and the tag links' trigger would write each post once per link.
        # The vectors are made by the same SQL functions the triggers call, once per distinct
        # text, and checked against the real triggers on a sample (verify()).
        cur.execute("SET maintenance_work_mem = '512MB'")
        cur.execute(
            """SELECT indexname, indexdef FROM pg_indexes
            WHERE tablename IN ('posts', 'comments', 'post_tags') AND indexname NOT IN (
                SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))"""
        )
        indexes = cur.fetchall()
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        for table, trigger in LOAD_TRIGGERS:
            cur.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        cur.execute(
            "SELECT to_tsvector('simple'::regconfig, search_fold(search_text(body)))::text"
            " FROM unnest(%s::text[]) WITH ORDINALITY AS t(body, n) ORDER BY n",
            (texts,),
        )
        vectors = [row[0] for row in cur.fetchall()]
        now = plan.now
        authors = [
            (n, f"author{n}", f"Author {n}", "", "x", n * 1000, now, "author", "")
            for n in range(1, AUTHORS + 1)
        ]
        authors.append(
            (
                AUTHORS + 1,
                ADMIN[0],
                "Bench Admin",
                "",
                hash_password(ADMIN[1]),
                7,
                now,
                "administrator",
                "",
            )
        )
        _copy(
            cur,
            "authors",
            AUTHOR_COLUMNS,
            authors,
        )
        terms = [(n, f"Topic {n}", f"topic-{n}", "tag", "") for n in range(TAGS)]
        terms += [
            (TAGS + n, f"Section {n}", f"section-{n}", "category", "") for n in range(CATEGORIES)
        ]
        _copy(cur, "tags", "id name slug taxonomy description".split(), terms)
        _copy(cur, "posts", POST_COLUMNS, _post_rows(plan, rng, words))
        timings["posts"] = time.perf_counter() - started

        def links():
            # One category each; one or two tags; the tag with many posts on every third.
            for post_id in range(1, posts + 1):
                terms = {TAGS + post_id % CATEGORIES, 1 + post_id % (TAGS - 1)}
                if post_id % 3 == 0:
                    terms.add(0)
                if post_id % 4 == 1:
                    terms.add(1 + (post_id * 7 + 3) % (TAGS - 1))
                for term in sorted(terms):
                    yield post_id, term

        _copy(cur, "post_tags", ["post_id", "tag_id"], links())
        mark = time.perf_counter()
        written = _copy(
            cur, "comments", COMMENT_COLUMNS, _comment_rows(plan, rng, texts, html, vectors)
        )
        timings["comments"] = time.perf_counter() - mark
        mark = time.perf_counter()
        # The triggers' work, once: counts from the comments; each post's vector as
        # posts_search_vector() writes it (title A, term names B, visible text C), the text's
        # part made once per distinct body.
        cur.execute(
            """CREATE TEMPORARY TABLE body_vectors AS
            SELECT body_md, setweight(to_tsvector('simple'::regconfig, search_fold(
                search_text(body_md))), 'C') AS vector
            FROM (SELECT DISTINCT body_md FROM posts) AS bodies"""
        )
        cur.execute(
            """UPDATE posts SET search_vector =
                setweight(to_tsvector('simple'::regconfig, search_fold(posts.title)), 'A')
                || setweight(to_tsvector('simple'::regconfig, search_fold(coalesce((
                    SELECT string_agg(t.name, ' ') FROM post_tags pt
                    JOIN tags t ON t.id = pt.tag_id WHERE pt.post_id = posts.id), ''))), 'B')
                || b.vector,
                approved_comments = coalesce(c.total, 0),
                approved_top_level = coalesce(c.top_level, 0)
            FROM body_vectors b, posts p LEFT JOIN (
                SELECT post_id, count(*) AS total,
                    count(*) FILTER (WHERE parent_id IS NULL) AS top_level
                FROM comments WHERE status = 'approved' GROUP BY post_id
            ) c ON c.post_id = p.id
            WHERE posts.id = p.id AND b.body_md = posts.body_md"""
        )
        timings["counts and vectors"] = time.perf_counter() - mark
        mark = time.perf_counter()
        for _, definition in indexes:
            cur.execute(definition)
        timings["indexes"] = time.perf_counter() - mark
        for table, trigger in LOAD_TRIGGERS:
            cur.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
        for table in ("authors", "tags", "posts", "comments"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" (SELECT max(id) FROM {table}))"
            )
        conn.commit()
        mark = time.perf_counter()
        conn.autocommit = True
        cur.execute("VACUUM ANALYZE")
        timings["vacuum analyze"] = time.perf_counter() - mark
        check = verify(cur)
    timings["total"] = time.perf_counter() - started
    return {
        "posts": posts,
        "comments": written,
        "timings": timings,
        "check": check,
        "slugs": {**{slug: slug for slug in plan.articles}, "tag": plan.many_tag},
        "archive": _newest_full_month(plan),
    }


def verify(cur) -> dict:
    """The stored counts equal a fresh count, and every row has its search vector."""
    cur.execute(
        """SELECT count(*) FROM posts p LEFT JOIN (
            SELECT post_id, count(*) AS total, count(*) FILTER (WHERE parent_id IS NULL) AS top
            FROM comments WHERE status = 'approved' GROUP BY post_id) c ON c.post_id = p.id
        WHERE p.approved_comments <> coalesce(c.total, 0)
            OR p.approved_top_level <> coalesce(c.top, 0)"""
    )
    wrong_counts = cur.fetchone()[0]
    cur.execute("SELECT count(*) FROM posts WHERE search_vector IS NULL")
    posts_without = cur.fetchone()[0]
    cur.execute("SELECT count(*) FROM comments WHERE search_vector IS NULL")
    comments_without = cur.fetchone()[0]
    cur.execute(
        "SELECT count(*) FROM posts WHERE id IN (SELECT post_id FROM post_tags)"
        " AND NOT search_vector @@ to_tsquery('simple', 'topic | section')"
    )
    posts_without_terms = cur.fetchone()[0]
    # The vectors the load wrote against those the real triggers write: fire them on a sample
    # (setting the column makes them write it again) and roll back.
    cur.execute("BEGIN")
    cur.execute(
        """CREATE TEMPORARY TABLE loaded AS
        SELECT 'p' AS kind, id, search_vector FROM posts WHERE id % 97 = 5
        UNION ALL SELECT 'c', id, search_vector FROM comments WHERE id % 4999 = 7"""
    )
    cur.execute("UPDATE posts SET search_vector = NULL WHERE id % 97 = 5")
    cur.execute("UPDATE comments SET search_vector = NULL WHERE id % 4999 = 7")
    cur.execute(
        """SELECT count(*) FROM loaded l
        LEFT JOIN posts p ON l.kind = 'p' AND p.id = l.id
        LEFT JOIN comments c ON l.kind = 'c' AND c.id = l.id
        WHERE l.search_vector IS DISTINCT FROM coalesce(p.search_vector, c.search_vector)"""
    )
    vectors_unlike_triggers = cur.fetchone()[0]
    cur.execute("ROLLBACK")
    result = {
        "vectors unlike the triggers' (sample)": vectors_unlike_triggers,
        "posts with wrong counts": wrong_counts,
        "posts without vector": posts_without,
        "comments without vector": comments_without,
        "posts whose vector misses their terms": posts_without_terms,
    }
    if any(result.values()):
        raise RuntimeError(f"the generated site is inconsistent: {result}")
    return result


def _newest_full_month(plan: Plan) -> tuple[int, int]:
    """The month before the current one: a full month of posts on either site (an hour apart,
    720-odd posts; the small site's 1,000 hours reach back 41 days)."""
    first = plan.now.replace(day=1)
    last_month = first - timedelta(days=1)
    return last_month.year, last_month.month


# --- serving ---------------------------------------------------------------------------------


def _count_statement(conn, cursor, statement, parameters, context, executemany) -> None:
    """bench/app.py counts what SQLite runs; on PostgreSQL the statements SQLAlchemy sends are
    counted (the settings read on a raw DBAPI connection, blog/settings.py, is not)."""
    if has_app_context():
        g.bench_queries = g.get("bench_queries", 0) + 1


def create_pg_bench_app() -> Flask:
    """gunicorn's factory: bench/app.py's configuration on DATABASE_URL (as a deployment sets
    it; blog/__init__.py reads it), its hello world and a statement counter."""
    from bench.app import bench_config
    from blog import create_app

    config = bench_config("unused")
    del config["SQLALCHEMY_DATABASE_URI"]  # DATABASE_URL names the database
    config.update(_config_overrides())
    app = create_app(config)
    app.logger.setLevel("WARNING")

    @app.get("/bench/hello")
    def hello():
        return "Hello, World!"

    from sqlalchemy import Engine

    if not event.contains(Engine, "before_cursor_execute", _count_statement):
        event.listen(Engine, "before_cursor_execute", _count_statement)

    @app.after_request
    def report_queries(response):
        response.headers["X-Bench-Queries"] = str(g.get("bench_queries", 0))
        return response

    return app


def _config_overrides() -> dict:
    return json.loads(os.environ.get("BENCH_CONFIG", "{}"))


class PgServer:
    """bench/run.py's Server (2 sync gunicorn workers, free port) on a PostgreSQL database."""

    def __init__(self, url: str, instance: str):
        from bench.run import Server

        self._server = Server.__new__(Server)  # its /proc readers; started here, not by it
        self.url = url
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        gunicorn = Path(sys.executable).with_name("gunicorn")
        env = dict(os.environ, DATABASE_URL=url, BLOG_INSTANCE_PATH=instance)
        env.pop("BENCH_DATABASE", None)
        self.process = subprocess.Popen(
            [
                str(gunicorn),
                "--workers=2",
                "--worker-class=sync",
                f"--bind=127.0.0.1:{self.port}",
                "--log-level=warning",
                "--backlog=2048",
                "bench.bigsite:create_pg_bench_app()",
            ],
            cwd=ROOT,
            env=env,
        )
        self._server.process = self.process
        deadline = time.monotonic() + 60
        while True:
            try:
                # The first request of a worker prepares the static files: give it time.
                urllib.request.urlopen(self.base + "/bench/hello", timeout=20).read()
                break
            except OSError:  # refused, reset or timed out while the workers start
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.process.kill()
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        while len(self.workers()) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        self.database = make_url(url).database

    def workers(self) -> list[int]:
        return self._server.workers()

    def rss_kib(self) -> dict[int, int]:
        return self._server.rss_kib()

    def cpu_seconds(self) -> float:
        return self._server.cpu_seconds()

    def pg_cpu_seconds(self) -> float:
        """CPU of the PostgreSQL backends serving this site's database (their process title
        names it): the database's share of a request, which the workers' CPU leaves out."""
        ticks = 0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                title = (entry / "cmdline").read_bytes().decode(errors="replace")
                if not title.startswith("postgres:") or f" {self.database} " not in title:
                    continue
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # ended meanwhile
            ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self._server.stop()


# --- the rows --------------------------------------------------------------------------------


class Site:
    """One generated database and what the bench knows about it."""

    def __init__(self, label: str, url: str, info: dict, drop=None):
        self.label, self.url, self.info, self.drop = label, url, info, drop
        self.server: PgServer | None = None


def row_paths(site_info: dict) -> list[tuple[str, str]]:
    """(row, path) of every GET row on one site. The deep home page is page 5,000 of the big
    site (100,000 posts, 10 a page) and the same depth, the middle, of a smaller one."""
    slugs = site_info["slugs"]
    year, month = site_info["archive"]
    middle = max(1, site_info["posts"] // 20)
    top_level = sum(1 for n in range(BIG_THREAD) if n % 5 != 4)
    last = -(-top_level // COMMENTS_PER_PAGE)
    return [
        ("home, page 1", "/"),
        (f"home, deep page ({middle})", f"/?page={middle}"),
        ("tag page", f"/tag/{slugs['tag']}/"),
        ("month archive", f"/archive/{year}/{month}"),
        ("article-5000, first page", f"/posts/{slugs['article-5000']}"),
        ("article-5000, last page", f"/posts/{slugs['article-5000']}?cpage={last}"),
        ("feed", "/feed.xml"),
        ("admin comments, pending", "/admin/comments?status=pending"),
        ("admin comments, search", f"/admin/comments?q={SEARCH_WORD}"),
    ]


def row_key(name: str) -> str:
    return re.sub(r" \(\d+\)", "", name)  # "home, deep page (5000)" and "(50)" are one row


def admin_cookie(base: str) -> str:
    """Sign in through the login form (its CSRF token, as a browser): the session cookie."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(base + "/admin/login", timeout=30).read().decode()
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)
    data = urllib.parse.urlencode(
        {"username": ADMIN[0], "password": ADMIN[1], "csrf_token": token}
    ).encode()
    opener.open(urllib.request.Request(base + "/admin/login", data=data), timeout=30).read()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    check = urllib.request.Request(base + "/admin/comments", headers={"Cookie": cookie})
    if urllib.request.urlopen(check, timeout=30).status != 200:
        raise RuntimeError("could not sign in as the bench admin")
    return cookie


def post_row(base: str, slug: str) -> tuple[str, str, dict, callable]:
    """bench/run.py's comment POST (htmx, each comment new): the form from the page, the
    Lua script and headers for wrk, and a probe body."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(f"{base}/posts/{slug}", timeout=30).read().decode()
    stamp = re.search(r'name="stamp" value="([^"]+)"', html).group(1)
    fields = {
        "author": site.COMMENTER[0],
        "email": site.COMMENTER[1],
        "url": "",
        "parent": "",
        "homepage": "",
        "stamp": stamp,
    }
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if token:  # pages that still carry a per-reader token
        fields["csrf_token"] = token.group(1)
    form = urllib.parse.urlencode(fields)
    headers = {
        "HX-Request": "true",
        "Content-Type": "application/x-www-form-urlencoded",
        "Referer": f"{base}/posts/{slug}",
        "Origin": base,
        "Sec-Fetch-Site": "same-origin",
    }
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    if cookie:
        headers["Cookie"] = cookie
    text_value = urllib.parse.quote_plus(site.COMMENT_TEXT.strip())
    path = f"/posts/{slug}/comments"
    lua = (
        POST_LUA.replace("FORM", lua_string(form))
        .replace("TEXT", lua_string(text_value))
        .replace("PATH", lua_string(path))
        .replace("HEADERS", "nil")
    )
    # A new text each time: the same one again would be refused as a duplicate (409).
    return path, lua, headers, lambda: f"{form}&comment={text_value}+{uuid.uuid4().hex}".encode()


def probe(base: str, path: str, headers: dict, data=None) -> tuple[int, int, str]:
    """One request outside the load (``data``: a function making a POST's body)."""
    request = urllib.request.Request(base + path, data=data and data(), headers=headers)
    try:
        # Not following redirects, as wrk does not: a row that answers 3xx fails here.
        response = NOT_FOLLOWING.open(request, timeout=60)
        status, body, answer = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        status, body, answer = error.code, error.read(), error.headers
    if status != 200:
        raise RuntimeError(f"{base}{path} answered {status}: {body[:300]!r}")
    return status, len(body), answer.get("X-Bench-Queries", "?")


def outbox_drained(url: str, timeout: float = 120) -> None:
    """bench/run.py's wait for the mail the POST row queued, on PostgreSQL."""
    import psycopg

    deadline = time.monotonic() + timeout
    with psycopg.connect(psycopg_url(url), autocommit=True) as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(
                "SELECT count(*) FROM outbox WHERE status IN ('queued', 'sending')"
            ).fetchone()[0]
            if not waiting:
                return
            time.sleep(0.2)
    raise RuntimeError("the mail outbox did not drain")


class Load:
    """One row on one site: how wrk loads it, and what each run measured."""

    def __init__(self, name, path, headers=None, script="", data=None, settle=None):
        self.name, self.path, self.headers, self.script = name, path, headers or {}, script
        self.data, self.settle = data, settle or (lambda: None)
        self.runs: list[dict] = []
        self.bytes, self.queries = 0, "?"


def site_loads(s: Site) -> list[Load]:
    base = s.server.base
    cookie = admin_cookie(base)
    loads = []
    for name, path in row_paths(s.info):
        headers = {"Cookie": cookie} if path.startswith("/admin/") else {}
        loads.append(Load(name, path, headers))
    path, lua, headers, data = post_row(base, s.info["slugs"]["article-post"])
    loads.append(
        Load("comment POST (htmx)", path, headers, lua, data, lambda: outbox_drained(s.url))
    )
    return loads


def load_once(server: PgServer, row: Load, seconds: float) -> dict:
    cpu, pg = server.cpu_seconds(), server.pg_cpu_seconds()
    result = wrk(server.base + row.path, seconds, row.script, row.headers)
    row.settle()
    requests = max(1, result["requests"])
    result["cpu_ms"] = (server.cpu_seconds() - cpu) * 1000 / requests
    result["pg_cpu_ms"] = (server.pg_cpu_seconds() - pg) * 1000 / requests
    return result


# --- in process: uncached pages, their SQL, and its plans -----------------------------------

BIG_TABLES = ("posts", "comments", "post_tags")


def in_process_app(url: str, instance: str) -> Flask:
    """The bench configuration without the page cache (NullCache): every request renders, as
    a cache miss does; CSRF off (the test client signs in without a token)."""
    from bench.app import bench_config
    from blog import create_app

    config = bench_config("unused")
    config.update(
        SQLALCHEMY_DATABASE_URI=url,
        CACHE_TYPE="NullCache",
        WTF_CSRF_ENABLED=False,
        BLOG_INSTANCE_PATH=instance,
        MAIL_SENDER_GATHER_SECONDS=0,
        MAIL_SENDER_LINGER_SECONDS=0,
    )
    app = create_app(config)
    app.logger.setLevel("WARNING")
    return app


def uncached_and_statements(s: Site, instance: str, repeat: int) -> dict[str, dict]:
    """Per row: the median time of an uncached request in process (ms) and the statements
    (with their parameters) one request sends."""
    from blog.extensions import db

    app = in_process_app(s.url, instance)
    captured: list[tuple[str, object]] = []
    capturing = [False]

    def capture(conn, cursor, statement, parameters, context, executemany):
        if capturing[0] and not executemany:
            captured.append((statement, parameters))

    client = app.test_client()
    answer = client.post("/admin/login", data={"username": ADMIN[0], "password": ADMIN[1]})
    if answer.status_code != 303:
        raise RuntimeError(f"in-process sign-in answered {answer.status_code}")
    reader = app.test_client()
    found = {}
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", capture)
    slug = s.info["slugs"]["article-post"]
    counter = [0]

    def post_comment():
        html = reader.get(f"/posts/{slug}").get_data(as_text=True)
        stamp = re.search(r'name="stamp" value="([^"]+)"', html).group(1)
        counter[0] += 1
        return reader.post(
            f"/posts/{slug}/comments",
            data={
                "comment": f"{site.COMMENT_TEXT} in process {uuid.uuid4().hex[:6]}",
                "author": site.COMMENTER[0],
                "email": site.COMMENTER[1],
                "stamp": stamp,
                "parent": "",
                "url": "",
                "homepage": "",
            },
            headers={"HX-Request": "true", "Sec-Fetch-Site": "same-origin"},
        )

    requests = [
        (name, lambda p=path, n=name: (client if "admin" in n else reader).get(p))
        for name, path in row_paths(s.info)
    ]
    requests.append(("comment POST (htmx)", post_comment))
    for name, send in requests:
        send()  # warm: templates compiled, connections open
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            response = send()
            times.append((time.perf_counter() - start) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{name} answered {response.status_code} in process")
        captured.clear()
        capturing[0] = True
        send()
        capturing[0] = False
        found[row_key(name)] = {"uncached_ms": statistics.median(times), "sql": list(captured)}
    with app.app_context():
        event.remove(db.engine, "before_cursor_execute", capture)
        db.engine.dispose()
    return found


def explain(url: str, statements: list[tuple[str, object]]) -> list[dict]:
    """EXPLAIN (ANALYZE, BUFFERS) of each statement with the parameters it was sent with, in a
    transaction rolled back (a POST's writes are run by ANALYZE, then undone)."""
    import psycopg

    plans = []
    seen = set()
    with psycopg.connect(psycopg_url(url)) as conn:
        for statement, parameters in statements:
            key = (statement, repr(parameters))
            if key in seen or not statement.lstrip().upper().startswith(
                ("SELECT", "WITH", "INSERT", "UPDATE", "DELETE")
            ):
                continue
            seen.add(key)
            try:
                rows = conn.execute(
                    "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters or None
                ).fetchall()
                plan = "\n".join(row[0] for row in rows)
            except psycopg.Error as error:
                plan = f"(not explained: {error})"
            conn.rollback()
            total = re.search(r"Execution Time: ([\d.]+) ms", plan)
            scans = sorted({t for t in re.findall(r"Seq Scan on (\w+)", plan) if t in BIG_TABLES})
            plans.append(
                {
                    "statement": " ".join(statement.split()),
                    "ms": float(total.group(1)) if total else None,
                    "seq_scans": scans,
                    "plan": plan,
                }
            )
    return plans


# --- the run ---------------------------------------------------------------------------------


def prepare_site(
    label: str, base: str, posts: int, comments: int, instance: str, keep: str | None = None
) -> Site:
    """A generated site: a throwaway database, or ``keep`` (made and filled when empty)."""
    import psycopg

    drop = None
    if keep:
        url = sqlalchemy_url(keep)
        name = make_url(url).database
        with psycopg.connect(psycopg_url(base), autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    else:
        url, drop = create_database(base, label)
    started = time.perf_counter()
    migrate(url, instance)
    migrated = time.perf_counter() - started
    with psycopg.connect(psycopg_url(url)) as conn:
        existing = conn.execute("SELECT count(*) FROM posts").fetchone()[0]
    if existing:  # a kept database, filled by an earlier run: what it holds, as built
        plan = Plan(existing, comments)
        with psycopg.connect(psycopg_url(url)) as conn:
            comments = conn.execute("SELECT count(*) FROM comments").fetchone()[0]
            if not conn.execute(
                "SELECT 1 FROM authors WHERE username = %s", (ADMIN[0],)
            ).fetchone():
                raise RuntimeError(f"{keep} holds posts but was not made by bench.bigsite")
        info = {
            "posts": existing,
            "comments": comments,
            "timings": {"kept": 0.0},
            "check": {},
            "slugs": {**{slug: slug for slug in plan.articles}, "tag": plan.many_tag},
            "archive": _newest_full_month(plan),
        }
    else:
        info = build(url, posts, comments)
    info["timings"] = {"migrations": migrated, **info["timings"]}
    return Site(label, url, info, drop)


def rss_phase(server: PgServer, paths: list[str], headers: dict) -> dict:
    """bench/run.py's memory phase: worker RSS before and after 10,000 requests, round-robin
    over the rows' pages (the admin's with its cookie)."""
    before = server.rss_kib()
    script = RSS_LUA.replace("{PATHS}", "{" + ", ".join(lua_string(p) for p in paths) + "}")
    served = 0
    while served < RSS_REQUESTS:
        served += wrk(server.base + paths[0], 2, script, headers)["requests"]
    after = server.rss_kib()
    return {
        "requests": served,
        "workers": [
            {"pid": pid, "before_kib": before[pid], "after_kib": after.get(pid)}
            for pid in sorted(before)
        ],
    }


def measure_large_site(args) -> dict:
    """The large-site table: every row on the big site and on the small one, in one run.

    ``args``: posts, comments, small_posts, small_comments, rounds, seconds, warmup, repeat,
    keep (a URL or None), base (the server's URL), explain (bool). Returns the rows (with
    ratios), the build timings, the EXPLAIN findings and the memory phase."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is missing: `apt-get install wrk`")
    base = args.base
    result: dict = {"machine": {"cpus": os.cpu_count()}}
    with tempfile.TemporaryDirectory() as tmp:
        sites = []
        try:
            for label, posts, comments, keep in (
                ("small", args.small_posts, args.small_comments, None),
                ("big", args.posts, args.comments, args.keep),
            ):
                print(
                    f"building the {label} site ({posts} posts, {comments} comments)",
                    file=sys.stderr,
                )
                instance = str(Path(tmp, f"instance-{label}"))
                sites.append(prepare_site(label, base, posts, comments, instance, keep))
            big = sites[1]
            result["build"] = {
                s.label: {k: v for k, v in s.info.items() if k != "slugs"} for s in sites
            }
            # In process first (uncached pages, their statements and plans): before the load's
            # POST rows add comments, so both sites are as built.
            inproc = {}
            for s in sites:
                print(f"uncached pages in process: {s.label}", file=sys.stderr)
                inproc[s.label] = uncached_and_statements(
                    s, str(Path(tmp, f"instance-{s.label}")), args.repeat
                )
            if args.explain:
                result["explain"] = {
                    name: explain(big.url, found["sql"]) for name, found in inproc["big"].items()
                }
            for s in sites:
                s.server = PgServer(s.url, str(Path(tmp, f"instance-{s.label}")))
            loads = {s.label: site_loads(s) for s in sites}
            for s in sites:
                for row in loads[s.label]:
                    _, row.bytes, _ = probe(s.server.base, row.path, row.headers, row.data)
                for row in loads[s.label]:  # warm-up: every worker renders every page
                    load_once(s.server, row, args.warmup)
                for row in loads[s.label]:
                    if not row.script:  # statements of a warm request (the cache's one read)
                        row.queries = min(
                            int(probe(s.server.base, row.path, row.headers)[2]) for _ in range(4)
                        )
                    else:
                        row.queries = probe(s.server.base, row.path, row.headers, row.data)[2]
            for number in range(args.rounds):
                print(f"round {number + 1}/{args.rounds}", file=sys.stderr)
                for position in range(len(loads["big"])):
                    for s in sites:  # the same row on both sites, back to back
                        row = loads[s.label][position]
                        run = load_once(s.server, row, args.seconds)
                        if run["non2xx"]:
                            raise RuntimeError(f"{s.label} {row.name}: {run}")
                        # Timeouts (wrk gives up on a request after 2 s) are counted and shown.
                        row.runs.append(run)
            if not args.no_rss:
                gets = [row for row in loads["big"] if not row.script]
                print("memory phase (big site)", file=sys.stderr)
                result["rss"] = rss_phase(
                    big.server,
                    [row.path for row in gets if not row.path.startswith("/admin/")],
                    {},
                )
            result["rows"] = table(loads, inproc)
        finally:
            for s in sites:
                if s.server:
                    s.server.stop()
                if s.drop:
                    s.drop()
    result["wrk"] = f"-t2 -c16 -d{args.seconds}s, {args.rounds} interleaved rounds"
    return result


def table(loads: dict[str, list[Load]], inproc: dict[str, dict]) -> list[dict]:
    rows = []
    for small_row, big_row in zip(loads["small"], loads["big"], strict=True):
        key = row_key(big_row.name)
        entry = {"row": key, "path_big": big_row.path, "path_small": small_row.path}
        for label, row in (("small", small_row), ("big", big_row)):
            entry[label] = {
                "req_per_s": round(statistics.median(r["rps"] for r in row.runs), 1),
                "cpu_ms": round(statistics.median(r["cpu_ms"] for r in row.runs), 3),
                "pg_cpu_ms": round(statistics.median(r["pg_cpu_ms"] for r in row.runs), 3),
                "p99_ms": round(statistics.median(r["p99"] for r in row.runs) / 1000, 2),
                "bytes": row.bytes,
                "sql": row.queries,
                "uncached_ms": round(inproc[label][key]["uncached_ms"], 2),
                "uncached_sql": len(inproc[label][key]["sql"]),
                "timeouts": sum(r["errors"] for r in row.runs),
            }
        s, b = entry["small"], entry["big"]
        entry["cost_ratio"] = round(s["req_per_s"] / max(0.1, b["req_per_s"]), 3)
        entry["cpu_ratio"] = round(
            (b["cpu_ms"] + b["pg_cpu_ms"]) / max(1e-9, s["cpu_ms"] + s["pg_cpu_ms"]), 3
        )
        entry["uncached_ratio"] = round(b["uncached_ms"] / max(0.001, s["uncached_ms"]), 3)
        rows.append(entry)
    return rows


def print_report(result: dict) -> None:
    for label, info in result["build"].items():
        timings = ", ".join(f"{k} {v:.1f} s" for k, v in info["timings"].items())
        print(f"{label} site: {info['posts']} posts, {info['comments']} comments; {timings}")
        if info.get("check"):
            print(f"  checks: {info['check']}")
    print(f"\n{result['wrk']}; gunicorn 2 sync workers each; {result['machine']['cpus']} CPUs")
    header = (
        f"{'row':<26}{'req/s S':>9}{'req/s B':>9}{'cost B/S':>9}"
        f"{'CPU S':>7}{'CPU B':>7}{'PG S':>6}{'PG B':>6}{'CPU B/S':>8}"
        f"{'unc S':>7}{'unc B':>7}{'unc B/S':>8}{'SQL':>5}{'unc SQL':>8}"
    )
    print(header)
    print("-" * len(header))
    for row in result["rows"]:
        s, b = row["small"], row["big"]
        print(
            f"{row['row']:<26}{s['req_per_s']:>9.0f}{b['req_per_s']:>9.0f}"
            f"{row['cost_ratio']:>9.2f}{s['cpu_ms']:>7.2f}{b['cpu_ms']:>7.2f}"
            f"{s['pg_cpu_ms']:>6.2f}{b['pg_cpu_ms']:>6.2f}{row['cpu_ratio']:>8.2f}"
            f"{s['uncached_ms']:>7.1f}{b['uncached_ms']:>7.1f}{row['uncached_ratio']:>8.2f}"
            f"{b['sql']!s:>5}{b['uncached_sql']:>8}"
        )
    print(
        "S: small site, B: big site. cost B/S: small req/s over big req/s (1.0 = as cheap).\n"
        "CPU: gunicorn workers' CPU ms per request; PG: the PostgreSQL backends' CPU ms per\n"
        "request; CPU B/S: (CPU + PG) big over small. unc: one request in process with the page\n"
        "cache off (NullCache), median ms, what a cache miss costs. SQL: statements per warm\n"
        "request (SQLAlchemy's; the raw settings read not counted); unc SQL: per uncached request."
    )
    for row in result["rows"]:
        if row["small"]["timeouts"] or row["big"]["timeouts"]:
            print(
                f"{row['row']}: requests timed out (wrk, 2 s): small "
                f"{row['small']['timeouts']}, big {row['big']['timeouts']}"
            )
    misses = [r["row"] for r in result["rows"] if max(r["cost_ratio"], r["cpu_ratio"]) > 1.5]
    print(
        f"\nTarget (each row <= 1.5x the small site, req/s and CPU): "
        f"{'met' if not misses else 'MISSED: ' + ', '.join(misses)}"
    )
    uncached = [r["row"] for r in result["rows"] if r["uncached_ratio"] > 1.5]
    print(
        "Uncached (cache miss) <= 1.5x: "
        f"{'met' if not uncached else 'over on ' + ', '.join(uncached)}"
    )
    if result.get("explain"):
        print("\nEXPLAIN (ANALYZE, BUFFERS) on the big site, statements of one uncached request:")
        for name, plans in result["explain"].items():
            slow = [p for p in plans if p["seq_scans"] or (p["ms"] or 0) > 5]
            total = sum(p["ms"] or 0 for p in plans)
            print(
                f"  {name}: {len(plans)} statements, {total:.1f} ms in all"
                f"{'' if slow else '; no Seq Scan on a big table, none over 5 ms'}"
            )
            for p in slow:
                scans = f"Seq Scan on {', '.join(p['seq_scans'])}" if p["seq_scans"] else ""
                print(f"    {p['ms']} ms {scans}: {p['statement'][:150]}")
    if result.get("rss"):
        print(f"\nWorker RSS over {result['rss']['requests']} requests on the big site:")
        for worker in result["rss"]["workers"]:
            growth = (worker["after_kib"] - worker["before_kib"]) / worker["before_kib"] * 100
            print(
                f"  pid {worker['pid']}: {worker['before_kib']} KiB -> "
                f"{worker['after_kib']} KiB ({growth:+.1f} %)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--small-posts", type=int, default=1_000)
    parser.add_argument("--small-comments", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5, help="uncached requests per row")
    parser.add_argument(
        "--keep",
        metavar="URL",
        help="the big site's database: made and filled when empty, never dropped",
    )
    parser.add_argument("--base", default=os.environ.get("TEST_DATABASE_URL", DEFAULT_BASE))
    parser.add_argument("--no-explain", dest="explain", action="store_false")
    parser.add_argument("--no-rss", action="store_true")
    parser.add_argument(
        "--build-only",
        action="store_true",
        help="build the big site (with --keep: keep it) and stop",
    )
    parser.add_argument("--json", default="", help="write the results here too")
    args = parser.parse_args()
    if args.build_only:
        with tempfile.TemporaryDirectory() as tmp:
            built = prepare_site("big", args.base, args.posts, args.comments, tmp, args.keep)
            if built.drop:
                built.drop()
        print(json.dumps({k: v for k, v in built.info.items() if k != "slugs"}, indent=2))
        return
    result = measure_large_site(args)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, default=str) + "\n")
    print_report(result)


if __name__ == "__main__":
    main()
