"""Old WordPress links in a real browser: the #comment-ID survives the 301 and hits its comment."""

from __future__ import annotations

import pytest

from blog.transfer.wordpress.importer import import_wxr
from tests.wxr import SAMPLE


@pytest.fixture
def imported(live_app):
    with live_app.app_context(), SAMPLE.open("rb") as stream:
        import_wxr(stream)


@pytest.mark.parametrize(
    ("old_link", "comment_id"),
    [
        ("/2022/01/05/good-news-from-the-river/#comment-103", "comment-103"),
        ("/good-news-from-the-river/#comment-112", "comment-112"),
        ("/?p=10#comment-102", "comment-102"),
    ],
)
def test_old_comment_links_land_on_the_comment(imported, page, old_link, comment_id):
    page.goto(old_link)
    assert page.url.endswith(f"/posts/good-news-from-the-river#{comment_id}")
    assert page.evaluate("document.querySelector(':target')?.id") == comment_id
    assert page.locator(f"#{comment_id}").is_visible()
