"""<!--more--> and <!--nextpage-->: kept in the source, honoured by the renderer, and the
markers that split the rendered HTML can only come from the renderer itself."""

from __future__ import annotations

import pytest

from blog.models import Post
from blog.sanitize import (
    MORE_MARK,
    NEXTPAGE_MARK,
    post_body,
    post_page_count,
    post_teaser,
    post_text_excerpt,
    refresh_post_html,
    render_post_body,
)


def post_of(source: str, post_id: int = 7) -> Post:
    post = Post(id=post_id, title="T", slug="t", body_md=source)
    refresh_post_html(post)
    return post


def test_a_body_without_splits_renders_as_before():
    assert render_post_body("Hello *world*.") == "<p>Hello <em>world</em>.</p>"


def test_pages_and_more_are_rendered_apart_and_read_back():
    post = post_of(
        "Intro\n\n<!--more-->\n\nRest\n\n<!--nextpage-->\n\nSecond\n\n<!--nextpage-->\n\nThird"
    )
    assert post_page_count(post) == 3
    first = str(post_body(post, 1))
    assert "Intro" in first and "Rest" in first and "Second" not in first
    assert '<span id="more-7"></span>' in first
    assert "Second" in str(post_body(post, 2)) and "Third" not in str(post_body(post, 2))
    assert "Third" in str(post_body(post, 3))
    everything = str(post_body(post))
    assert all(word in everything for word in ("Intro", "Rest", "Second", "Third"))
    assert "blog:" not in everything  # no marker reaches a reader
    with pytest.raises(IndexError):
        post_body(post, 4)
    assert str(post_teaser(post)) == "<p>Intro</p>"


def test_more_with_its_own_text_is_a_split_too():
    post = post_of("Before <!--more Read the rest--> after")
    assert "Before" in str(post_teaser(post))
    assert "after" not in str(post_teaser(post))


@pytest.mark.parametrize(
    "typed",
    [
        MORE_MARK,
        NEXTPAGE_MARK,
        f"<p>{NEXTPAGE_MARK}</p>",
        f"<div>{MORE_MARK}</div>",
        "<!-- blog:nextpage -->",
        f"```\n{NEXTPAGE_MARK}\n```",
        f"`{MORE_MARK}`",
    ],
)
def test_the_author_cannot_write_a_marker(typed):
    """bleach strips every HTML comment the author writes (or shows it as text inside code),
    so the trusted markers only ever come from the renderer."""
    html = render_post_body(f"One\n\n{typed}\n\nTwo")
    assert MORE_MARK not in html and NEXTPAGE_MARK not in html
    post = post_of(f"One\n\n{typed}\n\nTwo")
    assert post_page_count(post) == 1
    assert post_teaser(post) is None


def test_the_automatic_excerpt_is_55_words_of_text():
    words = " ".join(f"w{n}" for n in range(80))
    post = post_of(f"# Heading\n\n<b>{words}</b> & <script>alert(1)</script>")
    excerpt = post_text_excerpt(post)
    assert excerpt.split()[:2] == ["Heading", "w0"]
    assert len(excerpt.split()) == 56  # 55 words and the ellipsis
    assert excerpt.endswith("[\u2026]")
    assert "<" not in excerpt


def test_a_short_post_is_its_own_excerpt():
    post = post_of("Only *this* &amp; that.\n\n<!--nextpage-->\n\nPage two")
    assert post_text_excerpt(post) == "Only this & that."


def test_an_old_cached_body_is_rendered_again():
    post = post_of("A\n\n<!--nextpage-->\n\nB")
    post.body_html, post.body_render_version = "<p>A B</p>", 3
    assert post_page_count(post) == 2
