"""/search?q=: what readers may see, found by title and text; protected by title only."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from blog.models import PostStatus, now_utc
from blog.reading import search_index


def found(client, query: str, **args) -> list[str]:
    response = client.get("/search", query_string={"q": query, **args})
    assert response.status_code == 200
    titles = re.findall(r'<h2 class="entry-title"><a href="[^"]+">(.*?)</a></h2>', response.text)
    return [re.sub(r"</?mark>", "", title) for title in titles]


@pytest.fixture
def site(make):
    make.post("River cleanup", body_md="Volunteers pulled a BICYCLE from the water.")
    make.post("Library hours", body_md="Open late on Thursdays; bicycles parked outside.")
    make.post("About the river", slug="about", kind="page", body_md="Who we are.")
    make.post("Members only", body_md="The bicycle code is 1234.", password="secret")
    make.post(
        "Private bicycle notes",
        status=PostStatus.PRIVATE.value,
        published_at=now_utc() - timedelta(days=1),
    )
    make.post("Draft about bicycles", status=PostStatus.DRAFT.value)
    make.post(
        "Scheduled bicycle",
        status=PostStatus.SCHEDULED.value,
        published_at=now_utc() + timedelta(days=1),
    )


def test_title_and_text_match_without_case(client, site):
    # Ranked, not by date: which comes first is the ranking tests' business.
    assert sorted(found(client, "bicycle")) == ["Library hours", "River cleanup"]
    assert sorted(found(client, "RIVER")) == ["About the river", "River cleanup"]


def test_every_word_must_match(client, site):
    assert found(client, "bicycle thursdays") == ["Library hours"]


def test_a_protected_post_matches_by_its_title_only_and_shows_no_excerpt(client, site):
    assert found(client, "1234") == []
    assert found(client, "members") == ["Protected: Members only"]
    html = client.get("/search?q=members").text
    assert "There is no excerpt because this is a protected post." in html
    assert "Summary of Members only" not in html


def test_private_drafts_and_scheduled_posts_are_never_found(client, site):
    for word in ("private", "draft", "scheduled"):
        assert found(client, word) == [], word


def test_the_query_stays_in_the_box_and_on_every_page_link(app, client, make):
    app.config["POSTS_PER_PAGE"] = 2
    for n in range(5):
        make.post(f"Garden {n}")
    html = client.get("/search?q=garden").text
    assert 'name="q" value="garden"' in html
    assert "Search results for &ldquo;garden&rdquo;" in html
    pages = set(re.findall(r'href="(/search\?[^"]+)"', html))
    assert pages and all("q=garden" in link for link in pages)
    assert found(client, "garden", page=3) == ["Garden 4"]
    assert client.get("/search?q=garden&page=4").status_code == 404


def test_an_empty_query_shows_the_form(client, site):
    for address in ("/search", "/search?q=", "/search?q=%20%20"):
        html = client.get(address).text
        assert '<form class="search-form" role="search"' in html
        assert "entry-title" not in html
        assert "nothing matched" not in html


def test_wildcards_and_punctuation_are_not_words(client, make):
    make.post("Half price", body_md="Everything 50% off.")
    make.post("Full price", body_md="Nothing off.")
    assert found(client, "%") == []
    assert found(client, "_") == []
    assert found(client, "50%") == ["Half price"]
    assert "nothing matched" in client.get("/search?q=zebra").text


def test_every_page_has_a_search_form(client, site):
    html = client.get("/").text
    assert 'action="/search"' in html and 'role="search"' in html


def test_a_word_on_too_many_pages_searches_the_newest_and_says_so(client, make, monkeypatch):
    """Past MATCH_CAP matching posts (or comments), only the newest are ranked and counted, and
    the page says so; a second word narrows the search back to every match."""
    monkeypatch.setattr(search_index, "MATCH_CAP", 3)
    make.post("Old harbour map", body_md="The harbour as it was, an atlas page.")
    posts = [make.post(f"Harbour note {n}", body_md=f"The harbour, part {n}.") for n in range(5)]
    page = client.get("/search", query_string={"q": "harbour"}).get_data(as_text=True)
    assert "3 results among the newest matches" in page
    assert "only the newest of them are searched" in page
    shown = re.findall(r'<h2 class="entry-title"><a href="[^"]+">(.*?)</a></h2>', page)
    assert len(shown) == 3 and "Old harbour map" not in page
    # The newest three by id; the older two notes and the map are past the cap.
    assert {posts[2].title, posts[3].title, posts[4].title} == {
        re.sub("</?mark>", "", t) for t in shown
    }
    narrowed = client.get("/search", query_string={"q": "harbour atlas"}).get_data(as_text=True)
    assert "1 result</p>" in narrowed and "Old harbour map" in narrowed
    assert "newest matches" not in narrowed


def test_comments_past_the_cap_are_the_oldest_ones(client, make, monkeypatch):
    monkeypatch.setattr(search_index, "MATCH_CAP", 2)
    post = make.post("Quay", body_md="Boats.")
    for name in ("Ann", "Ben", "Cy"):
        make.comment(post, author_name=name, body="A gull stole my chips.")
    page = client.get("/search", query_string={"q": "gull"}).get_data(as_text=True)
    assert "2 results among the newest matches" in page
    assert "Comment by Ben on Quay" in page and "Comment by Cy on Quay" in page
    assert "Comment by Ann" not in page
