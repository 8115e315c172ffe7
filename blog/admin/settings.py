"""Settings page: site identity and discussion rules, stored in the database."""

from __future__ import annotations

from collections import ChainMap

from flask import flash, redirect, render_template, url_for

from ..accounts import roles
from ..comments.moderation import check_rules
from ..settings import EDITABLE, save_settings, site_config
from . import bp
from .forms import SettingsForm


@bp.route("/settings", methods=["GET", "POST"])
@roles.require("manage_options")
def settings():
    form = SettingsForm()
    status = 200
    if form.validate_on_submit():
        values = form.values()
        try:
            check_rules(ChainMap(values, site_config()))  # ValueError before anything is written
            save_settings(values)
        except ValueError as problem:  # the moderation rules could not use these values
            form.form_errors.append(str(problem))
        else:
            flash("Settings saved.")
            return redirect(url_for("admin.settings"), 303)
    if form.is_submitted():
        status = 422
    else:
        form.load(site_config())
    return render_template("admin/settings.html", form=form, editable=EDITABLE), status
