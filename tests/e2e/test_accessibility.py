"""axe-core on the article page in the states a commenter meets: the empty comment section, the
form showing mistakes, the thread after a successful post (in light and dark colours), the form
moved under a comment to reply, and the full page a browser without scripts gets back.

axe is injected with Playwright's evaluate, which the page's CSP (script-src 'self') does not
govern, so the pages run under the real policy (no bypass_csp) and every test still ends with
the usual check that no CSP violation and no console error happened. axe 4 no longer checks
duplicate ids by default, so that is checked here directly.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.e2e.helpers import (
    ARTICLE,
    AWAITING,
    FAST_POSTING,
    add_approved_comment,
    assert_no_page_errors,
    comment_in_thread,
    field,
    fill_form,
    post_button,
)

pytestmark = pytest.mark.app_config(**FAST_POSTING)

AXE = Axe()
TEXT = "Our street borrowed the pressure washer for the mural wall."


def assert_accessible(page: Page, state: str) -> None:
    results = AXE.run(page)
    assert results.violations_count == 0, f"axe, {state}:\n{results.generate_report()}"
    ids = page.evaluate("Array.from(document.querySelectorAll('[id]'), e => e.id)")
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert duplicates == [], f"duplicate ids, {state}: {duplicates}"


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_article_accessible_before_during_and_after_posting(new_page, color_scheme):
    page = new_page(color_scheme=color_scheme)
    page.goto(ARTICLE)
    expect(page.locator("#comments-title")).to_have_text("No comments yet")
    assert_accessible(page, "no comments yet")

    fill_form(page, TEXT, "Rosa Reader", "rosa@nowhere")
    field(page, "Website").fill("javascript:alert(1)")
    post_button(page).click()
    expect(page.locator(".field-error")).to_have_count(2)
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page, "the form showing two mistakes")

    field(page, "Email").fill("rosa@example.org")
    field(page, "Website").fill("")
    post_button(page).click()
    expect(page.locator("#comment-status")).to_have_text(AWAITING)
    expect(comment_in_thread(page, TEXT).locator(".comment-edit-timer")).to_be_visible()
    assert_accessible(page, "after posting (held, with its edit controls)")
    assert_no_page_errors(page, expected_statuses=(422,))


def test_reply_form_under_a_comment_is_accessible(page, live_app):
    bea = add_approved_comment(live_app, "Bea", "bea@example.org", "Does it lend ladders too?")
    page.goto(ARTICLE)
    page.get_by_role("link", name="Reply to Bea").click()
    expect(page.locator(f"#reply-slot-{bea} #respond")).to_have_count(1)
    expect(page.get_by_role("link", name="Cancel reply")).to_be_visible()
    assert_accessible(page, "replying to a comment")
    assert_no_page_errors(page)


def test_page_returned_to_a_browser_without_scripts_is_accessible(page):
    # axe needs JavaScript (and timers, which a context with JavaScript off never runs), so the
    # site's own scripts are served empty instead: the form then posts as a plain HTML form.
    page.route(
        "**/*.js", lambda route: route.fulfill(content_type="text/javascript", body="// off")
    )
    page.goto(ARTICLE)
    fill_form(page, TEXT, "", "rosa@example.org")
    with page.expect_navigation():
        post_button(page).click()
    expect(page.locator("#author-error")).to_have_text("Please enter your name.")
    expect(field(page, "Comment")).to_have_value(TEXT)
    assert page.evaluate("typeof htmx") == "undefined"
    assert_accessible(page, "the full page returned with a mistake")
    assert_no_page_errors(page, expected_statuses=(422,))
