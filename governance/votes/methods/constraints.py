"""Balanced representation inside an STV count: at least / at most so many elected per group (constrained STV).

Pure code, like the rest of :mod:`governance.votes.methods`: nothing of the application is imported.

The constraints
---------------
:class:`Constraints` puts candidates into groups, per **category** (``{"gender": {"A": "woman", …}, "branch":
{"A": "BE", …}}``): in one category a candidate belongs to one group or, when absent from the category's map, to
none (no limit of that category applies to them). Names in the maps that are not on the ballot (withdrawn
candidates) are ignored. ``minimum[(category, group)]`` and ``maximum[(category, group)]`` bound the number of
elected candidates of the group; a group without an entry has no bound of that kind.

The **board** is the set of candidates elected. Its size is ``min(seats, candidates)``: the constraints never
leave a seat vacant that plain STV would fill. A board is **valid** when, for every bounded group, ``minimum ≤
elected of the group ≤ maximum``.

Before counting (:func:`check_feasible`, also usable when an election is set up), the configuration is refused
when no valid board exists; each problem is a :class:`ConstraintProblem` tuple ``(code, category, group, needed,
available)`` for the caller to translate:

* ``("minimum_above_maximum", category, group, minimum, maximum)``;
* ``("not_enough_candidates", category, group, minimum, candidates of the group)``;
* ``("minimums_exceed_seats", category, None, sum of the category's minimums, board size)``;
* ``("maximums_below_seats", category, None, board size, most seats the category's maximums allow)`` — e.g. 3
  seats, every candidate in branch BE, BE at most 2;
* ``("no_valid_board", None, None, board size, None)``: each category on its own is possible, but no board
  meets all categories together (e.g. 1 seat, at least 1 woman, at least 1 from BE, no woman from BE).

Validity during the count ("can still be completed")
---------------------------------------------------------
At any point of the count, with the elected candidates ``E``, the continuing candidates ``C`` and ``R`` seats still to
fill, the count **can be completed** when some ``R`` candidates of ``C`` added to ``E`` form a valid board. The
check is exact: candidates of the same *type* (the same bounded groups) are interchangeable, and a depth-first
search over how many of each type to take decides it (a board election has a few dozen candidates and few
types, so this is instant). Before the first stage the count can be completed (otherwise :func:`check_feasible`
refused it); the rules below keep it so after every stage. Then:

* a continuing candidate is **barred** when electing them would leave a count that cannot be completed;
* a continuing candidate is **protected** when excluding them would leave a count that cannot be completed.

With one category these are exactly the textbook rules; with several categories the same test covers every
interaction. The reason recorded for a barred candidate is the first that applies, checking the categories in
order (:attr:`Constraints.categories`, the order of ``groups`` then of any category named only in the bounds):

1. ``maximum_reached`` (category, group): the candidate's group already has ``maximum`` elected;
2. ``minimum_needed`` (category, ``short_groups``): the seats still to fill are all needed by the groups of the
   category that are short of their minimum (sum of shortfalls = ``R``) and the candidate is in none of them;
3. ``combined_constraints``: no single category bars them, but no valid board contains them together with
   ``E`` (only possible with two categories or more, e.g. a gender minimum and a branch maximum).

The reason recorded for a protected candidate: the first category (same order) where the candidate's group is
short and has exactly as many continuing candidates as its shortfall; otherwise (several categories together
make them indispensable) category and group are empty.

How the count applies them (:func:`governance.votes.methods.stv.count_stv`)
------------------------------------------------------------------------------
After every stage, in this order (plain Scottish STV steps in STV-RULES.md §3):

a. **Election by quota, one at a time**: the continuing candidates with votes ≥ quota are taken in descending
   votes; a barred candidate is skipped (recorded as a :class:`ConstraintAction` with ``effect`` ``not_elected``:
   they keep their papers and are excluded at the next stage); the next is elected, and the barred candidates are
   worked out again before the next one. Equal votes are elected together (ballot order) when the board can still
   be completed with all of them; otherwise the tie is broken like any other (earlier stages, most votes first,
   then lot: ``purpose`` ``elect``, :attr:`StvStage.elect_tie_break`) and only the one chosen is elected first.
b. All seats filled → end. c. As many continuing candidates as seats to fill → all elected (rule 52); since the
   count can be completed, this board is valid (no continuing candidate is barred then).
d. **Constraint exclusion**: if any continuing candidate is barred, the next stage (action
   ``constraint_exclusion``) excludes **all** barred candidates at once, before any surplus transfer: they all stop
   being continuing first, then each of their papers (barred candidates in ballot order, but the order changes
   nothing) moves **at its current value** to its next available preference, or becomes non-transferable — as in a
   normal exclusion, so no value is truncated and the loss does not change. One :class:`ConstraintAction`
   (``effect`` ``excluded``) per reason lists them.
e. Otherwise a surplus transfer, exactly as without constraints.
f. Otherwise an **exclusion**: the continuing candidate with the fewest votes among those **not protected** (ties as
   usual, among them). When a protected candidate had no more votes than the one excluded, a ``protected`` action
   (``effect`` ``kept``) names them, their category and group, and the candidate ``excluded_instead``.

Why it works and ends: the count can be completed before stage 1; electing a candidate who is not barred, excluding
barred candidates (no valid completion contains them) and excluding a candidate who is not protected all keep it
so. While more candidates continue than seats remain, a valid completion leaves some continuing candidate out, and
that candidate is not protected: the exclusion in (f) always has someone to exclude. Every stage is a surplus
transfer (at most one per elected candidate) or excludes at least one candidate (a constraint stage excludes every
barred candidate, at least one), so the count ends after at most ``2 × candidates`` stages, with every seat filled and
a valid board. Barring is stable: excluding barred candidates never bars anyone else, so two constraint stages
follow each other only when someone was elected in between.

Constraints that never bind (nobody barred, no protected candidate passed over) give exactly the plain count:
the same stages, figures and elected, with :attr:`StvResult.constrained` false.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from governance.votes.methods.base import CountError

MAXIMUM_REACHED, MINIMUM_NEEDED, COMBINED, PROTECTED = (
    "maximum_reached", "minimum_needed", "combined_constraints", "protected")
EXCLUDED, NOT_ELECTED, KEPT = "excluded", "not_elected", "kept"

#: why a candidate is barred: ``(kind, category, group, short_groups)``
Reason = tuple[str, str | None, str | None, tuple[str, ...]]


def _check_name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise CountError(f"constraints: {what} must be a non-empty string, not {value!r}")
    return value


def _check_bounds(bounds: Any, what: str) -> dict[tuple[str, str], int]:
    if not isinstance(bounds, Mapping):
        raise CountError(f"constraints: {what} must be a mapping of (category, group) → number")
    checked: dict[tuple[str, str], int] = {}
    for key, value in bounds.items():
        if not isinstance(key, tuple) or len(key) != 2:
            raise CountError(f"constraints: {what} keys must be (category, group) pairs, not {key!r}")
        category, group = _check_name(key[0], "a category"), _check_name(key[1], "a group")
        if isinstance(value, bool) or not isinstance(value, int):
            raise CountError(f"constraints: the {what} of {category}/{group} must be a whole number, not {value!r}")
        if value < 0:
            raise CountError(f"constraints: the {what} of {category}/{group} cannot be negative ({value})")
        checked[(category, group)] = value
    return checked


@dataclass(frozen=True)
class Constraints:
    """Groups of candidates per category, and the minimum / maximum of elected per ``(category, group)``.

    The mappings are copied when the object is made (changing the caller's dicts later changes nothing); shapes and numbers (whole, ≥ 0) are checked
    then (:class:`CountError`). Whether the bounds can be met by the candidates is :func:`check_feasible`.
    """

    groups: Mapping[str, Mapping[str, str]]
    minimum: Mapping[tuple[str, str], int] = field(default_factory=dict)
    maximum: Mapping[tuple[str, str], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.groups, Mapping):
            raise CountError("constraints: groups must be a mapping of category → {candidate: group}")
        groups: dict[str, dict[str, str]] = {}
        for category, members in self.groups.items():
            _check_name(category, "a category")
            if not isinstance(members, Mapping):
                raise CountError(f"constraints: the groups of {category!r} must be a mapping of candidate → group")
            groups[category] = {_check_name(c, "a candidate"): _check_name(g, "a group") for c, g in members.items()}
        object.__setattr__(self, "groups", groups)
        object.__setattr__(self, "minimum", _check_bounds(self.minimum, "minimum"))
        object.__setattr__(self, "maximum", _check_bounds(self.maximum, "maximum"))

    @property
    def categories(self) -> tuple[str, ...]:
        """The categories in the order the rules check them: ``groups``, then those named only in the bounds."""
        order = dict.fromkeys(self.groups)
        for category, _group in [*self.minimum, *self.maximum]:
            order.setdefault(category)
        return tuple(order)

    @property
    def bounded(self) -> tuple[tuple[str, str], ...]:
        """Every ``(category, group)`` with a minimum or a maximum, by category order then first mention."""
        keys = dict.fromkeys([*self.minimum, *self.maximum])
        rank = {category: i for i, category in enumerate(self.categories)}
        return tuple(sorted(keys, key=lambda key: rank[key[0]]))  # stable: first mention within a category

    def group_of(self, category: str, candidate: str) -> str | None:
        return self.groups.get(category, {}).get(candidate)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (bounds as ``[category, group, number]`` lists); :meth:`from_dict` reads it back."""
        return {"groups": {category: dict(members) for category, members in self.groups.items()},
                "minimum": [[c, g, n] for (c, g), n in self.minimum.items()],
                "maximum": [[c, g, n] for (c, g), n in self.maximum.items()]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Constraints:
        try:
            return cls(groups=data.get("groups", {}),
                       minimum={(c, g): n for c, g, n in data.get("minimum", ())},
                       maximum={(c, g): n for c, g, n in data.get("maximum", ())})
        except (TypeError, ValueError, AttributeError) as error:
            if isinstance(error, CountError):
                raise
            raise CountError(f"constraints: malformed data ({error})") from None


@dataclass(frozen=True)
class ConstraintAction:
    """One step where a constraint changed the count (see the module docstring).

    ``kind``: ``maximum_reached``, ``minimum_needed``, ``combined_constraints`` (why candidates are barred) or
    ``protected``. ``effect``: ``excluded`` (a constraint exclusion stage), ``not_elected`` (reached the quota but
    barred: not elected, excluded at the next stage) or ``kept`` (protected: not excluded although the fewest votes
    would have excluded them; ``excluded_instead`` is who was). ``category`` / ``group`` name the constraint (empty
    for ``combined_constraints``, for ``minimum_needed``'s group — the category's short groups are
    ``short_groups`` — and for a protection due to several categories together). ``candidates`` in ballot order
    (``protected``: fewest votes first).
    """

    kind: str
    effect: str
    category: str | None
    group: str | None
    candidates: tuple[str, ...]
    excluded_instead: str | None = None
    short_groups: tuple[str, ...] = ()


class ConstraintProblem(NamedTuple):
    """Why a configuration cannot be counted: ``(code, category, group, needed, available)`` (module docstring)."""

    code: str
    category: str | None
    group: str | None
    needed: int | None
    available: int | None


def describe_problem(problem: ConstraintProblem) -> str:
    """The problem in plain English (for :class:`CountError`; an application translates the tuple itself)."""
    code, category, group, needed, available = problem
    if code == "minimum_above_maximum":
        return f"the minimum of {category}/{group} ({needed}) is above its maximum ({available})"
    if code == "not_enough_candidates":
        return (f"at least {needed} of {category}/{group} must be elected, but only {available} "
                f"{'candidate belongs' if available == 1 else 'candidates belong'} to it")
    if code == "minimums_exceed_seats":
        return f"the minimums of {category} add up to {needed}, more than the {available} seats"
    if code == "maximums_below_seats":
        return f"the maximums of {category} allow at most {available} of the {needed} seats to be filled"
    return f"no set of {needed} candidates meets all the constraints together"


class Board:
    """The constraints applied to one count's candidates and seats: which completions exist.

    ``elected`` and ``continuing`` are collections of candidate names; everything is decided on the number of
    candidates of each type (the bounded groups they belong to).
    """

    def __init__(self, constraints: Constraints, candidates: Sequence[str], seats: int):
        self.constraints = constraints
        self.size = min(seats, len(candidates))
        self.keys = constraints.bounded
        self.low = [constraints.minimum.get(key, 0) for key in self.keys]
        self.high = [constraints.maximum.get(key, self.size) for key in self.keys]
        self.type_of = {name: tuple(i for i, (category, group) in enumerate(self.keys)
                                    if constraints.group_of(category, name) == group) for name in candidates}
        # keys per category, to prune on a category's total shortfall
        by_category: dict[str, list[int]] = {}
        for i, (category, _group) in enumerate(self.keys):
            by_category.setdefault(category, []).append(i)
        self.category_keys = list(by_category.values())

    # --- the completion test ------------------------------------------------------------------
    def _bounds(self, elected: Iterable[str]) -> tuple[list[int], list[int]]:
        low, high = list(self.low), list(self.high)
        for name in elected:
            for i in self.type_of[name]:
                low[i] -= 1
                high[i] -= 1
        return [max(0, value) for value in low], high

    def can_complete(self, elected: Collection[str], continuing: Collection[str]) -> bool:
        """Whether some ``size − len(elected)`` of ``continuing``, with ``elected``, form a valid board."""
        need = self.size - len(elected)
        if need < 0 or len(continuing) < need:
            return False
        low, high = self._bounds(elected)
        if min(high, default=0) < 0:
            return False
        available: dict[tuple[int, ...], int] = {}
        for name in continuing:
            available[self.type_of[name]] = available.get(self.type_of[name], 0) + 1
        types = sorted(available.items(), key=lambda item: (-len(item[0]), item[0]))
        n, width = len(types), len(self.keys)
        # supply[j][i]: candidates of types j… in group i; left[j]: candidates of types j…
        supply = [[0] * width for _ in range(n + 1)]
        left = [0] * (n + 1)
        for j in range(n - 1, -1, -1):
            supply[j] = list(supply[j + 1])
            for i in types[j][0]:
                supply[j][i] += types[j][1]
            left[j] = left[j + 1] + types[j][1]
        failed: set[tuple[int, int, tuple[int, ...]]] = set()

        def search(j: int, need: int, taken: tuple[int, ...]) -> bool:
            if any(taken[i] + min(supply[j][i], need) < low[i] for i in range(width)):
                return False
            if any(sum(max(0, low[i] - taken[i]) for i in keys) > need for keys in self.category_keys):
                return False
            if need == 0:
                return True  # every minimum is met (checked just above) and no maximum was passed
            if left[j] < need:
                return False
            state = (j, need, taken)
            if state in failed:
                return False
            members, count = types[j]
            top = min([count, need, *(high[i] - taken[i] for i in members)])
            for k in range(top, -1, -1):
                after = list(taken)
                for i in members:
                    after[i] += k
                if search(j + 1, need - k, tuple(after)):
                    return True
            failed.add(state)
            return False

        return search(0, need, (0,) * width)

    # --- barred and protected candidates -----------------------------------------------------------
    def barred(self, elected: Sequence[str], continuing: Collection[str]) -> dict[str, Reason]:
        """Continuing candidates whose election would leave a count that cannot be completed, with the reason
        ``(kind, category, group, short_groups)``."""
        verdict: dict[tuple[int, ...], bool] = {}
        result = {}
        for name in continuing:
            kind = self.type_of[name]
            if kind not in verdict:
                verdict[kind] = not self.can_complete([*elected, name], [c for c in continuing if c != name])
            if verdict[kind]:
                result[name] = self._barred_reason(name, elected)
        return result

    def _elected_in(self, elected: Iterable[str]) -> list[int]:
        count = [0] * len(self.keys)
        for name in elected:
            for i in self.type_of[name]:
                count[i] += 1
        return count

    def _barred_reason(self, name: str, elected: Sequence[str]) -> Reason:
        constraints = self.constraints
        count = self._elected_in(elected)
        index = {key: i for i, key in enumerate(self.keys)}
        for category in constraints.categories:
            group = constraints.group_of(category, name)
            key = (category, group)
            if key in constraints.maximum and count[index[key]] >= constraints.maximum[key]:
                return MAXIMUM_REACHED, category, group, ()
        remaining = self.size - len(elected)
        for category in constraints.categories:
            short = [(group, self.low[i] - count[i]) for i, (c, group) in enumerate(self.keys)
                     if c == category and self.low[i] > count[i]]
            if short and sum(gap for _g, gap in short) >= remaining \
                    and constraints.group_of(category, name) not in {g for g, _gap in short}:
                return MINIMUM_NEEDED, category, None, tuple(g for g, _gap in short)
        return COMBINED, None, None, ()

    def protected(self, elected: Sequence[str], continuing: Collection[str]) -> dict[str, tuple[str | None,
                                                                                               str | None]]:
        """Continuing candidates whose exclusion would leave a count that cannot be completed, with the
        ``(category, group)`` that makes them indispensable (``(None, None)`` for several categories together)."""
        verdict: dict[tuple[int, ...], bool] = {}
        result = {}
        for name in continuing:
            kind = self.type_of[name]
            if kind not in verdict:
                verdict[kind] = not self.can_complete(elected, [c for c in continuing if c != name])
            if verdict[kind]:
                result[name] = self._protected_reason(name, elected, continuing)
        return result

    def _protected_reason(self, name: str, elected: Sequence[str], continuing: Collection[str]
                          ) -> tuple[str | None, str | None]:
        count, left = self._elected_in(elected), self._elected_in(continuing)
        for category in self.constraints.categories:
            for i, (c, group) in enumerate(self.keys):
                if c == category and i in self.type_of[name] and 0 < self.low[i] - count[i] == left[i]:
                    return category, group
        return None, None


def check_feasible(constraints: Constraints, candidates: Sequence[str], seats: int) -> list[ConstraintProblem]:
    """Every reason why no valid board exists for these candidates and seats (empty list: it can be counted).

    ``candidates`` are the names on the ballot (withdrawn ones left out); see the module docstring for the codes.
    """
    if not isinstance(constraints, Constraints):
        raise CountError("constraints must be a Constraints object")
    if isinstance(seats, bool) or not isinstance(seats, int) or seats < 1:
        raise CountError(f"the number of seats must be a whole number ≥ 1, not {seats!r}")
    names = list(dict.fromkeys(candidates))
    size = min(seats, len(names))
    problems: list[ConstraintProblem] = []
    members: dict[tuple[str, str], int] = {}
    for name in names:
        for category in constraints.categories:
            group = constraints.group_of(category, name)
            if group is not None:
                members[(category, group)] = members.get((category, group), 0) + 1
    for key in constraints.bounded:
        low, high = constraints.minimum.get(key), constraints.maximum.get(key)
        if low is not None and high is not None and low > high:
            problems.append(ConstraintProblem("minimum_above_maximum", *key, low, high))
    for key, low in constraints.minimum.items():
        if low > members.get(key, 0):
            problems.append(ConstraintProblem("not_enough_candidates", *key, low, members.get(key, 0)))
    for category in constraints.categories:
        total = sum(low for (c, _g), low in constraints.minimum.items() if c == category)
        if total > size:
            problems.append(ConstraintProblem("minimums_exceed_seats", category, None, total, size))
    for category in constraints.categories:
        in_groups = {g: n for (c, g), n in members.items() if c == category}
        outside = len(names) - sum(in_groups.values())
        possible = outside + sum(min(n, constraints.maximum.get((category, g), n)) for g, n in in_groups.items())
        if possible < size:
            problems.append(ConstraintProblem("maximums_below_seats", category, None, size, possible))
    if not problems and not Board(constraints, names, seats).can_complete((), names):
        problems.append(ConstraintProblem("no_valid_board", None, None, size, None))
    return problems


def ensure_feasible(constraints: Constraints, candidates: Sequence[str], seats: int) -> None:
    """:func:`check_feasible`, raising :class:`CountError` that names every problem."""
    problems = check_feasible(constraints, candidates, seats)
    if problems:
        raise CountError("the constraints cannot be met: " + "; ".join(map(describe_problem, problems)))
