"""Comment notifications through a real local SMTP server (aiosmtpd), and the one-click links."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from blog.extensions import db
from blog.mail.outbox import sender
from blog.models import Comment, OutboxMessage
from tests.helpers import Inbox, approve_reader, fields, free_port


@pytest.fixture
def post(make):
    author = make.author("writer", email="writer@example.org")
    return make.post("Bridge reopens", author=author)


def test_held_comment_sends_please_moderate_with_working_links(app, client, inbox, post):
    client.post(f"/posts/{post.slug}/comments", data=fields(client, post))
    assert sender(app).wait_idle()
    (message,) = inbox.messages
    assert message["Subject"] == "Please moderate: Bridge reopens"
    assert message["To"] == "writer@example.org"
    body = message.get_content()
    assert "Rosa Reader" in body and "rosa@example.org" in body
    assert "Held: first comment from this name and email address." in body
    links = dict(re.findall(r"(Approve it|Mark it as spam|Move it to the trash): (\S+)", body))
    approve = links["Approve it"].replace("http://localhost", "")
    comment = db.session.scalars(select(Comment)).one()
    # The link only asks; nothing changes on GET.
    confirm = app.test_client().get(approve)
    assert confirm.status_code == 200
    assert "Approve?" in confirm.get_data(as_text=True)
    db.session.refresh(comment)
    assert comment.status == "pending"
    done = app.test_client().post(approve)
    assert done.status_code == 200
    db.session.refresh(comment)
    assert comment.status == "approved"
    assert comment.moderation_reason == "Approved by a link in the notification email."


def test_approved_comment_sends_new_comment(app, client, inbox, post, make):
    approve_reader(make, post)
    client.post(f"/posts/{post.slug}/comments", data=fields(client, post))
    assert sender(app).wait_idle()
    assert [m["Subject"] for m in inbox.messages] == ["New comment on Bridge reopens"]
    assert "Approve it" not in inbox.messages[0].get_content()


def test_a_title_and_names_beyond_ascii_arrive_whole(app, client, inbox, make):
    """The message is written as MIME text in the request: headers beyond ASCII must be encoded
    (and a long subject folded) so that a mail client shows them as they were typed."""
    title = "Été à Zoë\u2019s café: the long-awaited reopening of the riverside reading room"
    author = make.author("zoe", email="zoe@example.org")
    article = make.post(title, author=author)
    data = fields(client, article, author="Łukasz Żółw", comment="Très bien — ça marche!")
    client.post(f"/posts/{article.slug}/comments", data=data)
    assert sender(app).wait_idle()
    (message,) = inbox.messages
    assert message["Subject"] == f"Please moderate: {title}"
    body = message.get_content()
    assert title in body and "Łukasz Żółw" in body and "Très bien — ça marche!" in body
    # What the request wrote to the outbox: every header and the body encoded, lines folded.
    (stored,) = db.session.scalars(select(OutboxMessage.message)).all()
    assert stored.isascii()
    assert all(len(line) <= 78 for line in stored.splitlines())
    assert db.session.scalar(select(OutboxMessage.subject)) == f"Please moderate: {title}"


def test_an_ascii_line_longer_than_mail_allows_arrives_whole(app, client, inbox, post, make):
    """Plain ASCII goes as 7-bit text, but not a line over RFC 5322's 998 characters: such a
    comment goes quoted-printable, and the author reads it as typed."""
    approve_reader(make, post)
    long_line = " ".join(["word"] * 400)  # 1,999 characters, no line break
    client.post(f"/posts/{post.slug}/comments", data=fields(client, post, comment=long_line))
    assert sender(app).wait_idle()
    (message,) = inbox.messages
    assert message["Content-Transfer-Encoding"] == "quoted-printable"
    assert long_line in message.get_content()
    (stored,) = db.session.scalars(select(OutboxMessage.message)).all()
    assert all(len(line) <= 78 for line in stored.splitlines())


def test_spam_sends_nothing(app, client, inbox, post):
    client.post(f"/posts/{post.slug}/comments", data=fields(client, post, homepage="bot"))
    assert sender(app).wait_idle()
    assert inbox.messages == []


def test_forged_or_expired_links_do_nothing(app, client, inbox, post):
    assert app.test_client().get("/moderate/forged-token").status_code == 404
    client.post(f"/posts/{post.slug}/comments", data=fields(client, post))
    assert sender(app).wait_idle()
    link = re.search(r"Approve it: (\S+)", inbox.messages[0].get_content()).group(1)
    app.config["MODERATION_LINK_DAYS"] = 0
    time.sleep(1.1)
    assert app.test_client().post(link.replace("http://localhost", "")).status_code == 404
    assert db.session.scalars(select(Comment)).one().status == "pending"


def test_broken_mail_server_never_breaks_the_request(app, client, post, caplog):
    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_RETRY_SECONDS=0.05,
        MAIL_GIVE_UP_HOURS=0.04 / 3600, COMMENT_MIN_SECONDS=0,
    )  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="blog.mail.notify"):
        response = client.post(f"/posts/{post.slug}/comments", data=fields(client, post))
        assert sender(app).wait_idle()
    assert response.status_code == 303
    assert "(attempt 1; next in 0.05 s)" in caplog.text
    assert "after 2 attempts" in caplog.text
    assert "Gave up sending" in caplog.text


def test_a_slow_mail_server_does_not_hold_up_the_reader(app, client, post):
    """The SMTP server holds DATA until the test lets it go; the reader is answered first."""
    gate = threading.Event()

    class SlowInbox(Inbox):
        async def handle_DATA(self, server, session, envelope):
            await asyncio.to_thread(gate.wait, 30)
            return await super().handle_DATA(server, session, envelope)

    handler = SlowInbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, COMMENT_MIN_SECONDS=0)
    try:
        response = client.post(f"/posts/{post.slug}/comments", data=fields(client, post))
        assert response.status_code == 303
        assert handler.messages == []  # answered while the mail is still on its way
        gate.set()
        assert sender(app).wait_idle()
        assert [m["Subject"] for m in handler.messages] == ["Please moderate: Bridge reopens"]
    finally:
        gate.set()
        controller.stop()


def test_without_smtp_the_message_is_logged_readably(app, client, post, caplog):
    """Decoded text, whole links: the quoted-printable wire form would split them with '='."""
    app.config.update(MAIL_SERVER="", COMMENT_MIN_SECONDS=0)
    with caplog.at_level(logging.INFO, logger="blog.mail.outbox"):
        client.post(f"/posts/{post.slug}/comments", data=fields(client, post))
        assert sender(app).wait_idle()
    assert "No MAIL_SERVER configured" in caplog.text
    assert "Subject: Please moderate: Bridge reopens" in caplog.text
    assert "Content-Transfer-Encoding" not in caplog.text
    assert "=3D" not in caplog.text and "=\n" not in caplog.text
    link = re.search(r"Approve it: (\S+)", caplog.text).group(1)
    assert len(link) > 78  # long enough that quoted-printable would have broken it
    confirm = app.test_client().get(link.replace("http://localhost", ""))
    assert confirm.status_code == 200 and "Approve?" in confirm.get_data(as_text=True)
