"""Roles on every admin route that is not a posts or pages route (those are tested with the
post editor): each role gets the screen or action its capabilities allow, and a proper 403
page for the rest."""

from __future__ import annotations

import pytest

from blog.accounts import roles
from blog.extensions import db
from blog.models import MenuItem, Subscription, Tag
from tests.helpers import PASSWORD

# endpoint -> the capability it needs ("read": everyone signed in)
NEEDS = {
    "admin.dashboard": "read",
    "admin.comments": "moderate_comments",
    "admin.comment_action": "moderate_comments",
    "admin.comment_bulk": "moderate_comments",
    "admin.comment_edit": "moderate_comments",
    "admin.comment_empty": "moderate_comments",
    "admin.comment_reply": "moderate_comments",
    "admin.subscriptions": "moderate_comments",
    "admin.subscription_remove": "moderate_comments",
    "admin.categories": "manage_categories",
    "admin.tags": "manage_categories",
    "admin.term_edit": "manage_categories",
    "admin.term_row": "manage_categories",
    "admin.term_delete": "manage_categories",
    "admin.term_merge": "manage_categories",
    "admin.menus": "edit_theme_options",
    "admin.menu_add": "edit_theme_options",
    "admin.menu_item_action": "edit_theme_options",
    "admin.menu_item_label": "edit_theme_options",
    "admin.users": "list_users",
    "admin.user_invite": "create_users",
    "admin.user_reinvite": "create_users",
    "admin.user_edit": "edit_users",
    "admin.user_delete": "delete_users",
    "admin.settings": "manage_options",
    "admin.mail": "manage_options",
    "admin.mail_retry": "manage_options",
    "admin.mail_retry_all": "manage_options",
    # Media (blog/admin/media.py): WordPress's upload_files; another's item: editors up.
    "admin.media_library": "upload_files",
    "admin.media_upload": "upload_files",
    "admin.media_picker": "upload_files",
    "admin.media_insert": "upload_files",
    "admin.media_gallery": "upload_files",
    "admin.media_edit": "edit_others_posts",
    "admin.media_delete": "edit_others_posts",
}
# The post editor's routes (posts, pages, previews, autosaves, revisions, the trash).
POSTS_AND_PAGES = ("admin.post", "admin.page", "admin.autosave", "admin.preview", "admin.revision")
ROLES = ("administrator", "editor", "author", "contributor")


def not_posts_or_pages(endpoint: str) -> bool:
    return endpoint.startswith("admin.") and not endpoint.startswith(
        (*POSTS_AND_PAGES, "admin.trash")
    )


def test_every_admin_route_outside_posts_and_pages_is_in_the_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert {e for e in endpoints if not_posts_or_pages(e)} == set(NEEDS)


@pytest.fixture
def rows(make):
    """One row of each kind a route names, none of them the signed-in account's."""
    other = make.author("other", role="author")
    post = make.post("Story", author=other)
    comment = make.comment(post, status="pending")
    term = Tag(name="Topic", slug="topic", taxonomy="tag")
    db.session.add(term)
    db.session.commit()
    item = MenuItem(menu="header", kind="link", url="/x/", label="X", position=0)
    subscription = Subscription(post_id=post.id, email="fan@example.org", status="confirmed")
    db.session.add_all([item, subscription])
    db.session.commit()
    return {
        "comment_id": comment.id,
        "action": "approve",
        "status": "spam",
        "term_id": term.id,
        "item_id": item.id,
        "how": "up",
        "user_id": other.id,
        "media_id": make.media("theirs.jpg", author_id=other.id).id,
        "subscription_id": subscription.id,
    }


def requests_for(app, endpoint: str, values: dict):
    for rule in app.url_map.iter_rules(endpoint=endpoint):
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<int:{name}>", str(values[name]))
            path = path.replace(f"<{name}>", str(values[name]))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, path


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(NEEDS))
def test_role_gets_the_route_or_a_403_page(app, client, make, rows, endpoint, role):
    make.author("signed", role=role)
    client.post("/admin/login", data={"username": "signed", "password": PASSWORD})
    allowed = NEEDS[endpoint] in roles.CAPABILITIES[role]
    seen = list(requests_for(app, endpoint, rows))
    assert seen
    for method, path in seen:
        response = client.open(path, method=method, data={"target": "", "label": "Y"})
        if allowed:
            assert response.status_code not in (403, 500), (method, path)
        else:
            assert response.status_code == 403, (method, path)
            html = response.get_data(as_text=True)
            assert "You are not allowed to do that." in html and "Traceback" not in html


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        ("administrator", ["Comments", "Categories", "Menus", "Users", "Settings", "Mail"], []),
        ("editor", ["Comments", "Categories", "Tags"], ["Menus", "Users", "Settings", "Mail"]),
        ("author", ["Dashboard"], ["Comments", "Categories", "Menus", "Users", "Settings"]),
        ("contributor", ["Dashboard"], ["Comments", "Tags", "Users", "Settings", "Mail"]),
    ],
)
def test_navigation_shows_only_what_the_role_may_use(client, make, role, shown, hidden):
    make.author("signed", role=role)
    client.post("/admin/login", data={"username": "signed", "password": PASSWORD})
    page = client.get("/admin/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    nav = html[html.index('<nav class="admin-nav"') : html.index("</nav>")]
    for label in shown:
        assert f">{label}" in nav, label
    for label in hidden:
        assert f">{label}" not in nav, label
    if role in ("author", "contributor"):
        assert "awaiting moderation" not in html and "Latest comments" not in html
