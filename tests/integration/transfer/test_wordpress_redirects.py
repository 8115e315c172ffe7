"""Old WordPress addresses answer with 301s to ours, and #comment-ID anchors still land."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.wxr import SAMPLE

RIVER = "/posts/good-news-from-the-river"
UNICODE_SLUG = "日本語-café"


@pytest.fixture
def site(runner):
    result = runner.invoke(args=["import-wxr", str(SAMPLE)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/?p=10", RIVER),
        ("/?p=10&cpage=2", RIVER + "?cpage=2"),
        ("/?p=10&feed=rss2", RIVER + "/comments.xml"),
        ("/2022/01/05/good-news-from-the-river/", RIVER),
        ("/2022/01/good-news-from-the-river/", RIVER),
        ("/good-news-from-the-river/", RIVER),
        ("/good-news-from-the-river", RIVER),
        ("/2022/01/05/good-news-from-the-river/comment-page-2/", RIVER + "?cpage=2"),
        ("/good-news-from-the-river/comment-page-1/", RIVER),
        ("/good-news-from-the-river/feed/", RIVER + "/comments.xml"),
        ("/2022/01/05/good-news-from-the-river/feed/", RIVER + "/comments.xml"),
        (f"/2022/02/10/{quote(UNICODE_SLUG)}/", f"/posts/{quote(UNICODE_SLUG)}"),
        ("/?p=11", f"/posts/{quote(UNICODE_SLUG)}"),
        # /category/NAME/ and /tag/NAME/ are our own archives now (blog.reading.archives);
        # the tag's address without the slash is the one that moved.
        ("/tag/hope", "/tag/hope/"),
        ("/feed/", "/feed.xml"),
        ("/feed/atom/", "/feed.xml"),
        ("/?feed=rss2", "/feed.xml"),
        ("/comments/feed/", "/comments/feed.xml"),
        ("/?feed=comments-rss2", "/comments/feed.xml"),
        ("/2022/01/", "/archive/2022/1"),
    ],
)
def test_wordpress_addresses_redirect_permanently(site, client, old, new):
    response = client.get(old)
    assert response.status_code == 301, old
    assert response.location == new
    if "cpage" not in new:  # the sample post has one page of comments
        assert client.get(new).status_code == 200


@pytest.mark.parametrize(
    "old",
    [
        "/?attachment_id=15",
        "/?p=12",  # a draft
        "/?p=13",  # scheduled for 2099
        "/coming-soon/",
        "/?p=999",
        "/?p=abc",
        "/?p=99999999999999999999999",
        "/?feed=nonsense",
        "/no-such-post/",
        "/category/nothing/",
        "/tag/nothing/",
        "/2022/13/",
        "/good-news-from-the-river/comment-page-0/",
    ],
)
def test_what_we_do_not_have_is_404(site, client, old):
    assert client.get(old).status_code == 404


def test_home_page_and_our_own_addresses_are_untouched(site, client):
    home = client.get("/")
    assert home.status_code == 200 and "Good news from the river" in home.get_data(as_text=True)
    assert client.get("/?page=1").status_code == 200
    assert client.get(RIVER).status_code == 200
    assert client.get("/tag/hope/").status_code == 200
    # Imported pages and categories answer at WordPress's own addresses.
    assert client.get("/about/").status_code == 200
    assert client.get("/category/world/").status_code == 200
    assert client.get("/?page_id=14").location == "/about/"
    assert client.get("/feed.xml").status_code == 200
    assert client.get("/nonexistent").status_code == 404
    assert client.post("/?p=10").status_code == 405  # only reading is redirected


def test_a_renamed_post_is_found_by_its_wordpress_slug(site, client):
    from sqlalchemy import select

    from blog.extensions import db
    from blog.models import Post, SlugRedirect

    post = db.session.scalar(select(Post).where(Post.wp_id == 10))
    db.session.add(SlugRedirect(old_slug=post.slug, post_id=post.id))
    post.slug = "a-new-name"
    db.session.commit()
    response = client.get("/2022/01/05/good-news-from-the-river/")
    assert response.status_code == 301 and response.location == "/posts/a-new-name"


def test_comment_anchors_of_old_links_land_on_the_same_comment(site, client):
    """A link /2022/01/05/slug/#comment-103 keeps its fragment across the redirect (browsers
    carry it over), so the article must have an element with that id, for WordPress's 103."""
    response = client.get("/2022/01/05/good-news-from-the-river/", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.request.path == RIVER
    for wordpress_id in (101, 102, 103, 109, 111, 112):
        assert f'id="comment-{wordpress_id}"' in html
    # /?p=10#comment-102 takes the same path; and /c/ID finds a comment by its WordPress id.
    assert client.get("/?p=10", follow_redirects=True).request.path == RIVER
    goto = client.get("/c/103")
    assert goto.status_code == 302 and goto.location.endswith(f"{RIVER}#comment-103")
