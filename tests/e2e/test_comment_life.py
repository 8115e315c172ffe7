"""A comment's life in a real Chromium: a thread survives moderation, links on later comment pages
land, "show new comments" and closing comments never take what a reader typed, and a signed-in
author comments as themselves."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from blog.comments import lifecycle
from blog.extensions import db
from blog.models import Comment, Post
from tests.e2e.helpers import (
    ARTICLE,
    DISPLAY_NAME,
    FAST_POSTING,
    POSTED,
    SLUG,
    add_comment,
    assert_no_page_errors,
    comment_in_thread,
    comments,
    field,
    fill_form,
    post_button,
)

pytestmark = pytest.mark.app_config(**FAST_POSTING, COMMENT_MODERATION="none")
REMOVED = "This comment was removed."
TYPED = "Half-way through a careful reply about the opening hours"


def moderate(app, comment_id: int, action: str) -> None:
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        lifecycle.moderate(comment, action, lifecycle.Actor("a test", moderator=True))
        db.session.commit()


def many_comments(app, count: int) -> list[int]:
    return [add_comment(app, f"Reader {n}", f"r{n}@example.org", f"Note {n}") for n in range(count)]


@pytest.mark.parametrize("action", ["trash", "spam", "unapprove", "delete"])
def test_fresh_visitor_sees_replies_of_a_removed_comment(page, live_app, action):
    parent = add_comment(live_app, "Pat Parent", "pat@example.org", "The parent comment")
    reply = add_comment(live_app, "Rae Reply", "rae@example.org", "A reply", parent_id=parent)
    deeper = add_comment(live_app, "Gus Grand", "gus@example.org", "Deeper", parent_id=reply)
    moderate(live_app, parent, action)
    page.goto(ARTICLE)
    expect(page.locator(f"#comment-{parent}")).to_have_text(REMOVED)
    expect(page.locator(f"#children-{parent} #comment-{reply}")).to_be_visible()
    expect(page.locator(f"#children-{reply} #comment-{deeper}")).to_be_visible()
    expect(page.get_by_text("Pat Parent")).to_have_count(0)
    shown = page.locator("article.comment-body").count()
    expect(page.locator("#comments-title")).to_contain_text(f"{shown} thoughts")
    assert_no_page_errors(page)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_reply_on_comment_page_two_lands_there(new_page, live_app, javascript):
    ids = many_comments(live_app, 55)  # the demo article has a few more: page 2 exists
    page = new_page(java_script_enabled=javascript)
    page.goto(f"{ARTICLE}?cpage=2")
    target = ids[-2]
    expect(page.locator(f"#comment-{target}")).to_be_visible()
    permalink = page.locator(f"#comment-{target} .comment-permalink")
    assert permalink.get_attribute("href").endswith(f"?cpage=2#comment-{target}")
    page.get_by_role("link", name=f"Reply to Reader {len(ids) - 2}").click()
    form = page.locator(f"#reply-slot-{target} #respond")
    expect(form).to_be_visible()
    expect(page.locator("#reply-title")).to_contain_text(f"Leave a Reply to Reader {len(ids) - 2}")
    fill_form(page, "Replying on page two", "Rosa Reader", "rosa@example.org")
    post_button(page).click()
    expect(comment_in_thread(page, "Replying on page two")).to_be_visible()
    assert "cpage=1" not in page.url
    if not javascript:
        assert re.search(r"cpage=2#comment-\d+$", page.url)
    [reply] = comments(live_app, body="Replying on page two")
    assert reply.parent_id == target
    expect(page.locator(f"#children-{target} #comment-{reply.id}")).to_be_visible()
    assert_no_page_errors(page)


@pytest.mark.app_config(**FAST_POSTING, COMMENT_MODERATION="none", COMMENT_POLL_SECONDS=1)
def test_show_new_comments_keeps_the_page_and_the_open_reply(page, live_app):
    ids = many_comments(live_app, 55)
    page.goto(f"{ARTICLE}?cpage=2")
    target = ids[-1]
    page.get_by_role("link", name=f"Reply to Reader {len(ids) - 1}").click()
    expect(page.locator(f"#reply-slot-{target} #respond")).to_be_visible()
    field(page, "Comment").fill(TYPED)
    newcomer = add_comment(
        live_app, "Nell New", "nell@example.org", "Arrived meanwhile", parent_id=ids[-3]
    )
    banner = page.get_by_role("link", name=re.compile("1 new comment"))
    expect(banner).to_be_visible(timeout=10_000)
    banner.click()
    expect(page.locator(f"#comment-{newcomer}")).to_be_visible()
    expect(page.locator(f"#reply-slot-{target} #respond")).to_be_visible()
    expect(field(page, "Comment")).to_have_value(TYPED)
    assert "cpage=2" in page.url
    expect(page.locator(f"#comment-{ids[0]}")).to_have_count(0)  # still page 2, not page 1
    assert_no_page_errors(page)


def test_closing_comments_while_typing_keeps_the_text(page, live_app):
    page.goto(ARTICLE)
    fill_form(page, TYPED, "Rosa Reader", "rosa@example.org")
    with live_app.app_context():
        db.session.query(Post).filter_by(slug=SLUG).one().comments_open = False
        db.session.commit()
    post_button(page).click()
    expect(page.locator("#respond .error-summary")).to_contain_text("Comments are closed.")
    expect(page.locator("#comment-status")).to_have_text("Comments are closed.")
    expect(field(page, "Comment")).to_have_value(TYPED)
    expect(field(page, "Name")).to_have_value("Rosa Reader")
    assert_no_page_errors(page, expected_statuses=(403,))


def test_signed_in_author_comments_with_badge(admin_page, live_app):
    page = admin_page
    page.goto(ARTICLE)
    expect(page.locator(".logged-in-as")).to_contain_text(f"Logged in as {DISPLAY_NAME}.")
    expect(field(page, "Email")).to_have_count(0)  # the comment form asks no address (Follow does)
    field(page, "Comment").fill("Thanks for reading, everyone.")
    post_button(page).click()
    expect(page.locator("#comment-status")).to_have_text(POSTED)
    mine = comment_in_thread(page, "Thanks for reading, everyone.")
    expect(mine).to_be_visible()
    [comment] = comments(live_app, body="Thanks for reading, everyone.")
    assert comment.status == "approved" and comment.author_id is not None
    expect(page.locator(f"#comment-{comment.id} .badge")).to_have_text("Author")
    assert_no_page_errors(page)
