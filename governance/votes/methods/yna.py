"""Yes / no / abstain: the totals of a question put to the vote.

Input: counts per option, keys ``yes``, ``no`` and ``abstain`` (a missing key counts 0; any other key is an
error). Output: the three totals and ``valid = yes + no + abstain``. Whether the proposal is adopted (quorum,
simple/absolute/qualified majority) is not decided here but by :mod:`governance.votes.methods.decision`,
from these totals. There is nothing to break: no tie rule, no lot.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from governance.votes.methods.base import option_totals

YES, NO, ABSTAIN = "yes", "no", "abstain"
OPTIONS = (YES, NO, ABSTAIN)


@dataclass(frozen=True)
class YesNoAbstainResult:
    yes: int
    no: int
    abstain: int
    method: str = "yna"

    @property
    def valid(self) -> int:
        return self.yes + self.no + self.abstain

    @property
    def totals(self) -> dict[str, int]:
        return {YES: self.yes, NO: self.no, ABSTAIN: self.abstain}

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "totals": self.totals, "valid": self.valid}


def count_yna(counts: Mapping[str, int]) -> YesNoAbstainResult:
    """Totals of a yes/no/abstain ballot from ``{"yes": n, "no": n, "abstain": n}``."""
    totals = option_totals(counts, OPTIONS)
    return YesNoAbstainResult(yes=totals[YES], no=totals[NO], abstain=totals[ABSTAIN])
