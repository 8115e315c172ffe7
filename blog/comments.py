"""Blueprint for readers' comments: post, reply, edit for a while, follow new comments.

Every view answers htmx with a fragment and a plain browser with a page or a redirect, from the
same URL; the form works the same with JavaScript off.
"""

from __future__ import annotations

import math
from datetime import timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError
from sqlalchemy import func, select
from werkzeug.exceptions import TooManyRequests

from . import moderation, queries, threads, visitor
from .extensions import db, limiter
from .forms import CommentEditForm, CommentForm
from .htmx import is_htmx, render_page_or_fragment
from .models import Comment, CommentStatus, Post, now_utc
from .notify import notify_new_comment
from .sanitize import post_body, refresh_comment_html
from .settings import site_config

bp = Blueprint("comments", __name__)

TOO_QUICK = "You are posting comments too quickly. Slow down."
DUPLICATE = "Duplicate comment detected; it looks as though you\u2019ve already said that!"
SESSION_EXPIRED = "Your session expired \u2014 press Post Comment again."
CLOSED = "Comments are closed."
AWAITING = "Your comment is awaiting moderation."
EDIT_TOO_LATE = "The time for changing this comment has passed. Your text is still here to copy."


def reader_post_or_404(slug: str) -> Post:
    post = queries.visible_post_by_slug(slug)
    if post is None:
        abort(404)
    return post


# --- the comment section, shared by the article page and every fragment -------------------------


def new_comment_form(reply_to: Comment | None = None) -> CommentForm:
    """A blank form, prefilled from "Save my name, email, and website" when the visitor chose it."""
    form = CommentForm(formdata=None)
    remembered = visitor.remembered_commenter()
    form.author.data = remembered.get("author", "")
    form.email.data = remembered.get("email", "")
    form.url.data = remembered.get("url", "")
    form.remember.data = bool(remembered)
    form.parent.data = str(reply_to.id) if reply_to else ""
    form.stamp.data = visitor.form_stamp()
    return form


def section_context(post: Post, form: CommentForm | None = None, reply_to=None, **extra) -> dict:
    own = visitor.own_comments()
    page = request.args.get("cpage", 1, type=int)
    pagination, tree = threads.thread_page(post, page, list(own))
    total, newest_id = threads.approved_totals(post)
    if form is None:
        form = new_comment_form(reply_to)
    else:
        form.stamp.data = visitor.form_stamp()
    return {
        "post": post,
        "form": form,
        "reply_to": reply_to,
        "closed": threads.comments_closed(post),
        "comment_pagination": pagination,
        "thread": tree,
        "comment_total": total,
        "newest_id": newest_id,
        "own": own,
        "edit_seconds_left": edit_seconds_left,
        "poll_seconds": site_config()["COMMENT_POLL_SECONDS"],
        **extra,
    }


def edit_seconds_left(comment: Comment) -> int:
    """Seconds the visitor may still edit ``comment`` (0 when it is not theirs or too late)."""
    if comment.id not in visitor.own_comments():
        return 0
    window = timedelta(minutes=site_config()["COMMENT_EDIT_MINUTES"])
    left = (comment.created_at + window - now_utc()).total_seconds()
    return max(0, math.floor(left))


def render_post_page(post: Post, status: int = 200, **context) -> Response:
    older, newer = queries.neighbours(post)
    html = render_template(
        "public/post.html",
        body=post_body(post),
        older=older,
        newer=newer,
        **section_context(post, **context),
    )
    g.varies_on_hx_request = True
    response = make_response(html, status)
    # The page carries this visitor's CSRF token, held comments and saved name: no shared caches.
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def form_response(post: Post, form: CommentForm, status: int, reply_to=None, **extra):
    """The form again with what the reader typed: a fragment for htmx, else the whole page."""
    if is_htmx():
        context = section_context(post, form=form, reply_to=reply_to, **extra)
        return render_page_or_fragment("public/post.html", "comments/_form.html", status, **context)
    return render_post_page(post, status, form=form, reply_to=reply_to, **extra)


# --- posting ------------------------------------------------------------------------------------


def comment_rate_limit() -> str:
    return current_app.config["COMMENT_RATE_LIMIT"]


def find_parent(post: Post, raw: str | None) -> tuple[Comment | None, str | None]:
    """(parent, None) or (None, message) for the parent id a reply form carries."""
    if not raw:
        return None, None
    try:
        parent = db.session.get(Comment, int(raw))
    except ValueError:
        parent = None
    if parent is None or parent.post_id != post.id:
        return None, "The comment you are replying to does not exist."
    if parent.status != CommentStatus.APPROVED.value:
        return None, "You can only reply to published comments; that one is not published."
    return parent, None


def seconds_until_allowed(ip: str, email: str) -> int:
    """WordPress's flood rule: the same IP or email again within COMMENT_FLOOD_SECONDS."""
    interval = site_config()["COMMENT_FLOOD_SECONDS"]
    if not interval:
        return 0
    latest = db.session.scalar(
        select(func.max(Comment.created_at)).where(
            (Comment.author_ip == ip) | (func.lower(Comment.author_email) == email.lower()),
            Comment.created_at > now_utc() - timedelta(seconds=interval),
        )
    )
    if latest is None:
        return 0
    return max(1, math.ceil(interval - (now_utc() - latest).total_seconds()))


def is_duplicate(post: Post, parent: Comment | None, form: CommentForm) -> bool:
    """WordPress's rule: same post, parent, author, email and text, not in the trash."""
    same_parent = Comment.parent_id == parent.id if parent else Comment.parent_id.is_(None)
    return (
        db.session.scalar(
            select(Comment.id)
            .where(
                Comment.post_id == post.id,
                same_parent,
                Comment.author_name == form.author.data,
                func.lower(Comment.author_email) == form.email.data.lower(),
                Comment.body == form.comment.data,
                Comment.status != CommentStatus.TRASH.value,
            )
            .limit(1)
        )
        is not None
    )


def has_approved_comment(email: str) -> bool:
    return (
        db.session.scalar(
            select(Comment.id)
            .where(
                func.lower(Comment.author_email) == email.lower(),
                Comment.status == CommentStatus.APPROVED.value,
            )
            .limit(1)
        )
        is not None
    )


def save_comment(post: Post, parent: Comment | None, form: CommentForm) -> Comment:
    ip = request.remote_addr or ""
    user_agent = request.user_agent.string[:255]
    decision = moderation.decide(
        moderation.Submission(
            name=form.author.data,
            email=form.email.data,
            url=form.url.data or "",
            body=form.comment.data,
            ip=ip,
            user_agent=user_agent,
            honeypot=form.homepage.data or "",
            seconds_since_render=visitor.seconds_since_stamp(form.stamp.data),
            has_approved_comment=has_approved_comment(form.email.data),
        ),
        moderation.Rules.from_config(site_config()),
    )
    comment = Comment(
        post=post,
        parent=parent,
        depth=parent.depth + 1 if parent else 0,
        author_name=form.author.data,
        author_email=form.email.data,
        author_url=form.url.data or "",
        author_ip=ip,
        user_agent=user_agent,
        body=form.comment.data,
        status=decision.status,
        moderation_reason=decision.reason,
    )
    refresh_comment_html(comment)
    db.session.add(comment)
    db.session.flush()
    comment.root_id = parent.root_id if parent else comment.id
    db.session.commit()
    current_app.logger.info("Comment %s on post %s: %s", comment.id, post.id, decision.reason)
    notify_new_comment(comment)
    return comment


@bp.post("/posts/<slug>/comments")
@limiter.limit(comment_rate_limit, methods=["POST"])
def create(slug: str):
    post = reader_post_or_404(slug)
    if threads.comments_closed(post):
        return closed_response(post)
    form = CommentForm()
    if not form.validate():
        reply_to, _ = find_parent(post, form.parent.data)
        return form_response(post, form, 422, reply_to=reply_to)
    parent, problem = find_parent(post, form.parent.data)
    if problem:
        form.parent.data = ""
        return form_response(post, form, 422, form_message=problem)
    wait = seconds_until_allowed(request.remote_addr or "", form.email.data)
    if wait:
        response = form_response(post, form, 429, reply_to=parent, form_message=TOO_QUICK)
        response.headers["Retry-After"] = str(wait)
        return response
    if is_duplicate(post, parent, form):
        return form_response(post, form, 409, reply_to=parent, form_message=DUPLICATE)
    comment = save_comment(post, parent, form)
    visitor.mark_own_comment(comment.id)
    # Before the fresh form is rendered, so it shows the choice just made.
    if form.remember.data:
        visitor.remember_commenter(form.author.data, form.email.data, form.url.data or "")
    else:
        visitor.forget_commenter()
    if is_htmx():
        response = posted_fragment(post, comment)
    else:
        response = redirect(permalink(comment), 303)
    visitor.add_own_comment(response, comment.id)
    return response


def posted_fragment(post: Post, comment: Comment) -> Response:
    """A fresh form where the old one was, and the new comment in its place in the thread."""
    placement = threads.placement_of_new(comment)
    context = section_context(post)
    if comment.status == CommentStatus.APPROVED.value:
        status_message = "Comment posted."
    else:
        status_message = AWAITING
    html = render_template(
        "comments/_posted.html",
        node=placement.node,
        container_id=placement.container_id,
        newest_first=site_config()["COMMENT_ORDER"] == "newest",
        status_message=status_message,
        **context,
    )
    g.varies_on_hx_request = True
    response = make_response(html, 200)
    # Wherever the form was (under a comment while replying), the fresh one goes back home.
    response.headers["HX-Retarget"] = "#respond-home"
    response.headers["HX-Reswap"] = "innerHTML"
    return response


def permalink(comment: Comment) -> str:
    own = list(visitor.own_comments())
    page = threads.page_of(comment, own)
    args = {"cpage": page} if page > 1 else {}
    return url_for("public.post", slug=comment.post.slug, **args) + f"#comment-{comment.id}"


def closed_response(post: Post) -> Response:
    if is_htmx():
        html = render_template("comments/_closed.html", post=post)
        g.varies_on_hx_request = True
        return make_response(html, 403)
    return render_post_page(post, 403)


@bp.errorhandler(CSRFError)
def csrf_failed(error: CSRFError):
    """An expired or missing token must not cost the reader their text: show it all again."""
    slug = (request.view_args or {}).get("slug")
    if request.endpoint != "comments.create" or slug is None:
        from .errors import handle_csrf_error

        return handle_csrf_error(error)
    post = reader_post_or_404(slug)
    form = CommentForm(meta={"csrf": False})
    form.validate()  # so field problems show too, beside the session notice
    reply_to, _ = find_parent(post, form.parent.data)
    status = 422 if is_htmx() else 400
    return form_response(post, form, status, reply_to=reply_to, form_message=SESSION_EXPIRED)


@bp.errorhandler(TooManyRequests)
def rate_limited(error: TooManyRequests):
    slug = (request.view_args or {}).get("slug")
    if request.endpoint != "comments.create" or slug is None:
        from .errors import render_error

        return render_error(429)
    post = reader_post_or_404(slug)
    form = CommentForm(meta={"csrf": False})
    reply_to, _ = find_parent(post, form.parent.data)
    response = form_response(post, form, 429, reply_to=reply_to, form_message=TOO_QUICK)
    retry = getattr(error, "retry_after", None)
    response.headers.setdefault("Retry-After", str(retry or 60))
    return response


# --- replying: move the form under a comment ----------------------------------------------------


@bp.get("/posts/<slug>/respond")
def respond(slug: str):
    post = reader_post_or_404(slug)
    reply_to = None
    raw = request.args.get("replytocom")
    if raw:
        reply_to, problem = find_parent(post, raw)
        if problem:
            abort(404)
    if not is_htmx():
        args = {"replytocom": reply_to.id} if reply_to else {}
        return redirect(url_for("public.post", slug=post.slug, **args) + "#respond", 303)
    html = render_template("comments/_respond_move.html", post=post, reply_to=reply_to)
    g.varies_on_hx_request = True
    return make_response(html)


# --- following the thread -----------------------------------------------------------------------


@bp.get("/posts/<slug>/comments")
def thread(slug: str):
    post = reader_post_or_404(slug)
    if not is_htmx():
        page = request.args.get("cpage", 1, type=int)
        args = {"cpage": page} if page > 1 else {}
        return redirect(url_for("public.post", slug=post.slug, **args) + "#comments", 303)
    return render_page_or_fragment(
        "public/post.html", "comments/_thread.html", **section_context(post)
    )


@bp.get("/posts/<slug>/comments/new")
def new_comments(slug: str):
    """Polled by the open article: how many approved comments arrived since it was shown."""
    post = reader_post_or_404(slug)
    after = request.args.get("after", 0, type=int)
    count = threads.approved_since(post, after, list(visitor.own_comments()))
    html = render_template("comments/_new_banner.html", post=post, count=count)
    g.varies_on_hx_request = True
    response = make_response(html)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/c/<int:comment_id>")
def goto(comment_id: int):
    comment = db.get_or_404(Comment, comment_id)
    own = visitor.own_comments()
    if (
        not threads.is_visible(comment, own)
        or queries.visible_post_by_slug(comment.post.slug) is None
    ):
        abort(404)
    if is_htmx():
        return render_comment_fragment(comment)  # "Cancel" in the inline editor
    return redirect(permalink(comment), 302)


# --- the poster's own comment: edit or delete for a while ---------------------------------------


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
def edit(comment_id: int):
    comment = db.get_or_404(Comment, comment_id)
    if comment.status == CommentStatus.TRASH.value:
        abort(404)
    seconds_left = edit_seconds_left(comment)
    form = CommentEditForm(data={"comment": comment.body})
    status, message = 200, None
    if request.method == "GET":
        if not seconds_left:
            abort(403)
    elif not seconds_left:
        # Too late (or not theirs): refuse, but hand the typed text back rather than lose it.
        status, message = 403, EDIT_TOO_LATE
    elif form.validate():
        apply_edit(comment, form.comment.data)
        if not is_htmx():
            return redirect(permalink(comment), 303)
        return render_comment_fragment(comment)
    else:
        status = 422
    context = {
        "post": comment.post,
        "comment": comment,
        "form": form,
        "seconds_left": seconds_left,
        "form_message": message,
    }
    return render_page_or_fragment(
        "comments/edit.html", "comments/_edit_form.html", status, **context
    )


def apply_edit(comment: Comment, text: str) -> None:
    """Validated by the form, sanitized and checked again: an edit can be held, never freed."""
    decision = moderation.decide(
        moderation.Submission(
            name=comment.author_name,
            email=comment.author_email,
            url=comment.author_url,
            body=text,
            ip=comment.author_ip,
            user_agent=comment.user_agent,
            # The timing and trap checks are for new forms; an edit only re-checks its content.
            seconds_since_render=float(site_config()["COMMENT_EDIT_MINUTES"] * 60),
            has_approved_comment=True,
        ),
        moderation.Rules.from_config(site_config()),
    )
    comment.body = text
    comment.edited_at = now_utc()
    refresh_comment_html(comment)
    if decision.status != CommentStatus.APPROVED.value:
        comment.status = decision.status
        comment.moderation_reason = f"After an edit: {decision.reason}"
    db.session.commit()


def render_comment_fragment(comment: Comment) -> Response:
    own = visitor.own_comments()
    node = threads.Node(comment, min(comment.depth + 1, site_config()["COMMENT_THREAD_DEPTH"]))
    html = render_template(
        "comments/_comment_article.html",
        node=node,
        post=comment.post,
        own=own,
        closed=threads.comments_closed(comment.post),
        edit_seconds_left=edit_seconds_left,
    )
    g.varies_on_hx_request = True
    return make_response(html)


@bp.post("/comments/<int:comment_id>/delete")
def delete(comment_id: int):
    comment = db.get_or_404(Comment, comment_id)  # CSRFProtect has already checked the token
    if comment.status == CommentStatus.TRASH.value:
        abort(404)
    if not edit_seconds_left(comment):
        abort(403)
    post = comment.post
    comment.status = CommentStatus.TRASH.value
    comment.moderation_reason = "Deleted by its author."
    db.session.commit()
    if is_htmx():
        response = make_response(render_template("comments/_deleted.html", comment=comment))
        g.varies_on_hx_request = True
    else:
        response = redirect(url_for("public.post", slug=post.slug) + "#comments", 303)
    visitor.remove_own_comment(response, comment.id)
    return response


@bp.app_template_global()
def comment_url(comment: Comment) -> str:
    return url_for("comments.goto", comment_id=comment.id)
