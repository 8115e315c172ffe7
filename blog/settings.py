"""Site settings: configured defaults, overridden by what authors save on the settings page.

Code reads a setting through ``site_config()[NAME]``; the database rows are loaded once per
request, together with the content version (``pagecache``) in the same query.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections import ChainMap
from datetime import UTC, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, g
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from .extensions import db
from .models import Setting

# Kept in the settings table, read with the settings; see pagecache.
VERSION_KEY = "CONTENT_VERSION"
# Moves on with every change to any comment: the listings (their comment counts) and the
# comment feeds are kept under both tokens; an article page under VERSION_KEY and its own
# posts.discussion_version.
COMMENTS_VERSION_KEY = "COMMENTS_VERSION"

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
    "TIMEZONE",
    "DATE_FORMAT",
    "TIME_FORMAT",
    "SITE_LANGUAGE",
)

# The date and time formats the settings page offers (settings DATE_FORMAT, TIME_FORMAT), as
# Babel patterns: "long"/"medium"/"short" are the language's own forms ("December 5, 2026",
# "5. Dezember 2026"); the others are fixed, with the language's month names where they have any.
DATE_FORMATS = {
    "long": "long",
    "medium": "medium",
    "iso": "yyyy-MM-dd",
    "mdy": "MM/dd/yyyy",
    "dmy": "dd/MM/yyyy",
}
TIME_FORMATS = {
    "24h": "HH:mm",
    "12h": "h:mm a",
    "locale": "short",
}


# Built once: every request runs it (two columns, no ORM objects: it is on every page's path).
_SAVED_QUERY = select(Setting.key, Setting.value).where(
    Setting.key.in_((*EDITABLE, VERSION_KEY, COMMENTS_VERSION_KEY))
)


def saved_settings() -> dict:
    if "saved_settings" not in g:
        try:
            rows = _read_saved_rows()
        except SQLAlchemyError:
            # The database is down or not migrated: the error page must still render, so it
            # falls back to the configured values (the failure itself is logged where it struck).
            db.session.rollback()
            current_app.logger.warning("Saved settings unavailable; using configured values.")
            g.content_version = f"unknown-{uuid.uuid4().hex}"  # matches no cache entry
            g.comments_version = g.content_version
            return {}
        values = {key: json.loads(value) for key, value in rows}
        g.content_version = values.pop(VERSION_KEY, "0")
        g.comments_version = values.pop(COMMENTS_VERSION_KEY, "0")
        g.saved_settings = values
    return g.saved_settings


def _read_saved_rows() -> list:
    """The saved rows, read the cheapest way that is still consistent with the page.

    Most requests read this first, before the session has begun a transaction: then a pooled
    DBAPI connection reads it outside the ORM (a tenth of the session's cost, and a page served
    from the cache never opens a session at all). Whatever the request reads later sees this
    version or a newer one, so a page is never cached under a newer version than its content.
    Once the session is in a transaction (it read rows, or wrote and bumped the version), the
    settings are read in that same transaction, so they match what it sees and has written.
    """
    return read_before_session(_SAVED_QUERY)


_compiled: dict = {}  # (dialect name, statement) -> its compiled form; statements are built once


def read_before_session(statement, params: dict | None = None) -> list:
    """``statement``'s rows through a pooled DBAPI connection when the request's session has
    not begun a transaction yet (see _read_saved_rows), else in that transaction."""
    # registry.has(): whether this request made a session at all (asking would make one).
    if db.session.registry.has() and db.session().in_transaction():
        return db.session.connection().execute(statement, params or {}).all()
    engine = db.engine
    compiled = _compiled.get((engine.dialect.name, statement))
    if compiled is None:
        compiled = _compiled.setdefault(
            (engine.dialect.name, statement),
            statement.compile(dialect=engine.dialect, compile_kwargs={"render_postcompile": True}),
        )
    sql = str(compiled)
    values = compiled.construct_params(params or {})
    if compiled.positional:
        values = tuple(values[name] for name in compiled.positiontup)
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        try:
            cursor.execute(sql, values)
            return cursor.fetchall()
        finally:
            cursor.close()
    except engine.dialect.loaded_dbapi.Error as error:
        gone = engine.dialect.is_disconnect(error, connection.dbapi_connection, None)
        if gone:  # the server restarted: this connection must not go back to the pool
            connection.invalidate(error)
        raise DBAPIError.instance(
            sql, None, error, engine.dialect.loaded_dbapi.Error, connection_invalidated=gone
        ) from error
    finally:
        connection.close()  # back to the pool, which ends its transaction


def site_config() -> ChainMap:
    """Saved settings first, then the app's configuration."""
    return ChainMap(saved_settings(), current_app.config)


def save_settings(values: dict) -> None:
    for key in values:
        if key not in EDITABLE:
            raise KeyError(key)
    for key, value in values.items():
        row = db.session.get(Setting, key)
        if row is None:
            row = Setting(key=key, value="null")
            db.session.add(row)
        row.value = json.dumps(value)
    db.session.commit()
    g.pop("saved_settings", None)
    # Flask-Babel keeps the language it chose in g: what is rendered next in this context (a
    # CLI command, a test) speaks the one just saved.
    g.pop("_flask_babel", None)


# --- the site's time zone -----------------------------------------------------------------------

_OFFSET_RE = re.compile(r"([+-])(\d{2}):(\d{2})")


@functools.lru_cache(maxsize=32)
def parse_timezone(value: str) -> tzinfo:
    """ "UTC", a fixed offset "+05:00"/"-03:30" (as WordPress's "UTC+5"), or an IANA name
    ("Europe/Berlin"). ValueError for anything else."""
    if not isinstance(value, str):
        raise ValueError("A time zone is a name or an offset.")
    value = value.strip()
    if value.upper() in ("UTC", "Z", "GMT", ""):
        return UTC
    offset = _OFFSET_RE.fullmatch(value)
    if offset:
        sign, hours, minutes = offset.groups()
        if int(hours) > 14 or int(minutes) >= 60:
            raise ValueError("An offset is between -14:00 and +14:00.")
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        if not delta:
            return UTC
        return timezone(-delta if sign == "-" else delta)
    # ZoneInfo would read any relative path below the tz database: only names shaped like one.
    if len(value) > 64 or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+)*", value):
        raise ValueError("Not a time zone name.")
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:
        raise ValueError("Unknown time zone.") from error


def timezone_label(zone: tzinfo) -> str:
    """How the admin names a zone: "Europe/Berlin", "UTC+05:00" or "UTC"."""
    key = getattr(zone, "key", None)
    if key:
        return key
    offset = zone.utcoffset(None)
    if not offset:
        return "UTC"
    sign = "-" if offset.total_seconds() < 0 else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def site_timezone() -> tzinfo:
    """The site's time zone (setting TIMEZONE): every date readers and authors see is in it.
    A bad stored value (it is validated when saved) falls back to UTC."""
    try:
        return parse_timezone(site_config().get("TIMEZONE") or "UTC")
    except ValueError:
        return UTC
