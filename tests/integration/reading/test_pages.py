"""Static pages at /SLUG/ and /PARENT/CHILD/: who sees them, where they are listed, comments."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from blog.extensions import db
from blog.models import Comment, MenuItem, PostStatus, now_utc
from tests.helpers import HX


@pytest.fixture
def about(make):
    return make.post("About us", slug="about", kind="page", body_md="We are *neighbours*.")


def page(make, title, **fields):
    fields.setdefault("kind", "page")
    return make.post(title, **fields)


def test_a_page_is_served_at_its_slug_without_date_author_or_neighbours(client, make, about):
    make.post("A dated post")
    response = client.get("/about/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<h1 class="entry-title">About us</h1>' in html
    assert "<em>neighbours</em>" in html
    assert 'class="post-meta"' not in html  # no "By ... on ..." line
    assert "Previous post" not in html and "Next post" not in html
    assert '<link rel="canonical" href="http://localhost/about/">' in html


def test_nested_pages_live_under_their_parents_and_list_their_children(client, make, about):
    team = page(make, "Our team", slug="team", parent_id=about.id, menu_order=2)
    page(make, "History", slug="history", parent_id=about.id, menu_order=1)
    page(make, "Unfinished", slug="unfinished", parent_id=about.id, status="draft")
    html = client.get("/about/").get_data(as_text=True)
    children = re.findall(
        r'<li><a href="([^"]+)">([^<]+)</a></li>', html.split("child-pages", 1)[1]
    )
    assert children[:2] == [("/about/history/", "History"), ("/about/team/", "Our team")]
    assert "Unfinished" not in html
    assert client.get("/about/team/").status_code == 200
    assert client.get(f"/{team.slug}/").status_code == 301  # its old top-level address
    assert client.get(f"/{team.slug}/").location == "/about/team/"
    assert client.get("/nowhere/team/").status_code == 404  # not a page chain at all
    assert client.get("/about/team/extra/").status_code == 404


def test_a_page_moved_to_another_parent_answers_its_old_address(client, make, about):
    contact = page(make, "Contact", slug="contact")
    team = page(make, "Team", slug="team", parent_id=about.id)
    team.parent_id = contact.id
    db.session.commit()
    old = client.get("/about/team/")
    assert old.status_code == 301 and old.location == "/contact/team/"
    assert client.get("/contact/team/").status_code == 200


def test_addresses_without_the_slash_or_with_a_comment_page_redirect(client, about):
    response = client.get("/about")
    assert response.status_code == 301 and response.location == "/about/"


def test_a_page_split_with_nextpage_has_its_pages_under_its_own_address(client, make, about):
    """WordPress's /about/2/: the page links, each part, and the addresses around them."""
    split = page(make, "Guide", slug="guide", body_md="Part one\n\n<!--nextpage-->\n\nPart two")
    first = client.get("/guide/").get_data(as_text=True)
    assert "Part one" in first and "Part two" not in first
    assert '<nav class="page-links" aria-label="Page pages">' in first
    assert '<a href="/guide/2/">2</a>' in first
    second = client.get("/guide/2/")
    assert second.status_code == 200
    html = second.get_data(as_text=True)
    assert "Part two" in html and "Part one" not in html
    assert '<a href="/guide/">1</a>' in html and "<title>Guide &ndash; Page 2" in html
    assert (client.get("/guide/2").status_code, client.get("/guide/2").location) == (
        301,
        "/guide/2/",
    )
    assert client.get("/guide/1/").location == "/guide/"
    assert client.get("/posts/guide/2").location == "/guide/2/"
    assert client.get("/guide/3/").status_code == 404
    child = page(make, "2024", slug="2024", parent_id=split.id, body_md="A child page")
    assert "A child page" in client.get(f"/guide/{child.slug}/").get_data(as_text=True)


@pytest.mark.parametrize(
    "fields",
    [
        {"status": PostStatus.DRAFT.value},
        {"status": PostStatus.PENDING.value},
        {"status": PostStatus.TRASH.value, "published_at": now_utc() - timedelta(days=1)},
        {"status": PostStatus.SCHEDULED.value, "published_at": now_utc() + timedelta(days=1)},
        {"status": PostStatus.PRIVATE.value, "published_at": now_utc() - timedelta(days=1)},
    ],
)
def test_pages_readers_may_not_see_are_404(client, make, fields):
    page(make, "Hidden", slug="hidden", **fields)
    assert client.get("/hidden/").status_code == 404
    assert "Hidden" not in client.get("/sitemap.xml").get_data(as_text=True)


def test_a_scheduled_page_appears_when_its_time_comes(client, make):
    page(
        make,
        "Opening",
        slug="opening",
        status=PostStatus.SCHEDULED.value,
        published_at=now_utc() - timedelta(minutes=1),
    )
    assert client.get("/opening/").status_code == 200


def test_a_private_page_is_shown_to_those_who_may_read_it(client, make, admin):
    page(
        make,
        "Staff only",
        slug="staff",
        status=PostStatus.PRIVATE.value,
        published_at=now_utc() - timedelta(days=1),
    )
    assert client.get("/staff/").status_code == 404
    admin.login()
    response = client.get("/staff/")
    assert response.status_code == 200 and "Staff only" in response.get_data(as_text=True)


def test_a_post_slug_at_the_top_level_redirects_to_the_post(client, make):
    make.post("Old permalink", slug="old-permalink")
    response = client.get("/old-permalink/")
    assert response.status_code == 301 and response.location == "/posts/old-permalink"
    assert client.get("/no-such-thing/").status_code == 404
    assert client.get("/no-such-thing").status_code == 404


def test_pages_are_in_the_sitemap_but_not_in_listings_or_feeds(client, make, about):
    tag = make.tag("Town")
    about.terms = [tag]
    make.post("A post", terms=[tag])
    db.session.commit()
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    assert "<loc>http://localhost/about/</loc>" in sitemap
    assert "<loc>http://localhost/posts/a-post</loc>" in sitemap
    for address in ("/", "/feed.xml", "/tag/town/", "/tag/town/feed/", "/search?q=post"):
        body = client.get(address).get_data(as_text=True)
        assert "A post" in body, address
        assert "About us" not in body, address
    assert "About us" not in client.get(f"/archive/{now_utc().year}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("address", "endpoint_status"),
    [
        ("/feed/", 301),
        ("/feed.xml", 200),
        ("/comments/feed/", 301),
        ("/tag/town/", 200),
        ("/category/uncategorized/", 200),
        ("/author/writer/", 200),
        ("/archive/2012", 200),
        ("/2012/01/", 301),
        ("/2012/", 301),
        ("/admin/", 302),  # to the sign-in page
        ("/admin/login", 200),
        ("/sitemap.xml", 200),
        ("/robots.txt", 200),
        ("/search", 200),
        ("/static/css/blog.css", 200),
        ("/static/js/menu.js", 200),
    ],
)
def test_other_addresses_still_route_where_they_did(client, make, address, endpoint_status):
    from datetime import UTC, datetime

    from blog.reading.terms import default_category

    writer = make.author("writer")
    category = default_category()
    db.session.commit()
    make.post(
        "In 2012",
        author=writer,
        terms=[make.tag("Town"), category],
        published_at=datetime(2012, 1, 15, 12, tzinfo=UTC),
    )
    page(make, "Feed", slug="feed-page")
    with client.get(address) as response:  # closed: static files are streamed
        assert response.status_code == endpoint_status, address


# --- comments on pages --------------------------------------------------------------------


def form_fields(html: str, **overrides) -> dict:
    stamp = re.search(r'name="stamp" value="([^"]+)"', html).group(1)
    data = {
        "comment": "A kind word about this page.",
        "author": "Rosa Reader",
        "email": "rosa@example.org",
        "url": "",
        "parent": "",
        "homepage": "",
        "stamp": stamp,
    }
    data.update(overrides)
    return data


@pytest.mark.usefixtures("fast_posting")
def test_readers_comment_and_reply_on_a_page(app, client, make, about):
    app.config["COMMENT_MODERATION"] = "none"
    html = client.get("/about/").get_data(as_text=True)
    action = re.search(r'<form[^>]+method="post" action="([^"]+)"', html).group(1)
    answer = client.post(action, data=form_fields(html))
    assert answer.status_code in (302, 303)
    assert answer.location.startswith("/about/")
    comment = db.session.scalar(select(Comment).where(Comment.post_id == about.id))
    assert comment is not None and comment.body == "A kind word about this page."
    shown = client.get("/about/").get_data(as_text=True)
    assert "A kind word about this page." in shown
    # A reply, through htmx this time.
    reply = client.post(
        action,
        data=form_fields(shown, comment="And a reply.", parent=str(comment.id)),
        headers=HX,
    )
    assert reply.status_code == 200
    assert (
        db.session.scalar(select(func.count(Comment.id)).where(Comment.parent_id == comment.id))
        == 1
    )


def test_a_page_s_comments_are_paged_under_its_own_address(app, client, make, about):
    app.config["COMMENTS_PER_PAGE"] = 2
    for n in range(5):
        make.comment(
            about, body=f"Comment number {n}", created_at=now_utc() - timedelta(hours=10 - n)
        )
    first = client.get("/about/").get_data(as_text=True)
    links = set(re.findall(r'href="(/about/\?cpage=\d+)[^"]*"', first))
    assert links, "the page links its other comment pages at its own address"
    for link in links:
        assert client.get(link).status_code == 200
    old = client.get("/about/comment-page-2/")
    assert old.status_code == 301 and old.location == "/about/?cpage=2"


def test_a_page_in_the_menu_is_marked_current_on_itself(client, make, about):
    db.session.add(MenuItem(menu="header", position=1, kind="page", target_id=about.id))
    db.session.commit()
    html = client.get("/about/").get_data(as_text=True)
    assert '<a href="/about/" aria-current="page">About us</a>' in html
    assert 'aria-current="page">About us' not in client.get("/").get_data(as_text=True)


def test_a_page_s_cached_rendering_is_never_served_at_a_post_address(client, about):
    for _ in range(2):  # the second answer comes from the shared cache
        assert client.get("/about/").status_code == 200
    response = client.get("/posts/about")
    assert response.status_code == 301 and response.location == "/about/"
