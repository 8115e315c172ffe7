"""Pictures, sound and video: the library's files, their sizes, and how articles show them.

Modules: ``urls`` (the addresses everything else uses), ``storage`` (where the bytes live),
``processing`` (checking an upload by its content and making the sizes, with Pillow),
``library`` (adding, changing and deleting media items), ``usage`` (which posts use which
item), ``render`` (the step that turns /media/ID/ references in an article into pictures,
galleries and players), ``embeds`` (bare video URLs as privacy-friendly cards), ``views``
(blueprint ``media``: the files, served immutable).
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("media", __name__)


def init_app(app: Flask) -> None:
    from . import embeds, render, usage, views  # noqa: F401 - views registers its rules on bp

    render.init_app(app)  # pictures, galleries and players first; then bare URLs
    embeds.init_app(app)
    usage.init_app(app)
    app.register_blueprint(bp)
