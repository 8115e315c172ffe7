"""Autosave: while an author types, the editor posts its fields here through htmx.

A post never saved becomes a draft at its first autosave (the answer tells the page its new
address: ``HX-Replace-Url`` and a ``post-created`` event that static/js/editor.js reads); after
that each autosave replaces the one autosave ``Revision`` of this post and author. The editor
offers to restore an autosave newer than the saved post.
"""

from __future__ import annotations

import json
from datetime import datetime

from flask import abort, g, make_response, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from ..extensions import db
from ..models import Author, Post, PostKind, PostStatus, Revision, now_utc
from ..reading.slugs import slugify, unique_slug
from ..reading.terms import default_category
from ..sanitize import refresh_post_html
from ..web.forms import has_visible_text
from . import bp
from .posts import edit_url, editable, may_create, slug_taken_by_another
from .revisions import record_revision

TITLE_MAX, SUMMARY_MAX, BODY_MAX = 200, 1000, 500_000
UNTITLED = "(no title)"


def autosave_of(post: Post, author: Author) -> Revision | None:
    return db.session.scalar(
        select(Revision).where(
            Revision.post_id == post.id,
            Revision.author_id == author.id,
            Revision.autosave.is_(True),
        )
    )


def last_saved(post: Post) -> datetime:
    latest = db.session.scalar(
        select(func.max(Revision.created_at)).where(
            Revision.post_id == post.id, Revision.autosave.is_(False)
        )
    )
    return max(t for t in (post.created_at, post.updated_at, latest) if t is not None)


def newer_autosave(post: Post, author: Author) -> Revision | None:
    """This author's autosave of ``post`` when it is newer than the saved post and differs."""
    autosave = autosave_of(post, author)
    if autosave is None:
        return None
    if (autosave.title, autosave.body_md, autosave.summary) == (
        post.title,
        post.body_md,
        post.summary,
    ):
        return None
    return autosave if autosave.created_at >= last_saved(post) else None


def discard_autosave(post: Post, author: Author) -> None:
    db.session.execute(
        delete(Revision).where(
            Revision.post_id == post.id,
            Revision.author_id == author.id,
            Revision.autosave.is_(True),
        )
    )


def typed() -> tuple[str, str, str] | None:
    """Title, body and excerpt as typed (cleaned as the editor's form cleans them); None when
    too long to keep (the real save shows the message next to the field)."""
    from .forms import PostForm

    form = PostForm()
    title = (form.title.data or "").strip()
    body = form.body.data or ""
    summary = (form.summary.data or "").strip()
    if len(title) > TITLE_MAX or len(body) > BODY_MAX or len(summary) > SUMMARY_MAX:
        return None
    return title, body, summary


def status_response(message: str, status: int = 200):
    return make_response(render_template("admin/_autosave_status.html", message=message), status)


def clock() -> str:
    """Now, in the site's time zone (blog.settings.site_timezone, when it is there)."""
    try:
        from ..settings import site_timezone
    except ImportError:  # pragma: no cover - before the TIMEZONE setting
        return now_utc().strftime("%H:%M UTC")
    return now_utc().astimezone(site_timezone()).strftime("%H:%M")


@bp.post("/posts/autosave")
def autosave_new():
    """The first autosave of a post (``?kind=page``: a page) never saved: it becomes a draft."""
    kind = PostKind.PAGE.value if request.args.get("kind") == "page" else PostKind.POST.value
    if not may_create(kind):
        abort(403)
    fields = typed()
    if fields is None:
        return status_response(_("Too long to autosave: save the draft to see what to shorten."))
    title, body, summary = fields
    if not has_visible_text(title) and not body.strip():
        return status_response("")
    post = Post(
        author=g.author,
        status=PostStatus.DRAFT.value,
        kind=kind,
        title=title if has_visible_text(title) else UNTITLED,
        body_md=body,
        summary=summary,
    )
    with db.session.no_autoflush:
        wanted = slugify(title, max_length=200) if has_visible_text(title) else "draft"
        post.slug = unique_slug(wanted, lambda candidate: slug_taken_by_another(candidate, None))
        if kind == PostKind.POST.value:
            post.terms = [default_category()]
    refresh_post_html(post)
    db.session.add(post)
    db.session.flush()
    record_revision(post, g.author, None)
    db.session.commit()
    response = status_response(_("Draft saved at %(time)s.", time=clock()))
    urls = {
        "editUrl": edit_url(post),
        "autosaveUrl": url_for("admin.autosave", post_id=post.id),
        "previewUrl": url_for("admin.preview", post_id=post.id),
    }
    response.headers["HX-Replace-Url"] = urls["editUrl"]
    response.headers["HX-Trigger"] = json.dumps({"post-created": urls})
    return response


@bp.post("/posts/<int:post_id>/autosave")
def autosave(post_id: int):
    """Keep what is typed as this author's one autosave of the post (replacing the last)."""
    post = editable(post_id)
    if post.status == PostStatus.TRASH.value:
        return status_response(_("This post is in the Trash: nothing was autosaved."), 409)
    fields = typed()
    if fields is None:
        return status_response(_("Too long to autosave: save the draft to see what to shorten."))
    title, body, summary = fields
    discard_autosave(post, g.author)
    if (title, body, summary) != (post.title, post.body_md, post.summary):
        db.session.add(
            Revision(
                post_id=post.id,
                author_id=g.author.id,
                title=title or UNTITLED,
                body_md=body,
                summary=summary,
                autosave=True,
            )
        )
    db.session.commit()
    return status_response(_("Draft saved at %(time)s.", time=clock()))
