"""The microcache in deploy/nginx.conf, in front of gunicorn, as readers meet it (issue 24, part 3).

deploy/nginx.conf is rendered as test_nginx.py renders it (loopback ports, a self-signed
certificate, temporary paths) and started in front of gunicorn with two workers serving the app
on a real SQLite file, configured as deploy/goodnews.service runs it: one trusted proxy,
SITE_URL, HTTPS cookies, comments from first-time commenters held for moderation. Every request
goes through nginx over HTTPS, from clients that keep their own cookies as a browser does, and
``X-Cache-Status`` says what nginx did:

* a reader without cookies gets the article and the home page from the cache (HIT), the same
  bytes each time;
* a reader whose comment is held sees it (BYPASS: the page is theirs) and nobody else does, not
  even from the cache the held commenter's request went through;
* a signed-in author never gets a cached page, and their pages are never stored for others;
* an approved or removed comment reaches every reader without cookies within the delay
  docs/deploying.md documents: the app's ``s-maxage`` plus its ``stale-while-revalidate``, plus
  up to one second because nginx counts whole seconds. Both ways a site is read are checked: a
  busy page (a reader every 0.1 s) and a quiet one (the first reader after the delay).

Without nginx it skips with the reason, except in CI, where it must run (.ci/run installs it).
"""

from __future__ import annotations

import html
import http.client
import re
import ssl
import sys
import time
import urllib.parse
from dataclasses import dataclass
from datetime import timedelta
from http.cookies import SimpleCookie

import pytest

from blog import config
from blog.accounts.passwords import hash_password
from blog.database import upgrade_to_head
from blog.extensions import db
from blog.models import Author, Post, PostStatus, now_utc
from blog.sanitize import refresh_post_html
from tests.helpers import PASSWORD, free_port, make_test_app, scratch_database
from tests.nginx import HOST, Nginx, nginx_binary, render
from tests.servers import Server

pytestmark = pytest.mark.slow

ORIGIN = f"https://{HOST}"
EDITOR = "editor"
# How long after a change every reader without cookies sees it (docs/deploying.md): the app's
# s-maxage and stale-while-revalidate; nginx adds up to a second (it counts whole seconds).
DELAY = config.PUBLIC_CACHE_SECONDS + config.PUBLIC_STALE_SECONDS
NGINX_CLOCK = 1.0
# nginx answered from its copy: fresh, stale while it fetches anew, or confirmed by the app (304).
FROM_CACHE = ("HIT", "STALE", "UPDATING", "REVALIDATED")
# One article per test, so that no test sees another's comments.
ARTICLES = {
    "reading": "A library reopens",
    "held": "The river is clean again",
    "signed-in": "A bridge for the village",
    "moderated": "Trees on every street",
}


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()

    @property
    def cache(self) -> str | None:
        return self.headers.get("X-Cache-Status")


class Browser:
    """One reader: HTTPS to nginx as blog.example.org, their own cookies (none at first),
    redirects not followed. Unsafe requests carry what a browser sends from the site's own page
    (Origin, Sec-Fetch-Site), which the app checks instead of a per-reader token."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.context = ssl.create_default_context()
        self.context.check_hostname = False
        self.context.verify_mode = ssl.CERT_NONE

    def request(self, method: str, path: str, fields: dict | None = None, headers=None) -> Answer:
        sent = {"Host": HOST, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields)
            sent.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": ORIGIN,
                    "Sec-Fetch-Site": "same-origin",
                    "Referer": f"{ORIGIN}{path}",
                }
            )
        connection = http.client.HTTPSConnection(
            "127.0.0.1", self.port, context=self.context, timeout=30
        )
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            answer = Answer(response.status, response.headers, response.read())
        finally:
            connection.close()
        for line in answer.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(line).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)  # Flask deletes a cookie so
                else:
                    self.cookies[name] = morsel.value
        return answer

    def get(self, path: str, **headers) -> Answer:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, fields: dict) -> Answer:
        return self.request("POST", path, fields)


def served_from_cache(browser: Browser, path: str) -> Answer:
    """The page as the cache has it: asked until nginx answers from its copy (the first ask
    may fill it; a copy past its s-maxage is refreshed meanwhile)."""
    for _ in range(20):
        answer = browser.get(path)
        if answer.cache in FROM_CACHE:
            return answer
        time.sleep(0.05)
    raise AssertionError(f"{path} never came from the cache: {answer.cache}")


def hidden_fields(page: str, form_start: str) -> dict[str, str]:
    """The hidden inputs of the form whose opening tag contains ``form_start``."""
    start = page.index(form_start)
    form = page[start : page.index("</form>", start)]
    found = {}
    for tag in re.findall(r"<input\b[^>]*>", form):
        attributes = dict(re.findall(r'([\w-]+)="([^"]*)"', tag))
        if attributes.get("type") == "hidden" and "name" in attributes:
            found[attributes["name"]] = html.unescape(attributes.get("value", ""))
    return found


def post_held_comment(port: int, slug: str, text: str) -> Browser:
    """A first-time commenter posts through the article's form; moderation "first-time" holds
    the comment. The fields come from the page, csrf_token only if the form has one."""
    commenter = Browser(port)
    page = commenter.get(f"/posts/{slug}")
    assert page.status == 200
    fields = hidden_fields(page.text, 'id="respond"')
    assert "stamp" in fields
    fields.update(comment=text, author="First Timer", email="first@example.org", url="")
    fields["homepage"] = ""  # the honeypot, left empty as people do
    answer = commenter.post(f"/posts/{slug}/comments", fields)
    assert answer.status == 303, answer.text[-2000:]
    assert "blog_own_comments" in commenter.cookies
    return commenter


def sign_in(port: int) -> Browser:
    editor = Browser(port)
    form = editor.get("/admin/login")
    assert form.status == 200
    fields = hidden_fields(form.text, 'action="/admin/login')
    fields.update(username=EDITOR, password=PASSWORD)
    answer = editor.post("/admin/login", fields)
    assert answer.status == 303, answer.text[-2000:]
    assert "session" in editor.cookies
    return editor


def moderate(editor: Browser, text: str, action: str) -> None:
    """The row action in the admin's comment list, as the moderator's browser posts it."""
    query = urllib.parse.urlencode({"status": "all", "q": text})
    listing = editor.get(f"/admin/comments?{query}")
    assert listing.status == 200
    assert listing.cache in ("BYPASS", None)
    found = re.findall(rf'action="(/admin/comments/\d+/{action})[?"]', listing.text)
    assert len(found) == 1, f"one {action} form expected for {text!r}"
    token = re.search(r'name="csrf_token" value="([^"]+)"', listing.text).group(1)
    answer = editor.post(found[0], {"csrf_token": token, "back": "/admin/comments"})
    assert answer.status == 303, answer.text[-2000:]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """Migrated SQLite file with the editor and the articles, gunicorn on it, nginx in front;
    yields nginx's HTTPS port."""
    binary = nginx_binary()
    folder = tmp_path_factory.mktemp("nginx-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BLOG_INSTANCE_PATH", str(folder / "instance"))
        patch.delenv("DATABASE_URL", raising=False)
        with scratch_database("sqlite", folder, "site") as url:
            app = make_test_app(folder, SQLALCHEMY_DATABASE_URI=url)
            with app.app_context():
                upgrade_to_head()
                editor = Author(
                    username=EDITOR,
                    display_name="Editor",
                    password_hash=hash_password(PASSWORD),
                    role="administrator",
                )
                for hours, (slug, title) in enumerate(ARTICLES.items(), start=1):
                    post = Post(
                        title=title,
                        slug=slug,
                        body_md=f"All about *{title}*.",
                        summary=title,
                        status=PostStatus.PUBLISHED.value,
                        published_at=now_utc() - timedelta(hours=hours),
                        author=editor,
                    )
                    refresh_post_html(post)
                    db.session.add(post)
                db.session.commit()
                db.session.remove()
                db.engine.dispose()
            backend_port = free_port()
            server = Server(
                [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{backend_port}",
                 "--graceful-timeout", "5", "blog.wsgi:app"],
                backend_port, url, folder,
                settings={
                    # As deploy/goodnews.service runs it behind deploy/nginx.conf.
                    "BLOG_TRUSTED_PROXIES": "1",
                    "BLOG_SITE_URL": ORIGIN,
                    "BLOG_PREFER_HTTPS": "true",
                    "BLOG_COMMENT_MODERATION": "first-time",
                },
            )  # fmt: skip
            http_port, https_port = free_port(), free_port()
            try:
                conf = render(folder, backend_port, http_port, https_port, binary)
                nginx = Nginx(binary, folder, conf, [https_port, http_port])
                try:
                    yield https_port
                finally:
                    nginx.stop()
            finally:
                server.stop()
            log = server.output()
            assert "Traceback" not in log, log[-3000:]


def test_a_reader_without_cookies_is_served_from_the_cache(stack):
    reader = Browser(stack)
    for path in ("/posts/reading", "/"):
        first, second = reader.get(path), reader.get(path)
        assert first.status == second.status == 200
        assert second.cache == "HIT", (path, first.cache, second.headers.get("Cache-Control"))
        assert second.body == first.body  # byte for byte: nothing of this reader in it
        assert second.headers["Cache-Control"].startswith("public, ")
        assert "Set-Cookie" not in first.headers
        assert reader.cookies == {}
        # Another reader without cookies gets the very same copy.
        other = Browser(stack).get(path)
        assert other.cache == "HIT" and other.body == first.body


def test_an_htmx_request_and_a_page_visit_never_share_a_cached_answer(stack):
    """The key holds HX-Request: this URL answers a fragment to htmx and a redirect to a visit."""
    reader = Browser(stack)
    for _ in range(2):
        visit = reader.get("/posts/reading/comments")
        fragment = reader.get("/posts/reading/comments", **{"HX-Request": "true"})
        assert visit.status == 303
        assert fragment.status == 200 and "<html" not in fragment.text


def test_a_held_comment_shows_to_its_writer_and_to_nobody_else(stack):
    text = "Held for moderation: my very first comment here"
    anonymous = Browser(stack)
    assert text not in anonymous.get("/posts/held").text  # the page is in the cache now
    commenter = post_held_comment(stack, "held", text)
    time.sleep(1.2)  # the cached copy is past its s-maxage: a stored answer would replace it
    own = commenter.get("/posts/held")
    assert own.status == 200
    assert own.cache == "BYPASS"
    assert text in own.text and "awaiting moderation" in own.text
    assert "public" not in own.headers["Cache-Control"]
    seen = [anonymous.get("/posts/held") for _ in range(4)]
    for answer in seen:
        assert answer.status == 200
        assert text not in answer.text
    assert seen[-1].cache in FROM_CACHE


def test_a_signed_in_author_never_gets_a_cached_page_nor_leaves_one(stack):
    anonymous = Browser(stack)
    shared = {path: served_from_cache(anonymous, path) for path in ("/posts/signed-in", "/")}
    editor = sign_in(stack)
    time.sleep(1.2)  # past s-maxage: were the editor's answers stored, they would replace it
    for _ in range(3):
        for path in ("/posts/signed-in", "/", "/admin/"):
            mine = editor.get(path)
            assert mine.status == 200
            assert mine.cache in ("BYPASS", None), (path, mine.cache)
            # Public only when nothing in it is the author's (a CDN that knows no cookies may
            # keep what the app marks public): the same bytes a reader without cookies gets.
            if "public" in mine.headers["Cache-Control"]:
                assert mine.body == shared[path].body, path
    article = editor.get("/posts/signed-in")
    assert 'class="logged-in-as"' in article.text  # their own page: comment as themselves
    assert "public" not in article.headers["Cache-Control"]
    for path in ("/posts/signed-in", "/"):
        for _ in range(3):
            theirs = anonymous.get(path)
            assert theirs.status == 200
            assert 'class="logged-in-as"' not in theirs.text
            assert "Log out" not in theirs.text
        assert theirs.cache in FROM_CACHE


def test_approved_and_removed_comments_reach_every_reader_within_the_delay(stack):
    text = "Please plant a lime tree outside the school"
    commenter = post_held_comment(stack, "moderated", text)
    assert text in commenter.get("/posts/moderated").text
    reader = Browser(stack)
    reader.get("/posts/moderated")
    assert text not in reader.get("/posts/moderated").text
    editor = sign_in(stack)

    # A busy page: a reader every 0.1 s. The approval shows as soon as nginx has refreshed its
    # copy (one request finds it past s-maxage and gets it stale while nginx fetches anew).
    moderate(editor, text, "approve")
    approved_at = time.monotonic()
    shown_after = None
    while time.monotonic() - approved_at < DELAY + 2:
        if text in reader.get("/posts/moderated").text:
            shown_after = time.monotonic() - approved_at
            break
        time.sleep(0.1)
    assert shown_after is not None and shown_after <= DELAY + NGINX_CLOCK, shown_after
    for _ in range(5):  # from then on, to everyone
        assert text in Browser(stack).get("/posts/moderated").text

    # A quiet page: nobody reads it after the removal until the delay has passed. That first
    # reader already gets the page without the comment: a stale copy is served only within the
    # app's stale-while-revalidate, not however old it is.
    assert text in served_from_cache(reader, "/posts/moderated").text
    moderate(editor, text, "trash")
    time.sleep(DELAY + NGINX_CLOCK + 0.5)
    first = Browser(stack).get("/posts/moderated")
    assert first.status == 200
    assert text not in first.text, first.cache
    assert first.cache != "STALE"
