"""posts.discussion_version: the version the cached article page is kept under

A change to one article's comments used to replace the site-wide content version, so every
cached page of the site was rendered again after each comment. Now comments move their own
article's number (and a site-wide comments token the listings' counts hang on), and the article
page is kept under the content version plus this number (blog/caching/pagecache.py).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 02:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('discussion_version', sa.Integer(), server_default='0', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('discussion_version')
