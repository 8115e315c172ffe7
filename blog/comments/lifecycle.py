"""One model of a comment's life: every status change, every reply attachment, every deletion.

Every route that changes a comment calls this module: the admin's row and bulk actions, the
one-click links in notification emails, and the poster's own edit and delete. The rules live here
once, so no route can apply them differently:

* a moderator (a signed-in author, or an email link acting for one) may apply any action;
* the poster may edit or delete their comment only while the edit window runs, the article is
  public and its comments are open; and never undoes a moderator's spam or trash;
* a reply attaches only to a public comment of the same article;
* a comment deleted for good while it still has replies keeps its place in the thread as a
  placeholder row with nothing of what was said or who said it (status "deleted").

Every status change bumps ``status_version``: a one-click email link made for one version dies
once anything else has moved the comment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.orm import make_transient_to_detached

from ..extensions import db
from ..models import Comment, CommentStatus, Post, now_utc
from ..sanitize import refresh_comment_html
from ..web.params import parse_id
from . import moderation, subscriptions

APPROVED = CommentStatus.APPROVED.value
PENDING = CommentStatus.PENDING.value
SPAM = CommentStatus.SPAM.value
TRASH = CommentStatus.TRASH.value
DELETED = CommentStatus.DELETED.value

# action -> (new status, reason; {by} names who did it)
ACTIONS = {
    "approve": (APPROVED, "Approved by {by}."),
    "unapprove": (PENDING, "Unapproved by {by}."),
    "spam": (SPAM, "Marked as spam by {by}."),
    "notspam": (PENDING, "Marked as not spam by {by}."),
    "trash": (TRASH, "Moved to the trash by {by}."),
    "restore": (PENDING, "Restored from the trash by {by}."),
}
DELETE = "delete"
# The actions each status offers a moderator, in WordPress's order.
ROW_ACTIONS = {
    PENDING: ("approve", "spam", "trash"),
    APPROVED: ("unapprove", "spam", "trash"),
    SPAM: ("notspam", DELETE),
    TRASH: ("restore", DELETE),
}
# Statuses a comment can reach the public from: replies may be attached only to these.
MAY_BE_PUBLIC = (PENDING, APPROVED)
# How strict a status is; a poster's edit may move a comment only towards stricter.
_STRICTNESS = {APPROVED: 0, PENDING: 1, SPAM: 2}


class Refused(Exception):
    """The change is not allowed; ``message`` says why, in words a reader understands."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Actor:
    """Who changes a comment: ``by`` completes "Approved by ..." in the moderation reason."""

    by: str
    moderator: bool


def moderator(author) -> Actor:
    return Actor(author.display_name, moderator=True)


EMAIL_LINK = Actor("a link in the notification email", moderator=True)
POSTER = Actor("its author", moderator=False)


def is_public(comment: Comment | None) -> bool:
    return comment is not None and comment.status == APPROVED


def _set_status(comment: Comment, status: str, reason: str) -> None:
    comment.status = status
    comment.moderation_reason = reason[:255]
    comment.status_version = (comment.status_version or 0) + 1


# --- moderators ---------------------------------------------------------------------------------


def moderate(comment: Comment, action: str, actor: Actor) -> bool:
    """Apply a moderator's ``action``; True when the comment still exists afterwards.

    The caller commits. A placeholder ("deleted") has nothing left to moderate.
    """
    if not actor.moderator:
        raise Refused("Only a moderator can do that.")
    if comment.status == DELETED:
        raise Refused("This comment was deleted.")
    if action == DELETE:
        return delete_for_good(comment, actor)
    if action not in ACTIONS:
        raise Refused("Unknown action.")
    status, reason = ACTIONS[action]
    if comment.status != status:
        _set_status(comment, status, reason.format(by=actor.by))
        if status == APPROVED:  # the article's followers hear of it now (never while held)
            subscriptions.comment_approved_by_moderator(comment)
    return True


def delete_for_good(comment: Comment, actor: Actor) -> bool:
    """Remove a comment for good; True when a placeholder row stays for its replies.

    With replies, the row stays (status "deleted") with nothing of its text or its author, so the
    replies keep their place. Without, it goes, and so does every placeholder above it that was
    kept only for it.
    """
    if _has_replies(comment):
        comment.author_name = ""
        comment.author_email = ""
        comment.author_url = ""
        comment.author_ip = ""
        comment.user_agent = ""
        comment.author_id = None
        comment.body = ""
        comment.body_html = ""
        _set_status(comment, DELETED, f"Deleted permanently by {actor.by}; its replies remain.")
        db.session.flush()
        return True
    parent = comment.parent
    db.session.delete(comment)
    db.session.flush()
    while parent is not None and parent.status == DELETED and not _has_replies(parent):
        grandparent = parent.parent
        db.session.delete(parent)
        db.session.flush()
        parent = grandparent
    return False


def _has_replies(comment: Comment) -> bool:
    return bool(db.session.scalar(select(exists().where(Comment.parent_id == comment.id))))


def delete_all_with_status(status: str, actor: Actor) -> int:
    """Empty Spam or Empty Trash: each comment through the same rule as a single deletion."""
    doomed = db.session.scalars(
        select(Comment).where(Comment.status == status).order_by(Comment.depth.desc())
    ).all()
    for comment in doomed:
        delete_for_good(comment, actor)
    return len(doomed)


# --- replies ------------------------------------------------------------------------------------

PARENT_MISSING = _l("The comment you are replying to does not exist.")
PARENT_NOT_PUBLIC = _l(
    "The comment you are replying to is no longer published; your text is still here."
)


def reply_parent(post: Post, raw: object, allowed=(APPROVED,)) -> Comment | None:
    """The comment a reply form names, or None for a top-level comment; Refused otherwise.

    Readers may reply to published comments; a moderator also to ones waiting for approval
    (``allowed=MAY_BE_PUBLIC``).
    """
    if raw in (None, ""):
        return None
    parent_id = raw if isinstance(raw, int) else parse_id(raw)
    if parent_id is None:
        raise Refused(PARENT_MISSING)
    parent = db.session.get(Comment, parent_id)
    if parent is None or parent.post_id != post.id or parent.status == DELETED:
        raise Refused(PARENT_MISSING)
    if parent.status not in allowed:
        raise Refused(PARENT_NOT_PUBLIC)
    return parent


def thread_place(parent: Comment | None) -> tuple[int, int | None]:
    """Where a new comment sits in its thread: (depth, root id). The root of a new top-level
    comment is its own id, which the caller sets once the row has one (None here)."""
    if parent is None:
        return 0, None
    # A top-level parent is its own root, whatever an old row's root_id says.
    root_id = parent.id if parent.parent_id is None else parent.root_id or parent.id
    return parent.depth + 1, root_id


def saved_comment(row: dict) -> Comment:
    """The comment just inserted from ``row`` (every column's value), in the session as though
    it had been loaded: its relationships load from the identity map, and nothing about it is
    written again."""
    comment = Comment(**row)
    for column in Comment.__table__.columns:  # what the INSERT left to the column defaults
        if column.key not in row:
            default = column.default
            setattr(comment, column.key, default.arg if default and default.is_scalar else None)
    make_transient_to_detached(comment)
    db.session.add(comment)
    return comment


# --- the poster ---------------------------------------------------------------------------------


def poster_seconds_left(comment: Comment, own_ids, edit_minutes: int) -> int:
    """Seconds the poster may still change ``comment``; 0 when it is not theirs or too late."""
    if comment.id not in own_ids or comment.status in (TRASH, DELETED):
        return 0
    left = (comment.created_at + timedelta(minutes=edit_minutes) - now_utc()).total_seconds()
    return max(0, int(left))


def check_poster_may_change(comment: Comment, article_open: bool, seconds_left: int) -> None:
    if not article_open:
        raise Refused(
            _l("Comments on this article are closed, so the comment can no longer change.")
        )
    if not seconds_left:
        raise Refused(_l("The time for changing this comment has passed."))


def poster_edit(comment: Comment, text: str, rules: moderation.Rules) -> None:
    """The poster's new text, checked again by the content rules (not the time trap).

    An edit can hold or spam an approved comment, never free a held one, and never touch a
    moderator's spam or trash. The caller has checked the poster may change it and commits.
    """
    decision = moderation.decide(
        moderation.Submission(
            name=comment.author_name,
            email=comment.author_email,
            url=comment.author_url,
            body=text,
            ip=comment.author_ip,
            user_agent=comment.user_agent,
            is_edit=True,
        ),
        rules,
    )
    comment.body = text
    comment.edited_at = now_utc()
    refresh_comment_html(comment)
    if comment.status not in _STRICTNESS:
        return
    if _STRICTNESS[decision.status] > _STRICTNESS[comment.status]:
        _set_status(comment, decision.status, f"After an edit: {decision.reason}")


def poster_delete(comment: Comment) -> None:
    """The poster takes their comment back; a moderator's spam stays spam."""
    if comment.status in (APPROVED, PENDING):
        _set_status(comment, TRASH, "Deleted by its author.")
