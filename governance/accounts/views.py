from __future__ import annotations

import json
from urllib.parse import urlsplit

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template, request, session,
                   url_for)
from flask_babel import gettext as _, ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from governance.accounts import operations as ops
from governance.accounts import queries, tokens
from governance.accounts.forms import (AcceptInvitationForm, ChangePasswordForm, ClaimForm, DeleteAccountForm,
                                       DeleteAccountWithCodeForm, ForgotPasswordForm, GrantRoleForm, InvitationsForm,
                                       InviteMemberForm, ProfileForm, RecoveryCodesForm, ResetPasswordForm,
                                       RevokeRoleForm, RoleSearchForm, SecondFactorForm, SignInForm, TotpDisableForm,
                                       TotpSetupForm)
from governance.accounts.models import Role, TokenPurpose
from governance.accounts.permissions import (ACCOUNT_STATUSES, MANAGED_ROLES, can_bulk_invite, can_disable_totp,
                                             can_invite_member, can_manage_roles, invite_branch_ids, must_enrol_totp,
                                             totp_required, totp_required_roles)
from governance.accounts.sessions import (begin_second_factor, clear_pending_second_factor, end_session,
                                          pending_account_id, pending_second_factor, start_session)
from governance.core.errors import DomainError, InvalidInput
from governance.core.forms import EmptyForm
from governance.core.navigation import safe_next_url
from governance.extensions import db, limiter
from governance.members.models import Branch, Member, MemberStatus

bp = Blueprint("accounts", __name__, template_folder="templates")

#: the TOTP secret being set up lives in the session until it is confirmed (nothing stored before that)
_TOTP_SETUP_KEY = "totp_setup"
#: what a signed-in administrator or secretary without a second factor may still reach
_OPEN_BEFORE_ENROLMENT = {"accounts.totp_setup", "accounts.sign_out", "core.set_language", "core.healthz", "static"}


def _address() -> str | None:
    return request.remote_addr


# --- rate-limit keys -------------------------------------------------------------------------------
def _sign_in_key() -> str:
    """Per address and account: one person's guesses are limited, a venue's shared address is not."""
    email = ops.normalise_email(request.form.get("email", ""))[:320]
    return f"signin:{request.remote_addr}:{email}"


def _address_key() -> str:
    return f"signin-addr:{request.remote_addr}"


def _second_factor_key() -> str:
    """Per pending account, whatever address the guesses come from."""
    account_id = pending_account_id()
    return f"2fa:{account_id}" if account_id is not None else f"2fa-none:{request.remote_addr}"


def _second_factor_address_key() -> str:
    return f"2fa-addr:{request.remote_addr}"


def _forgot_email_key() -> str:
    email = ops.normalise_email(request.form.get("email", ""))[:320]
    return f"forgot:{email}"


def _forgot_address_key() -> str:
    return f"forgot-addr:{request.remote_addr}"


def _reset_address_key() -> str:
    return f"reset-addr:{request.remote_addr}"


# --- pages whose address holds a secret ------------------------------------------------------------
#: the emailed links carry their token in the path: such a page is never stored, and its address is never sent
#: as a Referer (not even to the portal's own static files, whose requests end up in access logs)
_TOKEN_PAGES = {"accounts.reset_password", "accounts.accept_invitation"}


@bp.after_request
def protect_token_pages(response):
    if request.endpoint in _TOKEN_PAGES:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


# --- second factor required for some roles ---------------------------------------------------------
@bp.before_app_request
def confine_until_enrolled():
    """An administrator or secretary without a second factor can only set one up, or sign out."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in _OPEN_BEFORE_ENROLMENT or endpoint.endswith(".static"):
        return None
    if not current_user.is_authenticated or not must_enrol_totp(current_user):
        return None
    return redirect(url_for("accounts.totp_setup"), 302 if request.method in ("GET", "HEAD") else 303)


# --- signing in and out ----------------------------------------------------------------------------
def _render_sign_in(form, status: int = 200):
    demo_accounts = current_app.config["SHOW_DEMO_ACCOUNTS"]
    return render_template("accounts/sign_in.html", form=form, demo_accounts=demo_accounts), status


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
            ops.record_failed_sign_in(form.email.data, address=_address())
            db.session.commit()
            flash(_("The email address or password is not correct."), "error")
            return _render_sign_in(form, 401)
        next_url = safe_next_url(form.next.data)
        if account.has_totp:
            db.session.commit()  # a password hash upgraded by authenticate(), if any
            begin_second_factor(account, next_url)
            return redirect(url_for("accounts.sign_in_code"))
        ops.record_sign_in(account, address=_address(), method="password")
        db.session.commit()
        start_session(account)
        flash(_("Welcome, %(name)s.", name=account.display_name), "success")
        return redirect(next_url or url_for("core.index"))
    return _render_sign_in(form, 422 if request.method == "POST" else 200)


@bp.route("/sign-in/code", methods=["GET", "POST"])
@limiter.limit("5 per 5 minutes;20 per hour", key_func=_second_factor_key, methods=["POST"])
@limiter.limit("600 per 15 minutes", key_func=_second_factor_address_key, methods=["POST"])
def sign_in_code():
    """The second step of signing in, for accounts with a second factor."""
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    pending = pending_second_factor()
    if pending is None:
        clear_pending_second_factor()
        flash(_("Please sign in again."), "info")
        return redirect(url_for("accounts.sign_in"), 303)
    account, next_url = pending
    form = SecondFactorForm()
    if form.validate_on_submit():
        method = ops.check_second_factor(account, form.code.data, address=_address())
        if method is None:
            db.session.rollback()
            ops.record_failed_sign_in(account.email, address=_address(), stage="second_factor")
            db.session.commit()
            form.code.errors.append(_("This code is not correct, or it was used already."))
            return render_template("accounts/sign_in_code.html", form=form), 401
        ops.record_sign_in(account, address=_address(), method=method)
        remaining = ops.remaining_recovery_codes(account) if method == "recovery_code" else None
        db.session.commit()
        start_session(account)
        flash(_("Welcome, %(name)s.", name=account.display_name), "success")
        if remaining is not None:
            flash(ngettext("You signed in with a recovery code: %(num)d code is left. You can create new "
                           "codes on the two-step sign-in page.",
                           "You signed in with a recovery code: %(num)d codes are left. You can create new "
                           "codes on the two-step sign-in page.", remaining), "warning")
        return redirect(safe_next_url(next_url) or url_for("core.index"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/sign_in_code.html", form=form), status


@bp.route("/sign-out", methods=["POST"])
@login_required
def sign_out():
    # the CSRF token is checked app-wide before this runs
    ops.sign_out(current_user._get_current_object(), address=_address())
    db.session.commit()
    end_session()
    flash(_("You have signed out."), "success")
    return redirect(url_for("core.index")), 303


# --- passwords -------------------------------------------------------------------------------------
@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("5 per hour", key_func=_forgot_email_key, methods=["POST"])
@limiter.limit("30 per hour", key_func=_forgot_address_key, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        ops.request_password_reset(form.email.data, address=_address())
        db.session.commit()
        # the same answer whether or not an account uses this address
        flash(_("If an account uses this email address, we have sent it a link to choose a new password. "
                "The link works once, for one hour. If nothing arrives, check your spam folder."), "success")
        return redirect(url_for("accounts.sign_in"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/forgot_password.html", form=form), status


def _invalid_reset_link():
    return render_template("accounts/reset_invalid.html"), 404


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit("30 per 15 minutes", key_func=_reset_address_key, methods=["POST"])
def reset_password(token: str):
    reset = ops.find_usable_token(TokenPurpose.reset, token)
    if reset is None or reset.account is None or not reset.account.is_enabled:
        return _invalid_reset_link()
    form = ResetPasswordForm()
    form.account_email = reset.account.email
    if form.validate_on_submit():
        try:
            ops.reset_password(reset, form.new_password.data, address=_address())
        except ops.TokenInvalid:
            db.session.rollback()
            return _invalid_reset_link()
        except InvalidInput as exc:
            db.session.rollback()
            form.new_password.errors.append(str(exc))
            return render_template("accounts/reset_password.html", form=form, token=token), 422
        db.session.commit()
        end_session()
        flash(_("Your new password is saved, and every earlier session has ended. Please sign in."), "success")
        return redirect(url_for("accounts.sign_in"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/reset_password.html", form=form, token=token), status


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per hour", methods=["POST"])
def change_password():
    account = current_user._get_current_object()
    form = ChangePasswordForm()
    form.account_email = account.email
    if form.validate_on_submit():
        try:
            ops.change_password(account, form.current_password.data, form.new_password.data, actor=account,
                                address=_address())
        except ops.WrongPassword as exc:
            db.session.rollback()
            form.current_password.errors.append(str(exc))
            return render_template("accounts/change_password.html", form=form), 422
        except InvalidInput as exc:
            db.session.rollback()
            form.new_password.errors.append(str(exc))
            return render_template("accounts/change_password.html", form=form), 422
        db.session.commit()
        start_session(account)  # this browser stays signed in, with the new session version
        flash(_("Your password has been changed. You have been signed out everywhere else."), "success")
        return redirect(url_for("accounts.profile"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/change_password.html", form=form), status


# --- profile ---------------------------------------------------------------------------------------
def _render_profile(form, account, status: int = 200):
    timezones = sorted(ops.available_timezones())
    return render_template("accounts/profile.html", form=form, account=account, timezones=timezones), status


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    account = current_user._get_current_object()
    form = ProfileForm(obj=account)
    if form.validate_on_submit():
        try:
            ops.update_profile(
                account,
                display_name=form.display_name.data,
                language=form.language.data,
                timezone=form.timezone.data,
                notify_workgroup_email=form.notify_workgroup_email.data,
                notify_ballot_email=form.notify_ballot_email.data,
                notify_convocation_email=form.notify_convocation_email.data,
                digest_frequency=form.digest_frequency.data,
                actor=account,
            )
        except InvalidInput as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return _render_profile(form, account, 422)
        db.session.commit()
        flash(_("Your profile has been saved."), "success")
        return redirect(url_for("accounts.profile"), 303)
    return _render_profile(form, account, 422 if request.method == "POST" else 200)


# --- second factor ---------------------------------------------------------------------------------
def _totp_issuer() -> str:
    configured = current_app.config.get("TOTP_ISSUER")
    if configured:
        return configured
    return urlsplit(current_app.config["SERVER_NAME_FOR_EMAIL"]).hostname or "governance"


def _render_two_factor(account, *, disable_form=None, codes_form=None, status: int = 200):
    return render_template(
        "accounts/two_factor.html",
        account=account,
        disable_form=disable_form or TotpDisableForm(prefix="disable"),
        codes_form=codes_form or RecoveryCodesForm(prefix="codes"),
        can_disable=can_disable_totp(account),
        required=totp_required(account),
        remaining=ops.remaining_recovery_codes(account) if account.has_totp else 0,
    ), status


@bp.route("/two-factor")
@login_required
def two_factor():
    return _render_two_factor(current_user._get_current_object())


@bp.route("/two-factor/setup", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per 15 minutes", methods=["POST"])
def totp_setup():
    account = current_user._get_current_object()
    if account.has_totp:
        session.pop(_TOTP_SETUP_KEY, None)
        flash(_("Two-step sign-in is already turned on for your account."), "info")
        return redirect(url_for("accounts.two_factor"), 303)
    secret = session.get(_TOTP_SETUP_KEY)
    if not secret:
        if request.method == "POST":
            flash(_("Setting up took too long. Please add the new key below to your app."), "error")
            return redirect(url_for("accounts.totp_setup"), 303)
        # kept in the (signed) session cookie so a reload shows the same key; nothing is stored yet
        secret = session[_TOTP_SETUP_KEY] = tokens.new_totp_secret()
    form = TotpSetupForm()
    if form.validate_on_submit():
        try:
            codes = ops.enable_totp(account, secret, form.code.data, actor=account, address=_address())
        except ops.WrongCode as exc:
            db.session.rollback()
            form.code.errors.append(str(exc))
            return _render_setup(form, account, secret, 422)
        db.session.commit()
        session.pop(_TOTP_SETUP_KEY, None)
        flash(_("Two-step sign-in is now turned on."), "success")
        # shown once, in this response; only their hashes are stored
        return render_template("accounts/recovery_codes.html", codes=codes)
    return _render_setup(form, account, secret, 422 if request.method == "POST" else 200)


def _render_setup(form, account, secret: str, status: int):
    return render_template(
        "accounts/totp_setup.html",
        form=form,
        secret=tokens.group_secret(secret),
        uri=tokens.totp_uri(secret, account_name=account.email, issuer=_totp_issuer()),
        required=totp_required(account),
    ), status


@bp.route("/two-factor/disable", methods=["POST"])
@login_required
@limiter.limit("10 per 15 minutes")
def totp_disable():
    account = current_user._get_current_object()
    if not account.has_totp:
        flash(_("Two-step sign-in is not turned on for your account."), "info")
        return redirect(url_for("accounts.two_factor"), 303)
    if not can_disable_totp(account):
        abort(403)
    form = TotpDisableForm(prefix="disable")
    if form.validate_on_submit():
        try:
            ops.disable_totp(account, form.code.data, actor=account, address=_address())
        except ops.WrongCode as exc:
            db.session.rollback()
            form.code.errors.append(str(exc))
            return _render_two_factor(account, disable_form=form, status=422)
        db.session.commit()
        flash(_("Two-step sign-in is now turned off."), "success")
        return redirect(url_for("accounts.two_factor"), 303)
    return _render_two_factor(account, disable_form=form, status=422)


@bp.route("/two-factor/recovery-codes", methods=["POST"])
@login_required
@limiter.limit("10 per 15 minutes")
def recovery_codes():
    account = current_user._get_current_object()
    if not account.has_totp:
        flash(_("Two-step sign-in is not turned on for your account."), "info")
        return redirect(url_for("accounts.two_factor"), 303)
    form = RecoveryCodesForm(prefix="codes")
    if form.validate_on_submit():
        try:
            codes = ops.regenerate_recovery_codes(account, form.code.data, actor=account, address=_address())
        except ops.WrongCode as exc:
            db.session.rollback()
            form.code.errors.append(str(exc))
            return _render_two_factor(account, codes_form=form, status=422)
        db.session.commit()
        flash(_("Your new recovery codes are ready. The old ones no longer work."), "success")
        return render_template("accounts/recovery_codes.html", codes=codes)
    return _render_two_factor(account, codes_form=form, status=422)


# --- invitations -----------------------------------------------------------------------------------
#: at most this many members not invited are listed on the invitations page (all are counted)
REFUSED_LINES = 200


def _member_has_account(member) -> bool:
    return ops.member_account_id(member.id) is not None


@bp.app_context_processor
def invitation_predicates():
    return {"can_invite_member": can_invite_member, "can_bulk_invite": can_bulk_invite,
            "member_has_account": _member_has_account, "invite_lifetime_days": tokens.INVITE_LIFETIME.days}


def _invitation_branches(branch_ids: set[int] | None) -> list[Branch]:
    query = select(Branch).order_by(Branch.code)
    if branch_ids is not None:
        query = query.where(Branch.id.in_(branch_ids or [-1]))
    return list(db.session.execute(query).scalars())


def _render_invitations(form, *, report=None, status: int = 200):
    return render_template("accounts/invitations.html", form=form, report=report, lines=REFUSED_LINES,
                           status_labels={s.value: s.label for s in MemberStatus}), status


@bp.route("/invitations", methods=["GET", "POST"])
@login_required
@limiter.limit("30 per hour", methods=["POST"])
def invitations():
    """Invite members in bulk: GET counts whom the invitation would reach, POST sends it."""
    account = current_user._get_current_object()
    branch_ids = invite_branch_ids(account, bulk=True)
    if branch_ids is not None and not branch_ids:
        abort(403)
    branches = _invitation_branches(branch_ids)
    if request.method == "POST":
        form = InvitationsForm()
    else:
        form = InvitationsForm(formdata=request.args or None, meta={"csrf": False})
    form.set_choices(branches, all_branches=branch_ids is None)
    requested = (request.form if request.method == "POST" else request.args).get("branch", "")
    if requested and not any(b.code == requested for b in branches):
        exists = db.session.execute(select(Branch.id).where(Branch.code == requested)).first()
        abort(403 if exists else 404)
    if not form.branch.data and branch_ids is not None:
        form.branch.data = branches[0].code  # a branch's secretary invites in their branch(es) only
    if request.method == "GET":
        if request.args and not form.validate():
            return _render_invitations(form, status=400)
        form.status.data = form.status.data or form.status.default
    elif not form.validate_on_submit():
        return _render_invitations(form, status=422)
    branch = next((b for b in branches if b.code == form.branch.data), None)
    conditions = queries.invitation_conditions(
        branch_ids=[branch.id] if branch else branch_ids, statuses=form.statuses)
    if request.method == "GET":
        report = ops.classify_invitations(queries.invitation_rows(conditions), skip_pending=not form.resend.data)
        return _render_invitations(form, report=report)
    report = ops.invite_members(queries.invitation_members(conditions), actor=account,
                                skip_pending=not form.resend.data)
    db.session.commit()
    flash(ngettext("%(num)d invitation has been queued; it goes out in a few minutes.",
                   "%(num)d invitations have been queued; they go out in a few minutes.", len(report.invited)),
          "success")
    if report.refused:
        flash(ngettext("%(num)d member was not invited: the list below says why.",
                       "%(num)d members were not invited: the list below says why.", len(report.refused)), "info")
    args = {"branch": form.branch.data, "status": form.status.data}
    if form.resend.data:
        args["resend"] = "y"
    return redirect(url_for("accounts.invitations", **args), 303)


@bp.route("/invitations/<int:member_id>", methods=["POST"])
@login_required
@limiter.limit("60 per hour")
def invite_member(member_id: int):
    """(Re)send one member their invitation: an earlier one stops working."""
    account = current_user._get_current_object()
    member = db.session.get(Member, member_id)
    if member is None:
        abort(404)
    if not can_invite_member(account, member):
        abort(403)
    form = InviteMemberForm()
    back = safe_next_url(form.next.data) or url_for("members.member", member_id=member.id)
    if not form.validate_on_submit():
        abort(400)
    try:
        ops.invite_member(member, actor=account)
    except DomainError as exc:
        db.session.rollback()
        return render_template("accounts/invitation_refused.html", message=str(exc), back=back), exc.status_code
    db.session.commit()
    days = tokens.INVITE_LIFETIME.days
    flash(ngettext("An invitation to create an account has been sent to %(name)s at %(email)s. It works for "
                   "%(num)d day.",
                   "An invitation to create an account has been sent to %(name)s at %(email)s. It works for "
                   "%(num)d days.", days, name=member.full_name, email=member.email), "success")
    return redirect(back, 303)


# --- creating one's account from an invitation or a claim ------------------------------------------
def _invitation_address_key() -> str:
    return f"invitation-addr:{request.remote_addr}"


def _invitation_invalid():
    return render_template("accounts/invitation_invalid.html"), 404


def _invitation_taken(message: str):
    return render_template("accounts/invitation_taken.html", message=message), 409


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit("30 per 15 minutes", key_func=_invitation_address_key, methods=["POST"])
def accept_invitation(token: str):
    invitation = ops.find_member_token(token)
    if invitation is None:
        return _invitation_invalid()
    member = invitation.member
    if ops.member_account_id(member.id) is not None:
        return _invitation_taken(str(ops.MemberHasAccount()))
    if member.status not in ACCOUNT_STATUSES:
        return render_template("accounts/invitation_refused.html", message=str(ops.AccountNotAllowed()),
                               back=None), 403
    form = AcceptInvitationForm()
    form.account_email = invitation.email
    if request.method == "GET":
        form.display_name.data = member.full_name
        form.language.data = ops.member_email_language(member)
    if form.validate_on_submit():
        try:
            account = ops.accept_invitation(invitation, display_name=form.display_name.data,
                                            password=form.new_password.data, language=form.language.data,
                                            address=_address())
        except ops.TokenInvalid:
            db.session.rollback()
            return _invitation_invalid()
        except (ops.MemberHasAccount, ops.EmailTaken) as exc:
            db.session.rollback()
            return _invitation_taken(str(exc))
        except ops.AccountNotAllowed as exc:
            db.session.rollback()
            return render_template("accounts/invitation_refused.html", message=str(exc), back=None), 403
        except InvalidInput as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return _render_accept(form, invitation, token, 422)
        db.session.commit()
        start_session(account)
        flash(_("Welcome, %(name)s. Your account is ready and linked to your entry in the membership register.",
                name=account.display_name), "success")
        return redirect(url_for("core.index"), 303)
    return _render_accept(form, invitation, token, 422 if request.method == "POST" else 200)


def _render_accept(form, invitation, token: str, status: int):
    return render_template("accounts/accept_invitation.html", form=form, member=invitation.member,
                           email=invitation.email, token=token), status


def _claim_number_key() -> str:
    number = (request.form.get("number") or "").strip().upper()[:32]
    return f"claim-number:{number}"


def _claim_email_key() -> str:
    return f"claim-email:{ops.normalise_email(request.form.get('email', ''))[:320]}"


def _claim_address_key() -> str:
    return f"claim-addr:{request.remote_addr}"


@bp.route("/claim", methods=["GET", "POST"])
@limiter.limit("5 per hour", key_func=_claim_number_key, methods=["POST"])
@limiter.limit("5 per hour", key_func=_claim_email_key, methods=["POST"])
@limiter.limit("30 per hour", key_func=_claim_address_key, methods=["POST"])
def claim():
    """A member without an invitation asks for a link, sent to their register address."""
    form = ClaimForm()
    if form.validate_on_submit():
        ops.request_claim(form.number.data, form.email.data, address=_address())
        db.session.commit()
        # the same answer whether or not they match: nobody learns who is in the register
        hours = int(tokens.CLAIM_LIFETIME.total_seconds() // 3600)
        flash(ngettext("If this member number and email address match an entry of the membership register that "
                       "has no account yet, we have sent a link to that address to create your account. The link "
                       "works once, for %(num)d hour. If nothing arrives, check your spam folder, or contact your "
                       "branch's secretary.",
                       "If this member number and email address match an entry of the membership register that "
                       "has no account yet, we have sent a link to that address to create your account. The link "
                       "works once, for %(num)d hours. If nothing arrives, check your spam folder, or contact your "
                       "branch's secretary.", hours), "success")
        return redirect(url_for("accounts.claim"), 303)
    return render_template("accounts/claim.html", form=form), 422 if request.method == "POST" else 200


# --- personal data ---------------------------------------------------------------------------------
@bp.route("/export", methods=["GET", "POST"])
@login_required
@limiter.limit("5 per hour", methods=["POST"])
def export():
    """Everything the portal holds about the signed-in person, as a JSON file (POST: it is logged)."""
    account = current_user._get_current_object()
    form = EmptyForm()
    if request.method == "GET":
        return render_template("accounts/export.html", form=form)
    if not form.validate_on_submit():
        abort(400)
    data = queries.personal_data(account)
    ops.record_data_export(account, address=_address())
    db.session.commit()
    name = f"personal-data-{account.id}-{data['generated_at'][:10]}.json"
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/delete", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per 15 minutes", methods=["POST"])
def delete_account():
    account = current_user._get_current_object()
    form = DeleteAccountWithCodeForm() if account.has_totp else DeleteAccountForm()
    if form.validate_on_submit():
        try:
            ops.delete_account(account, form.current_password.data, form.code.data if account.has_totp else None,
                               actor=account, address=_address())
        except ops.LastAdministrator as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return _render_delete(form, account, 409)
        except ops.WrongPassword as exc:
            db.session.rollback()
            form.current_password.errors.append(str(exc))
            return _render_delete(form, account, 422)
        except ops.WrongCode as exc:
            db.session.rollback()
            form.code.errors.append(str(exc))
            return _render_delete(form, account, 422)
        db.session.commit()
        end_session()
        flash(_("Your account has been deleted and you have been signed out. Your entry in the membership register "
                "is kept: it is the cooperative's record of your membership."), "success")
        return redirect(url_for("core.index"), 303)
    return _render_delete(form, account, 422 if request.method == "POST" else 200)


def _render_delete(form, account, status: int):
    return render_template("accounts/delete.html", form=form, account=account,
                           last_admin=ops.is_last_administrator(account, lock=False)), status


# --- roles -----------------------------------------------------------------------------------------
def role_scope_label(role: str, branch=None) -> str:
    """"Secretary for the whole cooperative", "Board member for Belgium"."""
    label = Role(role).label if role in Role._value2member_map_ else role
    if branch is None:
        return _("%(role)s for the whole cooperative", role=label)
    return _("%(role)s for %(branch)s", role=label, branch=branch.name)


@bp.app_context_processor
def role_predicates():
    return {"can_manage_roles": can_manage_roles, "role_scope_label": role_scope_label}


def _role_manager():
    account = current_user._get_current_object()
    if not can_manage_roles(account):
        abort(403)
    return account


@bp.route("/roles")
@login_required
def roles():
    """Accounts holding a role, or with a search every account that matches."""
    _role_manager()
    form = RoleSearchForm(formdata=request.args)
    if not form.validate():
        return render_template("accounts/roles.html", form=form, page=None, search=""), 400
    search = form.q.data or ""
    page = queries.role_accounts_page(search=search, page=request.args.get("page", 1, type=int) or 1)
    return render_template("accounts/roles.html", form=form, page=page, search=search)


def _load_role_account(account_id: int):
    holder = queries.account_with_roles(account_id)
    if holder is None:
        abort(404)
    return holder


def _render_account_roles(holder, *, grant_form=None, status: int = 200):
    branches = queries.branches_by_name()
    if grant_form is None:
        grant_form = GrantRoleForm(formdata=None)
        grant_form.set_choices(branches)
    managed = {r.value for r in MANAGED_ROLES}
    assignments = sorted(holder.roles, key=lambda a: (list(Role).index(Role(a.role)),
                                                      a.branch.name.casefold() if a.branch else ""))
    return render_template("accounts/account_roles.html", holder=holder, grant_form=grant_form,
                           assignments=assignments, managed=managed,
                           revoke_form=RevokeRoleForm(formdata=None)), status


@bp.route("/roles/<int:account_id>")
@login_required
def roles_account(account_id: int):
    _role_manager()
    return _render_account_roles(_load_role_account(account_id))


@bp.route("/roles/<int:account_id>/grant", methods=["POST"])
@login_required
def roles_grant(account_id: int):
    actor = _role_manager()
    holder = _load_role_account(account_id)
    branches = queries.branches_by_name()
    form = GrantRoleForm()
    form.set_choices(branches)
    if not form.validate_on_submit():
        return _render_account_roles(holder, grant_form=form, status=422)
    role = Role(form.role.data)
    branch = next((b for b in branches if b.code == form.branch.data), None)
    held = any(a.role == role.value and a.branch_id == (branch.id if branch else None) for a in holder.roles)
    try:
        ops.grant_role(holder, role, branch=branch, actor=actor)
    except ops.RoleScopeInvalid as exc:
        db.session.rollback()
        form.branch.errors = [*form.branch.errors, str(exc)]
        return _render_account_roles(_load_role_account(account_id), grant_form=form, status=exc.status_code)
    db.session.commit()
    label = role_scope_label(role.value, branch)
    if held:
        flash(_("%(name)s already holds this role: %(role)s.", name=holder.display_name, role=label), "info")
    else:
        flash(_("Role given to %(name)s: %(role)s.", name=holder.display_name, role=label), "success")
        if role.value in totp_required_roles() and not holder.has_totp:
            flash(_("%(name)s must set up two-step sign-in before using the portal again: they will be asked to "
                    "on their next page.", name=holder.display_name), "info")
    return redirect(url_for("accounts.roles_account", account_id=holder.id), 303)


@bp.route("/roles/<int:account_id>/revoke", methods=["POST"])
@login_required
def roles_revoke(account_id: int):
    actor = _role_manager()
    holder = _load_role_account(account_id)
    form = RevokeRoleForm()
    if not form.validate_on_submit():
        abort(400)
    assignment = next((a for a in holder.roles if a.id == form.assignment.data), None)
    if assignment is None or assignment.role not in {r.value for r in MANAGED_ROLES}:
        abort(404)
    role, branch = Role(assignment.role), assignment.branch
    try:
        ops.revoke_role(holder, role, branch=branch, actor=actor)
    except ops.AdministratorRoleKept as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _render_account_roles(_load_role_account(account_id), status=exc.status_code)
    label = role_scope_label(role.value, branch)
    db.session.commit()
    flash(_("Role taken from %(name)s: %(role)s.", name=holder.display_name, role=label), "success")
    if not can_manage_roles(actor):
        # one's own administrator role given up: the roles pages are closed now
        return redirect(url_for("core.index"), 303)
    return redirect(url_for("accounts.roles_account", account_id=holder.id), 303)
