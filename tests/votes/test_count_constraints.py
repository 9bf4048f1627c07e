"""A ballot that carries balanced-representation constraints (``count_constraints``, set by the election that
owns it) is counted by constrained STV when it closes; the stored result says which constraint acted.

The same 12 papers as the hand-worked case (a) of ``test_stv_constraints.py``: plain STV elects Al and Bo (two
men); with at least one woman, Bo is excluded at stage 2 and Cy is elected."""
from __future__ import annotations

from tests.votes.conftest import as_actor, option_ids, texts  # noqa: F401

PAPERS = [(("Al",), 5), (("Bo",), 2), (("Bo", "Cy"), 2), (("Cy",), 3)]


def _voted_stv(db, make_ballot, open_ballot, cast, voter, be, *, constraints):
    ballot = make_ballot(method="stv", seats=2, options=[texts("Al"), texts("Bo"), texts("Cy")])
    ids = dict(zip(("Al", "Bo", "Cy"), option_ids(ballot)))
    if constraints:
        gender = {"Al": "man", "Bo": "man", "Cy": "woman"}
        ballot.count_constraints = {"groups": {"gender": {str(ids[n]): g for n, g in gender.items()}},
                                    "minimum": [["gender", "woman", 1]], "maximum": []}
    voters = [voter(be) for _ in range(12)]
    open_ballot(ballot)
    papers = [ranking for ranking, n in PAPERS for _ in range(n)]
    for member, ranking in zip(voters, papers):
        cast(ballot, member, [ids[name] for name in ranking])
    return ballot, ids


def test_without_constraints_the_two_men_are_elected(db, make_ballot, open_ballot, cast, close, voter, be):
    ballot, ids = _voted_stv(db, make_ballot, open_ballot, cast, voter, be, constraints=False)
    close(ballot)
    assert set(ballot.result["count"]["elected"]) == {str(ids["Al"]), str(ids["Bo"])}
    assert not ballot.result["count"].get("constrained")


def test_a_gender_minimum_stored_on_the_ballot_changes_the_elected(db, make_ballot, open_ballot, cast, close, voter,
                                                                    be):
    ballot, ids = _voted_stv(db, make_ballot, open_ballot, cast, voter, be, constraints=True)
    close(ballot)
    outcome = ballot.result["count"]
    assert set(outcome["elected"]) == {str(ids["Al"]), str(ids["Cy"])}
    assert outcome["constrained"] is True
    actions = [a for stage in outcome["stages"] for a in stage.get("constraint_actions", [])]
    assert actions and actions[0]["kind"] == "minimum_needed" and actions[0]["candidates"] == [str(ids["Bo"])]
