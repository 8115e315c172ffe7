"""What a new comment must pass before it is saved, and the saving itself (isso's Guard).

The checks that read other rows (flood, duplicate, the first-time facts, the parent still being
public) run in the same transaction as the insert, under a lock that serialises comment posting:
parallel posts from several workers or hosts cannot both pass a check before either is written.
On SQLite the lock is the database's write lock (BEGIN IMMEDIATE); on PostgreSQL a transaction
advisory lock. Posting comments is rare next to reading, so one lock for all of them costs little.
"""

from __future__ import annotations

import math
import threading
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta

try:
    import fcntl
except ImportError:  # Windows: SQLite's own lock waiting serialises posts there
    fcntl = None

from flask import current_app
from sqlalchemy import func, select, text

from . import lifecycle, moderation, outbox
from .extensions import db
from .models import Author, Comment, CommentStatus, Post, now_utc
from .notify import notify_new_comment
from .sanitize import refresh_comment_html
from .settings import moderation_rules, site_config

TOO_QUICK = "You are posting comments too quickly. Slow down."
DUPLICATE = "Duplicate comment detected; it looks as though you\u2019ve already said that!"
# Any constant works: it only has to be the same number in every worker.
POSTING_LOCK_KEY = 7_031_946
APPROVED = CommentStatus.APPROVED.value
_in_process = threading.Lock()


class Refusal(Exception):
    """The comment is not saved: the reader gets ``message`` beside their text."""

    def __init__(self, status: int, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


def save(
    post: Post,
    parent: Comment | None,
    sent: moderation.Submission,
    author: Author | None = None,
    parent_statuses=(APPROVED,),
) -> Comment:
    """Check and store a new comment in one serialised transaction; Refusal when it may not be.

    ``sent`` is what the reader sent (the facts the moderation rules read); ``author`` a
    signed-in site author. Readers reply to published comments; an author from the admin also
    to held ones (``parent_statuses``)."""
    comment = Comment(
        post_id=post.id,
        author_name=sent.name,
        author_email=sent.email,
        author_url=sent.url,
        author_ip=sent.ip,
        user_agent=sent.user_agent,
        author_id=author.id if author else None,
        body=sent.body,
    )
    refresh_comment_html(comment)  # the slow part, done before anyone waits for the lock
    # The post, the parent and the new comment stay loaded across the commits: every value is
    # known here, and reloading them (and the post's tags) after each commit was a third of a
    # post's queries.
    with _objects_kept():
        # End what the request read so far, which also gives its pooled connection back: a
        # post waiting for the lock below must not hold a connection that the post holding
        # the lock needs next (with more waiting threads than connections, neither could go on).
        db.session.commit()
        # Threads of one worker queue here instead of polling SQLite's lock.
        with _in_process, _between_processes():
            _serialise_posting()
            queued = _save_checked(comment, post, parent, sent, author, parent_statuses)
    current_app.logger.info(
        "Comment %s on post %s: %s", comment.id, post.id, comment.moderation_reason
    )
    if queued:
        outbox.wake()
    return comment


def _save_checked(comment, post, parent, sent, author, parent_statuses) -> bool:
    """Inside the posting lock: the checks, the insert and the notification, one commit.
    True when a notification was queued."""
    try:
        decision = _checked_decision(post, parent, sent, author, parent_statuses)
        comment.status = decision.status
        comment.moderation_reason = decision.reason
        db.session.add(comment)
        lifecycle.attach(comment, parent)
        # The notification commits with the comment: a crash after this loses neither.
        # An author does not need to be told about their own comment.
        db.session.flush()  # the message links to the comment's id
        queued = author is None and notify_new_comment(comment)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return queued


@contextmanager
def _objects_kept():
    session = db.session()
    previous = session.expire_on_commit
    session.expire_on_commit = False
    try:
        yield
    finally:
        session.expire_on_commit = previous


def _checked_decision(post, parent, sent, author, parent_statuses) -> moderation.Decision:
    """The checks that read other rows, inside the posting lock; Refusal or the decision."""
    if parent is not None:
        db.session.refresh(parent)  # removed while the reader typed?
        if parent.status not in parent_statuses:
            raise Refusal(422, lifecycle.PARENT_NOT_PUBLIC)
    if author is None:
        wait = seconds_until_allowed(sent.ip, sent.email)
        if wait:
            raise Refusal(429, TOO_QUICK, retry_after=wait)
    if is_duplicate(post, parent, sent):
        raise Refusal(409, DUPLICATE)
    facts = replace(
        sent,
        by_site_author=author is not None,
        has_approved_comment=has_approved_comment(sent.name, sent.email),
    )
    return moderation.decide(facts, moderation_rules())


@contextmanager
def _between_processes():
    """Posts from other worker processes wait in the kernel, not in SQLite's busy handler.

    SQLite's own wait for its write lock sleeps and retries (1, 2, 5, 10 ms...), so a worker
    waiting behind another could sleep well past the moment the lock came free. An exclusive
    lock on a file beside the
    database queues them instead, and wakes the next one the moment the lock is free. SQLite
    files only (PostgreSQL's advisory lock already queues); where the platform has no flock,
    SQLite's own wait still serialises posts, just more slowly."""
    path = _lock_file_path()
    if path is None:
        yield
        return
    # Opened per post (a few microseconds): a descriptor kept open would be shared with the
    # children of a fork, and the lock with them.
    with open(path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _lock_file_path() -> str | None:
    if fcntl is None:
        return None
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if url.database.startswith("file:"):  # a URI filename: leave it to SQLite
        return None
    return f"{url.database}-posting.lock"


def _serialise_posting() -> None:
    """Begin the posting transaction under the database's lock (the request's reads ended)."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "sqlite":
        db.session.execute(text("BEGIN IMMEDIATE"))
    elif dialect == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": POSTING_LOCK_KEY})


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


def is_duplicate(post: Post, parent: Comment | None, sent: moderation.Submission) -> bool:
    """WordPress's rule: same post, parent, author, email and text, not in the trash."""
    same_parent = Comment.parent_id == parent.id if parent else Comment.parent_id.is_(None)
    found = db.session.scalar(
        select(Comment.id)
        .where(
            Comment.post_id == post.id,
            same_parent,
            Comment.author_name == sent.name,
            func.lower(Comment.author_email) == sent.email.lower(),
            Comment.body == sent.body,
            Comment.status != CommentStatus.TRASH.value,
        )
        .limit(1)
    )
    return found is not None


def has_approved_comment(name: str, email: str) -> bool:
    """WordPress's first-time rule: this name *and* email already have an approved comment."""
    found = db.session.scalar(
        select(Comment.id)
        .where(
            func.lower(Comment.author_email) == email.lower(),
            func.lower(Comment.author_name) == name.lower(),
            Comment.status == CommentStatus.APPROVED.value,
        )
        .limit(1)
    )
    return found is not None
