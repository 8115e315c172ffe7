"""Blueprint for readers: home, articles, tags, archives, feeds and crawler files."""

from __future__ import annotations

import functools

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from ..caching import article_cache, pagecache
from ..comments import discussion, lifecycle, threads, visitor
from ..comments.avatars import avatar_key, identicon_svg, is_avatar_key
from ..extensions import db
from ..models import Post, Tag
from ..sanitize import post_body
from ..settings import site_config
from ..web.params import MAX_PAGE, int_arg
from ..web.urls import absolute_url
from . import queries

bp = Blueprint("public", __name__)
# Query arguments that a moved article's redirect carries to the new address.
KEPT_ON_MOVE = ("replytocom", "cpage")


def paginate(stmt):
    """Real page numbers from ?page=; a page that does not exist is a 404, sizes are capped."""
    config = site_config()
    return db.paginate(
        stmt,
        page=int_arg("page", 1, minimum=1, maximum=MAX_PAGE),
        per_page=per_page_arg(),
        max_per_page=config["MAX_POSTS_PER_PAGE"],
        error_out=True,
    )


def per_page_arg() -> int:
    config = site_config()
    maximum = config["MAX_POSTS_PER_PAGE"]
    return int_arg("per_page", config["POSTS_PER_PAGE"], minimum=1, maximum=maximum, clamp=True)


LISTING_ARGUMENTS = {"page", "per_page"}


def shared_listing(view):
    """Listings and feeds look the same to every reader: rendered once per content version.

    Keyed by host and full path (page numbers included); other query arguments are not cached,
    so random ones cannot fill the cache.
    """

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if set(request.args) - LISTING_ARGUMENTS:
            return view(*args, **kwargs)
        entry = pagecache.key("listing", request.root_url, request.full_path)
        found = pagecache.get(entry)
        if found is None:
            response = make_response(view(*args, **kwargs))
            if response.status_code != 200:
                return response
            found = (response.get_data(as_text=True), response.mimetype)
            pagecache.put(entry, found)
        body, mimetype = found
        return Response(body, mimetype=mimetype)

    return wrapped


@bp.get("/")
@shared_listing
def index():
    return render_template("reading/index.html", pagination=paginate(queries.visible_posts()))


@bp.get("/posts/<slug>")
def post(slug: str):
    shared = article_cache.cached(slug)
    if shared is not None:
        return shared
    article = queries.visible_post_by_slug(slug)
    if article is None:
        moved = queries.post_moved_from(slug)
        if moved is not None:
            # Only arguments this page understands travel along: request.args passed into
            # url_for would let ?_external=1&_scheme=... choose the redirect's origin.
            kept = {
                name: value
                for name in KEPT_ON_MOVE
                if (value := request.args.get(name, "")).isascii() and value.isdigit()
            }
            return redirect(url_for(".post", slug=moved.slug, **kept), 301)
        abort(404)
    reply_to = None
    if request.args.get("replytocom"):
        # ?replytocom=ID#respond: the no-JavaScript way to reply under a comment, on the
        # comment page that shows it whatever page the link was made on.
        try:
            reply_to = lifecycle.reply_parent(article, request.args["replytocom"])
        except lifecycle.Refused:
            reply_to = None
        page = threads.page_of(reply_to, list(visitor.own_comments())) if reply_to else None
        if page is not None and page != discussion.comment_page():
            links = discussion.thread_links(article, page)
            return redirect(f"{links.reply_url}{reply_to.id}#respond", 303)
    return render_article(article, reply_to=reply_to)


def render_article(
    post: Post, status: int = 200, form=None, reply_to=None, form_message=None
) -> Response:
    """The article with its discussion; the comment views use it for no-JavaScript answers.

    What every anonymous reader sees alike is rendered with marks for the per-reader values and
    kept (article_cache); anything that shows this visitor's own state is rendered for them.
    """
    shared = (form, reply_to, form_message, status) == (None, None, None, 200) and (
        article_cache.is_shared_view(post.slug)
    )
    older, newer = pagecache.remembered(
        pagecache.key("neighbours", post.id), lambda: queries.neighbour_links(post)
    )
    context = discussion.section_context(post, form, reply_to, form_message)
    if shared:
        context = article_cache.mark_per_reader_values(context)
    html = render_template(
        "reading/post.html", body=post_body(post), older=older, newer=newer, **context
    )
    if shared:
        return article_cache.store(post.slug, html, post)
    g.varies_on_hx_request = True
    response = make_response(html, status)
    # The page carries this visitor's CSRF token, held comments and saved name: no shared caches.
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/tag/<slug>")
@shared_listing
def tag(slug: str):
    tag = db.one_or_404(db.select(Tag).where(Tag.slug == slug))
    pagination = paginate(queries.posts_tagged(tag))
    if not pagination.total:
        abort(404)  # a tag that only drafts or scheduled articles use does not exist for readers
    return render_template("reading/tag.html", tag=tag, pagination=pagination)


@bp.get("/archive/<int:year>/<int:month>")
@shared_listing
def archive(year: int, month: int):
    if not (1 <= month <= 12 and 1970 <= year <= 9999):
        abort(404)
    pagination = paginate(queries.posts_in_month(year, month))
    if not pagination.items:
        abort(404)
    return render_template("reading/archive.html", year=year, month=month, pagination=pagination)


@bp.get("/feed.xml")
@shared_listing
def feed():
    posts = db.session.scalars(queries.visible_posts().limit(current_app.config["FEED_SIZE"])).all()
    xml = render_template("reading/feed.xml", posts=posts, body_of=post_body)
    return Response(xml, mimetype="application/atom+xml")


@bp.get("/comments/feed.xml")
def comments_feed():
    comments = db.session.scalars(queries.latest_approved_comments()).all()
    xml = render_template("reading/comments_feed.xml", comments=comments, post=None)
    return Response(xml, mimetype="application/atom+xml")


@bp.get("/posts/<slug>/comments.xml")
def post_comments_feed(slug: str):
    article = queries.visible_post_by_slug(slug)
    if article is None:
        abort(404)
    comments = db.session.scalars(queries.latest_approved_comments(article)).all()
    xml = render_template("reading/comments_feed.xml", comments=comments, post=article)
    return Response(xml, mimetype="application/atom+xml")


@bp.get("/avatar/<key>.svg")
def avatar(key: str):
    if not is_avatar_key(key):
        abort(404)
    response = Response(identicon_svg(key), mimetype="image/svg+xml")
    # The picture for a key never changes.
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@bp.app_template_global("avatar_key")
def avatar_key_for(email: str) -> str:
    return avatar_key(email, current_app.config["SECRET_KEY"])


@bp.get("/sitemap.xml")
def sitemap():
    posts = db.session.scalars(queries.visible_posts()).all()
    xml = render_template("reading/sitemap.xml", posts=posts, tags=queries.tags_in_use())
    return Response(xml, mimetype="application/xml")


@bp.get("/robots.txt")
def robots():
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        f"Sitemap: {absolute_url('.sitemap')}",
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")


@bp.app_context_processor
def sidebar() -> dict:
    # Lazy: only pages that show the sidebar run these queries.
    # Kept per content version: with thousands of posts these are the slowest queries of a page.
    return {
        "archive_months": lambda: pagecache.remembered(
            pagecache.key("archive"), queries.monthly_archive
        ),
        "tag_cloud": lambda: pagecache.remembered(
            pagecache.key("tag-cloud"), queries.tag_links_in_use
        ),
    }


@bp.app_template_global()
def page_url(page: int) -> str:
    """The current listing at another page number; only its known, parsed arguments are kept."""
    args = dict(request.view_args or {}, page=page)
    if "per_page" in request.args:
        args["per_page"] = per_page_arg()
    return url_for(request.endpoint, **args)
