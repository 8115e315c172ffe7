"""Characters that have no business in stored text, removed before anything reaches the database.

NUL breaks PostgreSQL ("string literal cannot contain NUL"); C0/C1 control characters and the
Unicode noncharacters (U+FFFE, U+FFFF, ...) are not allowed in XML, so one of them in a name made
both comment feeds ill-formed; lone surrogates cannot be encoded at all; and a line break in a
name let it forge lines such as "Approve it:" in the notification email.
"""

from __future__ import annotations

import html
import re

_NONCHARACTERS = "".join(
    [
        "\ufdd0-\ufdef",
        *(f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17)),
    ]
)
# Everything unwanted except tab, line feed and carriage return, which depend on the field.
_UNWANTED = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff{_NONCHARACTERS}]")
_LINE_BREAKS = re.compile("\r\n|[\r\n\t\u2028\u2029]")


def clean_multiline(value):
    """Text of several lines (a comment, an article): tab and newline stay, CR LF becomes LF."""
    if not isinstance(value, str):
        return value
    return _UNWANTED.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def one_line(value):
    """Text of one line (a name, an address): line breaks and tabs become spaces."""
    if not isinstance(value, str):
        return value
    return _UNWANTED.sub("", _LINE_BREAKS.sub(" ", value))


def xml_safe(value):
    """For feeds: rows stored before the form filters existed may still hold characters that
    make an XML document ill-formed; tab and line breaks are fine there."""
    if not isinstance(value, str):
        value = "" if value is None else str(value)
    return _UNWANTED.sub("", value)


# A numeric character reference with this many digits or more is no character: html.unescape would
# call int() on it, which refuses past 4,300 digits (ValueError) and is slow well before.
_LONG_NUMERIC_REFERENCE = re.compile(r"&(#[xX]?[0-9a-fA-F]{16,})")


def unescape(text: str) -> str:
    """html.unescape that cannot raise: an over-long numeric reference stays as typed."""
    parts = _LONG_NUMERIC_REFERENCE.split(text)
    # Odd items are the long references (without their "&"): kept verbatim, the rest decoded.
    return "".join(
        "&" + part if index % 2 else html.unescape(part) for index, part in enumerate(parts)
    )
