"""Home page, language switcher, health check."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import text

from governance.core.dashboard import rendered_sections
from governance.core.forms import EmptyForm
from governance.core.navigation import safe_next_url
from governance.extensions import db

bp = Blueprint("core", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/core")


@bp.route("/")
def index():
    """The home page: a welcome, then the sections the features register (see core.dashboard)."""
    return render_template("core/index.html", sections=rendered_sections())


@bp.route("/language", methods=["POST"])
def set_language():
    """The language switcher: remembered in the session, and on the account when signed in."""
    language = request.form.get("language", "")
    if language not in current_app.config["LANGUAGES"]:
        abort(400)
    session["lang"] = language
    if current_user.is_authenticated:
        # the account (a layer above core) keeps the choice for every device
        current_user.set_language(language)
        db.session.commit()
    target = safe_next_url(request.form.get("next")) or url_for("core.index")
    return redirect(target, 303)


@bp.route("/healthz")
def healthz():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}


def _layout_form() -> EmptyForm:
    """The CSRF token for the layout's small forms (sign-out, language). It never reads the request
    body, so even the page for a too-large upload (413) renders."""
    return EmptyForm(formdata=None)


@bp.app_context_processor
def layout_context():
    return {"empty_form": _layout_form}
