"""A name of only spaces is no name (issue 18, finding 5).

The comment form stripped "   " to "" after InputRequired had seen characters, so a comment was
stored with an empty name. Every place that takes a name refuses it with a clear field message:
the comment form, the admin's comment editor, the login form, an article's title, the site
title, and ``create-user``.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from blog.extensions import db
from blog.models import Author, Comment, LoginAttempt, Post
from tests.helpers import HX, fields

BLANKS = ["   ", "\t", "\u00a0\u2003", "\u200b\u200d", "\u3164", "\u2800 "]


@pytest.fixture
def post(make, fast_posting):
    return make.post("Hello")


@pytest.mark.parametrize("headers", [HX, {}], ids=["htmx", "plain"])
@pytest.mark.parametrize("blank", BLANKS)
def test_comment_form_refuses_a_blank_name(client, post, blank, headers):
    response = client.post(
        f"/posts/{post.slug}/comments", data=fields(client, post, author=blank), headers=headers
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="author-error"' in html
    assert "it cannot be only spaces" in html
    assert db.session.scalar(select(func.count(Comment.id))) == 0


def test_a_real_name_with_spaces_around_it_is_kept(client, post):
    response = client.post(
        f"/posts/{post.slug}/comments", data=fields(client, post, author="  Zoë \u00a0")
    )
    assert response.status_code == 303
    assert db.session.scalar(select(Comment.author_name)) == "Zoë"


@pytest.fixture
def signed_in(admin):
    assert admin.login().status_code == 303
    return admin


@pytest.mark.parametrize("blank", BLANKS[:3])
def test_admin_comment_editor_refuses_a_blank_name(client, signed_in, make, post, blank):
    comment = make.comment(post, author_name="Rosa")
    response = client.post(
        f"/admin/comments/{comment.id}/edit",
        data={"comment": "Text", "author": blank, "email": "rosa@example.org", "url": ""},
    )
    assert response.status_code == 422
    assert "it cannot be only spaces" in response.get_data(as_text=True)
    db.session.refresh(comment)
    assert comment.author_name == "Rosa"


@pytest.mark.parametrize("blank", BLANKS[:3])
def test_article_title_cannot_be_blank(client, signed_in, blank):
    response = client.post(
        "/admin/posts/new", data={"title": blank, "slug": "", "body": "x", "action": "draft"}
    )
    assert response.status_code == 422
    assert "Give the article a title" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Post.id))) == 0


def test_site_title_cannot_be_blank(client, signed_in):
    data = {
        "site_title": "   ",
        "posts_per_page": "5",
        "comment_moderation": "none",
        "comment_max_links": "2",
        "comment_close_after_days": "0",
        "comment_thread_depth": "3",
        "comments_per_page": "10",
        "comment_order": "oldest",
        "comment_edit_minutes": "5",
    }
    response = client.post("/admin/settings", data=data)
    assert response.status_code == 422
    assert "Give the site a title" in response.get_data(as_text=True)


def test_login_with_a_blank_username_is_a_form_error(admin, client):
    response = client.post("/admin/login", data={"username": "   ", "password": "x"})
    assert response.status_code == 422
    assert "Enter your username." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(LoginAttempt.id))) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["   "], "USERNAME"),
        (["\u200b"], "USERNAME"),
        (["two\nlines"], "USERNAME"),
        (["ada", "--display-name", "   "], "--display-name"),
    ],
)
def test_create_user_refuses_blank_names(runner, args, message):
    result = runner.invoke(args=["create-user", *args, "--password", "correct horse battery"])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert db.session.scalar(select(func.count(Author.id))) == 0


def test_create_user_still_works(runner):
    result = runner.invoke(
        args=[
            "create-user",
            "ada",
            "--display-name",
            " Ada L. ",
            "--password",
            "correct horse battery",
        ]
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Author.display_name)) == "Ada L."
