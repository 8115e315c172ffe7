"""The Trash: "Move to Trash" instead of deleting, restore, delete for good, empty.

A trashed post or page keeps its row (and so its slug and its comments); readers cannot see it
(only published and due scheduled posts are visible). Restoring gives back the status it had.
Items trashed more than TRASH_DAYS ago are deleted when the trash or the posts list is opened,
and by ``flask empty-trash``.
"""

from __future__ import annotations

from datetime import timedelta

import click
from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from ..accounts import roles
from ..extensions import db
from ..models import Post, PostStatus, now_utc
from ..web.htmx import is_htmx
from . import bp
from .posts import deletable, delete_for_good, list_url, own_scope

TRASH_DAYS = 30


def purge_expired(days: int = TRASH_DAYS) -> int:
    """Delete for good what has been in the trash longer than ``days``; how many went."""
    cutoff = now_utc() - timedelta(days=days)
    expired = db.session.scalars(
        select(Post).where(Post.status == PostStatus.TRASH.value, Post.trashed_at < cutoff)
    ).all()
    for post in expired:
        delete_for_good(post)
    if expired:
        db.session.commit()
    return len(expired)


def move_to_trash(post: Post) -> None:
    if post.status == PostStatus.TRASH.value:
        return
    post.status_before_trash = post.status
    post.status = PostStatus.TRASH.value
    post.trashed_at = now_utc()


def restore(post: Post) -> None:
    if post.status != PostStatus.TRASH.value:
        return
    post.status = post.status_before_trash or PostStatus.DRAFT.value
    post.status_before_trash = ""
    post.trashed_at = None


def trashed_in_scope():
    return own_scope(select(Post).where(Post.status == PostStatus.TRASH.value))


@bp.get("/trash")
def trash():
    purge_expired()
    items = db.session.scalars(
        trashed_in_scope().order_by(Post.trashed_at.desc(), Post.id.desc())
    ).all()
    return render_template(
        "admin/trash.html",
        items=items,
        roles=roles,
        days=TRASH_DAYS,
        now=now_utc(),
    )


@bp.post("/posts/<int:post_id>/trash")
def post_trash(post_id: int):
    post = deletable(post_id)
    move_to_trash(post)
    db.session.commit()
    flash(_("Moved \u201c%(title)s\u201d to the Trash.", title=post.title))
    if is_htmx():
        return "", 200
    back = request.form.get("back")
    return redirect(url_for("admin.trash") if back == "trash" else list_url(post), 303)


@bp.post("/posts/<int:post_id>/restore")
def post_restore(post_id: int):
    post = deletable(post_id)
    restore(post)
    db.session.commit()
    flash(_("Restored \u201c%(title)s\u201d.", title=post.title))
    return redirect(url_for("admin.trash"), 303)


@bp.post("/trash/empty")
def trash_empty():
    """Delete for good every trashed item this account may delete."""
    gone = 0
    for post in db.session.scalars(trashed_in_scope()).all():
        if roles.may_delete(g.author, post):
            delete_for_good(post)
            gone += 1
    db.session.commit()
    flash(
        ngettext(
            "Emptied the Trash (%(num)d item deleted for good).",
            "Emptied the Trash (%(num)d items deleted for good).",
            gone,
        )
    )
    return redirect(url_for("admin.trash"), 303)


@click.command("empty-trash")
@click.option("--days", default=TRASH_DAYS, show_default=True, help="Delete what is older.")
def empty_trash_command(days: int) -> None:
    """Delete for good the posts and pages trashed more than DAYS days ago (cron)."""
    gone = purge_expired(max(days, 0))
    click.echo(f"Deleted {gone} {'item' if gone == 1 else 'items'} from the Trash for good.")
