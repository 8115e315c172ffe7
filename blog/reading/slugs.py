"""Slugs for titles and tags in any language, by WordPress's rule.

Latin letters lose their accents ("Café" -> "cafe", "Straße" -> "strasse"); letters of other
scripts stay as they are ("東京の朝" -> "東京の朝", "Καλημέρα" -> "καλημέρα") and are
percent-encoded in URLs by url_for. Anything that is not a letter, mark or digit becomes a hyphen.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

# Latin letters with no decomposition into base letter + accent (WordPress's remove_accents).
_LATIN_SPECIALS = str.maketrans(
    {
        "ß": "ss", "ẞ": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ø": "o", "Ø": "o",
        "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "ł": "l", "Ł": "l", "þ": "th", "Þ": "th",
        "\u0131": "i", "ħ": "h", "Ħ": "h",
        "ŀ": "l", "Ŀ": "l", "ŋ": "n", "Ŋ": "n", "ŧ": "t", "Ŧ": "t",
    }
)  # fmt: skip


def _is_latin(char: str) -> bool:
    return char.isascii() or unicodedata.name(char, "").startswith("LATIN ")


def fold_latin_accents(text: str) -> str:
    """Drop the combining accents that follow a Latin letter; other scripts keep theirs."""
    out: list[str] = []
    base_is_latin = False
    for char in unicodedata.normalize("NFD", text.translate(_LATIN_SPECIALS)):
        if unicodedata.combining(char):
            if not base_is_latin:
                out.append(char)
            continue
        base_is_latin = _is_latin(char)
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


def _is_slug_char(char: str) -> bool:
    return unicodedata.category(char)[0] in "LMN"


def slugify(text: str, max_length: int = 200, fallback: str = "post") -> str:
    """Lower-case letters, marks and digits of any script, joined by single hyphens."""
    # Lower-case first: "İ".lower() adds a combining dot, which the folding then drops.
    folded = fold_latin_accents((text or "").lower())
    words: list[str] = []
    current: list[str] = []
    for char in folded:
        if _is_slug_char(char):
            current.append(char)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    slug = "-".join(words)[:max_length].strip("-")
    return slug or fallback


def is_slug(value: str) -> bool:
    """True for a slug as slugify() makes them (what the slug field accepts)."""
    return bool(value) and slugify(value, max_length=len(value), fallback="") == value


def is_kept_slug(value: str, max_length: int = 200) -> bool:
    """True for a slug that came from outside (an import) and may be kept as it is.

    A slug becomes one segment of a URL path (``/posts/<slug>``, ``/tag/<slug>``), so it is
    lower-case letters, marks and digits of any script, in words joined by single hyphens or
    underscores. That is what slugify() makes, plus what WordPress keeps: accents
    ("café-culture", from ``caf%c3%a9-culture``) and underscores. Nothing a URL or a browser
    could read as more than a name: no "/", "\\", ".", "..", "%", "?", "#", "@", space or
    control character.
    """
    if not value or len(value) > max_length or value != value.lower():
        return False
    words = value.replace("_", "-").split("-")
    return all(word and all(_is_slug_char(char) for char in word) for word in words)


def unique_slug(wanted: str, is_taken: Callable[[str], bool], max_length: int = 200) -> str:
    """``wanted``, or ``wanted-2``, ``wanted-3``... the first that is free (WordPress's rule)."""
    if not is_taken(wanted):
        return wanted
    number = 2
    while True:
        suffix = f"-{number}"
        candidate = wanted[: max_length - len(suffix)].rstrip("-") + suffix
        if not is_taken(candidate):
            return candidate
        number += 1
