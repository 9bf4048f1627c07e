"""Paper ballots, under /ballots/<id>/: the tellers' page (where things stand, checking members off the roll,
entering papers, their own entries), the comparison of a paper whose two entries differ (with the correction),
and the managers' page that designates the tellers. Rules in :mod:`governance.votes.paper`.

A ballot that does not exist, or that the reader may not see and does not count for, is 404; a reader who sees
it but is not one of its tellers (or managers, for the designation page) gets 403. Every change is a POST with
its CSRF token, calls one operation, commits once and redirects (303); a refusal shows the page again with the
reason and a 4xx status. GET never writes. Member ids travel in forms and query strings, never in the path.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user, login_required
from sqlalchemy import func, select
from wtforms import HiddenField, IntegerField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from governance.core.errors import DomainError
from governance.core.forms import BaseForm
from governance.extensions import db
from governance.members.models import Member
from governance.votes import paper, queries, web
from governance.votes.forms import vote_form
from governance.votes.models import Ballot, Participation, PaperState, RollEntry
from governance.votes.permissions import can_manage_ballot, can_view_ballot

bp = Blueprint("ballot_paper", __name__, template_folder="templates")

#: members listed by one search on the tellers' page
SEARCH_LIMIT = 20


# --- forms ---------------------------------------------------------------------------------------------
class PaperNumberForm(BaseForm):
    number = IntegerField(_l("Paper number"), validators=[InputRequired(message=_l("Give the paper's number.")),
                                                          NumberRange(min=1, message=_l("A paper's number is 1 or "
                                                                                        "more."))])
    submit = SubmitField(_l("Enter this paper"))


class MemberForm(BaseForm):
    """The member a teller acts for (found by the search), carried in a hidden field."""

    member_id = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Check off"))

    def member_id_value(self) -> int | None:
        try:
            return int(self.member_id.data)
        except (TypeError, ValueError):
            return None


class TellerForm(BaseForm):
    email = StringField(_l("Email address of the account"), validators=[
        DataRequired(message=_l("Give the email address of the account.")), Length(max=320)],
        render_kw={"autocomplete": "off", "spellcheck": "false"})
    submit = SubmitField(_l("Designate as teller"))


# --- loading -------------------------------------------------------------------------------------------
def _account():
    return current_user._get_current_object()


def _ballot(ballot_id: int) -> tuple[Ballot, queries.ViewerContext]:
    ballot = db.session.get(Ballot, ballot_id)
    if ballot is None:
        abort(404)
    return ballot, queries.viewer_context(_account(), ballot)


def _load_for_teller(ballot_id: int) -> Ballot:
    """404 for a ballot the reader neither sees nor counts for; 403 for one they see but do not count for."""
    ballot, context = _ballot(ballot_id)
    if paper.is_teller(_account(), ballot):
        return ballot
    if can_view_ballot(_account(), ballot, context.membership, on_roll=context.on_roll):
        abort(403)
    abort(404)


def _load_for_manager(ballot_id: int) -> Ballot:
    ballot, context = _ballot(ballot_id)
    if not can_view_ballot(_account(), ballot, context.membership, on_roll=context.on_roll) \
            and not paper.is_teller(_account(), ballot):
        abort(404)
    if not can_manage_ballot(_account(), ballot, context.membership):
        abort(403)
    return ballot


def _question(ballot: Ballot):
    return ballot.question


def _option_labels(ballot: Ballot) -> dict[int, object]:
    return {option.id: option.label for option in ballot.options}


def _refused(exc: DomainError, render):
    db.session.rollback()
    flash(str(exc), "error")
    return render(), exc.status_code


def _to_tellers_page(ballot: Ballot, anchor: str | None = None):
    return redirect(url_for(".tellers_page", ballot_id=ballot.id, _anchor=anchor), 303)


# --- the tellers' page ---------------------------------------------------------------------------------
def _search(ballot: Ballot, text: str) -> list[tuple[Member, bool]]:
    """Members on the roll whose number or name holds every word typed, with whether they have voted."""
    words = text.split()[:8]
    if not words:
        return []
    query = (select(Member, Participation.member_id.is_not(None))
             .join(RollEntry, (RollEntry.member_id == Member.id) & (RollEntry.ballot_id == ballot.id))
             .outerjoin(Participation, (Participation.member_id == Member.id)
                        & (Participation.ballot_id == ballot.id)))
    for word in words:
        word = word.lower()
        query = query.where(func.lower(Member.number).contains(word, autoescape=True)
                            | func.lower(Member.first_name).contains(word, autoescape=True)
                            | func.lower(Member.last_name).contains(word, autoescape=True))
    query = query.order_by(Member.last_name, Member.first_name, Member.number).limit(SEARCH_LIMIT + 1)
    return [(member, bool(voted)) for member, voted in db.session.execute(query).all()]


def _chosen_member(ballot: Ballot, member_id: int | None) -> Member | None:
    """A member on the ballot's roll (None for anyone else)."""
    if member_id is None or db.session.get(RollEntry, (ballot.id, member_id)) is None:
        return None
    return db.session.get(Member, member_id)


def _render_tellers_page(ballot: Ballot, *, entry_form=None, number_form=None, record_form=None,
                         record_member=None):
    account = _account()
    search = (request.args.get("q") or "").strip()[:200]
    found = _search(ballot, search) if search and ballot.is_open else []
    if ballot.is_secret:
        if number_form is None:
            number_form = PaperNumberForm(formdata=None)
        if entry_form is None:
            entry_form = vote_form(ballot, formdata=None)
    elif ballot.is_open:
        if record_member is None:
            record_member = _chosen_member(ballot, request.args.get("member", type=int))
        if record_member is not None and record_form is None:
            record_form = vote_form(ballot, formdata=None)
    return render_template(
        "votes/paper/tellers.html", ballot=ballot, question=_question(ballot),
        summary=paper.paper_summary(ballot) if ballot.is_secret else None,
        own=paper.own_entries(ballot, account) if ballot.is_secret else [], search=search,
        found=found[:SEARCH_LIMIT], more=len(found) > SEARCH_LIMIT, member_form=MemberForm(formdata=None),
        number_form=number_form, entry_form=entry_form, record_form=record_form, record_member=record_member,
        labels=_option_labels(ballot), words=lambda choice: web.choice_in_words(ballot, choice),
        turnout=queries.turnout(ballot) if not ballot.is_draft else None)


@bp.route("/<int:ballot_id>/paper")
@login_required
def tellers_page(ballot_id: int):
    ballot = _load_for_teller(ballot_id)
    return _render_tellers_page(ballot)


@bp.route("/<int:ballot_id>/paper/check-off", methods=["POST"])
@login_required
def check_off(ballot_id: int):
    ballot = _load_for_teller(ballot_id)
    form = MemberForm()
    member = _chosen_member(ballot, form.member_id_value()) if form.validate_on_submit() else None
    if member is None:
        flash(_("Choose a member on the electoral roll."), "error")
        return _render_tellers_page(ballot), 422
    try:
        paper.check_off(ballot, member, actor=_account())
    except DomainError as exc:
        return _refused(exc, lambda: _render_tellers_page(ballot))
    db.session.commit()
    flash(_("%(name)s (%(number)s) is checked off: their paper ballot goes into the box.",
            name=member.full_name, number=member.number), "success")
    return _to_tellers_page(ballot, "check-off-heading")


def _choice_or_none(ballot: Ballot, entry_form):
    return entry_form.choice() if entry_form.validate() else None


@bp.route("/<int:ballot_id>/paper/enter", methods=["POST"])
@login_required
def enter(ballot_id: int):
    ballot = _load_for_teller(ballot_id)
    if not ballot.is_secret:
        abort(404)
    number_form = PaperNumberForm()
    entry_form = vote_form(ballot)
    number_valid = number_form.validate_on_submit()
    choice = _choice_or_none(ballot, entry_form)

    def render():
        return _render_tellers_page(ballot, number_form=number_form, entry_form=entry_form)

    if not number_valid or choice is None:
        return render(), 422
    try:
        entered = paper.enter_paper(ballot, number_form.number.data, choice, actor=_account())
    except DomainError as exc:
        return _refused(exc, render)
    db.session.commit()
    return _after_entry(ballot, entered.number, entered.state)


def _after_entry(ballot: Ballot, number: int, state: str):
    if state == PaperState.accepted.value:
        flash(_("Paper %(number)s is accepted: both entries agree, and it is in the ballot box.", number=number),
              "success")
    elif state == PaperState.mismatch.value:
        flash(_("Paper %(number)s: the two entries differ. Compare them and correct yours if needed.",
                number=number), "error")
        return redirect(url_for(".compare", ballot_id=ballot.id, number=number), 303)
    else:
        flash(_("Paper %(number)s is entered. Another teller enters it too, without looking at your entry.",
                number=number), "success")
    return _to_tellers_page(ballot, "entry-heading")


@bp.route("/<int:ballot_id>/paper/<int:number>/withdraw", methods=["POST"])
@login_required
def withdraw(ballot_id: int, number: int):
    ballot = _load_for_teller(ballot_id)
    if not ballot.is_secret or paper.get_paper(ballot, number) is None:
        abort(404)
    from governance.core.forms import EmptyForm

    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        paper.withdraw_entry(ballot, number, actor=_account())
    except DomainError as exc:
        return _refused(exc, lambda: _render_tellers_page(ballot))
    db.session.commit()
    flash(_("Your entry of paper %(number)s is withdrawn.", number=number), "success")
    return _to_tellers_page(ballot, "own-heading")


@bp.route("/<int:ballot_id>/paper/record", methods=["POST"])
@login_required
def record(ballot_id: int):
    """A roll-call ballot: a teller records a member's paper vote (no double entry: the choice is public)."""
    ballot = _load_for_teller(ballot_id)
    if ballot.is_secret:
        abort(404)
    member_form = MemberForm()
    member = _chosen_member(ballot, member_form.member_id_value()) if member_form.validate_on_submit() else None
    if member is None:
        flash(_("Choose a member on the electoral roll."), "error")
        return _render_tellers_page(ballot), 422
    record_form = vote_form(ballot)
    choice = _choice_or_none(ballot, record_form)

    def render():
        return _render_tellers_page(ballot, record_form=record_form, record_member=member)

    if choice is None:
        return render(), 422
    try:
        cast = paper.record_paper_vote(ballot, member, choice, actor=_account())
    except DomainError as exc:
        return _refused(exc, render)
    db.session.commit()
    flash(_("The paper vote of %(name)s (%(number)s) has been changed.", name=member.full_name,
            number=member.number) if cast.replaced else
          _("The paper vote of %(name)s (%(number)s) has been recorded.", name=member.full_name,
            number=member.number), "success")
    return _to_tellers_page(ballot, "record-heading")


# --- comparing a paper's two entries -------------------------------------------------------------------
@bp.route("/<int:ballot_id>/paper/<int:number>", methods=["GET", "POST"])
@login_required
def compare(ballot_id: int, number: int):
    """A paper: its state; for a mismatch, both entries side by side and the correction of one's own."""
    ballot = _load_for_teller(ballot_id)
    if not ballot.is_secret:
        abort(404)
    found = paper.get_paper(ballot, number)
    if found is None:
        abort(404)
    comparison = next((c for c in paper.mismatches(ballot) if c.number == number), None) \
        if found.state == PaperState.mismatch.value else None
    account = _account()
    own = next((e for e in found.entries if e.teller_id == account.id), None)
    may_correct = found.state != PaperState.accepted.value and (own is not None or len(found.entries) < 2)
    form = vote_form(ballot) if request.method == "POST" else vote_form(ballot, formdata=None)
    if request.method == "GET" and own is not None:
        form.fill(own.choice)

    def render():
        rows = _comparison_rows(ballot, comparison) if comparison is not None else []
        return render_template("votes/paper/compare.html", ballot=ballot, question=_question(ballot), paper=found,
                               comparison=comparison, rows=rows, own=own, form=form if may_correct else None,
                               labels=_option_labels(ballot),
                               words=lambda choice: web.choice_in_words(ballot, choice))

    if request.method == "GET":
        return render()
    if not may_correct:
        abort(409)
    if not form.validate_on_submit():
        return render(), 422
    try:
        entered = paper.enter_paper(ballot, number, form.choice(), actor=account)
    except DomainError as exc:
        return _refused(exc, render)
    db.session.commit()
    return _after_entry(ballot, number, entered.state)


def _comparison_rows(ballot: Ballot, comparison: paper.Comparison) -> list[dict]:
    """One row per position: what each entry reads there, and whether they differ."""
    readings = [web.choice_in_words(ballot, entry.choice) for entry in comparison.entries]
    length = max(len(r) for r in readings)
    rows = []
    for index in range(length):
        rows.append({"position": index + 1,
                     "cells": [r[index] if index < len(r) else None for r in readings],
                     "differs": (index + 1) in comparison.differing})
    return rows


# --- the managers' designation of tellers --------------------------------------------------------------
def _render_designation(ballot: Ballot, form=None):
    return render_template("votes/paper/designate.html", ballot=ballot, question=_question(ballot),
                           tellers=paper.tellers(ballot), form=form or TellerForm(formdata=None),
                           may_change=ballot.is_draft or ballot.is_open,
                           summary=paper.paper_summary(ballot) if ballot.is_secret and not ballot.is_draft else None)


@bp.route("/<int:ballot_id>/tellers", methods=["GET", "POST"])
@login_required
def designate(ballot_id: int):
    ballot = _load_for_manager(ballot_id)
    form = TellerForm() if request.method == "POST" else TellerForm(formdata=None)
    if request.method == "GET":
        return _render_designation(ballot, form)
    if not form.validate_on_submit():
        return _render_designation(ballot, form), 422
    from governance.accounts.models import Account

    account = db.session.execute(select(Account).where(
        Account.email == form.email.data.lower())).scalar_one_or_none()
    if account is None:
        form.email.errors.append(_("No account has this email address."))
        return _render_designation(ballot, form), 422
    try:
        paper.add_teller(ballot, account, actor=_account())
    except DomainError as exc:
        return _refused(exc, lambda: _render_designation(ballot, form))
    db.session.commit()
    flash(_("%(name)s is now a teller of this ballot.", name=account.display_name), "success")
    return redirect(url_for(".designate", ballot_id=ballot.id), 303)


@bp.route("/<int:ballot_id>/tellers/<int:account_id>/remove", methods=["POST"])
@login_required
def remove(ballot_id: int, account_id: int):
    ballot = _load_for_manager(ballot_id)
    from governance.accounts.models import Account
    from governance.core.forms import EmptyForm

    account = db.session.get(Account, account_id)
    if account is None or not any(t.id == account_id for t in paper.tellers(ballot)):
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        discarded = paper.remove_teller(ballot, account, actor=_account())
    except DomainError as exc:
        return _refused(exc, lambda: _render_designation(ballot))
    db.session.commit()
    message = _("%(name)s is no longer a teller of this ballot.", name=account.display_name)
    if discarded:
        message += " " + ngettext("Their entry of %(num)s paper not yet accepted has been discarded.",
                                  "Their entries of %(num)s papers not yet accepted have been discarded.", discarded)
    flash(message, "success")
    return redirect(url_for(".designate", ballot_id=ballot.id), 303)


# --- for the ballot's own pages ------------------------------------------------------------------------
@bp.app_context_processor
def paper_helpers():
    return {"paper_links": paper_links, "paper_close_summary": paper_close_summary}


def paper_links(ballot: Ballot) -> list[tuple[str, str]]:
    """Links for the ballot page: the tellers' page (tellers) and the designation of tellers (managers)."""
    account = _account()
    if not getattr(account, "is_authenticated", False) or ballot.id is None:
        return []
    links = []
    if paper.is_teller(account, ballot) and not ballot.is_draft:
        links.append((url_for("ballot_paper.tellers_page", ballot_id=ballot.id), _("Tellers: paper ballots")))
    context = queries.viewer_context(account, ballot)
    if can_manage_ballot(account, ballot, context.membership):
        links.append((url_for("ballot_paper.designate", ballot_id=ballot.id), _("Tellers of this ballot")))
    return links


def paper_close_summary(ballot: Ballot) -> paper.PaperSummary | None:
    """For the close page: the paper counts of a secret ballot that has tellers or papers (else None)."""
    if not ballot.is_secret or not paper.has_paper_activity(ballot):
        return None
    return paper.paper_summary(ballot)
