"""Faults around the mail outbox: no notification is lost, none is sent twice.

Through the real parts: an aiosmtpd server that refuses for a while, a database another
connection holds busy (or, on PostgreSQL, that drops the sender's connection) between the
server's 250 and the row's mark, `send-mail` against a locked database, the admin's Retry, and a
backup copy opened as the live database.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from datetime import timedelta
from email import message_from_bytes
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, select, text, update

from blog.extensions import db
from blog.mail.outbox import send_one, sender
from blog.models import OutboxMessage, now_utc
from tests.helpers import fields, free_port, make_test_app, queue_messages


class FlakyInbox:
    """A real SMTP server. Until ``refuse_until`` (time.monotonic()) it answers RCPT with
    ``refusal``; ``before_ok`` runs after a message's DATA arrived, just before the 250.
    ``seen`` keeps the Message-ID of every DATA, ``messages`` the accepted messages."""

    def __init__(self):
        self.messages = []
        self.seen = []
        self.refusal = "451 4.3.0 Mail server busy, try again later"
        self.refuse_until = 0.0
        self.refuse_data = None
        self.before_ok = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if time.monotonic() < self.refuse_until:
            return self.refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=default)
        self.seen.append(message["Message-ID"])
        if self.refuse_data:
            refusal, self.refuse_data = self.refuse_data, None
            return refusal
        if self.before_ok:
            self.before_ok()
        self.messages.append(message)
        return "250 OK"

    def ids(self):
        return [m["Message-ID"] for m in self.messages]


@pytest.fixture
def smtp(app):
    handler = FlakyInbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=handler.port, MAIL_TIMEOUT=5)
    yield handler
    handler.refuse_until = 0.0
    assert sender(app).wait_idle()
    controller.stop()


HELD = "queued when the backup was taken"  # the documented last_error of a held row


def rows() -> list[OutboxMessage]:
    db.session.commit()  # see what other connections wrote
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def statuses() -> list[str]:
    return [row.status for row in rows()]


def make_due() -> None:
    db.session.execute(
        update(OutboxMessage).values(next_attempt_at=now_utc() - timedelta(seconds=1))
    )
    db.session.commit()


def pauses_logged(caplog, subject: str) -> list[float]:
    return [
        float(found.group(1))
        for record in caplog.records
        if (found := re.search(rf"Sending '{subject}' failed \(attempt \d+; next in (\S+) s\)",
                               record.getMessage()))
    ]  # fmt: skip


# --- an SMTP outage -----------------------------------------------------------------------------


def test_an_smtp_outage_loses_nothing_and_sends_nothing_twice(app, smtp, caplog):
    """The in-process sender meets a server answering 451 for two seconds, then accepting: every
    message arrives once, after pauses that doubled up to their cap."""
    app.config.update(
        MAIL_RETRY_SECONDS=0.05, MAIL_RETRY_MAX_SECONDS=0.4, MAIL_GIVE_UP_HOURS=1,
        MAIL_POLL_SECONDS=0.1,
    )  # fmt: skip
    smtp.refuse_until = time.monotonic() + 2.0
    ids = queue_messages(5)
    sender(app).wake()
    deadline = time.monotonic() + 30
    while len(smtp.messages) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sender(app).wait_idle()
    assert sorted(smtp.ids()) == sorted(ids)  # nothing lost, nothing twice
    assert statuses() == ["sent"] * 5
    assert all(row.attempts > 4 for row in rows())  # more than the old 4 attempts
    pauses = pauses_logged(caplog, "Message 0")
    assert pauses[:4] == [0.05, 0.1, 0.2, 0.4]  # doubling...
    assert set(pauses[3:]) == {0.4}  # ...up to the cap


def test_retries_double_to_a_cap_for_the_give_up_period_then_wait_for_an_operator(
    app, runner, smtp
):
    """At the defaults (30 s doubling to an hour, for 48 hours) against a closed port: 55
    attempts, then "failed", never tried again on its own; `send-mail --retry-failed` sends it."""
    app.config.update(MAIL_PORT=free_port(), MAIL_SENDER_IN_PROCESS=False)
    (message_id,) = queue_messages(1)
    pauses = []
    while True:
        before = now_utc()
        assert send_one()
        (row,) = rows()
        if row.status == "failed":
            break
        assert row.status == "queued" and "refused" in row.last_error.lower()
        pauses.append(round((row.next_attempt_at - before).total_seconds()))
        assert not send_one()  # not due yet
        make_due()
    assert pauses[:8] == [30, 60, 120, 240, 480, 960, 1920, 3600]
    assert set(pauses[7:]) == {3600}  # capped at an hour
    assert 48 * 3600 <= sum(pauses) < 49 * 3600  # retried for the whole period, no longer
    assert row.attempts == len(pauses) + 1 == 55
    assert "refused" in row.last_error.lower()
    make_due()
    assert not send_one()  # a failed row waits for an operator
    app.config["MAIL_PORT"] = smtp.port
    result = runner.invoke(args=["send-mail", "--retry-failed", "--once"])
    assert result.exit_code == 0, result.output
    assert "Queued 1 failed messages again." in result.output
    assert smtp.ids() == [message_id]
    (row,) = rows()
    assert (row.status, row.attempts) == ("sent", 1)
    runner.invoke(args=["send-mail", "--retry-failed", "--once"])
    assert smtp.ids() == [message_id]


def test_a_message_refused_for_good_fails_at_once_and_the_admin_retries_it(
    app, client, admin, smtp
):
    """A 550 is no outage: the row fails at its first attempt and waits on the admin's Mail
    page, whose Retry (a POST with a CSRF token) sends it once."""
    app.config.update(MAIL_SENDER_IN_PROCESS=False)
    smtp.refusal, smtp.refuse_until = "550 5.1.1 No such mailbox here", time.monotonic() + 3600
    first, second = queue_messages(2)
    assert send_one() and send_one()
    assert statuses() == ["failed", "failed"]
    assert [row.attempts for row in rows()] == [1, 1]
    smtp.refuse_until = 0.0
    make_due()
    assert not send_one()
    admin.login()
    page = client.get("/admin/mail")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for row in rows():
        assert row.recipient in html and row.subject in html
    assert "No such mailbox here" in html and "Retry all" in html
    assert client.get("/admin/").get_data(as_text=True).count("Notification emails not sent")
    # The Retry button is a POST with a CSRF token; without one, nothing happens.
    app.config["WTF_CSRF_ENABLED"] = True
    one = rows()[0].id
    assert client.post("/admin/mail/retry", data={"message": one}).status_code == 400
    assert statuses() == ["failed", "failed"]
    html = client.get("/admin/mail").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    response = client.post("/admin/mail/retry", data={"message": one, "csrf_token": token})
    assert response.status_code == 303 and response.location.endswith("/admin/mail")
    assert statuses() == ["queued", "failed"]
    assert send_one() and not send_one()
    assert smtp.ids() == [first]
    response = client.post("/admin/mail/retry-all", data={"csrf_token": token})
    assert response.status_code == 303
    assert "Queued 1 message to be sent again." in client.get("/admin/mail").get_data(as_text=True)
    assert send_one() and not send_one()
    assert smtp.ids() == [first, second]
    assert statuses() == ["sent", "sent"]


# --- the database between the server's 250 and the mark ----------------------------------------


def hold_the_database_busy(app, seconds: float):
    """What to run just before the 250: take the database away from the sender for ``seconds``.
    SQLite: a second connection holds the write lock (BEGIN IMMEDIATE) for longer than the app's
    5 s busy_timeout. PostgreSQL: the sender's connection is terminated under it."""
    url = db.engine.url

    def sqlite_lock():
        locker = sqlite3.connect(url.database, check_same_thread=False, isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")
        threading.Timer(seconds, lambda: (locker.execute("ROLLBACK"), locker.close())).start()

    def postgres_drop():
        other = create_engine(url)
        try:
            with other.connect() as connection:
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
        finally:
            other.dispose()

    return sqlite_lock if url.get_backend_name() == "sqlite" else postgres_drop


def test_a_database_busy_between_the_250_and_the_mark_still_sends_once(app, smtp, caplog):
    app.config.update(MAIL_SENDER_IN_PROCESS=False, MAIL_CLAIM_SECONDS=1)
    (message_id,) = queue_messages(1)
    smtp.before_ok = hold_the_database_busy(app, seconds=6.5)
    started = time.monotonic()
    assert send_one()  # waits for the database instead of failing
    smtp.before_ok = None
    assert smtp.ids() == [message_id]
    (row,) = rows()
    assert row.status == "sent" and row.claim_token is None
    assert "Could not record the outcome of outbox row" in caplog.text
    if db.engine.url.get_backend_name() == "sqlite":
        assert time.monotonic() - started >= 6.5  # it did wait out the lock
    time.sleep(1.2)  # the lease (1 s) has run out: nothing is left for another sender
    assert not send_one()
    assert smtp.ids() == [message_id]


@pytest.mark.sqlite_only
def test_send_mail_once_waits_for_a_locked_database(app, runner, smtp):
    """`send-mail --once` started while another connection holds the write lock for 7 s (longer
    than the 5 s busy_timeout) waits, then sends, instead of exiting "database is locked"."""
    app.config.update(MAIL_SENDER_IN_PROCESS=False)
    (message_id,) = queue_messages(1)
    locker = sqlite3.connect(db.engine.url.database, check_same_thread=False, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    release = threading.Timer(7, lambda: (locker.execute("ROLLBACK"), locker.close()))
    release.start()
    started = time.monotonic()
    try:
        result = runner.invoke(args=["send-mail", "--once"])
    finally:
        release.join()
    assert result.exit_code == 0, (result.output, result.exception)
    assert time.monotonic() - started >= 7
    assert smtp.ids() == [message_id]
    assert statuses() == ["sent"]


# --- restores -----------------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_a_backup_copy_opened_as_the_live_database_sends_nothing_queued_at_backup_time(
    app, runner, smtp, tmp_path, monkeypatch
):
    app.config.update(MAIL_SENDER_IN_PROCESS=False)
    already_sent, queued, in_hand = queue_messages(3)
    assert send_one()  # the first is sent before the backup
    db.session.execute(  # the third is claimed by a sender at the moment of the backup
        update(OutboxMessage)
        .where(OutboxMessage.id == 3)
        .values(status="sending", claimed_at=now_utc(), claim_token="x" * 32)
    )
    db.session.commit()
    copy = tmp_path / "copy.sqlite"
    result = runner.invoke(args=["backup", str(copy)])
    assert result.exit_code == 0, result.output
    assert "2 notification emails were still waiting to be sent" in result.output
    assert statuses() == ["sent", "queued", "sending"]  # the live database is left as it was

    # The copy put in place as the live database, with the mail server still there.
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "restored-instance"))
    restored = make_test_app(
        tmp_path,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{copy}",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        MAIL_SENDER_IN_PROCESS=False,
        MAIL_CLAIM_SECONDS=0,  # even a claim in the copy is no reason to send
    )
    with restored.app_context():
        try:
            assert not send_one()
            held = rows()
            assert [r.status for r in held] == ["sent", "failed", "failed"]
            assert [r.last_error for r in held[1:]] == [HELD] * 2
            assert smtp.ids() == [already_sent]
            result = restored.test_cli_runner().invoke(
                args=["send-mail", "--retry-failed", "--once"]
            )
            assert result.exit_code == 0, result.output
            assert sorted(smtp.ids()) == sorted([already_sent, queued, in_hand])
            assert [r.status for r in rows()] == ["sent"] * 3
        finally:
            db.session.remove()
            db.engine.dispose()


def test_send_mail_hold_queued_after_a_restore_sends_nothing_until_retried(app, runner, smtp):
    """For a database restored from pg_dump (or any copy made without `backup`)."""
    app.config.update(MAIL_SENDER_IN_PROCESS=False)
    ids = queue_messages(2)
    result = runner.invoke(args=["send-mail", "--hold-queued"])
    assert result.exit_code == 0, result.output
    assert "Held 2 queued messages" in result.output
    assert statuses() == ["failed", "failed"]
    assert {row.last_error for row in rows()} == {HELD}
    runner.invoke(args=["send-mail", "--once"])
    assert smtp.messages == []
    result = runner.invoke(args=["send-mail", "--retry-failed", "--once"])
    assert result.exit_code == 0, result.output
    assert sorted(smtp.ids()) == sorted(ids)


# --- a duplicate the receiver can recognise -----------------------------------------------------


def test_every_attempt_carries_the_same_message_id_from_the_site_domain(app, client, make, smtp):
    """The notification's Message-ID is made once, when it is queued, in SITE_URL's domain: a
    message retried after a refused DATA (as after a crash between 250 and the mark) arrives
    with the same id, so the receiver can drop the copy."""
    app.config.update(
        SITE_URL="https://news.example", TRUSTED_HOSTS=[], MAIL_SENDER_IN_PROCESS=False,
        COMMENT_MIN_SECONDS=0,
    )  # fmt: skip
    post = make.post("Bridge reopens", author=make.author("writer", email="writer@example.org"))
    assert client.post(f"/posts/{post.slug}/comments", data=fields(client, post)).status_code == 303
    smtp.refuse_data = "451 4.3.0 Try again"
    assert send_one()
    make_due()
    assert send_one()
    first, second = smtp.seen
    assert first == second and re.fullmatch(r"<[^@>]+@news\.example>", first)
    assert len(smtp.messages) == 1


def test_a_message_queued_without_a_message_id_gets_one_at_queue_time(app):
    queue_messages(1, message_id=False)
    (row,) = rows()
    assert re.search(r"^Message-ID: <[^@>]+@blog\.invalid>$", row.message, re.MULTILINE)
