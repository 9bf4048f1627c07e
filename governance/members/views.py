"""The membership register: list, member page, and the register import."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from governance.core.errors import DomainError, render_error
from governance.extensions import db
from governance.members import operations as ops
from governance.members import queries
from governance.members.forms import (
    MemberDetailsForm,
    RegisterFilterForm,
    RegisterImportForm,
    StatusForm,
    branch_form,
    fill_branch_form,
    human_size,
    import_max_bytes,
)
from governance.members.importing import COLUMNS
from governance.members.models import Branch, Member, MemberStatus
from governance.members.permissions import (
    can_import_register,
    can_manage_branches,
    can_manage_member,
    can_view_branches,
    can_view_member,
    can_view_register,
    register_branch_ids,
)

bp = Blueprint("members", __name__, template_folder="templates")

#: at most this many lines of each kind of change are listed on the report page (all are counted)
REPORT_LINES = 500


def _account():
    return current_user._get_current_object()


@bp.app_context_processor
def register_predicates():
    return {"can_view_register": can_view_register, "can_import_register": can_import_register,
            "can_manage_member": can_manage_member, "can_view_member": can_view_member,
            "can_view_branches": can_view_branches,
            "can_manage_branches": can_manage_branches}


#: where a status change came from, as shown in the history
SOURCE_LABELS = {"import": _l("Register import"), "manual": _l("Entered by hand")}


@bp.app_template_filter("member_status")
def member_status_label(value: str) -> str:
    try:
        return MemberStatus(value).label
    except ValueError:
        return value


@bp.app_template_filter("status_source")
def status_source_label(value: str) -> str:
    return str(SOURCE_LABELS.get(value, value))


@bp.route("/")
@login_required
def register():
    branch_ids = register_branch_ids(_account())
    if branch_ids is not None and not branch_ids:
        abort(403)
    branches = queries.visible_branches(branch_ids)
    form = RegisterFilterForm(formdata=request.args)
    form.set_choices(branches)
    _check_branch_scope(request.args.get("branch", ""), branches)
    if not form.validate():
        return render_template("members/register.html", form=form, page=None, branches=branches), 400
    branch = next((b for b in branches if b.code == form.branch.data), None)
    page = queries.register_page(branch_ids=branch_ids, search=form.q.data or "",
                                 branch_id=branch.id if branch else None, status=form.status.data or None,
                                 page=request.args.get("page", 1, type=int) or 1)
    filters = {k: v for k, v in (("q", form.q.data), ("branch", form.branch.data), ("status", form.status.data)) if v}
    return render_template("members/register.html", form=form, page=page, branches=branches, filters=filters)


def _check_branch_scope(code: str, branches: list[Branch]) -> None:
    """A branch outside the reader's scope is refused (403), not shown as an empty list."""
    if not code or any(b.code == code for b in branches):
        return
    abort(403 if queries.branch_exists(code) else 404)


def _load_member(member_id: int) -> Member:
    """The member with their branch and history: 403 for those who see no register at all (not even
    whether the number exists), 404 when there is no such member, 403 outside the reader's branches."""
    account = _account()
    if not can_view_register(account):
        abort(403)
    member = queries.member_with_history(member_id)
    if member is None:
        abort(404)
    if not can_view_member(account, member):
        abort(403)
    return member


@bp.route("/members/<int:member_id>")
@login_required
def member(member_id: int):
    return _member_page(_load_member(member_id))


def _member_page(member: Member, *, status_form: StatusForm | None = None,
                 details_form: MemberDetailsForm | None = None, status: int = 200):
    manage = can_manage_member(_account(), member)
    today = ops.branch_today(member.branch)
    if manage and status_form is None:
        status_form = StatusForm(formdata=None, data={"effective_on": today})
        status_form.set_choices(member)
    if manage and details_form is None:
        details_form = MemberDetailsForm(formdata=None, data={
            "email": member.email, "language": member.language,
            "email_consent": member.email_consent_dt is not None})
        details_form.set_choices(member)
    if status_form is not None:
        # the browser's date picker offers the dates the operation accepts
        status_form.effective_on.render_kw = {"min": member.joined_on.isoformat(), "max": today.isoformat()}
    return render_template("members/member.html", member=member, history=queries.status_history(member),
                           manage=manage, status_form=status_form, details_form=details_form), status


def _field_error(form, exc: ops.InvalidField) -> None:
    """Show an operation's refusal next to the field it is about (above the form when there is none)."""
    field = getattr(form, exc.field, None) if exc.field in form else None
    if field is not None:
        field.errors = [*field.errors, str(exc)]
    else:
        form.form_errors = [*form.form_errors, str(exc)]


def _reloaded(member_id: int) -> Member:
    """The member again, after a rollback expired what was loaded."""
    return queries.member_with_history(member_id)


@bp.route("/members/<int:member_id>/status", methods=["POST"])
@login_required
def change_status(member_id: int):
    account = _account()
    member = _load_member(member_id)
    if not can_manage_member(account, member):
        abort(403)
    form = StatusForm()
    form.set_choices(member)
    if not form.validate_on_submit():
        return _member_page(member, status_form=form, status=422)
    new_status = MemberStatus(form.status.data)
    try:
        ops.change_status(member, new_status, actor=account, effective_on=form.effective_on.data,
                          note=form.note.data)
    except ops.InvalidField as exc:
        db.session.rollback()
        _field_error(form, exc)
        return _member_page(_reloaded(member_id), status_form=form, status=exc.status_code)
    db.session.commit()
    flash(_("The status of %(name)s is now “%(status)s”.", name=member.full_name, status=new_status.label),
          "success")
    return redirect(url_for("members.member", member_id=member.id), 303)


@bp.route("/members/<int:member_id>/details", methods=["POST"])
@login_required
def update_details(member_id: int):
    account = _account()
    member = _load_member(member_id)
    if not can_manage_member(account, member):
        abort(403)
    form = MemberDetailsForm()
    form.set_choices(member)
    if not form.validate_on_submit():
        return _member_page(member, details_form=form, status=422)
    try:
        changes = ops.update_member_details(member, email=form.email.data, language=form.language.data,
                                            email_consent=form.email_consent.data, actor=account)
    except ops.InvalidField as exc:
        db.session.rollback()
        _field_error(form, exc)
        return _member_page(_reloaded(member_id), details_form=form, status=exc.status_code)
    db.session.commit()
    if changes:
        flash(_("The register entry of %(name)s has been saved.", name=member.full_name), "success")
    else:
        flash(_("Nothing was changed."), "info")
    return redirect(url_for("members.member", member_id=member.id), 303)


# --- branches --------------------------------------------------------------------------------------
@bp.route("/branches")
@login_required
def branches():
    if not can_view_branches(_account()):
        abort(403)
    return render_template("members/branches.html", branches=queries.all_branches())


def _branch_page(form, branch: Branch | None, status: int = 200):
    return render_template("members/branch_form.html", form=form, branch=branch,
                           timezones=sorted(ops.timezones())), status


def _branch_values(form) -> dict:
    return {"names": form.names, "country": form.country.data, "official_languages": form.official_in_order,
            "required_languages": form.required_languages.data or [], "timezone": form.timezone.data}


@bp.route("/branches/new", methods=["GET", "POST"])
@login_required
def branch_new():
    account = _account()
    if not can_manage_branches(account):
        abort(403)
    form = branch_form()
    if request.method == "GET":
        form.timezone.data = "Europe/Brussels"
    if not form.validate_on_submit():
        return _branch_page(form, None, 422 if request.method == "POST" else 200)
    try:
        branch = ops.create_branch(code=form.code.data, actor=account, **_branch_values(form))
    except ops.InvalidField as exc:
        db.session.rollback()
        _branch_field_error(form, exc)
        return _branch_page(form, None, exc.status_code)
    db.session.commit()
    flash(_("The branch %(code)s has been created.", code=branch.code), "success")
    return redirect(url_for("members.branches"), 303)


def _branch_field_error(form, exc: ops.InvalidField) -> None:
    if exc.field == "names":
        form.names_errors = [*getattr(form, "names_errors", []), str(exc)]
    else:
        _field_error(form, exc)


def _load_branch(branch_code: str) -> Branch:
    branch = queries.branch_by_code(branch_code)
    if branch is None:
        abort(404)
    return branch


@bp.route("/branches/<branch_code>/edit", methods=["GET", "POST"])
@login_required
def branch_edit(branch_code: str):
    account = _account()
    if not can_manage_branches(account):
        abort(403)
    branch = _load_branch(branch_code)
    form = branch_form(branch)
    if request.method == "GET":
        fill_branch_form(form, branch)
    if not form.validate_on_submit():
        return _branch_page(form, branch, 422 if request.method == "POST" else 200)
    try:
        changes = ops.update_branch(branch, actor=account, **_branch_values(form))
    except ops.InvalidField as exc:
        db.session.rollback()
        _branch_field_error(form, exc)
        return _branch_page(form, _load_branch(branch_code), exc.status_code)
    db.session.commit()
    if changes:
        flash(_("The branch %(code)s has been saved.", code=branch.code), "success")
    else:
        flash(_("Nothing was changed."), "info")
    return redirect(url_for("members.branches"), 303)


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_register():
    account = _account()
    if not can_import_register(account):
        abort(403)
    form = RegisterImportForm()
    if not form.validate_on_submit():
        return _import_page(form), 422 if request.method == "POST" else 200
    upload = form.file.data
    try:
        report = ops.import_register(upload.read(), _file_name(upload.filename), actor=account,
                                     dry_run=form.dry_run.data, full_export=form.full_export.data,
                                     allow_partial=form.allow_partial.data)
    except DomainError as exc:
        db.session.rollback()
        form.file.errors = [*form.file.errors, str(exc)]
        return _import_page(form), exc.status_code
    if report.applied:
        db.session.commit()
    else:
        db.session.rollback()
    # a dry run answers its question even when rows are bad; a refused import is a 4xx
    return _import_page(form, report), 422 if report.rejected and not report.dry_run else 200


def _file_name(name: str | None) -> str:
    """The name the file had on the uploader's computer, without its folders."""
    return (name or "").replace("\\", "/").rsplit("/", 1)[-1][:255] or "upload"


def _import_page(form: RegisterImportForm, report=None):
    return render_template("members/import.html", form=form, report=report, columns=COLUMNS,
                           lines=REPORT_LINES, max_size=human_size(import_max_bytes()))


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(exc):
    """Larger than the portal accepts at all: stay on the import form with the reason."""
    if request.endpoint != "members.import_register" or not can_import_register(_account()):
        return render_error(413)
    # the body was not read: every form on the page (the sign-out button's too) must not try again
    request.__dict__["form"] = request.__dict__["files"] = ImmutableMultiDict()
    form = RegisterImportForm(formdata=None)
    form.file.errors = [_("The file is too large: at most %(size)s.", size=human_size(import_max_bytes()))]
    return _import_page(form), 413
