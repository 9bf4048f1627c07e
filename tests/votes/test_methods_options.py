"""Yes/no/abstain, single choice and approval (non-ranked counting methods)."""
from __future__ import annotations

import json

import pytest

from governance.votes.methods import CountError, LotRequired, count_approval, count_plurality, count_yna, \
    lot_order


# --- yes / no / abstain ----------------------------------------------------------------------------
def test_yna_totals_and_valid():
    result = count_yna({"yes": 120, "no": 80, "abstain": 15})
    assert (result.yes, result.no, result.abstain, result.valid) == (120, 80, 15, 215)
    assert result.to_dict() == {"method": "yna", "totals": {"yes": 120, "no": 80, "abstain": 15}, "valid": 215}


def test_yna_missing_options_count_zero():
    assert count_yna({"no": 3}).totals == {"yes": 0, "no": 3, "abstain": 0}


@pytest.mark.parametrize("counts", [{"maybe": 1}, {"yes": -1}, {"yes": 1.0}, {"yes": True}, ["yes"]])
def test_yna_refuses_what_it_cannot_count(counts):
    with pytest.raises(CountError):
        count_yna(counts)


# --- single choice ---------------------------------------------------------------------------------
def test_plurality_most_votes_wins_and_unvoted_options_are_listed():
    result = count_plurality({"Lyon": 40, "Gent": 55}, options=["Gent", "Lyon", "Graz"])
    assert result.winner == "Gent" and result.elected == ("Gent",)
    assert result.totals == {"Gent": 55, "Lyon": 40, "Graz": 0}
    assert result.ranking == (("Gent", 55), ("Lyon", 40), ("Graz", 0))
    assert result.valid == 95


def test_plurality_votes_for_an_option_not_on_the_ballot_are_refused():
    with pytest.raises(CountError, match="not on the ballot"):
        count_plurality({"Gent": 1, "Paris": 2}, options=["Gent", "Lyon"])


def test_plurality_tie_for_the_seat_needs_the_seed():
    counts = {"A": 10, "B": 10, "C": 3}
    with pytest.raises(LotRequired) as error:
        count_plurality(counts)
    assert error.value.tied == ("A", "B")
    result = count_plurality(counts, seed="xyz")
    assert result.winner == lot_order("xyz", ["A", "B"])[0]
    assert result.lot_used and result.tie_breaks[0].seed == "xyz"


def test_plurality_equal_votes_that_do_not_cross_the_last_seat_decide_nothing():
    result = count_plurality({"A": 10, "B": 4, "C": 4})
    assert result.winner == "A" and result.tie_breaks == ()
    assert result.ranking == (("A", 10), ("B", 4), ("C", 4))


def test_plurality_several_seats_and_a_tie_across_the_last_one():
    result = count_plurality({"A": 9, "B": 5, "C": 5, "D": 5, "E": 1}, seats=2, seed="2")
    drawn = lot_order("2", ["B", "C", "D"])
    assert result.elected == ("A", drawn[0]) and result.winner is None
    assert len(result.tie_breaks) == 1 and result.tie_breaks[0].lot_order == drawn
    two = count_plurality({"A": 9, "B": 5, "C": 5, "D": 5}, seats=3, seed="2")
    assert two.elected == ("A", *lot_order("2", ["B", "C", "D"])[:2])


def test_an_option_without_votes_is_never_elected():
    result = count_plurality({"A": 3, "B": 0}, seats=2)
    assert result.elected == ("A",) and result.vacant == 1
    nothing = count_plurality({"A": 0, "B": 0})
    assert nothing.elected == () and nothing.winner is None


def test_plurality_seats_must_be_a_positive_whole_number():
    with pytest.raises(CountError):
        count_plurality({"A": 1}, seats=0)


# --- approval --------------------------------------------------------------------------------------
def test_approval_most_approvals_win():
    result = count_approval({"Ana": 30, "Ben": 41, "Cara": 41, "Dev": 12}, seats=2, ballots=70, max_choices=2)
    assert result.elected == ("Ben", "Cara") and result.tie_breaks == ()
    assert result.valid == 70 and result.max_choices == 2


def test_approval_totals_are_checked_against_ballots_and_k():
    with pytest.raises(CountError, match="more approvals than ballots"):
        count_approval({"A": 11}, ballots=10)
    with pytest.raises(CountError, match="cannot come from"):
        count_approval({"A": 10, "B": 10, "C": 1}, ballots=10, max_choices=2)


def test_approval_tie_for_the_last_seat_is_drawn_by_lot():
    result = count_approval({"A": 5, "B": 5, "C": 5}, seats=2, seed="k")
    assert result.elected == lot_order("k", "ABC")[:2]


def test_results_are_json_ready():
    for result in (count_plurality({"A": 2, "B": 2}, seed="s"), count_approval({"A": 1}, ballots=1)):
        data = json.loads(json.dumps(result.to_dict()))
        assert data["elected"] and data["ranking"][0]["option"] in ("A", "B")
