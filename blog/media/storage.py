"""Where the media files live: a local directory (``MEDIA_DIR``, default <instance>/media).

Files are written once under names this site makes (``ab/ab12…[-WxH].ext``, the first two hex
characters of the name as a folder), never under a name someone sent, so a stored name can be
checked against one pattern before anything touches the disk: nothing outside MEDIA_DIR can be
read, written or deleted through it. A write goes to a temporary file in the same folder first
and is renamed into place (``os.replace``), so a reader never sees half a file.

Another storage (S3-compatible object storage for a site on several hosts) would provide the
same methods; docs/media.md says how it would plug in.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path

from flask import current_app

# Only names this site makes: a hash (sha256 hex, shortened) in its folder, an optional size.
NAME_RE = re.compile(
    r"(?P<folder>[0-9a-f]{2})/(?P=folder)[0-9a-f]{14,62}(?:-[1-9][0-9]{0,5}x[1-9][0-9]{0,5})?"
    r"\.(?:jpg|png|gif|webp|avif|mp3|wav|ogg|m4a|mp4|webm|pdf)"
)

# What each stored extension is served as (not guessed from the platform's mime tables, which
# differ between systems: "audio/x-wav" here, nothing for .avif there).
MIME_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "avif": "image/avif",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "ogg": "audio/ogg",
    "m4a": "audio/mp4",
    "mp4": "video/mp4",
    "webm": "video/webm",
    "pdf": "application/pdf",
}


def valid_name(name: object) -> bool:
    """Whether ``name`` is a stored name this site could have made (no traversal possible)."""
    return isinstance(name, str) and NAME_RE.fullmatch(name) is not None


def mime_type_of(name: str) -> str:
    return MIME_TYPES.get(name.rsplit(".", 1)[-1], "application/octet-stream")


class LocalStorage:
    """Media files in a directory of the local disk."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, name: str) -> Path:
        if not valid_name(name):
            raise ValueError(f"{name!r} is not a stored media name")
        return self.root / name

    def exists(self, name: str) -> bool:
        return valid_name(name) and self.path(name).is_file()

    def save(self, name: str, data: bytes) -> bool:
        """Store ``data`` under ``name``; False when the file was there already (same name,
        same bytes: the name comes from the content's hash)."""
        target = self.path(name)
        if target.is_file():
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide it from a separate web server
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        return True

    def delete(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(name).unlink()


def media_root() -> Path:
    # A relative MEDIA_DIR is inside the instance folder (an absolute one replaces it).
    return Path(current_app.instance_path, current_app.config.get("MEDIA_DIR") or "media")


def current_storage() -> LocalStorage:
    return LocalStorage(media_root())
