"""The one-click links in notification emails: a signed link shows what it will do and asks for
confirmation; only the POST that follows changes anything, through the comment lifecycle.

A link is single-use: it carries the comment's status version, which every status change moves
on, so it dies once it was used or once the comment was moderated by any other route.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from ..extensions import db
from ..mail.notify import read_moderation_token
from ..models import Comment
from ..web.forms import EmptyForm
from ..web.security import no_store
from . import lifecycle

bp = Blueprint("moderation", __name__)
bp.after_request(no_store)


@bp.route("/moderate/<token>", methods=["GET", "POST"])
def confirm(token: str):
    found = read_moderation_token(token)
    if found is None:
        abort(404)
    comment_id, secret, action, version = found
    comment = db.session.get(Comment, comment_id)
    # Another comment under the same id (a restored copy, rows written again) is not the one
    # the link was made for: the same 404 as a comment that is gone.
    if comment is None or comment.secret != secret or comment.status == lifecycle.DELETED:
        abort(404)
    if comment.status_version != version:
        return render_template("comments/moderation/used.html", comment=comment), 410
    form = EmptyForm()
    done = False
    if request.method == "POST" and form.validate():
        lifecycle.moderate(comment, action, lifecycle.EMAIL_LINK)
        db.session.commit()
        done = True
    return render_template(
        "comments/moderation/confirm.html", comment=comment, action=action, form=form, done=done
    )
