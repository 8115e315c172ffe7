"""search vectors: stored tsvector columns on PostgreSQL; visible text in SQLite's index

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 12:20:00.000000

PostgreSQL: posts.search_vector and comments.search_vector, written by triggers, with GIN
indexes (instead of 0014's expression indexes, which made every search parse every match).
SQLite: the triggers index the text a reader sees (search_text(), a function the application
adds to its connections, blog/search_text.py) instead of the stored markup; the index is filled
again. The column exists on SQLite too (the models have one schema) and stays empty there.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# The same statements as blog/reading/search_index.py, written out: a migration must not change
# when the application's code does (tests compare the schemas).
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

POSTGRESQL_FOLD_UNACCENT = """CREATE OR REPLACE FUNCTION search_fold(words text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT unaccent(coalesce(words, '')) $$"""
POSTGRESQL_FOLD_PLAIN = """CREATE OR REPLACE FUNCTION search_fold(words text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT coalesce(words, '') $$"""
OLD_SQLITE_TRIGGERS = (
    "search_posts_insert",
    "search_posts_update",
    "search_comments_insert",
    "search_comments_update",
)


def upgrade():
    bind = op.get_bind()
    dialect = bind.dialect.name
    vector = postgresql.TSVECTOR() if dialect == "postgresql" else sa.Text()
    for table in ("posts", "comments"):
        op.add_column(table, sa.Column("search_vector", vector, nullable=True))
    if dialect == "postgresql":
        _upgrade_postgresql(bind)
    elif dialect == "sqlite":
        for name in OLD_SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
        op.execute("DELETE FROM search_fts")
        for statement in SQLITE_FILL:
            op.execute(statement)
        op.execute("INSERT INTO search_fts (search_fts) VALUES ('optimize')")
        # The models' indexes: empty here (the column is PostgreSQL's), but one schema.
        for table in ("posts", "comments"):
            op.create_index(
                f"ix_{table}_search_vector",
                table,
                ["search_vector"],
                sqlite_where=sa.text("search_vector IS NOT NULL"),
            )
        op.create_index(
            "ix_posts_search_visible",
            "posts",
            ["status", "published_at"],
            sqlite_where=sa.text("search_vector IS NOT NULL"),
        )


def _upgrade_postgresql(bind):
    op.execute("DROP INDEX IF EXISTS ix_posts_search")
    op.execute("DROP INDEX IF EXISTS ix_comments_search")
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS unaccent")
            bind.exec_driver_sql(POSTGRESQL_FOLD_UNACCENT)
    except sa.exc.DBAPIError:
        bind.exec_driver_sql(POSTGRESQL_FOLD_PLAIN)
    for statement in POSTGRESQL_FUNCTIONS + POSTGRESQL_TRIGGERS:
        bind.exec_driver_sql(statement)
    # Setting the column makes the triggers write it; the indexes are made once it is full.
    op.execute("UPDATE posts SET search_vector = NULL")
    op.execute("UPDATE comments SET search_vector = NULL")
    op.create_index("ix_posts_search_vector", "posts", ["search_vector"], postgresql_using="gin")
    op.create_index(
        "ix_comments_search_vector", "comments", ["search_vector"], postgresql_using="gin"
    )
    op.create_index(
        "ix_posts_search_visible",
        "posts",
        ["status", "published_at"],
        postgresql_include=["kind", "password", "id"],
    )


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for trigger, table in (
            ("posts_search_vector", "posts"),
            ("comments_search_vector", "comments"),
            ("post_terms_search_vector", "post_tags"),
            ("tags_search_vector", "tags"),
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {trigger}()")
        op.execute("DROP FUNCTION IF EXISTS search_text(text)")
        op.execute("DROP FUNCTION IF EXISTS search_fold(text)")
        op.drop_index("ix_posts_search_vector", table_name="posts")
        op.drop_index("ix_comments_search_vector", table_name="comments")
        op.drop_index("ix_posts_search_visible", table_name="posts")
        for table in ("posts", "comments"):
            op.drop_column(table, "search_vector")
        # 0014's expression indexes come back with 0014's downgrade-then-upgrade; searches
        # without them are slow, not wrong.
        return
    if bind.dialect.name == "sqlite":
        # ALTER TABLE keeps the tables' triggers (a batch copy would drop them). The search
        # triggers stay as they are: they still work, and 0014's downgrade drops them.
        op.drop_index("ix_posts_search_visible", table_name="posts")
        for table in ("posts", "comments"):
            op.drop_index(f"ix_{table}_search_vector", table_name=table)
            op.execute(f"ALTER TABLE {table} DROP COLUMN search_vector")
