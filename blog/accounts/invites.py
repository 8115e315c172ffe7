"""Invitation links: a signed, expiring token that lets a new account choose its password once.

The token names the account and its ``session_epoch``; choosing the password moves the epoch
on, so the link works once (and any later sign-out or password change also ends it). The
account's row secret is not needed: ids are never handed out again (AUTOINCREMENT) and the epoch
starts random (models.new_session_epoch), so a token made for another database's account with the
same id does not match.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..extensions import db
from ..models import Author

SALT = "blog.invite"
DEFAULT_DAYS = 7


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def link_days() -> int:
    return int(current_app.config.get("INVITE_LINK_DAYS", DEFAULT_DAYS))


def invite_token(author: Author) -> str:
    return _serializer().dumps({"author": author.id, "epoch": author.session_epoch})


def invited_author(token: str) -> Author | None:
    """The account a valid, unused, unexpired token was made for; None otherwise."""
    try:
        data = _serializer().loads(token, max_age=link_days() * 86_400)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict):
        return None
    author_id, epoch = data.get("author"), data.get("epoch")
    if not isinstance(author_id, int) or not isinstance(epoch, int) or author_id < 1:
        return None
    if author_id > 2**63 - 1:
        return None
    author = db.session.get(Author, author_id)
    if author is None or author.session_epoch != epoch:
        return None
    return author
