"""Following an article's comments by email, end to end through the outbox and a real SMTP
server (aiosmtpd): asking, the confirmation, notices, one-click unsubscribe, the limits."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from blog.extensions import db
from blog.mail.outbox import sender
from blog.models import Comment, Subscription
from tests.helpers import approve_reader, fields

ASKED = "Check your inbox"
ONE_CLICK = "List-Unsubscribe=One-Click"


@pytest.fixture
def post(make, app):
    app.config.update(RATELIMIT_ENABLED=False, FOLLOW_NOTICE_MINUTES=0)
    author = make.author("writer", email="writer@example.org")
    return make.post("Bridge reopens", author=author)


def sent(app, inbox, start=0):
    assert sender(app).wait_idle()
    return inbox.messages[start:]


def to(messages, address):
    return [m for m in messages if m["To"] == address]


def link(message, pattern):
    found = re.search(pattern + r"\s*\n?(https?://\S+)", message.get_content())
    assert found, message.get_content()
    return found.group(1).replace("http://localhost", "")


def comment_by(client, post, name, email, text, request=None, **extra):
    response = client.post(
        f"/posts/{post.slug}/comments",
        data=fields(client, post, author=name, email=email, comment=text, **extra),
        **(request or {}),
    )
    assert response.status_code in (200, 303), response.get_data(as_text=True)
    return response


def test_follow_confirm_notice_and_one_click_unsubscribe(app, client, inbox, post, make):
    answer = client.post(f"/posts/{post.slug}/follow", data={"follow-email": "Fan@Example.org"})
    assert answer.status_code == 200 and ASKED in answer.get_data(as_text=True)
    (confirmation,) = sent(app, inbox)
    assert confirmation["To"] == "fan@example.org"
    assert "Bridge reopens" in confirmation["Subject"]
    assert confirmation["List-Unsubscribe-Post"] == ONE_CLICK
    assert re.fullmatch(
        r"<http://localhost/follow/unsubscribe/\S+>", confirmation["List-Unsubscribe"].strip()
    )

    # Nothing but the confirmation before the link is followed.
    approve_reader(make, post, "Bea", "bea@example.org")
    comment_by(client, post, "Bea", "bea@example.org", "Before you confirmed.")
    assert to(sent(app, inbox, 1), "fan@example.org") == []

    # The link's GET only shows the button (mail scanners fetch links); the POST confirms.
    confirm = link(confirmation, "button\\):")
    page = app.test_client().get(confirm)
    assert page.status_code == 200 and "Confirm" in page.get_data(as_text=True)
    assert db.session.scalar(select(Subscription.status)) == "pending"
    assert app.test_client().post(confirm).status_code == 200
    assert db.session.scalar(select(Subscription.status)) == "confirmed"

    # Another reader's approved comment: one notice, with the one-click headers, no address.
    before = len(sent(app, inbox))
    comment_by(client, post, "Bea", "bea@example.org", "The bridge is open again!")
    (notice,) = to(sent(app, inbox, before), "fan@example.org")
    body = notice.get_content()
    assert "Bea" in body and "The bridge is open again!" in body
    assert "bea@example.org" not in body
    assert notice["List-Unsubscribe-Post"] == ONE_CLICK
    one_click = notice["List-Unsubscribe"].strip().strip("<>").replace("http://localhost", "")

    # A held comment says nothing until a moderator approves it (here through the author's
    # one-click moderation link, which goes through lifecycle.moderate like every route).
    before = len(sent(app, inbox))
    comment_by(client, post, "Newcomer", "new@example.org", "First time here.")
    (please,) = to(sent(app, inbox, before), "writer@example.org")
    assert to(sent(app, inbox, before), "fan@example.org") == []
    approve = link(please, "Approve it:")
    assert app.test_client().post(approve).status_code == 200
    (held_notice,) = to(sent(app, inbox, before), "fan@example.org")
    assert "First time here." in held_notice.get_content()

    # The follower's own comment (any case) is never announced to them.
    approve_reader(make, post, "Fan", "fan@example.org")
    before = len(sent(app, inbox))
    comment_by(client, post, "Fan", "FAN@example.ORG", "Thanks for the news.")
    assert to(sent(app, inbox, before), "fan@example.org") == []

    # RFC 8058: the provider's POST, no session, no CSRF token; then no more notices.
    done = app.test_client().post(
        one_click, data=ONE_CLICK, content_type="application/x-www-form-urlencoded"
    )
    assert done.status_code == 200
    assert db.session.scalar(select(Subscription)) is None
    before = len(sent(app, inbox))
    comment_by(client, post, "Bea", "bea@example.org", "Anyone still here?")
    assert to(sent(app, inbox, before), "fan@example.org") == []


def test_ticking_the_box_and_the_limits(app, client, inbox, post, make):
    # htmx: the comment is posted, and the follow form's place says to look in the inbox.
    approve_reader(make, post, "Cleo", "cleo@example.org")
    posted = comment_by(
        client,
        post,
        "Cleo",
        "cleo@example.org",
        "Following this one.",
        notify="y",
        request={"headers": {"HX-Request": "true"}},
    )
    html = posted.get_data(as_text=True)
    assert 'id="follow"' in html and 'hx-swap-oob="true"' in html and ASKED in html
    (confirmation,) = to(sent(app, inbox), "cleo@example.org")
    assert "Confirm" in confirmation["Subject"]
    # Her own comment, posted with the box ticked, never comes back to her.
    assert db.session.scalar(select(Comment.author_email)) == "cleo@example.org"

    # Asking again: the same answer, no second email (one per address and article a day).
    again = client.post(f"/posts/{post.slug}/follow", data={"follow-email": "cleo@example.org"})
    assert ASKED in again.get_data(as_text=True)
    assert len(to(sent(app, inbox), "cleo@example.org")) == 1

    # Site-wide: FOLLOW_CONFIRMATIONS_PER_HOUR (3) per address, whatever the article.
    articles = [make.post(f"Article {n}") for n in range(4)]
    for article in articles:
        answer = client.post(
            f"/posts/{article.slug}/follow",
            data={"follow-email": "cleo@example.org"},
            headers={"HX-Request": "true"},
        )
        assert answer.status_code == 200 and ASKED in answer.get_data(as_text=True)
    assert len(to(sent(app, inbox), "cleo@example.org")) == 3  # the first article's, 2 more

    # Without JavaScript the box answers a whole page with the message and the comment's link.
    approve_reader(make, post, "Dan", "dan@example.org")
    page = comment_by(client, post, "Dan", "dan@example.org", "Me too.", notify="y")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and ASKED in text and "See your comment" in text
    assert "<html" in text.lower()
    assert "dan@example.org" not in text  # the address is never shown back on a page
    assert len(to(sent(app, inbox), "dan@example.org")) == 1

    # A bad address: the message beside the field, what was typed kept.
    bad = client.post(f"/posts/{post.slug}/follow", data={"follow-email": "not an address"})
    assert bad.status_code == 422
    assert "valid email address" in bad.get_data(as_text=True)
    assert 'value="not an address"' in bad.get_data(as_text=True)


def test_many_comments_at_once_make_one_notice_then_a_count(app, client, inbox, post, make):
    app.config.update(FOLLOW_NOTICE_MINUTES=10)
    db.session.add(Subscription(post_id=post.id, email="fan@example.org", status="confirmed"))
    db.session.commit()
    approve_reader(make, post, "Bea", "bea@example.org")
    for n in range(3):
        comment_by(client, post, "Bea", "bea@example.org", f"Burst {n}")
    assert [m.get_content().count("Burst") for m in to(sent(app, inbox), "fan@example.org")] == [1]
    subscription = db.session.scalar(select(Subscription))
    assert subscription.unannounced == 2
    subscription.last_notice_at -= timedelta(minutes=11)
    db.session.commit()
    comment_by(client, post, "Bea", "bea@example.org", "After the pause")
    notices = to(sent(app, inbox), "fan@example.org")
    assert len(notices) == 2
    assert "2 more comments were published" in notices[1].get_content()


def test_unsubscribe_links_need_their_token_and_csrf_except_the_one_click_body(app, client, post):
    app.config.update(WTF_CSRF_ENABLED=True)
    subscription = Subscription(post_id=post.id, email="fan@example.org", status="confirmed")
    db.session.add(subscription)
    db.session.commit()
    with app.test_request_context():
        from blog.comments.subscriptions import token

        good = token(subscription, "unsubscribe")
        confirm_token = token(subscription, "confirm")
    url = f"/follow/unsubscribe/{good}"
    browser = app.test_client()
    # Anything but the exact one-click body is a form post that needs its CSRF token.
    for body in (f"{ONE_CLICK}&more=1", "List-Unsubscribe=Yes", ""):
        refused = browser.post(url, data=body, content_type="application/x-www-form-urlencoded")
        assert refused.status_code == 400, body
    # A token for another purpose, or one whose row's secret changed, does nothing.
    assert (
        browser.post(
            f"/follow/unsubscribe/{confirm_token}", data={"List-Unsubscribe": "One-Click"}
        ).status_code
        == 404
    )
    secret = subscription.secret
    subscription.secret = "0" * 16  # as for a later row that got the same id
    db.session.commit()
    assert browser.post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert db.session.scalar(select(Subscription.id)) == subscription.id  # untouched
    subscription.secret = secret
    db.session.commit()
    page = browser.get(url)
    assert page.status_code == 200 and "Unsubscribe" in page.get_data(as_text=True)
    assert "fan@example.org" not in page.get_data(as_text=True)
    assert db.session.scalar(select(Subscription.id)) == subscription.id
    # The page's button, with the form's token.
    token_value = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    done = browser.post(url, data={"csrf_token": token_value.group(1)})
    assert done.status_code == 200 and "Unsubscribed" in done.get_data(as_text=True)
    assert db.session.scalar(select(Subscription)) is None
    # The same link again: the row is gone, still a calm answer (and multipart works too).
    again = browser.post(
        url, data={"List-Unsubscribe": "One-Click"}, content_type="multipart/form-data"
    )
    assert again.status_code == 200


def test_admin_lists_filters_and_removes_subscriptions(app, client, admin, post, make):
    other = make.post("Another article")
    db.session.add_all(
        [
            Subscription(post_id=post.id, email="fan@example.org", status="confirmed"),
            Subscription(post_id=post.id, email="maybe@example.org", status="pending"),
            Subscription(post_id=other.id, email="elsewhere@example.org", status="confirmed"),
        ]
    )
    db.session.commit()
    # Readers never see an address on the article.
    article = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "fan@example.org" not in article and 'id="follow"' in article
    admin.login()
    listing = client.get("/admin/subscriptions").get_data(as_text=True)
    assert 'href="/admin/subscriptions"' in listing  # in the admin menu
    assert all(
        address in listing
        for address in ("fan@example.org", "maybe@example.org", "elsewhere@example.org")
    )
    confirmed_here = client.get(f"/admin/subscriptions?post={post.id}&status=confirmed")
    text = confirmed_here.get_data(as_text=True)
    assert "fan@example.org" in text
    assert "maybe@example.org" not in text and "elsewhere@example.org" not in text
    fan = db.session.scalar(select(Subscription.id).where(Subscription.email == "fan@example.org"))
    removed = client.post(
        f"/admin/subscriptions/{fan}/remove", data={"post": str(post.id), "status": "confirmed"}
    )
    assert removed.status_code == 303
    assert removed.location.endswith(f"/admin/subscriptions?post={post.id}&status=confirmed")
    assert db.session.scalars(select(Subscription.email).order_by(Subscription.email)).all() == [
        "elsewhere@example.org",
        "maybe@example.org",
    ]
