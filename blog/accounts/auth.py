"""Authors sign in and out. Sessions are Flask's signed cookies, revocable through an epoch."""

from __future__ import annotations

import functools
import math
from datetime import timedelta

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db, limiter
from ..models import Author, LoginAttempt, now_utc
from ..web.security import no_store
from ..web.urls import local_path
from .forms import AcceptInviteForm, LoginForm, PasswordChangeForm
from .invites import invited_author
from .passwords import hash_password, verify_password

bp = Blueprint("auth", __name__, url_prefix="/admin")

BAD_LOGIN = _l("Invalid username or password.")
THROTTLED = _l("Too many failed sign-in attempts. Try again in %(minutes)s minutes.")
_dummy_hash: str | None = None


def login_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("author") is None:
            # Under htmx the redirect becomes HX-Redirect (blog.htmx), so the whole page changes.
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


@bp.before_app_request
def load_author() -> None:
    g.author = None
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return  # not reading the session keeps public pages free of "Vary: Cookie"
    author_id = session.get("author_id")
    if author_id is None:
        return
    author = db.session.get(Author, author_id)
    # A copied cookie from before a logout or password change carries an old epoch.
    if author is not None and session.get("epoch") == author.session_epoch:
        g.author = author
    else:
        session.pop("author_id", None)
        session.pop("epoch", None)


bp.after_request(no_store)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: ``next`` if it is a path on this site, else the dashboard."""
    return local_path(target, url_for("admin.dashboard"))


# A username or address is logged at most this long; the form caps usernames anyway.
LOG_VALUE_MAX = 64


def for_log(value: str | None) -> str:
    value = value or ""
    return repr(value[:LOG_VALUE_MAX] + ("..." if len(value) > LOG_VALUE_MAX else ""))


def client_ip() -> str:
    return (request.remote_addr or "")[:45]  # LoginAttempt.ip; a proxy header can be longer


def login_window() -> timedelta:
    return timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])


def purge_old_attempts() -> None:
    """Attempts are kept for the throttling window only. Housekeeping in its own transaction:
    if parallel purges collide (a lock timeout or deadlock on PostgreSQL), this one gives way."""
    try:
        db.session.execute(
            delete(LoginAttempt).where(LoginAttempt.attempted_at <= now_utc() - login_window())
        )
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.warning("Purging old sign-in attempts failed; the next attempt retries.")


def failure_times(*condition) -> list:
    """Times of the failures in the window matching ``condition``, newest first."""
    return db.session.scalars(
        select(LoginAttempt.attempted_at)
        .where(
            *condition,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.attempted_at > now_utc() - login_window(),
        )
        .order_by(LoginAttempt.attempted_at.desc())
    ).all()


def seconds_until_free(times: list, limit: int) -> int:
    """How long until fewer than ``limit`` of these failures are inside the window."""
    if len(times) < limit:
        return 0
    frees_at = times[limit - 1] + login_window()
    return max(1, math.ceil((frees_at - now_utc()).total_seconds()))


def claim_attempt(username: str) -> tuple[LoginAttempt | None, int]:
    """Record this attempt, then decide whether it may check a password: (attempt, 0) or
    (None, seconds to wait).

    The attempt is stored as a failure and committed *before* the failures are counted, and the
    count includes every committed attempt. Of any number of parallel attempts, the one that counts
    last sees every attempt that was let through, so no more than the limit ever get a password
    check, on SQLite and PostgreSQL alike, in one worker or many (no check-then-write race).

    The limits: LOGIN_MAX_FAILURES per client address (a stranger locks out only their own
    address, as with WordPress lockout plugins) and LOGIN_MAX_FAILURES_PER_USERNAME per name
    from all addresses together (a guess spread over many addresses).
    """
    config = current_app.config
    ip = client_ip()
    purge_old_attempts()
    attempt = LoginAttempt(username=username, ip=ip, succeeded=False)
    db.session.add(attempt)
    db.session.commit()
    by_ip = failure_times(LoginAttempt.ip == ip, LoginAttempt.id != attempt.id)
    by_name = failure_times(LoginAttempt.username == username, LoginAttempt.id != attempt.id)
    wait = max(
        seconds_until_free(by_ip, config["LOGIN_MAX_FAILURES"]),
        seconds_until_free(by_name, config["LOGIN_MAX_FAILURES_PER_USERNAME"]),
    )
    if not wait:
        return attempt, 0
    # Refused attempts are not kept: hammering a lock neither grows the table nor moves the lock.
    db.session.delete(attempt)
    db.session.commit()
    return None, wait


def check_password(author: Author | None, password: str) -> bool:
    global _dummy_hash
    if author is None:
        # Same work for an unknown name, so timing does not tell which names exist.
        _dummy_hash = _dummy_hash or hash_password("not a real account password")
        verify_password(_dummy_hash, password)
        return False
    return verify_password(author.password_hash, password)


def finish_attempt(attempt: LoginAttempt, username: str, succeeded: bool) -> None:
    if succeeded:
        attempt.succeeded = True
        # The author proved who they are: their address's earlier typos stop counting.
        db.session.execute(
            delete(LoginAttempt).where(
                LoginAttempt.ip == attempt.ip,
                LoginAttempt.username == username,
                LoginAttempt.succeeded.is_(False),
            )
        )
    db.session.commit()
    current_app.logger.info(
        "Sign-in %s for %s from %s",
        "succeeded" if succeeded else "failed",
        for_log(username),
        for_log(request.remote_addr),
    )


def login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def login():
    form = LoginForm()
    status, message, headers = 200, None, {}
    if form.validate_on_submit():
        username = form.username.data.lower()
        attempt, wait = claim_attempt(username)
        if attempt is None:
            current_app.logger.warning(
                "Sign-in locked for %s from %s", for_log(username), for_log(request.remote_addr)
            )
            status, message = 429, THROTTLED % {"minutes": max(1, math.ceil(wait / 60))}
            headers["Retry-After"] = str(wait)
        else:
            author = db.session.scalar(
                select(Author).where(func.lower(Author.username) == username)
            )
            succeeded = check_password(author, form.password.data)
            finish_attempt(attempt, username, succeeded)
            if succeeded:
                session.clear()  # a new session: nothing from before sign-in carries over
                session["author_id"] = author.id
                session["epoch"] = author.session_epoch
                session.permanent = True
                return redirect(safe_next(request.args.get("next")), 303)
            status, message = 401, BAD_LOGIN
    elif request.method == "POST":
        status = 422
    form.password.data = ""
    html = render_template("accounts/login.html", form=form, message=message)
    response = make_response(html, status)
    response.headers.update(headers)
    return response


@bp.post("/logout")
def logout():
    author = g.get("author")
    if author is not None:
        author.session_epoch += 1  # every copy of this session cookie stops working
        db.session.commit()
    session.clear()
    return redirect(url_for("auth.login"), 303)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    status = 200
    if form.validate_on_submit():
        if verify_password(g.author.password_hash, form.current.data):
            g.author.password_hash = hash_password(form.new.data)
            g.author.session_epoch += 1  # other sessions end; this one continues below
            db.session.commit()
            session["epoch"] = g.author.session_epoch
            flash(_("Your password was changed. Other sessions were signed out."))
            return redirect(url_for("admin.dashboard"), 303)
        form.current.errors = [*form.current.errors, _("That is not your current password.")]
        status = 422
    elif request.method == "POST":
        status = 422
    return make_response(render_template("accounts/password.html", form=form), status)


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token: str):
    """The link of an invitation email: choose a password, then be signed in. It works once."""
    author = invited_author(token)
    if author is None:
        return make_response(render_template("accounts/invite_used.html"), 404)
    form = AcceptInviteForm()
    status = 200
    if form.validate_on_submit():
        author.password_hash = hash_password(form.new.data)
        author.session_epoch += 1  # the link (and any other session) stops working
        db.session.commit()
        current_app.logger.info("Invitation accepted by %s", for_log(author.username))
        session.clear()
        session["author_id"] = author.id
        session["epoch"] = author.session_epoch
        session.permanent = True
        flash(_("Welcome, %(name)s. Your password is set.", name=author.display_name))
        return redirect(url_for("admin.dashboard"), 303)
    if request.method == "POST":
        status = 422
    html = render_template("accounts/invite.html", form=form, author=author, token=token)
    return make_response(html, status)
