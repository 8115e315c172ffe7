"""The Categories and Tags screens: add, edit, slugs unique across terms, delete with the posts
kept, merge, case variants side by side; htmx answers with the row, plain posts come back."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from blog.extensions import db
from blog.models import MenuItem, Post, Setting, Tag
from blog.settings import VERSION_KEY
from tests.helpers import HX


@pytest.fixture
def signed_in(admin):
    admin.login()
    return admin


def category(name, slug=None, parent=None, description=""):
    term = Tag(
        name=name,
        slug=slug or name.lower().replace(" ", "-"),
        taxonomy="category",
        parent_id=parent.id if parent else None,
        description=description,
    )
    db.session.add(term)
    db.session.commit()
    return term


def tag(name, slug=None):
    term = Tag(name=name, slug=slug or name.lower().replace(" ", "-"), taxonomy="tag")
    db.session.add(term)
    db.session.commit()
    return term


def content_version():
    return db.session.scalar(select(Setting.value).where(Setting.key == VERSION_KEY))


def test_categories_list_is_a_tree_with_post_counts(client, signed_in, make):
    news = category("News")
    local = category("Local", parent=news)
    category("Sport")
    make.post("One", terms=[local])
    make.post("Two", terms=[local, news])
    page = client.get("/admin/categories").get_data(as_text=True)
    assert page.index(">News<") < page.index("— Local") < page.index(">Sport<")
    row = page[page.index(f'id="term-{local.id}"') :]
    row = row[: row.index("</tr>")]
    assert '<td class="column-count count">2</td>' in row


def test_add_category_with_parent_and_description(client, signed_in):
    parent = category("Travel")
    response = client.post(
        "/admin/categories",
        data={"name": "Trains", "slug": "", "parent": str(parent.id), "description": "Rails."},
    )
    assert response.status_code == 303
    added = db.session.scalar(select(Tag).where(Tag.name == "Trains"))
    assert (added.taxonomy, added.slug, added.parent_id, added.description) == (
        "category",
        "trains",
        parent.id,
        "Rails.",
    )


def test_taken_or_bad_slug_gets_a_message_beside_the_field_with_the_input_kept(client, signed_in):
    tag("Template")
    response = client.post(
        "/admin/categories", data={"name": "My category", "slug": "template", "parent": "0"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="field-error">That slug belongs to the tag “Template”.' in html
    assert 'value="My category"' in html and 'value="template"' in html
    bad = client.post("/admin/tags", data={"name": "X", "slug": "no/slashes"})
    assert bad.status_code == 422
    assert "Use lower-case letters, digits and single hyphens." in bad.get_data(as_text=True)
    assert db.session.scalar(select(Tag).where(Tag.name.in_(["My category", "X"]))) is None


def test_edit_rename_and_change_slug_plain_form(client, signed_in):
    term = category("Old name")
    page = client.get(f"/admin/terms/{term.id}/edit")
    assert page.status_code == 200 and 'value="Old name"' in page.get_data(as_text=True)
    response = client.post(
        f"/admin/terms/{term.id}/edit",
        data={"name": "New name", "slug": "new-slug", "parent": "0", "description": "D"},
    )
    assert response.status_code == 303
    db.session.refresh(term)
    assert (term.name, term.slug, term.description) == ("New name", "new-slug", "D")


def test_a_category_cannot_become_its_own_descendant(client, signed_in):
    top = category("Top")
    child = category("Child", parent=top)
    response = client.post(
        f"/admin/terms/{top.id}/edit", data={"name": "Top", "slug": "top", "parent": str(child.id)}
    )
    assert response.status_code == 422
    assert "Choose a category from the list." in response.get_data(as_text=True)
    db.session.refresh(top)
    assert top.parent_id is None


def test_inline_rename_under_htmx_answers_with_the_row(client, signed_in):
    term = tag("Pyhton")
    other = tag("Python")
    form = client.get(f"/admin/terms/{term.id}/edit", headers=HX)
    assert form.get_data(as_text=True).lstrip().startswith("<tr")
    taken = client.post(
        f"/admin/terms/{term.id}/edit", data={"name": "Python 3", "slug": other.slug}, headers=HX
    )
    assert taken.status_code == 422
    html = taken.get_data(as_text=True)
    assert "That slug belongs to the tag “Python”." in html and 'value="Python 3"' in html
    done = client.post(
        f"/admin/terms/{term.id}/edit", data={"name": "Python 3", "slug": "python-3"}, headers=HX
    )
    assert done.status_code == 200
    html = done.get_data(as_text=True)
    assert html.lstrip().startswith(f'<tr id="term-{term.id}"') and "Python 3" in html
    assert "<html" not in html


def test_delete_keeps_posts_gives_uncategorized_and_lifts_children(client, signed_in, make):
    parent = category("Parent")
    doomed = category("Doomed", parent=parent)
    child = category("Child", parent=doomed)
    keeps_other = category("Other")
    lonely = make.post("Lonely", terms=[doomed])
    both = make.post("Both", terms=[doomed, keeps_other])
    item = MenuItem(menu="header", kind="category", target_id=doomed.id, position=0)
    db.session.add(item)
    db.session.commit()
    before, doomed_id = content_version(), doomed.id
    response = client.post(f"/admin/terms/{doomed_id}/delete", headers=HX)
    assert response.status_code == 200
    assert "Deleted the category “Doomed”; its posts were kept." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Tag, doomed_id) is None
    assert [t.slug for t in db.session.get(Post, lonely.id).categories] == ["uncategorized"]
    assert [t.name for t in db.session.get(Post, both.id).categories] == ["Other"]
    assert db.session.get(Tag, child.id).parent_id == parent.id
    assert db.session.scalar(select(MenuItem)) is None
    assert content_version() != before


def test_the_default_category_cannot_be_deleted(client, signed_in):
    default = category("Uncategorized")
    plain = client.post(f"/admin/terms/{default.id}/delete")
    assert plain.status_code == 303
    assert db.session.get(Tag, default.id) is not None
    htmx = client.post(f"/admin/terms/{default.id}/delete", headers=HX)
    assert htmx.status_code == 409
    assert "The default category cannot be deleted" in htmx.get_data(as_text=True)
    page = client.get("/admin/categories").get_data(as_text=True)
    assert f'action="/admin/terms/{default.id}/delete"' not in page


def test_delete_a_tag_without_javascript_comes_back_to_the_list(client, signed_in, make):
    gone = tag("Gone")
    post = make.post("Tagged", terms=[gone])
    response = client.post(f"/admin/terms/{gone.id}/delete")
    assert response.status_code == 303 and response.headers["Location"] == "/admin/tags"
    assert "Deleted the tag “Gone”" in client.get("/admin/tags").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Post, post.id).terms == []


def test_case_variants_are_shown_side_by_side_and_merge_joins_them(client, signed_in, make):
    upper = tag("Template", "template-2")
    lower = tag("template")
    tag("Zebra")
    first = make.post("First", terms=[upper])
    second = make.post("Second", terms=[lower, upper])
    page = client.get("/admin/tags").get_data(as_text=True)
    assert page.index(f'id="term-{upper.id}"') < page.index(f'id="term-{lower.id}"')
    assert "Differs only in case from: template." in page
    assert "Differs only in case from: Template." in page
    lower_id = lower.id
    response = client.post(f"/admin/terms/{lower_id}/merge", data={"target": str(upper.id)})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Tag, lower_id) is None
    assert [t.name for t in db.session.get(Post, first.id).tags] == ["Template"]
    assert [t.name for t in db.session.get(Post, second.id).tags] == ["Template"]
    page = client.get("/admin/tags").get_data(as_text=True)
    assert "Merged “template” into “Template”." in page
    assert "Differs only in case" not in page


def test_merge_needs_another_term_of_the_same_taxonomy(client, signed_in):
    a_tag = tag("Thing")
    a_category = category("Things")
    for target in ("", str(a_category.id), str(a_tag.id)):
        url = f"/admin/terms/{a_tag.id}/merge"
        response = client.post(url, data={"target": target}, headers=HX)
        assert response.status_code == 422
        assert "Choose another tag to merge “Thing” into." in response.get_data(as_text=True)
    assert db.session.get(Tag, a_tag.id) is not None


def test_merged_category_menu_entries_follow_the_target(client, signed_in):
    old = category("Old")
    new = category("New")
    db.session.add(MenuItem(menu="footer", kind="category", target_id=old.id, position=0))
    db.session.commit()
    client.post(f"/admin/terms/{old.id}/merge", data={"target": str(new.id)})
    db.session.expire_all()
    assert db.session.scalar(select(MenuItem.target_id)) == new.id
