"""The site's header menu in a real Chromium: keyboard, Escape, phone width, and no JavaScript.

Rows are written directly (the Menus screen has its own browser tests): a page "About us" with a
child page "Our team", and a link.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from blog.extensions import db
from blog.models import MenuItem, Post, now_utc
from blog.sanitize import refresh_post_html
from tests.e2e.helpers import assert_no_page_errors


@pytest.fixture
def menu(live_app):
    with live_app.app_context():
        for item in db.session.query(MenuItem).filter(MenuItem.parent_id.is_not(None)).all():
            db.session.delete(item)
        db.session.flush()
        for item in db.session.query(MenuItem).all():
            db.session.delete(item)
        author_id = db.session.scalar(db.select(Post.author_id).limit(1))
        pages = []
        for title, slug in (("About us", "about-us-menu"), ("Our team", "our-team-menu")):
            page = Post(
                title=title,
                slug=slug,
                kind="page",
                status="published",
                published_at=now_utc(),
                body_md=f"The {title} page.",
                author_id=author_id,
                parent_id=pages[0].id if pages else None,
            )
            refresh_post_html(page)
            db.session.add(page)
            db.session.flush()
            pages.append(page)
        about = MenuItem(menu="header", position=1, kind="page", target_id=pages[0].id)
        db.session.add(about)
        db.session.flush()
        db.session.add_all(
            [
                MenuItem(
                    menu="header",
                    parent_id=about.id,
                    position=1,
                    kind="page",
                    target_id=pages[1].id,
                ),
                MenuItem(menu="header", position=2, kind="link", url="/feed.xml", label="Feed"),
                MenuItem(
                    menu="footer", position=1, kind="link", url="javascript:alert(1)", label="Bad"
                ),
                MenuItem(menu="footer", position=2, kind="link", url="/search", label="Search"),
            ]
        )
        db.session.commit()


def focused(page: Page) -> str:
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return (e.getAttribute('aria-controls') || e.textContent || '').trim(); }"
    )


def tab_until(page: Page, wanted: str, limit: int = 30) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page).startswith(wanted):
            return
    raise AssertionError(f"Tab never reached {wanted!r}")


def test_keyboard_opens_and_escape_closes_the_submenu(page: Page, menu):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/")
    nav = page.get_by_role("navigation", name="Primary")
    toggle = nav.locator("button.submenu-toggle")
    child = nav.get_by_role("link", name="Our team")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(child).to_be_hidden()
    expect(
        nav.get_by_role("button", name="Menu", exact=True)
    ).to_be_hidden()  # wide screen: no "Menu"
    tab_until(page, "submenu-")
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(child).to_be_visible()
    page.keyboard.press("Tab")
    expect(child).to_be_focused()
    page.keyboard.press("Escape")
    expect(child).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    # The footer shows only addresses that are safe to follow.
    footer = page.get_by_role("navigation", name="Footer")
    expect(footer.get_by_role("link", name="Search")).to_be_visible()
    expect(footer.get_by_role("link", name="Bad")).to_have_count(0)
    assert_no_page_errors(page)


def test_the_current_page_is_marked(page: Page, menu):
    page.goto("/about-us-menu/")
    nav = page.get_by_role("navigation", name="Primary")
    expect(nav.get_by_role("link", name="About us")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Feed")).not_to_have_attribute("aria-current", "page")


def test_on_a_phone_the_menu_hides_behind_a_menu_button(page: Page, menu):
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/")
    nav = page.get_by_role("navigation", name="Primary")
    button = nav.get_by_role("button", name="Menu", exact=True)
    about = nav.get_by_role("link", name="About us")
    expect(button).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(about).to_be_hidden()
    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(about).to_be_visible()
    nav.locator("button.submenu-toggle").click()
    expect(nav.get_by_role("link", name="Our team")).to_be_visible()
    page.keyboard.press("Escape")  # closes the submenu first, then the menu
    page.keyboard.press("Escape")
    expect(about).to_be_hidden()
    expect(button).to_be_focused()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_no_page_errors(page)


def test_without_javascript_every_link_is_reachable(new_page, menu):
    phone = new_page(java_script_enabled=False, viewport={"width": 375, "height": 800})
    phone.goto("/")
    nav = phone.get_by_role("navigation", name="Primary")
    expect(nav.get_by_role("button")).to_have_count(0)  # no button that would do nothing
    expect(nav.get_by_role("link", name="About us")).to_be_visible()
    expect(nav.get_by_role("link", name="Our team")).to_be_visible()

    wide = new_page(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    wide.goto("/")
    nav = wide.get_by_role("navigation", name="Primary")
    child = nav.get_by_role("link", name="Our team")
    expect(child).to_be_hidden()
    tab_until(wide, "About us")
    expect(child).to_be_visible()  # the submenu opens while the focus is inside it
    wide.keyboard.press("Tab")
    expect(child).to_be_focused()
