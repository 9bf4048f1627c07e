from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from governance.accounts import operations as ops
from governance.accounts.forms import SignInForm
from governance.accounts.sessions import start_session
from governance.core import audit
from governance.core.navigation import safe_next_url
from governance.extensions import db, limiter

bp = Blueprint("accounts", __name__, template_folder="templates")


def _sign_in_key() -> str:
    """Per address and account: one person's guesses are limited, a venue's shared address is not."""
    email = ops.normalise_email(request.form.get("email", ""))[:320]
    return f"signin:{request.remote_addr}:{email}"


def _address_key() -> str:
    return f"signin-addr:{request.remote_addr}"


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit("10 per 15 minutes", key_func=_sign_in_key, methods=["POST"])
@limiter.limit("600 per 15 minutes", key_func=_address_key, methods=["POST"])
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = SignInForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        account = ops.authenticate(form.email.data, form.password.data)
        if account is None:
            audit_failed = ops.find_account_by_email(form.email.data)
            if audit_failed is not None:
                audit.record("account.sign_in_failed", obj=audit_failed)
                db.session.commit()
            flash(_("The email address or password is not correct."), "error")
            return render_template("accounts/sign_in.html", form=form), 401
        audit.record("account.signed_in", actor=account, obj=account)
        db.session.commit()
        start_session(account)
        flash(_("Welcome, %(name)s.", name=account.display_name), "success")
        return redirect(safe_next_url(form.next.data) or url_for("core.index"))
    status = 422 if request.method == "POST" else 200
    demo_accounts = current_app.config["SHOW_DEMO_ACCOUNTS"]
    return render_template("accounts/sign_in.html", form=form, demo_accounts=demo_accounts), status


@bp.route("/sign-out", methods=["POST"])
@login_required
def sign_out():
    # the CSRF token is checked app-wide before this runs
    ops.end_all_sessions(current_user._get_current_object())
    db.session.commit()
    logout_user()
    flash(_("You have signed out."), "success")
    return redirect(url_for("core.index")), 303
