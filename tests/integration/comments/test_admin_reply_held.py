"""Replying from the admin to a held comment approves it first (WordPress's "Approve and
Reply"), so readers never see a published reply under "This comment was removed.". The sibling
paths: the held comment's one-click email links die, readers cannot reply to a held comment, and
a reply whose parent is later unapproved names nobody else as the one it answers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from blog.extensions import db
from blog.mail.notify import moderation_token
from blog.models import Comment
from tests.helpers import HX, fields

REMOVED = "This comment was removed."


@pytest.fixture
def post(make):
    return make.post("Held thread")


@pytest.fixture
def signed_in(admin):
    admin.login()
    return admin


def public_page(app, post) -> str:
    return app.test_client().get(f"/posts/{post.slug}").get_data(as_text=True)


@pytest.mark.parametrize("headers", [HX, {}], ids=["htmx", "plain"])
def test_replying_to_a_held_comment_approves_it(app, client, signed_in, make, post, headers):
    held = make.comment(post, status="pending", author_name="Quiet Asker", body="My question")
    form = client.get(f"/admin/comments/{held.id}/reply", headers=headers)
    assert "Approve and Reply" in form.get_data(as_text=True)
    response = client.post(
        f"/admin/comments/{held.id}/reply", data={"comment": "The answer"}, headers=headers
    )
    assert response.status_code in (200, 303)
    db.session.refresh(held)
    assert held.status == "approved"
    assert held.moderation_reason == "Approved by Edith Editor."
    page = public_page(app, post)
    assert REMOVED not in page
    assert "My question" in page and "The answer" in page
    assert page.index("My question") < page.index("The answer")


def test_a_reply_to_an_approved_comment_changes_nothing_else(app, client, signed_in, make, post):
    shown = make.comment(post, status="approved", body="Fine comment")
    version = shown.status_version
    client.post(f"/admin/comments/{shown.id}/reply", data={"comment": "Thanks"}, headers=HX)
    db.session.refresh(shown)
    assert (shown.status, shown.status_version) == ("approved", version)


def test_the_held_comments_email_links_die_once_it_was_approved_by_replying(
    app, client, signed_in, make, post
):
    held = make.comment(post, status="pending")
    links = [f"/moderate/{moderation_token(held, action)}" for action in ("spam", "trash")]
    client.post(f"/admin/comments/{held.id}/reply", data={"comment": "Answer"}, headers=HX)
    for link in links:
        assert app.test_client().get(link).status_code == 410
        assert app.test_client().post(link).status_code == 410
    db.session.refresh(held)
    assert held.status == "approved"


def test_a_reader_cannot_reply_to_a_held_comment(app, client, make, post, fast_posting):
    held = make.comment(post, status="pending", body="Not public yet")
    reader = app.test_client()
    response = reader.post(
        f"/posts/{post.slug}/comments",
        data=fields(reader, post, parent=str(held.id), comment="Sneaky reply"),
    )
    assert response.status_code == 422
    assert "no longer published; your text is still here" in response.get_data(as_text=True)
    assert db.session.scalar(select(Comment).where(Comment.body == "Sneaky reply")) is None


def test_a_reply_whose_parent_is_unapproved_later_names_nobody_else(app, make, post):
    """Five levels deep (the default thread depth), a reply to the fifth comment sits beside it
    under the fourth; once the fifth is unapproved its place says only "removed", and the reply
    must not read "in reply to" the fourth comment's author."""
    chain = []
    parent = None
    for n in range(1, 6):
        parent = make.comment(post, parent=parent, author_name=f"Writer {n}", body=f"Level {n}")
        chain.append(parent)
    make.comment(post, parent=chain[-1], author_name="Late Replier", body="Deep reply")
    page = public_page(app, post)
    assert "in reply to Writer 5" in page
    chain[-1].status = "pending"
    db.session.commit()
    page = public_page(app, post)
    assert REMOVED in page and "Deep reply" in page
    reply = page[page.index("Late Replier") : page.index("Deep reply")]
    assert "in reply to" not in reply
