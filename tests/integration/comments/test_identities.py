"""What a cookie, an emailed link or a session grants holds for the very row it was issued for.

Issue 18, finding 1: SQLite handed a deleted comment's id to the next comment, and the spammer's
own-comments cookie (and an emailed "Approve" link) went with the id. Ids are now never reused
(AUTOINCREMENT, migration 0011), and what is signed names the row's secret besides its id, so a
restored copy or an import that gives an id to another row hands over nothing either.
"""

from __future__ import annotations

import pytest
from sqlalchemy import delete, insert, select, text

from blog.extensions import db
from blog.mail.notify import moderation_token
from blog.models import Author, Comment, CommentStatus, OutboxMessage, Post, Tag, now_utc
from tests.helpers import HX, PASSWORD, approve_reader, fields

pytestmark = pytest.mark.usefixtures("fast_posting")

VICTIM = {"author": "Trusted Tess", "email": "tess@example.org"}


def _post_as(client, post, body, **overrides):
    return client.post(
        f"/posts/{post.slug}/comments", data=fields(client, post, comment=body, **overrides)
    )


def _comment(body: str) -> Comment:
    return db.session.scalars(select(Comment).where(Comment.body == body)).one()


def _reuse_id(comment_id: int, post: Post, **values) -> None:
    """What a restored copy or an import can do: another comment under a known id."""
    row = {
        "id": comment_id,
        "post_id": post.id,
        "root_id": comment_id,
        "author_name": VICTIM["author"],
        "author_email": VICTIM["email"],
        "body": "The victim's own words.",
        "status": CommentStatus.APPROVED.value,
        "created_at": now_utc(),
        "secret": "0123456789abcdef",
        **values,
    }
    db.session.execute(insert(Comment.__table__), row)
    db.session.commit()


def test_emptied_spam_does_not_free_ids_for_the_next_comments(app, client, make, admin):
    post = make.post("Quiet news")
    approve_reader(make, post, VICTIM["author"], VICTIM["email"])
    spammer = app.test_client()
    for body in ("Buy now one", "Buy now two"):
        _post_as(spammer, post, body, author="Spammy", email="spam@example.org")
        db.session.get(Comment, _comment(body).id).status = CommentStatus.SPAM.value
    db.session.commit()
    freed = sorted(_comment(b).id for b in ("Buy now one", "Buy now two"))
    admin.login()
    assert client.post("/admin/comments/empty/spam").status_code in (200, 303)
    assert db.session.scalar(select(Comment).where(Comment.id.in_(freed))) is None

    victim = app.test_client()
    _post_as(victim, post, "Tess writes again", **VICTIM)
    new = _comment("Tess writes again")
    assert new.id > max(freed)
    for comment_id in freed:
        assert spammer.get(f"/comments/{comment_id}/edit").status_code == 404


def test_a_cookie_for_a_deleted_comment_grants_nothing_over_a_new_one_with_its_id(
    app, client, make
):
    post = make.post("Held news")
    spammer = app.test_client()
    _post_as(spammer, post, "First words, held")  # a first-time commenter: held
    held = _comment("First words, held")
    assert held.status == CommentStatus.PENDING.value
    assert spammer.get(f"/comments/{held.id}/edit").status_code == 200
    held_id = held.id
    db.session.execute(delete(Comment).where(Comment.id == held_id))
    db.session.commit()
    # Another reader's held comment now sits under the same id (a restored copy could do this).
    _reuse_id(held_id, post, status=CommentStatus.PENDING.value, body="Tess's held secret")

    assert spammer.get(f"/comments/{held_id}/edit").status_code == 404
    assert spammer.post(f"/comments/{held_id}/edit", data={"comment": "Rewritten"}).status_code == (
        404
    )
    assert spammer.post(f"/comments/{held_id}/delete").status_code == 404
    page = spammer.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "Tess's held secret" not in page
    assert VICTIM["author"] not in page
    assert spammer.get(f"/c/{held_id}").status_code == 404
    assert "Tess's held secret" not in spammer.get(
        f"/posts/{post.slug}/comments", headers=HX
    ).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Comment, held_id).body == "Tess's held secret"


def test_the_poster_still_edits_their_own_comment(app, client, make):
    post = make.post("Own news")
    _post_as(client, post, "My own held words")
    mine = _comment("My own held words")
    assert client.get(f"/comments/{mine.id}/edit").status_code == 200
    assert "My own held words" in client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert mine.secret and len(mine.secret) == 16


def test_a_cookie_in_the_old_format_proves_nothing(app, client, make):
    """Before the secret, the cookie named ids alone: such a cookie is exactly what could be
    inherited, so it no longer counts."""
    from blog.comments.visitor import OWN_COOKIE, _serializer

    post = make.post("Old cookie news")
    held = make.comment(post, status=CommentStatus.PENDING.value, body="Held for someone")
    with app.test_request_context():
        old = _serializer("own").dumps([[held.id, now_utc().timestamp()]])
    client.set_cookie(OWN_COOKIE, old)
    assert client.get(f"/comments/{held.id}/edit").status_code == 404
    assert "Held for someone" not in client.get(f"/posts/{post.slug}").get_data(as_text=True)


def test_an_emailed_link_for_a_deleted_comment_does_not_moderate_a_new_one(app, client, make):
    post = make.post("Moderated news")
    held = make.comment(post, status=CommentStatus.PENDING.value)
    with app.test_request_context():
        approve = f"/moderate/{moderation_token(held, 'approve')}"
    held_id = held.id
    db.session.execute(delete(Comment).where(Comment.id == held_id))
    db.session.commit()
    _reuse_id(held_id, post, status=CommentStatus.PENDING.value, body="Unrelated, waiting")

    assert client.get(approve).status_code == 404
    assert client.post(approve).status_code == 404
    db.session.expire_all()
    assert db.session.get(Comment, held_id).status == CommentStatus.PENDING.value


def test_the_link_still_works_for_its_own_comment(app, client, make):
    post = make.post("Linked news")
    held = make.comment(post, status=CommentStatus.PENDING.value)
    with app.test_request_context():
        approve = f"/moderate/{moderation_token(held, 'approve')}"
    assert client.get(approve).status_code == 200
    assert client.post(approve).status_code == 200
    db.session.expire_all()
    assert db.session.get(Comment, held.id).status == CommentStatus.APPROVED.value


def test_a_session_of_a_deleted_author_does_not_sign_in_a_new_one_with_its_id(
    app, client, make, admin, password_hash
):
    admin.login()
    assert client.get("/admin/").status_code == 200
    author_id = admin.author.id
    db.session.execute(delete(Author).where(Author.id == author_id))
    db.session.commit()
    # A restored copy, or an import, with another author under the same id.
    newcomer = Author(
        id=author_id, username="newcomer", display_name="New", password_hash=password_hash
    )
    db.session.add(newcomer)
    db.session.commit()
    assert newcomer.session_epoch != 0
    response = client.get("/admin/")
    assert response.status_code in (302, 303)
    assert "/admin/login" in response.headers["Location"]
    assert admin.login("newcomer", PASSWORD).status_code in (302, 303)


@pytest.mark.sqlite_only
@pytest.mark.parametrize("model", [Author, Tag, Post, Comment, OutboxMessage])
def test_sqlite_never_hands_out_a_freed_id(app, make, model):
    table = model.__table__
    sql = db.session.scalar(
        text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"),
        {"name": table.name},
    )
    assert "AUTOINCREMENT" in sql.upper()
    post = make.post()  # an author and a post for the rows that need them

    def row(n: int) -> int:
        values = {
            Author: {"username": f"a{n}", "display_name": "A", "password_hash": "x"},
            Tag: {"name": f"t{n}", "slug": f"t{n}"},
            Post: {"title": "T", "slug": f"p{n}", "author_id": post.author_id},
            Comment: {
                "post_id": post.id,
                "author_name": "A",
                "author_email": "a@x.org",
                "body": "b",
            },
            OutboxMessage: {"recipient": "a@example.org", "subject": "s", "message": "m"},
        }[model]
        return db.session.execute(insert(model).values(**values)).inserted_primary_key[0]

    row(1)
    newest = row(2)
    db.session.execute(delete(table).where(table.c.id == newest))
    db.session.commit()
    assert row(3) > newest
    db.session.commit()
