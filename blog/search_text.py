"""The text a reader sees in a stored post or comment source, for the search index.

Sources hold Markdown and the allowed HTML; the index must hold what the page shows, so that a
search for "strong" or "href" does not find every post with bold text or a link. Rendering the
source properly (blog/sanitize.py) would be exact but costs a Markdown pass per write and may
look things up (embeds, media): too much for a function SQLite calls from a trigger. A few
regular expressions take the markup out instead; what they leave is only ever indexed, never
shown (excerpts come from the rendered page).

SQLite calls ``visible_text`` as ``search_text(...)`` from the search triggers
(blog/reading/search_index.py): ``register`` adds it to every SQLite connection the application
opens (blog/database.py). PostgreSQL strips tags in SQL (the ``search_text`` function created
there) and its parser leaves entities out by itself.
"""

from __future__ import annotations

import re
import sqlite3
from html import unescape

from sqlalchemy import Text
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeDecorator

from .sanitize import LONG_NUMERIC_REFERENCE_RE

_HIDDEN = re.compile(r"<!--.*?-->|<(script|style)\b.*?</\1\s*>", re.DOTALL | re.IGNORECASE)
# A tag starts with a letter (or / and a letter): "a < b" and "<3" are text.
_TAG = re.compile(r"</?[A-Za-z][^>]*>")
# [text](address "title") keeps its text; ![alt](address) its alt text.
_LINK_TARGET = re.compile(r"\]\(\s*<?[^)\s>]*>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
# [label]: address "title" (a reference definition) shows nothing.
_REFERENCE = re.compile(r"^ {0,3}\[[^\]\n]+\]:[^\n]*$", re.MULTILINE)


def visible_text(source: str | None) -> str:
    if not source:
        return ""
    text = _HIDDEN.sub(" ", source)
    text = _TAG.sub(" ", text)
    text = _LINK_TARGET.sub("] ", text)
    text = _REFERENCE.sub(" ", text)
    # A numeric reference too long to be a character stays text, as the sanitizer keeps it:
    # unescape would raise on thousands of digits, and SQLite turns any exception raised here
    # into a failed INSERT, so this function must never raise.
    return unescape(LONG_NUMERIC_REFERENCE_RE.sub(" ", text))


def register(connection: sqlite3.Connection) -> None:
    """Make ``search_text(source)`` callable in SQL on this SQLite connection."""
    connection.create_function("search_text", 1, visible_text, deterministic=True)


class SearchVector(TypeDecorator):
    """PostgreSQL's ``tsvector``, filled by triggers (never by the application; the models load
    it only when asked). SQLite keeps its index in another table: the column stays empty."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.TSVECTOR())
        return dialect.type_descriptor(Text())
