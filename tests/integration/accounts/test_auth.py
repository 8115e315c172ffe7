"""Signing in: hashing, throttling, sessions that can be revoked, no cached admin pages."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import func, select

from blog.accounts.passwords import hash_password, password_problem, verify_password
from blog.extensions import db
from blog.models import Author, LoginAttempt
from tests.helpers import HX, PASSWORD


def admin_endpoints(app, **ids):
    """Every URL rule of the admin blueprint, with sample values for its arguments.

    ``ids`` names real rows (``post_id=…``) for walks that must reach the page itself; the
    default 1 is enough where only the gate in front of the view is tested.
    """
    samples = {"post_id": 1, "comment_id": 1, "action": "approve", "status": "spam"}
    samples |= {"term_id": 1, "item_id": 1, "how": "up", "user_id": 1, "revision_id": 1}
    samples |= {"media_id": 1, "subscription_id": 1}
    samples |= ids
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("admin."):
            path = rule.rule
            for name in rule.arguments:
                path = path.replace(f"<int:{name}>", str(samples[name])).replace(
                    f"<{name}>", str(samples[name])
                )
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, path


def test_every_admin_url_requires_sign_in(app, client, make):
    post = make.post("Some post")
    make.comment(post)
    seen = list(admin_endpoints(app))
    assert len(seen) >= 15
    for method, path in seen:
        response = client.open(path, method=method)
        assert response.status_code == 302, (method, path)
        assert response.headers["Location"].startswith("/admin/login?next="), (method, path)
        htmx = client.open(path, method=method, headers=HX)
        assert htmx.status_code == 200, (method, path)
        assert htmx.headers["HX-Redirect"].startswith("/admin/login"), (method, path)


def test_no_account_exists_on_a_fresh_install(runner):
    runner.invoke(args=["seed-demo"])
    author = db.session.scalar(select(Author))
    # Only the demo author, whose password nobody knows.
    assert db.session.scalar(select(func.count(Author.id))) == 1
    assert not verify_password(author.password_hash, "")


def test_login_and_logout(admin, client):
    page = client.get("/admin/login")
    assert page.status_code == 200
    assert ">Log In</button>" in page.get_data(as_text=True)
    response = admin.login()
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/logout").status_code == 405  # logout is a POST
    assert admin.logout().status_code == 303
    assert client.get("/admin/").status_code == 302


def test_login_redirects_only_to_local_next(admin, client):
    local = admin.login(query_string={"next": "/admin/posts"})
    assert local.headers["Location"] == "/admin/posts"
    admin.logout()
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = admin.login(query_string={"next": target})
        assert response.headers["Location"] == "/admin/", target
        admin.logout()


@pytest.mark.parametrize("username", ["editor", "nobody"])
def test_wrong_credentials_same_answer_for_known_and_unknown(admin, client, username):
    response = admin.login(username=username, password="wrong password")
    assert response.status_code == 401
    assert "Invalid username or password." in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_throttling_per_client_address(app, admin, client, caplog):
    with caplog.at_level(logging.INFO, logger=app.logger.name):
        for _ in range(5):
            response = admin.login(password="wrong", environ_base={"REMOTE_ADDR": "192.0.2.1"})
            assert response.status_code == 401
        locked = admin.login(environ_base={"REMOTE_ADDR": "192.0.2.1"})  # right password
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    assert "Too many failed sign-in attempts" in locked.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302
    assert "Sign-in failed for 'editor'" in caplog.text
    assert "Sign-in locked for 'editor'" in caplog.text
    # An unknown name is throttled the same way.
    for _ in range(5):
        admin.login(username="ghost", password="wrong", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    again = admin.login(
        username="ghost", password="wrong", environ_base={"REMOTE_ADDR": "192.0.2.7"}
    )
    assert again.status_code == 429
    # After the window the right password works again from the locked address.
    from datetime import timedelta

    for attempt in db.session.scalars(select(LoginAttempt)):
        attempt.attempted_at -= timedelta(minutes=16)
    db.session.commit()
    assert admin.login(environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code == 303


def test_login_form_errors_keep_username(admin, client):
    response = client.post("/admin/login", data={"username": "editor", "password": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="editor"' in html
    assert "Enter your password." in html


def test_session_is_new_at_login_and_revoked_at_logout(app, admin, client):
    client.get("/admin/login")
    before = client.get_cookie("session")
    admin.login()
    after = client.get_cookie("session")
    assert after is not None and (before is None or after.value != before.value)
    copied = after.value
    admin.logout()
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/admin/").status_code == 302


def test_password_change_ends_other_sessions(app, admin, client):
    admin.login()
    other = app.test_client()
    other.post("/admin/login", data={"username": "editor", "password": PASSWORD})
    assert other.get("/admin/").status_code == 200
    response = client.post(
        "/admin/password",
        data={"current": PASSWORD, "new": "a brand new phrase", "confirm": "a brand new phrase"},
    )
    assert response.status_code == 303
    assert client.get("/admin/").status_code == 200  # this session goes on
    assert other.get("/admin/").status_code == 302  # the other one ended
    admin.logout()
    assert admin.login(password="a brand new phrase").status_code == 303


@pytest.mark.parametrize(
    ("new", "message"),
    [("short", "at least 8"), ("password123", "most common"), ("x" * 129, "at most 128")],
)
def test_password_change_rules(admin, client, new, message):
    admin.login()
    response = client.post(
        "/admin/password", data={"current": PASSWORD, "new": new, "confirm": new}
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_password_rules_and_hash_parameters():
    assert password_problem("1234567") is not None
    assert password_problem("qwerty123") is not None  # common
    assert password_problem("correct horse battery staple") is None
    assert password_problem("\u00fcber-l\u00e4ngeres Passwort \U0001f511") is None
    assert password_problem("a" * 64) is None
    hashed = hash_password("x" * 64)
    assert hashed.startswith("$argon2id$")
    params = dict(re.findall(r"([mtp])=(\d+)", hashed))
    assert int(params["m"]) >= 19456 and int(params["t"]) >= 2 and int(params["p"]) == 1


def test_admin_pages_are_not_cached(admin, client):
    admin.login()
    for path in ("/admin/", "/admin/posts", "/admin/comments", "/admin/settings", "/admin/login"):
        response = client.get(path)
        assert response.headers["Cache-Control"] == "no-store", path
        if path != "/admin/login":
            assert 'hx-history="false"' in response.get_data(as_text=True), path


def test_every_admin_post_needs_a_csrf_token(app, admin, client, make):
    """Signed in (with a real token), then every state-changing admin URL without one: 400."""
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    client.post(
        "/admin/login",
        data={"username": "editor", "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert client.get("/admin/").status_code == 200
    post = make.post("Guarded")
    comment = make.comment(post, status="pending")
    posts = [(m, p) for m, p in admin_endpoints(app) if m == "POST"]
    posts += [("POST", "/admin/logout"), ("POST", "/admin/password")]
    assert len(posts) >= 10
    for method, path in posts:
        path = path.replace("/1/", f"/{post.id}/" if "posts" in path else f"/{comment.id}/")
        response = client.open(path, method=method, data={"comment": "x", "title": "x"})
        assert response.status_code == 400, path
    db.session.refresh(comment)
    assert comment.status == "pending"
    assert client.get("/admin/").status_code == 200  # still signed in: logout needs a token too


def test_every_admin_page_works_when_signed_in(app, admin, client, make):
    admin.login()
    post = make.post("Walked", tags=[make.tag("Walking")])
    comment = make.comment(post, status="pending")
    other = make.author("walker", role="author")
    term = post.tags[0]
    media = make.media("walked.jpg")
    ids = {"post_id": post.id, "comment_id": comment.id, "term_id": term.id, "user_id": other.id}
    ids |= {"media_id": media.id}
    pages = [path for method, path in admin_endpoints(app, **ids) if method == "GET"]
    assert len(pages) >= 8
    for path in pages:
        for headers in ({}, HX):
            response = client.get(path, headers=headers)
            if path.endswith("/row") and not headers:
                # A row is an htmx fragment (an inline form's Cancel); a browser goes to the list.
                assert response.status_code == 303, path
                assert response.headers["Location"].endswith("/admin/tags"), path
                continue
            assert response.status_code == 200, (path, headers)
            assert response.headers["Cache-Control"] == "no-store", path
