"""Boards and board elections, under /boards/: the boards, a board's public page (current directors, past
mandates, its elections; for its managers the mandates ending soon and adding or ending a mandate), the board's
settings, an election's definition and balanced-representation rules, the call for candidates, candidacies
(submitting, editing, withdrawing), the review of candidacies, freezing the list, opening the vote, the result
with the full count and its confirmation.

Voting itself happens on the ballot's own pages (``/ballots/<id>``): once the list is frozen the election has a
ballot, and its page links there.

Each view loads its objects (404 when they do not exist, or when the reader may not see the election: a draft is
only its board managers'), checks the permission (403), validates (422 with what was typed), calls one operation,
commits once and redirects (303). A refusal by a rule of the operations (a deadline passed, a state changed) is
flashed with its 4xx status and nothing is kept.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from governance.core.db_types import utcnow
from governance.core.errors import DomainError
from governance.core.forms import EmptyForm
from governance.core.i18n import pick_version
from governance.elections import operations as ops
from governance.elections import queries
from governance.elections.forms import (
    GROUP_SCOPE,
    BoardForm,
    ConstraintsForm,
    EndMandateForm,
    MandateForm,
    NewBoardForm,
    ReasonForm,
    ReviewForm,
    candidacy_form,
    election_form,
)
from governance.elections.models import (
    DEFAULT_TERM_YEARS,
    EXPIRY_WARNING_MONTHS,
    Board,
    Candidacy,
    CandidacyState,
    ConstraintCategory,
    Election,
    ElectionState,
    Gender,
    Mandate,
)
from governance.elections.permissions import (
    call_is_open,
    can_manage_any_board,
    can_manage_board,
    can_review,
    can_stand,
    can_view_election,
)
from governance.extensions import db
from governance.members.models import Branch, Member
from governance.workgroups.queries import all_branches, content_languages

bp = Blueprint("elections", __name__, template_folder="templates")


@bp.record_once
def _register_home_section(state) -> None:
    from governance.elections import home

    home.register(state.app)


@bp.app_context_processor
def election_predicates():
    return {"can_manage_board": can_manage_board, "can_view_election": can_view_election,
            "can_stand": can_stand, "can_review_candidacies": can_review}


def _account():
    return current_user._get_current_object()


def _require(allowed: bool) -> None:
    if not allowed:
        abort(403)


def _refused(exc: DomainError, render):
    """A domain rule refused the action: nothing is kept; the page again, with the reason and a 4xx."""
    db.session.rollback()
    flash(str(exc), "error")
    return render(), exc.status_code


def _status(form_sent: bool) -> int:
    return 422 if form_sent else 200


def board_today(board: Board) -> dt.date:
    """Today in the board's time zone (mandate dates are the board's local dates)."""
    return dt.datetime.now(ZoneInfo(board.timezone)).date()


def _languages() -> list[str]:
    return content_languages(branches=all_branches())


def _reader_language(languages: list[str]) -> str:
    reader = str(get_locale() or "en")
    return reader if reader in languages else languages[0]


# --- loaders ---------------------------------------------------------------------------------------
def _load_board(board_id: int) -> Board:
    board = db.session.get(Board, board_id)
    if board is None:
        abort(404)
    return board


def _load_election(election_id: int) -> Election:
    election = db.session.get(Election, election_id)
    if election is None or not can_view_election(_account(), election):
        abort(404)
    return election


def _load_mandate(board: Board, mandate_id: int) -> Mandate:
    mandate = db.session.get(Mandate, mandate_id)
    if mandate is None or mandate.board_id != board.id:
        abort(404)
    return mandate


def _load_candidacy(election: Election, candidacy_id: int) -> Candidacy:
    candidacy = db.session.get(Candidacy, candidacy_id)
    if candidacy is None or candidacy.election_id != election.id:
        abort(404)
    return candidacy


def _my_candidacy(election: Election) -> Candidacy | None:
    return queries.candidacy_of(election, _account().member)


def _to_board(board: Board, anchor: str | None = None):
    return redirect(url_for(".board", board_id=board.id) + (f"#{anchor}" if anchor else ""), 303)


def _to_election(election: Election, anchor: str | None = None):
    return redirect(url_for(".election", election_id=election.id) + (f"#{anchor}" if anchor else ""), 303)


# --- the boards ------------------------------------------------------------------------------------
def _board_figures(boards: list[Board]) -> dict[int, tuple[int, dt.date | None]]:
    """Board id → (directors today, the earliest end of term among them), in one query. "Today" is taken in
    Brussels for every board here (a day's difference at midnight does not matter on the list)."""
    if not boards:
        return {}
    today = dt.datetime.now(ZoneInfo("Europe/Brussels")).date()
    rows = db.session.execute(
        select(Mandate.board_id, func.count(Mandate.id), func.min(Mandate.ends_on))
        .where(Mandate.board_id.in_([b.id for b in boards]), Mandate.starts_on <= today, Mandate.ends_on > today,
               (Mandate.ended_on.is_(None)) | (Mandate.ended_on > today))
        .group_by(Mandate.board_id)).all()
    return {board_id: (count, first_end) for board_id, count, first_end in rows}


@bp.route("/")
@login_required
def boards():
    listed = queries.boards_list()
    return render_template("elections/index.html", boards=listed, figures=_board_figures(listed),
                           manages_boards=can_manage_any_board(_account()))


def _new_board_scopes(account) -> list[tuple[str, str]]:
    """The boards the account may set up that do not exist yet: the group's, then branches by name."""
    existing = {board.scope_key for board in queries.boards_list()}
    scopes = []
    if Board.scope_for(None) not in existing and can_manage_board(account, Board(branch_id=None)):
        scopes.append((GROUP_SCOPE, _("The whole cooperative")))
    for branch in sorted(all_branches(), key=lambda b: str(b.name)):
        if Board.scope_for(branch.id) not in existing and can_manage_board(account, Board(branch_id=branch.id)):
            scopes.append((str(branch.id), str(branch.name)))
    return scopes


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create_board():
    account = _account()
    _require(can_manage_any_board(account))
    form = NewBoardForm()
    form.set_scopes(_new_board_scopes(account))
    if request.method == "GET":
        form.term_years.data = DEFAULT_TERM_YEARS

    def render():
        return render_template("elections/board_new.html", form=form)

    if not form.scope.choices:
        flash(_("Every board you may set up exists already."), "info")
        return redirect(url_for(".boards"), 303)
    if not form.validate_on_submit():
        return render(), _status(request.method == "POST")
    branch = None if form.scope.data == GROUP_SCOPE else db.session.get(Branch, int(form.scope.data))
    try:
        board = ops.create_board(actor=account, branch=branch, seats=form.seats.data, term_years=form.term_years.data)
    except DomainError as exc:
        return _refused(exc, render)
    db.session.commit()
    flash(_("The board has been set up. Add its current directors, then plan its elections."), "success")
    return _to_board(board)


def _render_board(board: Board, status: int = 200):
    account = _account()
    today = board_today(board)
    manager = can_manage_board(account, board)
    elections = [e for e in queries.elections_of(board) if can_view_election(account, e)]
    expiring = queries.expiring_mandates(today, boards=[board]) if manager else []
    return render_template(
        "elections/board.html", board=board, today=today, manager=manager,
        current=queries.current_mandates(board, today), past=queries.past_mandates(board, today),
        elections=elections, expiring=expiring, months=EXPIRY_WARNING_MONTHS), status


@bp.route("/<int:board_id>")
@login_required
def board(board_id: int):
    return _render_board(_load_board(board_id))


@bp.route("/<int:board_id>/settings", methods=["GET", "POST"])
@login_required
def settings(board_id: int):
    board = _load_board(board_id)
    account = _account()
    _require(can_manage_board(account, board))
    form = BoardForm()
    if request.method == "GET":
        form.seats.data, form.term_years.data = board.seats, board.term_years

    def render():
        return render_template("elections/board_settings.html", board=board, form=form)

    if not form.validate_on_submit():
        return render(), _status(request.method == "POST")
    try:
        ops.update_board(board, actor=account, seats=form.seats.data, term_years=form.term_years.data)
    except DomainError as exc:
        return _refused(exc, render)
    db.session.commit()
    flash(_("The board's settings have been saved."), "success")
    return _to_board(board)


@bp.route("/<int:board_id>/mandates/new", methods=["GET", "POST"])
@login_required
def add_mandate(board_id: int):
    board = _load_board(board_id)
    account = _account()
    _require(can_manage_board(account, board))
    form = MandateForm()
    if request.method == "GET":
        form.starts_on.data = board_today(board)
        try:
            form.ends_on.data = form.starts_on.data.replace(year=form.starts_on.data.year + board.term_years)
        except ValueError:  # 29 February
            form.ends_on.data = form.starts_on.data + dt.timedelta(days=365 * board.term_years)

    def render():
        return render_template("elections/mandate_form.html", board=board, form=form)

    if not form.validate_on_submit():
        return render(), _status(request.method == "POST")
    member = db.session.execute(select(Member).where(Member.number == form.member_number.data)).scalar_one_or_none()
    if member is None:
        form.member_number.errors.append(_("No member has this number."))
        return render(), 422
    try:
        ops.add_mandate(board, member, actor=account, starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                        origin=form.origin.data, note=form.note.data or None)
    except DomainError as exc:
        return _refused(exc, render)
    db.session.commit()
    flash(_("The mandate of %(name)s has been added.", name=member.full_name), "success")
    return _to_board(board, "current")


@bp.route("/<int:board_id>/mandates/<int:mandate_id>/end", methods=["GET", "POST"])
@login_required
def end_mandate(board_id: int, mandate_id: int):
    board = _load_board(board_id)
    mandate = _load_mandate(board, mandate_id)
    account = _account()
    _require(can_manage_board(account, board))
    member = db.session.get(Member, mandate.member_id)
    form = EndMandateForm()
    if request.method == "GET":
        form.ended_on.data = board_today(board)

    def render():
        return render_template("elections/end_mandate.html", board=board, mandate=mandate, member=member, form=form)

    if not form.validate_on_submit():
        return render(), _status(request.method == "POST")
    try:
        ops.end_mandate(mandate, actor=account, ended_on=form.ended_on.data, reason=form.reason.data,
                        note=form.note.data or None)
    except DomainError as exc:
        return _refused(exc, render)
    db.session.commit()
    flash(_("The mandate of %(name)s has ended.", name=member.full_name), "success")
    return _to_board(board, "past")


# --- defining an election --------------------------------------------------------------------------
def _default_timeline(form, board: Board) -> None:
    """A new election's proposed dates: the term starts when the first current mandate ends (else in three
    months); the call opens tomorrow for four weeks; the vote follows for a week; times at 9:00 and 18:00 local."""
    today = board_today(board)
    expiring = queries.expiring_mandates(today, boards=[board])
    starts = min((m.ends_on for m in expiring), default=today + dt.timedelta(days=90))
    try:
        ends = starts.replace(year=starts.year + board.term_years)
    except ValueError:
        ends = starts + dt.timedelta(days=365 * board.term_years)
    call = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(9, 0))
    form.term_starts_on.data, form.term_ends_on.data = starts, ends
    form.candidacy_opens_at.data = call
    form.candidacy_deadline.data = call + dt.timedelta(days=28, hours=9)
    form.voting_opens_at.data = call + dt.timedelta(days=35)
    form.voting_closes_at.data = call + dt.timedelta(days=42, hours=9)
    # the seats whose term ends by then, and those vacant today
    vacant = max(board.seats - len(queries.current_mandates(board, today)), 0)
    form.seats.data = min(max(queries.seats_expiring(board, starts, today=today) + vacant, 1), board.seats)


def _render_election_form(form, board: Board, election: Election | None = None, status: int = 200):
    return render_template("elections/election_form.html", form=form, board=board, election=election,
                           zone=board.timezone), status


@bp.route("/<int:board_id>/elections/new", methods=["GET", "POST"])
@login_required
def create_election(board_id: int):
    board = _load_board(board_id)
    account = _account()
    _require(can_manage_board(account, board))
    languages = _languages()
    form = election_form(languages, zone=board.timezone)
    if request.method == "GET":
        form.original_language.data = _reader_language(languages)
        form.eligible_statuses.data = ["active"]
        _default_timeline(form, board)
    if not form.validate_on_submit():
        return _render_election_form(form, board, status=_status(request.method == "POST"))
    try:
        election = ops.create_election(board, actor=account, **form.fields_for_operation())
    except DomainError as exc:
        return _refused(exc, lambda: _render_election_form(form, board)[0])
    db.session.commit()
    flash(_("The election has been saved as a draft. Add balanced-representation rules if you need them, then "
            "open the call for candidates."), "success")
    return _to_election(election)


@bp.route("/elections/<int:election_id>/edit", methods=["GET", "POST"])
@login_required
def edit_election(election_id: int):
    election = _load_election(election_id)
    board = election.board
    account = _account()
    _require(can_manage_board(account, board))
    if election.state != ElectionState.draft.value:
        abort(409)
    languages = _languages()
    for code in election.titles:
        if code not in languages:
            languages.append(code)
    form = election_form(languages, zone=board.timezone)
    if request.method == "GET":
        form.fill(election)
    if not form.validate_on_submit():
        return _render_election_form(form, board, election, status=_status(request.method == "POST"))
    try:
        ops.update_election(election, actor=account, **form.fields_for_operation())
    except DomainError as exc:
        return _refused(exc, lambda: _render_election_form(form, board, election)[0])
    db.session.commit()
    flash(_("The election has been saved."), "success")
    return _to_election(election)


def _branch_codes() -> list[str]:
    return [b.code for b in all_branches()]


@bp.route("/elections/<int:election_id>/constraints", methods=["GET", "POST"])
@login_required
def constraints(election_id: int):
    election = _load_election(election_id)
    account = _account()
    _require(can_manage_board(account, election.board))
    if election.state not in (ElectionState.draft.value, ElectionState.call_open.value):
        abort(409)
    form = ConstraintsForm()
    if request.method == "GET":
        form.fill(election.constraints)
    form.set_choices(_branch_codes())

    def render():
        return render_template("elections/constraints.html", election=election, title=election.title, form=form)

    if not form.validate_on_submit():
        return render(), _status(request.method == "POST")
    try:
        ops.set_constraints(election, form.constraint_rows(), actor=account)
    except DomainError as exc:
        return _refused(exc, render)
    db.session.commit()
    flash(_("The balanced-representation rules have been saved."), "success")
    return _to_election(election, "rules")


# --- the managers' steps ---------------------------------------------------------------------------
#: the states from which each step can be taken (otherwise its page answers 409)
STEP_STATES = {
    "open_call": {ElectionState.draft.value},
    "cancel": {ElectionState.draft.value, ElectionState.call_open.value, ElectionState.list_frozen.value,
               ElectionState.voting.value},
    "freeze": {ElectionState.call_open.value},
    "open_voting": {ElectionState.list_frozen.value},
    "confirm": {ElectionState.counted.value},
}


def _manager_step(election_id: int, kind: str, act, done: str, *, form_class=EmptyForm, target=None):
    """A confirmation page (GET) and the step (POST): open the call, cancel, freeze the list, open the vote,
    confirm the result."""
    election = _load_election(election_id)
    account = _account()
    _require(can_manage_board(account, election.board))
    if election.state not in STEP_STATES[kind]:
        abort(409)
    form = form_class()

    def render():
        return render_template("elections/action.html", election=election, title=election.title, kind=kind,
                               form=form, summary=_review_summary(election) if kind == "freeze" else None)

    if not form.validate_on_submit():
        return render(), _status(request.method == "POST")
    try:
        act(election, form, account)
    except DomainError as exc:
        return _refused(exc, render)
    db.session.commit()
    flash(done, "success")
    return redirect(target(election) if target else url_for(".election", election_id=election.id), 303)


def _review_summary(election: Election) -> dict[str, int]:
    counts = {state.value: 0 for state in CandidacyState}
    for candidacy in queries.candidacies_of(election):
        counts[candidacy.state] = counts.get(candidacy.state, 0) + 1
    return counts


@bp.route("/elections/<int:election_id>/open-call", methods=["GET", "POST"])
@login_required
def open_call(election_id: int):
    return _manager_step(election_id, "open_call", lambda e, f, a: ops.open_call(e, actor=a),
                         _("The call for candidates is open: the members who may vote have been told."))


@bp.route("/elections/<int:election_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(election_id: int):
    return _manager_step(election_id, "cancel", lambda e, f, a: ops.cancel_election(e, f.reason.data, actor=a),
                         _("The election has been cancelled."), form_class=ReasonForm)


@bp.route("/elections/<int:election_id>/freeze", methods=["GET", "POST"])
@login_required
def freeze(election_id: int):
    return _manager_step(election_id, "freeze", lambda e, f, a: ops.freeze_list(e, actor=a),
                         _("The list of candidates is frozen and the ballot is ready."))


@bp.route("/elections/<int:election_id>/open-voting", methods=["GET", "POST"])
@login_required
def open_voting(election_id: int):
    return _manager_step(election_id, "open_voting", lambda e, f, a: ops.open_voting(e, actor=a),
                         _("The vote is open: members vote on the ballot's page."))


@bp.route("/elections/<int:election_id>/confirm", methods=["GET", "POST"])
@login_required
def confirm(election_id: int):
    return _manager_step(election_id, "confirm", lambda e, f, a: ops.confirm_result(e, actor=a),
                         _("The result is confirmed: the mandates of the elected candidates have been created."),
                         target=lambda e: url_for(".result", election_id=e.id) + "#new-board")


# --- an election's page ----------------------------------------------------------------------------
def _public_candidacies(election: Election) -> list[Candidacy]:
    """The candidates every reader sees: accepted ones, and while the call is open those waiting for review."""
    states = [CandidacyState.accepted.value]
    if election.state in (ElectionState.draft.value, ElectionState.call_open.value):
        states.append(CandidacyState.submitted.value)
    return queries.candidacies_of(election, states=states)


def _render_election(election: Election, status: int = 200):
    account = _account()
    member = account.member
    now = utcnow()
    version, texts = pick_version(request.args.get("lang"), election.original_language, election.titles,
                                  election.descriptions)
    title, description = texts or (election.title, election.description)
    mine = _my_candidacy(election)
    problems: list[str] = []
    may_stand = False
    if member is not None and mine is None and call_is_open(election, now):
        problems = ops.eligibility_problems(election, member, now=now)
        may_stand = not problems
    manager = can_manage_board(account, election.board)
    return render_template(
        "elections/election.html", election=election, board=election.board, title=title, description=description,
        version=version, candidacies=_public_candidacies(election), mine=mine, may_stand=may_stand,
        problems=problems, manager=manager, reviewer=can_review(account, election), now=now,
        before_deadline=now < _aware(election.candidacy_deadline),
        group_labels=_group_labels(election)), status


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.timezone.utc)


def _group_labels(election: Election) -> dict[str, str]:
    """"category:group" → the group's name, for the rules and the count's explanations."""
    labels = {f"gender:{g.value}": g.label for g in Gender}
    codes = {c.group_key for c in election.constraints if c.category == ConstraintCategory.branch.value}
    if codes:
        for branch in db.session.execute(select(Branch).where(Branch.code.in_(codes))).scalars():
            labels[f"branch:{branch.code}"] = branch.name
    return labels


@bp.route("/elections/<int:election_id>")
@login_required
def election(election_id: int):
    return _render_election(_load_election(election_id))


# --- candidacies -----------------------------------------------------------------------------------
def _candidacy_languages(candidacy: Candidacy | None = None) -> list[str]:
    languages = _languages()
    for code in (candidacy.statements if candidacy is not None else ()):
        if code not in languages:
            languages.append(code)
    return languages


def _render_candidacy_form(form, election: Election, candidacy: Candidacy | None = None, status: int = 200):
    return render_template("elections/candidacy_form.html", form=form, election=election, title=election.title,
                           candidacy=candidacy), status


@bp.route("/elections/<int:election_id>/candidacy", methods=["GET", "POST"])
@login_required
def stand(election_id: int):
    election = _load_election(election_id)
    account = _account()
    _require(can_stand(account, election))
    if _my_candidacy(election) is not None:
        return redirect(url_for(".edit_candidacy", election_id=election.id), 303)
    languages = _candidacy_languages()
    form = candidacy_form(languages, asks_gender=election.has_gender_constraint())
    if request.method == "GET":
        form.original_language.data = _reader_language(languages)
    if not form.validate_on_submit():
        return _render_candidacy_form(form, election, status=_status(request.method == "POST"))
    try:
        ops.submit_candidacy(election, account.member, actor=account, **form.fields_for_operation())
    except DomainError as exc:
        return _refused(exc, lambda: _render_candidacy_form(form, election)[0])
    db.session.commit()
    flash(_("Your candidacy has been submitted. The board's secretary checks it after the deadline."), "success")
    return _to_election(election, "my-candidacy")


def _own_candidacy(election: Election) -> Candidacy:
    """The reader's own candidacy (403 without a member; 404 without a candidacy)."""
    if _account().member is None:
        abort(403)
    candidacy = _my_candidacy(election)
    if candidacy is None:
        abort(404)
    return candidacy


@bp.route("/elections/<int:election_id>/candidacy/edit", methods=["GET", "POST"])
@login_required
def edit_candidacy(election_id: int):
    election = _load_election(election_id)
    candidacy = _own_candidacy(election)
    account = _account()
    if not candidacy.is_active:
        abort(409)
    languages = _candidacy_languages(candidacy)
    form = candidacy_form(languages, asks_gender=election.has_gender_constraint())
    form.submit.label.text = _("Save my candidacy")
    if request.method == "GET":
        form.fill(candidacy)
    if not form.validate_on_submit():
        return _render_candidacy_form(form, election, candidacy, status=_status(request.method == "POST"))
    try:
        ops.update_candidacy(candidacy, actor=account, **form.fields_for_operation())
    except DomainError as exc:
        return _refused(exc, lambda: _render_candidacy_form(form, election, candidacy)[0])
    db.session.commit()
    flash(_("Your candidacy has been saved."), "success")
    return _to_election(election, "my-candidacy")


@bp.route("/elections/<int:election_id>/candidacy/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(election_id: int):
    election = _load_election(election_id)
    candidacy = _own_candidacy(election)
    account = _account()
    if not candidacy.is_active:
        abort(409)
    form = EmptyForm()

    def render():
        return render_template("elections/withdraw.html", election=election, title=election.title,
                               candidacy=candidacy, form=form)

    if not form.validate_on_submit():
        return render(), _status(request.method == "POST")
    try:
        ops.withdraw_candidacy(candidacy, actor=account)
    except DomainError as exc:
        return _refused(exc, render)
    db.session.commit()
    flash(_("Your candidacy has been withdrawn."), "success")
    return _to_election(election)


# --- the review ------------------------------------------------------------------------------------
def _render_review(election: Election, forms: dict[int, ReviewForm] | None = None, status: int = 200):
    candidacies = queries.candidacies_of(election)
    now = utcnow()
    problems = {c.id: ops.eligibility_problems(election, c.member, now=now)
                for c in candidacies if c.state == CandidacyState.submitted.value}
    forms = forms or {}
    for candidacy in candidacies:
        if candidacy.is_active and candidacy.id not in forms:
            form = ReviewForm(formdata=None, prefix=f"c{candidacy.id}")
            form.decision.data = "accept" if not problems.get(candidacy.id) else "refuse"
            forms[candidacy.id] = form
    return render_template("elections/review.html", election=election, title=election.title,
                           candidacies=candidacies, problems=problems, forms=forms,
                           may_review=election.state == ElectionState.call_open.value), status


@bp.route("/elections/<int:election_id>/review")
@login_required
def review(election_id: int):
    election = _load_election(election_id)
    _require(can_review(_account(), election))
    return _render_review(election)


@bp.route("/elections/<int:election_id>/candidacies/<int:candidacy_id>/review", methods=["POST"])
@login_required
def review_candidacy(election_id: int, candidacy_id: int):
    election = _load_election(election_id)
    candidacy = _load_candidacy(election, candidacy_id)
    account = _account()
    _require(can_review(account, election))
    form = ReviewForm(prefix=f"c{candidacy.id}")
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _render_review(election, {candidacy.id: form}, status=422)
    try:
        ops.review_candidacy(candidacy, actor=account, accept=form.decision.data == "accept",
                             reason=form.reason.data or None)
    except DomainError as exc:
        return _refused(exc, lambda: _render_review(election, {candidacy.id: form})[0])
    db.session.commit()
    member = db.session.get(Member, candidacy.member_id)
    if form.decision.data == "accept":
        flash(_("The candidacy of %(name)s has been accepted.", name=member.full_name), "success")
    else:
        flash(_("The candidacy of %(name)s has been refused.", name=member.full_name), "success")
    return redirect(url_for(".review", election_id=election.id) + f"#candidacy-{candidacy.id}", 303)


# --- the result ------------------------------------------------------------------------------------
def number_text(value) -> str:
    """A vote total as stored (an int, or an exact decimal string for STV) in the reader's locale."""
    if value is None or value == "":
        return ""
    number = Decimal(str(value))
    if number == number.to_integral_value():
        return format_decimal(int(number))
    return format_decimal(number.normalize(), "#,##0.00###")


def stage_rows(count: dict, names: dict[str, str]) -> dict:
    """The stored STV count as the table of the result page: one column per stage, one row per candidate with
    what the stage transferred to them and their total after it, then the non-transferable papers and the loss
    from truncation."""
    stages = list(count.get("stages") or ())
    candidates = [str(c) for c in count.get("candidates") or ()]
    rows = []
    for key in candidates:
        cells = []
        for stage in stages:
            transfers = stage.get("transfers") or {}
            total = (stage.get("totals") or {}).get(key)
            moved = transfers.get(key)
            cells.append({"total": number_text(total), "moved": number_text(moved) if moved not in (None, 0, "0")
                          and Decimal(str(moved)) != 0 else "",
                          "elected": key in (stage.get("elected") or ()),
                          "excluded": key in (stage.get("excluded") or ())
                          or (stage.get("action") == "exclusion" and stage.get("candidate") == key)})
        rows.append({"key": key, "name": names.get(key, key), "cells": cells})
    columns = [{"number": stage.get("number"), "action": stage.get("action"), "candidate": stage.get("candidate"),
                "candidate_name": names.get(str(stage.get("candidate")), stage.get("candidate") or ""),
                "surplus": number_text(stage.get("surplus")),
                "excluded": [names.get(str(k), k) for k in stage.get("excluded") or ()],
                "elected": [names.get(str(k), k) for k in stage.get("elected") or ()],
                "non_transferable": number_text(stage.get("non_transferable")),
                "non_transferable_now": number_text(stage.get("non_transferable_now")),
                "loss": number_text(stage.get("loss")),
                "constraint_actions": list(stage.get("constraint_actions") or ())} for stage in stages]
    return {"columns": columns, "rows": rows}


def _load_result(election_id: int) -> Election:
    election = _load_election(election_id)
    if election.state not in (ElectionState.counted.value, ElectionState.confirmed.value):
        abort(404)
    return election


@bp.route("/elections/<int:election_id>/result")
@login_required
def result(election_id: int):
    election = _load_result(election_id)
    account = _account()
    summary = queries.election_result(election)
    ballot = summary.ballot if summary is not None else None
    count = summary.count if summary is not None else {}
    names = summary.names if summary is not None else {}
    new_board = []
    if election.state == ElectionState.confirmed.value:
        new_board = queries.current_mandates(election.board, max(board_today(election.board),
                                                                  election.term_starts_on))
    return render_template(
        "elections/result.html", election=election, board=election.board, title=election.title, ballot=ballot,
        summary=summary, count=count, names=names,
        table=stage_rows(count, names) if election.method == "stv" and count.get("stages") else None,
        elected=summary.elected_names if summary is not None else [],
        constrained=summary is not None and summary.constrained, group_labels=_group_labels(election),
        manager=can_manage_board(account, election.board), new_board=new_board,
        downloads=_downloads(ballot) if ballot is not None and ballot.is_closed else [])


def _downloads(ballot) -> list[tuple[str, str]]:
    kinds = [("results.csv", _("Results (CSV)")), ("results.json", _("Results (JSON)"))]
    if ballot.is_ranked:
        kinds.append(("ballots.blt", _("Every ballot paper, without receipts (BLT, for independent counting tools)")))
    return [(url_for("votes.download", ballot_id=ballot.id, kind=kind), label) for kind, label in kinds]


@bp.app_template_filter("board_name")
def board_name(board: Board) -> str:
    """"Board of directors of the cooperative" or "Board of directors: Belgium"."""
    if board.branch is None:
        return _("Board of directors of the cooperative")
    # i18n: the board of a branch; the branch's name follows
    return _("Board of directors: %(branch)s", branch=board.branch.name)


@bp.app_template_filter("constraint_category_label")
def constraint_category_label(code: str) -> str:
    try:
        return ConstraintCategory(code).label
    except ValueError:
        return code
