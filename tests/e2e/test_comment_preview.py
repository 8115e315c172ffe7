"""The comment form's Preview button in a real Chromium (issue #23, part 3): with JavaScript the
preview appears above the form without a reload and the text stays in the textarea, for a new
comment and for one being edited; without JavaScript the same button answers the article with
the preview and the form filled in. Nothing is stored by previewing."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    ARTICLE,
    FAST_POSTING,
    assert_no_page_errors,
    comment_count,
    comment_in_thread,
    comments,
    field,
    fill_form,
    post_button,
)

pytestmark = [
    pytest.mark.app_config(COMMENT_MODERATION="none", **FAST_POSTING),
    pytest.mark.both_databases,
]

MARKDOWN = "A *tidy* shelf with [a map](https://example.org/map_of_shelves)\n\n- drill\n- saw"


def test_preview_with_javascript_then_post_and_edit(page, live_app):
    page.goto(ARTICLE)
    page.evaluate("window.__marker = 42")
    before = comment_count(live_app)
    fill_form(page, MARKDOWN, "Rosa Reader", "rosa@example.org")
    page.get_by_role("button", name="Preview").click()

    preview = page.locator("#respond-preview .comment-preview")
    expect(preview.locator("em")).to_have_text("tidy")
    expect(preview.locator("li")).to_have_count(2)
    link = preview.get_by_role("link", name="a map")
    expect(link).to_have_attribute("href", "https://example.org/map_of_shelves")
    expect(link).to_have_attribute("rel", "nofollow ugc noopener")
    expect(preview).to_contain_text("Rosa Reader")
    expect(field(page, "Comment")).to_have_value(MARKDOWN)
    assert page.evaluate("window.__marker") == 42, "the page was reloaded"
    assert comment_count(live_app) == before

    # The preview is what is published: the same HTML in the thread once posted.
    shown = preview.locator(".comment-content").inner_html()
    post_button(page).click()
    expect(comment_in_thread(page, "drill")).to_have_count(1)
    [saved] = [c for c in comments(live_app) if c.body == MARKDOWN]
    mine = page.locator(f"#comment-{saved.id}")
    assert mine.locator(".comment-content").inner_html() == shown

    # Editing previews the same way, in the editor, without saving.
    mine.get_by_role("link", name="Edit", exact=True).click()
    editor = page.get_by_role("textbox", name="Edit your comment")
    editor.fill("Now with **strong** words")
    page.locator(f"#comment-{saved.id}").get_by_role("button", name="Preview").click()
    edit_preview = page.locator(f"#comment-{saved.id}-preview")
    expect(edit_preview.locator("strong")).to_have_text("strong")
    expect(editor).to_have_value("Now with **strong** words")
    assert comments(live_app, id=saved.id)[0].body == MARKDOWN
    assert_no_page_errors(page)


def test_preview_without_javascript(new_page, live_app):
    page = new_page(java_script_enabled=False)
    page.goto(ARTICLE)
    before = comment_count(live_app)
    field(page, "Comment").fill(MARKDOWN)  # no name: only the text matters for a preview
    page.get_by_role("button", name="Preview").click()

    expect(page.locator("#respond-preview .comment-preview em")).to_have_text("tidy")
    expect(page.locator("#respond-preview li")).to_have_count(2)
    expect(field(page, "Comment")).to_have_value(MARKDOWN)
    expect(page.locator(".error-summary")).to_have_count(0)
    assert comment_count(live_app) == before

    field(page, "Name").fill("Rosa Reader")
    field(page, "Email").fill("rosa@example.org")
    post_button(page).click()
    expect(comment_in_thread(page, "drill").locator("em")).to_have_text("tidy")
    assert comment_count(live_app) == before + 1
