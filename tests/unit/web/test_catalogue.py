"""The German catalogue is complete for what readers see, and every translation keeps its
placeholders (a msgstr without %(name)s, or with one the msgid lacks, breaks the page)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po

from blog import sanitize
from blog.web.forms import WEB_ADDRESS_MESSAGES
from blog.web.i18n import LANGUAGES

ROOT = Path(__file__).resolve().parents[3]
CATALOGUES = sorted((ROOT / "blog" / "translations").glob("*/LC_MESSAGES/messages.po"))

# What a reader meets: the public templates (the admin's and the sign-in pages are not here),
# the emails that go to readers, and the Python modules whose messages reach them.
PUBLIC_TEMPLATES = (
    "templates/base.html",
    "templates/macros/forms.html",
    "templates/reading/*.html",
    "templates/reading/*.xml",
    "templates/comments/**/*.html",
    "templates/errors/*.html",
    "templates/mail/follow_*.txt",
)
PUBLIC_MODULES = (
    "blog/web/errors.py",
    "blog/web/forms.py",
    "blog/web/templating.py",
    "blog/comments/*.py",
    "blog/reading/*.py",
)
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def public_msgids() -> dict[str, str]:
    """Every msgid (the singular for plurals) marked in a public file -> that file."""
    found = {}
    for method, patterns in (("jinja2", PUBLIC_TEMPLATES), ("python", PUBLIC_MODULES)):
        for pattern in patterns:
            for path in sorted(ROOT.glob(pattern)):
                for _line, message, _comments, _context in extract_from_file(
                    method, str(path), keywords=KEYWORDS
                ):
                    key = message[0] if isinstance(message, tuple) else message
                    found.setdefault(key, str(path.relative_to(ROOT)))
    return found


def load(path: Path):
    with path.open("rb") as file:
        return read_po(file)


def test_there_is_a_catalogue_for_every_language_offered():
    offered = {path.parts[-3] for path in CATALOGUES}
    assert set(LANGUAGES) - {"en"} <= offered


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: path.parts[-3])
def test_the_public_interface_is_translated(path):
    catalogue = load(path)
    missing = []
    for msgid, source in public_msgids().items():
        message = catalogue.get(msgid)
        strings = message.string if message and isinstance(message.string, tuple) else None
        if message is None:
            missing.append(f"{source}: {msgid!r} (not extracted: run make messages)")
        elif message.fuzzy or not (all(strings) if strings else message.string):
            missing.append(f"{source}: {msgid!r}")
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: path.parts[-3])
def test_translations_keep_their_placeholders(path):
    wrong = []
    for message in load(path):
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set(PLACEHOLDER.findall(ids[-1])) | set(PLACEHOLDER.findall(ids[0]))
        # A plural form may leave the count out ("Den Kommentar" for one), nothing else.
        may_omit = {"num"} if len(ids) > 1 else set()
        for string in strings:
            found = set(PLACEHOLDER.findall(string))
            if string and (found - expected or expected - found - may_omit):
                wrong.append(f"{ids[0]!r} -> {string!r}")
    assert not wrong, "\n".join(wrong)


def test_web_address_messages_are_the_sanitizers_own(app):
    """blog.sanitize cannot mark its messages; blog.web.forms repeats them marked: same text."""
    names = [name for name in dir(sanitize) if name.startswith(("WEB_ADDRESS_", "BAD_WEB"))]
    texts = {getattr(sanitize, name) for name in names if isinstance(getattr(sanitize, name), str)}
    with app.test_request_context():
        assert {key: str(value) for key, value in WEB_ADDRESS_MESSAGES.items()} == {
            text: text for text in texts
        }
