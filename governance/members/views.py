"""The membership register: list, member page, and the register import."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from governance.core.errors import DomainError, render_error
from governance.extensions import db
from governance.members import operations as ops
from governance.members import queries
from governance.members.forms import RegisterFilterForm, RegisterImportForm, human_size, import_max_bytes
from governance.members.importing import COLUMNS
from governance.members.models import Branch, MemberStatus
from governance.members.permissions import (
    can_import_register,
    can_manage_member,
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
            "can_manage_member": can_manage_member}


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


@bp.route("/members/<int:member_id>")
@login_required
def member(member_id: int):
    account = _account()
    if not can_view_register(account):
        abort(403)
    member = queries.member_with_history(member_id)
    if member is None:
        abort(404)
    if not can_view_member(account, member):
        abort(403)
    return render_template("members/member.html", member=member, history=queries.status_history(member))


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
