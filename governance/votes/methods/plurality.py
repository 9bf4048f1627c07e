"""Single choice (plurality): each ballot chooses one option; the option(s) with the most votes win.

Input: counts per option (``Mapping[str, int]``), optionally the full list of options so that options nobody
chose are listed with 0, and the number of ``seats`` to fill (1 by default: "the option with the most votes").

Rules
-----
* The options are ranked by votes. The ``seats`` options with the most votes are elected.
* An option with no vote is never elected: with fewer voted options than seats, seats stay vacant
  (:attr:`PluralityResult.vacant`). With no vote at all, nothing is elected.
* **Ties.** Only a tie across the last seat matters (equal votes for the last elected and the first not
  elected). It is broken by lot from ``seed`` (see :mod:`governance.votes.methods.base`): the tied options are
  drawn in lot order and the first ones drawn take the remaining seats. Without a seed such a tie raises
  :class:`~governance.votes.methods.base.LotRequired`. Equal votes that do not cross the last seat are listed in
  ballot order and decide nothing.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from governance.votes.methods.base import CountError, LotRequired, TieBreak, lot_order, option_totals, \
    ranked_by_votes, to_jsonable


@dataclass(frozen=True)
class OptionsResult:
    """The result of a non-ranked count with options (single choice or approval).

    ``totals`` are the votes per option in ballot order; ``ranking`` the options by votes (equal votes in ballot
    order); ``elected`` the options that take the seats, by votes (options drawn by lot in the order drawn);
    ``valid`` the number of valid ballots when known (for approval, only when the caller gives it).
    """

    method: str
    seats: int
    totals: dict[str, int]
    ranking: tuple[tuple[str, int], ...]
    elected: tuple[str, ...]
    vacant: int
    tie_breaks: tuple[TieBreak, ...]
    valid: int | None = None
    max_choices: int | None = None

    @property
    def winner(self) -> str | None:
        """The elected option when one seat is filled, else ``None``."""
        return self.elected[0] if self.seats == 1 and self.elected else None

    @property
    def lot_used(self) -> bool:
        return any(t.rule == "lot" for t in self.tie_breaks)

    def to_dict(self) -> dict[str, Any]:
        data = {"method": self.method, **to_jsonable(self)}
        data["ranking"] = [{"option": name, "votes": votes} for name, votes in self.ranking]
        data["winner"] = self.winner
        data["lot_used"] = self.lot_used
        return data


def check_seats(seats: Any) -> int:
    if isinstance(seats, bool) or not isinstance(seats, int) or seats < 1:
        raise CountError(f"the number of seats must be a whole number ≥ 1, not {seats!r}")
    return seats


def elect_top(totals: dict[str, int], order: Sequence[str], seats: int, seed: str | None
              ) -> tuple[tuple[tuple[str, int], ...], tuple[str, ...], tuple[TieBreak, ...]]:
    """Ranking, elected options and tie-breaks for "the ``seats`` options with the most votes"."""
    check_seats(seats)
    ranked = ranked_by_votes(totals, order)
    ranking = tuple((name, totals[name]) for name in ranked)
    voted = [name for name in ranked if totals[name] > 0]
    if len(voted) <= seats:
        return ranking, tuple(voted), ()
    boundary = totals[voted[seats - 1]]
    above = [name for name in voted if totals[name] > boundary]
    tied = [name for name in voted if totals[name] == boundary]
    free = seats - len(above)
    if len(tied) == free:
        return ranking, tuple(above + tied), ()
    # one draw orders the tied options: the first ``free`` drawn take the seats
    if not seed:
        raise LotRequired(tied, "elect")
    drawn = lot_order(seed, tied)
    tie_breaks = tuple(TieBreak(stage=None, purpose="elect", tied=tuple(tied), chosen=name, rule="lot", seed=seed,
                                lot_order=drawn) for name in drawn[:free])
    return ranking, tuple(above) + drawn[:free], tie_breaks


def count_plurality(counts: Mapping[str, int], *, options: Sequence[str] | None = None, seats: int = 1,
                    seed: str | None = None) -> OptionsResult:
    """Count a single-choice ballot; ``options`` lists every option (ballot order), ``seats`` how many win."""
    totals = option_totals(counts, options)
    ranking, elected, tie_breaks = elect_top(totals, list(totals), seats, seed)
    return OptionsResult(method="plurality", seats=seats, totals=totals, ranking=ranking, elected=elected,
                         vacant=seats - len(elected), tie_breaks=tie_breaks, valid=sum(totals.values()))
