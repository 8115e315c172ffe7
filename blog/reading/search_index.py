"""The search engine behind /search: SQLite FTS5 or PostgreSQL full text, one interface.

``search(query, page, per_page)`` answers the visible posts and pages whose title, text or
tags hold the words, and the approved comments under them that do, best first.

SQLite keeps a full-text table, ``search_fts`` (columns title, body, terms; the row id is the
post's id, or minus the comment's id), in step by triggers on posts, comments, post_tags and tags,
whichever code path writes (the ORM, a Core statement, an import, a restore). Drafts and held
comments are indexed too; who may see what is decided when searching, by joining the posts and
comments, so a change of status needs no index work. A password-protected post's text is never
indexed (found by its title only). PostgreSQL needs no copy: the query builds ``tsvector`` values
from the rows (markup removed with a regular expression) and ranks them with ``ts_rank``.

The reader's query is never handed to either engine as syntax: ``parse`` keeps the words (letters
and digits), ``"phrases"``, ``-excluded`` words and ``OR``, and each engine's query is written
from those words, each one quoted, so ``"``, ``*``, ``NEAR(``, ``^`` or ``:`` cannot fail.

Migration 0014 creates the same table and triggers for existing databases (written out there: a
migration must not change when this module does); tests compare the two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import click
from sqlalchemy import DDL, Index, MetaData, bindparam, event, text

from ..extensions import db
from ..models import Comment, Post, UTCDateTime, now_utc

# ---------------------------------------------------------------------------------------------
# The index (SQLite) and its triggers

SQLITE_TABLE = """CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
    title, body, terms, post_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 2'
)"""

SQLITE_TRIGGERS = (
    """CREATE TRIGGER IF NOT EXISTS search_posts_insert AFTER INSERT ON posts
BEGIN
    INSERT INTO search_fts (rowid, title, body, terms, post_id) VALUES (NEW.id, NEW.title,
        CASE WHEN NEW.password = '' THEN NEW.body_md ELSE '' END, '', NEW.id);
END""",
    """CREATE TRIGGER IF NOT EXISTS search_posts_update
AFTER UPDATE OF title, body_md, password ON posts
BEGIN
    UPDATE search_fts SET title = NEW.title,
        body = CASE WHEN NEW.password = '' THEN NEW.body_md ELSE '' END
        WHERE rowid = NEW.id;
END""",
    """CREATE TRIGGER IF NOT EXISTS search_posts_delete AFTER DELETE ON posts
BEGIN
    DELETE FROM search_fts WHERE rowid = OLD.id;
END""",
    """CREATE TRIGGER IF NOT EXISTS search_comments_insert AFTER INSERT ON comments
BEGIN
    INSERT INTO search_fts (rowid, title, body, terms, post_id)
        VALUES (-NEW.id, '', NEW.body, '', NEW.post_id);
END""",
    """CREATE TRIGGER IF NOT EXISTS search_comments_update AFTER UPDATE OF body, post_id ON comments
BEGIN
    UPDATE search_fts SET body = NEW.body, post_id = NEW.post_id WHERE rowid = -NEW.id;
END""",
    """CREATE TRIGGER IF NOT EXISTS search_comments_delete AFTER DELETE ON comments
BEGIN
    DELETE FROM search_fts WHERE rowid = -OLD.id;
END""",
    """CREATE TRIGGER IF NOT EXISTS search_terms_insert AFTER INSERT ON post_tags
BEGIN
    UPDATE search_fts SET terms = (SELECT coalesce(group_concat(t.name, ' '), '')
        FROM post_tags pt JOIN tags t ON t.id = pt.tag_id WHERE pt.post_id = NEW.post_id)
        WHERE rowid = NEW.post_id;
END""",
    """CREATE TRIGGER IF NOT EXISTS search_terms_delete AFTER DELETE ON post_tags
BEGIN
    UPDATE search_fts SET terms = (SELECT coalesce(group_concat(t.name, ' '), '')
        FROM post_tags pt JOIN tags t ON t.id = pt.tag_id WHERE pt.post_id = OLD.post_id)
        WHERE rowid = OLD.post_id;
END""",
    """CREATE TRIGGER IF NOT EXISTS search_tags_rename AFTER UPDATE OF name ON tags
BEGIN
    UPDATE search_fts SET terms = (SELECT coalesce(group_concat(t.name, ' '), '')
        FROM post_tags pt JOIN tags t ON t.id = pt.tag_id WHERE pt.post_id = search_fts.rowid)
        WHERE rowid IN (SELECT post_id FROM post_tags WHERE tag_id = NEW.id);
END""",
)

# Fills the index from the rows (the rebuild, and migration 0014 for existing posts).
SQLITE_FILL = (
    """INSERT INTO search_fts (rowid, title, body, terms, post_id)
SELECT id, title, CASE WHEN password = '' THEN body_md ELSE '' END,
    (SELECT coalesce(group_concat(t.name, ' '), '')
        FROM post_tags pt JOIN tags t ON t.id = pt.tag_id WHERE pt.post_id = posts.id),
    id
FROM posts""",
    """INSERT INTO search_fts (rowid, title, body, terms, post_id)
SELECT -id, '', body, '', post_id FROM comments""",
)


def attach(metadata: MetaData) -> None:
    """Create the index and its triggers with the tables (``create_all``: tests, ``init-db``).

    After the whole schema: the triggers sit on four tables made in an order of create_all's
    choosing. "IF NOT EXISTS" (which SQLite leaves out of the stored schema) lets create_all run
    on a database that has them."""
    for statement in (SQLITE_TABLE, *SQLITE_TRIGGERS):
        event.listen(metadata, "after_create", DDL(statement).execute_if(dialect="sqlite"))
    event.listen(
        metadata, "before_drop", DDL("DROP TABLE IF EXISTS search_fts").execute_if(dialect="sqlite")
    )


def rebuild_index() -> int:
    """Index every post and comment again (``flask search-index --rebuild``); how many rows.

    PostgreSQL has no copy to rebuild: the rows are searched as they are."""
    if db.engine.dialect.name != "sqlite":
        return 0
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM search_fts"))
        for statement in SQLITE_FILL:
            conn.execute(text(statement))
        conn.execute(text("INSERT INTO search_fts (search_fts) VALUES ('optimize')"))
        return conn.execute(text("SELECT count(*) FROM search_fts")).scalar_one()


@click.command("search-index")
@click.option("--rebuild", is_flag=True, help="Index every post, page, tag and comment again.")
def search_index_command(rebuild: bool) -> None:
    """The search index: --rebuild fills it anew from the posts and comments (SQLite; after
    restoring a database copied without it, or to compact it). PostgreSQL searches the rows
    themselves and has nothing to rebuild."""
    if not rebuild:
        raise click.UsageError("Say what to do: --rebuild.")
    if db.engine.dialect.name != "sqlite":
        click.echo("PostgreSQL searches the posts and comments themselves: nothing to rebuild.")
        return
    with db.engine.begin() as conn:
        conn.execute(text(SQLITE_TABLE))
        for statement in SQLITE_TRIGGERS:
            conn.execute(text(statement))
    click.echo(f"Indexed {rebuild_index()} posts, pages and comments.")


# ---------------------------------------------------------------------------------------------
# The reader's query

MAX_QUERY = 200
MAX_TERMS = 8
_WORD = re.compile(r"[^\W_]+")
_PART = re.compile(r'(-?)"([^"]*)"?|(\S+)')


@dataclass
class Term:
    """Words that must follow each other (one word: a word, matched as a prefix)."""

    words: tuple[str, ...]
    phrase: bool = False


@dataclass
class Query:
    # Every group must match; a group matches when one of its terms does ("a OR b").
    groups: list[list[Term]] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)

    @property
    def words(self) -> list[str]:
        """Words to highlight."""
        return [word for group in self.groups for term in group for word in term.words]

    def __bool__(self) -> bool:
        return bool(self.groups)


def parse(raw: str) -> Query:
    """Words, "phrases", -excluded and OR, from whatever was typed; everything else is ignored."""
    query = Query()
    join_next = False
    count = 0
    for match in _PART.finditer(raw[:MAX_QUERY]):
        negated, quoted, bare = match.groups()
        if bare == "OR":
            join_next = bool(query.groups)
            continue
        if bare is not None and bare.startswith("-") and len(bare) > 1:
            negated, bare = "-", bare[1:]
        source = quoted if quoted is not None else bare
        words = tuple(word.lower() for word in _WORD.findall(source))
        if not words or count >= MAX_TERMS:
            join_next = False
            continue
        count += 1
        term = Term(words, phrase=quoted is not None or len(words) > 1)
        if negated:
            query.excluded.append(term)
        elif join_next:
            query.groups[-1].append(term)
        else:
            query.groups.append([term])
        join_next = False
    return query


# Shorter words match whole words only: a prefix of one or two letters matches most of the index.
MIN_PREFIX = 3


def _fts5_term(term: Term) -> str:
    # Only letters and digits reach here; quoted anyway, so no word is ever an operator.
    if term.phrase or len(term.words[0]) < MIN_PREFIX:
        return '"' + " ".join(term.words) + '"'
    return f'"{term.words[0]}"*'


def fts5_query(query: Query) -> str:
    groups = ["(" + " OR ".join(_fts5_term(term) for term in group) + ")" for group in query.groups]
    expression = " AND ".join(groups)
    for term in query.excluded:
        expression = f"({expression}) NOT {_fts5_term(term)}"
    return expression


def _ts_term(term: Term) -> str:
    if not term.phrase and len(term.words[0]) < MIN_PREFIX:
        return f"'{term.words[0]}'"
    if term.phrase:
        return "(" + " <-> ".join(f"'{word}'" for word in term.words) + ")"
    return f"'{term.words[0]}':*"


def tsquery(query: Query) -> str:
    groups = ["(" + " | ".join(_ts_term(term) for term in group) + ")" for group in query.groups]
    return " & ".join(groups + [f"!{_ts_term(term)}" for term in query.excluded])


# ---------------------------------------------------------------------------------------------
# Searching

# Visible posts and pages (queries.visible_condition), and approved comments on those that have
# no password. The SQL is written out whole: nothing in it comes from a request but bound values.
_SQLITE_COUNT = """SELECT count(*)
FROM search_fts JOIN posts p ON p.id = search_fts.post_id
LEFT JOIN comments c ON search_fts.rowid < 0 AND c.id = -search_fts.rowid
WHERE search_fts MATCH :match
    AND p.status IN ('published', 'scheduled') AND p.published_at IS NOT NULL
    AND p.published_at <= :now AND p.kind IN ('post', 'page')
    AND (search_fts.rowid > 0 OR (c.status = 'approved' AND p.password = ''))"""

_SQLITE_PAGE = """SELECT p.id AS post_id,
    CASE WHEN search_fts.rowid < 0 THEN -search_fts.rowid END AS comment_id
FROM search_fts JOIN posts p ON p.id = search_fts.post_id
LEFT JOIN comments c ON search_fts.rowid < 0 AND c.id = -search_fts.rowid
WHERE search_fts MATCH :match
    AND p.status IN ('published', 'scheduled') AND p.published_at IS NOT NULL
    AND p.published_at <= :now AND p.kind IN ('post', 'page')
    AND (search_fts.rowid > 0 OR (c.status = 'approved' AND p.password = ''))
ORDER BY bm25(search_fts, 10.0, 1.0, 4.0), p.published_at DESC, search_fts.rowid DESC
LIMIT :limit OFFSET :offset"""

_PG_COUNT = """WITH q AS (SELECT to_tsquery('simple', :match) AS query),
docs AS (
    SELECT p.id AS post_id, NULL::integer AS comment_id, p.published_at,
        setweight(to_tsvector('simple'::regconfig, p.title), 'A')
        || setweight(to_tsvector('simple'::regconfig, CASE WHEN p.password = ''
            THEN regexp_replace(p.body_md, '<[^>]*>', ' ', 'g') ELSE '' END), 'D')
        || setweight(to_tsvector('simple'::regconfig, coalesce((SELECT string_agg(t.name, ' ')
            FROM post_tags pt JOIN tags t ON t.id = pt.tag_id WHERE pt.post_id = p.id), '')), 'B')
        AS document
    FROM posts p
    -- Candidates through the GIN index (ix_posts_search): any of the words in the title or
    -- text, or in a tag; the whole query is checked against title, text and tags below.
    WHERE p.id IN (
        SELECT id FROM posts WHERE setweight(to_tsvector('simple'::regconfig, title), 'A')
            || setweight(to_tsvector('simple'::regconfig, CASE WHEN password = ''
                THEN regexp_replace(body_md, '<[^>]*>', ' ', 'g') ELSE '' END), 'D')
            @@ to_tsquery('simple', :any)
        UNION
        SELECT pt.post_id FROM post_tags pt JOIN tags t ON t.id = pt.tag_id
            WHERE to_tsvector('simple'::regconfig, t.name) @@ to_tsquery('simple', :any)
    )
        AND p.status IN ('published', 'scheduled') AND p.published_at IS NOT NULL
        AND p.published_at <= :now AND p.kind IN ('post', 'page')
    UNION ALL
    SELECT p.id, c.id, c.created_at,
        to_tsvector('simple'::regconfig, regexp_replace(c.body, '<[^>]*>', ' ', 'g'))
    FROM comments c JOIN posts p ON p.id = c.post_id
    WHERE to_tsvector('simple'::regconfig, regexp_replace(c.body, '<[^>]*>', ' ', 'g'))
        @@ to_tsquery('simple', :match)
        AND c.status = 'approved' AND p.password = ''
        AND p.status IN ('published', 'scheduled') AND p.published_at IS NOT NULL
        AND p.published_at <= :now AND p.kind IN ('post', 'page')
)
SELECT count(*) FROM docs, q WHERE docs.document @@ q.query"""

_PG_PAGE = """WITH q AS (SELECT to_tsquery('simple', :match) AS query),
docs AS (
    SELECT p.id AS post_id, NULL::integer AS comment_id, p.published_at,
        setweight(to_tsvector('simple'::regconfig, p.title), 'A')
        || setweight(to_tsvector('simple'::regconfig, CASE WHEN p.password = ''
            THEN regexp_replace(p.body_md, '<[^>]*>', ' ', 'g') ELSE '' END), 'D')
        || setweight(to_tsvector('simple'::regconfig, coalesce((SELECT string_agg(t.name, ' ')
            FROM post_tags pt JOIN tags t ON t.id = pt.tag_id WHERE pt.post_id = p.id), '')), 'B')
        AS document
    FROM posts p
    -- Candidates through the GIN index (ix_posts_search): any of the words in the title or
    -- text, or in a tag; the whole query is checked against title, text and tags below.
    WHERE (setweight(to_tsvector('simple'::regconfig, p.title), 'A')
        || setweight(to_tsvector('simple'::regconfig, CASE WHEN p.password = ''
            THEN regexp_replace(p.body_md, '<[^>]*>', ' ', 'g') ELSE '' END), 'D')
        @@ to_tsquery('simple', :any)
        OR p.id IN (SELECT pt.post_id FROM post_tags pt JOIN tags t ON t.id = pt.tag_id
            WHERE to_tsvector('simple'::regconfig, t.name) @@ to_tsquery('simple', :any)))
        AND p.status IN ('published', 'scheduled') AND p.published_at IS NOT NULL
        AND p.published_at <= :now AND p.kind IN ('post', 'page')
    UNION ALL
    SELECT p.id, c.id, c.created_at,
        to_tsvector('simple'::regconfig, regexp_replace(c.body, '<[^>]*>', ' ', 'g'))
    FROM comments c JOIN posts p ON p.id = c.post_id
    WHERE to_tsvector('simple'::regconfig, regexp_replace(c.body, '<[^>]*>', ' ', 'g'))
        @@ to_tsquery('simple', :match)
        AND c.status = 'approved' AND p.password = ''
        AND p.status IN ('published', 'scheduled') AND p.published_at IS NOT NULL
        AND p.published_at <= :now AND p.kind IN ('post', 'page')
)
SELECT docs.post_id, docs.comment_id, count(*) OVER () AS total
FROM docs, q WHERE docs.document @@ q.query
ORDER BY ts_rank(docs.document, q.query) DESC, docs.published_at DESC, docs.comment_id DESC
LIMIT :limit OFFSET :offset"""

# The indexes the searches above use: the same expressions, so the planner can match them.
POSTGRESQL_INDEXES = (
    """CREATE INDEX IF NOT EXISTS ix_posts_search ON posts USING gin ((
    setweight(to_tsvector('simple'::regconfig, title), 'A')
    || setweight(to_tsvector('simple'::regconfig, CASE WHEN password = ''
        THEN regexp_replace(body_md, '<[^>]*>', ' ', 'g') ELSE '' END), 'D')
))""",
    """CREATE INDEX IF NOT EXISTS ix_comments_search ON comments USING gin ((
    to_tsvector('simple'::regconfig, regexp_replace(body, '<[^>]*>', ' ', 'g'))
))""",
)


@dataclass
class Hit:
    post: Post
    comment: Comment | None


def _statement(sql: str):
    return text(sql).bindparams(bindparam("now", type_=UTCDateTime()))


def count_and_page(query: Query, limit: int, offset: int) -> tuple[int, list[Hit]]:
    """How many results in all, and ``limit`` of them from ``offset``, best first."""
    if not query:
        return 0, []
    sqlite = db.engine.dialect.name == "sqlite"
    params = {"now": now_utc(), "limit": limit, "offset": offset}
    if sqlite:
        params["match"] = fts5_query(query)
        count_sql, page_sql = _SQLITE_COUNT, _SQLITE_PAGE
    else:
        params["match"] = tsquery(query)
        params["any"] = " | ".join(_ts_term(term) for group in query.groups for term in group)
        count_sql, page_sql = _PG_COUNT, _PG_PAGE
    # PostgreSQL finds the page and the number of results in one pass (bm25 cannot be used in
    # a window query: SQLite counts apart); only a page past the end counts again.
    rows = db.session.execute(_statement(page_sql), params).all()
    if sqlite:
        total = db.session.execute(_statement(count_sql), params).scalar_one()
    elif rows:
        total = rows[0].total
    elif offset:
        total = db.session.execute(_statement(count_sql), params).scalar_one()
    else:
        total = 0
    posts = {
        post.id: post
        for post in db.session.scalars(
            db.select(Post).where(Post.id.in_({row.post_id for row in rows}))
        )
    }
    wanted = {row.comment_id for row in rows if row.comment_id is not None}
    comments = (
        {c.id: c for c in db.session.scalars(db.select(Comment).where(Comment.id.in_(wanted)))}
        if wanted
        else {}
    )
    hits = [
        Hit(posts[row.post_id], comments.get(row.comment_id) if row.comment_id else None)
        for row in rows
        if row.post_id in posts
    ]
    return total, hits


# ---------------------------------------------------------------------------------------------
# Excerpts: plain text cut around the first match, the matches marked. The template escapes
# every piece and adds the <mark> itself; nothing here is HTML.

EXCERPT_CHARS = 240


def highlight(text: str, words: list[str], limit: int = EXCERPT_CHARS) -> list[tuple[str, bool]]:
    """``text`` (around the first match when it is long) as (piece, is_match) pairs."""
    text = " ".join(text.split())
    if not words:
        return [(text[:limit], False)] if text else []
    # A word matches at the start of a word (the engines match prefixes).
    pattern = re.compile(
        r"(?<![^\W_])(?:" + "|".join(re.escape(w) for w in sorted(words, key=len)[::-1]) + r")",
        re.IGNORECASE,
    )
    first = pattern.search(text)
    start = 0
    if len(text) > limit and first is not None:
        start = max(0, first.start() - limit // 3)
        space = text.rfind(" ", 0, start)
        start = space + 1 if start and space >= 0 else start
    piece = text[start : start + limit]
    cut = len(text) > start + limit
    pieces: list[tuple[str, bool]] = [("\u2026 ", False)] if start else []
    position = 0
    for match in pattern.finditer(piece):
        if match.start() > position:
            pieces.append((piece[position : match.start()], False))
        pieces.append((match.group(), True))
        position = match.end()
    if position < len(piece):
        pieces.append((piece[position:], False))
    if cut:
        pieces.append((" \u2026", False))
    return pieces


# The expressions of the two GIN indexes (PostgreSQL only), as the models' metadata knows them:
# create_all makes them, and comparing the migrations with the models finds them on both sides.
POSTGRESQL_INDEX_EXPRESSIONS = {
    # Laid out as PostgreSQL shows it back (line breaks around CASE), so that alembic, comparing
    # the two, finds them equal.
    ("posts", "ix_posts_search"): (
        "(setweight(to_tsvector('simple'::regconfig, title), 'A')"
        " || setweight(to_tsvector('simple'::regconfig,\nCASE\n"
        "    WHEN password = '' THEN regexp_replace(body_md, '<[^>]*>', ' ', 'g')\n"
        "    ELSE ''\nEND), 'D'))"
    ),
    ("comments", "ix_comments_search"): (
        "(to_tsvector('simple'::regconfig, regexp_replace(body, '<[^>]*>', ' ', 'g')))"
    ),
}

attach(db.metadata)
for (table_name, index_name), expression in POSTGRESQL_INDEX_EXPRESSIONS.items():
    Index(
        index_name,
        text(expression),
        postgresql_using="gin",
        _table=db.metadata.tables[table_name],
    ).ddl_if(dialect="postgresql")
