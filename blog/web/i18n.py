"""The interface's language: Flask-Babel, with the language the site's settings choose.

Interface text is written in English (WordPress's wording) and marked for translation: ``_()``
in templates and views, ``_l()`` (lazy) where a string is made at import time, such as a form's
labels and messages. Catalogues live in blog/translations/LANG/LC_MESSAGES/messages.po; the
Makefile compiles them to .mo files (``make translations``) and ``make messages`` extracts new
strings into them. The site has one language for every reader (setting SITE_LANGUAGE), as a
WordPress site does, so a cached page is the same for everyone.
"""

from __future__ import annotations

from flask import Flask

from ..extensions import babel
from ..settings import site_config

# The languages with a complete catalogue (English is the source text).
LANGUAGES = {"en": "English", "de": "Deutsch"}


def site_locale() -> str:
    language = site_config().get("SITE_LANGUAGE") or "en"
    return language if language in LANGUAGES else "en"


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")  # under blog/
    babel.init_app(app, locale_selector=site_locale)
