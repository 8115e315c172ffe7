"""The media library in the admin: the list, uploads, each item's details, deleting, and the
editor's "Add media" panel that puts a picture, a player or a gallery into a post.

Roles follow WordPress: ``upload_files`` (administrators, editors, authors) opens the library
and uploads; editors and administrators change and delete everyone's media, authors only their
own. Contributors get a 403 on every route here.

Uploads raise the request size limit for themselves (``MEDIA_MAX_BYTES``) before anything reads
the body; that is also why they check the CSRF token themselves (CSRFProtect would read the
form first and meet the site-wide 1 MB limit). Everything that checks and stores a file lives
in blog.media.library; this module only asks it and shows the answers.
"""

from __future__ import annotations

import html
from pathlib import PurePosixPath

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from ..accounts import roles
from ..extensions import db
from ..media import library, processing, urls
from ..models import MediaItem, MediaKind
from ..web.forms import BaseForm, EmptyForm, strip
from ..web.htmx import is_htmx, render_page_or_fragment
from ..web.params import MAX_PAGE, int_arg, parse_id, text_arg
from ..web.uploads import takes_files
from . import bp

DEFAULT_MAX_BYTES = 32 * 1024 * 1024
KINDS = {
    "image": _l("Images"),
    "audio": _l("Audio"),
    "video": _l("Video"),
    "file": _l("Other files"),
}
ALIGNMENTS = ("aligncenter", "alignleft", "alignright", "alignwide", "alignfull", "alignnone")
SIZES = ("large", "medium", "thumbnail", "full")
ALT_REQUIRED = _l(
    "Describe the picture for people who cannot see it; "
    "it is required before the picture goes into a post."
)
# The fallback formats an <img> in the admin can always show, best first.
SHOWN_FORMATS = ("jpeg", "png", "gif", "webp")
PICKER_SIZE = 30


class MediaDetailsForm(BaseForm):
    title = StringField(_l("Title"), filters=[strip], validators=[Length(max=255)])
    alt_text = TextAreaField(_l("Alternative text"), filters=[strip], validators=[Length(max=1000)])
    caption = TextAreaField(_l("Caption"), filters=[strip], validators=[Length(max=5000)])
    description = TextAreaField(_l("Description"), filters=[strip], validators=[Length(max=20000)])


class InsertForm(BaseForm):
    alt_text = TextAreaField(_l("Alternative text"), filters=[strip], validators=[Length(max=1000)])
    caption = TextAreaField(_l("Caption"), filters=[strip], validators=[Length(max=5000)])


# --- who may do what ----------------------------------------------------------------------------


def may_change(item: MediaItem) -> bool:
    """Editors and administrators change everyone's media; authors only their own."""
    author = g.get("author")
    if not roles.can(author, "upload_files"):
        return False
    return roles.can(author, "edit_others_posts") or item.author_id == author.id


def changeable(media_id: int) -> MediaItem:
    item = db.get_or_404(MediaItem, media_id)
    if not may_change(item):
        abort(403)
    return item


# --- what the templates show --------------------------------------------------------------------


def shown_url(item: MediaItem, size: str = "thumbnail") -> str | None:
    """An address of ``item`` at ``size`` (else the full picture) that any browser shows, or
    None where there is no picture to show (sound, video, a missing file)."""
    if item.kind != MediaKind.IMAGE.value or item.is_missing:
        return None
    sizes = urls.sizes_of(item)
    for name in (size, "full"):
        files = (sizes.get(name) or {}).get("files") or {}
        for fmt in SHOWN_FORMATS:
            if files.get(fmt):
                return urls.file_url(files[fmt])
    return urls.file_url(item.stored_name)


def byte_size(count: int | None) -> str:
    count = count or 0
    if count < 1024:
        return f"{count} bytes"
    if count < 1024 * 1024:
        return f"{count / 1024:.0f} KB"
    return f"{count / (1024 * 1024):.1f} MB"


@bp.app_template_global("media_thumbnail")
def media_thumbnail(item: MediaItem | None) -> str | None:
    return shown_url(item) if item is not None else None


def template_helpers() -> dict:
    return {
        "thumbnail": shown_url,
        "byte_size": byte_size,
        "kinds": KINDS,
        "may_change": may_change,
        "reference": urls.reference_path,
    }


# --- the library --------------------------------------------------------------------------------


def chosen_kind() -> str | None:
    kind = request.args.get("kind") or None
    return kind if kind in KINDS else None


@bp.get("/media")
@roles.require("upload_files")
def media_library():
    search = text_arg("q")
    kind = chosen_kind()
    query = library.search(search, kind).options(selectinload(MediaItem.author))
    pagination = db.paginate(
        query,
        page=int_arg("page", 1, minimum=1, maximum=MAX_PAGE),
        per_page=int_arg("per_page", 24, minimum=1, maximum=100, clamp=True),
    )
    uses = library.uses_by_media([item.id for item in pagination.items])
    return render_page_or_fragment(
        "admin/media.html",
        "admin/_media_list.html",
        pagination=pagination,
        search=search,
        kind=kind,
        uses=uses,
        **template_helpers(),
    )


@bp.route("/media/<int:media_id>/edit", methods=["GET", "POST"])
@roles.require("upload_files")
def media_edit(media_id: int):
    item = changeable(media_id)
    form = MediaDetailsForm(obj=item)
    if request.method == "POST":
        if form.validate():
            library.update_details(
                item,
                title=form.title.data or "",
                alt_text=form.alt_text.data or "",
                caption=form.caption.data or "",
                description=form.description.data or "",
            )
            db.session.commit()
            flash(_("Saved \u201c%(name)s\u201d.", name=item.title or item.file_name))
            return redirect(url_for("admin.media_edit", media_id=item.id), 303)
        status = 422
    else:
        status = 200
    return (
        render_template(
            "admin/media_edit.html",
            item=item,
            form=form,
            used_in=library.uses_of(item),
            delete_form=EmptyForm(),
            **template_helpers(),
        ),
        status,
    )


@bp.route("/media/<int:media_id>/delete", methods=["GET", "POST"])
@roles.require("upload_files")
def media_delete(media_id: int):
    """Asks first. A file posts still use is refused with their list; a second, explicit
    "Delete anyway" (``force``) then deletes it (those posts show a placeholder)."""
    item = changeable(media_id)
    form = EmptyForm()
    used_in = library.uses_of(item)
    refused = False
    if request.method == "POST" and form.validate():
        force = request.form.get("force") == "1"
        name = item.title or item.file_name
        try:
            library.delete_media(item, force=force)
        except library.InUse as error:
            db.session.rollback()
            used_in = list(getattr(error, "posts", None) or (error.args[0] if error.args else []))
            refused = True
        else:
            db.session.commit()
            flash(_("Deleted \u201c%(name)s\u201d.", name=name))
            return redirect(url_for("admin.media_library"), 303)
    return (
        render_template(
            "admin/media_delete.html",
            item=item,
            form=form,
            used_in=used_in,
            refused=refused,
            **template_helpers(),
        ),
        409 if refused else 200,
    )


# --- uploads ------------------------------------------------------------------------------------


def upload_limit() -> int:
    return int(current_app.config.get("MEDIA_MAX_BYTES", DEFAULT_MAX_BYTES))


def too_large_message() -> str:
    megabytes = upload_limit() // (1024 * 1024)
    return _(
        "That is more than this site accepts in one upload (%(megabytes)s MB). "
        "Upload fewer files at once, or make the file smaller.",
        megabytes=megabytes,
    )


def store_upload(upload, alt_text: str) -> dict:
    """One file of the upload: {"name", "item"} when stored, {"name", "message"} when not."""
    name = PurePosixPath((upload.filename or "").replace("\\", "/")).name or "file"
    data = upload.read()
    try:
        item = library.add_media(
            data,
            name,
            author=g.author,
            alt_text=alt_text,
        )
    except processing.UploadRefused as refused:
        db.session.rollback()
        return {"name": name, "item": None, "message": refused.message}
    db.session.commit()
    return {"name": item.file_name, "item": item, "message": ""}


def upload_answer(results: list[dict], status: int, message: str = ""):
    """The results list (for the page's script, one row per file) or the whole page."""
    context = {"results": results, "message": message, **template_helpers()}
    if is_htmx():
        return render_template("admin/_media_results.html", **context), status
    return render_template("admin/media_upload.html", **context), status


@bp.route("/media/upload", methods=["GET", "POST"])
@takes_files("MEDIA_MAX_BYTES")  # the site-wide 1 MB is for forms (blog.web.uploads)
@roles.require("upload_files")
def media_upload():
    if request.method == "GET":
        return upload_answer([], 200)
    try:
        uploads = [f for f in request.files.getlist("file") if f and f.filename]
        alt_text = (request.form.get("alt_text") or "").strip()[:1000]
    except RequestEntityTooLarge:
        return upload_answer([], 413, too_large_message())
    if not uploads:
        return upload_answer([], 422, _("Choose one or more files to upload."))
    # Alt text typed at upload describes one picture; several files get theirs in the library.
    alt_text = alt_text if len(uploads) == 1 else ""
    results = [store_upload(upload, alt_text) for upload in uploads]
    stored = any(result["item"] is not None for result in results)
    return upload_answer(results, 200 if stored else 422)


# --- the editor's "Add media" panel -------------------------------------------------------------


def picker_items(search: str) -> list[MediaItem]:
    query = library.search(search, None).where(MediaItem.stored_name != "").limit(PICKER_SIZE)
    return list(db.session.scalars(query))


@bp.get("/media/picker")
@roles.require("upload_files")
def media_picker():
    """The panel the editor's "Add media" button opens (htmx), or a page of its own."""
    search = text_arg("q")
    return render_page_or_fragment(
        "admin/media_picker.html",
        "admin/_media_picker.html",
        items=picker_items(search),
        search=search,
        **template_helpers(),
    )


def escape(value: str) -> str:
    return html.escape(value, quote=True)


def snippet_for(item: MediaItem, alt_text: str, align: str, size: str, caption: str) -> str:
    """What goes into the post's source (the conventions blog.media.render reads)."""
    source = escape(urls.reference_path(item))
    if item.kind == MediaKind.AUDIO.value:
        return f'<audio src="{source}"></audio>'
    if item.kind == MediaKind.VIDEO.value:
        return f'<video src="{source}"></video>'
    if item.kind != MediaKind.IMAGE.value:
        return f'<a href="{source}">{escape(item.title or item.file_name)}</a>'
    picture = f'<img src="{source}" alt="{escape(alt_text)}" class="size-{size}">'
    figcaption = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
    return f'<figure class="{align}">{picture}{figcaption}</figure>'


def insert_answer(template_context: dict, status: int):
    if is_htmx():
        return render_template("admin/_media_insert.html", **template_context), status
    return render_template("admin/media_insert.html", **template_context), status


@bp.route("/media/<int:media_id>/insert", methods=["GET", "POST"])
@roles.require("upload_files")
def media_insert(media_id: int):
    """Choose how ``item`` goes into the post; POST answers with the snippet to insert. A
    picture needs its alt text: it is saved on the item (when this account may change it)."""
    item = db.get_or_404(MediaItem, media_id)
    form = InsertForm(obj=item)
    align = request.form.get("align", "aligncenter")
    size = request.form.get("size", "large")
    align = align if align in ALIGNMENTS else "aligncenter"
    size = size if size in SIZES else "large"
    if request.method == "GET":
        form.caption.data = item.caption
    context = {
        "item": item,
        "form": form,
        "align": align,
        "size": size,
        "alignments": ALIGNMENTS,
        "sizes": SIZES,
        "snippet": "",
        **template_helpers(),
    }
    if request.method == "GET":
        return insert_answer(context, 200)
    if not form.validate():
        return insert_answer(context, 422)
    alt_text = form.alt_text.data or ""
    is_image = item.kind == MediaKind.IMAGE.value
    if is_image and not alt_text:
        form.alt_text.errors = [*form.alt_text.errors, ALT_REQUIRED]
        return insert_answer(context, 422)
    if is_image and alt_text != item.alt_text and may_change(item):
        library.update_details(
            item,
            title=item.title,
            alt_text=alt_text,
            caption=item.caption,
            description=item.description,
        )
        db.session.commit()
    context["snippet"] = snippet_for(item, alt_text, align, size, form.caption.data or "")
    return insert_answer(context, 200)


def chosen_ids() -> list[int]:
    ids = (parse_id(raw) for raw in request.form.getlist("ids"))
    return list(dict.fromkeys(i for i in ids if i))


@bp.post("/media/gallery")
@roles.require("upload_files")
def media_gallery():
    """Several chosen pictures as ``[gallery ids="…" columns="N"]``; each needs alt text."""
    form = EmptyForm()
    if not form.validate():
        abort(400)
    raw_columns = parse_id(request.form.get("columns", "3")) or 3
    columns = min(max(raw_columns, 1), 9)
    ids = chosen_ids()
    items = db.session.scalars(select(MediaItem).where(MediaItem.id.in_(ids))).all() if ids else []
    by_id = {item.id: item for item in items}
    pictures = [by_id[i] for i in ids if i in by_id and by_id[i].kind == MediaKind.IMAGE.value]
    message, snippet = "", ""
    if len(pictures) < 2:
        message = _("Choose two or more pictures for a gallery (tick them in the list).")
    else:
        lacking = [item.title or item.file_name for item in pictures if not item.alt_text]
        if lacking:
            message = _(
                "Each picture of a gallery needs its alt text first. Missing for: %(names)s."
                " Choose each of them to describe it.",
                names=", ".join(lacking),
            )
        else:
            chosen = ",".join(str(item.id) for item in pictures)
            snippet = f'[gallery ids="{chosen}" columns="{columns}"]'
    context = {"item": None, "gallery_message": message, "snippet": snippet}
    return insert_answer({**context, **template_helpers()}, 422 if message else 200)
