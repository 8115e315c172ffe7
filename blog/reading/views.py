"""Blueprint for readers: home, articles, tags, archives, feeds and crawler files."""

from __future__ import annotations

import functools
import hashlib

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
from flask_babel import gettext as _

from ..caching import article_cache, headers, pagecache
from ..comments import discussion, lifecycle, threads, visitor
from ..comments.avatars import avatar_key, identicon_svg, is_avatar_key
from ..extensions import db, limiter
from ..models import Post
from ..sanitize import post_body, post_page_count, post_teaser, post_text_excerpt
from ..settings import site_config
from ..web.params import MAX_PAGE, int_arg
from ..web.urls import absolute_url, article_page_url, article_url
from . import access, queries
from .forms import WRONG_PASSWORD, UnlockForm

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
    """Listings and feeds look the same to every reader: rendered once per content version,
    and public for shared caches (caching.headers), with a strong ETag: the very bytes.

    Keyed by host and full path (page numbers included); other query arguments are not cached,
    so random ones cannot fill the cache.
    """

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if set(request.args) - LISTING_ARGUMENTS:
            return view(*args, **kwargs)
        entry = pagecache.listing_key("listing-tagged", request.root_url, request.full_path)
        found = pagecache.get(entry)
        if found is None:
            response = make_response(view(*args, **kwargs))
            if response.status_code != 200:
                return response
            body = response.get_data()
            found = (body, response.mimetype, hashlib.sha256(body).hexdigest()[:32])
            pagecache.put(entry, found)
        body, mimetype, etag = found
        if request.if_none_match.contains(etag):
            response = Response(status=304)
        else:
            response = Response(body, mimetype=mimetype)
        response.set_etag(etag)
        return headers.public(response)

    return wrapped


@bp.get("/")
@shared_listing
def index():
    return render_template(
        "reading/index.html", pagination=paginate(queries.home_posts()), show_featured=True
    )


@bp.get("/posts/<slug>")
def post(slug: str):
    return show_post(slug, 1)


@bp.get("/posts/<slug>/<int:page>")
def post_page(slug: str, page: int):
    """Page ``page`` of a post split with <!--nextpage-->; page 1 lives at /posts/SLUG."""
    if page == 1:
        return redirect(url_for(".post", slug=slug), 301)
    if not 2 <= page <= MAX_PAGE:
        abort(404)
    return show_post(slug, page)


def show_post(slug: str, page: int):
    shared = article_cache.cached(slug, page)
    if shared is not None:
        return shared
    article = queries.visible_post_by_slug(slug)
    if article is None:
        article = access.readable_post_by_slug(slug)
    if article is None:
        content = queries.visible_content_by_slug(slug)
        if content is not None and content.is_page:  # a page's slug: it lives at its own address
            return redirect(article_page_url(content, page), 301)
        moved = queries.post_moved_from(slug)
        if moved is not None:
            # Only arguments this page understands travel along: request.args passed into
            # url_for would let ?_external=1&_scheme=... choose the redirect's origin.
            kept = {
                name: value
                for name in KEPT_ON_MOVE
                if (value := request.args.get(name, "")).isascii() and value.isdigit()
            }
            if page > 1:
                return redirect(url_for(".post_page", slug=moved.slug, page=page, **kept), 301)
            return redirect(url_for(".post", slug=moved.slug, **kept), 301)
        abort(404)
    if page > post_page_count(article):
        abort(404)
    reply_to = None
    if request.args.get("replytocom") and not access.is_locked(article):
        # ?replytocom=ID#respond: the no-JavaScript way to reply under a comment, on the
        # comment page that shows it whatever page the link was made on.
        try:
            reply_to = lifecycle.reply_parent(article, request.args["replytocom"])
        except lifecycle.Refused:
            reply_to = None
        cpage = threads.page_of(reply_to, list(visitor.own_comments())) if reply_to else None
        if cpage is not None and cpage != discussion.comment_page():
            links = discussion.thread_links(article, cpage)
            return redirect(f"{links.reply_url}{reply_to.id}#respond", 303)
    return render_article(article, reply_to=reply_to, page=page)


def render_article(
    post: Post,
    status: int = 200,
    form=None,
    reply_to=None,
    form_message=None,
    page: int = 1,
    unlock_form=None,
) -> Response:
    """The article (or a page: reading/page.html) with its discussion; the comment views use it
    for no-JavaScript answers. ``page``: which <!--nextpage--> page of the body.

    What every anonymous reader sees alike is rendered with marks for the per-reader values and
    kept (article_cache); anything that shows this visitor's own state is rendered for them,
    and a private or password-protected post always is (and is kept by no cache at all).
    """
    personal = access.is_personal(post)
    locked = access.is_locked(post)
    shared = (
        not personal
        and (form, reply_to, form_message, status) == (None, None, None, 200)
        and article_cache.is_shared_view(post.slug)
    )
    if post.is_page:
        older = newer = None
    else:
        older, newer = pagecache.remembered(
            pagecache.key("neighbours", post.id), lambda: queries.neighbour_links(post)
        )
    if locked:
        context = {"post": post, "unlock_form": unlock_form or UnlockForm(formdata=None)}
        body = None
        page_count = 1
    else:
        context = discussion.section_context(post, form, reply_to, form_message)
        body = post_body(post, page)
        page_count = post_page_count(post)
    if shared:
        context = article_cache.mark_per_reader_values(context)
    if post.is_page:
        template = "reading/locked_page.html" if locked else "reading/page.html"
    else:
        template = "reading/post.html"
    html = render_template(
        template,
        body=body,
        locked=locked,
        page_number=page,
        page_count=page_count,
        older=older,
        newer=newer,
        **context,
    )
    if shared:
        return article_cache.store(post.slug, html, post, page)
    g.varies_on_hx_request = True
    response = make_response(html, status)
    if personal:
        # Only for this visitor (signed in, or with the password): kept by nobody, the
        # browser's history cache included.
        response.headers["Cache-Control"] = "private, no-store"
    else:
        # The page carries this visitor's CSRF token, held comments and saved name: no shared
        # caches.
        response.headers["Cache-Control"] = "private, no-cache"
    return response


def unlock_rate_limit() -> str:
    return current_app.config["UNLOCK_RATE_LIMIT"]


@bp.post("/posts/<slug>/unlock")
@limiter.limit(unlock_rate_limit, methods=["POST"])
def unlock(slug: str):
    """WordPress's post-password form: the right password is remembered for this session (as
    a proof that changes with the password) and sends the reader back to the article (303); a
    wrong one shows the form again with a message beside the field, status 403 (the content is
    refused; browsers show the page all the same)."""
    post = access.readable_content_by_slug(slug)
    if post is None or not access.is_protected(post):
        abort(404)
    form = UnlockForm()
    typed = form.password.data or ""
    if form.validate() and access.password_matches(post, typed):
        access.remember_unlocked(post)
        return redirect(article_url(post), 303)
    form.password.errors = [*form.password.errors, WRONG_PASSWORD]
    return render_article(post, 403, unlock_form=form)


@bp.app_template_global()
def display_title(post: Post) -> str:
    """The title as WordPress shows it: "Private: " or "Protected: " in front when it is one."""
    if access.is_private(post):
        return _("Private: %(title)s", title=post.title)
    if access.is_protected(post):
        return _("Protected: %(title)s", title=post.title)
    return post.title


@bp.app_template_global()
def listing_teaser(post: Post):
    """The part before <!--more--> for a listing (safe markup), or None."""
    return post_teaser(post)


@bp.app_template_global()
def listing_excerpt(post: Post) -> str:
    """The automatic excerpt: the first words of the post as plain text."""
    return post_text_excerpt(post)


# Tags, categories, authors and years: blog/reading/archives.py.


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
    xml = render_template(
        "reading/feed.xml", posts=posts, body_of=post_body, excerpt_of=post_text_excerpt
    )
    return Response(xml, mimetype="application/atom+xml")


@bp.get("/comments/feed.xml")
def comments_feed():
    comments = db.session.scalars(queries.latest_approved_comments()).all()
    xml = render_template("reading/comments_feed.xml", comments=comments, post=None)
    return Response(xml, mimetype="application/atom+xml")


@bp.get("/posts/<slug>/comments.xml")
def post_comments_feed(slug: str):
    # Posts and pages alike; never a private one, nor one behind a password (a feed reader
    # cannot type it, and its comments are part of what the password guards).
    article = queries.visible_content_by_slug(slug)
    if article is None or access.is_protected(article):
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


# The sitemap: blog/reading/pages.py.


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


# The site's structure (pages, archives, search, menus) registers on this blueprint.
from . import archives, menus, pages, search  # noqa: E402, F401
