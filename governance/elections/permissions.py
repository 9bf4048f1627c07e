"""Who may manage boards and elections, see an election, stand as a candidate and review candidacies.

- **Manage a board** (its seats, mandates, elections; freezing the list, confirming the result): global
  administrators and secretaries; for a branch's board also the administrators, secretaries and board members of
  that branch (the same people who manage that branch's ballots). The group's board (no branch): global staff
  only. A board member of one branch never manages another branch's board.
- **See an election**: its board's managers; once the call is open (a draft only its managers), every signed-in
  account linked to a member of the board's branch (any member for the group's board), the staff of that branch
  and global staff.
- **Stand**: an account linked to a member, while the call for candidates is open (after
  ``candidacy_opens_at``, before ``candidacy_deadline``), when the member meets the eligibility rules
  (:func:`governance.elections.operations.eligibility_problems`; the staff declaration is the candidate's and is
  checked on submission).
- **Review** candidacies: the board's managers, until the list is frozen.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from governance.accounts.permissions import is_global_staff as _is_global_staff
from governance.accounts.permissions import signed_in as _signed_in
from governance.accounts.permissions import staff_branch_ids as _staff_branch_ids
from governance.core.db_types import utcnow
from governance.elections.models import Board, Election, ElectionState
from governance.votes.permissions import manages_branches


def can_manage_board(account: Any, board: Board) -> bool:
    """Global administrators and secretaries; for a branch's board also that branch's staff and board members."""
    if not _signed_in(account):
        return False
    return manages_branches(account, None if board.branch_id is None else {board.branch_id})


def can_manage_any_board(account: Any) -> bool:
    """Shows the management links of the boards page."""
    return _signed_in(account) and (_is_global_staff(account) or bool(_staff_branch_ids(account)))


def can_manage_election(account: Any, election: Election) -> bool:
    return can_manage_board(account, election.board)


def can_view_election(account: Any, election: Election) -> bool:
    if not _signed_in(account):
        return False
    if can_manage_board(account, election.board):
        return True
    if election.state == ElectionState.draft.value:
        return False
    if _is_global_staff(account):
        return True
    branch_id = election.board.branch_id
    if branch_id is None:
        return True
    member = getattr(account, "member", None)
    if member is not None and member.branch_id == branch_id:
        return True
    return branch_id in _staff_branch_ids(account)


def call_is_open(election: Election, now: dt.datetime | None = None) -> bool:
    """The call for candidates accepts candidacies now (state and window)."""
    now = now or utcnow()
    return (election.state == ElectionState.call_open.value
            and election.candidacy_opens_at <= now < election.candidacy_deadline)


def can_stand(account: Any, election: Election, *, now: dt.datetime | None = None) -> bool:
    """The account's member may submit a candidacy now (they may have one already: the view checks)."""
    from governance.elections.operations import eligibility_problems

    member = getattr(account, "member", None) if _signed_in(account) else None
    if member is None or not call_is_open(election, now):
        return False
    return not eligibility_problems(election, member, now=now)


def can_review(account: Any, election: Election) -> bool:
    """Accept or refuse candidacies: the board's managers, until the list is frozen."""
    return election.state == ElectionState.call_open.value and can_manage_board(account, election.board)
