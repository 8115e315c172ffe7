"""Authors sign in and out. Sessions are Flask's signed cookies, revocable through an epoch."""

from __future__ import annotations

import functools
import math
from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
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
from sqlalchemy import func, select

from .extensions import db
from .forms import LoginForm, PasswordChangeForm
from .models import Author, LoginAttempt, now_utc
from .passwords import hash_password, verify_password

bp = Blueprint("auth", __name__, url_prefix="/admin")

BAD_LOGIN = "Invalid username or password."
THROTTLED = "Too many failed sign-in attempts for this account. Try again in {minutes} minutes."
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


def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


bp.after_request(no_store)


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an absolute or protocol-relative URL."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and "\\" not in target:
            return target
    return url_for("admin.dashboard")


def failures_in_window(username: str) -> list[LoginAttempt]:
    window = timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])
    return db.session.scalars(
        select(LoginAttempt)
        .where(
            LoginAttempt.username == username,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.attempted_at > now_utc() - window,
        )
        .order_by(LoginAttempt.attempted_at.desc())
        .limit(current_app.config["LOGIN_MAX_FAILURES"])
    ).all()


def seconds_locked(username: str) -> int:
    """How long this username must wait, counted per account whatever the client's IP."""
    failures = failures_in_window(username)
    if len(failures) < current_app.config["LOGIN_MAX_FAILURES"]:
        return 0
    window = timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])
    oldest = failures[-1].attempted_at
    return max(1, math.ceil((oldest + window - now_utc()).total_seconds()))


def check_password(author: Author | None, password: str) -> bool:
    global _dummy_hash
    if author is None:
        # Same work for an unknown name, so timing does not tell which names exist.
        _dummy_hash = _dummy_hash or hash_password("not a real account password")
        verify_password(_dummy_hash, password)
        return False
    return verify_password(author.password_hash, password)


def record_attempt(username: str, succeeded: bool) -> None:
    db.session.add(
        LoginAttempt(username=username, ip=request.remote_addr or "", succeeded=succeeded)
    )
    db.session.commit()
    current_app.logger.info(
        "Sign-in %s for %r from %s",
        "succeeded" if succeeded else "failed",
        username,
        request.remote_addr,
    )


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    status, message, headers = 200, None, {}
    if form.validate_on_submit():
        username = form.username.data.lower()
        wait = seconds_locked(username)
        if wait:
            current_app.logger.warning(
                "Sign-in locked for %r from %s", username, request.remote_addr
            )
            status, message = 429, THROTTLED.format(minutes=max(1, math.ceil(wait / 60)))
            headers["Retry-After"] = str(wait)
        else:
            author = db.session.scalar(
                select(Author).where(func.lower(Author.username) == username)
            )
            if check_password(author, form.password.data):
                record_attempt(username, True)
                session.clear()  # a new session: nothing from before sign-in carries over
                session["author_id"] = author.id
                session["epoch"] = author.session_epoch
                session.permanent = True
                return redirect(safe_next(request.args.get("next")), 303)
            record_attempt(username, False)
            status, message = 401, BAD_LOGIN
    elif request.method == "POST":
        status = 422
    form.password.data = ""
    html = render_template("auth/login.html", form=form, message=message)
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
            flash("Your password was changed. Other sessions were signed out.")
            return redirect(url_for("admin.dashboard"), 303)
        form.current.errors = [*form.current.errors, "That is not your current password."]
        status = 422
    elif request.method == "POST":
        status = 422
    return make_response(render_template("auth/password.html", form=form), status)
