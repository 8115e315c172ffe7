"""Getting everything out and back in: JSON export and restore, and SQLite backups.

``export`` writes every row of the content tables (password hashes left out) as versioned JSON;
``import-json`` restores such a file into an empty database, ids included, so links to
/c/ID and comment anchors keep working; ``backup`` copies a live SQLite database with SQLite's
online backup API. The JSON format is described in the README ("Export, import and backup").
"""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import datetime
from pathlib import Path

import click
from sqlalchemy import (
    Boolean,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    func,
    insert,
    select,
    update,
)

from .database import reset_id_sequences
from .extensions import db
from .models import (
    Author,
    Comment,
    Post,
    Setting,
    SlugRedirect,
    Tag,
    UTCDateTime,
    body_digest,
    now_utc,
    post_tags,
)
from .outbox import hold_queued_in_copy
from .passwords import NO_PASSWORD
from .settings import VERSION_KEY

FORMAT = "good-news-export"
VERSION = 1
# In restore order: every foreign key points to a table earlier in the list.
TABLES: list[tuple[str, Table]] = [
    ("settings", Setting.__table__),
    ("authors", Author.__table__),
    ("tags", Tag.__table__),
    ("posts", Post.__table__),
    ("post_tags", post_tags),
    ("comments", Comment.__table__),
    ("slug_redirects", SlugRedirect.__table__),
]
# Never exported: a hash is a secret, and a restored site must not accept old passwords unasked.
# A comment's body_digest is derived from its text: a restore computes it again. A post's
# approved_comments is counted by the database's triggers as the comments go in.
OMITTED = {
    "authors": {"password_hash"},
    "posts": {"approved_comments", "approved_top_level"},
    "comments": {"body_digest"},
}
# Tables with an integer id whose PostgreSQL sequence must move past restored ids.
ID_MODELS = (Author, Tag, Post, Comment)


class RestoreError(click.ClickException):
    pass


def exported_columns(name: str, table: Table) -> list:
    return [c for c in table.columns if c.name not in OMITTED.get(name, ())]


def encode(column, value):
    if isinstance(value, datetime):
        return value.isoformat()
    return value


# --- export -------------------------------------------------------------------------------------


def begin_snapshot() -> None:
    """Make the queries that follow read one consistent state of the database."""
    db.session.rollback()
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    else:
        # Python's sqlite3 opens no transaction for a SELECT, so each query would see the
        # database as it is at that moment; one explicit read transaction sees a single state.
        db.session.connection().exec_driver_sql("BEGIN")


def write_export(out) -> dict[str, int]:
    """Write the whole site to the text stream ``out``; returns the number of rows per table."""
    counts: dict[str, int] = {}
    begin_snapshot()
    try:
        header = {"format": FORMAT, "version": VERSION, "exported_at": now_utc().isoformat()}
        out.write(json.dumps(header, ensure_ascii=False)[:-1] + ', "tables": {')
        for index, (name, table) in enumerate(TABLES):
            columns = exported_columns(name, table)
            out.write(("," if index else "") + f"\n{json.dumps(name)}: [")
            query = (
                select(*columns).where(*not_bookkeeping(table)).order_by(*table.primary_key.columns)
            )
            rows = db.session.execute(query.execution_options(yield_per=500))
            counts[name] = 0
            for row in rows:
                record = {c.name: encode(c, value) for c, value in zip(columns, row, strict=True)}
                out.write(
                    ("," if counts[name] else "") + "\n" + json.dumps(record, ensure_ascii=False)
                )
                counts[name] += 1
            out.write("\n]")
        out.write("\n}}\n")
    finally:
        db.session.rollback()
    return counts


@click.command("export")
@click.argument("file", type=click.File("w", encoding="utf-8", atomic=True))
def export_command(file) -> None:
    """Write all posts, tags, comments, authors (no passwords) and settings as JSON."""
    counts = write_export(file)
    click.echo("Exported " + ", ".join(f"{n} {name}" for name, n in counts.items()) + ".")


# --- restore ------------------------------------------------------------------------------------


def decode(name: str, index: int, column, value):
    """A JSON value -> the column's Python value, or a RestoreError that says where."""
    where = f"{name}[{index}].{column.name}"
    if value is None:
        if not column.nullable:
            raise RestoreError(f"{where} may not be null.")
        return None
    kind = column.type
    if isinstance(kind, UTCDateTime):
        try:
            parsed = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise RestoreError(f"{where}: {value!r} is not an ISO 8601 date and time.") from None
        if parsed.tzinfo is None:
            raise RestoreError(f"{where}: {value!r} has no time zone.")
        return parsed
    expected = (
        bool
        if isinstance(kind, Boolean)
        else int
        if isinstance(kind, Integer)
        else str
        if isinstance(kind, String | Text)
        else object
    )
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        raise RestoreError(f"{where}: expected {expected.__name__}, found {value!r}.")
    return value


def missing_value(name: str, index: int, column):
    """A column the file does not have (written by an older version): its default, if any."""
    if name == "authors" and column.name == "password_hash":
        return NO_PASSWORD
    if column.default is not None and column.default.is_scalar:
        return column.default.arg
    if column.default is not None and column.default.is_callable:
        return column.default.arg(None)
    if column.nullable:
        return None
    raise RestoreError(f"{name}[{index}] has no {column.name!r}.")


def not_bookkeeping(table: Table) -> list:
    """The page cache's content version lives in the settings table; it is no content of the
    site (a restore starts a new one), so it is neither exported nor counted as content."""
    if table is Setting.__table__:
        return [table.c.key != VERSION_KEY]
    return []


def existing_rows() -> dict[str, int]:
    counts = {}
    for name, table in TABLES:
        n = db.session.scalar(
            select(func.count()).select_from(table).where(*not_bookkeeping(table))
        )
        if n:
            counts[name] = n
    return counts


def restore(data) -> dict[str, int]:
    """Insert an export into an empty database, all or nothing; returns rows per table."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise RestoreError(f'This is not a {FORMAT} file (no "format": "{FORMAT}").')
    if data.get("version") != VERSION:
        raise RestoreError(
            f"Export version {data.get('version')!r} is not supported (this blog reads {VERSION})."
        )
    tables = data.get("tables")
    if not isinstance(tables, dict) or set(tables) - {name for name, _ in TABLES}:
        raise RestoreError(f'"tables" must be an object with the keys {[n for n, _ in TABLES]}.')
    if found := existing_rows():
        listed = ", ".join(f"{n} {name}" for name, n in found.items())
        raise RestoreError(
            f"The database is not empty ({listed}). import-json only restores into an empty "
            "database: point DATABASE_URL at a new one and run init-db first."
        )
    counts: dict[str, int] = {}
    parents: list[dict] = []
    try:
        for name, table in TABLES:
            rows = tables.get(name, [])
            if not isinstance(rows, list):
                raise RestoreError(f"{name} must be a list of rows.")
            columns = {c.name: c for c in table.columns}
            decoded = []
            for index, row in enumerate(rows):
                if not isinstance(row, dict):
                    raise RestoreError(f"{name}[{index}] must be an object.")
                if unknown := set(row) - set(columns):
                    raise RestoreError(f"{name}[{index}] has unknown columns: {sorted(unknown)}.")
                values = {
                    key: decode(name, index, column, row[key])
                    if key in row
                    else missing_value(name, index, column)
                    for key, column in columns.items()
                }
                if name == "posts":  # the triggers count the comments below
                    values["approved_comments"] = values["approved_top_level"] = 0
                if name == "comments" and isinstance(values["body"], str):
                    values["body_digest"] = body_digest(values["body"])
                if name == "comments" and values["parent_id"] is not None:
                    # Replies may come before what they answer: link them once all rows are in.
                    parents.append({"row_id": values["id"], "new_parent": values["parent_id"]})
                    values["parent_id"] = None
                decoded.append(values)
            if decoded:
                db.session.execute(insert(table), decoded)
            counts[name] = len(decoded)
        if parents:
            comments = Comment.__table__
            db.session.execute(
                update(comments)
                .where(comments.c.id == bindparam("row_id"))
                .values(parent_id=bindparam("new_parent")),
                parents,
            )
        reset_id_sequences(*ID_MODELS)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return counts


@click.command("import-json")
@click.argument("file", type=click.File("r", encoding="utf-8"))
def import_json_command(file) -> None:
    """Restore a file written by `export` into an empty database."""
    try:
        data = json.load(file)
    except json.JSONDecodeError as error:
        raise RestoreError(f"{file.name} is not valid JSON: {error}.") from None
    from sqlalchemy.exc import SQLAlchemyError

    try:
        counts = restore(data)
    except SQLAlchemyError as error:
        raise RestoreError(
            f"The database refused the data ({getattr(error, 'orig', error)}); "
            "nothing was restored."
        ) from None
    click.echo("Restored " + ", ".join(f"{n} {name}" for name, n in counts.items()) + ".")
    click.echo("Authors have no password yet: give each one with `flask --app blog set-password`.")


# --- backup -------------------------------------------------------------------------------------


def backup_sqlite(source: str, target: Path) -> int:
    """Copy a live SQLite database to ``target`` as one consistent, self-contained file.

    sqlite3's ``backup`` with the default pages=-1 copies every page in a single step inside one
    read transaction: the copy is the database as it was at one instant. Under WAL, writers (new
    comments) carry on meanwhile; they are neither blocked nor restarting the copy. The copy is
    written beside the target and renamed into place only once it passed an integrity check.

    Mail still waiting in the copy's outbox is marked failed ("queued when the backup was
    taken"): the live site sends it, so a restored copy must not send it again unless asked
    (``send-mail --retry-failed``, the admin's Mail page). Returns how many messages were held.
    """
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst)
        held = hold_queued_in_copy(dst)
        dst.commit()
        # One file, no -wal beside it: the copy can be moved and opened anywhere.
        dst.execute("PRAGMA journal_mode=DELETE")
        result = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise click.ClickException(f"The copy failed its integrity check: {result}")
    except BaseException:
        dst.close()
        partial.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    dst.close()
    os.replace(partial, target)
    return held


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
def backup_command(file: Path, force: bool) -> None:
    """Copy the live SQLite database to FILE (safe while the site runs). PostgreSQL: pg_dump."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        raise click.ClickException(
            "backup copies SQLite databases. On PostgreSQL use pg_dump, e.g. "
            'pg_dump --format=custom --file=blog.dump "$DATABASE_URL" '
            "(restore with pg_restore --clean --dbname=...)."
        )
    if not url.database or url.database == ":memory:":
        raise click.ClickException("The database is in memory; there is no file to back up.")
    if file.exists() and not force:
        raise click.ClickException(f"{file} exists; pass --force to replace it.")
    held = backup_sqlite(url.database, file)
    copy = sqlite3.connect(file)
    try:
        posts, comments = copy.execute(
            "SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM comments)"
        ).fetchone()
    finally:
        copy.close()
    click.echo(f"Backed up to {file}: {posts} posts, {comments} comments; integrity check ok.")
    if held:
        click.echo(
            f"{held} notification emails were still waiting to be sent; the copy holds them as "
            "failed, so a restore sends them only on `send-mail --retry-failed`."
        )
