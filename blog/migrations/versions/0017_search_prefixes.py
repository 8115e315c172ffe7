"""search_fts with prefix indexes: a word's first 3 or 4 letters find it without a scan

SQLite's FTS5 answers a prefix query ("lan"*) by merging the entries of every word that starts
with it; the live search asks one at each keystroke, and a short prefix that starts many words
took three times as long as a whole word (bench/search.py). Prefix indexes of 3 and 4 letters
answer those from one entry, for about twice the index's size. The table is made again and
filled from the rows (the triggers on posts, comments and tags name it and stay as they are).
PostgreSQL: nothing changes.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 17:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

TABLE = """CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
    title, body, terms, post_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 2',
    prefix = '3 4'
)"""

OLD_TABLE = """CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
    title, body, terms, post_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 2'
)"""

FILL = (
    """INSERT INTO search_fts (rowid, title, body, terms, post_id)
SELECT id, title, CASE WHEN password = '' THEN search_text(body_md) ELSE '' END,
    (SELECT coalesce(group_concat(t.name, ' '), '')
        FROM post_tags pt JOIN tags t ON t.id = pt.tag_id WHERE pt.post_id = posts.id),
    id
FROM posts""",
    """INSERT INTO search_fts (rowid, title, body, terms, post_id)
SELECT -id, '', search_text(body), '', post_id FROM comments""",
)


def _make(table: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TABLE IF EXISTS search_fts")
    op.execute(table)
    for statement in FILL:
        op.execute(statement)
    op.execute("INSERT INTO search_fts (search_fts) VALUES ('optimize')")


def upgrade():
    _make(TABLE)


def downgrade():
    _make(OLD_TABLE)
