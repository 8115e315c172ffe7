"""Readers commenting in a real Chromium, with JavaScript on (htmx) and off (plain forms).

Each test is one reader's story on a seeded demo article: post, get a mistake shown in place,
reply in a thread, wait for moderation, edit for a while, post with the keyboard alone, and
survive an expired session. Every test ends by checking that the page logged no console error
and no Content-Security-Policy violation.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    ARTICLE,
    AWAITING,
    FAST_POSTING,
    POSTED,
    active_id,
    add_approved_comment,
    approve,
    assert_no_page_errors,
    comment_count,
    comment_in_thread,
    comments,
    expect_focus_on_comment,
    field,
    fill_form,
    post_button,
)

pytestmark = pytest.mark.app_config(**FAST_POSTING)

TEXT = "The tool shelf lent me a drill for my balcony planters. Thank you!"
NAME = "Rosa Reader"
EMAIL = "rosa@example.org"
MODERATION_OFF = pytest.mark.app_config(COMMENT_MODERATION="none")


def countdown_seconds(text: str) -> int:
    minutes, seconds = re.fullmatch(r"(\d+):(\d\d)", text.strip()).groups()
    return int(minutes) * 60 + int(seconds)


# --- posting ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status_line",
    [
        pytest.param(POSTED, marks=MODERATION_OFF, id="approved"),
        pytest.param(AWAITING, id="held"),  # first comment from this email: held by default
    ],
)
def test_post_with_javascript_without_reload(page, live_app, status_line):
    page.goto(ARTICLE)
    page.evaluate("window.__marker = 42")
    fill_form(page, TEXT, NAME, EMAIL)
    post_button(page).click()

    expect(comment_in_thread(page, TEXT)).to_have_count(1)
    expect(page.locator("#comment-status")).to_have_text(status_line)
    for name in ("Comment", "Name", "Email"):
        expect(field(page, name)).to_have_value("")
    assert page.evaluate("window.__marker") == 42, "the page was reloaded"

    [saved] = comments(live_app)
    assert saved.body == TEXT
    expect_focus_on_comment(page, saved.id)
    held = comment_in_thread(page, TEXT).locator(".awaiting-moderation")
    expect(held).to_have_count(0 if status_line == POSTED else 1)
    assert_no_page_errors(page)


def test_post_without_javascript_lands_on_the_comment(new_page, live_app):
    page = new_page(java_script_enabled=False)
    page.goto(ARTICLE)
    fill_form(page, TEXT, NAME, EMAIL)
    post_button(page).click()

    page.wait_for_url(re.compile(r"#comment-\d+$"))
    [saved] = comments(live_app)
    assert page.url.endswith(f"{ARTICLE}#comment-{saved.id}")
    shown = page.locator(f"#comment-{saved.id}")
    expect(shown).to_contain_text(TEXT)
    # Held (a first comment), yet shown to its poster, with the notice.
    expect(shown.locator(".awaiting-moderation")).to_have_text(AWAITING)
    assert_no_page_errors(page)


# --- mistakes are shown in place and nothing typed is lost ---------------------------------------


def test_invalid_email_is_explained_in_place_with_javascript(page, live_app):
    page.goto(ARTICLE)
    page.evaluate("window.__marker = 42")
    fill_form(page, TEXT, NAME, "rosa@nowhere")
    email = field(page, "Email")
    # The browser's own check lets this address through; only the server refuses it.
    assert email.evaluate("input => input.checkValidity()") is True
    post_button(page).click()

    error = page.locator("#email-error")
    expect(error).to_contain_text("Please enter a valid email address")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_attribute("aria-describedby", re.compile(r"\bemail-error\b"))
    expect(email).to_be_focused()
    expect(email).to_have_value("rosa@nowhere")
    expect(field(page, "Comment")).to_have_value(TEXT)
    expect(field(page, "Name")).to_have_value(NAME)
    expect(page.locator(".error-summary")).to_contain_text("Email:")
    assert page.evaluate("window.__marker") == 42, "the page was reloaded"
    assert comment_count(live_app) == 0

    email.fill(EMAIL)
    post_button(page).click()
    expect(page.locator("#comment-status")).to_have_text(AWAITING)
    expect(comment_in_thread(page, TEXT)).to_have_count(1)
    expect(page.locator("#email-error")).to_have_count(0)
    assert page.evaluate("window.__marker") == 42
    assert comment_count(live_app) == 1
    assert_no_page_errors(page, expected_statuses=(422,))


def test_invalid_email_without_javascript_shows_the_page_again(new_page, live_app):
    page = new_page(java_script_enabled=False)
    page.goto(ARTICLE)
    fill_form(page, TEXT, NAME, "rosa@nowhere")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        post_button(page).click()
    assert answer.value.status == 422

    email = field(page, "Email")
    expect(page.locator("#email-error")).to_contain_text("Please enter a valid email address")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_value("rosa@nowhere")
    expect(field(page, "Comment")).to_have_value(TEXT)
    expect(field(page, "Name")).to_have_value(NAME)
    assert comment_count(live_app) == 0

    email.fill(EMAIL)
    post_button(page).click()
    page.wait_for_url(re.compile(r"#comment-\d+$"))
    expect(page.locator(f"#comment-{comments(live_app)[0].id}")).to_contain_text(TEXT)
    assert comment_count(live_app) == 1
    assert_no_page_errors(page, expected_statuses=(422,))


# --- replies ------------------------------------------------------------------------------------


@pytest.fixture
def bea(live_app) -> int:
    return add_approved_comment(live_app, "Bea", "bea@example.org", "Does it lend ladders too?")


@MODERATION_OFF
def test_reply_moves_the_form_keeps_the_draft_and_nests_the_reply(page, live_app, bea):
    draft = "Yes, two step ladders, ask at the desk."
    page.goto(ARTICLE)
    field(page, "Comment").fill(draft)
    page.locator(f"#comment-{bea}").get_by_role("link", name="Reply to Bea").click()

    title = page.locator("#reply-title")
    expect(title).to_contain_text("Leave a Reply to Bea")
    expect(title.get_by_role("link", name="Cancel reply")).to_be_visible()
    expect(page.locator(f"#reply-slot-{bea} #respond")).to_have_count(1)
    expect(page.locator("#respond-home #respond")).to_have_count(0)
    expect(field(page, "Comment")).to_have_value(draft)
    expect(field(page, "Comment")).to_be_focused()
    expect(page.locator("#comment_parent")).to_have_value(str(bea))

    field(page, "Name").fill(NAME)
    field(page, "Email").fill(EMAIL)
    post_button(page).click()

    reply = page.locator(f"#children-{bea} > li > article.comment-body").filter(has_text=draft)
    expect(reply).to_have_count(1)
    expect(page.locator("#comment-status")).to_have_text(POSTED)
    expect(page.locator("#respond-home #respond")).to_have_count(1)
    expect(page.locator(f"#reply-slot-{bea} #respond")).to_have_count(0)
    expect(page.locator("#reply-title")).to_have_text("Leave a Reply")
    expect(page.locator("#comment_parent")).to_have_value("")
    expect(field(page, "Comment")).to_have_value("")
    [saved] = comments(live_app, body=draft)
    assert saved.parent_id == bea
    expect_focus_on_comment(page, saved.id)
    assert page.locator("#respond").count() == 1
    assert_no_page_errors(page)


def test_cancel_reply_brings_the_form_home(page, bea):
    page.goto(ARTICLE)
    page.locator(f"#comment-{bea}").get_by_role("link", name="Reply to Bea").click()
    expect(page.locator(f"#reply-slot-{bea} #respond")).to_have_count(1)
    field(page, "Comment").fill("On second thoughts...")

    page.get_by_role("link", name="Cancel reply").click()
    expect(page.locator("#respond-home #respond")).to_have_count(1)
    expect(page.locator(f"#reply-slot-{bea} #respond")).to_have_count(0)
    expect(page.locator("#reply-title")).to_have_text("Leave a Reply")
    expect(page.get_by_role("link", name="Cancel reply")).to_have_count(0)
    expect(page.locator("#comment_parent")).to_have_value("")
    expect(field(page, "Comment")).to_have_value("On second thoughts...")
    expect(field(page, "Comment")).to_be_focused()
    assert_no_page_errors(page)


def test_reply_without_javascript_opens_the_form_under_the_comment(new_page, live_app, bea):
    page = new_page(java_script_enabled=False)
    page.goto(ARTICLE)
    page.locator(f"#comment-{bea}").get_by_role("link", name="Reply to Bea").click()

    page.wait_for_url(re.compile(rf"\?replytocom={bea}#respond$"))
    expect(page.locator(f"#reply-slot-{bea} #respond")).to_have_count(1)
    expect(page.locator("#respond-home #respond")).to_have_count(0)
    expect(page.locator("#reply-title")).to_contain_text("Leave a Reply to Bea")

    fill_form(page, "Ladders, yes.", NAME, EMAIL)
    post_button(page).click()
    page.wait_for_url(re.compile(r"#comment-\d+$"))
    [saved] = comments(live_app, body="Ladders, yes.")
    assert saved.parent_id == bea
    expect(page.locator(f"#children-{bea} #comment-{saved.id}")).to_contain_text("Ladders, yes.")
    assert_no_page_errors(page)


# --- moderation and the poster's own view --------------------------------------------------------


def test_held_comment_is_seen_by_its_poster_only(new_page, live_app):
    poster = new_page()
    poster.goto(ARTICLE)
    fill_form(poster, TEXT, NAME, EMAIL)
    post_button(poster).click()
    expect(poster.locator("#comment-status")).to_have_text(AWAITING)
    notice = comment_in_thread(poster, TEXT).locator(".awaiting-moderation")
    expect(notice).to_have_text(AWAITING)
    poster.reload()
    expect(notice).to_have_text(AWAITING)

    stranger = new_page()
    stranger.goto(ARTICLE)
    expect(stranger.locator("#comments-title")).to_have_text("No comments yet")
    expect(post_button(stranger)).to_be_visible()
    expect(stranger.get_by_text(TEXT)).to_have_count(0)

    # Once a moderator approves it, everyone sees it, without the notice.
    [saved] = comments(live_app)
    approve(live_app, saved.id)
    stranger.reload()
    expect(comment_in_thread(stranger, TEXT)).to_have_count(1)
    expect(stranger.locator(".awaiting-moderation")).to_have_count(0)
    assert_no_page_errors(poster)
    assert_no_page_errors(stranger)


@MODERATION_OFF
def test_poster_can_edit_for_a_while_and_others_cannot(new_page, live_app):
    poster = new_page()
    poster.goto(ARTICLE)
    fill_form(poster, TEXT, NAME, EMAIL)
    post_button(poster).click()
    expect(comment_in_thread(poster, TEXT)).to_have_count(1)
    [saved] = comments(live_app)
    mine = poster.locator(f"#comment-{saved.id}")

    timer = mine.locator(".comment-edit-timer")
    expect(timer).to_contain_text("you can edit this for")
    first = countdown_seconds(timer.locator(".countdown").inner_text())
    assert 14 * 60 < first <= 15 * 60
    poster.wait_for_timeout(1500)
    second = countdown_seconds(timer.locator(".countdown").inner_text())
    assert second < first, "the countdown did not move"

    edit_link = mine.get_by_role("link", name="Edit", exact=True)
    edit_link.click()
    editor = poster.get_by_role("textbox", name="Edit your comment")
    expect(editor).to_have_value(TEXT)
    expect(editor).to_be_focused()
    poster.get_by_role("link", name="Cancel", exact=True).click()
    expect(editor).to_have_count(0)
    expect(mine.locator(".comment-content")).to_have_text(TEXT)

    edit_link.click()
    expect(editor).to_have_value(TEXT)
    editor.fill("The tool shelf lent me a drill and a saw. Thank you!")
    poster.get_by_role("button", name="Save").click()

    expect(mine.locator(".comment-content")).to_have_text(
        "The tool shelf lent me a drill and a saw. Thank you!"
    )
    expect(mine.locator(".edited")).to_have_text("(edited)")
    assert comments(live_app)[0].body == "The tool shelf lent me a drill and a saw. Thank you!"

    other = new_page()
    other.goto(ARTICLE)
    theirs = other.locator(f"#comment-{saved.id}")
    expect(theirs).to_contain_text("a drill and a saw")
    expect(theirs.locator(".edited")).to_have_text("(edited)")
    expect(theirs.get_by_role("link", name="Edit", exact=True)).to_have_count(0)
    expect(theirs.locator(".comment-edit-timer")).to_have_count(0)
    assert_no_page_errors(poster)
    assert_no_page_errors(other)


# --- the keyboard alone ---------------------------------------------------------------------------


def tab_to(page, element_id: str, visited: list[str], limit: int = 80) -> None:
    """Press Tab until ``element_id`` has focus (at most ``limit`` times), noting every stop."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        visited.append(active_id(page))
        if visited[-1] == element_id:
            return
    raise AssertionError(f"Tab never reached #{element_id}; stops: {visited}")


@MODERATION_OFF
def test_post_with_the_keyboard_only(page, live_app):
    page.goto(ARTICLE)
    expect(page.locator("#homepage")).to_have_attribute("tabindex", "-1")
    visited: list[str] = []
    tab_to(page, "comment", visited)
    page.keyboard.type(TEXT)
    tab_to(page, "author", visited, limit=1)
    page.keyboard.type(NAME)
    tab_to(page, "email", visited, limit=1)
    page.keyboard.type(EMAIL)
    tab_to(page, "url", visited, limit=1)
    page.keyboard.type("rosa.example")
    tab_to(page, "remember", visited, limit=1)  # straight past the honeypot
    page.keyboard.press("Space")
    expect(page.locator("#remember")).to_be_checked()
    tab_to(page, "notify", visited, limit=1)  # "Notify me of follow-up comments", left unticked
    tab_to(page, "submit", visited, limit=1)
    page.keyboard.press("Enter")

    expect(comment_in_thread(page, TEXT)).to_have_count(1)
    expect(page.locator("#comment-status")).to_have_text(POSTED)
    assert "homepage" not in visited
    [saved] = comments(live_app)
    assert (saved.author_name, saved.author_email, saved.author_url) == (
        NAME,
        EMAIL,
        "https://rosa.example",
    )
    expect_focus_on_comment(page, saved.id)
    # "Save my name, email, and website" was ticked: the fresh form is ready for the next one.
    expect(field(page, "Name")).to_have_value(NAME)
    expect(field(page, "Email")).to_have_value(EMAIL)
    expect(page.locator("#remember")).to_be_checked()
    assert_no_page_errors(page)


STALE = "This page was open a long time \u2014 press Post Comment again."


# --- a page left open too long -------------------------------------------------------------------
# A reader's form carries no session token any more (the page is public: blog/web/forgery.py);
# what ages is its signed timestamp. (A signed-in author's expired token keeps the text the same
# way: tests/integration/comments/test_comments.py.)


@pytest.mark.app_config(WTF_CSRF_ENABLED=True, WTF_CSRF_TIME_LIMIT=1, COMMENT_MODERATION="none")
def test_a_form_left_open_keeps_the_text_and_the_second_press_posts(page, live_app):
    page.goto(ARTICLE)
    assert page.locator("#respond input[name=csrf_token]").count() == 0
    fill_form(page, TEXT, NAME, EMAIL)
    stamp = page.locator("#respond input[name=stamp]")
    old_stamp = stamp.input_value()
    page.wait_for_timeout(3500)  # the stamp is now older than WTF_CSRF_TIME_LIMIT allows
    post_button(page).click()

    expect(page.locator(".error-summary .form-message")).to_have_text(STALE)
    expect(field(page, "Comment")).to_have_value(TEXT)
    expect(field(page, "Name")).to_have_value(NAME)
    expect(field(page, "Email")).to_have_value(EMAIL)
    assert stamp.input_value() != old_stamp
    assert comment_count(live_app) == 0

    post_button(page).click()
    expect(page.locator("#comment-status")).to_have_text(POSTED)
    expect(comment_in_thread(page, TEXT)).to_have_count(1)
    assert comment_count(live_app) == 1
    assert_no_page_errors(page, expected_statuses=(422,))
