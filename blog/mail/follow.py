"""The emails of following an article: the confirmation of a new subscription, and the notice of
new comments. Plain text, like the author's notifications (blog/mail/notify.py), each with
RFC 8058 one-click unsubscribe headers.

The message is written as text, as notify writes its own: email's EmailMessage folds a long
header it cannot break at a space into RFC 2047 encoded words, which would turn the
``List-Unsubscribe`` address into something no mail provider reads as a URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from email import quoprimime
from email.utils import formatdate

from flask import current_app
from flask_babel import gettext as _

from . import outbox
from .notify import _LONGEST_7BIT_LINE, _PLAIN_7BIT, _PLAIN_QP, _address, _header, _render

ONE_CLICK_BODY = "List-Unsubscribe=One-Click"


@dataclass(frozen=True)
class Links:
    """Where the email points: the article, the page that unsubscribes after a button, and the
    address a mail provider POSTs to for RFC 8058's one-click unsubscribe."""

    article: str
    unsubscribe_page: str
    one_click: str


def queue_confirmation(
    recipient: str, title: str, confirm_url: str, days: int, links: Links
) -> None:
    """Into the outbox, in the caller's transaction (it commits with the row it reports)."""
    subject = _("Confirm that you want to follow \u201c%(title)s\u201d", title=_one_line(title))
    body = _render(
        "mail/follow_confirm.txt",
        title=title,
        confirm_url=confirm_url,
        links=links,
        days=days,
    )
    outbox.enqueue(_message(recipient, subject, body, links), recipient, subject)


@dataclass(frozen=True)
class NewComment:
    author_name: str
    body: str
    permalink: str


def queue_notice(recipient: str, title: str, comment: NewComment, more: int, links: Links) -> None:
    """One new comment, and how many others were approved since the last notice (``more``);
    into the outbox in the caller's transaction."""
    subject = _("New comment on \u201c%(title)s\u201d", title=_one_line(title))
    body = _render("mail/follow_notice.txt", title=title, comment=comment, more=more, links=links)
    outbox.enqueue(_message(recipient, subject, body, links), recipient, subject)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _message(recipient: str, subject: str, body: str, links: Links) -> str:
    headers = "\n".join(
        (
            f"Subject: {_header('Subject', subject)}",
            f"From: {_address(current_app.config['MAIL_SENDER'])}",
            f"To: {_address(recipient)}",
            f"Date: {formatdate(localtime=False)}",
            f"Message-ID: {outbox.new_message_id()}",
            # RFC 8058: the provider's "Unsubscribe" button POSTs ONE_CLICK_BODY to this address.
            f"List-Unsubscribe: <{links.one_click}>",
            f"List-Unsubscribe-Post: {ONE_CLICK_BODY}",
            # RFC 3834: an automatic message; vacation responders stay quiet.
            "Auto-Submitted: auto-generated",
            "MIME-Version: 1.0",
        )
    )
    body = body.rstrip() + "\n"
    if body.isascii() and all(len(line) <= _LONGEST_7BIT_LINE for line in body.splitlines()):
        return f"{headers}\n{_PLAIN_7BIT}\n\n{body}"
    encoded = quoprimime.body_encode(body.encode("utf-8").decode("latin-1"))
    return f"{headers}\n{_PLAIN_QP}\n\n{encoded}"
