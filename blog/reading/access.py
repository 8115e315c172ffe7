"""Who may see a post: private posts for those who may read them, password-protected ones once
unlocked in this browser's session.

The article view, the comment views and the feeds ask here, so every door to a post's content
and its comments applies the same rules.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app, g, session

from ..accounts import roles
from ..models import Post, PostStatus
from . import queries

# The session key holding the unlock proofs, {post id: HMAC}; a few at most are kept.
UNLOCKED_KEY = "unlocked_posts"
MAX_UNLOCKED = 20


def is_private(post: Post) -> bool:
    return post.status == PostStatus.PRIVATE.value


def is_protected(post: Post) -> bool:
    return bool(post.password)


def readable_content_by_slug(slug: str) -> Post | None:
    """A post or page this visitor may open: a public one, or a private one they ``may_read``."""
    post = queries.visible_content_by_slug(slug)
    if post is not None:
        return post
    return private_for_reader(queries.private_content_by_slug(slug))


def readable_post_by_slug(slug: str) -> Post | None:
    """As readable_content_by_slug, for posts only (/posts/SLUG)."""
    post = queries.visible_post_by_slug(slug)
    if post is not None:
        return post
    post = private_for_reader(queries.private_content_by_slug(slug))
    return None if post is None or post.is_page else post


def private_for_reader(post: Post | None) -> Post | None:
    if post is None or not roles.may_read(g.get("author"), post):
        return None
    return post


def may_see_comments(post: Post) -> bool:
    """The post's comments and comment form are this visitor's to see: readable (the caller
    found it so) and not locked by a password."""
    return not is_locked(post)


def is_locked(post: Post) -> bool:
    """A password-protected post this browser has not unlocked (with its current password)."""
    if not post.password:
        return False
    proof = (session.get(UNLOCKED_KEY) or {}).get(str(post.id))
    return not (isinstance(proof, str) and hmac.compare_digest(proof, _proof(post)))


def password_matches(post: Post, typed: str) -> bool:
    return bool(post.password) and hmac.compare_digest(
        typed.encode("utf-8", "surrogatepass"), post.password.encode("utf-8", "surrogatepass")
    )


def remember_unlocked(post: Post) -> None:
    """Keep the proof that this browser typed the password: an HMAC of the post id and the
    password (never the password itself), so a changed password locks the post again."""
    unlocked = dict(session.get(UNLOCKED_KEY) or {})
    unlocked.pop(str(post.id), None)
    unlocked[str(post.id)] = _proof(post)
    while len(unlocked) > MAX_UNLOCKED:
        unlocked.pop(next(iter(unlocked)))
    session[UNLOCKED_KEY] = unlocked


def _proof(post: Post) -> str:
    key = current_app.secret_key
    key = key.encode() if isinstance(key, str) else key
    message = f"blog.unlock|{post.id}|{post.password}".encode("utf-8", "surrogatepass")
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def is_personal(post: Post) -> bool:
    """The page of this post is made for this visitor alone (never in a shared cache)."""
    return is_private(post) or is_protected(post)
