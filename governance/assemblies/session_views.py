"""An assembly's session, under /assemblies/<id>/: a member's registration (and proxy), the session's page (live
attendance and quorum, the reader's check-in and votes, the chair's and tellers' actions, the results), the
check-in desk, the attendance list, the exports (CSV), and the minutes (draft, edit, approve, publish, HTML and
PDF).

Each view loads the assembly like the assembly's own pages (404 when the reader may not see it), checks the
permission (403), validates (422 with what was typed), calls one operation of ``session.py`` or ``minutes.py``,
commits once and redirects (303) — except the receipts of secret votes, rendered straight from the POST that cast
them, so they never appear in a URL or a page that can be loaded again.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from governance.assemblies import minutes as minutes_ops
from governance.assemblies import queries, session as ops, session_queries
from governance.assemblies.models import AgendaItem, Assembly
from governance.assemblies.session_forms import (
    CheckInForm,
    CheckInSearchForm,
    RegistrationForm,
    RoomTallyForm,
    minutes_form,
    vote_form,
)
from governance.assemblies.session_permissions import (
    PREDICATES,
    can_approve_minutes,
    can_check_in_members,
    can_close_session,
    can_enter_room_tally,
    can_open_session,
    can_publish_minutes,
    can_read_minutes,
    can_register,
    can_run_votes,
    can_self_check_in,
    can_view_attendance_list,
    can_view_session,
    can_write_minutes,
)
from governance.core.db_types import utcnow
from governance.core.errors import DomainError
from governance.core.forms import EmptyForm
from governance.core.i18n import pick_text, pick_version
from governance.extensions import db, limiter
from governance.members.models import Member
from governance.votes import exports as vote_exports
from governance.votes import roll
from governance.votes import web as vote_web
from governance.votes import wording
from governance.votes.forms import ReceiptLookupForm
from governance.votes.models import Ballot, RollEntry, YnaChoice
from governance.votes.views import export_rate_limit, vote_rate_limit

bp = Blueprint("assembly_session", __name__, template_folder="templates")


@bp.app_context_processor
def session_predicates():
    return dict(PREDICATES)


def _account():
    return current_user._get_current_object()


def _load(assembly_id: int):
    """The assembly and the reader's place in it (the assembly pages' loader): 404 for what the reader may not
    see, and for a draft (it has no session)."""
    from governance.assemblies.views import load_assembly

    assembly, context = load_assembly(assembly_id)
    if assembly.is_draft:
        abort(404)
    return assembly, context


def _load_item(assembly: Assembly, item_id: int) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.assembly_id != assembly.id or not item.is_resolution:
        abort(404)
    return item


def _require(allowed: bool) -> None:
    if not allowed:
        abort(403)


def _refused(exc: DomainError, render):
    db.session.rollback()
    flash(str(exc), "error")
    return render(), exc.status_code


def _to_session(assembly, anchor: str | None = None):
    return redirect(url_for(".session", assembly_id=assembly.id) + (f"#{anchor}" if anchor else ""), 303)


def _title(assembly):
    return assembly.title


def _member_by_number(number: str) -> Member | None:
    number = (number or "").strip()
    if not number:
        return None
    return db.session.execute(select(Member).where(Member.number == number)).scalar_one_or_none()


# --- registration ----------------------------------------------------------------------------------
def _render_registration(assembly, context, form=None, status: int = 200):
    account = _account()
    situation = session_queries.member_situation(assembly, context.member_id)
    may_register = can_register(account, assembly, on_roll=context.on_roll)
    if form is None and may_register:
        form = RegistrationForm()
        form.set_modes(assembly)
        if situation is not None and situation.registration is not None and request.method == "GET":
            form.mode.data = situation.registration.mode
            if situation.holder is not None:
                form.holder_number.data = situation.holder.number
    return render_template("assemblies/session/registration.html", assembly=assembly, context=context,
                           title=_title(assembly), situation=situation, form=form, may_register=may_register,
                           proxies_open=assembly.proxies_open_at(utcnow()), withdraw_form=EmptyForm()), status


@bp.route("/<int:assembly_id>/registration", methods=["GET", "POST"])
@login_required
def registration(assembly_id: int):
    assembly, context = _load(assembly_id)
    if request.method == "GET":
        return _render_registration(assembly, context)
    account = _account()
    _require(can_register(account, assembly, on_roll=context.on_roll))
    form = RegistrationForm()
    form.set_modes(assembly)
    if not form.validate_on_submit():
        return _render_registration(assembly, context, form, 422)
    holder = None
    if form.mode.data == "proxy":
        holder = _member_by_number(form.holder_number.data)
        if holder is None:
            form.holder_number.errors.append(_("No member has this member number."))
            return _render_registration(assembly, context, form, 422)
    try:
        ops.register(assembly, account.member, form.mode.data, actor=account, holder=holder)
    except DomainError as exc:
        return _refused(exc, lambda: _render_registration(assembly, context, form)[0])
    db.session.commit()
    if holder is not None:
        flash(_("Your proxy goes to %(name)s. You can revoke it until the deadline.", name=holder.full_name),
              "success")
    else:
        flash(_("Your registration has been recorded."), "success")
    return redirect(url_for(".registration", assembly_id=assembly.id), 303)


@bp.route("/<int:assembly_id>/registration/withdraw", methods=["POST"])
@login_required
def withdraw_registration(assembly_id: int):
    assembly, context = _load(assembly_id)
    account = _account()
    _require(can_register(account, assembly, on_roll=context.on_roll))
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        ops.withdraw_registration(assembly, account.member, actor=account)
    except DomainError as exc:
        return _refused(exc, lambda: _render_registration(assembly, context)[0])
    db.session.commit()
    flash(_("Your registration has been withdrawn."), "success")
    return redirect(url_for(".registration", assembly_id=assembly.id), 303)


# --- the session's page ----------------------------------------------------------------------------
def _render_session(assembly, context, *, vote_forms=None, tally_forms=None, lookup=None, status: int = 200):
    account = _account()
    now = utcnow()
    items = queries.agenda_items(assembly)
    rows = session_queries.vote_rows(assembly, items)
    attendance = session_queries.attendance(assembly)
    situation = session_queries.member_situation(assembly, context.member_id)
    open_row = next((row for row in rows if row.is_running), None)
    slots = session_queries.voter_slots(assembly, open_row.ballot, context.member_id) \
        if open_row is not None and open_row.is_open else []
    vote_forms = vote_forms or {}
    tally_forms = tally_forms or {}
    votable = [slot for slot in slots if slot.can_vote_online]
    if open_row is not None and votable and open_row.item.id not in vote_forms:
        vote_forms[open_row.item.id] = vote_form(votable, formdata=None)
    roles = context.roles
    if open_row is not None and open_row.item.id not in tally_forms and open_row.room_bound \
            and can_enter_room_tally(account, assembly, roles):
        form = RoomTallyForm(formdata=None)
        if open_row.tally is not None:
            form.yes.data, form.no.data, form.abstain.data = (open_row.tally.counts.get(k, 0)
                                                              for k in ("yes", "no", "abstain"))
        tally_forms[open_row.item.id] = form
    quorums = []
    from governance.votes.methods import decision as rules

    for row in rows:
        if not row.can_open:
            continue
        quorum = rules.parse_quorum(assembly.effective_quorum(row.item.quorum))
        if quorum.is_required:
            quorums.append((row.item, quorum, quorum.threshold(attendance.total)))
    return render_template(
        "assemblies/session/session.html", assembly=assembly, context=context, title=_title(assembly),
        attendance=attendance, roll_size=queries.roll_size(assembly), situation=situation, rows=rows,
        open_row=open_row, slots=slots, vote_forms=vote_forms, tally_forms=tally_forms, quorums=quorums,
        roles=roles, now=now, wording=wording, empty_form=EmptyForm,
        may_self_check_in=can_self_check_in(account, assembly, on_roll=context.on_roll, now=now),
        may_run_votes=can_run_votes(account, assembly, roles) and assembly.is_in_session,
        may_check_in=can_check_in_members(account, assembly, roles),
        may_list=can_view_attendance_list(account, assembly, roles),
        minutes=minutes_ops.minutes_of(assembly) if assembly.is_closed else None,
        receipt_items=_receipt_items(account, assembly, rows, context), lookup=lookup or {},
        receipt_form=ReceiptLookupForm,
    ), status


# --- receipts of secret votes -----------------------------------------------------------------------
def _may_check_receipts(account, assembly: Assembly, ballot: Ballot | None, context) -> bool:
    """The receipts of a closed secret vote are published to its electorate (DESIGN §5): the members on the
    vote's roll (present or represented when it opened), and the assembly's organisers."""
    if ballot is None or not ballot.is_secret or not ballot.is_closed:
        return False
    if context.member_id is not None and roll.roll_entry(ballot, context.member_id) is not None:
        return True
    return can_view_attendance_list(account, assembly, context.roles)


def _receipt_items(account, assembly: Assembly, rows, context) -> set[int]:
    """The agenda items whose closed secret vote the reader may check a receipt against (one query for all)."""
    closed = {row.ballot.id: row.item.id for row in rows
              if row.is_closed and row.ballot is not None and row.ballot.is_secret and row.ballot.is_closed}
    if not closed:
        return set()
    if can_view_attendance_list(account, assembly, context.roles):
        return set(closed.values())
    if context.member_id is None:
        return set()
    on_roll = db.session.execute(select(RollEntry.ballot_id).where(
        RollEntry.ballot_id.in_(closed), RollEntry.member_id == context.member_id)).scalars()
    return {closed[ballot_id] for ballot_id in on_roll}


def _receipt_ballot(assembly: Assembly, item_id: int, context) -> Ballot:
    item = _load_item(assembly, item_id)
    ballot = db.session.get(Ballot, item.ballot_id) if item.ballot_id else None
    if ballot is None or not ballot.is_secret or not ballot.is_closed:
        abort(404)
    _require(_may_check_receipts(_account(), assembly, ballot, context))
    return ballot


@bp.route("/<int:assembly_id>/session/items/<int:item_id>/receipt", methods=["POST"])
@login_required
@limiter.limit(export_rate_limit, methods=["POST"])
def check_receipt(assembly_id: int, item_id: int):
    """Check that a receipt code is in the published list of a closed secret vote: found or not found."""
    assembly, context = _load(assembly_id)
    ballot = _receipt_ballot(assembly, item_id, context)
    form = ReceiptLookupForm(prefix=f"item-{item_id}")
    if not form.validate_on_submit():
        return _render_session(assembly, context, lookup={item_id: form}, status=422)
    found = vote_web.receipt_published(ballot, form.normalised_code())
    form.result = "found" if found else "not_found"
    return _render_session(assembly, context, lookup={item_id: form})


@bp.route("/<int:assembly_id>/session/items/<int:item_id>/receipts.txt")
@login_required
@limiter.limit(export_rate_limit)
def receipts_list(assembly_id: int, item_id: int):
    """The published receipt codes of a closed secret vote, sorted, without any choice."""
    assembly, context = _load(assembly_id)
    ballot = _receipt_ballot(assembly, item_id, context)
    response = Response(vote_exports.receipts_text(ballot), mimetype="text/plain")
    response.headers["Content-Disposition"] = f'attachment; filename="assembly-{assembly.id}-item-{item_id}-receipts.txt"'
    return response


@bp.route("/<int:assembly_id>/session")
@login_required
def session(assembly_id: int):
    assembly, context = _load(assembly_id)
    _require(can_view_session(_account(), assembly, on_roll=context.on_roll, roles=context.roles))
    return _render_session(assembly, context)


def _session_action(assembly_id: int, allowed, act, done: str):
    assembly, context = _load(assembly_id)
    _require(allowed(_account(), assembly, context.roles))
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        act(assembly)
    except DomainError as exc:
        return _refused(exc, lambda: _render_session(assembly, context)[0])
    db.session.commit()
    flash(done, "success")
    return _to_session(assembly)


@bp.route("/<int:assembly_id>/session/open", methods=["POST"])
@login_required
def open_session(assembly_id: int):
    return _session_action(assembly_id, can_open_session,
                           lambda assembly: ops.open_session(assembly, actor=_account()),
                           _("The session is open. Registration and proxies are closed."))


@bp.route("/<int:assembly_id>/session/close", methods=["POST"])
@login_required
def close_session(assembly_id: int):
    return _session_action(assembly_id, can_close_session,
                           lambda assembly: ops.close_session(assembly, actor=_account()),
                           _("The session is closed. The secretary can now write the minutes."))


@bp.route("/<int:assembly_id>/session/check-in", methods=["POST"])
@login_required
def self_check_in(assembly_id: int):
    """A member checks themselves in online."""
    assembly, context = _load(assembly_id)
    account = _account()
    _require(can_self_check_in(account, assembly, on_roll=context.on_roll, now=utcnow()))
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        ops.check_in(assembly, account.member, mode="online", actor=account)
    except DomainError as exc:
        return _refused(exc, lambda: _render_session(assembly, context)[0])
    db.session.commit()
    flash(_("You are checked in online. You vote on this page when a vote opens."), "success")
    return _to_session(assembly)


@bp.route("/<int:assembly_id>/session/check-out", methods=["POST"])
@login_required
def self_check_out(assembly_id: int):
    assembly, context = _load(assembly_id)
    account = _account()
    if account.member is None or not context.on_roll:
        abort(403)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        ops.check_out(assembly, account.member, actor=account)
    except DomainError as exc:
        return _refused(exc, lambda: _render_session(assembly, context)[0])
    db.session.commit()
    flash(_("You have left the assembly."), "success")
    return _to_session(assembly)


# --- votes -----------------------------------------------------------------------------------------
@bp.route("/<int:assembly_id>/session/items/<int:item_id>/open", methods=["POST"])
@login_required
def open_vote(assembly_id: int, item_id: int):
    assembly, context = _load(assembly_id)
    item = _load_item(assembly, item_id)
    _require(can_run_votes(_account(), assembly, context.roles))
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        ops.open_vote(item, actor=_account())
    except DomainError as exc:
        return _refused(exc, lambda: _render_session(assembly, context)[0])
    set_aside = (item.vote_result or {}).get("opened", {}).get("set_aside") or []
    db.session.commit()
    flash(_("The vote is open."), "success")
    if set_aside:
        holders = db.session.execute(select(Member).where(
            Member.id.in_(sorted({row["holder"] for row in set_aside})))).scalars()
        flash(ngettext("%(num)s proxy was set aside by the vote cap (held by %(names)s): nobody may cast more than "
                       "their share of the votes present or represented.",
                       "%(num)s proxies were set aside by the vote cap (held by %(names)s): nobody may cast more "
                       "than their share of the votes present or represented.", len(set_aside),
                       names=", ".join(f"{m.full_name} ({m.number})" for m in holders)), "warning")
    return _to_session(assembly, f"item-{item.id}")


@bp.route("/<int:assembly_id>/session/items/<int:item_id>/close", methods=["POST"])
@login_required
def close_vote(assembly_id: int, item_id: int):
    assembly, context = _load(assembly_id)
    item = _load_item(assembly, item_id)
    _require(can_run_votes(_account(), assembly, context.roles))
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        result = ops.close_vote(item, actor=_account())
    except DomainError as exc:
        return _refused(exc, lambda: _render_session(assembly, context)[0])
    db.session.commit()
    flash(_("The vote is closed: the resolution is adopted.") if result.get("adopted")
          else _("The vote is closed: the resolution is not adopted."), "success")
    return _to_session(assembly, f"item-{item.id}")


@bp.route("/<int:assembly_id>/session/items/<int:item_id>/room", methods=["POST"])
@login_required
def room_tally(assembly_id: int, item_id: int):
    assembly, context = _load(assembly_id)
    item = _load_item(assembly, item_id)
    _require(can_enter_room_tally(_account(), assembly, context.roles))
    form = RoomTallyForm()
    if not form.validate_on_submit():
        return _render_session(assembly, context, tally_forms={item.id: form}, status=422)
    try:
        ops.enter_room_tally(item, actor=_account(), yes=form.yes.data, no=form.no.data, abstain=form.abstain.data)
    except DomainError as exc:
        return _refused(exc, lambda: _render_session(assembly, context, tally_forms={item.id: form})[0])
    db.session.commit()
    flash(_("The room's totals have been recorded."), "success")
    return _to_session(assembly, f"item-{item.id}")


def _vote_context(assembly_id: int, item_id: int):
    """The assembly, the item, its open ballot and the reader's slots that may still vote online (403 when the
    reader votes for nobody, 409 when the vote is not open)."""
    assembly, context = _load(assembly_id)
    item = _load_item(assembly, item_id)
    account = _account()
    if account.member is None:
        abort(403)
    ballot = db.session.get(Ballot, item.ballot_id) if item.ballot_id is not None else None
    slots = session_queries.voter_slots(assembly, ballot, context.member_id) if ballot is not None else []
    votable = [slot for slot in slots if slot.can_vote_online]
    return assembly, context, item, ballot, votable


@bp.route("/<int:assembly_id>/session/items/<int:item_id>/vote", methods=["POST"])
@login_required
@limiter.limit(vote_rate_limit, methods=["POST"])
def vote(assembly_id: int, item_id: int):
    """The reader's choices (their own, their grantors'): shown in words before anything is stored."""
    assembly, context, item, ballot, votable = _vote_context(assembly_id, item_id)
    if ballot is None or not ballot.is_open:
        flash(_("The vote on this resolution is not open."), "error")
        return _render_session(assembly, context, status=409)
    if not votable:
        abort(403)
    form = vote_form(votable)
    if not form.validate_on_submit():
        return _render_session(assembly, context, vote_forms={item.id: form}, status=422)
    words = [(slot, YnaChoice(form.choices()[slot.member.id]).label) for slot in votable
             if slot.member.id in form.choices()]
    return render_template("assemblies/session/confirm_vote.html", assembly=assembly, item=item,
                           title=pick_text(item.titles, item.original_language), ballot=ballot, form=form,
                           words=words)


@bp.route("/<int:assembly_id>/session/items/<int:item_id>/vote/confirm", methods=["POST"])
@login_required
@limiter.limit(vote_rate_limit, methods=["POST"])
def confirm_vote(assembly_id: int, item_id: int):
    assembly, context, item, ballot, votable = _vote_context(assembly_id, item_id)
    if ballot is None or not ballot.is_open:
        flash(_("The vote on this resolution is not open."), "error")
        return _render_session(assembly, context, status=409)
    if not votable:
        flash(_("Your votes have been cast already."), "error")
        return _render_session(assembly, context, status=409)
    form = vote_form(votable)
    if "change" in request.form:
        return _render_session(assembly, context, vote_forms={item.id: form})
    if not form.validate_on_submit():
        return _render_session(assembly, context, vote_forms={item.id: form}, status=422)
    try:
        cast = ops.cast_votes(item, form.choices(), actor=_account())
    except DomainError as exc:
        return _refused(exc, lambda: _render_session(assembly, context)[0])
    db.session.commit()
    names = {slot.member.id: slot for slot in votable}
    receipts = [(names[member_id], result.receipt) for member_id, result in cast.items() if result.receipt]
    if not receipts:
        flash(ngettext("Your vote has been recorded.", "Your %(num)s votes have been recorded.", len(cast)),
              "success")
        return _to_session(assembly, f"item-{item.id}")
    response = Response(render_template("assemblies/session/receipts.html", assembly=assembly, item=item,
                                        title=pick_text(item.titles, item.original_language), receipts=receipts))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


# --- the check-in desk and the attendance list -------------------------------------------------------
def _render_desk(assembly, context, status: int = 200):
    form = CheckInSearchForm(request.args)
    search = form.q.data or "" if form.validate() else ""
    page = session_queries.search_members(assembly, search, request.args.get("page", 1, type=int))
    return render_template("assemblies/session/checkin.html", assembly=assembly, context=context,
                           title=_title(assembly), form=form, search=search, page=page,
                           attendance=session_queries.attendance(assembly),
                           open=ops.checkin_open_at(assembly, utcnow()), empty_form=EmptyForm), status


@bp.route("/<int:assembly_id>/session/desk")
@login_required
def desk(assembly_id: int):
    assembly, context = _load(assembly_id)
    _require(can_check_in_members(_account(), assembly, context.roles))
    return _render_desk(assembly, context)


def _back_to_desk(assembly):
    args = {key: request.args[key] for key in ("q", "page") if request.args.get(key)}
    return redirect(url_for(".desk", assembly_id=assembly.id, **args), 303)


@bp.route("/<int:assembly_id>/session/desk/<int:member_id>", methods=["POST"])
@login_required
def desk_check_in(assembly_id: int, member_id: int):
    assembly, context = _load(assembly_id)
    _require(can_check_in_members(_account(), assembly, context.roles))
    member = db.session.get(Member, member_id)
    if member is None or not assembly.is_on_roll(member):
        abort(404)
    form = CheckInForm()
    if not form.validate_on_submit():
        flash(_("Choose in the room or online."), "error")
        return _render_desk(assembly, context, 422)
    try:
        ops.check_in(assembly, member, mode=form.mode.data, actor=_account())
    except DomainError as exc:
        return _refused(exc, lambda: _render_desk(assembly, context)[0])
    db.session.commit()
    flash(_("%(name)s is checked in.", name=member.full_name), "success")
    return _back_to_desk(assembly)


@bp.route("/<int:assembly_id>/session/desk/<int:member_id>/out", methods=["POST"])
@login_required
def desk_check_out(assembly_id: int, member_id: int):
    assembly, context = _load(assembly_id)
    _require(can_check_in_members(_account(), assembly, context.roles))
    member = db.session.get(Member, member_id)
    if member is None or not assembly.is_on_roll(member):
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        ops.check_out(assembly, member, actor=_account())
    except DomainError as exc:
        return _refused(exc, lambda: _render_desk(assembly, context)[0])
    db.session.commit()
    flash(_("%(name)s has left.", name=member.full_name), "success")
    return _back_to_desk(assembly)


@bp.route("/<int:assembly_id>/session/attendance")
@login_required
def attendance(assembly_id: int):
    assembly, context = _load(assembly_id)
    _require(can_view_attendance_list(_account(), assembly, context.roles))
    page = session_queries.attendance_page(assembly, request.args.get("page", 1, type=int))
    return render_template("assemblies/session/attendance.html", assembly=assembly, title=_title(assembly),
                           page=page, attendance=session_queries.attendance(assembly))


def _csv_response(body: str, filename: str) -> Response:
    response = Response("\ufeff" + body, mimetype="text/csv")
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/<int:assembly_id>/session/attendance.csv")
@login_required
@limiter.limit(export_rate_limit)
def attendance_csv(assembly_id: int):
    assembly, context = _load(assembly_id)
    _require(can_view_attendance_list(_account(), assembly, context.roles))
    return _csv_response(session_queries.attendance_csv(assembly), f"assembly-{assembly.id}-attendance.csv")


@bp.route("/<int:assembly_id>/session/results.csv")
@login_required
@limiter.limit(export_rate_limit)
def results_csv(assembly_id: int):
    assembly, context = _load(assembly_id)
    _require(can_view_attendance_list(_account(), assembly, context.roles))
    return _csv_response(session_queries.results_csv(assembly), f"assembly-{assembly.id}-results.csv")


# --- minutes ---------------------------------------------------------------------------------------
def _render_minutes(assembly, context, minutes, status: int = 200):
    account = _account()
    roles = context.roles
    version = ""
    text = None
    if minutes is not None:
        version, texts = pick_version(request.args.get("lang"), minutes.original_language, minutes.texts)
        text = texts[0] if texts else minutes.text
    return render_template(
        "assemblies/minutes/minutes.html", assembly=assembly, title=_title(assembly), minutes=minutes, text=text,
        version=version, languages=minutes_ops.minutes_languages(assembly), empty_form=EmptyForm,
        may_write=can_write_minutes(account, assembly, roles, minutes),
        may_approve=can_approve_minutes(account, assembly, roles, minutes),
        may_publish=can_publish_minutes(account, assembly, roles, minutes)), status


@bp.route("/<int:assembly_id>/minutes")
@login_required
def minutes(assembly_id: int):
    assembly, context = _load(assembly_id)
    account = _account()
    minutes = minutes_ops.minutes_of(assembly)
    if minutes is None:
        if not can_write_minutes(account, assembly, context.roles):
            abort(404)
    elif not can_read_minutes(account, assembly, minutes, on_roll=context.on_roll, roles=context.roles):
        abort(404)
    return _render_minutes(assembly, context, minutes)


def _minutes_action(assembly_id: int, allowed, act, done: str):
    assembly, context = _load(assembly_id)
    minutes = minutes_ops.minutes_of(assembly)
    _require(allowed(_account(), assembly, context.roles, minutes))
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        act(assembly, minutes)
    except DomainError as exc:
        return _refused(exc, lambda: _render_minutes(assembly, context, minutes)[0])
    db.session.commit()
    flash(done, "success")
    return redirect(url_for(".minutes", assembly_id=assembly.id), 303)


@bp.route("/<int:assembly_id>/minutes/generate", methods=["POST"])
@login_required
def generate_minutes(assembly_id: int):
    return _minutes_action(assembly_id, can_write_minutes,
                           lambda assembly, minutes: minutes_ops.generate_minutes(assembly, actor=_account()),
                           _("The draft minutes have been written from the agenda, the attendance and the results."))


@bp.route("/<int:assembly_id>/minutes/approve", methods=["POST"])
@login_required
def approve_minutes(assembly_id: int):
    return _minutes_action(assembly_id, can_approve_minutes,
                           lambda assembly, minutes: minutes_ops.approve_minutes(minutes, actor=_account()),
                           _("The minutes are approved."))


@bp.route("/<int:assembly_id>/minutes/publish", methods=["POST"])
@login_required
def publish_minutes(assembly_id: int):
    return _minutes_action(assembly_id, can_publish_minutes,
                           lambda assembly, minutes: minutes_ops.publish_minutes(minutes, actor=_account()),
                           _("The minutes are published: the members on the roll can read them."))


@bp.route("/<int:assembly_id>/minutes/edit", methods=["GET", "POST"])
@login_required
def edit_minutes(assembly_id: int):
    assembly, context = _load(assembly_id)
    minutes = minutes_ops.minutes_of(assembly)
    if minutes is None:
        abort(404)
    _require(can_write_minutes(_account(), assembly, context.roles, minutes))
    languages = minutes_ops.minutes_languages(assembly)
    form = minutes_form(languages, minutes.texts)

    def render(status: int = 200):
        return render_template("assemblies/minutes/edit.html", assembly=assembly, title=_title(assembly),
                               form=form), status

    if request.method == "GET":
        return render()
    if not form.validate_on_submit():
        return render(422)
    try:
        minutes_ops.edit_minutes(minutes, form.texts(), actor=_account())
    except DomainError as exc:
        return _refused(exc, lambda: render()[0])
    db.session.commit()
    flash(_("The minutes have been saved."), "success")
    return redirect(url_for(".minutes", assembly_id=assembly.id), 303)


def _readable_minutes(assembly_id: int, language: str):
    assembly, context = _load(assembly_id)
    minutes = minutes_ops.minutes_of(assembly)
    if minutes is None or not can_read_minutes(_account(), assembly, minutes, on_roll=context.on_roll,
                                               roles=context.roles):
        abort(404)
    if not minutes.texts.get(language):
        abort(404)
    return assembly, minutes


@bp.route("/<int:assembly_id>/minutes/<language>.html")
@login_required
@limiter.limit(export_rate_limit)
def minutes_html(assembly_id: int, language: str):
    assembly, minutes = _readable_minutes(assembly_id, language)
    response = Response(minutes_ops.minutes_html(minutes, language), mimetype="text/html")
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="assembly-{assembly.id}-minutes-{language}.html"'
    return response


@bp.route("/<int:assembly_id>/minutes/<language>.pdf")
@login_required
@limiter.limit(export_rate_limit)
def minutes_pdf(assembly_id: int, language: str):
    assembly, minutes = _readable_minutes(assembly_id, language)
    response = Response(minutes_ops.minutes_pdf(minutes, language), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="assembly-{assembly.id}-minutes-{language}.pdf"'
    return response
