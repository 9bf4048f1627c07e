"""Instant-runoff voting (IRV): one seat, ranked ballots, the weakest candidate excluded round by round.

Input: each distinct ranking with its number of ballots (``Iterable[tuple[tuple[str, ...], int]]``) and the
list of candidates in ballot order (a candidate nobody ranked first still stands, with 0 votes).

Rules
-----
1. **Round 1.** Each ballot counts for its first preference. An empty ranking is a blank ballot: not valid,
   reported apart, never counted.
2. Each round, the ballots counted are those whose next available preference (the first candidate of the
   ranking not yet excluded) exists; the others are **exhausted** and count for nobody from then on.
3. A candidate with **more than half of the ballots counted in the round** (exhausted ballots are not counted)
   is elected, and the count ends. The last continuing candidate is elected too.
4. Otherwise the continuing candidate with the **fewest votes** is excluded (one per round, a candidate with 0
   votes included) and each of their ballots moves to its next available preference, or is exhausted.
5. **Ties for the fewest votes**: the tallies of earlier rounds are looked at, most recent first; at the first
   round where exactly one of the tied candidates has the fewest votes among them, that one is excluded (for two
   candidates: the most recent round where they differ). If no earlier round decides, **lot** from ``seed``
   (:mod:`governance.votes.methods.base`); without a seed, :class:`~governance.votes.methods.base.LotRequired`.
6. With no valid ballot at all, nobody is elected.

Each round reports the tallies, the ballots counted and exhausted, the majority needed, whom it elected or
excluded and why, and where the excluded candidate's ballots went.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from governance.votes.methods.base import TieBreak, aggregate_rankings, break_tie, first_available, \
    to_jsonable


@dataclass(frozen=True)
class IrvRound:
    """One round: the tallies of the continuing candidates, then what the round decided.

    ``transfers`` and ``exhausted_now`` describe where the excluded candidate's ballots went; they count in the
    next round's tallies.
    """

    number: int
    tallies: dict[str, int]
    counted: int
    exhausted: int
    majority: int
    elected: str | None
    excluded: str | None
    reason: str
    transfers: dict[str, int]
    exhausted_now: int
    tie_break: TieBreak | None


@dataclass(frozen=True)
class IrvResult:
    candidates: tuple[str, ...]
    valid: int
    blank: int
    winner: str | None
    rounds: tuple[IrvRound, ...]
    exhausted: int
    tie_breaks: tuple[TieBreak, ...]
    seed: str | None
    method: str = "irv"

    @property
    def elected(self) -> tuple[str, ...]:
        return (self.winner,) if self.winner else ()

    @property
    def lot_used(self) -> bool:
        return any(t.rule == "lot" for t in self.tie_breaks)

    def to_dict(self) -> dict[str, Any]:
        data = {"method": self.method, **to_jsonable(self)}
        data["elected"] = list(self.elected)
        data["lot_used"] = self.lot_used
        return data


def count_irv(rankings: Iterable[tuple[Sequence[str], int]], candidates: Sequence[str], *,
              seed: str | None = None) -> IrvResult:
    """Count a one-seat ranked ballot by instant runoff (rules in the module docstring)."""
    names, totals, blank = aggregate_rankings(rankings, candidates)
    valid = sum(totals.values())
    if not valid:
        return IrvResult(candidates=names, valid=0, blank=blank, winner=None, rounds=(), exhausted=0,
                         tie_breaks=(), seed=seed)

    continuing = set(names)
    piles: dict[str, dict[tuple[str, ...], int]] = {name: {} for name in names}
    for ranking, count in totals.items():
        pile = piles[ranking[0]]
        pile[ranking] = pile.get(ranking, 0) + count
    votes = {name: sum(piles[name].values()) for name in names}
    exhausted = 0
    rounds: list[IrvRound] = []
    history: list[tuple[int, dict[str, int]]] = []
    tie_breaks: list[TieBreak] = []
    winner = None

    for number in range(1, len(names) + 1):
        tallies = {name: votes[name] for name in names if name in continuing}
        counted = sum(tallies.values())
        majority = counted // 2 + 1
        leader = max(tallies, key=lambda name: tallies[name])
        if tallies[leader] >= majority or len(continuing) == 1:
            winner = leader
            reason = "majority" if tallies[leader] >= majority else "last continuing candidate"
            rounds.append(IrvRound(number=number, tallies=tallies, counted=counted, exhausted=exhausted,
                                   majority=majority, elected=leader, excluded=None, reason=reason,
                                   transfers={}, exhausted_now=0, tie_break=None))
            break
        fewest = min(tallies.values())
        lowest = [name for name in tallies if tallies[name] == fewest]
        tie_break = None
        if len(lowest) == 1:
            loser, reason = lowest[0], "fewest votes"
        else:
            loser, tie_break = break_tie(lowest, history, lowest=True, seed=seed, purpose="exclude", stage=number)
            tie_breaks.append(tie_break)
            reason = "fewest votes, tie broken by lot" if tie_break.rule == "lot" else \
                "fewest votes, tie broken by an earlier round"
        continuing.discard(loser)
        transfers: dict[str, int] = {}
        exhausted_now = 0
        for ranking, count in piles[loser].items():
            target = first_available(ranking, continuing)
            if target is None:
                exhausted_now += count
            else:
                piles[target][ranking] = piles[target].get(ranking, 0) + count
                votes[target] += count
                transfers[target] = transfers.get(target, 0) + count
        piles[loser] = {}
        votes[loser] = 0
        exhausted += exhausted_now
        rounds.append(IrvRound(number=number, tallies=tallies, counted=counted, exhausted=exhausted - exhausted_now,
                               majority=majority, elected=None, excluded=loser, reason=reason,
                               transfers={name: transfers[name] for name in names if name in transfers},
                               exhausted_now=exhausted_now, tie_break=tie_break))
        history.append((number, tallies))

    return IrvResult(candidates=names, valid=valid, blank=blank, winner=winner, rounds=tuple(rounds),
                     exhausted=exhausted, tie_breaks=tuple(tie_breaks), seed=seed)
