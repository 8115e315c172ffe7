"""Getting everything out and back in: JSON export and restore, and SQLite backups.

``export`` writes every row of the content tables (password hashes left out) as versioned JSON;
``import-json`` restores such a file into an empty database, ids included, so links to
/c/ID and comment anchors keep working; ``backup`` copies a live SQLite database with SQLite's
online backup API. The JSON format is described in the README ("Export, import and backup").
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import sqlite3
from collections import ChainMap
from datetime import datetime
from pathlib import Path
from typing import NoReturn

import click
from email_validator import EmailNotValidError, validate_email
from flask import current_app
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
from werkzeug.datastructures import MultiDict

from ..accounts.passwords import NO_PASSWORD
from ..admin.forms import SettingsForm
from ..admin.menus import link_problem
from ..comments.moderation import check_rules
from ..database import reset_id_sequences
from ..extensions import db
from ..mail.outbox import hold_queued_in_copy
from ..media.storage import current_storage, valid_name
from ..media.usage import referenced_ids
from ..models import (
    Author,
    Comment,
    CommentStatus,
    MediaItem,
    MediaKind,
    MenuItem,
    MenuItemKind,
    MenuLocation,
    Post,
    PostKind,
    PostStatus,
    Revision,
    Role,
    Setting,
    SlugRedirect,
    Subscription,
    SubscriptionStatus,
    Tag,
    Taxonomy,
    UTCDateTime,
    body_digest,
    now_utc,
    post_media,
    post_tags,
)
from ..reading.slugs import is_kept_slug
from ..sanitize import (
    COMMENT_RENDER_VERSION,
    POST_RENDER_VERSION,
    WebAddressError,
    check_web_address,
    render_comment,
    render_post_body,
)
from ..settings import COMMENTS_VERSION_KEY, EDITABLE, VERSION_KEY
from ..web.forms import (
    NAME_MAX,
    URL_MAX,
    USERNAME_MAX,
    has_visible_text,
)
from ..web.params import MAX_ID
from ..web.text import clean_multiline, one_line
from ..web.urls import MAX_PAGE_DEPTH

FORMAT = "good-news-export"
VERSION = 1
# In restore order: every foreign key points to a table earlier in the list.
TABLES: list[tuple[str, Table]] = [
    ("settings", Setting.__table__),
    ("authors", Author.__table__),
    ("tags", Tag.__table__),
    # Records only: the files are copied with the MEDIA_DIR folder (docs/media.md).
    ("media", MediaItem.__table__),
    ("posts", Post.__table__),
    ("post_tags", post_tags),
    ("post_media", post_media),
    ("comments", Comment.__table__),
    ("slug_redirects", SlugRedirect.__table__),
    ("revisions", Revision.__table__),
    ("menu_items", MenuItem.__table__),
    # Readers following an article's comments by email: a restore keeps them, and their
    # secret, so the confirm and unsubscribe links of emails already sent still work.
    ("subscriptions", Subscription.__table__),
]
# Rows that point at a row of their own table (a reply, a child page or category, a nested menu
# entry): inserted without the link, which is set once every row is in, so a child may come
# before its parent in the file.
SELF_REFERENCES = {
    "tags": "parent_id",
    "posts": "parent_id",
    "comments": "parent_id",
    "menu_items": "parent_id",
}
# Never exported: a hash is a secret, and a restored site must not accept old passwords unasked.
# A comment's body_digest is derived from its text: a restore computes it again. A post's
# approved_comments is counted by the database's triggers as the comments go in, and the
# search_vector columns (PostgreSQL's search documents) are made by its search triggers.
OMITTED = {
    "authors": {"password_hash"},
    "posts": {"approved_comments", "approved_top_level", "search_vector", "discussion_version"},
    # What an own-comments cookie or a moderation link names: a restore makes new ones.
    "comments": {"body_digest", "secret", "search_vector"},
}
# The size of the email columns (Author.email, Comment.author_email).
EMAIL_MAX_STORED = {"authors": 254, "comments": 100, "subscriptions": 254}
# Tables with an integer id whose PostgreSQL sequence must move past restored ids.
ID_MODELS = (Author, Tag, MediaItem, Post, Comment, Revision, MenuItem, Subscription)


# What new_row_secret() makes.
_SECRET_RE = re.compile(r"[0-9a-f]{16}")


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
    # Every integer column is 32 bits wide on PostgreSQL; SQLite would take anything.
    if expected is int and not -MAX_ID - 1 <= value <= MAX_ID:
        raise RestoreError(f"{where}: {value} does not fit (-2^31 to 2^31-1).")
    return value


def missing_value(name: str, index: int, column):
    """A column the file does not have (written by an older version): its default, if any."""
    if name == "authors" and column.name == "password_hash":
        return NO_PASSWORD
    if name == "authors" and column.name == "role":
        # A file from before roles: its accounts were the site's owners, as migration 0012
        # made every existing account an administrator.
        return Role.ADMINISTRATOR.value
    if column.default is not None and column.default.is_scalar:
        return column.default.arg
    if column.default is not None and column.default.is_callable:
        return column.default.arg(None)
    if column.nullable:
        return None
    raise RestoreError(f"{name}[{index}] has no {column.name!r}.")


def not_bookkeeping(table: Table) -> list:
    """The page cache's versions live in the settings table; they are no content of the site
    (a restore starts new ones), so they are neither exported nor counted as content."""
    if table is Setting.__table__:
        return [table.c.key.not_in((VERSION_KEY, COMMENTS_VERSION_KEY))]
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


# --- checking a file's rows ---------------------------------------------------------------------


def email_problem(value: str) -> str | None:
    """The comment form's check (WTForms' Email: email_validator, no DNS look-up)."""
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        return str(error)
    return None


class RowChecker:
    """Checks and normalises rows of an export as ``restore`` reads them, table after table.

    Ids are positive and fit the columns, every reference points to a row of the file, slugs
    follow blog.reading.slugs, emails and websites pass the comment form's checks, texts are
    cleaned as the forms clean them (blog.web.text), and cached HTML is rendered again from the
    source. A
    problem raises RestoreError naming the table, the row and the column.
    """

    def __init__(self) -> None:
        self.ids: dict[str, set[int]] = {}
        self.usernames: set[str] = set()
        self.slugs: dict[str, set[str]] = {"tags": set(), "posts": set()}
        self.wp_ids: dict[str, set[int]] = {"posts": set(), "comments": set(), "media": set()}
        self.comment_post: dict[int, int] = {}
        self.ignored_passwords = 0
        self.dropped_websites = 0  # commenter websites that were not web addresses
        # What later tables point at: each post's kind, each term's taxonomy (by id).
        self.post_kind: dict[int, str] = {}
        self.taxonomy: dict[int, str] = {}
        self.term_wp_ids: set[tuple[str, int]] = set()
        self.autosaves: set[tuple[int, int | None]] = set()
        self.subscribed: set[tuple[int, str]] = set()

    # -- helpers --

    @staticmethod
    def fail(name: str, index: int, column: str, problem: str) -> NoReturn:
        raise RestoreError(f"{name}[{index}].{column}: {problem}")

    def row_id(self, name: str, index: int, values: dict, column: str = "id") -> None:
        value = values[column]
        if not 0 < value <= MAX_ID:
            self.fail(name, index, column, f"{value} is not an id (1 to {MAX_ID}).")
        if column == "id":
            seen = self.ids.setdefault(name, set())
            if value in seen:
                self.fail(name, index, column, f"id {value} appears twice.")
            seen.add(value)

    def reference(self, name: str, index: int, values: dict, column: str, table: str) -> None:
        value = values[column]
        if value is None:
            return
        if value not in self.ids.get(table, ()):
            self.fail(name, index, column, f"no row of {table} has the id {value}.")

    def wp_id(self, name: str, index: int, values: dict) -> None:
        value = values["wp_id"]
        if value is None:
            return
        self.row_id(name, index, values, "wp_id")
        if value in self.wp_ids[name]:
            self.fail(name, index, "wp_id", f"WordPress id {value} appears twice.")
        self.wp_ids[name].add(value)

    def slug(self, name: str, index: int, values: dict, column: str, length: int) -> str:
        value = values[column]
        if not is_kept_slug(value, length):
            self.fail(
                name,
                index,
                column,
                f"{value!r} is not a slug (lower-case letters and digits in words joined by "
                f"single hyphens, at most {length} characters).",
            )
        return value

    @staticmethod
    def line(value: str, length: int) -> str:
        return one_line(value).strip()[:length]

    def email(self, name: str, index: int, values: dict, column: str) -> None:
        value = values[column] = one_line(values[column]).strip()
        if len(value) > EMAIL_MAX_STORED[name]:
            self.fail(name, index, column, f"longer than {EMAIL_MAX_STORED[name]} characters.")
        if value and email_problem(value):
            self.fail(name, index, column, f"{value!r} is not an email address.")

    def known(self, name: str, index: int, values: dict, column: str, kinds, what: str) -> str:
        value = values[column]
        allowed = [kind.value for kind in kinds]
        if value not in allowed:
            self.fail(name, index, column, f"{value!r} is not {what} ({', '.join(allowed)}).")
        return value

    def longest(self, name: str, index: int, values: dict, column: str, length: int) -> None:
        if len(values[column]) > length:
            self.fail(name, index, column, f"longer than {length} characters.")

    def no_circles(self, name: str, rows: list[dict], column: str = "parent_id") -> None:
        """No row is its own ancestor (A -> B -> A) through ``column``."""
        parent_of = {row["id"]: row[column] for row in rows if row[column] is not None}
        index_of = {row["id"]: index for index, row in enumerate(rows)}
        safe: set[int] = set()  # rows whose ancestors end at a top-level row
        for row in rows:
            path = [row["id"]]
            on_path = {row["id"]}
            current = parent_of.get(row["id"])
            while current is not None and current not in safe:
                if current in on_path:
                    circle = [*path[path.index(current) :], current]
                    self.fail(
                        name,
                        index_of[current],
                        column,
                        f"the parents run in a circle ({' -> '.join(map(str, circle))}).",
                    )
                path.append(current)
                on_path.add(current)
                current = parent_of.get(current)
            safe.update(path)

    def website(self, name: str, index: int, values: dict) -> None:
        """Stored as the comment form stores it (normalised); one that is not a web address is
        left out (the comment is kept without a website) and counted."""
        value = values["author_url"]
        if not value:
            return
        try:
            values["author_url"] = check_web_address(value.strip(), URL_MAX)
        except WebAddressError:
            values["author_url"] = ""
            self.dropped_websites += 1

    # -- per table --

    def check(self, name: str, index: int, values: dict) -> dict:
        getattr(self, f"check_{name}")(index, values)
        return values

    def check_settings(self, index: int, values: dict) -> None:
        key = values["key"]
        if key not in EDITABLE:
            self.fail("settings", index, "key", f"{key!r} is not a setting of this blog.")
        try:
            values["parsed"] = json.loads(values["value"])
        except ValueError:
            self.fail("settings", index, "value", f"{values['value'][:80]!r} is not JSON.")

    def check_authors(self, index: int, values: dict) -> None:
        self.row_id("authors", index, values)
        username = values["username"] = self.line(values["username"], USERNAME_MAX + 1)
        if not has_visible_text(username) or len(username) > USERNAME_MAX:
            self.fail("authors", index, "username", f"{username!r} is not a username.")
        if username.lower() in self.usernames:
            self.fail("authors", index, "username", f"{username!r} appears twice.")
        self.usernames.add(username.lower())
        display = self.line(values["display_name"], 128)
        values["display_name"] = display if has_visible_text(display) else username
        self.email("authors", index, values, "email")
        self.known("authors", index, values, "role", Role, "a role")
        values["bio"] = clean_multiline(values["bio"])

    def check_tags(self, index: int, values: dict) -> None:
        self.row_id("tags", index, values)
        name = values["name"] = self.line(values["name"], 64)
        if not has_visible_text(name):
            self.fail("tags", index, "name", "a tag needs a name.")
        slug = self.slug("tags", index, values, "slug", 64)
        if slug in self.slugs["tags"]:
            self.fail("tags", index, "slug", f"{slug!r} appears twice.")
        self.slugs["tags"].add(slug)
        taxonomy = self.known("tags", index, values, "taxonomy", Taxonomy, "a taxonomy")
        self.taxonomy[values["id"]] = taxonomy
        if values["parent_id"] is not None and taxonomy != Taxonomy.CATEGORY.value:
            self.fail("tags", index, "parent_id", "only a category has a parent; this is a tag.")
        values["description"] = clean_multiline(values["description"])
        if values["wp_id"] is not None:
            self.row_id("tags", index, values, "wp_id")
            # WordPress term ids are unique; before WordPress 4.2 a tag and a category could
            # share one, so they are unique per taxonomy.
            if (taxonomy, values["wp_id"]) in self.term_wp_ids:
                self.fail("tags", index, "wp_id", f"WordPress id {values['wp_id']} appears twice.")
            self.term_wp_ids.add((taxonomy, values["wp_id"]))

    def check_posts(self, index: int, values: dict) -> None:
        self.row_id("posts", index, values)
        self.wp_id("posts", index, values)
        title = values["title"] = self.line(values["title"], 200)
        if not has_visible_text(title):
            self.fail("posts", index, "title", "a post needs a title.")
        slug = self.slug("posts", index, values, "slug", 200)
        if slug in self.slugs["posts"]:
            self.fail("posts", index, "slug", f"{slug!r} appears twice.")
        self.slugs["posts"].add(slug)
        status = self.known("posts", index, values, "status", PostStatus, "a post status")
        kind = self.known("posts", index, values, "kind", PostKind, "a kind of post")
        self.post_kind[values["id"]] = kind
        restored_to = values["status_before_trash"]
        if restored_to and restored_to not in {s.value for s in PostStatus} - {"trash"}:
            self.fail(
                "posts", index, "status_before_trash", f"{restored_to!r} is not a post status."
            )
        if status == PostStatus.TRASH.value:
            if not restored_to:
                self.fail("posts", index, "status_before_trash", "a post in the trash needs one.")
            if values["trashed_at"] is None:
                self.fail("posts", index, "trashed_at", "a post in the trash needs one.")
        dated = {PostStatus.PUBLISHED.value, PostStatus.SCHEDULED.value}
        shown_as = restored_to if status == PostStatus.TRASH.value else status
        if shown_as in dated and values["published_at"] is None:
            self.fail("posts", index, "published_at", "a published or scheduled post needs one.")
        if values["parent_id"] is not None and kind != PostKind.PAGE.value:
            self.fail("posts", index, "parent_id", "only a page has a parent; this is a post.")
        password = values["password"]
        if len(password) > 255 or not password.isprintable():
            self.fail("posts", index, "password", "one line of at most 255 printable characters.")
        self.reference("posts", index, values, "author_id", "authors")
        self.reference("posts", index, values, "featured_media_id", "media")
        values["body_md"] = clean_multiline(values["body_md"])
        values["summary"] = clean_multiline(values["summary"])
        values["body_html"] = render_post_body(values["body_md"])
        values["body_render_version"] = POST_RENDER_VERSION
        values["approved_comments"] = values["approved_top_level"] = 0  # the triggers count

    def check_media(self, index: int, values: dict) -> None:
        self.row_id("media", index, values)
        self.wp_id("media", index, values)
        self.known("media", index, values, "kind", MediaKind, "a kind of media")
        self.reference("media", index, values, "author_id", "authors")
        name = values["file_name"] = self.line(values["file_name"], 255)
        if not has_visible_text(name) or "/" in name or "\\" in name:
            self.fail("media", index, "file_name", f"{name!r} is not a file name.")
        stored = values["stored_name"]
        if stored and not valid_name(stored):
            self.fail(
                "media",
                index,
                "stored_name",
                f"{stored[:80]!r} is not a name this site stores files under (ab/ab12….jpg).",
            )
        values["sizes"] = self.media_sizes(index, values["sizes"], stored)
        values["mime_type"] = self.line(values["mime_type"], 100)
        if values["byte_size"] < 0:
            self.fail("media", index, "byte_size", "must be 0 or more.")
        for column in ("width", "height"):
            if values[column] is not None and values[column] < 1:
                self.fail("media", index, column, "must be 1 or more (or null).")
        if values["wp_parent_id"] is not None and values["wp_parent_id"] < 0:
            self.fail("media", index, "wp_parent_id", "must be 0 or more (or null).")
        values["title"] = self.line(values["title"], 255)
        values["alt_text"] = self.line(values["alt_text"], 1000)
        values["caption"] = clean_multiline(values["caption"])
        values["description"] = clean_multiline(values["description"])
        source = values["source_url"]
        if len(source) > 2000 or not source.isprintable():
            self.fail("media", index, "source_url", f"{source[:80]!r} is not a web address.")

    def media_sizes(self, index: int, sizes: str, stored: str) -> str:
        """The sizes JSON (blog.media.urls.sizes_of): names of files this site could have
        made, nothing a file could point outside MEDIA_DIR with."""
        try:
            parsed = json.loads(sizes)
        except ValueError:
            self.fail("media", index, "sizes", f"{sizes[:80]!r} is not JSON.")
        if not isinstance(parsed, dict):
            self.fail("media", index, "sizes", "must be a JSON object of sizes.")
        if parsed and not stored:
            self.fail("media", index, "sizes", "an item without its file has no sizes ({}).")
        for size, entry in parsed.items():
            files = entry.get("files") if isinstance(entry, dict) else None
            dimensions = [entry.get(key) for key in ("width", "height")] if files else []
            if (
                not isinstance(files, dict)
                or not files
                or not all(isinstance(n, int) and not isinstance(n, bool) for n in dimensions)
                or not all(isinstance(key, str) and valid_name(n) for key, n in files.items())
            ):
                self.fail(
                    "media",
                    index,
                    "sizes",
                    f"size {size!r} needs a width, a height and files stored by this site.",
                )
        return json.dumps(parsed, separators=(",", ":"), sort_keys=True)

    def check_post_media(self, index: int, values: dict) -> None:
        self.reference("post_media", index, values, "post_id", "posts")
        self.reference("post_media", index, values, "media_id", "media")
        pair = (values["post_id"], values["media_id"])
        seen = self.ids.setdefault("post_media", set())
        if pair in seen:
            self.fail("post_media", index, "media_id", f"the pair {pair} appears twice.")
        seen.add(pair)

    def check_post_tags(self, index: int, values: dict) -> None:
        self.reference("post_tags", index, values, "post_id", "posts")
        self.reference("post_tags", index, values, "tag_id", "tags")
        pair = (values["post_id"], values["tag_id"])
        seen = self.ids.setdefault("post_tags", set())
        if pair in seen:
            self.fail("post_tags", index, "tag_id", f"the pair {pair} appears twice.")
        seen.add(pair)

    def check_comments(self, index: int, values: dict) -> None:
        self.row_id("comments", index, values)
        self.wp_id("comments", index, values)
        self.reference("comments", index, values, "post_id", "posts")
        self.reference("comments", index, values, "author_id", "authors")
        self.comment_post[values["id"]] = values["post_id"]
        status = values["status"]
        if status not in {s.value for s in CommentStatus}:
            self.fail("comments", index, "status", f"{status!r} is not a comment status.")
        if not 0 <= values["depth"] <= MAX_ID:
            self.fail("comments", index, "depth", f"{values['depth']} is not a depth.")
        if not 0 <= values["status_version"] <= MAX_ID:
            self.fail("comments", index, "status_version", "must be 0 or more.")
        name = values["author_name"] = self.line(values["author_name"], NAME_MAX)
        if not has_visible_text(name) and status != CommentStatus.DELETED.value:
            values["author_name"] = "Anonymous"
        self.email("comments", index, values, "author_email")
        self.website("comments", index, values)
        ip = values["author_ip"]
        if ip:
            try:
                ipaddress.ip_address(ip)
            except ValueError:
                self.fail("comments", index, "author_ip", f"{ip[:60]!r} is not an IP address.")
        values["user_agent"] = self.line(values["user_agent"], 255)
        values["moderation_reason"] = self.line(values["moderation_reason"], 255)
        values["body"] = clean_multiline(values["body"])
        values["body_digest"] = body_digest(values["body"])
        deleted = status == CommentStatus.DELETED.value
        values["body_html"] = "" if deleted else render_comment(values["body"])
        values["body_render_version"] = COMMENT_RENDER_VERSION

    def check_slug_redirects(self, index: int, values: dict) -> None:
        self.slug("slug_redirects", index, values, "old_slug", 200)
        self.reference("slug_redirects", index, values, "post_id", "posts")
        if values["old_slug"] in self.slugs["posts"]:
            self.fail("slug_redirects", index, "old_slug", "a post has this slug now.")

    def check_revisions(self, index: int, values: dict) -> None:
        self.row_id("revisions", index, values)
        self.reference("revisions", index, values, "post_id", "posts")
        self.reference("revisions", index, values, "author_id", "authors")
        # An autosave is what someone was typing: its title may still be empty.
        values["title"] = self.line(values["title"], 200)
        values["body_md"] = clean_multiline(values["body_md"])
        values["summary"] = clean_multiline(values["summary"])
        # One autosave per post and author; those of removed authors (null) are kept as they are.
        if values["autosave"] and values["author_id"] is not None:
            pair = (values["post_id"], values["author_id"])
            if pair in self.autosaves:
                self.fail(
                    "revisions",
                    index,
                    "autosave",
                    f"post {pair[0]} has a second autosave by author {pair[1]}.",
                )
            self.autosaves.add(pair)

    def check_menu_items(self, index: int, values: dict) -> None:
        self.row_id("menu_items", index, values)
        self.known("menu_items", index, values, "menu", MenuLocation, "a menu")
        kind = self.known("menu_items", index, values, "kind", MenuItemKind, "a kind of entry")
        values["label"] = self.line(values["label"], 200)
        target = values["target_id"]
        if kind == MenuItemKind.LINK.value:
            if target is not None:
                self.fail("menu_items", index, "target_id", "a link points at no row (null).")
            if not menu_link(values["url"]):
                self.fail(
                    "menu_items",
                    index,
                    "url",
                    f"{values['url'][:80]!r} is not an http(s) address or a path of this site "
                    "(starting with one /).",
                )
            return
        if values["url"]:
            self.fail("menu_items", index, "url", f"only a link has one; this is a {kind}.")
        if kind == MenuItemKind.PAGE.value:
            if self.post_kind.get(target) != PostKind.PAGE.value:
                self.fail("menu_items", index, "target_id", f"no page has the id {target}.")
        elif self.taxonomy.get(target) != kind:
            self.fail("menu_items", index, "target_id", f"no {kind} has the id {target}.")

    def check_subscriptions(self, index: int, values: dict) -> None:
        self.row_id("subscriptions", index, values)
        self.reference("subscriptions", index, values, "post_id", "posts")
        self.known("subscriptions", index, values, "status", SubscriptionStatus, "a status")
        self.email("subscriptions", index, values, "email")
        email = values["email"] = values["email"].lower()  # as the site stores it
        if not email:
            self.fail("subscriptions", index, "email", "a subscription needs an address.")
        if (values["post_id"], email) in self.subscribed:
            self.fail("subscriptions", index, "email", f"{email!r} follows this post twice.")
        self.subscribed.add((values["post_id"], email))
        if not _SECRET_RE.fullmatch(values["secret"] or ""):
            self.fail("subscriptions", index, "secret", "must be 16 hexadecimal digits.")
        if not 0 <= values["unannounced"] <= MAX_ID:
            self.fail("subscriptions", index, "unannounced", "must be 0 or more.")

    def check_table(self, name: str, rows: list[dict]) -> None:
        """Checks across the rows of one table, once all of them are read."""
        if name == "settings":
            self.check_all_settings(rows)
        elif name == "comments":
            self.check_threads(rows)
        elif name == "tags":
            self.check_parents(name, rows, self.taxonomy, Taxonomy.CATEGORY.value, "category")
        elif name == "posts":
            self.check_parents(name, rows, self.post_kind, PostKind.PAGE.value, "page")
        elif name == "menu_items":
            self.check_menu_nesting(rows)

    def check_parents(self, name: str, rows: list[dict], kinds: dict, kind: str, what: str):
        """A child page's parent is a page, a child category's a category; no circles."""
        for index, values in enumerate(rows):
            parent = values["parent_id"]
            if parent is None:
                continue
            if parent not in kinds:
                self.fail(name, index, "parent_id", f"no row of {name} has the id {parent}.")
            if kinds[parent] != kind:
                self.fail(name, index, "parent_id", f"{parent} is not a {what}.")
        self.no_circles(name, rows)
        if name == "posts":
            self.not_too_deep(rows)

    def not_too_deep(self, rows: list[dict]) -> None:
        """A page's address holds its parents' slugs; web.urls follows MAX_PAGE_DEPTH of them."""
        parent_of = {row["id"]: row["parent_id"] for row in rows}
        depth: dict[int, int] = {}

        def depth_of(row_id: int) -> int:
            chain = []
            while row_id is not None and row_id not in depth:
                chain.append(row_id)
                row_id = parent_of[row_id]
            known = -1 if row_id is None else depth[row_id]
            for node in reversed(chain):
                known = depth[node] = known + 1
            return known

        for index, row in enumerate(rows):
            if depth_of(row["id"]) >= MAX_PAGE_DEPTH:
                self.fail(
                    "posts",
                    index,
                    "parent_id",
                    f"a page's address holds at most {MAX_PAGE_DEPTH} slugs, its own and its "
                    "parents'.",
                )

    def check_menu_nesting(self, rows: list[dict]) -> None:
        """Entries nest one level, under an entry of their own menu."""
        by_id = {values["id"]: values for values in rows}
        for index, values in enumerate(rows):
            parent_id = values["parent_id"]
            if parent_id is None:
                continue
            parent = by_id.get(parent_id)
            if parent is None:
                self.fail(
                    "menu_items",
                    index,
                    "parent_id",
                    f"no row of menu_items has the id {parent_id}.",
                )
            if parent_id == values["id"] or parent["parent_id"] is not None:
                self.fail(
                    "menu_items",
                    index,
                    "parent_id",
                    f"entry {parent_id} is nested itself; menus nest one level.",
                )
            if parent["menu"] != values["menu"]:
                self.fail(
                    "menu_items", index, "parent_id", f"entry {parent_id} is in another menu."
                )

    def check_all_settings(self, rows: list[dict]) -> None:
        """The settings page's own form decides, with the configured value for what is missing."""
        given = {row["key"]: row.pop("parsed") for row in rows}
        if len(given) != len(rows):
            raise RestoreError("settings: a key appears twice.")
        config = ChainMap(given, current_app.config)
        index = {row["key"]: number for number, row in enumerate(rows)}

        def where(key: str) -> str:
            if key in index:
                return f"settings[{index[key]}].value ({key})"
            return f"the configured {key}"

        words = SettingsForm.WORD_FIELDS
        formdata = MultiDict()
        for key in EDITABLE:
            value = config.get(key)
            field = key.lower()
            if field in words:
                if not isinstance(value, list) or not all(isinstance(w, str) for w in value):
                    raise RestoreError(f"{where(key)}: expected a list of words.")
                value = "\n".join(value)
            elif isinstance(value, bool) or not isinstance(value, int | str):
                raise RestoreError(f"{where(key)}: {value!r} is not a value for it.")
            formdata[field] = str(value)
        form = SettingsForm(formdata=formdata, meta={"csrf": False})
        if not form.validate():
            field, errors = next(iter(form.errors.items()))
            key = field.upper()
            raise RestoreError(f"{where(key)}: {errors[0].rstrip('.')} (found {config[key]!r}).")
        try:
            check_rules(ChainMap(form.values(), current_app.config))
        except ValueError as problem:
            raise RestoreError(f"settings: {problem}") from None
        cleaned = form.values()
        for row in rows:
            row["value"] = json.dumps(cleaned[row["key"]])

    def check_threads(self, rows: list[dict]) -> None:
        """Replies answer a comment of their own article, and no thread runs in a circle."""
        parent_of = {}
        for index, values in enumerate(rows):
            for column in ("parent_id", "root_id"):
                other = values[column]
                if other is None:
                    continue
                if self.comment_post.get(other) != values["post_id"]:
                    self.fail(
                        "comments",
                        index,
                        column,
                        f"no comment of post {values['post_id']} has the id {other}.",
                    )
            if values["parent_id"] is not None:
                parent_of[values["id"]] = values["parent_id"]
        for index, values in enumerate(rows):
            seen = {values["id"]}
            current = parent_of.get(values["id"])
            while current is not None:
                if current in seen:
                    self.fail("comments", index, "parent_id", "the replies run in a circle.")
                seen.add(current)
                current = parent_of.get(current)


def menu_link(url: str) -> bool:
    """An address a menu may link to, by the Menus screen's own rule (admin.menus): http(s) with
    a host, or a path of this site ("/about/"). Nothing a browser would run or read as another
    host ("javascript:", "//evil", "/\\evil")."""
    return link_problem(url) is None


# Never taken from a file, whoever made it: a password hash would let the file's maker sign in
# as that author, a session epoch could bring copied cookies back to life, and cached HTML (and
# the version that vouches for it) would reach readers unsanitized. These are rebuilt instead.
NOT_TAKEN = {
    "authors": {"password_hash", "session_epoch"},
    "posts": {"body_html", "body_render_version", "approved_comments", "approved_top_level"},
    "comments": {"body_html", "body_render_version", "body_digest", "secret"},
}


def restore(data, notes: list[str] | None = None) -> dict[str, int]:
    """Insert an export into an empty database, all or nothing; returns rows per table, and
    adds to ``notes`` what of the file was not taken.

    The file is untrusted input, whoever made it: every row is checked (RowChecker) before
    anything is written, cached HTML is rendered again from the source text, and no password
    hash or session epoch is taken."""
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
    checker = RowChecker()
    prepared: list[tuple[str, Table, list[dict]]] = []
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
            ignored = NOT_TAKEN.get(name, set())
            if name == "authors" and row.get("password_hash") is not None:
                checker.ignored_passwords += 1
            values = {
                key: decode(name, index, column, row[key])
                if key in row and key not in ignored
                else missing_value(name, index, column)
                for key, column in columns.items()
            }
            decoded.append(checker.check(name, index, values))
        checker.check_table(name, decoded)
        prepared.append((name, table, decoded))
    counts: dict[str, int] = {}
    links: list[tuple[Table, str, list[dict]]] = []
    try:
        for name, table, decoded in prepared:
            column = SELF_REFERENCES.get(name)
            later = []
            for values in decoded if column else ():
                if values[column] is not None:
                    # A reply, a child page or category may come before its parent: link them
                    # once all rows are in.
                    later.append({"row_id": values["id"], "new_parent": values[column]})
                    values[column] = None
            if decoded:
                db.session.execute(insert(table), decoded)
            if later:
                links.append((table, column, later))
            counts[name] = len(decoded)
        for table, column, later in links:
            db.session.execute(
                update(table)
                .where(table.c.id == bindparam("row_id"))
                .values({column: bindparam("new_parent")}),
                later,
            )
        render_media_posts_again(prepared)
        reset_id_sequences(*ID_MODELS)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    if notes is not None:
        notes.extend(missing_media_files())
    if checker.dropped_websites and notes is not None:
        notes.append(
            f"Not taken: {checker.dropped_websites} commenter websites that are not web "
            "addresses (the comments are kept without them)."
        )
    if checker.ignored_passwords and notes is not None:
        notes.append(
            f"Not taken: the password hashes of {checker.ignored_passwords} authors "
            "(a restored author has no password until set-password)."
        )
    return counts


def render_media_posts_again(prepared: list[tuple[str, Table, list[dict]]]) -> None:
    """Posts were rendered while their rows were checked, before the media rows were in the
    database: those showing media are rendered again now that the pictures' sizes are there."""
    tables = {name: rows for name, _, rows in prepared}
    if not tables.get("media"):
        return
    again = [
        {"row_id": values["id"], "new_html": render_post_body(values["body_md"])}
        for values in tables.get("posts", [])
        if referenced_ids(values["body_md"])
    ]
    if again:
        posts = Post.__table__
        db.session.execute(
            update(posts)
            .where(posts.c.id == bindparam("row_id"))
            .values(body_html=bindparam("new_html")),
            again,
        )


def missing_media_files() -> list[str]:
    """A note when restored media records name files that are not in MEDIA_DIR (yet)."""
    storage = current_storage()
    names = db.session.scalars(select(MediaItem.stored_name).where(MediaItem.stored_name != ""))
    missing = sum(1 for name in names if not storage.exists(name))
    if not missing:
        return []
    return [
        f"{missing} media files are not in {storage.root} yet: copy the media folder (MEDIA_DIR) "
        "of the exported site there; export writes the records only."
    ]


@click.command("import-json")
@click.argument("file", type=click.File("r", encoding="utf-8"))
def import_json_command(file) -> None:
    """Restore a file written by `export` into an empty database."""
    try:
        data = json.load(file)
    except json.JSONDecodeError as error:
        raise RestoreError(f"{file.name} is not valid JSON: {error}.") from None
    from sqlalchemy.exc import SQLAlchemyError

    notes: list[str] = []
    try:
        counts = restore(data, notes)
    except SQLAlchemyError as error:
        raise RestoreError(
            f"The database refused the data ({getattr(error, 'orig', error)}); "
            "nothing was restored."
        ) from None
    except RestoreError as error:
        raise RestoreError(f"{error.message.rstrip('.')}; nothing was restored.") from None
    click.echo("Restored " + ", ".join(f"{n} {name}" for name, n in counts.items()) + ".")
    for note in notes:
        click.echo(note)
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
