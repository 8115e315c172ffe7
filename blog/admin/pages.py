"""Pages in the admin: the list (parents before children, by order), new, edit.

Pages share the posts' editor (blog.admin.posts) with a parent page and an order instead of
sticky, categories and tags; everything about pages needs ``edit_pages`` (editors and
administrators). Trash, revisions, autosave and preview are the posts' own routes.
"""

from __future__ import annotations

from flask import abort, g
from sqlalchemy import func, select

from ..accounts import roles
from ..extensions import db
from ..models import Post, PostKind, PostStatus
from ..web.urls import page_path
from . import bp
from .posts import editor, new_editor, page_tree


@bp.get("/pages")
@roles.require("edit_pages")
def pages():
    from flask import render_template

    from .trash import purge_expired

    purge_expired()
    trashed = db.session.scalar(
        select(func.count(Post.id)).where(
            Post.kind == PostKind.PAGE.value, Post.status == PostStatus.TRASH.value
        )
    )
    return render_template(
        "admin/pages.html",
        tree=page_tree(),
        trashed=trashed,
        roles=roles,
        page_path=page_path,
    )


@bp.route("/pages/new", methods=["GET", "POST"])
@roles.require("edit_pages")
def page_new():
    return new_editor(PostKind.PAGE.value)


@bp.route("/pages/<int:post_id>/edit", methods=["GET", "POST"])
def page_edit(post_id: int):
    post = db.get_or_404(Post, post_id)
    if not roles.may_edit(g.author, post):
        abort(403)
    return editor(post)
