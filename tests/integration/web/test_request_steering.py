"""Nothing a request sends can change what another reader is served (issue 18, finding 2), and
what is made for one visitor says so to every cache on the way (finding 5)."""

from __future__ import annotations

import logging
import sys

import pytest

from blog.extensions import db
from blog.mail.outbox import sender
from tests.conftest import Factory
from tests.helpers import HX, fields, make_test_app

EVIL = "evil.example"
# What a client can send to steer the URLs in a page: a script root (gunicorn takes SCRIPT_NAME
# from a header), a prefix and a host for a proxy to pass on.
STEERING = [
    {"environ_overrides": {"SCRIPT_NAME": f"//{EVIL}"}},
    {"environ_overrides": {"SCRIPT_NAME": f"/{EVIL}"}},
    {"headers": {"SCRIPT_NAME": f"//{EVIL}"}},
    {"headers": {"X-Forwarded-Prefix": f"//{EVIL}"}},
    {"headers": {"X-Forwarded-Host": EVIL, "X-Forwarded-Proto": "http"}},
]


def _clean(app, path, **kwargs):
    return app.test_client().get(path, **kwargs).get_data(as_text=True)


@pytest.fixture(params=[None, "http://localhost", "http://localhost/blog"], ids=str)
def site(request, tmp_path, monkeypatch, password_hash):
    """The site with no SITE_URL (development), at a host's root, and under a path prefix;
    behind one trusted proxy, so the proxy's headers are read where they may be."""
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    config = {"TRUSTED_PROXIES": 1, "COMMENT_MIN_SECONDS": 0, "COMMENT_FLOOD_SECONDS": 0}
    if request.param:
        config["SITE_URL"] = request.param
    app = make_test_app(tmp_path, **config)
    with app.app_context():
        db.create_all()
        app.make = Factory(password_hash)
        yield app
        assert sender(app).wait_idle()
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("steer", STEERING, ids=lambda s: next(iter(next(iter(s.values())))))
def test_a_steered_request_does_not_poison_what_others_get(site, steer):
    post = site.make.post("Shared news")
    site.make.post("Other news")
    paths = ["/", f"/posts/{post.slug}", "/feed.xml"]
    for _ in range(8):
        for path in paths:
            site.test_client().get(path, **steer)
        # The htmx answer to a comment holds the cached fresh form.
        attacker = site.test_client()
        attacker.post(
            f"/posts/{post.slug}/comments",
            data=fields(attacker, post, comment="Steering", email="s@example.org"),
            headers={**HX, **steer.get("headers", {})},
            environ_overrides=steer.get("environ_overrides"),
        )
    for path in paths:
        assert EVIL not in _clean(site, path)
    reader = site.test_client()
    answer = reader.post(
        f"/posts/{post.slug}/comments", data=fields(reader, post, comment="Clean"), headers=HX
    )
    assert EVIL not in answer.get_data(as_text=True)


def test_the_prefix_comes_from_site_url(site):
    post = site.make.post("Prefixed news")
    prefix = "/blog" if "/blog" in (site.config.get("SITE_URL") or "") else ""
    html = _clean(site, f"/posts/{post.slug}")
    assert f'action="{prefix}/posts/{post.slug}/comments"' in html
    # A proxy that passes the prefix in the path is understood the same way.
    if prefix:
        assert f'action="{prefix}/posts/{post.slug}/comments"' in _clean(
            site, f"{prefix}/posts/{post.slug}"
        )


def test_a_host_outside_site_url_is_refused_not_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_test_app(tmp_path, SITE_URL="https://news.example", TRUSTED_PROXIES=1)
    with app.app_context():
        db.create_all()
        client = app.test_client()
        assert client.get("/", headers={"Host": EVIL}).status_code == 400
        assert client.get("/", headers={"X-Forwarded-Host": EVIL}).status_code == 400
        db.engine.dispose()


# --- finding 5: personal responses are private -------------------------------------------------


@pytest.mark.usefixtures("fast_posting")
def test_personal_htmx_answers_are_never_stored(app, client, make):
    post = make.post("Private news")
    client.post(f"/posts/{post.slug}/comments", data=fields(client, post, comment="Mine, held"))
    from sqlalchemy import select

    from blog.models import Comment

    mine = db.session.scalars(select(Comment).where(Comment.body == "Mine, held")).one()
    for path, headers in [
        (f"/posts/{post.slug}/comments", HX),
        (f"/c/{mine.id}", HX),
        (f"/comments/{mine.id}/edit", HX),
        (f"/comments/{mine.id}/edit", {}),
    ]:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "private, no-store", path


def test_every_page_without_its_own_policy_is_private(app, client, make):
    post = make.post("Listed news")
    for path in ["/no-such-page", "/tag/none", "/search?q=news", f"/posts/{post.slug}?x=1"]:
        cache_control = client.get(path).headers["Cache-Control"]
        assert cache_control.startswith("private"), (path, cache_control)
    # What is the same for every reader says so (blog/caching/headers.py).
    for path in ["/", f"/posts/{post.slug}", "/feed.xml"]:
        cache_control = client.get(path).headers["Cache-Control"]
        assert cache_control.startswith("public, max-age=0, s-maxage="), (path, cache_control)


# --- finding 5: a WSGI server without SITE_URL is told ------------------------------------------


def test_starting_under_a_wsgi_server_without_site_url_warns(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setattr(sys, "argv", ["/srv/venv/bin/gunicorn", "blog.wsgi:app"])
    with caplog.at_level(logging.WARNING, logger="blog.web.urls"):
        make_test_app(tmp_path, TESTING=False)
    assert any("SITE_URL is not set" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="blog.web.urls"):
        make_test_app(tmp_path, TESTING=False, SITE_URL="https://news.example")
    assert not any("SITE_URL is not set" in r.getMessage() for r in caplog.records)


def test_production_refuses_to_start_without_site_url(tmp_path, monkeypatch):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    with pytest.raises(RuntimeError, match="SITE_URL is not set"):
        make_test_app(tmp_path, ENV="production")
