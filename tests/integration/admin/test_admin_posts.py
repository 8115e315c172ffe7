"""Authors write, preview, publish, schedule, unpublish and delete articles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from blog.extensions import db
from blog.models import Post, SlugRedirect, now_utc
from tests.helpers import HX
from tests.helpers import post_form as form


@pytest.fixture
def signed_in(admin):
    admin.login()
    return admin


def test_new_draft_is_saved_and_invisible(client, signed_in):
    response = client.post("/admin/posts/new", data=form())
    assert response.status_code == 303
    post = db.session.scalars(select(Post)).one()
    assert post.slug == "solar-ferry-makes-its-first-crossing"
    assert post.status == "draft"
    assert [t.name for t in post.tags] == ["energy", "transport"]
    assert post.author.username == "editor"
    assert "<h2>Quiet engines</h2>" in post.body_html
    assert client.get(f"/posts/{post.slug}").status_code == 404


def test_publish_makes_it_visible_to_readers(app, client, signed_in):
    client.post("/admin/posts/new", data=form(action="publish"))
    post = db.session.scalars(select(Post)).one()
    assert post.status == "published" and post.published_at is not None
    reader = app.test_client()
    page = reader.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "Solar ferry makes its first crossing" in page
    assert "<em>glided</em>" in page


def test_schedule_publishes_by_itself_when_time_comes(app, client, signed_in):
    later = (now_utc() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/admin/posts/new", data=form(action="schedule", publish_at=later))
    assert response.status_code == 303
    post = db.session.scalars(select(Post)).one()
    assert post.status == "scheduled"
    reader = app.test_client()
    assert reader.get(f"/posts/{post.slug}").status_code == 404
    post.published_at = now_utc() - timedelta(minutes=1)  # time passes
    db.session.commit()
    assert reader.get(f"/posts/{post.slug}").status_code == 200


def test_schedule_needs_a_future_time(client, signed_in):
    response = client.post("/admin/posts/new", data=form(action="schedule", publish_at=""))
    assert response.status_code == 422
    assert "Choose a time in the future" in response.get_data(as_text=True)
    assert db.session.scalars(select(Post)).all() == []


def test_unpublish_and_delete(app, client, signed_in, make):
    post = make.post("Going away", author=signed_in.author)
    response = client.post(
        f"/admin/posts/{post.id}/edit",
        data=form(title="Going away", slug=post.slug, action="unpublish"),
    )
    assert response.status_code == 303
    db.session.refresh(post)
    assert post.status == "draft"
    assert app.test_client().get(f"/posts/{post.slug}").status_code == 404
    confirm = client.get(f"/admin/posts/{post.id}/delete")
    assert confirm.status_code == 200
    assert client.post(f"/admin/posts/{post.id}/delete").status_code == 303
    assert db.session.scalar(select(Post).where(Post.id == post.id)) is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": ""}, "Give the article a title."),
        ({"slug": "Not A Slug!"}, "Use lower-case letters, digits and single hyphens."),
    ],
)
def test_validation_errors_keep_the_text(client, signed_in, overrides, message):
    response = client.post("/admin/posts/new", data=form(**overrides))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert "The ferry *glided* across." in html
    assert "A quiet first trip." in html


def test_a_taken_slug_gets_a_number(client, signed_in, make):
    make.post("Taken", slug="taken-slug")
    make.post("Taken too", slug="taken-slug-2")
    response = client.post("/admin/posts/new", data=form(slug="taken-slug"))
    assert response.status_code == 303
    post = db.session.scalar(select(Post).order_by(Post.id.desc()))
    assert post.slug == "taken-slug-3"


def test_changing_a_published_slug_keeps_the_old_url(app, client, signed_in, make):
    post = make.post("Renamed story", slug="old-name", author=signed_in.author)
    data = form(title="Renamed story", slug="new-name", action="publish")
    assert client.post(f"/admin/posts/{post.id}/edit", data=data).status_code == 303
    reader = app.test_client()
    moved = reader.get("/posts/old-name")
    assert moved.status_code == 301
    assert moved.headers["Location"] == "/posts/new-name"
    assert reader.get("/posts/new-name").status_code == 200
    assert db.session.get(SlugRedirect, "old-name").post_id == post.id
    # Nobody else can take the old address: a new article asking for it gets the next number.
    assert client.post("/admin/posts/new", data=form(slug="old-name")).status_code == 303
    assert db.session.scalar(select(Post.slug).order_by(Post.id.desc())) == "old-name-2"
    assert reader.get("/posts/old-name").headers["Location"] == "/posts/new-name"


@pytest.mark.parametrize("slug", ["café-culture", "snake_case_title"])
def test_an_imported_wordpress_slug_saves_unchanged(client, signed_in, make, slug):
    """WordPress keeps accents and underscores in slugs; an imported article keeps its address
    when its author saves it."""
    post = make.post("Imported story", slug=slug, author=signed_in.author)
    data = form(title="Imported story", slug=slug, action="publish")
    assert client.post(f"/admin/posts/{post.id}/edit", data=data).status_code == 303
    db.session.expire_all()
    assert db.session.get(Post, post.id).slug == slug
    bad = client.post(f"/admin/posts/{post.id}/edit", data=form(slug="../admin"))
    assert bad.status_code == 422


def test_live_preview_uses_the_sanitizer(client, signed_in):
    response = client.post(
        "/admin/posts/preview",
        data={"body": "**bold** <script>alert(1)</script> [x](javascript:alert(1))"},
        headers=HX,
    )
    html = response.get_data(as_text=True)
    assert "<strong>bold</strong>" in html
    assert "<script" not in html
    assert "javascript:" not in html


def test_post_list_filters_and_search(client, signed_in, make):
    make.post("Published one", author=signed_in.author)
    make.post("Draft one", status="draft", author=signed_in.author)
    make.post(
        "Scheduled one",
        status="scheduled",
        published_at=now_utc() + timedelta(days=1),
        author=signed_in.author,
    )
    everything = client.get("/admin/posts").get_data(as_text=True)
    assert all(t in everything for t in ("Published one", "Draft one", "Scheduled one"))
    drafts = client.get("/admin/posts?status=drafts").get_data(as_text=True)
    assert "Draft one" in drafts and "Published one" not in drafts
    scheduled = client.get("/admin/posts?status=scheduled").get_data(as_text=True)
    assert "Scheduled one" in scheduled and "Draft one" not in scheduled
    found = client.get("/admin/posts?q=draft").get_data(as_text=True)
    assert "Draft one" in found and "Published one" not in found
    assert client.get("/admin/posts?status=bogus").status_code == 404


def test_edit_form_shows_existing_values(client, signed_in, make):
    post = make.post(
        "Existing", body_md="Old *body*", tags=[make.tag("city")], author=signed_in.author
    )
    html = client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
    assert 'value="Existing"' in html
    assert "Old *body*" in html
    assert 'value="city"' in html


def test_csrf_is_required_on_admin_posts(app, admin, client):
    app.config["WTF_CSRF_ENABLED"] = True
    admin.login()  # the login itself is refused without a token
    assert client.get("/admin/").status_code == 302
