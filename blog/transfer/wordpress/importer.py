"""Import a WordPress export (WXR) into the blog, in one transaction.

Every row is keyed on its WordPress id (``posts.wp_id``, ``comments.wp_id``; authors on their
login, tags on their slug), so importing the same file again adds nothing, and importing a later
export of the same site adds only what is new. Existing rows are never changed.

An imported comment keeps its WordPress id as its own id when that id is free (it always is in a
new blog), so the ``#comment-123`` anchors of old WordPress links, which browsers carry across our
redirects, land on the same comment, and ``/c/123`` finds it.

What WordPress has and we have not is skipped and counted: pages, attachments, revisions, menu
items and other post types, posts in the trash, pingbacks and trackbacks.
"""

from __future__ import annotations

import gc
import ipaddress
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

from flask import g
from sqlalchemy import func, insert, select
from sqlalchemy.exc import SQLAlchemyError
from wtforms.validators import ValidationError

from ...accounts.passwords import NO_PASSWORD
from ...database import reset_id_sequences
from ...extensions import db
from ...models import (
    Author,
    Comment,
    CommentStatus,
    Post,
    PostStatus,
    Setting,
    SlugRedirect,
    Tag,
    now_utc,
    post_tags,
)
from ...reading.slugs import is_kept_slug, slugify
from ...sanitize import refresh_comment_html, refresh_post_html
from ...web.forms import has_visible_text, web_address
from ..portable import email_problem
from .content import comment_text, plain_text, post_source
from .wxr import Node, WXRError, read_channel

POST_STATUS = {
    "publish": PostStatus.PUBLISHED.value,
    "future": PostStatus.SCHEDULED.value,
    "draft": PostStatus.DRAFT.value,
    "pending": PostStatus.DRAFT.value,
    "private": PostStatus.DRAFT.value,
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
# Plural labels for what is skipped, by WordPress post type.
SKIPPED_TYPES = {"page": "pages", "attachment": "attachments", "revision": "revisions"}


IMPORT_REASON = "Imported from WordPress"
GC_EVERY = 100  # channel elements between two collections of cyclic garbage (see run)

# WordPress's default category, on every post that has no other: not worth a tag.
DEFAULT_CATEGORY = "uncategorized"
MAX_ID = 2**31 - 1
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff]")


@dataclass
class Report:
    """What an import did, for the command's output (and the tests)."""

    imported: Counter = field(default_factory=Counter)
    present: Counter = field(default_factory=Counter)
    statuses: dict[str, Counter] = field(default_factory=dict)
    skipped: Counter = field(default_factory=Counter)
    notes: Counter = field(default_factory=Counter)
    settings: list[str] = field(default_factory=list)
    site_title: str = ""
    version: str = ""

    def add(self, kind: str, status: str | None = None) -> None:
        self.imported[kind] += 1
        if status:
            self.statuses.setdefault(kind, Counter())[status] += 1

    def lines(self) -> list[str]:
        out = [f"Imported {self.site_title or 'a WordPress site'} (WXR {self.version or '?'}):"]
        for kind in ("authors", "tags", "posts", "comments"):
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
        if self.settings:
            out.append(f"  settings: {', '.join(self.settings)}")
        if self.skipped:
            out.append("Skipped:")
            out.extend(f"  {label}: {n}" for label, n in sorted(self.skipped.items()))
        if self.notes:
            out.append("Notes:")
            out.extend(f"  {note}: {n}" for note, n in sorted(self.notes.items()))
        return out


def clean_line(text: str, limit: int) -> str:
    """A one-line text for a name or title: no control characters, cut to the column's size;
    empty when nothing of it would show (spaces, zero-width spaces, fillers)."""
    line = _CONTROL_RE.sub("", plain_text(text)).strip()[:limit]
    return line if has_visible_text(line) else ""


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


def wp_date(text: str) -> datetime | None:
    """'2022-01-05 09:30:00' (UTC for the *_gmt fields) -> aware datetime; WordPress writes
    '0000-00-00 00:00:00' for a date it never set."""
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def safe_url(url: str) -> str:
    """A commenter's website, kept only as an absolute http(s) URL (no javascript: and such)."""
    url = url.strip()
    if not url or len(url) > 200 or any(c.isspace() or ord(c) < 32 for c in url):
        return ""
    try:
        web_address(None, SimpleNamespace(data=url))  # the comment form's own check
    except ValidationError:
        return ""
    return url


class Importer:
    def __init__(self, media_url: str | None = None) -> None:
        self.report = Report()
        # Where the old site's wp-content/uploads/ now lives (None: links left as they are).
        self.media_url = media_url
        self.uploads_re: re.Pattern | None = None
        self.author_by_login: dict[str, int] = {}
        self.author_by_wp_id: dict[int, int] = {}
        self.tag_by_slug: dict[str, int] = {}
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
        old = re.escape(parts.netloc + parts.path.rstrip("/"))
        pattern = rf"(?:https?:)?//{old}/wp-content/uploads/"
        if self.uploads_re is not None:
            pattern = f"{self.uploads_re.pattern}|{pattern}"
        self.uploads_re = re.compile(pattern, re.IGNORECASE)

    def body_source(self, content: str) -> str:
        """The post's source, its images and links to the old uploads moved to ``media_url``."""
        source = post_source(content)
        if self.uploads_re is None or not self.uploads_re.search(source):
            return source
        if self.media_url is None:
            self.report.notes["posts using files on the old site (see --media-url)"] += 1
            return source
        self.report.notes["posts whose uploads now point to --media-url"] += 1
        return self.uploads_re.sub(lambda _: self.media_url, source)

    def save_settings(self) -> None:
        """Title and tagline, unless they were already set on the settings page."""
        for key, value in self.site_settings.items():
            if db.session.get(Setting, key) is None:
                db.session.add(Setting(key=key, value=json.dumps(value)))
                self.report.settings.append(f"{key} set")
            else:
                self.report.settings.append(f"{key} kept (already set)")

    # --- authors ----------------------------------------------------------------------------

    def author(self, node: Node) -> None:
        login = clean_line(node.value("wp:author_login"), 64)
        if not login:
            self.report.skipped["authors without a login"] += 1
            return
        author_id = self.author_id(
            login,
            display_name=clean_line(node.value("wp:author_display_name"), 128),
            email=valid_email(node.value("wp:author_email"), 254),
        )
        if number := wp_id(node.value("wp:author_id")):
            self.author_by_wp_id[number] = author_id

    def author_id(self, login: str, display_name: str = "", email: str = "") -> int:
        if login in self.author_by_login:
            return self.author_by_login[login]
        found = db.session.scalar(select(Author.id).where(Author.username == login))
        if found is None:
            author = Author(
                username=login,
                display_name=display_name or login,
                email=email,
                password_hash=NO_PASSWORD,
            )
            db.session.add(author)
            db.session.flush()
            found = author.id
            self.report.add("authors")
        else:
            self.report.present["authors"] += 1
        self.author_by_login[login] = found
        return found

    # --- posts ------------------------------------------------------------------------------

    def item(self, node: Node) -> None:
        post_type = node.value("wp:post_type") or "post"
        comments = node.all("wp:comment")
        if post_type != "post":
            label = SKIPPED_TYPES.get(post_type, f"{post_type} items")
            self.skip(label, comments)
            return
        number = wp_id(node.value("wp:post_id"))
        wp_status = node.value("wp:status")
        status = POST_STATUS.get(wp_status)
        if number is None:
            self.skip("posts without a WordPress id", comments)
            return
        if status is None:  # trash, auto-draft and whatever else a plugin invented
            self.skip(f"posts with status {wp_status or '(none)'}", comments)
            return
        post_id = db.session.scalar(select(Post.id).where(Post.wp_id == number))
        if post_id is None:
            post_id = self.new_post(node, number, status)
        else:
            self.report.present["posts"] += 1
        self.comments(post_id, comments)
        db.session.flush()
        # Nothing of this item is needed again: keep the session (and memory) small.
        db.session.expunge_all()

    def skip(self, label: str, comments: list[Node]) -> None:
        self.report.skipped[label] += 1
        if comments:
            self.report.skipped["comments on skipped items"] += len(comments)

    def new_post(self, node: Node, number: int, status: str) -> int:
        title = clean_line(node.value("title"), 200) or "(untitled)"
        if node.value("wp:post_password") and status != PostStatus.DRAFT.value:
            # Password-protected on WordPress; we have no such thing, so it must not go public.
            status = PostStatus.DRAFT.value
            self.report.notes["password-protected posts imported as drafts"] += 1
        date = wp_date(node.value("wp:post_date_gmt")) or wp_date(node.value("wp:post_date"))
        if status == PostStatus.SCHEDULED.value and date is None:
            status = PostStatus.DRAFT.value
        published_at = None
        if status != PostStatus.DRAFT.value:
            published_at = date or now_utc()
        modified = wp_date(node.value("wp:post_modified_gmt"))
        creator = clean_line(node.value("dc:creator"), 64) or "wordpress"
        post = Post(
            wp_id=number,
            title=title,
            slug=self.free_slug(unquote(node.value("wp:post_name")), title, number),
            body_md=self.body_source(node.value("content:encoded")),
            summary=plain_text(node.value("excerpt:encoded")),
            status=status,
            published_at=published_at,
            updated_at=modified if modified and published_at and modified > published_at else None,
            created_at=date or now_utc(),
            comments_open=node.value("wp:comment_status") != "closed",
            author_id=self.author_id(creator),
        )
        refresh_post_html(post)
        db.session.add(post)
        db.session.flush()
        tag_ids = self.tag_ids(node)
        if tag_ids:
            db.session.execute(
                insert(post_tags), [{"post_id": post.id, "tag_id": t} for t in tag_ids]
            )
        self.report.add("posts", status)
        return post.id

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
            self.report.notes["posts whose slug was taken (renamed slug-2...)"] += 1
        return candidate

    def tag_ids(self, node: Node) -> list[int]:
        """Categories and tags of a post, both as our tags (the category's slug is kept, so
        /category/NAME/ finds it)."""
        ids: list[int] = []
        for term in node.all("category"):
            domain = term.attrs.get("domain", "")
            name = clean_line(term.text, 64)
            slug = _CONTROL_RE.sub("", unquote(term.attrs.get("nicename", ""))).strip()
            if slug and not is_kept_slug(slug, 64):
                # Shown as /tag/<slug> on every page: "../../admin" must not become a link.
                slug = slugify(slug, max_length=64, fallback="")
                self.report.notes["tag slugs that were not usable (made again from them)"] += 1
            slug = slug or slugify(name, max_length=64, fallback="tag")
            if domain not in ("category", "post_tag"):
                self.report.skipped[f"{domain or 'unknown'} terms"] += 1
                continue
            if not name or (domain == "category" and slug == DEFAULT_CATEGORY):
                continue
            tag_id = self.tag_by_slug.get(slug)
            if tag_id is None:
                tag_id = db.session.scalar(select(Tag.id).where(Tag.slug == slug))
                if tag_id is None:
                    tag = Tag(name=name, slug=slug)
                    db.session.add(tag)
                    db.session.flush()
                    tag_id = tag.id
                    self.report.add("tags")
                else:
                    self.report.present["tags"] += 1
                self.tag_by_slug[slug] = tag_id
            if tag_id not in ids:
                ids.append(tag_id)
        return ids

    # --- comments ---------------------------------------------------------------------------

    def comments(self, post_id: int, nodes: list[Node]) -> None:
        """A post's comments, parents before replies, threads as WordPress had them."""
        by_wp_id: dict[int, Node] = {}
        for node in nodes:
            kind = node.value("wp:comment_type") or "comment"
            number = wp_id(node.value("wp:comment_id"))
            if kind != "comment":
                self.report.skipped[f"{kind}s"] += 1
            elif number is None:
                self.report.skipped["comments without a WordPress id"] += 1
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
            self.report.skipped["comments whose WordPress id another post has"] += len(elsewhere)
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
        comment = Comment(
            wp_id=number,
            post_id=post_id,
            parent_id=parent[0] if parent else None,
            root_id=parent[1] if parent else None,
            depth=parent[2] + 1 if parent else 0,
            author_name=clean_line(node.value("wp:comment_author"), 245) or "Anonymous",
            author_email=valid_email(node.value("wp:comment_author_email"), 100),
            author_url=safe_url(node.value("wp:comment_author_url")),
            author_ip=valid_ip(node.value("wp:comment_author_IP")),
            user_agent=clean_line(node.value("wp:comment_agent"), 255),
            author_id=self.author_by_wp_id.get(user) if user else None,
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


def import_wxr(stream: BinaryIO, media_url: str | None = None) -> Report:
    """Import the export file; all or nothing. Raises WXRError (nothing kept) on a bad file.

    ``media_url``: where the old site's ``wp-content/uploads/`` folder is served now (ending in
    "/"); links and images in posts that point there are rewritten to it.
    """
    importer = Importer(media_url)
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
