"""Cross-site request forgery: the browser's own word for readers, a session token for accounts.

A reader who is not signed in has nothing a forged request could borrow but the right to post a
comment, and the pages they read are the same bytes for everyone: a shared cache (nginx, a CDN)
may keep them only if no per-reader token is in them. So a request from someone without a
signed-in session is checked the way Go 1.25's ``CrossOriginProtection`` and ASP.NET Core check
every request: by what the browser says about where it comes from.

* ``Sec-Fetch-Site`` (every current browser sends it): ``same-origin`` or ``none`` (typed in the
  address bar, a bookmark) passes; ``cross-site`` and ``same-site`` (a sibling subdomain, which
  may be someone else's) are refused.
* Without it (older browsers), ``Origin``: it must be this site's own origin (SITE_URL's, or
  the request's own scheme and host when SITE_URL is unset) or one in CSRF_TRUSTED_ORIGINS.
  ``Origin: null`` (a sandboxed frame, a data: page) is refused.
* With neither the request did not come from a browser page, which always sends one of them on
  a cross-origin POST; a script that can send anything without a browser needs no victim's
  browser to post a comment either. It passes, as in Go.

These checks apply to every unsafe request, signed in or not. A request whose session is signed
in is then also checked by Flask-WTF's token (``csrf.protect()``), as before, in the session that
carries it: what an author can do is worth more than a second layer costs. The login form, the
invitation and the password change keep the token too (they have no session yet, or start one).
The one exception is RFC 8058's one-click unsubscribe POST, which a mail provider's server sends
with the token in its URL (blog/reading/follow_views.py).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, g, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import Forbidden

from ..extensions import csrf

SAFE_METHODS = frozenset(("GET", "HEAD", "OPTIONS", "TRACE"))
ALLOWED_FETCH_SITES = frozenset(("same-origin", "none"))

# Blueprints whose forms readers without an account send from public pages: the browser's word
# is the check there. Everything else (admin, sign-in, emails' confirmation pages) keeps tokens.
READER_BLUEPRINTS = frozenset(("public", "comments", "follow"))

CROSS_SITE = _l(
    "This form was sent from another website, so it was not accepted. "
    "Open the article on this site and send it from there."
)


class CrossOriginRequest(Forbidden):
    description = CROSS_SITE


def origin_of(url: str) -> str:
    """scheme://host[:port], lower-cased, default ports left out (as browsers send Origin)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port is not None and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    return f"{scheme}://{host}"


def own_origins() -> set[str]:
    site_url = current_app.config.get("SITE_URL")
    origins = {origin_of(site_url)} if site_url else {origin_of(request.host_url)}
    origins.update(origin_of(o) for o in current_app.config.get("CSRF_TRUSTED_ORIGINS") or ())
    return origins


def is_cross_origin() -> bool:
    """What the browser says about where this request comes from (see the module's text)."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site.strip().lower() not in ALLOWED_FETCH_SITES
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    if origin.strip().lower() == "null":
        return True
    try:
        return origin_of(origin) not in own_origins()
    except ValueError:  # a port that is not a number: no origin of ours
        return True


def token_exempt() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None:
        return False
    return f"{view.__module__}.{view.__name__}" in csrf._exempt_views


def protect() -> None:
    """Runs before every view (CSRFProtect's own hook is switched off: this one decides)."""
    if request.method in SAFE_METHODS or request.endpoint is None:
        return
    if token_exempt():
        return  # the one-click unsubscribe: its token is in the URL
    if is_cross_origin():
        raise CrossOriginRequest()
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    signed_in = g.get("author") is not None
    if request.blueprint in READER_BLUEPRINTS and not signed_in:
        return  # a reader without an account: the browser's word above is the check
    csrf.protect()


def init_app(app: Flask) -> None:
    """Call after the blueprints are registered: the hook must run after the sign-in hook
    (accounts.auth.load_author), which tells it who is signed in."""
    # CSRFProtect still makes and checks the tokens; when to check is decided here.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.before_request(protect)
