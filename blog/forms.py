"""Forms. Server-side validation is the rule; HTML attributes in the templates only help."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.fields import EmailField, URLField
from wtforms.validators import Email, InputRequired, Length, Optional, ValidationError

# WordPress's limits (wp_get_comment_fields_max_lengths).
NAME_MAX = 245
EMAIL_MAX = 100
URL_MAX = 200
COMMENT_MAX = 65_525


def strip(value):
    return value.strip() if isinstance(value, str) else value


def add_scheme(value):
    """ "example.org" means a web site; give it https:// rather than refuse it."""
    if isinstance(value, str) and value and "://" not in value and ":" not in value.split("/")[0]:
        return "https://" + value
    return value


def web_address(form, field) -> None:
    parts = urlsplit(field.data or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError("Enter a web address starting with http:// or https://.")


def not_blank(message: str):
    def check(form, field) -> None:
        if not (field.data or "").strip():
            raise ValidationError(message)

    return check


class CommentForm(FlaskForm):
    comment = TextAreaField(
        "Comment",
        validators=[
            not_blank("Please type your comment."),
            Length(max=COMMENT_MAX, message=f"Keep your comment under {COMMENT_MAX:,} characters."),
        ],
    )
    author = StringField(
        "Name",
        filters=[strip],
        validators=[
            InputRequired("Please enter your name."),
            Length(max=NAME_MAX, message=f"Use at most {NAME_MAX} characters for your name."),
        ],
    )
    email = EmailField(
        "Email",
        filters=[strip],
        validators=[
            InputRequired("Please enter your email address."),
            Length(max=EMAIL_MAX, message=f"Use at most {EMAIL_MAX} characters for the email."),
            Email(
                "Please enter a valid email address, like name@example.org.",
                check_deliverability=False,
            ),
        ],
    )
    url = URLField(
        "Website",
        filters=[strip, add_scheme],
        validators=[
            Optional(),
            Length(max=URL_MAX, message=f"Use at most {URL_MAX} characters for the website."),
            web_address,
        ],
    )
    remember = BooleanField(
        "Save my name, email, and website in this browser for the next time I comment."
    )
    parent = HiddenField()
    # Bots fill every field; people never see this one (see the template).
    homepage = StringField("Leave this field empty")
    stamp = HiddenField()

    def first_error_field(self):
        return next((field for field in self if field.errors), None)


class CommentEditForm(FlaskForm):
    comment = CommentForm.comment


class EmptyForm(FlaskForm):
    """A button-only POST (delete, approve) still carries a CSRF token."""
