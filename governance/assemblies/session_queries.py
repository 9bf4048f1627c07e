"""Reading an assembly's session: live attendance and quorum, the check-in search, the attendance list, a member's
own registration and proxies, the votes with their turnout and results, and the exports (CSV).

Nothing here changes state. Each function issues a fixed number of queries whatever the number of rows: the
check-in search and a page of the attendance list are one query each (the total comes with the rows, as a window
count).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, literal, or_, select, union_all
from sqlalchemy.orm import aliased

from governance.assemblies import queries
from governance.assemblies.models import (
    AgendaItem,
    Assembly,
    AttendanceMode,
    CheckIn,
    Proxy,
    Registration,
    RegistrationMode,
    RoomTally,
    VoteBinding,
)
from governance.core.i18n import pick_text
from governance.core.spreadsheets import csv_text
from governance.extensions import db
from governance.members.models import Branch, Member
from governance.votes.methods.decision import Decision
from governance.votes.models import Ballot, BallotState, Participation, VoteChannel, YnaChoice

#: rows per page of the check-in search and of the attendance list
PER_PAGE = 25
#: rows read at a time by the exports
EXPORT_CHUNK = 1000


# --- attendance ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Attendance:
    """Live figures: present in the room and online, represented by a present holder."""

    room: int
    online: int
    represented: int

    @property
    def present(self) -> int:
        return self.room + self.online

    @property
    def total(self) -> int:
        """Present or represented: the base of a vote's quorum when it opens."""
        return self.present + self.represented


def _present(alias, assembly_id) -> Any:
    return and_(alias.assembly_id == assembly_id, alias.checked_out_dt.is_(None))


def attendance(assembly: Assembly) -> Attendance:
    """Present (by mode) and represented now: one query."""
    present = (select(func.count()).select_from(CheckIn)
               .where(CheckIn.assembly_id == assembly.id, CheckIn.checked_out_dt.is_(None)))
    room = present.where(CheckIn.mode == AttendanceMode.room.value).scalar_subquery()
    online = present.where(CheckIn.mode == AttendanceMode.online.value).scalar_subquery()
    holder = aliased(CheckIn)
    grantor = aliased(CheckIn)
    represented = (select(func.count()).select_from(Proxy)
                   .join(holder, and_(holder.member_id == Proxy.holder_id, _present(holder, assembly.id)))
                   .outerjoin(grantor, and_(grantor.member_id == Proxy.grantor_id, _present(grantor, assembly.id)))
                   .where(Proxy.assembly_id == assembly.id, Proxy.revoked_dt.is_(None), grantor.id.is_(None))
                   .scalar_subquery())
    row = db.session.execute(select(room, online, represented)).one()
    return Attendance(room=int(row[0]), online=int(row[1]), represented=int(row[2]))


@dataclass(frozen=True)
class Totals:
    """Over the whole session (for the minutes): everyone who checked in at some point, and the grantors whose
    holder checked in while they never did."""

    room: int
    online: int
    represented: int

    @property
    def present(self) -> int:
        return self.room + self.online

    @property
    def total(self) -> int:
        return self.present + self.represented


def session_totals(assembly: Assembly) -> Totals:
    """One query."""
    checked = select(func.count()).select_from(CheckIn).where(CheckIn.assembly_id == assembly.id)
    room = checked.where(CheckIn.mode == AttendanceMode.room.value).scalar_subquery()
    online = checked.where(CheckIn.mode == AttendanceMode.online.value).scalar_subquery()
    holder = aliased(CheckIn)
    grantor = aliased(CheckIn)
    represented = (select(func.count()).select_from(Proxy)
                   .join(holder, and_(holder.member_id == Proxy.holder_id, holder.assembly_id == assembly.id))
                   .outerjoin(grantor, and_(grantor.member_id == Proxy.grantor_id, grantor.assembly_id == assembly.id))
                   .where(Proxy.assembly_id == assembly.id, Proxy.revoked_dt.is_(None), grantor.id.is_(None))
                   .scalar_subquery())
    row = db.session.execute(select(room, online, represented)).one()
    return Totals(room=int(row[0]), online=int(row[1]), represented=int(row[2]))


# --- a page of people ------------------------------------------------------------------------------
@dataclass
class PersonRow:
    """One member as the check-in desk and the attendance list show them."""

    member_id: int
    number: str
    first_name: str
    last_name: str
    branch_code: str
    registration: str | None
    checkin_mode: str | None
    checked_in_dt: dt.datetime | None
    checked_out_dt: dt.datetime | None
    #: the holder of the member's active proxy
    holder_name: str | None = None
    holder_number: str | None = None
    holder_present: bool = False
    #: how many active proxies the member carries
    carries: int = 0

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_present(self) -> bool:
        return self.checkin_mode is not None and self.checked_out_dt is None

    @property
    def is_represented(self) -> bool:
        return not self.is_present and self.holder_present

    @property
    def registration_label(self) -> str:
        return RegistrationMode(self.registration).label if self.registration else ""

    @property
    def mode_label(self) -> str:
        if self.is_present:
            return AttendanceMode(self.checkin_mode).label
        if self.is_represented:
            return str(RegistrationMode.proxy.label)
        return ""


@dataclass
class PersonPage:
    rows: list[PersonRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _people_select(assembly: Assembly):
    """Members with their branch, registration, check-in, the holder of their proxy (and whether that holder is
    present) and how many proxies they carry; the caller adds its conditions."""
    checkin = aliased(CheckIn)
    proxy = aliased(Proxy)
    holder = aliased(Member)
    holder_checkin = aliased(CheckIn)
    carried = (select(func.count()).select_from(Proxy).where(
        Proxy.assembly_id == assembly.id, Proxy.holder_id == Member.id, Proxy.revoked_dt.is_(None))
        .correlate(Member).scalar_subquery())
    query = (
        select(Member.id, Member.number, Member.first_name, Member.last_name, Branch.code, Registration.mode,
               checkin.mode, checkin.checked_in_dt, checkin.checked_out_dt, holder.first_name, holder.last_name,
               holder.number, holder_checkin.id, carried, func.count().over())
        .join(Branch, Branch.id == Member.branch_id)
        .outerjoin(Registration, and_(Registration.assembly_id == assembly.id, Registration.member_id == Member.id))
        .outerjoin(checkin, and_(checkin.assembly_id == assembly.id, checkin.member_id == Member.id))
        .outerjoin(proxy, and_(proxy.assembly_id == assembly.id, proxy.grantor_id == Member.id,
                               proxy.revoked_dt.is_(None)))
        .outerjoin(holder, holder.id == proxy.holder_id)
        .outerjoin(holder_checkin, and_(holder_checkin.assembly_id == assembly.id,
                                        holder_checkin.member_id == proxy.holder_id,
                                        holder_checkin.checked_out_dt.is_(None)))
    )
    return query, checkin, proxy, holder_checkin


def _rows(result) -> tuple[list[PersonRow], int]:
    rows, total = [], 0
    for (member_id, number, first, last, branch_code, registration, mode, checked_in, checked_out, holder_first,
         holder_last, holder_number, holder_checkin_id, carried, count) in result:
        total = int(count)
        holder_name = f"{holder_first} {holder_last}".strip() if holder_number else None
        rows.append(PersonRow(member_id=member_id, number=number, first_name=first, last_name=last,
                              branch_code=branch_code, registration=registration, checkin_mode=mode,
                              checked_in_dt=checked_in, checked_out_dt=checked_out, holder_name=holder_name,
                              holder_number=holder_number, holder_present=holder_checkin_id is not None,
                              carries=int(carried or 0)))
    return rows, total


def _page_number(page: int) -> int:
    return max(1, int(page or 1))


def search_members(assembly: Assembly, search: str = "", page: int = 1, per_page: int = PER_PAGE) -> PersonPage:
    """Members on the roll whose name or member number contains ``search`` (all when empty), by name: one query
    (the total comes with the rows; a page past the end is empty)."""
    query, *_aliases = _people_select(assembly)
    query = query.where(assembly.roll_condition())
    search = (search or "").strip().lower()
    if search:
        pattern = f"%{_escape_like(search)}%"
        full_name = func.lower(Member.first_name + literal(" ") + Member.last_name)
        query = query.where(or_(func.lower(Member.number).like(pattern, escape="\\"),
                                full_name.like(pattern, escape="\\"),
                                func.lower(Member.last_name).like(pattern, escape="\\")))
    page = _page_number(page)
    result = db.session.execute(query.order_by(Member.last_name, Member.first_name, Member.id)
                                .offset((page - 1) * per_page).limit(per_page)).all()
    rows, total = _rows(result)
    return PersonPage(rows=rows, total=total, page=page, per_page=per_page)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _attending_ids(assembly: Assembly):
    """Ids of the members present now and of those represented now (a union)."""
    present = select(CheckIn.member_id.label("member_id")).where(_present(CheckIn, assembly.id))
    holder = aliased(CheckIn)
    grantor = aliased(CheckIn)
    represented = (select(Proxy.grantor_id.label("member_id"))
                   .join(holder, and_(holder.member_id == Proxy.holder_id, _present(holder, assembly.id)))
                   .outerjoin(grantor, and_(grantor.member_id == Proxy.grantor_id, _present(grantor, assembly.id)))
                   .where(Proxy.assembly_id == assembly.id, Proxy.revoked_dt.is_(None), grantor.id.is_(None)))
    return union_all(present, represented).subquery()


def attendance_page(assembly: Assembly, page: int = 1, per_page: int = PER_PAGE) -> PersonPage:
    """The members present or represented now, by name: one query."""
    query, *_aliases = _people_select(assembly)
    ids = _attending_ids(assembly)
    query = query.where(Member.id.in_(select(ids.c.member_id)))
    page = _page_number(page)
    result = db.session.execute(query.order_by(Member.last_name, Member.first_name, Member.id)
                                .offset((page - 1) * per_page).limit(per_page)).all()
    rows, total = _rows(result)
    return PersonPage(rows=rows, total=total, page=page, per_page=per_page)


def attendance_rows(assembly: Assembly) -> Iterator[PersonRow]:
    """Every member present or represented now (for the export), read in chunks."""
    page = 1
    while True:
        chunk = attendance_page(assembly, page=page, per_page=EXPORT_CHUNK)
        yield from chunk.rows
        if not chunk.has_next:
            return
        page += 1


# --- one member ------------------------------------------------------------------------------------
@dataclass
class HeldProxy:
    grantor: Member
    proxy: Proxy
    #: the grantor is present: the proxy is suspended
    suspended: bool


@dataclass
class MemberSituation:
    """A member's own place at the assembly."""

    registration: Registration | None
    #: the active proxy the member gave, and its holder
    given: Proxy | None
    holder: Member | None
    checkin: CheckIn | None
    held: list[HeldProxy] = field(default_factory=list)

    @property
    def is_present(self) -> bool:
        return self.checkin is not None and self.checkin.checked_out_dt is None


def member_situation(assembly: Assembly, member_id: int | None) -> MemberSituation | None:
    """Four queries: the registration, the proxy given (with its holder), the check-in, the proxies held (with
    their grantors and whether each is present)."""
    if member_id is None:
        return None
    registration = db.session.execute(select(Registration).where(
        Registration.assembly_id == assembly.id, Registration.member_id == member_id)).scalar_one_or_none()
    holder = aliased(Member)
    given_row = db.session.execute(
        select(Proxy, holder).join(holder, holder.id == Proxy.holder_id)
        .where(Proxy.assembly_id == assembly.id, Proxy.grantor_id == member_id, Proxy.revoked_dt.is_(None))).first()
    checkin = db.session.execute(select(CheckIn).where(CheckIn.assembly_id == assembly.id,
                                                       CheckIn.member_id == member_id)).scalar_one_or_none()
    grantor = aliased(Member)
    grantor_checkin = aliased(CheckIn)
    held = [HeldProxy(grantor=g, proxy=p, suspended=present_id is not None) for p, g, present_id in db.session.execute(
        select(Proxy, grantor, grantor_checkin.id).join(grantor, grantor.id == Proxy.grantor_id)
        .outerjoin(grantor_checkin, and_(grantor_checkin.member_id == Proxy.grantor_id,
                                         _present(grantor_checkin, assembly.id)))
        .where(Proxy.assembly_id == assembly.id, Proxy.holder_id == member_id, Proxy.revoked_dt.is_(None))
        .order_by(grantor.last_name, grantor.first_name, grantor.id))]
    return MemberSituation(registration=registration, given=given_row[0] if given_row else None,
                           holder=given_row[1] if given_row else None, checkin=checkin, held=held)


# --- votes -----------------------------------------------------------------------------------------
@dataclass
class VoteRow:
    """A resolution at the session: its ballot, the live turnout while open, the result once closed."""

    item: AgendaItem
    ballot: Ballot | None
    #: participations online (web and proxy) and the room-bound votes, while open
    online_votes: int = 0
    online_bound: int = 0
    room_bound: int = 0
    tally: RoomTally | None = None

    @property
    def is_open(self) -> bool:
        return self.ballot is not None and self.ballot.is_open

    @property
    def is_closed(self) -> bool:
        """The session closed the vote: the decision is stored."""
        return self.ballot is not None and self.ballot.state == BallotState.closed.value \
            and bool(self.result.get("closed_dt"))

    @property
    def needs_closing(self) -> bool:
        """The ballot was closed from its own page: the session must still add the room and decide."""
        return self.ballot is not None and self.ballot.state == BallotState.closed.value \
            and not self.result.get("closed_dt")

    @property
    def is_running(self) -> bool:
        return self.is_open or self.needs_closing

    @property
    def can_open(self) -> bool:
        return self.ballot is None or self.ballot.is_annulled

    @property
    def result(self) -> dict[str, Any]:
        return self.item.vote_result or {}

    @property
    def decision(self) -> Decision | None:
        from governance.assemblies.session import stored_decision

        return stored_decision(self.item)

    @property
    def set_aside(self) -> list[dict[str, int]]:
        return (self.result.get("opened") or {}).get("set_aside") or []


def vote_rows(assembly: Assembly, items: list[AgendaItem] | None = None) -> list[VoteRow]:
    """Every resolution of the agenda with its ballot, turnout and room totals: at most four queries."""
    if items is None:
        items = queries.agenda_items(assembly)
    resolutions = [item for item in items if item.is_resolution]
    ballot_ids = [item.ballot_id for item in resolutions if item.ballot_id is not None]
    ballots = {b.id: b for b in db.session.execute(select(Ballot).where(Ballot.id.in_(ballot_ids))).scalars()} \
        if ballot_ids else {}
    decided = {item.ballot_id for item in resolutions if (item.vote_result or {}).get("closed_dt")}
    open_ids = [bid for bid, b in ballots.items() if b.is_open or (b.is_closed and bid not in decided)]
    turnout: dict[int, int] = {}
    bound: dict[tuple[int, str], int] = {}
    tallies: dict[int, RoomTally] = {}
    if open_ids:
        turnout = dict(db.session.execute(
            select(Participation.ballot_id, func.count()).where(
                Participation.ballot_id.in_(open_ids), Participation.channel != VoteChannel.room.value)
            .group_by(Participation.ballot_id)).all())
        bound = {(bid, mode): n for bid, mode, n in db.session.execute(
            select(VoteBinding.ballot_id, VoteBinding.bound_to, func.count()).where(
                VoteBinding.ballot_id.in_(open_ids)).group_by(VoteBinding.ballot_id, VoteBinding.bound_to))}
        tallies = {t.ballot_id: t for t in db.session.execute(select(RoomTally).where(
            RoomTally.ballot_id.in_(open_ids))).scalars()}
    rows = []
    for item in resolutions:
        ballot = ballots.get(item.ballot_id) if item.ballot_id is not None else None
        bid = ballot.id if ballot is not None else None
        rows.append(VoteRow(item=item, ballot=ballot, online_votes=turnout.get(bid, 0),
                            online_bound=bound.get((bid, AttendanceMode.online.value), 0),
                            room_bound=bound.get((bid, AttendanceMode.room.value), 0), tally=tallies.get(bid)))
    return rows


@dataclass
class VoterSlot:
    """Someone the reader votes for in the open vote: themselves, or a grantor."""

    member: Member
    is_self: bool
    bound_to: str
    voted: bool
    #: the grantor is present (their proxy is suspended: they vote themselves)
    suspended: bool = False

    @property
    def can_vote_online(self) -> bool:
        return self.bound_to == AttendanceMode.online.value and not self.voted and not self.suspended


def voter_slots(assembly: Assembly, ballot: Ballot, member_id: int | None) -> list[VoterSlot]:
    """The reader's own binding and those of the grantors bound through them, in an open ballot, with whether each
    has voted: one query."""
    if member_id is None or ballot is None:
        return []
    present = aliased(CheckIn)
    rows = db.session.execute(
        select(VoteBinding, Member, Participation.member_id, present.id)
        .join(Member, Member.id == VoteBinding.member_id)
        .outerjoin(Participation, and_(Participation.ballot_id == VoteBinding.ballot_id,
                                       Participation.member_id == VoteBinding.member_id))
        .outerjoin(present, and_(present.member_id == VoteBinding.member_id, _present(present, assembly.id)))
        .where(VoteBinding.ballot_id == ballot.id,
               or_(VoteBinding.member_id == member_id, VoteBinding.via_member_id == member_id))
        .order_by(case((VoteBinding.member_id == member_id, 0), else_=1), Member.last_name, Member.id)).all()
    slots = []
    for binding, member, voted, present_id in rows:
        is_self = member.id == member_id
        if not is_self and binding.via_member_id != member_id:
            continue
        slots.append(VoterSlot(member=member, is_self=is_self, bound_to=binding.bound_to, voted=voted is not None,
                               suspended=not is_self and present_id is not None))
    return slots


# --- exports ---------------------------------------------------------------------------------------
def _csv(rows: list[list[Any]]) -> str:
    return csv_text(rows)


def attendance_csv(assembly: Assembly) -> str:
    """Who is present or represented now: member number, name, branch, mode, checked-in time (UTC, ISO 8601),
    represented by."""
    rows = [[_("Member number"), _("Name"), _("Branch"), _("Mode"), _("Checked in"), _("Represented by")]]
    for person in attendance_rows(assembly):
        represented_by = (f"{person.holder_name} ({person.holder_number})" if person.is_represented else "")
        checked_in = person.checked_in_dt.isoformat() if person.is_present and person.checked_in_dt else ""
        rows.append([person.number, person.full_name, person.branch_code, person.mode_label, checked_in,
                     represented_by])
    return _csv(rows)


def results_csv(assembly: Assembly) -> str:
    """One line per resolution put to the vote: the rule, the figures online, in the room and together, the
    quorum and the decision."""
    rows = [[_("Item"), _("Resolution"), _("Majority rule"), _("Quorum"), _("Present or represented"),
             _("Yes online"), _("No online"), _("Abstentions online"), _("Yes in the room"), _("No in the room"),
             _("Abstentions in the room"), _("Yes"), _("No"), _("Abstentions"), _("Participations"),
             _("Quorum reached"), _("Majority reached"), _("Adopted"), _("Ballot")]]
    for item in queries.agenda_items(assembly):
        result = item.vote_result or {}
        decision = result.get("decision")
        if not item.is_resolution or not decision:
            continue
        online, room = result.get("online") or {}, result.get("room") or {}
        quorum = decision.get("quorum") or {}
        title = pick_text(item.titles, item.original_language).text
        rows.append([item.position, title, decision.get("rule"), quorum.get("quorum"), quorum.get("base"),
                     online.get("yes", 0), online.get("no", 0), online.get("abstain", 0), room.get("yes", 0),
                     room.get("no", 0), room.get("abstain", 0), decision.get("yes"), decision.get("no"),
                     decision.get("abstain"), quorum.get("participations"), _yes_no(quorum.get("met")),
                     _yes_no(decision.get("majority_met")), _yes_no(decision.get("adopted")), result.get("ballot_id")])
    return _csv(rows)


def _yes_no(value) -> str:
    return str(YnaChoice.yes.label) if value else str(YnaChoice.no.label)

