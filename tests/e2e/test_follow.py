"""Following an article's comments by email in a real Chromium: the follow form and the
"Notify me" box, with JavaScript (the answer in place) and without (a whole page)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from blog.extensions import db
from blog.models import Subscription
from tests.e2e.helpers import ARTICLE, FAST_POSTING, assert_no_page_errors, fill_form, post_button

# Issue #23's features, on both databases in CI.
pytestmark = pytest.mark.both_databases

ASKED = "Check your inbox"
NOTIFY = "Notify me of follow-up comments by email."


def follow(page, email: str) -> None:
    page.get_by_role("textbox", name="Your email", exact=True).fill(email)
    page.get_by_role("button", name="Follow", exact=True).click()


@pytest.mark.app_config(**FAST_POSTING, COMMENT_MODERATION="none")
def test_follow_form_and_notify_box_with_and_without_javascript(new_page, live_app):
    # JavaScript on: the follow form answers in place, the page stays.
    page = new_page()
    page.goto(ARTICLE)
    page.evaluate("window.__marker = 42")
    follow(page, "fan@example.org")
    expect(page.locator("#follow")).to_contain_text(ASKED)
    assert page.evaluate("window.__marker") == 42

    # JavaScript on: the box ticked under the comment form; the follow form's place says it.
    fill_form(page, "Count me in for the next workshop.", "Cleo", "cleo@example.org")
    page.get_by_role("checkbox", name=NOTIFY).check()
    post_button(page).click()
    expect(page.locator("#comment-list")).to_contain_text("Count me in for the next workshop.")
    expect(page.locator("#follow")).to_contain_text(ASKED)
    assert page.evaluate("window.__marker") == 42
    assert_no_page_errors(page)

    # JavaScript off: each answers a whole page with the message.
    plain = new_page(java_script_enabled=False)
    plain.goto(ARTICLE)
    follow(plain, "reader@example.org")
    expect(plain.get_by_role("heading", level=1)).to_contain_text("Follow the comments")
    expect(plain.locator("#follow")).to_contain_text(ASKED)
    plain.goto(ARTICLE)
    fill_form(plain, "Following without scripts.", "Dan", "dan@example.org")
    plain.get_by_role("checkbox", name=NOTIFY).check()
    post_button(plain).click()
    expect(plain.locator("#follow")).to_contain_text(ASKED)
    plain.get_by_role("link", name="See your comment").click()
    expect(plain.locator("#comment-list")).to_contain_text("Following without scripts.")

    with live_app.app_context():
        asked = db.session.scalars(select(Subscription.email).order_by(Subscription.email)).all()
        assert asked == [
            "cleo@example.org",
            "dan@example.org",
            "fan@example.org",
            "reader@example.org",
        ]
        assert set(db.session.scalars(select(Subscription.status))) == {"pending"}
