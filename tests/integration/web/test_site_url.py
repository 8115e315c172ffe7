"""Absolute links come from SITE_URL, never from the Host header a visitor sends."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from blog.extensions import db
from blog.mail.outbox import sender
from blog.models import Comment
from tests.helpers import fields, make_test_app

SITE = "https://news.example"
EVIL = {"Host": "evil.example"}
URL_RE = re.compile(r"""(?:https?:)?//[^\s"'<>)]+""")


@pytest.fixture
def site(app):
    # TRUSTED_HOSTS off, so the forged Host reaches the views: the links must still be right.
    app.config.update(SITE_URL=SITE, TRUSTED_HOSTS=[])
    return app


def links_in(text: str) -> list[str]:
    return URL_RE.findall(text)


def assert_all_on_site(text: str, at_least: int) -> None:
    found = links_in(text)
    found = [
        link
        for link in found
        if not link.startswith(("http://www.w3.org", "http://www.sitemaps.org"))
    ]
    assert len(found) >= at_least, found
    for link in found:
        assert link.startswith(SITE + "/"), link


def test_a_comment_sent_with_a_forged_host_mails_links_to_site_url(site, client, make, inbox):
    site.config.update(COMMENT_MODERATION="all")
    author = make.author("writer", email="writer@example.org")
    post = make.post("Bridge reopens", author=author)
    data = fields(client, post)
    assert client.post(f"/posts/{post.slug}/comments", data=data, headers=EVIL).status_code == 303
    assert sender(site).wait_idle()
    (message,) = inbox.messages
    body = message.get_content()
    comment = db.session.scalars(select(Comment)).one()
    # article, comment, approve, spam, trash, all pending
    assert_all_on_site(body, at_least=6)
    assert f"{SITE}/posts/bridge-reopens" in body
    assert f"{SITE}/c/{comment.id}" in body
    assert f"{SITE}/admin/comments?status=pending" in body
    assert len([link for link in links_in(body) if "/moderate/" in link or "token" in link]) >= 3


def test_a_name_with_line_breaks_cannot_forge_email_lines(site, client, make, inbox):
    site.config.update(COMMENT_MODERATION="all")
    post = make.post("Bridge reopens", author=make.author("writer", email="w@example.org"))
    forged = "Rosa\nApprove it: https://evil.example/approve\nEmail: boss@example.org"
    data = fields(client, post, author=forged)
    assert client.post(f"/posts/{post.slug}/comments", data=data).status_code == 303
    assert sender(site).wait_idle()
    body = inbox.messages[0].get_content()
    assert "\nApprove it: https://evil.example" not in body
    assert [line for line in body.splitlines() if line.startswith("Email:")] == [
        "Email: rosa@example.org"
    ]


@pytest.mark.parametrize(
    "path",
    ["/feed.xml", "/comments/feed.xml", "/posts/bridge-reopens/comments.xml", "/sitemap.xml"],
)
def test_feeds_and_sitemap_link_to_site_url(site, client, make, path):
    post = make.post("Bridge reopens", tags=[make.tag("Travel")])
    make.comment(post)
    response = client.get(path, headers=EVIL)
    assert response.status_code == 200
    assert "evil.example" not in response.get_data(as_text=True)
    assert_all_on_site(response.get_data(as_text=True), at_least=2)


def test_robots_canonical_and_open_graph_use_site_url(site, client, make):
    make.post("Bridge reopens")
    robots = client.get("/robots.txt", headers=EVIL).get_data(as_text=True)
    assert f"Sitemap: {SITE}/sitemap.xml" in robots
    html = client.get("/posts/bridge-reopens", headers=EVIL).get_data(as_text=True)
    assert f'<link rel="canonical" href="{SITE}/posts/bridge-reopens">' in html
    assert f'<meta property="og:url" content="{SITE}/posts/bridge-reopens">' in html
    home = client.get("/", headers=EVIL).get_data(as_text=True)
    assert f'<link rel="canonical" href="{SITE}/">' in home
    assert "evil.example" not in html + home


def test_without_site_url_development_uses_the_request_root(client, make):
    make.post("Bridge reopens")
    robots = client.get("/robots.txt").get_data(as_text=True)
    assert "Sitemap: http://localhost/sitemap.xml" in robots


def test_trusted_hosts_come_from_site_url(tmp_path, monkeypatch):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_test_app(tmp_path, SITE_URL="https://news.example/")
    assert app.config["TRUSTED_HOSTS"] == ["news.example"]
    assert app.config["SITE_URL"] == "https://news.example"
    with app.app_context():
        db.create_all()
    client = app.test_client()
    assert client.get("/robots.txt", headers=EVIL).status_code == 400
    assert client.get("/robots.txt", base_url="https://news.example").status_code == 200
    assert client.get("/robots.txt", base_url="https://news.example:8443").status_code == 200
    # An explicit setting wins.
    other = make_test_app(tmp_path, SITE_URL=SITE, TRUSTED_HOSTS=["news.example", ".cdn.example"])
    assert other.config["TRUSTED_HOSTS"] == ["news.example", ".cdn.example"]


def test_production_refuses_to_start_without_site_url(tmp_path, monkeypatch):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    with pytest.raises(RuntimeError, match="SITE_URL is not set"):
        make_test_app(tmp_path, ENV="production")
    app = make_test_app(tmp_path, ENV="production", SITE_URL=SITE)
    assert app.config["SITE_URL"] == SITE


@pytest.mark.parametrize(
    "bad", ["news.example", "ftp://news.example", "https://", "https://[news", "https://x/?a=1"]
)
def test_a_malformed_site_url_stops_the_app(tmp_path, monkeypatch, bad):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    with pytest.raises(RuntimeError, match="SITE_URL must look like"):
        make_test_app(tmp_path, SITE_URL=bad)


def test_site_url_with_a_path_prefix(tmp_path, monkeypatch):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_test_app(tmp_path, SITE_URL="https://example.org/blog", TRUSTED_HOSTS=[])
    with app.app_context():
        db.create_all()
    robots = app.test_client().get("/robots.txt").get_data(as_text=True)
    assert "Sitemap: https://example.org/blog/sitemap.xml" in robots


def test_absolute_url_outside_a_request(app):
    from blog.web.urls import absolute_url

    app.config["SITE_URL"] = SITE
    with app.app_context():
        assert absolute_url("comments.goto", comment_id=7) == f"{SITE}/c/7"
        with pytest.raises(TypeError):
            absolute_url("public.index", _external=True)


# --- request arguments never reach url_for ---------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"_external": "1"},
        {"_external": "1", "_scheme": "javascript"},
        {"_scheme": "https"},
        {"_method": "POST"},
        {"_anchor": "x"},
        {"slug": "other"},
        {"replytocom": "99999999999999999999999"},
    ],
)
def test_moved_slug_redirect_ignores_url_for_options(app, client, make, query):
    post = make.post("New name")
    from blog.models import SlugRedirect

    db.session.add(SlugRedirect(old_slug="old-name", post_id=post.id))
    db.session.commit()
    response = client.get("/posts/old-name", query_string=query, headers=EVIL)
    if "replytocom" in query:
        assert response.status_code == 404  # no comment can have that id (blog.params)
        return
    assert response.status_code == 301
    location = response.headers["Location"]
    assert urlsplit(location).netloc == ""
    assert location.startswith("/posts/new-name")
    assert "_external" not in location and "_scheme" not in location


def test_moved_slug_keeps_the_reply_target(app, client, make):
    post = make.post("New name")
    from blog.models import SlugRedirect

    db.session.add(SlugRedirect(old_slug="old-name", post_id=post.id))
    db.session.commit()
    response = client.get("/posts/old-name?replytocom=5&utm=x")
    assert response.headers["Location"] == "/posts/new-name?replytocom=5"


@pytest.mark.parametrize(
    "query", ["_external=1", "_scheme=https&_external=1", "_method=POST", "page=2&_anchor=x"]
)
def test_pagination_links_ignore_url_for_options(site, client, make, query):
    for n in range(12):
        make.post(f"Story {n}")
    response = client.get(f"/?{query}", headers=EVIL)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "evil.example" not in html
    assert 'href="/?page=2"' in html or 'href="/?page=1"' in html
