"""Archives as WordPress has them: categories, tags, authors and years, with their feeds.

    /category/PARENT/CHILD/        posts in the category and in its descendants
    /category/PARENT/CHILD/feed/   their Atom feed
    /tag/SLUG/, /tag/SLUG/feed/    posts with the tag, their feed (/tag/SLUG is a 301)
    /author/USERNAME/, .../feed/   an author's posts and feed
    /archive/YEAR                  a year's posts

An empty or unknown archive is a 404 (a term only drafts use does not exist for readers, an
account that published nothing has no author page). A category asked for under a path that is
not its parents' is a 301 to its own address, as WordPress does; a tag asked for as
/category/SLUG/ (imports made categories tags once) is a 301 to the tag.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import NamedTuple

from flask import Response, abort, current_app, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from .. import sanitize, settings
from ..caching import pagecache
from ..extensions import db
from ..models import Author, Post, Tag, Taxonomy, post_tags
from ..sanitize import post_body
from ..web.params import MAX_PAGE
from ..web.urls import absolute_url
from . import queries
from .views import bp, paginate, shared_listing

MAX_TERM_DEPTH = 16  # parents followed for a category's address; a loop in bad data stops here
FEED_TYPE = "application/atom+xml"


# --- categories -----------------------------------------------------------------------------


def term_path(term: Tag) -> str:
    """A category's address below /category/: its parents' slugs and its own ("news/world")."""
    slugs, seen, node = [], set(), term
    while node is not None and node.id not in seen and len(slugs) < MAX_TERM_DEPTH:
        seen.add(node.id)
        slugs.append(node.slug)
        node = node.parent
    return "/".join(reversed(slugs))


def descendant_ids(category: Tag) -> set[int]:
    """The category and every category below it (one query over the categories' tree)."""
    rows = db.session.execute(
        select(Tag.id, Tag.parent_id).where(Tag.taxonomy == Taxonomy.CATEGORY.value)
    ).all()
    children: dict[int, list[int]] = {}
    for term_id, parent_id in rows:
        if parent_id is not None:
            children.setdefault(parent_id, []).append(term_id)
    found, todo = {category.id}, [category.id]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def posts_in_categories(ids: set[int]):
    return queries.visible_posts().where(Post.terms.any(Tag.id.in_(ids)))


def term_by_slug(slug: str) -> Tag | None:
    return db.session.scalar(select(Tag).where(Tag.slug == slug))


def category_or_redirect(path: str, endpoint: str):
    """(category, None), or (None, a 301 to where the asked-for term lives)."""
    slugs = path.split("/")
    if not all(slugs) or len(slugs) > MAX_TERM_DEPTH + 2:
        abort(404)
    if len(slugs) > 2 and slugs[-2] == "page" and endpoint == "public.category":
        # WordPress's /category/NAME/page/N/: our ?page=N.
        number = int(slugs[-1]) if slugs[-1].isdigit() and len(slugs[-1]) <= 6 else 0
        term = term_by_slug(slugs[-3])
        if term is None or not 1 <= number <= MAX_PAGE:
            abort(404)
        values = {"page": number} if number > 1 else {}
        if term.taxonomy != Taxonomy.CATEGORY.value:
            return None, redirect(url_for("public.tag", slug=term.slug, **values), 301)
        return None, redirect(url_for(endpoint, path=term_path(term), **values), 301)
    term = term_by_slug(slugs[-1])
    if term is None:
        abort(404)
    if term.taxonomy != Taxonomy.CATEGORY.value:
        return None, redirect(url_for(endpoint.replace("category", "tag"), slug=term.slug), 301)
    canonical = term_path(term)
    if canonical != path:
        return None, redirect(url_for(endpoint, path=canonical), 301)
    return term, None


@bp.get("/category/<path:path>/")
@shared_listing
def category(path: str):
    term, moved = category_or_redirect(path, "public.category")
    if moved is not None:
        return moved
    pagination = paginate(posts_in_categories(descendant_ids(term)))
    if not pagination.total:
        abort(404)
    return render_template("reading/category.html", category=term, pagination=pagination)


@bp.get("/category/<path:path>/feed/")
@shared_listing
def category_feed(path: str):
    term, moved = category_or_redirect(path, "public.category_feed")
    if moved is not None:
        return moved
    posts = feed_posts(posts_in_categories(descendant_ids(term)))
    return feed_response(
        posts,
        _("Category: %(name)s", name=term.name),
        absolute_url("public.category_feed", path=path),
        absolute_url("public.category", path=path),
    )


# --- tags ---------------------------------------------------------------------------------


def tag_or_404(slug: str) -> Tag:
    term = term_by_slug(slug)
    if term is None:
        abort(404)
    return term


@bp.get("/tag/<slug>/")
@shared_listing
def tag(slug: str):
    term = tag_or_404(slug)
    if term.taxonomy == Taxonomy.CATEGORY.value:
        return redirect(url_for("public.category", path=term_path(term)), 301)
    pagination = paginate(queries.posts_tagged(term))
    if not pagination.total:
        abort(404)  # a tag that only drafts or scheduled articles use does not exist for readers
    return render_template("reading/tag.html", tag=term, pagination=pagination)


@bp.get("/tag/<slug>")
def tag_without_slash(slug: str):
    """The address tags had before they got WordPress's trailing slash (a tag readers cannot
    see anything under is a 404 here too)."""
    term = tag_or_404(slug)
    if term.taxonomy == Taxonomy.TAG.value and not db.session.scalar(
        queries.posts_tagged(term).with_only_columns(Post.id).limit(1)
    ):
        abort(404)
    return redirect(url_for("public.tag", slug=term.slug), 301)


@bp.get("/tag/<slug>/feed/")
@shared_listing
def tag_feed(slug: str):
    term = tag_or_404(slug)
    if term.taxonomy == Taxonomy.CATEGORY.value:
        return redirect(url_for("public.category_feed", path=term_path(term)), 301)
    posts = feed_posts(queries.posts_tagged(term))
    return feed_response(
        posts,
        _("Tag: %(name)s", name=term.name),
        absolute_url("public.tag_feed", slug=term.slug),
        absolute_url("public.tag", slug=term.slug),
    )


# --- authors ------------------------------------------------------------------------------


def author_or_404(username: str) -> Author:
    author = db.session.scalar(select(Author).where(Author.username == username))
    if author is None:
        abort(404)
    return author


def posts_by(author: Author):
    return queries.visible_posts().where(Post.author_id == author.id)


@bp.get("/author/<username>/")
@shared_listing
def author(username: str):
    person = author_or_404(username)
    pagination = paginate(posts_by(person))
    if not pagination.total:
        abort(404)  # an account that published nothing has no page (nor a known username)
    return render_template("reading/author.html", person=person, pagination=pagination)


@bp.get("/author/<username>/feed/")
@shared_listing
def author_feed(username: str):
    person = author_or_404(username)
    posts = feed_posts(posts_by(person))
    if not posts:
        abort(404)
    return feed_response(
        posts,
        person.display_name,
        absolute_url("public.author_feed", username=person.username),
        absolute_url("public.author", username=person.username),
    )


# --- years --------------------------------------------------------------------------------


def site_zone() -> tzinfo:
    """The site's time zone (settings.site_timezone, setting TIMEZONE); UTC without one."""
    finder = getattr(settings, "site_timezone", None)
    return finder() if finder is not None else UTC


def posts_in_year(year: int):
    """Posts published in ``year`` (1970..9999) as the site's clock counts it."""
    zone = site_zone()
    start = datetime(year, 1, 1, tzinfo=zone).astimezone(UTC)
    query = queries.visible_posts().where(Post.published_at >= start)
    if year < 9999:
        end = datetime(year + 1, 1, 1, tzinfo=zone).astimezone(UTC)
        query = query.where(Post.published_at < end)
    return query


@bp.get("/archive/<int:year>")
@shared_listing
def year_archive(year: int):
    if not 1970 <= year <= 9999:
        abort(404)
    pagination = paginate(posts_in_year(year))
    if not pagination.total:
        abort(404)
    return render_template("reading/year_archive.html", year=year, pagination=pagination)


# --- feeds --------------------------------------------------------------------------------


def feed_posts(query) -> list[Post]:
    return db.session.scalars(query.limit(current_app.config["FEED_SIZE"])).all()


def feed_response(posts: list[Post], title: str, self_url: str, alternate_url: str) -> Response:
    """An archive's Atom feed: the site feed's template with its own title and addresses."""
    if not posts:
        abort(404)
    xml = render_template(
        "reading/feed.xml",
        posts=posts,
        body_of=post_body,
        # The site feed's excerpts (blog.sanitize, where it has them).
        excerpt_of=getattr(sanitize, "post_text_excerpt", lambda post: post.summary),
        feed_title=title,
        feed_self_url=self_url,
        feed_alternate_url=alternate_url,
    )
    return Response(xml, mimetype=FEED_TYPE)


# --- the sidebar's categories ---------------------------------------------------------------


class CategoryLink(NamedTuple):
    """What the sidebar shows of a category; plain data, so it can be cached."""

    path: str
    name: str
    count: int
    depth: int


def categories_in_use() -> list[CategoryLink]:
    """Categories with visible posts (counted directly, as WordPress does), in tree order."""
    rows = db.session.execute(
        select(Tag, func.count(Post.id))
        .join(post_tags, post_tags.c.tag_id == Tag.id)
        .join(Post, Post.id == post_tags.c.post_id)
        # Visible posts (never pages): the conditions themselves, not "id IN (visible posts)",
        # which joined every visible post a second time (bench/bigsite.py).
        .where(Tag.taxonomy == Taxonomy.CATEGORY.value, queries.visible_condition())
        .where(queries.IS_POST)
        .group_by(Tag.id)
    ).all()
    links = []
    for term, count in rows:
        path = term_path(term)
        links.append(CategoryLink(path, term.name, count, path.count("/")))
    links.sort(key=lambda link: [part.casefold() for part in link.path.split("/")])
    return links


@bp.app_context_processor
def sidebar_categories() -> dict:
    # Lazy and kept per content version, like the tag cloud.
    return {
        "category_list": lambda: pagecache.remembered(
            pagecache.key("categories"), categories_in_use
        ),
        "category_path": term_path,
    }
