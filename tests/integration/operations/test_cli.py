"""The flask CLI commands, run through Flask's CLI runner."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from blog.accounts.passwords import verify_password
from blog.extensions import db
from blog.models import Author, Post


def test_init_db_is_idempotent(runner):
    db.drop_all()
    first = runner.invoke(args=["init-db"])
    second = runner.invoke(args=["init-db"])
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0
    assert "up to date" in second.output


def test_seed_demo_creates_good_news_once(runner, client):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0
    count = db.session.scalar(select(func.count(Post.id)))
    assert count >= 3
    again = runner.invoke(args=["seed-demo"])
    assert "already has posts" in again.output
    assert db.session.scalar(select(func.count(Post.id))) == count
    html = client.get("/").get_data(as_text=True)
    assert "Riverside Library" in html
    # A demo article with a code block and headings renders through the sanitizer.
    posts = db.session.scalars(select(Post).where(Post.kind == "post")).all()
    assert any("<pre><code" in p.body_html for p in posts)
    assert any("<h2>" in p.body_html for p in posts)
    for post in posts:
        assert client.get(f"/posts/{post.slug}").status_code == 200


def test_create_user_with_password_option(runner):
    result = runner.invoke(args=["create-user", "ada", "--password", "long enough pass"])
    assert result.exit_code == 0, result.output
    author = db.session.scalar(select(Author).where(Author.username == "ada"))
    assert author.password_hash.startswith("$argon2id$")
    assert verify_password(author.password_hash, "long enough pass")
    assert not verify_password(author.password_hash, "wrong")


def test_create_user_prompts_for_password(runner):
    result = runner.invoke(args=["create-user", "bob"], input="prompted pass\nprompted pass\n")
    assert result.exit_code == 0, result.output
    author = db.session.scalar(select(Author).where(Author.username == "bob"))
    assert verify_password(author.password_hash, "prompted pass")


@pytest.mark.parametrize("password", ["short", "1234567"])
def test_create_user_rejects_short_passwords(runner, password):
    result = runner.invoke(args=["create-user", "eve", "--password", password])
    assert result.exit_code != 0
    assert "at least 8 characters" in result.output
    assert db.session.scalar(select(Author).where(Author.username == "eve")) is None


def test_create_user_refuses_duplicates(runner):
    runner.invoke(args=["create-user", "ada", "--password", "long enough pass"])
    result = runner.invoke(args=["create-user", "ada", "--password", "another pass"])
    assert result.exit_code != 0
    assert "already exists" in result.output


@pytest.mark.parametrize(
    "command",
    [
        "init-db",
        "seed-demo",
        "create-user",
        "set-password",
        "import-wxr",
        "export",
        "import-json",
        "backup",
    ],
)
def test_commands_have_help(runner, command):
    result = runner.invoke(args=[command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output


@pytest.mark.sqlite_only
def test_init_db_renders_stale_html_again(runner, make):
    db.drop_all()
    assert runner.invoke(args=["init-db"]).exit_code == 0  # the schema from the migrations
    post = make.post("Stale", body_md="*new rules*")
    comment = make.comment(post, body="Hello https://example.org")
    post.body_html, post.body_render_version = "<p>old</p>", 0
    comment.body_html, comment.body_render_version = "<p>old</p>", 0
    db.session.commit()
    result = runner.invoke(args=["init-db"])
    assert "Rendered 2 articles and comments again" in result.output
    db.session.refresh(post)
    db.session.refresh(comment)
    assert post.body_html == "<p><em>new rules</em></p>"
    assert 'rel="nofollow ugc noopener"' in comment.body_html
    assert "Rendered" not in runner.invoke(args=["init-db"]).output
