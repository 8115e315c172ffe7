"""Roles on every posts/pages/trash/revisions/autosave/preview route (blog.accounts.roles).

One walk over the app's URL map: every admin route that takes a ``post_id`` is tried with each
of its methods by each role on someone else's post (or page), so a new route without a check
fails here; the routes without an id are listed with what each role gets.
"""

from __future__ import annotations

import pytest
from flask import url_for
from sqlalchemy import select

from blog.extensions import db
from blog.models import Post, Revision
from tests.helpers import post_form

ROLES = ("administrator", "editor", "author", "contributor")
MAY_ACT_ON_OTHERS = {"administrator", "editor"}

# The admin's post and page routes without an id: (endpoint, method) -> roles refused (403).
NO_PAGES = frozenset({"author", "contributor"})
WITHOUT_ID = {
    ("admin.posts", "GET"): frozenset(),
    ("admin.post_new", "GET"): frozenset(),
    ("admin.post_new", "POST"): frozenset(),
    ("admin.post_preview", "POST"): frozenset(),
    ("admin.autosave_new", "POST"): frozenset(),
    ("admin.pages", "GET"): NO_PAGES,
    ("admin.page_new", "GET"): NO_PAGES,
    ("admin.page_new", "POST"): NO_PAGES,
    ("admin.trash", "GET"): frozenset(),
    ("admin.trash_empty", "POST"): frozenset(),
}
# Endpoints that belong to this walk: posts, pages and what acts on them.
PREFIXES = ("admin.post", "admin.page", "admin.trash", "admin.revision", "admin.autosave")


def sign_in(client, author) -> None:
    with client.session_transaction() as session:
        session["author_id"] = author.id
        session["epoch"] = author.session_epoch


def methods(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def targets(make, owner, kind: str) -> tuple[Post, Revision]:
    """A fresh post or page of ``owner`` (a draft, so previews and restores make sense), with a
    saved revision."""
    title = f"Not yours {next(make.counter)}"
    post = make.post(title, author=owner, status="draft", kind=kind)
    revision = Revision(post_id=post.id, author_id=owner.id, title="Older", body_md="old")
    db.session.add(revision)
    db.session.commit()
    return post, revision


@pytest.mark.parametrize("role", ROLES)
def test_every_post_and_page_route_asks_the_role(app, client, make, role):
    owner = make.author("owner", role="editor")
    me = make.author(f"me-{role}", role=role)
    sign_in(client, me)
    with_id, walked = [], set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        if "post_id" in rule.arguments:
            with_id.append(rule)
        elif rule.endpoint.startswith(PREFIXES):
            for method in methods(rule):
                assert (rule.endpoint, method) in WITHOUT_ID, (
                    f"{method} {rule.rule} is new: add what each role gets to WITHOUT_ID"
                )
    # The routes this part of the admin has, so that a renamed one cannot drop out unseen.
    names = {rule.endpoint for rule in with_id}
    assert {
        "admin.post_edit",
        "admin.page_edit",
        "admin.post_delete",
        "admin.post_trash",
        "admin.post_restore",
        "admin.revisions",
        "admin.revision_restore",
        "admin.autosave",
        "admin.preview",
    } <= names

    wrong = []
    for rule in with_id:
        for method in methods(rule):
            kind = "page" if rule.endpoint.startswith("admin.page") else "post"
            post, revision = targets(make, owner, kind)
            if rule.endpoint == "admin.post_restore":
                post.status, post.status_before_trash = "trash", "draft"
                db.session.commit()
            values = {"post_id": post.id}
            if "revision_id" in rule.arguments:
                values["revision_id"] = revision.id
            with app.test_request_context():
                url = url_for(rule.endpoint, **values)
            data = post_form(title="Changed by someone else") if method == "POST" else None
            response = client.open(url, method=method, data=data)
            walked.add((rule.endpoint, method))
            refused = response.status_code == 403
            if response.status_code >= 500 or refused != (role not in MAY_ACT_ON_OTHERS):
                wrong.append((method, url, rule.endpoint, response.status_code))
            if refused:
                db.session.expire_all()
                kept = db.session.get(Post, post.id)
                assert kept is not None and kept.title.startswith("Not yours"), (method, url)
    assert wrong == []
    assert len(walked) >= 12

    for (endpoint, method), refused_roles in WITHOUT_ID.items():
        with app.test_request_context():
            url = url_for(endpoint)
        data = {"title": "", "body": ""} if method == "POST" else None
        response = client.open(url, method=method, data=data)
        assert response.status_code < 500, (method, url)
        assert (response.status_code == 403) == (role in refused_roles), (
            method,
            url,
            response.status_code,
        )


def test_contributor_submits_for_review_and_cannot_publish(client, make):
    contributor = make.author("carla", role="contributor")
    sign_in(client, contributor)
    for action in ("publish", "schedule"):
        response = client.post("/admin/posts/new", data=post_form(action=action))
        assert response.status_code == 403
    response = client.post("/admin/posts/new", data=post_form(visibility="private"))
    assert response.status_code == 403
    assert db.session.scalars(select(Post)).all() == []

    editor = client.get("/admin/posts/new").get_data(as_text=True)
    assert "Submit for review" in editor
    assert 'value="publish"' not in editor and 'value="private"' not in editor

    response = client.post("/admin/posts/new", data=post_form(action="pending"))
    assert response.status_code == 303
    post = db.session.scalars(select(Post)).one()
    assert post.status == "pending" and post.published_at is None

    # Once an editor has published it, the contributor cannot change it any more.
    post.status = "published"
    db.session.commit()
    assert client.get(f"/admin/posts/{post.id}/edit").status_code == 403
    response = client.post(f"/admin/posts/{post.id}/edit", data=post_form(title="Sneaky"))
    assert response.status_code == 403
    assert client.post(f"/admin/posts/{post.id}/trash").status_code == 403
    db.session.expire_all()
    assert db.session.get(Post, post.id).title == "Solar ferry makes its first crossing"


def test_author_publishes_and_trashes_own_posts_only(client, make):
    author = make.author("ann", role="author")
    other = make.post("Someone else's", author=make.author("bob", role="author"))
    sign_in(client, author)
    response = client.post("/admin/posts/new", data=post_form(action="publish"))
    assert response.status_code == 303
    mine = db.session.scalar(select(Post).where(Post.author_id == author.id))
    assert mine.status == "published"

    listing = client.get("/admin/posts").get_data(as_text=True)
    assert mine.title in listing
    assert "Someone else&#39;s" not in listing and "Someone else's" not in listing

    assert client.post(f"/admin/posts/{mine.id}/trash").status_code == 303
    db.session.refresh(mine)
    assert mine.status == "trash"
    assert client.post(f"/admin/posts/{other.id}/trash").status_code == 403
    db.session.refresh(other)
    assert other.status == "published"


def test_editor_lists_and_edits_everyones_posts(client, make):
    editor = make.author("eve", role="editor")
    post = make.post("By an author", author=make.author("al", role="author"))
    sign_in(client, editor)
    assert "By an author" in client.get("/admin/posts").get_data(as_text=True)
    response = client.post(
        f"/admin/posts/{post.id}/edit",
        data=post_form(title="Edited by the editor", slug=post.slug, action="draft"),
    )
    assert response.status_code == 303
    db.session.refresh(post)
    assert post.title == "Edited by the editor" and post.status == "published"
