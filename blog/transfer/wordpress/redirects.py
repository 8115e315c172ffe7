"""WordPress addresses answered with 301s to ours, so old links and search results keep working.

    /?p=ID, /?p=ID&feed=rss2   the imported post (by its WordPress id), its comment feed
    /?page_id=ID               404: pages are not imported
    /?feed=rss2, /feed/        the Atom feed          /?feed=comments-rss2, /comments/feed/
    /YYYY/MM/DD/slug/, /YYYY/MM/slug/, /slug/         the post (also .../comment-page-N/)
    /slug/feed/                the post's comment feed
    /category/NAME/, /tag/NAME/                       the tag (categories were imported as tags)
    /YYYY/MM/                  the month's archive

A ``#comment-ID`` fragment never reaches the server; browsers keep it across the redirect, and
imported comments keep their WordPress id as ours, so it lands on the same comment.
Only visible posts are redirected to; anything else is a 404, as before.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request, url_for

from ...extensions import db
from ...models import Post, Tag
from ...reading import queries

bp = Blueprint("wordpress", __name__)

MAX_ID = 2**31 - 1
RSS_FEEDS = {"rss", "rss2", "atom", "rdf"}
COMMENT_FEEDS = {"comments-rss2", "comments-atom"}


def moved(endpoint: str, **values):
    return redirect(url_for(endpoint, **values), 301)


def visible_post(slug: str) -> Post:
    post = queries.visible_post_by_slug(slug) or queries.post_moved_from(slug)
    if post is None:
        abort(404)
    return post


def post_url_args(post: Post, comment_page: int | None = None) -> dict:
    return {"slug": post.slug, **({"cpage": comment_page} if comment_page else {})}


def wp_number(text: str | None) -> int | None:
    return (
        int(text) if text and text.isdigit() and len(text) <= 10 and int(text) <= MAX_ID else None
    )


@bp.before_app_request
def wordpress_query_addresses():
    """/?p=ID, /?page_id=ID and /?feed=... on the home page; / without them is left alone."""
    if request.path != "/" or request.method not in ("GET", "HEAD"):
        return None
    args = request.args
    if not ({"p", "page_id", "feed", "attachment_id"} & set(args)):
        return None
    if "page_id" in args or "attachment_id" in args:
        abort(404)  # pages and attachments were not imported
    feed = args.get("feed", "")
    if "p" in args:
        number = wp_number(args["p"])
        post = number and db.session.scalar(queries.visible_posts().where(Post.wp_id == number))
        if not post:
            abort(404)
        if feed:
            return moved("public.post_comments_feed", slug=post.slug)
        return moved("public.post", **post_url_args(post, wp_number(args.get("cpage"))))
    if feed in COMMENT_FEEDS:
        return moved("public.comments_feed")
    if feed in RSS_FEEDS:
        return moved("public.feed")
    abort(404)


@bp.get("/<int:year>/<int:month>/<int:day>/<slug>/", strict_slashes=False)
@bp.get("/<int:year>/<int:month>/<slug>/", strict_slashes=False)
@bp.get("/<slug>/", strict_slashes=False)
def post(slug: str, year: int | None = None, month: int | None = None, day: int | None = None):
    return moved("public.post", **post_url_args(visible_post(slug)))


@bp.get("/<int:year>/<int:month>/<int:day>/<slug>/comment-page-<int:page>/")
@bp.get("/<int:year>/<int:month>/<slug>/comment-page-<int:page>/")
@bp.get("/<slug>/comment-page-<int:page>/")
def comment_page(slug: str, page: int, year=None, month=None, day=None):
    if not 1 <= page <= MAX_ID:
        abort(404)
    return moved("public.post", **post_url_args(visible_post(slug), page if page > 1 else None))


@bp.get("/<int:year>/<int:month>/<int:day>/<slug>/feed/")
@bp.get("/<int:year>/<int:month>/<slug>/feed/")
@bp.get("/<slug>/feed/")
def post_feed(slug: str, year=None, month=None, day=None):
    return moved("public.post_comments_feed", slug=visible_post(slug).slug)


@bp.get("/<int:year>/<int:month>/")
def month(year: int, month: int):
    if not (1 <= month <= 12 and 1970 <= year <= 9999):
        abort(404)
    return moved("public.archive", year=year, month=month)


@bp.get("/category/<path:names>/")
@bp.get("/tag/<names>/")
def tag(names: str):
    # Nested categories are /category/parent/child/: the last one is the category.
    slug = names.rstrip("/").rpartition("/")[2]
    tag = db.one_or_404(db.select(Tag).where(Tag.slug == slug))
    return moved("public.tag", slug=tag.slug)


@bp.get("/feed/")
@bp.get("/feed/<any(rss, rss2, atom, rdf):kind>/")
def feed(kind: str = "rss2"):
    return moved("public.feed")


@bp.get("/comments/feed/")
def comments_feed():
    return moved("public.comments_feed")
