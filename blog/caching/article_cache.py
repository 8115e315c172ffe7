"""The article page as most readers get it: rendered once per version of the article, shared by all.

A reader who is not signed in, has no comment of their own to see on this article and no reply
form open sees exactly what every such reader sees, except values of the comment form: the
form's signed timestamp, and the name, email and website that "Save my name..." prefills. So
that page is rendered once with secret marks in their place, cached (``pagecache``: in process
or Redis), and each request only puts this reader's values in. Everyone else gets the page
rendered for them.

No per-reader token is in it: a reader's comment is protected from cross-site forgery by the
browser's own Sec-Fetch-Site and Origin headers (blog/web/forgery.py), and the timestamp counts
whole seconds. So a reader without the "Save my name" cookie gets the same bytes as every other
such reader in the same second, marked ``public`` for a shared cache (nginx's microcache, a CDN)
to keep for a second or so (``headers.public``). A remembered commenter's page is ``private``.

A weak ETag names the shared page and the remembered values, so a conditional GET answers 304
before anything is rendered or substituted. It is weak because the timestamp inside moves every
second while the page means the same: a copy kept by a browser keeps its older timestamp, which
only makes the form older. It changes every half CSRF lifetime, so no kept copy holds a
timestamp older than a form may be sent with.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from datetime import timedelta

from flask import Response, current_app, g, render_template, request
from markupsafe import escape
from sqlalchemy import or_, select

from ..comments import discussion, threads, visitor
from ..extensions import db
from ..models import Comment, CommentStatus, Post, now_utc
from ..settings import site_config
from . import headers, pagecache

ONLY_ARGUMENT = {"cpage"}


def _mark(purpose: str) -> str:
    """A placeholder nobody can type into a comment: derived from the secret key."""
    app = current_app._get_current_object()
    marks = app.extensions.setdefault("blog.page_marks", {})
    secret = app.config["SECRET_KEY"]
    found = marks.get((purpose, secret))
    if found is None:
        raw = secret.encode() if isinstance(secret, str) else secret
        digest = hmac.new(raw, b"page-mark:" + purpose.encode(), "sha256").hexdigest()
        found = marks[(purpose, secret)] = f"mark-{purpose}-{digest[:24]}"
    return found


# The values of the shared page that are put in per request: the form's timestamp, and the
# name, email and website (and the ticked box) that "Save my name..." prefills.
PER_READER = ("stamp", "author", "email", "url", "remember")


def mark_per_reader_values(context: dict) -> dict:
    """Render ``context`` (with a comment form) for every reader: marks stand where the form
    shows per-reader values, and the box's mark where "checked" goes. ``split_at_marks`` cuts
    the result for ``fill``."""
    form = context["form"]
    form.stamp.data = _mark("stamp")
    form.author.data = _mark("author")
    form.email.data = _mark("email")
    form.url.data = _mark("url")
    form.remember.data = False
    form.remember.render_kw = {_mark("remember"): True}
    return context


def is_shared_view(slug: str) -> bool:
    """This request shows what every anonymous first-time reader of the page sees."""
    return (
        request.method == "GET"
        and g.get("author") is None
        and set(request.args) <= ONLY_ARGUMENT
        and not own_comments_shown_on(slug)
    )


def own_comments_shown_on(slug: str) -> bool:
    """Whether this article shows the visitor something of their own comments: one that waits
    (held, or silently spammed) or one they may still edit or delete.

    A reader who commented elsewhere, or whose comments here are published and past the edit
    window, sees the shared page like everyone else (one query, for visitors with such a cookie
    only), instead of a page rendered for them on every visit for COMMENT_OWN_DAYS."""
    own = visitor.own_comments()
    if not own:
        return False
    shown = db.session.scalar(
        select(Comment.id)
        .join(Post, Post.id == Comment.post_id)
        .where(Post.slug == slug, own_comments_shown_condition(list(own)))
        .limit(1)
    )
    return shown is not None


def own_comments_shown_condition(own_ids: list[int]):
    """Which of the visitor's comments (``own_ids``) the page shows them as theirs: waiting
    (held, silently spammed) or still in their edit window."""
    cutoff = now_utc() - timedelta(minutes=site_config()["COMMENT_EDIT_MINUTES"])
    return Comment.id.in_(own_ids) & or_(
        Comment.status.not_in((CommentStatus.APPROVED.value, *threads.HIDDEN_FROM_OWNER)),
        Comment.created_at > cutoff,
    )


def entry_key(slug: str, page: int = 1) -> str:
    # The root (scheme, host and script root, which blog/web/urls.py fixes to SITE_URL's path) is in
    # the page's links, so it is in the key. "pieces": the entry's shape. ``page``: the post's
    # <!--nextpage--> page, each kept apart. The path: a page rendered at /SLUG/ is never served
    # at /posts/SLUG (which redirects to it).
    return pagecache.article_key(
        pagecache.discussion_version(slug),
        "article-pieces",
        request.root_url,
        request.path,
        slug,
        page,
        discussion.comment_page(),
    )


def cached(slug: str, page: int = 1) -> Response | None:
    """The shared page from the cache, made this reader's; None when it must be rendered.
    Private and password-protected posts are never stored (views.render_article)."""
    if not is_shared_view(slug):
        return None
    entry = entry_key(slug, page)
    pieces = pagecache.get(entry)
    if pieces is None:
        return None
    return personalise(pieces, entry)


def store(slug: str, html: str, post, page: int = 1) -> Response:
    """Keep the shared page (until the content changes, or comments close by age)."""
    if post.password or post.status == "private":
        raise ValueError("a private or protected post is never shared")
    entry = entry_key(slug, page)
    pieces = split_at_marks(html)
    pagecache.put(entry, pieces, threads.comments_close_at(post))
    return personalise(pieces, entry)


def split_at_marks(html: str) -> tuple:
    """The page as UTF-8 bytes cut where a mark stood, each cut naming the value that goes there.

    A request then joins bytes with its own token and stamp: no search through the page and no
    encoding of it per request. (Names from PER_READER alternate with byte strings.)"""
    marks = {_mark(name): name for name in PER_READER}
    pattern = "(" + "|".join(map(re.escape, marks)) + ")"
    return tuple(
        marks[part] if index % 2 else part.encode()
        for index, part in enumerate(re.split(pattern, html))
    )


def fresh_form_mark() -> str:
    """Where a fragment leaves room for ``fresh_form``'s bytes (see comments.posted_answer)."""
    return _mark("fresh-form")


def fresh_form(post) -> bytes | None:
    """The blank comment form as the answer to a post shows it, from the cache, with this
    reader's values put in (UTF-8); None for a signed-in author, whose form is rendered.

    It is the same for every reader of the article but for the marked values, and depends on
    nothing but the templates and the article's address: it is kept under those, not under the
    content version, which the very post being answered has just replaced (rendering the form
    was a sixth of a post). Only posts that may be answered get here: the form is never the
    "comments are closed" notice."""
    if g.get("author") is not None:
        return None
    entry = pagecache.template_key("fresh-form", request.root_url, post.id, post.slug)
    pieces = pagecache.get(entry)
    if pieces is None:
        context = mark_per_reader_values(discussion.form_context(post))
        html = render_template("comments/_form.html", **context)
        pieces = split_at_marks(html)
        pagecache.put_lasting(entry, pieces)
    return fill(pieces, _reader_values(visitor.remembered_commenter()))


def fill(pieces: tuple, values: dict[str, bytes]) -> bytes:
    """The pieces of ``split_at_marks`` joined with this reader's values where the marks stood."""
    return b"".join(values[piece] if isinstance(piece, str) else piece for piece in pieces)


def _etag(entry: str, remembered: dict) -> str:
    lifetime = current_app.config.get("WTF_CSRF_TIME_LIMIT") or 0
    period = int(time.time() // max(1, lifetime // 2)) if lifetime else 0
    saved = "\0".join(remembered.get(key, "") for key in ("author", "email", "url"))
    key = f"{entry}\0{period}\0{bool(remembered)}\0{saved}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _reader_values(remembered: dict) -> dict[str, bytes]:
    """What this reader's page puts where the marks stood (values escaped for attributes)."""
    values = {"stamp": visitor.form_stamp()}
    for key in ("author", "email", "url"):
        values[key] = str(escape(remembered.get(key, "")))
    values["remember"] = "checked" if remembered else ""
    return {name: value.encode() for name, value in values.items()}


def personalise(pieces: tuple, entry: str) -> Response:
    remembered = visitor.remembered_commenter()
    etag = _etag(entry, remembered)
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        body = fill(pieces, _reader_values(remembered))
        response = Response(body, mimetype="text/html")
    response.set_etag(etag, weak=True)
    if remembered:
        # Prefilled with this reader's name and email: theirs alone; ask again each time.
        response.headers["Cache-Control"] = headers.PRIVATE
    else:
        headers.public(response)
    # The "Save my name" cookie changes the page (and a shared cache must not give the public
    # page to a reader whose own comment waits: nginx passes such readers by).
    response.vary.add("Cookie")
    g.varies_on_hx_request = True
    return response
