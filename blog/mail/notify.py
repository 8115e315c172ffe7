"""Comment notifications by email to the article's author.

Messages are built in the request (it has the data and the URLs) and written to the outbox in
the comment's own transaction; blog/mail/outbox.py sends them, with retries, outside any request, so
a slow or broken mail server never slows or breaks a reader's request and a crash loses nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email import quoprimime
from email.header import Header
from email.utils import formataddr, formatdate, make_msgid, parseaddr

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..models import Comment, CommentStatus, Post
from ..web.urls import absolute_article_url, absolute_url
from . import outbox

log = logging.getLogger(__name__)
MODERATION_ACTIONS = ("approve", "spam", "trash")


# --- signed one-click moderation links ---------------------------------------------------------


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="blog.moderate")


def moderation_token(comment: Comment, action: str) -> str:
    # The status version makes the link single-use: any status change, by this link or any
    # other route, moves the version on and the link dies. The comment's secret binds it to this
    # very row: an id can come back for another comment, the secret does not.
    return _signer().dumps(
        {
            "comment": comment.id,
            "key": comment.secret,
            "action": action,
            "version": comment.status_version or 0,
        }
    )


def read_moderation_token(token: str) -> tuple[int, str, str, int] | None:
    """(comment id, comment secret, action, status version), or None when forged, older than
    allowed or made before links named the comment's secret."""
    max_age = current_app.config["MODERATION_LINK_DAYS"] * 86_400
    try:
        data = _signer().loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict) or data.get("action") not in MODERATION_ACTIONS:
        return None
    if not isinstance(data.get("key"), str) or not data["key"]:
        return None
    try:
        return int(data["comment"]), data["key"], data["action"], int(data.get("version", -1))
    except (TypeError, ValueError):
        return None


# --- building the message -----------------------------------------------------------------------


# The message is written as text directly: headers already encoded (RFC 2047 where they need
# it), then the body, 7-bit where it can be and quoted-printable UTF-8 where not. It is what
# email's compat32 Message would print, without its header folding pass over every header,
# which was most of the cost of building a notification. The sender parses it back as compat32.
_LONGEST_7BIT_LINE = 998  # RFC 5322's limit, without the line break
_PLAIN_7BIT = 'Content-Type: text/plain; charset="us-ascii"\nContent-Transfer-Encoding: 7bit'
_PLAIN_QP = 'Content-Type: text/plain; charset="utf-8"\nContent-Transfer-Encoding: quoted-printable'


def _header(name: str, text: str) -> str:
    """RFC 2047 encoded words, folded into lines of at most 76 characters (a long title)."""
    return Header(text, "ascii" if text.isascii() else "utf-8", header_name=name).encode()


def _address(text: str) -> str:
    name, address = parseaddr(text)
    return formataddr((name, address), charset="utf-8") if address else text


@dataclass
class Draft:
    """A notification written before its comment has an id: the message's headers and the text
    up to the lines that link to the comment itself."""

    headers: str
    head: str
    held: bool
    recipient: str
    subject: str


def comment_draft(post: Post, row: dict) -> Draft | None:
    """The notification for a new comment on ``post`` (``row``: its values, status decided, no
    id yet), or None when nobody should be told."""
    if row["status"] not in (CommentStatus.APPROVED.value, CommentStatus.PENDING.value):
        return None  # spam and trash are not worth an email
    held = row["status"] == CommentStatus.PENDING.value
    if held:
        subject = _("Please moderate: %(title)s", title=post.title)
    else:
        subject = _("New comment on %(title)s", title=post.title)
    subject = subject.replace("\n", " ").replace("\r", " ")
    recipient = post.author.email or current_app.config["MAIL_SENDER"]
    headers = "\n".join(
        (
            f"Subject: {_header('Subject', subject)}",
            f"From: {_address(current_app.config['MAIL_SENDER'])}",
            f"To: {_address(recipient)}",
            f"Date: {formatdate(localtime=False)}",
            f"Message-ID: {make_msgid(domain=outbox.message_id_domain())}",
            "MIME-Version: 1.0",
        )
    )
    head = _render(
        "mail/new_comment.txt",
        comment=row,
        post=post,
        held=held,
        # Links come from SITE_URL: this runs in the commenter's request, and its Host
        # header must not decide where the author's signed moderation links point.
        article_url=absolute_article_url(post),
    )
    return Draft(headers, head, held, recipient, subject)


def finished_message(draft: Draft, comment: Comment) -> str:
    """The drafted message, as text, with the links that need the saved comment's id."""
    links = {}
    if draft.held:
        links = {
            action: absolute_url("moderation.confirm", token=moderation_token(comment, action))
            for action in MODERATION_ACTIONS
        }
    tail = _render(
        "mail/new_comment_links.txt",
        held=draft.held,
        links=links,
        permalink=absolute_url("comments.goto", comment_id=comment.id),
        moderate_url=absolute_url("admin.comments", status="pending"),
    )
    body = f"{draft.head}\n\n{tail.rstrip()}\n"
    if body.isascii() and all(len(line) <= _LONGEST_7BIT_LINE for line in body.splitlines()):
        return f"{draft.headers}\n{_PLAIN_7BIT}\n\n{body}"
    # As email's utf-8 Charset encodes a body: the UTF-8 bytes, quoted-printable, lines of 76.
    encoded = quoprimime.body_encode(body.encode("utf-8").decode("latin-1"))
    return f"{draft.headers}\n{_PLAIN_QP}\n\n{encoded}"


def _render(template: str, **context) -> str:
    """A text template without the page context processors (a mail needs none of them)."""
    return current_app.jinja_env.get_template(template).render(context)


# --- queueing ---------------------------------------------------------------------------------


def prepare_notification(post: Post, row: dict) -> Draft | None:
    """Before the posting lock: the draft, or None (nobody to tell, or it could not be built).

    Never raises into the reader's request: a notification that cannot be built is logged and
    the comment is still saved."""
    try:
        return comment_draft(post, row)
    except Exception:  # a notification must never cost the reader their comment
        log.exception("Could not prepare the notification for a comment on post %s", post.id)
        return None


def queue_notification(draft: Draft, comment: Comment) -> bool:
    """Write the notification to the outbox in the comment's own transaction (not committed
    here), so both are stored or neither is. True when it was queued (the caller wakes the
    sender after its commit); never raises, like prepare_notification."""
    try:
        outbox.enqueue(finished_message(draft, comment), draft.recipient, draft.subject)
        return True
    except Exception:
        log.exception("Could not prepare the notification for comment %s", comment.id)
        return False
