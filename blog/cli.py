"""Command-line tools: flask --app blog init-db | seed-demo | create-user | set-password |
import-wxr | export | import-json | backup | send-mail | empty-trash | search-index."""

from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select

from .accounts.passwords import hash_password, password_problem
from .database import refresh_stale_html, upgrade_to_head
from .demo import seed_demo
from .extensions import db
from .mail import outbox
from .models import Author, Role
from .web.forms import USERNAME_MAX, has_visible_text
from .web.text import one_line


@click.command("init-db")
def init_db_command() -> None:
    """Create or upgrade the database schema to the latest migration (safe to repeat)."""
    upgrade_to_head()
    refreshed = refresh_stale_html()
    if refreshed:
        click.echo(f"Rendered {refreshed} articles and comments again for the current sanitizer.")
    click.echo("Database is up to date.")


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Load the Good News demo articles into an empty database (safe to repeat)."""
    created = seed_demo()
    if created:
        click.echo(f"Created {created} demo articles.")
    else:
        click.echo("The database already has posts; demo content not loaded.")


def acceptable_password(password: str | None, prompt: str) -> str:
    """The --password given, or one asked for (hidden, twice); refused when too weak."""
    if password is None:
        password = click.prompt(prompt, hide_input=True, confirmation_prompt=True)
    problem = password_problem(password)
    if problem:
        raise click.ClickException(f"Password refused: {problem}")
    return password


@click.command("create-user")
@click.argument("username")
@click.option("--password", help="The password; prompted for (hidden) when omitted.")
@click.option("--display-name", help="Name shown on articles; defaults to USERNAME.")
@click.option("--email", default="", help="Where comment notifications are sent.")
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    default=Role.ADMINISTRATOR.value,
    show_default=True,
    help="What the account may do (docs/admin.md); more accounts are invited from Users.",
)
def create_user_command(
    username: str, password: str | None, display_name: str | None, email: str, role: str
) -> None:
    """Create an account that can sign in to the admin pages (an administrator by default)."""
    if (
        not has_visible_text(username)
        or username != one_line(username).strip()
        or len(username) > USERNAME_MAX
    ):
        raise click.BadParameter(
            f"one line of at most {USERNAME_MAX} characters, not only spaces.",
            param_hint="USERNAME",
        )
    if display_name is not None:
        display_name = one_line(display_name).strip()
        if not has_visible_text(display_name):
            raise click.BadParameter("it cannot be only spaces.", param_hint="--display-name")
    if db.session.scalar(select(Author).where(Author.username == username)):
        raise click.ClickException(f"An author named {username!r} already exists.")
    password = acceptable_password(password, "Password")
    db.session.add(
        Author(
            username=username,
            display_name=display_name or username,
            email=email,
            password_hash=hash_password(password),
            role=role,
        )
    )
    db.session.commit()
    click.echo(f"Created {role} {username!r}.")


@click.command("set-password")
@click.argument("username")
@click.option("--password", help="The new password; prompted for (hidden) when omitted.")
def set_password_command(username: str, password: str | None) -> None:
    """Give an author a new password (authors imported from WordPress have none yet).

    Signs the author out everywhere else.
    """
    author = db.session.scalar(select(Author).where(Author.username == username))
    if author is None:
        raise click.ClickException(f"No author named {username!r}.")
    password = acceptable_password(password, "New password")
    author.password_hash = hash_password(password)
    author.session_epoch += 1  # copied session cookies stop working
    db.session.commit()
    click.echo(f"Password of {username!r} changed.")


@click.command("import-wxr")
@click.argument("file", type=click.File("rb"))
@click.option(
    "--media-url",
    metavar="URL",
    help="Where the old wp-content/uploads/ folder is served now, e.g. /uploads/: images and "
    "links to the old site's uploads that are no attachment of the export are rewritten to it.",
)
@click.option(
    "--uploads",
    metavar="DIR",
    type=click.Path(exists=True, file_okay=False, dir_okay=True),
    help="The old site's wp-content/uploads folder (copied here): the attachments' files are "
    "brought into the media library, sizes made. Run again with it later to fill in files.",
)
def import_wxr_command(file, media_url: str | None, uploads: str | None) -> None:
    """Import a WordPress export file (Tools → Export → All content); safe to repeat."""
    from .transfer.wordpress.importer import import_wxr
    from .transfer.wordpress.wxr import WXRError

    if media_url is not None and not media_url.endswith("/"):
        media_url += "/"
    try:
        report = import_wxr(file, media_url=media_url, uploads=uploads)
    except WXRError as error:
        raise click.ClickException(f"{file.name}, {error}. Nothing was imported.") from None
    for line in report.lines():
        click.echo(line)


@click.command("send-mail")
@click.option("--once", is_flag=True, help="Send what is due, then exit (for cron or tests).")
@click.option(
    "--retry-failed",
    is_flag=True,
    help="First queue the failed messages again (given up after MAIL_GIVE_UP_HOURS, refused by "
    "the server, or held by a backup), then send.",
)
@click.option(
    "--hold-queued",
    is_flag=True,
    help="After restoring a dump: mark every message still waiting as failed (sent by the "
    "database the dump came from) and exit; --retry-failed sends them after all.",
)
def send_mail_command(once: bool, retry_failed: bool, hold_queued: bool) -> None:
    """Send the queued notification emails, with retries; runs until stopped.

    For deployments with several workers or hosts (set MAIL_SENDER_IN_PROCESS=False there);
    any number of these may run at once, each message is claimed by one of them."""
    if hold_queued:
        if retry_failed or once:
            raise click.UsageError("--hold-queued sends nothing; use it on its own.")
        held = outbox.patiently(outbox.hold_queued)
        click.echo(f"Held {held} queued messages as failed ({outbox.HELD_AT_BACKUP!r}).")
        return
    if retry_failed:
        requeued = outbox.patiently(outbox.retry_failed)
        click.echo(f"Queued {requeued} failed messages again.")
    outbox.run_worker(once)


def init_app(app: Flask) -> None:
    from .admin.trash import empty_trash_command
    from .reading.search_index import search_index_command
    from .transfer import portable

    for command in (
        empty_trash_command,
        init_db_command,
        seed_demo_command,
        create_user_command,
        set_password_command,
        import_wxr_command,
        portable.export_command,
        portable.import_json_command,
        portable.backup_command,
        send_mail_command,
        search_index_command,
    ):
        app.cli.add_command(command)
