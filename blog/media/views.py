"""Serving the media files.

``/media/files/<name>``: a stored file (an original or one size). Its name comes from its
content, so it never changes: cached for a year, immutable. ``nosniff`` and a sandboxing
Content-Security-Policy make sure a file is only ever shown as what it is, never run as a page.

``/media/<id>/<file_name>``: the stable address posts' sources hold; it serves the item's
original (cached briefly: a re-import may give the item its file) or 404 while it has none.
Both answer conditional and range requests (ETag, Last-Modified, Range: a video can be sought
in) and HEAD, through send_from_directory.
"""

from __future__ import annotations

from flask import abort, send_from_directory

from ..extensions import db
from ..models import MediaItem
from ..web.params import MAX_ID
from . import bp
from .storage import current_storage, mime_type_of, valid_name

YEAR = 365 * 24 * 3600
ORIGINAL_MAX_AGE = 600
FILE_POLICY = "default-src 'none'; sandbox"


def _send(name: str, max_age: int, immutable: bool, download_name: str | None = None):
    storage = current_storage()
    if not valid_name(name) or not storage.exists(name):
        abort(404)
    # A PDF (an imported file) is downloaded, not shown: a browser's PDF viewer would run the
    # document's scripts, and refuses to work under the sandbox anyway.
    attachment = name.endswith(".pdf")
    response = send_from_directory(
        storage.root,
        name,
        mimetype=mime_type_of(name),
        max_age=max_age,
        conditional=True,
        as_attachment=attachment,
        download_name=(download_name or name.rsplit("/", 1)[-1]) if attachment else None,
    )
    response.cache_control.public = True
    response.cache_control.immutable = immutable
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = FILE_POLICY
    return response


@bp.get("/media/<int:media_id>/<path:file_name>")
def original(media_id: int, file_name: str):
    item = db.session.get(MediaItem, media_id) if media_id <= MAX_ID else None
    if item is None or item.is_missing:
        abort(404)
    return _send(item.stored_name, ORIGINAL_MAX_AGE, immutable=False, download_name=item.file_name)


@bp.get("/media/files/<path:name>")
def file(name: str):
    return _send(name, YEAR, immutable=True)
