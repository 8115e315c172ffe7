"""The reader's one form outside the comments: the password of a protected post."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import Length

WRONG_PASSWORD = _l("The password you entered is incorrect.")


class UnlockForm(FlaskForm):
    """WordPress's post-password form ("Password:", "Enter"). CSRF-protected like every form."""

    password = PasswordField(_l("Password:"), validators=[Length(max=255)])
