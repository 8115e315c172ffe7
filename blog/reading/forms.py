"""The reader's one form outside the comments: the password of a protected post."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import Length

WRONG_PASSWORD = "The password you entered is incorrect."  # noqa: S105 - a message


class UnlockForm(FlaskForm):
    """WordPress's post-password form ("Password:", "Enter"). CSRF-protected like every form."""

    password = PasswordField("Password:", validators=[Length(max=255)])
