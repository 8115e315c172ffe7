"""Template filters and the values every page needs."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time
from flask import Flask, current_app, url_for
from flask_babel import get_locale, gettext

from ..models import now_utc
from ..sanitize import comment_body, shown_website
from ..settings import DATE_FORMATS, TIME_FORMATS, site_config, site_timezone
from .text import one_line, xml_safe

WORD = re.compile(r"\w+")


def reading_minutes(text: str) -> int:
    words = len(WORD.findall(text or ""))
    return max(1, math.ceil(words / current_app.config["WORDS_PER_MINUTE"]))


def site_time(value: datetime | None) -> datetime | None:
    """A stored (UTC) time in the site's time zone (setting TIMEZONE); naive ones count as UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(site_timezone())


def site_locale() -> Locale:
    """The site's language (setting SITE_LANGUAGE, through Flask-Babel); English outside one."""
    return get_locale() or Locale("en")


def _chosen(formats: dict, setting: str) -> str:
    # A stored value no longer offered (the form validates new ones) falls back to the default.
    chosen = site_config().get(setting)
    return formats.get(chosen) or formats[current_app.config[setting]]


def long_date(value: datetime | None) -> str:
    """A date as readers see it: the setting DATE_FORMAT, in the site's language and zone."""
    value = site_time(value)
    return (
        format_date(value, _chosen(DATE_FORMATS, "DATE_FORMAT"), locale=site_locale())
        if value
        else ""
    )


def short_date(value: datetime | None) -> str:
    """The admin's lists: the chosen format when it is a numeric one, else 2012-01-03 (compact
    and sortable in a table column, as WordPress's own lists keep one fixed form)."""
    value = site_time(value)
    if not value:
        return ""
    pattern = _chosen(DATE_FORMATS, "DATE_FORMAT")
    return format_date(value, pattern if "/" in pattern else "yyyy-MM-dd", locale=site_locale())


def clock(value: datetime | None) -> str:
    """A time of day: the setting TIME_FORMAT, in the site's language and zone."""
    value = site_time(value)
    return (
        format_time(value, _chosen(TIME_FORMATS, "TIME_FORMAT"), locale=site_locale())
        if value
        else ""
    )


def date_and_time(value: datetime | None) -> str:
    """ "December 5, 2026 at 14:05", as WordPress dates a comment."""
    if value is None:
        return ""
    return gettext("%(date)s at %(time)s", date=long_date(value), time=clock(value))


def format_examples() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Each date and time format as now looks in it (the settings page's choices, as WordPress
    shows them): [(key, "December 5, 2026"), ...], [(key, "14:05"), ...]."""
    now, locale = site_time(now_utc()), site_locale()
    dates = [
        (key, format_date(now, pattern, locale=locale)) for key, pattern in DATE_FORMATS.items()
    ]
    times = [
        (key, format_time(now, pattern, locale=locale)) for key, pattern in TIME_FORMATS.items()
    ]
    return dates, times


def month_name(month: int) -> str:
    """A month's name standing alone ("December", "Dezember"), in the site's language."""
    return format_date(date(2000, month, 1), "LLLL", locale=site_locale())


def month_year(year: int, month: int) -> str:
    """An archive month: "December 2026", "Dezember 2026" (the language's own order)."""
    return format_skeleton("yMMMM", date(year, month, 1), locale=site_locale())


def iso_datetime(value: datetime | None) -> str:
    """For datetime attributes and feeds: site time with its offset ("Z" for UTC)."""
    value = site_time(value)
    return value.isoformat(timespec="seconds").replace("+00:00", "Z") if value else ""


def vendor_script(app: Flask) -> str | None:
    """The htmx file the Makefile copied (its version is in the name), or None if missing."""
    found = sorted(Path(app.static_folder, "vendor").glob("htmx-*.min.js"))
    return f"vendor/{found[-1].name}" if found else None


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        long_date=long_date,
        iso_datetime=iso_datetime,
        clock=clock,
        short_date=short_date,
        date_and_time=date_and_time,
        site_time=site_time,
        reading_minutes=reading_minutes,
        one_line=one_line,  # plain-text emails: a stored value can never start a new line
        xml_safe=xml_safe,  # feeds stay well-formed whatever a stored row holds
        website=shown_website,  # a commenter's website as a link shows it, or ""
    )
    app.jinja_env.globals.update(
        month_name=month_name,
        month_year=month_year,
        now=now_utc,
        comment_body=comment_body,  # the sanitized body; templates never mark markup safe
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    htmx_file = vendor_script(app)
    if htmx_file is None:
        app.logger.warning("static/vendor/htmx-*.min.js is missing: run make assets.")

    @app.context_processor
    def site_context() -> dict:
        config = site_config()
        return {
            "site_title": config["SITE_TITLE"],
            "site_tagline": config["SITE_TAGLINE"],
            "site_language": config["SITE_LANGUAGE"],
            "htmx_script_url": url_for("static", filename=htmx_file) if htmx_file else None,
        }
