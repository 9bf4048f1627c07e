"""Single transferable vote, Scottish rules (SSI 2007/42, Schedule 1, rules 45–52), exactly as STV-RULES.md.

Input: each distinct ranking with its number of ballots, the candidates in ballot order (withdrawn candidates
already left out by the caller), and the number of seats.

Arithmetic
----------
Exact, in integers: one vote is 100,000 units (5 decimal places); results are given as ``Decimal`` values
with 5 places, exact. Only transfer values are truncated: a paper of value ``v`` moved in the transfer of a
surplus ``s`` from a candidate with ``T`` votes takes ``floor(s × v / T)`` units (the divisor is the candidate's
*total*, so the share of the surplus carried by non-transferable papers is lost: inclusive Gregory). Every
other figure is a sum of such values. The difference between a surplus and what the transfer credited (to
candidates and as non-transferable) is the **loss from truncation**, kept as its own running total. At the end of
every stage: candidates' votes + non-transferable + loss = valid papers.

The count
---------
* Valid papers: rankings with a first preference (an empty ranking is a blank paper: reported, not counted, not
  in the quota). ``quota = floor(valid / (seats + 1)) + 1``, fixed for the whole count.
* **Stage 1**: each paper goes to its first preference at value 1.
* **After every stage**, in this order: (a) every continuing candidate with votes ≥ quota is elected (several at
  one stage: most votes first, equal votes in ballot order); (b) all seats filled → end; (c) as many continuing
  candidates as unfilled seats → they are all elected (rule 52, "last vacancies"), even below the quota, and no
  surplus is transferred any more → end; (d) if an elected candidate has an untransferred surplus > 0, the next
  stage transfers the **largest** such surplus (whenever its owner was elected): **all** papers credited to that
  candidate move, each at its own transfer value, to their next available preference (the next candidate of the
  ranking who is neither elected nor excluded) or become non-transferable; the candidate keeps exactly the quota.
  A candidate who reaches exactly the quota has no surplus and no transfer stage. (e) Otherwise the next stage
  **excludes** the continuing candidate with the fewest votes (one per stage, 0 votes included): all their papers
  move at their current value to the next available preference, or become non-transferable.
* **Ties** (which surplus first: the most votes; whom to exclude: the fewest): the totals at the end of earlier
  stages decide, most recent first; at the first earlier stage where exactly one of the tied candidates has the
  extreme value among them, that one is chosen — for two candidates, the most recent stage where they differ
  (rules 49(2)–(3) and 51); for three or more this is **Droop's reading** of the statute (STV-RULES.md §4), not
  OpenSTV's narrowing. If no stage decides, **lot** from ``seed`` (:mod:`governance.votes.methods.base`); without
  a seed, :class:`~governance.votes.methods.base.LotRequired`.
* **Uncontested**: with no more candidates than seats there is no count: every candidate is elected
  (:attr:`StvResult.uncontested`), unfilled seats stay vacant. **No valid paper**: nobody is elected.

Each stage reports every candidate's total, the non-transferable total and the loss, who was elected (and
whether by quota or as last vacancies), the surplus or exclusion it carried out, the transfer values used, what
each candidate received, and any tie-break.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from governance.votes.methods.base import CountError, TieBreak, aggregate_rankings, break_tie, first_available, \
    to_jsonable

#: units of one vote: values are integers in 1/100,000 of a vote (5 decimal places)
SCALE = 100_000

QUOTA, LAST_VACANCIES = "quota", "last_vacancies"


def to_decimal(units: int) -> Decimal:
    """Units as an exact ``Decimal`` with 5 places (``718178`` → ``Decimal('7.18178')``)."""
    return Decimal(units).scaleb(-5)


@dataclass(frozen=True)
class TransferValue:
    """In a surplus transfer, the papers that had ``value`` went on at ``transfer_value``."""

    value: Decimal
    transfer_value: Decimal
    papers: int


@dataclass(frozen=True)
class StvStage:
    """One stage: what it did (first count, a surplus transfer or an exclusion) and the totals after it."""

    number: int
    action: str
    candidate: str | None
    surplus: Decimal | None
    transfer_values: tuple[TransferValue, ...]
    transfers: dict[str, Decimal]
    non_transferable_now: Decimal
    papers_moved: int
    totals: dict[str, Decimal]
    non_transferable: Decimal
    loss: Decimal
    elected: tuple[str, ...]
    elected_reason: dict[str, str]
    tie_break: TieBreak | None


@dataclass(frozen=True)
class StvResult:
    candidates: tuple[str, ...]
    seats: int
    valid: int
    blank: int
    quota: int
    elected: tuple[str, ...]
    stages: tuple[StvStage, ...]
    non_transferable: Decimal
    non_transferable_papers: int
    loss: Decimal
    tie_breaks: tuple[TieBreak, ...]
    seed: str | None
    uncontested: bool = False
    method: str = "stv"

    @property
    def vacant(self) -> int:
        return self.seats - len(self.elected)

    @property
    def lot_used(self) -> bool:
        return any(t.rule == "lot" for t in self.tie_breaks)

    def to_dict(self) -> dict[str, Any]:
        data = {"method": self.method, **to_jsonable(self)}
        data["vacant"] = self.vacant
        data["lot_used"] = self.lot_used
        return data


def count_stv(rankings: Iterable[tuple[Sequence[str], int]], candidates: Sequence[str], seats: int, *,
              seed: str | None = None) -> StvResult:
    """Count a multi-seat ranked ballot by Scottish STV (rules in the module docstring)."""
    names, totals, blank = aggregate_rankings(rankings, candidates)
    if isinstance(seats, bool) or not isinstance(seats, int) or seats < 1:
        raise CountError(f"the number of seats must be a whole number ≥ 1, not {seats!r}")
    valid = sum(totals.values())
    quota = valid // (seats + 1) + 1
    if len(names) <= seats or not valid:
        uncontested = len(names) <= seats
        return StvResult(candidates=names, seats=seats, valid=valid, blank=blank, quota=quota,
                         elected=names if uncontested else (), stages=(), non_transferable=to_decimal(0),
                         non_transferable_papers=0, loss=to_decimal(0), tie_breaks=(), seed=seed,
                         uncontested=uncontested)
    return _Count(names, totals, blank, seats, seed).run()


class _Count:
    """The state of one count; :meth:`run` does the stages."""

    def __init__(self, names: tuple[str, ...], totals: dict[tuple[str, ...], int], blank: int, seats: int,
                 seed: str | None):
        self.names, self.seats, self.seed, self.blank = names, seats, seed, blank
        self.position = {name: i for i, name in enumerate(names)}
        self.valid = sum(totals.values())
        self.quota = self.valid // (seats + 1) + 1
        self.quota_units = self.quota * SCALE
        # papers credited to each candidate, grouped by (ranking, value in units) → number of papers
        self.piles: dict[str, dict[tuple[tuple[str, ...], int], int]] = {name: {} for name in names}
        self.votes = dict.fromkeys(names, 0)
        self.continuing = set(names)
        self.elected: list[str] = []
        self.pending: list[str] = []  # elected with a surplus not yet transferred
        self.nt_units = self.nt_papers = self.loss = 0
        self.history: list[tuple[int, dict[str, int]]] = []
        self.stages: list[StvStage] = []
        self.tie_breaks: list[TieBreak] = []
        for ranking, count in totals.items():
            self._credit(ranking[0], ranking, SCALE, count)

    def _credit(self, candidate: str, ranking: tuple[str, ...], value: int, count: int) -> None:
        pile = self.piles[candidate]
        key = (ranking, value)
        pile[key] = pile.get(key, 0) + count
        self.votes[candidate] += count * value

    def run(self) -> StvResult:
        number = 1
        action: dict[str, Any] = {"action": "first_count"}
        while True:
            done = self._end_of_stage(number, action)
            if done:
                break
            number += 1
            action = self._transfer_surplus(number) if self.pending else self._exclude(number)
        return StvResult(candidates=self.names, seats=self.seats, valid=self.valid, blank=self.blank,
                         quota=self.quota, elected=tuple(self.elected), stages=tuple(self.stages),
                         non_transferable=to_decimal(self.nt_units), non_transferable_papers=self.nt_papers,
                         loss=to_decimal(self.loss), tie_breaks=tuple(self.tie_breaks), seed=self.seed)

    def _by_votes(self, candidates: Iterable[str]) -> list[str]:
        return sorted(candidates, key=lambda c: (-self.votes[c], self.position[c]))

    def _end_of_stage(self, number: int, action: dict[str, Any]) -> bool:
        """Steps 2a–2c after a stage; record the stage; say whether the count is over."""
        assert sum(self.votes.values()) + self.nt_units + self.loss == self.valid * SCALE
        reasons: dict[str, str] = {}
        for candidate in self._by_votes(c for c in self.continuing if self.votes[c] >= self.quota_units):
            reasons[candidate] = QUOTA
            if self.votes[candidate] > self.quota_units:
                self.pending.append(candidate)
        done = len(self.elected) + len(reasons) >= self.seats
        remaining = [c for c in self.continuing if c not in reasons]
        if not done and len(remaining) <= self.seats - len(self.elected) - len(reasons):
            reasons.update(dict.fromkeys(self._by_votes(remaining), LAST_VACANCIES))
            done = True
        for candidate in reasons:
            self.continuing.discard(candidate)
            self.elected.append(candidate)
        snapshot = dict(self.votes)
        self.history.append((number, snapshot))
        self.stages.append(StvStage(
            number=number, action=action["action"], candidate=action.get("candidate"),
            surplus=action.get("surplus"), transfer_values=action.get("transfer_values", ()),
            transfers=action.get("transfers", {}), non_transferable_now=action.get("nt_now", to_decimal(0)),
            papers_moved=action.get("papers_moved", 0),
            totals={name: to_decimal(units) for name, units in snapshot.items()},
            non_transferable=to_decimal(self.nt_units), loss=to_decimal(self.loss), elected=tuple(reasons),
            elected_reason=reasons, tie_break=action.get("tie_break")))
        return done

    def _choose(self, tied: list[str], *, lowest: bool, purpose: str, number: int) -> tuple[str, TieBreak | None]:
        if len(tied) == 1:
            return tied[0], None
        # the tie is in the totals of the stage just ended: look at the stages before it
        chosen, tie_break = break_tie(tied, self.history[:-1], lowest=lowest, seed=self.seed, purpose=purpose,
                                      stage=number)
        self.tie_breaks.append(tie_break)
        return chosen, tie_break

    def _move(self, source: str, value_of) -> tuple[dict[str, int], int, int, int]:
        """Move every paper of ``source`` to its next available preference at ``value_of(value)``."""
        transfers: dict[str, int] = {}
        nt_units = nt_papers = moved = 0
        for (ranking, value), count in self.piles[source].items():
            new_value = value_of(value)
            moved += count
            target = first_available(ranking, self.continuing)
            if target is None:
                nt_units += count * new_value
                nt_papers += count
            else:
                self._credit(target, ranking, new_value, count)
                transfers[target] = transfers.get(target, 0) + count * new_value
        self.piles[source] = {}
        self.nt_units += nt_units
        self.nt_papers += nt_papers
        return transfers, nt_units, nt_papers, moved

    def _action(self, action: str, candidate: str, transfers: dict[str, int], nt_units: int, moved: int,
                tie_break: TieBreak | None, **extra: Any) -> dict[str, Any]:
        return {"action": action, "candidate": candidate, "tie_break": tie_break, "papers_moved": moved,
                "transfers": {name: to_decimal(transfers[name]) for name in self.names if name in transfers},
                "nt_now": to_decimal(nt_units), **extra}

    def _transfer_surplus(self, number: int) -> dict[str, Any]:
        surplus = {c: self.votes[c] - self.quota_units for c in self.pending}
        largest = max(surplus.values())
        source, tie_break = self._choose([c for c in self.pending if surplus[c] == largest], lowest=False,
                                         purpose="surplus", number=number)
        self.pending.remove(source)
        total, s = self.votes[source], surplus[source]
        groups: dict[int, list[int]] = {}
        for (_ranking, value), count in self.piles[source].items():
            groups.setdefault(value, [s * value // total, 0])[1] += count
        transfers, nt_units, _nt_papers, moved = self._move(source, lambda value: s * value // total)
        self.loss += s - sum(transfers.values()) - nt_units
        self.votes[source] = self.quota_units
        transfer_values = tuple(TransferValue(value=to_decimal(value), transfer_value=to_decimal(tv), papers=papers)
                                for value, (tv, papers) in sorted(groups.items(), reverse=True))
        return self._action("surplus", source, transfers, nt_units, moved, tie_break, surplus=to_decimal(s),
                            transfer_values=transfer_values)

    def _exclude(self, number: int) -> dict[str, Any]:
        fewest = min(self.votes[c] for c in self.continuing)
        loser, tie_break = self._choose([c for c in self.names if c in self.continuing and self.votes[c] == fewest],
                                        lowest=True, purpose="exclude", number=number)
        self.continuing.discard(loser)
        transfers, nt_units, _nt_papers, moved = self._move(loser, lambda value: value)
        self.votes[loser] = 0
        return self._action("exclusion", loser, transfers, nt_units, moved, tie_break)
