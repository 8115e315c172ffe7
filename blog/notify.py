"""Comment notifications by email to the article's author.

Messages are built in the request (it has the data and the URLs) and sent by one background
thread, so a slow or broken mail server never slows or breaks a reader's request. Failures are
logged and retried. With no MAIL_SERVER configured, messages are written to the log instead.
"""

from __future__ import annotations

import logging
import queue
import smtplib
import threading
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app, render_template
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .models import Comment, CommentStatus
from .urls import absolute_url

log = logging.getLogger(__name__)
MODERATION_ACTIONS = ("approve", "spam", "trash")


# --- signed one-click moderation links ---------------------------------------------------------


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="blog.moderate")


def moderation_token(comment: Comment, action: str) -> str:
    # The status version makes the link single-use: any status change, by this link or any
    # other route, moves the version on and the link dies.
    return _signer().dumps(
        {"comment": comment.id, "action": action, "version": comment.status_version or 0}
    )


def read_moderation_token(token: str) -> tuple[int, str, int] | None:
    """(comment id, action, status version), or None when forged or older than allowed."""
    max_age = current_app.config["MODERATION_LINK_DAYS"] * 86_400
    try:
        data = _signer().loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict) or data.get("action") not in MODERATION_ACTIONS:
        return None
    return int(data["comment"]), data["action"], int(data.get("version", -1))


# --- building the message -----------------------------------------------------------------------


def comment_message(comment: Comment) -> EmailMessage | None:
    """The notification for a new comment, or None when nobody should be told."""
    if comment.status not in (CommentStatus.APPROVED.value, CommentStatus.PENDING.value):
        return None  # spam and trash are not worth an email
    post = comment.post
    held = comment.status == CommentStatus.PENDING.value
    links = {}
    if held:
        links = {
            action: absolute_url("moderation.confirm", token=moderation_token(comment, action))
            for action in MODERATION_ACTIONS
        }
    message = EmailMessage()
    subject = f"Please moderate: {post.title}" if held else f"New comment on {post.title}"
    message["Subject"] = subject.replace("\n", " ").replace("\r", " ")
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = post.author.email or current_app.config["MAIL_SENDER"]
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="blog.invalid")
    message.set_content(
        render_template(
            "email/new_comment.txt",
            comment=comment,
            post=post,
            held=held,
            links=links,
            # Links come from SITE_URL: this runs in the commenter's request, and its Host
            # header must not decide where the author's signed moderation links point.
            article_url=absolute_url("public.post", slug=post.slug),
            permalink=absolute_url("comments.goto", comment_id=comment.id),
            moderate_url=absolute_url("admin.comments", status="pending"),
        )
    )
    return message


# --- sending ------------------------------------------------------------------------------------


class Mailer:
    """One background thread that sends queued messages, retrying each a few times."""

    def __init__(self) -> None:
        self.queue: queue.Queue = queue.Queue()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def submit(self, message: EmailMessage, settings: dict) -> None:
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="blog-mailer", daemon=True)
                self.thread.start()
        self.queue.put((message, settings))

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """For tests and shutdown: True once everything queued has been handled."""
        deadline = time.monotonic() + timeout
        while self.queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.02)
        return not self.queue.unfinished_tasks

    def _run(self) -> None:
        while True:
            message, settings = self.queue.get()
            try:
                self._deliver(message, settings)
            finally:
                self.queue.task_done()

    def _deliver(self, message: EmailMessage, settings: dict) -> None:
        attempts = settings["MAIL_RETRIES"] + 1
        for attempt in range(1, attempts + 1):
            try:
                send_now(message, settings)
                log.info("Sent %r to %s", message["Subject"], message["To"])
                return
            except (OSError, smtplib.SMTPException) as error:
                log.warning(
                    "Sending %r failed (attempt %d of %d): %s",
                    message["Subject"],
                    attempt,
                    attempts,
                    error,
                )
                if attempt < attempts:
                    time.sleep(settings["MAIL_RETRY_SECONDS"] * attempt)
        log.error("Gave up sending %r to %s", message["Subject"], message["To"])


def send_now(message: EmailMessage, settings: dict) -> None:
    smtp_class = smtplib.SMTP_SSL if settings["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_class(
        settings["MAIL_SERVER"], settings["MAIL_PORT"], timeout=settings["MAIL_TIMEOUT"]
    ) as smtp:
        if settings["MAIL_USE_TLS"] and not settings["MAIL_USE_SSL"]:
            smtp.starttls()
        if settings["MAIL_USERNAME"]:
            smtp.login(settings["MAIL_USERNAME"], settings["MAIL_PASSWORD"])
        smtp.send_message(message)


mailer = Mailer()
MAIL_SETTINGS = (
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_USE_TLS",
    "MAIL_USE_SSL",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_TIMEOUT",
    "MAIL_RETRIES",
    "MAIL_RETRY_SECONDS",
)


def notify_new_comment(comment: Comment) -> None:
    """Queue the notification; never raises into the reader's request."""
    try:
        message = comment_message(comment)
        if message is None:
            return
        config = current_app.config
        if not config.get("MAIL_SERVER"):
            log.info("No MAIL_SERVER configured; the message would be:\n%s", message.as_string())
            return
        mailer.submit(message, {key: config[key] for key in MAIL_SETTINGS})
    except Exception:  # a notification must never cost the reader their comment
        log.exception("Could not prepare the notification for comment %s", comment.id)
