"""Static files under content-hashed names, cached for a year, precompressed (WhiteNoise).

At start-up every file in static/ is hashed (SHA-256 of its bytes) and copied once, as
``css/blog.<hash>.css``, into a folder named after the whole set (``<instance>/static-cache/
<version>/``), with ``.gz`` and ``.br`` versions beside it when they are smaller. WhiteNoise
serves that folder in front of Flask: ``Cache-Control: public, max-age=…, immutable``, the
encoding the browser accepts (``Vary: Accept-Encoding``), ETag and range support.
``url_for('static', filename='css/blog.css')`` returns the hashed address (a ``url_defaults``
hook), so templates need no change and a new release links new names: a browser never keeps
stale CSS or JS. There is no separate collect step to forget at deploy time; the work is done
once per release (later starts find the folder complete) and its cost is a few milliseconds.

An address with another release's hash answers 404 (only the current set is served). The plain
names (``/static/css/blog.css``) still work through Flask's own static view, revalidated on
every use (``no-cache`` with an ETag), for anything that links them by hand.

A start that cannot write the folder (a full disk, a read-only instance folder) still starts:
it logs one line and serves static/ as it is, under the plain names, through Flask's view.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

import brotli
from flask import Flask
from whitenoise import WhiteNoise

from .security import CONTENT_SECURITY_POLICY

ONE_YEAR = 365 * 24 * 3600
COMPRESSIBLE = {".css", ".js", ".svg", ".txt", ".json", ".xml", ".map", ".ico", ".html"}
HASH_LENGTH = 12
log = logging.getLogger(__name__)


@lru_cache(maxsize=256)
def _digest(path: str, mtime_ns: int, size: int) -> str:
    """The content hash of one file; cached while the file is unchanged."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:HASH_LENGTH]


@lru_cache(maxsize=256)
def _compressed(path: str, mtime_ns: int, size: int) -> tuple[bytes | None, bytes | None]:
    """(gzip, brotli) of one file, each None when it would not save at least 5 %."""
    if Path(path).suffix not in COMPRESSIBLE:
        return None, None
    data = Path(path).read_bytes()
    gz = gzip.compress(data, compresslevel=9, mtime=0)
    br = brotli.compress(data)
    worth = 0.95 * len(data)
    return gz if len(gz) < worth else None, br if len(br) < worth else None


def hashed_name(name: str, digest: str) -> str:
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}.{digest}.{suffix}" if dot and "/" not in suffix else f"{name}.{digest}"


def _write(path: Path, data: bytes) -> None:
    """Atomically: several workers starting at once may write the same file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)  # a full disk keeps no half-written copies
        raise


def build(static_folder: Path, cache_root: Path) -> tuple[dict[str, str], Path]:
    """The manifest (plain name -> hashed name) and the folder holding this release's files."""
    sources = {}
    for path in sorted(static_folder.rglob("*")):
        relative = path.relative_to(static_folder)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            stat = path.stat()
            sources[relative.as_posix()] = (str(path), stat.st_mtime_ns, stat.st_size)
    manifest = {name: hashed_name(name, _digest(*key)) for name, key in sources.items()}
    version = hashlib.sha256(repr(sorted(manifest.items())).encode()).hexdigest()[:HASH_LENGTH]
    target = cache_root / version
    if not (target / ".complete").exists():  # the first start of this release does the work
        _build_folder(sources, manifest, cache_root, target)
    return manifest, target


def _build_folder(sources: dict, manifest: dict[str, str], cache_root: Path, target: Path) -> None:
    """Write the release's folder beside its place and rename it in whole. Several workers start
    at once (gunicorn without --preload): one that wrote into the shared folder while another
    listed it for WhiteNoise made that one fail on a half-written file (CI saw it, 1 start in 60).
    The rename is atomic: every worker sees the folder complete, or not at all."""
    cache_root.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=cache_root, prefix=".building-"))
    try:
        for name, key in sources.items():
            _write(building / manifest[name], Path(key[0]).read_bytes())
            gz, br = _compressed(*key)
            if gz is not None:
                _write(building / (manifest[name] + ".gz"), gz)
            if br is not None:
                _write(building / (manifest[name] + ".br"), br)
        _write(building / ".complete", b"")
        try:
            os.rename(building, target)
        except OSError:
            if (target / ".complete").exists():
                return  # another worker's copy arrived first; it is the same bytes
            # A folder left half-written by an older release of this code: replace it.
            stale = Path(tempfile.mkdtemp(dir=cache_root, prefix=".stale-"))
            os.rename(target, stale / "old")
            os.rename(building, target)
            shutil.rmtree(stale, ignore_errors=True)
    finally:
        shutil.rmtree(building, ignore_errors=True)  # gone already when renamed into place


def _static_headers(headers, path: str, url: str) -> None:
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY


def init_app(app: Flask) -> None:
    if not app.static_folder or not Path(app.static_folder).is_dir():
        return
    cache_root = Path(app.config.get("STATIC_CACHE_DIR") or Path(app.instance_path, "static-cache"))
    try:
        manifest, folder = build(Path(app.static_folder), cache_root)
    except OSError as error:
        log.warning(
            "Static files served from %s as they are (no hashed names, no long caching): "
            "their cache in %s could not be written: %s",
            app.static_folder,
            cache_root,
            error,
        )
        return
    app.extensions["blog.static_manifest"] = manifest

    @app.url_defaults
    def hashed_static_names(endpoint: str, values: dict) -> None:
        if endpoint == "static" and values.get("filename") in manifest:
            values["filename"] = manifest[values["filename"]]

    app.wsgi_app = WhiteNoise(
        app.wsgi_app,
        root=str(folder),
        prefix=app.static_url_path,
        max_age=ONE_YEAR,
        # Every file in the folder carries its content hash: it can never change under its name.
        immutable_file_test=lambda path, url: True,
        add_headers_function=_static_headers,
    )
