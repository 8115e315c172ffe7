"""search: a full-text index of posts, pages, tags and comments (SQLite FTS5), kept by triggers

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 08:00:00.000000

PostgreSQL searches the rows themselves (blog/reading/search_index.py), through GIN indexes on
the expressions its query uses.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# The same statements as blog/reading/search_index.py, written out: a migration must not change
# when the application's code does (tests/integration/operations/test_database.py compares them).
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

# Fills the index from the rows already there (flask search-index --rebuild does the same).
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

# PostgreSQL: GIN indexes on the expressions the search query uses.
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


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRESQL_INDEXES:
            op.execute(statement)
        return
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(SQLITE_TABLE)
    for statement in SQLITE_TRIGGERS + SQLITE_FILL:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_posts_search")
        op.execute("DROP INDEX IF EXISTS ix_comments_search")
        return
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in SQLITE_TRIGGERS:
        name = statement.split()[5]
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS search_fts")
