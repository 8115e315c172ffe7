"""Posting comments through the test client: htmx and plain posts, every outcome."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from blog.extensions import db
from blog.models import Comment, now_utc
from tests.helpers import HX, TEXT, approve_reader, fields

pytestmark = pytest.mark.usefixtures("fast_posting")


@pytest.fixture
def post(make):
    return make.post("Library news")


def count(**where) -> int:
    query = select(func.count(Comment.id))
    for key, value in where.items():
        query = query.where(getattr(Comment, key) == value)
    return db.session.scalar(query)


def approve_email(make, post, email="rosa@example.org"):
    approve_reader(make, post, email=email)


# --- the form -----------------------------------------------------------------------------------


def test_form_has_wordpress_wording_and_real_attributes(client, post):
    html = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "Leave a Reply" in html
    assert "Your email address will not be published." in html
    assert "Required fields are marked" in html
    assert '<label for="comment">Comment <span class="required" aria-hidden="true">*</span>' in html
    assert '<label for="author">Name' in html
    assert '<label for="email">Email' in html
    assert '<label for="url">Website</label>' in html
    assert "Save my name, email, and website in this browser for the next time I comment." in html
    assert ">Post Comment</button>" in html
    assert 'method="post" action="/posts/library-news/comments"' in html
    assert 'hx-post="/posts/library-news/comments"' in html
    assert 'maxlength="65525"' in html
    assert 'type="email"' in html and 'autocomplete="email"' in html
    # A text field (a bad address kept in an <input type="url"> would be invalid HTML).
    assert 'inputmode="url"' in html and 'autocomplete="url"' in html
    assert 'autocomplete="name"' in html
    # No per-reader token: a reader's post is checked by the browser's Sec-Fetch-Site and Origin
    # (blog/web/forgery.py, tests/integration/web/test_forgery.py), so the page can be shared.
    assert 'name="csrf_token"' not in html
    assert (
        'id="homepage" name="homepage" type="text" value="" tabindex="-1" autocomplete="off"'
        in html
    )


# --- the matrix: htmx/plain x outcome -----------------------------------------------------------


def test_htmx_valid_returns_fresh_form_and_new_comment(client, make, post):
    approve_email(make, post)
    response = client.post(f"/posts/{post.slug}/comments", data=fields(client, post), headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html
    assert "HX-Request" in response.headers["Vary"]
    assert response.headers["HX-Retarget"] == "#respond-home"
    comment = db.session.scalars(select(Comment).where(Comment.body == TEXT)).one()
    assert comment.status == "approved"
    assert 'hx-swap-oob="beforeend:#comment-list"' in html
    assert f'id="comment-{comment.id}"' in html
    assert "autofocus" in html.split(f'id="comment-{comment.id}"')[1].split(">")[0]
    assert "Comment posted." in html
    # The fresh form is empty again.
    fresh = html.split('<form id="respond" class=')[1]
    assert TEXT not in fresh
    assert "2 thoughts on" in html


def test_htmx_valid_but_held_says_awaiting_moderation(client, post):
    response = client.post(f"/posts/{post.slug}/comments", data=fields(client, post), headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Your comment is awaiting moderation." in html
    comment = db.session.scalars(select(Comment)).one()
    assert comment.status == "pending"
    assert comment.moderation_reason == "Held: first comment from this name and email address."


def test_plain_valid_redirects_to_the_comment(client, make, post):
    approve_email(make, post)
    response = client.post(f"/posts/{post.slug}/comments", data=fields(client, post))
    comment = db.session.scalars(select(Comment).where(Comment.body == TEXT)).one()
    assert response.status_code == 303
    assert response.headers["Location"] == f"/posts/{post.slug}#comment-{comment.id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert TEXT in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"comment": "   "}, "comment", "Please type your comment."),
        ({"author": ""}, "author", "Please enter your name."),
        ({"email": ""}, "email", "Please enter your email address."),
        ({"email": "not-an-email"}, "email", "Please enter a valid email address"),
        ({"url": "javascript:alert(1)"}, "url", "starting with http:// or https://"),
        ({"url": "ftp://example.org"}, "url", "starting with http:// or https://"),
        ({"author": "x" * 246}, "author", "at most 245 characters"),
        ({"email": "a" * 95 + "@example.org"}, "email", "at most 100 characters"),
        ({"url": "https://example.org/" + "a" * 190}, "url", "at most 200 characters"),
        ({"comment": "y" * 65_526}, "comment", "under 65,525 characters"),
    ],
)
@pytest.mark.parametrize("headers", [HX, {}], ids=["htmx", "plain"])
def test_invalid_keeps_everything_typed(client, post, overrides, field, message, headers):
    data = fields(client, post, **overrides)
    response = client.post(f"/posts/{post.slug}/comments", data=data, headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert ("<html" in html) is (not headers)
    assert message in html
    assert f'id="{field}-error"' in html
    assert 'aria-invalid="true"' in html
    assert (
        f'aria-describedby="{field}-error"' in html
        or f'aria-describedby="email-notes {field}-error"' in html
        or f'aria-describedby="comment-format-note {field}-error"' in html
    )
    assert f'href="#{field}"' in html  # the summary links to the field
    for name in ("comment", "author", "email", "url"):
        if data[name] and name != field:
            assert data[name] in html
    if field != "comment":
        assert TEXT in html
    assert count() == 0


def test_website_without_scheme_gets_https(client, make, post):
    approve_email(make, post)
    client.post(f"/posts/{post.slug}/comments", data=fields(client, post, url="rosa.example.org"))
    comment = db.session.scalars(select(Comment).where(Comment.body == TEXT)).one()
    assert comment.author_url == "https://rosa.example.org"


@pytest.mark.parametrize("headers", [HX, {}], ids=["htmx", "plain"])
def test_flood_gets_429_with_form_kept(app, client, post, headers):
    app.config["COMMENT_FLOOD_SECONDS"] = 15
    first = client.post(f"/posts/{post.slug}/comments", data=fields(client, post), headers=headers)
    assert first.status_code in (200, 303)
    again = fields(client, post, comment="A second thought, straight away.")
    response = client.post(f"/posts/{post.slug}/comments", data=again, headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "You are posting comments too quickly. Slow down." in html
    assert 1 <= int(response.headers["Retry-After"]) <= 15
    assert "A second thought, straight away." in html
    assert count() == 1


def test_flood_matches_email_from_another_ip(app, client, post):
    app.config["COMMENT_FLOOD_SECONDS"] = 15
    client.post(f"/posts/{post.slug}/comments", data=fields(client, post))
    data = fields(client, post, comment="From elsewhere")
    response = client.post(
        f"/posts/{post.slug}/comments", data=data, environ_base={"REMOTE_ADDR": "10.9.8.7"}
    )
    assert response.status_code == 429


def test_flood_interval_passes(app, client, post):
    app.config["COMMENT_FLOOD_SECONDS"] = 15
    client.post(f"/posts/{post.slug}/comments", data=fields(client, post))
    earlier = now_utc() - timedelta(seconds=16)
    for comment in db.session.scalars(select(Comment)):
        comment.created_at = earlier
    db.session.commit()
    data = fields(client, post, comment="Later thought")
    assert client.post(f"/posts/{post.slug}/comments", data=data).status_code == 303


@pytest.mark.parametrize("headers", [HX, {}], ids=["htmx", "plain"])
def test_duplicate_gets_409_with_form_kept(client, post, headers):
    client.post(f"/posts/{post.slug}/comments", data=fields(client, post), headers=headers)
    response = client.post(
        f"/posts/{post.slug}/comments", data=fields(client, post), headers=headers
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Duplicate comment detected; it looks as though you\u2019ve already said that!" in html
    assert TEXT in html
    assert count() == 1


@pytest.mark.parametrize("headers", [HX, {}], ids=["htmx", "plain"])
def test_closed_post_shows_no_form_and_refuses_posts(client, make, headers):
    post = make.post("Closed one", comments_open=False)
    page = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "Comments are closed." in page
    assert "Leave a Reply" not in page
    response = client.post(
        f"/posts/{post.slug}/comments", data=fields(client, post), headers=headers
    )
    assert response.status_code == 403
    assert "Comments are closed." in response.get_data(as_text=True)
    assert count() == 0


def test_comments_close_after_configured_days(app, client, make):
    app.config["COMMENT_CLOSE_AFTER_DAYS"] = 14
    old = make.post("Old news", published_at=now_utc() - timedelta(days=15))
    fresh = make.post("Fresh news", published_at=now_utc() - timedelta(days=13))
    assert "Comments are closed." in client.get(f"/posts/{old.slug}").get_data(as_text=True)
    assert "Leave a Reply" in client.get(f"/posts/{fresh.slug}").get_data(as_text=True)
    assert client.post(f"/posts/{old.slug}/comments", data=fields(client, fresh)).status_code == 403


@pytest.mark.parametrize("headers", [HX, {}], ids=["htmx", "plain"])
def test_honeypot_goes_to_spam_silently(client, post, headers):
    data = fields(client, post, homepage="http://spam.example")
    response = client.post(f"/posts/{post.slug}/comments", data=data, headers=headers)
    assert response.status_code in (200, 303)
    comment = db.session.scalars(select(Comment)).one()
    assert comment.status == "spam"
    assert "trap field" in comment.moderation_reason
    page = client.get(response.headers.get("Location", f"/posts/{post.slug}")).get_data(
        as_text=True
    )
    if headers:
        page = response.get_data(as_text=True)
    assert "Your comment is awaiting moderation." in page
    # Nobody else sees it.
    other = client.application.test_client()
    assert TEXT not in other.get(f"/posts/{post.slug}").get_data(as_text=True)


@pytest.mark.parametrize("headers", [HX, {}], ids=["htmx", "plain"])
def test_too_fast_goes_to_spam_silently(app, client, post, headers):
    app.config["COMMENT_MIN_SECONDS"] = 3
    response = client.post(
        f"/posts/{post.slug}/comments", data=fields(client, post), headers=headers
    )
    assert response.status_code in (200, 303)
    comment = db.session.scalars(select(Comment)).one()
    assert comment.status == "spam"
    assert "after the form was shown" in comment.moderation_reason


def test_missing_or_forged_stamp_is_spam(client, post):
    client.post(f"/posts/{post.slug}/comments", data=fields(client, post, stamp="forged.value"))
    comment = db.session.scalars(select(Comment)).one()
    assert comment.status == "spam"
    assert "timestamp" in comment.moderation_reason


def test_slow_enough_form_is_not_spam(app, client, post, monkeypatch):
    app.config["COMMENT_MIN_SECONDS"] = 3
    data = fields(client, post)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 5)
    client.post(f"/posts/{post.slug}/comments", data=data)
    assert db.session.scalars(select(Comment)).one().status == "pending"


def test_two_links_are_held(client, make, post):
    approve_email(make, post)
    text = "See https://one.example and https://two.example"
    client.post(f"/posts/{post.slug}/comments", data=fields(client, post, comment=text))
    comment = db.session.scalars(select(Comment).where(Comment.body == text)).one()
    assert comment.status == "pending"
    assert "2 links" in comment.moderation_reason


def test_moderation_and_disallowed_words(app, client, make, post):
    app.config.update(COMMENT_MODERATION_WORDS=["bargain"], COMMENT_DISALLOWED_WORDS=["casino"])
    approve_email(make, post)
    client.post(f"/posts/{post.slug}/comments", data=fields(client, post, comment="A bargain!"))
    client.post(f"/posts/{post.slug}/comments", data=fields(client, post, comment="Try the casino"))
    held = db.session.scalars(select(Comment).where(Comment.body == "A bargain!")).one()
    spam = db.session.scalars(select(Comment).where(Comment.body == "Try the casino")).one()
    assert held.status == "pending" and "bargain" in held.moderation_reason
    assert spam.status == "spam" and "casino" in spam.moderation_reason


def test_moderation_modes(app, client, make, post):
    app.config["COMMENT_MODERATION"] = "none"
    client.post(f"/posts/{post.slug}/comments", data=fields(client, post))
    assert db.session.scalars(select(Comment)).one().status == "approved"
    app.config["COMMENT_MODERATION"] = "all"
    approve_email(make, post, "other@example.org")
    data = fields(client, post, email="other@example.org", comment="Held anyway")
    client.post(f"/posts/{post.slug}/comments", data=data)
    held = db.session.scalars(select(Comment).where(Comment.body == "Held anyway")).one()
    assert held.status == "pending"


# --- CSRF ---------------------------------------------------------------------------------------


# Readers' posts carry no token (tests/integration/web/test_forgery.py); a signed-in author's
# do, and a missing or expired one must not cost them their text.


@pytest.fixture
def csrf_client(app, admin, client):
    admin.login()  # CSRF is still off for the sign-in itself
    app.config["WTF_CSRF_ENABLED"] = True
    return client


def author_fields(client, post, **overrides) -> dict:
    html = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    data = {
        "comment": TEXT,
        "stamp": re.search(r'name="stamp" value="([^"]+)"', html).group(1),
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html).group(1),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize("headers", [HX, {}], ids=["htmx", "plain"])
def test_csrf_missing_keeps_text(csrf_client, post, headers):
    data = author_fields(csrf_client, post, csrf_token=None)
    response = csrf_client.post(f"/posts/{post.slug}/comments", data=data, headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == (422 if headers else 400)
    assert "Your session expired \u2014 press Post Comment again." in html
    assert TEXT in html
    assert 'name="csrf_token" value="' in html
    assert count() == 0


def test_csrf_expired_then_retry_posts_once(app, csrf_client, post, monkeypatch):
    data = author_fields(csrf_client, post)
    old_token = data["csrf_token"]
    app.config["WTF_CSRF_TIME_LIMIT"] = 1
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 5)
    response = csrf_client.post(f"/posts/{post.slug}/comments", data=data, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Your session expired" in html
    assert TEXT in html
    new_token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert new_token != old_token
    # The retries below are about duplicates, not about time: a second on a busy machine must
    # not expire the new token too.
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    data["csrf_token"] = new_token
    data["stamp"] = re.search(r'name="stamp" value="([^"]+)"', html).group(1)
    retry = csrf_client.post(f"/posts/{post.slug}/comments", data=data, headers=HX)
    assert retry.status_code == 200
    again = csrf_client.post(f"/posts/{post.slug}/comments", data=data, headers=HX)
    assert again.status_code == 409
    assert count() == 1


def test_csrf_valid_token_in_form_is_accepted(csrf_client, post):
    data = author_fields(csrf_client, post)
    assert csrf_client.post(f"/posts/{post.slug}/comments", data=data).status_code == 303


@pytest.mark.parametrize(
    ("name", "email", "status"),
    [
        ("Rosa Reader", "rosa@example.org", "approved"),
        ("rosa reader", "ROSA@example.org", "approved"),  # case does not matter, as in WordPress
        ("Mallory Mask", "rosa@example.org", "pending"),  # her email under another name
        ("Rosa Reader", "mallory@example.org", "pending"),  # her name with another email
    ],
)
def test_first_time_rule_needs_name_and_email_of_an_approved_comment(
    client, make, post, name, email, status
):
    approve_reader(make, post)  # Rosa Reader, rosa@example.org
    client.post(f"/posts/{post.slug}/comments", data=fields(client, post, author=name, email=email))
    comment = db.session.scalars(select(Comment).where(Comment.body == TEXT)).one()
    assert comment.status == status
