"""The Menus and the Tags/Categories screens in a real Chromium: htmx changes each part in place
(no reload, no CSP violation, no console error), and the same buttons work without JavaScript."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from blog.extensions import db
from blog.models import MenuItem, Tag
from tests.e2e.helpers import assert_no_page_errors


def add_link(page: Page, label: str, url: str) -> None:
    section = page.locator("#menu-header")
    section.get_by_label("Link address").fill(url)
    section.get_by_label("Link text").fill(label)
    section.get_by_role("button", name="Add link").click()
    expect(section.locator(".menu-item-label", has_text=label)).to_be_visible()


def empty_menus(live_app) -> None:
    """The demo site comes with menus; these tests start from none."""
    with live_app.app_context():
        for item in db.session.query(MenuItem).filter(MenuItem.parent_id.is_not(None)).all():
            db.session.delete(item)
        db.session.flush()
        for item in db.session.query(MenuItem).all():
            db.session.delete(item)
        db.session.commit()


def header_labels(page: Page) -> list[str]:
    return page.locator("#menu-header .menu-item-label").all_inner_texts()


def test_menu_editor_in_place(admin_page, live_app):
    empty_menus(live_app)
    page = admin_page
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/admin/menus")
    page.evaluate("window.__marker = 7")
    add_link(page, "First", "/first/")
    add_link(page, "Second", "https://example.org/")
    assert header_labels(page) == ["First", "Second"]

    section = page.locator("#menu-header")
    section.get_by_role("button", name="Move up Second").click()
    expect(section.locator(".menu-item-label").first).to_have_text("Second")
    # The button keeps its id through the swap, so the keyboard stays where it was.
    expect(section.get_by_role("button", name="Move up Second")).to_be_focused()
    section.get_by_role("button", name="Indent First").click()
    expect(section.locator(".menu-child .menu-item-label")).to_have_text("First")

    bad = section.locator(".menu-add-form").last
    bad.get_by_label("Link address").fill("javascript:alert(1)")
    bad.get_by_label("Link text").fill("Evil")
    bad.get_by_role("button", name="Add link").click()
    expect(page.locator("#add-header-url-error")).to_contain_text("Enter an address")
    expect(page.locator("#add-header-label")).to_have_value("Evil")

    label = page.locator("#menu-header .menu-item").first.get_by_label("Label")
    label.fill("Start")
    page.locator("#menu-header .menu-item").first.get_by_role("button", name="Save label").click()
    expect(section.locator(".menu-item-label").first).to_have_text("Start")
    section.get_by_role("button", name="Remove Start").click()
    expect(section.locator(".menu-item")).to_have_count(0)
    assert page.evaluate("window.__marker") == 7, "the page was reloaded"
    with live_app.app_context():
        assert db.session.query(MenuItem).count() == 0
    assert_no_page_errors(page, expected_statuses=(422,))


def test_menu_buttons_work_without_javascript(new_page, admin_page, live_app, live_server):
    empty_menus(live_app)
    cookies = admin_page.context.cookies()
    page = new_page(java_script_enabled=False)
    page.context.add_cookies(cookies)
    page.goto("/admin/menus")
    add_link(page, "One", "/one/")
    add_link(page, "Two", "/two/")
    page.locator("#menu-header").get_by_role("button", name="Move up Two").click()
    expect(page.locator("#menu-header .menu-item-label").first).to_have_text("Two")


def test_tag_inline_rename_and_delete_in_place(admin_page, live_app):
    with live_app.app_context():
        db.session.add_all(
            [Tag(name="Pyhton", slug="pyhton"), Tag(name="Taken", slug="taken-slug")]
        )
        db.session.commit()
        tag_id = db.session.query(Tag.id).filter_by(slug="pyhton").scalar()
    page = admin_page
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/admin/tags")
    page.evaluate("window.__marker = 9")
    row = page.locator(f"#term-{tag_id}")
    row.get_by_role("link", name="Edit Pyhton").click()
    name = page.locator(f"#term-name-{tag_id}")
    expect(name).to_be_focused()
    name.fill("Python")
    page.locator(f"#term-slug-{tag_id}").fill("taken-slug")
    row.get_by_role("button", name="Save").click()
    expect(page.locator(f"#term-slug-{tag_id}-error")).to_have_text(
        "That slug belongs to the tag “Taken”."
    )
    expect(name).to_have_value("Python")
    page.locator(f"#term-slug-{tag_id}").fill("python")
    row.get_by_role("button", name="Save").click()
    expect(row.locator(".column-name strong")).to_have_text("Python")
    expect(row.locator(".column-slug")).to_have_text("python")

    row.get_by_role("button", name="Delete Python").click()
    expect(page.get_by_text("Deleted the tag “Python”; its posts were kept.")).to_be_visible()
    assert page.evaluate("window.__marker") == 9, "the page was reloaded"
    with live_app.app_context():
        assert db.session.get(Tag, tag_id) is None
    assert_no_page_errors(page, expected_statuses=(422,))


def test_the_new_screens_pass_axe_without_duplicate_ids(admin_page):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    page = admin_page
    reports = []
    for path in ("/admin/categories", "/admin/tags", "/admin/menus", "/admin/users",
                 "/admin/users/invite"):  # fmt: skip
        page.goto(path)
        results = axe.run(page)
        if results.violations_count:
            reports.append(f"--- {path}:\n{results.generate_report()}")
        ids = page.evaluate("Array.from(document.querySelectorAll('[id]'), e => e.id)")
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            reports.append(f"--- {path}: duplicate ids {duplicates}")
    assert reports == [], "\n".join(reports)
    assert_no_page_errors(page)
