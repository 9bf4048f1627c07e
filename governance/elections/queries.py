"""Reads for the board and election pages: boards, current and past mandates, expiring mandates, elections,
candidacies, and an election's result prepared for its page.

A mandate is *current* on a day when it has started, has not reached ``ends_on`` and has not ended early
(:meth:`governance.elections.models.Mandate.is_current`); *past* when it ended (at its term or earlier) on or
before that day. Mandates come with their member (and the member's branch) loaded.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload

from governance.elections.models import (
    EXPIRY_WARNING_MONTHS,
    Board,
    Candidacy,
    CandidacyState,
    Election,
    ElectionMethod,
    Mandate,
)
from governance.extensions import db
from governance.members.models import Branch, Member
from governance.votes.models import Ballot


def _mandates():
    return select(Mandate).options(joinedload(Mandate.member).joinedload(Member.branch),
                                   joinedload(Mandate.board).joinedload(Board.branch))


def _current(day: dt.date):
    return and_(Mandate.starts_on <= day, Mandate.ends_on > day,
                or_(Mandate.ended_on.is_(None), Mandate.ended_on > day))


def board_for(branch_or_none: Branch | None) -> Board | None:
    """The board of a branch, or the group's board (``None``)."""
    branch_id = branch_or_none.id if branch_or_none is not None else None
    return db.session.execute(select(Board).where(Board.scope_key == Board.scope_for(branch_id))).scalar_one_or_none()


def boards_list() -> list[Board]:
    """Every board: the group's first, then by branch code."""
    rows = db.session.execute(select(Board).outerjoin(Branch, Branch.id == Board.branch_id)
                              .order_by(Board.branch_id.is_not(None), Branch.code)).scalars()
    return list(rows)


def current_mandates(board: Board, day: dt.date) -> list[Mandate]:
    """The board's members on ``day``, by surname."""
    return list(db.session.execute(
        _mandates().join(Member, Member.id == Mandate.member_id)
        .where(Mandate.board_id == board.id, _current(day))
        .order_by(Member.last_name, Member.first_name, Mandate.id)).unique().scalars())


def past_mandates(board: Board, day: dt.date) -> list[Mandate]:
    """Mandates over on ``day`` (term reached or ended early), the most recent end first."""
    end = func.coalesce(Mandate.ended_on, Mandate.ends_on)
    return list(db.session.execute(
        _mandates().where(Mandate.board_id == board.id,
                          or_(Mandate.ends_on <= day, and_(Mandate.ended_on.is_not(None), Mandate.ended_on <= day)))
        .order_by(end.desc(), Mandate.id.desc())).unique().scalars())


def expiring_mandates(day: dt.date, *, boards: Iterable[Board] | None = None,
                      months: int = EXPIRY_WARNING_MONTHS) -> list[Mandate]:
    """Mandates current on ``day`` whose term ends within ``months`` months (on or before that date), soonest
    first; members and boards loaded."""
    from governance.elections.operations import add_months

    query = _mandates().where(_current(day), Mandate.ended_on.is_(None), Mandate.ends_on <= add_months(day, months))
    if boards is not None:
        query = query.where(Mandate.board_id.in_([b.id for b in boards]))
    return list(db.session.execute(query.order_by(Mandate.ends_on, Mandate.id)).unique().scalars())


def seats_expiring(board: Board, by: dt.date, *, today: dt.date | None = None) -> int:
    """How many current mandates (on ``today``, default today) end on or before ``by``: the seats an election
    should fill (the form proposes it)."""
    today = today or dt.date.today()
    return db.session.execute(select(func.count()).select_from(Mandate).where(
        Mandate.board_id == board.id, _current(today), Mandate.ended_on.is_(None), Mandate.ends_on <= by)
    ).scalar_one()


def elections_of(board: Board) -> list[Election]:
    """The board's elections, the latest call first."""
    return list(db.session.execute(select(Election).where(Election.board_id == board.id)
                                   .order_by(Election.candidacy_opens_at.desc(), Election.id.desc())).scalars())


def candidacies_of(election: Election, *, states: Iterable[str] | None = None) -> list[Candidacy]:
    """The election's candidacies with their members: in ballot order once the list is frozen, else by name."""
    query = (select(Candidacy).options(joinedload(Candidacy.member).joinedload(Member.branch))
             .join(Member, Member.id == Candidacy.member_id).where(Candidacy.election_id == election.id))
    if states is not None:
        query = query.where(Candidacy.state.in_([getattr(s, "value", s) for s in states]))
    rows = list(db.session.execute(query.order_by(Member.last_name, Member.first_name, Candidacy.id))
                .unique().scalars())
    if election.ballot_id is not None:
        ballot = db.session.get(Ballot, election.ballot_id)
        positions = {o.id: o.position for o in ballot.options} if ballot is not None else {}
        rows.sort(key=lambda c: (c.option_id is None, positions.get(c.option_id, 0)))
    return rows


def candidacy_of(election: Election, member: Member | None) -> Candidacy | None:
    if member is None:
        return None
    return db.session.execute(select(Candidacy).where(
        Candidacy.election_id == election.id, Candidacy.member_id == member.id)).scalar_one_or_none()


# --- the result ------------------------------------------------------------------------------------
@dataclass
class ElectionResult:
    """An election's result for its page.

    ``elected``: the elected candidacies in the order of election. ``stages``: the STV stages (or IRV rounds)
    as stored, with ``names`` (option id → candidate name) to read them, and ``constraint_actions`` per stage as
    stored by the count, with candidate names added (``candidate_names``, ``excluded_instead_name``).
    ``constraint_steps`` lists ``(stage number, action)`` for every step where a constraint changed the count.
    ``quota`` (STV), ``uncontested`` (nobody was opposed: no vote), ``blt_available`` (a ranked ballot that was
    counted: its BLT file can be downloaded), ``count`` the stored count itself, ``ballot`` the ballot."""

    election: Election
    ballot: Ballot
    elected: list[Candidacy]
    names: dict[str, str]
    stages: list[dict[str, Any]] = field(default_factory=list)
    constraint_steps: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    quota: int | None = None
    uncontested: bool = False
    constrained: bool = False
    blt_available: bool = False
    count: dict[str, Any] = field(default_factory=dict)

    @property
    def elected_names(self) -> list[str]:
        return [c.member.full_name for c in self.elected]


def _named_action(action: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    named = dict(action)
    named["candidate_names"] = [names.get(str(c), str(c)) for c in action.get("candidates") or ()]
    if action.get("excluded_instead") is not None:
        named["excluded_instead_name"] = names.get(str(action["excluded_instead"]), str(action["excluded_instead"]))
    return named


def election_result(election: Election) -> ElectionResult | None:
    """The result once counted (None before, and for an annulled ballot)."""
    from governance.elections.operations import elected_candidacies, is_uncontested

    if election.ballot_id is None:
        return None
    ballot = db.session.get(Ballot, election.ballot_id)
    if ballot is None:
        return None
    accepted = candidacies_of(election, states=[CandidacyState.accepted.value])
    names = {str(c.option_id): c.member.full_name for c in accepted if c.option_id is not None}
    if ballot.is_draft and is_uncontested(election, len(accepted)) and election.state in ("counted", "confirmed"):
        return ElectionResult(election=election, ballot=ballot, elected=elected_candidacies(election), names=names,
                              uncontested=True)
    if not ballot.has_result:
        return None
    count = dict(ballot.result.get("count") or {})
    stages = []
    steps = []
    for stage in count.get("stages") or count.get("rounds") or ():
        stage = dict(stage)
        actions = [_named_action(a, names) for a in stage.get("constraint_actions") or ()]
        stage["constraint_actions"] = actions
        number = stage.get("number")
        steps.extend((number, action) for action in actions)
        stages.append(stage)
    return ElectionResult(
        election=election, ballot=ballot, elected=elected_candidacies(election), names=names, stages=stages,
        constraint_steps=steps, quota=count.get("quota"), uncontested=bool(count.get("uncontested")),
        constrained=bool(count.get("constrained")),
        blt_available=election.method in (ElectionMethod.stv.value, ElectionMethod.irv.value), count=count)
