"""Approval voting: each ballot approves up to ``k`` options; the options approved most often win.

Input: approvals per option (``Mapping[str, int]``: how many ballots approved each option), optionally the
full list of options, the number of ``seats`` (1 by default), and for checking and reporting the number of
valid ballots ``ballots`` and the limit ``max_choices`` (k). The limit itself is enforced where ballots are
cast and, for files, by :func:`governance.votes.methods.files.read_choices_csv`; here the totals are only
checked for consistency: no option approved by more ballots than were cast, and no more approvals in all than
``ballots × max_choices``.

Rules and ties: as for single choice (:mod:`governance.votes.methods.plurality`): the ``seats`` options with
the most approvals are elected; an option with no approval is never elected; only a tie across the last seat is
broken, by lot from ``seed``.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from governance.votes.methods.base import CountError, check_count, option_totals
from governance.votes.methods.plurality import OptionsResult, elect_top


def count_approval(counts: Mapping[str, int], *, options: Sequence[str] | None = None, seats: int = 1,
                   ballots: int | None = None, max_choices: int | None = None,
                   seed: str | None = None) -> OptionsResult:
    """Count an approval ballot from the approvals per option."""
    totals = option_totals(counts, options)
    if max_choices is not None and (isinstance(max_choices, bool) or not isinstance(max_choices, int)
                                    or max_choices < 1):
        raise CountError(f"the most choices per ballot must be a whole number ≥ 1, not {max_choices!r}")
    if ballots is not None:
        check_count(ballots, "ballots")
        over = [name for name, votes in totals.items() if votes > ballots]
        if over:
            raise CountError(f"more approvals than ballots ({ballots}) for: {', '.join(over)}")
        if max_choices is not None and sum(totals.values()) > ballots * max_choices:
            raise CountError(f"{sum(totals.values())} approvals cannot come from {ballots} ballots "
                             f"of at most {max_choices} choices")
    ranking, elected, tie_breaks = elect_top(totals, list(totals), seats, seed)
    return OptionsResult(method="approval", seats=seats, totals=totals, ranking=ranking, elected=elected,
                         vacant=seats - len(elected), tie_breaks=tie_breaks, valid=ballots,
                         max_choices=max_choices)
