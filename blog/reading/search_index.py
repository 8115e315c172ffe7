"""The search engine behind /search: SQLite FTS5 or PostgreSQL full text, one interface.

``search(query, page, per_page)`` answers the visible posts and pages whose title, text or
tags hold the words, and the approved comments under them that do, best first.

SQLite keeps a full-text table, ``search_fts`` (columns title, body, terms; the row id is the
post's id, or minus the comment's id), in step by triggers on posts, comments, post_tags and tags,
whichever code path writes (the ORM, a Core statement, an import, a restore). The triggers index
the text a reader sees, not the stored markup: they call ``search_text()``, a Python function
(blog/search_text.py) every SQLite connection of the application has. Drafts and held comments
are indexed too; who may see what is decided when searching, by joining the posts and comments,
so a change of status needs no index work. A password-protected post's text is never indexed
(found by its title only).

PostgreSQL keeps a ``tsvector`` column on posts and comments (``search_vector``), written by
triggers (tags stripped in SQL), with a GIN index on each; the query matches and ranks
(``ts_rank_cd``) the stored vectors, so nothing is parsed per match.

The reader's query is never handed to either engine as syntax: ``parse`` keeps the words (letters
and digits), ``"phrases"``, ``-excluded`` words and ``OR``, and each engine's query is written
from those words, each one quoted, so ``"``, ``*``, ``NEAR(``, ``^`` or ``:`` cannot fail.

Migrations 0014, 0015 and 0017 create the same tables, columns, functions and triggers for existing
databases (written out there: a migration must not change when this module does); tests compare
the two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import click
from sqlalchemy import DDL, Index, MetaData, bindparam, event, text
from sqlalchemy.exc import DBAPIError

from ..extensions import db
from ..models import Comment, Post, UTCDateTime, now_utc

# ---------------------------------------------------------------------------------------------
# The index (SQLite) and its triggers

# Prefix indexes of 3 and 4 letters (migration 0017): the live search sends a short prefix at
# each keystroke, and without them FTS5 merges the entries of every word that starts with it.
SQLITE_TABLE = """CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
    title, body, terms, post_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 2',
    prefix = '3 4'
)"""

SQLITE_TRIGGERS = (
    """CREATE TRIGGER IF NOT EXISTS search_posts_insert AFTER INSERT ON posts
BEGIN
    INSERT INTO search_fts (rowid, title, body, terms, post_id) VALUES (NEW.id, NEW.title,
        CASE WHEN NEW.password = '' THEN search_text(NEW.body_md) ELSE '' END, '', NEW.id);
END""",
    """CREATE TRIGGER IF NOT EXISTS search_posts_update
AFTER UPDATE OF title, body_md, password ON posts
BEGIN
    UPDATE search_fts SET title = NEW.title,
        body = CASE WHEN NEW.password = '' THEN search_text(NEW.body_md) ELSE '' END
        WHERE rowid = NEW.id;
END""",
    """CREATE TRIGGER IF NOT EXISTS search_posts_delete AFTER DELETE ON posts
BEGIN
    DELETE FROM search_fts WHERE rowid = OLD.id;
END""",
    """CREATE TRIGGER IF NOT EXISTS search_comments_insert AFTER INSERT ON comments
BEGIN
    INSERT INTO search_fts (rowid, title, body, terms, post_id)
        VALUES (-NEW.id, '', search_text(NEW.body), '', NEW.post_id);
END""",
    """CREATE TRIGGER IF NOT EXISTS search_comments_update AFTER UPDATE OF body, post_id ON comments
BEGIN
    UPDATE search_fts SET body = search_text(NEW.body), post_id = NEW.post_id
        WHERE rowid = -NEW.id;
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
SELECT id, title, CASE WHEN password = '' THEN search_text(body_md) ELSE '' END,
    (SELECT coalesce(group_concat(t.name, ' '), '')
        FROM post_tags pt JOIN tags t ON t.id = pt.tag_id WHERE pt.post_id = posts.id),
    id
FROM posts""",
    """INSERT INTO search_fts (rowid, title, body, terms, post_id)
SELECT -id, '', search_text(body), '', post_id FROM comments""",
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

    @event.listens_for(metadata, "after_create")
    def _postgresql(target, connection, **kw) -> None:
        if connection.dialect.name == "postgresql":
            create_postgresql_search(connection)


def rebuild_index() -> int:
    """Index every post and comment again (``flask search-index --rebuild``); how many rows.

    PostgreSQL: every stored vector written again (its triggers do the writing)."""
    if db.engine.dialect.name != "sqlite":
        with db.engine.begin() as conn:
            posts = conn.execute(text("UPDATE posts SET search_vector = NULL")).rowcount
            comments = conn.execute(text("UPDATE comments SET search_vector = NULL")).rowcount
        return posts + comments
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM search_fts"))
        for statement in SQLITE_FILL:
            conn.execute(text(statement))
        conn.execute(text("INSERT INTO search_fts (search_fts) VALUES ('optimize')"))
        return conn.execute(text("SELECT count(*) FROM search_fts")).scalar_one()


@click.command("search-index")
@click.option("--rebuild", is_flag=True, help="Index every post, page, tag and comment again.")
def search_index_command(rebuild: bool) -> None:
    """The search index: --rebuild fills it anew from the posts and comments (after restoring a
    database copied without it, to compact it, or after the way text is indexed changed)."""
    if not rebuild:
        raise click.UsageError("Say what to do: --rebuild.")
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            create_postgresql_search(conn)
        else:
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
#
# A word found in most of the site (tens of thousands of matches) would cost a rank and a
# visibility check per match, growing with the site. So at most MATCH_CAP posts and MATCH_CAP
# comments are ranked: the newest ones that match (the engines hand those out cheaply, in id
# order). The answer then says the results were capped and shows the best of those; a second
# word narrows the search back below the cap. Below it, nothing changes: every match is ranked.
MATCH_CAP = 5000

# SQLite: the newest matches of each kind with their bm25 rank from the index alone (its rowids:
# a post's id, or minus a comment's; reading a column would read each match's stored text),
# then one lookup each for visibility, counted and paged in one pass.
_SQLITE_MATCHES = """WITH m AS MATERIALIZED (
    SELECT id, rank FROM (
        SELECT rowid AS id, bm25(search_fts, 10.0, 1.0, 4.0) AS rank
        FROM search_fts WHERE search_fts MATCH :match AND rowid > 0
        ORDER BY rowid DESC LIMIT :cap)
    UNION ALL
    SELECT id, rank FROM (
        SELECT rowid AS id, bm25(search_fts, 10.0, 1.0, 4.0) AS rank
        FROM search_fts WHERE search_fts MATCH :match AND rowid < 0
        ORDER BY rowid LIMIT :cap)
)
"""
_SQLITE_VISIBLE = """
FROM m LEFT JOIN comments c ON m.id < 0 AND c.id = -m.id
JOIN posts p ON p.id = CASE WHEN m.id > 0 THEN m.id ELSE c.post_id END
WHERE p.status IN ('published', 'scheduled') AND p.published_at IS NOT NULL
    AND p.published_at <= :now AND p.kind IN ('post', 'page')
    AND (m.id > 0 OR (c.status = 'approved' AND p.password = ''))"""
_SQLITE_CAPPED = """((SELECT count(*) FROM m WHERE id > 0) >= :cap
    OR (SELECT count(*) FROM m WHERE id < 0) >= :cap) AS capped"""

# (Joined, not formatted: nothing but these constants goes into the SQL.)
_SQLITE_PAGE = "".join(
    (
        _SQLITE_MATCHES,
        """SELECT p.id AS post_id, CASE WHEN m.id < 0 THEN -m.id END AS comment_id,
    count(*) OVER () AS total, """,
        _SQLITE_CAPPED,
        _SQLITE_VISIBLE,
        """
ORDER BY m.rank, p.published_at DESC, m.id DESC
LIMIT :limit OFFSET :offset""",
    )
)
_SQLITE_COUNT = "".join(
    (_SQLITE_MATCHES, "SELECT count(*) AS total, ", _SQLITE_CAPPED, _SQLITE_VISIBLE)
)

# PostgreSQL: the stored vectors (posts.search_vector, comments.search_vector) through their GIN
# indexes, the visible ones, the newest MATCH_CAP of each kind; ranked on the stored vectors, so
# nothing is parsed again per match.
_PG_HITS = """WITH q AS (SELECT to_tsquery('simple', search_fold(:match)) AS q),
-- The visible posts from ix_posts_search_visible alone (it covers kind, password and id): a hash
-- the matches are joined to, not one visit of a wide posts row per matching comment.
visible AS MATERIALIZED (
    SELECT p.id, p.password = '' AS open FROM posts p
    WHERE p.status IN ('published', 'scheduled') AND p.published_at IS NOT NULL
        AND p.published_at <= :now AND p.kind IN ('post', 'page')
),
-- The newest matches by id, narrow rows only: the sort of a word found everywhere must not
-- carry the documents (it spilled 128 MB to disk at 200,000 comments). Ranked after the cap.
post_hits AS (
    SELECT p.id, p.published_at FROM posts p JOIN visible v ON v.id = p.id, q
    WHERE p.search_vector @@ q.q
    ORDER BY p.id DESC LIMIT :cap
),
comment_hits AS (
    SELECT c.id, c.post_id, c.created_at FROM comments c JOIN visible v ON v.id = c.post_id, q
    WHERE c.search_vector @@ q.q AND c.status = 'approved' AND v.open
    ORDER BY c.id DESC LIMIT :cap
),
hits AS (
    SELECT h.id AS post_id, NULL::integer AS comment_id, h.published_at AS at,
        ts_rank_cd(p.search_vector, q.q, 1) AS rank
    FROM post_hits h JOIN posts p ON p.id = h.id, q
    UNION ALL
    SELECT h.post_id, h.id, h.created_at, ts_rank_cd(c.search_vector, q.q, 1)
    FROM comment_hits h JOIN comments c ON c.id = h.id, q
)
"""
_PG_CAPPED = """((SELECT count(*) FROM post_hits) >= :cap
    OR (SELECT count(*) FROM comment_hits) >= :cap) AS capped"""

_PG_COUNT = "".join((_PG_HITS, "SELECT count(*) AS total, ", _PG_CAPPED, " FROM hits"))
_PG_PAGE = "".join(
    (
        _PG_HITS,
        "SELECT post_id, comment_id, count(*) OVER () AS total, ",
        _PG_CAPPED,
        """ FROM hits
ORDER BY rank DESC, at DESC, comment_id DESC
LIMIT :limit OFFSET :offset""",
    )
)

# PostgreSQL keeps each post's and comment's search document in a column, written by triggers
# whichever code path changes a title, text, password, comment or term. A post's document:
# title (weight A), its tags and categories (B), its text (C; none for a password-protected
# post); a comment's: its text (D). ``search_text`` takes the tags out (the parser leaves
# entities out by itself); ``search_fold`` takes accents off when the unaccent extension is
# there (see ``create_postgresql_search``).
POSTGRESQL_FUNCTIONS = (
    r"""CREATE OR REPLACE FUNCTION search_text(source text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT regexp_replace(regexp_replace(coalesce(source, ''),
    '<!--.*?-->|</?[A-Za-z][^>]*>', ' ', 'g'), '\]\([^)]*\)', '] ', 'g')
$$""",
    """CREATE OR REPLACE FUNCTION posts_search_vector() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('simple'::regconfig, search_fold(NEW.title)), 'A')
        || setweight(to_tsvector('simple'::regconfig, search_fold(coalesce((
            SELECT string_agg(t.name, ' ') FROM post_tags pt JOIN tags t ON t.id = pt.tag_id
            WHERE pt.post_id = NEW.id), ''))), 'B')
        || setweight(to_tsvector('simple'::regconfig, search_fold(CASE WHEN NEW.password = ''
            THEN search_text(NEW.body_md) ELSE '' END)), 'C');
    RETURN NEW;
END
$$""",
    """CREATE OR REPLACE FUNCTION comments_search_vector() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_vector := to_tsvector('simple'::regconfig, search_fold(search_text(NEW.body)));
    RETURN NEW;
END
$$""",
    # A post's terms changed: setting its vector (to anything) makes its trigger write it again.
    """CREATE OR REPLACE FUNCTION post_terms_search_vector() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE posts SET search_vector = NULL WHERE id = OLD.post_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE posts SET search_vector = NULL WHERE id = NEW.post_id;
    END IF;
    RETURN NULL;
END
$$""",
    """CREATE OR REPLACE FUNCTION tags_search_vector() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE posts SET search_vector = NULL
        WHERE id IN (SELECT post_id FROM post_tags WHERE tag_id = NEW.id);
    RETURN NULL;
END
$$""",
)

POSTGRESQL_TRIGGERS = (
    """CREATE TRIGGER posts_search_vector
BEFORE INSERT OR UPDATE OF title, body_md, password, search_vector ON posts
FOR EACH ROW EXECUTE FUNCTION posts_search_vector()""",
    """CREATE TRIGGER comments_search_vector BEFORE INSERT OR UPDATE OF body, search_vector
ON comments FOR EACH ROW EXECUTE FUNCTION comments_search_vector()""",
    """CREATE TRIGGER post_terms_search_vector AFTER INSERT OR UPDATE OR DELETE ON post_tags
FOR EACH ROW EXECUTE FUNCTION post_terms_search_vector()""",
    """CREATE TRIGGER tags_search_vector AFTER UPDATE OF name ON tags
FOR EACH ROW EXECUTE FUNCTION tags_search_vector()""",
)

# Accents: folded when the unaccent extension can be had (PostgreSQL 13 and later let a
# database owner create it; it ships with the server), left as typed otherwise. Tried in a
# savepoint: a server without it, or a role without the right, keeps working.
POSTGRESQL_FOLD_UNACCENT = """CREATE OR REPLACE FUNCTION search_fold(words text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT unaccent(coalesce(words, '')) $$"""
POSTGRESQL_FOLD_PLAIN = """CREATE OR REPLACE FUNCTION search_fold(words text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT coalesce(words, '') $$"""


def create_postgresql_search(connection) -> bool:
    """The functions and triggers above, ``search_fold`` with unaccent when the extension is
    there or can be made; whether it is."""
    try:
        with connection.begin_nested():
            connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS unaccent")
            connection.exec_driver_sql(POSTGRESQL_FOLD_UNACCENT)
        folded = True
    except DBAPIError:
        connection.exec_driver_sql(POSTGRESQL_FOLD_PLAIN)
        folded = False
    for statement in POSTGRESQL_FUNCTIONS:
        connection.exec_driver_sql(statement)
    for statement in POSTGRESQL_TRIGGERS:
        # (CREATE OR REPLACE TRIGGER needs PostgreSQL 14.)
        words = statement.split()
        name, table = words[2], words[words.index("ON") + 1]
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        connection.exec_driver_sql(statement)
    return folded


@dataclass
class Hit:
    post: Post
    comment: Comment | None


@dataclass
class Found:
    """``total`` results, ``hits`` the asked page of them; ``capped``: the words matched more
    than MATCH_CAP posts or comments, and only the newest of those were ranked and counted."""

    total: int
    hits: list[Hit]
    capped: bool = False


def _statement(sql: str):
    return text(sql).bindparams(bindparam("now", type_=UTCDateTime()))


def count_and_page(query: Query, limit: int, offset: int) -> Found:
    """How many results in all, and ``limit`` of them from ``offset``, best first."""
    if not query:
        return Found(0, [])
    sqlite = db.engine.dialect.name == "sqlite"
    params = {"now": now_utc(), "limit": limit, "offset": offset, "cap": MATCH_CAP}
    if sqlite:
        params["match"] = fts5_query(query)
        count_sql, page_sql = _SQLITE_COUNT, _SQLITE_PAGE
    else:
        params["match"] = tsquery(query)
        count_sql, page_sql = _PG_COUNT, _PG_PAGE
    # The page and the number of results in one pass; only a page past the end counts again.
    rows = db.session.execute(_statement(page_sql), params).all()
    if rows:
        total, capped = rows[0].total, bool(rows[0].capped)
    elif offset:
        counted = db.session.execute(_statement(count_sql), params).one()
        total, capped = counted.total, bool(counted.capped)
    else:
        total, capped = 0, False
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
    return Found(total, hits, capped)


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


attach(db.metadata)
# PostgreSQL's indexes for searching: the stored vectors' GIN indexes, and the visible posts'
# ids for the comments' search. The models have one schema on both engines; on SQLite, where the
# column stays empty, each is a partial index of no rows.
_EMPTY_ON_SQLITE = text("search_vector IS NOT NULL")
for _table in ("posts", "comments"):
    Index(
        f"ix_{_table}_search_vector",
        db.metadata.tables[_table].c.search_vector,
        postgresql_using="gin",
        sqlite_where=_EMPTY_ON_SQLITE,
    )
Index(
    "ix_posts_search_visible",
    *(db.metadata.tables["posts"].c[name] for name in ("status", "published_at")),
    postgresql_include=["kind", "password", "id"],
    sqlite_where=_EMPTY_ON_SQLITE,
)
