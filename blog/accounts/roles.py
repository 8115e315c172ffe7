"""What each role may do: WordPress's roles and capabilities, the ones this blog has.

Every admin view and action asks here (``can``, ``may_edit``...), never compares role names
itself, so the rules live in one table. Names follow WordPress's capabilities, so an owner who
knows WordPress knows what each role allows:

    administrator  everything: settings, mail, menus, users
    editor         every post and page, categories and tags, comment moderation, private posts
    author         writes, publishes and deletes their own posts; uploads
    contributor    writes their own drafts and submits them for review; cannot publish, and
                   cannot change a post once it is published
"""

from __future__ import annotations

from functools import wraps

from flask import abort, g
from flask_babel import lazy_gettext as _l

from ..models import Author, Post, PostStatus, Role

CONTRIBUTOR = {"read", "edit_posts", "delete_posts"}
AUTHOR = CONTRIBUTOR | {
    "publish_posts",
    "edit_published_posts",
    "delete_published_posts",
    "upload_files",
}
EDITOR = AUTHOR | {
    "edit_others_posts",
    "delete_others_posts",
    "publish_pages",
    "edit_pages",
    "delete_pages",
    "read_private_posts",
    "moderate_comments",
    "manage_categories",
}
ADMINISTRATOR = EDITOR | {
    "manage_options",  # settings and the mail queue
    "edit_theme_options",  # menus
    "list_users",
    "create_users",
    "edit_users",
    "delete_users",
}
CAPABILITIES: dict[str, frozenset[str]] = {
    Role.ADMINISTRATOR.value: frozenset(ADMINISTRATOR),
    Role.EDITOR.value: frozenset(EDITOR),
    Role.AUTHOR.value: frozenset(AUTHOR),
    Role.CONTRIBUTOR.value: frozenset(CONTRIBUTOR),
}
ROLE_LABELS = {
    Role.ADMINISTRATOR.value: _l("Administrator"),
    Role.EDITOR.value: _l("Editor"),
    Role.AUTHOR.value: _l("Author"),
    Role.CONTRIBUTOR.value: _l("Contributor"),
}
# Statuses a post has once readers could see it (or it was set to appear on its own).
PUBLIC_STATUSES = frozenset(
    {PostStatus.PUBLISHED.value, PostStatus.SCHEDULED.value, PostStatus.PRIVATE.value}
)


def can(author: Author | None, capability: str) -> bool:
    """Whether ``author`` (None: a reader) has ``capability``. An unknown role has none."""
    if author is None:
        return False
    return capability in CAPABILITIES.get(author.role, frozenset())


def owns(author: Author | None, post: Post) -> bool:
    return author is not None and post.author_id == author.id


def may_edit(author: Author | None, post: Post) -> bool:
    """Change ``post``'s content or settings (a contributor's own published post: no)."""
    if author is None:
        return False
    if post.is_page and not can(author, "edit_pages"):
        return False
    if not owns(author, post) and not can(author, "edit_others_posts"):
        return False
    if post.status in PUBLIC_STATUSES or _trashed_public(post):
        return can(author, "edit_published_posts")
    return can(author, "edit_posts")


def may_delete(author: Author | None, post: Post) -> bool:
    """Move ``post`` to the trash, restore it, or delete it for good."""
    if author is None:
        return False
    if post.is_page and not can(author, "delete_pages"):
        return False
    if not owns(author, post) and not can(author, "delete_others_posts"):
        return False
    if post.status in PUBLIC_STATUSES or _trashed_public(post):
        return can(author, "delete_published_posts")
    return can(author, "delete_posts")


def may_publish(author: Author | None, post: Post | None = None) -> bool:
    """Publish, schedule or make private (pages: ``publish_pages``). Others only submit."""
    if post is not None and post.is_page:
        return can(author, "publish_pages")
    return can(author, "publish_posts")


def may_read(author: Author | None, post: Post) -> bool:
    """See a post readers cannot (a draft's preview, a private post): its author, or an editor."""
    if author is None:
        return False
    return owns(author, post) or can(author, "read_private_posts")


def _trashed_public(post: Post) -> bool:
    return post.status == PostStatus.TRASH.value and post.status_before_trash in PUBLIC_STATUSES


def require(capability: str):
    """A view decorator: 403 for a signed-in author without ``capability``.

    Signed-out visitors never get here: the admin blueprint sends them to the sign-in page."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not can(g.get("author"), capability):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate
