"""Signing in and changing a password."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    PasswordField,
    StringField,
)
from wtforms.validators import (
    EqualTo,
    InputRequired,
    Length,
    ValidationError,
)

from ..web.forms import USERNAME_MAX, BaseForm, strip, visible_name
from .passwords import password_problem


class LoginForm(BaseForm):
    username = StringField(
        _l("Username"),
        filters=[strip],
        validators=[
            InputRequired(_l("Enter your username.")),
            visible_name(_l("Enter your username.")),
            Length(max=USERNAME_MAX, message=_l("Usernames have at most %(max)d characters.")),
        ],
    )
    password = PasswordField(_l("Password"), validators=[InputRequired(_l("Enter your password."))])


class PasswordChangeForm(BaseForm):
    current = PasswordField(
        _l("Current password"), validators=[InputRequired(_l("Enter your current password."))]
    )
    new = PasswordField(
        _l("New password"), validators=[InputRequired(_l("Choose a new password."))]
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            InputRequired(_l("Repeat the new password.")),
            EqualTo("new", _l("The two new passwords differ.")),
        ],
    )

    def validate_new(self, field) -> None:
        problem = password_problem(field.data or "")
        if problem:
            raise ValidationError(problem)


class AcceptInviteForm(BaseForm):
    """An invited author chooses their password (the site's rules: length, not a common one)."""

    new = PasswordField(
        _l("Choose a password"), validators=[InputRequired(_l("Choose a password."))]
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[
            InputRequired(_l("Repeat the password.")),
            EqualTo("new", _l("The two passwords differ.")),
        ],
    )

    def validate_new(self, field) -> None:
        problem = password_problem(field.data or "")
        if problem:
            raise ValidationError(problem)
