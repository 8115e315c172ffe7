"""Static pages at /SLUG/ and /PARENT/CHILD/, and the sitemap that lists them.

The last slug of the address names the page (slugs are unique across posts and pages); the
rest must be its parents' slugs. A page moved under another parent still answers its old
address with a 301 when every slug of that address names a page (one query); anything else is
a 404. A one-slug address that is not a page but a post (WordPress's /SLUG/ permalinks) is a
301 to the post, and /SLUG/N/ (a post's ``<!--nextpage-->`` page N) to that page of the post.
The page itself is rendered by ``views.render_article``, which handles private and
password-protected pages as it does posts.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from flask import (
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import and_, func, or_, select
from werkzeug.exceptions import MethodNotAllowed

from ..accounts import roles
from ..extensions import db
from ..models import Post, PostKind, PostStatus, Taxonomy
from ..sanitize import post_page_count
from ..web.params import MAX_ID
from ..web.urls import MAX_PAGE_DEPTH, article_page_url, article_url, page_path
from . import queries
from .archives import term_path
from .views import bp, render_article

# WordPress's comment pages of a page: /about/comment-page-2/.
COMMENT_PAGE = re.compile(r"comment-page-([0-9]{1,10})")
NEXT_PAGE = re.compile(r"[0-9]{1,6}")


def visible_page_condition():
    """Pages readers may see: published, or scheduled whose time has come."""
    return and_(Post.kind == PostKind.PAGE.value, queries.visible_condition())


def page_by_slug(slug: str) -> Post | None:
    """The page readers (or, for a private one, this signed-in account) may see."""
    page = db.session.scalar(
        select(Post).where(
            Post.kind == PostKind.PAGE.value,
            Post.slug == slug,
            or_(queries.visible_condition(), Post.status == PostStatus.PRIVATE.value),
        )
    )
    if page is None:
        return None
    if page.status == PostStatus.PRIVATE.value and not roles.may_read(g.get("author"), page):
        return None
    return page


def all_name_pages(slugs: list[str]) -> bool:
    """Whether every slug names a page (an old address of a page that moved)."""
    wanted = set(slugs)
    found = db.session.scalar(
        select(func.count(Post.id)).where(Post.kind == PostKind.PAGE.value, Post.slug.in_(wanted))
    )
    return found == len(wanted)


@bp.get("/<path:path>/", strict_slashes=False)
def page(path: str):
    slugs = path.split("/")
    if not all(slugs) or len(slugs) > MAX_PAGE_DEPTH + 1:
        abort(404)
    comment_page = None
    if len(slugs) > 1 and (match := COMMENT_PAGE.fullmatch(slugs[-1])):
        comment_page = int(match.group(1))
        if not 1 <= comment_page <= MAX_ID:
            abort(404)
        slugs = slugs[:-1]
    found = page_by_slug(slugs[-1])
    part = 0  # no page number in the address
    if found is None and comment_page is None and len(slugs) > 1 and NEXT_PAGE.fullmatch(slugs[-1]):
        # /about/2/: page 2 of a page split with <!--nextpage--> (a child page's own numeric
        # slug, looked up first, wins).
        found = page_by_slug(slugs[-2])
        if found is not None:
            part, slugs = int(slugs[-1]), slugs[:-1]
    if found is None:
        return not_a_page(slugs, comment_page)
    wanted = "/".join(slugs)
    canonical = page_path(found)
    if wanted != canonical and not all_name_pages(slugs[:-1]):
        abort(404)
    if part and (part == 1 or wanted != canonical or not request.path.endswith("/")):
        return redirect(article_page_url(found, part), 301)
    if not part and (
        wanted != canonical or comment_page is not None or not request.path.endswith("/")
    ):
        kept = {"cpage": comment_page} if comment_page and comment_page > 1 else {}
        if request.args.get("cpage", "").isdigit() and not kept:
            kept = {"cpage": request.args["cpage"]}
        return redirect(article_url(found, **kept), 301)
    if part > post_page_count(found):
        abort(404)
    return render_article(found, page=part or 1)


def not_a_page(slugs: list[str], comment_page: int | None):
    """WordPress's /SLUG/ (and /SLUG/N/, /SLUG/comment-page-N/) addresses of posts."""
    if len(slugs) == 1:
        post = queries.visible_post_by_slug(slugs[0]) or queries.post_moved_from(slugs[0])
        if post is not None:
            kept = {"cpage": comment_page} if comment_page and comment_page > 1 else {}
            return redirect(url_for("public.post", slug=post.slug, **kept), 301)
    elif len(slugs) == 2 and comment_page is None and NEXT_PAGE.fullmatch(slugs[1]):
        post = queries.visible_post_by_slug(slugs[0]) or queries.post_moved_from(slugs[0])
        if post is not None:
            return redirect(next_page_url(post, int(slugs[1])), 301)
    refuse_other_methods()
    abort(404)


def refuse_other_methods() -> None:
    """A path another rule serves for other methods only (GET /admin/logout) is a 405 with its
    Allow header, as it was before this catch-all rule for GET existed."""
    adapter = current_app.create_url_adapter(request)
    others = set(adapter.allowed_methods()) - {"GET", "HEAD", "OPTIONS"}
    if others:
        raise MethodNotAllowed(valid_methods=sorted(others | {"OPTIONS"}))


def next_page_url(post: Post, number: int) -> str:
    """Page ``number`` of a post split with ``<!--nextpage-->`` (page 1 is the post itself)."""
    if number <= 1:
        return url_for("public.post", slug=post.slug)
    return url_for("public.post_page", slug=post.slug, page=number)


class PageLink(NamedTuple):
    url: str
    title: str


@bp.app_template_global()
def child_pages(page: Post) -> list[PageLink]:
    """A page's visible child pages, in their order."""
    children = db.session.scalars(
        select(Post)
        .where(visible_page_condition(), Post.parent_id == page.id)
        .order_by(Post.menu_order, Post.title, Post.id)
    ).all()
    return [PageLink(article_url(child), child.title) for child in children]


def visible_pages() -> list[Post]:
    """Every page readers may see (the sitemap), in their order."""
    return db.session.scalars(
        select(Post).where(visible_page_condition()).order_by(Post.menu_order, Post.title)
    ).all()


@bp.get("/sitemap.xml")
def sitemap():
    posts = db.session.scalars(queries.visible_posts()).all()
    categories = [
        term for term, _count in queries.tags_in_use() if term.taxonomy == Taxonomy.CATEGORY.value
    ]
    tags = [
        (term, count)
        for term, count in queries.tags_in_use()
        if term.taxonomy != Taxonomy.CATEGORY.value
    ]
    xml = render_template(
        "reading/sitemap.xml",
        posts=posts,
        pages=visible_pages(),
        tags=tags,
        categories=[(term, term_path(term)) for term in categories],
    )
    return Response(xml, mimetype="application/xml")
