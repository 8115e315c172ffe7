"""Demo content for a fresh "Good News" site; loaded once, never over real content."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import func, select

from ..accounts.passwords import hash_password
from ..extensions import db
from ..models import Author, Post, PostStatus, now_utc
from ..reading.terms import get_or_create_tag
from ..sanitize import refresh_post_html
from .content import ARTICLES

DEMO_USERNAME = "editor"


def seed_demo() -> int:
    """Create the demo author and articles if the site has no posts. Returns posts created."""
    if db.session.scalar(select(func.count(Post.id))):
        return 0
    author = db.session.scalar(select(Author).where(Author.username == DEMO_USERNAME))
    if author is None:
        # The demo author cannot sign in: nobody knows this password. create-user makes real ones.
        author = Author(
            username=DEMO_USERNAME,
            display_name="The Good News Desk",
            password_hash=hash_password(secrets.token_urlsafe(32)),
        )
        db.session.add(author)
    now = now_utc()
    for article in ARTICLES:
        published = now - timedelta(days=article["days_ago"], hours=3)
        post = Post(
            title=article["title"],
            slug=article["slug"],
            body_md=article["body"],
            summary=article["summary"],
            status=PostStatus.PUBLISHED.value,
            published_at=published,
            created_at=published,
            author=author,
            tags=[get_or_create_tag(name) for name in article["tags"]],
        )
        refresh_post_html(post)
        db.session.add(post)
    db.session.commit()
    return len(ARTICLES)
