"""The editor's fields: excerpt, categories, sticky, visibility (password, private)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from blog.extensions import db
from blog.models import Post, Tag
from tests.helpers import post_form


def sign_in(client, author) -> None:
    with client.session_transaction() as session:
        session["author_id"] = author.id
        session["epoch"] = author.session_epoch


@pytest.fixture
def editor(client, make):
    account = make.author("edie", role="editor")
    sign_in(client, account)
    return account


def category(name: str, parent: Tag | None = None) -> Tag:
    term = Tag(
        name=name,
        slug=name.lower(),
        taxonomy="category",
        parent_id=parent.id if parent else None,
    )
    db.session.add(term)
    db.session.commit()
    return term


def only_post() -> Post:
    return db.session.scalars(select(Post)).one()


def test_excerpt_and_body_hints(client, editor):
    page = client.get("/admin/posts/new").get_data(as_text=True)
    assert '<label for="summary">Excerpt</label>' in page
    assert "&lt;!--more--&gt;" in page and "&lt;!--nextpage--&gt;" in page


def test_no_category_chosen_is_uncategorized(client, editor):
    client.post("/admin/posts/new", data=post_form())
    post = only_post()
    assert [c.slug for c in post.categories] == ["uncategorized"]
    assert sorted(t.name for t in post.tags) == ["energy", "transport"]


def test_categories_are_a_tree_of_checkboxes_and_are_saved(client, editor):
    science = category("Science")
    space = category("Space", parent=science)
    category("Arts")
    page = client.get("/admin/posts/new").get_data(as_text=True)
    listed = re.findall(r'<li class="depth-(\d)"><input type="checkbox" id="category-\d+"', page)
    names = re.findall(r'<label for="category-\d+">([^<]+)</label>', page)
    assert list(zip(names, listed, strict=True)) == [
        ("Arts", "0"),
        ("Science", "0"),
        ("Space", "1"),
    ]
    client.post(
        "/admin/posts/new",
        data=post_form(category_ids=[str(space.id), str(science.id), "x", "99999"]),
    )
    post = only_post()
    assert sorted(c.name for c in post.categories) == ["Science", "Space"]
    editor_page = client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
    assert f'value="{space.id}" checked' in editor_page


def test_editor_adds_a_new_category_and_an_author_may_not(app, client, editor, make):
    client.post("/admin/posts/new", data=post_form(new_category="Good news"))
    assert [c.name for c in only_post().categories] == ["Good news"]

    author = app.test_client()
    sign_in(author, make.author("ari", role="author"))
    assert 'name="new_category"' not in author.get("/admin/posts/new").get_data(as_text=True)
    response = author.post(
        "/admin/posts/new", data=post_form(title="Kept title", new_category="Mine")
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Only editors add categories" in html and 'value="Kept title"' in html
    assert db.session.scalar(select(Tag).where(Tag.name == "Mine")) is None


def test_sticky_for_those_who_publish_only(app, client, editor, make):
    client.post("/admin/posts/new", data=post_form(sticky="y", action="publish"))
    assert only_post().sticky is True

    contributor = app.test_client()
    account = make.author("cory", role="contributor")
    sign_in(contributor, account)
    assert 'name="sticky"' not in contributor.get("/admin/posts/new").get_data(as_text=True)
    contributor.post("/admin/posts/new", data=post_form(title="Mine", sticky="y"))
    mine = db.session.scalar(select(Post).where(Post.author_id == account.id))
    assert mine.sticky is False


def test_password_visibility_needs_a_password(app, client, editor):
    response = client.post(
        "/admin/posts/new",
        data=post_form(title="Members only", visibility="password", password="", action="publish"),
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="password-error"' in html and "Type the password readers will need." in html
    assert 'value="Members only"' in html and 'value="password" checked' in html
    assert db.session.scalars(select(Post)).all() == []

    client.post(
        "/admin/posts/new",
        data=post_form(visibility="password", password="open sesame", action="publish"),
    )
    post = only_post()
    assert post.password == "open sesame" and post.status == "published"
    reader = app.test_client().get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "Quiet engines" not in reader

    client.post(
        f"/admin/posts/{post.id}/edit",
        data=post_form(slug=post.slug, visibility="public", password="open sesame"),
    )
    db.session.refresh(post)
    assert post.password == "" and post.status == "published"


def test_private_publishes_for_signed_in_eyes_and_update_can_make_it_public(app, client, editor):
    client.post("/admin/posts/new", data=post_form(visibility="private", action="publish"))
    post = only_post()
    assert post.status == "private" and post.published_at is not None
    assert app.test_client().get(f"/posts/{post.slug}").status_code == 404
    editor_page = client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
    assert 'value="private" checked' in editor_page and ">Update</button>" in editor_page

    client.post(f"/admin/posts/{post.id}/edit", data=post_form(slug=post.slug, action="draft"))
    db.session.refresh(post)
    assert post.status == "published"
    assert app.test_client().get(f"/posts/{post.slug}").status_code == 200


def test_private_cannot_be_scheduled(client, editor):
    response = client.post(
        "/admin/posts/new",
        data=post_form(visibility="private", action="schedule", publish_at="2999-01-01 10:00"),
    )
    assert response.status_code == 422
    assert "A private post is published at once" in response.get_data(as_text=True)
    assert db.session.scalars(select(Post)).all() == []
