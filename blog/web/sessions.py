"""Flask's own signed-cookie session, with its signing serializer made once per key.

Flask builds a new serializer twice per request (to open and to save the session), and
itsdangerous's constructor serializes a probe value each time: on a page served from the page
cache that was a tenth of the request. The serializer holds nothing per request, so one per
secret key (and fallback keys) serves every request and thread. Everything else is Flask's.
"""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

from .signing import KeyKeepingSigner


class CookieSessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        # The key is part of the cache key: a rotated SECRET_KEY gets a serializer of its own.
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        try:
            return self._serializers[keys]
        except KeyError:
            serializer = super().get_signing_serializer(app)
            if serializer is not None:  # each signing key derived once (blog/web/signing.py)
                serializer.signer = KeyKeepingSigner
            if len(self._serializers) > 8:  # keys rarely change; never grow without bound
                self._serializers.clear()
            self._serializers[keys] = serializer
            return serializer


def init_app(app: Flask) -> None:
    app.session_interface = CookieSessionInterface()
