"""Posts (and, through blog.admin.pages, pages): the list, the editor and its actions, the
preview of a draft as readers will see it, and deleting for good.

Every view asks blog.accounts.roles: ``may_edit`` for the editor and its saves, ``may_publish``
for publishing, scheduling and making private, ``may_delete`` for the trash and deleting,
``may_read`` for the preview. Authors and contributors see only their own posts in the list
(WordPress shows them everyone's, without the actions; ours keeps others' drafts' titles out of
sight too).
"""

from __future__ import annotations

from datetime import UTC

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from ..accounts import roles
from ..extensions import db
from ..models import (
    MediaItem,
    MediaKind,
    MenuItemKind,
    Post,
    PostKind,
    PostStatus,
    SlugRedirect,
    Tag,
    Taxonomy,
    now_utc,
)
from ..reading.slugs import slugify, unique_slug
from ..reading.terms import default_category, get_or_create_tag, get_or_create_term
from ..sanitize import refresh_post_html, render_post_preview
from ..settings import site_timezone, timezone_label
from ..web.forms import EmptyForm
from ..web.htmx import is_htmx, render_page_or_fragment
from ..web.params import MAX_PAGE, int_arg, parse_id, text_arg
from ..web.templating import site_time
from . import bp
from .forms import PostForm

FILTERS = {
    "all": None,
    "published": PostStatus.PUBLISHED.value,
    "scheduled": PostStatus.SCHEDULED.value,
    "drafts": PostStatus.DRAFT.value,
    "pending": PostStatus.PENDING.value,
    "private": PostStatus.PRIVATE.value,
    "trash": PostStatus.TRASH.value,
}
ACTIONS = ("draft", "publish", "schedule", "unpublish", "pending")
# What only an account that may publish can ask for.
PUBLISHING = ("publish", "schedule", "unpublish")
# First slugs of the site's own addresses: a top-level page may not take them.
RESERVED_PAGE_SLUGS = frozenset(
    {
        "admin",
        "posts",
        "tag",
        "category",
        "author",
        "archive",
        "search",
        "feed",
        "comments",
        "static",
        "page",
        "avatar",
        "healthz",
        "sitemap.xml",
        "robots.txt",
    }
)


# --- who may do what --------------------------------------------------------------------------


def own_scope(query):
    """Authors and contributors act only on their own posts; editors on everyone's."""
    if roles.can(g.author, "edit_others_posts"):
        return query
    return query.where(Post.author_id == g.author.id)


def editable(post_id: int) -> Post:
    """The post or page ``post_id`` if this account may change it: 404 / 403 otherwise."""
    post = db.get_or_404(Post, post_id)
    if not roles.may_edit(g.author, post):
        abort(403)
    return post


def deletable(post_id: int) -> Post:
    post = db.get_or_404(Post, post_id)
    if not roles.may_delete(g.author, post):
        abort(403)
    return post


def readable(post_id: int) -> Post:
    post = db.get_or_404(Post, post_id)
    if not roles.may_read(g.author, post):
        abort(403)
    return post


def edit_url(post: Post) -> str:
    endpoint = "admin.page_edit" if post.is_page else "admin.post_edit"
    return url_for(endpoint, post_id=post.id)


def list_url(post: Post) -> str:
    return url_for("admin.pages" if post.is_page else "admin.posts")


# --- the list -----------------------------------------------------------------------------------


@bp.get("/posts")
def posts():
    from .trash import purge_expired

    purge_expired()
    view = request.args.get("status", "all")
    if view not in FILTERS:
        abort(404)
    query = own_scope(select(Post).where(Post.kind == PostKind.POST.value))
    if FILTERS[view]:
        query = query.where(Post.status == FILTERS[view])
    else:
        query = query.where(Post.status != PostStatus.TRASH.value)
    query = query.order_by(Post.created_at.desc(), Post.id.desc())
    search = text_arg("q")
    if search:
        like = f"%{search}%"
        query = query.where(or_(Post.title.ilike(like), Post.body_md.ilike(like)))
    pagination = db.paginate(
        query,
        page=int_arg("page", 1, minimum=1, maximum=MAX_PAGE),
        per_page=int_arg("per_page", 20, minimum=1, maximum=100, clamp=True),
    )
    counted = own_scope(
        select(Post.status, func.count(Post.id))
        .where(Post.kind == PostKind.POST.value)
        .group_by(Post.status)
    )
    counts = dict(db.session.execute(counted).all())
    counts["all"] = sum(n for status, n in counts.items() if status != PostStatus.TRASH.value)
    return render_page_or_fragment(
        "admin/posts.html",
        "admin/_post_table.html",
        pagination=pagination,
        view=view,
        search=search,
        counts=counts,
        filters=FILTERS,
        roles=roles,
        action_form=EmptyForm(),
    )


# --- the editor ---------------------------------------------------------------------------------


def slug_taken_by_another(slug: str, post: Post | None) -> bool:
    """Whether another post or page uses ``slug``, now or as an old address that redirects.
    Trashed posts keep theirs: a restored post comes back at its address."""
    taken = db.session.scalar(select(Post.id).where(Post.slug == slug))
    if taken is not None and (post is None or taken != post.id):
        return True
    redirect_row = db.session.get(SlugRedirect, slug)
    return redirect_row is not None and (post is None or redirect_row.post_id != post.id)


def category_tree() -> list[tuple[Tag, int]]:
    """Every category with its depth, parents before their children, siblings by name."""
    categories = db.session.scalars(
        select(Tag).where(Tag.taxonomy == Taxonomy.CATEGORY.value).order_by(Tag.name, Tag.id)
    ).all()
    children: dict[int | None, list[Tag]] = {}
    known = {category.id for category in categories}
    for category in categories:
        parent = category.parent_id if category.parent_id in known else None
        children.setdefault(parent, []).append(category)
    tree, seen = [], set()

    def walk(parent_id, depth):
        for category in children.get(parent_id, ()):
            if category.id in seen:
                continue
            seen.add(category.id)
            tree.append((category, depth))
            walk(category.id, depth + 1)

    walk(None, 0)
    tree.extend((category, 0) for category in categories if category.id not in seen)
    return tree


def page_tree(exclude: Post | None = None) -> list[tuple[Post, int]]:
    """Every page (not in the trash) with its depth, by order then title; ``exclude`` and its
    descendants are left out (a page cannot become its own parent)."""
    pages = db.session.scalars(
        select(Post)
        .where(Post.kind == PostKind.PAGE.value, Post.status != PostStatus.TRASH.value)
        .order_by(Post.menu_order, Post.title, Post.id)
    ).all()
    known = {page.id for page in pages}
    children: dict[int | None, list[Post]] = {}
    for page in pages:
        parent = page.parent_id if page.parent_id in known else None
        children.setdefault(parent, []).append(page)
    tree, seen = [], set()

    def walk(parent_id, depth):
        for page in children.get(parent_id, ()):
            if page.id in seen:
                continue
            seen.add(page.id)
            if exclude is not None and page.id == exclude.id:
                continue  # and its whole branch
            tree.append((page, depth))
            walk(page.id, depth + 1)

    walk(None, 0)
    return tree


def visibility_of(post: Post) -> str:
    if post.status == PostStatus.PRIVATE.value:
        return "private"
    return "password" if post.password else "public"


def fill_form(form: PostForm, post: Post) -> None:
    """The editor's fields from the saved post (GET)."""
    form.body.data = post.body_md
    form.tags.data = ", ".join(tag.name for tag in post.tags)
    form.category_ids.data = [category.id for category in post.categories]
    form.visibility.data = visibility_of(post)
    form.parent_page.data = str(post.parent_id) if post.parent_id else ""
    form.featured_media_id.data = str(post.featured_media_id) if post.featured_media_id else ""
    if post.published_at:
        # Typed and shown in the site's time zone (setting TIMEZONE), stored in UTC.
        form.publish_at.data = site_time(post.published_at).replace(tzinfo=None)


def choose_parent(form: PostForm, post: Post | None) -> tuple[bool, Post | None]:
    """The parent page typed into the form: (ok, page). A post, a missing page, the page
    itself or one of its descendants is refused next to the field."""
    raw = form.parent_page.data or ""
    if not raw:
        return True, None
    parent_id = parse_id(raw)
    parent = db.session.get(Post, parent_id) if parent_id else None
    allowed = {page.id for page, _ in page_tree(exclude=post)}
    if parent is None or parent.id not in allowed:
        form.parent_page.errors = [*form.parent_page.errors, _("Choose a page from the list.")]
        return False, None
    return True, parent


FEATURED_CHOICES = 50
FEATURED_REFUSED = _l(
    "Choose a picture of the media library (this one is not there, or is not a picture)."
)


def featured_images() -> list[MediaItem]:
    """The pictures the editor offers as a featured image: the newest of the library."""
    return list(
        db.session.scalars(
            select(MediaItem)
            .where(MediaItem.kind == MediaKind.IMAGE.value, MediaItem.stored_name != "")
            .order_by(MediaItem.created_at.desc(), MediaItem.id.desc())
            .limit(FEATURED_CHOICES)
        )
    )


def typed_featured(form: PostForm) -> MediaItem | None:
    """The media item the featured image field names (None: none, or no such item)."""
    raw = form.featured_media_id.data
    media_id = raw if isinstance(raw, int) else parse_id(raw or "")
    return db.session.get(MediaItem, media_id) if media_id else None


def choose_featured(form: PostForm) -> tuple[bool, MediaItem | None]:
    """The featured image typed into the form: (ok, picture). Anything but an existing picture
    is refused next to the field."""
    raw = form.featured_media_id.data
    if raw is None or raw == "":
        return True, None
    item = typed_featured(form)
    if item is None or item.kind != MediaKind.IMAGE.value:
        form.featured_media_id.errors = [*form.featured_media_id.errors, FEATURED_REFUSED]
        return False, None
    return True, item


def apply_form(post: Post, form: PostForm, action: str, kind: str) -> str | None:
    """Copy the form into ``post`` for ``action``; returns an error message or None.

    Every check comes before the first change, so a refused save leaves the post as it was."""
    is_page = kind == PostKind.PAGE.value
    wants_private = form.visibility.data == "private"
    ok, parent = choose_parent(form, post) if is_page else (True, None)
    if not ok:
        return _("Please correct the marked fields.")
    ok, featured = (True, None) if is_page else choose_featured(form)
    if not ok:
        return _("Please correct the marked fields.")
    new_category = "" if is_page else (form.new_category.data or "")
    if new_category and not roles.can(g.author, "manage_categories"):
        form.new_category.errors = [
            *form.new_category.errors,
            _("Only editors add categories; choose one from the list."),
        ]
        return _("Please correct the marked fields.")
    typed = form.publish_at.data
    when = typed.replace(tzinfo=site_timezone()).astimezone(UTC) if typed else None
    now = now_utc()
    if action == "publish" and when is not None and when > now and not wants_private:
        action = "schedule"  # "Publish" with a date in the future schedules, as on WordPress
    if action == "schedule" and wants_private:
        form.visibility.errors = [
            *form.visibility.errors,
            _("A private post is published at once: choose Publish, or another visibility."),
        ]
        return _("Please correct the marked fields.")
    if action == "schedule" and (when is None or when <= now_utc()):
        form.publish_at.errors = [
            *form.publish_at.errors,
            _("Choose a time in the future to schedule."),
        ]
        return _("Please choose when to publish.")

    def is_taken(candidate: str) -> bool:
        if is_page and parent is None and candidate in RESERVED_PAGE_SLUGS:
            return True
        return slug_taken_by_another(candidate, post)

    wanted = form.slug.data or slugify(form.title.data, max_length=200)
    # A slug in use gets -2, -3... as on WordPress, instead of refusing the article.
    slug = unique_slug(wanted, is_taken)
    old_slug = post.slug
    was_public = (
        post.status in (PostStatus.PUBLISHED.value, PostStatus.SCHEDULED.value)
        and post.published_at is not None
    )
    post.kind = kind
    post.title = form.title.data
    post.slug = slug
    post.body_md = form.body.data or ""
    post.summary = form.summary.data or ""
    post.comments_open = form.comments_open.data
    post.password = form.password.data if form.visibility.data == "password" else ""
    if is_page:
        post.parent_id = parent.id if parent else None
        post.menu_order = form.menu_order.data or 0
        post.sticky = False
        post.terms = []
    else:
        chosen = set(form.category_ids.data or ())
        categories = (
            db.session.scalars(
                select(Tag).where(Tag.taxonomy == Taxonomy.CATEGORY.value, Tag.id.in_(chosen))
            ).all()
            if chosen
            else []
        )
        if new_category:
            made = get_or_create_term(new_category, Taxonomy.CATEGORY.value)
            if made not in categories:
                categories.append(made)
        if not categories:
            categories = [default_category()]
        tags = [get_or_create_tag(name) for name in form.tag_names()]
        post.terms = list(categories) + tags
        if roles.may_publish(g.author, post):
            post.sticky = bool(form.sticky.data)
        post.featured_media_id = featured.id if featured is not None else None
    refresh_post_html(post)
    apply_status(post, action, when, now, wants_private)
    if old_slug and old_slug != slug and was_public:
        # Readers and search engines still know the old address.
        db.session.merge(SlugRedirect(old_slug=old_slug, post_id=post.id))
    existing = db.session.get(SlugRedirect, slug)
    if existing is not None and existing.post_id == post.id:
        db.session.delete(existing)  # the article got its old slug back
    return None


def apply_status(post: Post, action: str, when, now, wants_private: bool) -> None:
    published_like = (PostStatus.PUBLISHED.value, PostStatus.PRIVATE.value)
    if action == "publish":
        if post.status not in published_like or post.published_at is None:
            post.published_at = when if when and when <= now else now
        elif post.published_at:
            post.updated_at = now
        post.status = PostStatus.PRIVATE.value if wants_private else PostStatus.PUBLISHED.value
    elif action == "schedule":
        post.status = PostStatus.SCHEDULED.value
        post.published_at = when
    elif action == "unpublish":
        post.status = PostStatus.DRAFT.value
    elif action == "pending":
        post.status = PostStatus.PENDING.value
    elif action == "draft" and post.status in published_like:
        # "Update" on a published post keeps it published (or private, as chosen).
        post.updated_at = now
        post.status = PostStatus.PRIVATE.value if wants_private else PostStatus.PUBLISHED.value


def post_form_response(
    form: PostForm,
    post: Post | None,
    status: int = 200,
    message=None,
    kind: str = PostKind.POST.value,
    autosave=None,
    restored=False,
):
    from .revisions import revision_count

    kind = post.kind if post is not None else kind
    probe = post if post is not None else Post(kind=kind)
    return render_page_or_fragment(
        "admin/post_form.html",
        "admin/_post_form.html",
        status,
        form=form,
        post=post,
        kind=kind,
        message=message,
        now=site_time(now_utc()),
        zone=timezone_label(site_timezone()),
        may_publish=roles.may_publish(g.author, probe),
        may_add_category=roles.can(g.author, "manage_categories"),
        may_delete=post is not None and roles.may_delete(g.author, post),
        categories=category_tree() if kind == PostKind.POST.value else [],
        parent_pages=page_tree(exclude=post) if kind == PostKind.PAGE.value else [],
        revisions=revision_count(post) if post is not None else 0,
        featured_images=featured_images() if kind == PostKind.POST.value else [],
        featured=typed_featured(form) if kind == PostKind.POST.value else None,
        autosave=autosave,
        restored=restored,
    )


def may_create(kind: str) -> bool:
    return roles.can(g.author, "edit_pages" if kind == PostKind.PAGE.value else "edit_posts")


def new_editor(kind: str):
    if not may_create(kind):
        abort(403)
    form = PostForm()
    if request.method == "GET":
        return post_form_response(form, None, kind=kind)
    return save_post(form, None, kind)


def editor(post: Post):
    """GET: the editor (``?autosave=1`` loads the newer autosave into it); POST: save."""
    from .autosave import newer_autosave

    if not roles.may_edit(g.author, post):
        abort(403)
    if post.status == PostStatus.TRASH.value:
        flash(_("\u201c%(title)s\u201d is in the Trash: restore it to edit it.", title=post.title))
        return redirect(url_for("admin.trash"), 303)
    form = PostForm(obj=post)
    if request.method == "POST":
        return save_post(form, post, post.kind)
    fill_form(form, post)
    autosave = newer_autosave(post, g.author)
    if autosave is not None and request.args.get("autosave") == "1":
        form.title.data = autosave.title
        form.body.data = autosave.body_md
        form.summary.data = autosave.summary
        return post_form_response(form, post, restored=True)
    return post_form_response(form, post, autosave=autosave)


@bp.route("/posts/new", methods=["GET", "POST"])
def post_new():
    return new_editor(PostKind.POST.value)


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
def post_edit(post_id: int):
    post = db.get_or_404(Post, post_id)
    if post.is_page and request.method == "GET":
        if not roles.may_edit(g.author, post):
            abort(403)
        return redirect(url_for("admin.page_edit", post_id=post.id, **request.args), 303)
    return editor(post)


def save_post(form: PostForm, post: Post | None, kind: str):
    """Validate, apply the chosen action, keep a revision, and come back to the editor (PRG)."""
    from .autosave import discard_autosave
    from .revisions import record_revision

    action = request.form.get("action", "draft")
    probe = post if post is not None else Post(kind=kind)
    wants_publishing = action in PUBLISHING or form.visibility.data == "private"
    if wants_publishing and not roles.may_publish(g.author, probe):
        abort(403)
    if action not in ACTIONS or not form.validate():
        return post_form_response(
            form, post, 422, _("Please correct the marked fields."), kind=kind
        )
    target = post or Post(author=g.author, status=PostStatus.DRAFT.value, kind=kind)
    before = (post.title, post.body_md, post.summary) if post is not None else None
    # No autoflush: a half-filled new post must not reach the database during the slug check.
    with db.session.no_autoflush:
        problem = apply_form(target, form, action, kind)
    if problem:
        db.session.rollback()
        return post_form_response(form, post, 422, problem, kind=kind)
    db.session.add(target)
    db.session.flush()
    record_revision(target, g.author, before)
    discard_autosave(target, g.author)
    db.session.commit()
    flash(saved_message(target))
    return redirect(edit_url(target), 303)


def saved_message(post: Post) -> str:
    if post.status == PostStatus.SCHEDULED.value:
        zone = site_timezone()
        local = post.published_at.astimezone(zone)
        return _(
            "Scheduled for %(when)s (%(zone)s).",
            when=f"{local:%Y-%m-%d %H:%M}",
            zone=timezone_label(zone),
        )
    if post.status == PostStatus.PUBLISHED.value:
        return _("Published.")
    if post.status == PostStatus.PRIVATE.value:
        return _("Published privately: only signed-in editors and its author see it.")
    if post.status == PostStatus.PENDING.value:
        return _("Submitted for review: an editor will publish it.")
    return _("Draft saved.")


@bp.post("/posts/preview")
def post_preview():
    """The Markdown body as readers will see it, through the same sanitizer."""
    html = render_post_preview(request.form.get("body", ""))
    return render_template("admin/_preview.html", html=html, empty=not request.form.get("body"))


@bp.get("/posts/<int:post_id>/preview")
def preview(post_id: int):
    """The saved post or page (a draft too) as readers will see it, for those who may read it.
    Never cached (the blueprint answers no-store) and never indexed."""
    from ..reading.views import render_article

    post = readable(post_id)
    with db.session.no_autoflush:
        if post.published_at is None:
            post.published_at = now_utc()  # a draft is shown as if published now
        response = render_article(post)
    db.session.rollback()  # nothing the preview changed is kept
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.route("/posts/<int:post_id>/delete", methods=["GET", "POST"])
def post_delete(post_id: int):
    """Delete for good (from the Trash: "Delete permanently"), after a confirmation page."""
    post = deletable(post_id)
    form = EmptyForm()
    if request.method == "POST" and form.validate():
        title, back = post.title, list_url(post)
        if post.status == PostStatus.TRASH.value:
            back = url_for("admin.trash")
        delete_for_good(post)
        db.session.commit()
        flash(_("Deleted \u201c%(title)s\u201d for good.", title=title))
        if is_htmx():
            return "", 200
        return redirect(back, 303)
    return render_template("admin/post_delete.html", post=post, form=form)


def delete_for_good(post: Post) -> None:
    """The post, its comments, revisions and old addresses (the database cascades); its child
    pages move up to the top; menu entries that pointed at it go with it (and the entries
    nested under them, as when a term is deleted)."""
    from .menus import forget_target

    for child in db.session.scalars(select(Post).where(Post.parent_id == post.id)):
        child.parent_id = None
    if post.is_page:
        forget_target(MenuItemKind.PAGE.value, post.id)
    db.session.delete(post)
