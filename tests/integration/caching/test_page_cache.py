"""The shared page cache never shows stale content: every change is seen by every worker at once.

Two app instances on one database play two gunicorn workers: each with its own in-process cache,
or both on one Redis (TEST_REDIS_URL); on SQLite and on PostgreSQL (TEST_DATABASE_URL). Each
worker first caches the article, then a change made through the other one must show on the very
next request: a new comment, the poster's edit, every moderation action, a settings change, a
post edit and a template upgrade. Per-reader parts (CSRF token, held comments, saved name) are
never shared, and a conditional GET answers 304 without rendering anything.
"""

from __future__ import annotations

import re
import shutil
import uuid
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from flask import template_rendered
from sqlalchemy import event

import blog
from blog.extensions import db
from blog.models import Comment, CommentStatus, Post, PostStatus, now_utc
from blog.settings import save_settings
from tests.conftest import Factory, IsolatedClient
from tests.helpers import (
    READER,
    READER_EMAIL,
    TEXT,
    fields,
    make_test_app,
    require_service,
    scratch_database,
)

SETUPS = ["sqlite", "sqlite+redis", "postgresql", "postgresql+redis"]


def database_url(setup: str, tmp_path):
    """SQLite in tmp_path, or a throwaway PostgreSQL database dropped afterwards."""
    return scratch_database(setup, tmp_path, name="shared")


class Workers:
    """Two apps on one database; ``a`` and ``b`` are two readers' browsers, one per worker."""

    def __init__(self, tmp_path, url: str, cache: dict, password_hash: str):
        self.tmp_path = tmp_path
        self.url = url
        self.cache = cache
        self.apps = [self.new_app() for _ in range(2)]
        self.make = Factory(password_hash)
        with self.apps[0].app_context():
            db.create_all()
        self.a = self.apps[0].test_client()
        self.b = self.apps[1].test_client()

    def new_app(self):
        app = make_test_app(
            self.tmp_path,
            SQLALCHEMY_DATABASE_URI=self.url,
            COMMENT_MIN_SECONDS=0,
            COMMENT_FLOOD_SECONDS=0,
            **self.cache,
        )
        app.test_client_class = IsolatedClient
        return app

    def run(self, function, app=None):
        """Run ``function()`` with worker a's database session (the factories need one)."""
        with (app or self.apps[0]).app_context():
            return function()

    def close(self):
        for app in self.apps:
            with app.app_context():
                if app is self.apps[0]:
                    db.drop_all()
                db.engine.dispose()


@pytest.fixture(params=SETUPS)
def workers(request, tmp_path, monkeypatch, password_hash):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    cache = {"CACHE_TYPE": "SimpleCache"}
    if request.param.endswith("+redis"):
        cache = {
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": require_service("TEST_REDIS_URL", "Redis"),
            "CACHE_KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}:",
        }
    with database_url(request.param, tmp_path) as url:
        found = Workers(tmp_path, url, cache, password_hash)
        yield found
        found.close()


def page(client, slug: str, **headers) -> str:
    response = client.get(f"/posts/{slug}", headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def article(workers, comments: int = 1, **fields_) -> SimpleNamespace:
    def build():
        post = workers.make.post("Library reopens", **fields_)
        for n in range(comments):
            workers.make.comment(post, body=f"Existing comment {n}", author_name=f"Reader {n}")
        workers.make.comment(post, author_name=READER, author_email=READER_EMAIL, body="Hi.")
        return SimpleNamespace(id=post.id, slug=post.slug)

    return workers.run(build)


def both_cached(workers, slug: str) -> None:
    """Each worker renders the article once, so the next request would come from its cache."""
    for client in (workers.a, workers.b):
        page(client, slug)
        page(client, slug)


def test_a_new_comment_shows_in_every_worker(workers):
    post = article(workers)
    both_cached(workers, post.slug)
    reader = workers.apps[0].test_client()
    response = reader.post(f"/posts/{post.slug}/comments", data=fields(reader, post))
    assert response.status_code == 303
    assert TEXT in page(workers.b, post.slug)
    assert TEXT in page(workers.a, post.slug)


def test_the_posters_edit_shows_in_every_worker(workers):
    post = article(workers)
    poster = workers.apps[0].test_client()
    poster.post(f"/posts/{post.slug}/comments", data=fields(poster, post))
    comment_id = workers.run(lambda: db.session.scalar(db.select(Comment.id).filter_by(body=TEXT)))
    both_cached(workers, post.slug)
    response = poster.post(f"/comments/{comment_id}/edit", data={"comment": "Edited: even better."})
    assert response.status_code == 303
    html = page(workers.b, post.slug)
    assert "Edited: even better." in html
    assert TEXT not in html


@pytest.mark.parametrize(
    ("action", "start", "shown"),
    [
        ("approve", CommentStatus.PENDING.value, True),
        ("unapprove", CommentStatus.APPROVED.value, False),
        ("spam", CommentStatus.APPROVED.value, False),
        ("trash", CommentStatus.APPROVED.value, False),
        ("delete", CommentStatus.TRASH.value, False),
    ],
)
def test_every_moderation_action_shows_in_every_worker(workers, action, start, shown):
    post = article(workers)

    def setup():
        workers.make.author("editor", display_name="Edith Editor")
        target = workers.make.comment(
            db.session.get(Post, post.id), body="The comment being moderated.", status=start
        )
        if action == "delete":  # shown until the trash step, then deleted for good
            target.status = CommentStatus.APPROVED.value
            db.session.commit()
        return target.id

    comment_id = workers.run(setup)
    both_cached(workers, post.slug)
    assert ("The comment being moderated." in page(workers.b, post.slug)) is (start != "pending")
    editor = workers.apps[0].test_client()
    editor.post("/admin/login", data={"username": "editor", "password": "correct horse battery"})
    if action == "delete":
        assert editor.post(f"/admin/comments/{comment_id}/trash").status_code == 303
    assert editor.post(f"/admin/comments/{comment_id}/{action}").status_code == 303
    assert ("The comment being moderated." in page(workers.b, post.slug)) is shown
    assert ("The comment being moderated." in page(workers.a, post.slug)) is shown


def test_a_settings_change_shows_in_every_worker(workers):
    post = article(workers)
    both_cached(workers, post.slug)
    with workers.apps[0].test_request_context():
        save_settings({"SITE_TITLE": "Better News Daily"})
    assert "Better News Daily" in page(workers.b, post.slug)


def test_a_post_edit_shows_in_every_worker(workers):
    post = article(workers)
    both_cached(workers, post.slug)

    def edit():
        db.session.get(Post, post.id).title = "Library reopens, with a fish tank"
        db.session.commit()

    workers.run(edit)
    assert "with a fish tank" in page(workers.b, post.slug)


def test_a_template_upgrade_never_reads_pages_rendered_by_the_old_one(workers, monkeypatch):
    post = article(workers)
    both_cached(workers, post.slug)
    upgraded = workers.tmp_path / "templates-upgraded"
    shutil.copytree(blog.asset_dir("templates"), upgraded)
    template = upgraded / "reading" / "post.html"
    template.write_text(
        template.read_text().replace(
            '<div class="entry-content" hx-disable>',
            '<div class="entry-content" data-upgraded="yes" hx-disable>',
        )
    )
    original = blog.asset_dir
    monkeypatch.setattr(
        blog, "asset_dir", lambda name: str(upgraded) if name == "templates" else original(name)
    )
    new_worker = workers.new_app()  # same database, same cache (Redis: the same entries)
    html = page(new_worker.test_client(), post.slug)
    assert 'data-upgraded="yes"' in html
    assert 'data-upgraded="yes"' not in page(workers.a, post.slug)
    with new_worker.app_context():
        db.engine.dispose()


def test_a_conditional_get_answers_304_without_rendering(workers):
    post = article(workers)
    first = workers.a.get(f"/posts/{post.slug}")
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    rendered = []

    def record(sender, template, context, **extra):
        rendered.append(template.name)

    with template_rendered.connected_to(record, workers.apps[0]):
        again = workers.a.get(f"/posts/{post.slug}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert rendered == []
    # The page holds no per-reader token: another reader without cookies has the same copy.
    other = workers.apps[0].test_client()
    assert other.get(f"/posts/{post.slug}", headers={"If-None-Match": etag}).status_code == 304
    # A reader whose form "Save my name" prefills has a page of their own.
    remembered = workers.apps[0].test_client()
    data = fields(remembered, post, author="Ruth", email="ruth@example.org", remember="y")
    remembered.post(f"/posts/{post.slug}/comments", data=data)
    mine = remembered.get(f"/posts/{post.slug}", headers={"If-None-Match": etag})
    assert mine.status_code == 200
    assert mine.headers["Cache-Control"] == "private, no-cache"
    etag = workers.a.get(f"/posts/{post.slug}").headers["ETag"]  # Ruth's comment is new content
    # New content (through the other worker) changes the ETag.
    reader = workers.apps[1].test_client()
    reader.post(f"/posts/{post.slug}/comments", data=fields(reader, post))
    changed = workers.a.get(f"/posts/{post.slug}", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert TEXT in changed.get_data(as_text=True)
    assert changed.headers["ETag"] != etag


def test_what_one_reader_sees_of_their_own_is_never_shared(workers):
    post = article(workers, comments=0)
    both_cached(workers, post.slug)
    newcomer = workers.apps[0].test_client()
    data = fields(newcomer, post, author="New Person", email="new@example.org", remember="y")
    assert newcomer.post(f"/posts/{post.slug}/comments", data=data).status_code == 303
    mine = page(newcomer, post.slug)
    assert "Your comment is awaiting moderation." in mine
    assert 'value="New Person"' in mine  # "save my name" prefills their form
    for other in (workers.a, workers.b):
        html = page(other, post.slug)
        assert TEXT not in html
        assert "awaiting moderation" not in html
        assert "New Person" not in html


def _stamp(html: str) -> str:
    return re.search(r'name="stamp" value="([^"]+)"', html).group(1)


def test_every_reader_without_cookies_gets_the_same_public_page(workers):
    """No per-reader token: the bytes differ only by the form's timestamp, which counts whole
    seconds; the page says a shared cache may keep it, and posting from it works."""
    post = article(workers)
    for app in workers.apps:
        app.config["WTF_CSRF_ENABLED"] = True
    both_cached(workers, post.slug)
    first, second = workers.apps[1].test_client(), workers.apps[1].test_client()
    answers = [c.get(f"/posts/{post.slug}") for c in (first, second)]
    html_first, html_second = (a.get_data(as_text=True) for a in answers)
    assert "mark-" not in html_first and "csrf_token" not in html_first
    stamp = _stamp(html_first)
    assert html_first.replace(stamp, "") == html_second.replace(_stamp(html_second), "")
    for answer in answers:
        assert answer.headers["Cache-Control"] == (
            "public, max-age=0, s-maxage=1, stale-while-revalidate=10"
        )
        assert "Set-Cookie" not in answer.headers
        assert answer.headers["ETag"] == answers[0].headers["ETag"]
    data = fields(second, post, stamp=stamp)
    data["stamp"] = stamp
    response = second.post(
        f"/posts/{post.slug}/comments", data=data, headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert response.status_code == 303, response.get_data(as_text=True)[-3000:]
    assert TEXT in page(workers.a, post.slug)


def _count_statements(app, client, url: str) -> int:
    """Statements SQLite itself runs for one request, transaction control left out: a read on
    a raw DBAPI connection (the settings, blog/settings.py) counts like one through SQLAlchemy."""
    statements = []

    def trace(dbapi_connection, connection_record):
        dbapi_connection.set_trace_callback(statements.append)

    with app.app_context():
        engine = db.engine
    engine.dispose()  # pooled connections were made without the trace
    event.listen(engine, "connect", trace)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "connect", trace)
        engine.dispose()
    control = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")
    return sum(1 for statement in statements if not statement.lstrip().upper().startswith(control))


@pytest.mark.parametrize("workers", ["sqlite"], indirect=True)
def test_sql_statements_per_article_page_do_not_grow_with_the_thread(workers):
    small = article(workers, comments=2)

    def big_thread():
        post = workers.make.post("A busy thread", slug="busy")
        parent = None
        for n in range(160):  # three comment pages (120 top-level), with replies
            made = workers.make.comment(
                post, body=f"Comment {n}", parent=parent if n % 4 == 3 else None
            )
            parent = made if n % 4 == 0 else parent
        return post.slug

    busy = workers.run(big_thread)
    app = workers.apps[1]
    own = app.test_client()  # with a held comment of their own: pages are rendered for them
    for slug in (small.slug, busy):
        target = SimpleNamespace(slug=slug)
        assert own.post(f"/posts/{slug}/comments", data=fields(own, target)).status_code == 303
    urls = (f"/posts/{small.slug}", f"/posts/{busy}", f"/posts/{busy}?cpage=3")
    for url in urls:  # sidebar and neighbours are kept per content version; the thread is not
        own.get(url)
    counts = {url: _count_statements(app, own, url) for url in urls}
    assert len(set(counts.values())) == 1, counts
    shared = workers.apps[1].test_client()
    for url in urls:
        shared.get(url)
    # Served from the cache: one statement reads the settings and the content version, one the
    # article's own discussion_version.
    assert {url: _count_statements(app, shared, url) for url in urls} == dict.fromkeys(urls, 2)


def test_listings_show_new_comment_counts_in_every_worker(workers):
    post = article(workers, comments=0)  # one approved comment, by the reader
    for client in (workers.a, workers.b):
        for url in ("/", "/feed.xml"):
            assert client.get(url).status_code == 200
    assert "1 Comment<" in workers.b.get("/").get_data(as_text=True)
    reader = workers.apps[0].test_client()
    reader.post(f"/posts/{post.slug}/comments", data=fields(reader, post))
    assert "2 Comments<" in workers.b.get("/").get_data(as_text=True)

    def retitle():
        db.session.get(Post, post.id).title = "A brand new title"
        db.session.commit()

    workers.run(retitle)
    assert "A brand new title" in workers.b.get("/feed.xml").get_data(as_text=True)


def test_a_scheduled_post_appears_when_its_time_comes_without_any_write(workers, monkeypatch):
    article(workers)
    soon = now_utc() + timedelta(hours=1)
    workers.run(
        lambda: workers.make.post(
            "Tomorrow's news", status=PostStatus.SCHEDULED.value, published_at=soon
        )
    )
    for client in (workers.a, workers.b):
        assert "Tomorrow&#39;s news" not in client.get("/").get_data(as_text=True)
    later = soon + timedelta(minutes=1)

    class Later(datetime):
        @classmethod
        def now(cls, tz=None):
            return later

    monkeypatch.setattr("blog.caching.pagecache.datetime", Later)
    monkeypatch.setattr("blog.caching.pagecache.now_utc", lambda: later)
    monkeypatch.setattr("blog.reading.queries.now_utc", lambda: later)
    assert "Tomorrow&#39;s news" in workers.b.get("/").get_data(as_text=True)


def test_the_version_a_request_reads_matches_what_it_sees(app, make):
    """The version is read on a raw pooled connection while the request's session has no
    transaction yet (cheap, and all it reads later is that version or newer). Once the request
    has written, it reads the version in its own transaction: the new token of its uncommitted
    change, which a rollback takes away again."""
    from flask import g

    from blog.caching import pagecache
    from blog.models import Tag

    make.post("Something to read")
    db.session.commit()
    db.session.remove()  # as a new request finds it: no session yet
    with app.test_request_context("/"):
        committed = pagecache.content_version()
        assert not db.session.registry.has(), "the version read opened an ORM session"
        db.session.add(Tag(name="Fresh", slug="fresh"))
        db.session.flush()  # bumps the version in this transaction
        written = pagecache.content_version()
        assert written != committed
        db.session.rollback()
        g.pop("saved_settings", None)
        g.pop("content_version", None)
        assert pagecache.content_version() == committed
    db.session.remove()


def test_a_commenter_gets_the_shared_page_where_nothing_of_theirs_shows(workers, monkeypatch):
    """The own-comments cookie lasts COMMENT_OWN_DAYS; only a page that shows the visitor
    something of theirs (a held comment, or one still editable) is rendered for them. Elsewhere,
    and once their comment is published and past the edit window, they get the shared page."""
    here = article(workers, comments=0)
    elsewhere = workers.run(lambda: SimpleNamespace(slug=workers.make.post("Elsewhere").slug))
    app = workers.apps[0]
    rendered = []

    def record(sender, template, context, **extra):
        rendered.append(template.name)

    def renders(client, slug) -> bool:
        rendered.clear()
        with template_rendered.connected_to(record, app):
            html = page(client, slug)
        return bool(rendered), html

    commenter = app.test_client()
    data = fields(commenter, here, author="New Person", email="new@example.org")
    assert commenter.post(f"/posts/{here.slug}/comments", data=data).status_code == 303
    both_cached(workers, elsewhere.slug)
    # Held: their page shows it; another article is the shared one.
    assert renders(commenter, here.slug)[0]
    assert "Your comment is awaiting moderation." in renders(commenter, here.slug)[1]
    assert not renders(commenter, elsewhere.slug)[0]

    def publish():
        comment = db.session.scalars(
            db.select(Comment).where(Comment.author_name == "New Person")
        ).one()
        comment.status = CommentStatus.APPROVED.value
        db.session.commit()

    workers.run(publish)
    page(workers.a, here.slug)  # the shared page, rendered again for the new content
    # Published but still within the edit window: Edit and Delete are theirs alone.
    was_rendered, html = renders(commenter, here.slug)
    assert was_rendered and ">Edit</a>" in html
    # Past the window: the shared page, the same as anyone's.
    later = now_utc() + timedelta(minutes=16)
    monkeypatch.setattr("blog.caching.article_cache.now_utc", lambda: later)
    monkeypatch.setattr("blog.comments.lifecycle.now_utc", lambda: later)
    was_rendered, html = renders(commenter, here.slug)
    assert not was_rendered
    assert ">Edit</a>" not in html and TEXT in html


def test_a_saved_name_is_filled_into_the_shared_page_escaped(workers):
    """ "Save my name, email, and website" no longer costs a rendered page on every visit: the
    shared article carries marks where the form shows them, and each reader's own values (HTML-
    escaped) go in. Nobody else's page, and no ETag of another reader, carries them."""
    here = article(workers, comments=0)
    elsewhere = workers.run(lambda: SimpleNamespace(slug=workers.make.post("Elsewhere").slug))
    app = workers.apps[0]
    name, site = 'Ann "<b>" O\'Neil', "https://ann.example.org/?a=1&b=2"
    reader = app.test_client()
    data = fields(reader, here, author=name, email="ann@example.org", url=site, remember="y")
    assert reader.post(f"/posts/{here.slug}/comments", data=data).status_code == 303
    both_cached(workers, elsewhere.slug)
    rendered = []

    def record(sender, template, context, **extra):
        rendered.append(template.name)

    with template_rendered.connected_to(record, app):
        html = page(reader, elsewhere.slug)
    assert rendered == []  # the shared page, from the cache
    assert 'value="Ann &#34;&lt;b&gt;&#34; O&#39;Neil"' in html
    assert 'value="ann@example.org"' in html
    assert 'value="https://ann.example.org/?a=1&amp;b=2"' in html
    assert re.search(r'<input id="remember"\s+checked\s+name="remember"', html)
    assert "mark-" not in html
    for other in (workers.a, workers.b):
        theirs = page(other, elsewhere.slug)
        assert "ann@example.org" not in theirs and "Neil" not in theirs
        assert re.search(r'<input id="remember"\s+name="remember"', theirs)
        assert (
            'id="author" maxlength="245" name="author" required size="30" type="text" value=""'
            in (theirs)
        )
    # Their ETag is theirs: a conditional GET by another reader with it gets the full page.
    etag = reader.get(f"/posts/{elsewhere.slug}").headers["ETag"]
    assert (
        reader.get(f"/posts/{elsewhere.slug}", headers={"If-None-Match": etag}).status_code == 304
    )
    assert (
        workers.a.get(f"/posts/{elsewhere.slug}", headers={"If-None-Match": etag}).status_code
        == 200
    )


def test_the_fresh_form_after_a_post_is_each_readers_own(workers):
    """The blank form in an htmx post's answer comes from a cache entry that outlives the
    content version: it must carry each reader's own saved values, never another's,
    and follow the article to a new address."""
    here = article(workers, comments=0)
    app = workers.apps[0]
    first, second = app.test_client(), app.test_client()
    htmx = {"HX-Request": "true"}
    mine = fields(first, here, author='Ann "A"', email="ann@example.org", remember="y")
    answer = first.post(f"/posts/{here.slug}/comments", data=mine, headers=htmx)
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert "csrf_token" not in html  # readers' posts are checked by their browser's headers
    assert 'value="Ann &#34;A&#34;"' in html and re.search(r'id="remember"\s+checked', html)
    theirs = fields(second, here, author="Bea", email="bea@example.org", comment="Me too.")
    html = second.post(f"/posts/{here.slug}/comments", data=theirs, headers=htmx).get_data(
        as_text=True
    )
    assert "Ann" not in html.split('id="respond"')[-1]  # the form part: nothing of Ann's
    assert 'id="author" maxlength="245" name="author" required size="30" type="text" value=""' in (
        html
    )
    assert "mark-" not in html
    assert f'action="/posts/{here.slug}/comments"' in html

    def move():
        post = db.session.get(Post, here.id)
        post.slug = "library-reopened"
        db.session.commit()

    workers.run(move)
    moved = SimpleNamespace(slug="library-reopened")
    again = fields(second, moved, author="Bea", email="bea@example.org", comment="Moved!")
    html = second.post("/posts/library-reopened/comments", data=again, headers=htmx).get_data(
        as_text=True
    )
    assert 'action="/posts/library-reopened/comments"' in html


def test_a_comment_renders_its_own_article_again_and_no_other(workers):
    """Issue #24: a comment moves its article's version and the listings' comments token, not
    the site's content version. Another article keeps its cached page (the same ETag, 304, and
    no template rendered); a held comment changes no shared page at all."""
    here = article(workers, comments=0)
    elsewhere = workers.run(
        lambda: SimpleNamespace(slug=workers.make.post("Bridge repaired", slug="bridge").slug)
    )
    app = workers.apps[0]
    for app_ in workers.apps:
        app_.config.update(COMMENT_MODERATION="none", COMMENT_MIN_SECONDS=0)

    def etags():
        return {
            url: workers.a.get(url).headers["ETag"]
            for url in (f"/posts/{here.slug}", "/posts/bridge", "/")
        }

    before = etags()
    reader = workers.apps[1].test_client()
    data = fields(reader, here, comment="Approved at once.")
    assert reader.post(f"/posts/{here.slug}/comments", data=data).status_code == 303
    after = etags()
    assert after[f"/posts/{here.slug}"] != before[f"/posts/{here.slug}"]
    assert after["/"] != before["/"]  # the listing shows the article's comment count
    assert after["/posts/bridge"] == before["/posts/bridge"]
    rendered = []

    def record(sender, template, context, **extra):
        rendered.append(template.name)

    with template_rendered.connected_to(record, app):
        again = workers.a.get(f"/posts/{elsewhere.slug}")
    assert again.status_code == 200 and rendered == []  # still the cached page

    # A held comment (moderation for everyone now) shows on no shared page.
    for app_ in workers.apps:
        app_.config["COMMENT_MODERATION"] = "all"
    held = fields(reader, here, comment="Waiting for a moderator.", author="New One")
    assert reader.post(f"/posts/{here.slug}/comments", data=held).status_code == 303
    assert etags() == after
    assert "Waiting for a moderator." not in page(workers.b, here.slug)
    assert "Waiting for a moderator." in page(reader, here.slug)  # its poster sees it
