"""Boards, mandates and board elections: the data model of the feature.

``operations.py`` changes it; nothing else does.

**Board** (:class:`Board`, table ``boards``). Each branch has at most one board of directors, and the
cooperative as a whole has one (``branch_id`` NULL: "the group's board"). ``scope_key`` ("*" or
"branch:<id>") makes that uniqueness hold with a NULL branch, as for role assignments. A board has a number of
``seats`` and a usual ``term_years`` (the term given to mandates obtained by election, unless the election says
otherwise). Directors are renewed in stages: each year some mandates end and an election fills them.

**Mandate** (:class:`Mandate`). One member's seat on one board: the term (``starts_on`` to ``ends_on``, dates
in the board's branch time zone), how it was obtained (``origin``: election, co-option, appointment; with the
``election_id`` when elected) and, once over, how it ended (``ended_on`` and ``end_reason``: term expiry,
resignation, removal). A mandate is *current* on a day when it has started, has not reached ``ends_on`` and
has not ended early. The board secretary is warned of current mandates whose ``ends_on`` falls within the
warning period (:data:`EXPIRY_WARNING_MONTHS`) so an election is planned in time.

**Election** (:class:`Election`). Fills ``seats`` seats of a board for the term ``term_starts_on`` –
``term_ends_on``. Its electorate is the board's: the register members of the board's branch (every branch for
the group's board) with an ``eligible_statuses`` status, optionally joined on or before ``register_cutoff``.
Timeline (``state``, CHECK constraint):

    draft → call_open → list_frozen → voting → counted → confirmed
      (any state before ``confirmed`` → cancelled, with a reason; a counted one only when its ballot was annulled)

* ``call_open``: members of the electorate who meet the eligibility rules submit candidacies until
  ``candidacy_deadline``; they may withdraw until then. Eligibility: a status in ``eligible_statuses``, a
  membership of at least ``min_membership_days`` days on the deadline, and, when ``exclude_staff``, not being
  employed by the cooperative (the candidate's declaration, checked by the secretary).
* ``list_frozen``: after the deadline, the secretary has accepted or refused (with a recorded reason) every
  candidacy; freezing creates the ballot (:attr:`ballot_id`) whose options are the accepted candidates, in the
  election's ``order_rule``: alphabetical by surname starting from a letter drawn at random and published
  (``order_letter``), or shuffled for each voter.
* ``voting``: the ballot is open (``voting_opens_at`` – ``voting_closes_at``), online and, where tellers enter
  them, on paper.
* ``counted``: the ballot is closed and counted; the secretary checks the result.
* ``confirmed``: the secretary confirmed the result; a mandate was created for each elected candidate.

**Balanced representation** (:class:`ElectionConstraint`): optional rows such as "at least 2 seats for women"
(category ``gender``, group ``woman``, ``minimum`` 2) or "at most 2 seats per branch" (category ``branch``,
group a branch code, ``maximum`` 2), applied inside the count by constrained STV
(:mod:`governance.votes.methods.constraints`). Gender is self-declared on the candidacy, optional, and asked only
when the election has a gender constraint.

**Candidacy** (:class:`Candidacy`): one per member and election; a statement and a short profile (no photo) per
language with their original language; the self-declared gender; states submitted → accepted | refused, or
withdrawn; once the list is frozen, the ballot option it became (``option_id``).
"""
from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l, lazy_pgettext
from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from governance.accounts.models import Account
from governance.core.db_types import MutableJSONDict, MutableJSONList, utcnow
from governance.core.enums import LabelledEnum
from governance.core.errors import Conflict
from governance.core.i18n import LocalText, pick_text
from governance.extensions import db
from governance.members.models import Branch, Member
from governance.votes.models import Ballot, BallotOption

#: the board secretary is warned of mandates ending within this many months
EXPIRY_WARNING_MONTHS = 6
#: the usual length of a mandate obtained by election, in years
DEFAULT_TERM_YEARS = 3


# --- enumerations ----------------------------------------------------------------------------------
class MandateOrigin(LabelledEnum):
    # i18n: how a seat on the board was obtained
    election = "election", _l("Election")
    cooption = "cooption", _l("Co-option")
    appointment = "appointment", _l("Appointment")


class MandateEnd(LabelledEnum):
    # i18n: how a mandate on the board ended
    term_expiry = "term_expiry", _l("End of term")
    resignation = "resignation", _l("Resignation")
    removal = "removal", _l("Removal")


class ElectionState(LabelledEnum):
    # i18n: states of a board election
    draft = "draft", _l("Draft")
    call_open = "call_open", _l("Call for candidates")
    list_frozen = "list_frozen", _l("Candidate list frozen")
    voting = "voting", _l("Voting")
    counted = "counted", _l("Counted")
    confirmed = "confirmed", _l("Result confirmed")
    cancelled = "cancelled", lazy_pgettext("election state", "Cancelled")


#: target state → the states it can be reached from
TRANSITIONS: dict[ElectionState, frozenset[ElectionState]] = {
    ElectionState.call_open: frozenset({ElectionState.draft}),
    ElectionState.list_frozen: frozenset({ElectionState.call_open}),
    ElectionState.voting: frozenset({ElectionState.list_frozen}),
    ElectionState.counted: frozenset({ElectionState.voting}),
    ElectionState.confirmed: frozenset({ElectionState.counted}),
    # a counted election whose ballot was annulled can only be cancelled
    ElectionState.cancelled: frozenset({ElectionState.draft, ElectionState.call_open,
                                        ElectionState.list_frozen, ElectionState.voting, ElectionState.counted}),
}


class IllegalTransition(Conflict):
    default_message = _l("This election cannot go from “%(old)s” to “%(new)s”.")


class ElectionMethod(LabelledEnum):
    # i18n: counting methods offered for a board election
    stv = "stv", _l("Single transferable vote (STV)")
    irv = "irv", _l("Instant-runoff vote (one seat)")
    approval = "approval", _l("Approval vote")


class OrderRule(LabelledEnum):
    # i18n: how candidates are ordered on the ballot
    alphabetical_from_letter = "alphabetical_from_letter", _l("Alphabetical, from a letter drawn at random")
    random_per_voter = "random_per_voter", _l("In a different random order for each voter")


class ConstraintCategory(LabelledEnum):
    # i18n: what a balanced-representation rule is about
    gender = "gender", _l("Gender")
    branch = "branch", _l("Branch")


class Gender(LabelledEnum):
    # i18n: self-declared gender of a candidate (optional)
    woman = "woman", _l("Woman")
    man = "man", _l("Man")
    nonbinary = "nonbinary", _l("Non-binary")


class CandidacyState(LabelledEnum):
    # i18n: states of a candidacy
    submitted = "submitted", _l("Submitted")
    accepted = "accepted", lazy_pgettext("candidacy state", "Accepted")
    refused = "refused", _l("Refused")
    withdrawn = "withdrawn", _l("Withdrawn")


# --- boards and mandates ---------------------------------------------------------------------------
class Board(db.Model):
    __tablename__ = "boards"
    __table_args__ = (
        CheckConstraint("seats >= 1", name="seats_positive"),
        CheckConstraint("term_years >= 1", name="term_years_positive"),
        UniqueConstraint("scope_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: NULL: the board of the whole cooperative
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id", ondelete="RESTRICT"))
    #: "*" for the group's board, "branch:<id>" otherwise
    scope_key: Mapped[str] = mapped_column(String(40))
    seats: Mapped[int]
    term_years: Mapped[int] = mapped_column(default=DEFAULT_TERM_YEARS)
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)
    modified_dt: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    branch: Mapped[Branch | None] = relationship(lazy="selectin")

    def __repr__(self) -> str:
        return f"<Board {self.id} {self.scope_key}>"

    @staticmethod
    def scope_for(branch_id: int | None) -> str:
        return "*" if branch_id is None else f"branch:{branch_id}"

    @property
    def is_group(self) -> bool:
        return self.branch_id is None

    @property
    def timezone(self) -> str:
        return self.branch.timezone if self.branch is not None else "Europe/Brussels"


class Mandate(db.Model):
    __tablename__ = "board_mandates"
    __table_args__ = (
        CheckConstraint(f"origin IN ({MandateOrigin.sql_values()})", name="origin_valid"),
        CheckConstraint(f"end_reason IS NULL OR end_reason IN ({MandateEnd.sql_values()})", name="end_reason_valid"),
        CheckConstraint("ends_on > starts_on", name="ends_after_start"),
        CheckConstraint("(ended_on IS NULL) = (end_reason IS NULL)", name="ended_with_reason"),
        CheckConstraint("ended_on IS NULL OR ended_on >= starts_on", name="ended_after_start"),
        CheckConstraint("(origin = 'election') = (election_id IS NOT NULL)", name="election_iff_elected"),
        Index("ix_board_mandates_board_ends_on", "board_id", "ends_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="RESTRICT"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"), index=True)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    #: the end of the term (the mandate runs up to and including the day before)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    origin: Mapped[str] = mapped_column(String(12))
    election_id: Mapped[int | None] = mapped_column(ForeignKey("elections.id", ondelete="RESTRICT"), index=True)
    #: set when the mandate is over (at term expiry or earlier)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(12))
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)
    modified_dt: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    board: Mapped[Board] = relationship(lazy="raise_on_sql")
    member: Mapped[Member] = relationship(lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<Mandate {self.id} board={self.board_id} member={self.member_id}>"

    @property
    def origin_label(self) -> str:
        return MandateOrigin(self.origin).label

    @property
    def end_label(self) -> str:
        return MandateEnd(self.end_reason).label if self.end_reason else ""

    def is_current(self, day: dt.date) -> bool:
        return self.starts_on <= day < self.ends_on and (self.ended_on is None or day < self.ended_on)


# --- elections -------------------------------------------------------------------------------------
class Election(db.Model):
    __tablename__ = "elections"
    __table_args__ = (
        CheckConstraint(f"state IN ({ElectionState.sql_values()})", name="state_valid"),
        CheckConstraint(f"method IN ({ElectionMethod.sql_values()})", name="method_valid"),
        CheckConstraint(f"order_rule IN ({OrderRule.sql_values()})", name="order_rule_valid"),
        CheckConstraint("seats >= 1", name="seats_positive"),
        CheckConstraint("(method = 'approval') = (max_choices IS NOT NULL)", name="max_choices_iff_approval"),
        CheckConstraint("method <> 'irv' OR seats = 1", name="irv_one_seat"),
        CheckConstraint("min_membership_days >= 0", name="min_membership_days_not_negative"),
        CheckConstraint("original_language <> ''", name="original_language_not_empty"),
        CheckConstraint("term_ends_on > term_starts_on", name="term_ends_after_start"),
        CheckConstraint("candidacy_deadline > candidacy_opens_at", name="deadline_after_call"),
        CheckConstraint("voting_opens_at >= candidacy_deadline", name="voting_after_deadline"),
        CheckConstraint("voting_closes_at > voting_opens_at", name="voting_closes_after_opens"),
        CheckConstraint("state IN ('draft', 'call_open', 'cancelled') OR ballot_id IS NOT NULL",
                        name="ballot_once_frozen"),
        CheckConstraint("(state = 'cancelled') = (cancel_reason IS NOT NULL)", name="cancel_reason_iff_cancelled"),
        CheckConstraint("(state = 'confirmed') = (confirmed_dt IS NOT NULL)", name="confirmed_dt_iff_confirmed"),
        Index("ix_elections_board_state", "board_id", "state"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="RESTRICT"))
    #: language code → title; an optional explanation (Markdown)
    titles: Mapped[dict[str, str]] = mapped_column(MutableJSONDict, default=dict)
    descriptions: Mapped[dict[str, str]] = mapped_column(MutableJSONDict, default=dict)
    original_language: Mapped[str] = mapped_column(String(8))
    seats: Mapped[int]
    method: Mapped[str] = mapped_column(String(12), default=ElectionMethod.stv.value)
    #: approval: how many candidates a voter may approve (usually the number of seats)
    max_choices: Mapped[int | None]
    is_secret: Mapped[bool] = mapped_column(Boolean, default=True)
    # electorate (as a register ballot's: the board's branch, or every branch)
    eligible_statuses: Mapped[list[str]] = mapped_column(MutableJSONList, default=lambda: ["active"])
    register_cutoff: Mapped[dt.date | None] = mapped_column(Date)
    # eligibility of candidates
    min_membership_days: Mapped[int] = mapped_column(default=0)
    exclude_staff: Mapped[bool] = mapped_column(Boolean, default=True)
    # timeline (UTC)
    candidacy_opens_at: Mapped[dt.datetime]
    candidacy_deadline: Mapped[dt.datetime]
    voting_opens_at: Mapped[dt.datetime]
    voting_closes_at: Mapped[dt.datetime]
    # the term of the mandates the election fills
    term_starts_on: Mapped[dt.date] = mapped_column(Date)
    term_ends_on: Mapped[dt.date] = mapped_column(Date)
    # the ballot paper
    order_rule: Mapped[str] = mapped_column(String(30), default=OrderRule.alphabetical_from_letter.value)
    #: the letter drawn at random when the list was frozen (alphabetical order starts there)
    order_letter: Mapped[str | None] = mapped_column(String(1))
    #: optional: the general assembly at which the election is held
    assembly_id: Mapped[int | None] = mapped_column(ForeignKey("assemblies.id", ondelete="SET NULL"), index=True)
    ballot_id: Mapped[int | None] = mapped_column(ForeignKey("ballots.id", ondelete="RESTRICT"), unique=True)

    state: Mapped[str] = mapped_column(String(12), default=ElectionState.draft.value)
    frozen_dt: Mapped[dt.datetime | None]
    confirmed_dt: Mapped[dt.datetime | None]
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    cancelled_dt: Mapped[dt.datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)
    modified_dt: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    board: Mapped[Board] = relationship(lazy="selectin")
    ballot: Mapped[Ballot | None] = relationship(lazy="raise_on_sql")
    constraints: Mapped[list[ElectionConstraint]] = relationship(
        back_populates="election", lazy="selectin", cascade="all, delete-orphan",
        order_by="(ElectionConstraint.category, ElectionConstraint.group_key)")
    confirmed_by: Mapped[Account | None] = relationship(foreign_keys=[confirmed_by_id], lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<Election {self.id} board={self.board_id} {self.state}>"

    @property
    def title(self) -> LocalText:
        return pick_text(self.titles, self.original_language)

    @property
    def description(self) -> LocalText:
        return pick_text(self.descriptions, self.original_language)

    @property
    def state_label(self) -> str:
        return ElectionState(self.state).label

    @property
    def method_label(self) -> str:
        return ElectionMethod(self.method).label

    def has_gender_constraint(self) -> bool:
        return any(c.category == ConstraintCategory.gender.value for c in self.constraints)

    def move_to(self, new: ElectionState) -> None:
        old = ElectionState(self.state)
        if old not in TRANSITIONS[new]:
            raise IllegalTransition(old=old.label, new=new.label)
        self.state = new.value


class ElectionConstraint(db.Model):
    """"At least ``minimum`` / at most ``maximum`` seats for ``group_key`` of ``category``"."""

    __tablename__ = "election_constraints"
    __table_args__ = (
        UniqueConstraint("election_id", "category", "group_key"),
        CheckConstraint(f"category IN ({ConstraintCategory.sql_values()})", name="category_valid"),
        CheckConstraint("minimum IS NOT NULL OR maximum IS NOT NULL", name="some_bound"),
        CheckConstraint("minimum IS NULL OR minimum >= 0", name="minimum_not_negative"),
        CheckConstraint("maximum IS NULL OR maximum >= 0", name="maximum_not_negative"),
        CheckConstraint("minimum IS NULL OR maximum IS NULL OR minimum <= maximum", name="minimum_below_maximum"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(10))
    #: a :class:`Gender` value, or a branch code
    group_key: Mapped[str] = mapped_column(String(20))
    minimum: Mapped[int | None]
    maximum: Mapped[int | None]

    election: Mapped[Election] = relationship(back_populates="constraints")

    def __repr__(self) -> str:
        return f"<ElectionConstraint {self.election_id} {self.category}:{self.group_key} {self.minimum}–{self.maximum}>"


class Candidacy(db.Model):
    __tablename__ = "candidacies"
    __table_args__ = (
        UniqueConstraint("election_id", "member_id"),
        CheckConstraint(f"state IN ({CandidacyState.sql_values()})", name="state_valid"),
        CheckConstraint(f"gender IS NULL OR gender IN ({Gender.sql_values()})", name="gender_valid"),
        CheckConstraint("original_language <> ''", name="original_language_not_empty"),
        CheckConstraint("state <> 'refused' OR review_reason IS NOT NULL", name="refusal_has_reason"),
        CheckConstraint("(state = 'withdrawn') = (withdrawn_dt IS NOT NULL)", name="withdrawn_dt_iff_withdrawn"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"), index=True)
    #: language code → statement (Markdown) and short profile (plain text, no photo)
    statements: Mapped[dict[str, str]] = mapped_column(MutableJSONDict, default=dict)
    profiles: Mapped[dict[str, str]] = mapped_column(MutableJSONDict, default=dict)
    original_language: Mapped[str] = mapped_column(String(8))
    #: self-declared, optional; asked only when the election has a gender constraint
    gender: Mapped[str | None] = mapped_column(String(10))
    #: the candidate's declaration that they are employed by the cooperative
    declares_employee: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(10), default=CandidacyState.submitted.value)
    review_reason: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    reviewed_dt: Mapped[dt.datetime | None]
    submitted_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)
    withdrawn_dt: Mapped[dt.datetime | None]
    modified_dt: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: the ballot option the candidacy became when the list was frozen
    option_id: Mapped[int | None] = mapped_column(ForeignKey("ballot_options.id", ondelete="SET NULL"))

    election: Mapped[Election] = relationship(lazy="raise_on_sql")
    member: Mapped[Member] = relationship(lazy="raise_on_sql")
    option: Mapped[BallotOption | None] = relationship(lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<Candidacy {self.id} election={self.election_id} member={self.member_id} {self.state}>"

    @property
    def statement(self) -> LocalText:
        return pick_text(self.statements, self.original_language)

    @property
    def profile(self) -> LocalText:
        return pick_text(self.profiles, self.original_language)

    @property
    def state_label(self) -> str:
        return CandidacyState(self.state).label

    @property
    def gender_label(self) -> str:
        return Gender(self.gender).label if self.gender else ""

    @property
    def is_active(self) -> bool:
        """Still in the running (submitted or accepted)."""
        return self.state in (CandidacyState.submitted.value, CandidacyState.accepted.value)
