"""Category, tag, author and year archives with their feeds, as WordPress has them."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from blog.extensions import db
from blog.models import PostStatus, Tag, now_utc

ATOM = "{http://www.w3.org/2005/Atom}"


def category(name: str, slug: str | None = None, parent: Tag | None = None) -> Tag:
    term = Tag(
        name=name,
        slug=slug or name.lower(),
        taxonomy="category",
        parent_id=parent.id if parent else None,
    )
    db.session.add(term)
    db.session.commit()
    return term


@pytest.fixture
def tree(make):
    """News > World > Europe, and Sport; a post in Europe, one in News, a draft in Sport."""
    news = category("News")
    world = category("World", parent=news)
    europe = category("Europe", parent=world)
    sport = category("Sport")
    make.post("Rain in Lisbon", terms=[europe])
    make.post("Town hall opens", terms=[news])
    make.post("Match report", terms=[sport], status=PostStatus.DRAFT.value)
    return news, world, europe, sport


def titles(html: str) -> list[str]:
    return re.findall(r'<h2 class="entry-title"><a href="[^"]+">([^<]+)</a>', html)


def test_a_category_lists_its_posts_and_its_descendants(client, tree):
    html = client.get("/category/news/").get_data(as_text=True)
    assert titles(html) == ["Rain in Lisbon", "Town hall opens"]
    assert '<h1 class="archive-title">Category: News</h1>' in html
    assert titles(client.get("/category/news/world/").get_data(as_text=True)) == ["Rain in Lisbon"]
    assert client.get("/category/news/world/europe/").status_code == 200


def test_a_category_s_address_follows_its_parents(client, tree):
    for wrong in ("/category/europe/", "/category/world/europe/", "/category/sport/europe/"):
        response = client.get(wrong)
        assert response.status_code == 301, wrong
        assert response.location == "/category/news/world/europe/"


@pytest.mark.parametrize(
    "address",
    [
        "/category/sport/",  # only a draft is in it
        "/category/sport/feed/",
        "/category/nothing/",
        "/category/nothing/feed/",
        "/tag/nothing/",
        "/tag/nothing",
        "/tag/nothing/feed/",
        "/author/nobody/",
        "/author/nobody/feed/",
        "/archive/1969",
        "/archive/2001",
        "/archive/10000",
    ],
)
def test_empty_or_unknown_archives_are_404(client, tree, address):
    assert client.get(address).status_code == 404


def test_category_and_tag_feeds_are_atom_with_their_own_addresses(client, make, tree):
    tag = make.tag("Weather")
    make.post("Sunny spells", terms=[tag])
    for address, title, own in (
        ("/category/news/world/feed/", "Category: World", "/category/news/world/"),
        ("/tag/weather/feed/", "Tag: Weather", "/tag/weather/"),
    ):
        response = client.get(address)
        assert response.status_code == 200 and response.mimetype == "application/atom+xml"
        feed = ET.fromstring(response.data)
        assert feed.findtext(f"{ATOM}title").endswith(title)
        links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
        assert links == {
            "alternate": f"http://localhost{own}",
            "self": f"http://localhost{address}",
        }
        entries = [entry.findtext(f"{ATOM}title") for entry in feed.findall(f"{ATOM}entry")]
        assert entries == (["Rain in Lisbon"] if "news" in address else ["Sunny spells"])
    # The listings point readers (and their feed readers) at those feeds.
    html = client.get("/tag/weather/").get_data(as_text=True)
    assert 'type="application/atom+xml" title="Tag: Weather" href="/tag/weather/feed/"' in html


def test_tags_have_the_trailing_slash_and_the_old_address_redirects(client, make):
    tag = make.tag("Weather")
    make.post("Sunny spells", terms=[tag])
    assert client.get("/tag/weather/").status_code == 200
    old = client.get("/tag/weather")
    assert old.status_code == 301 and old.location == "/tag/weather/"


def test_a_tag_address_naming_a_category_goes_to_the_category(client, tree):
    response = client.get("/tag/europe/")
    assert response.status_code == 301 and response.location == "/category/news/world/europe/"
    response = client.get("/category/weather-nope/")
    assert response.status_code == 404


def test_posts_say_where_they_were_posted_and_their_tags(client, make, tree):
    news, world, *_ = tree
    tag = make.tag("Rain")
    make.post("Storm warning", slug="storm", terms=[world, news, tag])
    for address in ("/posts/storm", "/"):
        html = client.get(address).get_data(as_text=True)
        assert (
            'Posted in <a href="/category/news/" rel="category tag">News</a>, '
            '<a href="/category/news/world/" rel="category tag">World</a>'
        ) in html, address
        assert '<a href="/tag/rain/" rel="tag">Rain</a>' in html, address


def test_the_sidebar_lists_categories_with_counts_in_tree_order(client, make, tree):
    html = client.get("/").get_data(as_text=True)
    section = html.split("<h2>Categories</h2>", 1)[1].split("</section>", 1)[0]
    assert re.findall(
        r'<li class="depth-(\d)"><a href="([^"]+)">([^<]+)</a> \((\d+)\)', section
    ) == [
        ("0", "/category/news/", "News", "1"),
        ("2", "/category/news/world/europe/", "Europe", "1"),
    ]
    assert "Sport" not in section  # drafts count for nothing
    # A new post changes the counts at once (the list is kept per content version).
    news = tree[0]
    make.post("Bridge closed", terms=[news])
    html = client.get("/").get_data(as_text=True)
    assert '<a href="/category/news/">News</a> (2)' in html


def test_an_author_page_shows_name_bio_and_posts_paginated(app, client, make):
    app.config["POSTS_PER_PAGE"] = 2
    writer = make.author("rosa", display_name="Rosa Díaz", bio="Writes about the river.")
    other = make.author("other")
    for n in range(3):
        make.post(f"Rosa post {n}", author=writer)
    make.post("Rosa draft", author=writer, status=PostStatus.DRAFT.value)
    make.post("Someone else's", author=other)
    first = client.get("/author/rosa/").get_data(as_text=True)
    assert "Author: Rosa Díaz" in first and "Writes about the river." in first
    assert titles(first) == ["Rosa post 0", "Rosa post 1"]
    second = client.get("/author/rosa/?page=2").get_data(as_text=True)
    assert titles(second) == ["Rosa post 2"]
    assert client.get("/author/rosa/?page=3").status_code == 404
    feed = ET.fromstring(client.get("/author/rosa/feed/").data)
    assert [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")] == [
        "Rosa post 0",
        "Rosa post 1",
        "Rosa post 2",
    ]
    silent = make.author("silent")
    assert client.get(f"/author/{silent.username}/").status_code == 404


def test_a_year_archive_lists_that_year_s_posts(client, make):
    make.post("New year", published_at=datetime(2012, 1, 1, 0, 30, tzinfo=UTC))
    make.post("Old year", published_at=datetime(2011, 12, 31, 23, 30, tzinfo=UTC))
    make.post("Next year", published_at=datetime(2013, 1, 1, tzinfo=UTC))
    make.post("Later draft", status=PostStatus.DRAFT.value)
    html = client.get("/archive/2012").get_data(as_text=True)
    assert titles(html) == ["New year"]
    assert "Year: 2012" in html
    assert titles(client.get("/archive/2011").get_data(as_text=True)) == ["Old year"]


def test_a_year_follows_the_site_s_time_zone(app, client, make):
    app.config["TIMEZONE"] = "+05:00"
    # 20:00 UTC on December 31st is already January 1st at +05:00.
    make.post("First light", published_at=datetime(2011, 12, 31, 20, tzinfo=UTC))
    assert titles(client.get("/archive/2012").get_data(as_text=True)) == ["First light"]
    assert client.get("/archive/2011").status_code == 404


def test_scheduled_posts_join_archives_when_their_time_comes(client, make, tree):
    news = tree[0]
    make.post(
        "Tomorrow's news",
        terms=[news],
        status=PostStatus.SCHEDULED.value,
        published_at=now_utc() + timedelta(days=1),
    )
    assert "Tomorrow" not in client.get("/category/news/").get_data(as_text=True)
    assert "Tomorrow" not in client.get("/category/news/feed/").get_data(as_text=True)


def test_the_tag_cloud_lists_tags_and_not_categories(client, make, tree):
    make.post("Puddles", terms=[make.tag("Rain")])
    html = client.get("/").get_data(as_text=True)
    cloud = html.split("<h2>Tags</h2>", 1)[1].split("</section>", 1)[0]
    assert '<a href="/tag/rain/">Rain</a> (1)' in cloud
    assert "News" not in cloud and "Europe" not in cloud


def test_the_old_tag_address_of_a_tag_with_nothing_visible_is_404(client, make):
    secret = make.tag("Secret")
    make.post("Draft", status=PostStatus.DRAFT.value, terms=[secret])
    response = client.get("/tag/secret")
    assert response.status_code == 404 and "Secret" not in response.text
