"""comments: a digest of the text for the duplicate rule, an index for comment-page counts

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 17:00:00.000000

"""
import hashlib

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

BATCH = 1000


def digest(text):
    # The same as blog.models.body_digest, written out: a migration must not change when the
    # application's code does.
    return hashlib.sha256((text or '').encode('utf-8', 'surrogatepass')).hexdigest()[:16]


def upgrade():
    # Every new comment asks whether the same text is already on the article; by author and
    # email alone that read every comment a prolific commenter ever wrote there.
    op.add_column(
        'comments',
        sa.Column('body_digest', sa.String(length=16), server_default='', nullable=False),
    )
    comments = sa.table(
        'comments', sa.column('id', sa.Integer), sa.column('body', sa.Text),
        sa.column('body_digest', sa.String),
    )
    connection = op.get_bind()
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(comments.c.id, comments.c.body)
            .where(comments.c.id > last_id)
            .order_by(comments.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        connection.execute(
            comments.update()
            .where(comments.c.id == sa.bindparam('row_id'))
            .values(body_digest=sa.bindparam('new_digest')),
            [{'row_id': row.id, 'new_digest': digest(row.body)} for row in rows],
        )
        last_id = rows[-1].id
    op.create_index(
        'ix_comments_post_body_digest', 'comments', ['post_id', 'body_digest'], unique=False
    )
    # Which comment page a comment is on counts the top-level comments before it: from this
    # index alone, instead of reading every comment of the article.
    op.create_index(
        'ix_comments_post_top_level', 'comments',
        ['post_id', 'parent_id', 'created_at', 'status'], unique=False,
    )


def downgrade():
    op.drop_index('ix_comments_post_top_level', table_name='comments')
    op.drop_index('ix_comments_post_body_digest', table_name='comments')
    op.drop_column('comments', 'body_digest')
