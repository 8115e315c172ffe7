"""The admin's forms: an article, a moderator's reply and edit, the site settings."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields import DateTimeLocalField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ..comments.forms import CommentForm
from ..reading.slugs import is_kept_slug, is_slug
from ..settings import DATE_FORMATS, TIME_FORMATS, parse_timezone, site_config
from ..web.forms import BaseForm, strip, visible_name
from ..web.i18n import LANGUAGES
from ..web.templating import format_examples

SLUG_MESSAGE = _l("Use lower-case letters, digits and single hyphens.")


def slug_shape(form, field) -> None:
    """Letters of any script (Latin ones without accents), digits, single hyphens; or a slug
    as WordPress keeps them (accents, underscores), so an imported article saves unchanged."""
    if field.data and not (is_slug(field.data) or is_kept_slug(field.data)):
        raise ValidationError(SLUG_MESSAGE)


VISIBILITIES = ("public", "password", "private")


def whole_ids(value):
    """Checked boxes as row ids; anything that is not a plain id is dropped (never a 500)."""
    ids = []
    for item in value if isinstance(value, list | tuple) else ():
        raw = getattr(item, "id", item)
        if isinstance(raw, int) or (isinstance(raw, str) and raw.isascii() and raw.isdigit()):
            number = int(raw)
            if 0 < number < 2**31:
                ids.append(number)
    return ids


def id_text(value):
    """An id read from the post (PostForm(obj=post)) as the text a form would send."""
    return str(value) if isinstance(value, int) else value


class PostForm(BaseForm):
    """A post's or a page's editor (pages leave out excerpt-less bits: sticky, terms)."""

    title = StringField(
        _l("Title"),
        filters=[strip],
        validators=[
            InputRequired(_l("Give the article a title.")),
            visible_name(_l("Give the article a title (it cannot be only spaces).")),
            Length(max=200),
        ],
    )
    slug = StringField(
        _l("Slug"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=200),
            slug_shape,
        ],
    )
    body = TextAreaField(_l("Body (Markdown)"), validators=[Length(max=500_000)])
    summary = TextAreaField(_l("Excerpt"), filters=[strip], validators=[Length(max=1000)])
    tags = StringField(_l("Tags"), filters=[strip], validators=[Length(max=500)])
    # Checked categories by id (the view keeps only ids of existing categories).
    category_ids = SelectMultipleField(
        _l("Categories"), coerce=str, validate_choice=False, filters=[whole_ids]
    )
    new_category = StringField(_l("New category"), filters=[strip], validators=[Length(max=64)])
    sticky = BooleanField(_l("Stick to the top of the blog"))
    visibility = RadioField(
        _l("Visibility"),
        choices=[
            SelectChoice("public", _l("Public")),
            SelectChoice("password", _l("Password protected")),
            SelectChoice("private", _l("Private")),
        ],
        default="public",
        validate_choice=False,
    )
    password = StringField(_l("Password"), filters=[strip], validators=[Length(max=255)])
    # Pages: the parent page's id ("" for none) and the order among siblings.
    parent_page = StringField(_l("Parent page"), filters=[strip], validators=[Length(max=12)])
    menu_order = IntegerField(
        _l("Order"),
        validators=[
            Optional(),
            NumberRange(-100_000, 100_000, _l("Use a number from -100000 to 100000.")),
        ],
    )
    comments_open = BooleanField(_l("Allow comments"), default=True)
    # A picture of the media library by id ("" for none); the view checks it exists and is one.
    featured_media_id = StringField(
        _l("Featured image"), filters=[id_text, strip], validators=[Length(max=12)]
    )
    # The editor shows a text field in ISO form ("2026-05-01 09:30"); the "T" forms still count.
    publish_at = DateTimeLocalField(
        _l("Publish at"),
        format=["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[Optional()],
    )

    def validate_visibility(self, field) -> None:
        if field.data not in VISIBILITIES:
            field.data = "public"

    def validate_password(self, field) -> None:
        if self.visibility.data == "password" and not field.data:
            raise ValidationError(_l("Type the password readers will need."))

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


def site_timezone_name(form, field) -> None:
    """The TIMEZONE setting: what blog.settings.parse_timezone understands."""
    try:
        parse_timezone(field.data or "")
    except ValueError:
        raise ValidationError(
            'Enter "UTC", a time zone name such as "Europe/Berlin", or an offset such as "+05:00".'
        ) from None


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
    timezone = StringField(
        "Time zone",
        # Left empty (or not sent, by an older form): UTC.
        filters=[strip, lambda value: value or "UTC"],
        validators=[Length(max=64), site_timezone_name],
        description='"UTC", a city\'s zone such as "Europe/Berlin", or an offset such as "+05:00".',
    )
    # The choices' labels show today's date in each format (set per request in __init__);
    # the keys are what is stored (blog.settings.DATE_FORMATS, TIME_FORMATS).
    date_format = SelectField(_l("Date format"), choices=[SelectChoice(k, k) for k in DATE_FORMATS])
    time_format = SelectField(_l("Time format"), choices=[SelectChoice(k, k) for k in TIME_FORMATS])
    site_language = SelectField(
        _l("Site language"), choices=[SelectChoice(*language) for language in LANGUAGES.items()]
    )

    WORD_FIELDS = ("comment_moderation_words", "comment_disallowed_words")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        config = site_config()
        for field in (self.date_format, self.time_format, self.site_language):
            if field.data is None:  # not sent (an older form, a script): it stays as it is
                field.data = config[field.name.upper()]
        dates, times = format_examples()
        own_form = {"long": _l("the language's long form"), "medium": _l("its medium form")}
        self.date_format.choices = [
            SelectChoice(key, f"{example} ({own_form[key]})" if key in own_form else example)
            for key, example in dates
        ]
        own_time = _l("the language's own form")
        self.time_format.choices = [
            SelectChoice(key, f"{example} ({own_time})" if key == "locale" else example)
            for key, example in times
        ]

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
