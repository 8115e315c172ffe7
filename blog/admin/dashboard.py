"""The dashboard: what needs attention now."""

from __future__ import annotations

from flask import g, render_template
from sqlalchemy import func, select

from ..accounts import roles
from ..extensions import db
from ..models import Comment, CommentStatus, OutboxMessage, OutboxStatus, Post, PostStatus
from . import bp
from .comments import row_context


@bp.get("/")
def dashboard():
    """For everyone signed in; each part only for the roles that may act on it: the posts
    (a contributor's or author's own ones unless they may edit others'), the comments waiting
    (moderators), the mail not sent (administrators)."""
    counted = select(Post.status, func.count(Post.id)).group_by(Post.status)
    if not roles.can(g.author, "edit_others_posts"):
        counted = counted.where(Post.author_id == g.author.id)
    posts_by_status = dict(db.session.execute(counted).all())
    moderator = roles.can(g.author, "moderate_comments")
    pending = db.session.scalar(
        select(func.count(Comment.id)).where(Comment.status == CommentStatus.PENDING.value)
    )
    failed_mail = db.session.scalar(
        select(func.count(OutboxMessage.id)).where(
            OutboxMessage.status == OutboxStatus.FAILED.value
        )
    )
    latest = db.session.scalars(
        select(Comment)
        .where(Comment.status.in_((CommentStatus.PENDING.value, CommentStatus.APPROVED.value)))
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(5)
    ).all()
    return render_template(
        "admin/dashboard.html",
        published=posts_by_status.get(PostStatus.PUBLISHED.value, 0),
        scheduled=posts_by_status.get(PostStatus.SCHEDULED.value, 0),
        drafts=posts_by_status.get(PostStatus.DRAFT.value, 0),
        pending=pending,
        failed_mail=failed_mail if roles.can(g.author, "manage_options") else 0,
        latest=latest if moderator else [],
        moderator=moderator,
        **row_context(),
    )
