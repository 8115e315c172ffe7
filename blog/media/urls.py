"""The addresses of media.

An article's source refers to an item by its stable address, ``/media/ID/FILE_NAME``: it does
not change when the file is replaced or re-imported, and it reads well in the source. The
files themselves (the original and each size) live at ``/media/files/STORED_NAME``, hashed
names served with an immutable cache lifetime. ``render`` turns the first into the second.
"""

from __future__ import annotations

import json
import re

from flask import url_for

from ..models import MediaItem
from ..web.urls import absolute_url

# /media/12/photo.jpg, with or without the site's own origin or path prefix in front. Group 1 is
# the id. What follows the id is only for people; the id decides.
REFERENCE_RE = re.compile(r"(?:^|/)media/([0-9]{1,10})(?:/[^\s\"'<>?#]*)?(?=$|[?#])")


def reference_path(item: MediaItem) -> str:
    """What a post's source holds for ``item``: /media/ID/FILE_NAME (prefix included)."""
    return url_for("media.original", media_id=item.id, file_name=item.file_name or "file")


def referenced_id(url: str) -> int | None:
    """The media id an address in an article points at, or None for any other address."""
    if "/media/" not in url and not url.startswith("media/"):
        return None
    found = REFERENCE_RE.search(url.split("?", 1)[0].split("#", 1)[0])
    return int(found.group(1)) if found else None


def file_url(stored_name: str, external: bool = False) -> str:
    """A stored file (the original or one size): /media/files/STORED_NAME."""
    if external:
        return absolute_url("media.file", name=stored_name)
    return url_for("media.file", name=stored_name)


def sizes_of(item: MediaItem) -> dict:
    """The sizes made for ``item``: {"768": {"width": …, "height": …, "files": {fmt: name}}}."""
    try:
        sizes = json.loads(item.sizes or "{}")
    except ValueError:
        return {}
    return sizes if isinstance(sizes, dict) else {}
