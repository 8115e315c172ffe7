"""What a new comment must pass before it is saved, and the saving itself (isso's Guard).

The checks that two racing posts could both pass (flood, duplicate, the parent still being
public) run in the same transaction as the insert, under a lock that serialises comment posting:
parallel posts from several workers or hosts cannot both pass a check before either is written.
Everything else (sanitizing, the moderation verdict, drafting the notification) is done before
the lock, so a post holds it for a few statements only.
On SQLite the lock is the database's write lock (BEGIN IMMEDIATE); on PostgreSQL a transaction
advisory lock. Posting comments is rare next to reading, so one lock for all of them costs little.

A post waits for its turn DB_WRITE_WAIT_SECONDS at most, all waits together (the other threads
of its worker, the other workers, the database's lock). Past that it gives up (LockWaitTimeout,
or the database's own lock error) and the reader gets the form back with a 503 and Retry-After:
no worker stays stuck behind a stalled write while readers queue for it.
"""

from __future__ import annotations

import errno
import functools
import math
import threading
import time
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta

try:
    import fcntl
except ImportError:  # Windows: SQLite's own lock waiting serialises posts there
    fcntl = None

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, insert, select, text, update

from ..database import LockWaitTimeout, core_content_written, limit_wait, write_wait_seconds
from ..extensions import db
from ..mail import outbox
from ..mail.notify import prepare_notification, queue_notification
from ..models import Author, Comment, CommentStatus, Post, body_digest, new_row_secret, now_utc
from ..sanitize import COMMENT_RENDER_VERSION, render_comment
from ..settings import site_config
from . import lifecycle, moderation, subscriptions
from .moderation import moderation_rules

TOO_QUICK = _l("You are posting comments too quickly. Slow down.")
DUPLICATE = _l("Duplicate comment detected; it looks as though you\u2019ve already said that!")
# Any constant works: it only has to be the same number in every worker.
POSTING_LOCK_KEY = 7_031_946
APPROVED = CommentStatus.APPROVED.value
_in_process = threading.Lock()


class Refusal(Exception):
    """The comment is not saved: the reader gets ``message`` beside their text."""

    def __init__(
        self,
        status: int,
        message: str,
        retry_after: int | None = None,
        earlier: int | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after
        self.earlier = earlier  # a duplicate: the id of the comment it repeats


def save(
    post: Post,
    parent: Comment | None,
    sent: moderation.Submission,
    author: Author | None = None,
    parent_statuses=(APPROVED,),
    secret: str | None = None,
) -> Comment:
    """Check and store a new comment in one serialised transaction; Refusal when it may not be.

    ``sent`` is what the reader sent (the facts the moderation rules read); ``author`` a
    signed-in site author. Readers reply to published comments; an author from the admin also
    to held ones (``parent_statuses``). ``secret``: the comment's secret (the poster's cookie
    names it), made from what only the poster's browser holds (comments.poster_secret); a
    random one without it."""
    depth, root_id = lifecycle.thread_place(parent)
    decision = _decision(sent, author)
    row = {
        "post_id": post.id,
        "parent_id": parent.id if parent else None,
        "depth": depth,
        "root_id": root_id,
        "author_name": sent.name,
        "author_email": sent.email,
        "author_url": sent.url,
        "author_ip": sent.ip,
        "user_agent": sent.user_agent,
        "author_id": author.id if author else None,
        "body": sent.body,
        "body_digest": body_digest(sent.body),
        "body_html": render_comment(sent.body),
        "body_render_version": COMMENT_RENDER_VERSION,
        "status": decision.status,
        "moderation_reason": decision.reason[:255],
        "secret": secret,
    }
    # Whatever does not need the lock is done before it: every other post waits for the
    # lock, not for this. An author does not need to be told about their own comment.
    draft = None if author else prepare_notification(post, row)
    # The post and the parent stay loaded across the commits: every value is known here, and
    # reloading them (and the post's tags) after each commit was a third of a post's queries.
    with _objects_kept():
        # End what the request read so far, which also gives its pooled connection back: a
        # post waiting for the lock below must not hold a connection that the post holding
        # the lock needs next (with more waiting threads than connections, neither could go on).
        db.session.commit()
        deadline = time.monotonic() + _wait_now()
        try:
            # Threads of one worker queue here instead of polling SQLite's lock.
            with _in_process_turn(deadline), _between_processes(deadline):
                _serialise_posting(deadline)
                comment, queued = _save_checked(
                    row, post, parent, sent, author, parent_statuses, draft
                )
        except Exception as error:
            _note_stall(error)
            raise
    _stall.until = 0.0
    current_app.logger.info(
        "Comment %s on post %s: %s", comment.id, post.id, comment.moderation_reason
    )
    if queued:
        outbox.wake()
    return comment


# Once a post of this worker waited its whole DB_WRITE_WAIT_SECONDS in vain, the database is
# stalled (a long exclusive lock, a stuck writer): the next posts wait only this long, until
# one gets through or the stall is Retry-After seconds old. Posts that all waited the full
# time would keep every worker busy, and readers would queue behind them.
STALLED_WAIT_SECONDS = 0.25


class _Stall:
    until = 0.0


_stall = _Stall()


def _wait_now() -> float:
    wait = write_wait_seconds()
    if time.monotonic() < _stall.until:
        return min(wait, STALLED_WAIT_SECONDS)
    return wait


def _note_stall(error: Exception) -> None:
    from ..web.errors import BUSY, storage_fault

    fault = storage_fault(error)
    if fault is not None and fault.message == BUSY:
        _stall.until = time.monotonic() + fault.retry_after


def _save_checked(row, post, parent, sent, author, parent_statuses, draft) -> tuple[Comment, bool]:
    """Inside the posting lock: the checks, the insert and the notification, one commit.

    The comment is written with one Core INSERT, not through the ORM's unit of work: this is
    the only part of a post that every other post waits for, and the flush machinery was most
    of it. The saved row then joins the session as a loaded object for the rest of the request.
    Returns the comment and whether a notification was queued."""
    try:
        _check_against_others(post, parent, sent, author, parent_statuses)
        row["created_at"] = now_utc()
        row["secret"] = row["secret"] or new_row_secret()  # the poster cookie names it with the id
        connection = db.session.connection()
        row["id"] = connection.execute(_INSERT_COMMENT, row).inserted_primary_key[0]
        if row["root_id"] is None:  # a new thread: the comment is its own root
            row["root_id"] = row["id"]
            connection.execute(_SET_OWN_ROOT, {"comment_id": row["id"]})
        # The article's cached page moves on (and the listings', for their counts). A held or
        # spam comment shows on no shared page (only its poster's, which is rendered for them):
        # nothing cached changes.
        if row["status"] == CommentStatus.APPROVED.value:
            core_content_written.send(db.session, post_id=post.id)
        comment = lifecycle.saved_comment(row)
        # The notification commits with the comment: a crash after this loses neither.
        queued = draft is not None and queue_notification(draft, comment)
        # The article's followers, for a comment published at once (a held one: on approval).
        queued = subscriptions.comment_published(comment, post) > 0 or queued
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return comment, queued


_INSERT_COMMENT = insert(Comment.__table__)
_SET_OWN_ROOT = (
    update(Comment.__table__)
    .where(Comment.__table__.c.id == bindparam("comment_id"))
    .values(root_id=Comment.__table__.c.id)
)


def _decision(sent: moderation.Submission, author: Author | None) -> moderation.Decision:
    """The moderation rules' verdict. Outside the lock: the first-time fact it reads can only
    change by a moderator's hand, and racing one would at worst hold a comment."""
    facts = replace(
        sent,
        by_site_author=author is not None,
        has_approved_comment=has_approved_comment(sent.name, sent.email),
    )
    return moderation.decide(facts, moderation_rules())


@contextmanager
def _objects_kept():
    session = db.session()
    previous = session.expire_on_commit
    session.expire_on_commit = False
    try:
        yield
    finally:
        session.expire_on_commit = previous


def _check_against_others(post, parent, sent, author, parent_statuses) -> None:
    """The checks that two posts racing each other could both pass, inside the posting lock:
    the parent still public, the flood rule, the duplicate rule. Refusal when one fails."""
    if parent is not None:
        db.session.refresh(parent)  # removed while the reader typed?
        if parent.status not in parent_statuses:
            raise Refusal(422, lifecycle.PARENT_NOT_PUBLIC)
    if author is None:
        wait = seconds_until_allowed(sent.ip, sent.email)
        if wait:
            raise Refusal(429, TOO_QUICK, retry_after=wait)
    earlier = duplicate_of(post, parent, sent)
    if earlier is not None:
        raise Refusal(409, DUPLICATE, earlier=earlier)


@contextmanager
def _in_process_turn(deadline: float):
    if not _in_process.acquire(timeout=max(0.0, deadline - time.monotonic())):
        raise LockWaitTimeout("another post of this worker held the posting lock too long")
    try:
        yield
    finally:
        _in_process.release()


# Polling the file lock: the first retry comes at once, later ones at most this far apart.
_POLL_SECONDS = (0.0005, 0.001, 0.002)
# The lock file cannot be opened (read-only or full instance folder, wrong owner): SQLite's own
# lock wait still serialises posts (and refuses them if the database cannot be written either).
_UNUSABLE_LOCK_FILE = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT}
_lock_file_warned: set[str] = set()


@contextmanager
def _between_processes(deadline: float):
    """Posts from other worker processes wait on a file lock, not in SQLite's busy handler.

    SQLite's own wait for its write lock sleeps and retries (1, 2, 5, 10 ms...), so a worker
    waiting behind another could sleep well past the moment the lock came free. An exclusive
    lock on a file beside the database is tried again every millisecond or two instead, until
    the deadline (a blocking flock could not give up). SQLite files only (PostgreSQL's advisory
    lock already queues); where the platform has no flock, or the file cannot be opened,
    SQLite's own wait still serialises posts, just more slowly."""
    path = _lock_file_path()
    if path is None:
        yield
        return
    # Opened per post (a few microseconds): a descriptor kept open would be shared with the
    # children of a fork, and the lock with them.
    try:
        handle = open(path, "a+b")  # noqa: SIM115 (closed below, after the lock is released)
    except OSError as error:
        if error.errno not in _UNUSABLE_LOCK_FILE:
            raise
        if path not in _lock_file_warned:  # once per process, not once per post
            _lock_file_warned.add(path)
            current_app.logger.warning(
                "Posting lock file unusable; SQLite's lock instead: %s", error
            )
        yield
        return
    with handle:
        _lock_until(handle.fileno(), deadline)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _lock_until(fd: int, deadline: float) -> None:
    attempt = 0
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        left = deadline - time.monotonic()
        if left <= 0:
            raise LockWaitTimeout("another worker held the posting lock too long")
        time.sleep(min(left, _POLL_SECONDS[min(attempt, len(_POLL_SECONDS) - 1)]))
        attempt += 1


def _lock_file_path() -> str | None:
    if fcntl is None:
        return None
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if url.database.startswith("file:"):  # a URI filename: leave it to SQLite
        return None
    return f"{url.database}-posting.lock"


def _serialise_posting(deadline: float) -> None:
    """Begin the posting transaction under the database's lock (the request's reads ended),
    waiting for it only as long as the post's deadline leaves."""
    connection = db.session.connection()
    dialect = connection.dialect.name
    left = deadline - time.monotonic()
    if left <= 0:
        raise LockWaitTimeout("no time left to wait for the database")
    if left < write_wait_seconds() - 0.05:  # waited above, or stalled: a shorter wait here
        limit_wait(connection, left)
    if dialect == "sqlite":
        connection.execute(_BEGIN_IMMEDIATE)
    elif dialect == "postgresql":
        connection.execute(_ADVISORY_LOCK, {"key": POSTING_LOCK_KEY})


_BEGIN_IMMEDIATE = text("BEGIN IMMEDIATE")
_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


def seconds_until_allowed(ip: str, email: str) -> int:
    """WordPress's flood rule: the same IP or email again within COMMENT_FLOOD_SECONDS."""
    interval = site_config()["COMMENT_FLOOD_SECONDS"]
    if not interval:
        return 0
    since = now_utc() - timedelta(seconds=interval)
    latest = _scalar(_latest_from(), ip=ip, email=email.lower(), since=since)
    if latest is None:
        return 0
    return max(1, math.ceil(interval - (now_utc() - latest).total_seconds()))


def is_duplicate(post: Post, parent: Comment | None, sent: moderation.Submission) -> bool:
    return duplicate_of(post, parent, sent) is not None


def duplicate_of(post: Post, parent: Comment | None, sent: moderation.Submission) -> int | None:
    """WordPress's rule: same post, parent, author, email and text, not in the trash; the id of
    the comment this one repeats, or None.

    The article's comments with the same text are found by the text's digest, and compared
    here. The digest is the only condition given to the database: with the author's email in
    the query too, SQLite may pick the email's index instead, and read every comment a
    prolific commenter wrote."""
    email = sent.email.lower()
    parent_id = parent.id if parent else None
    same_text = db.session.connection().execute(
        _same_text(), {"post_id": post.id, "digest": body_digest(sent.body)}
    )
    for row in same_text:
        if (
            row.body == sent.body
            and row.parent_id == parent_id
            and row.author_name == sent.name
            and row.author_email.lower() == email
            and row.status != CommentStatus.TRASH.value
        ):
            return row.id
    return None


def has_approved_comment(name: str, email: str) -> bool:
    """WordPress's first-time rule: this name *and* email already have an approved comment."""
    return _scalar(_approved_from(), name=name.lower(), email=email.lower()) is not None


# The checks run for every comment, while every other post waits: their statements are built
# once and run on the session's connection, with the values as parameters.


def _scalar(statement, **params):
    return db.session.connection().execute(statement, params).scalar()


@functools.cache
def _latest_from():
    return select(func.max(Comment.created_at)).where(
        (Comment.author_ip == bindparam("ip"))
        | (func.lower(Comment.author_email) == bindparam("email")),
        Comment.created_at > bindparam("since"),
    )


@functools.cache
def _same_text():
    return select(
        Comment.id,
        Comment.parent_id,
        Comment.author_name,
        Comment.author_email,
        Comment.body,
        Comment.status,
    ).where(Comment.post_id == bindparam("post_id"), Comment.body_digest == bindparam("digest"))


@functools.cache
def _approved_from():
    return (
        select(Comment.id)
        .where(
            func.lower(Comment.author_email) == bindparam("email"),
            func.lower(Comment.author_name) == bindparam("name"),
            Comment.status == CommentStatus.APPROVED.value,
        )
        .limit(1)
    )
