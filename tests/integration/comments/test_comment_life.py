"""A comment's life under ordinary moderation: threads stay whole, every link lands, nothing a
reader typed is lost, and every route changes a status by the same rules (issue 7)."""

from __future__ import annotations

import re

import feedparser
import pytest
from sqlalchemy import func, select

from blog.extensions import db
from blog.mail.notify import moderation_token
from blog.mail.outbox import sender
from blog.models import Comment, CommentStatus, PostStatus
from tests.helpers import HX, TEXT, fields

REMOVED = "This comment was removed."


pytestmark = pytest.mark.usefixtures("fast_posting")


@pytest.fixture
def post(make):
    return make.post("Harbour news")


@pytest.fixture
def thread(make, post):
    """Parent (approved) with two approved replies and a grandchild; another top-level comment."""
    parent = make.comment(post, author_name="Parent Pat", body="The parent says hello")
    first = make.comment(post, parent=parent, author_name="Reply Rae", body="First reply")
    second = make.comment(post, parent=parent, author_name="Reply Ron", body="Second reply")
    grandchild = make.comment(post, parent=first, author_name="Grand Gus", body="Grandchild")
    other = make.comment(post, author_name="Other Olga", body="Unrelated comment")
    return {
        "parent": parent,
        "first": first,
        "second": second,
        "grandchild": grandchild,
        "other": other,
    }


@pytest.fixture
def moderator(admin):
    admin.login()
    return admin


def shown_comment_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<article id="comment-(\d+)"', html)]


def heading_count(html: str) -> int:
    found = re.search(r"(\d+) thoughts on", html)
    if found:
        return int(found.group(1))
    return 1 if "One thought on" in html else 0


# --- removed comments keep their thread ---------------------------------------------------------


@pytest.mark.parametrize("action", ["trash", "spam", "unapprove", "delete"])
def test_removed_parent_keeps_its_replies_for_a_fresh_visitor(app, moderator, thread, post, action):
    parent = thread["parent"]
    response = moderator.client.post(f"/admin/comments/{parent.id}/{action}")
    assert response.status_code == 303
    html = app.test_client().get(f"/posts/{post.slug}").get_data(as_text=True)
    shown = shown_comment_ids(html)
    kept = [thread[k].id for k in ("first", "second", "grandchild", "other")]
    assert sorted(shown) == sorted(kept)
    assert html.count(REMOVED) == 1
    assert "The parent says hello" not in html and "Parent Pat" not in html
    # The heading counts what is shown, and so do the home page and the feed.
    assert heading_count(html) == len(shown) == 4
    home = app.test_client().get("/").get_data(as_text=True)
    assert "4 Comments" in home
    feed = feedparser.parse(app.test_client().get("/comments/feed.xml").get_data())
    assert len(feed.entries) == 4
    # Replies keep their nesting under the placeholder.
    placeholder = html.index(REMOVED)
    assert placeholder < html.index('id="comment-{}"'.format(thread["first"].id))
    assert f'id="li-comment-{thread["first"].id}" class="comment depth-2' in html
    assert f'id="li-comment-{thread["grandchild"].id}" class="comment depth-3' in html
    # Every public comment's address lands; the removed one's is a 404, never a 500.
    for key in ("first", "second", "grandchild", "other"):
        answer = app.test_client().get(f"/c/{thread[key].id}")
        assert answer.status_code == 302
        assert answer.headers["Location"].endswith(f"#comment-{thread[key].id}")
    assert app.test_client().get(f"/c/{parent.id}").status_code == 404


def test_removed_comment_without_visible_replies_disappears(app, moderator, thread, post):
    moderator.client.post(f"/admin/comments/{thread['second'].id}/spam")
    moderator.client.post(f"/admin/comments/{thread['other'].id}/trash")
    html = app.test_client().get(f"/posts/{post.slug}").get_data(as_text=True)
    assert REMOVED not in html
    assert thread["second"].id not in shown_comment_ids(html)
    assert heading_count(html) == len(shown_comment_ids(html)) == 3


def test_whole_branch_removed_leaves_nothing(app, moderator, thread, post):
    for key in ("grandchild", "first", "second", "parent"):
        moderator.client.post(f"/admin/comments/{thread[key].id}/trash")
    html = app.test_client().get(f"/posts/{post.slug}").get_data(as_text=True)
    assert REMOVED not in html
    assert shown_comment_ids(html) == [thread["other"].id]


def test_delete_for_good_keeps_a_placeholder_row_then_prunes_it(app, moderator, thread, post):
    parent_id, first_id = thread["parent"].id, thread["first"].id
    ids = {key: comment.id for key, comment in thread.items()}
    moderator.client.post(f"/admin/comments/{parent_id}/spam")
    moderator.client.post(f"/admin/comments/{parent_id}/delete")
    db.session.expire_all()
    row = db.session.get(Comment, parent_id)
    assert row.status == CommentStatus.DELETED.value
    assert (row.author_name, row.author_email, row.author_ip, row.body) == ("", "", "", "")
    reply = db.session.get(Comment, first_id)
    assert reply.parent_id == parent_id and reply.root_id == parent_id
    # Gone from every admin view and count.
    listing = moderator.client.get("/admin/comments?status=spam").get_data(as_text=True)
    assert f'id="admin-comment-{parent_id}"' not in listing
    # Deleting every reply for good removes the placeholder too.
    for key in ("grandchild", "first", "second"):
        moderator.client.post(f"/admin/comments/{ids[key]}/trash")
    moderator.client.post("/admin/comments/empty/trash")
    db.session.expire_all()
    assert db.session.get(Comment, parent_id) is None
    html = app.test_client().get(f"/posts/{post.slug}").get_data(as_text=True)
    assert REMOVED not in html


def test_empty_trash_keeps_thread_structure(app, moderator, thread, post):
    moderator.client.post(f"/admin/comments/{thread['parent'].id}/trash")
    moderator.client.post("/admin/comments/empty/trash")
    html = app.test_client().get(f"/posts/{post.slug}").get_data(as_text=True)
    assert html.count(REMOVED) == 1
    assert f'id="li-comment-{thread["grandchild"].id}" class="comment depth-3' in html
    reply_page = app.test_client().get(f"/c/{thread['grandchild'].id}")
    assert reply_page.status_code == 302


def test_in_reply_to_never_names_a_comment_that_is_not_public(app, make, post):
    app.config["COMMENT_THREAD_DEPTH"] = 2
    top = make.comment(post, author_name="Top Tess")
    middle = make.comment(post, parent=top, author_name="Secret Sam")
    deep = make.comment(post, parent=middle, author_name="Deep Dora")
    html = app.test_client().get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "in reply to Secret Sam" in html  # flattened beside the comment it answers
    middle.status = CommentStatus.SPAM.value
    db.session.commit()
    html = app.test_client().get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "Secret Sam" not in html
    assert deep.id in shown_comment_ids(html)


def test_an_orphan_left_by_an_older_version_still_works(app, client, make, post):
    parent = make.comment(post)
    orphan = make.comment(post, parent=parent)
    db.session.delete(parent)  # as an older version did: the reply's parent link goes NULL
    db.session.commit()
    db.session.refresh(orphan)
    assert client.get(f"/c/{orphan.id}").status_code == 302
    data = fields(client, post, parent=str(orphan.id))
    response = client.post(f"/posts/{post.slug}/comments", data=data)
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    reply = db.session.scalars(select(Comment).where(Comment.body == TEXT)).one()
    assert reply.id in shown_comment_ids(page.get_data(as_text=True))


# --- every link lands ---------------------------------------------------------------------------


@pytest.fixture
def long_thread(make, post):
    """120 top-level comments: pages of 50, so 1-50, 51-100, 101-120."""
    return [make.comment(post, body=f"Comment number {n}") for n in range(120)]


def test_page_two_permalinks_and_reply_links_land_on_page_two(app, client, post, long_thread):
    html = client.get(f"/posts/{post.slug}?cpage=2").get_data(as_text=True)
    on_page = long_thread[50:100]
    assert sorted(shown_comment_ids(html)) == [c.id for c in on_page]
    target = on_page[7]
    permalink = f'href="/posts/{post.slug}?cpage=2#comment-{target.id}"'
    assert permalink in html
    reply_href = f"/posts/{post.slug}?cpage=2&amp;replytocom={target.id}#respond"
    assert f'href="{reply_href}"' in html
    reply_page = client.get(reply_href.replace("&amp;", "&").split("#")[0])
    reply_html = reply_page.get_data(as_text=True)
    assert reply_page.status_code == 200
    slot = reply_html.index(f'id="reply-slot-{target.id}"')
    assert reply_html.index('<form id="respond"', slot) < reply_html.index("</div>", slot + 60)
    assert f"Leave a Reply to {target.author_name}" in reply_html
    # An old ?replytocom link without the page is sent to the page that shows the comment.
    bare = client.get(f"/posts/{post.slug}?replytocom={target.id}")
    assert bare.status_code == 303
    assert bare.headers["Location"].endswith(f"?cpage=2&replytocom={target.id}#respond")
    # The comment's stable address, the feed and the no-JS respond redirect agree.
    assert (
        client.get(f"/c/{target.id}").headers["Location"].endswith(f"?cpage=2#comment-{target.id}")
    )
    respond = client.get(f"/posts/{post.slug}/respond?replytocom={target.id}")
    assert respond.headers["Location"].endswith(f"?cpage=2&replytocom={target.id}#respond")


@pytest.mark.parametrize("order", ["oldest", "newest"])
def test_the_htmx_answer_links_a_new_comment_to_its_page(app, client, post, long_thread, order):
    """The answer to a post renders the new comment with the links of the page that shows it:
    a reply on page 2 links to page 2; a first (held) top-level comment to the page where its
    poster will find it, the last in time order and the first newest-first."""
    app.config["COMMENT_ORDER"] = order
    target = long_thread[60]  # on page 2 in either order (pages of 50, 120 comments)
    reply_data = fields(client, post, parent=str(target.id), comment="A reply on page two")
    held_data = fields(client, post, comment="A first comment, held")
    answers = [
        client.post(f"/posts/{post.slug}/comments", data=data, headers=HX).get_data(as_text=True)
        for data in (reply_data, held_data)
    ]
    reply, held = (
        db.session.scalars(select(Comment).where(Comment.body == text)).one()
        for text in ("A reply on page two", "A first comment, held")
    )
    assert (reply.status, held.status) == ("pending", "pending")
    held_page = "?cpage=3" if order == "oldest" else ""
    for answer, comment, page in ((answers[0], reply, "?cpage=2"), (answers[1], held, held_page)):
        assert f'href="/posts/{post.slug}{page}#comment-{comment.id}"' in answer
    # The same pages as the full-page rules give the poster (their comments shown to them).
    with app.test_request_context("/"):
        from blog.comments import threads

        assert threads.page_of(reply, [reply.id]) == 2
        assert threads.page_of(held, [held.id]) == (3 if order == "oldest" else 1)


def test_feed_entries_link_to_the_comment_address(app, client, post, long_thread):
    feed = feedparser.parse(client.get(f"/posts/{post.slug}/comments.xml").get_data())
    newest = feed.entries[0]
    assert newest.link.endswith(f"/c/{long_thread[-1].id}")
    assert (
        client.get(newest.link.split("localhost", 1)[1])
        .headers["Location"]
        .endswith(f"?cpage=3#comment-{long_thread[-1].id}")
    )


def test_new_comments_show_keeps_the_page_and_an_open_reply(app, client, make, post, long_thread):
    page = client.get(f"/posts/{post.slug}?cpage=3").get_data(as_text=True)
    poll = re.search(r'hx-get="([^"]*/comments/new[^"]*)"', page).group(1).replace("&amp;", "&")
    assert "cpage=3" in poll
    newcomer = make.comment(post, body="Fresh arrival")
    banner = client.get(poll, headers=HX).get_data(as_text=True)
    assert "1 new comment" in banner and "show" in banner
    show = re.search(r'hx-get="([^"]+)"', banner).group(1).replace("&amp;", "&")
    assert "cpage=3" in show
    assert 'hx-include="#comment_parent"' in banner
    # The reader has a reply open under a comment of page 3: htmx sends its parent along.
    target = long_thread[110]
    fragment = client.get(f"{show}&parent={target.id}", headers=HX).get_data(as_text=True)
    assert newcomer.id in shown_comment_ids(fragment)
    assert target.id in shown_comment_ids(fragment)
    slot = fragment.index(f'id="reply-slot-{target.id}"')
    assert fragment.index('<form id="respond" hx-preserve></form>', slot) > slot


def test_new_comments_elsewhere_link_to_their_page(app, client, make, post, long_thread):
    page = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    poll = re.search(r'hx-get="([^"]*/comments/new[^"]*)"', page).group(1).replace("&amp;", "&")
    newcomer = make.comment(post, body="Lands on page 3")
    banner = client.get(poll, headers=HX).get_data(as_text=True)
    assert f'href="/c/{newcomer.id}"' in banner
    assert "hx-get" not in banner


def test_notification_links_land_on_the_comment(app, client, post, long_thread, caplog):
    caplog.set_level("INFO")
    data = fields(client, post, parent=str(long_thread[60].id))
    client.post(f"/posts/{post.slug}/comments", data=data)
    assert sender(app).wait_idle()  # the outbox's sender logs the message (no MAIL_SERVER)
    reply = db.session.scalars(select(Comment).where(Comment.body == TEXT)).one()
    found = re.search(r"http://localhost(/\S*)", caplog.text.split("Comment:")[-1])
    assert found, caplog.text
    answer = client.get(found.group(1))
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"?cpage=2#comment-{reply.id}")


# --- nothing typed is lost ----------------------------------------------------------------------


@pytest.mark.parametrize("headers", [HX, {}], ids=["htmx", "plain"])
def test_comments_closing_while_typing_keeps_the_text(client, post, headers):
    data = fields(client, post)
    post.comments_open = False
    db.session.commit()
    response = client.post(f"/posts/{post.slug}/comments", data=data, headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Comments are closed." in html
    assert TEXT in html
    assert 'id="respond"' in html
    if headers:
        assert re.search(r'id="comment-status" hx-swap-oob="innerHTML">Comments are closed\.', html)


@pytest.mark.parametrize("headers", [HX, {}], ids=["htmx", "plain"])
def test_article_unpublished_while_typing_gives_the_text_back(client, post, headers):
    data = fields(client, post)
    post.status = PostStatus.DRAFT.value
    db.session.commit()
    response = client.post(f"/posts/{post.slug}/comments", data=data, headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 410
    assert TEXT in html
    assert post.title not in html  # nothing about an article that is no longer public
    assert db.session.scalar(select(func.count(Comment.id))) == 0


def test_parent_removed_while_typing_gives_the_text_back(client, make, post):
    parent = make.comment(post)
    data = fields(client, post, parent=str(parent.id))
    parent.status = CommentStatus.TRASH.value
    db.session.commit()
    response = client.post(f"/posts/{post.slug}/comments", data=data, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "no longer published" in html and TEXT in html
    assert 'name="parent" value=""' in html


def test_status_line_always_says_the_latest_outcome(client, make, post):
    make.comment(post, author_name="Rosa Reader", author_email="rosa@example.org")
    posted = client.post(f"/posts/{post.slug}/comments", data=fields(client, post), headers=HX)
    assert re.search(r'id="comment-status"[^>]*>Comment posted\.', posted.get_data(as_text=True))
    failed = client.post(
        f"/posts/{post.slug}/comments", data=fields(client, post, comment=""), headers=HX
    )
    html = failed.get_data(as_text=True)
    assert failed.status_code == 422
    assert "Comment posted." not in html
    assert re.search(r'id="comment-status" hx-swap-oob="innerHTML">Your comment was not', html)


# --- one model of a comment's life --------------------------------------------------------------


def test_admin_reply_is_offered_only_where_it_can_be_public(moderator, make, post):
    for status in ("spam", "trash"):
        comment = make.comment(post, status=status)
        listing = moderator.client.get(f"/admin/comments?status={status}").get_data(as_text=True)
        assert f"/admin/comments/{comment.id}/reply" not in listing
        response = moderator.client.post(
            f"/admin/comments/{comment.id}/reply", data={"comment": "Replying to spam"}
        )
        assert response.status_code == 404
        db.session.refresh(comment)
        assert comment.status == status
    assert (
        db.session.scalar(select(func.count(Comment.id)).where(Comment.parent_id.is_not(None))) == 0
    )


def test_signed_in_author_comments_as_themselves(app, moderator, post, caplog):
    caplog.set_level("INFO")
    client = moderator.client
    page = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "Logged in as <a" in page and "Edith Editor" in page and "Log out?" in page
    assert 'id="email"' not in page and 'id="author"' not in page
    stamp = re.search(r'name="stamp" value="([^"]+)"', page).group(1)
    response = client.post(
        f"/posts/{post.slug}/comments", data={"comment": "From the desk", "stamp": stamp}
    )
    assert response.status_code == 303
    comment = db.session.scalars(select(Comment).where(Comment.body == "From the desk")).one()
    assert comment.status == "approved"
    assert comment.author_id == moderator.author.id
    assert comment.author_name == "Edith Editor"
    assert "would be:" not in caplog.text  # nobody is notified of their own comment
    html = app.test_client().get(f"/posts/{post.slug}").get_data(as_text=True)
    assert 'class="badge">Author<' in html
    assert re.search(rf'id="li-comment-{comment.id}" class="[^"]*by-site-author', html)


def test_post_author_comment_gets_bypostauthor(app, admin, make):
    post = make.post("Own story", author=admin.author)
    admin.login()
    page = admin.client.get(f"/posts/{post.slug}").get_data(as_text=True)
    stamp = re.search(r'name="stamp" value="([^"]+)"', page).group(1)
    admin.client.post(f"/posts/{post.slug}/comments", data={"comment": "Mine", "stamp": stamp})
    html = app.test_client().get(f"/posts/{post.slug}").get_data(as_text=True)
    assert re.search(r'class="comment depth-1 by-site-author bypostauthor"', html)


def test_one_click_link_is_single_use_and_dies_on_other_changes(app, moderator, make, post):
    held = make.comment(post, status="pending")
    with app.test_request_context():
        approve = f"/moderate/{moderation_token(held, 'approve')}"
        spam = f"/moderate/{moderation_token(held, 'spam')}"
    stranger = app.test_client()
    assert stranger.post(approve).status_code == 200
    db.session.refresh(held)
    assert held.status == "approved"
    assert stranger.post(approve).status_code == 410  # used
    assert stranger.post(spam).status_code == 410  # the comment moved on
    db.session.refresh(held)
    assert held.status == "approved"
    other = make.comment(post, status="pending")
    with app.test_request_context():
        late = f"/moderate/{moderation_token(other, 'approve')}"
    moderator.client.post(f"/admin/comments/{other.id}/spam")
    assert stranger.get(late).status_code == 410
    assert stranger.post(late).status_code == 410
    db.session.refresh(other)
    assert other.status == "spam"


def test_a_stale_form_stamp_is_sent_again_not_judged_a_bot(app, client, post, monkeypatch):
    import time

    data = fields(client, post)
    app.config["WTF_CSRF_TIME_LIMIT"] = 60
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 3600)
    response = client.post(f"/posts/{post.slug}/comments", data=data, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "press Post Comment again" in html and TEXT in html
    assert db.session.scalar(select(func.count(Comment.id))) == 0  # not filed as spam
    data["stamp"] = re.search(r'name="stamp" value="([^"]+)"', html).group(1)
    again = client.post(f"/posts/{post.slug}/comments", data=data, headers=HX)
    assert again.status_code == 200
    assert db.session.scalars(select(Comment)).one().status != "spam"
