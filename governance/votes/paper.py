"""Paper ballots: tellers check members off the roll and enter the papers twice, one entry each.

**Tellers.** A ballot's managers (as :mod:`governance.votes.permissions` defines them) designate tellers
(:class:`BallotTeller`: any enabled account) while the ballot is a draft or open, and may remove them. A removed
teller's entries on papers not accepted yet are discarded (a paper left with no entry disappears; a mismatched
one waits for a new second entry), so a departed teller never blocks the count.

**Secret ballots: two steps that never meet.**

1. *Check-off.* When a member hands in a paper, a teller checks them off the roll (:func:`check_off`): one
   participation with the channel "paper", cast by the teller, through the same checks as :func:`cast_vote`
   (open and before its closing time, on the roll, the registered cast checks). The participation's primary key
   (ballot, member) makes a second vote impossible whatever the channel and however concurrent: a member who
   voted online or by proxy cannot be checked off, and a member checked off can no longer vote online. No
   ballot-box row, no receipt is written here.
2. *Entry.* Later, the tellers take the papers out of the box, number them 1, 2, 3 … as they come, and each
   paper is entered by two different tellers (:func:`enter_paper`). The first entry creates the paper
   (:class:`PaperBallot`, pending); the second is compared with it: the same choice accepts the paper and puts
   its choice into the ballot box (a :class:`BoxEntry` with a random key, no branch, no time, no receipt, as
   ``cast_vote`` writes one), different choices make it a mismatch. A teller entering the same paper again
   replaces their own entry (a correction, while the paper is pending or mismatched; a mismatched paper is
   compared again at once); a teller may also withdraw their entry (a paper number typed by mistake). A third
   teller cannot enter a paper that has two entries, and an accepted paper never changes. Entering goes on after
   the closing time: that is when the tellers count.

Accepted papers never outnumber the members checked off on paper: each acceptance counts both under the ballot's
exclusive lock (PostgreSQL; SQLite serialises writers), so two tellers accepting the last papers at the same
moment cannot both pass. A paper handed in blank or spoiled is not entered (no method accepts an empty choice):
the member stays checked off without a paper in the box, like a member who kept their paper.

**Closing** (a check registered with :func:`operations.register_close_check`): refused while a paper is pending
or mismatched; when the system closes a due ballot, also refused while fewer papers are accepted than members
were checked off on paper (the tellers are still counting; the scheduler reports it and tries again). A manager
closing by hand may close with fewer papers than check-offs; the close page says how many.

**What is and is not recorded.** A check-off is a participation like any other (member, time, channel, the
teller's account); nothing about a paper. A paper holds its number, its state and, once accepted, its choice;
an entry holds the teller's account and their reading of the paper — neither holds a member, a check-off or a
time. Audit entries record the designations of tellers, each acceptance (how many papers are accepted and
checked off so far, and whether it resolved a mismatch — never a paper's number or choice), and at close the
counts of papers and check-offs. Nothing about a choice is ever logged. Because the tellers may take the papers
out of the box in an order that follows the order they went in (a stack), the papers and their entries are
deleted at close, in the closing transaction, once counted: only the ballot box keeps the choices, shuffled
with the online ballots when the box is rewritten; a database copy taken after close links no paper to a
check-off. The tellers' screens show their own entries, never the other teller's before a mismatch.

**Roll-call (open) ballots** need no double entry: the choice is public anyway. A teller records a member's
paper vote with :func:`record_paper_vote` (``cast_vote`` with the channel "paper" and the teller as the actor).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from governance.core import audit
from governance.core.errors import Conflict, InvalidInput, NotAllowed
from governance.extensions import db
from governance.members.models import Member
from governance.votes import operations as ops
from governance.votes import permissions, roll
from governance.votes.models import (
    Ballot,
    BallotTeller,
    BoxEntry,
    Participation,
    PaperBallot,
    PaperEntry,
    PaperState,
    VoteChannel,
)



# --- errors ----------------------------------------------------------------------------------------
class NotATeller(NotAllowed):
    default_message = _l("Only the tellers of this ballot can do this.")


class PaperRefused(Conflict):
    default_message = _l("This paper ballot cannot be entered.")


# --- tellers ---------------------------------------------------------------------------------------
def is_teller(account: Any, ballot: Ballot) -> bool:
    """The account is a designated teller of the ballot (and enabled)."""
    account_id = getattr(account, "id", None)
    if account_id is None or ballot.id is None or not getattr(account, "is_enabled", False):
        return False
    return db.session.get(BallotTeller, (ballot.id, account_id)) is not None


def tellers(ballot: Ballot) -> list[Any]:
    """The ballot's tellers (accounts), by name."""
    from governance.accounts.models import Account

    return list(db.session.execute(
        select(Account).join(BallotTeller, BallotTeller.account_id == Account.id)
        .where(BallotTeller.ballot_id == ballot.id)
        .order_by(func.lower(Account.display_name), Account.id)).scalars())


def _require_manager(ballot: Ballot, actor) -> None:
    if actor is None or not permissions.can_manage_ballot(actor, ballot, ops._membership(actor, ballot)):
        raise NotAllowed()


def _require_designation_open(ballot: Ballot) -> None:
    if not (ballot.is_draft or ballot.is_open):
        raise Conflict(_l("Tellers can only be designated while the ballot is a draft or open."))


def add_teller(ballot: Ballot, account, *, actor) -> BallotTeller:
    """Designate ``account`` as a teller of the ballot (a manager, while it is a draft or open)."""
    ops._lock(ballot)
    _require_manager(ballot, actor)
    _require_designation_open(ballot)
    if account is None or not account.is_enabled:
        raise InvalidInput(_l("This account cannot be a teller: it is disabled."))
    if db.session.get(BallotTeller, (ballot.id, account.id)) is not None:
        raise Conflict(_l("%(name)s is a teller of this ballot already.", name=account.display_name))
    teller = BallotTeller(ballot_id=ballot.id, account_id=account.id)
    try:
        with db.session.begin_nested():
            db.session.add(teller)
            db.session.flush()
    except IntegrityError:
        raise Conflict(_l("%(name)s is a teller of this ballot already.", name=account.display_name)) from None
    audit.record("ballot.teller_added", actor=actor, obj=ballot, account_id=account.id)
    return teller


def remove_teller(ballot: Ballot, account, *, actor) -> int:
    """Withdraw a teller's designation (a manager, while the ballot is a draft or open). Their entries on papers
    not accepted yet are discarded; returns how many."""
    ops._lock(ballot)
    _require_manager(ballot, actor)
    _require_designation_open(ballot)
    teller = db.session.get(BallotTeller, (ballot.id, account.id))
    if teller is None:
        raise Conflict(_l("%(name)s is not a teller of this ballot.", name=account.display_name))
    discarded = 0
    papers = db.session.execute(select(PaperBallot).join(PaperEntry, PaperEntry.paper_id == PaperBallot.id).where(
        PaperBallot.ballot_id == ballot.id, PaperBallot.state != PaperState.accepted.value,
        PaperEntry.teller_id == account.id)).scalars().all()
    for paper in papers:
        _drop_entry(paper, account.id)
        discarded += 1
    db.session.delete(teller)
    db.session.flush()
    audit.record("ballot.teller_removed", actor=actor, obj=ballot, account_id=account.id,
                 entries_discarded=discarded)
    return discarded


def _drop_entry(paper: PaperBallot, teller_id: int) -> None:
    """Remove one teller's entry from a paper not accepted: the paper goes back to pending, or disappears."""
    for entry in list(paper.entries):
        if entry.teller_id == teller_id:
            paper.entries.remove(entry)
    db.session.flush()
    if not paper.entries:
        db.session.delete(paper)
    else:
        paper.state = PaperState.pending.value
    db.session.flush()


def _require_teller(ballot: Ballot, actor) -> None:
    if actor is None or not is_teller(actor, ballot):
        raise NotATeller()


# --- check-off ---------------------------------------------------------------------------------------
def check_off(ballot: Ballot, member: Member, *, actor, now: dt.datetime | None = None) -> None:
    """A teller checks ``member`` off the roll of an open secret ballot: they handed in a paper. Writes the
    member's participation (channel "paper", cast by the teller), nothing else."""
    now = ops._now(now)
    _require_teller(ballot, actor)
    if not ballot.is_secret:
        raise Conflict(_l("In a roll-call ballot, record the member's paper vote instead of checking them off."))
    ops._lock(ballot, shared=True)
    ops._check_accepts_votes(ballot, now)
    if roll.roll_entry(ballot, member.id) is None:
        raise ops.NotOnRoll()
    channel = VoteChannel.paper.value
    for check in ops.CAST_CHECKS:
        check(ballot, member, channel, actor)
    try:
        with db.session.begin_nested():
            db.session.execute(insert(Participation), [{
                "ballot_id": ballot.id, "member_id": member.id, "cast_dt": now, "channel": channel,
                "cast_by_id": actor.id}])
    except IntegrityError:  # one participation per member, whatever the channel: the primary key says so
        raise ops.MemberAlreadyVoted() from None


def record_paper_vote(ballot: Ballot, member: Member, choice: Any, *, actor,
                      now: dt.datetime | None = None) -> ops.CastResult:
    """A teller records a member's paper vote in a roll-call ballot (no double entry: the choice is public)."""
    _require_teller(ballot, actor)
    if ballot.is_secret:
        raise Conflict(_l("In a secret ballot, check the member off and enter their paper with another teller."))
    return ops.cast_vote(ballot, member, choice, actor=actor, channel=VoteChannel.paper.value, now=now)


# --- entering the papers -----------------------------------------------------------------------------
def _check_number(ballot: Ballot, number: Any) -> int:
    if isinstance(number, bool) or not isinstance(number, int):
        raise InvalidInput(_l("Give the paper's number."))
    limit = ballot.roll_size or 0
    if number < 1 or number > limit:
        raise InvalidInput(_l("A paper's number is between 1 and %(max)s (the size of the electoral roll).",
                              max=limit))
    return number


def _for_entering(ballot: Ballot, actor) -> None:
    """The checks every change of a paper starts with, under the ballot's exclusive lock."""
    _require_teller(ballot, actor)
    ops._lock(ballot)
    if not ballot.is_secret:
        raise Conflict(_l("Only the papers of a secret ballot are entered twice."))
    if ballot.is_draft:
        raise ops.BallotNotOpen(_l("This ballot is not open yet."))
    if not ballot.is_open:
        raise ops.BallotNotOpen(_l("This ballot is closed: its paper ballots can no longer be entered."))


def get_paper(ballot: Ballot, number: int) -> PaperBallot | None:
    return db.session.execute(select(PaperBallot).where(
        PaperBallot.ballot_id == ballot.id, PaperBallot.number == number)
        .execution_options(populate_existing=True)).scalar_one_or_none()


def _counts(ballot: Ballot) -> tuple[int, int]:
    """(papers accepted, members checked off on paper)."""
    accepted = db.session.execute(select(func.count()).select_from(PaperBallot).where(
        PaperBallot.ballot_id == ballot.id, PaperBallot.state == PaperState.accepted.value)).scalar_one()
    checked = db.session.execute(select(func.count()).select_from(Participation).where(
        Participation.ballot_id == ballot.id, Participation.channel == VoteChannel.paper.value)).scalar_one()
    return accepted, checked


def _accept(ballot: Ballot, paper: PaperBallot, actor, *, after_mismatch: bool) -> None:
    accepted, checked = _counts(ballot)
    if accepted + 1 > checked:
        raise PaperRefused(_l("Paper %(number)s cannot be accepted: %(accepted)s papers are accepted already and "
                              "only %(checked)s members were checked off on paper. Check the members off first, "
                              "or look for a paper entered twice under different numbers.",
                              number=paper.number, accepted=accepted, checked=checked))
    agreed = paper.entries[0]
    paper.state = PaperState.accepted.value
    paper.choice = agreed.choice
    paper.choice_key = agreed.choice_key
    # the paper goes into the box as an online ballot does: a random key, no branch, no time, no receipt
    db.session.execute(insert(BoxEntry), [{"id": ops._uuid(), "ballot_id": ballot.id, "choice": agreed.choice,
                                           "choice_key": agreed.choice_key, "branch_id": None}])
    db.session.flush()
    audit.record("ballot.paper_accepted", actor=actor, obj=ballot, accepted=accepted + 1, checked_off=checked,
                 after_mismatch=after_mismatch)


def _compare(ballot: Ballot, paper: PaperBallot, actor) -> None:
    """Two entries: accept the paper if they agree, else mark the mismatch. One entry: pending."""
    was_mismatch = paper.state == PaperState.mismatch.value
    if len(paper.entries) < 2:
        paper.state = PaperState.pending.value
    elif paper.entries[0].choice_key == paper.entries[1].choice_key:
        _accept(ballot, paper, actor, after_mismatch=was_mismatch)
    else:
        paper.state = PaperState.mismatch.value
    db.session.flush()


def enter_paper(ballot: Ballot, number: int, choice: Any, *, actor) -> PaperBallot:
    """A teller enters their reading of paper ``number`` (a choice as ``cast_vote`` takes it). See the module
    docstring for the rules; returns the paper, whose state says what happened."""
    _for_entering(ballot, actor)
    number = _check_number(ballot, number)
    value, key = ops.normalize_choice(ballot, choice)
    paper = get_paper(ballot, number)
    if paper is None:
        paper = PaperBallot(ballot_id=ballot.id, number=number, state=PaperState.pending.value)
        try:
            with db.session.begin_nested():
                db.session.add(paper)
                db.session.flush()
        except IntegrityError:  # pragma: no cover - the exclusive lock serialises the tellers
            raise Conflict() from None
    if paper.state == PaperState.accepted.value:
        raise PaperRefused(_l("Paper %(number)s has been accepted already: it can no longer change.",
                              number=number))
    own = next((e for e in paper.entries if e.teller_id == actor.id), None)
    if own is not None:  # a correction of one's own entry
        own.choice, own.choice_key = value, key
    elif len(paper.entries) >= 2:
        raise PaperRefused(_l("Paper %(number)s has been entered by two tellers already; only they can correct "
                              "their entries.", number=number))
    else:
        paper.entries.append(PaperEntry(teller_id=actor.id, choice=value, choice_key=key))
    db.session.flush()
    _compare(ballot, paper, actor)
    return paper


def withdraw_entry(ballot: Ballot, number: int, *, actor) -> None:
    """A teller withdraws their own entry of a paper not accepted (a number typed by mistake)."""
    _for_entering(ballot, actor)
    paper = get_paper(ballot, number) if isinstance(number, int) else None
    if paper is None or all(e.teller_id != actor.id for e in paper.entries):
        raise PaperRefused(_l("You have not entered paper %(number)s.", number=number))
    if paper.state == PaperState.accepted.value:
        raise PaperRefused(_l("Paper %(number)s has been accepted already: it can no longer change.",
                              number=number))
    _drop_entry(paper, actor.id)


# --- reading -------------------------------------------------------------------------------------------
@dataclass
class Comparison:
    """A mismatched paper: both entries, their tellers, and the positions where they differ (1-based; for a
    choice that is not a ranking, position 1 stands for the whole choice)."""

    paper: PaperBallot
    entries: list[PaperEntry]
    teller_names: dict[int, str]
    differing: set[int] = field(default_factory=set)

    @property
    def number(self) -> int:
        return self.paper.number


@dataclass
class PaperSummary:
    """Where the tellers stand: members checked off on paper, papers by state, and the mismatches."""

    checked_off: int
    pending: int
    mismatched: int
    accepted: int
    mismatches: list[Comparison] = field(default_factory=list)

    @property
    def entered(self) -> int:
        return self.pending + self.mismatched + self.accepted

    @property
    def without_paper(self) -> int:
        """Members checked off whose paper is not accepted (yet): still to count, kept or spoiled."""
        return max(self.checked_off - self.accepted, 0)

    @property
    def complete(self) -> bool:
        return not self.pending and not self.mismatched and self.accepted >= self.checked_off


def _as_list(choice: Any) -> list[Any]:
    return list(choice) if isinstance(choice, (list, tuple)) else [choice]


def differing_positions(ballot: Ballot, first: Any, second: Any) -> set[int]:
    """The 1-based positions where two readings of a paper differ (a ranking position by position; any other
    choice as a whole, position 1)."""
    if not ballot.is_ranked:
        return set() if first == second else {1}
    a, b = _as_list(first), _as_list(second)
    return {i + 1 for i in range(max(len(a), len(b)))
            if (a[i] if i < len(a) else None) != (b[i] if i < len(b) else None)}


def mismatches(ballot: Ballot) -> list[Comparison]:
    """The mismatched papers, by number, with both entries (for the comparison page)."""
    from governance.accounts.models import Account

    papers = db.session.execute(select(PaperBallot).where(
        PaperBallot.ballot_id == ballot.id, PaperBallot.state == PaperState.mismatch.value)
        .order_by(PaperBallot.number)).scalars().all()
    teller_ids = {e.teller_id for p in papers for e in p.entries}
    names = dict(db.session.execute(select(Account.id, Account.display_name).where(
        Account.id.in_(teller_ids))).all()) if teller_ids else {}
    result = []
    for paper in papers:
        entries = sorted(paper.entries, key=lambda e: e.teller_id)
        differing = differing_positions(ballot, entries[0].choice, entries[1].choice) if len(entries) == 2 else set()
        result.append(Comparison(paper=paper, entries=entries, teller_names=names, differing=differing))
    return result


def paper_summary(ballot: Ballot) -> PaperSummary:
    states = dict(db.session.execute(select(PaperBallot.state, func.count()).where(
        PaperBallot.ballot_id == ballot.id).group_by(PaperBallot.state)).all())
    _accepted, checked = _counts(ballot)
    return PaperSummary(checked_off=checked, pending=states.get(PaperState.pending.value, 0),
                        mismatched=states.get(PaperState.mismatch.value, 0),
                        accepted=states.get(PaperState.accepted.value, 0), mismatches=mismatches(ballot))


def own_entries(ballot: Ballot, account) -> list[tuple[PaperBallot, PaperEntry]]:
    """The account's entries on papers not accepted yet, by paper number."""
    rows = db.session.execute(select(PaperBallot, PaperEntry).join(PaperEntry, PaperEntry.paper_id == PaperBallot.id)
                              .where(PaperBallot.ballot_id == ballot.id, PaperEntry.teller_id == account.id,
                                     PaperBallot.state != PaperState.accepted.value)
                              .order_by(PaperBallot.number)).all()
    return [(paper, entry) for paper, entry in rows]


def has_paper_activity(ballot: Ballot) -> bool:
    """Tellers were designated or papers entered (what the close page and the close audit care about)."""
    if ballot.id is None:
        return False
    return db.session.execute(select(BallotTeller.account_id).where(BallotTeller.ballot_id == ballot.id)
                              .limit(1)).first() is not None or db.session.execute(
        select(PaperBallot.id).where(PaperBallot.ballot_id == ballot.id).limit(1)).first() is not None


# --- closing -------------------------------------------------------------------------------------------
class PapersOutstanding(Conflict):
    default_message = _l("Paper ballots are still being entered.")


def _close_check(ballot: Ballot, actor) -> None:
    """Registered with the ballots: no close while papers wait; no automatic close while papers are missing."""
    if not ballot.is_secret:
        return
    summary_states = dict(db.session.execute(select(PaperBallot.state, func.count()).where(
        PaperBallot.ballot_id == ballot.id).group_by(PaperBallot.state)).all())
    pending = summary_states.get(PaperState.pending.value, 0)
    mismatched = summary_states.get(PaperState.mismatch.value, 0)
    if pending or mismatched:
        raise PapersOutstanding(_l("The ballot cannot close while paper ballots are being entered: %(pending)s "
                                   "waiting for their second entry, %(mismatched)s whose two entries differ.",
                                   pending=pending, mismatched=mismatched))
    if actor is None:
        accepted, checked = _counts(ballot)
        if accepted < checked:
            raise PapersOutstanding(_l("The tellers are still counting: %(accepted)s paper ballots accepted for "
                                       "%(checked)s members checked off on paper. An organiser can close the "
                                       "ballot by hand.", accepted=accepted, checked=checked))


def _after_close(ballot: Ballot, actor) -> None:
    """Registered with the ballots: record the paper counts, then delete the papers and their entries (the box
    keeps the choices, shuffled)."""
    if not ballot.is_secret or not has_paper_activity(ballot):
        return
    accepted, checked = _counts(ballot)
    paper_ids = set(db.session.execute(select(PaperBallot.id).where(PaperBallot.ballot_id == ballot.id)).scalars())
    if paper_ids:
        db.session.execute(delete(PaperEntry).where(PaperEntry.paper_id.in_(paper_ids)))
        db.session.execute(delete(PaperBallot).where(PaperBallot.id.in_(paper_ids)))
    for obj in list(db.session.identity_map.values()):  # the rows are gone: so are their objects
        if (isinstance(obj, PaperBallot) and obj.id in paper_ids) or \
                (isinstance(obj, PaperEntry) and obj.paper_id in paper_ids):
            db.session.expunge(obj)
    audit.record("ballot.papers_counted", actor=actor, obj=ballot, accepted=accepted, checked_off=checked,
                 without_paper=max(checked - accepted, 0))


ops.register_close_check(_close_check)
ops.register_after_close(_after_close)
