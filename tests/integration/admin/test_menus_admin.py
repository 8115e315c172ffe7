"""The Menus screen: add pages, categories, tags and links; reorder, nest one level, rename,
remove; with and without htmx; every change moves the page cache's content version on."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from blog.extensions import db
from blog.models import MenuItem, Setting, Tag
from blog.settings import VERSION_KEY
from tests.helpers import HX


@pytest.fixture
def signed_in(admin):
    admin.login()
    return admin


def content_version():
    return db.session.scalar(select(Setting.value).where(Setting.key == VERSION_KEY))


def entries(menu="header"):
    """(label or url or target, parent's label or None) in the order the menu shows them."""
    db.session.expire_all()
    items = db.session.scalars(
        select(MenuItem).where(MenuItem.menu == menu).order_by(MenuItem.position, MenuItem.id)
    ).all()
    by_id = {item.id: item for item in items}
    tops = [item for item in items if item.parent_id is None]
    shown = []
    for top in tops:
        shown.append((top.label, None))
        shown.extend((i.label, top.label) for i in items if i.parent_id == top.id)
    assert len(shown) == len(by_id)
    return shown


def add_link(client, label, url="https://example.org/", menu="header", headers=None):
    return client.post(
        "/admin/menus/add",
        data={"menu": menu, "kind": "link", "url": url, "label": label},
        headers=headers or {},
    )


def item_id(label):
    return db.session.scalar(select(MenuItem.id).where(MenuItem.label == label))


def test_add_page_category_tag_and_link(client, signed_in, make):
    page = make.post("About us", kind="page")
    cat = Tag(name="News", slug="news", taxonomy="category")
    tag = Tag(name="Cats", slug="cats", taxonomy="tag")
    db.session.add_all([cat, tag])
    db.session.commit()
    before = content_version()
    for kind, target in (("page", page.id), ("category", cat.id), ("tag", tag.id)):
        response = client.post(
            "/admin/menus/add", data={"menu": "header", "kind": kind, "target": str(target)}
        )
        assert response.status_code == 303
    assert add_link(client, "Shop", "/shop/").status_code == 303
    assert add_link(client, "Elsewhere", menu="footer").status_code == 303
    db.session.expire_all()
    rows = db.session.scalars(select(MenuItem).order_by(MenuItem.menu, MenuItem.position)).all()
    assert [(r.menu, r.kind, r.target_id, r.url, r.position) for r in rows] == [
        ("footer", "link", None, "https://example.org/", 0),
        ("header", "page", page.id, "", 0),
        ("header", "category", cat.id, "", 1),
        ("header", "tag", tag.id, "", 2),
        ("header", "link", None, "/shop/", 3),
    ]
    assert content_version() != before
    html = client.get("/admin/menus").get_data(as_text=True)
    for name in ("About us", "News", "Cats", "Shop", "Elsewhere"):
        assert f'<strong class="menu-item-label">{name}</strong>' in html


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "//evil.example/", "ftp://x.org/", "no-slash", "/a b", ""]
)
def test_bad_link_gets_a_message_beside_the_field_with_the_input_kept(client, signed_in, url):
    for headers in ({}, HX):
        response = add_link(client, "My link", url, headers=headers)
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert 'id="add-header-url-error" class="field-error">Enter an address' in html
        assert 'value="My link"' in html
    assert db.session.scalar(select(MenuItem)) is None


def test_a_link_needs_a_label_and_a_target_must_exist(client, signed_in):
    response = add_link(client, "  ")
    assert "Give the link a label." in response.get_data(as_text=True)
    missing = client.post(
        "/admin/menus/add", data={"menu": "header", "kind": "page", "target": "99"}
    )
    assert missing.status_code == 422
    assert "Choose a page from the list." in missing.get_data(as_text=True)
    assert db.session.scalar(select(MenuItem)) is None


def test_move_up_down_indent_outdent_without_javascript(client, signed_in):
    for label in ("A", "B", "C"):
        add_link(client, label)
    a, b, c = item_id("A"), item_id("B"), item_id("C")
    assert client.post(f"/admin/menus/items/{c}/up").status_code == 303
    assert entries() == [("A", None), ("C", None), ("B", None)]
    client.post(f"/admin/menus/items/{c}/indent")
    assert entries() == [("A", None), ("C", "A"), ("B", None)]
    client.post(f"/admin/menus/items/{b}/indent")
    assert entries() == [("A", None), ("C", "A"), ("B", "A")]
    client.post(f"/admin/menus/items/{b}/up")
    assert entries() == [("A", None), ("B", "A"), ("C", "A")]
    client.post(f"/admin/menus/items/{b}/outdent")
    assert entries() == [("A", None), ("C", "A"), ("B", None)]
    client.post(f"/admin/menus/items/{a}/down")  # its child comes along
    assert entries() == [("B", None), ("A", None), ("C", "A")]
    refused = client.post(f"/admin/menus/items/{b}/up", follow_redirects=True)
    assert "It is already first." in refused.get_data(as_text=True)
    nested = client.post(f"/admin/menus/items/{c}/indent", follow_redirects=True)
    assert "Menus nest one level only." in nested.get_data(as_text=True)


def test_htmx_answers_with_the_menu_and_keeps_button_ids(client, signed_in):
    add_link(client, "One")
    add_link(client, "Two")
    two = item_id("Two")
    response = client.post(f"/admin/menus/items/{two}/up", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="menu-header"') and "<html" not in html
    assert html.index(">Two<") < html.index(">One<")
    assert f'id="menu-item-{two}-up"' in html


def test_rename_and_remove(client, signed_in):
    add_link(client, "Parent")
    add_link(client, "Child")
    parent, child = item_id("Parent"), item_id("Child")
    client.post(f"/admin/menus/items/{child}/indent")
    before = content_version()
    response = client.post(f"/admin/menus/items/{parent}/label", data={"label": "Renamed"})
    assert response.status_code == 303
    assert content_version() != before
    assert entries() == [("Renamed", None), ("Child", "Renamed")]
    empty = client.post(f"/admin/menus/items/{parent}/label", data={"label": ""}, headers=HX)
    assert empty.status_code == 422 and "A link needs a label." in empty.get_data(as_text=True)
    removed = client.post(f"/admin/menus/items/{parent}/remove", headers=HX)
    assert "Removed “Renamed”." in removed.get_data(as_text=True)
    assert entries() == []


def test_an_empty_label_shows_the_targets_own_name(client, signed_in, make):
    page = make.post("Contact", kind="page")
    client.post("/admin/menus/add", data={"menu": "footer", "kind": "page", "target": page.id})
    entry = item_id("")
    client.post(f"/admin/menus/items/{entry}/label", data={"label": "Write to us"})
    assert entries("footer") == [("Write to us", None)]
    client.post(f"/admin/menus/items/{entry}/label", data={"label": " "})
    assert entries("footer") == [("", None)]
    html = client.get("/admin/menus").get_data(as_text=True)
    assert '<strong class="menu-item-label">Contact</strong>' in html
