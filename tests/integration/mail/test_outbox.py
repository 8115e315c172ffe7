"""The mail outbox: written with the comment, sent by claimed rows, survives a killed sender."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from email import message_from_bytes
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from blog.database import upgrade_to_head
from blog.extensions import db
from blog.mail import outbox
from blog.mail.outbox import send_one, sender
from blog.models import Comment, OutboxMessage, now_utc
from tests.helpers import fields, free_port, make_test_app, queue_messages, scratch_database

SENDER = [sys.executable, "-m", "flask", "--app", "blog", "send-mail"]


class Inbox:
    """A real SMTP server. With ``hold`` set it keeps DATA unanswered until the client leaves,
    as a server that has not acknowledged a message does not deliver it."""

    def __init__(self):
        self.messages = []
        self.arrived = threading.Event()
        self.hold = False

    async def handle_DATA(self, server, session, envelope):
        self.arrived.set()
        while self.hold:
            if server.transport is None or server.transport.is_closing():
                return "421 client went away"
            await asyncio.sleep(0.02)
        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"

    def ids(self):
        return [m["Message-ID"] for m in self.messages]


@pytest.fixture
def inbox():
    handler = Inbox()
    handler.port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    yield handler
    handler.hold = False
    controller.stop()


def sender_env(tmp_path, database_url: str, port: int, **settings) -> dict:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.update(
        BLOG_INSTANCE_PATH=str(tmp_path / "sender-instance"),
        BLOG_SECRET_KEY="outbox-secret",
        BLOG_SQLALCHEMY_DATABASE_URI=database_url,
        BLOG_MAIL_SERVER="127.0.0.1",
        BLOG_MAIL_PORT=str(port),
        BLOG_MAIL_RETRY_SECONDS="0",
    )
    env.update({f"BLOG_{key}": str(value) for key, value in settings.items()})
    return env


def statuses() -> list[str]:
    db.session.commit()  # see what other processes wrote
    return list(db.session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))


@pytest.fixture
def post(make):
    return make.post("Bridge reopens", author=make.author("writer", email="writer@example.org"))


def test_the_message_is_stored_with_the_comment_and_sent_by_the_worker(
    app, client, runner, inbox, post
):
    app.config.update(
        MAIL_SENDER_IN_PROCESS=False, MAIL_SERVER="127.0.0.1", MAIL_PORT=inbox.port,
        COMMENT_MIN_SECONDS=0,
    )  # fmt: skip
    assert client.post(f"/posts/{post.slug}/comments", data=fields(client, post)).status_code == 303
    row = db.session.scalars(select(OutboxMessage)).one()
    assert (row.status, row.subject, row.recipient) == (
        "queued", "Please moderate: Bridge reopens", "writer@example.org",
    )  # fmt: skip
    assert inbox.messages == []  # nothing in process: the worker's job
    result = runner.invoke(args=["send-mail", "--once"])
    assert result.exit_code == 0, result.output
    assert [m["Subject"] for m in inbox.messages] == ["Please moderate: Bridge reopens"]
    assert statuses() == ["sent"]
    runner.invoke(args=["send-mail", "--once"])
    assert len(inbox.messages) == 1


def test_non_ascii_text_survives_the_round_trip_through_the_outbox(app, client, inbox, post):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=inbox.port, COMMENT_MIN_SECONDS=0)
    words = "Zoë found the café open again \u2014 \u5e78\u798f \U0001f389 " + "x" * 90
    data = fields(client, post, author="Zoë Ünal", comment=words)
    assert client.post(f"/posts/{post.slug}/comments", data=data).status_code == 303
    assert sender(app).wait_idle()
    (message,) = inbox.messages
    body = message.get_content()
    assert "Author: Zoë Ünal" in body and words in body


def test_a_worker_sends_what_was_left_queued_at_its_first_request(app, inbox):
    """A worker that crashed after the commit left the row; the next one sends it on start."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=inbox.port)
    (message_id,) = queue_messages(1)
    assert inbox.messages == []
    app.test_client().get("/robots.txt")
    assert sender(app).wait_idle()
    assert inbox.ids() == [message_id]
    assert statuses() == ["sent"]


def test_later_requests_look_in_on_the_outbox_again(app, inbox, monkeypatch):
    """A retry that came due while no sender thread ran is not stranded until the next comment."""
    monkeypatch.setattr("blog.mail.outbox.RESUME_SECONDS", 0)  # instead of a minute
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=inbox.port)
    client = app.test_client()
    client.get("/robots.txt")
    assert sender(app).wait_idle()
    (message_id,) = queue_messages(1)  # as if its retry had just come due
    client.get("/robots.txt")
    assert sender(app).wait_idle()
    assert inbox.ids() == [message_id]


def test_a_burst_of_comments_is_claimed_together_by_one_lingering_thread(
    app, client, inbox, post, monkeypatch
):
    """The in-process sender gathers a moment's comments and claims them in one transaction,
    then stays for the next comment instead of ending: a thread and a claim per comment cost
    more than the mail itself. wait_idle still ends it at once."""
    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=inbox.port, COMMENT_MIN_SECONDS=0,
        COMMENT_FLOOD_SECONDS=0, MAIL_SENDER_GATHER_SECONDS=2, MAIL_SENDER_LINGER_SECONDS=30,
    )  # fmt: skip
    claims = []
    real_claim = outbox.claim_due

    def counted_claim(limit=1):
        claimed = real_claim(limit)
        claims.append(len(claimed))
        return claimed

    monkeypatch.setattr("blog.mail.outbox.claim_due", counted_claim)
    for n in range(3):
        data = fields(client, post, comment=f"Burst number {n}")
        assert client.post(f"/posts/{post.slug}/comments", data=data).status_code == 303
    thread = sender(app).thread
    deadline = time.monotonic() + 10
    while len(inbox.messages) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(inbox.messages) == 3
    assert claims[0] == 3  # the three comments, in one claim
    assert sender(app).thread is thread and thread.is_alive()  # lingering for the next one
    data = fields(client, post, comment="One more")
    assert client.post(f"/posts/{post.slug}/comments", data=data).status_code == 303
    assert sender(app).thread is thread  # woken, not started again
    started = time.monotonic()
    assert sender(app).wait_idle()
    assert time.monotonic() - started < 5  # not the 30 seconds it would have lingered
    assert len(inbox.messages) == 4 and not thread.is_alive()
    assert statuses() == ["sent"] * 4


def test_a_claim_takes_no_more_than_its_lease_can_send(app, inbox, monkeypatch):
    """Each row of a claimed batch must be sent before the claim's lease runs out, even when
    every send waits MAIL_TIMEOUT for a server that is down; otherwise another sender takes the
    rest of the batch while it is still in hand, and sends it a second time."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=inbox.port,
                      MAIL_CLAIM_SECONDS=40, MAIL_TIMEOUT=10)  # fmt: skip
    claims = []
    real_claim = outbox.claim_due
    monkeypatch.setattr(
        "blog.mail.outbox.claim_due", lambda limit=1: claims.append(limit) or real_claim(limit)
    )
    queue_messages(5)
    sender(app).wake()
    assert sender(app).wait_idle()
    assert len(inbox.messages) == 5
    assert claims[0] == 2  # 40 s of lease at up to 10 s a message, with room to spare


def test_a_message_that_cannot_be_built_still_saves_the_comment(
    app, client, post, monkeypatch, caplog
):
    app.config.update(MAIL_SENDER_IN_PROCESS=False, COMMENT_MIN_SECONDS=0)

    def broken(post, row):
        raise RuntimeError("template missing")

    monkeypatch.setattr("blog.mail.notify.comment_draft", broken)
    response = client.post(f"/posts/{post.slug}/comments", data=fields(client, post))
    assert response.status_code == 303
    assert db.session.scalars(select(Comment)).one().status == "pending"
    assert statuses() == []
    assert "Could not prepare the notification" in caplog.text


def test_failed_sends_back_off_exponentially_then_are_kept_as_failed(app, caplog):
    """Three minutes of pauses (60 s, then 120 s), then failed (test_mail_faults.py has the
    defaults' 48 hours, the cap and the operator's retry)."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_RETRY_SECONDS=60,
                      MAIL_GIVE_UP_HOURS=0.05)  # fmt: skip
    queue_messages(1)
    pauses = []
    for _ in range(2):
        before = now_utc()
        assert send_one()
        row = db.session.scalars(select(OutboxMessage)).one()
        db.session.refresh(row)
        assert row.status == "queued" and "refused" in row.last_error.lower()
        pauses.append(round((row.next_attempt_at - before).total_seconds() / 60))
        assert not send_one()  # not due yet
        row.next_attempt_at = now_utc() - timedelta(seconds=1)
        db.session.commit()
    assert pauses == [1, 2]  # 60 s, then 120 s
    assert send_one()
    row = db.session.scalars(select(OutboxMessage)).one()
    db.session.refresh(row)
    assert (row.status, row.attempts) == ("failed", 3)
    assert "Gave up sending 'Message 0'" in caplog.text
    assert not send_one()  # a failed row stays for inspection and is not tried again


@pytest.mark.slow
def test_a_sender_killed_mid_send_leaves_the_message_sent_once_after_restart(app, tmp_path, inbox):
    (message_id,) = queue_messages(1)
    # Long enough that the restart below (a new Python process and app) ends inside the lease
    # even on a loaded machine: with 4 s it once started after the lease had run out.
    lease = 10
    env = sender_env(
        tmp_path, app.config["SQLALCHEMY_DATABASE_URI"], inbox.port, MAIL_CLAIM_SECONDS=lease
    )
    inbox.hold = True  # the server holds DATA unanswered
    worker = subprocess.Popen(SENDER, env=env)
    try:
        assert inbox.arrived.wait(30), "the sender never reached DATA"
        os.kill(worker.pid, signal.SIGKILL)  # mid-send, after its claim
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert statuses() == ["sending"]
    claimed_at = db.session.scalar(select(OutboxMessage.claimed_at))
    time.sleep(0.5)  # the server notices the client is gone and delivers nothing
    inbox.hold = False
    assert inbox.messages == []
    # Restarted at once: the dead sender's lease still runs, so the row is left alone.
    subprocess.run([*SENDER, "--once"], env=env, check=True, timeout=60)
    assert statuses() == ["sending"] and inbox.messages == []
    # Once the lease has run out, the restarted sender takes the row again.
    time.sleep(max(0, (claimed_at + timedelta(seconds=lease + 0.3) - now_utc()).total_seconds()))
    subprocess.run([*SENDER, "--once"], env=env, check=True, timeout=60)
    assert inbox.ids() == [message_id]
    assert statuses() == ["sent"]
    assert db.session.scalar(select(OutboxMessage.attempts)) == 2
    subprocess.run([*SENDER, "--once"], env=env, check=True, timeout=60)
    assert inbox.ids() == [message_id]


@pytest.mark.slow
def test_a_stopped_sender_finishes_the_message_in_hand(app, tmp_path, inbox):
    """SIGTERM (systemctl stop) during a send: the message is completed, then the worker exits."""
    (message_id,) = queue_messages(1)
    env = sender_env(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"], inbox.port)
    inbox.hold = True
    worker = subprocess.Popen(SENDER, env=env)
    try:
        assert inbox.arrived.wait(30), "the sender never reached DATA"
        worker.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert worker.poll() is None  # still finishing the send
        inbox.hold = False
        assert worker.wait(30) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
    assert inbox.ids() == [message_id]
    assert statuses() == ["sent"]


@pytest.fixture(params=["sqlite", "postgresql"])
def outbox_db(request, tmp_path, monkeypatch):
    """An app on a migrated SQLite file or a throwaway PostgreSQL database."""
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with scratch_database(request.param, tmp_path) as url:
        app = make_test_app(tmp_path, SQLALCHEMY_DATABASE_URI=url)
        with app.app_context():
            upgrade_to_head()
            yield url
            db.session.remove()
            db.engine.dispose()


@pytest.mark.slow
def test_parallel_senders_never_send_the_same_message(outbox_db, tmp_path, inbox):
    ids = queue_messages(40)
    env = sender_env(tmp_path, outbox_db, inbox.port)
    workers = [
        subprocess.Popen([*SENDER, "--once"], env=env, stderr=subprocess.PIPE) for _ in range(4)
    ]
    errors = [worker.communicate(timeout=120)[1].decode() for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0, 0, 0], errors
    assert sorted(inbox.ids()) == sorted(ids)  # each exactly once
    assert statuses() == ["sent"] * 40
    # The senders' own logs agree: 40 sends between them, none twice.
    assert sum(e.count("Sent 'Message") for e in errors) == 40


def test_a_message_that_can_never_be_sent_ends_failed(app, monkeypatch):
    def refuse(text, config):
        raise UnicodeEncodeError("ascii", "Zoë", 2, 3, "no SMTPUTF8 on this server")

    monkeypatch.setattr("blog.mail.outbox.deliver", refuse)
    queue_messages(1)
    assert send_one()
    assert statuses() == ["failed"]
    assert "SMTPUTF8" in db.session.scalar(select(OutboxMessage.last_error))


def test_a_claim_is_refused_once_another_sender_holds_the_row(app):
    """The claim's UPDATE re-checks that the row is still due: the loser gets rowcount 0."""
    queue_messages(1)
    db.session.execute(
        update(OutboxMessage).values(status="sending", claimed_at=now_utc(), claim_token="x")
    )
    db.session.commit()
    assert not send_one()
    assert statuses() == ["sending"]
