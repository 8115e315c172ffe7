"""Private posts (only for accounts that may read them) and password-protected posts
(WordPress's form; the password remembered for the session as a proof, never the password):
every door to the content and its comments asks, and no shared cache keeps either."""

from __future__ import annotations

import re

import pytest

from blog.extensions import db
from blog.models import Comment, PostStatus
from tests.helpers import PASSWORD, fields

FORM_TEXT = "This content is password protected. To view it please enter your password below:"
NO_EXCERPT = "There is no excerpt because this is a protected post."
WRONG = "The password you entered is incorrect."


def login(client, username: str):
    response = client.post("/admin/login", data={"username": username, "password": PASSWORD})
    assert response.status_code in (302, 303), response.status_code


# --- private posts ------------------------------------------------------------------------------


@pytest.fixture
def private(make):
    writer = make.author("writer", role="author", display_name="Wanda Writer")
    post = make.post("Secret plans", status=PostStatus.PRIVATE.value, author=writer)
    return post


def test_a_private_post_is_nowhere_for_readers(client, make, private):
    public = make.post("Public news", published_at=private.published_at)
    comment = make.comment(private, body="Whispered remark")
    month = private.published_at
    for url in (
        "/",
        "/feed.xml",
        "/sitemap.xml",
        "/comments/feed.xml",
        f"/archive/{month.year}/{month.month}",
        f"/posts/{public.slug}",  # not a neighbour
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.get_data(as_text=True)
        assert "Secret plans" not in text and private.slug not in text, url
        assert "Whispered remark" not in text, url
    for url in (
        f"/posts/{private.slug}",
        f"/posts/{private.slug}/comments.xml",
        f"/posts/{private.slug}/respond",
        f"/posts/{private.slug}/comments",
        f"/posts/{private.slug}/comments/new",
        f"/c/{comment.id}",
    ):
        assert client.get(url, headers={"HX-Request": "true"}).status_code == 404, url
        assert client.get(url).status_code == 404, url


def test_who_may_read_a_private_post_sees_it_marked_and_uncached(client, make, private):
    make.author("edith", role="editor")
    make.author("other", role="author")
    login(client, "other")  # an author who did not write it
    assert client.get(f"/posts/{private.slug}").status_code == 404
    client.post("/admin/logout")
    for username in ("edith", "writer"):  # an editor, and its own author
        login(client, username)
        response = client.get(f"/posts/{private.slug}")
        assert response.status_code == 200, username
        html = response.get_data(as_text=True)
        assert "Private: Secret plans" in html
        assert response.headers["Cache-Control"] == "private, no-store"
        client.post("/admin/logout")
    # What they saw was kept by no shared cache: a reader still gets 404.
    assert client.get(f"/posts/{private.slug}").status_code == 404


def test_comments_on_a_private_post_only_from_those_who_may_read_it(
    app, client, make, private, fast_posting
):
    data = {"comment": "Sneaky", "author": "Eve", "email": "eve@example.org", "stamp": ""}
    response = client.post(f"/posts/{private.slug}/comments", data=data)
    assert response.status_code in (404, 410)
    assert "Secret plans" not in response.get_data(as_text=True)
    assert db.session.query(Comment).count() == 0
    make.author("edith", role="editor")
    login(client, "edith")
    response = client.post(
        f"/posts/{private.slug}/comments", data=fields(client, private, comment="Team note")
    )
    assert response.status_code == 303
    assert db.session.scalar(db.select(Comment.body)) == "Team note"


# --- password-protected posts -------------------------------------------------------------------


@pytest.fixture
def locked(make):
    post = make.post(
        "Members only",
        password="open sesame",
        summary="A summary nobody may read",
        body_md="The hidden body.\n\n<!--nextpage-->\n\nHidden page two.",
    )
    make.comment(post, body="A hidden comment")
    return post


def test_listings_and_feeds_show_no_content_of_a_protected_post(client, locked):
    home = client.get("/").get_data(as_text=True)
    assert "Protected: Members only" in home
    assert NO_EXCERPT in home
    assert "A summary nobody may read" not in home and "hidden body" not in home
    feed = client.get("/feed.xml").get_data(as_text=True)
    assert "Protected: Members only" in feed and NO_EXCERPT in feed
    assert "hidden" not in feed.lower() and "A summary nobody" not in feed
    comments = client.get("/comments/feed.xml").get_data(as_text=True)
    assert "A hidden comment" not in comments and "Members only" not in comments
    assert client.get(f"/posts/{locked.slug}/comments.xml").status_code == 404


def test_the_locked_article_shows_wordpress_form_and_nothing_else(app, client, locked):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.get(f"/posts/{locked.slug}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Protected: Members only" in html
    assert FORM_TEXT in html
    assert re.search(r'<label for="pwbox-\d+">Password:</label>', html)
    assert '<button type="submit">Enter</button>' in html
    assert f'action="/posts/{locked.slug}/unlock"' in html
    assert 'name="csrf_token"' not in html  # a reader's form: the browser's headers are checked
    for hidden in ("The hidden body", "Hidden page two", "A hidden comment", 'id="comments"'):
        assert hidden not in html, hidden
    assert 'name="comment"' not in html  # no comment form
    assert response.headers["Cache-Control"] == "private, no-store"
    # Page 2 and a comment page are locked alike.
    for url in (f"/posts/{locked.slug}/2", f"/posts/{locked.slug}?cpage=1"):
        page = client.get(url).get_data(as_text=True)
        assert (
            FORM_TEXT in page and "Hidden page two" not in page and "A hidden comment" not in page
        )
    # A post from another site is refused (blog/web/forgery.py).
    forged = client.post(
        f"/posts/{locked.slug}/unlock",
        data={"password": "open sesame"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert forged.status_code == 403
    assert FORM_TEXT in client.get(f"/posts/{locked.slug}").get_data(as_text=True)


def test_unlocking_with_the_password(app, client, locked):
    app.config["WTF_CSRF_ENABLED"] = True
    same = {"Sec-Fetch-Site": "same-origin"}
    wrong = client.post(f"/posts/{locked.slug}/unlock", data={"password": "guess"}, headers=same)
    assert wrong.status_code == 403
    html = wrong.get_data(as_text=True)
    error = re.search(r'<span id="(pwbox-\d+)-error" class="field-error">([^<]+)</span>', html)
    assert error and error.group(2) == WRONG
    assert f'aria-describedby="{error.group(1)}-error"' in html
    assert "The hidden body" not in html
    right = client.post(
        f"/posts/{locked.slug}/unlock", data={"password": "open sesame"}, headers=same
    )
    assert right.status_code == 303
    assert right.headers["Location"].endswith(f"/posts/{locked.slug}")
    response = client.get(f"/posts/{locked.slug}")
    html = response.get_data(as_text=True)
    assert "The hidden body" in html and "A hidden comment" in html and FORM_TEXT not in html
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "Hidden page two" in client.get(f"/posts/{locked.slug}/2").get_data(as_text=True)
    # Another browser is not unlocked: the page was kept by no shared cache.
    other = app.test_client()
    assert FORM_TEXT in other.get(f"/posts/{locked.slug}").get_data(as_text=True)
    # The session cookie holds a proof, not the password.
    cookie = client.get_cookie("session") or next(iter(client._cookies.values()))
    from itsdangerous import base64_decode

    raw = cookie.value.lstrip(".").split(".")[0]
    decoded = base64_decode(raw)
    if cookie.value.startswith("."):
        import zlib

        decoded = zlib.decompress(decoded)
    assert b"open sesame" not in decoded and b"unlocked_posts" in decoded
    # A changed password locks the post again.
    locked.password = "new secret"
    db.session.commit()
    assert FORM_TEXT in client.get(f"/posts/{locked.slug}").get_data(as_text=True)


def test_every_comment_door_is_shut_while_locked(app, client, make, locked, fast_posting):
    hidden = db.session.scalar(db.select(Comment).where(Comment.post_id == locked.id))
    data = {
        "comment": "Let me in",
        "author": "Mallory",
        "email": "mallory@example.org",
        "url": "",
        "parent": "",
        "homepage": "",
        "stamp": "",
    }
    for headers in ({}, {"HX-Request": "true"}):
        response = client.post(f"/posts/{locked.slug}/comments", data=data, headers=headers)
        assert response.status_code == 403
        assert "A hidden comment" not in response.get_data(as_text=True)
        for url in (
            f"/posts/{locked.slug}/respond?replytocom={hidden.id}",
            f"/posts/{locked.slug}/comments",
            f"/posts/{locked.slug}/comments/new",
            f"/c/{hidden.id}",
            f"/posts/{locked.slug}/comments.xml",
        ):
            assert client.get(url, headers=headers).status_code == 404, url
    # ?replytocom on the article shows the form, not the thread.
    html = client.get(f"/posts/{locked.slug}?replytocom={hidden.id}").get_data(as_text=True)
    assert FORM_TEXT in html and "A hidden comment" not in html
    assert db.session.query(Comment).count() == 1
    # Unlocked, the same browser may comment.
    client.post(f"/posts/{locked.slug}/unlock", data={"password": "open sesame"})
    response = client.post(
        f"/posts/{locked.slug}/comments", data=fields(client, locked, comment="Now I may")
    )
    assert response.status_code == 303
    assert client.get(f"/c/{hidden.id}").status_code == 302
    assert db.session.query(Comment).count() == 2


def test_a_poster_cannot_edit_their_comment_once_the_post_is_locked(client, make, fast_posting):
    post = make.post("Soon locked")
    response = client.post(f"/posts/{post.slug}/comments", data=fields(client, post))
    assert response.status_code == 303
    comment = db.session.scalar(db.select(Comment))
    assert client.get(f"/comments/{comment.id}/edit").status_code == 200
    post.password = "later"
    db.session.commit()
    assert client.get(f"/comments/{comment.id}/edit").status_code == 404
    assert client.post(f"/comments/{comment.id}/delete").status_code == 404


def test_a_protected_page_is_locked_alike(client, make, fast_posting):
    from blog.models import PostKind

    page = make.post("Team page", kind=PostKind.PAGE.value, password="pw", body_md="Page secret.")
    make.comment(page, body="Page comment")
    response = client.get(f"/{page.slug}/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert FORM_TEXT in html and "Protected: Team page" in html
    assert "Page secret." not in html and "Page comment" not in html
    assert response.headers["Cache-Control"] == "private, no-store"
    data = {"comment": "Hi", "author": "M", "email": "m@example.org", "stamp": ""}
    assert client.post(f"/posts/{page.slug}/comments", data=data).status_code == 403
    unlocked = client.post(f"/posts/{page.slug}/unlock", data={"password": "pw"})
    assert unlocked.status_code == 303 and unlocked.headers["Location"].endswith(f"/{page.slug}/")
    html = client.get(f"/{page.slug}/").get_data(as_text=True)
    assert "Page secret." in html and "Page comment" in html


def test_password_guesses_are_limited_per_address(tmp_path, monkeypatch):
    from tests.conftest import Factory
    from tests.helpers import make_test_app

    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_test_app(tmp_path, RATELIMIT_ENABLED=True, UNLOCK_RATE_LIMIT="3 per minute")
    with app.app_context():
        db.create_all()
        Factory("x").post("Guarded", password="right")
    client = app.test_client()
    for _ in range(3):
        assert client.post("/posts/guarded/unlock", data={"password": "wrong"}).status_code == 403
    refused = client.post("/posts/guarded/unlock", data={"password": "right"})
    assert refused.status_code == 429
    other = app.test_client()
    guessed = other.post(
        "/posts/guarded/unlock",
        data={"password": "right"},
        environ_base={"REMOTE_ADDR": "198.51.100.9"},
    )
    assert guessed.status_code == 303
    with app.app_context():
        db.drop_all()
        db.engine.dispose()
