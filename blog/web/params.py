"""Numbers and text from the URL, parsed in one place so bad input is a 4xx, never a 500.

Python integers have no size limit but database integers do: ``/c/99999999999999999999999``
reached SQLite as an integer too large to bind (OverflowError, a 500). Every ``<int:...>`` in a
route is bounded here, views read query numbers through ``int_arg``, and ``screen_request`` refuses
what no view should ever see (control characters in the path or headers, NUL in the query string,
which PostgreSQL refuses in any text, ids too large for any row) before a view runs.
"""

from __future__ import annotations

import re

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter, UnicodeConverter

# Ids are INTEGER columns, 32 bits on PostgreSQL.
MAX_ID = 2**31 - 1
MAX_PAGE = 100_000
_NUMBER = re.compile(r"(-?)0*([0-9]+)")
# Control characters (C0, DEL, C1) in a path are never part of a real address.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_HEADER_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f]")


class BoundedIntegerConverter(IntegerConverter):
    """Flask's ``int`` converter with an upper bound: a larger number does not match (404)."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        super().__init__(map, fixed_digits, min, MAX_ID if max is None else max, signed)


class PlainTextConverter(UnicodeConverter):
    """The default ``string`` converter without control characters: such a path is a 404."""

    def __init__(self, map, minlength=1, maxlength=None, length=None):
        super().__init__(map, minlength, maxlength, length)
        self.regex = self.regex.replace("[^/]", "[^/\\x00-\\x1f\\x7f-\\x9f]", 1)


def int_arg(
    name: str,
    default: int,
    minimum: int = 0,
    maximum: int = MAX_ID,
    *,
    clamp: bool = False,
    error: int = 404,
) -> int:
    """``?name=`` as an int between minimum and maximum.

    Missing or empty: ``default``. Not a plain number: ``abort(error)``. Out of range: clamped
    into it when ``clamp``, otherwise ``abort(error)``. A page number that does not exist is a
    404 (like a missing page); a size is clamped (like Flask-SQLAlchemy's max_per_page).
    """
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    number = _NUMBER.fullmatch(raw)
    if number is None:
        abort(error)
    sign, digits = number.groups()
    if len(digits) > 18:
        # Not worth converting (int() refuses past 4,300 digits): just "far out of range".
        value = minimum - 1 if sign else maximum + 1
    else:
        value = int(sign + digits)
    if minimum <= value <= maximum:
        return value
    if clamp:
        return min(max(value, minimum), maximum)
    abort(error)


def parse_id(raw) -> int | None:
    """A row id from text a visitor sent (a form field, ``?replytocom=``), or None when it is not
    one: only ASCII digits (``"²".isdigit()`` is true, ``int("²")`` raises) and no larger than
    any id column (a larger one overflows SQLite and PostgreSQL's INTEGER)."""
    if not isinstance(raw, str):
        return None
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10):
        return None
    value = int(raw)
    return value if value <= MAX_ID else None


SEARCH_MAX = 200


def text_arg(name: str, max_length: int = SEARCH_MAX) -> str:
    """``?name=`` stripped and cut to ``max_length`` (SQLite refuses LIKE patterns over 50 KB)."""
    return request.args.get(name, "").strip()[:max_length]


# Query arguments that are numbers wherever this site reads them (listings, comment pages, replies).
# (per_page is not among them: sizes are clamped, see int_arg.)
NUMERIC_ARGS = ("page", "cpage", "after", "replytocom", "parent", "post")
# No query value of this site is longer; a longer one is an attack or a mistake (and SQLite
# refuses LIKE patterns over 50 KB).
QUERY_VALUE_MAX = 2048


def screen_request():
    """Before any view (or database) sees them: a path with control characters is a 404; a
    header with control characters, a query value with NUL or longer than QUERY_VALUE_MAX is a
    400; a number argument (NUMERIC_ARGS) too large for any id or page is a 404. Views still parse
    their numbers with int_arg; this is the net under every view, including ones that read
    request.args themselves."""
    if _CONTROL.search(request.path):
        abort(404)
    # HTTP forbids control characters in header values; a User-Agent with NUL reached the
    # comments table, which PostgreSQL refuses.
    if any(_HEADER_CONTROL.search(value) for _, value in request.headers.items()):
        abort(400)
    for key, value in request.args.items(multi=True):
        if "\x00" in key or "\x00" in value or len(value) > QUERY_VALUE_MAX:
            abort(400)
        if key in NUMERIC_ARGS:
            number = _NUMBER.fullmatch(value.strip())
            if number and (len(number.group(2)) > 10 or int(number.group(2)) > MAX_ID):
                abort(404)
    return None


def init_app(app: Flask) -> None:
    """Must run before the blueprints register: rules pick their converters when added."""
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.url_map.converters["default"] = PlainTextConverter
    app.url_map.converters["string"] = PlainTextConverter
    app.before_request(screen_request)
