"""Moderation with every WordPress action, answered in place under htmx, plainly without."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from blog.extensions import db
from blog.models import Comment
from tests.helpers import HX, approve_reader, fields


@pytest.fixture
def signed_in(admin):
    admin.login()
    return admin


@pytest.fixture
def post(make):
    return make.post("Moderated story")


def row(comment) -> str:
    return f'id="admin-comment-{comment.id}"'


@pytest.mark.parametrize(
    ("start", "action", "end"),
    [
        ("pending", "approve", "approved"),
        ("approved", "unapprove", "pending"),
        ("pending", "spam", "spam"),
        ("spam", "notspam", "pending"),
        ("approved", "trash", "trash"),
        ("trash", "restore", "pending"),
    ],
)
def test_row_actions_htmx_and_plain(client, signed_in, make, post, start, action, end):
    for headers in (HX, {}):
        comment = make.comment(post, status=start)
        response = client.post(
            f"/admin/comments/{comment.id}/{action}",
            data={"back": "/admin/comments"},
            headers=headers,
        )
        db.session.refresh(comment)
        assert comment.status == end
        assert "Edith Editor" in comment.moderation_reason
        if headers:
            html = response.get_data(as_text=True)
            assert response.status_code == 200
            assert html.lstrip().startswith("<tr") and row(comment) in html
            assert "<html" not in html
            assert 'id="pending-badge" class="badge"' in html and 'hx-swap-oob="true"' in html
        else:
            assert response.status_code == 303
            assert response.headers["Location"] == "/admin/comments"


def test_delete_permanently(client, signed_in, make, post):
    comment = make.comment(post, status="spam")
    response = client.post(f"/admin/comments/{comment.id}/delete", headers=HX)
    assert response.status_code == 200
    assert db.session.scalar(select(Comment).where(Comment.id == comment.id)) is None


def test_unknown_action_is_404(client, signed_in, make, post):
    comment = make.comment(post)
    assert client.post(f"/admin/comments/{comment.id}/explode").status_code == 404


def test_list_views_counts_search_and_filters(client, signed_in, make, post):
    other = make.post("Other story")
    make.comment(post, status="pending", body="waiting words", author_email="wait@example.org")
    make.comment(post, status="approved", body="public words", author_ip="203.0.113.5")
    make.comment(post, status="spam", body="spammy words")
    make.comment(other, status="trash", body="binned words")
    everything = client.get("/admin/comments").get_data(as_text=True)
    assert "waiting words" in everything and "public words" in everything
    assert "spammy words" not in everything and "binned words" not in everything
    # Moderators see what readers never do.
    assert "wait@example.org" in everything and "203.0.113.5" in everything
    assert "spammy words" in client.get("/admin/comments?status=spam").get_data(as_text=True)
    assert "binned words" in client.get("/admin/comments?status=trash").get_data(as_text=True)
    assert "waiting words" in client.get("/admin/comments?q=wait@example").get_data(as_text=True)
    by_ip = client.get("/admin/comments?q=203.0.113.5").get_data(as_text=True)
    assert "public words" in by_ip and "waiting words" not in by_ip
    filtered = client.get(f"/admin/comments?status=trash&post={other.id}").get_data(as_text=True)
    assert "binned words" in filtered
    assert client.get("/admin/comments?status=nope").status_code == 404
    fragment = client.get("/admin/comments?status=pending", headers=HX)
    assert "<html" not in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"]


def test_twenty_per_page(client, signed_in, make, post):
    for n in range(25):
        make.comment(post, body=f"Note {n:02d}")
    first = client.get("/admin/comments").get_data(as_text=True)
    assert first.count('class="status-approved"') == 20
    second = client.get("/admin/comments?page=2").get_data(as_text=True)
    assert second.count('class="status-approved"') == 5


def caption(html: str) -> str:
    start = html.index("<caption>") + len("<caption>")
    return " ".join(html[start : html.index("</caption>")].split())


def test_each_view_says_how_many_comments_it_holds(client, signed_in, make, post):
    """A whole view's count is the kept status count (no count of its own): the same number."""
    held = [make.comment(post, status="pending", body=f"Held {n}") for n in range(23)]
    make.comment(post, status="spam", body="Spam one")
    make.comment(post, status="approved", body="Public one")
    pending = client.get("/admin/comments?status=pending").get_data(as_text=True)
    assert caption(pending) == "23 comments, page 1 of 2"
    assert caption(client.get("/admin/comments").get_data(as_text=True)) == (
        "24 comments, page 1 of 2"
    )
    assert caption(client.get("/admin/comments?status=spam").get_data(as_text=True)) == "1 comment"
    client.post(f"/admin/comments/{held[0].id}/approve", headers=HX)
    pending = client.get("/admin/comments?status=pending&page=2").get_data(as_text=True)
    assert caption(pending) == "22 comments, page 2 of 2"  # the count follows the change


def test_a_held_comment_from_a_reader_counts_at_once(app, client, signed_in, make, post):
    """A reader's held comment moves no shared page's version (nobody else sees it), but the
    moderator's counts, badge and pager must include it on the next list."""
    app.config.update(COMMENT_MIN_SECONDS=0, COMMENT_FLOOD_SECONDS=0)
    for n in range(20):
        make.comment(post, status="pending", body=f"Held {n}")
    assert caption(client.get("/admin/comments?status=pending").get_data(as_text=True)) == (
        "20 comments"
    )
    reader = app.test_client()
    reader.post(f"/posts/{post.slug}/comments", data=fields(reader, post, comment="One more"))
    assert db.session.scalars(select(Comment).where(Comment.body == "One more")).one().status == (
        "pending"
    )
    pending = client.get("/admin/comments?status=pending").get_data(as_text=True)
    assert caption(pending) == "21 comments, page 1 of 2"
    badge = re.search(r'id="pending-badge" class="badge">.*?</span>(\d+)<', pending)
    assert badge.group(1) == "21"


def test_a_search_counts_only_so_far_past_the_page(client, signed_in, make, post, monkeypatch):
    """A search matching more than COUNT_AHEAD comments past the page says "more than", and
    its pager still leads on to every match."""
    from blog.admin import comments as moderation_list

    monkeypatch.setattr(moderation_list, "COUNT_AHEAD", 30)
    for n in range(65):
        make.comment(post, body=f"zeppelin sighting {n:02d}")
    make.comment(post, body="an unrelated note")
    first = client.get("/admin/comments?q=zeppelin").get_data(as_text=True)
    assert caption(first) == "More than 30 comments, page 1"
    assert "an unrelated note" not in first
    following = re.search(r'<a rel="next" href="([^"]+)"', first).group(1)
    assert "page=2" in following and "q=zeppelin" in following
    third = client.get("/admin/comments?q=zeppelin&page=3").get_data(as_text=True)
    assert caption(third) == "65 comments, page 3 of 4"  # 40 + 30 reach past all 65: exact
    last = client.get("/admin/comments?q=zeppelin&page=4").get_data(as_text=True)
    assert last.count("zeppelin sighting") == 5
    few = client.get("/admin/comments?q=sighting+0").get_data(as_text=True)
    assert caption(few) == "10 comments"


def test_rendered_text_and_reason_are_shown_sanitized(client, signed_in, make, post):
    comment = make.comment(
        post,
        status="pending",
        body='<b>hi</b><img src=x onerror="alert(1)">',
        moderation_reason="Held: first comment from this email address.",
    )
    from blog.sanitize import refresh_comment_html

    refresh_comment_html(comment)
    db.session.commit()
    html = client.get("/admin/comments").get_data(as_text=True)
    assert "<b>hi</b>" in html
    assert "onerror" not in html
    assert "Held: first comment from this email address." in html


def test_bulk_actions(client, signed_in, make, post):
    comments = [make.comment(post, status="pending") for _ in range(3)]
    keep = make.comment(post, status="pending")
    ids = [str(c.id) for c in comments]
    response = client.post(
        "/admin/comments/bulk", data={"action": "approve", "ids": ids, "back": "/admin/comments"}
    )
    assert response.status_code == 303
    for comment in comments:
        db.session.refresh(comment)
        assert comment.status == "approved"
    db.session.refresh(keep)
    assert keep.status == "pending"
    client.post("/admin/comments/bulk", data={"action": "delete", "ids": ids})
    assert db.session.scalars(select(Comment)).all() == [keep]


def test_empty_spam_and_trash(client, signed_in, make, post):
    make.comment(post, status="spam")
    make.comment(post, status="trash")
    kept = make.comment(post, status="approved")
    client.post("/admin/comments/empty/spam")
    client.post("/admin/comments/empty/trash")
    assert db.session.scalars(select(Comment)).all() == [kept]
    assert client.post("/admin/comments/empty/approved").status_code == 404


def test_inline_reply_is_published_with_author_badge(app, client, signed_in, make, post):
    parent = make.comment(post, status="pending", author_name="Asker")
    form = client.get(f"/admin/comments/{parent.id}/reply", headers=HX)
    assert form.status_code == 200
    response = client.post(
        f"/admin/comments/{parent.id}/reply", data={"comment": "Thanks for asking!"}, headers=HX
    )
    assert response.status_code == 200
    reply = db.session.scalars(select(Comment).where(Comment.parent_id == parent.id)).one()
    assert reply.status == "approved" and reply.author_id == signed_in.author.id
    db.session.refresh(parent)
    # Replying to a held comment approves it (WordPress's "Approve and Reply", issue #21).
    assert parent.status == "approved"
    page = app.test_client().get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "Thanks for asking!" in page
    assert '<span class="badge">Author</span>' in page


def test_edit_comment(client, signed_in, make, post):
    comment = make.comment(post, body="Old", author_name="Ann")
    response = client.post(
        f"/admin/comments/{comment.id}/edit",
        data={
            "comment": "New <script>x</script>text",
            "author": "Ann B",
            "email": "ann@example.org",
            "url": "",
        },
        headers=HX,
    )
    assert response.status_code == 200
    db.session.refresh(comment)
    assert comment.author_name == "Ann B"
    assert comment.body == "New <script>x</script>text"
    assert "<script" not in comment.body_html
    bad = client.post(
        f"/admin/comments/{comment.id}/edit", data={"comment": "x", "author": "", "email": "bad"}
    )
    assert bad.status_code == 422
    assert "Please enter your name." in bad.get_data(as_text=True)


def test_approving_first_comment_lets_later_ones_through(app, client, signed_in, make, post):
    reader = app.test_client()
    app.config.update(COMMENT_MIN_SECONDS=0, COMMENT_FLOOD_SECONDS=0)
    reader.post(f"/posts/{post.slug}/comments", data=fields(reader, post))
    first = db.session.scalars(select(Comment)).one()
    assert first.status == "pending"
    client.post(f"/admin/comments/{first.id}/approve")
    reader.post(f"/posts/{post.slug}/comments", data=fields(reader, post, comment="Second thought"))
    second = db.session.scalars(select(Comment).where(Comment.body == "Second thought")).one()
    assert second.status == "approved"
    # A fresh visitor now sees both.
    page = app.test_client().get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "Second thought" in page


def test_dashboard_counts_and_quick_actions(client, signed_in, make, post):
    make.post("A draft", status="draft")
    pending = make.comment(post, status="pending", body="Needs a look")
    html = client.get("/admin/").get_data(as_text=True)
    assert "Needs a look" in html
    assert f"/admin/comments/{pending.id}/approve" in html
    assert 'id="pending-badge"' in html


def test_settings_take_effect(app, client, signed_in, make, post):
    data = {
        "site_title": "Better News",
        "site_tagline": "Only the good bits",
        "posts_per_page": "2",
        "comment_moderation": "all",
        "comment_max_links": "2",
        "comment_moderation_words": "bargain\nsale",
        "comment_disallowed_words": "casino",
        "comment_close_after_days": "0",
        "comment_thread_depth": "3",
        "comments_per_page": "10",
        "comment_order": "newest",
        "comment_edit_minutes": "5",
    }
    assert client.post("/admin/settings", data=data).status_code == 303
    for n in range(3):
        make.post(f"Extra {n}")
    reader = app.test_client()
    home = reader.get("/").get_data(as_text=True)
    assert "Better News" in home and "Only the good bits" in home
    assert home.count('class="post-summary"') == 2
    app.config.update(COMMENT_MIN_SECONDS=0, COMMENT_FLOOD_SECONDS=0)
    approve_reader(make, post)  # approved before, but mode is "all"
    reader.post(f"/posts/{post.slug}/comments", data=fields(reader, post, comment="Held now"))
    held = db.session.scalars(select(Comment).where(Comment.body == "Held now")).one()
    assert held.status == "pending"
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "bargain\nsale" in page or "bargain&#10;sale" in page


def test_settings_validation_keeps_values(client, signed_in):
    response = client.post(
        "/admin/settings",
        data={"site_title": "", "posts_per_page": "0", "site_tagline": "Kept tagline"},
    )
    assert response.status_code == 422
    assert "Kept tagline" in response.get_data(as_text=True)


def test_each_posts_stored_approved_count_follows_every_change(app, client, signed_in, make, post):
    """posts.approved_comments and approved_top_level (kept by the database's triggers) equal
    counts of the approved (top-level) comments after everything that moves comments: readers'
    posts, each moderator action in a long seeded random walk, bulk actions, deleting for good
    (a placeholder keeps a thread's place), emptying the trash. Two posts, so no change is
    counted on the wrong one."""
    import random

    from sqlalchemy import func

    from blog.comments.lifecycle import ROW_ACTIONS
    from blog.models import Post

    other = make.post("Another story")
    posts = [post, other]

    def check() -> None:
        for article in posts:
            stored = db.session.scalar(select(Post.approved_comments).where(Post.id == article.id))
            counted = db.session.scalar(
                select(func.count(Comment.id)).where(
                    Comment.post_id == article.id, Comment.status == "approved"
                )
            )
            assert stored == counted, (article.slug, stored, counted)

    approve_reader(make, post)
    check()
    answer = client.post(f"/posts/{post.slug}/comments", data=fields(client, post), headers=HX)
    assert answer.status_code == 200
    client.post(f"/posts/{other.slug}/comments", data=fields(client, other, comment="Held one"))
    check()
    rng = random.Random(20261129)
    comments = [
        make.comment(rng.choice(posts), status=rng.choice(list(ROW_ACTIONS))) for _ in range(8)
    ]
    comments.append(make.comment(post, parent=comments[0], status="approved"))
    check()
    for _ in range(60):
        alive = db.session.scalars(select(Comment).where(Comment.status.in_(ROW_ACTIONS))).all()
        comment = rng.choice(alive)
        action = rng.choice(ROW_ACTIONS[comment.status])
        response = client.post(f"/admin/comments/{comment.id}/{action}", headers=HX)
        assert response.status_code == 200, (comment.status, action)
        check()
    ids = [str(c.id) for c in db.session.scalars(select(Comment)).all()[:4]]
    for action in ("approve", "spam", "trash"):
        client.post("/admin/comments/bulk", data={"action": action, "ids": ids})
        check()
    client.post("/admin/comments/empty/trash")
    check()
