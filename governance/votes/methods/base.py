"""What every counting method shares: input checks, the tie-break rules, the lot, and JSON output.

Pure code: nothing of the application is imported here (no Flask, no SQLAlchemy, no ``governance.*``).

Inputs are aggregated figures, never one object per ballot:

* counts per option, ``Mapping[str, int]`` (yes/no/abstain, single choice, approval);
* each distinct ranking with its number of ballots, ``Iterable[tuple[tuple[str, ...], int]]``, as a SQL
  ``GROUP BY`` gives it, plus the list of candidates (ranked methods). The same ranking may appear on several
  rows: rows are added up. An empty ranking is a blank ballot: it is reported, never counted.

The lot
-------
When a tie survives every deterministic rule of a method, it is broken by lot, drawn from a ``seed`` that the
caller passes (a ballot records its seed when it closes and publishes it with the result). A method never
invents a seed: without one, a tie that needs a lot raises :class:`LotRequired`.

The draw is reproducible by anyone: the tied candidates are put in the order of the SHA-256 digest (hexadecimal,
lower case) of the UTF-8 text ``seed + ":" + candidate``, smallest first; the **first** candidate of that order is
the one drawn, i.e. the one the decision is about (excluded, whose surplus goes first, who takes the seat). In a
shell: ``printf '%s' 'SEED:Ana' | sha256sum``. Every lot is recorded in the result with the seed and the order.

Ties "by earlier stages"
------------------------
The ranked methods break ties first by looking back at the totals at the end of earlier stages (or rounds),
starting with the most recent one: at the first earlier stage where **exactly one** of the tied candidates has the
extreme value among them (the fewest votes for an exclusion, the most for a surplus), that candidate is chosen.
For two tied candidates this is simply "the most recent stage where they differ" (SSI 2007/42 rules 49 and 51);
for three or more it is Droop's reading of the statute (STV-RULES.md §4). If no earlier stage decides, lot.
"""
from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


class CountError(ValueError):
    """The figures cannot be counted by this method (unknown option, repeated candidate, negative count…)."""


class LotRequired(CountError):
    """A tie has to be broken by lot and no seed was given."""

    def __init__(self, tied: Sequence[str], purpose: str):
        self.tied = tuple(tied)
        self.purpose = purpose
        super().__init__(f"a tie between {', '.join(self.tied)} ({purpose}) must be broken by lot, "
                         f"and no seed was given")


def lot_order(seed: str, keys: Iterable[str]) -> tuple[str, ...]:
    """``keys`` in the order of the lot drawn from ``seed`` (see the module docstring)."""
    return tuple(sorted(keys, key=lambda key: (hashlib.sha256(f"{seed}:{key}".encode()).hexdigest(), key)))


@dataclass(frozen=True)
class TieBreak:
    """How one tie was broken.

    ``purpose`` is what was being decided: ``exclude`` (whom to exclude), ``surplus`` (whose surplus is
    transferred first), ``elect`` (who takes a seat) or ``winner``. ``rule`` is ``earlier_stage`` (decided by
    the totals at the end of ``decided_by_stage``) or ``lot`` (then ``seed`` and ``lot_order`` say how).
    """

    stage: int | None
    purpose: str
    tied: tuple[str, ...]
    chosen: str
    rule: str
    decided_by_stage: int | None = None
    seed: str | None = None
    lot_order: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(self)


def draw_lot(tied: Sequence[str], *, seed: str | None, purpose: str, stage: int | None) -> tuple[str, TieBreak]:
    """Break a tie by lot; raise :class:`LotRequired` without a seed."""
    if not seed:
        raise LotRequired(tied, purpose)
    order = lot_order(seed, tied)
    return order[0], TieBreak(stage=stage, purpose=purpose, tied=tuple(tied), chosen=order[0], rule="lot",
                              seed=seed, lot_order=order)


def break_tie(tied: Sequence[str], history: Sequence[tuple[int, Mapping[str, Any]]], *, lowest: bool,
              seed: str | None, purpose: str, stage: int | None) -> tuple[str, TieBreak]:
    """Choose among ``tied`` by the earlier stages in ``history`` (oldest first), then by lot.

    ``history`` holds ``(stage number, totals)`` for the stages *before* the one where the tie arose. With
    ``lowest`` the candidate with the fewest votes is chosen (exclusion), otherwise the one with the most.
    """
    for number, totals in reversed(history):
        values = [totals[c] for c in tied]
        extreme = min(values) if lowest else max(values)
        holders = [c for c, v in zip(tied, values, strict=True) if v == extreme]
        if len(holders) == 1:
            return holders[0], TieBreak(stage=stage, purpose=purpose, tied=tuple(tied), chosen=holders[0],
                                        rule="earlier_stage", decided_by_stage=number)
    return draw_lot(tied, seed=seed, purpose=purpose, stage=stage)


# --- input checks ----------------------------------------------------------------------------------
def check_count(value: Any, what: str) -> int:
    """A number of ballots: an int ≥ 0 (a bool or a float is refused, so no rounding can slip in)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise CountError(f"{what}: the count must be a whole number, not {value!r}")
    if value < 0:
        raise CountError(f"{what}: the count cannot be negative ({value})")
    return value


def check_keys(keys: Iterable[Any], what: str) -> tuple[str, ...]:
    """Distinct, non-empty string keys, in the order given."""
    result: list[str] = []
    seen: set[str] = set()
    for key in keys:
        if not isinstance(key, str) or not key:
            raise CountError(f"{what}: {key!r} is not a valid key (a non-empty string is needed)")
        if key in seen:
            raise CountError(f"{what}: {key!r} appears twice")
        seen.add(key)
        result.append(key)
    return tuple(result)


def option_totals(counts: Mapping[str, int], options: Sequence[str] | None) -> dict[str, int]:
    """Counts per option, every option present (0 when absent from ``counts``), in option order.

    Without ``options`` the options are the keys of ``counts`` in their order.
    """
    if not isinstance(counts, Mapping):
        raise CountError("the counts must be a mapping of option → number of votes")
    names = check_keys(options if options is not None else counts.keys(), "options")
    known = set(names)
    unknown = [key for key in counts if key not in known]
    if unknown:
        raise CountError(f"votes for options that are not on the ballot: {', '.join(map(str, unknown))}")
    return {name: check_count(counts.get(name, 0), f"option {name!r}") for name in names}


def aggregate_rankings(rankings: Iterable[tuple[Sequence[str], int]], candidates: Sequence[str]
                       ) -> tuple[tuple[str, ...], dict[tuple[str, ...], int], int]:
    """Check and add up ranked input: ``(candidates, {ranking: ballots}, blank ballots)``.

    Each ranking must rank known candidates, each at most once. Rows with the same ranking are added up;
    rows with a count of 0 are dropped; empty rankings are counted as blank ballots.
    """
    names = check_keys(candidates, "candidates")
    known = set(names)
    totals: dict[tuple[str, ...], int] = {}
    blank = 0
    for row in rankings:
        try:
            ranking, count = row
        except (TypeError, ValueError):
            raise CountError(f"a ranked row must be (ranking, count), not {row!r}") from None
        ranking = tuple(ranking)
        if type(count) is not int or count < 0:
            check_count(count, f"ranking {ranking!r}")
        distinct = set(ranking)
        if len(distinct) != len(ranking):
            raise CountError(f"ranking {ranking!r} ranks a candidate more than once")
        if not distinct <= known:
            unknown = [c for c in ranking if c not in known]
            raise CountError(f"ranking {ranking!r} names unknown candidates: {', '.join(map(str, unknown))}")
        if not count:
            continue
        if not ranking:
            blank += count
        else:
            totals[ranking] = totals.get(ranking, 0) + count
    return names, totals, blank


def first_available(ranking: tuple[str, ...], continuing: set[str] | frozenset[str]) -> str | None:
    """The first candidate of ``ranking`` still in ``continuing``, or ``None`` (the ballot is exhausted)."""
    for candidate in ranking:
        if candidate in continuing:
            return candidate
    return None


def ranked_by_votes(totals: Mapping[str, int], order: Sequence[str]) -> list[str]:
    """Options by votes, most first; equal votes keep ``order`` (for display: no tie is decided by this)."""
    position = {name: i for i, name in enumerate(order)}
    return sorted(totals, key=lambda name: (-totals[name], position[name]))


# --- JSON ------------------------------------------------------------------------------------------
def to_jsonable(value: Any) -> Any:
    """Dataclasses, mappings, tuples and Decimals as plain JSON values (a Decimal becomes its exact string)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    return value
