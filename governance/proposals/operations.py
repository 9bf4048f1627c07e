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
from governance.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from governance.extensions import db
from governance.members.models import Member
from governance.proposals import notifying, permissions
from governance.proposals.models import (
    COMMENT_MAX_DEPTH,
    AmendmentState,
    Comment,
    CommentFlag,
    CommentRevision,
    CommentTranslation,
    Proposal,
    ProposalAmendment,
    ProposalRevision,
    ProposalState,
    ProposalSupport,
    ProposalTranslation,
    last_original_change,
    normalise_newlines,
    occurrences,
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
    _add_follow(proposal.id, actor.id)  # writing a proposal follows it
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
    before = (dict(proposal.titles), dict(proposal.bodies))
    proposal.titles, proposal.bodies, proposal.original_language = titles, bodies, original_language
    db.session.flush()
    _authors_take_over_translations(proposal, *before)
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
    _add_member_follow(proposal.id, member_id)  # co-authoring follows it
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
    notifying.state_changed(proposal, old, actor=actor)


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
    notifying.state_changed(proposal, old, actor=actor)


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
        notifying.state_changed(proposal, old, actor=actor)
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
    _add_follow(proposal.id, actor.id)  # commenting follows the proposal
    notifying.comment_added(comment, proposal, parent, actor=actor)
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


# --- amendments ------------------------------------------------------------------------------------
class AmendmentInvalid(InvalidInput):
    """A proposed amendment that cannot be written; ``field`` names the form field it is about."""

    def __init__(self, message=None, *, field: str | None = None, **params):
        super().__init__(message, **params)
        self.field = field


class AmendmentNoLongerApplies(Conflict):
    default_message = _l("The text changed since; the amendment no longer applies.")


def _lock_amendment(amendment: ProposalAmendment, proposal: Proposal) -> None:
    """Changes to amendments lock their proposal (as every change to it does), then read the amendment again."""
    _lock(proposal)
    db.session.refresh(amendment, ["state", "decision_reason", "decided_by_id", "decided_dt"])


def _record_amendment(event: str, amendment: ProposalAmendment, proposal: Proposal, actor, **data) -> None:
    audit.record(f"amendment.{event}", actor=actor, obj=amendment, proposal_id=proposal.id,
                 workgroup_id=proposal.workgroup_id, number=amendment.number, **data)


def _check_proposal_open(proposal: Proposal, message) -> None:
    if proposal.state not in permissions.AMENDMENT_OPEN_STATES:
        raise Conflict(message)


def propose_amendment(proposal: Proposal, *, actor, membership: WorkgroupMembership | None, language: str,
                      original_excerpt: str, replacement: str, explanation: str) -> ProposalAmendment:
    """An active member of the workgroup (not an author) proposes to replace one passage of the current text in
    ``language`` (which must occur there exactly once; empty: add at the end) by ``replacement`` (empty: delete
    the passage), while the proposal is in discussion. Raises :class:`AmendmentInvalid` (422) naming the field."""
    from governance.core.i18n import language_in_text

    _writable(proposal)
    _lock(proposal)
    if not permissions.can_propose_amendment(actor, proposal, membership):
        if permissions.may_propose_amendments(actor, proposal, membership):
            raise Conflict(_l("Amendments can be proposed only while the proposal is in discussion."))
        if proposal.is_author(actor.member.id if actor.member else None):
            raise NotAllowed(_l("You are an author of this proposal: edit its text instead of proposing an "
                                "amendment."))
        raise NotAllowed()
    excerpt = normalise_newlines(original_excerpt).strip()
    replacement = normalise_newlines(replacement).strip()
    explanation = normalise_newlines(explanation).strip()
    body = normalise_newlines(proposal.bodies.get(language))
    if not body.strip():
        raise AmendmentInvalid(_l("The proposal has no text in this language."), field="language")
    if len(excerpt) > BODY_MAX:
        raise AmendmentInvalid(field="original_excerpt")
    if len(replacement) > BODY_MAX:
        raise AmendmentInvalid(field="replacement")
    if not excerpt and not replacement:
        raise AmendmentInvalid(_l("Give the passage to replace, the new text, or both."), field="replacement")
    if excerpt == replacement:
        raise AmendmentInvalid(_l("The new text is the same as the passage it replaces."), field="replacement")
    if not explanation:
        raise AmendmentInvalid(_l("Explain why you propose this amendment."), field="explanation")
    if len(explanation) > REASON_MAX:
        raise AmendmentInvalid(field="explanation")
    found = occurrences(body, excerpt) if excerpt else 1
    if found == 0:
        raise AmendmentInvalid(_l("This passage is not in the current text in %(language)s. Copy it exactly, "
                                  "Markdown signs included, from the text shown on this page."),
                               field="original_excerpt", language=language_in_text(language))
    if found > 1:
        raise AmendmentInvalid(_l("This passage occurs more than once in the text in %(language)s: include a "
                                  "few more words so that it occurs only once."),
                               field="original_excerpt", language=language_in_text(language))
    amendment = ProposalAmendment(proposal_id=proposal.id, author_id=actor.member.id, language=language,
                                  original_excerpt=excerpt, replacement=replacement, explanation=explanation,
                                  state=AmendmentState.proposed.value)
    new_body = amendment.apply_to(body)
    if not new_body.strip():
        raise AmendmentInvalid(_l("An amendment cannot remove the whole text."), field="original_excerpt")
    if len(new_body) > BODY_MAX:
        raise AmendmentInvalid(_l("With this amendment the text would be too long."), field="replacement")
    amendment.number = (db.session.execute(select(func.max(ProposalAmendment.number))
                                           .where(ProposalAmendment.proposal_id == proposal.id)).scalar() or 0) + 1
    amendment.base_revision = db.session.execute(select(func.max(ProposalRevision.number))
                                                 .where(ProposalRevision.proposal_id == proposal.id)).scalar() or 1
    try:
        with db.session.begin_nested():
            db.session.add(amendment)
            db.session.flush()
    except IntegrityError as exc:  # another amendment took the number meanwhile
        raise Conflict() from exc
    return amendment


def accept_amendment(amendment: ProposalAmendment, proposal: Proposal, *, actor,
                     membership: WorkgroupMembership | None) -> ProposalRevision:
    """An author accepts the amendment: the text changes and the new revision is credited to the amendment.

    The excerpt must still occur exactly once in the current text (:class:`AmendmentNoLongerApplies`, 409)."""
    _writable(proposal)
    _lock_amendment(amendment, proposal)
    if not permissions.may_answer_amendments(actor, proposal, membership):
        raise NotAllowed()
    if not amendment.can_become(AmendmentState.accepted):
        amendment.accept(actor)  # raises IllegalAmendmentTransition
    if not proposal.is_in_discussion:
        raise Conflict(_l("Amendments can be accepted only while the proposal is in discussion."))
    body = proposal.bodies.get(amendment.language)
    if not amendment.applies_to(body):
        raise AmendmentNoLongerApplies()
    new_body = amendment.apply_to(body)
    if not new_body.strip() or len(new_body) > BODY_MAX:
        raise AmendmentNoLongerApplies()
    before = (dict(proposal.titles), dict(proposal.bodies))
    proposal.bodies = {**proposal.bodies, amendment.language: new_body}
    # a translated version the authors changed through an amendment is theirs from now on
    _authors_take_over_translations(proposal, *before)
    old = amendment.accept(actor)
    db.session.flush()
    revision = _add_revision(proposal, actor.member)
    revision.amendment_id = amendment.id
    db.session.flush()
    _record_amendment("accepted", amendment, proposal, actor, old=old, revision=revision.number)
    _notify_amendment_author(amendment, proposal, actor)
    return revision


def reject_amendment(amendment: ProposalAmendment, proposal: Proposal, reason: str, *, actor,
                     membership: WorkgroupMembership | None) -> None:
    """An author rejects the amendment, with a reason everyone who sees the proposal reads."""
    _writable(proposal)
    _lock_amendment(amendment, proposal)
    if not permissions.may_answer_amendments(actor, proposal, membership):
        raise NotAllowed()
    if not amendment.can_become(AmendmentState.rejected):
        amendment.reject(actor, reason)  # raises IllegalAmendmentTransition
    _check_proposal_open(proposal, _l("The amendments of this proposal can no longer be answered."))
    reason = normalise_newlines(reason).strip()
    if not reason or len(reason) > REASON_MAX:
        raise AmendmentInvalid(_l("Give the reason for rejecting the amendment."), field="reason")
    old = amendment.reject(actor, reason)
    db.session.flush()
    _record_amendment("rejected", amendment, proposal, actor, old=old, reason=reason)
    _notify_amendment_author(amendment, proposal, actor)


def mark_for_vote(amendment: ProposalAmendment, proposal: Proposal, *, actor,
                          membership: WorkgroupMembership | None) -> None:
    """Someone who manages the workgroup puts the amendment (proposed, or rejected by the authors) to the vote
    with the proposal, while the proposal is in discussion or ready for a vote."""
    _writable(proposal)
    _lock_amendment(amendment, proposal)
    if not permissions.may_put_amendments_to_vote(actor, proposal, membership):
        raise NotAllowed()
    if not amendment.can_go_to_vote:
        amendment.put_to_vote(actor)  # raises IllegalAmendmentTransition
    _check_proposal_open(proposal, _l("Amendments can be put to the vote only while the proposal is in "
                                      "discussion or ready for a vote."))
    old = amendment.put_to_vote(actor)
    db.session.flush()
    _record_amendment("for_vote", amendment, proposal, actor, old=old)
    _notify_amendment_author(amendment, proposal, actor)


def withdraw_amendment(amendment: ProposalAmendment, proposal: Proposal, *, actor,
                       membership: WorkgroupMembership | None) -> None:
    """Its author withdraws a proposed amendment."""
    _writable(proposal)
    _lock_amendment(amendment, proposal)
    if not permissions.may_withdraw_amendment(actor, amendment, proposal, membership):
        raise NotAllowed()
    if not amendment.can_become(AmendmentState.withdrawn):
        amendment.withdraw(actor)  # raises IllegalAmendmentTransition
    _check_proposal_open(proposal, _l("The amendments of this proposal can no longer be withdrawn."))
    amendment.withdraw(actor)
    db.session.flush()


def _notify_amendment_author(amendment: ProposalAmendment, proposal: Proposal, actor) -> None:
    """The amendment's author learns the decision by email, in their language (unless they decided it
    themselves, have no account, or turned workgroup emails off)."""
    from governance.accounts.operations import account_email_language, email_link
    from governance.core.i18n import pick_text
    from governance.core.outbox import EmailSpec, queue_emails
    from governance.workgroups.queries import member_account

    if actor is not None and getattr(actor, "member_id", None) == amendment.author_id:
        return
    account = member_account(amendment.author_id)
    if account is None or not account.is_enabled or not account.notify_workgroup_email:
        return
    language = account_email_language(account)
    workgroup = proposal.workgroup
    queue_emails([EmailSpec(
        key=f"proposal:{proposal.id}:amendment:{amendment.number}:{amendment.state}",
        to_address=account.email, to_name=account.display_name, language=language,
        template="proposal_amendment_decided", topic=f"proposal:{proposal.id}:amendments",
        context={"proposal_title": pick_text(proposal.titles, proposal.original_language, [language]).text,
                 "workgroup_title": pick_text(workgroup.titles, workgroup.original_language, [language]).text,
                 "number": amendment.number, "state": amendment.state, "reason": amendment.decision_reason,
                 "amendment_url": email_link("proposals.amendment", workgroup_slug=workgroup.slug,
                                             proposal_id=proposal.id, number=amendment.number)},
    )])


# --- translations by members -----------------------------------------------------------------------
class AuthorsVersion(Conflict):
    default_message = _l("The authors wrote this language version themselves: they change it by editing the "
                         "proposal.")


class TranslationOfEarlierVersion(Conflict):
    default_message = _l("This translation is of an earlier version: it must be updated before it is marked "
                         "as reviewed.")


class OwnTranslation(NotAllowed):
    default_message = _l("You cannot review your own translation.")


def _translated_text(text: str | None, limit: int, missing) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(missing)
    if len(text) > limit:
        raise InvalidInput()
    return text


def _translation_language(workgroup: Workgroup, language: str) -> None:
    if language not in permissions.translation_languages(workgroup):
        raise InvalidInput(_l("This workgroup does not translate into this language."))


def _authors_take_over_translations(proposal: Proposal, old_titles: Mapping[str, str],
                                    old_bodies: Mapping[str, str]) -> None:
    """After the authors' edit (:func:`edit_proposal`, whose form saves every language): a translated version
    they changed, removed or made the original becomes theirs — its translation record goes, so the version
    reads "by the authors". One they left as it was stays a translation (of an earlier version, when they
    changed the original)."""
    theirs = [code for code in {*old_titles, *old_bodies, *proposal.titles, *proposal.bodies}
              if code == proposal.original_language
              or (old_titles.get(code), old_bodies.get(code)) != (proposal.titles.get(code), proposal.bodies.get(code))]
    if theirs:
        db.session.execute(delete(ProposalTranslation).where(ProposalTranslation.proposal_id == proposal.id,
                                                             ProposalTranslation.language.in_(theirs)))


def _proposal_translation(proposal: Proposal, language: str) -> ProposalTranslation | None:
    return db.session.execute(select(ProposalTranslation).where(
        ProposalTranslation.proposal_id == proposal.id, ProposalTranslation.language == language)
    ).scalar_one_or_none()


def _history(proposal: Proposal) -> tuple[int, int]:
    """The latest revision's number and the number of the last revision that changed the original."""
    revisions = list(db.session.execute(
        select(ProposalRevision).where(ProposalRevision.proposal_id == proposal.id)).scalars())
    return max((r.number for r in revisions), default=1), last_original_change(revisions)


def _set_review(translation, reviewed: bool, actor, *, earlier: bool) -> None:
    if reviewed:
        if translation.is_reviewed:
            raise Conflict(_l("This translation is marked as reviewed already."))
        if earlier:
            raise TranslationOfEarlierVersion()
        translation.reviewed_by_id, translation.reviewed_dt = actor.id, utcnow()
    else:
        if not translation.is_reviewed:
            raise Conflict(_l("This translation is not marked as reviewed."))
        translation.reviewed_by_id, translation.reviewed_dt = None, None
    db.session.flush()


def translate_proposal(proposal: Proposal, language: str, title: str, body: str, *, actor,
                       membership: WorkgroupMembership | None) -> ProposalTranslation | None:
    """The actor's member translates the title and the text into ``language``, or updates the translation.

    The texts go into the proposal under ``language`` and a revision is written, credited to the translator.
    Saving again credits the member who saves (the latest translator), ties the translation to the current
    original and clears its review; saving the same texts for a translation of an earlier version confirms it
    for the current original. Returns None when nothing changed.

    NotAllowed: not someone who may comment; InvalidInput: a language the workgroup does not translate into,
    the original language, an empty or too long text; :class:`AuthorsVersion`: the authors wrote this version.
    """
    _writable(proposal)
    _lock(proposal)
    if not permissions.can_translate(actor, proposal, membership):
        raise NotAllowed()
    _translation_language(proposal.workgroup, language)
    if language == proposal.original_language:
        raise InvalidInput(_l("The proposal is written in this language: choose another language."))
    title = _translated_text(title, TITLE_MAX, _l("Give the translated title."))
    body = _translated_text(body, BODY_MAX, _l("Give the translated text."))
    translation = _proposal_translation(proposal, language)
    if translation is None and (proposal.titles.get(language) or proposal.bodies.get(language)):
        raise AuthorsVersion()
    latest, original_changed = _history(proposal)
    same = (proposal.titles.get(language), proposal.bodies.get(language)) == (title, body)
    if same and translation is not None and not translation.is_earlier_version(original_changed):
        return None
    number = latest
    if not same:
        proposal.titles = {**proposal.titles, language: title}
        proposal.bodies = {**proposal.bodies, language: body}
        db.session.flush()
        number = _add_revision(proposal, actor.member).number
    if translation is None:
        translation = ProposalTranslation(proposal_id=proposal.id, language=language, translator_id=actor.member.id,
                                          revision_number=number)
        try:
            with db.session.begin_nested():
                db.session.add(translation)
                db.session.flush()
        except IntegrityError as exc:  # translated into the same language meanwhile
            raise Conflict() from exc
        return translation
    translation.translator_id, translation.revision_number = actor.member.id, number
    translation.reviewed_by_id, translation.reviewed_dt = None, None
    db.session.flush()
    return translation


def review_proposal_translation(proposal: Proposal, language: str, *, actor, membership: WorkgroupMembership | None,
                                reviewed: bool = True) -> ProposalTranslation:
    """Someone who manages the workgroup marks the translation into ``language`` as reviewed (``reviewed=False``:
    withdraws the review). Never one's own translation (:class:`OwnTranslation`); a translation of an earlier
    version is updated first (:class:`TranslationOfEarlierVersion`). Audited."""
    _writable(proposal)
    _lock(proposal)
    if not permissions.can_review_translations(actor, proposal, membership):
        raise NotAllowed()
    translation = _proposal_translation(proposal, language)
    if translation is None:
        raise NotFound()
    if not permissions.can_review_translation(actor, translation, proposal, membership):
        raise OwnTranslation()
    _set_review(translation, reviewed, actor, earlier=translation.is_earlier_version(_history(proposal)[1]))
    _record("translation_reviewed" if reviewed else "translation_review_withdrawn", proposal, actor,
            language=language, translator_id=translation.translator_id, revision=translation.revision_number)
    return translation


def translate_comment(comment: Comment, proposal: Proposal, language: str, body: str, *, actor,
                      membership: WorkgroupMembership | None,
                      source_language: str | None = None) -> CommentTranslation | None:
    """The actor's member translates a comment still shown into ``language``, or updates the translation.

    ``source_language`` is the language the comment is written in (by default what an earlier translation said,
    else the comment author's language); it must be one the workgroup translates into, or the author's.
    Saving again credits the member who saves, ties the translation to the comment as it is now (a translation
    made before the comment's last edit is stale) and clears its review. Returns None when nothing changed."""
    from governance.proposals import queries

    _writable(proposal)
    if comment.proposal_id != proposal.id:
        raise InvalidInput()
    if not permissions.can_translate_comment(actor, comment, proposal, membership):
        raise NotAllowed()
    _translation_language(proposal.workgroup, language)
    if source_language is None:
        source_language = queries.comment_source_language(comment)
    if source_language not in queries.comment_source_languages(comment, proposal.workgroup):
        raise InvalidInput()
    if language == source_language:
        raise InvalidInput(_l("The comment is written in this language: choose another language."))
    body = _translated_text(body, COMMENT_MAX, _l("Write the translation."))
    translation = db.session.execute(select(CommentTranslation).where(
        CommentTranslation.comment_id == comment.id, CommentTranslation.language == language)).scalar_one_or_none()
    written = comment.edited_dt or comment.created_dt
    if translation is None:
        translation = CommentTranslation(comment_id=comment.id, language=language, source_language=source_language,
                                         body=body, translator_id=actor.member.id, source_written_dt=written)
        try:
            with db.session.begin_nested():
                db.session.add(translation)
                db.session.flush()
        except IntegrityError as exc:  # translated into the same language meanwhile
            raise Conflict() from exc
        return translation
    if (translation.body, translation.source_language) == (body, source_language) and not translation.is_stale(comment):
        return None
    translation.body, translation.source_language, translation.source_written_dt = body, source_language, written
    translation.translator_id = actor.member.id
    translation.reviewed_by_id, translation.reviewed_dt = None, None
    db.session.flush()
    return translation


def review_comment_translation(comment: Comment, proposal: Proposal, language: str, *, actor,
                               membership: WorkgroupMembership | None, reviewed: bool = True) -> CommentTranslation:
    """As :func:`review_proposal_translation`, for a comment's translation (a stale one is updated first)."""
    _writable(proposal)
    if comment.proposal_id != proposal.id:
        raise InvalidInput()
    if not permissions.can_review_translations(actor, proposal, membership):
        raise NotAllowed()
    translation = db.session.execute(select(CommentTranslation).where(
        CommentTranslation.comment_id == comment.id, CommentTranslation.language == language)
        .with_for_update()).scalar_one_or_none()
    if translation is None or not comment.is_visible:
        raise NotFound()
    if not permissions.can_review_translation(actor, translation, proposal, membership):
        raise OwnTranslation()
    _set_review(translation, reviewed, actor, earlier=translation.is_stale(comment))
    _record_comment("translation_reviewed" if reviewed else "translation_review_withdrawn", comment, proposal, actor,
                    language=language, translator_id=translation.translator_id)
    return translation


# --- following -------------------------------------------------------------------------------------
def _add_follow(proposal_id: int, account_id: int) -> bool:
    """The account follows the proposal (False: it did already). Safe when two requests race."""
    from governance.proposals.models import ProposalFollow

    if db.session.execute(select(ProposalFollow.id).where(ProposalFollow.proposal_id == proposal_id,
                                                          ProposalFollow.account_id == account_id)).first():
        return False
    try:
        with db.session.begin_nested():
            db.session.execute(insert(ProposalFollow).values(proposal_id=proposal_id, account_id=account_id,
                                                             created_dt=utcnow()))
    except IntegrityError:  # the same follow written meanwhile
        return False
    return True


def _add_member_follow(proposal_id: int, member_id: int) -> None:
    """The account of a register member (if it has one) follows the proposal."""
    from governance.accounts.models import Account

    account_id = db.session.execute(select(Account.id).where(Account.member_id == member_id)).scalar()
    if account_id is not None:
        _add_follow(proposal_id, account_id)


def follow_proposal(proposal: Proposal, *, actor) -> bool:
    """The actor follows the proposal: notified of its comments and changes of state. Following twice changes
    nothing (returns False)."""
    if not permissions.can_follow_proposal(actor, proposal):
        raise NotAllowed()
    return _add_follow(proposal.id, actor.id)


def unfollow_proposal(proposal: Proposal, *, actor) -> bool:
    """The actor no longer follows the proposal (False: it did not). Replies to their comments and, for its
    authors, changes of state still reach them."""
    from governance.proposals.models import ProposalFollow

    if not permissions.can_follow_proposal(actor, proposal):
        raise NotAllowed()
    result = db.session.execute(delete(ProposalFollow).where(ProposalFollow.proposal_id == proposal.id,
                                                             ProposalFollow.account_id == actor.id))
    return bool(result.rowcount)
