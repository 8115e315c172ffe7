"""search vectors: stored tsvector columns on PostgreSQL, visible text in SQLite's index

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 12:20:00.000000

(First version: the revision in place so that 0016 can sit on it; the schema changes follow.)
"""

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
