"""Helpers shared by the test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import uuid
from email import message_from_bytes
from email.policy import default

import pytest
from sqlalchemy import select

from blog import create_app
from blog.extensions import db
from blog.transfer.portable import NOT_TAKEN, OMITTED, TABLES, not_bookkeeping

HX = {"HX-Request": "true"}
PASSWORD = "correct horse battery"


def make_test_app(tmp_path, **overrides):
    """An app on a real SQLite file in tmp_path; CSRF off unless a test turns it on."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'blog.sqlite'}",
        "WTF_CSRF_ENABLED": False,
        # Flask-Limiter reads this once, at start-up; tests that want limits create their own app.
        "RATELIMIT_ENABLED": False,
        # A mail sender thread per message that ends once it is sent (blog/config.py): none
        # outlives its test, to log into the next one.
        "MAIL_SENDER_GATHER_SECONDS": 0,
        "MAIL_SENDER_LINGER_SECONDS": 0,
    }
    config.update(overrides)
    return create_app(config)


def free_port() -> int:
    """A port nothing listens on (yet)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_service(env_var: str, what: str) -> str:
    """The service URL from the environment; skip with a reason elsewhere, never skip in CI."""
    value = os.environ.get(env_var)
    if value:
        return value
    message = f"{what} not configured: set {env_var} (.ci/run does)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; in CI nothing may skip for lack of a service")
    pytest.skip(message)


@contextlib.contextmanager
def scratch_database(kind: str, tmp_path, name: str = "scratch"):
    """The URL of an empty SQLite file (``kind`` "sqlite"), or of a throwaway PostgreSQL
    database dropped afterwards (anything starting with "postgresql")."""
    if not kind.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / f'{name}.sqlite'}"
        return
    with throwaway_postgres() as (url,):
        yield url


# --- a reader posting through the real form ---------------------------------------------------

TEXT = "What a lovely story about the library!"
READER = "Rosa Reader"
READER_EMAIL = "rosa@example.org"


def fields(client, post, **overrides):
    """What a browser would send: the fields from the rendered form plus the reader's input."""
    html = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    found = re.search(r'name="stamp" value="([^"]+)"', html)
    stamp = found.group(1) if found else ""  # no form on a closed post
    data = {
        "comment": TEXT,
        "author": READER,
        "email": READER_EMAIL,
        "url": "",
        "parent": "",
        "homepage": "",
        "stamp": stamp,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def approve_reader(make, post, name=READER, email=READER_EMAIL):
    """An approved comment by this name and email, so their next one passes the first-time rule."""
    from blog.models import CommentStatus

    return make.comment(
        post, author_name=name, author_email=email, status=CommentStatus.APPROVED.value
    )


@contextlib.contextmanager
def throwaway_postgres(count: int = 1):
    """URLs of ``count`` new databases on the server named by TEST_DATABASE_URL, dropped after
    (skips locally without it, fails in CI)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from blog import normalise_database_url

    base = make_url(normalise_database_url(require_service("TEST_DATABASE_URL", "PostgreSQL")))
    names = [f"blog_test_{uuid.uuid4().hex[:10]}" for _ in range(count)]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield [base.set(database=n).render_as_string(hide_password=False) for n in names]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- a real local SMTP server (aiosmtpd) keeps what it receives -------------------------------


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"


# --- what the comment sanitizer allows (the unit tests and the hostile-input tests) ----------

ALLOWED_IN_COMMENTS = {
    "a": {"href", "title", "rel"},
    "abbr": {"title"},
    "acronym": {"title"},
    "b": set(),
    "blockquote": {"cite"},
    "cite": set(),
    "code": set(),
    "del": {"datetime"},
    "em": set(),
    "i": set(),
    "q": {"cite"},
    "s": set(),
    "strike": set(),
    "strong": set(),
    "p": set(),
    "br": set(),
    # made by the comments' Markdown (issue #23); a reader cannot type them
    "ul": set(),
    "ol": {"start"},
    "li": set(),
    "pre": set(),
}


# --- every column of a site, as an export/restore test compares them ---------------------------


def dump_every_column() -> dict[str, list[dict]]:
    """Every column of every row of every exported table, except the password hashes (and the
    page cache's content version, which each database has its own of)."""
    out = {}
    for name, table in TABLES:
        query = select(table).where(*not_bookkeeping(table)).order_by(*table.primary_key.columns)
        rows = db.session.execute(query).mappings()
        out[name] = [
            {k: v for k, v in row.items() if k not in OMITTED.get(name, ())} for row in rows
        ]
    return out


def taken_columns(tables: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The rows without what a restore never takes from a file
    (blog.transfer.portable.NOT_TAKEN)."""
    return {
        name: [{k: v for k, v in row.items() if k not in NOT_TAKEN.get(name, ())} for row in rows]
        for name, rows in tables.items()
    }


# --- the admin's article form, as a browser sends it ---------------------------------------------


def post_form(**overrides):
    data = {
        "title": "Solar ferry makes its first crossing",
        "slug": "",
        "body": "## Quiet engines\n\nThe ferry *glided* across.",
        "summary": "A quiet first trip.",
        "tags": "energy, transport",
        "comments_open": "y",
        "publish_at": "",
        "action": "draft",
    }
    data.update(overrides)
    return data


# --- test messages in the outbox --------------------------------------------------------------


def queue_messages(count: int, message_id: bool = True) -> list[str]:
    """``count`` small messages put in the outbox and committed; their Message-IDs (None where
    ``message_id`` is False: the outbox then adds its own)."""
    from email.message import EmailMessage

    from blog.mail.outbox import enqueue

    ids = []
    for n in range(count):
        message = EmailMessage()
        message["Subject"] = f"Message {n}"
        message["From"] = "blog@example.org"
        message["To"] = f"writer{n}@example.org"
        if message_id:
            message["Message-ID"] = f"<{uuid.uuid4().hex}@test.invalid>"
        message.set_content(f"Body {n}")
        enqueue(message)
        ids.append(message["Message-ID"])
    db.session.commit()
    return ids
