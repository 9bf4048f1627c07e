"""Workgroups: the directory, a workgroup's page, creating and editing, joining and leaving, and the
facilitators' members page.

Each view loads the workgroup (404 when it does not exist or the reader may not see it), checks the
permission (403), validates, calls one operation, commits once and redirects with a flashed message.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from governance.core.errors import DomainError
from governance.extensions import db
from governance.members.models import MemberStatus
from governance.workgroups import operations as ops
from governance.workgroups import queries
from governance.workgroups.forms import DirectoryFilterForm, workgroup_form
from governance.core.i18n import pick_version
from governance.workgroups.models import WorkgroupArchived, WorkgroupTheme
from governance.workgroups.permissions import (
    PREDICATES,
    can_answer_requests,
    can_change_scope,
    can_create_any_workgroup,
    can_edit_workgroup,
    can_manage_workgroup,
    can_view_members,
    can_view_workgroup,
    managed_branch_ids,
    visible_branch_ids,
)

bp = Blueprint("workgroups", __name__, template_folder="templates")

#: at most this many pending requests are listed on the workgroup page (all are on the members page)
PENDING_ON_PAGE = 10


@bp.app_context_processor
def workgroup_predicates():
    return dict(PREDICATES)


def _account():
    return current_user._get_current_object()


def _member_id() -> int | None:
    member = _account().member
    return member.id if member is not None else None


def load_workgroup(slug: str):
    """The workgroup and the reader's own membership of it; 404 for what the reader may not see.
    (Features inside a workgroup, such as proposals, load it the same way.)"""
    workgroup = queries.workgroup_by_slug(slug)
    if workgroup is None or not can_view_workgroup(_account(), workgroup):
        abort(404)
    return workgroup, queries.membership_of(workgroup, _member_id())


def _refused(exc: DomainError, render):
    """A domain rule refused the action: nothing is kept; the page again, with the reason and a 4xx."""
    db.session.rollback()
    flash(str(exc), "error")
    return render(), exc.status_code


# --- directory -------------------------------------------------------------------------------------
@bp.route("/")
@login_required
def directory():
    account = _account()
    branch_ids = visible_branch_ids(account)
    every_branch = queries.all_branches()
    branches = [b for b in every_branch if branch_ids is None or b.id in branch_ids]
    languages = queries.content_languages(branches=every_branch)
    form = DirectoryFilterForm(formdata=request.args)
    form.set_choices(branches, languages)
    if not form.validate():
        return render_template("workgroups/directory.html", form=form, page=None, filters={}), 400
    branch = next((b for b in branches if b.code == form.branch.data), None)
    page = queries.directory_page(
        visible_branch_ids=branch_ids, member_id=_member_id(), branch=form.branch.data or "",
        branch_id=branch.id if branch else None, language=form.language.data or "", theme=form.theme.data or "",
        mine=form.mine.data, archived=form.archived.data, reader_language=str(get_locale() or "en"),
        page=request.args.get("page", 1, type=int) or 1,
    )
    filters = {name: value for name, value in (
        ("branch", form.branch.data), ("language", form.language.data), ("theme", form.theme.data),
        ("mine", "y" if form.mine.data else ""), ("archived", "y" if form.archived.data else "")) if value}
    return render_template("workgroups/directory.html", form=form, page=page, filters=filters)


# --- one workgroup ---------------------------------------------------------------------------------
def _render_workgroup(workgroup, membership):
    account = _account()
    version, texts = pick_version(request.args.get("lang"), workgroup.original_language,
                                  workgroup.titles, workgroup.descriptions)
    title, description = texts or (workgroup.title, workgroup.description)
    manager = can_manage_workgroup(account, workgroup, membership)
    return render_template(
        "workgroups/workgroup.html", workgroup=workgroup, membership=membership, title=title,
        description=description, version=version, member_count=queries.member_count(workgroup),
        facilitators=queries.facilitators(workgroup),
        pending=queries.pending_requests(workgroup, limit=PENDING_ON_PAGE) if manager else [],
        pending_total=queries.pending_count(workgroup) if manager else 0,
        reader_language=str(get_locale() or "en"),
    )


@bp.route("/<workgroup_slug>")
@login_required
def workgroup(workgroup_slug: str):
    workgroup, membership = load_workgroup(workgroup_slug)
    return _render_workgroup(workgroup, membership)


@bp.route("/<workgroup_slug>/join", methods=["POST"])
@login_required
def join(workgroup_slug: str):
    workgroup, membership = load_workgroup(workgroup_slug)
    account = _account()
    if account.member is None:
        abort(403)
    try:
        joined = ops.join_workgroup(workgroup, account.member, actor=account)
    except DomainError as exc:
        return _refused(exc, lambda: _render_workgroup(workgroup, membership))
    db.session.commit()
    if joined.is_pending:
        flash(_("Your request to join has been sent to the facilitators."), "success")
    else:
        flash(_("You have joined the workgroup."), "success")
    return redirect(url_for(".workgroup", workgroup_slug=workgroup.slug), 303)


@bp.route("/<workgroup_slug>/leave", methods=["POST"])
@login_required
def leave(workgroup_slug: str):
    workgroup, membership = load_workgroup(workgroup_slug)
    account = _account()
    if account.member is None:
        abort(403)
    try:
        left = ops.leave_workgroup(workgroup, account.member, actor=account)
    except DomainError as exc:
        return _refused(exc, lambda: _render_workgroup(workgroup, membership))
    db.session.commit()
    if left.is_pending:
        flash(_("Your request to join has been withdrawn."), "success")
    else:
        flash(_("You have left the workgroup."), "success")
    return redirect(url_for(".workgroup", workgroup_slug=workgroup.slug), 303)


@bp.route("/<workgroup_slug>/archive", methods=["POST"])
@login_required
def archive(workgroup_slug: str):
    workgroup, membership = load_workgroup(workgroup_slug)
    if not can_manage_workgroup(_account(), workgroup, membership):
        abort(403)
    try:
        ops.archive_workgroup(workgroup, actor=_account(), membership=membership)
    except DomainError as exc:
        return _refused(exc, lambda: _render_workgroup(workgroup, membership))
    db.session.commit()
    flash(_("The workgroup is archived: it is kept, read-only."), "success")
    return redirect(url_for(".workgroup", workgroup_slug=workgroup.slug), 303)


@bp.route("/<workgroup_slug>/unarchive", methods=["POST"])
@login_required
def unarchive(workgroup_slug: str):
    workgroup, membership = load_workgroup(workgroup_slug)
    if not can_manage_workgroup(_account(), workgroup, membership):
        abort(403)
    try:
        ops.unarchive_workgroup(workgroup, actor=_account(), membership=membership)
    except DomainError as exc:
        return _refused(exc, lambda: _render_workgroup(workgroup, membership))
    db.session.commit()
    flash(_("The workgroup is active again."), "success")
    return redirect(url_for(".workgroup", workgroup_slug=workgroup.slug), 303)


# --- creating and editing --------------------------------------------------------------------------
def _can_facilitate(account) -> bool:
    member = account.member
    return member is not None and member.status == MemberStatus.active.value


def _render_form(form, workgroup=None, status: int = 200):
    return render_template("workgroups/form.html", form=form, workgroup=workgroup), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    account = _account()
    if not can_create_any_workgroup(account):
        abort(403)
    managed = managed_branch_ids(account)
    every_branch = queries.all_branches()
    branches = [b for b in every_branch if managed is None or b.id in managed]
    languages = queries.content_languages(branches=every_branch)
    form = workgroup_form(languages, branches=branches, cooperative_scope=managed is None,
                          facilitate=_can_facilitate(account))
    if request.method == "GET":
        reader = str(get_locale() or "en")
        form.original_language.data = reader if reader in languages else languages[0]
        form.working_languages.data = [form.original_language.data]
        form.theme.data = WorkgroupTheme.other.value
        if managed is not None and len(branches) == 1:
            form.branches.data = [branches[0].id]
    if not form.validate_on_submit():
        return _render_form(form, status=422 if request.method == "POST" else 200)
    branch_ids = form.branch_ids()
    facilitate = "facilitate" in form._fields and form.facilitate.data
    if facilitate and branch_ids is not None and account.member.branch_id not in branch_ids:
        form.facilitate.errors.append(_("You can only facilitate a workgroup open to your own branch."))
        return _render_form(form, status=422)
    try:
        workgroup = ops.create_workgroup(
            actor=account, titles=form.titles(), descriptions=form.descriptions(),
            original_language=form.original_language.data, working_languages=form.working_languages.data,
            theme=form.theme.data, joining=form.joining.data, branch_ids=branch_ids, facilitate=facilitate,
            support_threshold=form.support_threshold.data)
    except DomainError as exc:
        return _refused(exc, lambda: _render_form(form)[0])
    db.session.commit()
    flash(_("The workgroup “%(title)s” has been created.", title=workgroup.title.text), "success")
    return redirect(url_for(".workgroup", workgroup_slug=workgroup.slug), 303)


@bp.route("/<workgroup_slug>/edit", methods=["GET", "POST"])
@login_required
def edit(workgroup_slug: str):
    workgroup, membership = load_workgroup(workgroup_slug)
    account = _account()
    if not can_manage_workgroup(account, workgroup, membership):
        abort(403)
    if not can_edit_workgroup(account, workgroup, membership):
        raise WorkgroupArchived()
    scope = can_change_scope(account, workgroup)
    managed = managed_branch_ids(account)
    branches = [b for b in queries.all_branches() if managed is None or b.id in managed] if scope else []
    languages = queries.content_languages([*workgroup.titles, *workgroup.working_languages])
    form = workgroup_form(languages, branches=branches, scope=scope, cooperative_scope=managed is None)
    if request.method == "GET":
        form.fill(workgroup)
    if not form.validate_on_submit():
        return _render_form(form, workgroup, status=422 if request.method == "POST" else 200)
    try:
        ops.update_workgroup(
            workgroup, actor=account, titles=form.titles(), descriptions=form.descriptions(),
            original_language=form.original_language.data, working_languages=form.working_languages.data,
            theme=form.theme.data, joining=form.joining.data,
            branch_ids=form.branch_ids() if scope else False, membership=membership,
            support_threshold=form.support_threshold.data)
    except DomainError as exc:
        return _refused(exc, lambda: _render_form(form, workgroup)[0])
    db.session.commit()
    flash(_("The workgroup has been saved."), "success")
    return redirect(url_for(".workgroup", workgroup_slug=workgroup.slug), 303)


# --- members (for those who manage the workgroup) --------------------------------------------------
def _render_members(workgroup, membership):
    return render_template(
        "workgroups/members.html", workgroup=workgroup, membership=membership,
        pending=queries.pending_requests(workgroup),
        page=queries.members_page(workgroup, page=request.args.get("page", 1, type=int) or 1),
        facilitator_count=queries.active_facilitator_count(workgroup),
    )


@bp.route("/<workgroup_slug>/members")
@login_required
def members(workgroup_slug: str):
    workgroup, membership = load_workgroup(workgroup_slug)
    if not can_view_members(_account(), workgroup, membership):
        abort(403)
    return _render_members(workgroup, membership)


#: action in the URL → (operation, the message once done)
_MEMBER_ACTIONS = {
    "approve": (ops.approve_request, lambda name: _("The request of %(name)s has been approved.", name=name)),
    "refuse": (ops.refuse_request, lambda name: _("The request of %(name)s has been refused.", name=name)),
    "appoint": (ops.appoint_facilitator,
                lambda name: _("%(name)s is now a facilitator of the workgroup.", name=name)),
    "remove-facilitator": (ops.remove_facilitator,
                           lambda name: _("%(name)s is no longer a facilitator of the workgroup.", name=name)),
}


@bp.route("/<workgroup_slug>/members/<int:member_id>/<any(approve, refuse, appoint, 'remove-facilitator'):action>",
          methods=["POST"])
@login_required
def member_action(workgroup_slug: str, member_id: int, action: str):
    workgroup, membership = load_workgroup(workgroup_slug)
    account = _account()
    if not can_view_members(account, workgroup, membership):
        abort(403)
    target = queries.membership_by_member(workgroup, member_id)
    if target is None:
        abort(404)
    operation, message = _MEMBER_ACTIONS[action]
    name = target.member.full_name
    try:
        operation(target, actor=account, actor_membership=membership)
    except DomainError as exc:
        return _refused(exc, lambda: _render_members(workgroup, membership))
    db.session.commit()
    flash(message(name), "success")
    # a facilitator who stepped down no longer sees the members page
    still_manages = can_answer_requests(account, workgroup, queries.membership_of(workgroup, _member_id()))
    target_url = (url_for(".members", workgroup_slug=workgroup.slug) if still_manages
                  else url_for(".workgroup", workgroup_slug=workgroup.slug))
    return redirect(target_url, 303)


# --- following -------------------------------------------------------------------------------------
@bp.app_context_processor
def following_helpers():
    """``follows_workgroup(workgroup)`` for the workgroup page's follow button (one query)."""
    return {"follows_workgroup": _follows_workgroup}


def _follows_workgroup(workgroup) -> bool:
    return current_user.is_authenticated and queries.is_following(workgroup, current_user.id)


@bp.route("/<workgroup_slug>/follow", methods=["POST"])
@login_required
def follow(workgroup_slug: str):
    workgroup, membership = load_workgroup(workgroup_slug)
    try:
        ops.follow_workgroup(workgroup, actor=_account())
    except DomainError as exc:
        return _refused(exc, lambda: _render_workgroup(workgroup, membership))
    db.session.commit()
    flash(_("You follow this workgroup: you will be notified when one of its proposals opens for discussion."),
          "success")
    return redirect(url_for(".workgroup", workgroup_slug=workgroup.slug), 303)


@bp.route("/<workgroup_slug>/unfollow", methods=["POST"])
@login_required
def unfollow(workgroup_slug: str):
    workgroup, membership = load_workgroup(workgroup_slug)
    try:
        ops.unfollow_workgroup(workgroup, actor=_account())
    except DomainError as exc:
        return _refused(exc, lambda: _render_workgroup(workgroup, membership))
    db.session.commit()
    flash(_("You no longer follow this workgroup."), "success")
    return redirect(url_for(".workgroup", workgroup_slug=workgroup.slug), 303)
