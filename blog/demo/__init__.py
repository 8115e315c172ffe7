"""Demo content for a fresh "Good News" site; loaded once, never over real content.

Articles with tags and categories (one sticky, one split by ``<!--more-->``, two with a featured
picture drawn by blog/demo/pictures.py), an "About" page with
a child page, a "Contact" page without comments, and a header and a footer menu
(blog/demo/content.py)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import func, select

from ..accounts.passwords import hash_password
from ..extensions import db
from ..media.library import add_media
from ..models import (
    Author,
    MediaItem,
    MenuItem,
    MenuItemKind,
    Post,
    PostKind,
    PostStatus,
    Role,
    Tag,
    Taxonomy,
    now_utc,
)
from ..reading.terms import get_or_create_tag, get_or_create_term
from ..sanitize import refresh_post_html
from .content import ARTICLES, CATEGORIES, MENUS, PAGES
from .pictures import FEATURED

DEMO_USERNAME = "editor"


def featured_picture(slug: str, author: Author) -> MediaItem:
    """The article's picture, drawn and put in the library as an upload would be."""
    file_name, draw, alt_text, caption = FEATURED[slug]
    return add_media(draw(), file_name, author=author, alt_text=alt_text, caption=caption)


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
            # The desk edits the whole site, pages included (blog.accounts.roles).
            role=Role.EDITOR.value,
        )
        db.session.add(author)
    categories: dict[str, Tag] = {}
    for name, parent in CATEGORIES.items():
        parent_id = categories[parent].id if parent else None
        categories[name] = get_or_create_term(name, Taxonomy.CATEGORY.value, parent_id)
        db.session.flush()  # its id, for its children
    now = now_utc()
    for article in ARTICLES:
        published = now - timedelta(days=article["days_ago"], hours=3)
        terms = [categories[name] for name in article["categories"]] + [
            get_or_create_tag(name) for name in article["tags"]
        ]
        post = Post(
            title=article["title"],
            slug=article["slug"],
            body_md=article["body"],
            summary=article["summary"],
            status=PostStatus.PUBLISHED.value,
            published_at=published,
            created_at=published,
            author=author,
            sticky=article.get("sticky", False),
            terms=terms,
        )
        refresh_post_html(post)
        db.session.add(post)
        if article["slug"] in FEATURED:
            post.featured_media = featured_picture(article["slug"], author)
    pages = seed_pages(author, now - timedelta(days=60))
    seed_menus(pages, categories)
    db.session.commit()
    return len(ARTICLES)


def seed_pages(author: Author, published) -> dict[str, Post]:
    pages: dict[str, Post] = {}
    for entry in PAGES:
        page = Post(
            kind=PostKind.PAGE.value,
            title=entry["title"],
            slug=entry["slug"],
            body_md=entry["body"],
            parent=pages[entry["parent"]] if entry["parent"] else None,
            menu_order=entry["menu_order"],
            comments_open=entry["comments_open"],
            status=PostStatus.PUBLISHED.value,
            published_at=published,
            created_at=published,
            author=author,
        )
        refresh_post_html(page)
        db.session.add(page)
        pages[entry["slug"]] = page
    db.session.flush()
    return pages


def seed_menus(pages: dict[str, Post], categories: dict[str, Tag]) -> None:
    def add(menu: str, position: int, entry: dict, parent: MenuItem | None = None) -> MenuItem:
        kind = entry["kind"]
        target = entry.get("target")
        target_id = (
            pages[target].id
            if kind == MenuItemKind.PAGE.value
            else categories[target].id
            if kind == MenuItemKind.CATEGORY.value
            else None
        )
        item = MenuItem(
            menu=menu,
            parent_id=parent.id if parent else None,
            position=position,
            kind=kind,
            target_id=target_id,
            url=entry.get("url", ""),
            label=entry.get("label", ""),
        )
        db.session.add(item)
        db.session.flush()
        for number, child in enumerate(entry.get("children", ())):
            add(menu, number, child, item)
        return item

    for menu, entries in MENUS.items():
        for position, entry in enumerate(entries):
            add(menu, position, entry)
