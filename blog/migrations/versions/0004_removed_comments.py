"""removed comments keep their place in a thread

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 10:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

OLD = "status IN ('pending', 'approved', 'spam', 'trash')"
# "deleted": deleted for good while it still had replies; the row keeps only its place in the
# thread (no name, email, address or text), so the replies stay where they were.
NEW = "status IN ('pending', 'approved', 'spam', 'trash', 'deleted')"


def upgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_comments_status_known'), type_='check')
        batch_op.create_check_constraint('status_known', NEW)
        # Bumped by every status change, so a one-click email link dies once anything moved it.
        batch_op.add_column(sa.Column('status_version', sa.Integer(), nullable=False, server_default='0'))


def downgrade():
    op.execute("DELETE FROM comments WHERE status = 'deleted'")
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_column('status_version')
        batch_op.drop_constraint(op.f('ck_comments_status_known'), type_='check')
        batch_op.create_check_constraint('status_known', OLD)
