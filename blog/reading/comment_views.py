"""Blueprint for readers' comments: post, reply, follow new comments, edit or delete for a while.

Views only: the checks and the saving live in ``posting``, every status change in ``lifecycle``,
what the templates need in ``discussion``. Every view answers htmx with a fragment and a plain
browser with a page or a redirect, from the same URL; nothing a reader typed is ever dropped.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    request,
    session,
)
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import TooManyRequests

from ..caching import article_cache
from ..comments import discussion, lifecycle, moderation, posting, threads, visitor
from ..comments.forms import CommentEditForm, CommentForm
from ..comments.moderation import moderation_rules
from ..comments.preview import comment_preview
from ..extensions import db, limiter
from ..models import Comment, CommentStatus, Post, body_digest
from ..settings import site_config
from ..web import errors
from ..web.htmx import is_htmx, render_fragment, render_page_or_fragment
from ..web.params import int_arg
from . import access, follow_views
from .views import render_article

bp = Blueprint("comments", __name__)


@bp.after_request
def personal(response: Response) -> Response:
    """Everything here is made for one visitor (their token, their held comment, their form):
    no cache keeps it, the browser's included."""
    response.headers.setdefault("Cache-Control", "private, no-store")
    return response


SESSION_EXPIRED = _l("Your session expired \u2014 press Post Comment again.")
STALE_FORM = _l("This page was open a long time \u2014 press Post Comment again.")
CLOSED = _l("Comments are closed.")
GONE = _l("This article is no longer open for comments, so your comment was not posted.")
CHECK_FIELDS = _l("Your comment was not posted: please check the marked fields.")
POSTED = _l("Comment posted.")
LOCKED = _l("This post is password protected: enter the password to comment.")
ARRIVED = _l("Your first post did arrive, so it was not posted twice; it is with the comments.")


def commentable_post(slug: str) -> Post | None:
    """The post or page whose comments this visitor may read and answer: a public one, or a
    private one they may read (blog.reading.access), and not locked by a password."""
    post = access.readable_content_by_slug(slug)
    if post is None or access.is_locked(post):
        return None
    return post


def hidden_from_visitor(post: Post) -> bool:
    """A private post this visitor may not read, or a password-protected one still locked."""
    if access.is_private(post) and access.private_for_reader(post) is None:
        return True
    return access.is_locked(post)


def reader_post_or_404(slug: str) -> Post:
    post = commentable_post(slug)
    if post is None:
        abort(404)
    return post


def refused_answer(slug: str, form) -> Response:
    """No post to comment on: the text comes back to copy. A locked protected post says why
    (its title is public); anything this visitor may not see looks like no article at all."""
    found = access.readable_content_by_slug(slug)
    if found is not None and access.is_locked(found):
        return gone_answer(form, 403, LOCKED)
    return gone_answer(form)


# --- posting ------------------------------------------------------------------------------------


def comment_rate_limit() -> str:
    return current_app.config["COMMENT_RATE_LIMIT"]


def form_answer(post, form, status, reply_to=None, message=None, retry_after=None) -> Response:
    """The form again with everything the reader typed and a message beside it: a fragment
    (plus the live status line) for htmx, the whole article otherwise."""
    if is_htmx():
        response = render_fragment(
            "comments/_form_answer.html",
            status,
            status_message=message or CHECK_FIELDS,
            **discussion.form_context(post, form, reply_to, message),
        )
    else:
        response = render_article(post, status, form=form, reply_to=reply_to, form_message=message)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    if status >= 500:
        # htmx swaps no 5xx by itself: the page script (static/js/blog.js) swaps one that says
        # it is the form again, and shows a message beside the form for any other.
        response.headers["X-Form-Answer"] = "swap"
    return response


def fault_answer(post, form, reply_to, fault: errors.Fault) -> Response:
    """Nothing was saved (the database was locked too long, the disk is full...): a 503 with
    the form and everything typed, as after a refused post. If the article cannot even be
    read now (its comments table locked), the text comes back to copy, as when it went away."""
    errors.note_fault(fault)
    try:
        return form_answer(post, form, 503, reply_to, fault.message, fault.retry_after)
    except errors.FAULT_ERRORS as error:
        again = errors.storage_fault(error)
        if again is None:
            raise
        errors.note_fault(again)
    response = gone_answer(form, 503, fault.message)
    response.headers["Retry-After"] = str(fault.retry_after)
    response.headers["X-Form-Answer"] = "swap"
    return response


def parent_for_form(post: Post, form) -> Comment | None:
    """Where the form sat when it came back with a problem: under the comment it answers."""
    try:
        return lifecycle.reply_parent(post, form.parent.data)
    except lifecycle.Refused:
        form.parent.data = ""
        return None


def sent_comment(form, seconds_since_render: float | None) -> moderation.Submission:
    """What the reader sent; a signed-in author's name and email are their own."""
    author = discussion.signed_in_author()
    if author is not None:
        name = author.display_name
        email = author.email or f"{author.username}@authors.invalid"
        url = ""
    else:
        name, email, url = form.author.data, form.email.data, form.url.data or ""
    return moderation.Submission(
        body=form.comment.data,
        name=name,
        email=email,
        url=url,
        ip=(request.remote_addr or "")[:45],  # the column's size; a proxy header can be longer
        user_agent=request.user_agent.string[:255],
        honeypot=form.homepage.data or "",
        seconds_since_render=seconds_since_render,
    )


@bp.post("/posts/<slug>/comments")
@limiter.limit(comment_rate_limit, methods=["POST"])
def create(slug: str):
    form = discussion.comment_form(request.form)
    post = commentable_post(slug)
    if post is None:
        return refused_answer(slug, form)
    if threads.comments_closed(post):
        return form_answer(post, form, 403, parent_for_form(post, form), CLOSED)
    if not form.validate():
        return form_answer(post, form, 422, parent_for_form(post, form))
    try:
        parent = lifecycle.reply_parent(post, form.parent.data)
    except lifecycle.Refused as refused:
        form.parent.data = ""
        return form_answer(post, form, 422, None, refused.message)
    age = visitor.stamp_age(form.stamp.data)
    if visitor.stamp_is_stale(age):
        return form_answer(post, form, 422, parent, STALE_FORM)
    sent = sent_comment(form, age)
    secret = poster_secret(post, parent, sent.body)
    try:
        comment = posting.save(
            post, parent, sent, author=discussion.signed_in_author(), secret=secret
        )
    except posting.Refusal as refusal:
        if refusal.status == 422:  # the parent went away while the reader typed
            form.parent.data = ""
            parent = None
        message = refusal.message
        earlier = sent_again(refusal, secret)
        if earlier is not None:  # shown to them as theirs from this answer on
            visitor.mark_own_comment(earlier)
            message = f"{message} {ARRIVED}"
        response = form_answer(post, form, refusal.status, parent, message, refusal.retry_after)
        if earlier is not None:
            visitor.add_own_comment(response, earlier)
        return response
    except errors.FAULT_ERRORS as error:
        fault = errors.storage_fault(error)
        if fault is None:
            raise
        return fault_answer(post, form, parent, fault)
    visitor.mark_own_comment(comment)
    if isinstance(form, CommentForm):  # before the fresh form renders, so it shows the choice
        if form.remember.data:
            visitor.remember_commenter(form.author.data, form.email.data, form.url.data or "")
        else:
            visitor.forget_commenter()
    # "Notify me of follow-up comments": the follow form's request, answered with the comment.
    follows = isinstance(form, CommentForm) and form.notify.data
    if is_htmx():
        response = posted_answer(post, comment)
        if follows:
            follow_views.followed_with_comment(post, form.email.data, response)
    elif follows:
        response = follow_views.followed_page(post, form.email.data, permalink(comment))
    else:
        response = redirect(permalink(comment), 303)
    visitor.add_own_comment(response, comment)
    return response


# Previewing stores nothing and is not posting: it has a limit of its own (rendering a long
# comment costs some milliseconds), apart from COMMENT_RATE_LIMIT, so that previews never use up
# the posts a reader may make (and the moderation's flood rules only count stored comments).
PREVIEW_RATE_LIMIT = "60 per minute"


@bp.post("/posts/<slug>/comments/preview")
@limiter.limit(PREVIEW_RATE_LIMIT)
def preview(slug: str):
    """The comment as it will be published, from the form's Preview button: the preview alone
    for htmx (shown above the form, whose text stays as typed), the article with the preview
    and the form filled in otherwise. Only the text matters: no field is checked."""
    form = discussion.comment_form(request.form)
    post = commentable_post(slug)
    if post is None:
        return refused_answer(slug, form)
    if threads.comments_closed(post):
        return form_answer(post, form, 403, parent_for_form(post, form), CLOSED)
    author = discussion.signed_in_author()
    shown = comment_preview(form.comment.data, author.display_name if author else form.author.data)
    if is_htmx():
        return render_fragment("comments/_preview.html", preview=shown)
    form.preview = shown  # the form template shows it above itself
    return render_article(post, form=form, reply_to=parent_for_form(post, form))


POSTER_KEY = re.compile(r"[0-9a-f]{32}")


def poster_secret(post: Post, parent: Comment | None, body: str) -> str | None:
    """The secret a comment posted from this browser gets (see sent_again), or None (a random
    one) when the request holds nothing of this browser's own to derive it from.

    An HMAC of a value only this browser has, with the article, the parent and the text: the
    session's raw CSRF token of a signed-in author, or else the random ``poster`` value that
    blog.js keeps per tab and adds to its comment posts (the public page is the same for every
    reader, so it cannot carry one). Nobody else can make it, and the same browser sending the
    same comment again makes the same one. A post without JavaScript has neither: it gets the
    plain duplicate answer."""
    raw = None
    if g.get("author") is not None:
        raw = session.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    if not isinstance(raw, str) or not raw:
        poster = request.form.get("poster", "")
        raw = f"poster:{poster}" if POSTER_KEY.fullmatch(poster) else None
    if raw is None:
        return None
    key = current_app.secret_key
    key = key.encode() if isinstance(key, str) else key
    message = f"blog.poster|{post.id}|{parent.id if parent else ''}|{body_digest(body)}|{raw}"
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()[:16]


def sent_again(refusal: posting.Refusal, secret: str | None) -> Comment | None:
    """The comment this very browser already posted, when ``refusal`` calls this one its
    duplicate: the answer to the first post was lost (a worker killed, the connection
    dropped) and the reader pressed Post Comment again. The 409 then brings the own-comment
    cookie the lost answer carried, so they see their comment (held ones too). Another
    browser sending the same words (its value differs, so does the secret) gets the plain
    409."""
    if refusal.status != 409 or refusal.earlier is None or secret is None:
        return None
    earlier = db.session.get(Comment, refusal.earlier)
    if (
        earlier is None
        or not hmac.compare_digest(earlier.secret or "", secret)
        or earlier.status in (CommentStatus.TRASH.value, CommentStatus.DELETED.value)
    ):
        return None
    current_app.logger.info("Comment %s sent again by its poster: named theirs", earlier.id)
    return earlier


def posted_answer(post: Post, comment: Comment) -> Response:
    """A fresh form where the old one was, the new comment in its place in the thread, the new
    count and the status line; nothing else of the thread is rendered."""
    placement = threads.placement_of_new(comment)
    total, page = threads.totals_and_page_of_new(post, comment)
    approved = comment.status == CommentStatus.APPROVED.value
    context = discussion.comment_context(post, page or 1)
    # The fresh form comes from the cache: the fragment leaves a mark where its bytes go.
    form_html = article_cache.fresh_form(post)
    if form_html is None:
        context.update(discussion.form_context(post))
    response = render_fragment(
        "comments/_posted.html",
        node=placement.node,
        container_id=placement.container_id,
        newest_first=site_config()["COMMENT_ORDER"] == "newest",
        status_message=POSTED if approved else discussion.AWAITING,
        comment_total=total,
        shown_any=True,
        form_mark=article_cache.fresh_form_mark() if form_html is not None else None,
        **context,
    )
    if form_html is not None:
        mark = article_cache.fresh_form_mark().encode()
        response.set_data(response.get_data().replace(mark, form_html, 1))
    # Wherever the form was (under a comment while replying), the fresh one goes back home.
    response.headers["HX-Retarget"] = "#respond-home"
    response.headers["HX-Reswap"] = "innerHTML"
    return response


def permalink(comment: Comment) -> str:
    """The comment page that shows ``comment``, anchored at it."""
    page = threads.page_of(comment, list(visitor.own_comments())) or 1
    return f"{discussion.thread_links(comment.post, page).page_url}#comment-{comment.id}"


def gone_answer(form, status: int = 410, message: str = GONE) -> Response:
    """The article went away (unpublished or deleted) while the reader typed, or cannot be
    read now: their text comes back to copy, with nothing about the article itself."""
    return render_page_or_fragment(
        "comments/gone.html",
        "comments/_gone_answer.html",
        status,
        text=form.comment.data,
        message=message,
    )


@bp.errorhandler(CSRFError)
def csrf_failed(error: CSRFError):
    """An expired or missing token must not cost the reader their text: show it all again."""
    slug = (request.view_args or {}).get("slug")
    if request.endpoint != "comments.create" or slug is None:
        from ..web.errors import handle_csrf_error

        return handle_csrf_error(error)
    form = discussion.comment_form(request.form)
    form.meta.csrf = False
    post = commentable_post(slug)
    if post is None:
        return refused_answer(slug, form)
    form.validate()  # so field problems show too, beside the session notice
    status = 422 if is_htmx() else 400
    return form_answer(post, form, status, parent_for_form(post, form), SESSION_EXPIRED)


@bp.errorhandler(TooManyRequests)
def rate_limited(error: TooManyRequests):
    wait = retry_after_seconds()
    slug = (request.view_args or {}).get("slug")
    post = commentable_post(slug) if slug else None
    if request.endpoint != "comments.create" or post is None:
        from ..web.errors import render_error

        response = render_error(429)
        response.headers["Retry-After"] = str(wait)
        return response
    form = discussion.comment_form(request.form)
    return form_answer(post, form, 429, parent_for_form(post, form), posting.TOO_QUICK, wait)


def retry_after_seconds() -> int:
    """When the per-IP limit that was hit lets this client post again."""
    limit = limiter.current_limit
    if limit is None:
        return 60
    return max(1, int(limit.reset_at - time.time()) + 1)


# --- replying: move the form under a comment ----------------------------------------------------


@bp.get("/posts/<slug>/respond")
def respond(slug: str):
    post = reader_post_or_404(slug)
    try:
        reply_to = lifecycle.reply_parent(post, request.args.get("replytocom"))
    except lifecycle.Refused:
        abort(404)
    if not is_htmx():
        if reply_to is None:
            return redirect(discussion.thread_links(post, 1).page_url + "#respond", 303)
        links = discussion.thread_links(post, threads.page_of(reply_to, []) or 1)
        return redirect(f"{links.reply_url}{reply_to.id}#respond", 303)
    return render_fragment("comments/_respond_move.html", post=post, reply_to=reply_to)


# --- following the thread -----------------------------------------------------------------------


@bp.get("/posts/<slug>/comments")
def thread(slug: str):
    """The thread of one comment page again ("N new comments — show"); a reply form open in it
    is kept as it is, with its text (hx-preserve)."""
    post = reader_post_or_404(slug)
    page = discussion.comment_page()
    if not is_htmx():
        return redirect(discussion.thread_links(post, page).page_url + "#comments", 303)
    reply_to = parent_for_form(post, discussion.comment_form(request.args))
    return render_fragment(
        "comments/_thread.html",
        preserve_form=True,
        **discussion.thread_context(post, page, reply_to),
    )


@bp.get("/posts/<slug>/comments/new")
def new_comments(slug: str):
    """Polled by the open article: how many approved comments arrived since it was shown, and
    whether they are on the comment page the reader is on."""
    post = reader_post_or_404(slug)
    after_id = int_arg("after", 0)
    own = list(visitor.own_comments())
    arrived = threads.new_since(post, after_id, own)
    page = discussion.comment_page()
    pages = {}
    for comment in arrived:
        found = threads.page_of(comment, own)
        pages.setdefault(found, comment)
    response = render_fragment(
        "comments/_new_banner.html",
        post=post,
        count=len(arrived),
        here=page in pages,
        elsewhere=None if page in pages else next(iter(pages.values()), None),
        page=page,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/c/<int:comment_id>")
def goto(comment_id: int):
    """A comment's stable address: the comment page that shows it, or 404."""
    comment = db.session.get(Comment, comment_id)
    own = visitor.own_comments()
    if comment is None or not threads.is_visible(comment, own):
        abort(404)
    if commentable_post(comment.post.slug) is None:
        abort(404)
    page = threads.page_of(comment, list(own))
    if page is None:
        abort(404)
    if is_htmx():
        return render_comment(comment, page)  # "Cancel" in the inline editor
    return redirect(f"{discussion.thread_links(comment.post, page).page_url}#comment-{comment.id}")


def render_comment(comment: Comment, page: int) -> Response:
    level = min(comment.depth + 1, site_config()["COMMENT_THREAD_DEPTH"])
    return render_fragment(
        "comments/_comment_article.html",
        node=threads.Node(comment, level),
        **discussion.comment_context(comment.post, page),
    )


# --- the poster's own comment: edit or delete for a while ---------------------------------------


def own_comment_or_404(comment_id: int) -> Comment:
    """The visitor's own comment; anything else is the same 404 whatever it is, so nobody can
    learn what a comment that is not theirs says, or whether it exists."""
    comment = db.session.get(Comment, comment_id)
    if (
        comment is None
        or comment.id not in visitor.own_comments()
        or comment.status in (CommentStatus.TRASH.value, CommentStatus.DELETED.value)
        or hidden_from_visitor(comment.post)
    ):
        abort(404)
    return comment


def poster_refusal(comment: Comment) -> str | None:
    post = comment.post
    article_open = commentable_post(post.slug) is not None and not threads.comments_closed(post)
    try:
        lifecycle.check_poster_may_change(
            comment, article_open, discussion.edit_seconds_left(comment)
        )
    except lifecycle.Refused as refused:
        return refused.message
    return None


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
def edit(comment_id: int):
    comment = own_comment_or_404(comment_id)
    refusal = poster_refusal(comment)
    if request.method == "GET":
        form = CommentEditForm(data={"comment": comment.body})
        status = 403 if refusal else 200
    elif request.form.get("preview"):
        # The Preview button: nothing saved, the text kept in the form (fragment or page).
        form = CommentEditForm()
        form.preview = comment_preview(form.comment.data, comment.author_name)
        if is_htmx():
            return render_fragment("comments/_preview.html", preview=form.preview)
        status = 403 if refusal else 200
    else:
        form = CommentEditForm()
        if refusal:
            # Too late or closed: refuse, but hand the typed text back rather than lose it.
            status, refusal = 403, f"{refusal} Your text is still here to copy."
        elif form.validate():
            lifecycle.poster_edit(comment, form.comment.data, moderation_rules())
            db.session.commit()
            if not is_htmx():
                return redirect(permalink(comment), 303)
            return render_comment(comment, threads.page_of(comment, [comment.id]) or 1)
        else:
            status = 422
    return render_page_or_fragment(
        "comments/edit.html",
        "comments/_edit_form.html",
        status,
        post=comment.post,
        comment=comment,
        form=form,
        seconds_left=0 if refusal else discussion.edit_seconds_left(comment),
        form_message=refusal,
    )


@bp.post("/comments/<int:comment_id>/delete")
def delete(comment_id: int):
    comment = own_comment_or_404(comment_id)  # CSRFProtect has already checked the token
    if poster_refusal(comment):
        abort(403)
    post = comment.post
    lifecycle.poster_delete(comment)
    db.session.commit()
    if is_htmx():
        response = render_fragment("comments/_deleted.html", comment=comment)
    else:
        response = redirect(discussion.thread_links(post, 1).page_url + "#comments", 303)
    visitor.remove_own_comment(response, comment.id)
    return response
