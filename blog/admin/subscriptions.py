"""Readers following articles' comments by email: listed (by article and status), removed one
by one. The engine is blog/comments/subscriptions.py; here only what a moderator does."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..accounts import roles
from ..comments import subscriptions as engine
from ..extensions import db
from ..models import Post, Subscription
from ..web.forms import EmptyForm
from ..web.params import int_arg, parse_id
from . import bp

PER_PAGE = 50


@bp.get("/subscriptions")
@roles.require("moderate_comments")
def subscriptions():
    post_id = int_arg("post", 0, minimum=0) or None
    status = request.args.get("status") if request.args.get("status") in engine.STATUSES else None
    pagination = db.paginate(engine.listing(post_id, status), per_page=PER_PAGE, error_out=False)
    return render_template(
        "admin/subscriptions.html",
        pagination=pagination,
        post=db.session.get(Post, post_id) if post_id else None,
        post_id=post_id,
        status=status,
        statuses=engine.STATUSES,
        filters={key: value for key, value in (("post", post_id), ("status", status)) if value},
    )


@bp.post("/subscriptions/<int:subscription_id>/remove")
@roles.require("moderate_comments")
def subscription_remove(subscription_id: int):
    if not EmptyForm().validate():
        abort(400)
    subscription = db.session.get(Subscription, subscription_id)
    if subscription is not None:
        engine.leave(subscription)
        db.session.commit()
        flash(_("Subscription removed: no more emails go to that address for that article."))
    back = {key: request.form.get(key) for key in ("post", "status") if request.form.get(key)}
    post_id = parse_id(back.get("post"))
    status = back.get("status") if back.get("status") in engine.STATUSES else None
    return redirect(url_for("admin.subscriptions", post=post_id, status=status), 303)
