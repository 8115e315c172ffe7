"""Blueprint for authors: dashboard, articles, comment moderation and settings.

Every URL under it requires a signed-in author; the check is blueprint-wide so that a new view
cannot forget it.
"""

from __future__ import annotations

from flask import Blueprint, g, redirect, request, url_for
from sqlalchemy import func, select

from ..extensions import db
from ..models import Comment, CommentStatus
from ..web.security import no_store

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def require_author():
    if g.get("author") is None:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return None


bp.after_request(no_store)


@bp.app_context_processor
def admin_context() -> dict:
    def pending_badge() -> int:
        return db.session.scalar(
            select(func.count(Comment.id)).where(Comment.status == CommentStatus.PENDING.value)
        )

    if g.get("author") is None:
        return {}
    return {"pending_badge": pending_badge}


from . import (  # noqa: E402, F401  (views register on bp)
    autosave,
    comments,
    dashboard,
    mail,
    pages,
    posts,
    revisions,
    settings,
    trash,
)
