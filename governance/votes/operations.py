"""Everything that changes ballots: define, open, cast, close, extend, annul, and the scheduler's tick.

Each operation takes the acting account explicitly (``actor=None`` is the system: the scheduler), checks the
rules, flushes, audits lifecycle events and queues notifications; none commits. Casting a vote writes no
audit entry and no log line: the audit entry written at close holds the hashes of the sorted participation
list and of the sorted list of choices instead (DESIGN §5, §7).

Concurrency. Casting takes a shared lock on the ballot's row, closing, extending and annulling an exclusive
one (PostgreSQL; SQLite's immediate write transactions serialise all writers anyway): votes cast together
never wait for one another, and a vote is either counted by the close or refused because the ballot closed —
never written into a box the close already read. One participation per member and ballot is the primary key
of ``ballot_participations``, inserted in the same transaction as the ballot paper.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from babel.dates import format_datetime as babel_format_datetime
from flask import current_app
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.routing import BuildError

from governance.core import audit
from governance.core.db_types import utcnow
from governance.core.errors import Conflict, DomainError, InvalidInput, NotAllowed
from governance.core.faults import fault_point
from governance.core.i18n import language_in_text, pick_text
from governance.core.outbox import EmailSpec, queue_emails
from governance.extensions import db
from governance.members.models import Member, MemberStatus
from governance.proposals.models import Proposal, ProposalState
from governance.votes import permissions, roll
from governance.votes.methods import decision as decision_rules
from governance.votes.models import (
    Ballot,
    BallotExtension,
    BallotMethod,
    BallotOption,
    BallotState,
    BoxEntry,
    ElectorateKind,
    IllegalTransition,
    OpenVote,
    PaperBallot,
    Participation,
    Receipt,
    ResultVisibility,
    RollEntry,
    VoteChannel,
    YnaChoice,
    ballot_listed_members,
)
from governance.workgroups.models import Workgroup, WorkgroupMembership

log = logging.getLogger(__name__)

QUESTION_MAX = 1000
DESCRIPTION_MAX = 50000
OPTION_MAX = 500
REASON_MAX = 5000
MAX_OPTIONS = 200
#: receipt codes: 10 characters from an alphabet without look-alikes (no 0/O, 1/I/L), about 50 bits
RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
RECEIPT_LENGTH = 10
#: rows per statement when the ballot box is rewritten at close
_CHUNK = 1000
#: fields of a ballot that :func:`update_ballot` changes (in draft only)
EDITABLE_FIELDS = frozenset({
    "questions", "descriptions", "original_language", "method", "seats", "max_choices", "is_secret",
    "electorate_kind", "branch_ids", "eligible_statuses", "register_cutoff", "workgroup", "member_ids",
    "opens_at", "closes_at", "quorum", "majority", "result_visibility", "options",
})


# --- errors ----------------------------------------------------------------------------------------
class AlreadyVoted(Conflict):
    default_message = _l("You have already voted in this ballot.")


class MemberAlreadyVoted(AlreadyVoted):
    default_message = _l("A vote has already been cast for this member in this ballot.")


class NotOnRoll(NotAllowed):
    default_message = _l("This member is not on the electoral roll of this ballot.")


class BallotNotOpen(Conflict):
    default_message = _l("This ballot is not open for voting.")


class BallotFrozen(Conflict):
    default_message = _l("This ballot has opened: its question, options and rules can no longer be changed.")


class LanguagesMissing(Conflict):
    """The ballot's texts do not exist in every language its branches require; ``missing`` lists
    ``(language, [what, …])``."""

    default_message = _l("The ballot cannot open before its texts exist in every required language. "
                         "Missing: %(missing)s.")

    def __init__(self, missing: list[tuple[str, list[str]]]):
        self.missing = missing
        parts = [f"{language_in_text(code)} ({', '.join(items)})" for code, items in missing]
        super().__init__(missing="; ".join(parts))


# --- helpers ---------------------------------------------------------------------------------------
def _now(now: dt.datetime | None) -> dt.datetime:
    return now if now is not None else utcnow()


def _is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _lock(ballot: Ballot, *, shared: bool = False) -> None:
    """Lock the ballot's row (shared: votes; exclusive: lifecycle) and read its state again."""
    if ballot.id is None:
        return
    if _is_postgresql():
        db.session.execute(select(Ballot.id).where(Ballot.id == ballot.id).with_for_update(read=shared))
    db.session.refresh(ballot, ["state", "opens_at", "closes_at", "opened_dt", "closed_dt", "reminder_sent_dt"])


def _membership(actor, ballot_or_workgroup_id) -> WorkgroupMembership | None:
    member = getattr(actor, "member", None)
    workgroup_id = ballot_or_workgroup_id
    if isinstance(ballot_or_workgroup_id, Ballot):
        workgroup_id = ballot_or_workgroup_id.workgroup_id
    if member is None or workgroup_id is None:
        return None
    return db.session.execute(select(WorkgroupMembership).where(
        WorkgroupMembership.workgroup_id == workgroup_id,
        WorkgroupMembership.member_id == member.id)).scalar_one_or_none()


def _require_manager(actor, ballot: Ballot, membership: WorkgroupMembership | None) -> None:
    """The system (``actor=None``) may; an account must manage the ballot."""
    if actor is None:
        return
    if membership is None:
        membership = _membership(actor, ballot)
    if not permissions.can_manage_ballot(actor, ballot, membership):
        raise NotAllowed()


def _require_draft(ballot: Ballot) -> None:
    if not ballot.is_draft:
        raise BallotFrozen()


def _record(event: str, ballot: Ballot, actor, **data) -> None:
    audit.record(f"ballot.{event}", actor=actor, obj=ballot, **data)


def _clean_texts(texts: Mapping[str, str] | None, limit: int) -> dict[str, str]:
    cleaned = {}
    for code, text in (texts or {}).items():
        text = (text or "").strip()
        if len(text) > limit:
            raise InvalidInput(_l("A text is too long (at most %(max)s characters).", max=limit))
        if text:
            cleaned[str(code)] = text
    return cleaned


def _clean_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_l("Give the reason."))
    if len(reason) > REASON_MAX:
        raise InvalidInput(_l("The reason is too long (at most %(max)s characters).", max=REASON_MAX))
    return reason


def new_receipt_code() -> str:
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))


def new_lot_seed() -> str:
    return secrets.token_hex(32)


# --- choices ---------------------------------------------------------------------------------------
def _option_id(value: Any, ballot: Ballot) -> int:
    if isinstance(value, bool):
        raise InvalidInput(_l("This option is not on the ballot."))
    try:
        option_id = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(_l("This option is not on the ballot.")) from None
    if ballot.option_by_id(option_id) is None:
        raise InvalidInput(_l("This option is not on the ballot."))
    return option_id


def normalize_choice(ballot: Ballot, choice: Any) -> tuple[Any, str]:
    """The choice as stored (JSON) and its canonical key; raises :class:`InvalidInput` when the method does not
    accept it (see the models' docstring for the forms of a choice)."""
    method = ballot.method_enum
    if method is BallotMethod.yna:
        value = choice.value if isinstance(choice, YnaChoice) else choice
        if not isinstance(value, str) or value not in {c.value for c in YnaChoice}:
            raise InvalidInput(_l("Choose yes, no or abstain."))
        return value, value
    if method is BallotMethod.plurality:
        if isinstance(choice, (list, tuple)):
            if len(choice) != 1:
                raise InvalidInput(_l("Choose one option."))
            choice = choice[0]
        option_id = _option_id(choice, ballot)
        return option_id, str(option_id)
    if isinstance(choice, (str, int)) or choice is None:
        choice = [] if choice in (None, "") else [choice]
    ids = [_option_id(value, ballot) for value in choice]
    if len(set(ids)) != len(ids):
        raise InvalidInput(_l("An option can be chosen only once."))
    if method is BallotMethod.approval:
        if not ids:
            raise InvalidInput(_l("Choose at least one option."))
        if len(ids) > (ballot.max_choices or 0):
            raise InvalidInput(_l("Choose at most %(max)s options.", max=ballot.max_choices))
        ids.sort()
        return ids, ",".join(str(i) for i in ids)
    if not ids:
        raise InvalidInput(_l("Rank at least one option."))
    return ids, ">".join(str(i) for i in ids)


def parse_choice_key(ballot: Ballot, key: str) -> str | tuple[str, ...]:
    """A stored ``choice_key`` back as the counting methods take it: an option key, or a tuple of keys."""
    if ballot.method in (BallotMethod.yna.value, BallotMethod.plurality.value):
        return key
    if ballot.method == BallotMethod.approval.value:
        return tuple(key.split(",")) if key else ()
    return tuple(key.split(">")) if key else ()


# --- definition ------------------------------------------------------------------------------------
@dataclass
class _Definition:
    """A ballot's definition being validated, from keyword arguments or from a ballot."""

    questions: dict[str, str]
    descriptions: dict[str, str]
    original_language: str
    method: str
    seats: int | None
    max_choices: int | None
    is_secret: bool
    electorate_kind: str
    branch_ids: set[int]
    eligible_statuses: list[str]
    register_cutoff: dt.date | None
    workgroup: Workgroup | None
    member_ids: set[int]
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    quorum: str
    majority: str
    result_visibility: str
    options: list[dict[str, str]] | None = None


def _validate(d: _Definition, *, now: dt.datetime) -> None:
    if not d.original_language or not d.questions.get(d.original_language):
        raise InvalidInput(_l("Give the question in the original language."))
    if set(d.descriptions) - set(d.questions):
        raise InvalidInput(_l("An explanation needs the question in the same language."))
    try:
        method = BallotMethod(d.method)
    except ValueError:
        raise InvalidInput(_l("Choose a voting method.")) from None
    if method is BallotMethod.stv:
        if d.seats is None or isinstance(d.seats, bool) or int(d.seats) < 1:
            raise InvalidInput(_l("Give the number of seats to fill (at least 1)."))
    elif d.seats is not None:
        raise InvalidInput(_l("Only a single transferable vote fills several seats."))
    if method is BallotMethod.approval:
        if d.max_choices is None or isinstance(d.max_choices, bool) or int(d.max_choices) < 1:
            raise InvalidInput(_l("Give how many options a member may approve (at least 1)."))
    elif d.max_choices is not None:
        raise InvalidInput(_l("Only an approval ballot has a number of choices."))
    if method is BallotMethod.yna and d.options:
        raise InvalidInput(_l("A yes/no/abstain ballot has no options."))
    if d.options is not None:
        if len(d.options) > MAX_OPTIONS:
            raise InvalidInput(_l("A ballot has at most %(max)s options.", max=MAX_OPTIONS))
        for labels in d.options:
            if not labels.get(d.original_language):
                raise InvalidInput(_l("Give each option in the original language."))
    try:
        kind = ElectorateKind(d.electorate_kind)
    except ValueError:
        raise InvalidInput(_l("Choose who votes.")) from None
    statuses = {s.value for s in MemberStatus}
    if not d.eligible_statuses or set(d.eligible_statuses) - statuses:
        raise InvalidInput(_l("Choose the membership statuses that give a vote."))
    if kind is ElectorateKind.register and not d.branch_ids:
        raise InvalidInput(_l("Choose the branches whose members vote."))
    if kind is ElectorateKind.workgroup and d.workgroup is None:
        raise InvalidInput(_l("Choose the workgroup whose members vote."))
    if kind is ElectorateKind.list and not d.member_ids:
        raise InvalidInput(_l("Give the members who vote."))
    if kind is not ElectorateKind.register and d.register_cutoff is not None:
        raise InvalidInput(_l("A register cut-off date applies only to a ballot of the register's members."))
    for value in (d.opens_at, d.closes_at):
        if value is not None and value.tzinfo is None:
            raise InvalidInput(_l("Give the times with their time zone."))
    if d.opens_at is not None and d.closes_at is not None and d.closes_at <= d.opens_at:
        raise InvalidInput(_l("The ballot must close after it opens."))
    if d.closes_at is not None and d.closes_at <= now:
        raise InvalidInput(_l("The closing time must be in the future."))
    if not decision_rules.is_valid_quorum(d.quorum):
        raise InvalidInput(_l("This quorum is not valid."))
    if not decision_rules.is_valid_rule(d.majority):
        raise InvalidInput(_l("This majority rule is not valid."))
    try:
        ResultVisibility(d.result_visibility)
    except ValueError:
        raise InvalidInput(_l("Choose who sees the result.")) from None


def _definition_of(ballot: Ballot) -> _Definition:
    listed = set()
    if ballot.electorate_kind == ElectorateKind.list.value and ballot.id is not None:
        listed = set(db.session.execute(select(ballot_listed_members.c.member_id).where(
            ballot_listed_members.c.ballot_id == ballot.id)).scalars())
    return _Definition(
        questions=dict(ballot.questions), descriptions=dict(ballot.descriptions),
        original_language=ballot.original_language, method=ballot.method, seats=ballot.seats,
        max_choices=ballot.max_choices, is_secret=ballot.is_secret, electorate_kind=ballot.electorate_kind,
        branch_ids=set(ballot.branch_ids), eligible_statuses=list(ballot.eligible_statuses),
        register_cutoff=ballot.register_cutoff, workgroup=ballot.workgroup, member_ids=listed,
        opens_at=ballot.opens_at, closes_at=ballot.closes_at, quorum=ballot.quorum, majority=ballot.majority,
        result_visibility=ballot.result_visibility, options=None)


def _clean_definition(d: _Definition) -> _Definition:
    d.questions = _clean_texts(d.questions, QUESTION_MAX)
    d.descriptions = _clean_texts(d.descriptions, DESCRIPTION_MAX)
    d.original_language = (d.original_language or "").strip()
    if d.options is not None:
        d.options = [_clean_texts(labels, OPTION_MAX) for labels in d.options]
    d.seats = None if d.seats in (None, "") else d.seats
    d.max_choices = None if d.max_choices in (None, "") else d.max_choices
    d.branch_ids = {int(i) for i in d.branch_ids or ()}
    d.member_ids = {int(i) for i in d.member_ids or ()}
    d.eligible_statuses = sorted({str(s) for s in d.eligible_statuses or ()})
    d.quorum = (d.quorum or "none").strip()
    d.majority = (d.majority or "simple").strip()
    return d


def _check_scope_allowed(actor, d: _Definition, membership: WorkgroupMembership | None) -> None:
    """The actor may define a ballot for this electorate."""
    if actor is None:
        return
    if d.electorate_kind == ElectorateKind.workgroup.value:
        if membership is None and d.workgroup is not None:
            membership = _membership(actor, d.workgroup.id)
        allowed = permissions.can_create_ballot(actor, workgroup=d.workgroup, membership=membership)
    elif d.electorate_kind == ElectorateKind.list.value:
        allowed = permissions.can_create_ballot(actor, branch_ids=roll.listed_branch_ids(d.member_ids))
    else:
        allowed = permissions.can_create_ballot(actor, branch_ids=d.branch_ids)
    if not allowed:
        raise NotAllowed()


def _apply(ballot: Ballot, d: _Definition) -> None:
    """Write a validated definition into the ballot (and its branches, listed members and options)."""
    from governance.members.models import Branch

    ballot.questions, ballot.descriptions = d.questions, d.descriptions
    ballot.original_language, ballot.method = d.original_language, d.method
    ballot.seats = int(d.seats) if d.seats is not None else None
    ballot.max_choices = int(d.max_choices) if d.max_choices is not None else None
    ballot.is_secret = bool(d.is_secret)
    ballot.electorate_kind = d.electorate_kind
    ballot.eligible_statuses = list(d.eligible_statuses)
    ballot.register_cutoff = d.register_cutoff
    ballot.workgroup = d.workgroup if d.electorate_kind == ElectorateKind.workgroup.value else None
    ballot.workgroup_id = ballot.workgroup.id if ballot.workgroup is not None else None
    ballot.opens_at, ballot.closes_at = d.opens_at, d.closes_at
    ballot.quorum, ballot.majority, ballot.result_visibility = d.quorum, d.majority, d.result_visibility
    if ballot.id is None:
        db.session.add(ballot)
        db.session.flush()
    # scope branches: the register's, or those of the listed members
    if d.electorate_kind == ElectorateKind.register.value:
        branch_ids = d.branch_ids
    elif d.electorate_kind == ElectorateKind.list.value:
        branch_ids = roll.listed_branch_ids(d.member_ids)
    else:
        branch_ids = set()
    if d.electorate_kind == ElectorateKind.register.value and branch_ids:
        found = set(db.session.execute(select(Branch.id).where(Branch.id.in_(branch_ids))).scalars())
        if found != branch_ids:
            raise InvalidInput(_l("One of the branches does not exist."))
    ballot.branches = list(db.session.execute(
        select(Branch).where(Branch.id.in_(branch_ids)).order_by(Branch.code)).scalars()) if branch_ids else []
    db.session.execute(delete(ballot_listed_members).where(ballot_listed_members.c.ballot_id == ballot.id))
    if d.electorate_kind == ElectorateKind.list.value:
        ids = sorted(d.member_ids)
        found = set()
        for start in range(0, len(ids), _CHUNK):
            found.update(db.session.execute(select(Member.id).where(Member.id.in_(ids[start:start + _CHUNK])))
                         .scalars())
        if found != set(ids):
            raise InvalidInput(_l("One of the listed members is not in the register."))
        for start in range(0, len(ids), _CHUNK):
            db.session.execute(insert(ballot_listed_members), [
                {"ballot_id": ballot.id, "member_id": member_id} for member_id in ids[start:start + _CHUNK]])
    if d.options is not None:
        _replace_options(ballot, d.options)
    db.session.flush()


def _replace_options(ballot: Ballot, options: Sequence[Mapping[str, str]]) -> None:
    for option in list(ballot.options):
        ballot.options.remove(option)
    db.session.flush()
    for position, labels in enumerate(options, start=1):
        ballot.options.append(BallotOption(position=position, labels=dict(labels)))
    db.session.flush()


def create_ballot(*, actor, questions: Mapping[str, str], original_language: str, method: str = "yna",
                  options: Sequence[Mapping[str, str]] = (), descriptions: Mapping[str, str] | None = None,
                  seats: int | None = None, max_choices: int | None = None, is_secret: bool = True,
                  electorate_kind: str = "register", branch_ids: Iterable[int] = (),
                  eligible_statuses: Iterable[str] = ("active",), register_cutoff: dt.date | None = None,
                  workgroup: Workgroup | None = None, member_ids: Iterable[int] = (),
                  opens_at: dt.datetime | None = None, closes_at: dt.datetime | None = None,
                  quorum: str = "none", majority: str = "simple", result_visibility: str = "everyone",
                  proposal: Proposal | None = None, membership: WorkgroupMembership | None = None,
                  now: dt.datetime | None = None) -> Ballot:
    """A draft ballot. ``options`` are label mappings (language → text) in ballot order; ``quorum`` and
    ``majority`` are codes of :mod:`governance.votes.methods.decision`."""
    return _create(actor=actor, check_scope=True, questions=questions, original_language=original_language,
                   method=method, options=options, descriptions=descriptions, seats=seats, max_choices=max_choices,
                   is_secret=is_secret, electorate_kind=electorate_kind, branch_ids=branch_ids,
                   eligible_statuses=eligible_statuses, register_cutoff=register_cutoff, workgroup=workgroup,
                   member_ids=member_ids, opens_at=opens_at, closes_at=closes_at, quorum=quorum, majority=majority,
                   result_visibility=result_visibility, proposal=proposal, membership=membership, now=now)


def _create(*, actor, check_scope: bool, questions, original_language, method, options, descriptions, seats,
            max_choices, is_secret, electorate_kind, branch_ids, eligible_statuses, register_cutoff, workgroup,
            member_ids, opens_at, closes_at, quorum, majority, result_visibility, proposal, membership, now,
            amendment=None) -> Ballot:
    d = _clean_definition(_Definition(
        questions=dict(questions), descriptions=dict(descriptions or {}), original_language=original_language,
        method=method, seats=seats, max_choices=max_choices, is_secret=is_secret, electorate_kind=electorate_kind,
        branch_ids=set(branch_ids), eligible_statuses=list(eligible_statuses), register_cutoff=register_cutoff,
        workgroup=workgroup, member_ids=set(member_ids), opens_at=opens_at, closes_at=closes_at, quorum=quorum,
        majority=majority, result_visibility=result_visibility, options=[dict(o) for o in options]))
    _validate(d, now=_now(now))
    if check_scope:
        _check_scope_allowed(actor, d, membership)
    ballot = Ballot(state=BallotState.draft.value, created_by_id=getattr(actor, "id", None),
                    proposal_id=proposal.id if proposal is not None else None,
                    amendment_id=amendment.id if amendment is not None else None)
    _apply(ballot, d)
    _record("created", ballot, actor, method=ballot.method, is_secret=ballot.is_secret,
            electorate=ballot.electorate_kind, proposal_id=ballot.proposal_id)
    return ballot


def update_ballot(ballot: Ballot, *, actor, membership: WorkgroupMembership | None = None,
                  now: dt.datetime | None = None, **changes: Any) -> Ballot:
    """Change a draft's definition (any of :data:`EDITABLE_FIELDS`; ``options`` replaces every option)."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"update_ballot() cannot change {sorted(unknown)}")
    _lock(ballot)
    _require_draft(ballot)
    _require_manager(actor, ballot, membership)
    d = _definition_of(ballot)
    for name, value in changes.items():
        if name == "options":
            value = [dict(o) for o in value]
        setattr(d, name, value)
    if d.options is None and d.method == BallotMethod.yna.value and ballot.options:
        d.options = []  # a yes/no/abstain ballot has no options
    d = _clean_definition(d)
    if d.options is None:
        # the options stay; they must still be given in the (possibly new) original language
        d_options = [dict(o.labels) for o in ballot.options]
        if d_options and any(not o.get(d.original_language) for o in d_options):
            raise InvalidInput(_l("Give each option in the original language."))
        if d_options and d.method == BallotMethod.yna.value:
            raise InvalidInput(_l("A yes/no/abstain ballot has no options."))
    _validate(d, now=_now(now))
    _check_scope_allowed(actor, d, membership)
    _apply(ballot, d)
    _record("updated", ballot, actor, fields=sorted(changes))
    return ballot


def add_option(ballot: Ballot, labels: Mapping[str, str], *, actor,
               membership: WorkgroupMembership | None = None) -> BallotOption:
    _lock(ballot)
    _require_draft(ballot)
    _require_manager(actor, ballot, membership)
    if not ballot.uses_options:
        raise InvalidInput(_l("A yes/no/abstain ballot has no options."))
    labels = _clean_texts(labels, OPTION_MAX)
    if not labels.get(ballot.original_language):
        raise InvalidInput(_l("Give each option in the original language."))
    if len(ballot.options) >= MAX_OPTIONS:
        raise InvalidInput(_l("A ballot has at most %(max)s options.", max=MAX_OPTIONS))
    position = max((o.position for o in ballot.options), default=0) + 1
    option = BallotOption(position=position, labels=labels)
    ballot.options.append(option)
    db.session.flush()
    _record("option_added", ballot, actor, option_id=option.id, position=position)
    return option


def edit_option(option: BallotOption, labels: Mapping[str, str], *, actor,
                membership: WorkgroupMembership | None = None) -> BallotOption:
    ballot = option.ballot
    _lock(ballot)
    _require_draft(ballot)
    _require_manager(actor, ballot, membership)
    labels = _clean_texts(labels, OPTION_MAX)
    if not labels.get(ballot.original_language):
        raise InvalidInput(_l("Give each option in the original language."))
    option.labels = labels
    db.session.flush()
    _record("option_edited", ballot, actor, option_id=option.id)
    return option


def remove_option(option: BallotOption, *, actor, membership: WorkgroupMembership | None = None) -> None:
    """Remove an option; the following ones move up one place."""
    ballot = option.ballot
    _lock(ballot)
    _require_draft(ballot)
    _require_manager(actor, ballot, membership)
    option_id, position = option.id, option.position
    ballot.options.remove(option)
    db.session.flush()
    for other in sorted(ballot.options, key=lambda o: o.position):
        if other.position > position:
            other.position -= 1
            db.session.flush()  # one at a time: (ballot, position) stays unique at every step
    _record("option_removed", ballot, actor, option_id=option_id, position=position)


def delete_ballot(ballot: Ballot, *, actor, membership: WorkgroupMembership | None = None) -> None:
    """A draft may be deleted; once open a ballot can only be annulled."""
    _lock(ballot)
    _require_draft(ballot)
    _require_manager(actor, ballot, membership)
    ballot_id = ballot.id
    _record("deleted", ballot, actor)
    db.session.delete(ballot)
    db.session.flush()
    log.info("ballot %s deleted", ballot_id)


def ballot_from_proposal(proposal: Proposal, *, actor, membership: WorkgroupMembership | None = None,
                         is_secret: bool = True, electorate_kind: str = "workgroup", branch_ids: Iterable[int] = (),
                         member_ids: Iterable[int] = (), eligible_statuses: Iterable[str] = ("active",),
                         register_cutoff: dt.date | None = None, opens_at: dt.datetime | None = None,
                         closes_at: dt.datetime | None = None, quorum: str = "none", majority: str = "simple",
                         result_visibility: str = "everyone", now: dt.datetime | None = None) -> Ballot:
    """Put a proposal that is ready for a vote to a yes/no/abstain ballot (a draft: its question and explanation
    are the proposal's title and text, in every language the proposal has; by default the workgroup's members
    vote), and each of its amendments marked for the vote to one more yes/no/abstain ballot with the same
    electorate, window and rules (see :func:`amendment_ballots`). Returns the proposal's own ballot."""
    if proposal.state != ProposalState.ready_for_vote.value:
        raise Conflict(_l("Only a proposal that is ready for a vote can be put to the vote."))
    if membership is None and actor is not None:
        membership = _membership(actor, proposal.workgroup_id)
    if actor is not None and not permissions.can_create_ballot_from_proposal(actor, proposal, membership):
        raise NotAllowed()
    existing = db.session.execute(select(Ballot.id).where(
        Ballot.proposal_id == proposal.id, Ballot.amendment_id.is_(None),
        Ballot.state != BallotState.annulled.value)).first()
    if existing is not None:
        raise Conflict(_l("This proposal has been put to the vote already."))
    workgroup = db.session.get(Workgroup, proposal.workgroup_id)
    common = dict(
        is_secret=is_secret, electorate_kind=electorate_kind, branch_ids=branch_ids, member_ids=member_ids,
        eligible_statuses=eligible_statuses, register_cutoff=register_cutoff,
        workgroup=workgroup if electorate_kind == ElectorateKind.workgroup.value else None,
        opens_at=opens_at, closes_at=closes_at, quorum=quorum, majority=majority,
        result_visibility=result_visibility, proposal=proposal, membership=membership, now=now,
        # who manages the workgroup puts its proposal to its members; a wider electorate needs the managers
        # of its branches
        check_scope=electorate_kind != ElectorateKind.workgroup.value)
    ballot = _create(actor=actor, questions=dict(proposal.titles), descriptions=dict(proposal.bodies),
                     original_language=proposal.original_language, method=BallotMethod.yna.value, options=(),
                     seats=None, max_choices=None, **common)
    _record("from_proposal", ballot, actor, proposal_id=proposal.id)
    voted = set(db.session.execute(select(Ballot.amendment_id).where(
        Ballot.proposal_id == proposal.id, Ballot.amendment_id.is_not(None),
        Ballot.state != BallotState.annulled.value)).scalars())
    for amendment in _amendments_for_vote(proposal):
        if amendment.id in voted:
            continue
        questions, descriptions, language = _amendment_texts(proposal, amendment)
        amendment_ballot = _create(actor=actor, questions=questions, descriptions=descriptions,
                                   original_language=language, method=BallotMethod.yna.value, options=(),
                                   seats=None, max_choices=None, amendment=amendment, **common)
        _record("from_amendment", amendment_ballot, actor, proposal_id=proposal.id, amendment_id=amendment.id,
                amendment_number=amendment.number)
    return ballot


def _amendments_for_vote(proposal: Proposal) -> list:
    from governance.proposals import queries as proposal_queries

    return list(proposal_queries.amendments_for_vote(proposal))


def _interface_language(code: str) -> str:
    languages = current_app.config["LANGUAGES"]
    return code if code in languages else current_app.config.get("BABEL_DEFAULT_LOCALE", "en")


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.strip().splitlines()) or ">"


def _amendment_texts(proposal: Proposal, amendment) -> tuple[dict[str, str], dict[str, str], str]:
    """The question of an amendment's ballot in every language the proposal's title has ("Amendment 3 to “…”"),
    and its explanation and change in the amendment's language (Markdown)."""
    questions = {}
    for code, title in proposal.titles.items():
        if title:
            with force_locale(_interface_language(code)):
                questions[code] = _("Amendment %(number)s to “%(title)s”", number=amendment.number, title=title)
    language = amendment.language if amendment.language in questions else proposal.original_language
    with force_locale(_interface_language(amendment.language)):
        parts = [amendment.explanation.strip()]
        if amendment.original_excerpt:
            parts += [_("Passage replaced:"), _quote(amendment.original_excerpt)]
        if amendment.replacement:
            parts += [_("New text:") if amendment.original_excerpt else _("Text added at the end:"),
                      _quote(amendment.replacement)]
        else:
            parts.append(_("The passage is deleted."))
    return questions, {amendment.language: "\n\n".join(parts)} if amendment.language in questions else {}, language


# --- opening ---------------------------------------------------------------------------------------
def missing_languages(ballot: Ballot) -> list[tuple[str, list[str]]]:
    """The required languages the ballot's texts lack: ``[(language, ["question", "option 2", …]), …]``."""
    missing = []
    for code in roll.required_languages(ballot):
        items = []
        if not ballot.questions.get(code):
            items.append(_("question"))
        for option in ballot.options:
            if not option.labels.get(code):
                items.append(_("option %(number)s", number=option.position))
        if items:
            missing.append((code, items))
    return missing


def _check_ready(ballot: Ballot, now: dt.datetime) -> None:
    """Everything a ballot needs before it opens, besides its languages."""
    count = len(ballot.options)
    if ballot.uses_options and count < 2:
        raise Conflict(_l("A ballot needs at least two options before it opens."))
    if ballot.method == BallotMethod.stv.value and (ballot.seats or 0) >= count:
        raise Conflict(_l("There must be more options than seats to fill."))
    if ballot.method == BallotMethod.approval.value and (ballot.max_choices or 0) > count:
        raise Conflict(_l("Members cannot approve more options than the ballot has."))
    if ballot.closes_at is not None and ballot.closes_at <= now:
        raise Conflict(_l("The closing time has passed: set a later one before opening the ballot."))
    if ballot.electorate_kind == ElectorateKind.workgroup.value and ballot.workgroup is not None \
            and not ballot.workgroup.is_active:
        raise Conflict(_l("The workgroup is archived: its members can no longer be asked to vote."))


def open_ballot(ballot: Ballot, *, actor, now: dt.datetime | None = None,
                membership: WorkgroupMembership | None = None, notify: bool = True) -> Ballot:
    """Open the ballot: check its texts in every required language, freeze the roll, tell the electorate
    (unless ``notify`` is False: a vote opened and closed in an assembly's session needs no email)."""
    now = _now(now)
    _lock(ballot)
    if not ballot.is_draft:
        raise IllegalTransition(old=ballot.state_label, new=BallotState.open.label)
    _require_manager(actor, ballot, membership)
    _check_ready(ballot, now)
    missing = missing_languages(ballot)
    if missing:
        raise LanguagesMissing(missing)
    size, digest = roll.freeze_roll(ballot)
    if size == 0:
        raise Conflict(_l("Nobody is entitled to vote in this ballot: it cannot open."))
    ballot.mark_open(now, size, digest)
    db.session.flush()
    _record("opened", ballot, actor, roll_size=size, roll_hash=digest,
            closes_at=ballot.closes_at.isoformat() if ballot.closes_at else None)
    if notify:
        _notify_roll(ballot, "ballot_opened", only_non_voters=False)
    return ballot


# --- casting ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CastResult:
    """What casting returns: the receipt code (secret ballots; shown once, never stored with the voter) and
    whether an earlier roll-call vote was replaced."""

    receipt: str | None
    replaced: bool = False


def _check_accepts_votes(ballot: Ballot, now: dt.datetime) -> None:
    if ballot.is_draft:
        raise BallotNotOpen(_l("This ballot is not open yet."))
    if not ballot.is_open:
        raise BallotNotOpen(_l("This ballot is closed: votes are no longer accepted."))
    if ballot.closes_at is not None and now >= ballot.closes_at:
        raise BallotNotOpen(_l("Voting in this ballot has ended: votes are no longer accepted."))


#: further checks on a vote before it is written, registered by the features that hold ballots of their own
#: (an assembly binds its members to the room or to online voting): ``check(ballot, member, channel, actor)``
#: raises a domain error to refuse the vote
CAST_CHECKS: list[Callable[[Ballot, Member, str, Any], None]] = []


def register_cast_check(check: Callable[[Ballot, Member, str, Any], None]) -> None:
    if check not in CAST_CHECKS:
        CAST_CHECKS.append(check)


def cast_vote(ballot: Ballot, member: Member, choice: Any, *, actor, channel: str = "web",
              now: dt.datetime | None = None) -> CastResult:
    """Cast the vote of ``member`` (the member whose vote it is, whoever casts it: ``actor`` is the account of
    the member, or of a proxy holder or teller acting for them, who then uses another ``channel``).

    Writes one participation (who, when, how) and, for a secret ballot, one ballot paper and one receipt with no
    link to it; for a roll-call ballot, the member's choice, replaced if they vote again before close. Writes no
    audit entry and logs nothing about the choice."""
    now = _now(now)
    try:
        channel = VoteChannel(channel).value
    except ValueError:
        raise InvalidInput(_l("Unknown way of voting.")) from None
    own_vote = getattr(getattr(actor, "member", None), "id", None) == member.id
    if actor is None or (not own_vote and channel == VoteChannel.web.value):
        raise NotAllowed(_l("Only the member can cast their own vote online."))
    _lock(ballot, shared=True)
    _check_accepts_votes(ballot, now)
    entry = roll.roll_entry(ballot, member.id)
    if entry is None:
        raise NotOnRoll(_l("You are not on the electoral roll of this ballot.") if own_vote else None)
    for check in CAST_CHECKS:
        check(ballot, member, channel, actor)
    value, key = normalize_choice(ballot, choice)
    already = AlreadyVoted() if own_vote else MemberAlreadyVoted()
    participation = {"ballot_id": ballot.id, "member_id": member.id, "cast_dt": now, "channel": channel,
                     "cast_by_id": getattr(actor, "id", None)}
    if ballot.is_secret:
        try:
            with db.session.begin_nested():
                db.session.execute(insert(Participation), [participation])
        except IntegrityError:  # one participation per member: the primary key says so
            raise already from None
        # the paper and the receipt: no voter, no time, no order
        db.session.execute(insert(BoxEntry), [{"id": _uuid(), "ballot_id": ballot.id, "choice": value,
                                               "choice_key": key, "branch_id": entry.branch_id}])
        fault_point("votes.after_box_insert")
        code = _insert_receipt(ballot)
        return CastResult(receipt=code)
    if not has_participated(ballot, member.id):
        try:
            with db.session.begin_nested():
                db.session.execute(insert(Participation), [participation])
                db.session.execute(insert(OpenVote), [{"ballot_id": ballot.id, "member_id": member.id,
                                                       "choice": value, "choice_key": key,
                                                       "branch_id": entry.branch_id, "modified_dt": now}])
            return CastResult(receipt=None)
        except IntegrityError:  # cast at the same moment by someone else for the member: replace it
            if not has_participated(ballot, member.id):
                raise already from None
    # a roll-call vote is replaced until close
    db.session.execute(update(OpenVote).where(OpenVote.ballot_id == ballot.id, OpenVote.member_id == member.id)
                       .values(choice=value, choice_key=key, modified_dt=now))
    db.session.execute(update(Participation).where(
        Participation.ballot_id == ballot.id, Participation.member_id == member.id
    ).values(channel=channel, cast_by_id=getattr(actor, "id", None)))
    return CastResult(receipt=None, replaced=True)


def has_participated(ballot: Ballot, member_id: int) -> bool:
    return db.session.execute(select(Participation.member_id).where(
        Participation.ballot_id == ballot.id, Participation.member_id == member_id)).first() is not None


def _uuid():
    import uuid

    return uuid.uuid4()


def _insert_receipt(ballot: Ballot) -> str:
    for _attempt in range(5):
        code = new_receipt_code()
        try:
            with db.session.begin_nested():
                db.session.execute(insert(Receipt), [{"ballot_id": ballot.id, "code": code}])
            return code
        except IntegrityError:  # pragma: no cover - 50 bits: a collision is all but impossible
            continue
    raise Conflict()  # pragma: no cover


# --- counting (the one place that calls governance.votes.methods) -----------------------------------
def _option_keys(ballot: Ballot) -> list[str]:
    if ballot.is_yna:
        return [c.value for c in YnaChoice]
    return [str(option.id) for option in ballot.options]


def _counts_by_branch(ballot: Ballot) -> list[tuple[int | None, str, int]]:
    """``(branch id, choice key, count)`` from one GROUP BY over the box (or the roll-call votes)."""
    table = BoxEntry if ballot.is_secret else OpenVote
    rows = db.session.execute(
        select(table.branch_id, table.choice_key, func.count())
        .where(table.ballot_id == ballot.id)
        .group_by(table.branch_id, table.choice_key)).all()
    return [(branch_id, key, count) for branch_id, key, count in rows]


def count_method(ballot: Ballot, counts: Mapping[str, int], *, seed: str) -> Any:
    """Run the ballot's counting method on its aggregated figures (distinct choice keys with their counts).

    The adapter to :mod:`governance.votes.methods`: the one call site of the methods."""
    from governance.votes.methods import count_ballot

    options = _option_keys(ballot)
    if ballot.is_ranked:
        rankings = [(parse_choice_key(ballot, key), count) for key, count in sorted(counts.items())]
        return count_ballot(ballot.method, rankings=rankings, candidates=options, seats=ballot.seats or 1,
                            seed=seed, **_count_constraints(ballot))
    if ballot.method == BallotMethod.approval.value:
        approvals: dict[str, int] = {key: 0 for key in options}
        for key, count in counts.items():
            for option in parse_choice_key(ballot, key):
                approvals[option] += count
        return count_ballot(ballot.method, counts=approvals, options=options, ballots=sum(counts.values()),
                            max_choices=ballot.max_choices, seed=seed)
    return count_ballot(ballot.method, counts=dict(counts), options=None if ballot.is_yna else options, seed=seed)


def _count_constraints(ballot: Ballot) -> dict[str, Any]:
    """``{"constraints": Constraints}`` for an STV count with balanced representation (the ballot's
    ``count_constraints``, set by the election that owns it), else nothing."""
    stored = ballot.count_constraints
    if not stored or ballot.method != BallotMethod.stv.value:
        return {}
    from governance.votes.methods import Constraints

    return {"constraints": Constraints(
        groups={category: dict(members) for category, members in stored.get("groups", {}).items()},
        minimum={(category, group): int(n) for category, group, n in stored.get("minimum", [])},
        maximum={(category, group): int(n) for category, group, n in stored.get("maximum", [])})}


def _first_counts(ballot: Ballot, key: str, count: int) -> dict[str, int]:
    """What one choice key adds to its branch's counts per option, for the breakdown: the option of a single
    choice, each approved option, or the first preference of a ranking."""
    parsed = parse_choice_key(ballot, key)
    if isinstance(parsed, str):
        return {parsed: count}
    if ballot.method == BallotMethod.approval.value:
        return {option: count for option in parsed}
    return {parsed[0]: count} if parsed else {}


def _breakdown(ballot: Ballot, rows: list[tuple[int | None, str, int]]) -> dict[str, Any]:
    """The per-branch breakdown that discloses no small group's or whole branch's choice."""
    from governance.members.models import Branch
    from governance.votes.methods.disclosure import breakdown

    k = int(current_app.config.get("BALLOT_BREAKDOWN_MIN_GROUP", 10))
    options = _option_keys(ballot)
    roll_branches = dict(db.session.execute(
        select(RollEntry.branch_id, func.count()).where(RollEntry.ballot_id == ballot.id)
        .group_by(RollEntry.branch_id)).all())
    codes = dict(db.session.execute(select(Branch.id, Branch.code).where(Branch.id.in_(roll_branches))).all())
    counts: dict[str, dict[str, int]] = {codes[branch_id]: {} for branch_id in roll_branches}
    voters: dict[str, int] = {code: 0 for code in counts}
    by = "first_preference" if ballot.is_ranked else ("approvals" if ballot.method == BallotMethod.approval.value
                                                      else "choice")
    if any(branch_id is None for branch_id, _key, _count in rows):
        # paper ballots entered by the tellers belong to no branch: the total less the branches' figures would
        # give the paper voters' choices, however few they are, so only the total is published
        return {"k": k, "by": by, "total_only": True, "groups": [], "without_voters": [], "paper": True}
    for branch_id, key, count in rows:
        code = codes.get(branch_id)
        if code is None:  # pragma: no cover - every online paper comes from a roll entry
            continue
        voters[code] += count
        for option, n in _first_counts(ballot, key, count).items():
            counts[code][option] = counts[code].get(option, 0) + n
    approval = ballot.method == BallotMethod.approval.value
    result = breakdown(counts, voters=voters, k=k, approval=approval, options=options)

    def group(g) -> dict[str, Any]:
        return {"branches": list(g.branches), "voters": g.voters, "counts": g.counts, "is_other": g.is_other}

    return {
        "k": result.k,
        "by": by,
        "total_only": result.total_only,
        "groups": [group(g) for g in result.groups],
        "without_voters": list(result.without_voters),
    }


def _options_snapshot(ballot: Ballot) -> list[dict[str, Any]]:
    if ballot.is_yna:
        return [{"key": c.value} for c in YnaChoice]
    return [{"key": str(o.id), "position": o.position, "labels": dict(o.labels)} for o in ballot.options]


def _to_dict(outcome: Any) -> Any:
    if hasattr(outcome, "to_dict"):
        return outcome.to_dict()
    if hasattr(outcome, "as_dict"):
        return outcome.as_dict()
    from governance.votes.methods.base import to_jsonable

    return to_jsonable(outcome)


def tally(ballot: Ballot, *, seed: str) -> dict[str, Any]:
    """The result of a ballot from its box (or roll-call votes), as stored at close. Also used for a recount."""
    rows = _counts_by_branch(ballot)
    counts: dict[str, int] = {}
    for _branch, key, count in rows:
        counts[key] = counts.get(key, 0) + count
    participations = db.session.execute(select(func.count()).select_from(Participation).where(
        Participation.ballot_id == ballot.id)).scalar_one()
    roll_size = ballot.roll_size or 0
    outcome = count_method(ballot, counts, seed=seed)
    result: dict[str, Any] = {
        "method": ballot.method,
        "seats": ballot.seats,
        "max_choices": ballot.max_choices,
        "is_secret": ballot.is_secret,
        "options": _options_snapshot(ballot),
        "roll_size": roll_size,
        "participations": participations,
        "ballots": sum(counts.values()),
        "choices": [{"choice": key, "count": counts[key]} for key in sorted(counts)],
        "count": json.loads(json.dumps(_to_dict(outcome), default=str)),
        "lot_seed": seed,
    }
    if ballot.is_yna:
        decision = decision_rules.decide(ballot.majority, ballot.quorum, yes=counts.get("yes", 0),
                                         no=counts.get("no", 0), abstain=counts.get("abstain", 0),
                                         base=roll_size, participations=participations)
        result["decision"] = _to_dict(decision)
        result["quorum"] = _to_dict(decision.quorum)
        result["adopted"] = decision.adopted
    else:
        result["quorum"] = _to_dict(decision_rules.quorum_outcome(ballot.quorum, participations, roll_size))
    result["breakdown"] = _breakdown(ballot, rows)
    return result


# --- closing ---------------------------------------------------------------------------------------
def _rewrite_box(ballot: Ballot) -> list[str]:
    """Read the box, empty it, and fill it again in a random order, with new keys and no branches; the same for
    the receipts (sorted). Returns the choice keys, sorted (for the audit hash)."""
    rows = db.session.execute(select(BoxEntry.choice, BoxEntry.choice_key).where(
        BoxEntry.ballot_id == ballot.id)).all()
    db.session.execute(delete(BoxEntry).where(BoxEntry.ballot_id == ballot.id))
    papers = [{"choice": choice, "choice_key": key} for choice, key in rows]
    secrets.SystemRandom().shuffle(papers)
    for start in range(0, len(papers), _CHUNK):
        db.session.execute(insert(BoxEntry), [
            {"id": _uuid(), "ballot_id": ballot.id, "choice": paper["choice"], "choice_key": paper["choice_key"],
             "branch_id": None} for paper in papers[start:start + _CHUNK]])
    codes = sorted(db.session.execute(select(Receipt.code).where(Receipt.ballot_id == ballot.id)).scalars())
    db.session.execute(delete(Receipt).where(Receipt.ballot_id == ballot.id))
    for start in range(0, len(codes), _CHUNK):
        db.session.execute(insert(Receipt), [{"ballot_id": ballot.id, "code": code}
                                             for code in codes[start:start + _CHUNK]])
    return sorted(key for _choice, key in rows)


#: checks before a ballot closes, registered by the features that add to its ballot box (paper ballots still
#: being entered by the tellers): ``check(ballot, actor)`` raises a domain error to refuse closing; ``actor`` is
#: None when the system closes a ballot that is due
CLOSE_CHECKS: list[Callable[[Ballot, Any], None]] = []
#: called once a ballot is closed and counted, in the same transaction: ``hook(ballot, actor)`` (an election
#: moves on to "counted")
AFTER_CLOSE: list[Callable[[Ballot, Any], None]] = []


def register_close_check(check: Callable[[Ballot, Any], None]) -> None:
    if check not in CLOSE_CHECKS:
        CLOSE_CHECKS.append(check)


def register_after_close(hook: Callable[[Ballot, Any], None]) -> None:
    if hook not in AFTER_CLOSE:
        AFTER_CLOSE.append(hook)


def close_ballot(ballot: Ballot, *, actor, now: dt.datetime | None = None,
                 membership: WorkgroupMembership | None = None, notify: bool = True) -> Ballot:
    """Close the ballot (by hand at any time by a manager; by the system when due): count, store the result,
    rewrite the box, audit the hashes, decide the linked proposal, tell the electorate."""
    now = _now(now)
    _lock(ballot)
    if not ballot.is_open:
        raise IllegalTransition(old=ballot.state_label, new=BallotState.closed.label)
    if actor is None:
        if not ballot.is_due_to_close(now):
            raise Conflict(_l("This ballot is not due to close yet."))
    else:
        _require_manager(actor, ballot, membership)
    for check in CLOSE_CHECKS:
        check(ballot, actor)
    seed = new_lot_seed()
    result = tally(ballot, seed=seed)
    participants = list(db.session.execute(select(Participation.member_id).where(
        Participation.ballot_id == ballot.id).order_by(Participation.member_id)).scalars())
    if ballot.is_secret:
        keys = _rewrite_box(ballot)
    else:
        keys = sorted(db.session.execute(select(OpenVote.choice_key).where(
            OpenVote.ballot_id == ballot.id)).scalars())
    hashes = {"roll": ballot.roll_hash, "participations": roll.list_hash(participants),
              "ballots": roll.list_hash(keys)}
    result["hashes"] = hashes
    proposal_outcome = _decide_proposal(ballot, result, actor=actor)
    if proposal_outcome is not None:
        result["proposal"] = proposal_outcome
    ballot.mark_closed(now, result, seed)
    db.session.flush()
    entry = audit.record("ballot.closed", actor=actor, obj=ballot, roll_size=ballot.roll_size,
                         roll_hash=ballot.roll_hash, participations=len(participants),
                         participation_hash=hashes["participations"], ballots=len(keys),
                         ballot_list_hash=hashes["ballots"], lot_seed=seed, adopted=result.get("adopted"))
    ballot.result = {**result, "audit": {"seq": entry.seq, "hash": entry.hash}}
    db.session.flush()
    for hook in AFTER_CLOSE:
        hook(ballot, actor)
    if notify and ballot.result_visibility != ResultVisibility.managers.value:
        _notify_roll(ballot, "ballot_result", only_non_voters=False)
    return ballot


def _proposal_reason(ballot: Ballot, proposal: Proposal, result: dict[str, Any]) -> str:
    language = proposal.original_language
    if language not in current_app.config["LANGUAGES"]:
        language = current_app.config.get("BABEL_DEFAULT_LOCALE", "en")
    decision = result.get("decision", {})
    with force_locale(language):
        if result.get("adopted"):
            return _("Adopted by ballot %(number)s: %(yes)s yes, %(no)s no, %(abstain)s abstentions.",
                     number=ballot.id, yes=decision.get("yes", 0), no=decision.get("no", 0),
                     abstain=decision.get("abstain", 0))
        return _("Rejected by ballot %(number)s: %(yes)s yes, %(no)s no, %(abstain)s abstentions.",
                 number=ballot.id, yes=decision.get("yes", 0), no=decision.get("no", 0),
                 abstain=decision.get("abstain", 0))


def _decide_proposal(ballot: Ballot, result: dict[str, Any], *, actor) -> dict[str, Any] | None:
    """Adopt or reject the linked proposal through its own transitions."""
    if ballot.proposal_id is None or not ballot.is_yna:
        return None
    if ballot.amendment_id is not None:
        return {"id": ballot.proposal_id, "amendment_id": ballot.amendment_id, "applied": False,
                "amendment_adopted": bool(result.get("adopted"))}
    if _is_postgresql():
        db.session.execute(select(Proposal.id).where(Proposal.id == ballot.proposal_id).with_for_update())
    proposal = db.session.get(Proposal, ballot.proposal_id, populate_existing=True)
    adopted = bool(result.get("adopted"))
    target = ProposalState.adopted if adopted else ProposalState.rejected
    if not proposal.can_become(target):
        return {"id": proposal.id, "applied": False, "state": proposal.state}
    reason = _proposal_reason(ballot, proposal, result)
    old = proposal.decide(adopted, reason)
    db.session.flush()
    audit.record("proposal.state_changed", actor=actor, obj=proposal, workgroup_id=proposal.workgroup_id, old=old,
                 new=proposal.state, reason=reason, cause="ballot", ballot_id=ballot.id)
    return {"id": proposal.id, "applied": True, "state": proposal.state}


# --- extending and annulling -----------------------------------------------------------------------
def extend_ballot(ballot: Ballot, new_closes_at: dt.datetime, reason: str, *, actor,
                  now: dt.datetime | None = None, membership: WorkgroupMembership | None = None) -> BallotExtension:
    """Move the closing time later (never earlier), with a recorded reason."""
    now = _now(now)
    reason = _clean_reason(reason)
    _lock(ballot)
    if not ballot.is_open:
        raise Conflict(_l("Only an open ballot can be extended."))
    _require_manager(actor, ballot, membership)
    if ballot.closes_at is None:
        raise Conflict(_l("This ballot closes by hand: it has no closing time to extend."))
    if new_closes_at is None or new_closes_at.tzinfo is None:
        raise InvalidInput(_l("Give the new closing time with its time zone."))
    if new_closes_at <= ballot.closes_at:
        raise InvalidInput(_l("The closing time can only be moved later."))
    if ballot.closes_at <= now:
        raise Conflict(_l("Voting has ended already: the ballot can no longer be extended."))
    extension = BallotExtension(ballot_id=ballot.id, old_closes_at=ballot.closes_at, new_closes_at=new_closes_at,
                                reason=reason, actor_id=getattr(actor, "id", None), created_dt=now)
    db.session.add(extension)
    ballot.closes_at = new_closes_at
    db.session.flush()
    _record("extended", ballot, actor, old=extension.old_closes_at.isoformat(), new=new_closes_at.isoformat(),
            reason=reason)
    return extension


def annul_ballot(ballot: Ballot, reason: str, *, actor, now: dt.datetime | None = None,
                 membership: WorkgroupMembership | None = None) -> Ballot:
    """Annul an open or closed ballot, with a reason: its result is never published. A proposal the ballot
    had decided goes back to "ready for a vote"."""
    now = _now(now)
    reason = _clean_reason(reason)
    _lock(ballot)
    if not ballot.can_become(BallotState.annulled):
        raise IllegalTransition(old=ballot.state_label, new=BallotState.annulled.label)
    _require_manager(actor, ballot, membership)
    was_open = ballot.is_open
    if was_open and ballot.is_secret:
        _rewrite_box(ballot)  # the box never keeps the casting order nor the branches
    ballot.mark_annulled(now, reason)
    # paper ballots being entered are of no use any more and must not outlive the box's shuffle
    db.session.execute(delete(PaperBallot).where(PaperBallot.ballot_id == ballot.id))
    db.session.flush()
    _record("annulled", ballot, actor, reason=reason, was=BallotState.open.value if was_open else "closed")
    outcome = (ballot.result or {}).get("proposal") or {}
    if outcome.get("applied"):
        proposal = db.session.get(Proposal, outcome["id"])
        if proposal is not None and proposal.state in (ProposalState.adopted.value, ProposalState.rejected.value):
            old = proposal.state
            proposal.state = ProposalState.ready_for_vote.value
            proposal.decision_reason = None
            proposal.state_changed_dt = now
            db.session.flush()
            audit.record("proposal.state_changed", actor=actor, obj=proposal, workgroup_id=proposal.workgroup_id,
                         old=old, new=proposal.state, cause="ballot_annulled", ballot_id=ballot.id)
    return ballot


# --- reminders and the scheduler -------------------------------------------------------------------
def reminder_lead_time() -> dt.timedelta:
    """How long before closing the reminder goes out (``BALLOT_REMINDER_HOURS``, 24 by default)."""
    return dt.timedelta(hours=float(current_app.config.get("BALLOT_REMINDER_HOURS", 24)))


def send_reminders(ballot: Ballot, now: dt.datetime | None = None) -> int:
    """Remind the members on the roll who have not voted yet (once per ballot). Returns how many were queued."""
    now = _now(now)
    _lock(ballot)
    if not ballot.accepts_votes_at(now) or ballot.reminder_sent_dt is not None:
        return 0
    ballot.reminder_sent_dt = now
    db.session.flush()
    queued = _notify_roll(ballot, "ballot_reminder", only_non_voters=True)
    _record("reminder_sent", ballot, None, recipients=queued)
    return queued


@dataclass
class TickReport:
    """What one run of the scheduler did: ballot ids opened, closed and reminded; failures as (id, message)."""

    opened: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    reminded: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)

    @property
    def did_something(self) -> bool:
        return bool(self.opened or self.closed or self.reminded or self.failed)


def tick(now: dt.datetime | None = None) -> TickReport:
    """Open the scheduled ballots that are due, close those due to close, send due reminders.

    Each ballot in its own savepoint, so one that cannot open (say, a missing translation) does not stop the
    others; its reason is reported. The caller commits."""
    now = _now(now)
    report = TickReport()
    due_open = db.session.execute(select(Ballot).where(
        Ballot.state == BallotState.draft.value, Ballot.opens_at.is_not(None), Ballot.opens_at <= now)
        .order_by(Ballot.opens_at, Ballot.id)).scalars().all()
    for ballot in due_open:
        ballot_id = ballot.id
        try:
            with db.session.begin_nested():
                open_ballot(ballot, actor=None, now=now)
            report.opened.append(ballot_id)
        except DomainError as exc:
            report.failed.append((ballot_id, str(exc)))
            log.warning("ballot %s did not open: %s", ballot_id, exc)
    due_close = db.session.execute(select(Ballot).where(
        Ballot.state == BallotState.open.value, Ballot.closes_at.is_not(None), Ballot.closes_at <= now)
        .order_by(Ballot.closes_at, Ballot.id)).scalars().all()
    for ballot in due_close:
        ballot_id = ballot.id
        try:
            with db.session.begin_nested():
                close_ballot(ballot, actor=None, now=now)
            report.closed.append(ballot_id)
        except DomainError as exc:
            report.failed.append((ballot_id, str(exc)))
            log.warning("ballot %s did not close: %s", ballot_id, exc)
    due_reminder = db.session.execute(select(Ballot).where(
        Ballot.state == BallotState.open.value, Ballot.reminder_sent_dt.is_(None), Ballot.closes_at.is_not(None),
        Ballot.closes_at > now, Ballot.closes_at <= now + reminder_lead_time())
        .order_by(Ballot.closes_at, Ballot.id)).scalars().all()
    for ballot in due_reminder:
        with db.session.begin_nested():
            send_reminders(ballot, now)
        report.reminded.append(ballot.id)
    return report


# --- notifications ---------------------------------------------------------------------------------
def ballot_link(ballot: Ballot) -> str:
    """The ballot's page, for emails (the ballot pages' endpoint, once the blueprint is registered)."""
    from governance.accounts.operations import email_link

    for endpoint in ("votes.ballot", "votes.view_ballot", "votes.detail"):
        try:
            return email_link(endpoint, ballot_id=ballot.id)
        except BuildError:
            continue
    return current_app.config["SERVER_NAME_FOR_EMAIL"].rstrip("/") + f"/ballots/{ballot.id}"


def _format_time(value: dt.datetime | None, language: str, timezone: str) -> str:
    if value is None:
        return ""
    try:
        return babel_format_datetime(value, "long", tzinfo=_zone(timezone), locale=language)
    except (ValueError, LookupError):  # pragma: no cover - an unknown zone or locale
        return babel_format_datetime(value, "long", tzinfo=dt.timezone.utc, locale="en")


def _zone(name: str):
    from zoneinfo import ZoneInfo

    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return dt.timezone.utc


def _notify_roll(ballot: Ballot, template: str, *, only_non_voters: bool) -> int:
    """One email per member on the roll who has an enabled account that wants ballot emails, in its language."""
    from governance.accounts.models import Account
    from governance.accounts.operations import account_email_language

    query = (select(Account).join(RollEntry, RollEntry.member_id == Account.member_id)
             .options(joinedload(Account.member).joinedload(Member.branch))
             .where(RollEntry.ballot_id == ballot.id, Account.is_enabled.is_(True),
                    Account.notify_ballot_email.is_(True))
             .order_by(Account.id))
    if only_non_voters:
        voted = select(Participation.member_id).where(Participation.ballot_id == ballot.id)
        query = query.where(RollEntry.member_id.not_in(voted))
    link = ballot_link(ballot)
    kind = template.removeprefix("ballot_")
    specs = []
    for account in db.session.execute(query).unique().scalars():
        language = account_email_language(account)
        specs.append(EmailSpec(
            key=f"ballot:{ballot.id}:{kind}:to:{account.id}", to_address=account.email,
            to_name=account.display_name, language=language, template=template, topic=f"ballot:{ballot.id}:{kind}",
            context={
                "question": pick_text(ballot.questions, ballot.original_language, [language]).text,
                "closes_at": _format_time(ballot.closes_at, language, account.timezone),
                "is_secret": ballot.is_secret,
                "ballot_url": link,
                "annulled": ballot.is_annulled,
            }))
    return queue_emails(specs)
