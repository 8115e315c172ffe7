"""A reader posting while the site has a fault (issue 19), in a real Chromium with htmx: the
answer is shown beside the form, the text stays, and Post Comment can be pressed again."""

from __future__ import annotations

import contextlib
import sqlite3

import pytest
from playwright.sync_api import expect

from blog.extensions import db
from tests.e2e.helpers import (
    ARTICLE,
    FAST_POSTING,
    assert_no_page_errors,
    comment_in_thread,
    field,
    fill_form,
    post_button,
)

pytestmark = pytest.mark.app_config(
    **FAST_POSTING, COMMENT_MODERATION="none", DB_WRITE_WAIT_SECONDS=0.5
)

TEXT = "Posted while the database was busy: please keep this text."


@contextlib.contextmanager
def database_locked(app):
    """Another process holds SQLite's write lock (as a long backup or a stuck writer would)."""
    with app.app_context():
        path = db.engine.url.database
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def fault_message(page):
    return page.locator("#respond .request-fault, #respond .error-summary")


def test_a_stalled_write_answers_in_place_and_keeps_the_text(page, live_app):
    page.goto(ARTICLE)
    fill_form(page, TEXT, "Rosa Reader", "rosa@example.org")
    with database_locked(live_app):
        post_button(page).click()
        expect(fault_message(page)).to_contain_text("Nothing was saved", timeout=10_000)
    expect(field(page, "Comment")).to_have_value(TEXT)
    expect(field(page, "Name")).to_have_value("Rosa Reader")
    expect(post_button(page)).to_be_enabled()
    expect(page.locator("#comment-status")).to_contain_text("Nothing was saved")
    post_button(page).click()  # the lock is gone: the same text goes through
    expect(comment_in_thread(page, TEXT)).to_be_visible()
    expect(field(page, "Comment")).to_have_value("")
    assert_no_page_errors(page, expected_statuses=(503,))


@pytest.mark.parametrize("failure", ["502", "network"])
def test_a_proxy_error_or_a_lost_connection_is_shown_beside_the_form(page, failure):
    page.goto(ARTICLE)
    fill_form(page, TEXT, "Rosa Reader", "rosa@example.org")

    def fail(route):
        if route.request.method != "POST":
            return route.continue_()
        if failure == "network":
            return route.abort("connectionreset")
        return route.fulfill(
            status=502, content_type="text/html", body="<html><body>Bad Gateway</body></html>"
        )

    page.route("**/comments", fail)
    post_button(page).click()
    message = page.locator("#respond .request-fault")
    expected = "(error 502)" if failure == "502" else "could not be reached"
    expect(message).to_contain_text(expected)
    expect(message).to_contain_text("Your text is still here.")
    expect(message).to_have_attribute("role", "alert")
    expect(field(page, "Comment")).to_have_value(TEXT)
    expect(post_button(page)).to_be_enabled()
    page.unroute("**/comments")
    post_button(page).click()
    expect(comment_in_thread(page, TEXT)).to_be_visible()
    expect(message).to_have_count(0)
    # htmx logs its error events to the console, and Chromium the failed load: expected here.
    expected = ("htmx:", "Response Status Error Code 502", "Failed to load")
    page.console_errors[:] = [m for m in page.console_errors if not m.startswith(expected)]
    assert_no_page_errors(page, expected_statuses=(502,))
