"""The moderation list's search (admin, "Text, name, email, IP or website") on PostgreSQL.

The search is a substring match, as WordPress's is: ``%words%`` against the comment's text, name,
email, address and website. Five ILIKEs read every comment of the site (about two seconds per
search at 1,000,000 comments, bench/bigsite.py). On PostgreSQL, the five columns are matched as
one text (joined by line breaks, which the search box cannot send), and a trigram index
(pg_trgm) on that text finds the comments holding the words without reading the others. The
extension ships with PostgreSQL and a database owner may create it (13 and later); without it
the same condition reads the table as before. SQLite matches the columns one by one (a
site on SQLite is a small one).

Migration 0019 creates the same index for existing databases (written out there).
"""

from __future__ import annotations

from sqlalchemy import Index, literal_column, or_
from sqlalchemy.exc import DBAPIError

# Written the same way here, in the index and in migration 0019: PostgreSQL uses an expression
# index only for the very expression. Every column is NOT NULL but author_url's and author_ip's
# older rows may predate their defaults, hence the coalesce.
HAYSTACK = (
    "(coalesce(comments.body, '') || E'\\n' || coalesce(comments.author_name, '') || E'\\n' "
    "|| coalesce(comments.author_email, '') || E'\\n' || coalesce(comments.author_ip, '') "
    "|| E'\\n' || coalesce(comments.author_url, ''))"
)


def trigram_index_possible(ddl, target, bind, **kw) -> bool:
    """Whether the index can be made here: pg_trgm is there or could be created (in a savepoint:
    a server without it, or a role without the right, keeps working, its search scanning)."""
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        return True
    except DBAPIError:
        return False


def index() -> Index:
    """The index, for the comments table's arguments (models.Comment): created on PostgreSQL
    by ``create_all`` (the tests; migration 0019 makes it for real databases), never on SQLite."""
    return Index(
        "ix_comments_admin_search",
        literal_column(HAYSTACK).label("haystack"),
        postgresql_using="gin",
        postgresql_ops={"haystack": "gin_trgm_ops"},
    ).ddl_if(dialect="postgresql", callable_=trigram_index_possible)


def condition(comment_entity, pattern: str, dialect: str):
    """Comments whose text, name, email, address or website holds ``pattern`` (ILIKE)."""
    if dialect == "postgresql":
        return literal_column(HAYSTACK).ilike(pattern)
    return or_(
        comment_entity.body.ilike(pattern),
        comment_entity.author_name.ilike(pattern),
        comment_entity.author_email.ilike(pattern),
        comment_entity.author_ip.ilike(pattern),
        comment_entity.author_url.ilike(pattern),
    )
