"""ids that are never handed out again, and a secret per comment that cookies and links carry

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 16:00:00.000000

"""
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# The tables whose ids travel in cookies, links, tokens or admin forms. Without AUTOINCREMENT
# SQLite gives a new row the largest id + 1, so deleting the newest rows frees their ids for the
# next ones (and with them whatever a cookie or an emailed link granted). PostgreSQL's sequences
# never go back: nothing to do there.
TABLES = ('authors', 'tags', 'posts', 'comments', 'outbox')
_ID_COLUMN = re.compile(r'\bid INTEGER NOT NULL\s*,')
_ID_KEY = re.compile(r',\s*(?:CONSTRAINT \w+ )?PRIMARY KEY \(id\)')


def upgrade():
    op.add_column(
        'comments', sa.Column('secret', sa.String(length=16), server_default='', nullable=False)
    )
    connection = op.get_bind()
    if connection.dialect.name == 'sqlite':
        # Random per row; it only has to differ between two rows that ever share an id (it
        # travels inside values the site signs, never on its own).
        op.execute("UPDATE comments SET secret = lower(hex(randomblob(8))) WHERE secret = ''")
        _rebuild_with_autoincrement(connection)
    else:
        op.execute(
            "UPDATE comments SET secret = substr(md5(random()::text || id::text), 1, 16)"
            " WHERE secret = ''"
        )


def _rebuild_with_autoincrement(connection):
    """SQLite's way to change a table: a new one, the rows copied, the old one dropped.

    env.py turns foreign keys off around migrations, so dropping posts runs no ON DELETE action
    on the comments. Every trigger is dropped first (the comment counters name posts, and SQLite
    checks triggers when a table is renamed) and made again at the end, with every index."""
    master = lambda sql: connection.exec_driver_sql(sql).all()  # noqa: E731
    triggers = master("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
    for name, _ in triggers:
        op.execute(f'DROP TRIGGER "{name}"')
    for table in TABLES:
        (create,) = master(
            f"SELECT sql FROM sqlite_master WHERE type = 'table' AND name = '{table}'"
        )[0]
        if 'AUTOINCREMENT' in create.upper():
            continue
        rebuilt, found_column = _ID_COLUMN.subn(
            'id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,', create, count=1
        )
        rebuilt, found_key = _ID_KEY.subn('', rebuilt, count=1)
        if not (found_column and found_key):
            raise RuntimeError(f'0011: unexpected definition of table {table}: {create}')
        rebuilt = re.sub(
            rf'^CREATE TABLE "?{table}"?', f'CREATE TABLE "_new_{table}"', rebuilt, count=1
        )
        indexes = master(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            f" AND tbl_name = '{table}'"
        )
        op.execute(rebuilt)
        # The same definition, so the same columns in the same order. Explicit ids move the
        # table's sqlite_sequence entry on to the largest one.
        op.execute(f'INSERT INTO "_new_{table}" SELECT * FROM "{table}"')
        op.execute(f'DROP TABLE "{table}"')
        op.execute(f'ALTER TABLE "_new_{table}" RENAME TO "{table}"')
        for (sql,) in indexes:
            op.execute(sql)
    for _, sql in triggers:
        op.execute(sql)


def downgrade():
    # AUTOINCREMENT stays (an id that is never reused harms nothing); the secret goes.
    with op.batch_alter_table('comments') as batch:
        batch.drop_column('secret')
