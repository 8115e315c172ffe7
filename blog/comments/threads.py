"""Comment threads as readers see them: pages of top-level comments with their replies nested."""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import and_, bindparam, func, literal_column, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import BindParameter

from ..extensions import db
from ..models import Comment, CommentStatus, Post, now_utc
from ..settings import site_config

HIDDEN_FROM_OWNER = (CommentStatus.TRASH.value, CommentStatus.DELETED.value)


@dataclass
class Node:
    comment: Comment
    level: int
    children: list[Node] = field(default_factory=list)
    in_reply_to: str | None = None  # shown when the reply sits away from what it answers
    # Not public (any status, or deleted for good) but it has visible replies: its place in the
    # thread shows "This comment was removed." and nothing of what it said or who said it.
    removed: bool = False
    # Sits beside the comment it answers, under another one (deeper than the setting): the
    # comment it is in is not the one it answers, so it is never named as such.
    flattened: bool = False


def visible_condition(own_ids, entity=Comment):
    """Approved comments, plus the visitor's own comments that wait (held or silently spammed)."""
    approved = entity.status == CommentStatus.APPROVED.value
    if not isinstance(own_ids, BindParameter) and not own_ids:
        return approved
    # own_ids: the ids, or an expanding bind parameter standing for them (top_level_condition)
    own_waiting = and_(entity.id.in_(own_ids), entity.status.not_in(HIDDEN_FROM_OWNER))
    return or_(approved, own_waiting)


def is_visible(comment: Comment, own_ids) -> bool:
    if comment.status == CommentStatus.APPROVED.value:
        return True
    return comment.id in own_ids and comment.status not in HIDDEN_FROM_OWNER


def top_level_condition(own_ids):
    """Top-level comments the thread shows: visible ones, and placeholders for removed ones
    that still have a visible reply somewhere below them.

    The expression is built once (building it cost more than running the query it is part
    of); the visitor's own comment ids are a parameter, ``own_params(own_ids)``, given when the
    statement runs."""
    return _top_level_condition(bool(own_ids))


def own_params(own_ids) -> dict:
    """The execution parameters ``top_level_condition(own_ids)`` needs."""
    return {"own_ids": sorted(own_ids)} if own_ids else {}


@functools.cache
def _top_level_condition(with_own: bool):
    own = bindparam("own_ids", expanding=True) if with_own else ()
    reply = aliased(Comment)
    has_visible_reply = (
        select(reply.id)
        .where(reply.root_id == Comment.id, reply.id != Comment.id)
        .where(visible_condition(own, reply))
        .exists()
    )
    return and_(Comment.parent_id.is_(None), or_(visible_condition(own), has_visible_reply))


def _order():
    newest_first = site_config()["COMMENT_ORDER"] == "newest"
    if newest_first:
        return (Comment.created_at.desc(), Comment.id.desc())
    return (Comment.created_at.asc(), Comment.id.asc())


def top_level_query(post: Post, own_ids):
    query = (
        select(Comment)
        .where(Comment.post_id == post.id, top_level_condition(own_ids))
        .order_by(*_order())
    )
    # db.paginate runs the statement itself: the parameters travel with it.
    return query.params(own_params(own_ids)) if own_ids else query


def thread_page(post: Post, page: int, own_ids):
    """A page of top-level comments (Flask-SQLAlchemy pagination) plus the nested trees."""
    per_page = site_config()["COMMENTS_PER_PAGE"]
    pagination = db.paginate(
        top_level_query(post, own_ids),
        page=page,
        per_page=per_page,
        max_per_page=per_page,
        error_out=True,
        count=True,
    )
    roots = pagination.items
    replies = []
    if roots:
        replies = db.session.scalars(
            select(Comment)
            .where(Comment.root_id.in_([c.id for c in roots]), Comment.parent_id.is_not(None))
            .order_by(Comment.created_at.asc(), Comment.id.asc())
        ).all()
    return pagination, build_tree(roots, replies, own_ids)


def build_tree(roots, replies, own_ids) -> list[Node]:
    """Nest ``replies`` (oldest first) under ``roots``; removed comments keep their place while
    a visible reply hangs below them, and replies deeper than the setting sit beside the comment
    they answer, at the deepest level, with "in reply to NAME"."""
    max_level = site_config()["COMMENT_THREAD_DEPTH"]
    by_id = {c.id: c for c in [*roots, *replies]}
    visible = {c.id: is_visible(c, own_ids) for c in by_id.values()}
    children: dict[int, list[Comment]] = defaultdict(list)
    for reply in replies:
        children[reply.parent_id].append(reply)
    keep = _kept(roots, children, visible)

    nodes: dict[int, Node] = {}
    holder_of: dict[int, Node | None] = {}
    result = []
    for root in roots:
        if not keep.get(root.id):
            continue
        nodes[root.id] = Node(root, 1, removed=not visible[root.id])
        holder_of[root.id] = None
        result.append(nodes[root.id])
    # Oldest first, so replies flattened at the deepest level read in the order they were
    # written; one written "before" its parent (imported dates) waits for the parent.
    waiting = [reply for reply in replies if keep.get(reply.id)]
    while waiting:
        later = []
        for reply in waiting:
            parent_node = nodes.get(reply.parent_id)
            if parent_node is None:
                later.append(reply)
                continue
            holder = parent_node
            if holder.level >= max_level:
                holder = holder_of[parent_node.comment.id] or holder
            node = Node(reply, holder.level + 1, removed=not visible[reply.id])
            node.flattened = holder is not parent_node
            if node.flattened and visible[reply.parent_id]:
                node.in_reply_to = by_id[reply.parent_id].author_name
            holder.children.append(node)
            nodes[reply.id] = node
            holder_of[reply.id] = holder
        if len(later) == len(waiting):
            break  # parents outside these threads: nothing more can be placed
        waiting = later
    return result


def _kept(roots, children, visible) -> dict[int, bool]:
    """Which comments the thread shows: visible ones and every ancestor of a visible one."""
    order = []
    stack = list(roots)
    while stack:  # iterative: imported threads can be deeper than Python's recursion limit
        comment = stack.pop()
        order.append(comment)
        stack.extend(children.get(comment.id, ()))
    keep: dict[int, bool] = {}
    for comment in reversed(order):  # children before their parents
        keep[comment.id] = visible[comment.id] or any(
            keep.get(child.id, False) for child in children.get(comment.id, ())
        )
    return keep


@dataclass
class Placement:
    node: Node
    container_id: str  # the list element the new comment is appended to


def placement_of_new(comment: Comment) -> Placement:
    """Where a just-posted comment goes in the page, by the same rule as build_tree."""
    max_level = site_config()["COMMENT_THREAD_DEPTH"]
    level = min(comment.depth + 1, max_level)
    node = Node(comment, level)
    if comment.parent is None:
        return Placement(node, "comment-list")
    holder = comment.parent
    while holder.depth + 1 > level - 1 and holder.parent is not None:
        holder = holder.parent
    if holder.id != comment.parent_id:
        node.flattened = True
        node.in_reply_to = comment.parent.author_name
    return Placement(node, f"children-{holder.id}")


def approved_totals(post: Post) -> tuple[int, int]:
    """(number of approved comments, id of the newest one or 0), in one query."""
    # Columns, no ORM objects: run on the session's connection, past the ORM's execution layer.
    connection = db.session.connection()
    count, newest = connection.execute(_approved_totals(), {"post_id": post.id}).one()
    return count, newest or 0


@functools.cache
def _approved_totals():
    # Every thread and every comment post asks: built once (building cost more than running).
    return select(func.count(Comment.id), func.max(Comment.id)).where(
        Comment.post_id == bindparam("post_id"), Comment.status == CommentStatus.APPROVED.value
    )


def page_of(comment: Comment, own_ids) -> int | None:
    """The comment page (cpage) that shows ``comment``: the page of its top-level comment;
    None when its thread is broken (no top-level comment)."""
    counting = _ahead_count(comment, own_ids)
    if counting is None:
        return None
    newest_first, params = counting
    statement = _top_level_ahead(newest_first, bool(own_ids))
    ahead = db.session.connection().scalar(statement, params)
    return ahead // site_config()["COMMENTS_PER_PAGE"] + 1


def totals_and_page_of_new(post: Post, comment: Comment) -> tuple[int, int | None]:
    """For the answer to a just-posted comment: the article's approved count, and the page that
    shows the comment to its poster (page_of with the comment as their own), in one query.

    The count leaves the new comment out of the visitor's own: it could only make its own
    thread's top-level comment visible, and that one is where the count stops, not among the
    comments counted. The count without it is the same number, without a list parameter that
    SQLAlchemy would have to write into the statement on every post."""
    counting = _ahead_count(comment, [])
    if counting is None:
        return _stored_count(post), None
    newest_first, params = counting
    if comment.parent_id is None and not newest_first:
        # A new thread, oldest first: everything is ahead of it. Counting that grows with the
        # article; the stored top-level count, less what sits from it on, does not.
        statement = _approved_and_ahead_of_new_thread()
    else:
        statement = _approved_and_ahead(newest_first)
    row = db.session.connection().execute(statement, {**params, "post_id": post.id})
    count, ahead = row.one()
    return count, ahead // site_config()["COMMENTS_PER_PAGE"] + 1


def _stored_count(post: Post) -> int:
    return db.session.connection().scalar(_approved_stored(), {"post_id": post.id})


@functools.cache
def _approved_stored():
    """The approved count the database keeps on the post (blog/comment_counts.py): read, not
    counted, so the answer to a new comment costs the same on any thread's length."""
    return select(Post.approved_comments).where(Post.id == bindparam("post_id"))


@functools.cache
def _approved_and_ahead(newest_first: bool):
    """The approved count and a new comment's top-level count ahead, as one statement (the
    comment's root is in the same post, so one post_id serves both)."""
    return select(
        _approved_stored().scalar_subquery(),
        _top_level_ahead(newest_first, False).scalar_subquery(),
    )


@functools.cache
def _approved_and_ahead_of_new_thread():
    """As _approved_and_ahead, oldest first, for a top-level comment: the top-level comments
    ahead of it are the approved ones (the stored number, less those at or after it: itself,
    and any dated later) plus those shown as removed because an approved reply hangs below them
    (the few top-level comments not approved, through their own partial index)."""
    root_at, root_id = bindparam("root_created_at"), bindparam("root_id")
    # Written out, not as a parameter: a partial index serves only a query that states its
    # condition the same way.
    approved = literal_column("'approved'")
    from_root = and_(
        Comment.created_at >= root_at, or_(Comment.created_at > root_at, Comment.id >= root_id)
    )
    approved_from_root = select(func.count(Comment.id)).where(
        Comment.post_id == bindparam("post_id"),
        Comment.parent_id.is_(None),
        Comment.status == approved,
        from_root,
    )
    reply = aliased(Comment)
    has_approved_reply = (
        select(reply.id)
        .where(reply.root_id == Comment.id, reply.id != Comment.id, reply.status == approved)
        .exists()
    )
    removed_ahead = select(func.count(Comment.id)).where(
        Comment.post_id == bindparam("post_id"),
        Comment.parent_id.is_(None),
        Comment.status != approved,
        Comment.created_at <= root_at,
        or_(Comment.created_at < root_at, Comment.id < root_id),
        has_approved_reply,
    )
    ahead = (
        Post.approved_top_level
        - approved_from_root.scalar_subquery()
        + removed_ahead.scalar_subquery()
    )
    return select(Post.approved_comments, ahead).where(Post.id == bindparam("post_id"))


def _ahead_count(comment: Comment, own_ids) -> tuple[bool, dict] | None:
    """(newest first?, the parameters) for counting the top-level comments shown before
    ``comment``'s thread (_top_level_ahead); None when its thread is broken."""
    root = comment if comment.parent_id is None else db.session.get(Comment, comment.root_id)
    if root is None or root.parent_id is not None:  # an old row's root link: follow parents
        root = comment
        while root.parent is not None:
            root = root.parent
    if root.post_id != comment.post_id:
        return None
    newest_first = site_config()["COMMENT_ORDER"] == "newest"
    params = {
        "post_id": root.post_id,
        "root_created_at": root.created_at,
        "root_id": root.id,
        **own_params(own_ids),
    }
    return newest_first, params


@functools.cache
def _top_level_ahead(newest_first: bool, with_own: bool):
    """How many top-level comments the thread shows before a given one (its time and id)."""
    created_at, comment_id = bindparam("root_created_at"), bindparam("root_id")
    # Written as a range on created_at (then the tie broken by id), so the count walks the
    # index on (post_id, parent_id, created_at, status) and reads no table rows.
    if newest_first:
        before = and_(
            Comment.created_at >= created_at,
            or_(Comment.created_at > created_at, Comment.id > comment_id),
        )
    else:
        before = and_(
            Comment.created_at <= created_at,
            or_(Comment.created_at < created_at, Comment.id < comment_id),
        )
    return (
        select(func.count(Comment.id))
        .where(Comment.post_id == bindparam("post_id"), _top_level_condition(with_own))
        .where(before)
    )


def new_since(post: Post, after_id: int, own_ids, limit: int = 50) -> list[Comment]:
    """Approved comments newer than what the page showed, not the visitor's own, oldest first."""
    query = (
        select(Comment)
        .where(
            Comment.post_id == post.id,
            Comment.status == CommentStatus.APPROVED.value,
            Comment.id > after_id,
        )
        .order_by(Comment.id)
        .limit(limit)
    )
    if own_ids:
        query = query.where(Comment.id.not_in(own_ids))
    return list(db.session.scalars(query))


def comments_close_at(post: Post):
    """When comments close by age alone (COMMENT_CLOSE_AFTER_DAYS), or None."""
    days = site_config()["COMMENT_CLOSE_AFTER_DAYS"]
    if not (days and post.comments_open and post.published_at is not None):
        return None
    return post.published_at + timedelta(days=days)


def comments_closed(post: Post) -> bool:
    if not post.comments_open:
        return True
    days = site_config()["COMMENT_CLOSE_AFTER_DAYS"]
    return (
        bool(days)
        and post.published_at is not None
        and (now_utc() - post.published_at > timedelta(days=days))
    )
