"""Site settings: configured defaults, overridden by what authors save on the settings page.

Code reads a setting through ``site_config()[NAME]``; the database rows are loaded once per
request, together with the content version (``pagecache``) in the same query.
"""

from __future__ import annotations

import json
import uuid
from collections import ChainMap

from flask import current_app, g
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from . import moderation
from .extensions import db
from .models import Setting

# Kept in the settings table, read with the settings; see pagecache.
VERSION_KEY = "CONTENT_VERSION"

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


# Built once: every request runs it (two columns, no ORM objects: it is on every page's path).
_SAVED_QUERY = select(Setting.key, Setting.value).where(Setting.key.in_((*EDITABLE, VERSION_KEY)))


def saved_settings() -> dict:
    if "saved_settings" not in g:
        try:
            # Core on the session's connection: same transaction, without the ORM's overhead.
            rows = db.session.connection().execute(_SAVED_QUERY).all()
        except SQLAlchemyError:
            # The database is down or not migrated: the error page must still render, so it
            # falls back to the configured values (the failure itself is logged where it struck).
            db.session.rollback()
            current_app.logger.warning("Saved settings unavailable; using configured values.")
            g.content_version = f"unknown-{uuid.uuid4().hex}"  # matches no cache entry
            return {}
        values = {key: json.loads(value) for key, value in rows}
        g.content_version = values.pop(VERSION_KEY, "0")
        g.saved_settings = values
    return g.saved_settings


def site_config() -> ChainMap:
    """Saved settings first, then the app's configuration."""
    return ChainMap(saved_settings(), current_app.config)


# The settings moderation.Rules reads; parsed once per distinct set of values, not per comment.
RULE_SETTINGS = (
    "COMMENT_MODERATION",
    "COMMENT_MAX_LINKS",
    "COMMENT_MODERATION_WORDS",
    "COMMENT_DISALLOWED_WORDS",
    "COMMENT_MIN_SECONDS",
)
_parsed_rules: dict[str, moderation.Rules] = {}


def _rules_key(config) -> str:
    return json.dumps([config.get(key) for key in RULE_SETTINGS], default=str)


def check_rules(config) -> moderation.Rules:
    """Parse and remember the moderation rules; ValueError names a setting that is unusable.

    Called at start-up (a bad configuration stops the app) and when the settings form saves
    (the author sees the problem), so a comment never meets an unparsed rule.
    """
    key = _rules_key(config)
    rules = _parsed_rules.get(key)
    if rules is None:
        rules = moderation.Rules.from_config(config)
        if len(_parsed_rules) > 32:  # settings rarely change; never let this grow unbounded
            _parsed_rules.clear()
        _parsed_rules[key] = rules
    return rules


def moderation_rules() -> moderation.Rules:
    """The rules in force now (saved settings over configuration), already validated."""
    return check_rules(site_config())


def save_settings(values: dict) -> None:
    for key in values:
        if key not in EDITABLE:
            raise KeyError(key)
    check_rules(ChainMap(values, site_config()))  # ValueError before anything is written
    for key, value in values.items():
        row = db.session.get(Setting, key)
        if row is None:
            row = Setting(key=key, value="null")
            db.session.add(row)
        row.value = json.dumps(value)
    db.session.commit()
    g.pop("saved_settings", None)
