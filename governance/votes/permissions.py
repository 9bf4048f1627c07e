"""Who may define, see, cast in and read the results of ballots.

- **Scope** of a ballot: the branches of its register electorate or of its listed members
  (``ballot.branches``), or its workgroup's (all branches for a workgroup of the whole cooperative).
- **Manage** (define, edit a draft, open, close, extend, annul): global administrators and secretaries; an
  administrator, secretary or board member of *every* branch of the scope; for a workgroup ballot, also the
  workgroup's facilitators.
- **See**: the managers; staff (administrators, secretaries, board members) of one of the scope's branches;
  members of a branch in scope (for a workgroup ballot, whoever sees the workgroup) and members on the roll.
  A draft only its managers, until it is scheduled (an opening time announces it to its scope).
- **Cast**: an account linked to a member on the roll, while the ballot accepts votes.
- **Results**: after close (never for an annulled ballot), as the ballot's ``result_visibility`` says:
  everyone who sees the ballot, the members on the roll (and the managers), or the managers only.
- **Published lists** (choices, receipts, roll call, BLT): those who may see the results, if they are on the
  roll or manage the ballot.

``membership`` is the viewer's own membership of the ballot's workgroup (or None) and ``on_roll`` whether
the viewer's member is on the ballot's roll; views load them once (``queries.viewer_context``) and templates
pass them to the same predicates.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from governance.accounts.permissions import is_global_staff as _is_global_staff
from governance.accounts.permissions import signed_in as _signed_in
from governance.accounts.permissions import staff_branch_ids as _staff_branch_ids
from governance.core.db_types import utcnow
from governance.proposals.models import Proposal, ProposalState
from governance.extensions import db
from governance.votes.models import Ballot, BallotTeller, ElectorateKind, ResultVisibility
from governance.workgroups.models import Workgroup, WorkgroupMembership
from governance.workgroups.permissions import can_manage_workgroup, can_view_workgroup



def scope_branch_ids(ballot: Ballot) -> set[int] | None:
    """The branches the ballot addresses; None for the whole cooperative (a cooperative-wide workgroup)."""
    if ballot.electorate_kind == ElectorateKind.workgroup.value:
        workgroup = ballot.workgroup
        return None if workgroup is None or workgroup.is_cooperative_wide else set(workgroup.branch_ids)
    return set(ballot.branch_ids)


def _is_facilitator(account: Any, membership: WorkgroupMembership | None, workgroup_id: int | None) -> bool:
    member = getattr(account, "member", None)
    return (member is not None and membership is not None and workgroup_id is not None
            and membership.workgroup_id == workgroup_id and membership.member_id == member.id
            and membership.is_facilitator)


# --- managing --------------------------------------------------------------------------------------
def manages_branches(account: Any, branch_ids: set[int] | None) -> bool:
    """Holds a managing role for every one of these branches (None: the whole cooperative)."""
    if not _signed_in(account):
        return False
    if _is_global_staff(account):
        return True
    if branch_ids is None or not branch_ids:
        return False
    return branch_ids <= _staff_branch_ids(account)


def can_create_ballot(account: Any, *, branch_ids: set[int] | None = None, workgroup: Workgroup | None = None,
                      membership: WorkgroupMembership | None = None) -> bool:
    """May define a ballot for these branches (a register or list electorate), or for this workgroup."""
    if not _signed_in(account):
        return False
    if workgroup is not None:
        if not workgroup.is_active:
            return False
        scope = None if workgroup.is_cooperative_wide else set(workgroup.branch_ids)
        return manages_branches(account, scope) or (
            can_view_workgroup(account, workgroup) and _is_facilitator(account, membership, workgroup.id))
    return manages_branches(account, branch_ids)


def can_create_any_ballot(account: Any) -> bool:
    """Shows the "New ballot" button (a facilitator starts from a workgroup or a proposal instead)."""
    return _signed_in(account) and (_is_global_staff(account) or bool(_staff_branch_ids(account)))


def can_manage_ballot(account: Any, ballot: Ballot, membership: WorkgroupMembership | None = None) -> bool:
    if not _signed_in(account):
        return False
    if manages_branches(account, scope_branch_ids(ballot)):
        return True
    if ballot.electorate_kind == ElectorateKind.workgroup.value and ballot.workgroup is not None:
        return can_view_workgroup(account, ballot.workgroup) and _is_facilitator(account, membership,
                                                                                  ballot.workgroup_id)
    return False


def can_edit_ballot(account: Any, ballot: Ballot, membership: WorkgroupMembership | None = None) -> bool:
    """Change the question, options, rules or electorate: only a draft."""
    return ballot.is_draft and can_manage_ballot(account, ballot, membership)


def can_open_ballot(account: Any, ballot: Ballot, membership: WorkgroupMembership | None = None) -> bool:
    return ballot.is_draft and can_manage_ballot(account, ballot, membership)


def can_close_ballot(account: Any, ballot: Ballot, membership: WorkgroupMembership | None = None) -> bool:
    return ballot.is_open and can_manage_ballot(account, ballot, membership)


def can_extend_ballot(account: Any, ballot: Ballot, membership: WorkgroupMembership | None = None) -> bool:
    return ballot.is_open and ballot.closes_at is not None and can_manage_ballot(account, ballot, membership)


def can_annul_ballot(account: Any, ballot: Ballot, membership: WorkgroupMembership | None = None) -> bool:
    return (ballot.is_open or ballot.is_closed) and can_manage_ballot(account, ballot, membership)


def can_delete_ballot(account: Any, ballot: Ballot, membership: WorkgroupMembership | None = None) -> bool:
    """A draft may be deleted; once open, a ballot can only be annulled."""
    return ballot.is_draft and can_manage_ballot(account, ballot, membership)


def can_create_ballot_from_proposal(account: Any, proposal: Proposal,
                                    membership: WorkgroupMembership | None = None) -> bool:
    """A proposal ready for a vote is put to the vote by those who manage its workgroup."""
    return (proposal.state == ProposalState.ready_for_vote.value and proposal.workgroup.is_active
            and can_manage_workgroup(account, proposal.workgroup, membership))


# --- seeing ----------------------------------------------------------------------------------------
def can_view_ballot(account: Any, ballot: Ballot, membership: WorkgroupMembership | None = None, *,
                    on_roll: bool = False, is_teller: bool | None = None) -> bool:
    """``is_teller``: whether the account is one of the ballot's tellers, when the caller knows (lists ask once for
    all their ballots); None: looked up when it matters."""
    if not _signed_in(account):
        return False
    if can_manage_ballot(account, ballot, membership):
        return True
    if ballot.is_draft and ballot.opens_at is None:
        return False
    if on_roll or _is_global_staff(account):
        return True
    if ballot.electorate_kind == ElectorateKind.workgroup.value and ballot.workgroup is not None:
        if can_view_workgroup(account, ballot.workgroup):
            return True
    else:
        scope = scope_branch_ids(ballot)
        if scope is None:
            return True
        member = getattr(account, "member", None)
        if member is not None and member.branch_id in scope:
            return True
        if scope & _staff_branch_ids(account):
            return True
    return _is_teller(account, ballot) if is_teller is None else is_teller


def _is_teller(account: Any, ballot: Ballot) -> bool:
    """Designated to check members off and enter the paper ballots of this ballot (they see its page)."""
    return db.session.get(BallotTeller, (ballot.id, account.id)) is not None


def can_cast_vote(account: Any, ballot: Ballot, *, on_roll: bool, now: dt.datetime | None = None) -> bool:
    """A member on the roll (the account's own member), while the ballot accepts votes."""
    return (_signed_in(account) and getattr(account, "member", None) is not None and on_roll
            and ballot.accepts_votes_at(now or utcnow()))


def can_see_turnout(account: Any, ballot: Ballot, membership: WorkgroupMembership | None = None, *,
                    on_roll: bool = False) -> bool:
    """Turnout is live for everyone who sees an open ballot (the choices stay hidden until close)."""
    return not ballot.is_draft and can_view_ballot(account, ballot, membership, on_roll=on_roll)


def can_see_results(account: Any, ballot: Ballot, membership: WorkgroupMembership | None = None, *,
                    on_roll: bool = False) -> bool:
    if not ballot.has_result or not can_view_ballot(account, ballot, membership, on_roll=on_roll):
        return False
    if can_manage_ballot(account, ballot, membership):
        return True
    visibility = ballot.result_visibility
    if visibility == ResultVisibility.everyone.value:
        return True
    if visibility == ResultVisibility.electorate.value:
        return on_roll
    return False


def can_download_lists(account: Any, ballot: Ballot, membership: WorkgroupMembership | None = None, *,
                       on_roll: bool = False) -> bool:
    """The published lists (choices, receipts; the roll call of an open ballot): the electorate and managers."""
    if not can_see_results(account, ballot, membership, on_roll=on_roll):
        return False
    return on_roll or can_manage_ballot(account, ballot, membership)
