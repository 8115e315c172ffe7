"""Comment moderation as WordPress authors know it: views, search, row and bulk actions.

Each row action is a small POST form; htmx posts it and swaps just that row, a browser without
JavaScript posts it and comes back to the same list.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import comment_search
from ..accounts import roles
from ..caching import pagecache
from ..comments import lifecycle, moderation, posting
from ..extensions import db
from ..models import Comment, CommentStatus, Post, now_utc
from ..sanitize import refresh_comment_html
from ..web.htmx import is_htmx, render_page_or_fragment
from ..web.params import MAX_PAGE, int_arg, parse_id, text_arg
from ..web.urls import local_path
from . import bp
from .forms import AdminCommentEditForm, AdminReplyForm

VIEWS = ("all", "pending", "approved", "spam", "trash")
PER_PAGE = 20
ACTION_LABELS = {
    "approve": _l("Approve"),
    "unapprove": _l("Unapprove"),
    "spam": _l("Spam"),
    "notspam": _l("Not spam"),
    "trash": _l("Trash"),
    "restore": _l("Restore"),
    "delete": _l("Delete permanently"),
}


def list_url() -> str:
    """The list a moderator came from (passed along as "back"), or the comments list."""
    fallback = url_for("admin.comments")
    target = local_path(request.values.get("back"), fallback)
    return target if target.startswith("/admin/") else fallback


def row_context() -> dict:
    back = (
        request.full_path
        if request.endpoint in ("admin.comments", "admin.dashboard")
        else list_url()
    )
    return {
        "row_actions": lifecycle.ROW_ACTIONS,
        "action_labels": ACTION_LABELS,
        "may_reply": lifecycle.MAY_BE_PUBLIC,
        "back": back.rstrip("?"),
    }


def list_conditions(view: str, search: str, post_id: int | None) -> list:
    if view == "all":
        conditions = [
            Comment.status.in_((CommentStatus.PENDING.value, CommentStatus.APPROVED.value))
        ]
    else:
        conditions = [Comment.status == view]
    if search:
        # On PostgreSQL one match over the five columns, which a trigram index answers.
        dialect = db.session.get_bind().dialect.name
        conditions.append(comment_search.condition(Comment, f"%{search}%", dialect))
    if post_id:
        conditions.append(Comment.post_id == post_id)
    return conditions


def list_query(view: str, search: str, post_id: int | None):
    # No join with the posts (every comment has one): the page's count then reads the comments'
    # index alone. Each row shows its article and the comment it answers: loaded for the whole
    # page in one query each, not one per row (bench/bigsite.py).
    return (
        select(Comment)
        .options(selectinload(Comment.post), selectinload(Comment.parent))
        .where(*list_conditions(view, search, post_id))
        .order_by(Comment.created_at.desc(), Comment.id.desc())
    )


# A search or an article filter counts its matches only this far past the page shown: a word
# in 8,000 of 1,000,000 comments took the whole count through the trigram index on every list
# (bench/bigsite.py); the caption then says "more than", and the pager offers the next pages.
COUNT_AHEAD = 1000


def counted_matches(view: str, search: str, post_id: int | None, page: int) -> tuple[int, bool]:
    """(how many comments match, up to the bound; whether there are more than that)."""
    bound = (page - 1) * PER_PAGE + COUNT_AHEAD
    matching = (
        select(Comment.id).where(*list_conditions(view, search, post_id)).limit(bound + 1)
    ).subquery()
    found = db.session.scalar(select(func.count()).select_from(matching))
    return min(found, bound), found > bound


NOT_APPROVED = tuple(status.value for status in CommentStatus if status != CommentStatus.APPROVED)


def status_counts() -> dict[str, int]:
    """Comments per status. Grouping every comment read the whole table on each list (1,000,000
    rows on a big site, bench/bigsite.py): the statuses other than approved are few and counted
    from the index on (status, created_at, id); the approved ones are the sum of the counts the
    database keeps per post (blog/comment_counts.py; every comment belongs to a post)."""
    counts = dict(
        db.session.execute(
            select(Comment.status, func.count())
            .where(Comment.status.in_(NOT_APPROVED))
            .group_by(Comment.status)
        ).all()
    )
    counts["approved"] = db.session.scalar(
        select(func.coalesce(func.sum(Post.approved_comments), 0))
    )
    counts["all"] = counts.get("pending", 0) + counts["approved"]
    return counts


# The article filter's choices: the newest articles with comments. Every one of them made the
# list's page megabytes on a big site (100,000 options).
POST_CHOICES = 50


def posts_with_comments(selected: int | None) -> list:
    newest = (
        select(Post.id)
        .where(select(Comment.id).where(Comment.post_id == Post.id).exists())
        .order_by(Post.id.desc())
        .limit(POST_CHOICES)
    )
    wanted = Post.id.in_(newest.scalar_subquery())
    if selected:  # the article filtered on stays a choice
        wanted = wanted | (Post.id == selected)
    return db.session.execute(select(Post.id, Post.title).where(wanted).order_by(Post.title)).all()


def list_context() -> dict:
    view = request.args.get("status", "all")
    if view not in VIEWS:
        abort(404)
    search = text_arg("q").strip()
    post_id = int_arg("post", 0) or None
    page = int_arg("page", 1, minimum=1, maximum=MAX_PAGE)
    # Counted again only when a comment changes (the comments token moves with each) or
    # arrives: a held or spam comment moves no token (no shared page shows it), the newest id
    # does. The approved count sums every post's kept count, about 0.2 s at 100,000 posts.
    newest = db.session.scalar(select(func.max(Comment.id)))
    counts = pagecache.remembered(
        pagecache.listing_key("admin-comment-counts", newest), status_counts
    )
    pagination = db.paginate(
        list_query(view, search, post_id),
        page=page,
        per_page=PER_PAGE,
        max_per_page=PER_PAGE,
        count=False,
    )
    more = False
    if search or post_id:
        pagination.total, more = counted_matches(view, search, post_id, page)
    else:  # a whole view: its count is one of the status counts just read
        pagination.total = counts.get(view, 0)
    return {
        "pagination": pagination,
        "more_than_total": more,
        "view": view,
        "views": VIEWS,
        "search": search,
        "post_filter": db.session.get(Post, post_id) if post_id else None,
        "counts": counts,
        "posts_with_comments": posts_with_comments(post_id),
        **row_context(),
    }


@bp.get("/comments")
@roles.require("moderate_comments")
def comments():
    return render_page_or_fragment(
        "admin/comments.html", "admin/_comment_list.html", **list_context()
    )


def back_to_list():
    """Where a plain (no-JavaScript) form post returns to: the list it came from."""
    return redirect(list_url(), 303)


def moderate(comment: Comment, action: str) -> bool:
    """One row's action through the comment lifecycle; True when the row still exists."""
    if action not in ACTION_LABELS:
        abort(404)
    try:
        return lifecycle.moderate(comment, action, lifecycle.moderator(g.author))
    except lifecycle.Refused:
        abort(404)


@bp.post("/comments/<int:comment_id>/<action>")
@roles.require("moderate_comments")
def comment_action(comment_id: int, action: str):
    comment = db.get_or_404(Comment, comment_id)
    moderate(comment, action)
    db.session.commit()
    if is_htmx():
        if action == lifecycle.DELETE:
            return render_template("admin/_comment_deleted.html", comment_id=comment_id)
        return render_row(comment)
    if action == lifecycle.DELETE:
        flash(_("The comment was deleted permanently."))
    else:
        flash(_("%(action)s: done.", action=ACTION_LABELS[action]))
    return back_to_list()


def render_row(comment: Comment, **extra):
    """The row again (and, out of band, the pending count in the navigation)."""
    return render_page_or_fragment(
        "admin/comments.html",
        "admin/_comment_row_update.html",
        comment=comment,
        **row_context(),
        **extra,
    )


@bp.post("/comments/bulk")
@roles.require("moderate_comments")
def comment_bulk():
    action = request.form.get("action", "")
    ids = [i for value in request.form.getlist("ids") if (i := parse_id(value)) is not None]
    if action not in ACTION_LABELS:
        flash(_("Choose an action to apply."))
    elif not ids:
        flash(_("Select at least one comment."))
    else:
        chosen = db.session.scalars(
            select(Comment)
            .where(Comment.id.in_(ids), Comment.status != CommentStatus.DELETED.value)
            .order_by(Comment.depth.desc())  # replies first: a deleted parent then has none
        ).all()
        for comment in chosen:
            moderate(comment, action)
        db.session.commit()
        flash(
            ngettext(
                "%(action)s: %(num)d comment.",
                "%(action)s: %(num)d comments.",
                len(chosen),
                action=ACTION_LABELS[action],
            )
        )
    return back_to_list()


@bp.post("/comments/empty/<status>")
@roles.require("moderate_comments")
def comment_empty(status: str):
    if status not in (CommentStatus.SPAM.value, CommentStatus.TRASH.value):
        abort(404)
    count = lifecycle.delete_all_with_status(status, lifecycle.moderator(g.author))
    db.session.commit()
    flash(
        ngettext("Deleted %(num)d comment for good.", "Deleted %(num)d comments for good.", count)
    )
    return back_to_list()


@bp.route("/comments/<int:comment_id>/reply", methods=["GET", "POST"])
@roles.require("moderate_comments")
def comment_reply(comment_id: int):
    """Reply as the signed-in author, to a published comment or to one waiting for approval.

    Replying to a held comment approves it first (WordPress's "Approve and Reply"): a published
    reply under a held comment would show readers "This comment was removed." above it."""
    parent = db.get_or_404(Comment, comment_id)
    if parent.status not in lifecycle.MAY_BE_PUBLIC:
        abort(404)
    form = AdminReplyForm()
    message = None
    if request.method == "POST" and form.validate():
        approved = False
        if parent.status == CommentStatus.PENDING.value:
            approved = moderate(parent, "approve")
            db.session.commit()
        try:
            reply = posting.save(
                parent.post,
                lifecycle.reply_parent(parent.post, parent.id),
                moderation.Submission(
                    body=form.comment.data,
                    name=g.author.display_name,
                    email=g.author.email or f"{g.author.username}@authors.invalid",
                    url="",
                    ip=(request.remote_addr or "")[:45],
                    user_agent=request.user_agent.string[:255],
                ),
                author=g.author,
            )
        except (lifecycle.Refused, posting.Refusal) as refused:
            message = refused.message
        else:
            if is_htmx():
                return render_row(parent, replied=reply, approved_parent=approved)
            flash(
                _("The comment was approved and your reply published.")
                if approved
                else _("Your reply was published.")
            )
            return back_to_list()
    status = 422 if request.method == "POST" else 200
    return render_page_or_fragment(
        "admin/comment_form.html", "admin/_comment_reply_form.html", status,
        comment=parent, form=form, form_message=message, **row_context(),
    )  # fmt: skip


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@roles.require("moderate_comments")
def comment_edit(comment_id: int):
    comment = db.get_or_404(Comment, comment_id)
    form = AdminCommentEditForm(obj=comment)
    if request.method == "GET":
        form.comment.data = comment.body
        form.author.data = comment.author_name
        form.email.data = comment.author_email
        form.url.data = comment.author_url
    elif form.validate():
        comment.author_name = form.author.data
        comment.author_email = form.email.data
        comment.author_url = form.url.data or ""
        comment.body = form.comment.data
        comment.edited_at = now_utc()
        refresh_comment_html(comment)
        db.session.commit()
        if is_htmx():
            return render_row(comment)
        flash(_("The comment was saved."))
        return back_to_list()
    status = 422 if request.method == "POST" else 200
    return render_page_or_fragment(
        "admin/comment_form.html", "admin/_comment_edit_form.html", status,
        comment=comment, form=form, **row_context(),
    )  # fmt: skip
