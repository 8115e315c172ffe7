"""Error pages: styled, never a traceback; an htmx request gets a fragment."""

from __future__ import annotations

from flask import Flask, Response, current_app
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from .extensions import db
from .htmx import render_page_or_fragment
from .logs import current_request_id

MESSAGES = {
    400: ("Bad request", "The request could not be understood."),
    403: ("Forbidden", "You are not allowed to do that."),
    404: ("Page not found", "There is nothing here. It may have moved, or never existed."),
    405: ("Method not allowed", "That address does not accept this kind of request."),
    413: ("Too large", "What you sent is larger than this site accepts."),
    429: ("Too many requests", "You are doing that too often. Please wait a moment."),
    500: ("Something went wrong", "The error has been logged. Please try again in a moment."),
}


def render_error(code: int, detail: str | None = None):
    title, message = MESSAGES.get(code, (f"Error {code}", "The request could not be completed."))
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


def handle_http_error(error: HTTPException):
    if isinstance(error, SecurityError):
        # A Host outside TRUSTED_HOSTS: no URL can be built for this request (Flask made no URL
        # adapter), so the styled page cannot render; a plain answer says enough.
        return Response("Bad request: unknown host.\n", 400, mimetype="text/plain")
    response = render_error(error.code or 500)
    # The exception's own headers carry meaning the styled page must keep: Allow on a 405
    # (RFC 9110 requires it), WWW-Authenticate, Retry-After.
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def handle_csrf_error(error: CSRFError):
    return render_error(400, "Your session expired or the form was incomplete. Please try again.")


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
