"""Small helpers shared by the browser tests of the comment section."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from blog.comments import lifecycle
from blog.extensions import db
from blog.models import Comment, CommentStatus, Post
from blog.sanitize import refresh_comment_html

# A seeded demo article (blog/demo/content.py); its comments are open.
SLUG = "riverside-library-tool-lending-shelf"
ARTICLE = f"/posts/{SLUG}"

# Browsers post faster than the 3-second bot rule allows, and the flood and rate limits would
# refuse a test's second post: off unless a test is about them. (RATELIMIT_ENABLED is read at
# create_app time, so it belongs in the app_config marker, not in a later config update.)
FAST_POSTING = {"COMMENT_MIN_SECONDS": 0, "COMMENT_FLOOD_SECONDS": 0, "RATELIMIT_ENABLED": False}

# The author the admin tests sign in as (the author fixture in conftest.py creates them).
USERNAME = "ada"
PASSWORD = "long enough pass"
DISPLAY_NAME = "Ada Author"

POSTED = "Comment posted."
AWAITING = "Your comment is awaiting moderation."


# --- the form, found as a reader finds it: by its labels ------------------------------------------


def field(page: Page, name: str):
    """A form field by its accessible name ("Comment", "Name", "Email", "Website").

    The visible labels end in an aria-hidden "*", so the accessible names are exactly these.
    """
    return page.get_by_role("textbox", name=name, exact=True)


def fill_form(page: Page, text: str, name: str, email: str) -> None:
    field(page, "Comment").fill(text)
    field(page, "Name").fill(name)
    field(page, "Email").fill(email)


def post_button(page: Page):
    return page.get_by_role("button", name="Post Comment")


def comment_in_thread(page: Page, text: str):
    return page.locator("#comment-list article.comment-body").filter(has_text=text)


# --- the database ---------------------------------------------------------------------------


def comments(app, **where) -> list[Comment]:
    with app.app_context():
        query = select(Comment).order_by(Comment.id)
        for key, value in where.items():
            query = query.where(getattr(Comment, key) == value)
        found = db.session.scalars(query).all()
        db.session.expunge_all()
        return found


def comment_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Comment.id)))


def add_comment(
    app,
    author: str,
    email: str,
    body: str,
    status: str = CommentStatus.APPROVED.value,
    reason: str = "Approved by a test.",
    parent_id: int | None = None,
) -> int:
    """A comment on the demo article (a reply when ``parent_id`` is given), stored as the server
    would; returns its id."""
    with app.app_context():
        post = db.session.scalar(select(Post).where(Post.slug == SLUG))
        comment = Comment(
            post=post,
            author_name=author,
            author_email=email,
            author_ip="203.0.113.7",
            body=body,
            status=CommentStatus(status).value,
            moderation_reason=reason,
        )
        refresh_comment_html(comment)
        parent = db.session.get(Comment, parent_id) if parent_id else None
        comment.parent = parent
        comment.depth, comment.root_id = lifecycle.thread_place(parent)
        db.session.add(comment)
        db.session.flush()
        if comment.root_id is None:  # a new thread: the comment is its own root
            comment.root_id = comment.id
        db.session.commit()
        return comment.id


def add_reply(app, parent_id: int, author: str, email: str, body: str) -> int:
    """An approved reply to ``parent_id`` on the demo article, stored as the server would."""
    with app.app_context():
        parent = db.session.get(Comment, parent_id)
        comment = Comment(
            post_id=parent.post_id,
            parent=parent,
            depth=parent.depth + 1,
            root_id=parent.root_id or parent.id,
            author_name=author,
            author_email=email,
            author_ip="203.0.113.7",
            body=body,
            status=CommentStatus.APPROVED.value,
            moderation_reason="Approved by a test.",
        )
        refresh_comment_html(comment)
        db.session.add(comment)
        db.session.commit()
        return comment.id


def add_approved_comment(app, author: str, email: str, body: str) -> int:
    """A published comment on the article, as if a moderator had approved it; returns its id."""
    return add_comment(app, author, email, body)


def approve(app, comment_id: int) -> None:
    with app.app_context():
        db.session.get(Comment, comment_id).status = CommentStatus.APPROVED.value
        db.session.commit()


# --- the browser ----------------------------------------------------------------------------


def active_id(page: Page) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.id : ''")


def expect_focus_on_comment(page: Page, comment_id: int) -> None:
    expect(page.locator(f"#comment-{comment_id}")).to_be_focused()


def assert_no_page_errors(page: Page, expected_statuses: tuple[int, ...] = ()) -> None:
    """No CSP violation and no console error, except Chromium's note about an HTTP status the
    test itself caused and expects (say 422 for a form with a mistake)."""
    violations = page.evaluate("window.__cspViolations || []")
    expected = tuple(
        f"the server responded with a status of {status}" for status in expected_statuses
    )
    errors = [m for m in page.console_errors if not any(e in m for e in expected)]
    assert violations == [], f"CSP violations: {violations}"
    assert errors == [], f"console errors: {errors}"
