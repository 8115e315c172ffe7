"""Articles: list, write with a live preview, publish, schedule, unpublish, delete."""

from __future__ import annotations

from datetime import UTC

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select

from ..extensions import db
from ..models import Post, PostStatus, SlugRedirect, now_utc
from ..reading.slugs import slugify, unique_slug
from ..reading.terms import get_or_create_tag
from ..sanitize import refresh_post_html, render_post_preview
from ..web.forms import EmptyForm
from ..web.htmx import is_htmx, render_page_or_fragment
from ..web.params import MAX_PAGE, int_arg, text_arg
from . import bp
from .forms import PostForm

FILTERS = {
    "all": None,
    "published": PostStatus.PUBLISHED.value,
    "scheduled": PostStatus.SCHEDULED.value,
    "drafts": PostStatus.DRAFT.value,
}
ACTIONS = ("draft", "publish", "schedule", "unpublish")


@bp.get("/posts")
def posts():
    view = request.args.get("status", "all")
    if view not in FILTERS:
        abort(404)
    query = select(Post).order_by(Post.created_at.desc(), Post.id.desc())
    if FILTERS[view]:
        query = query.where(Post.status == FILTERS[view])
    search = text_arg("q")
    if search:
        like = f"%{search}%"
        query = query.where(or_(Post.title.ilike(like), Post.body_md.ilike(like)))
    pagination = db.paginate(
        query,
        page=int_arg("page", 1, minimum=1, maximum=MAX_PAGE),
        per_page=int_arg("per_page", 20, minimum=1, maximum=100, clamp=True),
    )
    counts = dict(
        db.session.execute(select(Post.status, func.count(Post.id)).group_by(Post.status)).all()
    )
    return render_page_or_fragment(
        "admin/posts.html",
        "admin/_post_table.html",
        pagination=pagination,
        view=view,
        search=search,
        counts=counts,
        filters=FILTERS,
    )


def slug_taken_by_another(slug: str, post: Post | None) -> bool:
    """Whether another post uses ``slug``, now or as an old address that still redirects."""
    taken = db.session.scalar(select(Post.id).where(Post.slug == slug))
    if taken is not None and (post is None or taken != post.id):
        return True
    redirect_row = db.session.get(SlugRedirect, slug)
    return redirect_row is not None and (post is None or redirect_row.post_id != post.id)


def apply_form(post: Post, form: PostForm, action: str) -> str | None:
    """Copy the form into ``post`` for ``action``; returns an error message or None."""
    wanted = form.slug.data or slugify(form.title.data, max_length=200)
    # A slug in use gets -2, -3... as on WordPress, instead of refusing the article.
    slug = unique_slug(wanted, lambda candidate: slug_taken_by_another(candidate, post))
    when = form.publish_at.data.replace(tzinfo=UTC) if form.publish_at.data else None
    now = now_utc()
    if action == "publish" and when is not None and when > now:
        action = "schedule"  # "Publish" with a date in the future schedules, as on WordPress
    if action == "schedule" and (when is None or when <= now_utc()):
        form.publish_at.errors = [
            *form.publish_at.errors,
            "Choose a time in the future to schedule.",
        ]
        return "Please choose when to publish."
    old_slug = post.slug
    was_public = post.status != PostStatus.DRAFT.value and post.published_at is not None
    post.title = form.title.data
    post.slug = slug
    post.body_md = form.body.data or ""
    post.summary = form.summary.data or ""
    post.comments_open = form.comments_open.data
    post.tags = [get_or_create_tag(name) for name in form.tag_names()]
    refresh_post_html(post)
    if action == "publish":
        if post.status != PostStatus.PUBLISHED.value or post.published_at is None:
            post.published_at = when if when and when <= now else now
        elif post.published_at:
            post.updated_at = now
        post.status = PostStatus.PUBLISHED.value
    elif action == "schedule":
        post.status = PostStatus.SCHEDULED.value
        post.published_at = when
    elif action == "unpublish":
        post.status = PostStatus.DRAFT.value
    elif action == "draft" and post.status == PostStatus.PUBLISHED.value:
        post.updated_at = now  # "Update" on a published article keeps it published
    if old_slug and old_slug != slug and was_public:
        # Readers and search engines still know the old address.
        db.session.merge(SlugRedirect(old_slug=old_slug, post_id=post.id))
    existing = db.session.get(SlugRedirect, slug)
    if existing is not None and existing.post_id == post.id:
        db.session.delete(existing)  # the article got its old slug back
    return None


def post_form_response(form: PostForm, post: Post | None, status: int = 200, message=None):
    return render_page_or_fragment(
        "admin/post_form.html",
        "admin/_post_form.html",
        status,
        form=form,
        post=post,
        message=message,
        now=now_utc(),
    )


@bp.route("/posts/new", methods=["GET", "POST"])
def post_new():
    form = PostForm()
    if request.method == "GET":
        return post_form_response(form, None)
    return save_post(form, None)


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
def post_edit(post_id: int):
    post = db.get_or_404(Post, post_id)
    form = PostForm(obj=post)
    if request.method == "GET":
        form.body.data = post.body_md
        form.tags.data = ", ".join(tag.name for tag in post.tags)
        if post.published_at:
            form.publish_at.data = post.published_at.replace(tzinfo=None)
        return post_form_response(form, post)
    return save_post(form, post)


def save_post(form: PostForm, post: Post | None):
    """Validate, apply the chosen action, and come back to the editor (PRG)."""
    action = request.form.get("action", "draft")
    if action not in ACTIONS or not form.validate():
        return post_form_response(form, post, 422, "Please correct the marked fields.")
    target = post or Post(author=g.author, status=PostStatus.DRAFT.value)
    # No autoflush: a half-filled new post must not reach the database during the slug check.
    with db.session.no_autoflush:
        problem = apply_form(target, form, action)
    if problem:
        db.session.rollback()
        return post_form_response(form, post, 422, problem)
    db.session.add(target)
    db.session.commit()
    flash(saved_message(target))
    return redirect(url_for("admin.post_edit", post_id=target.id), 303)


def saved_message(post: Post) -> str:
    if post.status == PostStatus.SCHEDULED.value:
        return f"Scheduled for {post.published_at:%Y-%m-%d %H:%M} UTC."
    if post.status == PostStatus.PUBLISHED.value:
        return "Published."
    return "Draft saved."


@bp.post("/posts/preview")
def post_preview():
    """The Markdown body as readers will see it, through the same sanitizer."""
    html = render_post_preview(request.form.get("body", ""))
    return render_template("admin/_preview.html", html=html, empty=not request.form.get("body"))


@bp.route("/posts/<int:post_id>/delete", methods=["GET", "POST"])
def post_delete(post_id: int):
    post = db.get_or_404(Post, post_id)
    form = EmptyForm()
    if request.method == "POST" and form.validate():
        title = post.title
        db.session.delete(post)
        db.session.commit()
        flash(f"Deleted \u201c{title}\u201d.")
        if is_htmx():
            return "", 200
        return redirect(url_for("admin.posts"), 303)
    return render_template("admin/post_delete.html", post=post, form=form)
