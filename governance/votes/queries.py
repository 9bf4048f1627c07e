"""Reads of ballots: a member's ballots, a manager's, turnout, whether someone voted, results, roll calls."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import joinedload

from governance.accounts.queries import register_personal_data
from governance.core.db_types import utcnow
from governance.core.errors import NotFound
from governance.extensions import db
from governance.members.models import Member
from governance.proposals.models import Proposal
from governance.votes import permissions, roll
from governance.votes.models import (
    Ballot,
    BallotExtension,
    BallotState,
    BallotTeller,
    BoxEntry,
    ElectorateKind,
    OpenVote,
    Participation,
    RollEntry,
    ballot_branches,
    ballot_listed_members,
)
from governance.workgroups.models import MembershipStatus, Workgroup, WorkgroupMembership, workgroup_branches


def get_ballot(ballot_id: int) -> Ballot:
    """The ballot, or :class:`NotFound` (views answer 404)."""
    ballot = db.session.get(Ballot, ballot_id)
    if ballot is None:
        raise NotFound()
    return ballot


@dataclass(frozen=True)
class ViewerContext:
    """What the permission predicates need about the viewer, loaded once per page."""

    membership: WorkgroupMembership | None
    on_roll: bool
    member_id: int | None


def viewer_context(account: Any, ballot: Ballot) -> ViewerContext:
    member = getattr(account, "member", None) if account is not None else None
    member_id = member.id if member is not None else None
    membership = None
    if member_id is not None and ballot.workgroup_id is not None:
        membership = db.session.execute(select(WorkgroupMembership).where(
            WorkgroupMembership.workgroup_id == ballot.workgroup_id,
            WorkgroupMembership.member_id == member_id)).scalar_one_or_none()
    return ViewerContext(membership=membership, on_roll=roll.is_on_roll(ballot, member_id), member_id=member_id)


# --- a member's ballots ----------------------------------------------------------------------------
@dataclass
class MemberBallots:
    """A member's ballots: open ones they can vote in (with whether they voted), scheduled ones in their scope,
    and recently closed ones they were on the roll of."""

    open: list[tuple[Ballot, bool]]
    upcoming: list[Ballot]
    closed: list[Ballot]


def _in_member_scope(member: Member):
    """A ballot whose scope holds the member: one of its branches, or its workgroup's members."""
    return or_(
        (Ballot.electorate_kind == ElectorateKind.register.value) & exists().where(
            ballot_branches.c.ballot_id == Ballot.id, ballot_branches.c.branch_id == member.branch_id),
        (Ballot.electorate_kind == ElectorateKind.list.value) & exists().where(
            ballot_listed_members.c.ballot_id == Ballot.id, ballot_listed_members.c.member_id == member.id),
        (Ballot.electorate_kind == ElectorateKind.workgroup.value) & exists().where(
            WorkgroupMembership.workgroup_id == Ballot.workgroup_id, WorkgroupMembership.member_id == member.id,
            WorkgroupMembership.status == MembershipStatus.active.value),
    )


def member_ballots(member: Member, *, closed_limit: int = 20, now: dt.datetime | None = None) -> MemberBallots:
    now = now or utcnow()
    on_roll = exists().where(RollEntry.ballot_id == Ballot.id, RollEntry.member_id == member.id)
    voted = exists().where(Participation.ballot_id == Ballot.id, Participation.member_id == member.id)
    open_rows = db.session.execute(
        select(Ballot, voted.label("voted")).where(
            Ballot.state == BallotState.open.value, on_roll,
            or_(Ballot.closes_at.is_(None), Ballot.closes_at > now))
        .order_by(Ballot.closes_at.is_(None), Ballot.closes_at, Ballot.id)).all()
    upcoming = db.session.execute(
        select(Ballot).where(Ballot.state == BallotState.draft.value, Ballot.opens_at.is_not(None),
                             Ballot.opens_at > now, _in_member_scope(member))
        .order_by(Ballot.opens_at, Ballot.id)).scalars().all()
    closed = db.session.execute(
        select(Ballot).where(Ballot.state == BallotState.closed.value, on_roll)
        .order_by(Ballot.closed_dt.desc(), Ballot.id.desc()).limit(closed_limit)).scalars().all()
    return MemberBallots(open=[(ballot, bool(has)) for ballot, has in open_rows], upcoming=list(upcoming),
                         closed=list(closed))


def visible_ballots(account: Any, *, state: str | None = None, limit: int = 200) -> list[Ballot]:
    """Ballots the account may see (drafts only where it manages them), newest first (three queries)."""
    if not permissions._signed_in(account):
        return []
    query = select(Ballot).order_by(Ballot.created_dt.desc(), Ballot.id.desc()).limit(max(limit * 5, 1000))
    if state is not None:
        query = query.where(Ballot.state == state)
    ballots = list(db.session.execute(query).scalars())
    memberships = _memberships(account, {b.workgroup_id for b in ballots if b.workgroup_id is not None})
    member = getattr(account, "member", None)
    on_roll: set[int] = set()
    if member is not None and ballots:
        on_roll = set(db.session.execute(select(RollEntry.ballot_id).where(
            RollEntry.member_id == member.id, RollEntry.ballot_id.in_([b.id for b in ballots]))).scalars())
    teller_of = set(db.session.execute(select(BallotTeller.ballot_id).where(
        BallotTeller.account_id == account.id, BallotTeller.ballot_id.in_([b.id for b in ballots]))).scalars()) \
        if ballots else set()
    visible = [b for b in ballots if permissions.can_view_ballot(account, b, memberships.get(b.workgroup_id),
                                                                  on_roll=b.id in on_roll, is_teller=b.id in teller_of)]
    return visible[:limit]


def managed_ballots(account: Any, *, state: str | None = None, limit: int = 500) -> list[Ballot]:
    """The ballots the account manages (drafts included), newest first."""
    if not permissions._signed_in(account):
        return []
    query = select(Ballot).order_by(Ballot.created_dt.desc(), Ballot.id.desc()).limit(limit)
    if state is not None:
        query = query.where(Ballot.state == state)
    if not permissions._is_global_staff(account):
        branch_ids = permissions._staff_branch_ids(account)
        member = getattr(account, "member", None)
        facilitated = select(WorkgroupMembership.workgroup_id).where(
            WorkgroupMembership.member_id == (member.id if member is not None else -1),
            WorkgroupMembership.role == "facilitator", WorkgroupMembership.status == MembershipStatus.active.value)
        query = query.where(or_(
            exists().where(ballot_branches.c.ballot_id == Ballot.id, ballot_branches.c.branch_id.in_(branch_ids)),
            Ballot.workgroup_id.in_(facilitated),
            Ballot.workgroup_id.in_(select(workgroup_branches.c.workgroup_id).where(
                workgroup_branches.c.branch_id.in_(branch_ids))),
        ))
    ballots = list(db.session.execute(query).scalars())
    memberships = _memberships(account, {b.workgroup_id for b in ballots if b.workgroup_id is not None})
    return [b for b in ballots if permissions.can_manage_ballot(account, b, memberships.get(b.workgroup_id))]


def _memberships(account: Any, workgroup_ids: set[int]) -> dict[int, WorkgroupMembership]:
    member = getattr(account, "member", None)
    if member is None or not workgroup_ids:
        return {}
    rows = db.session.execute(select(WorkgroupMembership).where(
        WorkgroupMembership.member_id == member.id, WorkgroupMembership.workgroup_id.in_(workgroup_ids))).scalars()
    return {row.workgroup_id: row for row in rows}


def ballots_for_proposal(proposal: Proposal) -> list[Ballot]:
    return list(db.session.execute(select(Ballot).where(Ballot.proposal_id == proposal.id)
                                   .order_by(Ballot.id)).scalars())


def ballots_for_workgroup(workgroup: Workgroup) -> list[Ballot]:
    return list(db.session.execute(select(Ballot).where(Ballot.workgroup_id == workgroup.id)
                                   .order_by(Ballot.created_dt.desc(), Ballot.id.desc())).scalars())


def extensions(ballot: Ballot) -> list[BallotExtension]:
    return list(db.session.execute(select(BallotExtension).where(BallotExtension.ballot_id == ballot.id)
                                   .order_by(BallotExtension.id)).scalars())


# --- turnout and participation ---------------------------------------------------------------------
@dataclass(frozen=True)
class Turnout:
    participations: int
    roll_size: int

    @property
    def percent(self) -> int | None:
        """Rounded down, in whole percent (None for an empty or not yet frozen roll)."""
        if not self.roll_size:
            return None
        return self.participations * 100 // self.roll_size


def participation_count(ballot: Ballot) -> int:
    return db.session.execute(select(func.count()).select_from(Participation).where(
        Participation.ballot_id == ballot.id)).scalar_one()


def turnout(ballot: Ballot) -> Turnout:
    """Live turnout: participations against the frozen roll (no choices are read)."""
    return Turnout(participation_count(ballot), ballot.roll_size or 0)


def has_voted(ballot: Ballot, member_id: int | None) -> bool:
    if member_id is None:
        return False
    return db.session.execute(select(Participation.member_id).where(
        Participation.ballot_id == ballot.id, Participation.member_id == member_id)).first() is not None


def participation_of(ballot: Ballot, member_id: int | None) -> Participation | None:
    if member_id is None:
        return None
    return db.session.get(Participation, (ballot.id, member_id))


def my_open_vote(ballot: Ballot, member_id: int | None) -> OpenVote | None:
    """The member's own roll-call vote (never anything for a secret ballot: the box has no voter)."""
    if member_id is None or ballot.is_secret:
        return None
    return db.session.get(OpenVote, (ballot.id, member_id))


def box_count(ballot: Ballot) -> int:
    table = BoxEntry if ballot.is_secret else OpenVote
    return db.session.execute(select(func.count()).select_from(table).where(
        table.ballot_id == ballot.id)).scalar_one()


# --- results ---------------------------------------------------------------------------------------
def result(ballot: Ballot) -> dict[str, Any] | None:
    """The stored result of a closed ballot (never of an annulled one)."""
    return ballot.result if ballot.has_result else None


def option_labels(ballot: Ballot, language: str | None = None) -> dict[str, str]:
    """Option key (as in results) → label in the reader's language; yes/no/abstain keys → translated words."""
    from governance.core.i18n import pick_text
    from governance.votes.models import YnaChoice

    if ballot.is_yna:
        return {choice.value: choice.label for choice in YnaChoice}
    languages = None if language is None else [language]
    return {str(o.id): pick_text(o.labels, ballot.original_language, languages).text for o in ballot.options}


def roll_call(ballot: Ballot) -> list[tuple[Member, OpenVote]]:
    """Who voted what in a roll-call ballot (for the electorate after close), by name."""
    if ballot.is_secret:
        return []
    rows = db.session.execute(
        select(OpenVote).join(Member, Member.id == OpenVote.member_id)
        .options(joinedload(OpenVote.member))
        .where(OpenVote.ballot_id == ballot.id)
        .order_by(Member.last_name, Member.first_name, Member.id)).scalars().all()
    return [(vote.member, vote) for vote in rows]


# --- personal data ---------------------------------------------------------------------------------
def personal_participations(account, member: Member | None) -> list[dict[str, Any]]:
    """For the account holder's data export: the ballots their member took part in — when, through which
    channel, and whether someone else cast it (a proxy holder) — never a choice or a receipt."""
    if member is None:
        return []
    rows = db.session.execute(
        select(Participation.ballot_id, Participation.cast_dt, Participation.channel, Participation.cast_by_id,
               Ballot.questions, Ballot.original_language, Ballot.is_secret)
        .join(Ballot, Ballot.id == Participation.ballot_id)
        .where(Participation.member_id == member.id)
        .order_by(Participation.cast_dt, Participation.ballot_id)
    ).all()
    return [{"ballot": row.ballot_id,
             "question": row.questions.get(row.original_language, ""),
             "secret": row.is_secret,
             "date": row.cast_dt.isoformat(timespec="seconds"),
             "channel": row.channel,
             "cast_by_someone_else": row.cast_by_id is not None and row.cast_by_id != account.id}
            for row in rows]


register_personal_data("ballot_participation", personal_participations)
