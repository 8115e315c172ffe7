"""What listings show of a post (excerpt, the part before <!--more-->, the first words), posts
split with <!--nextpage--> into pages, sticky posts first on the home page, and pages kept out of
every listing."""

from __future__ import annotations

import re
from datetime import timedelta

from blog.models import PostKind, now_utc

LONG = " ".join(f"word{n}" for n in range(100))


def html_of(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def test_a_listing_entry_is_never_empty(client, make):
    with_excerpt = make.post("Has excerpt", summary="The excerpt, typed.", body_md="Body one.")
    with_more = make.post(
        "Has more", summary="", body_md="The *teaser* part.\n\n<!--more-->\n\nThe secret rest."
    )
    plain = make.post("Plain", summary="", body_md=f"<b>{LONG}</b>\n\nSecond paragraph.")
    html = html_of(client, "/")
    assert "The excerpt, typed." in html
    assert "Body one." not in html
    # The part before <!--more-->, rendered, with WordPress's anchored "Continue reading".
    assert "The <em>teaser</em> part." in html
    assert "The secret rest." not in html
    assert f'href="/posts/{with_more.slug}#more-{with_more.id}"' in html
    # Neither: the first 55 words as text.
    assert "word0 word1" in html and "word54 [\u2026]" in html and "word55" not in html
    assert "Second paragraph." not in html
    assert f'href="/posts/{plain.slug}"' in html and f'href="/posts/{with_excerpt.slug}"' in html
    # The article itself has the anchor the link points at.
    article = html_of(client, f"/posts/{with_more.slug}")
    assert f'id="more-{with_more.id}"' in article and "The secret rest." in article


def test_pages_are_in_no_listing_or_feed(client, make):
    post = make.post("A real post", published_at=now_utc() - timedelta(days=2))
    page = make.post(
        "About us", kind=PostKind.PAGE.value, published_at=now_utc() - timedelta(days=1)
    )
    for url in ("/", "/feed.xml", f"/archive/{page.published_at.year}/{page.published_at.month}"):
        html = html_of(client, url)
        assert "A real post" in html, url
        assert "About us" not in html, url
    article = html_of(client, f"/posts/{post.slug}")
    assert "About us" not in article  # not a neighbour either


def test_a_page_slug_under_posts_moves_to_the_page(client, make):
    page = make.post("Contact", kind=PostKind.PAGE.value)
    response = client.get(f"/posts/{page.slug}")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"/{page.slug}/")


SPLIT = "Page one text.\n\n<!--nextpage-->\n\nPage two text.\n\n<!--nextpage-->\n\nPage three text."


def test_nextpage_pages_have_their_own_addresses(client, make):
    post = make.post("Split story", body_md=SPLIT)
    make.comment(post, body="A comment on the story")
    first = html_of(client, f"/posts/{post.slug}")
    assert "Page one text." in first and "Page two text." not in first
    nav = re.search(r'<nav class="page-links" aria-label="Post pages">(.*?)</nav>', first, re.S)
    assert nav, "no page links"
    assert f'href="/posts/{post.slug}/2"' in nav.group(1)
    assert f'href="/posts/{post.slug}/3"' in nav.group(1)
    assert 'aria-current="page">1<' in nav.group(1)
    second = html_of(client, f"/posts/{post.slug}/2")
    assert "Page two text." in second and "Page one text." not in second
    assert "A comment on the story" in second  # the discussion shows on every page
    assert 'aria-current="page">2<' in second
    assert "Page three text." in html_of(client, f"/posts/{post.slug}/3")
    html_of(client, f"/posts/{post.slug}/4", 404)
    html_of(client, f"/posts/{post.slug}/0", 404)
    html_of(client, f"/posts/{post.slug}/99999999999999999999999", 404)
    one = client.get(f"/posts/{post.slug}/1")
    assert one.status_code == 301 and one.headers["Location"].endswith(f"/posts/{post.slug}")
    # A post without pages has no page 2.
    single = make.post("Single")
    html_of(client, f"/posts/{single.slug}/2", 404)
    assert 'aria-label="Post pages"' not in html_of(client, f"/posts/{single.slug}")


def test_the_shared_article_cache_keeps_pages_apart(client, make):
    post = make.post("Cached split", body_md=SPLIT)
    for _ in range(2):  # the second round comes from the cache
        assert "Page one text." in html_of(client, f"/posts/{post.slug}")
        second = html_of(client, f"/posts/{post.slug}/2")
        assert "Page two text." in second and "Page one text." not in second
        assert "Page one text." in html_of(client, f"/posts/{post.slug}")


def test_the_feed_has_the_excerpt_and_every_page(client, make):
    make.post("Feed split", summary="", body_md=SPLIT)
    xml = html_of(client, "/feed.xml")
    entry = xml[xml.index("Feed split") :]
    assert "<summary>Page one text.</summary>" in entry
    content = re.search(r"<content[^>]*>(.*?)</content>", entry, re.S).group(1)
    assert all(text in content for text in ("Page one", "Page two", "Page three"))
    assert "blog:" not in content


def test_sticky_posts_come_first_on_the_home_page_only(client, make):
    old_sticky = make.post("Old sticky", sticky=True, published_at=now_utc() - timedelta(days=30))
    newer_sticky = make.post("New sticky", sticky=True, published_at=now_utc() - timedelta(days=20))
    for n in range(3):
        make.post(f"Fresh {n}", published_at=now_utc() - timedelta(hours=n + 1))
    html = html_of(client, "/")
    order = [html.index(title) for title in ("New sticky", "Old sticky", "Fresh 0", "Fresh 1")]
    assert order == sorted(order)
    assert html.count("Featured") == 2
    assert 'class="post-summary sticky"' in html
    # Page by page, each post once.
    seen = []
    for page in (1, 2, 3):
        html = html_of(client, f"/?per_page=2&page={page}")
        seen += re.findall(r'<h2 class="entry-title"><a href="[^"]+">([^<]+)</a>', html)
    assert seen == ["New sticky", "Old sticky", "Fresh 0", "Fresh 1", "Fresh 2"]
    # Elsewhere (a month archive) sticky posts are ordinary: in date order, no label.
    month = old_sticky.published_at
    archive = html_of(client, f"/archive/{month.year}/{month.month}")
    assert "Old sticky" in archive and "Featured" not in archive
    assert newer_sticky.slug in html_of(client, "/feed.xml")
