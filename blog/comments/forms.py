"""The readers' comment forms: a comment (with name, email and website, or as a signed-in
author) and the poster's own edit."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
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


class CommentForm(BaseForm):
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
            visible_name("Please enter your name (it cannot be only spaces)."),
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
    # type="text", not "url": the form comes back with what was typed, and a bad address in the
    # value of an <input type="url"> makes the page invalid HTML. inputmode still brings the
    # keyboard with "/" and ".com"; the server's check (web_address) is the one that counts.
    url = StringField(
        "Website",
        render_kw={"inputmode": "url", "spellcheck": "false", "autocapitalize": "none"},
        filters=[strip, add_scheme],
        validators=[
            Optional(),
            Length(max=URL_MAX, message=f"Use at most {URL_MAX} characters for the website."),
            web_address,
        ],
    )
    # WordPress's wording ("Subscribe to Comments"): a confirmation email comes first.
    notify = BooleanField(_l("Notify me of follow-up comments by email."))
    remember = BooleanField(
        "Save my name, email, and website in this browser for the next time I comment."
    )
    parent = HiddenField(filters=[plain_id])
    # Bots fill every field; people never see this one (see the template).
    homepage = StringField("Leave this field empty")
    stamp = HiddenField()


class AuthorCommentForm(BaseForm):
    """A signed-in author comments under their own name: no name, email or website to give."""

    comment = CommentForm.comment
    parent = HiddenField()
    homepage = CommentForm.homepage
    stamp = HiddenField()


class CommentEditForm(BaseForm):
    comment = CommentForm.comment
