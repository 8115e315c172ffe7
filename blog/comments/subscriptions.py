"""Following an article's new comments by email: asking, confirming, leaving, and who is told.

- **Double opt-in.** Asking makes a pending row and sends one confirmation email; nothing else
  goes to the address until its link was followed (a GET page whose button POSTs: mail scanners
  fetch links, and a GET changes nothing). Every article is confirmed on its own: an address
  confirmed elsewhere on the site is not trusted for another article, since anyone may type it.
- **Nothing tells whether an address follows.** Every request gets the same answer, whether a
  mail was sent, the address already follows, or a limit held the mail back.
- **Against flooding someone's inbox** with confirmations: at most one per address and article
  a day, and FOLLOW_CONFIRMATIONS_PER_HOUR per address site-wide (the view also has a
  Flask-Limiter limit per client address).
- **Notices.** Each approved comment (posted approved, or approved later by a moderator: every
  route goes through lifecycle.moderate) is announced to each confirmed follower of its
  article, except to its own author (same address, any case). At most one notice per follower
  and article every FOLLOW_NOTICE_MINUTES: comments approved in between are counted and the
  next notice says how many more there were, with the article's link.
- **Leaving.** Links are signed (their own salts) and name the row's secret, so a link made for
  a row that was deleted never acts on a later row with the same id. Leaving deletes the row.

Messages go through the outbox in the transaction of what they report; the caller commits.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import bindparam, delete, event, func, or_, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..mail import follow, outbox
from ..models import Comment, CommentStatus, Post, Subscription, SubscriptionStatus, now_utc
from ..web.urls import absolute_article_url, absolute_url

PENDING = SubscriptionStatus.PENDING.value
CONFIRMED = SubscriptionStatus.CONFIRMED.value
STATUSES = (PENDING, CONFIRMED)
CONFIRMATION_GAP = timedelta(days=1)  # per address and article
EXCERPT_MAX = 2000


def setting(name: str):
    """One of the FOLLOW_* settings (blog/config.py)."""
    return current_app.config[name]


# --- signed links -------------------------------------------------------------------------------


def _signer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"blog.follow.{purpose}")


def token(subscription: Subscription, purpose: str) -> str:
    """``purpose``: "confirm" or "unsubscribe"."""
    return _signer(purpose).dumps({"s": subscription.id, "k": subscription.secret})


def _read(value: str, purpose: str, max_age: int | None) -> tuple[int, str] | None:
    try:
        data = _signer(purpose).loads(value, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("k"), str) or not data["k"]:
        return None
    if not isinstance(data.get("s"), int) or isinstance(data["s"], bool):
        return None
    return data["s"], data["k"]


def is_valid_token(value: str, purpose: str) -> bool:
    """Signed by this site for ``purpose`` (whether its row still exists or not)."""
    return _read(value, purpose, _max_age(purpose)) is not None


def by_token(value: str, purpose: str) -> Subscription | None:
    """The subscription a link names, or None: forged, expired, or its row is gone."""
    found = _read(value, purpose, _max_age(purpose))
    if found is None:
        return None
    subscription = db.session.get(Subscription, found[0])
    if subscription is None or subscription.secret != found[1]:
        return None
    return subscription


def _max_age(purpose: str) -> int | None:
    # An unsubscribe link works as long as the emails it came with may be read.
    return setting("FOLLOW_CONFIRM_DAYS") * 86_400 if purpose == "confirm" else None


def links(subscription: Subscription, post: Post) -> follow.Links:
    unsubscribe = token(subscription, "unsubscribe")
    return follow.Links(
        article=absolute_article_url(post),
        unsubscribe_page=absolute_url("follow.unsubscribe", token=unsubscribe),
        one_click=absolute_url("follow.unsubscribe", token=unsubscribe),
    )


# --- asking, confirming, leaving ----------------------------------------------------------------


def ask(post: Post, email: str) -> bool:
    """Ask to follow ``post`` for ``email``; True when a confirmation email was queued. The
    caller commits, then wakes the outbox when True, and tells the reader the same thing
    either way. A race with the same request may raise IntegrityError (the unique index):
    the other request did the work."""
    email = email.strip().lower()
    now = now_utc()
    _forget_unconfirmed(now)
    subscription = db.session.scalar(
        select(Subscription).where(Subscription.post_id == post.id, Subscription.email == email)
    )
    if subscription is None:
        subscription = Subscription(post_id=post.id, email=email, status=PENDING, unannounced=0)
        db.session.add(subscription)
        db.session.flush()  # its id goes into the links
    elif subscription.status == CONFIRMED or _confirmation_sent_lately(subscription, now):
        return False
    if _confirmations_last_hour(email, now) >= setting("FOLLOW_CONFIRMATIONS_PER_HOUR"):
        return False
    subscription.confirm_sent_at = now
    follow.queue_confirmation(
        email,
        post.title,
        absolute_url("follow.confirm", token=token(subscription, "confirm")),
        setting("FOLLOW_CONFIRM_DAYS"),
        links(subscription, post),
    )
    return True


def _confirmation_sent_lately(subscription: Subscription, now) -> bool:
    """A confirmation went to this address for this article within CONFIRMATION_GAP."""
    sent = subscription.confirm_sent_at
    return sent is not None and now - sent < CONFIRMATION_GAP


def _confirmations_last_hour(email: str, now) -> int:
    return db.session.scalar(
        select(func.count(Subscription.id)).where(
            Subscription.email == email,
            Subscription.confirm_sent_at > now - timedelta(hours=1),
        )
    )


def _forget_unconfirmed(now) -> None:
    """Rows never confirmed whose link has expired: nobody can confirm them any more."""
    cutoff = now - timedelta(days=setting("FOLLOW_CONFIRM_DAYS"))
    db.session.execute(
        delete(Subscription)
        .where(
            Subscription.status == PENDING,
            Subscription.created_at < cutoff,
            or_(Subscription.confirm_sent_at.is_(None), Subscription.confirm_sent_at < cutoff),
        )
        .execution_options(synchronize_session=False)
    )


def confirm(subscription: Subscription) -> None:
    """The link in the confirmation email was followed (and its button pressed)."""
    if subscription.status != CONFIRMED:
        subscription.status = CONFIRMED
        subscription.confirmed_at = now_utc()


def leave(subscription: Subscription) -> None:
    db.session.delete(subscription)


# --- telling followers ----------------------------------------------------------------------


_ANY_FOLLOWER = (
    select(Subscription.id)
    .where(Subscription.post_id == bindparam("post_id"), Subscription.status == CONFIRMED)
    .limit(1)
)


def comment_published(comment: Comment, post: Post | None = None) -> int:
    """Tell the article's confirmed followers about ``comment``, just approved (the caller's
    transaction; it commits). How many notices were queued."""
    if comment.status != CommentStatus.APPROVED.value:
        return 0
    # Most articles have no follower: one Core read built once says so, without the ORM's
    # query and object machinery (this runs in every post's locked transaction).
    if db.session.execute(_ANY_FOLLOWER, {"post_id": comment.post_id}).first() is None:
        return 0
    post = post or comment.post
    own = (comment.author_email or "").strip().lower()
    followers = db.session.scalars(
        select(Subscription).where(
            Subscription.post_id == comment.post_id,
            Subscription.status == CONFIRMED,
            Subscription.email != own,
        )
    ).all()
    if not followers:
        return 0
    now = now_utc()
    quiet = timedelta(minutes=setting("FOLLOW_NOTICE_MINUTES"))
    new = follow.NewComment(
        author_name=comment.author_name,
        body=_excerpt(comment.body),
        permalink=absolute_url("comments.goto", comment_id=comment.id),
    )
    queued = 0
    for subscription in followers:
        if subscription.last_notice_at is not None and now - subscription.last_notice_at < quiet:
            subscription.unannounced = (subscription.unannounced or 0) + 1
            continue
        follow.queue_notice(
            subscription.email,
            post.title,
            new,
            subscription.unannounced or 0,
            links(subscription, post),
        )
        subscription.last_notice_at = now
        subscription.unannounced = 0
        queued += 1
    return queued


def comment_approved_by_moderator(comment: Comment) -> None:
    """lifecycle.moderate approved a held comment: notices, and the outbox woken once the
    moderator's transaction commits (the callers commit; they know nothing of mail)."""
    if comment_published(comment):
        event.listen(db.session(), "after_commit", _wake_after_commit, once=True)


def _wake_after_commit(session) -> None:
    outbox.wake()


def _excerpt(text: str) -> str:
    text = text.strip()
    return text if len(text) <= EXCERPT_MAX else text[:EXCERPT_MAX].rstrip() + "\u2026"


# --- the admin's list ---------------------------------------------------------------------------


def listing(post_id: int | None = None, status: str | None = None):
    """The admin's query: newest first, with the article loaded in the same query."""
    query = select(Subscription).options(joinedload(Subscription.post))
    if post_id is not None:
        query = query.where(Subscription.post_id == post_id)
    if status in STATUSES:
        query = query.where(Subscription.status == status)
    return query.order_by(Subscription.created_at.desc(), Subscription.id.desc())
