"""The Users screen (administrators): the accounts, inviting a new one by email, editing one's
name, email, role and bio, and removing one with their posts given to another account.

An invited account has no usable password (accounts.passwords.NO_PASSWORD) until its owner
follows the emailed link (accounts.invites, auth.accept_invite). The site always keeps an
administrator: nobody changes their own role or removes themself, and the last administrator
cannot be demoted or removed.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, ValidationError

from ..accounts import roles
from ..accounts.invites import invite_token, link_days
from ..accounts.passwords import NO_PASSWORD
from ..extensions import db
from ..mail import outbox
from ..models import Author, Post, Role
from ..settings import site_config
from ..web.forms import USERNAME_MAX, BaseForm, EmptyForm, strip, visible_name
from ..web.params import parse_id
from ..web.urls import absolute_url
from . import bp

ROLE_CHOICES = [SelectChoice(role, label) for role, label in roles.ROLE_LABELS.items()]
# The role inside a sentence of the invitation ("... as an author"): lower-case in English only.
ROLE_IN_SENTENCE = {
    Role.ADMINISTRATOR.value: _l("administrator"),
    Role.EDITOR.value: _l("editor"),
    Role.AUTHOR.value: _l("author"),
    Role.CONTRIBUTOR.value: _l("contributor"),
}
USERNAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-@")


def lower(value):
    return value.lower() if isinstance(value, str) else value


class UserForm(BaseForm):
    display_name = StringField(
        _l("Display name"),
        filters=[strip],
        validators=[
            InputRequired(_l("Enter the name readers see.")),
            visible_name(_l("Enter the name readers see.")),
            Length(max=128),
        ],
    )
    email = EmailField(
        _l("Email"),
        filters=[strip, lower],
        validators=[
            InputRequired(_l("Enter an email address.")),
            Length(max=254),
            Email(
                _l("Enter an email address such as name@example.org."), check_deliverability=False
            ),
        ],
    )
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default=Role.AUTHOR.value)
    bio = TextAreaField(_l("Biographical info"), filters=[strip], validators=[Length(max=5000)])

    def __init__(self, *args, account: Author | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account

    def validate_email(self, field) -> None:
        other = db.session.scalar(
            select(Author).where(func.lower(Author.email) == (field.data or "").lower())
        )
        if other is not None and (self.account is None or other.id != self.account.id):
            raise ValidationError(
                _("The account \u201c%(name)s\u201d has this address.", name=other.username)
            )


class InviteForm(UserForm):
    username = StringField(
        _l("Username"),
        filters=[strip, lower],
        validators=[
            InputRequired(_l("Choose a username.")),
            Length(max=USERNAME_MAX, message=_l("Usernames have at most %(max)d characters.")),
        ],
    )

    def validate_username(self, field) -> None:
        name = field.data or ""
        if not set(name) <= USERNAME_CHARS:
            raise ValidationError(_("Use lower-case letters, digits, dots, hyphens, _ and @."))
        taken = db.session.scalar(select(Author.id).where(func.lower(Author.username) == name))
        if taken is not None:
            raise ValidationError(_("That username is taken."))


def administrators() -> int:
    return db.session.scalar(
        select(func.count(Author.id)).where(Author.role == Role.ADMINISTRATOR.value)
    )


def post_counts() -> dict[int, int]:
    return dict(
        db.session.execute(
            select(Post.author_id, func.count(Post.id)).group_by(Post.author_id)
        ).all()
    )


# --- the list ---------------------------------------------------------------------------------


@bp.get("/users")
@roles.require("list_users")
def users():
    accounts = db.session.scalars(select(Author).order_by(func.lower(Author.username))).all()
    return render_template(
        "admin/users.html",
        accounts=accounts,
        counts=post_counts(),
        role_labels=roles.ROLE_LABELS,
        no_password=NO_PASSWORD,
    )


# --- inviting ---------------------------------------------------------------------------------


def invite_message(account: Author) -> EmailMessage:
    config = current_app.config
    site_title = site_config()["SITE_TITLE"]
    body = current_app.jinja_env.get_template("mail/invite.txt").render(
        author=account,
        inviter=g.author.display_name,
        site_title=site_title,
        role_label=ROLE_IN_SENTENCE.get(account.role, account.role),
        days=link_days(),
        # From SITE_URL, never from this request's Host header.
        link=absolute_url("auth.accept_invite", token=invite_token(account)),
    )
    message = EmailMessage()
    message["Subject"] = _("You are invited to write for %(site)s", site=site_title).replace(
        "\n", " "
    )
    message["From"] = config["MAIL_SENDER"]
    message["To"] = account.email
    message["Date"] = formatdate(localtime=False)
    message.set_content(body)
    return message


@bp.route("/users/invite", methods=["GET", "POST"])
@roles.require("create_users")
def user_invite():
    form = InviteForm()
    if form.validate_on_submit():
        account = Author(
            username=form.username.data,
            display_name=form.display_name.data,
            email=form.email.data,
            role=form.role.data,
            bio=form.bio.data or "",
            password_hash=NO_PASSWORD,
        )
        db.session.add(account)
        db.session.flush()  # the id the link names
        outbox.enqueue(invite_message(account))  # in the account's own transaction
        db.session.commit()
        outbox.wake()
        current_app.logger.info(
            "%s invited %r as %s", g.author.username, account.username, account.role
        )
        flash(
            _(
                "Invited %(name)s: an email with a link to choose a password"
                " is on its way to %(email)s.",
                name=account.display_name,
                email=account.email,
            )
        )
        return redirect(url_for("admin.users"), 303)
    status = 422 if form.is_submitted() else 200
    return render_template("admin/user_form.html", form=form, account=None), status


@bp.post("/users/<int:user_id>/reinvite")
@roles.require("create_users")
def user_reinvite(user_id: int):
    """A new invitation for an account that has not chosen a password yet (the old link dies)."""
    account = db.get_or_404(Author, user_id)
    if not EmptyForm().validate():
        abort(400)
    if account.password_hash != NO_PASSWORD or not account.email:
        flash(_("%(name)s has chosen a password already.", name=account.display_name))
        return redirect(url_for("admin.users"), 303)
    account.session_epoch += 1
    db.session.flush()
    outbox.enqueue(invite_message(account))
    db.session.commit()
    outbox.wake()
    flash(
        _(
            "Sent a new invitation to %(email)s; the earlier link no longer works.",
            email=account.email,
        )
    )
    return redirect(url_for("admin.users"), 303)


# --- editing ----------------------------------------------------------------------------------


def role_problem(account: Author, new_role: str) -> str | None:
    if new_role == account.role:
        return None
    if account.id == g.author.id:
        return _("You cannot change your own role; another administrator can.")
    if account.role == Role.ADMINISTRATOR.value and administrators() <= 1:
        return _("The site needs an administrator: this is the last one.")
    return None


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@roles.require("edit_users")
def user_edit(user_id: int):
    account = db.get_or_404(Author, user_id)
    form = UserForm(obj=account, account=account)
    status = 200
    if form.validate_on_submit():
        problem = role_problem(account, form.role.data)
        if problem:
            form.role.errors = [*form.role.errors, problem]
        else:
            account.display_name = form.display_name.data
            account.email = form.email.data
            account.role = form.role.data  # read on every request: it applies at once
            account.bio = form.bio.data or ""
            db.session.commit()
            flash(_("Saved %(name)s's profile.", name=account.display_name))
            return redirect(url_for("admin.users"), 303)
    if form.is_submitted():
        status = 422
    return render_template("admin/user_form.html", form=form, account=account), status


# --- removing ---------------------------------------------------------------------------------


@bp.route("/users/<int:user_id>/delete", methods=["GET", "POST"])
@roles.require("delete_users")
def user_delete(user_id: int):
    """Remove an account; its posts (pages too) go to the chosen account, its comments keep
    their text with the account link cleared (the foreign key's ON DELETE SET NULL)."""
    account = db.get_or_404(Author, user_id)
    posts = post_counts().get(account.id, 0)
    others = db.session.scalars(
        select(Author).where(Author.id != account.id).order_by(func.lower(Author.username))
    ).all()
    problem = error = None
    if account.id == g.author.id:
        problem = _("You cannot remove your own account.")
    elif account.role == Role.ADMINISTRATOR.value and administrators() <= 1:
        problem = _("The site needs an administrator: this is the last one.")
    chosen = request.form.get("heir", "")
    if request.method == "POST" and problem is None:
        if not EmptyForm().validate():
            abort(400)
        heir_id = parse_id(chosen)
        heir = next((a for a in others if a.id == heir_id), None)
        if posts and heir is None:
            error = ngettext(
                "Choose who receives %(name)s's %(num)d post.",
                "Choose who receives %(name)s's %(num)d posts.",
                posts,
                name=account.display_name,
            )
        else:
            name = account.display_name
            if heir is not None:
                for post in db.session.scalars(select(Post).where(Post.author_id == account.id)):
                    post.author = heir
                db.session.flush()
            db.session.expire(account, ["posts"])
            db.session.delete(account)
            db.session.commit()
            current_app.logger.info(
                "%s removed the account %r", g.author.username, account.username
            )
            if heir and posts:
                flash(
                    _(
                        "Removed %(name)s; their posts now belong to %(heir)s.",
                        name=name,
                        heir=heir.display_name,
                    )
                )
            else:
                flash(_("Removed %(name)s.", name=name))
            return redirect(url_for("admin.users"), 303)
    status = 200
    if request.method == "POST":
        status = 409 if problem else 422
    return (
        render_template(
            "admin/user_delete.html",
            account=account,
            posts=posts,
            others=others,
            problem=problem,
            error=error,
            chosen=chosen,
        ),
        status,
    )
