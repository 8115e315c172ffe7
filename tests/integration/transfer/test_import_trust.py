"""import-json treats its file as untrusted input, whoever made it (issue 18, finding 4).

A file is restored through the CLI into an empty database, as an administrator would. Cached HTML
is rendered again from the source, never taken; password hashes and session epochs are never
taken; every id, reference, slug, email, web address, date and setting is checked, and a bad
file is refused whole with a message naming the row and the column, leaving nothing behind.
"""

from __future__ import annotations

import copy
import json

import pytest
from sqlalchemy import func, select

from blog.accounts.passwords import NO_PASSWORD, hash_password
from blog.extensions import db
from blog.models import Author, Comment, Post, Setting, SlugRedirect, Tag
from blog.sanitize import (
    COMMENT_RENDER_VERSION,
    POST_RENDER_VERSION,
    render_comment,
    render_post_body,
)
from blog.transfer.portable import TABLES
from tests.helpers import PASSWORD

WHEN = "2024-03-01T10:00:00+00:00"
HOSTILE_HTML = (
    '<div hx-post="/admin/posts/2/delete" hx-trigger="load">x</div>'
    '<script src="https://evil.example/x.js"></script>'
    '<iframe src="https://evil.example/"></iframe>'
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">'
)


def site_file() -> dict:
    """A small, valid export: an author, a tag, two posts, a thread of two comments."""
    return {
        "format": "good-news-export",
        "version": 1,
        "exported_at": WHEN,
        "tables": {
            "settings": [{"key": "POSTS_PER_PAGE", "value": "7", "updated_at": WHEN}],
            "authors": [
                {"id": 1, "username": "ada", "display_name": "Ada", "email": "ada@example.org",
                 "session_epoch": 5, "created_at": WHEN},
            ],
            "tags": [{"id": 1, "name": "Café & Culture", "slug": "café-culture"}],
            "posts": [
                {"id": 1, "title": "Hello", "slug": "hello", "body_md": "Hello *world*.",
                 "body_html": "<p>Hello <em>world</em>.</p>",
                 "body_render_version": POST_RENDER_VERSION, "summary": "", "status": "published",
                 "published_at": WHEN, "updated_at": None, "created_at": WHEN,
                 "comments_open": True, "author_id": 1, "wp_id": None},
                {"id": 2, "title": "Second", "slug": "second", "body_md": "Second.",
                 "body_html": "<p>Second.</p>", "body_render_version": POST_RENDER_VERSION,
                 "summary": "", "status": "published", "published_at": WHEN, "updated_at": None,
                 "created_at": WHEN, "comments_open": True, "author_id": 1, "wp_id": 7},
            ],
            "post_tags": [{"post_id": 1, "tag_id": 1}],
            "comments": [
                {"id": 10, "post_id": 1, "parent_id": None, "root_id": 10, "depth": 0,
                 "author_name": "Rosa", "author_email": "rosa@example.org",
                 "author_url": "https://rosa.example.org/", "author_ip": "192.0.2.1",
                 "user_agent": "Firefox", "author_id": None, "body": "Lovely!",
                 "body_html": "<p>Lovely!</p>", "body_render_version": COMMENT_RENDER_VERSION,
                 "status": "approved", "moderation_reason": "", "status_version": 0,
                 "created_at": WHEN, "edited_at": None, "wp_id": None},
                {"id": 11, "post_id": 1, "parent_id": 10, "root_id": 10, "depth": 1,
                 "author_name": "Ada", "author_email": "ada@example.org", "author_url": "",
                 "author_ip": "", "user_agent": "", "author_id": 1, "body": "Thanks.",
                 "body_html": "<p>Thanks.</p>", "body_render_version": COMMENT_RENDER_VERSION,
                 "status": "approved", "moderation_reason": "", "status_version": 0,
                 "created_at": WHEN, "edited_at": None, "wp_id": None},
            ],
            "slug_redirects": [{"old_slug": "old-hello", "post_id": 1}],
        },
    }  # fmt: skip


def restore(runner, tmp_path, data):
    path = tmp_path / "site.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return runner.invoke(args=["import-json", str(path)])


def row_counts() -> list[int]:
    return [db.session.scalar(select(func.count()).select_from(table)) for _, table in TABLES]


def test_the_sample_file_restores(runner, client, tmp_path):
    result = restore(runner, tmp_path, site_file())
    assert result.exit_code == 0, result.output
    assert client.get("/posts/hello").status_code == 200
    assert client.get("/tag/café-culture/").status_code == 200
    assert client.get("/posts/old-hello").headers["Location"].endswith("/posts/hello")


# --- cached HTML is rendered again, never taken -------------------------------------------------


def test_a_posts_cached_html_from_the_file_never_reaches_readers(runner, client, tmp_path):
    """The attack: a cached render with htmx attributes deleted a post when an admin opened
    the article. The cache is rebuilt from body_md, whatever version the file claims."""
    data = site_file()
    data["tables"]["posts"][0]["body_html"] = HOSTILE_HTML
    data["tables"]["posts"][0]["body_render_version"] = POST_RENDER_VERSION + 1000
    assert restore(runner, tmp_path, data).exit_code == 0
    post = db.session.get(Post, 1)
    assert post.body_html == render_post_body("Hello *world*.")
    assert post.body_render_version == POST_RENDER_VERSION
    html = client.get("/posts/hello").get_data(as_text=True)
    for needle in ("/admin/posts/2/delete", "evil.example", "<iframe", 'http-equiv="refresh"'):
        assert needle not in html


def test_a_comments_cached_html_from_the_file_never_reaches_readers(runner, client, tmp_path):
    data = site_file()
    data["tables"]["comments"][0]["body_html"] = HOSTILE_HTML
    assert restore(runner, tmp_path, data).exit_code == 0
    comment = db.session.get(Comment, 10)
    assert comment.body_html == render_comment("Lovely!")
    assert comment.body_render_version == COMMENT_RENDER_VERSION
    html = client.get("/posts/hello").get_data(as_text=True)
    assert "/admin/posts/2/delete" not in html and "evil.example" not in html


def test_hostile_sources_are_sanitized_on_the_way_in(runner, client, tmp_path):
    data = site_file()
    data["tables"]["posts"][0]["body_md"] = HOSTILE_HTML + '\n\n<a href="javascript:alert(1)">x</a>'
    data["tables"]["comments"][0]["body"] = HOSTILE_HTML + ' <b data-hx-get="/admin">b</b>'
    assert restore(runner, tmp_path, data).exit_code == 0
    stored = db.session.get(Post, 1).body_html + db.session.get(Comment, 10).body_html
    for needle in ("hx-", "<script", "<iframe", "<meta", "javascript:", "evil.example/x.js"):
        assert needle not in stored
    html = client.get("/posts/hello").get_data(as_text=True)
    assert "javascript:alert" not in html and "<iframe" not in html


# --- no password hash, no session material ------------------------------------------------------


def test_a_password_hash_in_the_file_is_not_taken(runner, client, tmp_path):
    data = site_file()
    data["tables"]["authors"][0]["password_hash"] = hash_password(PASSWORD)
    result = restore(runner, tmp_path, data)
    assert result.exit_code == 0, result.output
    assert "Not taken: the password hashes of 1 authors" in result.output
    assert db.session.scalar(select(Author.password_hash)) == NO_PASSWORD
    login = client.post("/admin/login", data={"username": "ada", "password": PASSWORD})
    assert login.status_code == 401
    assert client.get("/admin/").status_code == 302


def test_the_session_epoch_in_the_file_is_not_taken(runner, tmp_path):
    """A cookie made for the old site (same secret key) must not come back to life."""
    data = site_file()
    data["tables"]["authors"][0]["session_epoch"] = 123456
    assert restore(runner, tmp_path, data).exit_code == 0
    assert db.session.scalar(select(Author.session_epoch)) != 123456


# --- a malformed file is refused whole, naming the row and the column ---------------------------


def change(table: str, index: int, **values):
    def apply(data):
        data["tables"][table][index].update(values)

    return apply


def add(table: str, **values):
    def apply(data):
        rows = data["tables"][table]
        rows.append({**copy.deepcopy(rows[0]), **values})

    return apply


BAD_FILES = {
    # slugs
    "tag slug with dots": (change("tags", 0, slug="../../admin"), "tags[0].slug"),
    "tag slug with a slash": (change("tags", 0, slug="a/b"), "tags[0].slug"),
    "tag slug upper case": (change("tags", 0, slug="Hello"), "tags[0].slug"),
    "empty tag slug": (change("tags", 0, slug=""), "tags[0].slug"),
    "post slug with a slash": (change("posts", 0, slug="//evil.example"), "posts[0].slug"),
    "post slug with dots": (change("posts", 0, slug=".."), "posts[0].slug"),
    "post slug percent": (change("posts", 0, slug="a%2fb"), "posts[0].slug"),
    "post slug with a space": (change("posts", 0, slug="a b"), "posts[0].slug"),
    "post slug twice": (change("posts", 1, slug="hello"), "posts[1].slug"),
    "old slug with dots": (change("slug_redirects", 0, old_slug="../x"), "slug_redirects[0]"),
    "old slug a post has": (change("slug_redirects", 0, old_slug="second"), "slug_redirects[0]"),
    # web addresses and emails
    "bad comment email": (change("comments", 0, author_email="not an email"), "author_email"),
    "bad author email": (change("authors", 0, email="<script>@x"), "authors[0].email"),
    "bad ip": (change("comments", 0, author_ip="not-an-ip"), "comments[0].author_ip"),
    # ids and references
    "zero id": (change("posts", 0, id=0), "posts[0].id"),
    "negative id": (change("comments", 0, id=-5), "comments[0].id"),
    "huge id": (change("tags", 0, id=2**40), "tags[0].id"),
    "id twice": (change("posts", 1, id=1), "posts[1].id"),
    "author missing": (change("posts", 0, author_id=9), "posts[0].author_id"),
    "post_tag to no tag": (change("post_tags", 0, tag_id=9), "post_tags[0].tag_id"),
    "post_tag twice": (add("post_tags"), "post_tags[1]"),
    "comment on no post": (change("comments", 0, post_id=9), "comments[0].post_id"),
    "reply to no comment": (change("comments", 1, parent_id=99), "comments[1].parent_id"),
    "reply across posts": (add("comments", id=12, post_id=2, parent_id=10), "comments[2]"),
    "replies in a circle": (change("comments", 0, parent_id=11), "circle"),
    "comment by no author": (change("comments", 1, author_id=4), "comments[1].author_id"),
    "zero wp_id": (change("posts", 1, wp_id=0), "posts[1].wp_id"),
    "negative depth": (change("comments", 0, depth=-1), "comments[0].depth"),
    # statuses, dates, names
    "unknown status": (change("posts", 0, status="hacked"), "posts[0].status"),
    "published without date": (change("posts", 0, published_at=None), "posts[0].published_at"),
    "date without zone": (change("posts", 0, created_at="2024-01-01T00:00"), "posts[0].created_at"),
    "not a date": (change("comments", 0, created_at="yesterday"), "comments[0].created_at"),
    "blank username": (change("authors", 0, username="   "), "authors[0].username"),
    "blank title": (change("posts", 0, title=" \u200b "), "posts[0].title"),
    # settings
    "unknown setting": (add("settings", key="SECRET_KEY", value='"x"'), "SECRET_KEY"),
    "content version": (add("settings", key="CONTENT_VERSION", value='"9"'), "CONTENT_VERSION"),
    "setting out of range": (change("settings", 0, value="0"), "[0].value (POSTS_PER_PAGE)"),
    "setting not json": (change("settings", 0, value="{"), "settings[0].value"),
}  # fmt: skip


@pytest.mark.parametrize(("damage", "where"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_malformed_file_is_refused_whole(runner, tmp_path, damage, where):
    data = site_file()
    damage(data)
    result = restore(runner, tmp_path, data)
    assert result.exit_code == 1, result.output
    assert where in result.output
    assert "nothing was restored" in result.output
    assert "Traceback" not in result.output
    assert row_counts() == [0] * len(TABLES)


BAD_WEBSITES = [
    "javascript:alert(1)",
    "data:text/html,x",
    "/admin/",
    "java\tscript:alert(1)",
    "https://exa mple.org",
    "http://[::1",
    "https://example.org:99999",
    "https://-bad-.org",
    "https://user:pass@example.org",
]


@pytest.mark.parametrize("website", BAD_WEBSITES)
def test_a_website_that_is_no_web_address_is_left_out_and_counted(
    runner, client, tmp_path, website
):
    """The comment is restored without a website (never shown as a broken link); the note says
    how many were left out."""
    data = site_file()
    data["tables"]["comments"][0]["author_url"] = website
    result = restore(runner, tmp_path, data)
    assert result.exit_code == 0, result.output
    assert "Not taken: 1 commenter websites that are not web addresses" in result.output
    assert db.session.get(Comment, 10).author_url == ""
    page = client.get("/posts/hello").get_data(as_text=True)
    assert 'class="url"' not in page.split("comment-10")[1].split("</article>")[0]


def test_a_good_website_is_restored_normalised(runner, tmp_path):
    data = site_file()
    data["tables"]["comments"][0]["author_url"] = "HTTPS://Bücher.DE/a/../b?q=1"
    result = restore(runner, tmp_path, data)
    assert result.exit_code == 0, result.output
    assert "commenter websites" not in result.output
    assert db.session.get(Comment, 10).author_url == "https://xn--bcher-kva.de/b?q=1"


def test_a_blank_commenter_name_comes_back_as_anonymous(runner, tmp_path):
    data = site_file()
    data["tables"]["comments"][0]["author_name"] = "   "
    assert restore(runner, tmp_path, data).exit_code == 0
    assert db.session.get(Comment, 10).author_name == "Anonymous"


def test_what_is_restored_is_what_was_checked(runner, tmp_path):
    """Ids, slugs and references survive exactly; nothing else was added."""
    assert restore(runner, tmp_path, site_file()).exit_code == 0
    assert db.session.scalars(select(Tag.slug)).all() == ["café-culture"]
    assert sorted(db.session.scalars(select(Post.slug))) == ["hello", "second"]
    assert db.session.get(Comment, 11).parent_id == 10
    assert db.session.get(SlugRedirect, "old-hello").post_id == 1
    assert json.loads(db.session.get(Setting, "POSTS_PER_PAGE").value) == 7
