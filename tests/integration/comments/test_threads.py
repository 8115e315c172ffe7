"""Threads, replies, visibility, the poster's own comments, permalinks, polling and feeds."""

from __future__ import annotations

import re
from datetime import timedelta

import feedparser
import pytest
from sqlalchemy import select

from blog.extensions import db
from blog.models import Comment, now_utc
from tests.helpers import HX, TEXT, approve_reader, fields

pytestmark = pytest.mark.usefixtures("fast_posting")


@pytest.fixture
def post(make):
    return make.post("Thread news")


def reply(make, post, parent, **fields_):
    return make.comment(
        post, parent=parent, depth=parent.depth + 1, root_id=parent.root_id or parent.id, **fields_
    )


def top(make, post, **fields_):
    comment = make.comment(post, **fields_)
    comment.root_id = comment.id
    db.session.commit()
    return comment


def test_thread_shows_name_date_permalink_avatar_and_reply(client, make, post):
    comment = top(
        make, post, author_name="Ann", author_url="https://ann.example", body="Hi *there*"
    )
    html = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "One thought on &ldquo;Thread news&rdquo;" in html
    assert '<a href="https://ann.example" rel="external nofollow ugc" class="url">Ann</a>' in html
    assert f'href="/posts/{post.slug}#comment-{comment.id}"' in html
    assert f'href="/posts/{post.slug}?replytocom={comment.id}#respond"' in html
    assert f'hx-get="/posts/{post.slug}/respond?replytocom={comment.id}"' in html
    avatar = re.search(r'src="(/avatar/[0-9a-f]{32}\.svg)"', html).group(1)
    with client.get(avatar) as response:
        assert response.mimetype == "image/svg+xml"
        assert "immutable" in response.headers["Cache-Control"]
    assert '<div class="comment-content" hx-disable>' in html


def test_nested_replies_and_depth_limit(app, client, make, post):
    app.config["COMMENT_THREAD_DEPTH"] = 3
    a = top(make, post, author_name="A")
    b = reply(make, post, a, author_name="B")
    c = reply(make, post, b, author_name="C")
    d = reply(make, post, c, author_name="D")
    html = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert f'id="li-comment-{a.id}" class="comment depth-1"' in html
    assert f'id="li-comment-{b.id}" class="comment depth-2"' in html
    assert f'id="li-comment-{c.id}" class="comment depth-3"' in html
    # D answers C but sits beside it at the deepest level, saying whom it answers.
    assert f'id="li-comment-{d.id}" class="comment depth-3"' in html
    children_of_b = html.split(f'id="children-{b.id}"')[1]
    assert f'id="li-comment-{d.id}"' in children_of_b
    assert "in reply to C" in html


def test_reply_through_the_form_nests_and_oob_targets_parent(client, make, post):
    parent = top(make, post, author_name="Parent")
    approve_reader(make, post)  # Rosa has been approved before
    data = fields(client, post, parent=str(parent.id))
    response = client.post(f"/posts/{post.slug}/comments", data=data, headers=HX)
    html = response.get_data(as_text=True)
    new = db.session.scalars(select(Comment).where(Comment.body == TEXT)).one()
    assert new.parent_id == parent.id and new.root_id == parent.id and new.depth == 1
    assert f'hx-swap-oob="beforeend:#children-{parent.id}"' in html


def test_no_js_reply_link_puts_form_under_the_comment(client, make, post):
    parent = top(make, post, author_name="Bea")
    html = client.get(f"/posts/{post.slug}?replytocom={parent.id}").get_data(as_text=True)
    slot = html.split(f'id="reply-slot-{parent.id}"')[1].split("</div>")[0]
    assert '<form id="respond"' in slot
    assert "Leave a Reply to Bea" in html
    assert "Cancel reply" in html
    assert f'name="parent" value="{parent.id}"' in html
    assert html.count('id="respond"') == 1


def test_htmx_reply_link_moves_the_form(client, make, post):
    parent = top(make, post, author_name="Bea")
    response = client.get(f"/posts/{post.slug}/respond?replytocom={parent.id}", headers=HX)
    html = response.get_data(as_text=True)
    assert '<form id="respond" hx-preserve></form>' in html
    assert 'id="reply-title" class="comment-reply-title" hx-swap-oob="true"' in html
    assert "Leave a Reply to Bea" in html
    assert f'value="{parent.id}" hx-swap-oob="true"' in html
    cancel = client.get(f"/posts/{post.slug}/respond", headers=HX).get_data(as_text=True)
    assert "Leave a Reply\n" in cancel or "Leave a Reply</h3>" in cancel.replace("\n", "")
    assert 'name="parent" value="" hx-swap-oob="true"' in cancel
    plain = client.get(f"/posts/{post.slug}/respond?replytocom={parent.id}")
    assert plain.status_code == 303
    assert plain.headers["Location"].endswith(f"?replytocom={parent.id}#respond")


@pytest.mark.parametrize("status", ["pending", "spam", "trash"])
def test_reply_to_unpublished_comment_is_refused(client, make, post, status):
    parent = top(make, post, status=status)
    data = fields(client, post, parent=str(parent.id))
    response = client.post(f"/posts/{post.slug}/comments", data=data, headers=HX)
    assert response.status_code == 422
    assert "is no longer published; your text is still here" in response.get_data(as_text=True)
    assert TEXT in response.get_data(as_text=True)


def test_reply_to_missing_comment_is_refused(client, post):
    data = fields(client, post, parent="99999")
    response = client.post(f"/posts/{post.slug}/comments", data=data)
    assert response.status_code == 422
    assert "does not exist" in response.get_data(as_text=True)


def test_pending_comment_visible_only_to_its_poster(app, client, post):
    client.post(f"/posts/{post.slug}/comments", data=fields(client, post))
    mine = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert TEXT in mine
    assert "Your comment is awaiting moderation." in mine
    stranger = app.test_client()
    theirs = stranger.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert TEXT not in theirs
    assert "No comments yet" in theirs


def test_own_cookie_lasts_seven_days_and_is_signed(client, post):
    response = client.post(f"/posts/{post.slug}/comments", data=fields(client, post))
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if "blog_own_comments" in c)
    assert "Max-Age=604800" in cookie
    assert "HttpOnly" in cookie
    client.set_cookie("blog_own_comments", "forged")
    assert TEXT not in client.get(f"/posts/{post.slug}").get_data(as_text=True)


def test_remember_me_prefills_and_unticking_forgets(client, post):
    data = fields(client, post, remember="y", url="https://rosa.example")
    response = client.post(f"/posts/{post.slug}/comments", data=data)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if "blog_commenter=" in c)
    assert "Max-Age=31536000" in cookie
    html = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert 'value="Rosa Reader"' in html
    assert 'value="rosa@example.org"' in html
    assert 'value="https://rosa.example"' in html
    assert re.search(r'<input checked id="remember" name="remember" type="checkbox"', html)
    data = fields(client, post, comment="Second, forget me")
    data.pop("remember", None)
    client.post(f"/posts/{post.slug}/comments", data=data)
    html = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert 'value="Rosa Reader"' not in html


def test_email_and_ip_never_in_public_responses(app, make, post):
    secret_email = "hidden.person@secret-mail.example"
    secret_ip = "203.0.113.77"
    parent = top(make, post, author_email=secret_email, author_ip=secret_ip, body="Public words")
    reply(make, post, parent, author_email=secret_email, author_ip=secret_ip)
    stranger = app.test_client()
    paths = [
        "/",
        f"/posts/{post.slug}",
        f"/posts/{post.slug}?replytocom={parent.id}",
        f"/posts/{post.slug}/comments.xml",
        "/comments/feed.xml",
        "/feed.xml",
        "/sitemap.xml",
    ]
    for path in paths:
        for headers in ({}, HX):
            body = stranger.get(path, headers=headers).get_data(as_text=True)
            assert secret_email not in body, path
            assert "secret-mail" not in body, path
            assert secret_ip not in body, path
    for path in (
        f"/posts/{post.slug}/comments",
        f"/posts/{post.slug}/comments/new?after=0",
        f"/posts/{post.slug}/respond?replytocom={parent.id}",
        f"/c/{parent.id}",
    ):
        body = stranger.get(path, headers=HX).get_data(as_text=True)
        assert secret_email not in body and secret_ip not in body, path


def test_comment_pages_and_permalinks(app, client, make, post):
    app.config["COMMENTS_PER_PAGE"] = 2
    base = now_utc() - timedelta(hours=1)
    comments = [
        top(make, post, body=f"Number {n}", created_at=base + timedelta(minutes=n))
        for n in range(5)
    ]
    first = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "Number 0" in first and "Number 1" in first and "Number 2" not in first
    assert f'href="/posts/{post.slug}?cpage=3#comments"' in first
    third = client.get(f"/posts/{post.slug}?cpage=3").get_data(as_text=True)
    assert "Number 4" in third
    response = client.get(f"/c/{comments[3].id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/posts/{post.slug}?cpage=2#comment-{comments[3].id}"
    assert (
        client.get(f"/c/{comments[0].id}")
        .headers["Location"]
        .endswith(f"#comment-{comments[0].id}")
    )
    assert client.get(f"/posts/{post.slug}?cpage=9").status_code == 404
    hidden = top(make, post, status="pending")
    assert client.get(f"/c/{hidden.id}").status_code == 404
    assert client.get("/c/424242").status_code == 404


def test_newest_first_order(app, client, make, post):
    app.config["COMMENT_ORDER"] = "newest"
    base = now_utc() - timedelta(hours=1)
    top(make, post, body="Older one", created_at=base)
    top(make, post, body="Newer one", created_at=base + timedelta(minutes=5))
    html = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert html.index("Newer one") < html.index("Older one")


def test_poll_reports_new_comments(app, client, make, post):
    first = top(make, post)
    html = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert f'hx-get="/posts/{post.slug}/comments/new?after={first.id}"' in html
    assert 'hx-trigger="every 30s"' in html
    none_yet = client.get(f"/posts/{post.slug}/comments/new?after={first.id}", headers=HX)
    assert "new comment" not in none_yet.get_data(as_text=True)
    top(make, post)
    top(make, post)
    top(make, post, status="pending")
    news = client.get(f"/posts/{post.slug}/comments/new?after={first.id}", headers=HX)
    body = news.get_data(as_text=True)
    assert "2 new comments — show" in body
    assert f'hx-get="/posts/{post.slug}/comments"' in body
    assert news.headers["Cache-Control"] == "no-store"
    thread = client.get(f"/posts/{post.slug}/comments", headers=HX)
    assert thread.status_code == 200
    assert "<html" not in thread.get_data(as_text=True)
    assert thread.get_data(as_text=True).count('class="comment depth-1"') == 3


def test_comment_feeds(client, make, post):
    other = make.post("Another story")
    top(make, post, author_name="Feeder", body="First <b>bold</b> words")
    top(make, post, status="pending", body="Not yet")
    top(make, other, body="Elsewhere")
    site = feedparser.parse(client.get("/comments/feed.xml").data)
    assert not site.bozo
    assert len(site.entries) == 2
    one = feedparser.parse(client.get(f"/posts/{post.slug}/comments.xml").data)
    assert not one.bozo
    assert [e.author for e in one.entries] == ["Feeder"]
    assert "<b>bold</b>" in one.entries[0].content[0].value
    assert "Not yet" not in client.get("/comments/feed.xml").get_data(as_text=True)
    assert client.get("/posts/nope/comments.xml").status_code == 404


def test_bad_avatar_keys_are_404(client):
    for key in ("../../etc", "ABCDEF0123456789ABCDEF0123456789", "short"):
        assert client.get(f"/avatar/{key}.svg").status_code == 404


@pytest.mark.parametrize("order", ["oldest", "newest"])
def test_a_new_comments_page_from_stored_counts_is_the_counted_page(app, make, post, order):
    """The answer to a new comment places it from the counts the database keeps instead of
    counting the thread before it. On a thread with held, spam, trashed and deleted top-level
    comments (some shown as removed because an approved reply hangs below them), comments with
    the same time, one dated in the future and later replies, it gives the page and total that
    counting them gives, after every new comment."""
    import random

    from sqlalchemy import func

    from blog.comments import threads

    app.config.update(COMMENT_ORDER=order, COMMENTS_PER_PAGE=3)
    rng = random.Random(f"stored-counts-{order}")
    start = now_utc() - timedelta(days=1)
    statuses = ["approved"] * 3 + ["pending", "spam", "trash", "deleted"]
    tops = []
    for _ in range(30):
        created = start + timedelta(minutes=rng.randrange(20))  # ties in time on purpose
        tops.append(top(make, post, status=rng.choice(statuses), created_at=created))
    tops.append(top(make, post, status="approved", created_at=now_utc() + timedelta(hours=2)))
    for parent in rng.sample(tops, 12):
        reply(make, post, parent, status=rng.choice(["approved", "pending"]))

    def counted(comment):
        total = db.session.scalar(
            select(func.count(Comment.id)).where(
                Comment.post_id == post.id, Comment.status == "approved"
            )
        )
        return total, threads.page_of(comment, [comment.id])

    with app.test_request_context("/"):
        for _ in range(25):
            status = rng.choice(["approved", "approved", "pending", "spam"])
            if rng.random() < 0.7:
                new = top(make, post, status=status)
            else:
                new = reply(make, post, rng.choice(tops), status=status)
            assert threads.totals_and_page_of_new(post, new) == counted(new)
        # The thread spans pages, and the new threads did not all land on the first.
        pages = {threads.page_of(c, [c.id]) for c in tops}
        assert len(pages) > 3
