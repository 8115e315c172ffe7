"""subscriptions: readers following an article's new comments by email

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 12:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'subscriptions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('post_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(254), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('secret', sa.String(16), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('confirm_sent_at', sa.DateTime(), nullable=True),
        sa.Column('confirmed_at', sa.DateTime(), nullable=True),
        sa.Column('last_notice_at', sa.DateTime(), nullable=True),
        sa.Column('unannounced', sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'confirmed')",
                           name='ck_subscriptions_status_known'),
        sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name='fk_subscriptions_post_id_posts',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_subscriptions'),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_subscriptions_post_id_email', 'subscriptions', ['post_id', 'email'],
                    unique=True)
    op.create_index('ix_subscriptions_email_confirm_sent_at', 'subscriptions',
                    ['email', 'confirm_sent_at'])


def downgrade():
    op.drop_index('ix_subscriptions_email_confirm_sent_at', 'subscriptions')
    op.drop_index('ix_subscriptions_post_id_email', 'subscriptions')
    op.drop_table('subscriptions')
