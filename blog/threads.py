"""Comment threads as readers see them: pages of top-level comments with their replies nested."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import and_, func, or_, select

from .extensions import db
from .models import Comment, CommentStatus, Post, now_utc
from .settings import site_config

HIDDEN_FROM_OWNER = (CommentStatus.TRASH.value,)


@dataclass
class Node:
    comment: Comment
    level: int
    children: list[Node] = field(default_factory=list)
    in_reply_to: str | None = None  # shown when the reply sits away from what it answers


def visible_condition(own_ids):
    """Approved comments, plus the visitor's own comments that wait (held or silently spammed)."""
    approved = Comment.status == CommentStatus.APPROVED.value
    if not own_ids:
        return approved
    own_waiting = and_(Comment.id.in_(own_ids), Comment.status.not_in(HIDDEN_FROM_OWNER))
    return or_(approved, own_waiting)


def is_visible(comment: Comment, own_ids) -> bool:
    if comment.status == CommentStatus.APPROVED.value:
        return True
    return comment.id in own_ids and comment.status not in HIDDEN_FROM_OWNER


def _order():
    newest_first = site_config()["COMMENT_ORDER"] == "newest"
    if newest_first:
        return (Comment.created_at.desc(), Comment.id.desc())
    return (Comment.created_at.asc(), Comment.id.asc())


def top_level_query(post: Post, own_ids):
    return (
        select(Comment)
        .where(Comment.post_id == post.id, Comment.parent_id.is_(None))
        .where(visible_condition(own_ids))
        .order_by(*_order())
    )


def thread_page(post: Post, page: int, own_ids):
    """A page of top-level comments (Flask-SQLAlchemy pagination) plus the nested trees."""
    pagination = db.paginate(
        top_level_query(post, own_ids),
        page=page,
        per_page=site_config()["COMMENTS_PER_PAGE"],
        max_per_page=site_config()["COMMENTS_PER_PAGE"],
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
    max_level = site_config()["COMMENT_THREAD_DEPTH"]
    by_id = {c.id: c for c in [*roots, *replies]}
    nodes: dict[int, Node] = {c.id: Node(c, 1) for c in roots}
    parent_of: dict[int, Node | None] = {c.id: None for c in roots}
    for reply in replies:
        if not is_visible(reply, own_ids):
            continue
        # The nearest visible ancestor carries the reply (a trashed parent leaves no hole).
        ancestor_id = reply.parent_id
        while ancestor_id is not None and ancestor_id not in nodes:
            ancestor = by_id.get(ancestor_id)
            ancestor_id = ancestor.parent_id if ancestor else None
        if ancestor_id is None:
            continue
        holder = nodes[ancestor_id]
        if holder.level >= max_level:
            # Too deep: sit beside the comment answered, at the deepest level.
            holder = parent_of[ancestor_id] or holder
        node = Node(reply, holder.level + 1)
        if holder.comment.id != reply.parent_id:
            node.in_reply_to = by_id[reply.parent_id].author_name
        holder.children.append(node)
        nodes[reply.id] = node
        parent_of[reply.id] = holder
    return [nodes[c.id] for c in roots]


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
        node.in_reply_to = comment.parent.author_name
    return Placement(node, f"children-{holder.id}")


def approved_totals(post: Post) -> tuple[int, int]:
    """(number of approved comments, id of the newest one or 0), in one query."""
    count, newest = db.session.execute(
        select(func.count(Comment.id), func.max(Comment.id)).where(
            Comment.post_id == post.id, Comment.status == CommentStatus.APPROVED.value
        )
    ).one()
    return count, newest or 0


def approved_since(post: Post, after_id: int, own_ids) -> int:
    """Approved comments newer than what the page showed, not counting the visitor's own."""
    query = select(func.count(Comment.id)).where(
        Comment.post_id == post.id,
        Comment.status == CommentStatus.APPROVED.value,
        Comment.id > after_id,
    )
    if own_ids:
        query = query.where(Comment.id.not_in(own_ids))
    return db.session.scalar(query)


def page_of(comment: Comment, own_ids) -> int:
    """The comment page (cpage) that shows ``comment``: the page of its top-level comment."""
    root = db.session.get(Comment, comment.root_id or comment.id)
    newest_first = site_config()["COMMENT_ORDER"] == "newest"
    if newest_first:
        before = or_(
            Comment.created_at > root.created_at,
            and_(Comment.created_at == root.created_at, Comment.id > root.id),
        )
    else:
        before = or_(
            Comment.created_at < root.created_at,
            and_(Comment.created_at == root.created_at, Comment.id < root.id),
        )
    ahead = db.session.scalar(
        select(func.count(Comment.id))
        .where(Comment.post_id == root.post_id, Comment.parent_id.is_(None))
        .where(visible_condition(own_ids))
        .where(before)
    )
    return ahead // site_config()["COMMENTS_PER_PAGE"] + 1


def comments_closed(post: Post) -> bool:
    if not post.comments_open:
        return True
    days = site_config()["COMMENT_CLOSE_AFTER_DAYS"]
    return (
        bool(days)
        and post.published_at is not None
        and (now_utc() - post.published_at > timedelta(days=days))
    )
