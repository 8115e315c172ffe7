"""WordPress ids on imported posts and comments

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    # Unique: the import keys on them, so importing the same export twice changes nothing.
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wp_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_posts_wp_id'), ['wp_id'])
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wp_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_comments_wp_id'), ['wp_id'])


def downgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_comments_wp_id'), type_='unique')
        batch_op.drop_column('wp_id')
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_posts_wp_id'), type_='unique')
        batch_op.drop_column('wp_id')
