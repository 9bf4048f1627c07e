"""Who may see, write, edit, support and move proposals.

- **See**: whoever sees the workgroup (anything else is 404); a draft only its author and co-authors.
- **Write** and **support**: active register members who are active members of the workgroup, while the
  workgroup is active (an archived workgroup is read-only).
- **Edit** (and co-authors): the author and co-authors, while the proposal is a draft or in discussion.
- **Open the discussion**, **withdraw**: the authors.
- **Mark ready for a vote**, **record a decision**, **archive**: those who manage the workgroup
  (its facilitators, administrators, board members of its branches).

``membership`` is the viewer's own membership of the workgroup (or None), loaded once by the view.
"""
from __future__ import annotations

from typing import Any

from governance.members.models import MemberStatus
from governance.proposals.models import Proposal, ProposalState
from governance.workgroups.models import Workgroup, WorkgroupMembership
from governance.workgroups.permissions import can_manage_workgroup, can_view_workgroup


def _member_id(account: Any) -> int | None:
    member = getattr(account, "member", None)
    return member.id if member is not None else None


def is_participant(account: Any, workgroup: Workgroup, membership: WorkgroupMembership | None) -> bool:
    """An active member of the cooperative who is an active member of the workgroup."""
    member = getattr(account, "member", None)
    return (member is not None and member.status == MemberStatus.active.value and membership is not None
            and membership.member_id == member.id and membership.is_active and can_view_workgroup(account, workgroup))


def can_view_proposal(account: Any, proposal: Proposal) -> bool:
    if not can_view_workgroup(account, proposal.workgroup):
        return False
    return not proposal.is_draft or proposal.is_author(_member_id(account))


def can_create_proposal(account: Any, workgroup: Workgroup, membership: WorkgroupMembership | None) -> bool:
    return workgroup.is_active and is_participant(account, workgroup, membership)


def _is_active_author(account: Any, proposal: Proposal, membership: WorkgroupMembership | None) -> bool:
    return (proposal.workgroup.is_active and is_participant(account, proposal.workgroup, membership)
            and proposal.is_author(_member_id(account)))


def can_edit_proposal(account: Any, proposal: Proposal, membership: WorkgroupMembership | None) -> bool:
    return proposal.is_editable and _is_active_author(account, proposal, membership)


def can_open_discussion(account: Any, proposal: Proposal, membership: WorkgroupMembership | None) -> bool:
    return proposal.can_become(ProposalState.discussion) and _is_active_author(account, proposal, membership)


def can_withdraw(account: Any, proposal: Proposal, membership: WorkgroupMembership | None) -> bool:
    return proposal.can_become(ProposalState.withdrawn) and _is_active_author(account, proposal, membership)


def _manages(account: Any, proposal: Proposal, membership: WorkgroupMembership | None) -> bool:
    return proposal.workgroup.is_active and can_manage_workgroup(account, proposal.workgroup, membership)


def can_mark_ready(account: Any, proposal: Proposal, membership: WorkgroupMembership | None) -> bool:
    return proposal.can_become(ProposalState.ready_for_vote) and _manages(account, proposal, membership)


def can_decide(account: Any, proposal: Proposal, membership: WorkgroupMembership | None) -> bool:
    return proposal.can_become(ProposalState.adopted) and _manages(account, proposal, membership)


def can_archive_proposal(account: Any, proposal: Proposal, membership: WorkgroupMembership | None) -> bool:
    return proposal.can_become(ProposalState.archived) and _manages(account, proposal, membership)


def can_support(account: Any, proposal: Proposal, membership: WorkgroupMembership | None) -> bool:
    return (proposal.is_in_discussion and proposal.workgroup.is_active
            and is_participant(account, proposal.workgroup, membership))


#: for templates
PREDICATES = {
    "can_create_proposal": can_create_proposal,
    "can_edit_proposal": can_edit_proposal,
    "can_open_discussion": can_open_discussion,
    "can_withdraw_proposal": can_withdraw,
    "can_mark_ready": can_mark_ready,
    "can_decide_proposal": can_decide,
    "can_archive_proposal": can_archive_proposal,
    "can_support_proposal": can_support,
}


# --- comments --------------------------------------------------------------------------------------
#: states in which members comment (a draft: its authors only)
COMMENTABLE_STATES = frozenset({ProposalState.draft.value, ProposalState.discussion.value,
                                ProposalState.ready_for_vote.value})


def can_comment(account: Any, proposal: Proposal, membership: WorkgroupMembership | None) -> bool:
    """Write a comment or a reply: active workgroup members, while the proposal is open to comments."""
    if proposal.state not in COMMENTABLE_STATES or not proposal.workgroup.is_active:
        return False
    if not is_participant(account, proposal.workgroup, membership):
        return False
    return not proposal.is_draft or proposal.is_author(_member_id(account))


def _own_comment(account: Any, comment, proposal: Proposal, membership: WorkgroupMembership | None) -> bool:
    return (not comment.is_deleted and comment.author_id == _member_id(account) and proposal.workgroup.is_active
            and is_participant(account, proposal.workgroup, membership))


def can_edit_comment(account: Any, comment, proposal: Proposal, membership: WorkgroupMembership | None) -> bool:
    """Its author, while it is neither deleted nor hidden."""
    return not comment.is_hidden and _own_comment(account, comment, proposal, membership)


def can_delete_comment(account: Any, comment, proposal: Proposal, membership: WorkgroupMembership | None) -> bool:
    return _own_comment(account, comment, proposal, membership)


def can_moderate_comments(account: Any, proposal: Proposal, membership: WorkgroupMembership | None) -> bool:
    """Hide and unhide comments, read the flags: those who manage the workgroup (its facilitators, admins)."""
    return can_manage_workgroup(account, proposal.workgroup, membership)


def can_flag_comment(account: Any, comment, proposal: Proposal, membership: WorkgroupMembership | None) -> bool:
    """Any active workgroup member, on someone else's visible comment."""
    return (comment.is_visible and comment.author_id != _member_id(account)
            and is_participant(account, proposal.workgroup, membership))


PREDICATES.update({
    "can_comment": can_comment,
    "can_edit_comment": can_edit_comment,
    "can_delete_comment": can_delete_comment,
    "can_moderate_comments": can_moderate_comments,
    "can_flag_comment": can_flag_comment,
})
