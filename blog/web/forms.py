"""What every form shares: the base form that cleans text fields, the field rules and limits
several areas use, and the button-only form. Each area keeps its own forms beside its views
(comments/forms.py, accounts/forms.py, admin/forms.py). Server-side validation is the rule;
HTML attributes in the templates only help."""

from __future__ import annotations

import functools
import unicodedata

from babel import support
from flask import current_app
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    PasswordField,
    StringField,
    TextAreaField,
)
from wtforms.i18n import messages_path
from wtforms.validators import (
    ValidationError,
)

from .. import sanitize
from ..sanitize import BAD_WEB_ADDRESS as BAD_WEB_ADDRESS  # what the importers report
from ..sanitize import WebAddressError, check_web_address
from .params import parse_id
from .text import clean_multiline, one_line

# WordPress's limits (wp_get_comment_fields_max_lengths).
NAME_MAX = 245
EMAIL_MAX = 100
URL_MAX = 200
COMMENT_MAX = 65_525
USERNAME_MAX = 64  # Author.username

# blog.sanitize says what is wrong with a web address in English (it imports no area, hence no
# Flask-Babel); these are the same texts marked for translation (tests/unit/web/test_catalogue.py
# checks that they stay the same).
WEB_ADDRESS_MESSAGES = {
    sanitize.BAD_WEB_ADDRESS: _l("Enter a web address starting with http:// or https://."),
    sanitize.WEB_ADDRESS_SPACES: _l("A web address cannot contain spaces."),
    sanitize.WEB_ADDRESS_CHARACTERS: _l(
        "A web address cannot contain invisible characters or a backslash, nor any of "
        '< > " { } | ^ ` in the site name.'
    ),
    sanitize.WEB_ADDRESS_HOST: _l(
        "Check the site name after http:// or https://: it is not a valid host name "
        "(letters, digits and hyphens, no hyphen at the start or end of a part, parts of at most "
        "63 characters)."
    ),
    sanitize.WEB_ADDRESS_PORT: _l("The port after the site name must be a number from 1 to 65535."),
    sanitize.WEB_ADDRESS_CREDENTIALS: _l(
        "Leave out the user name and password (the part before @): "
        "the address is shown to everyone."
    ),
    sanitize.WEB_ADDRESS_TOO_LONG: _l(
        "Use at most %(num)s characters for the website.", num=sanitize.WEB_ADDRESS_MAX
    ),
}


def strip(value):
    return value.strip() if isinstance(value, str) else value


def add_scheme(value):
    """ "example.org" means a web site; give it https:// rather than refuse it."""
    if isinstance(value, str) and value and "://" not in value and ":" not in value.split("/")[0]:
        return "https://" + value
    return value


def web_address(form, field) -> None:
    """A website typed in a form (a commenter's, in the comment form and the admin's comment
    edit): checked by blog.sanitize.check_web_address (rfc3986 and IDNA) and, when good, replaced
    by its normalised form, which is what is stored and rendered. When bad, the field keeps what
    was typed and gets the message that says what is wrong."""
    try:
        field.data = check_web_address(field.data or "", URL_MAX)
    except WebAddressError as error:
        said = str(error)
        raise ValidationError(str(WEB_ADDRESS_MESSAGES.get(said) or gettext(said))) from None


def plain_id(value):
    """A row id as typed, or "0" (no row has it) for anything that is not a plain id: the views
    can call int() on it without meeting a huge or non-ASCII number."""
    if not value:
        return value
    return value.strip() if parse_id(value) is not None else "0"


def not_blank(message: str):
    def check(form, field) -> None:
        if not (field.data or "").strip():
            raise ValidationError(message)

    check.field_flags = {"required": True}  # rendered as the HTML attribute
    return check


# Characters that show nothing on their own: format characters (zero-width space, joiners,
# direction marks), combining marks, and the fillers of Hangul and Braille that look blank.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cn", "Co", "Cs", "Mn", "Me", "Zl", "Zp", "Zs"})
_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f")


def has_visible_text(value) -> bool:
    """Whether ``value`` has at least one character that shows: a name of spaces, zero-width
    spaces or Hangul fillers is no name."""
    return isinstance(value, str) and any(
        not char.isspace()
        and char not in _BLANK_LOOKING
        and unicodedata.category(char) not in _INVISIBLE_CATEGORIES
        for char in value
    )


def visible_name(message: str):
    """A name (of a commenter, an author, an article, the site) must show something: after
    ``strip`` a name of only spaces was empty, and InputRequired, which looks at what was
    typed, had let it through."""

    def check(form, field) -> None:
        if not has_visible_text(field.data):
            raise ValidationError(message)

    return check


# Fields whose text keeps its line breaks and tabs; every other text field is one line.
MULTILINE_FIELDS = (TextAreaField,)


class BaseForm(FlaskForm):
    class Meta:
        def bind_field(self, form, unbound_field, options):
            """Every text field of every form is cleaned first (blog.web.text): no NUL, control
            characters, noncharacters or lone surrogates reach the database, and only text areas
            keep line breaks. Passwords are left as typed (they are only ever hashed)."""
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
                clean = clean_multiline if issubclass(field_class, MULTILINE_FIELDS) else one_line
                filters = unbound_field.kwargs.get("filters", ())
                options = {**options, "filters": [clean, *filters]}
            return unbound_field.bind(form=form, **options)

        def get_translations(self, form):
            """WTForms' own messages in the site's language, loaded once per language: Flask-WTF
            reads and parses the catalogue file again on every request that builds a form."""
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return _wtforms_messages(str(get_locale()))

    def first_error_field(self):
        """The field that gets the focus when the form comes back with errors."""
        return next((field for field in self if field.errors), None)


@functools.lru_cache(maxsize=32)
def _wtforms_messages(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class EmptyForm(BaseForm):
    """A button-only POST (delete, approve) still carries a CSRF token."""
