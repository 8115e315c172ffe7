"""The readers' comment forms: a comment (with name, email and website, or as a signed-in
author) and the poster's own edit."""

from __future__ import annotations

from babel.numbers import format_decimal
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from wtforms import (
    BooleanField,
    HiddenField,
    StringField,
    TextAreaField,
)
from wtforms.fields import EmailField
from wtforms.validators import (
    Email,
    InputRequired,
    Length,
    Optional,
)

from ..web.forms import (
    COMMENT_MAX,
    EMAIL_MAX,
    NAME_MAX,
    URL_MAX,
    BaseForm,
    add_scheme,
    not_blank,
    plain_id,
    strip,
    visible_name,
    web_address,
)

# "65,525" in English, "65.525" in German: formatted when the message is shown.
_COMMENT_MAX_SHOWN = LazyString(lambda: format_decimal(COMMENT_MAX, locale=get_locale() or "en"))


class ReaderForm(BaseForm):
    """A form readers send from public pages. Its token is not the form's own check: the
    request is checked before the view (blog/web/forgery.py), by the browser's Sec-Fetch-Site
    and Origin headers, and by the session's token when the sender is signed in."""

    class Meta(BaseForm.Meta):
        csrf = False


class CommentForm(ReaderForm):
    comment = TextAreaField(
        _l("Comment"),
        validators=[
            not_blank(_l("Please type your comment.")),
            Length(
                max=COMMENT_MAX,
                message=_l("Keep your comment under %(num)s characters.", num=_COMMENT_MAX_SHOWN),
            ),
        ],
    )
    author = StringField(
        _l("Name"),
        filters=[strip],
        validators=[
            InputRequired(_l("Please enter your name.")),
            visible_name(_l("Please enter your name (it cannot be only spaces).")),
            Length(
                max=NAME_MAX,
                message=_l("Use at most %(num)s characters for your name.", num=NAME_MAX),
            ),
        ],
    )
    email = EmailField(
        _l("Email"),
        filters=[strip],
        validators=[
            InputRequired(_l("Please enter your email address.")),
            Length(
                max=EMAIL_MAX,
                message=_l("Use at most %(num)s characters for the email.", num=EMAIL_MAX),
            ),
            Email(
                _l("Please enter a valid email address, like name@example.org."),
                check_deliverability=False,
            ),
        ],
    )
    # type="text", not "url": the form comes back with what was typed, and a bad address in the
    # value of an <input type="url"> makes the page invalid HTML. inputmode still brings the
    # keyboard with "/" and ".com"; the server's check (web_address) is the one that counts.
    url = StringField(
        _l("Website"),
        render_kw={"inputmode": "url", "spellcheck": "false", "autocapitalize": "none"},
        filters=[strip, add_scheme],
        validators=[
            Optional(),
            Length(
                max=URL_MAX,
                message=_l("Use at most %(num)s characters for the website.", num=URL_MAX),
            ),
            web_address,
        ],
    )
    # WordPress's wording ("Subscribe to Comments"): a confirmation email comes first.
    notify = BooleanField(_l("Notify me of follow-up comments by email."))
    remember = BooleanField(
        _l("Save my name, email, and website in this browser for the next time I comment.")
    )
    parent = HiddenField(filters=[plain_id])
    # Bots fill every field; people never see this one (see the template).
    homepage = StringField(_l("Leave this field empty"))
    stamp = HiddenField()


class AuthorCommentForm(ReaderForm):
    """A signed-in author comments under their own name: no name, email or website to give."""

    comment = CommentForm.comment
    parent = HiddenField()
    homepage = CommentForm.homepage
    stamp = HiddenField()


class CommentEditForm(ReaderForm):
    comment = CommentForm.comment
