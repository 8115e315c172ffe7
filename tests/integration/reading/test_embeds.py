"""Bare addresses in articles (issue #22): a video's becomes a card that loads nothing from the
provider until the reader asks, any other becomes a link; the CSP lets exactly the players in.
And footnotes: two articles on one listing never share an id."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from blog.media.embeds import embed_for

YOUTUBE_ID = "dQw4w9WgXcQ"
NOCOOKIE = f"https://www.youtube-nocookie.com/embed/{YOUTUBE_ID}"

PROVIDER_FORMS = [
    (f"https://www.youtube.com/watch?v={YOUTUBE_ID}", "youtube", NOCOOKIE),
    (f"https://youtube.com/watch?v={YOUTUBE_ID}&t=42s", "youtube", NOCOOKIE),
    (f"https://m.youtube.com/watch?feature=share&v={YOUTUBE_ID}", "youtube", NOCOOKIE),
    (f"https://youtu.be/{YOUTUBE_ID}", "youtube", NOCOOKIE),
    (f"https://youtu.be/{YOUTUBE_ID}?si=abc", "youtube", NOCOOKIE),
    (f"https://www.youtube.com/shorts/{YOUTUBE_ID}", "youtube", NOCOOKIE),
    ("https://vimeo.com/76979871", "vimeo", "https://player.vimeo.com/video/76979871"),
    (
        "https://vimeo.com/76979871/0a1b2c3d4e",
        "vimeo",
        "https://player.vimeo.com/video/76979871?h=0a1b2c3d4e",
    ),
    (
        "https://www.dailymotion.com/video/x7tgad0",
        "dailymotion",
        "https://www.dailymotion.com/embed/video/x7tgad0",
    ),
    ("https://dai.ly/x7tgad0", "dailymotion", "https://www.dailymotion.com/embed/video/x7tgad0"),
]

HOSTILE = [
    "https://www.youtube.com/watch?v=dQw4w9WgXc",  # one character short
    "https://www.youtube.com/watch?v=dQw4w9WgXcQQ",  # one too many
    "https://www.youtube.com/watch?v=dQw4w9W%22Xc",
    f"https://www.youtube.com/watch?v={YOUTUBE_ID}&v=AAAAAAAAAAA",  # which one?
    "https://youtu.be/dQw4w9WgXc%3E",
    f"https://youtu.be/{YOUTUBE_ID}/../../x",
    f"https://www.youtube.com/shorts/{YOUTUBE_ID}/more",
    f"http://www.youtube.com/watch?v={YOUTUBE_ID}",  # not https
    f"https://www.youtube.com:8443/watch?v={YOUTUBE_ID}",
    f"https://user@youtu.be/{YOUTUBE_ID}",
    f"https://youtu.be.evil.example/{YOUTUBE_ID}",
    f"https://evil.example/youtu.be/{YOUTUBE_ID}",
    f"https://www.youtube-nocookie.com/embed/{YOUTUBE_ID}",
    "https://vimeo.com/123abc",
    "https://vimeo.com/1234567890123",
    "https://vimeo.com/76979871/ZZZZ",
    "https://player.vimeo.com/video/76979871",
    "https://www.dailymotion.com/video/x7t-ad0",
    "https://www.dailymotion.com/video/x7",
    "https://www.dailymotion.com/embed/video/x7tgad0",
]


class Page(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    handle_startendtag = handle_starttag

    def find(self, tag: str, **wanted) -> list[dict[str, str]]:
        return [
            attrs
            for name, attrs in self.elements
            if name == tag
            and all(
                value in attrs.get(key.rstrip("_").replace("_", "-"), "").split()
                for key, value in wanted.items()
            )
        ]


def article(client, make, body_md: str) -> str:
    made = make.post("Watch this", body_md=body_md)
    response = client.get(f"/posts/{made.slug}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize(("url", "key", "player"), PROVIDER_FORMS)
def test_each_provider_address_becomes_a_card(app, url, key, player):
    embed = embed_for(url)
    assert embed is not None and embed.key == key and embed.player == player


@pytest.mark.parametrize("url", HOSTILE)
def test_addresses_of_the_wrong_shape_make_no_card(app, url):
    assert embed_for(url) is None


@pytest.mark.parametrize(("url", "key", "player"), PROVIDER_FORMS)
def test_the_card_in_the_article(client, make, url, key, player):
    html = article(client, make, f"Before.\n\n{url}\n\nAfter.")
    page = Page(html)
    figures = page.find("figure", class_=f"embed-{key}")
    assert len(figures) == 1 and "embed" in figures[0]["class"].split()
    cards = page.find("a", class_="embed-card")
    assert cards == [{"class": "embed-card", "href": url, "data-embed-src": player}]
    provider = {"youtube": "YouTube", "vimeo": "Vimeo", "dailymotion": "Dailymotion"}[key]
    assert f'<span class="embed-title">Video on {provider}</span>' in html
    assert '<span class="embed-play">Play</span>' in html
    # No player, no picture from the provider, no script: the card is a link until clicked.
    assert not page.find("iframe") and "<img" not in html.split('class="embed', 1)[1][:600]


def test_a_link_that_is_its_own_address_becomes_a_card(client, make):
    html = article(client, make, f"<https://youtu.be/{YOUTUBE_ID}>")
    assert Page(html).find("a", class_="embed-card")[0]["data-embed-src"] == NOCOOKIE


def test_a_link_with_its_own_words_stays_a_link(client, make):
    html = article(client, make, f"[My talk](https://youtu.be/{YOUTUBE_ID})")
    assert not Page(html).find("a", class_="embed-card")
    assert f'<a href="https://youtu.be/{YOUTUBE_ID}">My talk</a>' in html


def test_an_address_inside_a_sentence_is_left_as_it_is(client, make):
    html = article(client, make, f"See https://youtu.be/{YOUTUBE_ID} today.")
    assert not Page(html).find("a", class_="embed-card")
    assert "data-embed-src" not in html


@pytest.mark.parametrize("url", HOSTILE)
def test_hostile_addresses_stay_links(client, make, url):
    html = article(client, make, url)
    page = Page(html)
    assert not page.find("a", class_="embed-card")
    assert "data-embed-src" not in html
    body_links = [attrs["href"] for attrs in page.find("a") if "youtu" in attrs.get("href", "")]
    body_links += [attrs["href"] for attrs in page.find("a") if "vimeo" in attrs.get("href", "")]
    body_links += [attrs["href"] for attrs in page.find("a") if "daily" in attrs.get("href", "")]
    assert len(body_links) == 1


def test_other_bare_addresses_become_links(client, make):
    html = article(client, make, "https://example.org/a?b=1&c=2\n\nhttp://example.net/")
    assert (
        '<p><a href="https://example.org/a?b=1&amp;c=2">https://example.org/a?b=1&amp;c=2</a></p>'
        in html
    )
    assert '<p><a href="http://example.net/">http://example.net/</a></p>' in html


def test_the_wordpress_embed_block_becomes_a_card_named_by_its_caption(client, make):
    block = (
        '<figure class="wp-block-embed is-type-video is-provider-youtube wp-block-embed-youtube '
        'aligncenter wp-embed-aspect-16-9 wp-has-aspect-ratio">'
        '<div class="wp-block-embed__wrapper">'
        f"\nhttps://www.youtube.com/watch?v={YOUTUBE_ID}\n</div>"
        '<figcaption class="wp-element-caption">Our <em>spring</em> fair</figcaption></figure>\n\n'
        '<figure class="wp-block-embed is-type-video"><div class="wp-block-embed__wrapper">'
        "\nhttps://vimeo.com/76979871\n</div>"
        '<figcaption class="wp-element-caption">The river &amp; the town</figcaption></figure>'
    )
    html = article(client, make, block)
    page = Page(html)
    assert page.find("figure", class_="embed-youtube")[0]["class"] == (
        "embed embed-youtube aligncenter"
    )
    # A caption with emphasis stays a caption; a plain one names the video.
    assert "<figcaption>Our <em>spring</em> fair</figcaption>" in html
    assert '<span class="embed-title">The river &amp; the town</span>' in html
    assert "wp-block-embed" not in html


def test_an_embed_wrapper_without_its_figure_still_makes_a_card(client, make):
    html = article(
        client,
        make,
        'Intro.\n\n<div class="wp-block-embed__wrapper">\nhttps://vimeo.com/76979871\n</div>\n\n'
        "<div>https://example.org/page</div>\n\nAfter.",
    )
    page = Page(html)
    assert page.find("a", class_="embed-card")[0]["href"] == "https://vimeo.com/76979871"
    assert '<p><a href="https://example.org/page">https://example.org/page</a></p>' in html


def test_the_classic_embed_shortcode_is_a_bare_address(client, make):
    html = article(
        client,
        make,
        f'[embed width="640"]https://youtu.be/{YOUTUBE_ID}[/embed]\n\n'
        "[embed]https://example.org/x[/embed]\n\n[embed]javascript:alert(1)[/embed]",
    )
    assert Page(html).find("a", class_="embed-card")[0]["data-embed-src"] == NOCOOKIE
    assert '<p><a href="https://example.org/x">https://example.org/x</a></p>' in html
    assert "<p>[embed]javascript:alert(1)[/embed]</p>" in html


def test_addresses_inside_quotes_and_code_stay_text(client, make):
    html = article(
        client,
        make,
        f"<blockquote><p>Said</p>\nhttps://youtu.be/{YOUTUBE_ID}\n</blockquote>\n\n"
        f"```\nhttps://youtu.be/{YOUTUBE_ID}\n```",
    )
    assert "data-embed-src" not in html and f'href="https://youtu.be/{YOUTUBE_ID}"' not in html


def test_no_third_party_address_but_the_cards(client, make):
    html = article(
        client,
        make,
        f"https://youtu.be/{YOUTUBE_ID}\n\nhttps://vimeo.com/76979871\n\n"
        "https://www.dailymotion.com/video/x7tgad0",
    )
    allowed = {
        "https://youtu.be/dQw4w9WgXcQ",
        NOCOOKIE,
        "https://vimeo.com/76979871",
        "https://player.vimeo.com/video/76979871",
        "https://www.dailymotion.com/video/x7tgad0",
        "https://www.dailymotion.com/embed/video/x7tgad0",
    }
    found = set()
    for tag, attrs in Page(html).elements:
        for name, value in attrs.items():
            for url in re.findall(r"(?:https?:)?//[^\s,]+", value):
                host = urlsplit(url).hostname
                if host not in (None, "localhost"):
                    found.add(url)
                    assert name in ("href", "data-embed-src") and tag == "a", (tag, name, url)
    assert found == allowed


def test_the_page_loads_the_card_script(client, make):
    html = article(client, make, f"https://youtu.be/{YOUTUBE_ID}")
    assert re.search(r'<script src="/static/js/embeds[.\w]*\.js" defer></script>', html)


def test_the_csp_lets_exactly_the_players_in(client, make):
    made = make.post("Headline")
    response = client.get(f"/posts/{made.slug}")
    csp = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["frame-src"].split() == [
        "https://www.youtube-nocookie.com",
        "https://player.vimeo.com",
        "https://www.dailymotion.com",
    ]
    assert directives["media-src"] == "'self'"
    assert directives["img-src"] == "'self' data:"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "unsafe" not in csp and "*" not in csp


def test_a_comment_with_a_video_address_is_only_a_link(client, make):
    made = make.post("Open thread")
    make.comment(made, body=f"https://youtu.be/{YOUTUBE_ID}")
    html = client.get(f"/posts/{made.slug}").get_data(as_text=True)
    assert "data-embed-src" not in html
    assert f'href="https://youtu.be/{YOUTUBE_ID}"' in html


# --- footnotes on a listing --------------------------------------------------------------------

FOOTNOTED = (
    "First claim[^1], second[^2].\n\n[^1]: A source.\n[^2]: Another.\n\n"
    "<!--more-->\n\nThe rest[^1].\n\n[^1]: Later note.\n"
)
UUID = "8e0a1f7c-1234-4abc-9def-0123456789ab"
WORDPRESS = (
    f'<p>Claim<sup data-fn="{UUID}" class="fn"><a href="#{UUID}" id="{UUID}-link">1</a></sup></p>\n'
    f'<ol class="wp-block-footnotes"><li id="{UUID}">Source. '
    f'<a href="#{UUID}-link">\u21a9\ufe0e</a></li></ol>\n\n<!--more-->\n\nRest.'
)


def _ids(html: str) -> list[str]:
    return [attrs["id"] for _, attrs in Page(html).elements if "id" in attrs]


@pytest.mark.parametrize("body_md", [FOOTNOTED, WORDPRESS], ids=["markdown", "wordpress"])
def test_two_footnoted_posts_on_the_home_page_share_no_id(client, make, body_md):
    first = make.post("First footnoted", summary="", body_md=body_md)
    second = make.post("Second footnoted", summary="", body_md=body_md)
    html = client.get("/").get_data(as_text=True)
    ids = _ids(html)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for made in (first, second):
        own = [found for found in ids if found.startswith(f"p{made.id}-")]
        assert len(own) >= 2, (made.id, ids)
    # Each footnote link on the page leads to an element of the same post.
    targets = [
        attrs["href"][1:]
        for attrs in Page(html).find("a")
        if attrs.get("href", "").startswith("#p")
    ]
    assert targets and set(targets) <= set(ids)
    # No footnote took one of the page's own ids.
    assert not [found for found in ids if re.fullmatch(r"fn.*|[0-9a-f]{8}-.*", found)]


def test_the_article_links_its_footnotes_both_ways(client, make):
    made = make.post("Noted", body_md=FOOTNOTED)
    html = client.get(f"/posts/{made.slug}").get_data(as_text=True)
    ids = _ids(html)
    assert len(ids) == len(set(ids))
    for target in ("fnref-1", "fn-1", "fn-2", "1-fn-1", "1-fnref-1"):
        assert f"p{made.id}-{target}" in ids
    assert f'href="#p{made.id}-fn-1"' in html and f'href="#p{made.id}-1-fn-1"' in html
    assert "\ue0f1" not in html
