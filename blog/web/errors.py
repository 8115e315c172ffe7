"""Error pages: styled, never a traceback; an htmx request gets a fragment.

A database that cannot take a write just now (locked past DB_WRITE_WAIT_SECONDS, a full disk,
read-only storage, a lock file it may not open) is a fault of the moment, not a bug: the visitor
gets a 503 with Retry-After and a plain message, and the log gets one line naming the cause
(again at most once a minute while it lasts), not a traceback per request.
"""

from __future__ import annotations

import contextlib
import errno
import sqlite3
import threading
import time
from typing import NamedTuple

from flask import Flask, Response, current_app, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from ..database import LockWaitTimeout, write_wait_seconds
from ..extensions import db
from .forgery import CrossOriginRequest
from .htmx import render_page_or_fragment
from .logs import current_request_id

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood.")),
    403: (_l("Forbidden"), _l("You are not allowed to do that.")),
    404: (_l("Page not found"), _l("There is nothing here. It may have moved, or never existed.")),
    405: (_l("Method not allowed"), _l("That address does not accept this kind of request.")),
    413: (_l("Too large"), _l("What you sent is larger than this site accepts.")),
    429: (_l("Too many requests"), _l("You are doing that too often. Please wait a moment.")),
    500: (
        _l("Something went wrong"),
        _l("The error has been logged. Please try again in a moment."),
    ),
    503: (
        _l("Please try again"),
        _l("The site cannot do that just now. Please try again in a moment."),
    ),
}

BUSY = _l(
    "Nothing was saved: the site is busy with other changes. Please try again in a few seconds."
)
STORAGE = _l("Nothing was saved: the site cannot store anything just now. Please try again later.")
UNAVAILABLE = _l("The site's database is not answering just now. Please try again in a minute.")
CANNOT_READ = _l(
    "This page cannot be shown just now: the site cannot open its database. Please try again later."
)
# Once a cause was logged, the same cause is logged again after this long at the earliest.
LOG_EVERY_SECONDS = 60


class Fault(NamedTuple):
    """Why a write could not be done now: what the visitor is told, when to come back, and
    the cause for the log."""

    message: str
    retry_after: int
    cause: str


# sqlite3.Error itself too: one raised while a connection is being opened (the PRAGMAs of
# blog/database.py) reaches the view unwrapped.
FAULT_ERRORS = (DBAPIError, sqlite3.Error, OSError, LockWaitTimeout)
# SQLite's primary result codes (the low byte of sqlite_errorcode).
_SQLITE_BUSY = {5, 6}  # SQLITE_BUSY "database is locked", SQLITE_LOCKED
_SQLITE_STORAGE = {8, 10, 13, 14}  # READONLY, IOERR, FULL ("database or disk is full"), CANTOPEN
_SQLITE_STORAGE_WORDS = ("disk is full", "readonly database", "disk i/o error")
# PostgreSQL SQLSTATEs: lock_not_available (lock_timeout), query_canceled (statement_timeout);
# disk_full, insufficient_resources, out_of_memory, read_only_sql_transaction; shutting down.
_PG_BUSY = {"55P03", "57014"}
_PG_STORAGE = {"53000", "53100", "53200", "25006"}
_PG_UNAVAILABLE = {"57P01", "57P02", "57P03", "53300"}
_OS_STORAGE = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO}


def storage_fault(error: BaseException) -> Fault | None:
    """The Fault ``error`` is, or None when it is a bug (a 500)."""
    busy_retry = max(1, round(write_wait_seconds())) + 2
    if isinstance(error, LockWaitTimeout):
        return Fault(BUSY, busy_retry, f"posting lock: {error}")
    if isinstance(error, OSError):
        if error.errno in _OS_STORAGE:
            return Fault(STORAGE, 60, str(error))
        return None
    if not isinstance(error, DBAPIError | sqlite3.Error):
        return None
    orig = error.orig if isinstance(error, DBAPIError) else error
    if isinstance(orig, sqlite3.Error):
        code = (getattr(orig, "sqlite_errorcode", None) or 0) & 0xFF
        said = str(orig).lower()
        if code in _SQLITE_BUSY or "database is locked" in said:
            return Fault(BUSY, busy_retry, f"SQLite: {orig}")
        if code in _SQLITE_STORAGE or any(words in said for words in _SQLITE_STORAGE_WORDS):
            return Fault(STORAGE, 60, f"SQLite: {orig}")
        return None
    sqlstate = getattr(orig, "sqlstate", None)
    first_line = str(orig).strip().splitlines()[0] if str(orig).strip() else repr(orig)
    cause = f"PostgreSQL {sqlstate or '-'}: {first_line}"
    if sqlstate in _PG_BUSY:
        return Fault(BUSY, busy_retry, cause)
    if sqlstate in _PG_STORAGE:
        return Fault(STORAGE, 60, cause)
    if sqlstate in _PG_UNAVAILABLE or (sqlstate or "").startswith("08"):
        return Fault(UNAVAILABLE, 30, cause)
    if sqlstate is None and error.connection_invalidated:
        return Fault(UNAVAILABLE, 30, cause)
    return None


_logged: dict[str, tuple[float, int]] = {}  # cause -> (when last logged, requests since)
_logged_lock = threading.Lock()


def note_fault(fault: Fault) -> None:
    """Roll the session back and log the cause: once, then at most once a minute while it lasts
    (with how many requests met it meanwhile)."""
    with contextlib.suppress(DBAPIError):  # the connection is gone: the next request takes another
        db.session.rollback()
    now = time.monotonic()
    with _logged_lock:
        last, since = _logged.get(fault.cause, (None, 0))
        if last is not None and now - last < LOG_EVERY_SECONDS:
            _logged[fault.cause] = (last, since + 1)
            return
        if len(_logged) > 100:
            _logged.clear()
        _logged[fault.cause] = (now, 0)
    more = f" ({since} more since the last report)" if since else ""
    current_app.logger.warning("Could not write, answered 503: %s%s", fault.cause, more)


def fault_answer(fault: Fault) -> Response:
    """The 503 page (or fragment) for ``fault``, with Retry-After; a plain one if even the page
    cannot be rendered (it reads the saved settings)."""
    try:
        response = render_error(503, fault.message)
    except FAULT_ERRORS:
        db.session.rollback()
        response = Response(f"{fault.message}\n", 503, mimetype="text/plain")
        response.headers["Cache-Control"] = "no-store"
    response.headers["Retry-After"] = str(fault.retry_after)
    return response


def handle_storage_fault(error: Exception):
    fault = storage_fault(error)
    if fault is None:
        return handle_unexpected(error)
    note_fault(fault)
    if request.method in ("GET", "HEAD") and fault.message == STORAGE:
        # Nothing was being saved: the database could not even be opened (a restart on a
        # full disk: SQLite needs room for its shared-memory file) or is away.
        fault = fault._replace(message=CANNOT_READ)
    return fault_answer(fault)


def render_error(code: int, detail: str | None = None):
    title, message = MESSAGES.get(
        code, (_("Error %(code)s", code=code), _("The request could not be completed."))
    )
    return render_page_or_fragment(
        "errors/error.html",
        "errors/_error.html",
        status=code,
        code=code,
        title=title,
        message=detail or message,
        # Quoted by a visitor, it finds the traceback in the log (every line carries it).
        reference=current_request_id() if code >= 500 else None,
    )


def _size_text(limit: int) -> str:
    megabytes = limit / (1024 * 1024)
    return f"{megabytes:g} MB" if megabytes >= 1 else f"{max(1, limit // 1024)} KB"


def too_large_message() -> str:
    """What a 413 says: the limit of this request (an upload view raises it to MEDIA_MAX_BYTES
    with request.max_content_length; everything else has MAX_CONTENT_LENGTH)."""
    limit = request.max_content_length
    sent = request.content_length
    if not limit or (sent is not None and sent <= limit):
        # Within the body limit: one form field was over MAX_FORM_MEMORY_SIZE.
        return _("A field of what you sent is longer than this site accepts.")
    if request.mimetype == "multipart/form-data":
        return _(
            "This file is larger than %(limit)s, the most this site takes.", limit=_size_text(limit)
        )
    return _(
        "What you sent is larger than %(limit)s, the most this site takes.", limit=_size_text(limit)
    )


def handle_http_error(error: HTTPException):
    if isinstance(error, SecurityError):
        # A Host outside TRUSTED_HOSTS: no URL can be built for this request (Flask made no URL
        # adapter), so the styled page cannot render; a plain answer says enough.
        return Response("Bad request: unknown host.\n", 400, mimetype="text/plain")
    detail = too_large_message() if error.code == 413 else None
    if isinstance(error, CrossOriginRequest):
        detail = str(error.description)
    response = render_error(error.code or 500, detail)
    # The exception's own headers carry meaning the styled page must keep: Allow on a 405
    # (RFC 9110 requires it), WWW-Authenticate, Retry-After.
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def handle_csrf_error(error: CSRFError):
    return render_error(
        400, _("Your session expired or the form was incomplete. Please try again.")
    )


def handle_unexpected(error: Exception):
    # The visitor sees a plain page; the traceback goes to the log only.
    db.session.rollback()
    current_app.logger.exception("Unhandled error", exc_info=error)
    return render_error(500)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InternalServerError, handle_unexpected)
    app.register_error_handler(Exception, handle_unexpected)
    for error_class in FAULT_ERRORS:
        app.register_error_handler(error_class, handle_storage_fault)
