"""posts: the number of approved comments, kept by triggers on comments

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
# application's code does (tests/integration/test_database.py compares them).
SQLITE_TRIGGERS = (
    """CREATE TRIGGER comments_count_insert AFTER INSERT ON comments
WHEN NEW.status = 'approved'
BEGIN
    UPDATE posts SET approved_comments = approved_comments + 1 WHERE id = NEW.post_id;
END""",
    """CREATE TRIGGER comments_count_delete AFTER DELETE ON comments
WHEN OLD.status = 'approved'
BEGIN
    UPDATE posts SET approved_comments = approved_comments - 1 WHERE id = OLD.post_id;
END""",
    """CREATE TRIGGER comments_count_update AFTER UPDATE OF status, post_id ON comments
WHEN OLD.status = 'approved' OR NEW.status = 'approved'
BEGIN
    UPDATE posts SET approved_comments = approved_comments - 1
        WHERE id = OLD.post_id AND OLD.status = 'approved';
    UPDATE posts SET approved_comments = approved_comments + 1
        WHERE id = NEW.post_id AND NEW.status = 'approved';
END""",
)

POSTGRESQL_TRIGGERS = (
    """CREATE OR REPLACE FUNCTION comments_count_approved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.status = 'approved' THEN
        UPDATE posts SET approved_comments = approved_comments - 1 WHERE id = OLD.post_id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status = 'approved' THEN
        UPDATE posts SET approved_comments = approved_comments + 1 WHERE id = NEW.post_id;
    END IF;
    RETURN NULL;
END
$$""",
    """CREATE TRIGGER comments_count_approved
AFTER INSERT OR DELETE OR UPDATE OF status, post_id ON comments
FOR EACH ROW EXECUTE FUNCTION comments_count_approved()""",
)


def upgrade():
    op.add_column(
        'posts',
        sa.Column('approved_comments', sa.Integer(), server_default='0', nullable=False),
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
        " WHERE comments.post_id = posts.id AND comments.status = 'approved')"
    )


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        for name in ('comments_count_insert', 'comments_count_delete', 'comments_count_update'):
            op.execute(f'DROP TRIGGER IF EXISTS {name}')
    elif dialect == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS comments_count_approved ON comments')
        op.execute('DROP FUNCTION IF EXISTS comments_count_approved()')
    with op.batch_alter_table('posts') as batch:
        batch.drop_column('approved_comments')
