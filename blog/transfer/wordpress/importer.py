"""Import a WordPress export (WXR) into the blog, in one transaction.

Every row is keyed on its WordPress id (``posts.wp_id`` for posts and pages, ``comments.wp_id``,
``tags.wp_id`` for categories and tags; authors on their login, compared without case), so
importing the same file again adds nothing, and importing a later export of the same site adds
only what is new. Existing rows are never changed (but an existing term of the same slug that has
no WordPress id yet gets this one). A menu is only filled while its place here (header, footer)
is empty.

An imported comment keeps its WordPress id as its own id when that id is free (it always is in a
new blog), so the ``#comment-123`` anchors of old WordPress links, which browsers carry across our
redirects, land on the same comment, and ``/c/123`` finds it.

Attachments become media items (keyed on ``media.wp_id``); with the old site's uploads folder
their files come in too (blog.media.library makes the sizes), and every reference to them in posts
becomes our stable address (see .media). Dynamic blocks (latest posts, page list...) are left
out and counted.

What WordPress has and we have not is left out, counted by kind with an example of each:
revisions, custom post types, posts in the trash, pingbacks and trackbacks, menus
beyond the header and the footer, menu items nested deeper than one level (moved up a level).
The site's offset (the most common difference between the items' local and GMT dates) becomes
the TIMEZONE setting unless one is set.
"""

from __future__ import annotations

import gc
import ipaddress
import json
import mimetypes
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

from flask import current_app, g
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from ...accounts.passwords import NO_PASSWORD
from ...database import reset_id_sequences
from ...extensions import db
from ...media import library
from ...media.processing import UploadRefused, size_limit_text
from ...models import (
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
    Role,
    Setting,
    SlugRedirect,
    Tag,
    Taxonomy,
    now_utc,
    post_media,
    post_tags,
)
from ...reading.slugs import is_kept_slug, slugify, unique_slug
from ...reading.terms import DEFAULT_CATEGORY_SLUG, TERM_SLUG_MAX, default_category, slug_taken
from ...sanitize import WebAddressError, check_web_address, refresh_comment_html, refresh_post_html
from ...web.forms import URL_MAX, has_visible_text
from ...web.urls import article_endpoint, local_path
from ..portable import email_problem
from .content import comment_text, convert_post, plain_text
from .media import (
    UPLOADS,
    Attachment,
    AttachmentIndex,
    player_links,
    rewrite_references,
    uploads_path,
)
from .wxr import Node, WXRError, read_channel

POST_STATUS = {
    "publish": PostStatus.PUBLISHED.value,
    "future": PostStatus.SCHEDULED.value,
    "draft": PostStatus.DRAFT.value,
    "pending": PostStatus.PENDING.value,
    "private": PostStatus.PRIVATE.value,
}
COMMENT_STATUS = {
    "1": CommentStatus.APPROVED.value,
    "approve": CommentStatus.APPROVED.value,
    "0": CommentStatus.PENDING.value,
    "hold": CommentStatus.PENDING.value,
    "spam": CommentStatus.SPAM.value,
    "trash": CommentStatus.TRASH.value,
    "post-trashed": CommentStatus.TRASH.value,
}
# What is left out, by WordPress post type (any other type: 'custom post type "TYPE"').
SKIPPED_TYPES = {"revision": "revisions"}
TERM_TAXONOMY = {"category": Taxonomy.CATEGORY.value, "post_tag": Taxonomy.TAG.value}

IMPORT_REASON = "Imported from WordPress"
GC_EVERY = 100  # channel elements between two collections of cyclic garbage (see run)

MAX_ID = 2**31 - 1
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff]")
# A menu named like this is the footer one; the header is the first other menu.
_FOOTER_MENU_RE = re.compile(r"footer|secondary|bottom", re.IGNORECASE)
MENU_URL_MAX = 2000
MENU_LABEL_MAX = 200
# What is imported, in the order the summary lists it.
KINDS = ("authors", "categories", "tags", "posts", "pages", "comments", "menus", "menu items")
MEDIA_KINDS = {"image": "images", "audio": "audio", "video": "video", "file": "files"}
# Missing and refused files listed one by one in the summary, at most (then a count).
LISTED_FILES = 100
# What in a post's source may refer to an attachment (step 2 runs on those posts only).
_MEDIA_HINT_RE = re.compile(
    r"wp-content/uploads/|\[wp-gallery\b|\bwp-image-\d|attachment_id=", re.IGNORECASE
)


@dataclass
class Report:
    """What an import did, for the command's output (and the tests)."""

    imported: Counter = field(default_factory=Counter)
    present: Counter = field(default_factory=Counter)
    statuses: dict[str, Counter] = field(default_factory=dict)
    # What was not brought, by kind, and the first example of each.
    skipped: Counter = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    notes: Counter = field(default_factory=Counter)
    settings: list[str] = field(default_factory=list)
    menus: list[str] = field(default_factory=list)
    site_title: str = ""
    version: str = ""
    # Media: new items by kind, files brought in, and what could not be.
    media: Counter = field(default_factory=Counter)
    uploads: str | None = None  # the --uploads folder, when given
    files_brought: int = 0
    files_missing: list[str] = field(default_factory=list)
    files_refused: list[str] = field(default_factory=list)
    old_site_posts: list[str] = field(default_factory=list)  # titles
    dynamic_blocks: Counter = field(default_factory=Counter)
    dynamic_examples: dict[str, str] = field(default_factory=dict)

    def left_out_block(self, name: str, title: str) -> None:
        self.dynamic_blocks[name] += 1
        self.dynamic_examples.setdefault(name, title)

    def media_lines(self) -> list[str]:
        kinds = ", ".join(f"{self.media[k]} {label}" for k, label in MEDIA_KINDS.items())
        out = [
            f"  media: {self.media.total()} new ({kinds}), {self.present['media']} already there"
        ]
        if self.uploads is not None:
            out.append(
                f"  media files from {self.uploads}: {self.files_brought} brought in, "
                f"{len(self.files_missing)} missing, {len(self.files_refused)} refused"
            )
            for label, names in (("missing", self.files_missing), ("refused", self.files_refused)):
                out.extend(f"    {label}: {name}" for name in names[:LISTED_FILES])
                if len(names) > LISTED_FILES:
                    out.append(f"    ... and {len(names) - LISTED_FILES} more {label}")
        if self.old_site_posts:
            out.append(f"  posts still using files on the old site: {len(self.old_site_posts)}")
            out.extend(f'    "{title}"' for title in self.old_site_posts)
            if self.uploads is None:
                out.append(
                    "  to bring the files: run import-wxr again with --uploads "
                    "PATH/TO/wp-content/uploads (records are kept; nothing is added twice)"
                )
        return out

    def dynamic_line(self) -> str:
        examples = ", ".join(
            f"{name} in \u201c{self.dynamic_examples[name]}\u201d"
            for name, _ in self.dynamic_blocks.most_common()
        )
        return f"  dynamic blocks left out: {self.dynamic_blocks.total()} ({examples})"

    def add(self, kind: str, status: str | None = None) -> None:
        self.imported[kind] += 1
        if status:
            self.statuses.setdefault(kind, Counter())[status] += 1

    def skip(self, label: str, example: str = "", count: int = 1) -> None:
        self.skipped[label] += count
        if example and label not in self.examples:
            self.examples[label] = example

    def lines(self) -> list[str]:
        out = [f"Imported {self.site_title or 'a WordPress site'} (WXR {self.version or '?'}):"]
        for kind in KINDS:
            detail = ""
            if self.statuses.get(kind):
                detail = (
                    " ("
                    + ", ".join(f"{n} {s}" for s, n in sorted(self.statuses[kind].items()))
                    + ")"
                )
            out.append(
                f"  {kind}: {self.imported[kind]} new{detail}, {self.present[kind]} already there"
            )
        out.extend(self.media_lines())
        out.extend(f"  {line}" for line in self.menus)
        if self.settings:
            out.append(f"  settings: {', '.join(self.settings)}")
        if self.skipped or self.dynamic_blocks:
            out.append("Not imported:")
            for label, n in sorted(self.skipped.items()):
                example = self.examples.get(label)
                out.append(f"  {label}: {n}" + (f' (e.g. "{example}")' if example else ""))
            if self.dynamic_blocks:
                out.append(self.dynamic_line())
        if self.notes:
            out.append("Notes:")
            out.extend(f"  {note}: {n}" for note, n in sorted(self.notes.items()))
        return out


def clean_line(text: str, limit: int) -> str:
    """A one-line text for a name or title: no control characters, cut to the column's size;
    empty when nothing of it would show (spaces, zero-width spaces, fillers)."""
    line = _CONTROL_RE.sub("", plain_text(text)).strip()[:limit]
    return line if has_visible_text(line) else ""


def login_key(text: str) -> str:
    """How logins are compared: stray "<", ">" and spaces around them trimmed, case ignored
    (an export's ``dc:creator`` may read ">marie" or "Marie" for the author "marie")."""
    return _CONTROL_RE.sub("", text).strip().strip("<>").strip().casefold()


def valid_email(text: str, limit: int) -> str:
    """An email address as the comment form accepts it, or "" (WordPress checked little)."""
    email = text.strip()
    if not email or len(email) > limit or email_problem(email):
        return ""
    return email


def valid_ip(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return ""


def wp_id(text: str) -> int | None:
    """A WordPress id that fits our integer columns, or None."""
    if not (text.isascii() and text.isdigit() and len(text) <= 10):
        return None
    return int(text) if 0 < int(text) <= MAX_ID else None


def wp_int(text: str) -> int:
    """A small integer (menu_order), 0 when it is none."""
    text = text.strip()
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("-")
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 9):
        return 0
    return sign * int(digits)


def wp_date(text: str) -> datetime | None:
    """'2022-01-05 09:30:00' (UTC for the *_gmt fields) -> aware datetime; WordPress writes
    '0000-00-00 00:00:00' for a date it never set."""
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def offset_name(minutes: int) -> str:
    """300 -> "+05:00", -150 -> "-02:30", 0 -> "UTC" (the TIMEZONE setting's fixed offsets)."""
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{rest:02d}"


def safe_url(url: str) -> str:
    """A commenter's website in the form the comment form stores it (blog.sanitize
    check_web_address: http(s), rfc3986 and IDNA, normalised), or "" when it is not one."""
    try:
        return check_web_address(url.strip(), URL_MAX)
    except WebAddressError:
        return ""


def path_of(post: Post) -> str:
    """A post's address below the site root, without a request (web.urls.article_endpoint)."""
    endpoint, values = article_endpoint(post)
    return current_app.url_map.bind("localhost").build(endpoint, values)


@dataclass
class MenuEntry:
    """A nav_menu_item of the export, held until every page and term it may point at is in."""

    number: int
    menu: str  # the menu's slug
    order: int
    title: str
    meta: dict[str, str]
    line: int


def postmeta(node: Node) -> dict[str, str]:
    """An item's wp:postmeta as {key: value} (the first value of a repeated key)."""
    meta: dict[str, str] = {}
    for element in node.all("wp:postmeta"):
        meta.setdefault(element.value("wp:meta_key"), element.value("wp:meta_value"))
    return meta


def media_kind(mime_type: str) -> str:
    """image/png -> "image", audio/* and video/* likewise; anything else is a "file"."""
    kind = mime_type.split("/", 1)[0].strip().lower()
    return kind if kind in ("image", "audio", "video") else MediaKind.FILE.value


def file_name_of(url: str, path: str) -> str:
    """The name an attachment's file is shown with: the last part of its address."""
    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or path.rsplit("/", 1)[-1]
    return library.clean_file_name(name) if name.strip() else ""


def inside(folder: Path, relative: str) -> Path | None:
    """``folder/relative`` when it is a file inside ``folder`` (an export naming
    "../../etc/passwd" as its file gets nothing)."""
    if not relative or "\x00" in relative:
        return None
    try:
        path = (folder / relative.lstrip("/")).resolve()
    except (OSError, ValueError):
        return None
    return path if path.is_relative_to(folder) and path.is_file() else None


@dataclass
class PendingPost:
    """A post made by this import whose references to attachments are resolved at the end
    (an attachment may come after the post in the file)."""

    id: int
    wp_id: int
    thumbnail: int | None  # the WordPress id of its featured image (_thumbnail_id)


class Importer:
    def __init__(self, media_url: str | None = None, uploads: str | Path | None = None) -> None:
        self.report = Report()
        # Where the old site's wp-content/uploads/ now lives (None: links left as they are).
        self.media_url = media_url
        # The old site's wp-content/uploads folder, here: attachments' files come from it.
        self.uploads = Path(uploads).resolve() if uploads is not None else None
        self.report.uploads = str(uploads) if uploads is not None else None
        self.attachments = AttachmentIndex()
        self.new_media: set[int] = set()  # our ids of the media items this import made
        self.pending: list[PendingPost] = []
        self.gallery_captions: dict[int, str] = {}  # attachment's WordPress id -> caption shown
        self.uploads_re: re.Pattern | None = None
        self.old_sites: list[str] = []  # the old site's addresses, for menu links to it
        self.author_by_login: dict[str, int] = {}  # login_key -> our id
        self.author_by_wp_id: dict[int, int] = {}
        self.author_by_email: dict[str, int | None] = {}  # lower-case email -> our id
        # (taxonomy, the export's slug) -> our term id, and WordPress term ids -> ours.
        self.term_by_slug: dict[tuple[str, str], int] = {}
        self.term_by_wp_id: dict[tuple[str, int], int] = {}
        self.category_parents: list[tuple[int, str]] = []  # (our id, parent's export slug)
        self.term_taxonomy: dict[int, str | None] = {}
        self.created_terms: set[int] = set()  # made by this import
        self.skipped_terms: set[tuple[str, str]] = set()  # (taxonomy, slug) counted as skipped
        self.default_category: int | None = None
        self.post_by_wp_id: dict[int, int] = {}  # posts and pages
        self.page_parents: list[tuple[int, int]] = []  # (our id, parent's WordPress id)
        self.menus: dict[str, str] = {}  # nav_menu slug -> name, in file order
        self.menu_entries: list[MenuEntry] = []
        self.offsets: Counter = Counter()  # minutes between local and GMT dates of items
        self.site_settings: dict[str, str] = {}
        self.line = 0
        self.spare_id: int | None = None

    def run(self, stream: BinaryIO) -> Report:
        handlers = {
            "title": self.site_title,
            "description": self.site_tagline,
            "wp:wxr_version": self.wxr_version,
            "wp:base_site_url": self.base_url,
            "wp:base_blog_url": self.base_url,
            "wp:author": self.author,
            "wp:category": self.category,
            "wp:tag": self.tag,
            "wp:term": self.term,
            "item": self.item,
        }
        for count, node in enumerate(read_channel(stream), 1):
            self.line = node.line
            handler = handlers.get(node.tag)
            if handler is not None:  # anything else in the channel is of no use here
                handler(node)
            if count % GC_EVERY == 0:
                # Sanitizing leaves reference cycles (the HTML parser and its input), each
                # holding an item's text until the cycle collector happens to run; collecting
                # here keeps the peak at a batch of items however long the file is.
                gc.collect()
        self.line = 0
        self.finish_media()
        self.link_category_parents()
        self.link_page_parents()
        self.build_menus()
        self.site_offset()
        self.save_settings()
        reset_id_sequences(Comment, Author, Tag, Post)
        return self.report

    # --- the site ---------------------------------------------------------------------------

    def site_title(self, node: Node) -> None:
        self.report.site_title = clean_line(node.text, 100)  # the settings form's limit
        if self.report.site_title:
            self.site_settings["SITE_TITLE"] = self.report.site_title

    def site_tagline(self, node: Node) -> None:
        tagline = clean_line(node.text, 200)
        if tagline:
            self.site_settings["SITE_TAGLINE"] = tagline

    def wxr_version(self, node: Node) -> None:
        self.report.version = node.text.strip()

    def base_url(self, node: Node) -> None:
        """The old site's address: its uploads are at <address>/wp-content/uploads/."""
        parts = urlsplit(node.text.strip())
        if not parts.netloc:
            return
        site = parts.netloc + parts.path.rstrip("/")
        self.old_sites.append(site.lower())
        self.attachments.add_site(site)
        bare = site.lower().removeprefix("www.")  # the same site with or without "www."
        pattern = rf"(?:https?:)?//(?:www\.)?{re.escape(bare)}/wp-content/uploads/"
        if self.uploads_re is not None:
            pattern = f"{self.uploads_re.pattern}|{pattern}"
        self.uploads_re = re.compile(pattern, re.IGNORECASE)

    def old_uploads(self, source: str) -> tuple[str, bool]:
        """The post's links to old uploads that are no attachment moved to ``media_url``; and
        whether the source still points at the old site."""
        if self.uploads_re is None or not self.uploads_re.search(source):
            return source, False
        if self.media_url is None:
            return source, True
        self.report.notes["posts whose uploads now point to --media-url"] += 1
        return self.uploads_re.sub(lambda _: self.media_url, source), False

    def site_offset(self) -> None:
        """The most common difference between the items' local and GMT dates: the site's
        offset, which becomes the TIMEZONE setting (dates themselves stay in UTC)."""
        if not self.offsets:
            return
        (minutes, count), *_ = self.offsets.most_common(1)
        name = offset_name(minutes)
        self.site_settings["TIMEZONE"] = name
        total = sum(self.offsets.values())
        self.report.menus.append(
            f"site offset: {name} (local dates minus GMT dates, {count} of {total} items)"
        )

    def save_settings(self) -> None:
        """Title, tagline and time zone, unless they were already set on the settings page."""
        for key, value in self.site_settings.items():
            if db.session.get(Setting, key) is None:
                db.session.add(Setting(key=key, value=json.dumps(value)))
                shown = f" to {value}" if key == "TIMEZONE" else ""
                self.report.settings.append(f"{key} set{shown}")
            else:
                self.report.settings.append(f"{key} kept (already set)")

    # --- authors ----------------------------------------------------------------------------

    def author(self, node: Node) -> None:
        login = clean_line(node.value("wp:author_login").strip().strip("<>"), 64)
        if not login:
            self.report.skip("authors without a login")
            return
        first = clean_line(node.value("wp:author_first_name"), 64)
        last = clean_line(node.value("wp:author_last_name"), 64)
        author_id = self.author_id(
            login,
            display_name=clean_line(node.value("wp:author_display_name"), 128)
            or clean_line(f"{first} {last}", 128),
            email=valid_email(node.value("wp:author_email"), 254),
        )
        if number := wp_id(node.value("wp:author_id")):
            self.author_by_wp_id[number] = author_id

    def author_id(self, login: str, display_name: str = "", email: str = "") -> int:
        key = login_key(login)
        if key in self.author_by_login:
            return self.author_by_login[key]
        found = db.session.scalar(
            select(Author.id).where(func.lower(Author.username) == key).order_by(Author.id)
        )
        if found is None:
            username = clean_line(login.strip().strip("<>"), 64) or "wordpress"
            author = Author(
                username=username,
                display_name=display_name or username,
                email=email,
                password_hash=NO_PASSWORD,
                role=Role.AUTHOR.value,
                bio="",
            )
            db.session.add(author)
            db.session.flush()
            found = author.id
            self.report.add("authors")
        else:
            self.report.present["authors"] += 1
        self.author_by_login[key] = found
        return found

    def known_author(self, login: str) -> int | None:
        """The author of that login if there is one (an attachment makes none)."""
        key = login_key(login)
        if not key:
            return None
        if key not in self.author_by_login:
            found = db.session.scalar(
                select(Author.id).where(func.lower(Author.username) == key).order_by(Author.id)
            )
            if found is None:
                return None
            self.author_by_login[key] = found
        return self.author_by_login[key]

    def author_with_email(self, email: str) -> int | None:
        """The author whose email this is (case ignored), for the comments' "Author" badge."""
        key = email.strip().lower()
        if not key:
            return None
        if key not in self.author_by_email:
            self.author_by_email[key] = db.session.scalar(
                select(Author.id).where(func.lower(Author.email) == key).order_by(Author.id)
            )
        return self.author_by_email[key]

    # --- categories, tags, menus (the terms) ------------------------------------------------

    def category(self, node: Node) -> None:
        self.find_or_make_term(
            Taxonomy.CATEGORY.value,
            name=node.value("wp:cat_name"),
            slug=node.value("wp:category_nicename"),
            number=wp_id(node.value("wp:term_id")),
            parent=node.value("wp:category_parent"),
            description=node.value("wp:category_description"),
        )

    def tag(self, node: Node) -> None:
        self.find_or_make_term(
            Taxonomy.TAG.value,
            name=node.value("wp:tag_name"),
            slug=node.value("wp:tag_slug"),
            number=wp_id(node.value("wp:term_id")),
            description=node.value("wp:tag_description"),
        )

    def term(self, node: Node) -> None:
        """WXR 1.2's other terms: nav_menu ones name the menus; the rest are not ours."""
        taxonomy = node.value("wp:term_taxonomy")
        name = clean_line(node.value("wp:term_name"), MENU_LABEL_MAX)
        slug = unquote(node.value("wp:term_slug"))
        if taxonomy == "nav_menu":
            if slug and slug not in self.menus:
                self.menus[slug] = name or slug
        elif taxonomy in TERM_TAXONOMY:
            self.find_or_make_term(
                TERM_TAXONOMY[taxonomy],
                name=node.value("wp:term_name"),
                slug=node.value("wp:term_slug"),
                number=wp_id(node.value("wp:term_id")),
                parent=node.value("wp:term_parent"),
                description=node.value("wp:term_description"),
            )
        elif (taxonomy, slug) not in self.skipped_terms:
            self.skipped_terms.add((taxonomy, slug))
            self.report.skip(f'terms of taxonomy "{taxonomy or "(none)"}"', name)

    def term_slug(self, wanted: str, name: str, taxonomy: str) -> str:
        slug = _CONTROL_RE.sub("", unquote(wanted)).strip()
        if slug and not is_kept_slug(slug, TERM_SLUG_MAX):
            # Shown in addresses on every page: "../../admin" must not become a link.
            slug = slugify(slug, max_length=TERM_SLUG_MAX, fallback="")
            self.report.notes["term slugs that were not usable (made again from them)"] += 1
        return slug or slugify(name, max_length=TERM_SLUG_MAX, fallback=taxonomy)

    def find_or_make_term(
        self,
        taxonomy: str,
        name: str,
        slug: str,
        number: int | None = None,
        parent: str = "",
        description: str = "",
    ) -> int | None:
        """Our id of the term the export calls ``slug``: found by its WordPress id, else by
        its slug, else made (its slug made unique across tags and categories)."""
        key = (taxonomy, unquote(slug).strip())
        if key in self.term_by_slug:
            return self.term_by_slug[key]
        name = clean_line(name, 64)
        if not name:
            self.report.skip(f"{taxonomy} names that show nothing", slug)
            return None
        our_slug = self.term_slug(slug, name, taxonomy)
        term = None
        if number is not None:
            term = db.session.scalar(
                select(Tag).where(Tag.wp_id == number, Tag.taxonomy == taxonomy).order_by(Tag.id)
            )
        if term is None:
            term = db.session.scalar(
                select(Tag).where(Tag.slug == our_slug, Tag.taxonomy == taxonomy)
            )
        if (
            term is None
            and taxonomy == Taxonomy.CATEGORY.value
            and our_slug == DEFAULT_CATEGORY_SLUG
        ):
            term = db.session.get(Tag, self.default_category_id())  # "Uncategorized" is ours too
        plural = "categories" if taxonomy == Taxonomy.CATEGORY.value else "tags"
        if term is None:
            term = Tag(
                name=name,
                slug=unique_slug(our_slug, slug_taken, max_length=TERM_SLUG_MAX),
                taxonomy=taxonomy,
                description=plain_text(description),
                wp_id=number,
            )
            db.session.add(term)
            db.session.flush()
            self.created_terms.add(term.id)
            self.report.add(plural)
            if parent and taxonomy == Taxonomy.CATEGORY.value:
                self.category_parents.append((term.id, unquote(parent).strip()))
        else:
            if term.id not in self.created_terms:
                self.report.present[plural] += 1
            if term.wp_id is None and number is not None:
                clash = db.session.scalar(
                    select(Tag.id).where(Tag.wp_id == number, Tag.taxonomy == taxonomy)
                )
                if clash is None:
                    term.wp_id = number
        self.term_by_slug[key] = term.id
        if number is not None:
            self.term_by_wp_id[(taxonomy, number)] = term.id
        return term.id

    def link_category_parents(self) -> None:
        """A new category's parent, named by its slug (the parent may come later in the file)."""
        for term_id, parent_slug in self.category_parents:
            parent_id = self.term_by_slug.get((Taxonomy.CATEGORY.value, parent_slug))
            if parent_id is None:
                parent_id = db.session.scalar(
                    select(Tag.id).where(
                        Tag.slug == parent_slug, Tag.taxonomy == Taxonomy.CATEGORY.value
                    )
                )
            if parent_id is None or parent_id == term_id:
                self.report.notes["categories whose parent is missing (kept at the top)"] += 1
                continue
            db.session.execute(update(Tag).where(Tag.id == term_id).values(parent_id=parent_id))

    def item_terms(self, node: Node) -> list[int]:
        """The categories and tags of a post, by our ids."""
        ids: list[int] = []
        for element in node.all("category"):
            domain = element.attrs.get("domain", "")
            taxonomy = TERM_TAXONOMY.get(domain)
            if taxonomy is None:
                known = (domain, unquote(element.attrs.get("nicename", "")))
                if domain != "nav_menu" and known not in self.skipped_terms:
                    self.skipped_terms.add(known)
                    self.report.skip(f'terms of taxonomy "{domain or "(none)"}"', element.text)
                continue
            term_id = self.find_or_make_term(
                taxonomy, name=element.text, slug=element.attrs.get("nicename", "")
            )
            if term_id is not None and term_id not in ids:
                ids.append(term_id)
        return ids

    # --- posts and pages --------------------------------------------------------------------

    def item(self, node: Node) -> None:
        post_type = node.value("wp:post_type") or "post"
        comments = node.all("wp:comment")
        title = clean_line(node.value("title"), 200)
        self.note_offset(node)
        if post_type == "nav_menu_item":
            self.menu_entry(node, title)
            return
        if post_type == "attachment":
            if comments:  # the attachment page's comments: we have no such page
                self.report.skip("comments on attachments", title, len(comments))
            self.attachment(node, title)
            db.session.flush()
            db.session.expunge_all()
            return
        if post_type not in ("post", "page"):
            label = SKIPPED_TYPES.get(post_type, f'custom post type "{post_type}"')
            self.skip(label, title, comments)
            return
        number = wp_id(node.value("wp:post_id"))
        wp_status = node.value("wp:status")
        status = POST_STATUS.get(wp_status)
        if number is None:
            self.skip(f"{post_type}s without a WordPress id", title, comments)
            return
        if wp_status == "trash":
            self.skip("trashed posts and pages", title, comments)
            return
        if status is None:  # auto-draft and whatever else a plugin invented
            self.skip(f"{post_type}s with status {wp_status or '(none)'}", title, comments)
            return
        post_id = db.session.scalar(select(Post.id).where(Post.wp_id == number))
        if post_id is None:
            post_id = self.new_post(node, number, status, post_type)
        else:
            self.report.present[f"{post_type}s"] += 1
        self.post_by_wp_id[number] = post_id
        self.comments(post_id, comments)
        db.session.flush()
        # Nothing of this item is needed again: keep the session (and memory) small.
        db.session.expunge_all()

    def note_offset(self, node: Node) -> None:
        local = wp_date(node.value("wp:post_date"))
        gmt = wp_date(node.value("wp:post_date_gmt"))
        if local and gmt:
            minutes = round((local - gmt).total_seconds() / 60)
            if abs(minutes) <= 14 * 60:
                self.offsets[minutes] += 1

    def skip(self, label: str, example: str, comments: list[Node]) -> None:
        self.report.skip(label, example)
        if comments:
            self.report.skip(f"comments on {label}", example, len(comments))

    def new_post(self, node: Node, number: int, status: str, post_type: str) -> int:
        title = clean_line(node.value("title"), 200) or "(untitled)"
        date = wp_date(node.value("wp:post_date_gmt")) or wp_date(node.value("wp:post_date"))
        if status == PostStatus.SCHEDULED.value and date is None:
            status = PostStatus.DRAFT.value
        published_at = None
        if status not in (PostStatus.DRAFT.value, PostStatus.PENDING.value):
            published_at = date or now_utc()
        modified = wp_date(node.value("wp:post_modified_gmt"))
        creator = node.value("dc:creator") or "wordpress"
        is_page = post_type == "page"
        meta = postmeta(node)
        converted = convert_post(node.value("content:encoded"), meta.get("footnotes", ""))
        for name in converted.dynamic_blocks:
            self.report.left_out_block(name, title)
        for attachment, caption in converted.gallery_captions.items():
            self.gallery_captions.setdefault(attachment, plain_text(caption))
        post = Post(
            wp_id=number,
            kind=PostKind.PAGE.value if is_page else PostKind.POST.value,
            title=title,
            slug=self.free_slug(unquote(node.value("wp:post_name")), title, number),
            body_md=converted.source,
            summary=plain_text(node.value("excerpt:encoded")),
            status=status,
            published_at=published_at,
            updated_at=modified if modified and published_at and modified > published_at else None,
            created_at=date or now_utc(),
            comments_open=node.value("wp:comment_status") != "closed",
            author_id=self.author_id(creator),
            menu_order=wp_int(node.value("wp:menu_order")) if is_page else 0,
            sticky=not is_page and node.value("wp:is_sticky") == "1",
            password=node.value("wp:post_password")[:255],
        )
        refresh_post_html(post)
        db.session.add(post)
        db.session.flush()
        thumbnail = wp_id(meta.get("_thumbnail_id", ""))
        if thumbnail is not None or _MEDIA_HINT_RE.search(post.body_md):
            self.pending.append(PendingPost(post.id, number, thumbnail))
        if is_page:
            if parent := wp_id(node.value("wp:post_parent")):
                self.page_parents.append((post.id, parent))
        else:
            term_ids = self.item_terms(node)
            if not any(self.is_category(t) for t in term_ids):
                # Every post has a category, as on WordPress: "Uncategorized" by default.
                term_ids.insert(0, self.default_category_id())
            db.session.execute(
                insert(post_tags), [{"post_id": post.id, "tag_id": t} for t in term_ids]
            )
        if post.password:
            self.report.notes[f"password-protected {post_type}s (the password kept)"] += 1
        if post.sticky:
            self.report.notes["sticky posts"] += 1
        self.report.add(f"{post_type}s", status)
        return post.id

    def is_category(self, term_id: int) -> bool:
        if term_id not in self.term_taxonomy:
            self.term_taxonomy[term_id] = db.session.scalar(
                select(Tag.taxonomy).where(Tag.id == term_id)
            )
        return self.term_taxonomy[term_id] == Taxonomy.CATEGORY.value

    def default_category_id(self) -> int:
        """Our "Uncategorized" (made when the blog has none yet)."""
        if self.default_category is None:
            term = default_category()
            if term.id is None:
                db.session.flush()
                self.created_terms.add(term.id)
                self.report.add("categories")
            self.default_category = term.id
        return self.default_category

    def free_slug(self, wanted: str, title: str, number: int) -> str:
        """WordPress's slug (decoded) if no post or old address of ours uses it, else slug-2..."""
        base = _CONTROL_RE.sub("", wanted).strip().strip("/").replace("/", "-")[:190]
        if base and not is_kept_slug(base, 190):
            # One segment of our URLs, nothing a browser could read as more ("../../admin").
            base = slugify(base, max_length=190, fallback="")
            self.report.notes["post slugs that were not usable (made again from them)"] += 1
        if not base:  # a draft WordPress never gave a slug: from the title, as ours are
            has_latin = re.search("[a-z0-9]", title.lower())
            base = slugify(title) if has_latin else f"post-{number}"
        candidate, n = base, 1
        while db.session.scalar(select(Post.id).where(Post.slug == candidate)) or db.session.get(
            SlugRedirect, candidate
        ):
            n += 1
            candidate = f"{base}-{n}"
        if candidate != base:
            self.report.notes["posts and pages whose slug was taken (renamed slug-2...)"] += 1
        return candidate

    def link_page_parents(self) -> None:
        """A new page's parent page, by its WordPress id (it may come later in the file)."""
        for page_id, parent_number in self.page_parents:
            parent_id = self.post_by_wp_id.get(parent_number) or db.session.scalar(
                select(Post.id).where(Post.wp_id == parent_number)
            )
            is_page = (
                parent_id is not None
                and db.session.scalar(select(Post.kind).where(Post.id == parent_id))
                == PostKind.PAGE.value
            )
            if not is_page or parent_id == page_id:
                self.report.notes["pages whose parent page is missing (kept at the top)"] += 1
                continue
            db.session.execute(update(Post).where(Post.id == page_id).values(parent_id=parent_id))
        # A loop (A's parent B, B's parent A) in a damaged export: the first page goes on top.
        for page_id, _ in self.page_parents:
            seen, node = {page_id}, page_id
            while node := db.session.scalar(select(Post.parent_id).where(Post.id == node)):
                if node in seen:
                    db.session.execute(
                        update(Post).where(Post.id == page_id).values(parent_id=None)
                    )
                    self.report.notes["pages whose parent page is missing (kept at the top)"] += 1
                    break
                seen.add(node)

    # --- media ------------------------------------------------------------------------------

    def attachment(self, node: Node, title: str) -> None:
        """An attachment -> a media item (found again by its WordPress id), its file brought
        from the uploads folder when there is one and the item has none yet."""
        number = wp_id(node.value("wp:post_id"))
        if node.value("wp:status") == "trash":
            self.report.skip("trashed attachments", title)
            return
        url = node.value("wp:attachment_url")
        if not url and UPLOADS in node.value("guid"):  # WordPress's guid of a file is its URL
            url = node.value("guid")
        meta = postmeta(node)
        path = unquote(meta.get("_wp_attached_file", "")) or uploads_path(url)
        file_name = file_name_of(url, path)
        if number is None or not file_name:
            self.report.skip("attachments without a WordPress id or a file", title)
            return
        item = db.session.scalar(select(MediaItem).where(MediaItem.wp_id == number))
        if item is None:
            mime_type = node.value("wp:post_mime_type")[:100]
            mime_type = mime_type or mimetypes.guess_type(file_name)[0] or ""
            date = wp_date(node.value("wp:post_date_gmt")) or wp_date(node.value("wp:post_date"))
            item = MediaItem(
                kind=media_kind(mime_type),
                file_name=file_name,
                mime_type=mime_type,
                title=clean_line(node.value("title"), 255),
                alt_text=clean_line(meta.get("_wp_attachment_image_alt", ""), 1000),
                caption=plain_text(node.value("excerpt:encoded")),
                description=node.value("content:encoded"),
                author_id=self.known_author(node.value("dc:creator")),
                wp_id=number,
                wp_parent_id=wp_id(node.value("wp:post_parent")),
                source_url=url[:2000],
                created_at=date or now_utc(),
            )
            db.session.add(item)
            db.session.flush()
            self.new_media.add(item.id)
            self.report.media[item.kind] += 1
        else:
            self.report.present["media"] += 1
        self.attachments.add(
            Attachment(
                id=item.id,
                wp_id=number,
                file_name=item.file_name,
                path=path,
                parent=wp_id(node.value("wp:post_parent")),
                order=wp_int(node.value("wp:menu_order")),
            ),
            url,
        )
        if self.uploads is not None and item.is_missing:
            self.bring_file(item, [uploads_path(url), path])

    def bring_file(self, item: MediaItem, candidates: list[str]) -> None:
        """The item's file from the uploads folder, through the library (checked by content,
        sizes made); what is not there or is refused is listed in the summary."""
        assert self.uploads is not None
        found = next((p for c in candidates if (p := inside(self.uploads, c))), None)
        shown = next((c for c in candidates if c), item.file_name)
        if found is None:
            self.report.files_missing.append(f"{shown} (not in the folder)")
            return
        limit = current_app.config["MEDIA_MAX_BYTES"]
        try:
            if found.stat().st_size > limit:  # refused as the library would, without reading it
                raise UploadRefused(
                    f"“{item.file_name}” is larger than {size_limit_text(limit)}, the most "
                    "this site takes (MEDIA_MAX_BYTES)."
                )
            library.add_media(
                found.read_bytes(),
                item.file_name,
                item=item,
                title=item.title,
                alt_text=item.alt_text,
                caption=item.caption,
                description=item.description,
                wp_id=item.wp_id,
                wp_parent_id=item.wp_parent_id,
                source_url=item.source_url,
                created_at=item.created_at,
                allow_files=True,
            )
        except UploadRefused as refused:
            self.report.files_refused.append(f"{shown}: {refused.message}")
            return
        self.report.files_brought += 1

    def finish_media(self) -> None:
        """Once every attachment is known: references in the new posts rewritten, featured
        images set, gallery captions the posts showed kept; posts still using the old site's
        files named for the summary."""
        for number, caption in self.gallery_captions.items():
            attachment = self.attachments.by_wp_id.get(number)
            if attachment is None or attachment.id not in self.new_media:
                continue
            item = db.session.get(MediaItem, attachment.id)
            if item is not None and caption and item.caption != caption:
                item.caption = caption
                self.report.notes["captions taken from the galleries that showed them"] += 1
        ours = [a.id for a in self.attachments.by_wp_id.values()]
        missing: set[int] = set()
        for start in range(0, len(ours), 500):
            missing.update(
                db.session.scalars(
                    select(MediaItem.id).where(
                        MediaItem.id.in_(ours[start : start + 500]), MediaItem.stored_name == ""
                    )
                )
            )
        old_site: dict[int, str] = {}  # post id -> title
        for count, pending in enumerate(self.pending, 1):
            post = db.session.get(Post, pending.id)
            rewritten = rewrite_references(post.body_md, self.attachments, pending.wp_id)
            source, uses_old_site = self.old_uploads(rewritten.source)
            source = player_links(source)
            if rewritten.galleries_emptied:
                self.report.notes["galleries whose pictures were not in the export (left out)"] += (
                    rewritten.galleries_emptied
                )
            featured = self.attachments.by_wp_id.get(pending.thumbnail or 0)
            if featured is not None:
                post.featured_media_id = featured.id
                rewritten.media_ids.add(featured.id)
                self.report.notes["featured images"] += 1
            elif pending.thumbnail is not None:
                self.report.notes["featured images not in the export"] += 1
            if uses_old_site or rewritten.media_ids & missing:
                old_site[post.id] = post.title
            if source != post.body_md:
                post.body_md = source
                refresh_post_html(post)
            if count % GC_EVERY == 0:
                db.session.flush()
                db.session.expunge_all()
        db.session.flush()
        # Posts imported before, using items whose files are still missing.
        still_missing = sorted(missing)
        for start in range(0, len(still_missing), 500):
            rows = db.session.execute(
                select(Post.id, Post.title)
                .join(post_media, post_media.c.post_id == Post.id)
                .where(post_media.c.media_id.in_(still_missing[start : start + 500]))
                .distinct()
            )
            for post_id, title in rows:
                old_site.setdefault(post_id, title)
        if self.uploads_re is not None and self.media_url is None:
            # Posts imported before that still point at the old site's files.
            rows = db.session.execute(
                select(Post.id, Post.title, Post.body_md)
                .where(Post.body_md.contains("wp-content/uploads/"))
                .order_by(Post.id)
            )
            for post_id, title, source in rows:
                if post_id not in old_site and self.uploads_re.search(source):
                    old_site[post_id] = title
        self.report.old_site_posts = [old_site[n] for n in sorted(old_site)]

    # --- menus ------------------------------------------------------------------------------

    def menu_entry(self, node: Node, title: str) -> None:
        number = wp_id(node.value("wp:post_id"))
        menu = next(
            (
                unquote(c.attrs.get("nicename", "")).strip()
                for c in node.all("category")
                if c.attrs.get("domain") == "nav_menu"
            ),
            "",
        )
        if number is None or not menu or node.value("wp:status") not in ("publish", ""):
            self.report.skip("menu items in no menu (or not published)", title)
            return
        if menu not in self.menus:  # a WXR 1.1 file has no nav_menu terms
            names = [c.text for c in node.all("category") if c.attrs.get("domain") == "nav_menu"]
            self.menus[menu] = clean_line(names[0], MENU_LABEL_MAX) or menu
        meta = {}
        for element in node.all("wp:postmeta"):
            key = element.value("wp:meta_key")
            if key.startswith("_menu_item_"):
                meta[key[len("_menu_item_") :]] = element.value("wp:meta_value")
        self.menu_entries.append(
            MenuEntry(number, menu, wp_int(node.value("wp:menu_order")), title, meta, node.line)
        )

    def place_menus(self) -> dict[str, str]:
        """Which export menu goes where: the footer is one named like "footer" or "secondary",
        the header the first other one (WXR files do not say which menu a theme location had)."""
        slugs = list(self.menus)
        footer = next((s for s in slugs if _FOOTER_MENU_RE.search(f"{s} {self.menus[s]}")), None)
        header = next((s for s in slugs if s != footer), None)
        return {
            location: slug
            for location, slug in (
                (MenuLocation.HEADER.value, header),
                (MenuLocation.FOOTER.value, footer),
            )
            if slug is not None
        }

    def build_menus(self) -> None:
        placed = self.place_menus()
        by_menu: dict[str, list[MenuEntry]] = {}
        for entry in self.menu_entries:
            by_menu.setdefault(entry.menu, []).append(entry)
        for slug, name in self.menus.items():
            if slug not in placed.values():
                items = by_menu.get(slug, [])
                self.report.skip("menus with no place here (header and footer taken)", name)
                if items:
                    self.report.skip(
                        "menu items of those menus", items[0].title or name, len(items)
                    )
        for location, slug in placed.items():
            name = self.menus[slug]
            entries = sorted(by_menu.get(slug, []), key=lambda e: (e.order, e.number))
            if db.session.scalar(select(MenuItem.id).where(MenuItem.menu == location).limit(1)):
                self.report.present["menus"] += 1
                self.report.menus.append(
                    f'{location} menu: kept as it was (it has items); "{name}" not imported'
                )
                continue
            count = self.build_menu(location, entries)
            self.report.add("menus")
            self.report.menus.append(f'{location} menu: "{name}" ({count} items)')

    def build_menu(self, location: str, entries: list[MenuEntry]) -> int:
        """One menu's items, in WordPress's order, nested one level."""
        by_number = {entry.number: entry for entry in entries}
        ours: dict[int, int] = {}  # WordPress item id -> our MenuItem id
        top_of: dict[int, int | None] = {}  # WordPress item id -> its top-level item's id
        count = 0
        for position, entry in enumerate(entries):
            # The chain of parents, up to the top (a loop or a missing parent ends it).
            chain, parent = [], wp_id(entry.meta.get("menu_item_parent", ""))
            while parent is not None and parent in by_number and parent not in chain:
                chain.append(parent)
                parent = wp_id(by_number[parent].meta.get("menu_item_parent", ""))
            target = self.menu_target(entry)
            if target is None:
                top_of[entry.number] = None
                continue
            # Placed under the nearest placed ancestor's top-level item; deeper levels go up.
            top = next((top_of[a] or ours[a] for a in chain if a in ours), None)
            if len(chain) > 1 and top is not None:
                self.report.skip(
                    "menu items nested deeper than one level (moved up to the first level)",
                    entry.title or target.get("label", ""),
                )
            item = MenuItem(menu=location, parent_id=top, position=position, **target)
            db.session.add(item)
            db.session.flush()
            ours[entry.number] = item.id
            top_of[entry.number] = top
            self.report.add("menu items")
            count += 1
        return count

    def menu_target(self, entry: MenuEntry) -> dict | None:
        """What a menu item points at, as MenuItem columns; None (counted) when we lack it."""
        kind = entry.meta.get("type", "")
        obj = entry.meta.get("object", "")
        number = wp_id(entry.meta.get("object_id", ""))
        label = entry.title[:MENU_LABEL_MAX]
        if kind == "post_type" and number is not None:
            post_id = self.post_by_wp_id.get(number) or db.session.scalar(
                select(Post.id).where(Post.wp_id == number)
            )
            post = db.session.get(Post, post_id) if post_id else None
            if post is not None and post.kind == PostKind.PAGE.value:
                return {"kind": MenuItemKind.PAGE.value, "target_id": post.id, "label": label}
            if post is not None:  # a post: a link to its address, with its title
                return {
                    "kind": MenuItemKind.LINK.value,
                    "url": path_of(post),
                    "label": label or post.title[:MENU_LABEL_MAX],
                }
        elif kind == "taxonomy" and number is not None and obj in TERM_TAXONOMY:
            taxonomy = TERM_TAXONOMY[obj]
            term_id = self.term_by_wp_id.get((taxonomy, number)) or db.session.scalar(
                select(Tag.id).where(Tag.wp_id == number, Tag.taxonomy == taxonomy)
            )
            if term_id is not None:
                return {"kind": taxonomy, "target_id": term_id, "label": label}
        elif kind == "custom":
            url = self.menu_url(entry.meta.get("url", ""))
            if url:
                return {"kind": MenuItemKind.LINK.value, "url": url, "label": label or url}
            self.report.skip(
                "menu links that are not http(s) or site-relative", entry.meta.get("url", "")
            )
            return None
        self.report.skip(
            "menu items whose page, post or term was not imported",
            label or f"{obj} {entry.meta.get('object_id', '')}".strip(),
        )
        return None

    def menu_url(self, url: str) -> str:
        """A custom menu link kept: http(s) with a host, or a path on this site; a link to the
        old site's own address becomes the path on this one."""
        url = url.strip()
        if not url or len(url) > MENU_URL_MAX or not url.isprintable() or " " in url:
            return ""
        if url.startswith("/") and not url.startswith("//"):
            return local_path(url, "")
        try:
            parts = urlsplit(url)
            host = parts.hostname
        except ValueError:
            return ""
        if parts.scheme.lower() not in ("http", "https") or not host:
            return ""
        site = (parts.netloc + parts.path).lower()
        for old in self.old_sites:
            if site == old or site.startswith(old.rstrip("/") + "/"):
                path = parts.path[len(urlsplit("//" + old).path.rstrip("/")) :] or "/"
                path += f"?{parts.query}" if parts.query else ""
                path += f"#{parts.fragment}" if parts.fragment else ""
                return local_path(path, "/")
        return url

    # --- comments ---------------------------------------------------------------------------

    def comments(self, post_id: int, nodes: list[Node]) -> None:
        """A post's comments, parents before replies, threads as WordPress had them."""
        by_wp_id: dict[int, Node] = {}
        for node in nodes:
            kind = node.value("wp:comment_type") or "comment"
            number = wp_id(node.value("wp:comment_id"))
            if kind != "comment":
                example = clean_line(node.value("wp:comment_author"), 100)
                self.report.skip(f"{kind}s", example or node.value("wp:comment_author_url"))
            elif number is None:
                self.report.skip("comments without a WordPress id")
            else:
                by_wp_id[number] = node
        if not by_wp_id:
            return
        parents = {wp_id(n.value("wp:comment_parent")) for n in by_wp_id.values()} - {None}
        wanted = list(set(by_wp_id) | parents)
        # wp id -> (our id, root id, depth) of comments of this post already in the database.
        placed: dict[int, tuple[int, int, int]] = {}
        for start in range(0, len(wanted), 500):
            rows = db.session.execute(
                select(Comment.wp_id, Comment.id, Comment.root_id, Comment.depth).where(
                    Comment.post_id == post_id, Comment.wp_id.in_(wanted[start : start + 500])
                )
            )
            for number, our_id, root_id, depth in rows:
                placed[number] = (our_id, root_id or our_id, depth)
        self.report.present["comments"] += len(set(by_wp_id) & set(placed))
        new = [n for n in by_wp_id if n not in placed]
        # An id already imported under another post (a damaged export): the first one stays.
        elsewhere: set[int] = set()
        for start in range(0, len(new), 500):
            elsewhere.update(
                db.session.scalars(
                    select(Comment.wp_id).where(Comment.wp_id.in_(new[start : start + 500]))
                )
            )
        if elsewhere:
            self.report.skip(
                "comments whose WordPress id another post has", str(min(elsewhere)), len(elsewhere)
            )
            new = [n for n in new if n not in elsewhere]
            for number in elsewhere:
                del by_wp_id[number]
        taken: set[int] = set()
        self.spare_id = None
        for start in range(0, len(new), 500):
            taken.update(
                db.session.scalars(
                    select(Comment.id).where(Comment.id.in_(new[start : start + 500]))
                )
            )
        for number in new:
            # Walk up to an ancestor already placed (or the top), then place downwards.
            chain = [number]
            while True:
                parent = wp_id(by_wp_id[chain[-1]].value("wp:comment_parent"))
                if parent is None or parent in placed or parent not in by_wp_id or parent in chain:
                    break
                chain.append(parent)
            for link in reversed(chain):
                if link not in placed:
                    placed[link] = self.new_comment(
                        post_id, link, by_wp_id[link], placed, taken, by_wp_id
                    )

    def new_comment(
        self, post_id, number, node, placed, taken, placed_or_new
    ) -> tuple[int, int, int]:
        parent_number = wp_id(node.value("wp:comment_parent"))
        parent = placed.get(parent_number) if parent_number != number else None
        if parent_number and parent is None:
            self.report.notes["replies whose parent is missing, imported as top-level"] += 1
        user = wp_id(node.value("wp:comment_user_id"))
        email = valid_email(node.value("wp:comment_author_email"), 100)
        # The "Author" badge: written by one of the site's authors (signed in on WordPress, or
        # with an author's email address).
        site_author = (self.author_by_wp_id.get(user) if user else None) or self.author_with_email(
            email
        )
        website = safe_url(node.value("wp:comment_author_url"))
        if node.value("wp:comment_author_url").strip() and not website:
            self.report.notes["commenter websites that are not web addresses, left out"] += 1
        comment = Comment(
            wp_id=number,
            post_id=post_id,
            parent_id=parent[0] if parent else None,
            root_id=parent[1] if parent else None,
            depth=parent[2] + 1 if parent else 0,
            author_name=clean_line(node.value("wp:comment_author"), 245) or "Anonymous",
            author_email=email,
            author_url=website,
            author_ip=valid_ip(node.value("wp:comment_author_IP")),
            user_agent=clean_line(node.value("wp:comment_agent"), 255),
            author_id=site_author,
            body=comment_text(node.value("wp:comment_content")),
            status=COMMENT_STATUS.get(node.value("wp:comment_approved"), "pending"),
            moderation_reason=IMPORT_REASON,
            created_at=wp_date(node.value("wp:comment_date_gmt"))
            or wp_date(node.value("wp:comment_date"))
            or now_utc(),
        )
        refresh_comment_html(comment)
        if number in taken:
            self.report.notes["comments that could not keep their WordPress id"] += 1
            # Past every id in use and every WordPress id of this post, so that it takes no id
            # a comment still to come needs.
            if self.spare_id is None:
                in_use = db.session.scalar(select(func.max(Comment.id))) or 0
                self.spare_id = max(in_use, max(placed_or_new)) + 1
            comment.id, self.spare_id = self.spare_id, self.spare_id + 1
        else:
            comment.id = number
        db.session.add(comment)
        if comment.root_id is None:
            comment.root_id = comment.id
        self.report.add("comments", comment.status)
        return comment.id, comment.root_id, comment.depth


def import_wxr(
    stream: BinaryIO, media_url: str | None = None, uploads: str | Path | None = None
) -> Report:
    """Import the export file; all or nothing. Raises WXRError (nothing kept) on a bad file.

    ``media_url``: where the old site's ``wp-content/uploads/`` folder is served now (ending in
    "/"); links and images in posts that point there and are no attachment of the export are
    rewritten to it. ``uploads``: that folder, here: the attachments' files come from it.
    """
    importer = Importer(media_url, uploads)
    try:
        report = importer.run(stream)
        db.session.commit()
    except WXRError:
        db.session.rollback()
        raise
    except SQLAlchemyError as error:
        db.session.rollback()
        detail = getattr(error, "orig", None) or error
        raise WXRError(
            f"the database refused the element there ({detail})", importer.line
        ) from None
    except BaseException:
        db.session.rollback()
        raise
    g.pop("saved_settings", None)
    return report
