"""The benchmark's throwaway site: one SQLite file with the articles and listings the bench loads.

Rows are written in bulk with HTML rendered once per distinct text (the sanitizer is not what
the bench measures), so 10,000 posts and 5,000 comments take seconds, not minutes.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert

from blog.extensions import db
from blog.models import Author, Comment, Post, Tag, now_utc, post_tags
from blog.sanitize import (
    COMMENT_RENDER_VERSION,
    POST_RENDER_VERSION,
    render_comment,
    render_post_body,
)

LISTING_POSTS = 10_000
BIG_THREAD = 5_000
SMALL_THREAD = 50
COMMENTER = ("Bench Reader", "reader@example.org")  # has approved comments: posts go live

PARAGRAPH = (
    "The library on Elm Street reopened this week after a year of repairs paid for by the "
    "neighbourhood itself. Volunteers carried *four thousand books* back onto the shelves, and "
    "the children's corner now has a reading tent, a fish tank and a [map of the town]"
    "(https://example.org/map) drawn by the primary school.\n\n"
)
ARTICLE_MD = PARAGRAPH * 15  # about 6 KB of Markdown
COMMENT_TEXT = (
    "What a lovely story. I grew up two streets from that library and spent every rainy "
    "Saturday there; my daughter will now do the same. Thank you to everyone who carried "
    "the books back, and to whoever thought of the fish tank. The reading tent is a "
    "wonderful idea, and the map too. "
)  # about 300 characters with the number added below


def _comment_rows(post_id: int, count: int, start_id: int, threaded: bool) -> list[dict]:
    """``count`` approved comments; when threaded, every fifth answers the one before it."""
    base = now_utc() - timedelta(days=1)
    html_cache: dict[str, str] = {}
    rows = []
    for n in range(count):
        cid = start_id + n
        parent = cid - 1 if threaded and n % 5 == 4 else None
        body = f"{COMMENT_TEXT}#{n}"
        key = body[-1]
        if key not in html_cache:
            html_cache[key] = render_comment(body)
        rows.append(
            {
                "id": cid,
                "post_id": post_id,
                "parent_id": parent,
                "root_id": (parent if parent else cid),
                "depth": 1 if parent else 0,
                "author_name": f"Reader {n % 97}",
                "author_email": f"reader{n % 97}@example.org",
                "author_url": "",
                "author_ip": "192.0.2.1",
                "user_agent": "bench",
                "body": body,
                "body_html": render_comment(body) if n < 10 else html_cache[key],
                "body_render_version": COMMENT_RENDER_VERSION,
                "status": "approved",
                "moderation_reason": "bench",
                "status_version": 0,
                "created_at": base + timedelta(seconds=n),
            }
        )
    return rows


def build() -> dict[str, str]:
    """Fill the (migrated, empty) database; returns the slugs the bench loads."""
    author = Author(username="bench", display_name="Bench Author", password_hash="x")
    tags = [Tag(name=f"Topic {n}", slug=f"topic-{n}") for n in range(10)]
    db.session.add_all([author, *tags])
    db.session.flush()
    article_html = render_post_body(ARTICLE_MD)
    short_md = "A short story about something going right.\n\n" * 3
    short_html = render_post_body(short_md)
    now = now_utc()

    def post_row(post_id, title, slug, body_md, body_html, summary, hours_ago):
        return {
            "id": post_id,
            "title": title,
            "slug": slug,
            "body_md": body_md,
            "body_html": body_html,
            "body_render_version": POST_RENDER_VERSION,
            "summary": summary,
            "status": "published",
            "published_at": now - timedelta(hours=hours_ago),
            "created_at": now - timedelta(hours=hours_ago),
            "comments_open": True,
            "author_id": author.id,
        }

    posts = [
        post_row(
            n + 1,
            f"Good news number {n}",
            f"news-{n}",
            short_md,
            short_html,
            "Something went right.",
            n + 10,
        )
        for n in range(LISTING_POSTS)
    ]
    articles = {"article-50": 0, "article-5000": 1, "article-0": 2, "article-post": 3}
    for slug, offset in articles.items():
        posts.append(
            post_row(
                LISTING_POSTS + 1 + offset,
                f"The library reopens ({slug})",
                slug,
                ARTICLE_MD,
                article_html,
                "Volunteers carried four thousand books back.",
                offset + 1,
            )
        )
    db.session.execute(insert(Post), posts)
    links = [{"post_id": p["id"], "tag_id": tags[p["id"] % 10].id} for p in posts if p["id"] % 3]
    db.session.execute(insert(post_tags), links)
    ids = {slug: LISTING_POSTS + 1 + offset for slug, offset in articles.items()}
    rows = _comment_rows(ids["article-50"], SMALL_THREAD, 1, threaded=False)
    rows += _comment_rows(ids["article-5000"], BIG_THREAD, 1 + SMALL_THREAD, threaded=True)
    # The bench commenter already has an approved comment, so their posts are approved at once.
    known = _comment_rows(ids["article-post"], 1, 1 + SMALL_THREAD + BIG_THREAD, threaded=False)
    known[0].update(author_name=COMMENTER[0], author_email=COMMENTER[1])
    db.session.execute(insert(Comment), rows + known)
    db.session.commit()
    return {"tag": tags[1].slug, **{slug: slug for slug in articles}}


def comment_pages() -> int:
    """The last comment page of the 5,000-comment article (50 top-level comments a page)."""
    top_level = sum(1 for n in range(BIG_THREAD) if n % 5 != 4)
    return -(-top_level // SMALL_THREAD)
