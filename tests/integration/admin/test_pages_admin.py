"""Pages in the admin: the list, the editor's parent and order, slugs shared with posts."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from blog.extensions import db
from blog.models import Post
from tests.helpers import post_form


def sign_in(client, author) -> None:
    with client.session_transaction() as session:
        session["author_id"] = author.id
        session["epoch"] = author.session_epoch


@pytest.fixture
def editor(client, make):
    account = make.author("edna", role="editor")
    sign_in(client, account)
    return account


def page_form(**overrides):
    data = post_form(title="About us", body="Who we are.", summary="", tags="", parent_page="")
    data["menu_order"] = "0"
    data.update(overrides)
    return data


def test_new_page_has_parent_and_order_and_no_post_fields(client, editor, make):
    parent = make.post("About", slug="about", kind="page", author=editor)
    form = client.get("/admin/pages/new").get_data(as_text=True)
    assert 'name="parent_page"' in form and 'name="menu_order"' in form
    assert 'name="sticky"' not in form and 'name="category_ids"' not in form
    assert 'name="tags"' not in form

    response = client.post(
        "/admin/pages/new",
        data=page_form(title="Team", parent_page=str(parent.id), menu_order="3", action="publish"),
    )
    assert response.status_code == 303
    page = db.session.scalar(select(Post).where(Post.slug == "team"))
    assert response.location.endswith(f"/admin/pages/{page.id}/edit")
    assert page.kind == "page" and page.parent_id == parent.id and page.menu_order == 3
    assert page.status == "published" and page.terms == [] and not page.sticky
    assert client.get("/about/team/").status_code == 200


def test_page_list_puts_children_under_parents_in_order(client, editor, make):
    about = make.post("About", slug="about", kind="page", author=editor, menu_order=1)
    make.post("Contact", slug="contact", kind="page", author=editor, menu_order=0)
    make.post("Team", slug="team", kind="page", author=editor, parent_id=about.id, menu_order=2)
    make.post("History", slug="history", kind="page", author=editor, parent_id=about.id)
    make.post("A post", slug="a-post", author=editor)
    page = client.get("/admin/pages").get_data(as_text=True)
    titles = re.findall(r'class="row-title"[^>]*>(?:\u2014 )*([^<]+)<', page)
    assert titles == ["Contact", "About", "History", "Team"]
    assert "/about/team/" in page
    assert "A post" not in page


def test_parent_cannot_be_itself_or_a_descendant(client, editor, make):
    top = make.post("Top", slug="top", kind="page", author=editor)
    child = make.post("Child", slug="child", kind="page", author=editor, parent_id=top.id)
    grandchild = make.post("Grand", slug="grand", kind="page", author=editor, parent_id=child.id)
    other = make.post("Other", slug="other", kind="page", author=editor)

    editor_page = client.get(f"/admin/pages/{top.id}/edit").get_data(as_text=True)
    options = re.findall(r'<option value="(\d+)"', editor_page)
    assert options == [str(other.id)]

    for bad in (top.id, grandchild.id, 999999, "x"):
        response = client.post(
            f"/admin/pages/{top.id}/edit",
            data=page_form(title="Top, renamed", slug="top", parent_page=str(bad)),
        )
        assert response.status_code == 422
        body = response.get_data(as_text=True)
        assert "Choose a page from the list." in body
        assert 'value="Top, renamed"' in body  # what was typed stays
    db.session.refresh(top)
    assert top.parent_id is None and top.title == "Top"


def test_slugs_are_shared_with_posts_and_reserved_words(client, editor, make):
    make.post("News", slug="news", author=editor)
    client.post("/admin/pages/new", data=page_form(title="News"))
    client.post("/admin/pages/new", data=page_form(title="Admin"))
    slugs = set(db.session.scalars(select(Post.slug).where(Post.kind == "page")))
    assert slugs == {"news-2", "admin-2"}


def test_order_must_be_a_number(client, editor):
    response = client.post("/admin/pages/new", data=page_form(menu_order="first"))
    assert response.status_code == 422
    assert 'id="menu_order-error"' in response.get_data(as_text=True)
    assert db.session.scalars(select(Post)).all() == []


@pytest.mark.parametrize("role", ["author", "contributor"])
def test_only_editors_and_administrators_have_pages(client, make, role):
    account = make.author("someone", role=role)
    page = make.post("About", slug="about", kind="page", author=account)
    sign_in(client, account)
    assert client.get("/admin/pages").status_code == 403
    assert client.get("/admin/pages/new").status_code == 403
    assert client.post("/admin/pages/new", data=page_form()).status_code == 403
    assert client.get(f"/admin/pages/{page.id}/edit").status_code == 403
    assert client.post(f"/admin/posts/{page.id}/trash").status_code == 403
    assert db.session.scalars(select(Post)).all() == [page]
