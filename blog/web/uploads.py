"""Request bodies larger than MAX_CONTENT_LENGTH, for the few views that take files.

MAX_CONTENT_LENGTH (1 MB) keeps every form small. A view that takes uploads is marked with
``@takes_files("MEDIA_MAX_BYTES")`` and its limit is raised here, before anything reads the body:
in particular before Flask-WTF's CSRF check reads the form, which is why create_app registers this
hook ahead of CSRFProtect (a view cannot raise its own limit in time, and exempting it from CSRF
to do so would leave the check to each view). A body over the raised limit still gets the friendly
413 (blog.web.errors)."""

from __future__ import annotations

from flask import Flask, current_app, request

_SETTING = "_blog_body_limit_setting"


def takes_files(setting: str):
    """Mark a view whose body may be as large as the config value ``setting`` (bytes)."""

    def mark(view):
        setattr(view, _SETTING, setting)
        return view

    return mark


def raise_limit_for_uploads() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    setting = getattr(view, _SETTING, None)
    if setting is not None:
        request.max_content_length = int(current_app.config[setting])


def init_app(app: Flask) -> None:
    app.before_request(raise_limit_for_uploads)
