"""Database models (SQLAlchemy 2.0 typed style). Models hold data; they never build URLs."""

from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from . import comment_counts, comment_search
from .extensions import db
from .search_text import SearchVector


def now_utc() -> datetime:
    return datetime.now(UTC)


def new_row_secret() -> str:
    """A random value made with a row whose id travels in signed cookies and links.

    An id proves nothing on its own: a restored backup or a fresh database can give the same id
    to another row. What a reader's cookie or an emailed link grants names the id and this value,
    so it holds for the very row it was issued for and for no later one."""
    return secrets.token_hex(8)


def new_session_epoch() -> int:
    """A new author's first session epoch: random, so a session cookie signed for an author of
    another database (a restored copy, an import) with the same id never matches this one."""
    return secrets.randbelow(2**30) + 1  # room below 2**31 for every later sign-out


class UTCDateTime(TypeDecorator):
    """Stores naive UTC (SQLite has no time zones) and always hands back aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class PostStatus(enum.StrEnum):
    DRAFT = "draft"
    # A contributor's draft waiting for an editor ("Submit for review"); never shown to readers.
    PENDING = "pending"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    # Published for signed-in authors who may read it (accounts.roles), never for readers.
    PRIVATE = "private"
    # In the trash: restorable to ``status_before_trash`` until it is emptied (30 days).
    TRASH = "trash"


class PostKind(enum.StrEnum):
    POST = "post"  # dated, in listings and feeds
    PAGE = "page"  # a static page at /SLUG/ (or /PARENT/SLUG/), never in listings or feeds


class Taxonomy(enum.StrEnum):
    TAG = "tag"  # flat
    CATEGORY = "category"  # hierarchical; every post has at least one


class Role(enum.StrEnum):
    """WordPress's roles, most powerful first; what each may do is blog.accounts.roles."""

    ADMINISTRATOR = "administrator"
    EDITOR = "editor"
    AUTHOR = "author"
    CONTRIBUTOR = "contributor"


class MenuLocation(enum.StrEnum):
    HEADER = "header"
    FOOTER = "footer"


class MenuItemKind(enum.StrEnum):
    PAGE = "page"
    CATEGORY = "category"
    TAG = "tag"
    LINK = "link"


class CommentStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    SPAM = "spam"
    TRASH = "trash"
    # Deleted for good while it had replies: the row keeps only its place in the thread.
    DELETED = "deleted"


post_tags = Table(
    "post_tags",
    db.metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    # The primary key serves lookups by post; tag pages look up by tag.
    Index("ix_post_tags_tag_id", "tag_id"),
)


class Author(db.Model):
    __tablename__ = "authors"
    # Ids are never handed out again after a deletion (SQLite reuses the largest freed rowid
    # without AUTOINCREMENT; PostgreSQL's sequences never go back). Migration 0011.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    # Where comment notifications go; empty: they are only logged.
    email: Mapped[str] = mapped_column(String(254), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    # Bumped on logout and password change so copied session cookies stop working.
    session_epoch: Mapped[int] = mapped_column(Integer, default=new_session_epoch)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # Accounts made before roles existed were the site's owners (migration 0012).
    role: Mapped[str] = mapped_column(
        String(16), default=Role.AUTHOR.value, server_default=Role.ADMINISTRATOR.value
    )
    # "Biographical info", shown on the author's archive page.
    bio: Mapped[str] = mapped_column(Text, default="", server_default="")

    posts: Mapped[list[Post]] = relationship(back_populates="author")


class Tag(db.Model):
    """A term: a flat tag or a hierarchical category (``taxonomy``).

    Slugs are unique across both, as they were on WordPress before 4.2 (a tag "template" beside
    a category "Template" is template-2), so /tag/SLUG/ and /category/.../SLUG/ never clash."""

    __tablename__ = "tags"
    __table_args__ = (
        CheckConstraint("taxonomy IN ('tag', 'category')", name="taxonomy_known"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    taxonomy: Mapped[str] = mapped_column(
        String(16), default=Taxonomy.TAG.value, server_default=Taxonomy.TAG.value
    )
    # Categories only: the parent category (a deleted parent leaves its children at the top).
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("tags.id", ondelete="SET NULL"), index=True
    )
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The WordPress term id of an imported term: /?cat=ID redirects to it.
    wp_id: Mapped[int | None] = mapped_column(Integer)

    parent: Mapped[Tag | None] = relationship(remote_side=[id], lazy="select")


class Post(db.Model):
    __tablename__ = "posts"
    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'pending', 'scheduled', 'published', 'private', 'trash')",
            name="status_known",
        ),
        CheckConstraint("kind IN ('post', 'page')", name="kind_known"),
        # Every reader listing filters on status and orders by publication time.
        Index("ix_posts_status_published_at", "status", "published_at"),
        # ...newest first, for two statuses: read in this order and stopped after a page; the
        # home page puts sticky posts first (migration 0019).
        Index("ix_posts_published_at_id", "published_at", "id"),
        Index("ix_posts_sticky_published_at_id", "sticky", "published_at", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    body_md: Mapped[str] = mapped_column(Text, default="")
    # Sanitized HTML rendered from body_md, valid while body_render_version matches.
    body_html: Mapped[str] = mapped_column(Text, default="")
    body_render_version: Mapped[int] = mapped_column(Integer, default=0)
    # The excerpt: what listings and feeds show when set (plain text).
    summary: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=PostStatus.DRAFT.value)
    kind: Mapped[str] = mapped_column(
        String(16), default=PostKind.POST.value, server_default=PostKind.POST.value
    )
    # Pages only: the parent page (its address is /PARENT/SLUG/) and the order among siblings.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="SET NULL"), index=True
    )
    menu_order: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Shown first on the home page.
    sticky: Mapped[bool] = mapped_column(Boolean, default=False, server_default=db.false())
    # Non-empty: readers must type it to see the content (WordPress's post_password, kept as
    # WordPress keeps it, so editors can read and change it).
    password: Mapped[str] = mapped_column(String(255), default="", server_default="")
    # When it went to the trash, and the status it had (restored with it).
    trashed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_before_trash: Mapped[str] = mapped_column(String(16), default="", server_default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    comments_open: Mapped[bool] = mapped_column(Boolean, default=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"), index=True)
    # The WordPress post id of an imported post: re-imports skip it, /?p=ID redirects to it.
    wp_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    # The picture of listings' cards, the article's top and og:image (WordPress's _thumbnail_id).
    featured_media_id: Mapped[int | None] = mapped_column(
        ForeignKey("media.id", ondelete="SET NULL"), index=True
    )

    author: Mapped[Author] = relationship(back_populates="posts", lazy="joined")
    # Listings show it on every card: loaded with the page of posts in one more query.
    featured_media: Mapped[MediaItem | None] = relationship(lazy="selectin")
    # Tags and categories alike (Tag.taxonomy); see the two properties below.
    terms: Mapped[list[Tag]] = relationship(
        secondary=post_tags, order_by="Tag.name", lazy="selectin"
    )
    parent: Mapped[Post | None] = relationship(remote_side=[id], lazy="select")

    @property
    def tags(self) -> list[Tag]:
        return [term for term in self.terms if term.taxonomy == Taxonomy.TAG.value]

    @tags.setter
    def tags(self, tags: list[Tag]) -> None:
        self.terms = self.categories + list(tags)

    @property
    def categories(self) -> list[Tag]:
        return [term for term in self.terms if term.taxonomy == Taxonomy.CATEGORY.value]

    @categories.setter
    def categories(self, categories: list[Tag]) -> None:
        self.terms = list(categories) + self.tags

    @property
    def is_page(self) -> bool:
        return self.kind == PostKind.PAGE.value

    # Approved comments, filled by reader queries (queries.visible_posts) in the same SELECT.
    comment_count: Mapped[int | None] = query_expression()
    # The same number, and how many of those comments are top-level, kept by the database's
    # triggers (blog/comment_counts.py): read where a count over the thread would be paid on
    # every request. Never written by the application; an object loaded before its comments
    # changed holds old values.
    approved_comments: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    approved_top_level: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Moves on with every change to this post's comments, in the same transaction
    # (blog/caching/pagecache.py): the cached article is kept under it, so a comment on one
    # article rebuilds that article alone. Never shown, never exported. Migration 0018.
    discussion_version: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0", deferred=True
    )
    # PostgreSQL's search document (title, terms, text), kept by its triggers
    # (blog/reading/search_index.py); empty on SQLite. Migration 0015.
    search_vector: Mapped[str | None] = mapped_column(SearchVector, deferred=True)


class Comment(db.Model):
    __tablename__ = "comments"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'approved', 'spam', 'trash', 'deleted')", name="status_known"
        ),
        # Thread display and comment counts: approved comments of one post in time order.
        Index("ix_comments_post_status_created", "post_id", "status", "created_at"),
        # The moderation list, newest first: one status, or all of them (migration 0019).
        Index("ix_comments_status_created_id", "status", "created_at", "id"),
        Index("ix_comments_created_at_id", "created_at", "id"),
        # The first-time, flood and duplicate checks of every new comment compare emails
        # without case (migration 0008).
        Index("ix_comments_author_email_lower", text("lower(author_email)")),
        # Where a comment falls among an article's top-level comments (its comment page), read
        # from the index alone (migration 0009).
        Index("ix_comments_post_top_level", "post_id", "parent_id", "created_at", "status"),
        # A comment page: an article's top-level comments in display order (created_at, id),
        # read 50 at a time instead of sorting the thread; PostgreSQL does not take "parent_id
        # IS NULL" as fixing the index above's second column, so it could not give that order
        # (and walked the site-wide ix_comments_created_at_id instead). Migration 0019.
        Index(
            "ix_comments_top_level_page",
            "post_id",
            "created_at",
            "id",
            sqlite_where=text("parent_id IS NULL"),
            postgresql_where=text("parent_id IS NULL"),
        ),
        # The duplicate rule: the same text on the same article, found by its digest (0009).
        Index("ix_comments_post_body_digest", "post_id", "body_digest"),
        # Top-level comments that are not approved: the few a new comment's page looks at one
        # by one (threads.totals_and_page_of_new, migration 0010). The columns of the index
        # above: without statistics SQLite takes the partial index over the whole one.
        Index(
            "ix_comments_top_level_unapproved",
            "post_id",
            "parent_id",
            "created_at",
            "status",
            sqlite_where=text("parent_id IS NULL AND status != 'approved'"),
            postgresql_where=text("parent_id IS NULL AND status != 'approved'"),
        ),
        # The moderation list's search, a trigram index on PostgreSQL (blog/comment_search.py).
        comment_search.index(),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="SET NULL"), index=True
    )
    # The top-level comment of this thread (its own id for a top-level comment), so one query
    # fetches whole threads for a page of top-level comments.
    root_id: Mapped[int | None] = mapped_column(Integer, index=True)
    depth: Mapped[int] = mapped_column(Integer, default=0)
    author_name: Mapped[str] = mapped_column(String(245))
    author_email: Mapped[str] = mapped_column(String(100), index=True)
    author_url: Mapped[str] = mapped_column(String(200), default="")
    author_ip: Mapped[str] = mapped_column(String(45), default="", index=True)
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    # Set when a signed-in author wrote the comment (the "Author" badge).
    author_id: Mapped[int | None] = mapped_column(ForeignKey("authors.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    # A fingerprint of ``body`` (body_digest()), kept in step by the "set" event below.
    body_digest: Mapped[str] = mapped_column(String(16), default="", server_default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    body_render_version: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default=CommentStatus.PENDING.value)
    moderation_reason: Mapped[str] = mapped_column(String(255), default="")
    # Bumped by every status change (lifecycle.change_status): a one-click email link carries the
    # version it was made for and dies once anything else moved the comment.
    status_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the poster's cookie and the one-click email links carry besides the id (models'
    # new_row_secret): never exported, made anew by a restore or an import.
    secret: Mapped[str] = mapped_column(String(16), default=new_row_secret, server_default="")
    # The WordPress comment id of an imported comment (usually equal to id, see blog/wordpress).
    wp_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    # PostgreSQL's search document, kept by its triggers; empty on SQLite. Migration 0015.
    search_vector: Mapped[str | None] = mapped_column(SearchVector, deferred=True)

    post: Mapped[Post] = relationship()
    parent: Mapped[Comment | None] = relationship(remote_side=[id])
    site_author: Mapped[Author | None] = relationship()


def body_digest(text: str) -> str:
    """A short fingerprint of a comment's text. The duplicate rule looks equal texts up by it
    (and then compares the texts): no index can hold whole comments."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


comment_counts.attach(Comment.__table__)


@event.listens_for(Comment.body, "set")
def _keep_body_digest(comment: Comment, value, oldvalue, initiator) -> None:
    comment.body_digest = body_digest(value or "")


class Revision(db.Model):
    """What a post was at one save (or, ``autosave``, what its author was typing)."""

    __tablename__ = "revisions"
    __table_args__ = (
        Index("ix_revisions_post_created", "post_id", "created_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("authors.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    body_md: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    # An autosave is kept apart from the saved revisions: one per post and author, replaced.
    autosave: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    author: Mapped[Author | None] = relationship()


class MenuItem(db.Model):
    """One entry of the header or footer menu: a page, a category, a tag or any link.

    Nested one level (``parent_id``); a target that is deleted takes its entries with it
    (blog.admin.menus), a parent takes its children."""

    __tablename__ = "menu_items"
    __table_args__ = (
        CheckConstraint("menu IN ('header', 'footer')", name="menu_known"),
        CheckConstraint("kind IN ('page', 'category', 'tag', 'link')", name="kind_known"),
        Index("ix_menu_items_menu_position", "menu", "position"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    menu: Mapped[str] = mapped_column(String(16), default=MenuLocation.HEADER.value)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("menu_items.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(16))
    # The page's post id or the term's id (kinds page, category, tag).
    target_id: Mapped[int | None] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(String(2000), default="")  # kind link
    # Empty: the target's own title or name.
    label: Mapped[str] = mapped_column(String(200), default="")


class MediaKind(enum.StrEnum):
    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"
    FILE = "file"  # anything else an import brought (a PDF); linked, never embedded


class MediaItem(db.Model):
    """An uploaded (or imported) file and the sizes made from it (blog.media).

    Posts refer to it by a stable address, /media/ID/FILE_NAME (blog.media.urls), that does not
    change when the file does; the files themselves are stored under hashed names and served
    immutable. ``stored_name`` is empty while the file is not here (an import without its
    uploads folder): the record is kept and readers see a placeholder."""

    __tablename__ = "media"
    __table_args__ = (
        CheckConstraint("kind IN ('image', 'audio', 'video', 'file')", name="kind_known"),
        Index("ix_media_created_at", "created_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default=MediaKind.IMAGE.value)
    # The name it was uploaded with (shown, and the last part of its address), cleaned.
    file_name: Mapped[str] = mapped_column(String(255))
    # The original's stored name ("3f/3fa2….jpg" under MEDIA_DIR); "" while the file is missing.
    stored_name: Mapped[str] = mapped_column(String(255), default="", server_default="")
    mime_type: Mapped[str] = mapped_column(String(100), default="")
    byte_size: Mapped[int] = mapped_column(Integer, default=0)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    # JSON: {"768": {"width": 768, "height": 512, "files": {"webp": "…", "jpeg": "…"}}, …}
    sizes: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    title: Mapped[str] = mapped_column(String(255), default="")
    alt_text: Mapped[str] = mapped_column(String(1000), default="")
    caption: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("authors.id", ondelete="SET NULL"), index=True
    )
    # Imports: WordPress's attachment id, the post it was attached to (its post_parent, as a
    # WordPress id: informational) and where the file lived on the old site.
    wp_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    wp_parent_id: Mapped[int | None] = mapped_column(Integer)
    source_url: Mapped[str] = mapped_column(String(2000), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    author: Mapped[Author | None] = relationship()

    @property
    def is_missing(self) -> bool:
        return not self.stored_name


# Which posts use which media (their bodies' /media/ID/ addresses and featured images), kept by
# blog.media.usage whenever a post is saved: the library shows it and refuses to delete in use.
post_media = Table(
    "post_media",
    db.metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("media_id", ForeignKey("media.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Setting(db.Model):
    """A site setting changed on the admin settings page; it overrides the configured default."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)  # JSON
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)


class LoginAttempt(db.Model):
    """A sign-in attempt, kept only for the throttling window (blog.accounts.auth purges older
    ones)."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        # Failures per username, failures per client address, and the purge by age.
        Index("ix_login_attempts_username_at", "username", "attempted_at"),
        Index("ix_login_attempts_ip_at", "ip", "attempted_at"),
        Index("ix_login_attempts_attempted_at", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(128))
    ip: Mapped[str] = mapped_column(String(45), default="")
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class SlugRedirect(db.Model):
    """An old slug of a published post, so its old address answers with a 301."""

    __tablename__ = "slug_redirects"

    old_slug: Mapped[str] = mapped_column(String(200), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)


class OutboxStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for its next attempt
    SENDING = "sending"  # claimed by a sender until claimed_at + MAIL_CLAIM_SECONDS
    SENT = "sent"
    FAILED = "failed"  # gave up after MAIL_RETRIES; kept for inspection


class OutboxMessage(db.Model):
    """An email written in the same transaction as what it reports, sent later by a sender.

    A crash between the comment's commit and the send cannot lose the message: the row is
    there, and a sender (the in-process thread or `flask send-mail`) picks it up."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed')", name="status_known"),
        # The senders' question: which rows are due?
        Index("ix_outbox_status_next_attempt", "status", "next_attempt_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.QUEUED.value)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(Text)  # the whole RFC 5322 message
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # Who holds the row and since when; a claim older than the lease is taken again.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SubscriptionStatus(enum.StrEnum):
    PENDING = "pending"  # asked for, confirmation email sent, nothing else sent yet
    CONFIRMED = "confirmed"  # the link in the confirmation email was followed


class Subscription(db.Model):
    """A reader who follows an article's new comments by email (blog/comments/subscriptions.py).

    The address is stored in lower case: one row per address and article, and a commenter's own
    comments are recognised whatever case they typed. Unsubscribing deletes the row; links name
    its ``secret``, so a link made for a deleted row never acts on a later one with the same id."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'confirmed')", name="status_known"),
        # One row per address and article; its first column also serves "who follows this post".
        Index("ix_subscriptions_post_id_email", "post_id", "email", unique=True),
        # The rate limit's question: confirmations sent to this address lately, site-wide.
        Index("ix_subscriptions_email_confirm_sent_at", "email", "confirm_sent_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(16), default=SubscriptionStatus.PENDING.value)
    secret: Mapped[str] = mapped_column(String(16), default=new_row_secret)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    confirm_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Comments approved while the last notice was too recent: told about in the next one.
    unannounced: Mapped[int] = mapped_column(Integer, default=0)

    post: Mapped[Post] = relationship()
