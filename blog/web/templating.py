"""Template filters and the values every page needs."""

from __future__ import annotations

import calendar
import math
import re
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, current_app, url_for

from ..models import now_utc
from ..sanitize import comment_body, shown_website
from ..settings import site_config, site_timezone
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


def long_date(value: datetime | None) -> str:
    value = site_time(value)
    return f"{value:%B} {value.day}, {value:%Y}" if value else ""


def short_date(value: datetime | None) -> str:
    """2012-01-03, in site time (the admin's lists)."""
    value = site_time(value)
    return f"{value:%Y-%m-%d}" if value else ""


def clock(value: datetime | None) -> str:
    value = site_time(value)
    return f"{value:%H:%M}" if value else ""


def iso_datetime(value: datetime | None) -> str:
    """For datetime attributes and feeds: site time with its offset ("Z" for UTC)."""
    value = site_time(value)
    return value.isoformat(timespec="seconds").replace("+00:00", "Z") if value else ""


def count_label(count: int, zero: str, one: str, many: str) -> str:
    """WordPress wording: "No Comments", "1 Comment", "5 Comments"."""
    if count == 0:
        return zero
    return one if count == 1 else many.replace("%", str(count))


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
        site_time=site_time,
        reading_minutes=reading_minutes,
        one_line=one_line,  # plain-text emails: a stored value can never start a new line
        xml_safe=xml_safe,  # feeds stay well-formed whatever a stored row holds
        website=shown_website,  # a commenter's website as a link shows it, or ""
    )
    app.jinja_env.globals.update(
        count_label=count_label,
        month_name=lambda month: calendar.month_name[month],
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
