"""The signed values a page carries for each reader, made without redoing per request what
never changes between requests.

A reader without cookies gets three signatures with every article (the CSRF token, the form
stamp and the session cookie that holds the token's raw half). itsdangerous derives each
signing key from the secret and a salt with an HMAC on every call, and Flask-WTF builds a new
serializer for every token and tries to compress its 40 hex digits with zlib. Here the derived
keys are kept, and the token is made by a serializer built once. What is signed, and how, is
unchanged: Flask-WTF's CSRFProtect checks these tokens exactly as it checks its own.
"""

from __future__ import annotations

import secrets
from functools import cache

from flask import current_app, g, session
from itsdangerous import Serializer, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode

# Flask-WTF's names: its CSRFProtect validates what this module makes.
CSRF_SALT = "wtf-csrf-token"


class KeyKeepingSigner(TimestampSigner):
    """A TimestampSigner that derives each (secret, salt) key once per process."""

    _derived: dict[tuple, bytes] = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        if secret_key is None:
            secret_key = self.secret_keys[-1]
        found = (secret_key, self.salt, self.key_derivation, self.digest_method)
        key = self._derived.get(found)
        if key is None:
            key = super().derive_key(secret_key)
            if len(self._derived) > 64:  # keys and salts are few; never grow without bound
                self._derived.clear()
            self._derived[found] = key
        return key


class _TokenSerializer(URLSafeTimedSerializer):
    """Signs short strings: zlib never makes 40 hex digits shorter, so it is not tried.
    (Loading is itsdangerous's own, which reads compressed and plain payloads alike.)"""

    default_signer = KeyKeepingSigner

    def dump_payload(self, obj) -> bytes:
        return base64_encode(Serializer.dump_payload(self, obj))


@cache
def _csrf_serializer(secret_key: str | bytes) -> _TokenSerializer:
    return _TokenSerializer(secret_key, salt=CSRF_SALT)


def csrf_token() -> str:
    """This request's signed CSRF token, as Flask-WTF's generate_csrf makes it: the raw token
    kept in the session, the signed one kept in ``g`` for every later call in the request
    (generate_csrf itself, and the forms, then return the same one)."""
    config = current_app.config
    field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    token = g.get(field)
    if token is None:
        raw = session.get(field)
        if not isinstance(raw, str) or not raw:
            raw = session[field] = secrets.token_hex(20)
        secret = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
        token = _csrf_serializer(secret).dumps(raw)
        setattr(g, field, token)
    return token


@cache
def timestamp_signer(secret_key: str | bytes, salt: str) -> KeyKeepingSigner:
    """One signer per key and salt: signers hold nothing per call."""
    return KeyKeepingSigner(secret_key, salt=salt)
