"""WordPress addresses answered with 301s to ours, so old links and search results keep working.

    /?p=ID, /?page_id=ID       the imported post or page (by its WordPress id)
    /?p=ID&feed=rss2           its comment feed
    /?cat=ID, /?tag=SLUG       the category (by its WordPress term id), the tag
    /?s=WORDS                  /search?q=WORDS
    /?m=YYYY, YYYYMM, YYYYMMDD the year's or the month's archive
    /?paged=N, /page/N/        /?page=N (with ?cat=, ?tag=, ?m=: that archive's page N)
    /?feed=rss2, /feed/        the Atom feed          /?feed=comments-rss2, /comments/feed/
    /YYYY/MM/DD/slug/, /YYYY/MM/slug/                 the post (also .../comment-page-N/, .../N/)
    /slug/feed/                the post's (or page's) comment feed
    /slug/comment-page-N/      the post's (or page's) comment page N
    /YYYY/MM/, /YYYY/          the month's, the year's archive
    /tag/SLUG/page/N/, /author/NAME/page/N/           that archive's page N
    /index.php?..., /index.php/...                    as without index.php

/SLUG/, /PARENT/CHILD/ and /SLUG/N/ are answered by blog.reading.pages (pages live there, and a
post's slug there is a 301 to the post); /category/.../, /tag/SLUG/, /author/NAME/ and their
/feed/ are our own archives (blog.reading.archives), at the addresses WordPress used.

A ``#comment-ID`` fragment never reaches the server; browsers keep it across the redirect, and
imported comments keep their WordPress id as ours, so it lands on the same comment.
Only what readers can see is redirected to; anything else is a 404, as before. ``/?author=N``
is a 404: WordPress user ids are not imported, and the address would name accounts.
"""

from __future__ import annotations

import re

from flask import Blueprint, abort, redirect, request, url_for
from sqlalchemy import select

from ...extensions import db
from ...models import Post, PostKind, Tag, Taxonomy
from ...reading import queries
from ...reading.archives import term_path
from ...reading.pages import next_page_url
from ...web.params import MAX_PAGE
from ...web.urls import article_url, local_path

bp = Blueprint("wordpress", __name__)

MAX_ID = 2**31 - 1
RSS_FEEDS = {"rss", "rss2", "atom", "rdf"}
COMMENT_FEEDS = {"comments-rss2", "comments-atom"}
# Query arguments WordPress answers on its home page; any of them makes / a WordPress address.
WORDPRESS_ARGS = {
    "p",
    "page_id",
    "feed",
    "attachment_id",
    "cat",
    "tag",
    "s",
    "m",
    "paged",
    "author",
}
ARCHIVE_DATE = re.compile(r"([0-9]{4})(?:([0-9]{2})([0-9]{2})?)?")


def moved(endpoint: str, **values):
    return redirect(url_for(endpoint, **values), 301)


def visible_article(slug: str) -> Post:
    """The visible post (or page) a WordPress slug names; a renamed post by its old slug."""
    post = (
        queries.visible_post_by_slug(slug)
        or queries.post_moved_from(slug)
        or db.session.scalar(
            select(Post).where(
                Post.kind == PostKind.PAGE.value, Post.slug == slug, queries.visible_condition()
            )
        )
    )
    if post is None:
        abort(404)
    return post


def visible_post(slug: str) -> Post:
    """A post (not a page) by its slug, for the dated addresses."""
    post = queries.visible_post_by_slug(slug) or queries.post_moved_from(slug)
    if post is None:
        abort(404)
    return post


def article_by_wp_id(number: int | None) -> Post:
    post = number and db.session.scalar(
        select(Post).where(Post.wp_id == number, queries.visible_condition())
    )
    if not post:
        abort(404)
    return post


def wp_number(text: str | None) -> int | None:
    return (
        int(text) if text and text.isdigit() and len(text) <= 10 and int(text) <= MAX_ID else None
    )


def page_number(text: str | None) -> int | None:
    """?paged=N as a listing page (1 is no page argument at all)."""
    number = wp_number(text)
    if number is None or not 1 <= number <= MAX_PAGE:
        abort(404)
    return number if number > 1 else None


def with_page(endpoint: str, paged: int | None, **values):
    return moved(endpoint, **values, **({"page": paged} if paged else {}))


@bp.before_app_request
def wordpress_query_addresses():
    """/?p=ID, /?cat=ID, /?s=... on the home page (or /index.php); / without them is left alone."""
    if request.path not in ("/", "/index.php") or request.method not in ("GET", "HEAD"):
        return None
    args = request.args
    if not (WORDPRESS_ARGS & set(args)):
        if request.path == "/index.php":
            return moved("public.index")
        return None
    feed = args.get("feed", "")
    paged = page_number(args["paged"]) if "paged" in args else None
    if "attachment_id" in args or "author" in args:
        abort(404)  # attachments and WordPress's user ids were not imported
    if "p" in args or "page_id" in args:
        post = article_by_wp_id(wp_number(args.get("p") or args.get("page_id")))
        if feed:
            return moved("public.post_comments_feed", slug=post.slug)
        comment_page = wp_number(args.get("cpage"))
        kept = {"cpage": comment_page} if comment_page and comment_page > 1 else {}
        return redirect(article_url(post, **kept), 301)
    if "cat" in args:
        number = wp_number(args["cat"])
        term = number and db.session.scalar(
            select(Tag).where(Tag.wp_id == number).order_by(Tag.id).limit(1)
        )
        if not term:
            abort(404)
        return term_redirect(term, paged, feed)
    if "tag" in args:
        slug = args["tag"].strip().lower()
        term = db.session.scalar(select(Tag).where(Tag.slug == slug)) if slug else None
        if term is None:
            abort(404)
        return term_redirect(term, paged, feed)
    if "s" in args:
        return moved("public.search", q=args["s"][:200], **({"page": paged} if paged else {}))
    if "m" in args:
        return date_redirect(args["m"].strip(), paged)
    if feed in COMMENT_FEEDS:
        return moved("public.comments_feed")
    if feed in RSS_FEEDS:
        return moved("public.feed")
    if "paged" in args and not feed:
        return with_page("public.index", paged)
    abort(404)


def term_redirect(term: Tag, paged: int | None, feed: str):
    if term.taxonomy == Taxonomy.CATEGORY.value:
        if feed:
            return moved("public.category_feed", path=term_path(term))
        return with_page("public.category", paged, path=term_path(term))
    if feed:
        return moved("public.tag_feed", slug=term.slug)
    return with_page("public.tag", paged, slug=term.slug)


def date_redirect(text: str, paged: int | None):
    """?m=2012 (a year), ?m=201201 and ?m=20120103 (its month: there are no day archives)."""
    match = ARCHIVE_DATE.fullmatch(text)
    if match is None:
        abort(404)
    year = int(match.group(1))
    if not 1970 <= year <= 9999:
        abort(404)
    if match.group(2) is None:
        return with_page("public.year_archive", paged, year=year)
    month = int(match.group(2))
    day = match.group(3)
    if not 1 <= month <= 12 or (day is not None and not 1 <= int(day) <= 31):
        abort(404)
    return with_page("public.archive", paged, year=year, month=month)


@bp.get("/index.php/<path:rest>", strict_slashes=False)
def index_php(rest: str):
    """/index.php/2012/01/03/slug/ (WordPress's "almost pretty" permalinks): the same address
    without index.php, which answers it as WordPress did."""
    target = local_path("/" + rest.rstrip("/") + ("/" if request.path.endswith("/") else ""), "")
    if not target or target.startswith("/index.php"):
        abort(404)
    return redirect(target, 301)


@bp.get("/<int:year>/<int:month>/<int:day>/<slug>/", strict_slashes=False)
@bp.get("/<int:year>/<int:month>/<slug>/", strict_slashes=False)
def post(slug: str, year: int | None = None, month: int | None = None, day: int | None = None):
    return moved("public.post", slug=visible_post(slug).slug)


@bp.get("/<int:year>/<int:month>/<int:day>/<slug>/<int:number>/", strict_slashes=False)
@bp.get("/<int:year>/<int:month>/<slug>/<int:number>/", strict_slashes=False)
def next_page(slug: str, number: int, year=None, month=None, day=None):
    """Page N of a post split with <!--nextpage-->."""
    if not 1 <= number <= MAX_PAGE:
        abort(404)
    return redirect(next_page_url(visible_post(slug), number), 301)


@bp.get("/<int:year>/<int:month>/<int:day>/<slug>/comment-page-<int:page>/")
@bp.get("/<int:year>/<int:month>/<slug>/comment-page-<int:page>/")
@bp.get("/<slug>/comment-page-<int:page>/")
def comment_page(slug: str, page: int, year=None, month=None, day=None):
    if not 1 <= page <= MAX_ID:
        abort(404)
    article = visible_article(slug) if year is None else visible_post(slug)
    return redirect(article_url(article, **({"cpage": page} if page > 1 else {})), 301)


@bp.get("/<int:year>/<int:month>/<int:day>/<slug>/feed/")
@bp.get("/<int:year>/<int:month>/<slug>/feed/")
@bp.get("/<slug>/feed/")
def post_feed(slug: str, year=None, month=None, day=None):
    article = visible_article(slug) if year is None else visible_post(slug)
    return moved("public.post_comments_feed", slug=article.slug)


@bp.get("/<int:year>/<int:month>/")
def month(year: int, month: int):
    if not (1 <= month <= 12 and 1970 <= year <= 9999):
        abort(404)
    return moved("public.archive", year=year, month=month)


@bp.get("/<int:year>/")
def year(year: int):
    if not 1970 <= year <= 9999:
        abort(404)
    return moved("public.year_archive", year=year)


def listing_page(number: int) -> int | None:
    if not 1 <= number <= MAX_PAGE:
        abort(404)
    return number if number > 1 else None


@bp.get("/page/<int:number>/")
def home_page(number: int):
    return with_page("public.index", listing_page(number))


@bp.get("/<int:year>/page/<int:number>/")
def year_page(year: int, number: int):
    if not 1970 <= year <= 9999:
        abort(404)
    return with_page("public.year_archive", listing_page(number), year=year)


@bp.get("/<int:year>/<int:month>/page/<int:number>/")
def month_page(year: int, month: int, number: int):
    if not (1 <= month <= 12 and 1970 <= year <= 9999):
        abort(404)
    return with_page("public.archive", listing_page(number), year=year, month=month)


@bp.get("/tag/<slug>/page/<int:number>/")
def tag_page(slug: str, number: int):
    term = db.session.scalar(select(Tag).where(Tag.slug == slug))
    if term is None:
        abort(404)
    return term_redirect(term, listing_page(number), "")


@bp.get("/author/<username>/page/<int:number>/")
def author_page(username: str, number: int):
    return with_page("public.author", listing_page(number), username=username)


@bp.get("/feed/")
@bp.get("/feed/<any(rss, rss2, atom, rdf):kind>/")
def feed(kind: str = "rss2"):
    return moved("public.feed")


@bp.get("/comments/feed/")
def comments_feed():
    return moved("public.comments_feed")
