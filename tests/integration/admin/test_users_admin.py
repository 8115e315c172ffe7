"""The Users screen: the list, inviting by email (a link that sets a password once), editing,
the last administrator kept, removing an account with its posts given to another."""

from __future__ import annotations

import re
from email import message_from_string
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from blog.accounts.passwords import NO_PASSWORD, verify_password
from blog.extensions import db
from blog.mail.outbox import sender
from blog.models import Author, Comment, OutboxMessage, Post


@pytest.fixture
def signed_in(admin):
    admin.login()
    return admin


INVITE = {
    "username": "newbie",
    "display_name": "New Writer",
    "email": "New@Example.org",
    "role": "author",
    "bio": "",
}


def invite_link(app) -> str:
    assert sender(app).wait_idle()
    message = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    body = message_from_string(message.message).get_payload(decode=True).decode()
    found = re.search(r"https?://\S+/admin/invite/\S+", body)
    assert found, body
    return urlsplit(found.group(0)).path


def test_list_shows_accounts_roles_and_post_counts(client, signed_in, make):
    writer = make.author("writer", display_name="Wendy Writer", role="contributor", email="w@x.org")
    make.post("Hers", author=writer)
    make.post("Also hers", author=writer)
    html = client.get("/admin/users").get_data(as_text=True)
    row = html[html.index(f'id="user-{writer.id}"') :]
    row = row[: row.index("</tr>")]
    for text in ("writer", "Wendy Writer", "w@x.org", "Contributor", '<td class="count">2</td>'):
        assert text in row


def test_invite_queues_an_email_whose_link_sets_a_password_once(app, client, signed_in):
    response = client.post("/admin/users/invite", data=INVITE)
    assert response.status_code == 303
    account = db.session.scalar(select(Author).where(Author.username == "newbie"))
    assert (account.email, account.role, account.password_hash) == (
        "new@example.org",
        "author",
        NO_PASSWORD,
    )
    message = db.session.scalar(select(OutboxMessage))
    assert message.recipient == "new@example.org"
    link = invite_link(app)

    visitor = app.test_client()
    page = visitor.get(link)
    assert page.status_code == 200 and "Welcome, New Writer" in page.get_data(as_text=True)
    short = visitor.post(link, data={"new": "short", "confirm": "short"})
    assert short.status_code == 422
    assert "Use at least 8 characters." in short.get_data(as_text=True)
    differ = visitor.post(link, data={"new": "a long pass phrase", "confirm": "another one"})
    assert "The two passwords differ." in differ.get_data(as_text=True)
    done = visitor.post(link, data={"new": "a long pass phrase", "confirm": "a long pass phrase"})
    assert done.status_code == 303 and done.headers["Location"] == "/admin/"
    assert visitor.get("/admin/").status_code == 200  # signed in
    db.session.expire_all()
    assert verify_password(db.session.get(Author, account.id).password_hash, "a long pass phrase")
    again = app.test_client().get(link)
    assert again.status_code == 404
    assert "This invitation link no longer works" in again.get_data(as_text=True)


def test_a_forged_or_expired_invite_link_does_nothing(app, client, signed_in):
    client.post("/admin/users/invite", data=INVITE)
    link = invite_link(app)
    assert app.test_client().get(link[:-3] + "xyz").status_code == 404
    app.config["INVITE_LINK_DAYS"] = -1
    assert app.test_client().get(link).status_code == 404


def test_invite_errors_are_beside_the_fields_with_the_input_kept(client, signed_in):
    response = client.post(
        "/admin/users/invite",
        data={**INVITE, "username": "Editor", "email": "not an address", "display_name": "Kept"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "That username is taken." in html
    assert "Enter an email address such as name@example.org." in html
    assert 'value="Kept"' in html and 'value="not an address"' in html
    assert db.session.scalar(select(OutboxMessage)) is None


def test_edit_name_email_role_and_bio(client, signed_in, make):
    writer = make.author("writer", role="author")
    response = client.post(
        f"/admin/users/{writer.id}/edit",
        data={"display_name": "W. Riter", "email": "w@example.org", "role": "editor", "bio": "Hi"},
    )
    assert response.status_code == 303
    db.session.refresh(writer)
    assert (writer.display_name, writer.email, writer.role, writer.bio) == (
        "W. Riter",
        "w@example.org",
        "editor",
        "Hi",
    )


def test_the_last_administrator_cannot_demote_themself(client, signed_in):
    me = signed_in.author
    response = client.post(
        f"/admin/users/{me.id}/edit",
        data={"display_name": "Still me", "email": "me@example.org", "role": "editor"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "You cannot change your own role" in html and 'value="Still me"' in html
    db.session.refresh(me)
    assert me.role == "administrator"


def test_remove_needs_an_heir_for_posts_and_comments_keep_their_text(client, signed_in, make):
    leaving = make.author("leaving", role="author")
    heir = make.author("heir", role="editor")
    post = make.post("Their post", author=leaving)
    comment = make.comment(post, author_id=leaving.id, body="My own words")
    refused = client.post(f"/admin/users/{leaving.id}/delete", data={"heir": ""})
    assert refused.status_code == 422
    assert "Choose who receives" in refused.get_data(as_text=True)
    assert db.session.get(Author, leaving.id) is not None
    leaving_id = leaving.id
    done = client.post(f"/admin/users/{leaving_id}/delete", data={"heir": str(heir.id)})
    assert done.status_code == 303
    db.session.expire_all()
    assert db.session.get(Author, leaving_id) is None
    assert db.session.get(Post, post.id).author_id == heir.id
    kept = db.session.get(Comment, comment.id)
    assert (kept.body, kept.author_id) == ("My own words", None)


def test_an_account_without_posts_goes_without_an_heir(client, signed_in, make):
    idle = make.author("idle", role="contributor")
    idle_id = idle.id
    assert client.post(f"/admin/users/{idle_id}/delete", data={}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Author, idle_id) is None


def test_nobody_removes_themself(client, signed_in):
    me = signed_in.author
    page = client.get(f"/admin/users/{me.id}/delete")
    assert "You cannot remove your own account." in page.get_data(as_text=True)
    assert client.post(f"/admin/users/{me.id}/delete").status_code == 409
    assert db.session.get(Author, me.id) is not None
