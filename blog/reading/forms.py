"""The reader's one form outside the comments: the password of a protected post."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import Length

WRONG_PASSWORD = _l("The password you entered is incorrect.")


class UnlockForm(FlaskForm):
    """WordPress's post-password form ("Password:", "Enter"). Protected from cross-site posts
    before the view (blog/web/forgery.py): by the browser's Sec-Fetch-Site and Origin headers,
    and by the session's token when the sender is signed in; not by a field of its own."""

    class Meta:
        csrf = False

    password = PasswordField(_l("Password:"), validators=[Length(max=255)])
