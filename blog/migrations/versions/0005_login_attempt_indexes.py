"""sign-in attempts counted per client address and purged by age

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 11:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        # Failures are counted per client address now (blog.auth), and rows older than the
        # throttling window are deleted on every attempt.
        batch_op.create_index('ix_login_attempts_ip_at', ['ip', 'attempted_at'], unique=False)
        batch_op.create_index('ix_login_attempts_attempted_at', ['attempted_at'], unique=False)


def downgrade():
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempts_attempted_at')
        batch_op.drop_index('ix_login_attempts_ip_at')
