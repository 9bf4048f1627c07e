"""Pure counting and decision functions on aggregated figures: nothing of the application is imported here.

Counting methods, by name (:data:`METHODS`):

=============  ==============================================  =============================================
``yna``        yes / no / abstain totals                        :func:`~.yna.count_yna`
``plurality``  single choice: the most votes win                :func:`~.plurality.count_plurality`
``approval``   up to k choices: the most approvals win          :func:`~.approval.count_approval`
``irv``        instant runoff, one seat                         :func:`~.irv.count_irv`
``stv``        Scottish STV, several seats (STV-RULES.md)       :func:`~.stv.count_stv`
``schulze``    Schulze: winner and full ranking                 :func:`~.schulze.count_schulze`
=============  ==============================================  =============================================

Non-ranked methods take counts per option (``Mapping[str, int]``); ranked ones take each distinct ranking with
its number of ballots (``Iterable[tuple[tuple[str, ...], int]]``, a SQL ``GROUP BY``) and the candidates.
Every result is a frozen dataclass with ``to_dict()`` (JSON-ready). STV can count within balanced-representation
constraints (minimum / maximum elected per group): :mod:`.constraints`. Ties and the lot: :mod:`.base`. Ballot
files (BLT, CSV): :mod:`.files`. Quorum and majority: :mod:`.decision`; safe per-branch breakdowns:
:mod:`.disclosure`.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from governance.votes.methods.approval import count_approval
from governance.votes.methods.base import CountError, LotRequired, TieBreak, lot_order
from governance.votes.methods.constraints import ConstraintAction, ConstraintProblem, Constraints, check_feasible, \
    describe_problem
from governance.votes.methods.irv import IrvResult, IrvRound, count_irv
from governance.votes.methods.plurality import OptionsResult, count_plurality
from governance.votes.methods.schulze import SchulzeResult, count_schulze
from governance.votes.methods.stv import StvResult, StvStage, count_stv
from governance.votes.methods.yna import YesNoAbstainResult, count_yna

__all__ = [
    "METHODS", "Method", "get_method", "count_ballot", "CountError", "LotRequired", "TieBreak", "lot_order",
    "count_yna", "count_plurality", "count_approval", "count_irv", "count_stv", "count_schulze",
    "YesNoAbstainResult", "OptionsResult", "IrvResult", "IrvRound", "StvResult", "StvStage", "SchulzeResult",
    "Constraints", "ConstraintAction", "ConstraintProblem", "check_feasible", "describe_problem",
]


@dataclass(frozen=True)
class Method:
    """A counting method: ``ranked`` methods take rankings; ``multi_seat`` ones can fill several seats."""

    name: str
    description: str
    ranked: bool
    multi_seat: bool
    function: Callable[..., Any]


METHODS: dict[str, Method] = {method.name: method for method in (
    Method("yna", "yes / no / abstain", ranked=False, multi_seat=False, function=count_yna),
    Method("plurality", "single choice", ranked=False, multi_seat=True, function=count_plurality),
    Method("approval", "approval (up to k choices)", ranked=False, multi_seat=True, function=count_approval),
    Method("irv", "instant-runoff voting (one seat)", ranked=True, multi_seat=False, function=count_irv),
    Method("stv", "single transferable vote, Scottish rules", ranked=True, multi_seat=True, function=count_stv),
    Method("schulze", "Schulze method", ranked=True, multi_seat=False, function=count_schulze),
)}


def get_method(name: str) -> Method:
    try:
        return METHODS[name]
    except KeyError:
        raise CountError(f"unknown counting method {name!r} (known: {', '.join(METHODS)})") from None


def count_ballot(method: str, *, counts: Mapping[str, int] | None = None,
                 rankings: Iterable[tuple[Sequence[str], int]] | None = None,
                 candidates: Sequence[str] | None = None, options: Sequence[str] | None = None, seats: int = 1,
                 ballots: int | None = None, max_choices: int | None = None, seed: str | None = None,
                 constraints: Constraints | None = None) -> Any:
    """Count with the method named ``method``: one entry point for the ballots and the CLI.

    Non-ranked methods read ``counts`` (and ``options``; approval also ``ballots`` and ``max_choices``); ranked
    methods read ``rankings`` and ``candidates``. ``seats`` applies to plurality, approval and STV; IRV and
    Schulze fill one seat and refuse another number. ``constraints`` (balanced representation) apply to STV
    only; any other method refuses them.
    """
    spec = get_method(method)
    if constraints is not None and method != "stv":
        raise CountError(f"constraints apply to STV counts only, not to {method}")
    if spec.ranked:
        if rankings is None or candidates is None:
            raise CountError(f"{method} needs rankings and candidates")
        if method == "stv":
            return count_stv(rankings, candidates, seats, seed=seed, constraints=constraints)
        if seats != 1:
            raise CountError(f"{method} fills one seat, not {seats}")
        return spec.function(rankings, candidates, seed=seed)
    if counts is None:
        raise CountError(f"{method} needs counts per option")
    if method == "yna":
        return count_yna(counts)
    if method == "approval":
        return count_approval(counts, options=options, seats=seats, ballots=ballots, max_choices=max_choices,
                              seed=seed)
    return count_plurality(counts, options=options, seats=seats, seed=seed)
