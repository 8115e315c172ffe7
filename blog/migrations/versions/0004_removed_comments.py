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
    repair_threads()


def repair_threads():
    """Earlier versions deleted parents outright (parent_id SET NULL): their replies became
    top-level comments whose root_id named a missing row. Recompute root and depth from the
    parent links, one level per pass, until nothing changes."""
    op.execute("UPDATE comments SET root_id = id, depth = 0 WHERE parent_id IS NULL")
    bind = op.get_bind()
    for _ in range(1000):
        changed = bind.execute(sa.text(
            "UPDATE comments SET "
            " root_id = (SELECT p.root_id FROM comments p WHERE p.id = comments.parent_id),"
            " depth = (SELECT p.depth + 1 FROM comments p WHERE p.id = comments.parent_id) "
            "WHERE parent_id IS NOT NULL AND ("
            " root_id IS NULL OR root_id <> (SELECT p.root_id FROM comments p WHERE p.id = comments.parent_id)"
            " OR depth <> (SELECT p.depth + 1 FROM comments p WHERE p.id = comments.parent_id))"
        )).rowcount
        if not changed:
            break


def downgrade():
    op.execute("DELETE FROM comments WHERE status = 'deleted'")
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_column('status_version')
        batch_op.drop_constraint(op.f('ck_comments_status_known'), type_='check')
        batch_op.create_check_constraint('status_known', OLD)
