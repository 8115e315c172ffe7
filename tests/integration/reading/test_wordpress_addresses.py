"""WordPress's addresses for pages, categories, tags, searches, dates and pages of listings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from blog.extensions import db
from blog.models import PostStatus, Tag


@pytest.fixture
def site(make):
    news = Tag(name="News", slug="news", taxonomy="category", wp_id=10)
    db.session.add(news)
    db.session.flush()
    local = Tag(name="Local", slug="local", taxonomy="category", parent_id=news.id, wp_id=11)
    swim = Tag(name="Swimming", slug="swimming", taxonomy="tag", wp_id=21)
    db.session.add_all([local, swim])
    db.session.commit()
    about = make.post("About", slug="about", kind="page", wp_id=100)
    make.post("Team", slug="team", kind="page", parent_id=about.id, wp_id=101)
    make.post("Draft page", slug="draft-page", kind="page", wp_id=105, status="draft")
    make.post(
        "Welcome",
        slug="welcome",
        wp_id=200,
        terms=[local, swim],
        published_at=datetime(2012, 1, 3, 18, 30, tzinfo=UTC),
        body_md="Page one<!--nextpage-->Page two",
    )
    make.post(
        "Private",
        slug="private-thoughts",
        wp_id=202,
        status=PostStatus.PRIVATE.value,
        published_at=datetime(2012, 2, 1, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/?page_id=100", "/about/"),
        ("/?page_id=101", "/about/team/"),
        ("/?p=101", "/about/team/"),
        ("/?p=200", "/posts/welcome"),
        ("/?p=200&cpage=2", "/posts/welcome?cpage=2"),
        ("/?page_id=100&cpage=3", "/about/?cpage=3"),
        ("/?cat=10", "/category/news/"),
        ("/?cat=11", "/category/news/local/"),
        ("/?cat=11&paged=2", "/category/news/local/?page=2"),
        ("/?cat=11&feed=rss2", "/category/news/local/feed/"),
        ("/?tag=swimming", "/tag/swimming/"),
        ("/?tag=swimming&feed=rss2", "/tag/swimming/feed/"),
        ("/?s=lake+water", "/search?q=lake+water"),
        ("/?s=lake&paged=2", "/search?q=lake&page=2"),
        ("/?paged=2", "/?page=2"),
        ("/?paged=1", "/"),
        ("/?m=2012", "/archive/2012"),
        ("/?m=201201", "/archive/2012/1"),
        ("/?m=20120103", "/archive/2012/1"),
        ("/page/2/", "/?page=2"),
        ("/page/1/", "/"),
        ("/2012/", "/archive/2012"),
        ("/2012/page/2/", "/archive/2012?page=2"),
        ("/2012/01/page/2/", "/archive/2012/1?page=2"),
        ("/category/news/page/2/", "/category/news/?page=2"),
        ("/category/local/", "/category/news/local/"),
        ("/tag/swimming/page/3/", "/tag/swimming/?page=3"),
        ("/tag/swimming", "/tag/swimming/"),
        ("/index.php?p=200", "/posts/welcome"),
        ("/index.php?page_id=100", "/about/"),
        ("/index.php", "/"),
        ("/index.php/2012/01/03/welcome/", "/2012/01/03/welcome/"),
        ("/index.php/about/", "/about/"),
        ("/welcome/", "/posts/welcome"),
        ("/welcome/2/", "/posts/welcome/2"),
        ("/welcome/1/", "/posts/welcome"),
        ("/2012/01/03/welcome/2/", "/posts/welcome/2"),
        ("/2012/01/welcome/2/", "/posts/welcome/2"),
        ("/about/comment-page-2/", "/about/?cpage=2"),
        ("/about/team/comment-page-2/", "/about/team/?cpage=2"),
        ("/about/feed/", "/posts/about/comments.xml"),
        ("/team/", "/about/team/"),
    ],
)
def test_old_addresses_redirect_permanently(client, site, old, new):
    response = client.get(old)
    assert response.status_code == 301, old
    assert response.location == new


@pytest.mark.parametrize(
    "address",
    [
        "/category/news/",
        "/category/news/local/",
        "/category/news/local/feed/",
        "/tag/swimming/",
        "/tag/swimming/feed/",
        "/about/",
        "/about/team/",
        "/posts/welcome/2",
        "/posts/about/comments.xml",
        "/archive/2012",
    ],
)
def test_addresses_wordpress_shared_with_us_answer_themselves(client, site, address):
    assert client.get(address).status_code == 200


@pytest.mark.parametrize(
    "address",
    [
        "/?page_id=105",  # a draft page
        "/?p=202",  # private
        "/?page_id=999",
        "/?cat=99",
        "/?cat=abc",
        "/?tag=nothing",
        "/?tag=",
        "/?m=2012013",
        "/?m=201213",
        "/?m=1800",
        "/?m=abc",
        "/?paged=abc",
        "/?paged=0",
        "/?author=1",
        "/page/0/",
        "/2012/page/0/",
        "/1969/",
        "/index.php//evil.example/",
        "/index.php/index.php/",
        "/draft-page/",
        "/private-thoughts/",
        "/nothing/2/",
        "/tag/nothing/page/2/",
        "/category/nothing/page/2/",
    ],
)
def test_what_is_not_there_is_404(client, site, address):
    assert client.get(address).status_code == 404, address


def test_the_home_page_and_its_own_pages_are_untouched(client, site):
    assert client.get("/").status_code == 200
    assert client.get("/?page=1").status_code == 200
    assert client.post("/?cat=10").status_code == 405
