"""indexes for listings and the moderation list at size (100,000 posts, 1,000,000 comments)

Found by bench/bigsite.py (EXPLAIN on a big PostgreSQL site):
- Every reader listing asks for visible posts newest first (published_at DESC, id DESC), the
  home page with sticky posts first. ix_posts_status_published_at cannot give that order for
  two statuses (published, scheduled), so each listing read and sorted every post (a Seq Scan
  on posts, ~10 ms per 5,000 posts). An index in each order lets a page read its rows in order
  and stop; an article's neighbours (older, newer) use the first as well.
- A comment page asks for an article's top-level comments in display order (created_at, id).
  PostgreSQL does not take "parent_id IS NULL" as fixing ix_comments_post_top_level's second
  column, so that index could not give the order: the page sorted the whole thread, and with
  the new site-wide index on (created_at, id) walked that one instead (300 ms at 200,000
  comments). A partial index of the top-level comments gives it.
- The moderation list asks for one status (or pending and approved), newest first, 20 a page:
  without an index in that order it sorted every comment of the status.
- Its search (a substring of text, name, email, address or website) read every comment: on
  PostgreSQL a trigram index (pg_trgm, when it can be had) on the five columns joined, which
  the search matches as one text (blog/comment_search.py).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 02:10:00.000000

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_posts_published_at_id", "posts", ["published_at", "id"]),
    ("ix_posts_sticky_published_at_id", "posts", ["sticky", "published_at", "id"]),
    ("ix_comments_status_created_id", "comments", ["status", "created_at", "id"]),
    ("ix_comments_created_at_id", "comments", ["created_at", "id"]),
)


# As blog/comment_search.py writes it (a migration must not change when the code does).
HAYSTACK = (
    "(coalesce(comments.body, '') || E'\\n' || coalesce(comments.author_name, '') || E'\\n' "
    "|| coalesce(comments.author_email, '') || E'\\n' || coalesce(comments.author_ip, '') "
    "|| E'\\n' || coalesce(comments.author_url, ''))"
)


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)
    op.create_index(
        "ix_comments_top_level_page",
        "comments",
        ["post_id", "created_at", "id"],
        sqlite_where=sa.text("parent_id IS NULL"),
        postgresql_where=sa.text("parent_id IS NULL"),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        try:  # in a savepoint: without pg_trgm (or the right to create it) the search scans
            with bind.begin_nested():
                bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                bind.exec_driver_sql(
                    "CREATE INDEX IF NOT EXISTS ix_comments_admin_search ON comments"
                    f" USING gin ({HAYSTACK} gin_trgm_ops)"
                )
        except sa.exc.DBAPIError:
            pass


def downgrade():
    op.execute("DROP INDEX IF EXISTS ix_comments_admin_search")
    op.drop_index("ix_comments_top_level_page", table_name="comments")
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
