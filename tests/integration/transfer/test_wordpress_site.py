"""A whole WordPress site through `flask import-wxr` (tests/data/wordpress-site.xml): every item
shows where WordPress showed it. Runs on SQLite, and on PostgreSQL with BLOG_TEST_DATABASE."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from blog.extensions import db
from blog.models import Author, Comment, MenuItem, Post, Setting, Tag, post_tags
from blog.settings import site_config
from tests.wxr import SITE

WORD_JOINER = "\u2060"


@pytest.fixture
def imported(runner):
    result = runner.invoke(args=["import-wxr", str(SITE)])
    assert result.exit_code == 0, result.output
    return result.output


def post(number: int) -> Post:
    return db.session.scalar(select(Post).where(Post.wp_id == number))


def term(slug: str) -> Tag:
    return db.session.scalar(select(Tag).where(Tag.slug == slug))


def page_text(client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.get_data(as_text=True)


def comment_html(page: str, number: int) -> str:
    """The rendered body of one comment on a page."""
    article = page.split(f'id="comment-{number}"', 1)[1]
    return article.split('class="comment-content" hx-disable>', 1)[1].split("</div>", 1)[0]


def visible(fragment: str) -> str:
    """The text a reader sees: tags gone, entities decoded, the invisible word joiner gone."""
    return html.unescape(re.sub(r"<[^>]*>", "", fragment)).replace(WORD_JOINER, "")


def every_row() -> dict:
    tables = [Author.__table__, Tag.__table__, Post.__table__, post_tags, Comment.__table__]
    tables += [MenuItem.__table__, Setting.__table__]
    return {
        table.name: db.session.execute(select(table).order_by(*table.primary_key)).all()
        for table in tables
        if table.name != "settings"
    } | {
        "settings": db.session.execute(
            select(Setting.key, Setting.value).where(Setting.key != "CONTENT_VERSION")
        ).all()
    }


def test_the_summary_says_what_came_and_what_did_not(imported):
    lines = [line.strip() for line in imported.splitlines()]
    for expected in (
        "Imported Lakeside Notes (WXR 1.2):",
        "authors: 3 new, 0 already there",
        "categories: 5 new, 0 already there",
        "tags: 3 new, 0 already there",
        "posts: 14 new (1 draft, 1 pending, 1 private, 10 published, 1 scheduled), 0 already there",
        "pages: 6 new (1 draft, 5 published), 0 already there",
        "comments: 14 new (14 approved), 0 already there",
        "menus: 2 new, 0 already there",
        "menu items: 11 new, 0 already there",
        'header menu: "Primary" (9 items)',
        'footer menu: "Footer" (2 items)',
        "site offset: +05:00 (local dates minus GMT dates, 40 of 41 items)",
        "settings: SITE_TITLE set, SITE_TAGLINE set, TIMEZONE set to +05:00",
        "media: 1 new (1 images, 0 audio, 0 video, 0 files), 0 already there",
        "Not imported:",
        'attachments without a WordPress id or a file: 1 (e.g. "Lake photo")',
        'comments on attachments: 1 (e.g. "Image Alignment 580x300")',
        'custom post type "product": 3 (e.g. "Blue mug")',
        'pingbacks: 1 (e.g. "Other Blog")',
        'trackbacks: 1 (e.g. "Another Blog")',
        'revisions: 3 (e.g. "Welcome to the lake")',
        'trashed posts and pages: 2 (e.g. "Thrown away")',
        'comments on trashed posts and pages: 1 (e.g. "Thrown away")',
        "menu items nested deeper than one level (moved up to the first level): 1 "
        '(e.g. "The founders")',
        'menus with no place here (header and footer taken): 1 (e.g. "Social")',
        'menu items of those menus: 1 (e.g. "Social")',
        'menu items whose page, post or term was not imported: 1 (e.g. "Gone page")',
        'menu links that are not http(s) or site-relative: 1 (e.g. "javascript:alert(1)")',
        'terms of taxonomy "post_format": 1 (e.g. "Aside")',
    ):
        assert expected in lines, expected


def test_pages_live_at_their_paths_with_their_comments(imported, client):
    about, team, history, founders = post(100), post(101), post(102), post(103)
    assert {p.kind for p in (about, team, history, founders)} == {"page"}
    parents = (team.parent_id, history.parent_id, founders.parent_id)
    assert parents == (about.id, about.id, history.id)
    assert (about.menu_order, team.menu_order, history.menu_order) == (1, 2, 1)
    assert "We write about the lake." in page_text(client, "/about/")
    assert "The people behind the notes." in page_text(client, "/about/team/")
    assert "The two who started it." in page_text(client, "/about/history/founders/")
    assert post(104).comments_open is False and about.comments_open is True
    about_page = page_text(client, "/about/")
    assert "Who writes this?" in comment_html(about_page, 5001)
    assert "We do, Vera!" in comment_html(about_page, 5002)
    reply = about_page.split('id="comment-5002"', 1)[1].split("</header>", 1)[0]
    assert '<span class="badge">Author</span>' in reply
    page_text(client, "/unfinished-page/", 404)  # a draft page
    # Pages are not posts: not on the home page.
    assert "We write about the lake." not in page_text(client, "/")


def test_categories_keep_their_tree_and_tags_their_slugs(imported, client):
    news, local, shore = term("news"), term("local"), term("shore")
    assert (news.taxonomy, news.parent_id, news.wp_id) == ("category", None, 10)
    assert (local.parent_id, shore.parent_id) == (news.id, local.id)
    assert (shore.name, shore.description) == ("Shore & Docks", "Three levels down")
    assert term("uncategorized").wp_id == 1
    template_category, template_tag = term("template"), term("template-2")
    assert (template_category.taxonomy, template_category.name) == ("category", "Template")
    assert (template_tag.taxonomy, template_tag.name, template_tag.wp_id) == ("tag", "template", 20)
    assert term("café").wp_id == 22  # percent-encoded in the export
    welcome = post(200)
    assert [c.slug for c in welcome.categories] == ["shore"]
    assert [t.slug for t in welcome.tags] == ["swimming"]
    # A post without a category is in "Uncategorized", as on WordPress.
    assert [c.slug for c in post(205).categories] == ["uncategorized"]
    assert "Welcome to the lake" in page_text(client, "/category/news/local/shore/")
    assert "Post with an excerpt" in page_text(client, "/category/template/")
    assert "Post with an excerpt" in page_text(client, "/tag/template-2/")
    assert "Welcome to the lake" in page_text(client, "/tag/swimming/")


def test_sticky_posts_come_first_on_the_home_page(imported, client):
    home = page_text(client, "/")
    first, second, newest = (
        home.index("Welcome to the lake"),
        home.index("A second sticky note"),
        home.index("Stray creator"),
    )
    assert max(first, second) < newest
    assert post(200).sticky and post(201).sticky and not post(209).sticky


def test_private_and_password_posts(imported, client):
    assert post(202).status == "private"
    page_text(client, "/posts/private-thoughts", 404)
    assert "Private thoughts" not in page_text(client, "/")
    locked = page_text(client, "/posts/members-only")
    assert "This content is password protected" in locked
    assert "behind the boathouse" not in locked
    wrong = client.post("/posts/members-only/unlock", data={"password": "sea"})
    assert "behind the boathouse" not in wrong.get_data(as_text=True)
    client.post("/posts/members-only/unlock", data={"password": "lake"})
    assert "behind the boathouse" in page_text(client, "/posts/members-only")


def test_excerpts_more_and_nextpage(imported, client):
    assert post(204).summary == "A handwritten summary & more."
    home = page_text(client, "/")
    assert "A handwritten summary &amp; more." in home
    assert "The whole text of the post" not in home
    assert "The teaser of a classic post." in home and "The rest of the story." not in home
    assert "Read on" in home  # <!--more Read on-->: its own link text
    assert "The first thing you see is the water." in home
    assert "Then the docks" not in home
    assert "Continue reading" in home
    first = page_text(client, "/posts/paged-post")
    assert "Page one." in first and "Page two." not in first
    assert "Page two." in page_text(client, "/posts/paged-post/2")
    assert "Page three." in page_text(client, "/posts/paged-post/3")
    full = page_text(client, "/posts/welcome-to-the-lake")
    assert "The first thing you see" in full and "Then the docks" in full


def test_dates_show_in_the_sites_offset(imported, client):
    assert site_config()["TIMEZONE"] == "+05:00"
    welcome = post(200)
    assert welcome.published_at == datetime(2012, 1, 3, 20, 0, tzinfo=UTC)  # GMT kept
    assert "January 4, 2012" in page_text(client, "/posts/welcome-to-the-lake")
    new_year = page_text(client, "/posts/new-year-by-the-lake")
    assert "January 1, 2012" in new_year and "December 31, 2011" not in new_year


def test_a_time_zone_already_set_is_kept(runner):
    db.session.add(Setting(key="TIMEZONE", value='"Europe/Berlin"'))
    db.session.commit()
    result = runner.invoke(args=["import-wxr", str(SITE)])
    assert "TIMEZONE kept (already set)" in result.output
    assert site_config()["TIMEZONE"] == "Europe/Berlin"


def test_comments_show_what_wordpress_showed(imported, client):
    page = page_text(client, "/posts/comments-with-html")
    escaped = comment_html(page, 7001)  # WordPress HTML: &lt;s&gt;not struck&lt;/s&gt;
    assert visible(escaped) == "Escaped: <s>not struck</s> and after."
    assert "<s>" not in escaped
    double = comment_html(page, 7002)  # &amp;lt;s&amp;gt;
    assert visible(double) == "Double: &lt;s&gt; shows the entity."
    real = comment_html(page, 7003)
    assert "<s>struck</s>" in real and "<blockquote>" in real
    literal = comment_html(page, 7004)  # &lt;blockquote&gt;...
    assert "<blockquote" not in literal
    assert visible(literal) == "<blockquote>not a quote</blockquote> Tom & Jerry"
    xml_escaped = comment_html(page, 7014)  # not CDATA: the XML's own escaping goes first
    assert visible(xml_escaped) == "Plain XML: <em> typed, &amp; too"
    assert "<em>" not in xml_escaped


def test_threads_and_the_author_badge(imported, client):
    depths = {n: db.session.get(Comment, n).depth for n in range(7005, 7010)}
    assert depths == {7005: 1, 7006: 2, 7007: 3, 7008: 4, 7009: 5}
    jo = db.session.scalar(select(Author).where(Author.username == "jo"))
    marie = db.session.scalar(select(Author).where(Author.username == "marie"))
    assert db.session.get(Comment, 7010).author_id == jo.id  # wp:comment_user_id 2
    assert db.session.get(Comment, 7011).author_id == marie.id  # MARIE@... is her email
    assert db.session.get(Comment, 7001).author_id is None
    page = page_text(client, "/posts/comments-with-html")

    def header(number):
        return page.split(f'id="comment-{number}"', 1)[1].split("</header>", 1)[0]

    assert '<span class="badge">Author</span>' in header(7010)
    assert '<span class="badge">Author</span>' in header(7011)
    assert "badge" not in header(7001)
    assert db.session.scalar(select(Comment).where(Comment.wp_id.in_([7012, 7013]))) is None


def test_authors_come_with_their_details_and_stray_names_match(imported):
    authors = {a.username: a for a in db.session.scalars(select(Author))}
    assert set(authors) == {"marie", "jo", "Sam"}  # ">sam" is Sam, not a fourth author
    assert authors["jo"].display_name == "Jo Baker"  # no display name: first and last
    assert authors["marie"].email == "marie@lakeside.example.org"
    assert {a.role for a in authors.values()} == {"author"}
    assert {a.bio for a in authors.values()} == {""}
    assert post(209).author_id == authors["Sam"].id
    assert post(215).author_id == authors["Sam"].id


def test_menus_point_at_what_was_imported(imported, client):
    header = db.session.scalars(
        select(MenuItem).where(MenuItem.menu == "header").order_by(MenuItem.position)
    ).all()
    shape = [(i.kind, i.label, i.url, i.parent_id is not None) for i in header]
    assert shape == [
        ("link", "Home", "/", False),  # the old site's own address became ours
        ("page", "", "", False),
        ("page", "", "", True),
        ("page", "The founders", "", True),  # third level: moved up under About
        ("category", "", "", False),
        ("category", "", "", True),
        ("tag", "Swim", "", False),
        ("link", "Welcome to the lake", "/posts/welcome-to-the-lake", False),
        ("link", "WordPress", "https://wordpress.org/", False),
    ]
    about, team, founders = header[1], header[2], header[3]
    assert (about.target_id, team.target_id, founders.target_id) == (
        post(100).id,
        post(101).id,
        post(103).id,
    )
    assert team.parent_id == about.id and founders.parent_id == about.id
    assert header[4].target_id == term("news").id and header[5].target_id == term("shore").id
    assert header[5].parent_id == header[4].id
    footer = db.session.scalars(
        select(MenuItem).where(MenuItem.menu == "footer").order_by(MenuItem.position)
    ).all()
    assert [(i.kind, i.target_id, i.url, i.label) for i in footer] == [
        ("page", post(104).id, "", ""),
        ("link", None, "/feed.xml", "Feed"),
    ]
    home = page_text(client, "/")
    nav = home.split('aria-label="Primary"', 1)[1].split("</nav>", 1)[0]
    for label, href in (
        ("About", "/about/"),
        ("Team", "/about/team/"),
        ("The founders", "/about/history/founders/"),
        ("News", "/category/news/"),
        ("Swim", "/tag/swimming/"),
        ("WordPress", "https://wordpress.org/"),
    ):
        assert f'href="{href}"' in nav and label in nav, label
    assert "javascript:" not in home and "Gone page" not in nav


def test_reimporting_adds_nothing(imported, runner):
    before = every_row()
    again = runner.invoke(args=["import-wxr", str(SITE)])
    assert again.exit_code == 0, again.output
    lines = [line.strip() for line in again.output.splitlines()]
    for kind in ("authors", "categories", "tags", "posts", "pages", "comments", "menu items"):
        assert any(line.startswith(f"{kind}: 0 new") for line in lines), kind
    assert 'header menu: kept as it was (it has items); "Primary" not imported' in lines
    db.session.expire_all()
    assert every_row() == before


def test_a_later_export_adds_only_what_is_new(imported, runner, tmp_path):
    text = SITE.read_text(encoding="utf-8")
    new_item = """	<item>
		<title><![CDATA[After the move]]></title>
		<dc:creator><![CDATA[MARIE]]></dc:creator>
		<content:encoded><![CDATA[Written later.]]></content:encoded>
		<wp:post_id>900</wp:post_id>
		<wp:post_date><![CDATA[2012-03-01 15:00:00]]></wp:post_date>
		<wp:post_date_gmt><![CDATA[2012-03-01 10:00:00]]></wp:post_date_gmt>
		<wp:post_name><![CDATA[after-the-move]]></wp:post_name>
		<wp:status><![CDATA[publish]]></wp:status>
		<wp:post_type><![CDATA[post]]></wp:post_type>
		<category domain="category" nicename="news"><![CDATA[News]]></category>
		<category domain="post_tag" nicename="late"><![CDATA[Late]]></category>
		<wp:comment><wp:comment_id>9001</wp:comment_id>
			<wp:comment_author><![CDATA[Late Reader]]></wp:comment_author>
			<wp:comment_author_email>late@example.org</wp:comment_author_email>
			<wp:comment_content><![CDATA[Still here.]]></wp:comment_content>
			<wp:comment_approved>1</wp:comment_approved><wp:comment_parent>0</wp:comment_parent>
		</wp:comment>
	</item>
"""
    later = tmp_path / "later.xml"
    later.write_text(text.replace("</channel>", new_item + "</channel>"), encoding="utf-8")
    result = runner.invoke(args=["import-wxr", str(later)])
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.output.splitlines()]
    assert "posts: 1 new (1 published), 14 already there" in lines
    assert "tags: 1 new, 3 already there" in lines
    assert "comments: 1 new (1 approved), 14 already there" in lines
    assert "authors: 0 new, 3 already there" in lines  # "MARIE" is marie
    late = post(900)
    assert late.author.username == "marie"
    assert [c.slug for c in late.categories] == ["news"] and [t.slug for t in late.tags] == ["late"]
    assert db.session.scalar(select(func.count(Post.id))) == 21
