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


# --- amendments ------------------------------------------------------------------------------------
#: states of the proposal in which amendments are answered (accepting one changes the text: discussion only)
AMENDMENT_OPEN_STATES = frozenset({ProposalState.discussion.value, ProposalState.ready_for_vote.value})


def may_propose_amendments(account: Any, proposal: Proposal, membership: WorkgroupMembership | None) -> bool:
    """Who proposes amendments, whatever the proposal's state: active members of the workgroup (as for comments
    and supports) who are not its authors (the authors edit the text themselves)."""
    return (proposal.workgroup.is_active and is_participant(account, proposal.workgroup, membership)
            and not proposal.is_author(_member_id(account)))


def can_propose_amendment(account: Any, proposal: Proposal, membership: WorkgroupMembership | None) -> bool:
    return proposal.is_in_discussion and may_propose_amendments(account, proposal, membership)


def may_answer_amendments(account: Any, proposal: Proposal, membership: WorkgroupMembership | None) -> bool:
    """Who accepts or rejects amendments: the author and the co-authors."""
    return _is_active_author(account, proposal, membership)


def can_accept_amendment(account: Any, amendment, proposal: Proposal,
                         membership: WorkgroupMembership | None) -> bool:
    """(Whether the amendment still applies to the text is the template's and the operation's concern.)"""
    return (amendment.is_proposed and proposal.is_in_discussion
            and may_answer_amendments(account, proposal, membership))


def can_reject_amendment(account: Any, amendment, proposal: Proposal,
                         membership: WorkgroupMembership | None) -> bool:
    return (amendment.is_proposed and proposal.state in AMENDMENT_OPEN_STATES
            and may_answer_amendments(account, proposal, membership))


def may_put_amendments_to_vote(account: Any, proposal: Proposal, membership: WorkgroupMembership | None) -> bool:
    """Who decides that an amendment goes to the vote with the proposal: those who manage the workgroup (its
    facilitators, administrators, board members of its branches), as for marking a proposal ready for a vote."""
    return _manages(account, proposal, membership)


def can_put_amendment_to_vote(account: Any, amendment, proposal: Proposal,
                              membership: WorkgroupMembership | None) -> bool:
    return (amendment.can_go_to_vote and proposal.state in AMENDMENT_OPEN_STATES
            and may_put_amendments_to_vote(account, proposal, membership))


def may_withdraw_amendment(account: Any, amendment, proposal: Proposal,
                           membership: WorkgroupMembership | None) -> bool:
    """Its author, while an active member of the workgroup."""
    return (amendment.author_id == _member_id(account) and proposal.workgroup.is_active
            and is_participant(account, proposal.workgroup, membership))


def can_withdraw_amendment(account: Any, amendment, proposal: Proposal,
                           membership: WorkgroupMembership | None) -> bool:
    return (amendment.is_proposed and proposal.state in AMENDMENT_OPEN_STATES
            and may_withdraw_amendment(account, amendment, proposal, membership))


PREDICATES.update({
    "can_propose_amendment": can_propose_amendment,
    "can_accept_amendment": can_accept_amendment,
    "can_reject_amendment": can_reject_amendment,
    "can_put_amendment_to_vote": can_put_amendment_to_vote,
    "can_withdraw_amendment": can_withdraw_amendment,
})


# --- translations by members -----------------------------------------------------------------------
def translation_languages(workgroup: Workgroup) -> list[str]:
    """The languages a workgroup's proposals and comments may be translated into: its working languages, the
    official languages of the branches it is restricted to, and — for a workgroup of the whole cooperative — the
    portal's interface languages (nl, fr, en, de), the languages its readers read."""
    from flask import current_app

    codes = [*workgroup.working_languages, *(code for branch in workgroup.branches for code in branch.official_languages)]
    if workgroup.is_cooperative_wide:
        codes += current_app.config["LANGUAGES"]
    return list(dict.fromkeys(code for code in codes if code))


def can_translate(account: Any, proposal: Proposal, membership: WorkgroupMembership | None) -> bool:
    """Translate the proposal or its comments: whoever may comment on it (active members of the workgroup while
    it is open to comments; a draft, only its authors). Which languages: :func:`translation_languages`."""
    return can_comment(account, proposal, membership)


def can_translate_proposal(account: Any, proposal: Proposal, membership: WorkgroupMembership | None,
                           language: str | None = None) -> bool:
    """Into ``language`` (when given): one of the workgroup's translation languages, not the original.
    (A version the authors wrote themselves is the operation's concern: a conflict.)"""
    if not can_translate(account, proposal, membership):
        return False
    return language is None or (language != proposal.original_language
                                and language in translation_languages(proposal.workgroup))


def can_translate_comment(account: Any, comment, proposal: Proposal, membership: WorkgroupMembership | None) -> bool:
    """A comment still shown (neither deleted nor hidden)."""
    return comment.is_visible and can_translate(account, proposal, membership)


def can_review_translations(account: Any, proposal: Proposal, membership: WorkgroupMembership | None) -> bool:
    """Mark translations reviewed (or withdraw the review): those who manage the workgroup (its facilitators,
    administrators, board members of its branches), while it is active — never of their own translation."""
    return proposal.workgroup.is_active and can_manage_workgroup(account, proposal.workgroup, membership)


def can_review_translation(account: Any, translation, proposal: Proposal,
                           membership: WorkgroupMembership | None) -> bool:
    """This translation (of the proposal or of a comment): a reviewer who did not make it."""
    return (translation is not None and translation.translator_id != _member_id(account)
            and can_review_translations(account, proposal, membership))


PREDICATES.update({
    "can_translate": can_translate,
    "can_translate_proposal": can_translate_proposal,
    "can_translate_comment": can_translate_comment,
    "can_review_translations": can_review_translations,
    "can_review_translation": can_review_translation,
})


# --- following -------------------------------------------------------------------------------------
def can_follow_proposal(account: Any, proposal: Proposal) -> bool:
    """Whoever sees the proposal may follow it (and unfollow it)."""
    return can_view_proposal(account, proposal)


def accounts_seeing_proposal(proposal: Proposal):
    """The SQL twin of :func:`can_view_proposal`: a condition on ``Account`` rows (see
    :func:`governance.workgroups.permissions.accounts_seeing_workgroup`); a draft, its authors only."""
    from sqlalchemy import and_

    from governance.accounts.models import Account
    from governance.workgroups.permissions import accounts_seeing_workgroup

    condition = accounts_seeing_workgroup(proposal.workgroup)
    if proposal.is_draft:
        condition = and_(condition, Account.member_id.in_(sorted(proposal.author_ids)))
    return condition
