"""Blueprint for following an article's new comments by email: the follow form, the page of the
confirmation link, and unsubscribing (the page in the emails, and RFC 8058's one-click POST).

The engine (who is told, the limits, the signed links) is blog/comments/subscriptions.py. Every
answer to the follow form is the same whatever the address: nobody learns from it whether an
address already follows, nor whether a mail went out.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    make_response,
    render_template,
    request,
)
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from ..comments import subscriptions
from ..comments.forms import CommentForm
from ..extensions import csrf, db, limiter
from ..mail import outbox
from ..mail.follow import ONE_CLICK_BODY
from ..models import Post
from ..web.forms import BaseForm, EmptyForm
from ..web.htmx import is_htmx, render_fragment
from ..web.security import no_store
from ..web.urls import absolute_article_url
from . import access

bp = Blueprint("follow", __name__)
bp.after_request(no_store)


class FollowForm(BaseForm):
    email = CommentForm.email

    class Meta:
        # CSRFProtect checks every POST before the view (the template's csrf_token field); the
        # form's own check would look for a prefixed field name instead.
        csrf = False


def follow_form(formdata=None) -> FollowForm:
    # The prefix keeps its field apart from the comment form's "email" on the same page.
    return FollowForm(formdata=formdata, prefix="follow")


def follow_rate_limit() -> str:
    return subscriptions.setting("FOLLOW_RATE_LIMIT")


def followable_post(slug: str) -> Post | None:
    """As for commenting: a post this visitor may read and that no password keeps locked."""
    post = access.readable_content_by_slug(slug)
    if post is None or access.is_locked(post):
        return None
    return post


@bp.post("/posts/<slug>/follow")
@limiter.limit(follow_rate_limit, methods=["POST"])
def ask(slug: str):
    post = followable_post(slug)
    if post is None:
        abort(404)
    form = follow_form(request.form)
    if not form.validate():
        error = form.email.errors[0] if form.email.errors else _l("Please try again.")
        return follow_answer(post, 422, email=form.email.data, error=error)
    ask_for(post, form.email.data)
    return follow_answer(post, 200, done=True)


def ask_for(post: Post, email: str) -> None:
    """The engine's ask, committed; the outbox woken when a mail was queued. A second request
    racing this one for the same address and article has done the same work."""
    try:
        queued = subscriptions.ask(post, email)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return
    if queued:
        outbox.wake()


def follow_answer(post: Post, status: int, done=False, email="", error=None, comment_url=None):
    context = {
        "post": post,
        "follow_done": done,
        "follow_email": email,
        "follow_error": error,
        "comment_url": comment_url,
        "article_url": absolute_article_url(post),
    }
    if is_htmx():
        return render_fragment("comments/_follow.html", status, **context)
    return make_response(render_template("comments/follow.html", **context), status)


def followed_with_comment(post: Post, email: str, response: Response) -> None:
    """The commenter ticked "Notify me...": the same request as the follow form, and its
    answer in place of the follow form, out of band, in the posted comment's fragment."""
    ask_for(post, email)
    html = render_template("comments/_follow.html", post=post, follow_done=True, follow_oob=True)
    response.set_data(response.get_data() + html.encode())


def followed_page(post: Post, email: str, comment_url: str) -> Response:
    """Without JavaScript: the page that says to look in the inbox, with the comment's link."""
    ask_for(post, email)
    return follow_answer(post, 200, done=True, comment_url=comment_url)


# --- the links in the emails --------------------------------------------------------------------


@bp.route("/follow/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """A GET only shows the button (mail scanners fetch links); the POST confirms."""
    subscription = subscriptions.by_token(token, "confirm")
    if subscription is None:
        return render_template("comments/follow_confirm.html", subscription=None), 404
    form = EmptyForm()
    done = False
    if request.method == "POST" and form.validate():
        subscriptions.confirm(subscription)
        db.session.commit()
        done = True
    post = subscription.post
    return render_template(
        "comments/follow_confirm.html",
        subscription=subscription,
        post=post,
        form=form,
        done=done,
        article_url=absolute_article_url(post),
    )


@bp.route("/follow/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # only for RFC 8058's one exact body; every other POST is checked below
def unsubscribe(token: str):
    """The address of the emails' List-Unsubscribe header and of the link in their text.

    RFC 8058: a mail provider's "Unsubscribe" button POSTs ``List-Unsubscribe=One-Click`` here,
    from its own servers, without a session or a CSRF token; the signed token in the address is
    the proof. Any other POST is a person pressing the page's button and needs its CSRF token;
    a GET shows that page and changes nothing."""
    if request.method == "POST" and is_one_click():
        subscription = subscriptions.by_token(token, "unsubscribe")
        if subscription is None and not subscriptions.is_valid_token(token, "unsubscribe"):
            abort(404)
        if subscription is not None:
            subscriptions.leave(subscription)
            db.session.commit()
        return Response("Unsubscribed.\n", 200, mimetype="text/plain")
    if request.method == "POST" and current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()  # what CSRFProtect does for every other view
    subscription = subscriptions.by_token(token, "unsubscribe")
    if subscription is None and not subscriptions.is_valid_token(token, "unsubscribe"):
        abort(404)
    form = EmptyForm()
    done = False
    post = subscription.post if subscription is not None else None
    if subscription is not None and request.method == "POST" and form.validate():
        subscriptions.leave(subscription)
        db.session.commit()
        done = True
    return render_template(
        "comments/follow_unsubscribe.html",
        subscription=subscription,
        post=post,
        form=form,
        done=done,
    )


def is_one_click() -> bool:
    """The body is exactly RFC 8058's ``List-Unsubscribe=One-Click`` (form-urlencoded, or the
    one field of a multipart form), with nothing else in the request's query or files."""
    name, _, value = ONE_CLICK_BODY.partition("=")
    return (
        request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")
        and not request.args
        and not request.files
        and list(request.form.items(multi=True)) == [(name, value)]
    )
