"""What a commenter's browser carries: signed cookies and the signed form timestamp.

No accounts for readers: the poster of a comment proves it with a signed cookie listing their
comment ids (to see a held comment and to edit for a while), and "Save my name, email, and website"
keeps those three values in another signed cookie.
"""

from __future__ import annotations

import functools
import time

from flask import Response, after_this_request, current_app, g, request
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from ..web.signing import timestamp_signer

OWN_COOKIE = "blog_own_comments"
REMEMBER_COOKIE = "blog_commenter"
OWN_LIMIT = 50
DAY = 86_400


def _serializer(purpose: str) -> URLSafeSerializer:
    return _serializer_for(current_app.config["SECRET_KEY"], purpose)


@functools.cache
def _serializer_for(secret_key, purpose: str) -> URLSafeSerializer:
    # Built once per key: a serializer holds nothing per call, and building one costs a probe.
    return URLSafeSerializer(secret_key, salt=f"blog.{purpose}")


def _set_cookie(response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config.get("PREFER_HTTPS")),
    )


# The form timestamp: how long after the form was shown it came back (bots are instant).


def _stamp_signer():
    return timestamp_signer(current_app.config["SECRET_KEY"], "blog.comment-form")


def form_stamp() -> str:
    return _stamp_signer().sign(b"comment-form").decode()


def stamp_age(stamp: str | None) -> float | None:
    """None when the stamp is missing or was not made by us."""
    if not stamp:
        return None
    try:
        _, signed_at = _stamp_signer().unsign(stamp, return_timestamp=True)
    except BadSignature:
        return None
    return max(0.0, time.time() - signed_at.timestamp())


def stamp_is_stale(age: float | None) -> bool:
    """Older than the CSRF token it was sent with may live: the page sat open too long (or the
    stamp is being replayed). Such a form is sent again with a fresh stamp, not judged a bot."""
    lifetime = current_app.config.get("WTF_CSRF_TIME_LIMIT") or DAY
    # The stamp's clock counts whole seconds: allow the one it may have rounded away.
    return age is not None and age > lifetime + 1


# Own comments: {comment id: unix time posted}, newest kept. The cookie names each comment by its
# id and its secret (models.new_row_secret): an id alone can come back for another comment (a
# restored copy, rows deleted and written again), and what the cookie grants must not go with it.


def own_comments() -> dict[int, float]:
    """The visitor's comments that still exist as the very rows they posted (checked against the
    database once per request, and only for visitors with such a cookie)."""
    if "own_comments" not in g:
        claimed = _claimed_own()
        g.own_secrets = _still_theirs(claimed) if claimed else {}
        g.own_comments = {cid: claimed[cid][0] for cid in g.own_secrets}
    max_age = current_app.config["COMMENT_OWN_DAYS"] * DAY
    now = time.time()
    return {cid: ts for cid, ts in g.own_comments.items() if now - ts < max_age}


def _claimed_own() -> dict[int, tuple[float, str]]:
    """What the signed cookie says: {id: (time posted, secret)}. Entries without a secret (the
    format before the secret existed) prove nothing and are dropped."""
    # Most readers have none: no signature to check then (every page asks).
    cookie = request.cookies.get(OWN_COOKIE)
    if not cookie:
        return {}
    try:
        entries = _serializer("own").loads(cookie)
        return {
            int(entry[0]): (float(entry[1]), str(entry[2]))
            for entry in entries
            if isinstance(entry, list) and len(entry) == 3 and entry[2]
        }
    except (BadSignature, TypeError, ValueError):
        return {}


def _still_theirs(claimed: dict[int, tuple[float, str]]) -> dict[int, str]:
    """{id: secret} of the claimed comments whose row still carries the secret the cookie names."""
    from ..extensions import db
    from ..models import Comment

    rows = db.session.execute(
        select(Comment.id, Comment.secret).where(Comment.id.in_(list(claimed)))
    ).all()
    return {cid: secret for cid, secret in rows if claimed[cid][1] == secret}


def _save_own(response: Response, owned: dict[int, float]) -> None:
    g.own_comments = owned
    newest = sorted(owned.items(), key=lambda item: item[1])[-OWN_LIMIT:]
    entries = [[cid, ts, g.own_secrets[cid]] for cid, ts in newest if cid in g.own_secrets]
    max_age = current_app.config["COMMENT_OWN_DAYS"] * DAY
    _set_cookie(response, OWN_COOKIE, _serializer("own").dumps(entries), max_age)


def add_own_comment(response: Response, comment) -> None:
    """Name ``comment`` (a saved Comment) in the visitor's cookie on ``response``."""
    owned = own_comments()
    mark_own_comment(comment)
    owned[comment.id] = g.own_comments[comment.id]
    _save_own(response, owned)


def remove_own_comment(response: Response, comment_id: int) -> None:
    owned = own_comments()
    owned.pop(comment_id, None)
    _save_own(response, owned)


def mark_own_comment(comment) -> None:
    """Let the rest of this request see ``comment`` as the visitor's own before the cookie
    exists."""
    own_comments()
    g.own_comments[comment.id] = time.time()
    g.own_secrets[comment.id] = comment.secret


# "Save my name, email, and website in this browser".


def remembered_commenter() -> dict[str, str]:
    if "remembered_commenter" in g:  # chosen by a post in this request: the fresh form shows it
        return dict(g.remembered_commenter)
    cookie = request.cookies.get(REMEMBER_COOKIE)
    if not cookie:
        return {}
    try:
        data = _serializer("remember").loads(cookie)
    except BadSignature:
        return {}
    if not isinstance(data, dict):
        return {}
    return {key: str(data.get(key, "")) for key in ("author", "email", "url")}


def remember_commenter(author: str, email: str, url: str) -> None:
    """Keep the three in a cookie set on this request's response; whatever this request still
    renders (the fresh form after an htmx post) is prefilled with them already."""
    values = {"author": author, "email": email, "url": url}
    g.remembered_commenter = values
    value = _serializer("remember").dumps(values)
    max_age = current_app.config["COMMENT_REMEMBER_DAYS"] * DAY

    @after_this_request
    def set_cookie(response: Response) -> Response:
        _set_cookie(response, REMEMBER_COOKIE, value, max_age)
        return response


def forget_commenter() -> None:
    g.remembered_commenter = {}

    @after_this_request
    def delete_cookie(response: Response) -> Response:
        response.delete_cookie(REMEMBER_COOKIE, httponly=True, samesite="Lax")
        return response
