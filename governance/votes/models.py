"""Ballots: definition, electoral roll, participations, the ballot box, receipts and results.

**Definition.** A :class:`Ballot` holds its question (and an optional explanation, Markdown) per language
with the language it was written in, its options (:class:`BallotOption`, one label per language; a
yes/no/abstain ballot has none), its method (``yna``, ``plurality``, ``approval`` with at most
``max_choices`` options, ``irv``, ``stv`` for ``seats`` seats, ``schulze``), whether it is secret, its
electorate, its window, its quorum and majority rule (a code from ``governance.votes.methods.decision``:
``simple``, ``absolute``, ``qualified:2/3`` …) and who sees its result. It may carry a proposal
(``proposal_id``): the result then adopts or rejects that proposal; a ballot that also carries one of its
amendments (``amendment_id``, one yes/no/abstain ballot per amendment marked for the vote) records the
amendment's result and leaves the proposal's state alone.

**Electorate.** One of: a register query (``electorate_kind = "register"``: the branches in
``ballot_branches``, the statuses in ``eligible_statuses``, members who joined on or before
``register_cutoff`` when set); the active members of a workgroup (``"workgroup"``, ``workgroup_id``); or an
explicit list of members (``"list"``, the rows of ``ballot_listed_members``, e.g. an assembly's present and
represented members). When the ballot opens, the electorate is evaluated once and frozen into
:class:`RollEntry` rows (member and the branch the member was in at that moment); later changes in the register
do not alter the roll. Its size and the SHA-256 hash of its sorted member ids are stored on the ballot and
written to the audit log. ``ballot_branches`` holds the branches of a register electorate, and for an explicit
list the branches of its members: with the workgroup's branches, they are the ballot's scope.

**States.** draft → open → closed; open or closed → annulled (with a reason; an annulled ballot's result is
never published). Only a draft can be edited: question, options and rules are frozen once open. The closing
time can only be extended, never shortened; each extension is a :class:`BallotExtension` row.

**One member, one vote.** Whoever casts it (the member, or a proxy holder for the member), a vote writes one
:class:`Participation` keyed on (ballot, member whose vote it is): the primary key makes a second one
impossible, even under concurrent requests; it also references the roll entry, so only a member on the roll
can participate.

**Secret ballots.** The participation register (who took part, when, through which channel) and the ballot box
(:class:`BoxEntry`, table ``ballot_box``: what was chosen) are separate tables with no link between them.
A box row is keyed by a random UUID and holds no voter id, no time and no sequential number (on SQLite the
table is WITHOUT ROWID, so it has no hidden rowid either). It keeps the choice as JSON and as a canonical
``choice_key`` string, so a tally is one GROUP BY. While the ballot is open the row also keeps the voter's branch
(for the per-branch breakdown); at close, in the closing transaction, the tallies are computed, then the whole
box is read, deleted and inserted again in a random order without branches, so neither the physical order of
rows nor PostgreSQL's row versions follow the order of casting, and a database copy taken after close links no
voter to a choice (on PostgreSQL the deleted row versions stay in the table files until VACUUM reclaims them).
Each voter receives a random receipt code once; receipts (:class:`Receipt`) are stored in their own WITHOUT
ROWID table with no link to a choice or a voter, and are rewritten at close too. A secret vote cannot be
changed once cast.

**Open (roll-call) ballots** keep one :class:`OpenVote` per participation, linking member and choice; it may
be replaced until close, and the electorate sees who voted what after close.

**Choices**, as passed to ``cast_vote`` and stored in ``choice``: ``"yes"``/``"no"``/``"abstain"`` (yna);
an option id (plurality); a list of distinct option ids (approval, 1..k, stored sorted); a list of distinct
option ids in order of preference, possibly partial (irv, stv, schulze). ``choice_key`` is the canonical text:
``"yes"``, ``"12"``, ``"3,5,9"`` (approval, sorted), ``"5>3>9"`` (ranked, in order).

**Result.** At close the ballot stores ``result`` (JSON: the method's output, totals, quorum, the decision for a
yes/no/abstain ballot, a disclosure-safe per-branch breakdown, the hashes written to the audit log) and the lot
``lot_seed`` given to the method for tie-breaks, published with the result.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

from flask_babel import lazy_gettext as _l, lazy_pgettext
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from governance.core.db_types import MutableJSONDict, MutableJSONList, utcnow
from governance.core.enums import LabelledEnum, sql_values
from governance.core.errors import Conflict
from governance.core.i18n import LocalText, pick_text
from governance.extensions import db
from governance.members.models import Branch, Member
from governance.proposals.models import Proposal, ProposalAmendment
from governance.workgroups.models import Workgroup



# --- enumerations ----------------------------------------------------------------------------------
class BallotState(LabelledEnum):
    # i18n: states of a ballot
    draft = "draft", _l("Draft")
    open = "open", lazy_pgettext("ballot state", "Open")
    closed = "closed", lazy_pgettext("ballot state", "Closed")
    annulled = "annulled", _l("Annulled")


#: target state → the states it can be reached from
TRANSITIONS: dict[BallotState, frozenset[BallotState]] = {
    BallotState.open: frozenset({BallotState.draft}),
    BallotState.closed: frozenset({BallotState.open}),
    BallotState.annulled: frozenset({BallotState.open, BallotState.closed}),
}


class BallotMethod(LabelledEnum):
    # i18n: voting methods
    yna = "yna", _l("Yes / no / abstain")
    plurality = "plurality", _l("Single choice")
    approval = "approval", _l("Approval (several choices)")
    irv = "irv", _l("Ranked choice, one winner (instant-runoff)")
    stv = "stv", _l("Ranked choice, several seats (single transferable vote)")
    schulze = "schulze", _l("Ranked choice (Schulze)")

    @property
    def is_ranked(self) -> bool:
        return self in RANKED_METHODS

    @property
    def uses_options(self) -> bool:
        return self is not BallotMethod.yna


RANKED_METHODS = frozenset({BallotMethod.irv, BallotMethod.stv, BallotMethod.schulze})


class YnaChoice(LabelledEnum):
    yes = "yes", _l("Yes")
    no = "no", _l("No")
    abstain = "abstain", _l("Abstain")


class ElectorateKind(LabelledEnum):
    #: the register: branches, eligible statuses, a register cut-off date
    register = "register", _l("Members of the register")
    #: the active members of a workgroup
    workgroup = "workgroup", _l("Members of a workgroup")
    #: an explicit list of members (an assembly's present and represented members)
    list = "list", _l("A list of members")


class ResultVisibility(LabelledEnum):
    #: everyone who may see the ballot
    everyone = "everyone", _l("Everyone who can see the ballot")
    #: the members on the roll, and the ballot's managers
    electorate = "electorate", _l("The members on the electoral roll")
    #: the ballot's managers only
    managers = "managers", _l("The ballot's organisers only")


class VoteChannel(LabelledEnum):
    web = "web", _l("Online")
    proxy = "proxy", _l("By proxy")
    room = "room", _l("In the room")
    paper = "paper", _l("On paper")


class IllegalTransition(Conflict):
    default_message = _l("This ballot cannot go from “%(old)s” to “%(new)s”.")


# --- association tables ----------------------------------------------------------------------------
#: the branches of a register electorate, or those of an explicit list's members (kept by the operations),
#: so the scope of every ballot but a workgroup's is one join
ballot_branches = Table(
    "ballot_branches",
    db.metadata,
    Column("ballot_id", ForeignKey("ballots.id", ondelete="CASCADE"), primary_key=True),
    Column("branch_id", ForeignKey("branches.id", ondelete="RESTRICT"), primary_key=True, index=True),
)

#: the members of an explicit-list electorate
ballot_listed_members = Table(
    "ballot_listed_members",
    db.metadata,
    Column("ballot_id", ForeignKey("ballots.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", ForeignKey("members.id", ondelete="RESTRICT"), primary_key=True, index=True),
)


# --- the ballot ------------------------------------------------------------------------------------
class Ballot(db.Model):
    __tablename__ = "ballots"
    __table_args__ = (
        CheckConstraint(f"state IN ({sql_values(BallotState)})", name="state_valid"),
        CheckConstraint(f"method IN ({sql_values(BallotMethod)})", name="method_valid"),
        CheckConstraint(f"electorate_kind IN ({sql_values(ElectorateKind)})", name="electorate_kind_valid"),
        CheckConstraint(f"result_visibility IN ({sql_values(ResultVisibility)})", name="result_visibility_valid"),
        CheckConstraint("original_language <> ''", name="original_language_not_empty"),
        CheckConstraint("majority <> ''", name="majority_not_empty"),
        # method-specific fields
        CheckConstraint("(method = 'stv') = (seats IS NOT NULL)", name="seats_iff_stv"),
        CheckConstraint("seats IS NULL OR seats >= 1", name="seats_positive"),
        CheckConstraint("(method = 'approval') = (max_choices IS NOT NULL)", name="max_choices_iff_approval"),
        CheckConstraint("max_choices IS NULL OR max_choices >= 1", name="max_choices_positive"),
        # electorate
        CheckConstraint("(electorate_kind = 'workgroup') = (workgroup_id IS NOT NULL)",
                        name="workgroup_iff_workgroup_electorate"),
        CheckConstraint("electorate_kind = 'register' OR register_cutoff IS NULL", name="cutoff_only_register"),
        CheckConstraint("amendment_id IS NULL OR (proposal_id IS NOT NULL AND method = 'yna')",
                        name="amendment_with_its_proposal"),
        # quorum: a code of ``decision.py`` ("none", "share:1/3", "count:250"), checked there in full
        CheckConstraint("quorum = 'none' OR quorum LIKE 'share:%' OR quorum LIKE 'count:%'", name="quorum_code"),
        # window
        CheckConstraint("opens_at IS NULL OR closes_at IS NULL OR closes_at > opens_at", name="closes_after_opens"),
        # states
        CheckConstraint("(state = 'draft') = (opened_dt IS NULL)", name="opened_dt_iff_not_draft"),
        CheckConstraint("state = 'draft' OR (roll_size IS NOT NULL AND roll_hash IS NOT NULL)",
                        name="roll_frozen_when_opened"),
        CheckConstraint("state <> 'closed' OR (closed_dt IS NOT NULL AND result IS NOT NULL"
                        " AND lot_seed IS NOT NULL)", name="closed_has_result"),
        CheckConstraint("closed_dt IS NULL OR state IN ('closed', 'annulled')", name="closed_dt_only_when_closed"),
        CheckConstraint("(state = 'annulled') = (annulled_dt IS NOT NULL)", name="annulled_dt_iff_annulled"),
        CheckConstraint("(state = 'annulled') = (annul_reason IS NOT NULL)", name="annul_reason_iff_annulled"),
        Index("ix_ballots_state_opens_at", "state", "opens_at"),
        Index("ix_ballots_state_closes_at", "state", "closes_at"),
        # ids name outbox messages ("ballot:<id>:opened:…"): never given again (SQLite)
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: language code → question; an optional explanation (Markdown)
    questions: Mapped[dict[str, str]] = mapped_column(MutableJSONDict, default=dict)
    descriptions: Mapped[dict[str, str]] = mapped_column(MutableJSONDict, default=dict)
    original_language: Mapped[str] = mapped_column(String(8))

    method: Mapped[str] = mapped_column(String(12), default=BallotMethod.yna.value)
    #: stv only
    seats: Mapped[int | None]
    #: approval only: at most this many options per ballot
    max_choices: Mapped[int | None]
    is_secret: Mapped[bool] = mapped_column(Boolean, default=True)

    electorate_kind: Mapped[str] = mapped_column(String(10), default=ElectorateKind.register.value)
    #: register electorate: member statuses that may vote
    eligible_statuses: Mapped[list[str]] = mapped_column(MutableJSONList, default=lambda: ["active"])
    #: register electorate: members who joined on or before this date (None: no cut-off)
    register_cutoff: Mapped[dt.date | None] = mapped_column(Date)
    #: workgroup electorate
    workgroup_id: Mapped[int | None] = mapped_column(ForeignKey("workgroups.id", ondelete="RESTRICT"), index=True)

    #: scheduled opening and closing (UTC); None: by hand
    opens_at: Mapped[dt.datetime | None]
    closes_at: Mapped[dt.datetime | None]

    #: a quorum code of ``governance.votes.methods.decision``: "none", "share:1/3" (of the roll), "count:250"
    quorum: Mapped[str] = mapped_column(String(20), default="none")
    #: a rule code of ``governance.votes.methods.decision`` ("simple", "absolute", "qualified:2/3" …); it
    #: decides yes/no/abstain ballots (the other methods use the quorum only)
    majority: Mapped[str] = mapped_column(String(20), default="simple")
    result_visibility: Mapped[str] = mapped_column(String(12), default=ResultVisibility.everyone.value)

    #: the proposal this ballot decides (adopted or rejected by the result)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id", ondelete="RESTRICT"), index=True)
    #: an amendment of that proposal put to the vote with it (one yes/no/abstain ballot each): such a ballot
    #: decides the amendment, never the proposal's state
    amendment_id: Mapped[int | None] = mapped_column(ForeignKey("proposal_amendments.id", ondelete="RESTRICT"),
                                                     index=True)

    state: Mapped[str] = mapped_column(String(10), default=BallotState.draft.value)
    opened_dt: Mapped[dt.datetime | None]
    closed_dt: Mapped[dt.datetime | None]
    annulled_dt: Mapped[dt.datetime | None]
    annul_reason: Mapped[str | None] = mapped_column(Text)

    #: frozen at opening: the roll's size and the SHA-256 of its sorted member ids (also in the audit log)
    roll_size: Mapped[int | None]
    roll_hash: Mapped[str | None] = mapped_column(String(64))
    #: the lot's seed given to the counting method at close, published with the result
    lot_seed: Mapped[str | None] = mapped_column(String(64))
    #: the stored result (see the module docstring); None until close
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: the reminder to those who had not voted yet was queued (once per ballot)
    reminder_sent_dt: Mapped[dt.datetime | None]
    #: show the options in a different random order to each voter (candidates of an election)
    shuffle_options: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: balanced representation applied inside an STV count (set by the election that owns the ballot):
    #: ``{"groups": {category: {option id: group}}, "minimum": [[category, group, n], …], "maximum": […]}``
    count_constraints: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)
    modified_dt: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    options: Mapped[list[BallotOption]] = relationship(
        back_populates="ballot", cascade="all, delete-orphan", passive_deletes=True, lazy="selectin",
        order_by="BallotOption.position")
    #: register electorate: its branches (loaded with the ballot: every permission check needs them)
    branches: Mapped[list[Branch]] = relationship(secondary=ballot_branches, lazy="selectin", order_by=Branch.code)
    workgroup: Mapped[Workgroup | None] = relationship(lazy="selectin")
    proposal: Mapped[Proposal | None] = relationship(lazy="raise_on_sql")
    amendment: Mapped[ProposalAmendment | None] = relationship(lazy="raise_on_sql")
    listed_members: Mapped[list[Member]] = relationship(secondary=ballot_listed_members, lazy="raise_on_sql",
                                                        order_by=Member.id)
    extensions: Mapped[list[BallotExtension]] = relationship(
        back_populates="ballot", cascade="all, delete-orphan", passive_deletes=True, lazy="raise_on_sql",
        order_by="BallotExtension.id")

    def __repr__(self) -> str:
        return f"<Ballot {self.id} {self.method} {self.state}>"

    def options_for(self, member_id: int | None) -> list[BallotOption]:
        """The options in the order shown to ``member_id``: ballot order or, with ``shuffle_options``, an order
        of the member's own, the same on every page they see (sorted by SHA-256 of ballot, member and option:
        no voter's order depends on another's)."""
        options = list(self.options)
        if not self.shuffle_options or member_id is None:
            return options
        return sorted(options, key=lambda o: hashlib.sha256(f"{self.id}:{member_id}:{o.id}".encode()).digest())

    # --- texts ---
    @property
    def question(self) -> LocalText:
        return pick_text(self.questions, self.original_language)

    @property
    def description(self) -> LocalText:
        return pick_text(self.descriptions, self.original_language)

    @property
    def text_languages(self) -> list[str]:
        """The languages the question exists in, original first."""
        others = sorted(code for code, text in self.questions.items() if text and code != self.original_language)
        return [self.original_language, *others]

    # --- method ---
    @property
    def method_enum(self) -> BallotMethod:
        return BallotMethod(self.method)

    @property
    def method_label(self) -> str:
        return self.method_enum.label

    @property
    def is_ranked(self) -> bool:
        return self.method_enum.is_ranked

    @property
    def uses_options(self) -> bool:
        return self.method_enum.uses_options

    @property
    def is_yna(self) -> bool:
        return self.method == BallotMethod.yna.value

    def option_by_id(self, option_id: int) -> BallotOption | None:
        for option in self.options:
            if option.id == option_id:
                return option
        return None

    # --- electorate ---
    @property
    def branch_ids(self) -> set[int]:
        return {branch.id for branch in self.branches}

    @property
    def electorate_label(self) -> str:
        return ElectorateKind(self.electorate_kind).label

    # --- states ---
    @property
    def state_label(self) -> str:
        return BallotState(self.state).label

    @property
    def is_draft(self) -> bool:
        return self.state == BallotState.draft.value

    @property
    def is_open(self) -> bool:
        return self.state == BallotState.open.value

    @property
    def is_closed(self) -> bool:
        return self.state == BallotState.closed.value

    @property
    def is_annulled(self) -> bool:
        return self.state == BallotState.annulled.value

    @property
    def has_result(self) -> bool:
        """A result exists and may be published (never for an annulled ballot)."""
        return self.is_closed and self.result is not None

    def accepts_votes_at(self, now: dt.datetime) -> bool:
        """Open, and before its closing time (a vote exactly at ``closes_at`` is too late)."""
        return self.is_open and (self.closes_at is None or now < self.closes_at)

    def is_due_to_open(self, now: dt.datetime) -> bool:
        return self.is_draft and self.opens_at is not None and self.opens_at <= now

    def is_due_to_close(self, now: dt.datetime) -> bool:
        return self.is_open and self.closes_at is not None and self.closes_at <= now

    def can_become(self, target: BallotState) -> bool:
        return BallotState(self.state) in TRANSITIONS.get(target, frozenset())

    def _move(self, target: BallotState) -> str:
        if not self.can_become(target):
            raise IllegalTransition(old=self.state_label, new=target.label)
        old = self.state
        self.state = target.value
        return old

    def mark_open(self, now: dt.datetime, roll_size: int, roll_hash: str) -> str:
        old = self._move(BallotState.open)
        self.opened_dt = now
        self.roll_size = roll_size
        self.roll_hash = roll_hash
        return old

    def mark_closed(self, now: dt.datetime, result: dict[str, Any], lot_seed: str) -> str:
        old = self._move(BallotState.closed)
        self.closed_dt = now
        self.result = result
        self.lot_seed = lot_seed
        return old

    def mark_annulled(self, now: dt.datetime, reason: str) -> str:
        old = self._move(BallotState.annulled)
        self.annulled_dt = now
        self.annul_reason = reason
        return old


class BallotOption(db.Model):
    """One option of a ballot (candidates, alternatives); its label per language."""

    __tablename__ = "ballot_options"
    __table_args__ = (
        UniqueConstraint("ballot_id", "position"),
        CheckConstraint("position >= 1", name="position_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id", ondelete="CASCADE"))
    #: 1, 2, 3 … the order on the ballot paper (and the candidate number in BLT files)
    position: Mapped[int]
    #: language code → label (the ballot's ``original_language`` is the original)
    labels: Mapped[dict[str, str]] = mapped_column(MutableJSONDict, default=dict)
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)

    ballot: Mapped[Ballot] = relationship(back_populates="options")

    def __repr__(self) -> str:
        return f"<BallotOption {self.id} ballot={self.ballot_id} #{self.position}>"

    @property
    def label(self) -> LocalText:
        return pick_text(self.labels, self.ballot.original_language)


class BallotExtension(db.Model):
    """The closing time was moved later: old and new time, why, by whom."""

    __tablename__ = "ballot_extensions"
    __table_args__ = (
        CheckConstraint("new_closes_at > old_closes_at", name="only_later"),
        CheckConstraint("reason <> ''", name="reason_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id", ondelete="CASCADE"), index=True)
    old_closes_at: Mapped[dt.datetime]
    new_closes_at: Mapped[dt.datetime]
    reason: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)

    ballot: Mapped[Ballot] = relationship(back_populates="extensions")

    def __repr__(self) -> str:
        return f"<BallotExtension {self.id} ballot={self.ballot_id} {self.old_closes_at} → {self.new_closes_at}>"


# --- roll, participation, box ----------------------------------------------------------------------
class RollEntry(db.Model):
    """A member on a ballot's electoral roll, frozen when the ballot opened, with their branch at that time."""

    __tablename__ = "ballot_roll_entries"
    __table_args__ = (
        Index("ix_ballot_roll_entries_member", "member_id"),
        # the per-branch breakdown counts the roll by branch (an index-only scan)
        Index("ix_ballot_roll_entries_ballot_branch", "ballot_id", "branch_id"),
    )

    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"), primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id", ondelete="RESTRICT"))

    def __repr__(self) -> str:
        return f"<RollEntry ballot={self.ballot_id} member={self.member_id}>"


class Participation(db.Model):
    """A member took part in a ballot: at most one per member and ballot, whoever cast it.

    Holds who, when and through which channel (and the account that cast it: the member's own, or a proxy
    holder's), never what was chosen.
    """

    __tablename__ = "ballot_participations"
    __table_args__ = (
        ForeignKeyConstraint(["ballot_id", "member_id"],
                             ["ballot_roll_entries.ballot_id", "ballot_roll_entries.member_id"],
                             ondelete="CASCADE", name="fk_ballot_participations_roll_entry"),
        CheckConstraint(f"channel IN ({sql_values(VoteChannel)})", name="channel_valid"),
        Index("ix_ballot_participations_member", "member_id"),
    )

    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id", ondelete="CASCADE"), primary_key=True)
    #: the member whose vote it is
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"), primary_key=True)
    cast_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)
    channel: Mapped[str] = mapped_column(String(10), default=VoteChannel.web.value)
    #: the account that cast it (the member's own, a proxy holder's, a teller's)
    cast_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))

    def __repr__(self) -> str:
        return f"<Participation ballot={self.ballot_id} member={self.member_id} {self.channel}>"


class BoxEntry(db.Model):
    """One secret ballot paper: a random key and the choice; no voter, no time, no sequence (WITHOUT ROWID)."""

    __tablename__ = "ballot_box"
    __table_args__ = (
        Index("ix_ballot_box_ballot_choice", "ballot_id", "choice_key"),
        # the count groups the box by branch and choice (an index-only scan)
        Index("ix_ballot_box_ballot_branch_choice", "ballot_id", "branch_id", "choice_key"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id", ondelete="CASCADE"))
    choice: Mapped[Any] = mapped_column(JSON)
    choice_key: Mapped[str] = mapped_column(String(1000))
    #: the voter's branch while the ballot is open (for the per-branch breakdown); cleared at close
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id", ondelete="RESTRICT"))

    def __repr__(self) -> str:
        return f"<BoxEntry ballot={self.ballot_id}>"


class Receipt(db.Model):
    """A receipt code handed to a voter of a secret ballot, unlinked from voter and choice (WITHOUT ROWID)."""

    __tablename__ = "ballot_receipts"
    __table_args__ = ({"sqlite_with_rowid": False},)

    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(16), primary_key=True)

    def __repr__(self) -> str:
        return f"<Receipt ballot={self.ballot_id}>"


class OpenVote(db.Model):
    """A roll-call vote: member and choice, replaced when the member votes again before close."""

    __tablename__ = "ballot_open_votes"
    __table_args__ = (
        ForeignKeyConstraint(["ballot_id", "member_id"],
                             ["ballot_participations.ballot_id", "ballot_participations.member_id"],
                             ondelete="CASCADE", name="fk_ballot_open_votes_participation"),
        Index("ix_ballot_open_votes_ballot_choice", "ballot_id", "choice_key"),
    )

    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"), primary_key=True)
    choice: Mapped[Any] = mapped_column(JSON)
    choice_key: Mapped[str] = mapped_column(String(1000))
    #: the member's branch on the roll (for the per-branch breakdown)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id", ondelete="RESTRICT"))
    modified_dt: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    member: Mapped[Member] = relationship(lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<OpenVote ballot={self.ballot_id} member={self.member_id}>"


# --- paper ballots ---------------------------------------------------------------------------------
class BallotTeller(db.Model):
    """An account designated to check members off the roll and enter paper ballots of one ballot."""

    __tablename__ = "ballot_tellers"

    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id", ondelete="CASCADE"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<BallotTeller ballot={self.ballot_id} account={self.account_id}>"


class PaperState(LabelledEnum):
    # i18n: states of a paper ballot being entered by tellers
    #: fewer than two entries so far
    pending = "pending", _l("Waiting for its second entry")
    #: two entries that differ: a teller must correct theirs
    mismatch = "mismatch", _l("Entries differ")
    #: two entries agree: the paper is in the ballot box
    accepted = "accepted", lazy_pgettext("paper ballot state", "Accepted")


class PaperBallot(db.Model):
    """A paper ballot taken from the box, numbered by the tellers as they take it out. It holds no voter: members
    are checked off the roll separately (a participation with the channel "paper"). Entered twice, by two
    tellers; once both entries agree, its choice goes into the ballot box."""

    __tablename__ = "ballot_papers"
    __table_args__ = (
        UniqueConstraint("ballot_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint(f"state IN ({sql_values(PaperState)})", name="state_valid"),
        CheckConstraint("(state = 'accepted') = (choice_key IS NOT NULL)", name="choice_iff_accepted"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id", ondelete="CASCADE"))
    number: Mapped[int]
    state: Mapped[str] = mapped_column(String(10), default=PaperState.pending.value)
    #: the agreed choice, once accepted
    choice: Mapped[Any | None] = mapped_column(JSON, nullable=True)
    choice_key: Mapped[str | None] = mapped_column(String(1000))

    entries: Mapped[list[PaperEntry]] = relationship(back_populates="paper", lazy="selectin",
                                                     cascade="all, delete-orphan", passive_deletes=True)

    def __repr__(self) -> str:
        return f"<PaperBallot ballot={self.ballot_id} #{self.number} {self.state}>"

    @property
    def state_label(self) -> str:
        return PaperState(self.state).label


class PaperEntry(db.Model):
    """One teller's reading of one paper ballot (a teller may correct their own entry until it is accepted)."""

    __tablename__ = "ballot_paper_entries"

    paper_id: Mapped[int] = mapped_column(ForeignKey("ballot_papers.id", ondelete="CASCADE"), primary_key=True)
    teller_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="RESTRICT"), primary_key=True)
    choice: Mapped[Any] = mapped_column(JSON)
    choice_key: Mapped[str] = mapped_column(String(1000))

    paper: Mapped[PaperBallot] = relationship(back_populates="entries")

    def __repr__(self) -> str:
        return f"<PaperEntry paper={self.paper_id} teller={self.teller_id}>"
