"""comments: an index on lower(author_email) for the first-time, flood and duplicate checks

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 14:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    # Every new comment looks up earlier ones by email, compared without case; without this
    # index each of those lookups read the whole comments table.
    op.create_index(
        'ix_comments_author_email_lower', 'comments', [sa.text('lower(author_email)')], unique=False
    )


def downgrade():
    op.drop_index('ix_comments_author_email_lower', table_name='comments')
