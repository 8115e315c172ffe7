"""Site settings: configured defaults, overridden by what authors save on the settings page.

Code reads a setting through ``site_config()[NAME]``; the database rows are loaded once per
request.
"""

from __future__ import annotations

import json
from collections import ChainMap

from flask import current_app, g
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db
from .models import Setting

# The settings the admin page may change (every other setting stays deployment configuration).
EDITABLE = (
    "SITE_TITLE",
    "SITE_TAGLINE",
    "POSTS_PER_PAGE",
    "COMMENT_MODERATION",
    "COMMENT_MAX_LINKS",
    "COMMENT_MODERATION_WORDS",
    "COMMENT_DISALLOWED_WORDS",
    "COMMENT_CLOSE_AFTER_DAYS",
    "COMMENT_THREAD_DEPTH",
    "COMMENTS_PER_PAGE",
    "COMMENT_ORDER",
    "COMMENT_EDIT_MINUTES",
)


def saved_settings() -> dict:
    if "saved_settings" not in g:
        try:
            rows = db.session.scalars(select(Setting).where(Setting.key.in_(EDITABLE))).all()
        except SQLAlchemyError:
            # The database is down or not migrated: the error page must still render, so it
            # falls back to the configured values (the failure itself is logged where it struck).
            db.session.rollback()
            current_app.logger.warning("Saved settings unavailable; using configured values.")
            return {}
        g.saved_settings = {row.key: json.loads(row.value) for row in rows}
    return g.saved_settings


def site_config() -> ChainMap:
    """Saved settings first, then the app's configuration."""
    return ChainMap(saved_settings(), current_app.config)


def save_settings(values: dict) -> None:
    for key, value in values.items():
        if key not in EDITABLE:
            raise KeyError(key)
        row = db.session.get(Setting, key)
        if row is None:
            row = Setting(key=key, value="null")
            db.session.add(row)
        row.value = json.dumps(value)
    db.session.commit()
    g.pop("saved_settings", None)
