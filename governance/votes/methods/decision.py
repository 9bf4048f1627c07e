"""Decision rules of a ballot: the quorum and the majority, in integer arithmetic only.

Pure functions: nothing of the application is imported here, and no float is ever used, so the result
of a ballot never depends on rounding. Every comparison of a share is a cross-multiplication of integers.

The rules (DESIGN.md §5)
------------------------

*Quorum* counts **participations** (abstentions and blank ballots included) against a **base**: the size
of the frozen electoral roll, or at a general assembly the number of members present or represented when
the vote opens (the caller passes that number as ``base``; the function is the same). A quorum is one of

``none``
    no quorum: always met, threshold 0.
``share:p/q``
    a share of the base, 0 < p/q ≤ 1. It is *reached* when ``participations · q ≥ p · base`` —
    "at least a third", the usual legal reading: exactly a third is enough. The threshold shown on the
    page is the smallest number of participations that reaches it, ``ceil(p · base / q)`` computed as
    ``(p · base + q − 1) // q``; a roll of 1,000 and a third give 334. A quorum that is set needs at least
    one participation: on an empty roll (base 0) the threshold is 1 and the quorum is never met, so a
    ballot nobody could vote in never counts as quorate.
``count:n``
    an absolute number of participations, n ≥ 1; reached when ``participations ≥ n``. It may exceed the
    base (then it cannot be reached: :attr:`QuorumOutcome.reachable` is false, so a form can warn).

*Majority* for a yes/no/abstain ballot; valid = yes + no + abstain:

``simple``
    yes > no. Abstentions are not counted.
``absolute``
    yes > (yes + no + abstain) / 2, computed as 2 · yes > yes + no + abstain: more yes votes than no votes
    and abstentions together.
``qualified:p/q``
    q · yes ≥ p · (yes + no), abstentions not counted; the usual ones are 2/3, 3/4 and 4/5. A general p/q is
    accepted when it is written in lowest terms with 1/2 < p/q < 1 and q ≤ 100. Exactly one half is refused
    on purpose: "yes ≥ no" would adopt a proposal on a tie, which no statute calls a majority, and a share
    below one half could adopt a proposal and its opposite.

Edge cases, the same under every rule: **no votes at all** → not adopted; **only abstentions** → not
adopted (there is no yes vote, and the status quo stands). A qualified majority also needs at least one yes
vote, so "0 ≥ 0" on zero yes and no votes never adopts anything. Every rule then reads as
``yes ≥ yes_needed`` where ``yes_needed`` depends only on the votes the rule counts (:attr:`Decision.counted`):
``counted // 2 + 1`` for simple and absolute, ``max(1, ceil(p · counted / q))`` for qualified. The page can
say "201 needed".

A proposal is **adopted** when the quorum is met and the majority is met.

For plurality, approval and ranked methods only the quorum applies: call :func:`quorum_outcome`.

Codes
-----

Rules and quorums are stored as short stable strings (at most :data:`CODE_MAX_LENGTH` characters):
``"simple"``, ``"absolute"``, ``"qualified:2/3"``; ``"none"``, ``"share:1/3"``, ``"count:250"``.
:func:`parse_rule` and :func:`parse_quorum` accept only the canonical spelling (lowest terms, no spaces, no
leading zeros), so two equal rules always have the same code. :data:`MAJORITY_RULES` lists the rules a ballot
form offers, :data:`QUORUM_KINDS` the kinds of quorum, :data:`COMMON_QUORUM_SHARES` the usual shares.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from math import gcd

SIMPLE = "simple"
ABSOLUTE = "absolute"
QUALIFIED = "qualified"
MAJORITY_KINDS = (SIMPLE, ABSOLUTE, QUALIFIED)

#: The majority rules a ballot form offers, in the order shown.
MAJORITY_RULES = ("simple", "absolute", "qualified:2/3", "qualified:3/4", "qualified:4/5")

QUORUM_NONE = "none"
QUORUM_SHARE = "share"
QUORUM_COUNT = "count"
#: The kinds of quorum, in the order a form offers them.
QUORUM_KINDS = (QUORUM_NONE, QUORUM_SHARE, QUORUM_COUNT)
#: The usual shares of the roll, as (numerator, denominator).
COMMON_QUORUM_SHARES = ((1, 4), (1, 3), (1, 2), (2, 3), (3, 4))

#: The largest denominator of a qualified majority or of a quorum share.
MAX_DENOMINATOR = 100
#: The largest absolute quorum (a sanity bound: the cooperative has tens of thousands of members).
MAX_QUORUM_COUNT = 10_000_000
#: Room for any valid rule or quorum code in a database column.
CODE_MAX_LENGTH = 20

_QUALIFIED_RE = re.compile(r"qualified:([1-9][0-9]{0,2})/([1-9][0-9]{0,2})")
_SHARE_RE = re.compile(r"share:([1-9][0-9]{0,2})/([1-9][0-9]{0,2})")
_COUNT_RE = re.compile(r"count:([1-9][0-9]{0,7})")


class InvalidRule(ValueError):
    """A majority rule or quorum code, or its figures, are not valid."""


def _check_figure(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must not be negative ({value})")
    return value


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


# --- majority rules ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class MajorityRule:
    """A majority rule. Build it with :func:`parse_rule` or :func:`qualified`; ``numerator`` and
    ``denominator`` are 0 for simple and absolute majorities."""

    kind: str
    numerator: int = 0
    denominator: int = 0

    def __post_init__(self):
        if self.kind in (SIMPLE, ABSOLUTE):
            if self.numerator or self.denominator:
                raise InvalidRule(f"a {self.kind} majority takes no share")
        elif self.kind == QUALIFIED:
            p, q = self.numerator, self.denominator
            if isinstance(p, bool) or isinstance(q, bool) or not isinstance(p, int) or not isinstance(q, int):
                raise InvalidRule("a qualified majority needs an integer share p/q")
            if not (0 < p < q <= MAX_DENOMINATOR):
                raise InvalidRule(f"a qualified majority needs 0 < p < q ≤ {MAX_DENOMINATOR}, not {p}/{q}")
            if 2 * p <= q:
                raise InvalidRule(f"a qualified majority must be more than one half, not {p}/{q}")
            if gcd(p, q) != 1:
                raise InvalidRule(f"write the share in lowest terms: {p // gcd(p, q)}/{q // gcd(p, q)}, not {p}/{q}")
        else:
            raise InvalidRule(f"unknown majority rule {self.kind!r}")

    @property
    def code(self) -> str:
        if self.kind == QUALIFIED:
            return f"{QUALIFIED}:{self.numerator}/{self.denominator}"
        return self.kind

    @property
    def counts_abstentions(self) -> bool:
        """Whether abstentions weigh in the majority (only the absolute majority)."""
        return self.kind == ABSOLUTE

    def counted(self, yes: int, no: int, abstain: int) -> int:
        """The votes this rule compares the yes votes with: yes + no, or yes + no + abstain (absolute)."""
        return yes + no + abstain if self.kind == ABSOLUTE else yes + no

    def yes_needed(self, counted: int) -> int:
        """The fewest yes votes that meet the rule when ``counted`` votes count (see :meth:`counted`)."""
        _check_figure("counted", counted)
        if self.kind == QUALIFIED:
            return max(1, _ceil_div(self.numerator * counted, self.denominator))
        return counted // 2 + 1

    def is_met(self, yes: int, no: int, abstain: int) -> bool:
        """The rule as DESIGN.md writes it (no division): see the module docstring."""
        if self.kind == SIMPLE:
            return yes > no
        if self.kind == ABSOLUTE:
            return 2 * yes > yes + no + abstain
        return yes > 0 and self.denominator * yes >= self.numerator * (yes + no)

    def __str__(self) -> str:
        return self.code


def qualified(numerator: int, denominator: int) -> MajorityRule:
    """A qualified majority p/q of yes and no votes (raises :class:`InvalidRule`)."""
    return MajorityRule(QUALIFIED, numerator, denominator)


def parse_rule(code: str | MajorityRule) -> MajorityRule:
    """The rule for a stored code (``"simple"``, ``"absolute"``, ``"qualified:2/3"``); raises
    :class:`InvalidRule` for anything else, including non-canonical spellings such as ``"qualified:4/6"``."""
    if isinstance(code, MajorityRule):
        return code
    if not isinstance(code, str):
        raise InvalidRule(f"a majority rule code is a string, not {type(code).__name__}")
    if code in (SIMPLE, ABSOLUTE):
        return MajorityRule(code)
    match = _QUALIFIED_RE.fullmatch(code)
    if not match:
        raise InvalidRule(f"unknown majority rule {code!r}")
    return qualified(int(match[1]), int(match[2]))


def is_valid_rule(code: str) -> bool:
    try:
        parse_rule(code)
    except InvalidRule:
        return False
    return True


# --- quorum ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Quorum:
    """A quorum. Build it with :func:`parse_quorum`, :func:`no_quorum`, :func:`share_quorum` or
    :func:`count_quorum`. ``numerator``/``denominator`` are set for a share, ``number`` for a count."""

    kind: str
    numerator: int = 0
    denominator: int = 0
    number: int = 0

    def __post_init__(self):
        for name in ("numerator", "denominator", "number"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidRule(f"a quorum's {name} must be an int")
        if self.kind == QUORUM_NONE:
            if self.numerator or self.denominator or self.number:
                raise InvalidRule("no quorum takes no figure")
        elif self.kind == QUORUM_SHARE:
            p, q = self.numerator, self.denominator
            if self.number or not (0 < p <= q <= MAX_DENOMINATOR):
                raise InvalidRule(f"a quorum share needs 0 < p ≤ q ≤ {MAX_DENOMINATOR}, not {p}/{q}")
            if gcd(p, q) != 1:
                raise InvalidRule(f"write the share in lowest terms: {p // gcd(p, q)}/{q // gcd(p, q)}, not {p}/{q}")
        elif self.kind == QUORUM_COUNT:
            if self.numerator or self.denominator or not (1 <= self.number <= MAX_QUORUM_COUNT):
                raise InvalidRule(f"a quorum of participations needs 1 ≤ n ≤ {MAX_QUORUM_COUNT}, not {self.number}")
        else:
            raise InvalidRule(f"unknown kind of quorum {self.kind!r}")

    @property
    def code(self) -> str:
        if self.kind == QUORUM_SHARE:
            return f"{QUORUM_SHARE}:{self.numerator}/{self.denominator}"
        if self.kind == QUORUM_COUNT:
            return f"{QUORUM_COUNT}:{self.number}"
        return QUORUM_NONE

    @property
    def is_required(self) -> bool:
        return self.kind != QUORUM_NONE

    def threshold(self, base: int) -> int:
        """The fewest participations that reach this quorum when the base (roll, or present and
        represented) is ``base``."""
        _check_figure("base", base)
        if self.kind == QUORUM_SHARE:
            return max(1, _ceil_div(self.numerator * base, self.denominator))
        if self.kind == QUORUM_COUNT:
            return self.number
        return 0

    def is_met(self, participations: int, base: int) -> bool:
        """The quorum as a cross-multiplication (equivalent to ``participations ≥ threshold(base)``)."""
        _check_figure("participations", participations)
        _check_figure("base", base)
        if self.kind == QUORUM_SHARE:
            return participations >= 1 and participations * self.denominator >= self.numerator * base
        if self.kind == QUORUM_COUNT:
            return participations >= self.number
        return True

    def __str__(self) -> str:
        return self.code


def no_quorum() -> Quorum:
    return Quorum(QUORUM_NONE)


def share_quorum(numerator: int, denominator: int) -> Quorum:
    """A quorum of a share p/q of the base, 0 < p/q ≤ 1 in lowest terms (raises :class:`InvalidRule`)."""
    return Quorum(QUORUM_SHARE, numerator=numerator, denominator=denominator)


def count_quorum(number: int) -> Quorum:
    """A quorum of ``number`` participations, at least 1 (raises :class:`InvalidRule`)."""
    return Quorum(QUORUM_COUNT, number=number)


def parse_quorum(code: str | Quorum | None) -> Quorum:
    """The quorum for a stored code (``"none"``, ``"share:1/3"``, ``"count:250"``; ``None`` means none);
    raises :class:`InvalidRule` for anything else, including non-canonical spellings."""
    if isinstance(code, Quorum):
        return code
    if code is None or code == QUORUM_NONE:
        return no_quorum()
    if not isinstance(code, str):
        raise InvalidRule(f"a quorum code is a string, not {type(code).__name__}")
    if match := _SHARE_RE.fullmatch(code):
        return share_quorum(int(match[1]), int(match[2]))
    if match := _COUNT_RE.fullmatch(code):
        return count_quorum(int(match[1]))
    raise InvalidRule(f"unknown quorum {code!r}")


def is_valid_quorum(code: str) -> bool:
    try:
        parse_quorum(code)
    except InvalidRule:
        return False
    return True


# --- outcomes ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class QuorumOutcome:
    """Whether a quorum was met, with the figures a result page shows ("334 needed out of 1,000")."""

    quorum: Quorum
    base: int
    participations: int
    threshold: int
    met: bool

    @property
    def code(self) -> str:
        return self.quorum.code

    @property
    def kind(self) -> str:
        return self.quorum.kind

    @property
    def is_required(self) -> bool:
        return self.quorum.is_required

    @property
    def reachable(self) -> bool:
        """Whether the base is large enough for the quorum to be reached at all."""
        return self.threshold <= self.base

    @property
    def missing(self) -> int:
        """How many more participations the quorum needed (0 when met)."""
        return max(0, self.threshold - self.participations)

    def to_dict(self) -> dict:
        return {"quorum": self.code, "kind": self.kind, "base": self.base, "participations": self.participations,
                "threshold": self.threshold, "met": self.met}


def quorum_outcome(quorum: str | Quorum | None, participations: int, base: int) -> QuorumOutcome:
    """The quorum alone: for plurality, approval and ranked ballots, and inside :func:`decide`.

    ``participations`` counts every member who took part (blank ballots and abstentions included);
    ``base`` is the size of the frozen roll, or at an assembly the members present or represented when the
    vote opened."""
    quorum = parse_quorum(quorum)
    _check_figure("participations", participations)
    _check_figure("base", base)
    threshold = quorum.threshold(base)
    return QuorumOutcome(quorum=quorum, base=base, participations=participations, threshold=threshold,
                         met=quorum.is_met(participations, base))


@dataclass(frozen=True)
class Decision:
    """The outcome of a yes/no/abstain ballot under its rule and quorum, with every figure shown."""

    rule: MajorityRule
    quorum: QuorumOutcome
    yes: int
    no: int
    abstain: int
    counted: int
    yes_needed: int
    majority_met: bool
    adopted: bool

    @property
    def rule_code(self) -> str:
        return self.rule.code

    @property
    def valid(self) -> int:
        return self.yes + self.no + self.abstain

    @property
    def participations(self) -> int:
        return self.quorum.participations

    @property
    def base(self) -> int:
        return self.quorum.base

    @property
    def quorum_code(self) -> str:
        return self.quorum.code

    @property
    def quorum_kind(self) -> str:
        return self.quorum.kind

    @property
    def quorum_threshold(self) -> int:
        return self.quorum.threshold

    @property
    def quorum_met(self) -> bool:
        return self.quorum.met

    def to_dict(self) -> dict:
        """Plain figures for a JSON or CSV export."""
        return {"rule": self.rule_code, "yes": self.yes, "no": self.no, "abstain": self.abstain,
                "valid": self.valid, "counted": self.counted, "yes_needed": self.yes_needed,
                "majority_met": self.majority_met, "quorum": self.quorum.to_dict(), "adopted": self.adopted}


def decide(rule: str | MajorityRule, quorum: str | Quorum | None, *, yes: int, no: int, abstain: int,
           base: int, participations: int | None = None) -> Decision:
    """Apply a majority rule and a quorum to the counts of a yes/no/abstain ballot.

    ``participations`` defaults to yes + no + abstain; pass it when blank or spoilt ballots also took part
    (it may not be smaller than the votes). ``base`` is the roll's size, or the members present or
    represented at an assembly. Raises :class:`InvalidRule` for a bad code, ``ValueError``/``TypeError``
    for bad figures."""
    rule = parse_rule(rule)
    for name, value in (("yes", yes), ("no", no), ("abstain", abstain)):
        _check_figure(name, value)
    if participations is None:
        participations = yes + no + abstain
    _check_figure("participations", participations)
    if participations < yes + no + abstain:
        raise ValueError(f"participations ({participations}) cannot be fewer than the votes "
                         f"({yes + no + abstain})")
    quorum_result = quorum_outcome(quorum, participations, base)
    counted = rule.counted(yes, no, abstain)
    yes_needed = rule.yes_needed(counted)
    majority_met = rule.is_met(yes, no, abstain)
    return Decision(rule=rule, quorum=quorum_result, yes=yes, no=no, abstain=abstain, counted=counted,
                    yes_needed=yes_needed, majority_met=majority_met,
                    adopted=quorum_result.met and majority_met)
