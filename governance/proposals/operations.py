"""Everything that changes proposals. Each operation takes the acting account, checks the rules, flushes
and audits state changes; none commits.

Changes to one proposal are serialised by a row lock on PostgreSQL (SQLite's immediate write transactions
already do), so two supports arriving together count the threshold once and two edits never take the same
revision number.
"""
from __future__ import annotations

from collections.abc import Mapping

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from governance.core import audit
from governance.core.db_types import utcnow
from governance.core.errors import Conflict, InvalidInput, NotAllowed
from governance.extensions import db
from governance.members.models import Member
from governance.proposals import permissions
from governance.proposals.models import (
    COMMENT_MAX_DEPTH,
    Comment,
    CommentFlag,
    CommentRevision,
    Proposal,
    ProposalRevision,
    ProposalState,
    ProposalSupport,
    proposal_coauthors,
)
from governance.workgroups.models import (
    MembershipStatus,
    Workgroup,
    WorkgroupMembership,
)

TITLE_MAX = 200
BODY_MAX = 50000
REASON_MAX = 5000


class AlreadySupported(Conflict):
    default_message = _l("You support this proposal already.")


class NotSupported(Conflict):
    default_message = _l("You do not support this proposal.")


# --- helpers ---------------------------------------------------------------------------------------
def _lock(proposal: Proposal) -> None:
    """Serialise changes to one proposal and read it again once locked."""
    if proposal.id is None:
        return
    db.session.execute(select(Proposal.id).where(Proposal.id == proposal.id).with_for_update())
    db.session.refresh(proposal, ["state", "titles", "bodies", "original_language"])


def _clean(texts: Mapping[str, str], limit: int) -> dict[str, str]:
    cleaned = {}
    for code, text in texts.items():
        text = (text or "").strip()
        if len(text) > limit:
            raise InvalidInput()
        if text:
            cleaned[str(code)] = text
    return cleaned


def _check_texts(titles: dict[str, str], bodies: dict[str, str], original_language: str) -> None:
    if not titles.get(original_language) or not bodies.get(original_language):
        raise InvalidInput(_l("Give the title and the text in the original language."))
    if set(bodies) - set(titles):
        raise InvalidInput(_l("A text needs a title in the same language."))


def _writable(proposal: Proposal) -> None:
    proposal.workgroup.check_writable()


def _record(event: str, proposal: Proposal, actor, **data) -> None:
    audit.record(f"proposal.{event}", actor=actor, obj=proposal, workgroup_id=proposal.workgroup_id, **data)


def _add_revision(proposal: Proposal, member: Member) -> ProposalRevision:
    number = (db.session.execute(select(func.max(ProposalRevision.number))
                                 .where(ProposalRevision.proposal_id == proposal.id)).scalar() or 0) + 1
    revision = ProposalRevision(proposal_id=proposal.id, number=number, titles=dict(proposal.titles),
                                bodies=dict(proposal.bodies), original_language=proposal.original_language,
                                author_id=member.id)
    try:
        with db.session.begin_nested():
            db.session.add(revision)
            db.session.flush()
    except IntegrityError as exc:  # another edit took the number meanwhile
        raise Conflict() from exc
    return revision


# --- writing ---------------------------------------------------------------------------------------
def create_proposal(workgroup: Workgroup, *, actor, membership: WorkgroupMembership | None, titles: Mapping[str, str],
                    bodies: Mapping[str, str], original_language: str,
                    support_threshold: int | None = None) -> Proposal:
    """A draft written by the actor's register member; its first revision is written with it.

    ``support_threshold`` defaults to the workgroup's threshold, else the ``PROPOSAL_SUPPORT_THRESHOLD`` setting
    (None: none)."""
    workgroup.check_writable()
    if not permissions.can_create_proposal(actor, workgroup, membership):
        raise NotAllowed()
    titles, bodies = _clean(titles, TITLE_MAX), _clean(bodies, BODY_MAX)
    _check_texts(titles, bodies, original_language)
    if support_threshold is None:
        support_threshold = workgroup.support_threshold or current_app.config.get("PROPOSAL_SUPPORT_THRESHOLD")
    if support_threshold is not None and support_threshold < 1:
        raise InvalidInput()
    proposal = Proposal(workgroup_id=workgroup.id, workgroup=workgroup, author_id=actor.member.id,
                        titles=titles, bodies=bodies, original_language=original_language,
                        state=ProposalState.draft.value, support_threshold=support_threshold)
    db.session.add(proposal)
    db.session.flush()
    _add_revision(proposal, actor.member)
    _record("created", proposal, actor, original_language=original_language, support_threshold=support_threshold)
    return proposal


def edit_proposal(proposal: Proposal, *, actor, membership: WorkgroupMembership | None, titles: Mapping[str, str],
                  bodies: Mapping[str, str], original_language: str) -> ProposalRevision | None:
    """Change the texts; each edit that changes something writes a revision (None: nothing changed)."""
    _writable(proposal)
    _lock(proposal)
    if not permissions.can_edit_proposal(actor, proposal, membership):
        if proposal.is_editable or not proposal.is_author(actor.member.id if actor.member else None):
            raise NotAllowed()
        raise Conflict(_l("This proposal can no longer be edited."))
    titles, bodies = _clean(titles, TITLE_MAX), _clean(bodies, BODY_MAX)
    _check_texts(titles, bodies, original_language)
    if (titles, bodies, original_language) == (dict(proposal.titles), dict(proposal.bodies),
                                               proposal.original_language):
        return None
    proposal.titles, proposal.bodies, proposal.original_language = titles, bodies, original_language
    db.session.flush()
    return _add_revision(proposal, actor.member)


def add_coauthor(proposal: Proposal, member_id: int, *, actor, membership: WorkgroupMembership | None) -> Member:
    """An active member of the workgroup becomes a co-author."""
    _writable(proposal)
    if not permissions.can_edit_proposal(actor, proposal, membership):
        raise NotAllowed()
    target = db.session.execute(
        select(WorkgroupMembership).where(WorkgroupMembership.workgroup_id == proposal.workgroup_id,
                                          WorkgroupMembership.member_id == member_id,
                                          WorkgroupMembership.status == MembershipStatus.active.value)
    ).scalar_one_or_none()
    if target is None:
        raise InvalidInput(_l("Only active members of the workgroup can be co-authors."))
    if proposal.is_author(member_id):
        raise Conflict(_l("This member is an author of the proposal already."))
    try:
        with db.session.begin_nested():
            db.session.execute(insert(proposal_coauthors).values(proposal_id=proposal.id, member_id=member_id))
    except IntegrityError as exc:
        raise Conflict(_l("This member is an author of the proposal already.")) from exc
    db.session.expire(proposal, ["coauthors"])
    member = db.session.get(Member, member_id)
    _record("coauthor_added", proposal, actor, member_id=member_id)
    return member


def remove_coauthor(proposal: Proposal, member_id: int, *, actor, membership: WorkgroupMembership | None) -> None:
    _writable(proposal)
    if not permissions.can_edit_proposal(actor, proposal, membership):
        raise NotAllowed()
    if member_id not in {m.id for m in proposal.coauthors}:
        raise Conflict(_l("This member is not a co-author of the proposal."))
    db.session.execute(delete(proposal_coauthors).where(proposal_coauthors.c.proposal_id == proposal.id,
                                                        proposal_coauthors.c.member_id == member_id))
    db.session.expire(proposal, ["coauthors"])
    _record("coauthor_removed", proposal, actor, member_id=member_id)


# --- states ----------------------------------------------------------------------------------------
_STATE_CHANGES = {
    ProposalState.discussion: (permissions.can_open_discussion, Proposal.open_discussion),
    ProposalState.ready_for_vote: (permissions.can_mark_ready, Proposal.mark_ready),
    ProposalState.withdrawn: (permissions.can_withdraw, Proposal.withdraw),
    ProposalState.archived: (permissions.can_archive_proposal, Proposal.archive),
}


def change_state(proposal: Proposal, target: ProposalState, *, actor,
                 membership: WorkgroupMembership | None) -> None:
    """Open the discussion, mark ready for a vote, withdraw or archive (decisions: :func:`decide`)."""
    _writable(proposal)
    _lock(proposal)
    allowed, move = _STATE_CHANGES[target]
    if not proposal.can_become(target):
        move(proposal)  # raises IllegalTransition
    if not allowed(actor, proposal, membership):
        raise NotAllowed()
    old = move(proposal)
    db.session.flush()
    _record("state_changed", proposal, actor, old=old, new=proposal.state)


def decide(proposal: Proposal, *, adopted: bool, reason: str, actor, membership: WorkgroupMembership | None) -> None:
    """A facilitator records the workgroup's decision (by consensus), with its reason."""
    _writable(proposal)
    _lock(proposal)
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise InvalidInput(_l("Give the reason for the decision."))
    if not proposal.can_become(ProposalState.adopted):
        proposal.decide(adopted, reason)  # raises IllegalTransition
    if not permissions.can_decide(actor, proposal, membership):
        raise NotAllowed()
    old = proposal.decide(adopted, reason)
    db.session.flush()
    _record("state_changed", proposal, actor, old=old, new=proposal.state, reason=reason)


# --- supports --------------------------------------------------------------------------------------
def support_count(proposal: Proposal) -> int:
    return db.session.execute(select(func.count()).select_from(ProposalSupport)
                              .where(ProposalSupport.proposal_id == proposal.id)).scalar_one()


def support(proposal: Proposal, *, actor, membership: WorkgroupMembership | None) -> ProposalSupport:
    """The actor's member supports the proposal; reaching the threshold makes it ready for a vote."""
    _writable(proposal)
    _lock(proposal)
    if not permissions.can_support(actor, proposal, membership):
        if permissions.is_participant(actor, proposal.workgroup, membership):
            raise Conflict(_l("Only a proposal in discussion can be supported."))
        raise NotAllowed()
    row = ProposalSupport(proposal_id=proposal.id, member_id=actor.member.id)
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError as exc:  # one support per member: the database says so
        raise AlreadySupported() from exc
    if proposal.support_threshold is not None and support_count(proposal) >= proposal.support_threshold:
        old = proposal.mark_ready()
        db.session.flush()
        _record("state_changed", proposal, None, old=old, new=proposal.state, cause="support_threshold",
                threshold=proposal.support_threshold)
    return row


def unsupport(proposal: Proposal, *, actor, membership: WorkgroupMembership | None) -> None:
    """Withdraw one's support, while the proposal is in discussion."""
    _writable(proposal)
    _lock(proposal)
    if not permissions.can_support(actor, proposal, membership):
        if permissions.is_participant(actor, proposal.workgroup, membership):
            raise Conflict(_l("Supports can only be withdrawn while the proposal is in discussion."))
        raise NotAllowed()
    deleted = db.session.execute(delete(ProposalSupport).where(ProposalSupport.proposal_id == proposal.id,
                                                               ProposalSupport.member_id == actor.member.id))
    if not deleted.rowcount:
        raise NotSupported()


# --- comments --------------------------------------------------------------------------------------
COMMENT_MAX = 10000


class CommentTooDeep(Conflict):
    default_message = _l("Replies nest at most three levels deep: reply to an earlier comment of the thread.")


class AlreadyFlagged(Conflict):
    default_message = _l("You have flagged this comment already.")


def _comment_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise InvalidInput(_l("Write the comment."))
    if len(body) > COMMENT_MAX:
        raise InvalidInput()
    return body


def _record_comment(event: str, comment: Comment, proposal: Proposal, actor, **data) -> None:
    audit.record(f"comment.{event}", actor=actor, obj=comment, proposal_id=proposal.id,
                 workgroup_id=proposal.workgroup_id, **data)


def add_comment(proposal: Proposal, body: str, *, actor, membership: WorkgroupMembership | None,
                parent: Comment | None = None) -> Comment:
    """A comment by the actor's member, or a reply to ``parent`` (a comment of the same proposal)."""
    _writable(proposal)
    if not permissions.can_comment(actor, proposal, membership):
        raise NotAllowed()
    body = _comment_body(body)
    depth, thread_id = 1, None
    if parent is not None:
        if parent.proposal_id != proposal.id:
            raise InvalidInput()
        if parent.depth >= COMMENT_MAX_DEPTH:
            raise CommentTooDeep()
        depth, thread_id = parent.depth + 1, parent.thread_id or parent.id
    comment = Comment(proposal_id=proposal.id, author_id=actor.member.id, parent_id=parent.id if parent else None,
                      thread_id=thread_id, depth=depth, body=body)
    db.session.add(comment)
    db.session.flush()
    return comment


def edit_comment(comment: Comment, proposal: Proposal, body: str, *, actor,
                 membership: WorkgroupMembership | None) -> CommentRevision | None:
    """The author changes the body; the previous body is kept as a revision (None: nothing changed)."""
    _writable(proposal)
    if not permissions.can_edit_comment(actor, comment, proposal, membership):
        raise NotAllowed()
    body = _comment_body(body)
    if body == comment.body:
        return None
    revision = CommentRevision(comment_id=comment.id, body=comment.body,
                               written_dt=comment.edited_dt or comment.created_dt)
    db.session.add(revision)
    comment.body, comment.edited_dt = body, utcnow()
    db.session.flush()
    return revision


def delete_comment(comment: Comment, proposal: Proposal, *, actor, membership: WorkgroupMembership | None) -> None:
    """Soft delete: the comment keeps its place in the thread, its replies stay readable."""
    _writable(proposal)
    if not permissions.can_delete_comment(actor, comment, proposal, membership):
        raise NotAllowed()
    comment.is_deleted = True
    db.session.flush()


def flag_comment(comment: Comment, proposal: Proposal, *, actor, membership: WorkgroupMembership | None,
                 reason: str | None = None) -> CommentFlag:
    """A member flags a comment for the facilitators, once (the database's unique constraint says so)."""
    if not permissions.can_flag_comment(actor, comment, proposal, membership):
        raise NotAllowed()
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > REASON_MAX:
        raise InvalidInput()
    flag = CommentFlag(comment_id=comment.id, member_id=actor.member.id, reason=reason)
    try:
        with db.session.begin_nested():
            db.session.add(flag)
            db.session.flush()
    except IntegrityError as exc:
        raise AlreadyFlagged() from exc
    return flag


def hide_comment(comment: Comment, proposal: Proposal, reason: str, *, actor,
                 membership: WorkgroupMembership | None) -> None:
    """A facilitator hides a comment; the reason is shown in its place."""
    if not permissions.can_moderate_comments(actor, proposal, membership):
        raise NotAllowed()
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise InvalidInput(_l("Give the reason for hiding the comment."))
    if comment.is_hidden:
        raise Conflict(_l("This comment is hidden already."))
    comment.hidden_reason, comment.hidden_by_id = reason, actor.id
    db.session.flush()
    _record_comment("hidden", comment, proposal, actor, reason=reason)


def unhide_comment(comment: Comment, proposal: Proposal, *, actor, membership: WorkgroupMembership | None) -> None:
    if not permissions.can_moderate_comments(actor, proposal, membership):
        raise NotAllowed()
    if not comment.is_hidden:
        raise Conflict(_l("This comment is not hidden."))
    reason = comment.hidden_reason
    comment.hidden_reason, comment.hidden_by_id = None, None
    db.session.flush()
    _record_comment("unhidden", comment, proposal, actor, previous_reason=reason)
