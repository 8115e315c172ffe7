"""Logging when the host has not set it up, and a request id on every line of a request.

gunicorn, waitress and `flask run` leave the root logger without handlers, so the blog's INFO
lines (comments saved, mail sent or logged) would vanish. When the root logger has no handler,
the app adds one: INFO and above to stderr, one event per record. A host that configured
logging itself (handlers on the root logger) is left alone.

The request id comes from the proxy's X-Request-ID when it looks like an id (nginx's
$request_id, a UUID), else it is made here; it is echoed in the response header, put on every
log line of the request and shown on the 500 page, so a visitor's "Reference" finds the
traceback.
"""

from __future__ import annotations

import logging
import os
import re
import sys

from flask import Flask, g, has_request_context, request

SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,63}")
FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


def current_request_id() -> str:
    """The id of the request being handled ("-" outside a request)."""
    if not has_request_context():
        return "-"
    if "request_id" not in g:
        offered = request.headers.get("X-Request-ID", "")
        g.request_id = offered if SANE_ID.fullmatch(offered) else os.urandom(16).hex()
    return g.request_id


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


class OneEventFormatter(logging.Formatter):
    """Continuation lines (a traceback, a logged email) are indented and carry the request id,
    so every line can be told apart from the next event and traced to its request."""

    def format(self, record: logging.LogRecord) -> str:
        first, *rest = super().format(record).split("\n")
        prefix = f"    [{getattr(record, 'request_id', '-')}] | "
        return "\n".join([first, *(prefix + line for line in rest)])


def configure_logging() -> bool:
    """INFO to stderr unless the host configured logging; True when this did it."""
    root = logging.getLogger()
    if root.handlers:
        return False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneEventFormatter(FORMAT))
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # chatter per command
    if root.level == logging.WARNING or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    return True


def init_app(app: Flask) -> None:
    @app.after_request
    def echo_request_id(response):
        response.headers["X-Request-ID"] = current_request_id()
        return response
