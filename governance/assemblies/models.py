"""General assemblies: definition, roles, agenda, documents, convocation, attendance, votes, minutes, petitions.

This module holds the data model of the whole feature. ``operations.py`` (definition, agenda, documents,
convocation, petitions) and the session operations (registration, proxies, check-in, hybrid votes, minutes)
change it; nothing else does.

**Assembly** (:class:`Assembly`, table ``assemblies``). Convened by a branch's board (``branch_id``) or, when
``branch_id`` is NULL, by the cooperative's board for the whole cooperative (there is no "GROUP" branch in the
register). ``kind`` is ordinary or extraordinary. It takes place at ``starts_at`` (UTC; shown in the reader's
time zone) in the time zone ``timezone`` (the convening branch's, copied at creation; the notice period is
counted in it), at ``place`` and/or online at ``online_url`` (at least one of the two).

*Roll.* Like a register electorate of a ballot: the branches in ``assembly_branches`` (the convening branch, or
every branch for the cooperative), the statuses in ``eligible_statuses`` and an optional ``register_cutoff``
(members who joined on or before that date). :meth:`Assembly.roll_condition` is the SQL condition on
:class:`Member`. The roll is evaluated live (when the convocation is sent it is, in effect, recorded by the
delivery log: one :class:`ConvocationDelivery` per member convened).

*Notice.* The convocation must leave at least ``notice_days`` full days (default 15, from the configuration)
between the sending date and the assembly's date, both as calendar dates in ``timezone``:
:meth:`Assembly.notice_met` and :func:`full_days_between`.

*Proxies.* ``proxy_deadline`` (UTC; None: until the session opens) for granting and revoking; a holder carries at
most ``max_proxies_per_holder`` proxies (default 1); nobody casts more than ``vote_cap_numerator /
vote_cap_denominator`` (default 1/10) of the votes present or represented (:meth:`Assembly.exceeds_vote_cap`,
integers only).

*States.* draft → convened → in_session → closed → minutes_approved (CHECK constraint; the transition methods
:meth:`Assembly.mark_convened`, :meth:`Assembly.open_session`, :meth:`Assembly.close`,
:meth:`Assembly.approve_minutes` raise :class:`IllegalTransition`, a 409 Conflict). Only a draft may be edited
freely; agenda changes after the convocation are refused (see ``operations.py``).

*Second convocation.* When an assembly closed without a required quorum (``quorum_missed``, set by
:meth:`Assembly.close`), the board convenes a new assembly linked to it (``first_assembly_id``): there the
quorum of its resolutions no longer applies (:attr:`Assembly.quorum_waived`, :meth:`Assembly.effective_quorum`).

**Roles** (:class:`AssemblyRole`): chair, secretary, teller, check-in staff; each row names a member or an
account (staff without a register entry).

**Agenda** (:class:`AgendaItem`): ordered by ``position`` (unique per assembly), kind information, discussion or
resolution; title and text (Markdown) per language with their original language. A resolution also carries its
exact text (``resolution_texts``), its ``resolution_kind`` (ordinary or statute change; a statute change
carries ``current_texts`` and ``new_texts`` and the page shows the difference), its decision rule — ``majority``
and ``quorum``, codes of :mod:`governance.votes.methods.decision` — the ``authoritative_language`` of its
official text, and the ballot that decides it (``ballot_id``, created when the vote opens at the session).

**Documents** (:class:`AssemblyDocument`): files attached to the assembly or one of its agenda items, stored in
the database (:class:`AssemblyDocumentBlob`, its own table so lists never load the bytes; app processes on
several machines share the database, not a disk), served only to the roll's members and the managers.

**Convocation log** (:class:`ConvocationDelivery`, table ``assembly_deliveries``): one row per member convened,
channel email or letter. An email's live status is its outbox message's (``outbox_message_id``); a letter is
``to_print`` until the letters' PDF is produced, then ``printed`` (``letter_printed_dt``).

**Session** (the other half): :class:`Registration` (in person, online, by proxy; one per member),
:class:`Proxy` (grantor → holder; at most one non-revoked proxy per grantor — a partial unique index; revoked
proxies stay as history; a proxy is *suspended* while its grantor is checked in, computed from
:class:`CheckIn`), :class:`CheckIn` (one per member: room or online), :class:`VoteBinding` (hybrid voting: per
ballot, each member present or represented is bound to the room or to online voting; one per ballot and member),
:class:`RoomTally` (the tellers' room totals of a ballot), :class:`Minutes` (Markdown per language, draft →
approved → published).

**Petitions** (:class:`Petition`, :class:`PetitionSignature`): members ask for an assembly of their branch
(``branch_id``) or of the whole cooperative (NULL). When it opens, the number of active members in scope is
frozen as ``base`` and ``threshold`` = ceil(base / 10) (at least 1). A member signs once (primary key) and may
withdraw before the threshold is reached; reaching it moves the petition to ``threshold_reached`` (dated) and
notifies the board once.
"""
from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l, lazy_pgettext
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from governance.core.db_types import MutableJSONDict, MutableJSONList, utcnow
from governance.core.enums import LabelledEnum, sql_values
from governance.core.errors import Conflict
from governance.accounts.models import Account
from governance.core.i18n import LocalText, pick_text
from governance.extensions import db
from governance.members.models import Branch, Member
from governance.proposals.models import Proposal
from governance.votes.models import Ballot

#: the notice period when neither the assembly nor the configuration says otherwise (Belgian practice)
DEFAULT_NOTICE_DAYS = 15
#: petitions: a tenth of the active members in scope
PETITION_SHARE = (1, 10)



# --- enumerations ----------------------------------------------------------------------------------
class AssemblyKind(LabelledEnum):
    # i18n: kinds of general assembly
    ordinary = "ordinary", _l("Ordinary general assembly")
    extraordinary = "extraordinary", _l("Extraordinary general assembly")


class AssemblyState(LabelledEnum):
    # i18n: states of a general assembly
    draft = "draft", _l("Draft")
    convened = "convened", _l("Convened")
    in_session = "in_session", _l("In session")
    closed = "closed", lazy_pgettext("assembly state", "Closed")
    minutes_approved = "minutes_approved", _l("Minutes approved")


#: target state → the states it can be reached from
TRANSITIONS: dict[AssemblyState, frozenset[AssemblyState]] = {
    AssemblyState.convened: frozenset({AssemblyState.draft}),
    AssemblyState.in_session: frozenset({AssemblyState.convened}),
    AssemblyState.closed: frozenset({AssemblyState.in_session}),
    AssemblyState.minutes_approved: frozenset({AssemblyState.closed}),
}


class IllegalTransition(Conflict):
    default_message = _l("This assembly cannot go from “%(old)s” to “%(new)s”.")


class AssemblyRoleKind(LabelledEnum):
    # i18n: roles at a general assembly
    chair = "chair", _l("Chair")
    secretary = "secretary", _l("Secretary of the assembly")
    teller = "teller", _l("Teller")
    checkin_staff = "checkin_staff", _l("Check-in staff")


class AgendaItemKind(LabelledEnum):
    # i18n: kinds of agenda item
    information = "information", _l("Information")
    discussion = "discussion", _l("Discussion")
    resolution = "resolution", _l("Resolution")


class ResolutionKind(LabelledEnum):
    ordinary = "ordinary", _l("Ordinary resolution")
    statute_change = "statute_change", _l("Change of the statutes")


class DeliveryChannel(LabelledEnum):
    email = "email", _l("Email")
    letter = "letter", _l("Letter")


class DeliveryStatus(LabelledEnum):
    # i18n: states of a convocation's delivery to one member
    #: email handed to the outbox, not sent yet (also the outbox's "sending")
    queued = "queued", _l("Queued")
    sent = "sent", _l("Sent")
    failed = "failed", _l("Failed")
    #: letter waiting for the letters' PDF
    to_print = "to_print", _l("Letter to print")
    printed = "printed", _l("Letter printed")


class RegistrationMode(LabelledEnum):
    in_person = "in_person", _l("In person")
    online = "online", _l("Online")
    proxy = "proxy", _l("By proxy")


class AttendanceMode(LabelledEnum):
    """Where a checked-in member is, and where a bound vote is cast: in the room or online."""

    room = "room", _l("In the room")
    online = "online", _l("Online")


class MinutesState(LabelledEnum):
    draft = "draft", _l("Draft")
    approved = "approved", _l("Approved")
    published = "published", _l("Published")


class PetitionState(LabelledEnum):
    # i18n: states of a members' petition for a general assembly
    open = "open", _l("Collecting signatures")
    threshold_reached = "threshold_reached", _l("Threshold reached")
    closed = "closed", lazy_pgettext("petition state", "Closed")


# --- pure helpers ----------------------------------------------------------------------------------
def full_days_between(sent_on: dt.date, assembly_on: dt.date) -> int:
    """Full calendar days strictly between the sending date and the assembly date (neither counts).

    Sent on the 1st for an assembly on the 17th: the 2nd … the 16th, 15 full days."""
    return (assembly_on - sent_on).days - 1


def petition_threshold(base: int) -> int:
    """ceil(base / 10) in integers, at least 1: 100 → 10, 101 → 11, 0 → 1."""
    p, q = PETITION_SHARE
    return max(1, -(-(p * base) // q))


# --- association table -----------------------------------------------------------------------------
#: the branches of an assembly's roll (the convening branch, or every branch for the cooperative)
assembly_branches = Table(
    "assembly_branches",
    db.metadata,
    Column("assembly_id", ForeignKey("assemblies.id", ondelete="CASCADE"), primary_key=True),
    Column("branch_id", ForeignKey("branches.id", ondelete="RESTRICT"), primary_key=True, index=True),
)


# --- the assembly ----------------------------------------------------------------------------------
class Assembly(db.Model):
    __tablename__ = "assemblies"
    __table_args__ = (
        CheckConstraint(f"kind IN ({sql_values(AssemblyKind)})", name="kind_valid"),
        CheckConstraint(f"state IN ({sql_values(AssemblyState)})", name="state_valid"),
        CheckConstraint("original_language <> ''", name="original_language_not_empty"),
        CheckConstraint("place IS NOT NULL OR online_url IS NOT NULL", name="place_or_online"),
        CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="ends_after_starts"),
        CheckConstraint("notice_days >= 0", name="notice_days_positive"),
        CheckConstraint("max_proxies_per_holder >= 0", name="max_proxies_positive"),
        CheckConstraint("vote_cap_numerator > 0 AND vote_cap_denominator > 0"
                        " AND vote_cap_numerator <= vote_cap_denominator", name="vote_cap_share"),
        CheckConstraint("first_assembly_id IS NULL OR first_assembly_id <> id", name="not_own_second"),
        CheckConstraint("(state = 'draft') = (convened_dt IS NULL)", name="convened_dt_iff_not_draft"),
        CheckConstraint("state NOT IN ('closed', 'minutes_approved') OR closed_dt IS NOT NULL",
                        name="closed_has_date"),
        CheckConstraint("state <> 'minutes_approved' OR minutes_approved_dt IS NOT NULL",
                        name="minutes_approved_has_date"),
        CheckConstraint("quorum_missed = false OR state IN ('closed', 'minutes_approved')",
                        name="quorum_missed_only_closed"),
        Index("ix_assemblies_state_starts_at", "state", "starts_at"),
        # ids name outbox messages ("assembly:<id>:convocation:…"): never given again (SQLite)
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the convening board's branch; NULL: the cooperative's board, for the whole cooperative
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default=AssemblyKind.ordinary.value)
    #: language code → title / description (Markdown)
    titles: Mapped[dict[str, str]] = mapped_column(MutableJSONDict, default=dict)
    descriptions: Mapped[dict[str, str]] = mapped_column(MutableJSONDict, default=dict)
    original_language: Mapped[str] = mapped_column(String(8))

    #: when it starts (and optionally ends), UTC
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime | None]
    #: the IANA time zone the assembly happens in and its notice is counted in (the branch's at creation)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Brussels")
    #: postal address or room (free text), and/or the link to the online meeting
    place: Mapped[str | None] = mapped_column(Text)
    online_url: Mapped[str | None] = mapped_column(String(500))

    # roll: like a register electorate (branches in ``assembly_branches``)
    eligible_statuses: Mapped[list[str]] = mapped_column(MutableJSONList, default=lambda: ["active"])
    register_cutoff: Mapped[dt.date | None] = mapped_column(Date)

    #: full days between sending the convocation and the assembly's date, in ``timezone``
    notice_days: Mapped[int] = mapped_column(default=DEFAULT_NOTICE_DAYS)

    # proxies
    #: proxies can be given and revoked until then (UTC); None: until the session opens
    proxy_deadline: Mapped[dt.datetime | None]
    max_proxies_per_holder: Mapped[int] = mapped_column(default=1)
    #: nobody casts more than this share of the votes present or represented (default a tenth)
    vote_cap_numerator: Mapped[int] = mapped_column(default=1)
    vote_cap_denominator: Mapped[int] = mapped_column(default=10)

    #: a second convocation: the assembly that missed its quorum
    first_assembly_id: Mapped[int | None] = mapped_column(ForeignKey("assemblies.id", ondelete="RESTRICT"),
                                                         index=True)
    #: the petition this assembly answers, if any
    petition_id: Mapped[int | None] = mapped_column(ForeignKey("assembly_petitions.id", ondelete="SET NULL"),
                                                   index=True)

    state: Mapped[str] = mapped_column(String(20), default=AssemblyState.draft.value)
    convened_dt: Mapped[dt.datetime | None]
    convened_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    session_opened_dt: Mapped[dt.datetime | None]
    closed_dt: Mapped[dt.datetime | None]
    #: the assembly closed without a quorum it required (set at close by the session operations)
    quorum_missed: Mapped[bool] = mapped_column(Boolean, default=False)
    minutes_approved_dt: Mapped[dt.datetime | None]

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)
    modified_dt: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    #: the convening branch (None: the cooperative)
    branch: Mapped[Branch | None] = relationship(lazy="selectin", foreign_keys=[branch_id])
    #: the roll's branches (loaded with the assembly: every permission check needs them)
    branches: Mapped[list[Branch]] = relationship(secondary=assembly_branches, lazy="selectin",
                                                  order_by=Branch.code)
    first_assembly: Mapped[Assembly | None] = relationship(remote_side=[id], foreign_keys=[first_assembly_id],
                                                           lazy="raise_on_sql")
    agenda_items: Mapped[list[AgendaItem]] = relationship(
        back_populates="assembly", cascade="all, delete-orphan", passive_deletes=True, lazy="raise_on_sql",
        order_by="AgendaItem.position")
    roles: Mapped[list[AssemblyRole]] = relationship(
        back_populates="assembly", cascade="all, delete-orphan", passive_deletes=True, lazy="raise_on_sql",
        order_by="AssemblyRole.id")
    documents: Mapped[list[AssemblyDocument]] = relationship(
        back_populates="assembly", cascade="all, delete-orphan", passive_deletes=True, lazy="raise_on_sql",
        order_by="AssemblyDocument.id")

    def __repr__(self) -> str:
        return f"<Assembly {self.id} {self.kind} {self.state}>"

    # --- texts ---
    @property
    def title(self) -> LocalText:
        return pick_text(self.titles, self.original_language)

    @property
    def description(self) -> LocalText:
        return pick_text(self.descriptions, self.original_language)

    @property
    def text_languages(self) -> list[str]:
        others = sorted(code for code, value in self.titles.items() if value and code != self.original_language)
        return [self.original_language, *others]

    @property
    def kind_label(self) -> str:
        return AssemblyKind(self.kind).label

    @property
    def is_extraordinary(self) -> bool:
        return self.kind == AssemblyKind.extraordinary.value

    # --- scope and roll ---
    @property
    def is_cooperative_wide(self) -> bool:
        return self.branch_id is None

    @property
    def branch_ids(self) -> set[int]:
        return {branch.id for branch in self.branches}

    @property
    def required_languages(self) -> list[str]:
        """Every language an official text must exist in for the branches addressed (sorted)."""
        return sorted({code for branch in self.branches for code in (branch.required_languages or [])})

    def roll_condition(self):
        """The SQL condition on :class:`Member` for the assembly's roll (live)."""
        condition = and_(Member.branch_id.in_(sorted(self.branch_ids)),
                         Member.status.in_(list(self.eligible_statuses or ["active"])))
        if self.register_cutoff is not None:
            condition = and_(condition, Member.joined_on <= self.register_cutoff)
        return condition

    def is_on_roll(self, member: Member | None) -> bool:
        """The same test as :meth:`roll_condition`, for one loaded member."""
        if member is None:
            return False
        return (member.branch_id in self.branch_ids
                and member.status in (self.eligible_statuses or ["active"])
                and (self.register_cutoff is None or member.joined_on <= self.register_cutoff))

    # --- time ---
    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def local_starts_at(self) -> dt.datetime:
        """The start in the assembly's own time zone."""
        return self.starts_at.astimezone(self.zone)

    @property
    def local_date(self) -> dt.date:
        return self.local_starts_at.date()

    def full_days_before(self, now: dt.datetime) -> int:
        """Full days between ``now``'s date and the assembly's date, both in the assembly's time zone."""
        return full_days_between(now.astimezone(self.zone).date(), self.local_date)

    def notice_met(self, now: dt.datetime) -> bool:
        """Whether a convocation sent at ``now`` still leaves ``notice_days`` full days."""
        return self.full_days_before(now) >= self.notice_days

    @property
    def last_sending_date(self) -> dt.date:
        """The last calendar date (in the assembly's time zone) a convocation may be sent on."""
        return self.local_date - dt.timedelta(days=self.notice_days + 1)

    # --- proxies ---
    def proxies_open_at(self, now: dt.datetime) -> bool:
        """Proxies may be given or revoked: before the deadline, and never once the session opened."""
        if self.state not in (AssemblyState.draft.value, AssemblyState.convened.value):
            return False
        return self.proxy_deadline is None or now < self.proxy_deadline

    def exceeds_vote_cap(self, votes: int, present_or_represented: int) -> bool:
        """Whether one person casting ``votes`` votes would exceed the cap (q · votes > p · base)."""
        return self.vote_cap_denominator * votes > self.vote_cap_numerator * present_or_represented

    def max_votes_per_person(self, present_or_represented: int) -> int:
        """The most votes one person may cast (their own and their proxies'): floor(p · base / q)."""
        return (self.vote_cap_numerator * present_or_represented) // self.vote_cap_denominator

    # --- second convocation ---
    @property
    def is_second_convocation(self) -> bool:
        return self.first_assembly_id is not None

    @property
    def quorum_waived(self) -> bool:
        """A second convocation: the quorum of its resolutions no longer applies."""
        return self.first_assembly_id is not None

    def effective_quorum(self, quorum_code: str | None) -> str:
        """The quorum code a resolution's vote applies here ("none" at a second convocation)."""
        if self.quorum_waived or not quorum_code:
            return "none"
        return quorum_code

    @property
    def can_have_second_convocation(self) -> bool:
        return self.quorum_missed and self.state in (AssemblyState.closed.value,
                                                     AssemblyState.minutes_approved.value)

    # --- states ---
    @property
    def state_label(self) -> str:
        return AssemblyState(self.state).label

    @property
    def is_draft(self) -> bool:
        return self.state == AssemblyState.draft.value

    @property
    def is_convened(self) -> bool:
        return self.state == AssemblyState.convened.value

    @property
    def is_in_session(self) -> bool:
        return self.state == AssemblyState.in_session.value

    @property
    def is_closed(self) -> bool:
        return self.state in (AssemblyState.closed.value, AssemblyState.minutes_approved.value)

    def can_become(self, target: AssemblyState) -> bool:
        return AssemblyState(self.state) in TRANSITIONS.get(target, frozenset())

    def _move(self, target: AssemblyState) -> str:
        if not self.can_become(target):
            raise IllegalTransition(old=self.state_label, new=target.label)
        old = self.state
        self.state = target.value
        return old

    def mark_convened(self, now: dt.datetime, actor_id: int | None = None) -> str:
        old = self._move(AssemblyState.convened)
        self.convened_dt = now
        self.convened_by_id = actor_id
        return old

    def open_session(self, now: dt.datetime) -> str:
        old = self._move(AssemblyState.in_session)
        self.session_opened_dt = now
        return old

    def close(self, now: dt.datetime, *, quorum_missed: bool = False) -> str:
        old = self._move(AssemblyState.closed)
        self.closed_dt = now
        self.quorum_missed = quorum_missed
        return old

    def approve_minutes(self, now: dt.datetime) -> str:
        old = self._move(AssemblyState.minutes_approved)
        self.minutes_approved_dt = now
        return old


class AssemblyRole(db.Model):
    """A role at one assembly, held by a member of the register or by an account (staff)."""

    __tablename__ = "assembly_roles"
    __table_args__ = (
        CheckConstraint(f"role IN ({sql_values(AssemblyRoleKind)})", name="role_valid"),
        CheckConstraint("(member_id IS NULL) <> (account_id IS NULL)", name="member_or_account"),
        UniqueConstraint("assembly_id", "role", "member_id", name="uq_assembly_roles_member"),
        UniqueConstraint("assembly_id", "role", "account_id", name="uq_assembly_roles_account"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assemblies.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)

    assembly: Mapped[Assembly] = relationship(back_populates="roles")
    member: Mapped[Member | None] = relationship(lazy="raise_on_sql")
    account: Mapped[Account | None] = relationship(foreign_keys=[account_id], lazy="raise_on_sql")

    def __repr__(self) -> str:
        holder = f"member={self.member_id}" if self.member_id else f"account={self.account_id}"
        return f"<AssemblyRole {self.assembly_id} {self.role} {holder}>"

    @property
    def role_label(self) -> str:
        return AssemblyRoleKind(self.role).label


# --- agenda and documents --------------------------------------------------------------------------
class AgendaItem(db.Model):
    __tablename__ = "assembly_agenda_items"
    __table_args__ = (
        CheckConstraint(f"kind IN ({sql_values(AgendaItemKind)})", name="kind_valid"),
        CheckConstraint(f"resolution_kind IS NULL OR resolution_kind IN ({sql_values(ResolutionKind)})",
                        name="resolution_kind_valid"),
        CheckConstraint("original_language <> ''", name="original_language_not_empty"),
        # 0 is a free slot used while two items swap places
        CheckConstraint("position >= 0", name="position_positive"),
        CheckConstraint("(kind = 'resolution') = (resolution_kind IS NOT NULL)", name="resolution_kind_iff"),
        CheckConstraint("(kind = 'resolution') = (majority IS NOT NULL)", name="majority_iff_resolution"),
        CheckConstraint("(kind = 'resolution') = (quorum IS NOT NULL)", name="quorum_iff_resolution"),
        CheckConstraint("quorum IS NULL OR quorum = 'none' OR quorum LIKE 'share:%' OR quorum LIKE 'count:%'",
                        name="quorum_code"),
        CheckConstraint("ballot_id IS NULL OR kind = 'resolution'", name="ballot_only_resolution"),
        UniqueConstraint("assembly_id", "position"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assemblies.id", ondelete="CASCADE"))
    #: 1, 2, 3 … the order on the agenda
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(12), default=AgendaItemKind.information.value)
    #: language code → title / explanatory text (Markdown)
    titles: Mapped[dict[str, str]] = mapped_column(MutableJSONDict, default=dict)
    texts: Mapped[dict[str, str]] = mapped_column(MutableJSONDict, default=dict)
    original_language: Mapped[str] = mapped_column(String(8))

    # resolutions only
    resolution_kind: Mapped[str | None] = mapped_column(String(16))
    #: language code → the exact text put to the vote (Markdown)
    resolution_texts: Mapped[dict[str, str]] = mapped_column(MutableJSONDict, default=dict)
    #: statute changes: the article as it stands and as proposed, per language
    current_texts: Mapped[dict[str, str]] = mapped_column(MutableJSONDict, default=dict)
    new_texts: Mapped[dict[str, str]] = mapped_column(MutableJSONDict, default=dict)
    #: rule and quorum codes of ``governance.votes.methods.decision`` ("simple", "qualified:2/3"; "none",
    #: "share:1/2")
    majority: Mapped[str | None] = mapped_column(String(20))
    quorum: Mapped[str | None] = mapped_column(String(20))
    #: the language version that is authoritative for the official text (None: the original)
    authoritative_language: Mapped[str | None] = mapped_column(String(8))
    #: the ballot that decides it (created when the vote opens at the session)
    ballot_id: Mapped[int | None] = mapped_column(ForeignKey("ballots.id", ondelete="SET NULL"), unique=True)
    #: a proposal of a workgroup brought to the assembly, if any
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id", ondelete="SET NULL"), index=True)

    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)
    modified_dt: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    assembly: Mapped[Assembly] = relationship(back_populates="agenda_items")
    ballot: Mapped[Ballot | None] = relationship(lazy="raise_on_sql")
    proposal: Mapped[Proposal | None] = relationship(lazy="raise_on_sql")
    documents: Mapped[list[AssemblyDocument]] = relationship(
        back_populates="agenda_item", lazy="raise_on_sql", order_by="AssemblyDocument.id", viewonly=True)

    def __repr__(self) -> str:
        return f"<AgendaItem {self.id} assembly={self.assembly_id} #{self.position} {self.kind}>"

    @property
    def title(self) -> LocalText:
        return pick_text(self.titles, self.original_language)

    @property
    def text(self) -> LocalText:
        return pick_text(self.texts, self.original_language)

    @property
    def resolution_text(self) -> LocalText:
        return pick_text(self.resolution_texts, self.authoritative_language or self.original_language)

    @property
    def current_text(self) -> LocalText:
        return pick_text(self.current_texts, self.authoritative_language or self.original_language)

    @property
    def new_text(self) -> LocalText:
        return pick_text(self.new_texts, self.authoritative_language or self.original_language)

    @property
    def kind_label(self) -> str:
        return AgendaItemKind(self.kind).label

    @property
    def is_resolution(self) -> bool:
        return self.kind == AgendaItemKind.resolution.value

    @property
    def is_statute_change(self) -> bool:
        return self.resolution_kind == ResolutionKind.statute_change.value

    @property
    def resolution_kind_label(self) -> str:
        return ResolutionKind(self.resolution_kind).label if self.resolution_kind else ""

    @property
    def official_language(self) -> str:
        """The language whose version is authoritative."""
        return self.authoritative_language or self.original_language

    # --- the session's vote (added by the session operations, ``session.py``) ---
    #: a resolution is voted by secret ballot (the default) or by roll call
    vote_secret: Mapped[bool] = mapped_column(Boolean, default=True, server_default=db.true())
    #: the vote at the session (JSON, see ``session.py``): when it opened (base, bindings, proxies set aside by
    #: the vote cap) and, once closed, the online and room figures, their sum and the decision
    vote_result: Mapped[dict[str, Any] | None] = mapped_column(MutableJSONDict)


class AssemblyDocument(db.Model):
    """A file attached to an assembly (``agenda_item_id`` NULL) or one of its agenda items."""

    __tablename__ = "assembly_documents"
    __table_args__ = (
        CheckConstraint("size >= 0", name="size_positive"),
        CheckConstraint("filename <> ''", name="filename_not_empty"),
        Index("ix_assembly_documents_assembly_item", "assembly_id", "agenda_item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assemblies.id", ondelete="CASCADE"))
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("assembly_agenda_items.id", ondelete="CASCADE"),
                                                      index=True)
    #: the file name offered on download (sanitised)
    filename: Mapped[str] = mapped_column(String(200))
    #: a short description shown instead of the file name, if given
    title: Mapped[str | None] = mapped_column(String(200))
    #: the language of the document, if it has one
    language: Mapped[str | None] = mapped_column(String(8))
    #: the type found by looking at the content ("application/pdf" …)
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)

    assembly: Mapped[Assembly] = relationship(back_populates="documents")
    agenda_item: Mapped[AgendaItem | None] = relationship(back_populates="documents", lazy="raise_on_sql")
    blob: Mapped[AssemblyDocumentBlob] = relationship(
        back_populates="document", cascade="all, delete-orphan", passive_deletes=True, lazy="raise_on_sql",
        uselist=False)

    def __repr__(self) -> str:
        return f"<AssemblyDocument {self.id} assembly={self.assembly_id} {self.filename}>"

    @property
    def label(self) -> str:
        return self.title or self.filename


class AssemblyDocumentBlob(db.Model):
    """The bytes of a document, apart so that lists of documents never load them."""

    __tablename__ = "assembly_document_blobs"

    document_id: Mapped[int] = mapped_column(ForeignKey("assembly_documents.id", ondelete="CASCADE"),
                                             primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)

    document: Mapped[AssemblyDocument] = relationship(back_populates="blob")

    def __repr__(self) -> str:
        return f"<AssemblyDocumentBlob {self.document_id}>"


# --- convocation -----------------------------------------------------------------------------------
class ConvocationDelivery(db.Model):
    """How the convocation reached one member: an email (through the outbox) or a printed letter."""

    __tablename__ = "assembly_deliveries"
    __table_args__ = (
        CheckConstraint(f"channel IN ({sql_values(DeliveryChannel)})", name="channel_valid"),
        CheckConstraint(f"status IN ({sql_values(DeliveryStatus)})", name="status_valid"),
        CheckConstraint("channel = 'letter' OR status IN ('queued', 'sent', 'failed')", name="email_statuses"),
        CheckConstraint("channel = 'email' OR status IN ('to_print', 'printed')", name="letter_statuses"),
        CheckConstraint("(status = 'printed') = (letter_printed_dt IS NOT NULL)", name="printed_has_date"),
        CheckConstraint("resend_count >= 0", name="resend_count_positive"),
        UniqueConstraint("assembly_id", "member_id"),
        Index("ix_assembly_deliveries_assembly_status", "assembly_id", "channel", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assemblies.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    #: for emails the status when queued (the live one is the outbox message's); for letters the real one
    status: Mapped[str] = mapped_column(String(10))
    #: the language the convocation was written in for this member
    language: Mapped[str] = mapped_column(String(8))
    #: emails: the outbox row (its key is ``outbox_key``)
    outbox_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id", ondelete="SET NULL"),
                                                          index=True)
    outbox_key: Mapped[str | None] = mapped_column(String(200))
    letter_printed_dt: Mapped[dt.datetime | None]
    #: how many times it was sent again by hand
    resend_count: Mapped[int] = mapped_column(default=0)
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)
    modified_dt: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    member: Mapped[Member] = relationship(lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<ConvocationDelivery assembly={self.assembly_id} member={self.member_id} {self.channel}>"


# --- the session (registration, proxies, check-in, hybrid votes) -----------------------------------
class Registration(db.Model):
    """A member announced how they attend: in person, online, or by proxy."""

    __tablename__ = "assembly_registrations"
    __table_args__ = (
        CheckConstraint(f"mode IN ({sql_values(RegistrationMode)})", name="mode_valid"),
        UniqueConstraint("assembly_id", "member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assemblies.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    mode: Mapped[str] = mapped_column(String(10))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)
    modified_dt: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    member: Mapped[Member] = relationship(lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<Registration assembly={self.assembly_id} member={self.member_id} {self.mode}>"

    @property
    def mode_label(self) -> str:
        return RegistrationMode(self.mode).label


class Proxy(db.Model):
    """A grantor gives their vote to a holder. At most one non-revoked proxy per grantor (partial unique
    index); revoked proxies stay as history. Suspended while the grantor is checked in (computed)."""

    __tablename__ = "assembly_proxies"
    __table_args__ = (
        CheckConstraint("grantor_id <> holder_id", name="not_to_self"),
        CheckConstraint("revoked_dt IS NULL OR revoked_dt >= created_dt", name="revoked_after_created"),
        Index("uq_assembly_proxies_active_grantor", "assembly_id", "grantor_id", unique=True,
              sqlite_where=text("revoked_dt IS NULL"), postgresql_where=text("revoked_dt IS NULL")),
        Index("ix_assembly_proxies_assembly_holder", "assembly_id", "holder_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assemblies.id", ondelete="CASCADE"))
    grantor_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_dt: Mapped[dt.datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))

    grantor: Mapped[Member] = relationship(foreign_keys=[grantor_id], lazy="raise_on_sql")
    holder: Mapped[Member] = relationship(foreign_keys=[holder_id], lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<Proxy assembly={self.assembly_id} {self.grantor_id}→{self.holder_id}>"

    @property
    def is_active(self) -> bool:
        return self.revoked_dt is None


class CheckIn(db.Model):
    """A member arrived: in the room (checked in by staff) or online (self check-in)."""

    __tablename__ = "assembly_checkins"
    __table_args__ = (
        CheckConstraint(f"mode IN ({sql_values(AttendanceMode)})", name="mode_valid"),
        CheckConstraint("checked_out_dt IS NULL OR checked_out_dt >= checked_in_dt", name="out_after_in"),
        UniqueConstraint("assembly_id", "member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assemblies.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    mode: Mapped[str] = mapped_column(String(8))
    checked_in_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: the account that checked the member in (staff, or the member's own)
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    #: the member left before the end (optional; set by the session operations if they track departures)
    checked_out_dt: Mapped[dt.datetime | None]

    member: Mapped[Member] = relationship(lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<CheckIn assembly={self.assembly_id} member={self.member_id} {self.mode}>"

    @property
    def mode_label(self) -> str:
        return AttendanceMode(self.mode).label


class VoteBinding(db.Model):
    """Hybrid voting: when a vote opens, each member present or represented is bound to the room or to online
    voting for that ballot (``via_member_id``: the present holder who carries the member's proxy)."""

    __tablename__ = "assembly_vote_bindings"
    __table_args__ = (
        CheckConstraint(f"bound_to IN ({sql_values(AttendanceMode)})", name="bound_to_valid"),
        Index("ix_assembly_vote_bindings_ballot_bound", "ballot_id", "bound_to"),
    )

    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assemblies.id", ondelete="CASCADE"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("assembly_agenda_items.id", ondelete="CASCADE"),
                                                      index=True)
    bound_to: Mapped[str] = mapped_column(String(8))
    via_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<VoteBinding ballot={self.ballot_id} member={self.member_id} {self.bound_to}>"


class RoomTally(db.Model):
    """The tellers' count of the votes cast in the room on one ballot.

    ``counts``: ``{"yes": n, "no": n, "abstain": n}`` for a yes/no/abstain ballot, ``{"<option id>": n}``
    otherwise; ``total`` is their sum (it may not exceed the room-bound votes, checked by the operations)."""

    __tablename__ = "assembly_room_tallies"
    __table_args__ = (
        CheckConstraint("total >= 0", name="total_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id", ondelete="CASCADE"), unique=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assemblies.id", ondelete="CASCADE"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("assembly_agenda_items.id", ondelete="CASCADE"))
    counts: Mapped[dict[str, int]] = mapped_column(MutableJSONDict, default=dict)
    total: Mapped[int] = mapped_column(default=0)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    entered_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<RoomTally ballot={self.ballot_id} total={self.total}>"


class Minutes(db.Model):
    """The minutes of an assembly, Markdown per language: draft → approved → published."""

    __tablename__ = "assembly_minutes"
    __table_args__ = (
        CheckConstraint(f"state IN ({sql_values(MinutesState)})", name="state_valid"),
        CheckConstraint("original_language <> ''", name="original_language_not_empty"),
        CheckConstraint("state = 'draft' OR (approved_dt IS NOT NULL)", name="approved_has_date"),
        CheckConstraint("state <> 'published' OR published_dt IS NOT NULL", name="published_has_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assemblies.id", ondelete="CASCADE"), unique=True)
    #: language code → Markdown
    texts: Mapped[dict[str, str]] = mapped_column(MutableJSONDict, default=dict)
    original_language: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(10), default=MinutesState.draft.value)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    approved_dt: Mapped[dt.datetime | None]
    published_dt: Mapped[dt.datetime | None]
    #: the audit chain's latest hash when the minutes were approved (printed in them)
    audit_hash: Mapped[str | None] = mapped_column(String(64))
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)
    modified_dt: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    assembly: Mapped[Assembly] = relationship(lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<Minutes assembly={self.assembly_id} {self.state}>"

    @property
    def text(self) -> LocalText:
        return pick_text(self.texts, self.original_language)

    @property
    def state_label(self) -> str:
        return MinutesState(self.state).label


# --- petitions -------------------------------------------------------------------------------------
class Petition(db.Model):
    """Members ask the board to convene an assembly of their branch (or of the whole cooperative: NULL)."""

    __tablename__ = "assembly_petitions"
    __table_args__ = (
        CheckConstraint(f"state IN ({sql_values(PetitionState)})", name="state_valid"),
        CheckConstraint("original_language <> ''", name="original_language_not_empty"),
        CheckConstraint("base >= 0", name="base_positive"),
        CheckConstraint("threshold >= 1", name="threshold_positive"),
        CheckConstraint("(state = 'threshold_reached') = (threshold_reached_dt IS NOT NULL)"
                        " OR (state = 'closed')", name="reached_has_date"),
        CheckConstraint("state <> 'closed' OR closed_dt IS NOT NULL", name="closed_has_date"),
        Index("ix_assembly_petitions_branch_state", "branch_id", "state"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the scope: a branch, or NULL for the whole cooperative
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id", ondelete="RESTRICT"))
    #: language code → title / text (Markdown): what the assembly should decide and why
    titles: Mapped[dict[str, str]] = mapped_column(MutableJSONDict, default=dict)
    texts: Mapped[dict[str, str]] = mapped_column(MutableJSONDict, default=dict)
    original_language: Mapped[str] = mapped_column(String(8))
    #: the member who opened it (also its first signatory)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"), index=True)
    opened_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: active members in scope when it opened (frozen) and the signatures needed, ceil(base / 10)
    base: Mapped[int]
    threshold: Mapped[int]
    state: Mapped[str] = mapped_column(String(20), default=PetitionState.open.value)
    threshold_reached_dt: Mapped[dt.datetime | None]
    closed_dt: Mapped[dt.datetime | None]

    branch: Mapped[Branch | None] = relationship(lazy="selectin")
    opened_by: Mapped[Member] = relationship(lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<Petition {self.id} branch={self.branch_id} {self.state}>"

    @property
    def title(self) -> LocalText:
        return pick_text(self.titles, self.original_language)

    @property
    def text(self) -> LocalText:
        return pick_text(self.texts, self.original_language)

    @property
    def state_label(self) -> str:
        return PetitionState(self.state).label

    @property
    def is_open(self) -> bool:
        return self.state == PetitionState.open.value

    @property
    def is_cooperative_wide(self) -> bool:
        return self.branch_id is None

    def mark_threshold_reached(self, now: dt.datetime) -> None:
        if not self.is_open:
            raise IllegalPetitionTransition(old=self.state_label, new=PetitionState.threshold_reached.label)
        self.state = PetitionState.threshold_reached.value
        self.threshold_reached_dt = now

    def mark_closed(self, now: dt.datetime) -> None:
        if self.state == PetitionState.closed.value:
            raise IllegalPetitionTransition(old=self.state_label, new=PetitionState.closed.label)
        self.state = PetitionState.closed.value
        self.closed_dt = now


class IllegalPetitionTransition(Conflict):
    default_message = _l("This petition cannot go from “%(old)s” to “%(new)s”.")


class PetitionSignature(db.Model):
    """One member signed a petition (once: the primary key)."""

    __tablename__ = "assembly_petition_signatures"

    petition_id: Mapped[int] = mapped_column(ForeignKey("assembly_petitions.id", ondelete="CASCADE"),
                                             primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True,
                                           index=True)
    signed_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<PetitionSignature petition={self.petition_id} member={self.member_id}>"


__all__ = [
    "AgendaItem", "AgendaItemKind", "Assembly", "AssemblyDocument", "AssemblyDocumentBlob", "AssemblyKind",
    "AssemblyRole", "AssemblyRoleKind", "AssemblyState", "AttendanceMode", "CheckIn", "ConvocationDelivery",
    "DeliveryChannel", "DeliveryStatus", "IllegalPetitionTransition", "IllegalTransition", "Minutes",
    "MinutesState", "Petition", "PetitionSignature", "PetitionState", "Proxy", "Registration",
    "RegistrationMode", "ResolutionKind", "RoomTally", "VoteBinding", "assembly_branches", "full_days_between",
    "petition_threshold",
]
