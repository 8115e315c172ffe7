"""A German site in Lahore's time zone (issue #23, part 4) in a real Chromium, with JavaScript
(htmx answers in place) and without (the page again): a reader's mistake is explained in German
next to the field, and the comment, once posted, is dated in German in the site's zone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from blog.settings import save_settings
from tests.e2e.helpers import ARTICLE, FAST_POSTING, assert_no_page_errors, comment_in_thread

pytestmark = [pytest.mark.app_config(**FAST_POSTING), pytest.mark.both_databases]

BAD_EMAIL = "Bitte gib eine gültige E-Mail-Adresse ein, etwa name@example.org."
AWAITING = "Dein Kommentar muss noch freigegeben werden."
# "5. Dezember 2026 um 19:05", with the +05:00 offset in its datetime attribute.
GERMAN_DATE = re.compile(
    r"^\d{1,2}\. (Januar|Februar|März|April|Mai|Juni|Juli|August|"
    r"September|Oktober|November|Dezember) \d{4} um \d\d:\d\d$"
)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_german_reader_fixes_a_mistake_and_posts(new_page, live_app, javascript):
    with live_app.app_context():
        save_settings({"SITE_LANGUAGE": "de", "TIMEZONE": "Asia/Karachi"})
    page = new_page(java_script_enabled=javascript)
    page.goto(ARTICLE)
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("#reply-title")).to_contain_text("Schreibe einen Kommentar")
    text = f"Danke für den Bericht ({'mit' if javascript else 'ohne'} JavaScript)."
    page.get_by_role("textbox", name="Kommentar", exact=True).fill(text)
    page.get_by_role("textbox", name="Name", exact=True).fill("Ayesha")
    email = page.get_by_role("textbox", name="E-Mail", exact=True)
    email.fill("ayesha-at-example")
    button = page.get_by_role("button", name="Kommentar abschicken")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        button.click()
    assert answer.value.status == 422

    expect(page.locator("#email-error")).to_have_text(BAD_EMAIL)
    expect(page.locator(".error-summary")).to_contain_text("Bitte prüfe dieses Feld:")
    email = page.get_by_role("textbox", name="E-Mail", exact=True)
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_value("ayesha-at-example")
    expect(page.get_by_role("textbox", name="Kommentar", exact=True)).to_have_value(text)

    email.fill("ayesha@example.org")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Kommentar abschicken").click()
    assert answer.value.status == (200 if javascript else 303)
    if javascript:
        expect(page.locator("#comment-status")).to_have_text(AWAITING)
    posted = comment_in_thread(page, text)
    expect(posted).to_have_count(1)
    expect(posted.locator(".awaiting-moderation")).to_have_text(AWAITING)
    when = posted.locator("time")
    expect(when).to_have_text(GERMAN_DATE)
    expect(when).to_have_attribute("datetime", re.compile(r"\+05:00$"))
    assert_no_page_errors(page, expected_statuses=(422,))
