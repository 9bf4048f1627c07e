"""The board elections section of the home page: for a member, the elections whose call for candidates is open to
them (they may stand) and those being voted; for whoever manages a board, the mandates ending soon (an election
should be planned in time).

Registered by the elections blueprint itself (``views.bp.record_once``), so the home page shows it whenever the
blueprint is mounted.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Flask
from flask_login import current_user
from sqlalchemy import or_, select

from governance.core.dashboard import register_section
from governance.core.db_types import utcnow
from governance.elections import queries
from governance.elections.models import EXPIRY_WARNING_MONTHS, Board, Candidacy, Election, ElectionState
from governance.elections.permissions import call_is_open, can_manage_any_board, can_manage_board, can_view_election
from governance.extensions import db


def _member_elections(account, member, now: dt.datetime) -> tuple[list[Election], list[Election]]:
    """(elections the member may stand in now, elections being voted) among those of their boards."""
    elections = list(db.session.execute(
        select(Election).join(Board, Board.id == Election.board_id)
        .where(Election.state.in_([ElectionState.call_open.value, ElectionState.voting.value]),
               or_(Board.branch_id.is_(None), Board.branch_id == member.branch_id))
        .order_by(Election.candidacy_deadline, Election.id)).scalars())
    elections = [e for e in elections if can_view_election(account, e)]
    calls = [e for e in elections if call_is_open(e, now)]
    standing = set()
    if calls:
        standing = set(db.session.execute(select(Candidacy.election_id).where(
            Candidacy.member_id == member.id, Candidacy.election_id.in_([e.id for e in calls]))).scalars())
    from governance.elections.operations import eligibility_problems

    open_to_them = [e for e in calls if e.id not in standing and not eligibility_problems(e, member, now=now)]
    voting = [e for e in elections if e.state == ElectionState.voting.value]
    return open_to_them, voting


def elections_section():
    if not current_user.is_authenticated:
        return None
    account = current_user._get_current_object()
    member = account.member
    now = utcnow()
    calls, voting = _member_elections(account, member, now) if member is not None else ([], [])
    expiring = []
    if can_manage_any_board(account):
        boards = [b for b in queries.boards_list() if can_manage_board(account, b)]
        if boards:
            today = dt.datetime.now(ZoneInfo("Europe/Brussels")).date()
            expiring = queries.expiring_mandates(today, boards=boards)
    if not (calls or voting or expiring):
        return None
    return {"calls": calls, "voting": voting, "expiring": expiring, "months": EXPIRY_WARNING_MONTHS}


def register(app: Flask) -> None:
    register_section(app, "elections/_home.html", elections_section, order=18)
