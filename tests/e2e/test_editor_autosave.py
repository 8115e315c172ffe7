"""The editor in Chromium: autosave through htmx, a reload keeps what was typed, the
unsaved-changes guard, the Trash from the editor."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from blog.extensions import db
from blog.models import Post, Revision
from tests.e2e.helpers import assert_no_page_errors

AUTOSAVE_NEW = re.compile(r"/admin/posts/autosave$")
AUTOSAVE_DRAFT = re.compile(r"/admin/posts/\d+/autosave$")
NOTICE = "There is an autosave of this post that is more recent than the version below."


def posts_titled(app, title: str) -> list[Post]:
    with app.app_context():
        posts = db.session.scalars(select(Post).where(Post.title == title)).all()
        for post in posts:
            db.session.expunge(post)
        return posts


def test_typed_text_survives_a_reload(admin_page: Page, live_app):
    page = admin_page
    title = "Notes from the allotment"
    page.goto("/admin/posts/new")
    page.get_by_label("Title").fill(title)
    body = page.get_by_label("Body (Markdown)")
    with page.expect_response(AUTOSAVE_NEW) as first:
        body.press_sequentially("Beans are up.")
    assert first.value.ok
    expect(page.locator("#autosave-status")).to_contain_text("Draft saved at")
    # The first autosave made the draft: the address and the form now point at it.
    expect(page).to_have_url(re.compile(r"/admin/posts/\d+/edit$"))
    [draft] = posts_titled(live_app, title)
    assert draft.status == "draft" and draft.body_md == "Beans are up."
    assert page.locator("#post-form").get_attribute("action") == f"/admin/posts/{draft.id}/edit"

    with page.expect_response(AUTOSAVE_DRAFT) as second:
        body.press_sequentially(" Peas next.")
    assert second.value.ok and second.value.url.endswith(f"/admin/posts/{draft.id}/autosave")

    page.reload()
    expect(page.get_by_text(NOTICE)).to_be_visible()
    expect(body).to_have_value("Beans are up.")
    page.get_by_role("link", name="Restore the autosave").click()
    expect(body).to_have_value("Beans are up. Peas next.")

    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".flash")).to_have_text("Draft saved.")
    expect(page.get_by_text(NOTICE)).to_have_count(0)
    [saved] = posts_titled(live_app, title)  # still one post: the autosave's draft
    assert saved.id == draft.id and saved.body_md == "Beans are up. Peas next."
    with live_app.app_context():
        kinds = db.session.scalars(select(Revision.autosave).where(Revision.post_id == draft.id))
        assert sorted(kinds) == [False, False]  # the first autosave and the save; no autosave
    assert_no_page_errors(page)


def test_leaving_with_unsaved_text_asks_first(admin_page: Page):
    page = admin_page
    page.goto("/admin/posts/new")
    dialogs = []

    def stay(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", stay)
    page.get_by_label("Title").click()
    page.keyboard.type("Half a thought")  # leaves before the autosave's delay is over
    page.get_by_role("link", name="Dashboard").click()
    page.wait_for_timeout(300)
    assert dialogs == ["beforeunload"]
    expect(page.get_by_label("Title")).to_have_value("Half a thought")  # still here


def test_move_to_trash_from_the_editor_and_restore(admin_page: Page, live_app):
    page = admin_page
    page.goto("/admin/posts")
    page.get_by_role("link", name=re.compile(r"^Edit ")).first.click()
    title = page.get_by_label("Title").input_value()
    page.get_by_role("button", name="Move to Trash").click()
    expect(page.locator(".flash")).to_have_text(f"Moved \u201c{title}\u201d to the Trash.")
    page.goto("/admin/trash")
    row = page.locator("tr", has_text=title)
    row.get_by_role("button", name=re.compile(r"^Restore")).click()
    expect(page.locator(".flash")).to_have_text(f"Restored \u201c{title}\u201d.")
    [post] = posts_titled(live_app, title)
    assert post.status != "trash"
    assert_no_page_errors(page)
