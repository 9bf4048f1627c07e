"""The Schulze method: a Condorcet method that gives a winner and a full ranking from ranked ballots.

Input: each distinct ranking with its number of ballots and the list of candidates (ballot order).

Rules
-----
1. **Pairwise preferences** ``d[a][b]``: the number of ballots ranking ``a`` above ``b``. A ballot ranks every
   candidate it names above every candidate it leaves out; the candidates it leaves out are equal to each other
   (no preference between them). An empty ranking is a blank ballot: reported, never counted.
2. **Links** by winning votes: the link from ``a`` to ``b`` has strength ``d[a][b]`` when ``d[a][b] > d[b][a]``,
   else 0.
3. **Strongest paths** ``p[a][b]``: the strength of the strongest path from ``a`` to ``b``, a path being as strong
   as its weakest link (computed with the Floyd–Warshall variant of Schulze's paper). ``p[a][a]`` is not defined
   and is reported as 0.
4. **Order**: ``a`` is ranked above ``b`` when ``p[a][b] > p[b][a]``; this relation is transitive. The ranking is
   given in **tiers**: the first tier holds the candidates no one is ranked above, the next tier those no
   remaining candidate is ranked above, and so on. Candidates in a tier are tied.
5. **Winner**: the single candidate of the first tier. When the first tier holds several candidates (a tie, e.g.
   an exact Condorcet tie), the winner is drawn by **lot** from ``seed`` (:mod:`governance.votes.methods.base`);
   without a seed, :class:`~governance.votes.methods.base.LotRequired`. Ties in lower tiers are reported, not
   broken. With no valid ballot, there is no winner.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from governance.votes.methods.base import TieBreak, aggregate_rankings, draw_lot, to_jsonable


@dataclass(frozen=True)
class SchulzeResult:
    candidates: tuple[str, ...]
    valid: int
    blank: int
    pairwise: dict[str, dict[str, int]]
    strongest_paths: dict[str, dict[str, int]]
    ranking: tuple[tuple[str, ...], ...]
    winner: str | None
    tie_breaks: tuple[TieBreak, ...]
    seed: str | None
    method: str = "schulze"

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


def count_schulze(rankings: Iterable[tuple[Sequence[str], int]], candidates: Sequence[str], *,
                  seed: str | None = None) -> SchulzeResult:
    """Count a ranked ballot by the Schulze method (rules in the module docstring)."""
    names, totals, blank = aggregate_rankings(rankings, candidates)
    n = len(names)
    index = {name: i for i, name in enumerate(names)}
    everyone = range(n)
    # d[i][j] = (ballots ranking i) − (ballots ranking j before i): a ballot ranking i puts i above every
    # candidate except those it ranks before i. This needs only the pairs within each ranking.
    ranked = [0] * n
    before = [[0] * n for _ in everyone]
    for ranking, count in totals.items():
        positions = [index[name] for name in ranking]
        for k, i in enumerate(positions):
            ranked[i] += count
            row = before[i]
            for j in positions[:k]:
                row[j] += count
    d = [[ranked[i] - before[i][j] if i != j else 0 for j in everyone] for i in everyone]

    p = [[(d[i][j] if d[i][j] > d[j][i] else 0) if i != j else 0 for j in everyone] for i in everyone]
    for k in everyone:
        pk = p[k]
        for i in everyone:
            if i == k:
                continue
            pik = p[i][k]
            if not pik:
                continue
            pi = p[i]
            for j in everyone:
                if j != i and j != k:
                    through = pik if pik < pk[j] else pk[j]
                    if through > pi[j]:
                        pi[j] = through

    remaining = list(everyone)
    tiers: list[tuple[str, ...]] = []
    while remaining:
        tier = [i for i in remaining if not any(p[j][i] > p[i][j] for j in remaining if j != i)]
        tiers.append(tuple(names[i] for i in tier))
        placed = set(tier)
        remaining = [i for i in remaining if i not in placed]

    valid = sum(totals.values())
    winner = None
    tie_breaks: tuple[TieBreak, ...] = ()
    if valid and tiers:
        if len(tiers[0]) == 1:
            winner = tiers[0][0]
        else:
            winner, tie_break = draw_lot(tiers[0], seed=seed, purpose="winner", stage=None)
            tie_breaks = (tie_break,)

    def as_dict(matrix: list[list[int]]) -> dict[str, dict[str, int]]:
        return {names[i]: {names[j]: matrix[i][j] for j in everyone if j != i} for i in everyone}

    return SchulzeResult(candidates=names, valid=valid, blank=blank, pairwise=as_dict(d),
                         strongest_paths=as_dict(p), ranking=tuple(tiers), winner=winner, tie_breaks=tie_breaks,
                         seed=seed)
