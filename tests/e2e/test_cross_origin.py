"""A page on another origin cannot post a comment in a reader's name (issue #24, part 1).

The public article holds no per-reader CSRF token any more (so a shared cache may keep it): a
reader's post is checked by what the browser itself says, Sec-Fetch-Site and Origin
(blog/web/forgery.py). Here a real Chromium opens an attacker's page, served from another
origin (``localhost`` against the blog's ``127.0.0.1``), that auto-submits a copy of the comment
form, and one that sends the same fields with ``fetch`` as htmx would. Nothing may be stored;
the same browser then posts from the article itself, which must work.
"""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import ARTICLE, FAST_POSTING, comments, fill_form, post_button

pytestmark = pytest.mark.both_databases

FORGED = "Forged comment from another site"


def attacker_pages(target: str) -> dict[str, str]:
    form = f"""<!doctype html><title>Win a prize</title>
<form method="post" action="{target}">
<input name="comment" value="{FORGED} (form)"><input name="author" value="Mallory">
<input name="email" value="mallory@example.org"><input name="stamp" value="">
</form>
<script>document.forms[0].submit()</script>"""
    fetch = f"""<!doctype html><title>Win a prize</title>
<script>
const body = new URLSearchParams({{comment: "{FORGED} (fetch)", author: "Mallory",
  email: "mallory@example.org", stamp: ""}});
// As htmx sends it: no-cors can carry the cookies but not the HX-Request header; the cors
// request with the header needs a preflight the blog never allows.
Promise.allSettled([
  fetch("{target}", {{method: "POST", body, mode: "no-cors", credentials: "include"}}),
  fetch("{target}", {{method: "POST", body, credentials: "include",
    headers: {{"HX-Request": "true"}}}}),
]).then(() => {{ document.title = "sent"; }});
</script>"""
    return {"/form": form, "/fetch": fetch}


class AttackerSite:
    """Another origin: a plain HTTP server on localhost serving the two pages."""

    def __init__(self, pages: dict[str, str]):
        served = {path: html.encode() for path, html in pages.items()}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = served.get(self.path)
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://localhost:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.app_config(**FAST_POSTING, COMMENT_MODERATION="none", WTF_CSRF_ENABLED=True)
def test_a_page_on_another_origin_posts_nothing(new_page, live_app, live_server):
    target = f"{live_server.url}{ARTICLE}/comments"
    page = new_page()
    # The reader has read the blog before: the forged posts would carry the blog's cookies.
    page.goto(ARTICLE)
    before = len(comments(live_app))
    with AttackerSite(attacker_pages(target)) as attacker:
        page.goto(f"{attacker.url}/form")
        page.wait_for_url(target)  # the browser followed the form to the blog...
        assert page.url == target
        expect(page.locator("body")).to_contain_text("sent from another website")
        page.goto(f"{attacker.url}/fetch")
        page.wait_for_function("document.title === 'sent'")
    stored = comments(live_app)
    assert len(stored) == before
    assert not [c for c in stored if FORGED in c.body_md]

    # The same browser on the article itself posts as always (JavaScript on: htmx).
    page.goto(ARTICLE)
    fill_form(page, "A real comment, sent from the article.", "Rita", "rita@example.org")
    with page.expect_request(lambda r: r.method == "POST" and r.url == target) as sent:
        post_button(page).click()
    # blog.js adds the tab's random value, which recognises this browser sending the same
    # comment again after a lost answer (the page itself holds nothing of this browser's).
    assert re.search(r"(^|&)poster=[0-9a-f]{32}(&|$)", sent.value.post_data)
    assert sent.value.all_headers().get("sec-fetch-site") == "same-origin"
    expect(page.locator("#comment-list")).to_contain_text("A real comment, sent from the article.")
    assert len(comments(live_app)) == before + 1
