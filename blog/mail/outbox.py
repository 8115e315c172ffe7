"""The mail outbox: messages are rows, written with what they report, sent later with retries.

A sender repeats: claim one due row, send it with no transaction open, record the outcome.

- **Claiming** is atomic, so two senders (threads, processes, hosts) never send the same row:
  on PostgreSQL the due row is picked with ``FOR UPDATE SKIP LOCKED`` (a second sender skips it
  instead of waiting); on every database the claim itself is an UPDATE that only succeeds while
  the row is still due (``rowcount == 1``), and its token is what the sender later marks sent.
- **Crashes**: a claim is a lease of MAIL_CLAIM_SECONDS. A sender killed while holding a row
  (before connecting, during the SMTP dialogue) leaves it ``sending``; once the lease ran out
  another sender, or the same one restarted, takes it again.
- **Marking a message sent never gives up.** Once the server said "250 OK", the UPDATE to
  ``sent`` is tried again (backing off) while the database is busy or away, for as long as it
  takes: the message is never sent again because its row could not be written.
- **At least once, not exactly once.** The mail server's "250 OK" and our UPDATE to ``sent``
  are two systems; no protocol makes them one step. A sender killed in the instant between them
  leaves a message the server has accepted but the row does not know about, and it is sent a
  second time after the lease. Killed at any earlier point (the server never acknowledged), the
  message goes out once. A lease shorter than a slow send could also let a second sender take a
  row still in flight; keep MAIL_CLAIM_SECONDS well above MAIL_TIMEOUT. Every message carries
  one Message-ID, written once when it is queued, so a receiver can drop such a copy.
- **Retries** back off exponentially (MAIL_RETRY_SECONDS, doubled for each attempt, at most
  MAIL_RETRY_MAX_SECONDS) until the pauses add up to MAIL_GIVE_UP_HOURS; then the row is marked
  ``failed`` and kept, with its last error, until an operator requeues it (``retry_failed``:
  the admin's Mail page, ``send-mail --retry-failed``). A message the server refused for good
  (a 5xx reply to its sender, recipients or text) or that cannot be encoded fails at once.
- **Restores** send nothing that was waiting when the copy was taken: ``hold_queued`` marks such
  rows ``failed`` ("queued when the backup was taken") in the copy, for an operator to retry.

By default each web worker runs one sender thread, woken after a comment's commit
(MAIL_SENDER_IN_PROCESS). With several workers or hosts, set it False and run
``flask --app blog send-mail`` as its own service; both may also run at once safely.
"""

from __future__ import annotations

import functools
import logging
import secrets
import signal
import smtplib
import sqlite3
import threading
import time
from datetime import timedelta
from email import message_from_string
from email.header import decode_header, make_header
from email.message import Message
from email.utils import make_msgid
from urllib.parse import urlsplit

from flask import Flask, current_app
from sqlalchemy import and_, bindparam, func, insert, or_, select, update
from sqlalchemy.exc import OperationalError

from ..extensions import db
from ..models import OutboxMessage, OutboxStatus, now_utc

log = logging.getLogger(__name__)
QUEUED = OutboxStatus.QUEUED.value
SENDING = OutboxStatus.SENDING.value
FAILED = OutboxStatus.FAILED.value
RESUME_SECONDS = 60
# Why a row copied by a backup (or restored from a dump) waits as "failed": it is sent again only
# when an operator asks, not because the copy was opened.
HELD_AT_BACKUP = "queued when the backup was taken"
# Waiting for a busy (or unreachable) database: the first pause, doubled up to the longest.
BUSY_FIRST_PAUSE = 0.05
BUSY_LONGEST_PAUSE = 5.0


def enqueue(
    message: Message | str, recipient: str | None = None, subject: str | None = None
) -> None:
    """Add the message to the current transaction; the caller commits it with its own rows.

    ``message`` is an EmailMessage, or the finished text of one (as notify writes it, with
    ``recipient`` and ``subject`` then required). ``recipient`` and ``subject`` are the readable
    To and Subject for the table, when the caller has them before encoding.

    One Core INSERT on the session's connection: a new comment's notification is written while
    every other comment post waits for the posting lock.

    The stored message always has a Message-ID (one is added when it has none), made once here:
    every attempt sends the same one, so a receiver can tell a second copy from a new message."""
    if isinstance(message, str):
        if recipient is None or subject is None:
            raise TypeError("a message given as text needs its recipient and subject")
        text = message
        head = "\n" + text.split("\n\n", 1)[0].lower()
        if "\nmessage-id:" not in head:
            text = f"Message-ID: {new_message_id()}\n{text}"
    else:
        if message["Message-ID"] is None:
            message["Message-ID"] = new_message_id()
        text = message.as_string()
    db.session.connection().execute(
        _INSERT_MESSAGE,
        {
            "recipient": recipient or _readable(message["To"]),
            "subject": (subject or _readable(message["Subject"]))[:255],
            "message": text,
            "next_attempt_at": now_utc(),
        },
    )


_INSERT_MESSAGE = insert(OutboxMessage.__table__)


def new_message_id() -> str:
    """A new Message-ID in the site's own domain."""
    return make_msgid(domain=message_id_domain())


def message_id_domain() -> str:
    """The right-hand side of our Message-IDs: SITE_URL's host (``blog.invalid`` without one)."""
    return _host(current_app.config["SITE_URL"])


@functools.cache
def _host(site_url: str) -> str:
    return urlsplit(site_url).hostname or "blog.invalid"


def _readable(value) -> str:
    """A header as people read it (a compat32 message keeps RFC 2047 encoded words)."""
    return str(make_header(decode_header(str(value))))


# --- claiming and sending -----------------------------------------------------------------------


@functools.cache
def _due():
    """Due rows: queued and due, or claimed by a sender whose lease ran out. Built once; the
    times are parameters (``now`` and ``lease_start``)."""
    now, lease_start = bindparam("now"), bindparam("lease_start")
    return or_(
        and_(OutboxMessage.status == QUEUED, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == SENDING, OutboxMessage.claimed_at < lease_start),
    )


@functools.cache
def _claim_statements(postgresql: bool, limit: int):
    pick = select(OutboxMessage.id).where(_due()).order_by(OutboxMessage.next_attempt_at)
    if postgresql:
        pick = pick.with_for_update(skip_locked=True)
    claim = (
        update(OutboxMessage)
        # Still due: nobody took them since the pick.
        .where(OutboxMessage.id.in_(bindparam("ids", expanding=True)), _due())
        .values(
            status=SENDING,
            claimed_at=bindparam("now"),
            claim_token=bindparam("token"),
            attempts=OutboxMessage.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    read = (
        select(OutboxMessage.id, OutboxMessage.message, OutboxMessage.attempts)
        .where(
            OutboxMessage.id.in_(bindparam("ids", expanding=True)),
            OutboxMessage.claim_token == bindparam("token"),
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
    )
    return pick.limit(limit), claim, read


def claim_due(limit: int = 1) -> list[tuple[int, str, str, int]]:
    """Take up to ``limit`` due rows for this sender, in one transaction: (id, claim token,
    message text, attempt number) for each. Rows another sender took meanwhile are left out."""
    now = now_utc()
    times = {
        "now": now,
        "lease_start": now - timedelta(seconds=current_app.config["MAIL_CLAIM_SECONDS"]),
    }
    pick, claim, read = _claim_statements(db.session.get_bind().dialect.name == "postgresql", limit)
    try:
        claimed = []
        ids = db.session.scalars(pick, times).all()
        if ids:
            token = secrets.token_hex(16)
            db.session.execute(claim, {**times, "ids": ids, "token": token})
            claimed = [
                (row_id, token, text, attempts)
                for row_id, text, attempts in db.session.execute(read, {"ids": ids, "token": token})
            ]
        db.session.commit()
        return claimed
    except BaseException:
        db.session.rollback()
        raise


def _record(row_id: int, token: str, **values) -> bool:
    """Write a send's outcome, if this sender still holds the row; committed at once.

    Tried again, for as long as it takes, while the database is busy (SQLite's busy_timeout ran
    out under another writer) or away: giving up would leave the row claimed, and once its lease
    ran out a message the server already accepted would be sent a second time."""
    statement = _record_statement(tuple(sorted(values)))
    parameters = {
        "row_id": row_id,
        "token": token,
        **{f"new_{key}": value for key, value in values.items()},
    }
    pause = BUSY_FIRST_PAUSE
    while True:
        try:
            # Core on the session's connection: one small UPDATE per message, past the ORM's
            # bulk-update machinery (which was most of a send when no mail server is configured).
            done = db.session.connection().execute(statement, parameters)
            db.session.commit()
            return done.rowcount == 1
        except OperationalError as error:
            db.session.rollback()
            log.warning(
                "Could not record the outcome of outbox row %s (%s); trying again in %.2g s",
                row_id,
                getattr(error, "orig", error),
                pause,
            )
            time.sleep(pause)
            pause = min(pause * 2, BUSY_LONGEST_PAUSE)


@functools.cache
def _record_statement(columns: tuple[str, ...]):
    table = OutboxMessage.__table__
    return (
        update(table)
        .where(table.c.id == bindparam("row_id"), table.c.claim_token == bindparam("token"))
        .values(claim_token=None, **{column: bindparam(f"new_{column}") for column in columns})
    )


def send_one() -> bool:
    """Claim and send one due message; False when nothing was due."""
    return send_due(1) > 0


def send_due(limit: int) -> int:
    """Claim up to ``limit`` due messages at once and send them one by one, recording each
    outcome as it is known; how many were claimed."""
    claimed = claim_due(limit)
    for row_id, token, text, attempt in claimed:
        _send(row_id, token, text, attempt)
    return len(claimed)


def _send(row_id: int, token: str, text: str, attempt: int) -> None:
    config = current_app.config
    try:
        deliver(text, config)
    # Any failure counts as an attempt (not only network errors): a message the server can never
    # take must end as "failed", not come back after every lease.
    except Exception as error:
        message = _parsed(text)
        subject = _readable(message["Subject"])
        if refused_for_good(error) or retried_long_enough(attempt, config):
            log.error(
                "Gave up sending %r to %s after %d attempts: %s",
                subject,
                _readable(message["To"]),
                attempt,
                error,
            )
            _record(row_id, token, status=FAILED, last_error=str(error))
        else:
            pause = retry_pause(attempt, config)
            log.warning(
                "Sending %r failed (attempt %d; next in %g s): %s", subject, attempt, pause, error
            )
            _record(
                row_id,
                token,
                status=QUEUED,
                last_error=str(error),
                next_attempt_at=now_utc() + timedelta(seconds=pause),
            )
        return
    if not _record(row_id, token, status=OutboxStatus.SENT.value, sent_at=now_utc()):
        log.warning("Outbox row %s was taken over after its lease ran out", row_id)


def retry_pause(attempt: int, config) -> float:
    """The pause after failed attempt number ``attempt`` (1, 2, ...): MAIL_RETRY_SECONDS doubled
    for each attempt before it, at most MAIL_RETRY_MAX_SECONDS."""
    first, longest = config["MAIL_RETRY_SECONDS"], config["MAIL_RETRY_MAX_SECONDS"]
    return min(longest, first * 2 ** min(attempt - 1, 60))


def retried_long_enough(attempt: int, config) -> bool:
    """True once the pauses before attempt ``attempt`` add up to MAIL_GIVE_UP_HOURS (48 hours:
    about 55 attempts at the defaults). Counted in attempts, not from the row's age: a message
    that waited while no sender ran, or that an operator requeued, gets its whole period."""
    limit = config["MAIL_GIVE_UP_HOURS"] * 3600
    waited = 0.0
    for before in range(1, attempt):
        waited += retry_pause(before, config)
        if waited >= limit:
            return True
    return False


def refused_for_good(error: Exception) -> bool:
    """The server refused this message permanently (a 5xx reply to its sender, recipients or
    text, or no SMTPUTF8 for a message that needs it), or it cannot even be encoded: trying again
    would get the same answer. Connection, greeting and sign-in failures are the server's or the
    configuration's, and are tried again."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _ in error.recipients.values())
    if isinstance(error, (smtplib.SMTPSenderRefused, smtplib.SMTPDataError)):
        return 500 <= error.smtp_code < 600
    return isinstance(error, smtplib.SMTPNotSupportedError) or not isinstance(error, OSError)


def _parsed(text: str) -> Message:
    # With the compat32 policy the message was written with: headers stay as stored (already
    # encoded), which costs a fraction of the modern policy's header parsing.
    return message_from_string(text)


def deliver(text: str, config) -> None:
    """Send one stored message (its text, as enqueue wrote it)."""
    if not config.get("MAIL_SERVER"):
        # Parsed only to be logged: with the log at WARNING the message goes nowhere.
        if log.isEnabledFor(logging.INFO):
            message = _parsed(text)
            # Readable in the log: the decoded text, links whole (not the quoted-printable wire
            # form).
            log.info(
                "No MAIL_SERVER configured; the message would be:\nTo: %s\nSubject: %s\n\n%s",
                _readable(message["To"]),
                _readable(message["Subject"]),
                _decoded_body(message).rstrip(),
            )
        return
    message = _parsed(text)
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_class(
        config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"]
    ) as smtp:
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)
    log.info("Sent %r to %s", _readable(message["Subject"]), _readable(message["To"]))


def _decoded_body(message: Message) -> str:
    payload = message.get_payload(decode=True) or b""
    return payload.decode(message.get_content_charset() or "utf-8", "replace")


def seconds_until_due() -> float | None:
    """How long until a queued or claimed row may be tried; None when nothing is waiting."""
    lease = timedelta(seconds=current_app.config["MAIL_CLAIM_SECONDS"])
    queued, claimed = db.session.execute(_next_times()).one()
    db.session.commit()
    times = [t for t in (queued, claimed + lease if claimed else None) if t is not None]
    if not times:
        return None
    return max(0.0, (min(times) - now_utc()).total_seconds())


@functools.cache
def _next_times():
    """The earliest queued row's due time and the oldest claim, in one statement (each part
    found through the index on status, not by reading every message ever sent)."""
    return select(
        select(func.min(OutboxMessage.next_attempt_at))
        .where(OutboxMessage.status == QUEUED)
        .scalar_subquery(),
        select(func.min(OutboxMessage.claimed_at))
        .where(OutboxMessage.status == SENDING)
        .scalar_subquery(),
    )


def drain(stop: threading.Event | None = None, batch: int = 1) -> float | None:
    """Send everything due now, claiming up to ``batch`` messages at a time; then seconds until
    the next row is due (None: nothing waits). With a ``stop`` event, claim one at a time, so a
    stop leaves no claimed message unsent behind."""
    while not (stop and stop.is_set()) and send_due(1 if stop else batch):
        pass
    return seconds_until_due()


# --- failed messages: listed for the operator, requeued on request -------------------------------


def failed_messages():
    """The statement listing failed rows, newest first (the admin's Mail page)."""
    return (
        select(OutboxMessage)
        .where(OutboxMessage.status == FAILED)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    )


def retry_failed(ids: list[int] | None = None) -> int:
    """Queue failed rows (all, or those of ``ids``) to be sent now, with a whole retry period
    ahead of them again; committed. How many were requeued. Their last error stays until the
    next attempt replaces it."""
    statement = (
        update(OutboxMessage)
        .where(OutboxMessage.status == FAILED)
        .values(
            status=QUEUED,
            attempts=0,
            next_attempt_at=now_utc(),
            claimed_at=None,
            claim_token=None,
        )
        .execution_options(synchronize_session=False)
    )
    if ids is not None:
        statement = statement.where(OutboxMessage.id.in_(ids))
    try:
        requeued = db.session.execute(statement).rowcount
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return requeued


def hold_queued() -> int:
    """Mark every row still waiting to be sent (queued, or claimed) as failed with
    HELD_AT_BACKUP; committed. For a database just restored from a dump (``send-mail
    --hold-queued`` before the site starts): what it held was sent, or will be, by the database
    it was copied from. An operator retries what should still go. How many rows were held."""
    try:
        held = db.session.execute(_HOLD).rowcount
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return held


_HOLD = (
    update(OutboxMessage)
    .where(OutboxMessage.status.in_((QUEUED, SENDING)))
    .values(status=FAILED, claim_token=None, claimed_at=None, last_error=HELD_AT_BACKUP)
    .execution_options(synchronize_session=False)
)


def hold_queued_in_copy(copy: sqlite3.Connection) -> int:
    """hold_queued, in a SQLite copy being written by ``backup`` (not committed here)."""
    return copy.execute(
        "UPDATE outbox SET status = 'failed', claim_token = NULL, claimed_at = NULL, "
        "last_error = ? WHERE status IN ('queued', 'sending')",
        (HELD_AT_BACKUP,),
    ).rowcount


# --- the in-process sender ----------------------------------------------------------------------


class Sender:
    """One background thread per app that drains the outbox after a commit woke it.

    After a wake-up it waits MAIL_SENDER_GATHER_SECONDS, so the comments of that moment are
    claimed together (a claim per message cost more than sending it; no reader waits for these
    mails). Once nothing is left waiting it stays MAIL_SENDER_LINGER_SECONDS for the next
    comment, then ends, so an idle worker holds no thread; rows scheduled for a retry keep it
    alive until they are sent or given up."""

    MOST_AT_ONCE = 50

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wakeup = threading.Event()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        # Set by wait_idle: neither gather nor linger, end as soon as nothing waits.
        self.ending = threading.Event()

    def wake(self) -> None:
        with self.lock:
            self.wakeup.set()
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="blog-mail", daemon=True)
                self.thread.start()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """For tests and shutdown: send what waits, then end the thread; True once it ended."""
        with self.lock:
            thread = self.thread
            if thread is not None:
                self.ending.set()
                self.wakeup.set()  # a lingering thread looks once more, then ends
        if thread is not None:
            thread.join(timeout)
        with self.lock:
            self.ending.clear()
            return self.thread is None

    def batch_size(self) -> int:
        """How many rows one claim takes: every one of them must be sent well within the claim's
        lease even when each send runs into MAIL_TIMEOUT (a server that is down), or another
        sender would take the rest of the batch while it is still in hand, and send it twice."""
        config = self.app.config
        per_lease = config["MAIL_CLAIM_SECONDS"] // (2 * max(1, config["MAIL_TIMEOUT"]))
        return max(1, min(self.MOST_AT_ONCE, per_lease))

    def gather(self) -> None:
        seconds = self.app.config["MAIL_SENDER_GATHER_SECONDS"]
        if seconds:
            self.ending.wait(seconds)  # wait_idle cuts it short

    def _run(self) -> None:
        poll = self.app.config["MAIL_POLL_SECONDS"]
        with self.app.app_context():
            while True:
                self.wakeup.clear()
                self.gather()
                try:
                    delay = drain(batch=self.batch_size())
                except Exception:  # the database is away: the next request wakes us again
                    db.session.rollback()
                    log.exception("The mail sender stopped; requests will wake it again")
                    delay = None
                if delay is None:
                    linger = self.app.config["MAIL_SENDER_LINGER_SECONDS"]
                    if linger and not self.ending.is_set():
                        self.wakeup.wait(linger)
                    with self.lock:
                        if not self.wakeup.is_set():
                            self.thread = None
                            db.session.remove()
                            return
                    continue
                self.wakeup.wait(min(delay, poll))


def sender(app: Flask) -> Sender:
    return app.extensions.setdefault("blog.mail.outbox", Sender(app))


def wake() -> None:
    """After a commit that queued mail: let this worker's sender thread send it now."""
    app = current_app._get_current_object()
    if app.config["MAIL_SENDER_IN_PROCESS"]:
        sender(app).wake()


def init_app(app: Flask) -> None:
    """Requests look in on the outbox now and then (the first at once, then at most every
    RESUME_SECONDS): rows a crashed worker left, or retries due while no sender thread ran, are
    sent without waiting for the next comment. An idle look costs three small queries."""
    last_look = [-RESUME_SECONDS]

    @app.before_request
    def resume_sending() -> None:
        now = time.monotonic()
        if now - last_look[0] >= RESUME_SECONDS:
            last_look[0] = now
            wake()


def run_worker(once: bool) -> None:
    """``flask send-mail``: drain, then sleep until the next row is due (or MAIL_POLL_SECONDS).

    SIGTERM (systemctl stop) and Ctrl-C let the message in hand finish before it exits, so a
    planned stop never leaves a row for the lease to recover."""
    poll = current_app.config["MAIL_POLL_SECONDS"]
    stop = threading.Event()

    def finish(signum, frame) -> None:
        log.info("Stopping after the message in hand")
        stop.set()

    previous = {sig: signal.signal(sig, finish) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        while not stop.is_set():
            # A busy database is waited for; the looping service also waits out one that is
            # away (a restart), while --once (cron) reports that and exits.
            delay = patiently(lambda: drain(stop), stop, only_busy=once)
            if once:
                return
            stop.wait(min(delay if delay is not None else poll, poll))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def database_busy(error: OperationalError) -> bool:
    """SQLite's "database is locked" (its busy_timeout ran out under another writer), or a
    PostgreSQL lock timeout, serialization failure or deadlock: worth waiting for."""
    orig = getattr(error, "orig", None)
    if isinstance(orig, sqlite3.OperationalError):
        return any(word in str(orig).lower() for word in ("locked", "busy"))
    return getattr(orig, "sqlstate", None) in ("55P03", "40001", "40P01")


def patiently(action, stop: threading.Event | None = None, only_busy: bool = True):
    """``action()`` (one or more transactions of its own), run again after a pause (doubling,
    up to BUSY_LONGEST_PAUSE) while the database is busy or, unless ``only_busy``, unreachable;
    its result, or None when ``stop`` was set while waiting."""
    pause = BUSY_FIRST_PAUSE
    while True:
        try:
            return action()
        except OperationalError as error:
            db.session.rollback()
            if only_busy and not database_busy(error):
                raise
            log.warning(
                "The database is busy or away (%s); trying again in %.2g s",
                getattr(error, "orig", error),
                pause,
            )
            if stop is None:
                time.sleep(pause)
            elif stop.wait(pause):
                return None
            pause = min(pause * 2, BUSY_LONGEST_PAUSE)
