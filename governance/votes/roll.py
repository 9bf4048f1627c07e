"""The electorate of a ballot, its frozen roll, and why a member is (or is not) on it.

A ballot's electorate is evaluated against the register once, when it opens, and frozen into
``ballot_roll_entries`` by one ``INSERT … SELECT`` (35,000 members stay one statement). Before opening the
roll is provisional: :func:`roll_status` then says whether the member *would* be on it as the register stands.

The roll's hash is the SHA-256 (hex) of the member ids in ascending order, written in decimal, one per line
(``"3\\n17\\n42"``), so anyone holding the list can recompute it.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import format_date, lazy_gettext as _l
from sqlalchemy import Select, func, insert, literal, select

from governance.extensions import db
from governance.members.models import Branch, Member, MemberStatus
from governance.votes.models import Ballot, ElectorateKind, RollEntry, ballot_branches, ballot_listed_members
from governance.workgroups.models import MembershipStatus, WorkgroupMembership


def list_hash(values: Iterable[Any]) -> str:
    """SHA-256 (hex) of the values' text, one per line, in the order given."""
    digest = hashlib.sha256()
    first = True
    for value in values:
        if not first:
            digest.update(b"\n")
        digest.update(str(value).encode("utf-8"))
        first = False
    return digest.hexdigest()


def roll_hash(member_ids: Iterable[int]) -> str:
    return list_hash(sorted(int(member_id) for member_id in member_ids))


# --- the electorate --------------------------------------------------------------------------------
def electorate_select(ballot: Ballot) -> Select:
    """``SELECT member id, branch id`` of the members the ballot's electorate holds today."""
    statuses = list(ballot.eligible_statuses or [MemberStatus.active.value])
    query = select(Member.id, Member.branch_id).where(Member.status.in_(statuses))
    kind = ballot.electorate_kind
    if kind == ElectorateKind.register.value:
        query = query.where(Member.branch_id.in_(
            select(ballot_branches.c.branch_id).where(ballot_branches.c.ballot_id == ballot.id)))
        if ballot.register_cutoff is not None:
            query = query.where(Member.joined_on <= ballot.register_cutoff)
    elif kind == ElectorateKind.workgroup.value:
        query = query.join(WorkgroupMembership, WorkgroupMembership.member_id == Member.id).where(
            WorkgroupMembership.workgroup_id == ballot.workgroup_id,
            WorkgroupMembership.status == MembershipStatus.active.value)
    else:
        query = query.join(ballot_listed_members, ballot_listed_members.c.member_id == Member.id).where(
            ballot_listed_members.c.ballot_id == ballot.id)
    return query


def electorate_size(ballot: Ballot) -> int:
    """How many members the electorate holds today (the roll's size if the ballot opened now)."""
    return db.session.execute(select(func.count()).select_from(electorate_select(ballot).subquery())).scalar_one()


def listed_branch_ids(member_ids: Iterable[int]) -> set[int]:
    """The branches of these members (the scope of an explicit-list ballot)."""
    ids = sorted(set(member_ids))
    found: set[int] = set()
    for start in range(0, len(ids), 1000):
        found.update(db.session.execute(select(Member.branch_id).where(Member.id.in_(ids[start:start + 1000]))
                                        .distinct()).scalars())
    return found


def language_branches(ballot: Ballot) -> list[Branch]:
    """The branches whose required languages the ballot's texts must exist in: the scope's, or every branch
    for a workgroup of the whole cooperative."""
    if ballot.electorate_kind == ElectorateKind.workgroup.value:
        workgroup = ballot.workgroup
        if workgroup is None or workgroup.is_cooperative_wide:
            return list(db.session.execute(select(Branch).order_by(Branch.code)).scalars())
        return list(workgroup.branches)
    return list(ballot.branches)


def required_languages(ballot: Ballot) -> dict[str, list[str]]:
    """Each language the ballot's texts must exist in → the codes of the branches that require it."""
    languages: dict[str, list[str]] = {}
    for branch in language_branches(ballot):
        for code in branch.required_languages or ():
            languages.setdefault(code, []).append(branch.code)
    return dict(sorted(languages.items()))


# --- the frozen roll -------------------------------------------------------------------------------
def freeze_roll(ballot: Ballot) -> tuple[int, str]:
    """Write the roll (member and branch as the register stands now); returns its size and hash."""
    electorate = electorate_select(ballot).subquery()
    db.session.execute(insert(RollEntry).from_select(
        ["ballot_id", "member_id", "branch_id"],
        select(literal(ballot.id), electorate.c.id, electorate.c.branch_id)))
    member_ids = list(db.session.execute(
        select(RollEntry.member_id).where(RollEntry.ballot_id == ballot.id).order_by(RollEntry.member_id)).scalars())
    return len(member_ids), list_hash(member_ids)


def roll_member_ids(ballot: Ballot) -> list[int]:
    return list(db.session.execute(
        select(RollEntry.member_id).where(RollEntry.ballot_id == ballot.id).order_by(RollEntry.member_id)).scalars())


def roll_entry(ballot: Ballot, member_id: int | None) -> RollEntry | None:
    if member_id is None:
        return None
    return db.session.get(RollEntry, (ballot.id, member_id))


def is_on_roll(ballot: Ballot, member_id: int | None) -> bool:
    """On the frozen roll (always False before the ballot opens: see :func:`roll_status`)."""
    if member_id is None or ballot.is_draft:
        return False
    return db.session.execute(select(RollEntry.member_id).where(
        RollEntry.ballot_id == ballot.id, RollEntry.member_id == member_id)).first() is not None


# --- why (not) --------------------------------------------------------------------------------------
ROLL_MESSAGES = {
    "on_roll": _l("You are on the electoral roll of this ballot."),
    "provisional": _l("The ballot is not open yet, so its electoral roll is provisional: as the register "
                      "stands today, you would be on it."),
    "no_member": _l("Your account is not linked to a member of the register, so you cannot vote."),
    "not_in_branches": _l("This ballot is for the members of other branches."),
    "status_not_eligible": _l("Members with the status “%(status)s” do not vote in this ballot."),
    "joined_after_cutoff": _l("Only members who joined on or before %(date)s vote in this ballot."),
    "not_in_workgroup": _l("Only the members of the workgroup vote in this ballot."),
    "not_in_list": _l("You are not on the list of members who vote in this ballot."),
    "not_eligible_at_opening": _l("You were not entitled to vote when the ballot opened; its electoral roll was "
                                  "fixed then and does not change."),
}


@dataclass(frozen=True)
class RollStatus:
    """Whether a member is on a ballot's roll, and why not. ``provisional`` before the ballot opens;
    ``frozen`` once it has (the roll no longer changes, whatever the register says)."""

    code: str
    on_roll: bool
    provisional: bool
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def frozen(self) -> bool:
        return not self.provisional

    @property
    def message(self) -> str:
        text = str(ROLL_MESSAGES[self.code])
        return text % self.params if self.params else text

    def __str__(self) -> str:
        return self.message


def _ineligibility(ballot: Ballot, member: Member) -> tuple[str, dict[str, Any]] | None:
    """Why the electorate, as the register stands today, leaves the member out (None: it includes them)."""
    kind = ballot.electorate_kind
    if kind == ElectorateKind.register.value:
        if member.branch_id not in ballot.branch_ids:
            return "not_in_branches", {}
    elif kind == ElectorateKind.workgroup.value:
        found = db.session.execute(select(WorkgroupMembership.id).where(
            WorkgroupMembership.workgroup_id == ballot.workgroup_id, WorkgroupMembership.member_id == member.id,
            WorkgroupMembership.status == MembershipStatus.active.value)).first()
        if found is None:
            return "not_in_workgroup", {}
    else:
        found = db.session.execute(select(ballot_listed_members.c.member_id).where(
            ballot_listed_members.c.ballot_id == ballot.id, ballot_listed_members.c.member_id == member.id)).first()
        if found is None:
            return "not_in_list", {}
    if member.status not in (ballot.eligible_statuses or [MemberStatus.active.value]):
        return "status_not_eligible", {"status": member.status_label}
    if kind == ElectorateKind.register.value and ballot.register_cutoff is not None \
            and member.joined_on > ballot.register_cutoff:
        return "joined_after_cutoff", {"date": format_date(ballot.register_cutoff, "long")}
    return None


def roll_status(ballot: Ballot, member: Member | None) -> RollStatus:
    """Whether the member is on the roll and, if not, why: for the ballot page ("Am I on the roll?")."""
    provisional = ballot.is_draft
    if member is None:
        return RollStatus("no_member", False, provisional)
    if not provisional and is_on_roll(ballot, member.id):
        return RollStatus("on_roll", True, False)
    reason = _ineligibility(ballot, member)
    if provisional:
        if reason is None:
            return RollStatus("provisional", False, True)
        return RollStatus(reason[0], False, True, reason[1])
    if reason is None:
        return RollStatus("not_eligible_at_opening", False, False)
    return RollStatus(reason[0], False, False, reason[1])
