"""Which posts use which media: ``post_media``, kept in step with every post that is saved.

After each flush, for the posts whose source (``body_md``) or featured image changed, and only
those, the rows are replaced by what the post uses now: every /media/ID/ address in the source
(pictures, links, <audio>/<video>, [audio]/[video] shortcodes, srcset), every id of a
``[gallery ids="…"]`` and the featured image; ids of items that do not exist are left out.
After the flush, not before, so a new post already has its id; in the same transaction, so the
rows commit (or roll back) with the post. A deleted post's rows go with it (ON DELETE CASCADE).
"""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import delete, event, insert, inspect, select
from sqlalchemy.orm import Session

from ..models import MediaItem, Post, post_media
from .urls import referenced_id

# Anything that looks like an address holding media/ID (URLs end at quotes, spaces, brackets).
_ADDRESS_RE = re.compile(r"[^\s\"'<>()\[\]]*media/[0-9]{1,10}[^\s\"'<>()\[\]]*")
_GALLERY_RE = re.compile(r"\[gallery\b[^\]]*?\bids\s*=\s*[\"']?([0-9,\s]*)", re.IGNORECASE)
_WATCHED = ("body_md", "featured_media_id", "featured_media")


def referenced_ids(body_md: str | None) -> set[int]:
    """The media ids a post's source refers to (existing or not)."""
    found: set[int] = set()
    if not body_md:
        return found
    for address in _ADDRESS_RE.findall(body_md) if "/media/" in body_md else ():
        # "media/3" alone is a word of the text, not an address of this site.
        media_id = referenced_id(address) if "/media/" in address else None
        if media_id is not None:
            found.add(media_id)
    for ids in _GALLERY_RE.findall(body_md):
        found.update(int(part) for part in re.split(r"[,\s]+", ids) if part.isdigit())
    return found


def _changed_posts(session: Session) -> list[Post]:
    changed = [obj for obj in session.new if isinstance(obj, Post)]
    for obj in session.dirty:
        if isinstance(obj, Post) and obj not in session.deleted:
            state = inspect(obj)
            if any(state.attrs[name].history.has_changes() for name in _WATCHED):
                changed.append(obj)
    return changed


def _keep_in_step(session: Session, flush_context) -> None:
    posts = [post for post in _changed_posts(session) if post.id is not None]
    if not posts:
        return
    wanted = {post.id: referenced_ids(post.body_md) for post in posts}
    for post in posts:
        if post.featured_media_id is not None:
            wanted[post.id].add(post.featured_media_id)
    asked = set().union(*wanted.values())
    existing = (
        set(session.execute(select(MediaItem.id).where(MediaItem.id.in_(asked))).scalars())
        if asked
        else set()
    )
    session.execute(delete(post_media).where(post_media.c.post_id.in_(list(wanted))))
    rows = [
        {"post_id": post_id, "media_id": media_id}
        for post_id, ids in wanted.items()
        for media_id in sorted(ids & existing)
    ]
    if rows:
        session.execute(insert(post_media), rows)


def init_app(app: Flask) -> None:
    # One listener for every session of every app (the tests make many apps).
    if not event.contains(Session, "after_flush", _keep_in_step):
        event.listen(Session, "after_flush", _keep_in_step)
