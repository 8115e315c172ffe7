"""comment threads

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 07:51:56.129792

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('root_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('depth', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('user_agent', sa.String(length=255), nullable=False, server_default=''))
        batch_op.create_index(batch_op.f('ix_comments_root_id'), ['root_id'], unique=False)
    # Comments written before threading were all top level: each is the root of its thread.
    op.execute("UPDATE comments SET root_id = id WHERE parent_id IS NULL")


def downgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comments_root_id'))
        batch_op.drop_column('user_agent')
        batch_op.drop_column('depth')
        batch_op.drop_column('root_id')

