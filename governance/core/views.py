"""Home page, language switcher, health check."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import func, select, text

from governance.accounts import operations as account_ops
from governance.core.forms import EmptyForm
from governance.core.navigation import safe_next_url
from governance.extensions import db
from governance.members.models import Branch, Member, MemberStatus

bp = Blueprint("core", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/core")


@bp.route("/")
def index():
    branches = db.session.execute(
        select(Branch, func.count(Member.id))
        .outerjoin(Member, (Member.branch_id == Branch.id) & (Member.status == MemberStatus.active.value))
        .group_by(Branch.id)
        .order_by(Branch.code)
    ).all()
    return render_template("core/index.html", branches=branches)


@bp.route("/language", methods=["POST"])
def set_language():
    """The language switcher: remembered in the session, and on the account when signed in."""
    language = request.form.get("language", "")
    if language not in current_app.config["LANGUAGES"]:
        abort(400)
    session["lang"] = language
    if current_user.is_authenticated:
        account_ops.set_language(current_user._get_current_object(), language)
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
