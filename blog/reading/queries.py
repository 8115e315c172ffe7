"""Reading queries: what readers may see, with comment counts in the same query."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import NamedTuple

from flask import current_app
from sqlalchemy import Select, and_, bindparam, extract, func, select, tuple_
from sqlalchemy.orm import lazyload, with_expression

from ..extensions import db
from ..models import (
    Comment,
    CommentStatus,
    Post,
    PostKind,
    PostStatus,
    SlugRedirect,
    Tag,
    UTCDateTime,
    now_utc,
    post_tags,
)
from ..settings import site_timezone


def visible_condition(now: datetime | None = None):
    """Published posts, and scheduled ones whose time has come: no worker needed."""
    if now is None:
        return _visible_now()
    return and_(
        Post.status.in_((PostStatus.PUBLISHED.value, PostStatus.SCHEDULED.value)),
        Post.published_at.is_not(None),
        Post.published_at <= now,
    )


@functools.cache
def _visible_now():
    """The condition as of each execution: "now" is read when the statement runs, so the
    expression is built once (building it was a good part of a short request's cost)."""
    now = bindparam("now", callable_=lambda: now_utc(), type_=UTCDateTime(), unique=True)
    return visible_condition(now)


IS_POST = Post.kind == PostKind.POST.value


def visible_posts() -> Select:
    """Posts (never pages) readers see, newest first, each with its approved-comment count (the
    one the database keeps, blog/comment_counts.py: a column of the row, not a count per post).
    Private posts are never here: their status is not a visible one."""
    return (
        select(Post)
        .where(visible_condition(), IS_POST)
        .options(with_expression(Post.comment_count, Post.approved_comments))
        .order_by(Post.published_at.desc(), Post.id.desc())
    )


def home_posts() -> Select:
    """The home page: sticky posts first (newest first), then the rest; each post once."""
    return (
        visible_posts()
        .order_by(None)
        .order_by(Post.sticky.desc(), Post.published_at.desc(), Post.id.desc())
    )


def posts_tagged(tag: Tag) -> Select:
    return visible_posts().where(Post.terms.any(Tag.id == tag.id))


def _site_midnight(year: int, month: int) -> datetime:
    """The first moment of ``month`` in the site's time zone, in UTC."""
    return datetime(year, month, 1, tzinfo=site_timezone()).astimezone(UTC)


def posts_in_month(year: int, month: int) -> Select:
    """Posts published in ``month`` of ``year`` (1..12, 1..9999) of the site's time zone."""
    try:
        start = _site_midnight(year, month)
    except OverflowError:  # year 1 at a positive offset
        start = datetime(year, month, 1, tzinfo=UTC)
    query = visible_posts().where(Post.published_at >= start)
    if (year, month) != (9999, 12):  # the month after December 9999 is beyond datetime's range
        try:
            end = _site_midnight(year + month // 12, month % 12 + 1)
        except OverflowError:
            return query
        query = query.where(Post.published_at < end)
    return query


def visible_post_by_slug(slug: str) -> Post | None:
    """A post (not a page) readers may see at /posts/SLUG."""
    return db.session.scalar(_visible_post_by_slug(), {"slug": slug})


@functools.cache
def _visible_post_by_slug() -> Select:
    # Every article request and comment post asks this: the statement is built once. The tags
    # load when a page shows them (a comment post never does), not with every lookup.
    return visible_posts().where(Post.slug == bindparam("slug")).options(lazyload(Post.terms))


def visible_content_by_slug(slug: str) -> Post | None:
    """A post or a page readers may see (published, its time come), by its own slug."""
    return db.session.scalar(_visible_content_by_slug(), {"slug": slug})


@functools.cache
def _visible_content_by_slug() -> Select:
    return (
        select(Post)
        .where(visible_condition(), Post.slug == bindparam("slug"))
        .options(with_expression(Post.comment_count, Post.approved_comments), lazyload(Post.terms))
    )


def private_content_by_slug(slug: str) -> Post | None:
    """A private post or page (status private, published): only for those who ``may_read`` it,
    which the caller checks (blog.reading.access)."""
    return db.session.scalar(
        select(Post).where(
            Post.status == PostStatus.PRIVATE.value,
            Post.published_at.is_not(None),
            Post.slug == slug,
        )
    )


def neighbours(post: Post) -> tuple[Post | None, Post | None]:
    """(older, newer) visible posts around ``post``."""
    # A row-value comparison, not "earlier, or as early with a smaller id": PostgreSQL and
    # SQLite both start an index scan on (published_at, id) at it; the OR form read and sorted
    # every visible post (bench/bigsite.py).
    here = tuple_(Post.published_at, Post.id)
    mark = (post.published_at, post.id)
    older = db.session.scalar(
        select(Post)
        .where(visible_condition(), IS_POST)
        .where(here < mark)
        .order_by(Post.published_at.desc(), Post.id.desc())
        .limit(1)
    )
    newer = db.session.scalar(
        select(Post)
        .where(visible_condition(), IS_POST)
        .where(here > mark)
        .order_by(Post.published_at.asc(), Post.id.asc())
        .limit(1)
    )
    return older, newer


class PostLink(NamedTuple):
    """What a link to a post needs; plain data, so it can be cached."""

    slug: str
    title: str


class TagLink(NamedTuple):
    slug: str
    name: str


def neighbour_links(post: Post) -> tuple[PostLink | None, PostLink | None]:
    return tuple(PostLink(p.slug, p.title) if p else None for p in neighbours(post))


def tag_links_in_use() -> list[tuple[TagLink, int]]:
    """The sidebar's tag cloud: tags only (categories have their own list, reading.archives)."""
    return [
        (TagLink(tag.slug, tag.name), count)
        for tag, count in tags_in_use()
        if tag.taxonomy == "tag"
    ]


def monthly_archive() -> list[tuple[int, int, int]]:
    """(year, month, number of posts), newest month first; months of the site's time zone."""
    zone = site_timezone()
    if zone is UTC:
        year = extract("year", Post.published_at)
        month = extract("month", Post.published_at)
        rows = db.session.execute(
            select(year, month, func.count(Post.id))
            .where(visible_condition(), IS_POST)
            .group_by(year, month)
            .order_by(year.desc(), month.desc())
        )
        return [(int(y), int(m), n) for y, m, n in rows]
    # Another zone: months begin at different UTC times through the year (summer time), so the
    # posts are counted by their local month here, from one column (the result is cached per
    # content version, see views.sidebar).
    hours = db.session.execute(
        select(Post.published_at).where(visible_condition(), IS_POST)
    ).scalars()
    counts: dict[tuple[int, int], int] = {}
    for at in hours:
        local = at.astimezone(zone)
        counts[(local.year, local.month)] = counts.get((local.year, local.month), 0) + 1
    return [(y, m, counts[(y, m)]) for y, m in sorted(counts, reverse=True)]


def tags_in_use() -> list[tuple[Tag, int]]:
    rows = db.session.execute(
        select(Tag, func.count(Post.id))
        .join(post_tags, post_tags.c.tag_id == Tag.id)
        .join(Post, Post.id == post_tags.c.post_id)
        .where(visible_condition(), IS_POST)
        .group_by(Tag.id)
        .order_by(Tag.name)
    )
    return [(tag, n) for tag, n in rows]


def latest_approved_comments(post: Post | None = None) -> Select:
    """For the comment feeds: newest approved comments on posts and pages readers can see;
    never those of a password-protected one (its comments are part of what the password
    guards) nor of a private one (not visible)."""
    query = (
        select(Comment)
        .join(Comment.post)
        .where(
            Comment.status == CommentStatus.APPROVED.value,
            visible_condition(),
            Post.password == "",
        )
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(current_app.config["COMMENT_FEED_SIZE"])
    )
    if post is not None:
        query = query.where(Comment.post_id == post.id)
    return query


def post_moved_from(old_slug: str) -> Post | None:
    """The visible post that used to live at ``old_slug`` (its slug was changed)."""
    return db.session.scalar(
        select(Post)
        .join(SlugRedirect, SlugRedirect.post_id == Post.id)
        .where(SlugRedirect.old_slug == old_slug, visible_condition(), IS_POST)
    )
