"""Blueprint for authors: dashboard, articles, comment moderation and settings.

Every URL under it requires a signed-in author; the check is blueprint-wide so that a new view
cannot forget it.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..accounts import roles
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

    def can(capability: str) -> bool:
        return roles.can(g.get("author"), capability)

    def admin_url(endpoint: str, capability: str) -> str | None:
        """The address of an admin screen the signed-in author may use, else None (also while
        the screen does not exist yet: parts of the admin arrive separately)."""
        if endpoint not in current_app.view_functions or not can(capability):
            return None
        return url_for(endpoint)

    if g.get("author") is None:
        return {}
    return {"pending_badge": pending_badge, "can": can, "admin_url": admin_url}


# (endpoint, label, capability) of the admin's navigation, in WordPress's order; each entry is
# shown only to the roles that may use it.
NAVIGATION = (
    ("admin.dashboard", _l("Dashboard"), "read"),
    ("admin.posts", _l("Posts"), "edit_posts"),
    ("admin.media_library", _l("Media"), "upload_files"),
    ("admin.pages", _l("Pages"), "edit_pages"),
    ("admin.comments", _l("Comments"), "moderate_comments"),
    ("admin.subscriptions", _l("Subscriptions"), "moderate_comments"),
    ("admin.categories", _l("Categories"), "manage_categories"),
    ("admin.tags", _l("Tags"), "manage_categories"),
    ("admin.menus", _l("Menus"), "edit_theme_options"),
    ("admin.users", _l("Users"), "list_users"),
    ("admin.trash", _l("Trash"), "edit_posts"),
    ("admin.mail", _l("Mail"), "manage_options"),
    ("admin.settings", _l("Settings"), "manage_options"),
)


@bp.app_context_processor
def admin_navigation() -> dict:
    return {"admin_navigation": NAVIGATION}


from . import (  # noqa: E402, F401  (views register on bp)
    autosave,
    comments,
    dashboard,
    mail,
    media,
    menus,
    pages,
    posts,
    revisions,
    settings,
    subscriptions,
    terms,
    trash,
    users,
)
