"""Signing in and changing a password."""

from __future__ import annotations

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
        "Username",
        filters=[strip],
        validators=[
            InputRequired("Enter your username."),
            visible_name("Enter your username."),
            Length(max=USERNAME_MAX, message=f"Usernames have at most {USERNAME_MAX} characters."),
        ],
    )
    password = PasswordField("Password", validators=[InputRequired("Enter your password.")])


class PasswordChangeForm(BaseForm):
    current = PasswordField(
        "Current password", validators=[InputRequired("Enter your current password.")]
    )
    new = PasswordField("New password", validators=[InputRequired("Choose a new password.")])
    confirm = PasswordField(
        "Repeat the new password",
        validators=[
            InputRequired("Repeat the new password."),
            EqualTo("new", "The two new passwords differ."),
        ],
    )

    def validate_new(self, field) -> None:
        problem = password_problem(field.data or "")
        if problem:
            raise ValidationError(problem)


class AcceptInviteForm(BaseForm):
    """An invited author chooses their password (the site's rules: length, not a common one)."""

    new = PasswordField("Choose a password", validators=[InputRequired("Choose a password.")])
    confirm = PasswordField(
        "Repeat the password",
        validators=[
            InputRequired("Repeat the password."),
            EqualTo("new", "The two passwords differ."),
        ],
    )

    def validate_new(self, field) -> None:
        problem = password_problem(field.data or "")
        if problem:
            raise ValidationError(problem)
