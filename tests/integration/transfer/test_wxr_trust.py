"""import-wxr treats the export as untrusted input (issue 18, findings 4 and 5).

Slugs from the file (tags, categories, posts) become links on every page: "../../admin" gave a
sidebar link /tag/../../admin. They follow blog.reading.slugs now, made again from what was
given when they do not, with a note in the summary. Names of only spaces, bad emails,
addresses and IPs are not kept, and every cached render is made here from the source.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from blog.extensions import db
from blog.models import Author, Comment, Post, Setting, Tag
from blog.reading.slugs import is_kept_slug
from blog.sanitize import render_comment, render_post_body

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>{title}</title><wp:wxr_version>1.2</wp:wxr_version>
<wp:author><wp:author_id>1</wp:author_id><wp:author_login>writer</wp:author_login>
<wp:author_email>{author_email}</wp:author_email>
<wp:author_display_name><![CDATA[{display}]]></wp:author_display_name></wp:author>
<wp:author><wp:author_id>2</wp:author_id><wp:author_login><![CDATA[   ]]></wp:author_login>
</wp:author>
"""
ITEM = """<item><title><![CDATA[{title}]]></title><dc:creator>writer</dc:creator>
<content:encoded><![CDATA[{body}]]></content:encoded>
<wp:post_id>{n}</wp:post_id><wp:post_date_gmt>2021-05-01 10:00:00</wp:post_date_gmt>
<wp:post_name><![CDATA[{slug}]]></wp:post_name><wp:status>publish</wp:status>
<wp:post_type>post</wp:post_type>
<category domain="post_tag" nicename="{tag_slug}"><![CDATA[Evil tag {n}]]></category>
<category domain="category" nicename="{cat_slug}"><![CDATA[Evil category {n}]]></category>
<wp:comment><wp:comment_id>{n}</wp:comment_id>
<wp:comment_author><![CDATA[{name}]]></wp:comment_author>
<wp:comment_author_email><![CDATA[{email}]]></wp:comment_author_email>
<wp:comment_author_url><![CDATA[{url}]]></wp:comment_author_url>
<wp:comment_author_IP><![CDATA[{ip}]]></wp:comment_author_IP>
<wp:comment_date_gmt>2021-05-02 10:00:00</wp:comment_date_gmt>
<wp:comment_content><![CDATA[{comment}]]></wp:comment_content>
<wp:comment_approved>1</wp:comment_approved><wp:comment_parent>0</wp:comment_parent>
</wp:comment></item>
"""
HOSTILE = '<div hx-post="/admin/posts/1/delete" hx-trigger="load">boom</div>'
BAD_SLUGS = [
    "../../admin",
    "..",
    "%2e%2e%2f%2e%2e%2fadmin",
    "a/../../b",
    "//evil.example",
    "%5c%5cevil.example",
    "x?y=1",
    "x#y",
    "Upper Case",
    "a%20b",
    "\u2215evil",
]


def wxr(tmp_path, items, title="Site", display="Writer", author_email="w@example.org"):
    path = tmp_path / "export.xml"
    text = HEAD.format(title=title, display=display, author_email=author_email)
    defaults = {
        "title": "Post",
        "body": "Hello.",
        "slug": "post",
        "tag_slug": "tag",
        "cat_slug": "cat",
        "name": "Reader",
        "email": "reader@example.org",
        "url": "",
        "ip": "192.0.2.1",
        "comment": "Nice.",
    }
    for n, item in enumerate(items, 1):
        text += ITEM.format(n=n, **{**defaults, **item})
    path.write_text(text + "</channel></rss>\n", encoding="utf-8")
    return path


def test_bad_slugs_become_usable_ones_with_a_note(runner, client, tmp_path):
    items = [
        {"slug": bad, "tag_slug": bad, "cat_slug": bad, "title": f"Post {n}"}
        for n, bad in enumerate(BAD_SLUGS)
    ]
    result = runner.invoke(args=["import-wxr", str(wxr(tmp_path, items))])
    assert result.exit_code == 0, result.output
    assert "term slugs that were not usable (made again from them):" in result.output
    assert "post slugs that were not usable (made again from them):" in result.output
    for slug in db.session.scalars(select(Tag.slug)):
        assert is_kept_slug(slug, 64), slug
    for slug in db.session.scalars(select(Post.slug)):
        assert is_kept_slug(slug), slug
    home = client.get("/").get_data(as_text=True)
    links = re.findall(r'href="(/(?:tag|posts)/[^"]*)"', home)
    assert links
    for link in links:
        assert ".." not in link and "//" not in link and "%2F" not in link.upper(), link
        assert link.rstrip("/").count("/") == 2, link  # one segment after /tag/ or /posts/
    for link in links:
        assert client.get(link).status_code == 200, link


def test_good_wordpress_slugs_are_kept(runner, tmp_path):
    items = [{"slug": "caf%c3%a9-au-lait", "tag_slug": "caf%c3%a9", "cat_slug": "snake_case"}]
    assert runner.invoke(args=["import-wxr", str(wxr(tmp_path, items))]).exit_code == 0
    assert db.session.scalar(select(Post.slug)) == "café-au-lait"
    assert set(db.session.scalars(select(Tag.slug))) == {"café", "snake_case"}


@pytest.mark.parametrize("blank", ["   ", "\u200b", "\u3164", "\u00a0\u2003"])
def test_names_of_only_spaces_are_no_names(runner, tmp_path, blank):
    items = [{"name": blank, "title": blank}]
    path = wxr(tmp_path, items, title=blank, display=blank)
    result = runner.invoke(args=["import-wxr", str(path)])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Comment.author_name)) == "Anonymous"
    assert db.session.scalar(select(Post.title)) == "(untitled)"
    # The author without a login is skipped; the other keeps their login as the name.
    assert db.session.scalars(select(Author.display_name)).all() == ["writer"]
    assert db.session.get(Setting, "SITE_TITLE") is None


@pytest.mark.parametrize(
    ("field", "value", "column"),
    [
        ("email", "not an email", "author_email"),
        ("email", "<script>@example.org", "author_email"),
        ("url", "javascript:alert(1)", "author_url"),
        ("url", "http://[evil", "author_url"),
        ("url", "https://", "author_url"),
        ("url", "//evil.example/", "author_url"),
        ("ip", "not-an-ip", "author_ip"),
        ("ip", "192.0.2.1<script>", "author_ip"),
    ],
)
def test_bad_commenter_details_are_not_kept(runner, tmp_path, field, value, column):
    path = wxr(tmp_path, [{field: value}])
    assert runner.invoke(args=["import-wxr", str(path)]).exit_code == 0
    assert getattr(db.session.scalar(select(Comment)), column) == ""


def test_good_commenter_details_are_kept(runner, tmp_path):
    path = wxr(tmp_path, [{"url": "https://reader.example.org/", "ip": "2001:db8::1"}])
    assert runner.invoke(args=["import-wxr", str(path)]).exit_code == 0
    comment = db.session.scalar(select(Comment))
    assert (comment.author_email, comment.author_url, comment.author_ip) == (
        "reader@example.org",
        "https://reader.example.org/",
        "2001:db8::1",
    )


@pytest.mark.parametrize(
    "value",
    [
        "https://exa mple.org",
        "http://exa<mple.org",
        "https://example.org:99999",
        "https://-bad-.org",
        "https://user:pass@example.org",
        "https://" + "a" * 64 + ".org",
    ],
)
def test_a_website_that_is_no_web_address_is_left_out_and_counted(runner, client, tmp_path, value):
    path = wxr(tmp_path, [{"url": value}])
    result = runner.invoke(args=["import-wxr", str(path)])
    assert result.exit_code == 0, result.output
    assert "commenter websites that are not web addresses, left out: 1" in result.output
    comment = db.session.scalar(select(Comment))
    assert comment.author_url == ""
    post = db.session.get(Post, comment.post_id)
    page = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert 'class="url"' not in page


def test_a_website_is_stored_as_the_comment_form_stores_it(runner, tmp_path):
    path = wxr(tmp_path, [{"url": "HTTP://Bücher.example/Ä?x=1"}])
    result = runner.invoke(args=["import-wxr", str(path)])
    assert result.exit_code == 0, result.output
    assert "commenter websites" not in result.output
    url = db.session.scalar(select(Comment.author_url))
    assert url == "http://xn--bcher-kva.example/%C3%84?x=1"


def test_bad_author_email_is_not_kept(runner, tmp_path):
    path = wxr(tmp_path, [{}], author_email="nobody")
    assert runner.invoke(args=["import-wxr", str(path)]).exit_code == 0
    assert db.session.scalar(select(Author.email).where(Author.username == "writer")) == ""


def test_cached_renders_are_made_from_the_source(runner, client, tmp_path):
    path = wxr(tmp_path, [{"body": HOSTILE, "comment": HOSTILE + ' <b data-hx-get="/x">b</b>'}])
    assert runner.invoke(args=["import-wxr", str(path)]).exit_code == 0
    post = db.session.scalar(select(Post))
    comment = db.session.scalar(select(Comment))
    assert post.body_html == render_post_body(post.body_md)
    assert comment.body_html == render_comment(comment.body)
    assert "hx-" not in post.body_html and "hx-" not in comment.body_html
    html = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "/admin/posts/1/delete" not in html and 'data-hx-get="/x"' not in html
