"""posts: the number of approved comments (and of approved top-level ones), kept by triggers

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 19:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# The same triggers as blog/comment_counts.py, written out: a migration must not change when the
# application's code does (tests/integration/operations/test_database.py compares them).
SQLITE_TRIGGERS = (
    """CREATE TRIGGER comments_count_insert AFTER INSERT ON comments
WHEN NEW.status = 'approved'
BEGIN
    UPDATE posts SET approved_comments = approved_comments + 1,
        approved_top_level = approved_top_level + (NEW.parent_id IS NULL)
        WHERE id = NEW.post_id;
END""",
    """CREATE TRIGGER comments_count_delete AFTER DELETE ON comments
WHEN OLD.status = 'approved'
BEGIN
    UPDATE posts SET approved_comments = approved_comments - 1,
        approved_top_level = approved_top_level - (OLD.parent_id IS NULL)
        WHERE id = OLD.post_id;
END""",
    """CREATE TRIGGER comments_count_update AFTER UPDATE OF status, post_id, parent_id ON comments
WHEN OLD.status = 'approved' OR NEW.status = 'approved'
BEGIN
    UPDATE posts SET approved_comments = approved_comments - 1,
        approved_top_level = approved_top_level - (OLD.parent_id IS NULL)
        WHERE id = OLD.post_id AND OLD.status = 'approved';
    UPDATE posts SET approved_comments = approved_comments + 1,
        approved_top_level = approved_top_level + (NEW.parent_id IS NULL)
        WHERE id = NEW.post_id AND NEW.status = 'approved';
END""",
)

POSTGRESQL_TRIGGERS = (
    """CREATE OR REPLACE FUNCTION comments_count_approved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.status = 'approved' THEN
        UPDATE posts SET approved_comments = approved_comments - 1,
            approved_top_level = approved_top_level - (OLD.parent_id IS NULL)::int
            WHERE id = OLD.post_id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status = 'approved' THEN
        UPDATE posts SET approved_comments = approved_comments + 1,
            approved_top_level = approved_top_level + (NEW.parent_id IS NULL)::int
            WHERE id = NEW.post_id;
    END IF;
    RETURN NULL;
END
$$""",
    """CREATE TRIGGER comments_count_approved
AFTER INSERT OR DELETE OR UPDATE OF status, post_id, parent_id ON comments
FOR EACH ROW EXECUTE FUNCTION comments_count_approved()""",
)


def upgrade():
    for column in ('approved_comments', 'approved_top_level'):
        op.add_column(
            'posts', sa.Column(column, sa.Integer(), server_default='0', nullable=False)
        )
    # The top-level comments that are not approved (held, spam, trash, deleted with replies):
    # few, and the only ones a new comment's page must look at one by one. The same columns as
    # ix_comments_post_top_level: SQLite, which has no statistics, then takes the partial one.
    op.create_index(
        'ix_comments_top_level_unapproved', 'comments',
        ['post_id', 'parent_id', 'created_at', 'status'],
        unique=False,
        sqlite_where=sa.text("parent_id IS NULL AND status != 'approved'"),
        postgresql_where=sa.text("parent_id IS NULL AND status != 'approved'"),
    )
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        # Comments written by a running site while this migrates wait for its commit: none can
        # fall between the count below and the triggers that keep it.
        op.execute('LOCK TABLE comments IN SHARE ROW EXCLUSIVE MODE')
    # The triggers first, then the count: on SQLite each statement here commits on its own,
    # and a comment written in between is counted by the trigger and then again by the
    # count, which sets the number outright.
    triggers = {'sqlite': SQLITE_TRIGGERS, 'postgresql': POSTGRESQL_TRIGGERS}.get(dialect, ())
    for statement in triggers:
        op.execute(statement)
    op.execute(
        "UPDATE posts SET approved_comments = (SELECT count(*) FROM comments"
        " WHERE comments.post_id = posts.id AND comments.status = 'approved'),"
        " approved_top_level = (SELECT count(*) FROM comments"
        " WHERE comments.post_id = posts.id AND comments.status = 'approved'"
        " AND comments.parent_id IS NULL)"
    )


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        for name in ('comments_count_insert', 'comments_count_delete', 'comments_count_update'):
            op.execute(f'DROP TRIGGER IF EXISTS {name}')
    elif dialect == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS comments_count_approved ON comments')
        op.execute('DROP FUNCTION IF EXISTS comments_count_approved()')
    op.drop_index('ix_comments_top_level_unapproved', table_name='comments')
    with op.batch_alter_table('posts') as batch:
        batch.drop_column('approved_top_level')
        batch.drop_column('approved_comments')
