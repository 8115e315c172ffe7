"""import-wxr on damaged or older exports: page loops, menus without nav_menu terms (WXR 1.1),
menus already made here, a post's category arriving before its definition."""

from __future__ import annotations

from sqlalchemy import select

from blog.extensions import db
from blog.models import MenuItem, Post, Tag
from tests.wxr import HEAD, TAIL


def page(n, parent, slug):
    return (
        f"<item><title>Page {n}</title><dc:creator>gen</dc:creator><wp:post_id>{n}</wp:post_id>"
        "<wp:post_date>2021-05-01 12:00:00</wp:post_date>"
        "<wp:post_date_gmt>2021-05-01 10:00:00</wp:post_date_gmt>"
        f"<wp:post_name>{slug}</wp:post_name><wp:status>publish</wp:status>"
        f"<wp:post_parent>{parent}</wp:post_parent><wp:post_type>page</wp:post_type></item>"
    )


def menu_item(n, menu, order, kind, obj, obj_id, url="", title=""):
    meta = "".join(
        f"<wp:postmeta><wp:meta_key>_menu_item_{k}</wp:meta_key>"
        f"<wp:meta_value>{v}</wp:meta_value></wp:postmeta>"
        for k, v in (
            ("type", kind),
            ("object", obj),
            ("object_id", obj_id),
            ("url", url),
            ("menu_item_parent", 0),
        )
    )
    return (
        f"<item><title>{title}</title><wp:post_id>{n}</wp:post_id><wp:status>publish</wp:status>"
        f"<wp:menu_order>{order}</wp:menu_order><wp:post_type>nav_menu_item</wp:post_type>"
        f'<category domain="nav_menu" nicename="{menu}"><![CDATA[{menu.title()}]]></category>'
        f"{meta}</item>"
    )


def run(runner, tmp_path, items: str, name="export.xml"):
    path = tmp_path / name
    path.write_text(HEAD + items + TAIL, encoding="utf-8")
    result = runner.invoke(args=["import-wxr", str(path)])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_loop_of_parent_pages_is_cut(runner, client, tmp_path):
    output = run(runner, tmp_path, page(1, 2, "a") + page(2, 1, "b") + page(3, 1, "c"))
    assert "pages whose parent page is missing (kept at the top): 1" in output
    pages = {p.slug: p for p in db.session.scalars(select(Post))}
    assert pages["a"].parent_id is None and pages["b"].parent_id == pages["a"].id
    assert pages["c"].parent_id == pages["a"].id
    assert client.get("/a/b/").status_code == 200
    # The local dates are two hours ahead: that is the site's offset.
    assert "TIMEZONE set to +02:00" in output


def test_menus_of_an_export_without_nav_menu_terms(runner, tmp_path):
    output = run(
        runner,
        tmp_path,
        page(1, 0, "about")
        + menu_item(10, "main", 1, "post_type", "page", 1)
        + menu_item(11, "footer", 1, "custom", "custom", 11, url="https://a.example/", title="A"),
    )
    assert 'header menu: "Main" (1 items)' in output
    assert 'footer menu: "Footer" (1 items)' in output
    items = db.session.scalars(select(MenuItem).order_by(MenuItem.id)).all()
    assert [(i.menu, i.kind, i.url) for i in items] == [
        ("header", "page", ""),
        ("footer", "link", "https://a.example/"),
    ]


def test_a_menu_already_made_here_is_left_alone(runner, tmp_path):
    db.session.add(MenuItem(menu="header", kind="link", url="/", label="Ours"))
    db.session.commit()
    output = run(
        runner, tmp_path, page(1, 0, "about") + menu_item(10, "main", 1, "post_type", "page", 1)
    )
    assert 'header menu: kept as it was (it has items); "Main" not imported' in output
    assert [i.label for i in db.session.scalars(select(MenuItem))] == ["Ours"]


def test_a_category_named_only_on_a_post_is_made_there(runner, tmp_path):
    item = (
        "<item><title>P</title><dc:creator>gen</dc:creator><wp:post_id>5</wp:post_id>"
        "<wp:post_date_gmt>2021-05-01 10:00:00</wp:post_date_gmt><wp:status>publish</wp:status>"
        '<wp:post_type>post</wp:post_type><category domain="category" nicename="news">'
        '<![CDATA[News]]></category><category domain="post_tag" nicename="news">'
        "<![CDATA[news]]></category></item>"
    )
    run(runner, tmp_path, item)
    terms = {(t.taxonomy, t.slug, t.name) for t in db.session.scalars(select(Tag))}
    # Slugs are unique across both taxonomies: the tag gets the next free one.
    assert terms == {("category", "news", "News"), ("tag", "news-2", "news")}
