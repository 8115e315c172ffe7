"""The comment form's Preview button (issue #23, part 3): exactly what will be published, through
htmx or as the whole article without JavaScript, nothing stored, no posting limit used up; the
same for a comment being edited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from blog.extensions import db
from blog.models import Comment
from blog.sanitize import render_comment
from tests.helpers import HX, approve_reader, fields, make_test_app

pytestmark = pytest.mark.usefixtures("fast_posting")

TEXT = (
    "I *like* this, see [the docs](https://example.org/a_b) and `x < y`\n\n"
    "> quoted\n\n- one\n- two\n\n<script>alert(1)</script><b hx-get='/admin'>bold</b>"
)


def comment_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Comment))


def test_preview_shows_what_will_be_published_and_stores_nothing(client, make):
    post = make.post("Preview news")
    before = comment_count()
    data = fields(client, post, comment=TEXT, author="", email="")

    fragment = client.post(f"/posts/{post.slug}/comments/preview", data=data, headers=HX)
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200
    assert "<html" not in html
    assert render_comment(TEXT) in html  # the very rendering a published comment gets
    assert "<em>like</em>" in html and "<blockquote>" in html and "<li>two</li>" in html
    assert 'rel="nofollow ugc noopener"' in html
    assert "<script" not in html and "hx-get" not in html
    assert "Anonymous" in html  # no name typed: no error either, only the text matters

    # Without JavaScript: the article, the preview above the form, everything typed kept.
    page = client.post(
        f"/posts/{post.slug}/comments/preview", data={**data, "author": "Rosa", "preview": "1"}
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<html" in html and 'id="respond"' in html
    preview = html.index('id="respond-preview"')
    assert preview < html.index("<em>like</em>") < html.index("<textarea")
    assert "Rosa" in html[preview : html.index("<textarea")]
    textarea = re.search(r"<textarea[^>]*>(.*?)</textarea>", html, re.DOTALL).group(1)
    assert "I *like* this" in textarea and "&lt;script&gt;" in textarea
    assert 'value="Rosa"' in html
    assert "error-summary" not in html
    assert comment_count() == before

    empty = client.post(f"/posts/{post.slug}/comments/preview", data={"comment": " "}, headers=HX)
    assert "Nothing to preview yet" in empty.get_data(as_text=True)


def test_the_form_offers_preview_and_says_what_is_allowed(client, make):
    post = make.post("Form note news")
    html = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    button = re.search(r"<button[^>]*name=\"preview\"[^>]*>", html, re.DOTALL).group(0)
    assert f'formaction="/posts/{post.slug}/comments/preview"' in button
    assert f'hx-post="/posts/{post.slug}/comments/preview"' in button
    assert 'hx-target="#respond-preview"' in button
    textarea = re.search(r"<textarea[^>]*>", html).group(0)
    assert 'aria-describedby="comment-format-note"' in textarea
    note = re.search(r'<p id="comment-format-note"[^>]*>(.*?)</p>', html, re.DOTALL).group(1)
    assert "Markdown" in note and "&lt;blockquote&gt;" in note


def test_previews_do_not_use_up_the_posting_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_test_app(
        tmp_path,
        RATELIMIT_ENABLED=True,
        COMMENT_RATE_LIMIT="1 per minute",
        COMMENT_MIN_SECONDS=0,
        COMMENT_FLOOD_SECONDS=0,
    )
    with app.app_context():
        db.create_all()
        from tests.conftest import Factory

        post = Factory("x").post("Limited preview news")
        client = app.test_client()
        data = fields(client, post, comment="Previewed several times")
        for _ in range(5):
            answer = client.post(f"/posts/{post.slug}/comments/preview", data=data, headers=HX)
            assert answer.status_code == 200
        posted = client.post(f"/posts/{post.slug}/comments", data=data)
        assert posted.status_code == 303
        assert comment_count() == 1


def test_editing_previews_the_same_way(client, make):
    post = make.post("Edit preview news")
    approve_reader(make, post)
    client.post(f"/posts/{post.slug}/comments", data=fields(client, post))
    comment = db.session.scalars(select(Comment).order_by(Comment.id.desc())).first()
    original = comment.body
    edit_url = f"/comments/{comment.id}/edit"

    form = client.get(edit_url, headers=HX).get_data(as_text=True)
    assert f'hx-target="#comment-{comment.id}-preview"' in form
    assert f'aria-describedby="comment-{comment.id}-format-note"' in form

    data = {"comment": "Now **better**", "preview": "1"}
    fragment = client.post(edit_url, data=data, headers=HX).get_data(as_text=True)
    assert "<strong>better</strong>" in fragment and "<form" not in fragment
    assert comment.author_name in fragment

    page = client.post(edit_url, data=data)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert html.index("<strong>better</strong>") < html.index("<textarea")
    assert "Now **better**</textarea>" in html
    db.session.refresh(comment)
    assert comment.body == original and comment.edited_at is None


MARKDOWN_COMMENTS = [
    TEXT,
    "```\n</code></pre><b>x</b>\n```\n\n1. one\n   > quoted *inside*\n"
    "2. [two](https://exa mple.org)",
    "<b>x\n\n- y</b>\n> <blockquote cite='javascript:x'>q</blockquote>\n\n3) three\n* *a **b*",
    "> " * 30 + "deep\n" + "- " * 30 + "deeper",
    "*a* " * 600 + "<ul><li>typed</li></ul><pre>pre</pre>",
    "[a](https://example.org/_x_ 'title \" quoted') https://example.org/__init__.py `<code>`",
]


def test_pages_with_markdown_comments_are_valid_html(client, make, tmp_path):
    """The Nu checker reads the article holding Markdown comments (hostile ones included),
    both preview answers and the edit form with a preview."""
    from tests.integration.reading.test_html_validity import check

    post = make.post("Markdown validity news")
    for body in MARKDOWN_COMMENTS:
        make.comment(post, body=body, status="approved")
    approve_reader(make, post)
    client.post(f"/posts/{post.slug}/comments", data=fields(client, post))
    own = db.session.scalars(select(Comment).order_by(Comment.id.desc())).first()
    text = "\n\n".join(MARKDOWN_COMMENTS)
    pages = {
        "article": client.get(f"/posts/{post.slug}").get_data(as_text=True),
        "preview page": client.post(
            f"/posts/{post.slug}/comments/preview", data=fields(client, post, comment=text)
        ).get_data(as_text=True),
        "preview fragment": "<!doctype html><html lang=en><title>f</title>"
        + "<h1>f</h1><h2>f</h2><h3>f</h3>"
        + client.post(
            f"/posts/{post.slug}/comments/preview", data={"comment": text}, headers=HX
        ).get_data(as_text=True),
        "edit preview": client.post(
            f"/comments/{own.id}/edit", data={"comment": text, "preview": "1"}
        ).get_data(as_text=True),
    }
    assert check(pages, tmp_path) == []
