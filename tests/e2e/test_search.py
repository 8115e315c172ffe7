"""Search in a real browser: results appear as the reader types (htmx, debounced), the box is
reached by keyboard, nothing breaks the CSP; without JavaScript the form submits to the page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from blog.extensions import db
from blog.models import Author, Post, PostStatus, now_utc
from blog.sanitize import refresh_post_html

# Issue #23's features, on both databases in CI.
pytestmark = pytest.mark.both_databases


def csp_problems(page):
    violations = page.evaluate("window.__cspViolations")
    console = [m for m in page.console_errors if "Content Security Policy" in m]
    return violations + console


@pytest.fixture
def zeppelin(live_app) -> None:
    with live_app.app_context():
        author = db.session.scalars(select(Author).limit(1)).first()
        for n, (title, body) in enumerate(
            [
                ("Zeppelin over the harbour", "A zeppelin <script>alert(1)</script> flew by."),
                ("Airships of the past", "The old zeppelin hangar is a museum now."),
            ]
        ):
            post = Post(
                title=title,
                slug=f"zeppelin-{n}",
                body_md=body,
                status=PostStatus.PUBLISHED.value,
                published_at=now_utc() - timedelta(minutes=n + 1),
                author=author,
            )
            refresh_post_html(post)
            db.session.add(post)
        db.session.commit()


def test_results_appear_while_typing(page, zeppelin):
    page.goto("/search")
    box = page.locator("#search-main")
    box.press_sequentially("zeppel", delay=30)
    results = page.locator("#search-results .search-result")
    expect(results).to_have_count(2)
    expect(page.locator("#search-results mark").first).to_have_text("zeppel", ignore_case=True)
    # The address follows the query, so Back and reload show the same results.
    page.wait_for_url("**/search?q=zeppel")
    # The excerpt is the body's text: the markup is gone, nothing of it runs.
    expect(page.locator("#search-results")).to_contain_text("A zeppelin alert(1) flew by.")
    assert page.locator("#search-results script").count() == 0
    box.fill("")
    box.press_sequentially("nothingmatchesthis", delay=20)
    expect(page.locator("#search-results")).to_contain_text("nothing matched")
    assert csp_problems(page) == []
    assert page.console_errors == []


def test_the_header_box_is_keyboard_reachable_and_submits(page, zeppelin):
    page.goto("/")
    page.keyboard.press("Tab")  # the skip link
    box = page.locator("#search-header")
    for _ in range(30):
        page.keyboard.press("Tab")
        if box.evaluate("element => element === document.activeElement"):
            break
    expect(box).to_be_focused()
    expect(page.get_by_role("search").first).to_be_visible()
    page.keyboard.type("airships")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=airships")
    expect(page.locator(".search-result .entry-title")).to_have_text(["Airships of the past"])
    assert csp_problems(page) == []


def test_without_javascript_the_form_shows_the_same_results(new_page, zeppelin):
    page = new_page(java_script_enabled=False)
    page.goto("/search")
    page.locator("#search-main").fill("zeppelin")
    page.locator("#search-main").press("Enter")
    page.wait_for_url("**/search?q=zeppelin")
    expect(page.locator(".search-result")).to_have_count(2)
    expect(page.locator(".search-result mark").first).to_have_text("zeppelin", ignore_case=True)
