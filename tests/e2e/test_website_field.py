"""A reader's Website in a real Chromium (issue #23, part 5): a bad address is explained under the
field with everything typed kept, with JavaScript (htmx, in place) and without (the page again);
fixed, the comment is posted and the address is stored and linked in its normalised form."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from blog.sanitize import WEB_ADDRESS_HOST, WEB_ADDRESS_SPACES
from tests.e2e.helpers import (
    ARTICLE,
    AWAITING,
    FAST_POSTING,
    assert_no_page_errors,
    comment_count,
    comment_in_thread,
    comments,
    field,
    fill_form,
    post_button,
)

pytestmark = [pytest.mark.app_config(**FAST_POSTING), pytest.mark.both_databases]

TEXT = "The repair café fixed my lamp in ten minutes."
NAME = "Rosa Reader"
EMAIL = "rosa@example.org"


def test_a_bad_website_is_explained_in_place_with_javascript(page, live_app):
    page.goto(ARTICLE)
    page.evaluate("window.__marker = 42")
    fill_form(page, TEXT, NAME, EMAIL)
    website = field(page, "Website")
    website.fill("https://exa mple.org")
    post_button(page).click()

    error = page.locator("#url-error")
    expect(error).to_have_text(WEB_ADDRESS_SPACES)
    expect(website).to_have_attribute("aria-invalid", "true")
    expect(website).to_have_attribute("aria-describedby", re.compile(r"\burl-error\b"))
    expect(website).to_be_focused()
    expect(website).to_have_value("https://exa mple.org")
    expect(field(page, "Comment")).to_have_value(TEXT)
    expect(field(page, "Name")).to_have_value(NAME)
    assert page.evaluate("window.__marker") == 42, "the page was reloaded"
    assert comment_count(live_app) == 0

    website.fill("https://Bücher.example/")
    post_button(page).click()
    expect(page.locator("#comment-status")).to_have_text(AWAITING)
    expect(comment_in_thread(page, TEXT)).to_have_count(1)
    [saved] = comments(live_app)
    assert saved.author_url == "https://xn--bcher-kva.example/"
    assert_no_page_errors(page, expected_statuses=(422,))


def test_a_bad_website_without_javascript_shows_the_page_again(new_page, live_app):
    page = new_page(java_script_enabled=False)
    page.goto(ARTICLE)
    fill_form(page, TEXT, NAME, EMAIL)
    field(page, "Website").fill("http://[::1")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        post_button(page).click()
    assert answer.value.status == 422

    website = field(page, "Website")
    expect(page.locator("#url-error")).to_have_text(WEB_ADDRESS_HOST)
    expect(website).to_have_attribute("aria-invalid", "true")
    expect(website).to_have_value("http://[::1")
    expect(field(page, "Comment")).to_have_value(TEXT)
    assert comment_count(live_app) == 0

    website.fill("example.org/about")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        post_button(page).click()
    assert answer.value.status == 303
    [saved] = comments(live_app)
    assert saved.author_url == "https://example.org/about"
