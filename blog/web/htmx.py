"""One helper decides between a full page and an htmx fragment.

Server logic keys only on ``HX-Request`` (htmx 4 renamed the other request headers), treats
history-restore requests as full-page requests, and marks every such response ``Vary: HX-Request``
so that no cache hands a fragment to a full-page visit.
"""

from __future__ import annotations

from flask import Flask, Response, g, make_response, render_template, request

# Read by htmx from <meta name="htmx-config">. Turning off eval and script tags lets the page run
# under a CSP without 'unsafe-eval'/'unsafe-inline'; 422/409/429 answers carry a form to swap.
HTMX_CONFIG = {
    "allowEval": False,
    "allowScriptTags": False,
    "allowNestedOobSwaps": False,
    "historyCacheSize": 0,
    "refreshOnHistoryMiss": True,
    "historyRestoreAsHxRequest": False,
    "includeIndicatorStyles": False,
    "selfRequestsOnly": True,
    "responseHandling": [
        {"code": "204", "swap": False},
        {"code": "[23]..", "swap": True},
        {"code": "403", "swap": True, "error": False},
        {"code": "409", "swap": True, "error": False},
        {"code": "422", "swap": True, "error": False},
        {"code": "429", "swap": True, "error": False},
        # The article went away while a reader typed: their text comes back to copy.
        {"code": "410", "swap": True, "error": False},
        {"code": "[45]..", "swap": False, "error": True},
    ],
}


def is_htmx() -> bool:
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render_page_or_fragment(page: str, fragment: str, status: int = 200, **context) -> Response:
    """Render ``fragment`` for htmx and ``page`` (which includes the fragment) otherwise."""
    g.varies_on_hx_request = True
    template = fragment if is_htmx() else page
    return make_response(render_template(template, **context), status)


def render_fragment(template: str, status: int = 200, **context) -> Response:
    """A fragment only htmx asks for; still marked, since its URL may also serve a page."""
    g.varies_on_hx_request = True
    return make_response(render_template(template, **context), status)


def _add_vary_and_redirect(response: Response) -> Response:
    if g.get("varies_on_hx_request"):
        response.vary.add("HX-Request")
    # htmx follows a 302/303 with an XHR and swaps the result; a real navigation is wanted.
    if is_htmx() and response.status_code in (301, 302, 303) and response.location:
        response.headers["HX-Redirect"] = response.location
        response.status_code = 200
        response.vary.add("HX-Request")
    return response


def init_app(app: Flask) -> None:
    app.after_request(_add_vary_and_redirect)
    app.jinja_env.globals["htmx_config"] = HTMX_CONFIG
