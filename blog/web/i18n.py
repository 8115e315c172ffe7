"""The interface's language: Flask-Babel, with the language the site's settings choose.

Interface text is written in English (WordPress's wording) and marked for translation: ``_()``
in templates and views, ``_l()`` (lazy) where a string is made at import time, such as a form's
labels and messages. Catalogues live in blog/translations/LANG/LC_MESSAGES/messages.po; the
Makefile compiles them to .mo files (``make translations``) and ``make messages`` extracts new
strings into them. The site has one language for every reader (setting SITE_LANGUAGE), as a
WordPress site does, so a cached page is the same for everyone.
"""

from __future__ import annotations

from babel.support import NullTranslations
from flask import Flask, g
from flask_babel import get_translations

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
    # Templates call _() for every label of every comment (some 180 times on an article page
    # of 50 comments). Flask-Babel finds the catalogue anew for each call (the context, the
    # domain, the locale: about 10 microseconds); these find it once per request, as they are
    # the same for all of it.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
    )


def request_translations() -> NullTranslations:
    """Flask-Babel's catalogue for this request (or app context), looked up once. Saving the
    settings forgets it with Flask-Babel's own choice (blog.settings.save_settings), so a new
    SITE_LANGUAGE speaks at once."""
    try:
        return g._flask_babel.blog_translations
    except AttributeError:
        translations = get_translations()  # makes g._flask_babel, Flask-Babel's own namespace
        if hasattr(g, "_flask_babel"):
            g._flask_babel.blog_translations = translations
        return translations
    except RuntimeError:  # outside an app context, as Flask-Babel answers there
        return get_translations()
