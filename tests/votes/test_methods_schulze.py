"""The Schulze method (governance.votes.methods.schulze): Condorcet cycles, strongest paths, ties."""
from __future__ import annotations

import json

import pytest

from governance.votes.methods import LotRequired, count_schulze, lot_order

# the classic example (Schulze's paper; Wikipedia "Schulze method"): 45 voters, 5 candidates
CLASSIC = [(("A", "C", "B", "E", "D"), 5), (("A", "D", "E", "C", "B"), 5), (("B", "E", "D", "A", "C"), 8),
           (("C", "A", "B", "E", "D"), 3), (("C", "A", "E", "B", "D"), 7), (("C", "B", "A", "D", "E"), 2),
           (("D", "C", "E", "B", "A"), 7), (("E", "B", "A", "D", "C"), 8)]


def test_classic_45_voter_example_winner_e_ranking_e_a_c_b_d():
    result = count_schulze(CLASSIC, ["A", "B", "C", "D", "E"])
    assert result.valid == 45 and result.winner == "E"
    assert result.ranking == (("E",), ("A",), ("C",), ("B",), ("D",))
    assert result.pairwise == {
        "A": {"B": 20, "C": 26, "D": 30, "E": 22}, "B": {"A": 25, "C": 16, "D": 33, "E": 18},
        "C": {"A": 19, "B": 29, "D": 17, "E": 24}, "D": {"A": 15, "B": 12, "C": 28, "E": 14},
        "E": {"A": 23, "B": 27, "C": 21, "D": 31}}
    assert result.strongest_paths == {
        "A": {"B": 28, "C": 28, "D": 30, "E": 24}, "B": {"A": 25, "C": 28, "D": 33, "E": 24},
        "C": {"A": 25, "B": 29, "D": 29, "E": 24}, "D": {"A": 25, "B": 28, "C": 28, "E": 24},
        "E": {"A": 25, "B": 28, "C": 28, "D": 31}}


def test_a_condorcet_winner_wins():
    # B beats A (6-4) and C (7-3) head to head although A has the most first preferences
    ballots = [(("A", "B", "C"), 4), (("B", "C", "A"), 3), (("C", "B", "A"), 3)]
    result = count_schulze(ballots, ["A", "B", "C"])
    assert result.winner == "B"
    assert result.ranking == (("B",), ("C",), ("A",))


def test_a_cycle_is_resolved_by_the_strongest_paths():
    # A>B 6-3, B>C 7-2, C>A 5-4: the weakest defeat (C over A, 5) is overruled
    ballots = [(("A", "B", "C"), 4), (("B", "C", "A"), 3), (("C", "A", "B"), 2)]
    result = count_schulze(ballots, ["A", "B", "C"])
    assert result.pairwise["A"]["B"] == 6 and result.pairwise["B"]["C"] == 7 and result.pairwise["C"]["A"] == 5
    assert result.winner == "A" and result.ranking == (("A",), ("B",), ("C",))


def test_a_perfectly_symmetric_cycle_is_a_tie_drawn_by_lot():
    ballots = [(("A", "B", "C"), 1), (("B", "C", "A"), 1), (("C", "A", "B"), 1)]
    with pytest.raises(LotRequired) as error:
        count_schulze(ballots, ["A", "B", "C"])
    assert error.value.purpose == "winner"
    result = count_schulze(ballots, ["A", "B", "C"], seed="s33d")
    assert result.ranking == (("A", "B", "C"),)
    assert result.winner == lot_order("s33d", "ABC")[0] and result.lot_used
    assert result.tie_breaks[0].tied == ("A", "B", "C")


def test_unranked_candidates_come_after_every_ranked_one_and_are_equal_to_each_other():
    result = count_schulze([(("B",), 2), (("A", "C"), 1)], ["A", "B", "C"])
    assert result.pairwise["B"] == {"A": 2, "C": 2}
    assert result.pairwise["A"] == {"B": 1, "C": 1}
    assert result.pairwise["C"] == {"A": 0, "B": 1}
    assert result.winner == "B"


def test_ties_below_the_first_place_are_reported_not_broken():
    result = count_schulze([(("A",), 3)], ["A", "B", "C"])
    assert result.winner == "A" and result.ranking == (("A",), ("B", "C"))
    assert result.tie_breaks == ()


def test_single_candidate_blank_ballots_and_no_valid_ballot():
    assert count_schulze([(("A",), 1), ((), 2)], ["A"]).winner == "A"
    empty = count_schulze([((), 2)], ["A", "B"])
    assert empty.winner is None and empty.blank == 2 and empty.ranking == (("A", "B"),)


def test_result_is_json_ready():
    data = json.loads(json.dumps(count_schulze(CLASSIC, ["A", "B", "C", "D", "E"]).to_dict()))
    assert data["method"] == "schulze" and data["elected"] == ["E"]
    assert data["ranking"] == [["E"], ["A"], ["C"], ["B"], ["D"]]
    assert data["strongest_paths"]["E"]["D"] == 31
