"""Cross-site request forgery after the public pages lost their per-reader token (#24, part 1).

Readers without an account are checked by Sec-Fetch-Site and Origin (blog/web/forgery.py);
whoever is signed in needs Flask-WTF's session token as well; the one-click unsubscribe needs
neither (its token is in the URL). The real browser's side is tests/e2e/test_cross_origin.py.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from blog.extensions import db
from blog.models import Comment, Subscription
from tests.helpers import PASSWORD, TEXT, fields


@pytest.fixture
def post(app, make, fast_posting):
    app.config.update(WTF_CSRF_ENABLED=True, COMMENT_MODERATION="none")
    return make.post("Town hall opens its doors")


def stored() -> int:
    return db.session.scalar(select(func.count(Comment.id)))


REFUSED = [
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},  # a sibling subdomain may be anyone's
    {"Origin": "https://evil.example"},
    {"Origin": "null"},  # a sandboxed frame, a data: page
    {"Origin": "http://localhost:99999"},  # not even a port
    # Sec-Fetch-Site wins over an Origin that looks right.
    {"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost"},
]


@pytest.mark.parametrize("headers", REFUSED)
def test_a_reader_post_from_elsewhere_is_refused_and_stores_nothing(client, post, headers):
    before = stored()
    for extra in ({}, {"HX-Request": "true"}):
        answer = client.post(
            f"/posts/{post.slug}/comments", data=fields(client, post), headers=headers | extra
        )
        assert answer.status_code == 403
        assert "sent from another website" in answer.get_data(as_text=True)
    assert stored() == before
    follow = client.post(
        f"/posts/{post.slug}/follow", data={"follow-email": "x@example.org"}, headers=headers
    )
    assert follow.status_code == 403
    assert db.session.scalar(select(func.count(Subscription.id))) == 0


ACCEPTED = [
    {"Sec-Fetch-Site": "same-origin"},
    {"Sec-Fetch-Site": "none"},  # typed or bookmarked: not a page's doing
    {"Origin": "http://localhost"},  # an older browser: the site's own origin
    {},  # no browser page sent this (a script needs no victim's browser to comment)
]


@pytest.mark.parametrize("headers", ACCEPTED)
def test_a_reader_post_from_the_site_itself_needs_no_token(client, post, headers):
    page = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "csrf_token" not in page
    answer = client.post(f"/posts/{post.slug}/comments", data=fields(client, post), headers=headers)
    assert answer.status_code == 303
    assert stored() == 1


def test_site_url_and_trusted_origins_name_the_accepted_origins(app, client, post):
    app.config.update(SITE_URL="https://news.example", TRUSTED_HOSTS=[])
    site = {"Origin": "https://news.example"}
    url = f"/posts/{post.slug}/comments"
    assert client.post(url, data=fields(client, post), headers=site).status_code == 303
    other = {"Origin": "https://www.news.example"}
    data = fields(client, post, comment="Another one")
    assert client.post(url, data=data, headers=other).status_code == 403
    app.config["CSRF_TRUSTED_ORIGINS"] = ["https://www.news.example/"]
    assert client.post(url, data=data, headers=other).status_code == 303


def test_a_signed_in_author_still_needs_the_session_token(app, client, post, admin):
    login = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
    signed_in = client.post(
        "/admin/login", data={"username": "editor", "password": PASSWORD, "csrf_token": token}
    )
    assert signed_in.status_code == 303
    article = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert 'name="csrf_token"' in article  # their page is rendered for them, with the token
    same = {"Sec-Fetch-Site": "same-origin"}
    url = f"/posts/{post.slug}/comments"
    without = client.post(url, data={"comment": TEXT, "stamp": ""}, headers=same)
    assert without.status_code == 400  # the token is missing: refused, the text kept
    assert TEXT in without.get_data(as_text=True)
    assert stored() == 0
    own = re.search(r'name="csrf_token" value="([^"]+)"', article).group(1)
    data = {"comment": TEXT, "stamp": "", "csrf_token": own}
    # Even with the right token, a post from another site is refused.
    assert client.post(url, data=data, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert client.post(url, data=data, headers=same).status_code == 303
    assert stored() == 1
