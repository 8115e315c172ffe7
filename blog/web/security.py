"""Security headers on every response, fragments and error pages included."""

from __future__ import annotations

from flask import Flask, Response, current_app, request

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        # Audio and video play from this site's own media files only.
        "media-src 'self'",
        # The video players a reader starts from an embed card (blog.media.embeds), and no
        # other frame.
        "frame-src https://www.youtube-nocookie.com https://player.vimeo.com"
        " https://www.dailymotion.com",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    # Not no-referrer: Flask-WTF checks a same-host Referer on HTTPS form posts.
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
_BY_LOWER_NAME = tuple((name.lower(), name, value) for name, value in SECURITY_HEADERS)
_SECURITY_NAMES = frozenset(lower for lower, _, _ in _BY_LOWER_NAME)


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    # Every response gets them, so this runs once per request: one pass over the few headers
    # the response has, instead of a search per header. A view's own value is kept.
    present = {name.lower() for name, _ in headers.items()} & _SECURITY_NAMES
    for lower, name, value in _BY_LOWER_NAME:
        if lower not in present:
            headers.add(name, value)
    # A response that says nothing about caching was made for this request: no shared cache
    # may keep it for another reader, and the browser asks again before reusing it.
    headers.setdefault("Cache-Control", "private, no-cache")
    if current_app.config.get("PREFER_HTTPS") and request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    return response


def no_store(response: Response) -> Response:
    """For answers nobody may keep: signed-in pages, one-click moderation links."""
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
