"""Placeholder until the media views land (issue #22, part L)."""

from __future__ import annotations

from flask import abort

from . import bp


@bp.get("/media/<int:media_id>/<path:file_name>")
def original(media_id: int, file_name: str):
    abort(404)


@bp.get("/media/files/<path:name>")
def file(name: str):
    abort(404)
