"""A poster edits or deletes their own comment for COMMENT_EDIT_MINUTES, nobody else can."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from blog.extensions import db
from blog.models import Comment
from tests.helpers import HX, TEXT, approve_reader, fields

pytestmark = pytest.mark.usefixtures("fast_posting")


@pytest.fixture
def posted(client, make):
    post = make.post("Editable news")
    approve_reader(make, post)
    client.post(f"/posts/{post.slug}/comments", data=fields(client, post))
    return db.session.scalars(select(Comment).where(Comment.body == TEXT)).one()


def test_poster_sees_edit_controls_and_timer(client, posted):
    html = client.get(f"/posts/{posted.post.slug}").get_data(as_text=True)
    assert f'href="/comments/{posted.id}/edit"' in html
    assert 'you can edit this for <span class="countdown">14:5' in html or "15:00" in html


def test_edit_with_htmx_and_without(client, posted):
    form = client.get(f"/comments/{posted.id}/edit", headers=HX)
    assert form.status_code == 200
    assert TEXT in form.get_data(as_text=True)
    response = client.post(
        f"/comments/{posted.id}/edit", data={"comment": "Edited <b>text</b>"}, headers=HX
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Edited <b>text</b>" in html
    assert "(edited)" in html
    db.session.refresh(posted)
    assert posted.body == "Edited <b>text</b>"
    assert posted.edited_at is not None
    plain = client.post(f"/comments/{posted.id}/edit", data={"comment": "Plain edit"})
    assert plain.status_code == 303
    assert plain.headers["Location"].endswith(f"#comment-{posted.id}")
    page = client.get(f"/comments/{posted.id}/edit")
    assert "<html" in page.get_data(as_text=True)


def test_edit_is_resanitized_and_revalidated(client, posted):
    bad = client.post(f"/comments/{posted.id}/edit", data={"comment": "  "}, headers=HX)
    assert bad.status_code == 422
    assert "Please type your comment." in bad.get_data(as_text=True)
    client.post(
        f"/comments/{posted.id}/edit",
        data={"comment": '<a href="javascript:alert(1)" onclick="x()">hi</a><script>x</script>'},
    )
    db.session.refresh(posted)
    assert "javascript" not in posted.body_html
    assert "onclick" not in posted.body_html
    assert "<script" not in posted.body_html


def test_edit_adding_links_holds_the_comment(client, posted):
    text = "now with https://a.example and https://b.example"
    client.post(f"/comments/{posted.id}/edit", data={"comment": text})
    db.session.refresh(posted)
    assert posted.status == "pending"
    assert posted.moderation_reason.startswith("After an edit: Held")


def test_others_cannot_edit_or_delete(app, posted):
    stranger = app.test_client()
    assert stranger.get(f"/comments/{posted.id}/edit").status_code == 404
    response = stranger.post(f"/comments/{posted.id}/edit", data={"comment": "hijack"})
    assert response.status_code == 404
    assert TEXT not in response.get_data(as_text=True)  # a refusal never echoes stored text
    assert stranger.post(f"/comments/{posted.id}/delete").status_code == 404
    db.session.refresh(posted)
    assert posted.body == TEXT


def test_window_closes_after_fifteen_minutes_but_text_is_kept(client, posted):
    posted.created_at = posted.created_at - timedelta(minutes=16)
    db.session.commit()
    assert client.get(f"/comments/{posted.id}/edit").status_code == 403
    response = client.post(f"/comments/{posted.id}/edit", data={"comment": "Too late text"})
    assert response.status_code == 403
    assert "Too late text" in response.get_data(as_text=True)
    assert "has passed" in response.get_data(as_text=True)
    assert "edit this for" not in client.get(f"/posts/{posted.post.slug}").get_data(as_text=True)


def test_delete_own_comment(client, posted):
    response = client.post(f"/comments/{posted.id}/delete", headers=HX)
    assert response.status_code == 200
    assert "Your comment was deleted." in response.get_data(as_text=True)
    db.session.refresh(posted)
    assert posted.status == "trash"
    assert TEXT not in client.get(f"/posts/{posted.post.slug}").get_data(as_text=True)


# --- the poster's edit goes through the same rules as everything else ---------------------------


@pytest.mark.parametrize("status", ["spam", "trash"])
def test_poster_edit_never_undoes_a_moderators_decision(client, posted, status):
    posted.status = status
    db.session.commit()
    response = client.post(f"/comments/{posted.id}/edit", data={"comment": "Please publish"})
    db.session.refresh(posted)
    assert posted.status == status
    if status == "trash":
        assert response.status_code == 404
    else:
        assert posted.body == "Please publish"  # their text, still held back from readers


@pytest.mark.parametrize(
    ("setting", "word", "status"),
    [
        ("COMMENT_DISALLOWED_WORDS", "casino", "spam"),
        ("COMMENT_MODERATION_WORDS", "refund", "pending"),
    ],
)
def test_edit_of_approved_comment_meets_the_word_lists(app, client, posted, setting, word, status):
    assert posted.status == "approved"
    app.config[setting] = [word]
    client.post(f"/comments/{posted.id}/edit", data={"comment": f"Now with {word} inside"})
    db.session.refresh(posted)
    assert posted.status == status
    assert posted.moderation_reason.startswith("After an edit:")


def test_edit_skips_the_time_trap(app, client, posted):
    app.config.update(COMMENT_MIN_SECONDS=120, COMMENT_EDIT_MINUTES=1)
    client.post(f"/comments/{posted.id}/edit", data={"comment": "A quick fix"})
    db.session.refresh(posted)
    assert posted.status == "approved"
    assert posted.body == "A quick fix"


@pytest.mark.parametrize("change", ["closed", "unpublished"])
def test_no_edit_or_delete_once_the_article_is_not_open(client, posted, change):
    post = posted.post
    if change == "closed":
        post.comments_open = False
    else:
        post.status = "draft"
    db.session.commit()
    response = client.post(f"/comments/{posted.id}/edit", data={"comment": "Changed later"})
    assert response.status_code == 403
    assert "Changed later" in response.get_data(as_text=True)  # the typed text comes back
    assert client.post(f"/comments/{posted.id}/delete").status_code == 403
    db.session.refresh(posted)
    assert posted.body == TEXT and posted.status == "approved"


def test_poster_delete_of_spam_keeps_it_spam(client, posted):
    posted.status = "spam"
    db.session.commit()
    assert client.post(f"/comments/{posted.id}/delete").status_code == 303
    db.session.refresh(posted)
    assert posted.status == "spam"


def test_an_edited_text_counts_for_the_duplicate_rule(client, posted):
    """The duplicate rule finds earlier texts by a digest kept with the comment: an edit must
    move it too, or posting the edited text again would slip through (and the old text be
    refused although nothing says it any more)."""
    post = posted.post
    client.post(f"/comments/{posted.id}/edit", data={"comment": "Second thoughts"}, headers=HX)
    again = client.post(
        f"/posts/{post.slug}/comments", data=fields(client, post, comment="Second thoughts")
    )
    assert again.status_code == 409
    original = client.post(f"/posts/{post.slug}/comments", data=fields(client, post))
    assert original.status_code == 303
