"""Content cannot drive htmx, even if hostile markup reached the stored HTML (issue 18, finding 4).

htmx acts on attributes wherever they are in the page, and a Content-Security-Policy cannot stop
it: an imported cached render with ``hx-post=... hx-trigger="load"`` deleted an article when an
admin opened the page. The sanitizer strips such attributes; as a second guard, the element that
holds an article's body and each comment's body carries ``hx-disable`` (htmx 2: no element inside
is processed). Here the stored HTML is forced straight into the database, with the render
version that makes the page use it, and a signed-in author opens the article in Chromium with
the page's own htmx: no request leaves, and the article is still there.
"""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import expect

from blog.extensions import db
from blog.models import Comment, Post
from blog.sanitize import COMMENT_RENDER_VERSION, POST_RENDER_VERSION
from tests.e2e.helpers import ARTICLE, SLUG, add_approved_comment

HTMX_PACKAGE = Path(__file__).resolve().parents[2] / "node_modules" / "htmx.org" / "package.json"


def hostile(post_id: int, probe: str) -> str:
    return (
        f'<button id="{probe}-button" hx-post="/admin/posts/{post_id}/delete" '
        'hx-trigger="load">Tidy up</button>'
        f'<div id="{probe}-div" data-hx-get="/xss-probe/{probe}" data-hx-trigger="load">x</div>'
        f'<a id="{probe}-boost" hx-get="/xss-probe/{probe}-click" href="#">click</a>'
    )


def test_hx_disable_is_the_guard_of_the_pinned_htmx_major():
    """hx-disable is htmx 2's attribute (htmx 4 calls it hx-ignore): a new major needs a look."""
    version = json.loads(HTMX_PACKAGE.read_text())["version"]
    assert version.split(".")[0] == "2", version


def test_forced_htmx_attributes_in_stored_html_send_nothing(admin_page, live_app):
    with live_app.app_context():
        post = db.session.query(Post).filter_by(slug=SLUG).one()
        post_id = post.id
        post.body_html = "<p>Body.</p>" + hostile(post_id, "post")
        post.body_render_version = POST_RENDER_VERSION
        db.session.commit()
    comment_id = add_approved_comment(live_app, "Mallory", "m@example.org", "Harmless text")
    with live_app.app_context():
        comment = db.session.get(Comment, comment_id)
        comment.body_html = "<p>Hi</p>" + hostile(post_id, "comment")
        comment.body_render_version = COMMENT_RENDER_VERSION
        db.session.commit()

    page = admin_page
    requests: list[str] = []
    page.on("request", lambda request: requests.append(f"{request.method} {request.url}"))
    page.goto(ARTICLE)
    page.wait_for_function("window.htmx !== undefined && document.readyState === 'complete'")
    # The hostile markup is on the page, as stored: inert, not missing.
    for probe in ("post", "comment"):
        expect(page.locator(f"#{probe}-button")).to_have_count(1)
    page.locator("#post-boost").click()
    page.locator("#comment-boost").click()

    # A control outside the guard, added the same way, does fire: htmx is live on this page.
    page.evaluate(
        """() => {
            const control = document.createElement('div');
            control.setAttribute('hx-get', '/xss-probe/control');
            control.setAttribute('hx-trigger', 'load');
            document.querySelector('main, body').appendChild(control);
            htmx.process(control);
        }"""
    )
    page.wait_for_timeout(500)
    assert any("/xss-probe/control" in line for line in requests), requests
    fired = [line for line in requests if "/delete" in line or "/xss-probe/post" in line]
    fired += [line for line in requests if "/xss-probe/comment" in line]
    assert fired == []
    with live_app.app_context():
        assert db.session.get(Post, post_id) is not None
    assert page.locator(".entry-content[hx-disable]").count() == 1
    assert page.locator(f"#comment-{comment_id} .comment-content[hx-disable]").count() == 1
