"""Shared pieces of the counting methods: the lot, input checks, the registry, and purity."""
from __future__ import annotations

import ast
import hashlib
from pathlib import Path

import pytest

import governance.votes.methods as methods
from governance.votes.methods import METHODS, CountError, count_ballot, get_method, lot_order
from governance.votes.methods.base import aggregate_rankings

PACKAGE = Path(methods.__file__).parent
OWN_MODULES = ["__init__", "base", "yna", "plurality", "approval", "irv", "stv", "schulze", "files"]


def test_the_lot_is_sha256_of_seed_colon_candidate_smallest_first():
    def digest(key: str) -> str:
        return hashlib.sha256(f"ballot-7:{key}".encode()).hexdigest()

    names = ["Ana", "Ben", "Cara", "Dev", "Émile"]
    assert lot_order("ballot-7", names) == tuple(sorted(names, key=digest))
    assert lot_order("ballot-7", reversed(names)) == lot_order("ballot-7", names)  # input order does not matter
    assert lot_order("ballot-8", names) != lot_order("ballot-7", names)


def test_rankings_are_added_up_and_checked():
    names, totals, blank = aggregate_rankings([(("A", "B"), 2), (["A", "B"], 3), ((), 1), (("B",), 0)], ["A", "B"])
    assert (names, totals, blank) == (("A", "B"), {("A", "B"): 5}, 1)
    for bad in ([(("A", "A"), 1)], [(("Z",), 1)], [(("A",), -1)], [(("A",), 1.5)], [("A",)]):
        with pytest.raises(CountError):
            aggregate_rankings(bad, ["A", "B"])
    with pytest.raises(CountError, match="twice"):
        aggregate_rankings([], ["A", "A"])


def test_registry_names_every_method():
    assert list(METHODS) == ["yna", "plurality", "approval", "irv", "stv", "schulze"]
    assert [name for name, m in METHODS.items() if m.ranked] == ["irv", "stv", "schulze"]
    with pytest.raises(CountError, match="unknown counting method"):
        get_method("borda")


def test_count_ballot_dispatches_by_name():
    assert count_ballot("yna", counts={"yes": 2}).yes == 2
    assert count_ballot("plurality", counts={"A": 1, "B": 2}).winner == "B"
    assert count_ballot("approval", counts={"A": 1}, ballots=1, max_choices=1).elected == ("A",)
    rankings = [(("A", "B"), 3), (("B",), 2)]
    assert count_ballot("irv", rankings=rankings, candidates=["A", "B"]).winner == "A"
    assert count_ballot("schulze", rankings=rankings, candidates=["A", "B"]).winner == "A"
    assert count_ballot("stv", rankings=rankings + [(("C",), 1)], candidates=["A", "B", "C"], seats=2).elected == (
        "A", "B")
    with pytest.raises(CountError, match="one seat"):
        count_ballot("irv", rankings=rankings, candidates=["A", "B"], seats=2)
    with pytest.raises(CountError, match="needs"):
        count_ballot("stv", counts={"A": 1})


@pytest.mark.parametrize("module", OWN_MODULES)
def test_counting_modules_import_nothing_of_the_application(module):
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    outside = {name for name in imported
               if name.split(".")[0] in ("governance", "flask", "flask_babel", "sqlalchemy", "werkzeug", "click")
               and not name.startswith("governance.votes.methods")}
    assert outside == set()
