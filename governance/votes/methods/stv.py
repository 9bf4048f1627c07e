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

Constraints (balanced representation)
-------------------------------------
With ``constraints`` (:class:`~governance.votes.methods.constraints.Constraints`: at least / at most so many
elected per group, e.g. gender or branch), the count is checked for feasibility first (:class:`CountError`
naming the problem) and then applies the rules of :mod:`governance.votes.methods.constraints` after every stage:
candidates whose election would make a valid board impossible are not elected by quota and are all excluded at
the next stage (action ``constraint_exclusion``, before any surplus transfer, papers at their current value);
the exclusion of the fewest votes skips protected candidates. Each such step is recorded in
:attr:`StvStage.constraint_actions`, and :attr:`StvResult.constrained` says whether any step was changed.
Constraints that never bind give exactly the unconstrained count.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from governance.votes.methods.base import CountError, TieBreak, aggregate_rankings, break_tie, first_available, \
    to_jsonable
from governance.votes.methods.constraints import EXCLUDED, KEPT, NOT_ELECTED, PROTECTED, Board, ConstraintAction, \
    Constraints, Reason, ensure_feasible

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
    #: the candidates this stage excluded: one for an exclusion, every barred one for a constraint exclusion
    excluded: tuple[str, ...] = ()
    #: every step of this stage that a constraint changed (constrained counts only)
    constraint_actions: tuple[ConstraintAction, ...] = ()
    #: a tie among candidates reaching the quota together when not all of them could be elected (constraints)
    elect_tie_break: TieBreak | None = None


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
    #: the constraints of the count, if any, and whether one of them changed at least one step
    constraints: Constraints | None = None
    constrained: bool = False
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
        data["constraints"] = self.constraints.to_dict() if self.constraints is not None else None
        return data


def count_stv(rankings: Iterable[tuple[Sequence[str], int]], candidates: Sequence[str], seats: int, *,
              seed: str | None = None, constraints: Constraints | None = None) -> StvResult:
    """Count a multi-seat ranked ballot by Scottish STV (rules in the module docstring), optionally within
    ``constraints`` (:mod:`governance.votes.methods.constraints`; :class:`CountError` when they cannot be met)."""
    names, totals, blank = aggregate_rankings(rankings, candidates)
    if isinstance(seats, bool) or not isinstance(seats, int) or seats < 1:
        raise CountError(f"the number of seats must be a whole number ≥ 1, not {seats!r}")
    board = None
    if constraints is not None:
        ensure_feasible(constraints, names, seats)
        if constraints.bounded:
            board = Board(constraints, names, seats)
    valid = sum(totals.values())
    quota = valid // (seats + 1) + 1
    if len(names) <= seats or not valid:
        uncontested = len(names) <= seats
        return StvResult(candidates=names, seats=seats, valid=valid, blank=blank, quota=quota,
                         elected=names if uncontested else (), stages=(), non_transferable=to_decimal(0),
                         non_transferable_papers=0, loss=to_decimal(0), tie_breaks=(), seed=seed,
                         uncontested=uncontested, constraints=constraints)
    return _Count(names, totals, blank, seats, seed, board, constraints).run()


class _Count:
    """The state of one count; :meth:`run` does the stages."""

    def __init__(self, names: tuple[str, ...], totals: dict[tuple[str, ...], int], blank: int, seats: int,
                 seed: str | None, board: Board | None = None, constraints: Constraints | None = None):
        self.names, self.seats, self.seed, self.blank = names, seats, seed, blank
        self.board, self.constraints = board, constraints
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
            barred = self.board.barred(self.elected, self.continuing) if self.board is not None else {}
            if barred:
                action = self._exclude_barred(barred)
            elif self.pending:
                action = self._transfer_surplus(number)
            else:
                action = self._exclude(number)
        return StvResult(candidates=self.names, seats=self.seats, valid=self.valid, blank=self.blank,
                         quota=self.quota, elected=tuple(self.elected), stages=tuple(self.stages),
                         non_transferable=to_decimal(self.nt_units), non_transferable_papers=self.nt_papers,
                         loss=to_decimal(self.loss), tie_breaks=tuple(self.tie_breaks), seed=self.seed,
                         constraints=self.constraints,
                         constrained=any(stage.constraint_actions for stage in self.stages))

    def _by_votes(self, candidates: Iterable[str]) -> list[str]:
        return sorted(candidates, key=lambda c: (-self.votes[c], self.position[c]))

    def _end_of_stage(self, number: int, action: dict[str, Any]) -> bool:
        """Steps 2a–2c after a stage; record the stage; say whether the count is over."""
        assert sum(self.votes.values()) + self.nt_units + self.loss == self.valid * SCALE
        reasons: dict[str, str] = {}
        actions = list(action.get("constraint_actions", ()))
        reached = self._by_votes(c for c in self.continuing if self.votes[c] >= self.quota_units)
        elect_tie_break = None
        if self.board is not None:
            reached, elect_tie_break, not_elected = self._elect_within_constraints(reached, number)
            actions += not_elected
        for candidate in reached:
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
            elected_reason=reasons, tie_break=action.get("tie_break"), excluded=action.get("excluded", ()),
            constraint_actions=tuple(actions), elect_tie_break=elect_tie_break))
        return done

    def _elect_within_constraints(self, reached: list[str], number: int
                                  ) -> tuple[list[str], TieBreak | None, list[ConstraintAction]]:
        """Step (a) with constraints: elect the candidates who reached the quota one at a time, most votes first,
        skipping the barred ones (see :mod:`.constraints`). Returns those elected in order, the tie-break used,
        and the ``not_elected`` actions."""
        assert self.board is not None
        chosen: list[str] = []
        tie_break = None
        held: dict[str, Reason] = {}
        waiting = list(reached)
        while waiting:
            elected, continuing = [*self.elected, *chosen], self.continuing.difference(chosen)
            barred = self.board.barred(elected, continuing)
            for candidate in waiting:
                if candidate in barred:
                    held.setdefault(candidate, barred[candidate])
            waiting = [c for c in waiting if c not in barred]
            if not waiting:
                break
            tied = [c for c in waiting if self.votes[c] == self.votes[waiting[0]]]
            if len(tied) > 1 and not self.board.can_complete([*elected, *tied], continuing.difference(tied)):
                winner, tie_break = self._choose(tied, lowest=False, purpose="elect", number=number,
                                                 history=self.history)
                tied = [winner]
            chosen += tied
            waiting = [c for c in waiting if c not in tied]
        return chosen, tie_break, self._reason_actions(held, NOT_ELECTED)

    def _reason_actions(self, reasons: dict[str, Reason], effect: str) -> list[ConstraintAction]:
        """One action per distinct reason, candidates in ballot order."""
        grouped: dict[Reason, list[str]] = {}
        for candidate in self.names:
            if candidate in reasons:
                grouped.setdefault(reasons[candidate], []).append(candidate)
        return [ConstraintAction(kind=kind, effect=effect, category=category, group=group,
                                 candidates=tuple(candidates), short_groups=short)
                for (kind, category, group, short), candidates in grouped.items()]

    def _choose(self, tied: list[str], *, lowest: bool, purpose: str, number: int,
                history: list[tuple[int, dict[str, int]]] | None = None) -> tuple[str, TieBreak | None]:
        if len(tied) == 1:
            return tied[0], None
        # the tie is in the totals of the stage just ended: look at the stages before it
        chosen, tie_break = break_tie(tied, self.history[:-1] if history is None else history, lowest=lowest,
                                      seed=self.seed, purpose=purpose, stage=number)
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

    def _action(self, action: str, candidate: str | None, transfers: dict[str, int], nt_units: int, moved: int,
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
        protected = self.board.protected(self.elected, self.continuing) if self.board is not None else {}
        pool = self.continuing.difference(protected)
        fewest = min(self.votes[c] for c in pool)
        loser, tie_break = self._choose([c for c in self.names if c in pool and self.votes[c] == fewest],
                                        lowest=True, purpose="exclude", number=number)
        passed_over: dict[tuple[str | None, str | None], list[str]] = {}
        for candidate in sorted(protected, key=lambda c: (self.votes[c], self.position[c])):
            if self.votes[candidate] <= self.votes[loser]:
                passed_over.setdefault(protected[candidate], []).append(candidate)
        actions = tuple(ConstraintAction(kind=PROTECTED, effect=KEPT, category=category, group=group,
                                         candidates=tuple(candidates), excluded_instead=loser)
                        for (category, group), candidates in passed_over.items())
        self.continuing.discard(loser)
        transfers, nt_units, _nt_papers, moved = self._move(loser, lambda value: value)
        self.votes[loser] = 0
        return self._action("exclusion", loser, transfers, nt_units, moved, tie_break, excluded=(loser,),
                            constraint_actions=actions)

    def _exclude_barred(self, barred: dict[str, Reason]) -> dict[str, Any]:
        """A constraint exclusion: every barred candidate at once, papers at their current value."""
        losers = [c for c in self.names if c in barred]
        self.continuing.difference_update(losers)
        transfers: dict[str, int] = {}
        nt_units = moved = 0
        for loser in losers:
            moved_to, loser_nt, _nt_papers, loser_moved = self._move(loser, lambda value: value)
            for target, units in moved_to.items():
                transfers[target] = transfers.get(target, 0) + units
            nt_units += loser_nt
            moved += loser_moved
            self.votes[loser] = 0
        return self._action("constraint_exclusion", None, transfers, nt_units, moved, None, excluded=tuple(losers),
                            constraint_actions=tuple(self._reason_actions(barred, EXCLUDED)))
