"""Layout in a real Chromium at phone, tablet and desktop widths, in light and dark colours.

- No page type scrolls sideways (document.documentElement.scrollWidth <= innerWidth).
- A six-level thread reads on a phone: the deepest reply's text, and the reply form opened under
  it, keep at least 80 % of the reading column. The widths are printed (pytest -s) so that they
  can be quoted.
- Comment and admin controls are at least 24 x 24 px (WCAG 2.2, 2.5.8 target size); links inside
  sentences are exempt and not measured.

One browser serves the whole module; each test walks the widths and themes itself on one page
(the viewport and prefers-color-scheme change in place), so the module stays quick.
Set LAYOUT_SCREENSHOTS=<folder> to also save full-page screenshots of the deep thread.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import ARTICLE, FAST_POSTING, add_approved_comment, add_reply

# Six levels must nest, not only the default five.
pytestmark = pytest.mark.app_config(COMMENT_THREAD_DEPTH=6, **FAST_POSTING)

WIDTHS = (360, 390, 768, 1280)
THEMES = ("light", "dark")
MIN_SHARE = 0.8
TARGET = 24  # CSS px

THREAD = [
    ("Ana Ortiz", "Does the shelf lend ladders too? Ours is broken and the gutters are full."),
    ("Ben Okafor", "It does: two step ladders and one long extension ladder, booked a week ahead."),
    (
        "Cai Lindqvist",
        "The long one needs a second person to hold it, the volunteers say so twice.",
    ),
    ("Dee Moreau", "I can be that second person on Saturdays if anyone on our street asks."),
    ("Eli Haddad", "Saturday works. Shall we meet at the library door at ten, with gloves?"),
    ("Fay Nakamura", "Count me in as well. I will bring the gutter scoop and a bucket or two."),
]

# Public comment controls and admin controls (not links inside sentences).
COMMENT_CONTROLS = (
    ".comment-meta a, .reply a, .reply button, #cancel-comment-reply-link,"
    " #respond textarea, #respond input:not([type=hidden]):not([type=checkbox]):not(#homepage),"
    " #respond button, #respond label[for=remember]"
)
ADMIN_CONTROLS = (
    ".admin-nav a, .admin-nav button, .view-links a, .search-form :is(input, select, button),"
    " .bulk-actions :is(select, button), .row-actions :is(a, button), .check-column input,"
    " .admin-header-actions a, .column-response a, .author-details a, .stat-cards a,"
    " .pagination a"
)

MEASURE = """selector => {
  const rect = document.querySelector(selector).getBoundingClientRect();
  return rect.width;
}"""
SMALL_TARGETS = """selector => Array.from(document.querySelectorAll(selector))
  .filter(element => element.getClientRects().length)
  .map(element => {
    const rect = element.getBoundingClientRect();
    const name = (element.textContent || element.getAttribute('aria-label') || element.id || '')
      .trim().replace(/\\s+/g, ' ').slice(0, 40);
    return {name: element.tagName.toLowerCase() + ' ' + name,
            width: Math.round(rect.width * 10) / 10, height: Math.round(rect.height * 10) / 10};
  })
  .filter(box => box.width < TARGET || box.height < TARGET)""".replace("TARGET", str(TARGET))


TOOLBAR_HEIGHTS = """selector => Array.from(document.querySelectorAll(selector))
  .filter(element => element.type !== 'hidden' && element.getClientRects().length)
  .map(element => Math.round(element.getBoundingClientRect().height))"""


@pytest.fixture
def deep_thread(live_app) -> list[int]:
    """Six comments, each answering the one before: levels 1 to 6."""
    ids: list[int] = []
    for name, text in THREAD:
        email = f"{name.split()[0].lower()}@example.org"
        if ids:
            ids.append(add_reply(live_app, ids[-1], name, email, text))
        else:
            ids.append(add_approved_comment(live_app, name, email, text))
    return ids


def horizontal_overflow(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def assert_fits(page: Page, where: str) -> None:
    for theme in THEMES:
        page.emulate_media(color_scheme=theme)
        overflow = horizontal_overflow(page)
        assert overflow <= 0, f"{where} ({theme}) is {overflow}px wider than the window"


def each_width(page: Page):
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        yield width


def screenshot(page: Page, name: str) -> None:
    folder = os.environ.get("LAYOUT_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}-top.png"))
        page.locator("#comments").screenshot(path=str(Path(folder) / f"{name}-comments.png"))


def test_public_pages_never_scroll_sideways(page, live_app, deep_thread):
    pages = {
        "home": "/",
        "article with a deep thread": ARTICLE,
        "reply form under the deepest reply": f"{ARTICLE}?replytocom={deep_thread[-1]}#respond",
        "article without comments": "/posts/hillcrest-primary-solar-roof",
        "tag": "/tag/community",
        "404 for an unknown path": "/no/such/page",
    }
    page.goto("/")
    archive = page.locator(".sidebar a[href*='/archive/']").first.get_attribute("href")
    pages["archive"] = archive
    for width in each_width(page):
        for what, url in pages.items():
            page.goto(url)
            assert_fits(page, f"{what} at {width}px")


def test_deep_thread_keeps_the_column_on_every_width(page, deep_thread):
    deepest = deep_thread[-1]
    expect_level = "depth-6"
    lines = []
    for width in each_width(page):
        page.goto(ARTICLE)
        expect(page.locator(f"#li-comment-{deepest}")).to_have_class(f"comment {expect_level}")
        # On a phone only two levels indent: the flattened replies say whom they answer.
        answers = page.locator(f"#comment-{deepest} .in-reply-to-flattened")
        if width < 640:
            expect(answers).to_have_text(f"in reply to {THREAD[-2][0]}")
        else:
            expect(answers).to_be_hidden()
        column = page.evaluate(MEASURE, "#comments")
        text = page.evaluate(MEASURE, f"#comment-{deepest} .comment-content")
        if width in (360, 1280):
            for theme in THEMES:
                page.emulate_media(color_scheme=theme)
                screenshot(page, f"deep-thread-{width}-{theme}")
        page.goto(f"{ARTICLE}?replytocom={deepest}#respond")
        expect(page.locator(f"#reply-slot-{deepest} #respond")).to_have_count(1)
        reply_box = page.evaluate(MEASURE, f"#reply-slot-{deepest} textarea")
        lines.append(
            f"{width}px: column {column:.0f}px, deepest reply text {text:.0f}px"
            f" ({text / column:.0%}), reply box {reply_box:.0f}px ({reply_box / column:.0%})"
        )
        assert text >= MIN_SHARE * column, lines[-1]
        assert reply_box >= MIN_SHARE * column, lines[-1]
    print("\nSix-level thread, reading column vs the deepest reply:\n" + "\n".join(lines))


def test_comment_controls_are_big_enough_to_tap(page, live_app, deep_thread):
    from tests.e2e.helpers import fill_form, post_button

    page.set_viewport_size({"width": 360, "height": 900})
    page.goto(ARTICLE)
    # The form showing its mistakes (htmx, 422) fits a phone.
    post_button(page).click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert_fits(page, "the form showing mistakes at 360px")
    # The visitor's own comment brings Edit, Delete and the edit timer.
    fill_form(page, "Ladders for the school garden too, please.", "Gus Green", "gus@example.org")
    post_button(page).click()
    expect(page.locator(".comment-edit-controls")).to_have_count(1)
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        small = page.evaluate(SMALL_TARGETS, COMMENT_CONTROLS)
        assert small == [], f"targets under {TARGET}px at {width}px: {small}"
        assert_fits(page, f"article with the visitor's own comment at {width}px")
        page.get_by_role("link", name=f"Reply to {THREAD[0][0]}").click()
        expect(page.locator("#cancel-comment-reply-link")).to_be_visible()
        assert_fits(page, f"reply form moved by htmx at {width}px")
        small = page.evaluate(SMALL_TARGETS, COMMENT_CONTROLS)
        assert small == [], f"targets under {TARGET}px at {width}px, replying: {small}"
        page.get_by_role("link", name="Cancel reply").click()
        expect(page.locator("#cancel-comment-reply-link")).to_have_count(0)


def test_admin_screens_fit_and_their_controls_are_big_enough(admin_page, deep_thread):
    page = admin_page
    screens = {
        "dashboard": "/admin/",
        "comments": "/admin/comments",
        "articles": "/admin/posts",
        "new article": "/admin/posts/new",
        "settings": "/admin/settings",
        "password": "/admin/password",
        "reply without JavaScript": f"/admin/comments/{deep_thread[0]}/reply",
        "edit without JavaScript": f"/admin/comments/{deep_thread[0]}/edit",
    }
    for width in each_width(page):
        for what, url in screens.items():
            page.goto(url)
            assert_fits(page, f"admin {what} at {width}px")
            small = page.evaluate(SMALL_TARGETS, ADMIN_CONTROLS)
            assert small == [], f"admin {what} at {width}px, targets under {TARGET}px: {small}"
        # The controls of one toolbar share one height.
        page.goto("/admin/comments")
        for toolbar in (".search-form", ".bulk-actions"):
            heights = page.evaluate(TOOLBAR_HEIGHTS, f"{toolbar} :is(input, select, button)")
            assert len(set(heights)) == 1, f"{toolbar} at {width}px: heights {heights}"
    # The comments list as stacked rows on a phone: every row action is on screen.
    page.set_viewport_size({"width": 360, "height": 900})
    page.goto("/admin/comments")
    for action in page.locator(".row-actions :is(a, button)").all():
        box = action.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360, box
    # A row opened for a reply in place (htmx) fits as well.
    first_row = page.locator(f"#admin-comment-{deep_thread[-1]}")
    first_row.get_by_role("link", name=re.compile(r"^Reply")).click()
    expect(page.locator(f"#reply-{deep_thread[-1]}")).to_be_visible()
    assert_fits(page, "admin comments at 360px, replying in a row")


def test_login_form_is_narrow(page):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/admin/login")
    width = page.evaluate(MEASURE, ".admin-narrow form")
    assert width <= 480, f"the login form is {width}px wide"
    for width in each_width(page):
        assert_fits(page, f"login at {width}px")


@pytest.mark.app_config(COMMENT_THREAD_DEPTH=10)
def test_the_deepest_setting_still_keeps_the_column(page, live_app):
    """Ten levels (the settings page's maximum): indents stop at five, replies name whom they
    answer beyond, and the deepest text keeps its share at the widest and narrowest width."""
    ids = [add_approved_comment(live_app, "Ana Ortiz", "ana@example.org", THREAD[0][1])]
    for level in range(2, 11):
        name, text = THREAD[(level - 1) % len(THREAD)]
        ids.append(add_reply(live_app, ids[-1], f"{name} {level}", "x@example.org", text))
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(ARTICLE)
        expect(page.locator(f"#li-comment-{ids[-1]}")).to_have_class("comment depth-10")
        expect(page.locator(f"#comment-{ids[-1]} .in-reply-to-flattened")).to_be_visible()
        column = page.evaluate(MEASURE, "#comments")
        text = page.evaluate(MEASURE, f"#comment-{ids[-1]} .comment-content")
        assert text >= MIN_SHARE * column, f"{width}px: {text:.0f} of {column:.0f}px"
        assert horizontal_overflow(page) <= 0
