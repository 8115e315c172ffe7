"""Adding, changing, finding and deleting media items.

``add_media`` checks an upload by its content (blog.media.processing), stores its files and
fills the record; the caller commits. Files follow the transaction: those written for a
transaction that rolls back are removed again, and those of a deleted (or replaced) item are
removed only once the deletion is committed, and only when no other item has the same stored
name (the same bytes uploaded twice share their files, the names coming from their hash).

An item's details and sizes are part of the HTML of the posts that use it (its alt text, its
caption, the srcset): changing or deleting it renders those posts again.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import datetime

from sqlalchemy import delete, event, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from ..extensions import db
from ..models import Author, MediaItem, MediaKind, Post, post_media
from ..sanitize import refresh_post_html
from ..web.text import clean_multiline, one_line
from . import processing
from .storage import LocalStorage, current_storage
from .urls import sizes_of

FILE_NAME_MAX = 200
_NOT_IN_NAMES = re.compile(r"[^\w.\-]+")


class InUse(Exception):
    """The item is still used by ``posts``; deleting it would break them."""

    def __init__(self, posts: list[Post]) -> None:
        super().__init__(f"used by {len(posts)} posts")
        self.posts = posts


def clean_file_name(file_name: str) -> str:
    """The name shown and used in the item's address: the last part of what was sent, spaces
    as hyphens, only letters, digits, '.', '-' and '_' (WordPress's sanitize_file_name)."""
    name = one_line(file_name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name).strip()
    name = _NOT_IN_NAMES.sub("-", name).strip(".-_")
    if len(name) > FILE_NAME_MAX:
        stem, dot, extension = name.rpartition(".")
        if dot and len(extension) <= 10:
            name = stem[: FILE_NAME_MAX - len(extension) - 1] + "." + extension
        else:
            name = name[:FILE_NAME_MAX]
    return name or "file"


def title_from(file_name: str) -> str:
    """WordPress's default title: the file name without its extension, '-'/'_' as spaces."""
    stem = file_name.rsplit(".", 1)[0] if "." in file_name else file_name
    return re.sub(r"[-_]+", " ", stem).strip()[:255] or file_name


def stored_names(item: MediaItem) -> set[str]:
    """Every file of ``item``: the original and each size in each format."""
    names = {item.stored_name} if item.stored_name else set()
    for size in sizes_of(item).values():
        files = size.get("files") if isinstance(size, dict) else None
        if isinstance(files, dict):
            names.update(name for name in files.values() if isinstance(name, str))
    return names


# --- files follow the transaction ---------------------------------------------------------------

_WRITTEN = "media_files_written"  # session.info: written in this transaction (undone on rollback)
_UNLINK = "media_files_unlink"  # session.info: to remove once this transaction commits


def _remember(key: str, storage: LocalStorage, names) -> None:
    db.session.info.setdefault(key, []).extend((str(storage.root), name) for name in names)


def _remove(pending) -> None:
    for root, name in pending:
        LocalStorage(root).delete(name)


@event.listens_for(Session, "after_commit")
def _files_after_commit(session: Session) -> None:
    session.info.pop(_WRITTEN, None)
    _remove(session.info.pop(_UNLINK, ()))


@event.listens_for(Session, "after_rollback")
def _files_after_rollback(session: Session) -> None:
    session.info.pop(_UNLINK, None)
    _remove(session.info.pop(_WRITTEN, ()))


def _remove_when_unused(item: MediaItem, names: set[str], stored_name: str) -> None:
    """Remove ``names`` (an item's files) on commit unless another item has the same bytes."""
    if not names:
        return
    others = select(func.count()).where(MediaItem.stored_name == stored_name)
    if item.id is not None:
        others = others.where(MediaItem.id != item.id)
    if stored_name and db.session.scalar(others):
        return
    _remember(_UNLINK, current_storage(), sorted(names))


# --- the API ------------------------------------------------------------------------------------


def add_media(
    data: bytes,
    file_name: str,
    *,
    author: Author | None = None,
    title: str = "",
    alt_text: str = "",
    caption: str = "",
    description: str = "",
    wp_id: int | None = None,
    wp_parent_id: int | None = None,
    source_url: str = "",
    created_at: datetime | None = None,
    item: MediaItem | None = None,
    allow_files: bool = False,
) -> MediaItem:
    """Check ``data`` by its content, store it in its sizes and fill a record (a new one, or
    ``item``); flushed, not committed. UploadRefused (with ``.message``) when refused: then
    nothing is stored and no record changes."""
    shown = clean_file_name(file_name)
    processed = processing.process(data, shown, allow_files=allow_files)
    storage = current_storage()
    written: list[str] = []
    try:
        for name, content in processed.files.items():
            if storage.save(name, content):
                written.append(name)
    except BaseException:
        for name in written:
            storage.delete(name)
        raise
    _remember(_WRITTEN, storage, written)

    existing = item is not None and item.id is not None
    replacing = item is not None and bool(item.stored_name)
    old_names, old_stored = (stored_names(item), item.stored_name) if replacing else (set(), "")
    if item is None:
        item = MediaItem(
            file_name=shown,
            title=one_line(title).strip()[:255] or title_from(shown),
            author_id=author.id if author is not None else None,
        )
        db.session.add(item)
    else:
        item.file_name = shown if not item.file_name else item.file_name
        if title:
            item.title = one_line(title).strip()[:255]
        if author is not None:
            item.author_id = author.id
    for column, value in (
        ("alt_text", one_line(alt_text).strip()[:1000]),
        ("caption", clean_multiline(caption).strip()),
        ("description", clean_multiline(description).strip()),
        ("source_url", one_line(source_url).strip()[:2000]),
    ):
        if value:
            setattr(item, column, value)
    if wp_id is not None:
        item.wp_id = wp_id
    if wp_parent_id is not None:
        item.wp_parent_id = wp_parent_id
    if created_at is not None:
        item.created_at = created_at
    item.kind = processed.kind
    item.mime_type = processed.mime_type
    item.stored_name = processed.original
    item.byte_size = processed.byte_size
    item.width = processed.width
    item.height = processed.height
    item.sizes = _sizes_json(processed.sizes)
    db.session.flush()
    if replacing and old_stored != item.stored_name:
        _remove_when_unused(item, old_names - stored_names(item), old_stored)
    if existing:
        # Posts showed a placeholder (a missing file) or the old sizes: rendered again.
        _render_users_again(item)
    return item


def _sizes_json(sizes: dict) -> str:
    return json.dumps(sizes, separators=(",", ":"), sort_keys=True)


def update_details(
    item: MediaItem, *, title: str, alt_text: str, caption: str, description: str
) -> None:
    """Change what is said about ``item``; the posts showing it are rendered again."""
    item.title = one_line(title).strip()[:255] or title_from(item.file_name)
    item.alt_text = one_line(alt_text).strip()[:1000]
    item.caption = clean_multiline(caption).strip()
    item.description = clean_multiline(description).strip()
    db.session.flush()
    _render_users_again(item)


def delete_media(item: MediaItem, *, force: bool = False) -> list[Post]:
    """Delete ``item`` and (once committed) its files; InUse while posts use it, unless
    ``force``: then those posts lose it (a placeholder where it stood, no featured image) and
    are returned."""
    posts = uses_of(item)
    if posts and not force:
        raise InUse(posts)
    names, stored = stored_names(item), item.stored_name
    for post in posts:
        if post.featured_media_id == item.id:
            post.featured_media = None  # the relationship too: it must not keep the deleted item
    db.session.execute(delete(post_media).where(post_media.c.media_id == item.id))
    _remove_when_unused(item, names, stored)
    db.session.delete(item)
    db.session.flush()
    for post in posts:
        refresh_post_html(post)
    db.session.flush()
    return posts


def uses_of(item: MediaItem) -> list[Post]:
    """The posts (and pages) that use ``item``, in the body or as featured image."""
    if item.id is None:
        return []
    query = (
        select(Post)
        .join(post_media, post_media.c.post_id == Post.id)
        .where(post_media.c.media_id == item.id)
        .order_by(Post.title, Post.id)
    )
    return list(db.session.scalars(query))


def uses_by_media(ids) -> dict[int, list[Post]]:
    """For the library's list: the posts using each of ``ids``, in one query."""
    ids = list(ids)
    found: dict[int, list[Post]] = {media_id: [] for media_id in ids}
    if not ids:
        return found
    query = (
        select(post_media.c.media_id, Post)
        .join(Post, Post.id == post_media.c.post_id)
        .where(post_media.c.media_id.in_(ids))
        .order_by(Post.title, Post.id)
    )
    for media_id, post in db.session.execute(query):
        found[media_id].append(post)
    return found


def _like(words: str) -> str:
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search(query: str, kind: str | None = None) -> Select:
    """Items whose title, file name, alt text or caption hold ``query`` (every word of it),
    of ``kind`` if given (image, audio, video, file), newest first."""
    statement = select(MediaItem)
    if kind:
        if kind not in {k.value for k in MediaKind}:
            return statement.where(False).order_by(MediaItem.id)
        statement = statement.where(MediaItem.kind == kind)
    for word in one_line(query or "").split()[:10]:
        pattern = _like(word.lower())
        statement = statement.where(
            or_(
                *(
                    func.lower(column).like(pattern, escape="\\")
                    for column in (
                        MediaItem.title,
                        MediaItem.file_name,
                        MediaItem.alt_text,
                        MediaItem.caption,
                    )
                )
            )
        )
    return statement.order_by(MediaItem.created_at.desc(), MediaItem.id.desc())


def _render_users_again(item: MediaItem) -> None:
    """Posts showing ``item`` hold its alt text, caption and sizes in their cached HTML."""
    posts = uses_of(item)
    for post in posts:
        refresh_post_html(post)
    if posts:
        db.session.flush()
