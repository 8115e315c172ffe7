"""Forms. Server-side validation is the rule; HTML attributes in the templates only help."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields import DateTimeLocalField, EmailField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from .params import parse_id
from .passwords import password_problem
from .slugs import is_kept_slug, is_slug
from .text import clean_multiline, one_line

# WordPress's limits (wp_get_comment_fields_max_lengths).
NAME_MAX = 245
EMAIL_MAX = 100
URL_MAX = 200
COMMENT_MAX = 65_525
USERNAME_MAX = 64  # Author.username


def strip(value):
    return value.strip() if isinstance(value, str) else value


def add_scheme(value):
    """ "example.org" means a web site; give it https:// rather than refuse it."""
    if isinstance(value, str) and value and "://" not in value and ":" not in value.split("/")[0]:
        return "https://" + value
    return value


BAD_WEB_ADDRESS = "Enter a web address starting with http:// or https://."


def web_address(form, field) -> None:
    try:
        # urllib raises ValueError on brackets that are not an IPv6 literal ("my[site].example",
        # "http://[evil") and on a bad port; both are a typing mistake, not a server error.
        parts = urlsplit(field.data or "")
        hostname = parts.hostname
        parts.port  # noqa: B018 - read for its ValueError
    except ValueError:
        raise ValidationError(BAD_WEB_ADDRESS) from None
    if parts.scheme not in ("http", "https") or not hostname:
        raise ValidationError(BAD_WEB_ADDRESS)


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
            """Every text field of every form is cleaned first (blog.text): no NUL, control
            characters, noncharacters or lone surrogates reach the database, and only text areas
            keep line breaks. Passwords are left as typed (they are only ever hashed)."""
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
                clean = clean_multiline if issubclass(field_class, MULTILINE_FIELDS) else one_line
                filters = unbound_field.kwargs.get("filters", ())
                options = {**options, "filters": [clean, *filters]}
            return unbound_field.bind(form=form, **options)

    def first_error_field(self):
        """The field that gets the focus when the form comes back with errors."""
        return next((field for field in self if field.errors), None)


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


class EmptyForm(BaseForm):
    """A button-only POST (delete, approve) still carries a CSRF token."""


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


SLUG_MESSAGE = "Use lower-case letters, digits and single hyphens."


def slug_shape(form, field) -> None:
    """Letters of any script (Latin ones without accents), digits, single hyphens; or a slug
    as WordPress keeps them (accents, underscores), so an imported article saves unchanged."""
    if field.data and not (is_slug(field.data) or is_kept_slug(field.data)):
        raise ValidationError(SLUG_MESSAGE)


class PostForm(BaseForm):
    title = StringField(
        "Title",
        filters=[strip],
        validators=[
            InputRequired("Give the article a title."),
            visible_name("Give the article a title (it cannot be only spaces)."),
            Length(max=200),
        ],
    )
    slug = StringField(
        "Slug",
        filters=[strip],
        validators=[
            Optional(),
            Length(max=200),
            slug_shape,
        ],
    )
    body = TextAreaField("Body (Markdown)", validators=[Length(max=500_000)])
    summary = TextAreaField("Summary", filters=[strip], validators=[Length(max=1000)])
    tags = StringField("Tags", filters=[strip], validators=[Length(max=500)])
    comments_open = BooleanField("Allow comments", default=True)
    # The editor shows a text field in ISO form ("2026-05-01 09:30"); the "T" forms still count.
    publish_at = DateTimeLocalField(
        "Publish at (UTC)",
        format=["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[Optional()],
    )

    def tag_names(self) -> list[str]:
        data = self.tags.data
        if not isinstance(data, str):
            # No "tags" in the POST: the field kept the article's own Tag rows (PostForm(obj=)).
            data = ", ".join(tag.name for tag in data or ())
        names = [name.strip() for name in data.split(",")]
        return list(dict.fromkeys(name for name in names if name))


class AdminReplyForm(BaseForm):
    comment = CommentForm.comment


class AdminCommentEditForm(BaseForm):
    comment = CommentForm.comment
    author = CommentForm.author
    email = CommentForm.email
    url = CommentForm.url


def word_list(value) -> list[str]:
    if isinstance(value, str):
        value = value.replace(",", "\n").splitlines()
    return [word.strip() for word in value or () if word and word.strip()]


class SettingsForm(BaseForm):
    site_title = StringField(
        "Site title",
        filters=[strip],
        validators=[
            InputRequired(),
            visible_name("Give the site a title (it cannot be only spaces)."),
            Length(max=100),
        ],
    )
    site_tagline = StringField("Tagline", filters=[strip], validators=[Length(max=200)])
    posts_per_page = IntegerField(
        "Posts per page", validators=[InputRequired(), NumberRange(1, 50)]
    )
    comment_moderation = SelectField(
        "Hold comments for moderation",
        choices=[
            SelectChoice("first-time", "When the commenter has no approved comment yet"),
            SelectChoice("all", "Always"),
            SelectChoice("none", "Never (links and moderation words still hold)"),
        ],
    )
    comment_max_links = IntegerField(
        "Hold a comment with this many links or more (0: no limit)",
        validators=[InputRequired(), NumberRange(0, 100)],
    )
    comment_moderation_words = TextAreaField("Moderation words (one per line)")
    comment_disallowed_words = TextAreaField("Disallowed words, sent to spam (one per line)")
    comment_close_after_days = IntegerField(
        "Close comments on articles older than this many days (0: never)",
        validators=[InputRequired(), NumberRange(0, 36500)],
    )
    comment_thread_depth = IntegerField(
        "Nest replies this many levels deep", validators=[InputRequired(), NumberRange(1, 10)]
    )
    comments_per_page = IntegerField(
        "Top-level comments per page", validators=[InputRequired(), NumberRange(1, 500)]
    )
    comment_order = SelectField(
        "Show first",
        choices=[
            SelectChoice("oldest", "Oldest comments"),
            SelectChoice("newest", "Newest comments"),
        ],
    )
    comment_edit_minutes = IntegerField(
        "Commenters may edit their comment for this many minutes (0: not at all)",
        validators=[InputRequired(), NumberRange(0, 1440)],
    )

    WORD_FIELDS = ("comment_moderation_words", "comment_disallowed_words")

    def load(self, config) -> None:
        for field in self:
            key = field.name.upper()
            if key in config:
                value = config[key]
                field.data = (
                    "\n".join(word_list(value)) if field.name in self.WORD_FIELDS else value
                )

    def values(self) -> dict:
        values = {}
        for field in self:
            if field.name == "csrf_token":
                continue
            data = field.data
            values[field.name.upper()] = word_list(data) if field.name in self.WORD_FIELDS else data
        return values
