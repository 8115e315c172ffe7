"""The Trash, revisions, autosave and the preview of a draft, through the test client."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from blog.extensions import db
from blog.models import Comment, MenuItem, Post, Revision, now_utc
from tests.helpers import HX, post_form


def sign_in(client, author) -> None:
    with client.session_transaction() as session:
        session["author_id"] = author.id
        session["epoch"] = author.session_epoch


@pytest.fixture
def me(client, make):
    account = make.author("writer", role="author")
    sign_in(client, account)
    return account


def revisions_of(post) -> list[Revision]:
    return db.session.scalars(
        select(Revision).where(Revision.post_id == post.id).order_by(Revision.id)
    ).all()


# --- the Trash ----------------------------------------------------------------------------------


def test_trash_hides_the_post_and_its_comments_and_restore_brings_them_back(app, client, me, make):
    post = make.post("Going to the bin", author=me)
    make.comment(post, body="A kind word")
    reader = app.test_client()
    assert reader.get(f"/posts/{post.slug}").status_code == 200
    assert "A kind word" in reader.get("/comments/feed.xml").get_data(as_text=True)

    response = client.post(f"/admin/posts/{post.id}/trash")
    assert response.status_code == 303 and response.location.endswith("/admin/posts")
    db.session.refresh(post)
    assert post.status == "trash" and post.status_before_trash == "published"
    assert post.trashed_at is not None
    assert reader.get(f"/posts/{post.slug}").status_code == 404
    assert "A kind word" not in reader.get("/comments/feed.xml").get_data(as_text=True)
    assert db.session.scalar(select(Comment.body)) == "A kind word"  # kept

    # Its address stays taken while it is in the trash.
    client.post("/admin/posts/new", data=post_form(title="Going to the bin"))
    assert db.session.scalar(select(Post.slug).where(Post.id != post.id)) == "going-to-the-bin-2"

    trash = client.get("/admin/trash").get_data(as_text=True)
    assert "Going to the bin" in trash and "Empty Trash" in trash
    assert client.get(f"/admin/posts/{post.id}/edit").status_code == 303  # restore first

    response = client.post(f"/admin/posts/{post.id}/restore")
    assert response.status_code == 303
    db.session.refresh(post)
    assert post.status == "published" and post.trashed_at is None
    page = reader.get(f"/posts/{post.slug}")
    assert page.status_code == 200 and "A kind word" in page.get_data(as_text=True)


def test_post_list_counts_each_status_like_wordpress(client, me, make):
    for status in ("published", "published", "draft", "pending", "private", "trash"):
        make.post(author=me, status=status)
    make.post("Not mine", author=make.author("other", role="author"), status="draft")
    page = client.get("/admin/posts").get_data(as_text=True)
    counts = dict(re.findall(r'>(\w+) <span class="count">\((\d+)\)</span>', page))
    assert counts == {
        "All": "5",
        "Published": "2",
        "Drafts": "1",
        "Pending": "1",
        "Private": "1",
        "Trash": "1",
    }
    trash = client.get("/admin/posts?status=trash").get_data(as_text=True)
    assert "Restore" in trash and "Delete permanently" in trash


def test_delete_permanently_and_empty_trash(client, me, make):
    first = make.post("First", author=me, status="trash", trashed_at=now_utc())
    make.post("Second", author=me, status="trash", trashed_at=now_utc())
    make.post("Theirs", author=make.author("them", role="author"), status="trash")
    confirm = client.get(f"/admin/posts/{first.id}/delete").get_data(as_text=True)
    assert "Delete &ldquo;First&rdquo; permanently?" in confirm
    assert client.post(f"/admin/posts/{first.id}/delete").status_code == 303
    assert client.post("/admin/trash/empty").status_code == 303
    # An author empties only their own trash.
    assert db.session.scalars(select(Post.title)).all() == ["Theirs"]


def test_a_page_deleted_for_good_leaves_no_menu_entry_behind(client, make, admin):
    """Its entry goes, and so do the entries nested under it (a submenu without its parent would
    otherwise be an orphan the menu editor cannot show); other entries stay."""
    admin.login()
    page = make.post("Gone page", kind="page", status="trash", trashed_at=now_utc())
    kept = make.post("Kept page", kind="page")
    top = MenuItem(menu="header", kind="page", target_id=page.id, position=0)
    db.session.add(top)
    db.session.flush()
    db.session.add(MenuItem(menu="header", kind="link", url="/x", label="X", parent_id=top.id))
    db.session.add(MenuItem(menu="header", kind="page", target_id=kept.id, position=1))
    db.session.commit()
    assert client.post(f"/admin/posts/{page.id}/delete").status_code == 303
    db.session.expire_all()
    left = db.session.scalars(select(MenuItem)).all()
    assert [(item.kind, item.target_id) for item in left] == [("page", kept.id)]
    assert "Kept page" in client.get("/").get_data(as_text=True)


def test_items_trashed_30_days_ago_go_when_a_list_is_opened(client, me, make, runner):
    old = now_utc() - timedelta(days=31)
    make.post("Old rubbish", author=me, status="trash", trashed_at=old)
    make.post("New rubbish", author=me, status="trash", trashed_at=now_utc())
    client.get("/admin/posts")
    assert db.session.scalars(select(Post.title)).all() == ["New rubbish"]

    make.post("Older rubbish", author=me, status="trash", trashed_at=old)
    result = runner.invoke(args=["empty-trash"])
    assert result.exit_code == 0 and "Deleted 1 item" in result.output
    assert db.session.scalars(select(Post.title)).all() == ["New rubbish"]


# --- revisions ----------------------------------------------------------------------------------


def test_each_changing_save_keeps_a_revision_and_compare_shows_the_words(client, me):
    client.post("/admin/posts/new", data=post_form(body="The old ferry was slow."))
    post = db.session.scalars(select(Post)).one()
    fields = post_form(slug=post.slug, body="The new ferry is quiet.")
    client.post(f"/admin/posts/{post.id}/edit", data=fields)
    client.post(f"/admin/posts/{post.id}/edit", data=fields)  # nothing changed: no revision
    revisions = revisions_of(post)
    assert [r.body_md for r in revisions] == ["The old ferry was slow.", "The new ferry is quiet."]
    assert all(r.author_id == me.id and not r.autosave for r in revisions)

    listing = client.get(f"/admin/posts/{post.id}/revisions").get_data(as_text=True)
    assert "Compare with current" in listing and "(current)" in listing
    compare = client.get(f"/admin/posts/{post.id}/revisions?compare={revisions[0].id}")
    html = compare.get_data(as_text=True)
    assert "<del>old</del>" in html and "<ins>new</ins>" in html
    assert "<del>was slow.</del>" in html and "<ins>is quiet.</ins>" in html
    assert " style=" not in html


def test_restore_a_revision_makes_a_new_one(client, me):
    client.post("/admin/posts/new", data=post_form(title="First title", body="First body"))
    post = db.session.scalars(select(Post)).one()
    client.post(
        f"/admin/posts/{post.id}/edit",
        data=post_form(title="Second title", slug=post.slug, body="Second body"),
    )
    first = revisions_of(post)[0]
    response = client.post(f"/admin/posts/{post.id}/revisions/{first.id}/restore")
    assert response.status_code == 303
    # The revision's time in the site's zone, which the message names (UTC here).
    when = f"{first.created_at:%Y-%m-%d %H:%M}"
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Restored the revision of {when} (UTC)." in shown
    db.session.refresh(post)
    assert (post.title, post.body_md) == ("First title", "First body")
    assert "First body" in post.body_html
    assert [r.title for r in revisions_of(post)] == ["First title", "Second title", "First title"]


def test_revision_of_another_post_is_not_found(client, me, make):
    mine = make.post("Mine", author=me)
    other = make.post("Other", author=me)
    foreign = Revision(post_id=other.id, author_id=me.id, title="x", body_md="y")
    db.session.add(foreign)
    db.session.commit()
    assert client.get(f"/admin/posts/{mine.id}/revisions?compare={foreign.id}").status_code == 404
    assert client.get(f"/admin/posts/{mine.id}/revisions?compare=9" + "9" * 30).status_code == 404
    restore = client.post(f"/admin/posts/{mine.id}/revisions/{foreign.id}/restore")
    assert restore.status_code == 404


# --- autosave -----------------------------------------------------------------------------------


def test_first_autosave_makes_the_draft_and_names_its_address(client, me):
    response = client.post(
        "/admin/posts/autosave", data={"title": "Typed so far", "body": "Half a"}, headers=HX
    )
    assert response.status_code == 200
    assert "Draft saved at" in response.get_data(as_text=True)
    post = db.session.scalars(select(Post)).one()
    assert (post.title, post.body_md, post.status) == ("Typed so far", "Half a", "draft")
    assert post.author_id == me.id and [c.name for c in post.categories] == ["Uncategorized"]
    assert response.headers["HX-Replace-Url"] == f"/admin/posts/{post.id}/edit"
    event = json.loads(response.headers["HX-Trigger"])["post-created"]
    assert event["autosaveUrl"] == f"/admin/posts/{post.id}/autosave"
    assert event["editUrl"] == f"/admin/posts/{post.id}/edit"


def test_nothing_typed_makes_no_draft(client, me):
    response = client.post("/admin/posts/autosave", data={"title": " ", "body": ""}, headers=HX)
    assert response.status_code == 200
    assert db.session.scalars(select(Post)).all() == []


def test_autosave_is_one_revision_replaced_and_the_editor_offers_it(client, me, make):
    post = make.post("Saved title", author=me, status="draft", body_md="Saved body")
    for body in ("Typing", "Typing more"):
        response = client.post(
            f"/admin/posts/{post.id}/autosave",
            data={"title": "Saved title", "body": body, "summary": post.summary},
            headers=HX,
        )
        assert response.status_code == 200
    autosaves = [r for r in revisions_of(post) if r.autosave]
    assert [r.body_md for r in autosaves] == ["Typing more"]
    db.session.refresh(post)
    assert post.body_md == "Saved body"  # the post itself is as saved

    editor = client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
    assert "There is an autosave of this post that is more recent" in editor
    assert ">Saved body</textarea>" in editor
    restored = client.get(f"/admin/posts/{post.id}/edit?autosave=1").get_data(as_text=True)
    assert ">Typing more</textarea>" in restored
    assert "more recent than the version below" not in restored

    client.post(
        f"/admin/posts/{post.id}/edit",
        data=post_form(title="Saved title", slug=post.slug, body="Typing more"),
    )
    assert not [r for r in revisions_of(post) if r.autosave]  # a save ends the autosave
    editor = client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
    assert "There is an autosave" not in editor


def test_the_editor_autosaves_through_htmx(client, me):
    editor = client.get("/admin/posts/new").get_data(as_text=True)
    assert 'hx-post="/admin/posts/autosave"' in editor
    assert 'hx-trigger="input delay:1500ms from:#post-form"' in editor
    assert re.search(r'<script src="/static/js/editor[.\w]*\.js" defer>', editor)
    assert "js/editor" not in client.get("/admin/posts").get_data(as_text=True)


# --- preview ------------------------------------------------------------------------------------


def test_preview_shows_the_draft_to_its_author_only(app, client, me, make):
    draft = make.post("Secret plans", author=me, status="draft", body_md="Plans in *detail*.")
    response = client.get(f"/admin/posts/{draft.id}/preview")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Secret plans" in html and "<em>detail</em>" in html
    assert response.headers["Cache-Control"] == "no-store"
    assert "noindex" in response.headers["X-Robots-Tag"]
    db.session.refresh(draft)
    assert draft.published_at is None and draft.status == "draft"

    stranger = app.test_client()
    assert stranger.get(f"/admin/posts/{draft.id}/preview").status_code == 302  # sign in first
    assert stranger.get(f"/posts/{draft.slug}").status_code == 404
    other = app.test_client()
    sign_in(other, make.author("nosy", role="author"))
    assert other.get(f"/admin/posts/{draft.id}/preview").status_code == 403
    editor = app.test_client()
    sign_in(editor, make.author("boss", role="editor"))
    assert editor.get(f"/admin/posts/{draft.id}/preview").status_code == 200
