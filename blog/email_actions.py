"""The one-click links in notification emails: a signed link shows what it will do and asks for
confirmation; only the POST that follows changes anything."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from .auth import no_store
from .extensions import db
from .forms import EmptyForm
from .models import Comment, CommentStatus
from .notify import read_moderation_token

bp = Blueprint("moderation", __name__)
bp.after_request(no_store)

OUTCOME = {
    "approve": (CommentStatus.APPROVED, "Approved from the notification email."),
    "spam": (CommentStatus.SPAM, "Marked as spam from the notification email."),
    "trash": (CommentStatus.TRASH, "Moved to the trash from the notification email."),
}


@bp.route("/moderate/<token>", methods=["GET", "POST"])
def confirm(token: str):
    found = read_moderation_token(token)
    if found is None:
        abort(404)
    comment_id, action = found
    comment = db.get_or_404(Comment, comment_id)
    form = EmptyForm()
    done = False
    if request.method == "POST" and form.validate():
        status, reason = OUTCOME[action]
        comment.status = status.value
        comment.moderation_reason = reason
        db.session.commit()
        done = True
    return render_template(
        "moderation/confirm.html", comment=comment, action=action, form=form, done=done
    )
