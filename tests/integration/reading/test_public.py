"""The reading side through the test client: pages, pagination, visibility, feeds."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from datetime import timedelta

import feedparser
import pytest
from sqlalchemy import event

from blog.extensions import db
from blog.models import CommentStatus, PostStatus, now_utc


def test_home_lists_published_posts_newest_first(client, make):
    old = make.post("An older story", published_at=now_utc() - timedelta(days=3))
    new = make.post("A newer story", published_at=now_utc() - timedelta(days=1))
    html = client.get("/").get_data(as_text=True)
    assert "Good News" in html
    assert html.index(new.title) < html.index(old.title)
    assert f'href="/posts/{new.slug}"' in html


def test_home_shows_author_date_summary_tags(client, make):
    tag = make.tag("science")
    author = make.author(display_name="Ada Writer")
    post = make.post("Tagged story", tags=[tag], author=author, summary="A short summary.")
    html = client.get("/").get_data(as_text=True)
    assert "Ada Writer" in html
    assert "A short summary." in html
    assert 'href="/tag/science/"' in html
    assert f"{post.published_at:%B} {post.published_at.day}, {post.published_at:%Y}" in html


@pytest.mark.parametrize(
    ("approved", "label", "heading"),
    [
        (0, "No Comments", "No comments yet"),
        (1, "1 Comment", "One thought on &ldquo;Counted&rdquo;"),
        (3, "3 Comments", "3 thoughts on &ldquo;Counted&rdquo;"),
    ],
)
def test_comment_count_labels_count_only_approved(client, make, approved, label, heading):
    post = make.post("Counted")
    for _ in range(approved):
        make.comment(post)
    make.comment(post, status=CommentStatus.PENDING.value)
    make.comment(post, status=CommentStatus.SPAM.value)
    html = client.get("/").get_data(as_text=True)
    assert label in html
    article = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert heading in article


def test_home_page_query_count_does_not_grow_with_posts(app, client, make):
    """Comment counts, authors and tags come from a fixed number of queries (no N+1)."""

    def count_queries(path):
        statements = []
        request_thread = threading.get_ident()

        def before(conn, cursor, statement, *args):
            # The request's own queries: the mail sender's thread also looks at the outbox.
            if threading.get_ident() == request_thread:
                statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            assert client.get(path).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", before)
        return len(statements)

    tag = make.tag("city")
    post = make.post("First", tags=[tag])
    make.comment(post)
    few = count_queries("/")
    for n in range(8):
        extra = make.post(f"More {n}", tags=[tag], author=post.author)
        make.comment(extra)
    assert count_queries("/") == few


def test_pagination_ten_per_page_with_real_links(client, make):
    author = make.author()
    for n in range(23):
        make.post(f"Story {n:02d}", author=author, published_at=now_utc() - timedelta(hours=n))
    first = client.get("/").get_data(as_text=True)
    assert first.count('class="post-summary"') == 10
    assert 'href="/?page=2"' in first
    assert 'rel="next"' in first
    third = client.get("/?page=3").get_data(as_text=True)
    assert third.count('class="post-summary"') == 3
    assert "Story 22" in third
    assert 'href="/?page=2"' in third


@pytest.mark.parametrize("query", ["?page=99", "?page=0", "?page=-1", "?page=abc"])
def test_bad_page_numbers_are_404(client, make, query):
    make.post("Only one")
    assert client.get(f"/{query}").status_code == 404


def test_page_size_is_capped(client, make):
    author = make.author()
    for n in range(60):
        make.post(f"Bulk {n}", author=author)
    html = client.get("/?per_page=1000").get_data(as_text=True)
    assert html.count('class="post-summary"') == 50


def test_article_page(client, make):
    tag = make.tag("technology")
    body = "## A heading\n\nSome **bold** words.\n\n```python\nprint('hi')\n```\n"
    post = make.post("Full article", body_md=body, tags=[tag])
    response = client.get(f"/posts/{post.slug}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<h1 class="entry-title">Full article</h1>' in html
    assert "<h2>A heading</h2>" in html
    assert "<strong>bold</strong>" in html
    assert '<code class="language-python">' in html
    assert "1 min read" in html
    assert 'href="/tag/technology/"' in html
    assert 'id="comments"' in html
    assert f'<link rel="canonical" href="http://localhost/posts/{post.slug}">' in html
    assert '<meta property="og:type" content="article">' in html


def test_article_shows_updated_date_only_when_edited(client, make):
    published = now_utc() - timedelta(days=10)
    post = make.post("Edited", published_at=published, updated_at=published + timedelta(days=2))
    plain = make.post("Not edited", published_at=published)
    assert "Updated" in client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "Updated" not in client.get(f"/posts/{plain.slug}").get_data(as_text=True)


def test_reading_time_grows_with_length(client, make):
    post = make.post("Long read", body_md="word " * 1000)
    assert "5 min read" in client.get(f"/posts/{post.slug}").get_data(as_text=True)


def test_previous_and_next_links(client, make):
    author = make.author()
    first = make.post("First one", author=author, published_at=now_utc() - timedelta(days=3))
    middle = make.post("Middle one", author=author, published_at=now_utc() - timedelta(days=2))
    last = make.post("Last one", author=author, published_at=now_utc() - timedelta(days=1))
    html = client.get(f"/posts/{middle.slug}").get_data(as_text=True)
    assert f'rel="prev" href="/posts/{first.slug}"' in html
    assert f'rel="next" href="/posts/{last.slug}"' in html
    newest = client.get(f"/posts/{last.slug}").get_data(as_text=True)
    assert 'rel="next"' not in newest.split('class="post-navigation"')[1].split("</nav>")[0]


def test_drafts_and_future_posts_are_invisible(client, make):
    draft = make.post("Secret draft", status=PostStatus.DRAFT.value)
    future = make.post(
        "Tomorrow's news",
        status=PostStatus.SCHEDULED.value,
        published_at=now_utc() + timedelta(days=1),
    )
    future_published = make.post("Future published", published_at=now_utc() + timedelta(hours=2))
    for post in (draft, future, future_published):
        assert client.get(f"/posts/{post.slug}").status_code == 404
    html = client.get("/").get_data(as_text=True)
    for post in (draft, future, future_published):
        assert post.title not in html
    assert "Secret draft" not in client.get("/feed.xml").get_data(as_text=True)
    assert draft.slug not in client.get("/sitemap.xml").get_data(as_text=True)


def test_scheduled_post_appears_once_its_time_has_passed(client, make):
    post = make.post(
        "Was scheduled",
        status=PostStatus.SCHEDULED.value,
        published_at=now_utc() - timedelta(minutes=1),
    )
    assert client.get(f"/posts/{post.slug}").status_code == 200


def test_unknown_slug_is_404_with_styled_page(client):
    response = client.get("/posts/no-such-thing")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Page not found" in html
    assert "Good News" in html
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_tag_page_lists_only_tagged_posts(client, make):
    tag = make.tag("environment")
    tagged = make.post("Tagged", tags=[tag])
    other = make.post("Untagged")
    html = client.get("/tag/environment/").get_data(as_text=True)
    assert "Tag: environment" in html
    assert tagged.title in html
    assert other.title not in html.split("</main>")[0]
    assert client.get("/tag/nope").status_code == 404


def test_monthly_archive(client, make):
    from datetime import UTC, datetime

    march = make.post("March news", published_at=datetime(2025, 3, 14, 12, tzinfo=UTC))
    april = make.post("April news", published_at=datetime(2025, 4, 1, 0, tzinfo=UTC))
    html = client.get("/archive/2025/3").get_data(as_text=True)
    assert "March 2025" in html
    assert march.title in html
    assert april.title not in html.split("</main>")[0]
    home = client.get("/").get_data(as_text=True)
    assert 'href="/archive/2025/4"' in home
    assert 'href="/archive/2025/3"' in home
    assert client.get("/archive/2025/5").status_code == 404
    assert client.get("/archive/2025/13").status_code == 404


def test_atom_feed_is_valid_and_has_latest_twenty(client, make):
    author = make.author()
    for n in range(25):
        make.post(f"Feed item {n:02d}", author=author, published_at=now_utc() - timedelta(hours=n))
    response = client.get("/feed.xml")
    assert response.mimetype == "application/atom+xml"
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.title == "Good News"
    assert len(parsed.entries) == 20
    assert parsed.entries[0].title == "Feed item 00"
    assert parsed.entries[0].link == "http://localhost/posts/feed-item-00"
    assert "<em>Feed item 00</em>" in parsed.entries[0].content[0].value


def test_empty_feed_is_still_valid(client):
    parsed = feedparser.parse(client.get("/feed.xml").data)
    assert not parsed.bozo
    assert parsed.entries == []


def test_sitemap_and_robots(client, make):
    tag = make.tag("city")
    post = make.post("Mapped", tags=[tag])
    root = ET.fromstring(client.get("/sitemap.xml").data)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locations = [loc.text for loc in root.findall("s:url/s:loc", ns)]
    assert "http://localhost/" in locations
    assert f"http://localhost/posts/{post.slug}" in locations
    assert "http://localhost/tag/city/" in locations
    robots = client.get("/robots.txt")
    assert robots.mimetype == "text/plain"
    assert "Sitemap: http://localhost/sitemap.xml" in robots.get_data(as_text=True)
    assert "Disallow: /admin/" in robots.get_data(as_text=True)
