"""Fixtures several integration modules share."""

from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller

from blog.mail.outbox import sender
from tests.helpers import Inbox, free_port


@pytest.fixture
def inbox(app):
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=controller.port,
        MAIL_RETRY_SECONDS=0.05,
        COMMENT_MIN_SECONDS=0,
        COMMENT_FLOOD_SECONDS=0,
    )
    yield handler
    assert sender(app).wait_idle()
    controller.stop()
