"""Everything that changes an assembly from its convocation to its close: registration and proxies, opening and
closing the session, check-in, and the vote on each resolution (hybrid: online and in the room).

Each operation takes the acting account explicitly (``actor=None`` is the system: the demo loader, a command),
checks the rules, flushes, writes an audit entry and never commits. DESIGN.md §6 is the contract; the choices
it leaves open are made here:

**Registration.** A member on the roll says they attend in person, online, or give a proxy to another member on
the roll (one :class:`Registration` per member; a proxy is also a :class:`Proxy` row). Registering is possible
while the assembly is convened; giving, changing or revoking a proxy only until ``proxy_deadline`` (and never once
the session opened). No chains: a member who carries a proxy cannot give one, and a proxy cannot go to a member
who gave their own. A holder carries at most ``max_proxies_per_holder`` proxies (0: the assembly takes none).
Members act for themselves; the assembly's chair and secretary and its managers may record a registration on a
member's behalf (a signed paper proxy). Every proxy given or revoked is in the audit log.

**Check-in.** On the assembly's day (in its time zone) and during the session, check-in staff, the chair, the
secretary or a manager check members in, in the room or online; a member checks themselves in online when the
assembly has an online link. A member who leaves can be checked out (and in again). *Present* means checked in
and not checked out. A proxy is *suspended* while its grantor is present: the grantor votes themselves, the holder
no longer represents them. *Represented* are the grantors of present holders who are not present themselves
(each grantor has one active proxy, so nobody is counted twice).

**Votes.** The chair (or a manager) opens the vote on a resolution; one vote is open at a time. Opening
(:func:`open_vote`):

1. reads who is present (and how) and the active, not suspended proxies of present holders;
2. applies the vote cap: nobody may cast more than ``vote_cap`` (default a tenth) of the votes present or
   represented at that moment, and always at least their own vote. Proxies beyond a holder's share are *set
   aside* for this vote — their oldest proxies are kept — rather than refusing to open the vote: nothing could
   be changed at that point to make it open (proxies are frozen once the session opened), and the law's rule is
   that the votes beyond the cap are not counted. The grantors set aside are not on this vote's roll; the vote's
   audit entry, the result and the page name them;
3. creates and opens a yes/no/abstain ballot (secret or by roll call as the resolution says) whose electorate is
   the explicit list of the present members and the grantors they represent, with the resolution's majority rule
   and quorum (no quorum at a second convocation). Its frozen roll is the base of the quorum: the members present
   or represented when the vote opened;
4. binds every member on that roll to the room or to online voting (:class:`VoteBinding`): a present member as
   they checked in, a represented member as their holder. For each room-bound member a participation with the
   channel ``room`` is written at once: the ballot's one-participation-per-member key then refuses any online
   vote for them, whatever page it comes from (the ballot's own page included), so nobody is counted twice.
   The ballots' own pages let a member on the roll vote for themselves; :func:`_guard_online_votes` (a check
   registered with the ballots' ``cast_vote``) lets only members bound online and present do so there — not a
   represented grantor, nor a member who left.

Online, a present member votes for themselves (channel ``web``) and, as a holder, casts one more ballot for each
grantor bound online through them (channel ``proxy``, one participation each): online *participations* with
channel web or proxy equal the online *ballots* in the box. The tellers enter the room's totals (yes, no,
abstain: :class:`RoomTally`, replaced until the vote closes, each entry audited); their sum may not exceed the
room-bound votes (the participations with channel ``room``). Closing the vote (:func:`close_vote`) closes the
ballot (its result, hashes and audit entry are the online part), adds the room's totals, and decides the
resolution on the sum — quorum: online participations plus the room's total against the base; majority:
``decision.decide`` — storing everything in the agenda item's ``vote_result`` and the audit log. The ballot's own
result page shows only the online part, so when anyone was bound to the room its result is visible to its
managers only; the assembly's pages show the combined result.

The ballot operations check that the actor manages the ballot (branch staff); an assembly's chair may hold no
such role, so the session calls them as the system (``actor=None``) after checking its own permissions, and
audits the real actor in its own entries. A ballot opened by hand has no closing time; the system closes only a
ballot that is due, so closing a vote first sets the closing time to now (closing by hand, never shortening a
published window).

A manager of the ballot may also close (or annul) it from the ballot's own page: the session then still finishes
the vote — the tellers' totals and the decision (:func:`close_vote`) — and a resolution whose ballot was annulled
can be put to the vote again.

**Close.** The session closes when no vote is open; the assembly records ``quorum_missed`` when the vote on a
resolution that required a quorum did not reach it (a second convocation may then be sent).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from sqlalchemy import and_, delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from governance.assemblies import queries, session_permissions as perms
from governance.assemblies.models import (
    AgendaItem,
    Assembly,
    AssemblyState,
    AttendanceMode,
    CheckIn,
    IllegalTransition,
    Proxy,
    Registration,
    RegistrationMode,
    RoomTally,
    VoteBinding,
)
from governance.core import audit
from governance.core.db_types import utcnow
from governance.core.errors import Conflict, InvalidInput, NotAllowed
from governance.extensions import db
from governance.members.models import Member
from governance.votes import operations as ballots
from governance.votes.methods import decision as decision_rules
from governance.votes.models import (
    Ballot,
    BallotMethod,
    BallotState,
    ElectorateKind,
    Participation,
    ResultVisibility,
    RollEntry,
    VoteChannel,
    YnaChoice,
)

#: the largest number a teller may enter for one option (a sanity bound)
ROOM_COUNT_MAX = 10_000_000


# --- errors ----------------------------------------------------------------------------------------
class RegistrationClosed(Conflict):
    default_message = _l("Registration for this assembly is closed.")


class ProxiesClosed(Conflict):
    default_message = _l("The deadline for giving or revoking proxies has passed.")


class ProxyRefused(Conflict):
    default_message = _l("This proxy cannot be given.")


class CheckInClosed(Conflict):
    default_message = _l("Check-in is not open: it opens on the day of the assembly.")


class NotOnAssemblyRoll(NotAllowed):
    default_message = _l("This member is not on the assembly's roll.")


class VoteRefused(Conflict):
    default_message = _l("This vote cannot be cast.")


# --- helpers ---------------------------------------------------------------------------------------
def _now(now: dt.datetime | None) -> dt.datetime:
    return now if now is not None else utcnow()


def _is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _lock(assembly: Assembly) -> None:
    """Lock the assembly's row (PostgreSQL; SQLite's immediate transactions serialise writers) and read its state
    again: registrations, check-ins and votes of one assembly happen one after the other."""
    if _is_postgresql():
        db.session.execute(select(Assembly.id).where(Assembly.id == assembly.id).with_for_update())
    db.session.refresh(assembly, ["state", "session_opened_dt", "closed_dt", "quorum_missed"])


def _roles(actor, assembly: Assembly) -> list[str]:
    return queries.viewer_context(actor, assembly).roles


def _require(allowed) -> None:
    if not allowed:
        raise NotAllowed()


def _member_label(member: Member) -> str:
    return f"{member.full_name} ({member.number})"


def _require_on_roll(assembly: Assembly, member: Member) -> None:
    if not assembly.is_on_roll(member):
        raise NotOnAssemblyRoll()


def _acts_for(actor, member: Member) -> bool:
    own = getattr(actor, "member", None)
    return own is not None and own.id == member.id


def _flush_unique(error: Conflict) -> None:
    """Flush in a savepoint; a unique constraint broken by a concurrent request becomes ``error``."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise error from None


def checkin_open_at(assembly: Assembly, now: dt.datetime) -> bool:
    """Check-in is open during the session, and before it on the assembly's day (in its time zone)."""
    if assembly.is_in_session:
        return True
    return assembly.is_convened and now.astimezone(assembly.zone).date() >= assembly.local_date


# --- registration and proxies ----------------------------------------------------------------------
def active_proxy(assembly: Assembly, grantor_id: int) -> Proxy | None:
    return db.session.execute(select(Proxy).where(
        Proxy.assembly_id == assembly.id, Proxy.grantor_id == grantor_id, Proxy.revoked_dt.is_(None))
    ).scalar_one_or_none()


def registration_of(assembly: Assembly, member_id: int) -> Registration | None:
    return db.session.execute(select(Registration).where(
        Registration.assembly_id == assembly.id, Registration.member_id == member_id)).scalar_one_or_none()


def _held_count(assembly: Assembly, holder_id: int) -> int:
    return db.session.execute(select(func.count()).select_from(Proxy).where(
        Proxy.assembly_id == assembly.id, Proxy.holder_id == holder_id, Proxy.revoked_dt.is_(None))).scalar_one()


def _require_may_register(actor, assembly: Assembly, member: Member) -> None:
    if actor is None or _acts_for(actor, member):
        return
    _require(perms.can_register_for_others(actor, assembly, _roles(actor, assembly)))


def _require_registration_open(assembly: Assembly) -> None:
    if assembly.is_in_session:
        raise RegistrationClosed(_l("The session has opened: registration is closed. Check in at the desk, or "
                                    "online if the assembly is also held online."))
    if not assembly.is_convened:
        raise RegistrationClosed()


def _revoke(assembly: Assembly, proxy: Proxy, *, actor, now: dt.datetime, reason: str) -> None:
    if not assembly.proxies_open_at(now):
        raise ProxiesClosed(_l("The deadline for revoking proxies has passed: the proxy stands. If you attend "
                               "after all, check in on the day: that suspends the proxy and you vote yourself."))
    proxy.revoked_dt = now
    proxy.revoked_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.record("assembly.proxy_revoked", actor=actor, obj=assembly, proxy=proxy.id, grantor=proxy.grantor_id,
                 holder=proxy.holder_id, reason=reason)


def _check_proxy(assembly: Assembly, grantor: Member, holder: Member, now: dt.datetime) -> None:
    if holder.id == grantor.id:
        raise ProxyRefused(_l("A member cannot give their proxy to themselves."))
    if not assembly.proxies_open_at(now):
        raise ProxiesClosed()
    if assembly.max_proxies_per_holder <= 0:
        raise ProxyRefused(_l("This assembly does not accept proxies."))
    if not assembly.is_on_roll(holder):
        raise ProxyRefused(_l("%(name)s is not on the assembly's roll: a proxy can only go to a member who is.",
                              name=_member_label(holder)))
    if active_proxy(assembly, holder.id) is not None:
        raise ProxyRefused(_l("%(name)s has given their own proxy to someone else: a proxy cannot be passed on.",
                              name=_member_label(holder)))
    if _held_count(assembly, grantor.id):
        raise ProxyRefused(_l("You carry the proxy of another member: who carries a proxy cannot give one. "
                              "Ask them to give it to someone else first."))
    if _held_count(assembly, holder.id) >= assembly.max_proxies_per_holder:
        raise ProxyRefused(_l("%(name)s already carries %(count)s proxies, the most one member may carry at this "
                              "assembly.", name=_member_label(holder), count=assembly.max_proxies_per_holder))


def register(assembly: Assembly, member: Member, mode: str, *, actor, holder: Member | None = None,
             now: dt.datetime | None = None) -> Registration:
    """Say how ``member`` attends: ``in_person``, ``online``, or ``proxy`` (to ``holder``). Replaces an earlier
    registration; giving another proxy, or attending after all, revokes the earlier proxy (before the deadline)."""
    now = _now(now)
    try:
        mode = RegistrationMode(mode).value
    except ValueError:
        raise InvalidInput(_l("Choose how you will attend.")) from None
    _require_may_register(actor, assembly, member)
    _lock(assembly)
    _require_registration_open(assembly)
    _require_on_roll(assembly, member)
    if mode == RegistrationMode.in_person.value and not assembly.place:
        raise InvalidInput(_l("This assembly is held online only."))
    if mode == RegistrationMode.online.value and not assembly.online_url:
        raise InvalidInput(_l("This assembly cannot be attended online."))
    current = active_proxy(assembly, member.id)
    if mode == RegistrationMode.proxy.value:
        if holder is None:
            raise InvalidInput(_l("Name the member who will carry your proxy."))
        if current is not None and current.holder_id == holder.id:
            registration = registration_of(assembly, member.id)
            if registration is not None and registration.mode == mode:
                return registration  # nothing changes
        _check_proxy(assembly, member, holder, now)
        if current is not None:
            _revoke(assembly, current, actor=actor, now=now, reason="replaced")
        proxy = Proxy(assembly_id=assembly.id, grantor_id=member.id, holder_id=holder.id,
                      created_by_id=getattr(actor, "id", None), created_dt=now)
        db.session.add(proxy)
        _flush_unique(ProxyRefused(_l("A proxy was given for this member meanwhile; please reload the page.")))
        audit.record("assembly.proxy_given", actor=actor, obj=assembly, proxy=proxy.id, grantor=member.id,
                     holder=holder.id, on_behalf=not _acts_for(actor, member))
    elif current is not None:
        _revoke(assembly, current, actor=actor, now=now, reason=f"registered_{mode}")
    registration = registration_of(assembly, member.id)
    if registration is None:
        registration = Registration(assembly_id=assembly.id, member_id=member.id, mode=mode,
                                    created_by_id=getattr(actor, "id", None), created_dt=now, modified_dt=now)
        db.session.add(registration)
    else:
        registration.mode = mode
        registration.modified_dt = now
    _flush_unique(Conflict(_l("This member registered meanwhile; please reload the page.")))
    return registration


def withdraw_registration(assembly: Assembly, member: Member, *, actor, now: dt.datetime | None = None) -> None:
    """Take back a registration; a proxy is revoked (only until the deadline)."""
    now = _now(now)
    _require_may_register(actor, assembly, member)
    _lock(assembly)
    _require_registration_open(assembly)
    current = active_proxy(assembly, member.id)
    if current is not None:
        _revoke(assembly, current, actor=actor, now=now, reason="withdrawn")
    db.session.execute(delete(Registration).where(Registration.assembly_id == assembly.id,
                                                  Registration.member_id == member.id))
    db.session.flush()


def revoke_proxy(assembly: Assembly, grantor: Member, *, actor, now: dt.datetime | None = None) -> Proxy:
    """Revoke the grantor's proxy (until the deadline); their registration goes with it."""
    now = _now(now)
    proxy = active_proxy(assembly, grantor.id)
    if proxy is None:
        raise Conflict(_l("There is no proxy to revoke."))
    withdraw_registration(assembly, grantor, actor=actor, now=now)
    return proxy


# --- the session -----------------------------------------------------------------------------------
def open_session(assembly: Assembly, *, actor, now: dt.datetime | None = None) -> Assembly:
    """The chair opens the session (on the assembly's day or later): registration and proxies close."""
    now = _now(now)
    if actor is not None:
        _require(perms.can_run_session(actor, assembly, _roles(actor, assembly)))
    _lock(assembly)
    if not assembly.can_become(AssemblyState.in_session):
        raise IllegalTransition(old=assembly.state_label, new=AssemblyState.in_session.label)
    if now.astimezone(assembly.zone).date() < assembly.local_date:
        raise Conflict(_l("The session can only open on the day of the assembly."))
    assembly.open_session(now)
    db.session.flush()
    from governance.assemblies import session_queries

    figures = session_queries.attendance(assembly)
    audit.record("assembly.session_opened", actor=actor, obj=assembly, present=figures.present,
                 represented=figures.represented)
    return assembly


def close_session(assembly: Assembly, *, actor, now: dt.datetime | None = None) -> Assembly:
    """Close the session (no vote may be open). Records whether a required quorum was missed."""
    now = _now(now)
    if actor is not None:
        _require(perms.can_run_session(actor, assembly, _roles(actor, assembly)))
    _lock(assembly)
    if not assembly.can_become(AssemblyState.closed):
        raise IllegalTransition(old=assembly.state_label, new=AssemblyState.closed.label)
    items = queries.agenda_items(assembly)
    if _open_ballot_ids(items):
        raise Conflict(_l("A vote is still open: close it before closing the session."))
    missed = [item.position for item in items if quorum_missed_by(item)]
    assembly.close(now, quorum_missed=bool(missed))
    db.session.flush()
    from governance.assemblies import session_queries

    figures = session_queries.attendance(assembly)
    audit.record("assembly.session_closed", actor=actor, obj=assembly, quorum_missed=bool(missed),
                 quorum_missed_items=missed, present=figures.present, represented=figures.represented)
    return assembly


def quorum_missed_by(item: AgendaItem) -> bool:
    """The vote on this resolution closed without the quorum it required."""
    result = item.vote_result or {}
    quorum = (result.get("decision") or {}).get("quorum") or {}
    return bool(result.get("closed_dt")) and quorum.get("kind", "none") != "none" and not quorum.get("met")


# --- check-in --------------------------------------------------------------------------------------
def present_checkin(assembly: Assembly, member_id: int) -> CheckIn | None:
    """The member's check-in if they are present (checked in and not checked out)."""
    return db.session.execute(select(CheckIn).where(
        CheckIn.assembly_id == assembly.id, CheckIn.member_id == member_id, CheckIn.checked_out_dt.is_(None))
    ).scalar_one_or_none()


def check_in(assembly: Assembly, member: Member, *, mode: str, actor, now: dt.datetime | None = None) -> CheckIn:
    """Check a member in, in the room or online: by staff, or the member themselves online."""
    now = _now(now)
    try:
        mode = AttendanceMode(mode).value
    except ValueError:
        raise InvalidInput(_l("Choose in the room or online.")) from None
    if actor is not None:
        staff = perms.can_check_in_members(actor, assembly, _roles(actor, assembly))
        if not staff:
            if not _acts_for(actor, member):
                raise NotAllowed()
            if mode != AttendanceMode.online.value:
                raise NotAllowed(_l("In the room, the check-in staff check you in at the desk."))
    _lock(assembly)
    if not checkin_open_at(assembly, now):
        raise CheckInClosed() if not assembly.is_closed else CheckInClosed(_l("The assembly is closed."))
    _require_on_roll(assembly, member)
    if mode == AttendanceMode.room.value and not assembly.place:
        raise InvalidInput(_l("This assembly is held online only."))
    if mode == AttendanceMode.online.value and not assembly.online_url:
        raise InvalidInput(_l("This assembly cannot be attended online."))
    row = db.session.execute(select(CheckIn).where(CheckIn.assembly_id == assembly.id,
                                                   CheckIn.member_id == member.id)).scalar_one_or_none()
    if row is not None and row.checked_out_dt is None:
        raise Conflict(_l("%(name)s is checked in already (%(mode)s).", name=_member_label(member),
                          mode=row.mode_label))
    if row is None:
        row = CheckIn(assembly_id=assembly.id, member_id=member.id)
        db.session.add(row)
    row.mode = mode
    row.checked_in_dt = now
    row.checked_out_dt = None
    row.checked_in_by_id = getattr(actor, "id", None)
    _flush_unique(Conflict(_l("%(name)s was checked in meanwhile.", name=_member_label(member))))
    proxy = active_proxy(assembly, member.id)
    audit.record("assembly.checked_in", actor=actor, obj=assembly, member=member.id, mode=mode,
                 self_check_in=_acts_for(actor, member), suspends_proxy_of=proxy.holder_id if proxy else None)
    return row


def check_out(assembly: Assembly, member: Member, *, actor, now: dt.datetime | None = None) -> CheckIn:
    """The member leaves: no longer present (their proxy, if they gave one, applies again)."""
    now = _now(now)
    if actor is not None and not _acts_for(actor, member):
        _require(perms.can_check_in_members(actor, assembly, _roles(actor, assembly)))
    _lock(assembly)
    if not checkin_open_at(assembly, now):
        raise CheckInClosed()
    row = present_checkin(assembly, member.id)
    if row is None:
        raise Conflict(_l("%(name)s is not checked in.", name=_member_label(member)))
    row.checked_out_dt = max(now, row.checked_in_dt)
    db.session.flush()
    audit.record("assembly.checked_out", actor=actor, obj=assembly, member=member.id, mode=row.mode)
    return row


# --- votes: opening --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Attendee:
    """Someone on a vote's roll: present (``via`` None) or represented by the present holder ``via``."""

    member_id: int
    mode: str
    via: int | None = None


@dataclass
class VoteRoll:
    """Who votes when a vote opens, after the vote cap."""

    attendees: list[Attendee]
    #: present + represented before the cap (what the cap is a share of)
    base_before_cap: int
    #: the most votes one person may cast
    cap: int
    #: (holder id, grantor id) of the proxies set aside by the cap
    set_aside: list[tuple[int, int]]

    @property
    def member_ids(self) -> list[int]:
        return [a.member_id for a in self.attendees]


def vote_roll(assembly: Assembly) -> VoteRoll:
    """The members present and represented now (on the roll as the register stands), with the vote cap applied:
    two queries."""
    present = db.session.execute(
        select(CheckIn.member_id, CheckIn.mode).join(Member, Member.id == CheckIn.member_id)
        .where(CheckIn.assembly_id == assembly.id, CheckIn.checked_out_dt.is_(None), assembly.roll_condition())
        .order_by(CheckIn.member_id)).all()
    modes = {member_id: mode for member_id, mode in present}
    holder_checkin = aliased(CheckIn)
    grantor_checkin = aliased(CheckIn)
    proxies = db.session.execute(
        select(Proxy.holder_id, Proxy.grantor_id)
        .join(Member, Member.id == Proxy.grantor_id)
        .join(holder_checkin, and_(holder_checkin.assembly_id == Proxy.assembly_id,
                                   holder_checkin.member_id == Proxy.holder_id,
                                   holder_checkin.checked_out_dt.is_(None)))
        .outerjoin(grantor_checkin, and_(grantor_checkin.assembly_id == Proxy.assembly_id,
                                         grantor_checkin.member_id == Proxy.grantor_id,
                                         grantor_checkin.checked_out_dt.is_(None)))
        .where(Proxy.assembly_id == assembly.id, Proxy.revoked_dt.is_(None), grantor_checkin.id.is_(None),
               assembly.roll_condition())
        .order_by(Proxy.created_dt, Proxy.id)).all()
    proxies = [(holder, grantor) for holder, grantor in proxies if holder in modes]
    base = len(present) + len(proxies)
    cap = max(1, assembly.max_votes_per_person(base))
    attendees = [Attendee(member_id, mode) for member_id, mode in present]
    carried: dict[int, int] = {}
    set_aside = []
    for holder, grantor in proxies:
        if carried.get(holder, 0) + 1 >= cap:  # the holder's own vote counts first
            set_aside.append((holder, grantor))
            continue
        carried[holder] = carried.get(holder, 0) + 1
        attendees.append(Attendee(grantor, modes[holder], holder))
    return VoteRoll(attendees=attendees, base_before_cap=base, cap=cap, set_aside=set_aside)


def _open_ballot_ids(items) -> list[int]:
    """The ballots of these items still open, or closed from the ballot's own page but whose vote the session has
    not closed yet (the room's totals and the decision are still missing)."""
    ids = [item.ballot_id for item in items if item.ballot_id is not None]
    if not ids:
        return []
    unfinished = {item.ballot_id for item in items if item.ballot_id is not None and not vote_closed(item)}
    return [ballot_id for ballot_id, state in db.session.execute(
        select(Ballot.id, Ballot.state).where(Ballot.id.in_(ids))).all()
        if state == BallotState.open.value or (state == BallotState.closed.value and ballot_id in unfinished)]


def vote_closed(item: AgendaItem) -> bool:
    """The session closed the vote on this item (its decision is stored)."""
    return bool((item.vote_result or {}).get("closed_dt"))


def _ballot_texts(item: AgendaItem) -> tuple[dict[str, str], dict[str, str]]:
    """The ballot's question (the item's title) and explanation (the resolution's text), per language."""
    questions = {code: text for code, text in item.titles.items() if text}
    descriptions = {code: text for code, text in item.resolution_texts.items() if text and code in questions}
    return questions, descriptions


def open_vote(item: AgendaItem, *, actor, now: dt.datetime | None = None) -> Ballot:
    """Open the vote on a resolution: a ballot for the members present and represented, each bound to the room or
    to online voting (see the module's docstring)."""
    now = _now(now)
    assembly = db.session.get(Assembly, item.assembly_id)
    if actor is not None:
        _require(perms.can_run_votes(actor, assembly, _roles(actor, assembly)))
    _lock(assembly)
    db.session.refresh(item, ["ballot_id", "vote_result"])
    if not assembly.is_in_session:
        raise Conflict(_l("Votes are held during the session only."))
    if not item.is_resolution:
        raise Conflict(_l("Only a resolution is put to the vote."))
    if item.ballot_id is not None:
        previous = db.session.get(Ballot, item.ballot_id)
        if previous is None or not previous.is_annulled:
            raise Conflict(_l("This resolution has been put to the vote already."))
        item.ballot_id = None  # its ballot was annulled: the resolution is put to the vote again
        db.session.flush()
    items = queries.agenda_items(assembly)
    if _open_ballot_ids(items):
        raise Conflict(_l("Another vote is open: close it first."))
    roll = vote_roll(assembly)
    if not roll.attendees:
        raise Conflict(_l("Nobody is present: check members in before opening a vote."))
    questions, descriptions = _ballot_texts(item)
    quorum = assembly.effective_quorum(item.quorum)
    room_bound = sum(1 for a in roll.attendees if a.mode == AttendanceMode.room.value)
    visibility = ResultVisibility.managers.value if room_bound else ResultVisibility.electorate.value
    ballot = ballots.create_ballot(
        actor=None, questions=questions, descriptions=descriptions, original_language=item.original_language,
        method=BallotMethod.yna.value, is_secret=bool(item.vote_secret), electorate_kind=ElectorateKind.list.value,
        member_ids=roll.member_ids, eligible_statuses=list(assembly.eligible_statuses or ["active"]),
        quorum=quorum, majority=item.majority or "simple", result_visibility=visibility, now=now)
    # the members are in the session: no email for each resolution's vote
    ballots.open_ballot(ballot, actor=None, now=now, notify=False)
    on_roll = set(db.session.execute(select(RollEntry.member_id).where(RollEntry.ballot_id == ballot.id)).scalars())
    attendees = [a for a in roll.attendees if a.member_id in on_roll]
    bindings = [{"ballot_id": ballot.id, "member_id": a.member_id, "assembly_id": assembly.id,
                 "agenda_item_id": item.id, "bound_to": a.mode, "via_member_id": a.via, "created_dt": now}
                for a in attendees]
    room = [{"ballot_id": ballot.id, "member_id": a.member_id, "cast_dt": now, "channel": VoteChannel.room.value,
             "cast_by_id": None} for a in attendees if a.mode == AttendanceMode.room.value]
    for start in range(0, len(bindings), 1000):
        db.session.execute(insert(VoteBinding), bindings[start:start + 1000])
    for start in range(0, len(room), 1000):
        db.session.execute(insert(Participation), room[start:start + 1000])
    item.ballot_id = ballot.id
    opened = {
        "base": ballot.roll_size, "present": sum(1 for a in attendees if a.via is None),
        "represented": sum(1 for a in attendees if a.via is not None), "room": len(room),
        "online": len(attendees) - len(room), "base_before_cap": roll.base_before_cap, "cap": roll.cap,
        "set_aside": [{"holder": h, "grantor": g} for h, g in roll.set_aside], "quorum": quorum,
        "majority": item.majority, "is_secret": ballot.is_secret,
    }
    item.vote_result = {"ballot_id": ballot.id, "opened_dt": now.isoformat(), "opened": opened}
    db.session.flush()
    audit.record("assembly.vote_opened", actor=actor, obj=assembly, item=item.id, position=item.position,
                 ballot=ballot.id, roll_size=ballot.roll_size, roll_hash=ballot.roll_hash, **{
                     k: opened[k] for k in ("present", "represented", "room", "online", "cap", "set_aside", "quorum",
                                            "majority", "is_secret")})
    return ballot


# --- votes: casting --------------------------------------------------------------------------------
def _open_ballot_of(item: AgendaItem, *, or_closing: bool = False) -> Ballot:
    """The ballot of the item's open vote. ``or_closing``: also a ballot closed from its own page (by a manager of
    the ballot) whose vote the session has not closed yet, so the tellers and the chair can finish it."""
    ballot = db.session.get(Ballot, item.ballot_id) if item.ballot_id is not None else None
    if ballot is not None and not vote_closed(item):
        if ballot.is_open or (or_closing and ballot.is_closed):
            return ballot
    raise Conflict(_l("The vote on this resolution is not open."))


def cast_votes(item: AgendaItem, choices: Mapping[int, str], *, actor,
               now: dt.datetime | None = None) -> dict[int, ballots.CastResult]:
    """Cast, online, the actor's own vote and/or one vote for each grantor bound online through them:
    ``choices`` maps a member id to yes/no/abstain. All or nothing (the caller rolls back on an error)."""
    now = _now(now)
    assembly = db.session.get(Assembly, item.assembly_id)
    voter = getattr(actor, "member", None)
    if voter is None:
        raise NotAllowed(_l("Your account is not linked to a member of the register, so you cannot vote."))
    if not choices:
        raise InvalidInput(_l("Choose yes, no or abstain."))
    ballot = _open_ballot_of(item)
    if present_checkin(assembly, voter.id) is None:
        raise VoteRefused(_l("Check in first: only members present at the assembly vote."))
    ids = sorted(int(member_id) for member_id in choices)
    bindings = {b.member_id: b for b in db.session.execute(select(VoteBinding).where(
        VoteBinding.ballot_id == ballot.id, VoteBinding.member_id.in_(ids))).scalars()}
    members = {m.id: m for m in db.session.execute(select(Member).where(Member.id.in_(ids))).scalars()}
    present_ids = set(db.session.execute(select(CheckIn.member_id).where(
        CheckIn.assembly_id == assembly.id, CheckIn.member_id.in_(ids), CheckIn.checked_out_dt.is_(None))).scalars())
    plan = []
    for member_id in ids:
        member, binding = members.get(member_id), bindings.get(member_id)
        if member is None or binding is None:
            raise VoteRefused(_l("This member is not on the roll of this vote: it opened before they arrived, or "
                                 "their proxy was set aside by the vote cap."))
        if member_id == voter.id:
            channel = VoteChannel.web.value
        else:
            proxy = active_proxy(assembly, member_id)
            if binding.via_member_id != voter.id or proxy is None or proxy.holder_id != voter.id:
                raise NotAllowed(_l("You do not carry the proxy of %(name)s for this vote.",
                                    name=_member_label(member)))
            if member_id in present_ids:
                raise VoteRefused(_l("%(name)s is present: their proxy is suspended and they vote themselves.",
                                     name=_member_label(member)))
            channel = VoteChannel.proxy.value
        if binding.bound_to != AttendanceMode.online.value:
            raise VoteRefused(_l("The vote of %(name)s is cast in the room: the tellers count it there.",
                                 name=_member_label(member)))
        plan.append((member, channel))
    receipts = {}
    for member, channel in plan:
        receipts[member.id] = ballots.cast_vote(ballot, member, choices[member.id], actor=actor, channel=channel,
                                                now=now)
    return receipts


# --- votes: the room -------------------------------------------------------------------------------
def room_bound_count(ballot: Ballot) -> int:
    return db.session.execute(select(func.count()).select_from(VoteBinding).where(
        VoteBinding.ballot_id == ballot.id, VoteBinding.bound_to == AttendanceMode.room.value)).scalar_one()


def _count(value, label) -> int:
    if isinstance(value, bool):
        raise InvalidInput(_l("Give the number of votes for each answer."))
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(_l("Give the number of votes for each answer.")) from None
    if number < 0 or number > ROOM_COUNT_MAX:
        raise InvalidInput(_l("The number of “%(answer)s” votes must be 0 or more.", answer=label))
    return number


def enter_room_tally(item: AgendaItem, *, actor, yes: int, no: int, abstain: int,
                     now: dt.datetime | None = None) -> RoomTally:
    """The tellers' totals of the room (replacing earlier ones while the vote is open). Their sum may not exceed
    the votes bound to the room."""
    now = _now(now)
    assembly = db.session.get(Assembly, item.assembly_id)
    if actor is not None:
        _require(perms.can_enter_room_tally(actor, assembly, _roles(actor, assembly)))
    counts = {"yes": _count(yes, YnaChoice.yes.label), "no": _count(no, YnaChoice.no.label),
              "abstain": _count(abstain, YnaChoice.abstain.label)}
    _lock(assembly)
    ballot = _open_ballot_of(item, or_closing=True)
    bound = room_bound_count(ballot)
    total = sum(counts.values())
    if total > bound:
        raise InvalidInput(_l("The room's totals add up to %(total)s votes, more than the %(bound)s votes cast in "
                              "the room.", total=total, bound=bound))
    tally = db.session.execute(select(RoomTally).where(RoomTally.ballot_id == ballot.id)).scalar_one_or_none()
    previous = dict(tally.counts) if tally is not None else None
    if tally is None:
        tally = RoomTally(ballot_id=ballot.id, assembly_id=assembly.id, agenda_item_id=item.id)
        db.session.add(tally)
    tally.counts = counts
    tally.total = total
    tally.entered_by_id = getattr(actor, "id", None)
    tally.entered_dt = now
    _flush_unique(Conflict(_l("The room's totals were entered meanwhile; please reload the page.")))
    audit.record("assembly.room_tally_entered", actor=actor, obj=assembly, item=item.id, ballot=ballot.id,
                 bound=bound, previous=previous, **counts)
    return tally


# --- votes: closing --------------------------------------------------------------------------------
def _online_counts(ballot: Ballot) -> dict[str, int]:
    """yes/no/abstain from the closed ballot's result, and its online participations (web and proxy)."""
    counts = {c.value: 0 for c in YnaChoice}
    for row in (ballot.result or {}).get("choices") or ():
        if row.get("choice") in counts:
            counts[row["choice"]] = int(row["count"])
    counts["participations"] = db.session.execute(select(func.count()).select_from(Participation).where(
        Participation.ballot_id == ballot.id, Participation.channel != VoteChannel.room.value)).scalar_one()
    return counts


def close_vote(item: AgendaItem, *, actor, now: dt.datetime | None = None) -> dict[str, Any]:
    """Close the vote: close the ballot (the online part), add the room's totals and decide the resolution on the
    sum. Returns the stored result."""
    now = _now(now)
    assembly = db.session.get(Assembly, item.assembly_id)
    if actor is not None:
        _require(perms.can_run_votes(actor, assembly, _roles(actor, assembly)))
    _lock(assembly)
    db.session.refresh(item, ["ballot_id", "vote_result"])
    ballot = _open_ballot_of(item, or_closing=True)
    bound = room_bound_count(ballot)
    tally = db.session.execute(select(RoomTally).where(RoomTally.ballot_id == ballot.id)).scalar_one_or_none()
    if bound and tally is None:
        raise Conflict(_l("The tellers have not entered the room's totals yet."))
    if ballot.is_open:
        # closing by hand: the closing time becomes now, so the ballot is due to close
        ballot.closes_at = max(now, ballot.opened_dt + dt.timedelta(microseconds=1))
        db.session.flush()
        ballots.close_ballot(ballot, actor=None, now=ballot.closes_at, notify=False)
    online = _online_counts(ballot)
    room = {c.value: int((tally.counts if tally else {}).get(c.value, 0)) for c in YnaChoice}
    room_total = tally.total if tally is not None else 0
    yes, no, abstain = (online[c] + room[c] for c in ("yes", "no", "abstain"))
    decision = decision_rules.decide(ballot.majority, ballot.quorum, yes=yes, no=no, abstain=abstain,
                                     base=ballot.roll_size or 0, participations=online["participations"] + room_total)
    result = dict(item.vote_result or {})
    result.update({
        "ballot_id": ballot.id,
        "closed_dt": now.isoformat(),
        "online": online,
        "room": {**room, "total": room_total, "bound": bound},
        "decision": decision.to_dict(),
        "adopted": decision.adopted,
        "ballot_audit": (ballot.result or {}).get("audit"),
    })
    item.vote_result = result
    db.session.flush()
    audit.record("assembly.vote_closed", actor=actor, obj=assembly, item=item.id, position=item.position,
                 ballot=ballot.id, online=online, room=result["room"], yes=yes, no=no, abstain=abstain,
                 base=decision.base, participations=decision.participations, quorum_met=decision.quorum_met,
                 majority_met=decision.majority_met, adopted=decision.adopted,
                 ballot_audit=result["ballot_audit"])
    _decide_proposal(item, decision, actor=actor)
    return result


def _decide_proposal(item: AgendaItem, decision: decision_rules.Decision, *, actor) -> None:
    """A workgroup's proposal brought to the assembly is adopted or rejected with its resolution."""
    if item.proposal_id is None:
        return
    from governance.proposals.models import Proposal, ProposalState

    proposal = db.session.get(Proposal, item.proposal_id)
    target = ProposalState.adopted if decision.adopted else ProposalState.rejected
    if proposal is None or not proposal.can_become(target):
        return
    language = proposal.original_language
    if language not in current_app.config["LANGUAGES"]:
        language = current_app.config.get("BABEL_DEFAULT_LOCALE", "en")
    with force_locale(language):
        reason = (_("Adopted by the general assembly: %(yes)s yes, %(no)s no, %(abstain)s abstentions.",
                    yes=decision.yes, no=decision.no, abstain=decision.abstain) if decision.adopted else
                  _("Rejected by the general assembly: %(yes)s yes, %(no)s no, %(abstain)s abstentions.",
                    yes=decision.yes, no=decision.no, abstain=decision.abstain))
    old = proposal.decide(decision.adopted, reason)
    db.session.flush()
    audit.record("proposal.state_changed", actor=actor, obj=proposal, workgroup_id=proposal.workgroup_id, old=old,
                 new=proposal.state, reason=reason, cause="assembly", assembly_id=item.assembly_id, item=item.id)


# --- the guard on online votes cast elsewhere ---------------------------------------------------------
def _guard_online_votes(ballot: Ballot, member, channel: str, actor) -> None:
    """An assembly's ballot is also reachable from the ballots' own pages, where a member on its roll votes online
    for themselves (channel ``web``). There, only a member bound to online voting and present now may vote: not a
    represented grantor who did not check in (their holder votes for them), nor a member who left. (Room-bound
    members are refused here too; their "room" participation would refuse them anyway.) Registered with the
    ballots as a check on every vote; a web vote in a ballot with bindings costs two indexed queries."""
    if channel != VoteChannel.web.value:
        return
    binding = db.session.execute(select(VoteBinding.assembly_id, VoteBinding.bound_to).where(
        VoteBinding.ballot_id == ballot.id, VoteBinding.member_id == member.id)).first()
    if binding is None:
        return  # not an assembly's ballot (or not on its roll: the ballot refuses)
    present = db.session.execute(select(CheckIn.id).where(
        CheckIn.assembly_id == binding.assembly_id, CheckIn.member_id == member.id,
        CheckIn.checked_out_dt.is_(None))).first()
    if binding.bound_to != AttendanceMode.online.value or present is None:
        raise VoteRefused(_l("This vote belongs to a general assembly: check in online on the assembly's "
                             "session page to vote there (if your proxy was given, its holder votes for you)."))


ballots.register_cast_check(_guard_online_votes)


def stored_decision(item: AgendaItem) -> decision_rules.Decision | None:
    """The decision of a closed vote, rebuilt from the stored figures (for pages and minutes)."""
    data = (item.vote_result or {}).get("decision")
    if not data:
        return None
    quorum = data.get("quorum") or {}
    return decision_rules.decide(data["rule"], quorum.get("quorum") or "none", yes=int(data["yes"]),
                                 no=int(data["no"]), abstain=int(data["abstain"]), base=int(quorum.get("base") or 0),
                                 participations=int(quorum.get("participations") or 0))


__all__ = [
    "Attendee", "CheckInClosed", "NotOnAssemblyRoll", "ProxiesClosed", "ProxyRefused", "RegistrationClosed",
    "VoteRefused", "VoteRoll", "active_proxy", "cast_votes", "check_in", "check_out", "checkin_open_at",
    "close_session", "close_vote", "enter_room_tally", "open_session", "open_vote", "present_checkin",
    "quorum_missed_by", "register", "registration_of", "revoke_proxy", "room_bound_count", "stored_decision",
    "vote_closed", "vote_roll", "withdraw_registration",
]
