"""The security baseline on every response: pages, fragments, feeds and errors."""

from __future__ import annotations

import json
import re

import pytest

from tests.helpers import HX

PATHS = ["/", "/posts/{slug}", "/tag/news", "/feed.xml", "/sitemap.xml", "/robots.txt", "/nope"]


@pytest.fixture
def slug(make):
    return make.post("Headline", tags=[make.tag("news")]).slug


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
def test_security_headers_everywhere(client, slug, path, headers):
    response = client.get(path.format(slug=slug), headers=headers)
    csp = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert "unsafe" not in csp
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_only_over_https_when_configured(tmp_path):
    from tests.helpers import make_test_app

    app = make_test_app(tmp_path, PREFER_HTTPS=True)
    client = app.test_client()
    secure = client.get("/robots.txt", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=63072000")
    plain = client.get("/robots.txt", base_url="http://localhost")
    assert "Strict-Transport-Security" not in plain.headers
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_session_cookie_flags(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024

    @app.get("/__set-session")
    def set_session():
        from flask import session

        session["seen"] = True
        return "ok"

    cookie = app.test_client().get("/__set-session").headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_one_htmx_config_meta_in_head_with_hardening(client, slug):
    html = client.get(f"/posts/{slug}").get_data(as_text=True)
    head = html.split("</head>")[0]
    metas = re.findall(r"<meta name=\"htmx-config\" content='([^']*)'>", html)
    assert len(metas) == 1
    assert metas[0] in head
    config = json.loads(metas[0])
    assert config["allowEval"] is False
    assert config["allowScriptTags"] is False
    assert config["allowNestedOobSwaps"] is False
    assert config["historyCacheSize"] == 0
    assert config["includeIndicatorStyles"] is False
    assert {"code": "422", "swap": True, "error": False} in config["responseHandling"]
    # The config must come before htmx is loaded, or htmx never reads it.
    assert head.index('name="htmx-config"') < head.index("htmx-2.0")


def test_no_inline_scripts_or_styles(client, slug):
    for path in ("/", f"/posts/{slug}", "/nope"):
        html = client.get(path).get_data(as_text=True)
        assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
        assert "style=" not in html
        assert "<style" not in html


def test_indicator_styles_ship_in_the_stylesheet(client):
    with client.get("/static/css/blog.css") as response:
        css = response.get_data(as_text=True)
    assert ".htmx-indicator" in css
    assert ".htmx-request .htmx-indicator" in css


def test_server_error_shows_no_traceback(app, client):
    @app.get("/__boom")
    def boom():
        raise RuntimeError("secret internals /srv/app.py line 42")

    response = client.get("/__boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in html
    assert "secret internals" not in html
    assert "Traceback" not in html
    assert response.headers["Content-Security-Policy"]
    fragment = client.get("/__boom", headers=HX)
    assert fragment.status_code == 500
    assert "<html" not in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"]


def test_method_not_allowed_is_styled(client):
    response = client.post("/")
    assert response.status_code == 405
    assert "Method not allowed" in response.get_data(as_text=True)


def test_unmigrated_database_gives_a_styled_error_page(app, client):
    """Code upgraded but init-db not run yet: visitors get the styled 500, no traceback."""
    from blog.extensions import db

    db.drop_all()
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in html
    assert "Good News" in html
    assert "OperationalError" not in html and "Traceback" not in html


def test_public_pages_without_a_session_do_not_vary_on_cookie(client, make):
    make.post("Shared news")
    for path in ("/", "/feed.xml", "/comments/feed.xml", "/sitemap.xml"):
        response = client.get(path)
        assert response.status_code == 200
        assert "Cookie" not in response.headers.get("Vary", ""), path
