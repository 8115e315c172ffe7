"""The README's picture of an article with its comment thread, taken by the same browser the
tests drive. `make screenshot` writes it to docs/screenshot.png; in the suite it goes to a
temporary file and is checked to be a real picture of the thread."""

from __future__ import annotations

import os
from pathlib import Path

from tests.e2e.helpers import ARTICLE, add_approved_comment, add_reply, comment_in_thread

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_the_article_with_its_thread_as_the_readme_shows_it(new_page, live_app, tmp_path):
    first = add_approved_comment(
        live_app, "Rosa Reader", "rosa@example.org", "We borrowed a ladder <em>and</em> a drill."
    )
    add_reply(live_app, first, "Bea Builder", "bea@example.org", "The drill saved our weekend.")
    add_approved_comment(live_app, "Tom", "tom@example.org", "Could the shelf lend tents too?")
    page = new_page(viewport={"width": 1000, "height": 1500})
    page.goto(ARTICLE + "#comments")
    assert comment_in_thread(page, "The drill saved our weekend.").is_visible()
    target = Path(os.environ.get("BLOG_SCREENSHOT_TO") or tmp_path / "screenshot.png")
    page.screenshot(path=str(target), full_page=False)
    data = target.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 20_000
