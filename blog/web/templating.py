"""Template filters and the values every page needs."""

from __future__ import annotations

import functools
import math
import re
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import NamedTuple

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time
from flask import Flask, current_app, g, url_for
from flask_babel import get_locale, gettext

from ..models import now_utc
from ..sanitize import comment_body, shown_website
from ..settings import DATE_FORMATS, TIME_FORMATS, saved_settings, site_config, site_timezone
from .text import one_line, xml_safe

WORD = re.compile(r"\w+")


def reading_minutes(text: str) -> int:
    words = len(WORD.findall(text or ""))
    return max(1, math.ceil(words / current_app.config["WORDS_PER_MINUTE"]))


def site_time(value: datetime | None) -> datetime | None:
    """A stored (UTC) time in the site's time zone (setting TIMEZONE); naive ones count as UTC."""
    if value is None:
        return None
    return _as_utc(value).astimezone(site_timezone())


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def site_locale() -> Locale:
    """The site's language (setting SITE_LANGUAGE, through Flask-Babel); English outside one."""
    return get_locale() or Locale("en")


def _chosen(formats: dict, setting: str) -> str:
    # A stored value no longer offered (the form validates new ones) falls back to the default.
    chosen = site_config().get(setting)
    return formats.get(chosen) or formats[current_app.config[setting]]


class DateStyle(NamedTuple):
    """How this site shows a time: its zone, language and chosen formats. The same for every
    date of a request, so it is worked out once per request (see date_style)."""

    zone: tzinfo
    locale: Locale
    date_pattern: str
    time_pattern: str
    date_at_time: str  # "%(date)s at %(time)s", in the site's language


def date_style() -> DateStyle:
    """This request's DateStyle. A page shows dozens of comment dates, and looking the settings,
    the language and the zone up again for each was a sixth of an uncached article's time.
    Kept with the settings it was made from: saving settings (which reads them anew) makes a
    new one."""
    settings = saved_settings()
    kept = g.get("date_style")
    if kept is not None and kept[0] is settings:
        return kept[1]
    style = DateStyle(
        zone=site_timezone(),
        locale=site_locale(),
        date_pattern=_chosen(DATE_FORMATS, "DATE_FORMAT"),
        time_pattern=_chosen(TIME_FORMATS, "TIME_FORMAT"),
        date_at_time=gettext("%(date)s at %(time)s"),
    )
    g.date_style = (settings, style)
    return style


def long_date(value: datetime | None) -> str:
    """A date as readers see it: the setting DATE_FORMAT, in the site's language and zone."""
    return _long_date(_as_utc(value), date_style()) if value else ""


def short_date(value: datetime | None) -> str:
    """The admin's lists: the chosen format when it is a numeric one, else 2012-01-03 (compact
    and sortable in a table column, as WordPress's own lists keep one fixed form)."""
    return _short_date(_as_utc(value), date_style()) if value else ""


def clock(value: datetime | None) -> str:
    """A time of day: the setting TIME_FORMAT, in the site's language and zone."""
    return _clock(_as_utc(value), date_style()) if value else ""


def date_and_time(value: datetime | None) -> str:
    """ "December 5, 2026 at 14:05", as WordPress dates a comment."""
    return _date_and_time(_as_utc(value), date_style()) if value else ""


# Formatting one time through Babel costs tens of microseconds, and the same comments are
# dated again on every page that shows them (a reader's own page, the admin's lists, pages
# rebuilt after a comment): the strings are kept, per time and style, for the last 2,048 times
# (some forty pages of comments; under a megabyte).
@functools.lru_cache(maxsize=2048)
def _long_date(value: datetime, style: DateStyle) -> str:
    return format_date(value.astimezone(style.zone), style.date_pattern, locale=style.locale)


@functools.lru_cache(maxsize=2048)
def _short_date(value: datetime, style: DateStyle) -> str:
    pattern = style.date_pattern if "/" in style.date_pattern else "yyyy-MM-dd"
    return format_date(value.astimezone(style.zone), pattern, locale=style.locale)


@functools.lru_cache(maxsize=2048)
def _clock(value: datetime, style: DateStyle) -> str:
    return format_time(value.astimezone(style.zone), style.time_pattern, locale=style.locale)


@functools.lru_cache(maxsize=2048)
def _date_and_time(value: datetime, style: DateStyle) -> str:
    return style.date_at_time % {"date": _long_date(value, style), "time": _clock(value, style)}


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
    if value is None:
        return ""
    shown = _as_utc(value).astimezone(date_style().zone)
    return shown.isoformat(timespec="seconds").replace("+00:00", "Z")


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
