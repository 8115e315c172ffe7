"""Notification mail the senders gave up on: listed with its last error, sent again on request.

A message ends "failed" after MAIL_GIVE_UP_HOURS of retries, when the mail server refused it for
good, or when a backup copy held it (see blog/mail/outbox.py). Retry queues it again with a whole
retry period ahead; `flask send-mail --retry-failed` does the same for all of them.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from ..accounts import roles
from ..extensions import db
from ..mail import outbox
from ..web.forms import EmptyForm
from ..web.params import parse_id
from . import bp

PER_PAGE = 50


@bp.get("/mail")
@roles.require("manage_options")
def mail():
    pagination = db.paginate(outbox.failed_messages(), per_page=PER_PAGE, error_out=False)
    return render_template("admin/mail.html", pagination=pagination)


@bp.post("/mail/retry")
@roles.require("manage_options")
def mail_retry():
    """One message, named by the form's ``message`` field (its outbox id)."""
    message_id = parse_id(request.form.get("message"))
    if message_id is None:
        abort(400)
    return requeue([message_id])


@bp.post("/mail/retry-all")
@roles.require("manage_options")
def mail_retry_all():
    return requeue(None)


def requeue(ids: list[int] | None):
    if not EmptyForm().validate():
        abort(400)
    requeued = outbox.retry_failed(ids)
    if requeued:
        outbox.wake()
    flash(
        ngettext(
            "Queued %(num)d message to be sent again.",
            "Queued %(num)d messages to be sent again.",
            requeued,
        )
        if requeued
        else _("Nothing to retry: no failed message was left.")
    )
    return redirect(url_for("admin.mail"), 303)
