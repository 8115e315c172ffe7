"""Each post's number of approved comments, kept by the database (``posts.approved_comments``),
and how many of them are top-level (``posts.approved_top_level``).

WordPress keeps ``comment_count`` on the post the same way. Counting the approved comments of an
article walks one index entry per comment: a tenth of a millisecond per thousand comments,
paid again by every comment posted to a long thread. The top-level number places a new comment
on its comment page without counting the thread before it (threads.totals_and_page_of_new).
Triggers keep both in step with every insert, delete, status change and move to another parent,
whichever code path makes it (the ORM, a Core statement, a restore, an import, a cascade), so no
caller can forget to.

Migration 0010 creates the same triggers for existing databases (written out there: a
migration must not change when this module does); tests compare the two.
"""

from __future__ import annotations

from sqlalchemy import DDL, Table, event

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


def attach(comments: Table) -> None:
    """Create the triggers with the comments table (``create_all``: tests, ``init-db``)."""
    for statement in SQLITE_TRIGGERS:
        event.listen(comments, "after_create", DDL(statement).execute_if(dialect="sqlite"))
    for statement in POSTGRESQL_TRIGGERS:
        event.listen(comments, "after_create", DDL(statement).execute_if(dialect="postgresql"))
