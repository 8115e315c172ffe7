"""The demo site (`flask init-db` / `seed-demo`, blog.demo) has what a small real site has, and
its own export goes out and comes back whole."""

from __future__ import annotations

import json

from sqlalchemy import select

from blog.extensions import db
from blog.models import MenuItem, Post, Tag
from tests.helpers import dump_every_column, make_test_app, taken_columns


def seed(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output


def by_slug(slug: str) -> Post:
    return db.session.scalar(select(Post).where(Post.slug == slug))


def test_the_demo_has_pages_categories_a_sticky_post_an_excerpt_and_a_split(runner):
    seed(runner)
    about, team, contact = by_slug("about"), by_slug("our-team"), by_slug("contact")
    assert [p.kind for p in (about, team, contact)] == ["page"] * 3
    assert team.parent_id == about.id and about.parent_id is None
    assert about.comments_open and not contact.comments_open
    assert all(p.status == "published" and p.published_at for p in (about, team, contact))

    articles = db.session.scalars(select(Post).where(Post.kind == "post")).all()
    assert len(articles) == 5
    assert all(article.categories for article in articles)
    assert [a.slug for a in articles if a.sticky] == ["saltmarsh-repair-cafe-thousandth-fix"]
    riverside = by_slug("riverside-library-tool-lending-shelf")
    assert riverside.summary and not riverside.body_md.startswith(riverside.summary[:20])
    split = [a for a in articles if "\n<!--more-->\n" in a.body_md]
    assert [a.slug for a in split] == ["neighbourhood-weather-stations-first-month"]
    assert split[0].summary == ""  # its listing shows the part before <!--more-->

    categories = {t.name: t for t in db.session.scalars(select(Tag)) if t.taxonomy == "category"}
    assert set(categories) == {"Science & Nature", "Community Life", "Volunteering"}
    assert categories["Volunteering"].parent.name == "Community Life"
    # The tags keep the slugs the articles link to (/tag/community).
    tags = {t.name: t.slug for t in db.session.scalars(select(Tag)) if t.taxonomy == "tag"}
    assert tags["community"] == "community" and tags["science"] == "science"


def test_two_demo_articles_have_a_featured_picture_readers_see(runner, client, app):
    """Drawn at seed time (blog/demo/pictures.py), stored as an upload is: sizes, alt text."""
    from PIL import Image

    from blog.media.storage import current_storage
    from blog.media.urls import sizes_of

    seed(runner)
    featured = {
        p.slug: p.featured_media for p in db.session.scalars(select(Post)) if p.featured_media
    }
    assert set(featured) == {
        "river-clean-up-volunteers-count-results",
        "hillcrest-primary-solar-roof",
    }
    for item in featured.values():
        assert item.alt_text and item.width == 1200 and item.height == 675
        medium = sizes_of(item)["medium"]
        with Image.open(current_storage().path(medium["files"]["webp"])) as picture:
            assert picture.size == (768, 432)
    html = client.get("/posts/hillcrest-primary-solar-roof").get_data(as_text=True)
    roof = featured["hillcrest-primary-solar-roof"]
    assert f'alt="{roof.alt_text}"' in html and 'fetchpriority="high"' in html
    assert html.count("/media/files/") >= 3  # AVIF, WebP and JPEG sources


def test_the_demo_has_a_header_and_a_footer_menu(runner):
    seed(runner)
    items = db.session.scalars(select(MenuItem).order_by(MenuItem.menu, MenuItem.position)).all()

    def described(item):
        if item.kind == "link":
            return ("link", item.url, item.label)
        if item.kind == "page":
            return ("page", db.session.get(Post, item.target_id).slug)
        return (item.kind, db.session.get(Tag, item.target_id).name)

    header = [i for i in items if i.menu == "header" and i.parent_id is None]
    assert [described(i) for i in header] == [
        ("link", "/", "Home"),
        ("page", "about"),
        ("category", "Science & Nature"),
    ]
    children = [described(i) for i in items if i.parent_id == header[1].id]
    assert children == [("page", "our-team")]
    footer = [described(i) for i in items if i.menu == "footer"]
    assert footer == [("page", "contact"), ("link", "/feed.xml", "Feed")]
    assert all(i.parent_id in (None, header[1].id) for i in items)


def test_readers_see_the_demo_articles_pages_and_menus(runner, client):
    seed(runner)
    home = client.get("/").get_data(as_text=True)
    assert "Riverside Library" in home
    # The sticky article comes first, though it is the oldest.
    assert home.index("Saltmarsh Repair Cafe") < home.index("Riverside Library")
    # The split article's listing shows the part before <!--more-->, not what follows it.
    assert "the nearest official weather" in home
    assert "Streets near the park" not in home
    header = home[home.index('class="site-menu site-menu-header"') :]
    header = header[: header.index("</nav>")]
    for href, label in [("/", "Home"), ("/about/", "About"), ("/about/our-team/", "Our team")]:
        assert f'href="{href}"' in header and label in header
    assert 'href="/category/science-nature/"' in header
    footer = home[home.index('class="site-menu site-menu-footer"') :]
    assert 'href="/contact/"' in footer and 'href="/feed.xml"' in footer

    for article in db.session.scalars(select(Post).where(Post.kind == "post")):
        assert client.get(f"/posts/{article.slug}").status_code == 200
    team = client.get("/about/our-team/")
    assert team.status_code == 200 and "Nell Ashdown" in team.get_data(as_text=True)
    contact = client.get("/contact/").get_data(as_text=True)
    assert "desk@goodnews.example" in contact and 'name="comment"' not in contact
    assert 'name="comment"' in client.get("/about/").get_data(as_text=True)
    volunteering = client.get("/category/community-life/volunteering/")
    assert volunteering.status_code == 200
    assert "Saltmarsh Repair Cafe" in volunteering.get_data(as_text=True)
    assert client.get("/tag/community/").status_code == 200


def test_the_demo_sites_export_round_trips(runner, tmp_path):
    seed(runner)
    expected = dump_every_column()
    path = tmp_path / "demo.json"
    exported = runner.invoke(args=["export", str(path)])
    assert exported.exit_code == 0, exported.output
    assert "8 posts" in exported.output and "6 menu_items" in exported.output
    first = json.loads(path.read_text(encoding="utf-8"))

    fresh_dir = tmp_path / "fresh"
    fresh_dir.mkdir()
    fresh = make_test_app(fresh_dir)
    with fresh.app_context():
        db.create_all()
        fresh_runner = fresh.test_cli_runner()
        restored = fresh_runner.invoke(args=["import-json", str(path)])
        assert restored.exit_code == 0, restored.output
        assert taken_columns(dump_every_column()) == taken_columns(expected)
        again = tmp_path / "again.json"
        assert fresh_runner.invoke(args=["export", str(again)]).exit_code == 0
        db.session.remove()
        db.engine.dispose()
    second = json.loads(again.read_text(encoding="utf-8"))
    assert taken_columns(second["tables"]) == taken_columns(first["tables"])
