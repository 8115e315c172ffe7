"""What a comment will look like once published: the same rendering, nothing stored.

The preview is the comment's text through blog.sanitize (render_comment, the function whose
output is cached on every published comment), under the name the reader typed. It is never
saved, never counted against the posting limits and never checked against the moderation
rules: only the text matters, so an empty name or email is no error here.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import Markup

from ..sanitize import render_comment_preview
from ..web.forms import COMMENT_MAX


@dataclass(frozen=True)
class Preview:
    name: str
    body: Markup | None  # None: nothing typed yet


def comment_preview(text: str | None, name: str | None) -> Preview:
    """The preview of ``text`` under ``name``; a text past the field's limit is previewed up
    to it (posting it would be refused with a message)."""
    shown_name = (name or "").strip() or _("Anonymous")
    text = (text or "")[:COMMENT_MAX]
    if not text.strip():
        return Preview(shown_name, None)
    return Preview(shown_name, render_comment_preview(text))
