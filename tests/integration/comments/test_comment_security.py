"""Hostile comments through the real form: nothing executable or htmx-active reaches a page."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import func, select

from blog.extensions import csrf, db
from blog.models import Comment
from tests.helpers import ALLOWED_IN_COMMENTS as ALLOWED
from tests.helpers import HX, fields

REPO = Path(__file__).resolve().parents[3]

VECTORS = [
    "<script>window.__xss(1)</script>",
    "<img src=x onerror=window.__xss(1)>",
    '<a href="javascript:window.__xss(1)">click</a>',
    '<a href="jav&#x61;script:window.__xss(1)">click</a>',
    "<svg onload=window.__xss(1)></svg>",
    '<button hx-get="/xss-probe/1" hx-trigger="load">x</button>',
    '<b hx-post="/xss-probe/2" data-hx-post="/xss-probe/3" hx-trigger="load">bold</b>',
    '<div hx-swap-oob="beforeend:body"><b hx-get="/xss-probe/4" hx-trigger="load">x</b></div>',
    '<meta name="htmx-config" content=\'{"allowEval":true}\'>',
    "<form action=/xss-probe/5><button formaction=javascript:window.__xss(1)>go</button></form>",
    '<noscript><p title="</noscript><img src=x onerror=window.__xss(1)>">',
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss(1)>",
    '<a href="https://ok.example" id="respond" name="csrf_token">clobber</a>',
    "<iframe srcdoc='<script>parent.__xss(1)</script>'></iframe>",
    "<style>body{display:none}</style>",
    "'; DROP TABLE comments;--",
]


class CommentContent(HTMLParser):
    """Collects tags and attributes found inside every .comment-content element."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.found: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if self.depth:
            self.found.append((tag, attributes))
            if tag not in ("br",):
                self.depth += 1
        elif "comment-content" in (attributes.get("class") or "").split():
            assert "hx-disable" in attributes
            self.depth = 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1


@pytest.fixture(autouse=True)
def _rules(app):
    app.config.update(COMMENT_MODERATION="none", COMMENT_MIN_SECONDS=0, COMMENT_FLOOD_SECONDS=0)


@pytest.mark.parametrize("vector", VECTORS)
@pytest.mark.parametrize("field", ["comment", "author"])
def test_hostile_input_is_inert_in_fragment_and_page(client, make, vector, field):
    post = make.post("Target article")
    response = client.post(
        f"/posts/{post.slug}/comments", data=fields(client, post, **{field: vector}), headers=HX
    )
    assert response.status_code == 200
    comment = db.session.scalars(select(Comment)).one()
    assert (
        getattr(comment, "body" if field == "comment" else "author_name") == vector
    )  # kept as typed
    for html in (
        response.get_data(as_text=True),
        client.get(f"/posts/{post.slug}").get_data(as_text=True),
    ):
        article = html.split(f'id="comment-{comment.id}"', 1)[1].split("</article>", 1)[0]
        body = re.search(r'<div class="comment-content" hx-disable>(.*?)</div>', article, re.S)
        name = re.search(
            r'class="comment-author">\s*<span class="visually-hidden">Comment by </span>(.*?)</h3>',
            article,
            re.S,
        )
        assert "<" not in name.group(1)  # the name is text, escaped
        # Text is inert however it reads; what matters is the markup the user got through.
        user_parts = " ".join(re.findall(r"<[^>]*>", body.group(1)))
        lowered = user_parts.lower()
        for bad in (
            "<script",
            "onerror",
            "onload",
            "javascript:",
            "hx-get",
            "hx-post",
            "data-hx",
            "hx-swap-oob",
            "<meta",
            "<svg",
            "<iframe",
            "<style",
            "formaction",
        ):
            assert bad not in lowered, (bad, user_parts)
        parser = CommentContent()
        parser.feed(html)
        for tag, attributes in parser.found:
            assert tag in ALLOWED, tag
            assert set(attributes) <= ALLOWED[tag], (tag, attributes)
            if tag == "a" and "href" in attributes:
                assert attributes["href"].startswith(("http://", "https://", "mailto:"))
        # Only the server's own out-of-band elements are in the fragment.
        oob = re.findall(r'hx-swap-oob="([^"]+)"', html)
        assert all(v in ("delete", "true", "innerHTML") or v.startswith("beforeend:#") for v in oob)
        assert len(re.findall(r'<meta name="htmx-config"', html)) <= 1


def test_hostile_website_and_name_are_text_only(client, make):
    post = make.post("Target article")
    data = fields(client, post, author='" onmouseover="alert(1)', url="javascript:alert(1)")
    assert client.post(f"/posts/{post.slug}/comments", data=data).status_code == 422
    data = fields(client, post, author='" onmouseover="alert(1)', url='https://ok.example/?a="b')
    assert client.post(f"/posts/{post.slug}/comments", data=data).status_code == 303
    html = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "&#34; onmouseover=&#34;alert(1)" in html
    # Stored and shown percent-encoded, as a browser would send it (blog.sanitize).
    assert 'href="https://ok.example/?a=%22b"' in html


def test_htmx_guard_matches_the_pinned_major_version():
    """hx-disable is htmx 2's "ignore htmx here"; htmx 4 renamed it hx-ignore. Fail on a change."""
    package = json.loads((REPO / "node_modules/htmx.org/package.json").read_text())
    pinned = json.loads((REPO / "package.json").read_text())["dependencies"]["htmx.org"]
    assert package["version"] == pinned
    assert pinned.split(".")[0] == "2", "update the hx-disable guard (hx-ignore in htmx 4)"
    assert "hx-disable" in (REPO / "templates/comments/_comment_article.html").read_text()


def test_no_view_is_exempt_from_csrf_but_the_one_click_unsubscribe(app):
    """RFC 8058's POST comes from a mail provider without a token: that one view is exempt, and
    checks CSRF itself for every other body (tests/integration/comments/test_follow.py)."""
    exempt = [path for path in (REPO / "blog").rglob("*.py") if "csrf.exempt" in path.read_text()]
    assert exempt == [REPO / "blog" / "reading" / "follow_views.py"]
    assert csrf._exempt_views == {"blog.reading.follow_views.unsubscribe"}
    assert not csrf._exempt_blueprints


def test_a_reader_post_over_https_is_checked_by_its_origin(app, make):
    """Readers' forms carry no token: over HTTPS the Origin (an older browser's only word)
    must be the site's own, scheme included."""
    app.config.update(WTF_CSRF_ENABLED=True, PREFER_HTTPS=True, COMMENT_MIN_SECONDS=0)
    post = make.post("Secure news")
    client = app.test_client()
    base = "https://localhost"
    html = client.get(f"/posts/{post.slug}", base_url=base).get_data(as_text=True)
    assert "csrf_token" not in html
    stamp = re.search(r'name="stamp" value="([^"]+)"', html).group(1)
    data = {"comment": "Over TLS", "author": "Tess", "email": "tess@example.org", "stamp": stamp}
    url = f"/posts/{post.slug}/comments"
    ok = client.post(url, data=data, base_url=base, headers={"Origin": base})
    assert ok.status_code == 303
    for origin in ("https://evil.example", "http://localhost"):
        data["comment"] = f"Forged from {origin}"
        forged = client.post(url, data=data, base_url=base, headers={"Origin": origin})
        assert forged.status_code == 403
        assert "sent from another website" in forged.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Comment.id))) == 1
