"""An author in a real Chromium: signing in and out, writing an article with the live preview,
moderating comments (one row in place, in bulk, with the keyboard alone), and axe-core on every
admin page. Each test ends by checking that no CSP violation and no console error happened.

axe is injected with Playwright's evaluate, which the page's CSP (script-src 'self') does not
govern, so the pages run under the real policy (no bypass_csp).
"""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from blog.extensions import db
from blog.models import Comment
from tests.e2e import helpers
from tests.e2e.helpers import DISPLAY_NAME, PASSWORD, USERNAME

# A seeded demo article (blog/demo/content.py) with open comments.
SLUG = "riverside-library-tool-lending-shelf"
ARTICLE = f"/posts/{SLUG}"
BAD_LOGIN = "Invalid username or password."

AXE = Axe()
CONTRAST_ONLY = {"runOnly": ["color-contrast"], "resultTypes": ["violations"]}


# --- setup ----------------------------------------------------------------------------------


def sign_in(page: Page, password: str = PASSWORD, *, open_form: bool = True) -> None:
    if open_form:
        page.goto("/admin/login")
    page.get_by_label("Username").fill(USERNAME)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log In").click()


def add_comment(app, body: str, name: str = "Rosa Reader", status: str = "pending") -> int:
    email = f"{name.split()[0].lower()}@example.org"
    return helpers.add_comment(app, name, email, body, status, "Held by a test.")


def status_of(app, comment_id: int) -> str | None:
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        return comment.status if comment else None


def row(page: Page, comment_id: int):
    return page.locator(f"#admin-comment-{comment_id}")


def row_button(page: Page, comment_id: int, label: str):
    # Each button's accessible name is its label plus the hidden "the comment by ...".
    return row(page, comment_id).get_by_role("button", name=re.compile(rf"^{label}\b"))


def assert_no_page_errors(page: Page, expected_statuses: tuple[int, ...] = ()) -> None:
    """No CSP violation and no console error, except Chromium's "Failed to load resource: the
    server responded with a status of N" for a status the test itself caused on purpose (401 for
    a wrong password, 422 for a form with a mistake): the page is right to answer that way."""
    violations = page.evaluate("window.__cspViolations || []")
    expected = tuple(f"the server responded with a status of {s}" for s in expected_statuses)
    errors = [m for m in page.console_errors if not any(e in m for e in expected)]
    assert violations == [], f"CSP violations: {violations}"
    assert errors == [], f"console errors: {errors}"


# --- signing in and out -----------------------------------------------------------------------


def test_sign_in_and_out(new_page, author):
    page = new_page()
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login\?next=/admin/$"))

    sign_in(page, password="not the password", open_form=False)
    expect(page.get_by_role("alert")).to_have_text(BAD_LOGIN)
    expect(page.get_by_label("Password")).to_have_value("")
    expect(page.get_by_label("Username")).to_have_value(USERNAME)

    sign_in(page, open_form=False)  # the form kept ?next=/admin/ and goes there
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")

    nav = page.get_by_role("navigation", name="Admin")
    nav.get_by_role("button", name=f"Log out {DISPLAY_NAME}").click()
    expect(page).to_have_url(re.compile(r"/admin/login$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log In")

    # Back to the dashboard entry: no-store means the browser asks again and is sent to login.
    page.go_back()
    expect(page).to_have_url(re.compile(r"/admin/login\?next=/admin/$"))
    page.reload()
    expect(page).to_have_url(re.compile(r"/admin/login"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log In")
    expect(page.get_by_role("navigation", name="Admin")).to_have_count(0)
    expect(page.get_by_text("At a glance")).to_have_count(0)
    assert_no_page_errors(page, expected_statuses=(401,))


# --- writing -----------------------------------------------------------------------------------


def test_write_with_live_preview_and_publish(admin_page, new_page):
    page = admin_page
    title = "Community fridge opens on Elm Street"
    page.goto("/admin/posts/new")
    page.get_by_label("Title").fill(title)
    body = page.get_by_label("Body (Markdown)")
    preview = page.locator("#preview")
    expect(preview).to_contain_text("Nothing to preview yet.")  # the on-load request

    body.press_sequentially("## Heading\n\n**bold** text")
    expect(preview.locator("h2")).to_have_text("Heading")
    expect(preview.locator("strong")).to_have_text("bold")

    with page.expect_response("**/admin/posts/preview") as answer:
        body.press_sequentially("\n\n<script>window.__x=1</script>")
    assert answer.value.ok
    assert "<script" not in answer.value.text()
    expect(preview.locator("h2")).to_have_text("Heading")
    expect(preview.locator("script")).to_have_count(0)
    assert page.evaluate("window.__x") is None

    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Published.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit article")

    reader = new_page()
    reader.goto("/")
    link = reader.get_by_role("link", name=title, exact=True).first
    expect(link).to_be_visible()
    link.click()
    expect(reader.get_by_role("heading", level=1)).to_have_text(title)
    article = reader.locator("main")
    expect(article.locator("h2", has_text="Heading")).to_have_count(1)
    expect(article.locator("strong", has_text="bold")).to_have_count(1)
    expect(article.locator("script")).to_have_count(0)
    assert reader.evaluate("window.__x") is None
    assert_no_page_errors(page)
    assert_no_page_errors(reader)


# --- moderating ----------------------------------------------------------------------------------


def test_approve_in_place_then_readers_see_it(admin_page, new_page, live_app):
    text = "The tool shelf lent me a ladder for the apple harvest."
    comment_id = add_comment(live_app, text)
    reader = new_page()
    reader.goto(ARTICLE)
    expect(reader.get_by_role("heading", level=1)).to_be_visible()
    expect(reader.get_by_text(text)).to_have_count(0)

    page = admin_page
    page.goto("/admin/comments?status=pending")
    page.evaluate("window.__marker = 42")
    badge = page.get_by_role("navigation", name="Admin").locator("#pending-badge")
    expect(badge).to_have_text("(1 pending)")
    row_button(page, comment_id, "Approve").click()
    expect(row_button(page, comment_id, "Unapprove")).to_be_visible()
    expect(badge).to_be_hidden()  # the count in the navigation follows along
    expect(row(page, comment_id).locator(".status-pill")).to_have_text("Approved")
    assert page.evaluate("window.__marker") == 42, "the page was reloaded"
    assert status_of(live_app, comment_id) == "approved"

    reader.reload()
    expect(reader.get_by_text(text)).to_be_visible()
    assert_no_page_errors(page)
    assert_no_page_errors(reader)


def test_bulk_spam_then_empty_spam(admin_page, live_app):
    ids = [
        add_comment(live_app, f"Buy cheap watches number {n}", name=f"Spammer{n} Bot")
        for n in range(3)
    ]
    keep = add_comment(live_app, "A real question about opening hours.", name="Kim Reader")
    page = admin_page
    page.goto("/admin/comments?status=pending")
    for comment_id in ids:
        row(page, comment_id).get_by_role("checkbox").check()
    page.get_by_label("With the selected comments:").select_option(label="Spam")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("status")).to_have_text("Spam: 3 comments.")
    assert [status_of(live_app, i) for i in ids] == ["spam"] * 3
    assert status_of(live_app, keep) == "pending"

    page.get_by_role("navigation", name="Filter comments by status").get_by_role(
        "link", name=re.compile(r"^Spam")
    ).click()
    expect(page).to_have_url(re.compile(r"status=spam"))
    for comment_id in ids:
        expect(row(page, comment_id)).to_be_visible()

    dialogs = []

    def accept(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.get_by_role("button", name="Empty spam").click()
    expect(page.get_by_role("status")).to_have_text("Deleted 3 comments for good.")
    expect(page.get_by_text("No spam comments.")).to_be_visible()
    assert dialogs == ["Delete all 3 comments in the spam permanently?"]
    assert [status_of(live_app, i) for i in ids] == [None] * 3
    assert status_of(live_app, keep) == "pending"
    assert_no_page_errors(page)


def test_keyboard_only_moderation(admin_page, live_app):
    older = add_comment(live_app, "First question, held.", name="Lee Reader")
    newer = add_comment(live_app, "Second question, held.", name="Mo Reader")
    page = admin_page
    page.goto("/admin/comments?status=pending")
    expect(row(page, older)).to_be_visible()

    # The newest comment comes first; Tab from the top of the page to its Approve button.
    target = f"#admin-comment-{newer}"
    for _ in range(60):
        page.keyboard.press("Tab")
        found = page.evaluate(
            """target => {
                const e = document.activeElement;
                return !!e && e.closest(target) !== null && /^Approve\\b/.test(e.textContent);
            }""",
            target,
        )
        if found:
            break
    else:
        pytest.fail("Tab never reached the Approve button")

    page.keyboard.press("Enter")
    expect(row_button(page, newer, "Unapprove")).to_be_visible()
    assert status_of(live_app, newer) == "approved"
    # The swapped row took the focus back: moderation goes on from the keyboard.
    expect(row_button(page, newer, "Unapprove")).to_be_focused()
    page.keyboard.press("Tab")
    expect(row_button(page, newer, "Spam")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(row_button(page, newer, "Unapprove")).to_be_focused()
    assert page.evaluate(f"document.activeElement.closest('{target}') !== null")
    assert status_of(live_app, older) == "pending"
    assert_no_page_errors(page)


# --- accessibility -------------------------------------------------------------------------------
# Each state is checked in a light and a dark browser side by side, each made in its colour scheme
# from the start: switching a page's scheme with emulate_media left some elements in the old
# colours for a while (axe then saw light-theme grey text on the dark background).


def bad_login(page: Page) -> None:
    sign_in(page, password="wrong password")
    expect(page.get_by_role("alert")).to_have_text(BAD_LOGIN)


def good_login(page: Page) -> None:
    sign_in(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")


def visit(path: str, ready: str):
    def step(page: Page) -> None:
        page.goto(path)
        expect(page.locator(ready).first).to_be_visible()

    return step


def post_without_title(page: Page) -> None:
    page.get_by_label("Body (Markdown)").fill("Some *text* but no title.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".error-summary")).to_contain_text("Give the article a title.")
    expect(page.locator("#preview em")).to_have_text("text")


ADMIN_STATES = [
    ("login page", visit("/admin/login", "#username")),
    ("login page with an error", bad_login),
    ("dashboard", good_login),
    ("posts list", visit("/admin/posts", "#post-table")),
    ("new post form", visit("/admin/posts/new", "#preview .hint")),
    ("new post form with a mistake", post_without_title),
    ("pending comments", visit("/admin/comments?status=pending", ".comment-table tbody tr")),
    ("settings", visit("/admin/settings", ".settings-form")),
]


def test_admin_pages_pass_axe(new_page, author, live_app):
    add_comment(live_app, "Is the drill still on the shelf?")
    light = new_page(color_scheme="light")
    dark = new_page(color_scheme="dark")
    reports = []
    for state, step in ADMIN_STATES:
        step(light)
        step(dark)
        for theme, results in (
            ("", AXE.run(light)),
            # The dark theme changes only colours: the contrast rule is enough there.
            (", dark theme", AXE.run(dark, options=CONTRAST_ONLY)),
        ):
            if results.violations_count:
                reports.append(f"--- {state}{theme}:\n{results.generate_report()}")
        ids = light.evaluate("Array.from(document.querySelectorAll('[id]'), e => e.id)")
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            reports.append(f"--- {state}: duplicate ids {duplicates}")

    assert reports == [], "\n".join(reports)
    for page in (light, dark):
        assert_no_page_errors(page, expected_statuses=(401, 422))
