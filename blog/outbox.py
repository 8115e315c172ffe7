"""The mail outbox: messages are rows, written with what they report, sent later with retries.

A sender repeats: claim one due row, send it with no transaction open, record the outcome.

- **Claiming** is atomic, so two senders (threads, processes, hosts) never send the same row:
  on PostgreSQL the due row is picked with ``FOR UPDATE SKIP LOCKED`` (a second sender skips it
  instead of waiting); on every database the claim itself is an UPDATE that only succeeds while
  the row is still due (``rowcount == 1``), and its token is what the sender later marks sent.
- **Crashes**: a claim is a lease of MAIL_CLAIM_SECONDS. A sender killed while holding a row
  (before connecting, during the SMTP dialogue) leaves it ``sending``; once the lease ran out
  another sender, or the same one restarted, takes it again.
- **At least once, not exactly once.** The mail server's "250 OK" and our UPDATE to ``sent``
  are two systems; no protocol makes them one step. A sender killed in the instant between them
  leaves a message the server has accepted but the row does not know about, and it is sent a
  second time after the lease. Killed at any earlier point (the server never acknowledged), the
  message goes out once. A lease shorter than a slow send could also let a second sender take a
  row still in flight; keep MAIL_CLAIM_SECONDS well above MAIL_TIMEOUT.
- **Retries** back off exponentially (MAIL_RETRY_SECONDS * 2 ** (attempt - 1)); after MAIL_RETRIES
  retries the row is marked ``failed`` and kept, with its last error, for inspection.

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
import threading
import time
from datetime import timedelta
from email import message_from_string
from email.header import decode_header, make_header
from email.message import Message

from flask import Flask, current_app
from sqlalchemy import and_, bindparam, func, insert, or_, select, update

from .extensions import db
from .models import OutboxMessage, OutboxStatus, now_utc

log = logging.getLogger(__name__)
QUEUED = OutboxStatus.QUEUED.value
SENDING = OutboxStatus.SENDING.value
RESUME_SECONDS = 60


def enqueue(
    message: Message | str, recipient: str | None = None, subject: str | None = None
) -> None:
    """Add the message to the current transaction; the caller commits it with its own rows.

    ``message`` is an EmailMessage, or the finished text of one (as notify writes it, with
    ``recipient`` and ``subject`` then required). ``recipient`` and ``subject`` are the readable
    To and Subject for the table, when the caller has them before encoding.

    One Core INSERT on the session's connection: a new comment's notification is written while
    every other comment post waits for the posting lock."""
    if isinstance(message, str):
        if recipient is None or subject is None:
            raise TypeError("a message given as text needs its recipient and subject")
        text = message
    else:
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
    """Write a send's outcome, if this sender still holds the row; committed at once."""
    # Core on the session's connection: one small UPDATE per message, past the ORM's
    # bulk-update machinery (which was most of a send when no mail server is configured).
    done = db.session.connection().execute(
        _record_statement(tuple(sorted(values))),
        {
            "row_id": row_id,
            "token": token,
            **{f"new_{key}": value for key, value in values.items()},
        },
    )
    db.session.commit()
    return done.rowcount == 1


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
    attempts = config["MAIL_RETRIES"] + 1
    try:
        deliver(text, config)
    # Any failure counts as an attempt (not only network errors): a message the server can never
    # take must end as "failed", not come back after every lease.
    except Exception as error:
        message = _parsed(text)
        log.warning(
            "Sending %r failed (attempt %d of %d): %s",
            _readable(message["Subject"]),
            attempt,
            attempts,
            error,
        )
        if attempt >= attempts:
            log.error(
                "Gave up sending %r to %s", _readable(message["Subject"]), _readable(message["To"])
            )
            _record(row_id, token, status=OutboxStatus.FAILED.value, last_error=str(error))
        else:
            pause = config["MAIL_RETRY_SECONDS"] * 2 ** (attempt - 1)
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
    return app.extensions.setdefault("blog.outbox", Sender(app))


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
            delay = drain(stop)
            if once:
                return
            stop.wait(min(delay if delay is not None else poll, poll))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
