"""Work done once per change of content, not once per reader: the shared cache and its key.

Everything cached here is keyed by three things, so nothing stale is ever served:

* the **content version**: a random token in the ``settings`` table that every change to what
  readers see replaces, in the same transaction as the change. Nobody has to remember to bump it:
  a flush that adds, changes or deletes a post, tag, author, slug redirect, menu item, media item
  or setting does (``_bump_on_content_change``), whichever route, CLI command or test wrote the
  rows. Every worker reads the token with the settings (one query per request it already made),
  so a change committed by one worker or host is seen by all of them on their next request;
* for what shows comments, the **discussion**: a change to a comment (by a flush, or the Core
  INSERT of a new comment, blog/comments/posting.py, through ``content_written``) moves its
  article's ``posts.discussion_version`` and a site-wide **comments token** in the settings, not
  the content version. An article page is kept under the content version and its own
  discussion_version (one indexed read per request), listings and comment feeds (which show
  counts and comments of many articles) under the content version and the comments token. So a
  comment on one article renders that article again, and the listings, and nothing else;
* the **renderer fingerprint**: a hash of every template's source and the sanitizer versions, so
  an upgrade that changes how pages look never reads entries rendered by the old code;
* a **fresh-until** time for what changes with the clock alone: a scheduled post becoming public
  (sidebar, neighbours) or comments closing after COMMENT_CLOSE_AFTER_DAYS.

The cache is Flask-Caching: in process by default (CACHE_TYPE="SimpleCache", bounded by
CACHE_THRESHOLD), or Redis (CACHE_TYPE="RedisCache", CACHE_REDIS_URL) so that all workers and
hosts share one rendering of each page. Only what is the same for every reader goes in it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from datetime import UTC, datetime

from flask import current_app, g, has_app_context
from sqlalchemy import bindparam, event, func, inspect, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..database import core_content_written
from ..extensions import cache, db
from ..models import (
    Author,
    Comment,
    MediaItem,
    MenuItem,
    Post,
    PostStatus,
    Setting,
    SlugRedirect,
    Tag,
    now_utc,
)
from ..settings import COMMENTS_VERSION_KEY, VERSION_KEY, read_before_session, saved_settings

# Everything a cached page shows but comments: menus are on every page. A comment moves its own
# article's posts.discussion_version and the comments token instead (_bump_discussions).
CONTENT_MODELS = (Post, Tag, Author, Setting, SlugRedirect, MenuItem, MediaItem)


def content_version() -> str:
    """The token read with the saved settings (same query); "0" before the first change."""
    saved_settings()
    return g.get("content_version", "0")


def comments_version() -> str:
    """The token every change to a comment replaces (read with the settings, same query)."""
    saved_settings()
    return g.get("comments_version", "0")


_DISCUSSION_VERSION = select(Post.discussion_version).where(Post.slug == bindparam("slug"))


def discussion_version(slug: str) -> int | None:
    """The article's own version, read once per request: before its page is rendered, so a
    page is never kept under a version newer than the comments it shows."""
    found = g.setdefault("discussion_versions", {})
    if slug not in found:
        # As the settings are read: outside the ORM while the session has not begun (a cached
        # page never opens one), in its transaction once it has.
        rows = read_before_session(_DISCUSSION_VERSION, {"slug": slug})
        found[slug] = rows[0][0] if rows else None
    return found[slug]


@functools.cache
def _upsert(dialect_name: str):
    """A token's statement, built once per dialect (every comment post runs it while other
    posts wait); the key, token and time are parameters."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    statement = dialect.insert(Setting).values(
        key=bindparam("key_name"), value=bindparam("token_json"), updated_at=bindparam("now")
    )
    return statement.on_conflict_do_update(
        index_elements=[Setting.key],
        set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at},
    )


_NEXT_DISCUSSION_VERSION = (
    update(Post.__table__)
    .where(Post.__table__.c.id.in_(bindparam("post_ids", expanding=True)))
    .values(discussion_version=Post.__table__.c.discussion_version + 1)
)


def _new_token(connection, key_name: str) -> str:
    token = uuid.uuid4().hex
    connection.execute(
        _upsert(connection.dialect.name),
        {"key_name": key_name, "token_json": json.dumps(token), "now": now_utc()},
    )
    return token


def _changed_rows(session: Session):
    """The rows this flush writes: new, deleted, or really modified."""
    yield from session.new | session.deleted
    for obj in session.dirty:
        if session.is_modified(obj):
            yield obj


@event.listens_for(Session, "before_flush")
def _note_content_change(session: Session, flush_context, instances) -> None:
    for obj in _changed_rows(session):
        if isinstance(obj, CONTENT_MODELS):
            session.info["content_changed"] = True
            if isinstance(obj, Setting):  # the saved settings themselves change: read again
                session.info["settings_changed"] = True


def _discussions_in_flush(session: Session) -> set[int]:
    """The posts whose comments this flush writes (after it, so new rows know their post;
    a comment moved to another post names both)."""
    ids: set[int] = set()
    for obj in _changed_rows(session):
        if isinstance(obj, Comment):
            if obj.post_id is not None:
                ids.add(obj.post_id)
            ids.update(i for i in inspect(obj).attrs.post_id.history.deleted if i is not None)
    return ids


@event.listens_for(Session, "after_flush")
def _bump_on_content_change(session: Session, flush_context) -> None:
    """New tokens in the same transaction as the change: both commit, or neither does."""
    settings_changed = session.info.pop("settings_changed", False)
    if has_app_context() and settings_changed:
        g.pop("saved_settings", None)  # this request reads the saved settings again
        g.pop("content_version", None)
        g.pop("comments_version", None)
    discussions = _discussions_in_flush(session) if flush_context is not None else set()
    if discussions:
        _bump_discussions(session, discussions)
    if not session.info.pop("content_changed", False):
        return
    if session.info.get("content_version_bumped"):
        return  # this transaction already carries a new token: one per transaction is enough
    token = _new_token(session.connection(), VERSION_KEY)
    session.info["content_version_bumped"] = True
    if has_app_context() and not settings_changed:
        # The rest of this request sees its own change: the new token, without reading the
        # settings again (only the token changed).
        g.content_version = token


def _bump_discussions(session: Session, post_ids: set[int]) -> None:
    """The articles' own versions move on (their pages are rendered again), and the comments
    token once per transaction (listings show comment counts, the comment feeds the text)."""
    connection = session.connection()
    connection.execute(_NEXT_DISCUSSION_VERSION, {"post_ids": sorted(post_ids)})
    if has_app_context():
        g.pop("discussion_versions", None)
    if session.info.get("comments_version_bumped"):
        return
    token = _new_token(connection, COMMENTS_VERSION_KEY)
    session.info["comments_version_bumped"] = True
    if has_app_context() and "saved_settings" in g:
        g.comments_version = token


@core_content_written.connect
def content_written(session: Session, post_id: int | None = None) -> None:
    """For content written with Core statements, which no flush sees: a comment on
    ``post_id`` moves that article's version; anything else, the content version."""
    if post_id is not None:
        _bump_discussions(session, {post_id})
        return
    session.info["content_changed"] = True
    _bump_on_content_change(session, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_bump(session: Session, transaction) -> None:
    # The transaction's end, or a savepoint's (committed or rolled back): the next change bumps
    # again, so a savepoint rolled back with its bump inside leaves no later change without one.
    # Not the end of the internal subtransaction every flush opens.
    if transaction.parent is None or transaction.nested:
        session.info.pop("content_version_bumped", None)
        session.info.pop("comments_version_bumped", None)


# --- the renderer fingerprint -------------------------------------------------------------------


def fingerprint() -> str:
    """Templates and sanitizer versions this app renders with; computed once per app."""
    app = current_app._get_current_object()
    found = app.extensions.get("pagecache_fingerprint")
    if found is None:
        from ..sanitize import COMMENT_RENDER_VERSION, POST_RENDER_VERSION

        digest = hashlib.sha256(f"{POST_RENDER_VERSION}:{COMMENT_RENDER_VERSION}".encode())
        # Pages link hashed static names (blog/web/assets.py): a release that changes only a
        # stylesheet must not serve pages naming the old file.
        manifest = app.extensions.get("blog.static_manifest", {})
        digest.update(repr(sorted(manifest.items())).encode())
        loader = app.jinja_env.loader
        for name in sorted(loader.list_templates()):
            source, _, _ = loader.get_source(app.jinja_env, name)
            digest.update(name.encode() + b"\0" + source.encode() + b"\0")
        found = digest.hexdigest()[:16]
        app.extensions["pagecache_fingerprint"] = found
    return found


# --- entries ------------------------------------------------------------------------------------


def key(*parts) -> str:
    """For what shows no comments (menus, the sidebar, an article's neighbours)."""
    return ":".join(["blog", fingerprint(), content_version(), *map(str, parts)])


def listing_key(*parts) -> str:
    """For what shows comments or their counts across articles (listings, comment feeds)."""
    return ":".join(
        ["blog", fingerprint(), content_version(), comments_version(), *map(str, parts)]
    )


def article_key(version: int | None, *parts) -> str:
    """For one article's page: the content version and the article's discussion_version."""
    return ":".join(["blog", fingerprint(), content_version(), f"d{version}", *map(str, parts)])


def template_key(*parts) -> str:
    """For a fragment that depends on the templates and ``parts`` alone, not on the content:
    it outlives the content version (which every new comment replaces)."""
    return ":".join(["blog", fingerprint(), "templates", *map(str, parts)])


def get(entry_key: str):
    """The cached value, or None when missing, past its fresh-until time, or the cache is down."""
    entry = _cache_call(cache.get, entry_key)
    if entry is None:
        return None
    value, fresh_until = entry
    if fresh_until is not None and datetime.now(UTC).timestamp() >= fresh_until:
        return None
    return value


def put(entry_key: str, value, fresh_until: datetime | None = None) -> None:
    limit = next_publication()
    if limit is not None and (fresh_until is None or limit < fresh_until):
        fresh_until = limit
    _cache_call(cache.set, entry_key, (value, fresh_until.timestamp() if fresh_until else None))


def put_lasting(entry_key: str, value) -> None:
    """Keep a ``template_key`` entry: no clock makes it stale (no scheduled post or closing
    date changes it), so no fresh-until time is looked up."""
    _cache_call(cache.set, entry_key, (value, None))


def _cache_call(method, *args):
    """A cache that is down (Redis restarting) costs speed, never the page: render instead."""
    try:
        return method(*args)
    except Exception:  # the client's errors vary by backend (redis, pickle, socket)
        current_app.logger.warning("Page cache unavailable; rendering instead.", exc_info=True)
        return None


def next_publication() -> datetime | None:
    """When the next scheduled post becomes public: every listing changes then, by the clock."""
    if "next_publication" not in g:
        entry_key = key("next-publication")
        found = _cache_call(cache.get, entry_key)
        now = now_utc()
        if found is None or (found[0] is not None and found[0] <= now.timestamp()):
            at = db.session.scalar(
                select(func.min(Post.published_at)).where(
                    Post.status.in_((PostStatus.PUBLISHED.value, PostStatus.SCHEDULED.value)),
                    Post.published_at > now,
                )
            )
            found = (at.timestamp() if at else None,)
            _cache_call(cache.set, entry_key, found)
        g.next_publication = datetime.fromtimestamp(found[0], UTC) if found[0] else None
    return g.next_publication


def remembered(entry_key: str, compute):
    """``compute()`` once per content version (plain data only: tuples, strings, numbers)."""
    value = get(entry_key)
    if value is None:
        value = compute()
        put(entry_key, value)
    return value
