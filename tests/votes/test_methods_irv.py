"""Instant-runoff voting (governance.votes.methods.irv), hand-worked round by round."""
from __future__ import annotations

import json

import pytest

from governance.votes.methods import LotRequired, count_irv, count_plurality, lot_order


def rounds(result):
    return [(r.number, r.tallies, r.exhausted, r.elected, r.excluded, r.transfers, r.exhausted_now)
            for r in result.rounds]


def test_a_majority_of_first_preferences_wins_in_round_one():
    result = count_irv([(("A", "B"), 6), (("B",), 3), (("C", "B"), 2)], ["A", "B", "C"])
    assert result.winner == "A" and result.elected == ("A",)
    [only] = result.rounds
    assert (only.tallies, only.counted, only.majority, only.reason) == ({"A": 6, "B": 3, "C": 2}, 11, 6, "majority")


def test_transfers_and_exhausted_ballots_round_by_round():
    ballots = [(("A",), 8), (("B", "A"), 5), (("B", "C"), 2), (("C", "B"), 6), (("D", "C"), 3), (("D",), 1)]
    result = count_irv(ballots, ["A", "B", "C", "D"])
    assert rounds(result) == [
        (1, {"A": 8, "B": 7, "C": 6, "D": 4}, 0, None, "D", {"C": 3}, 1),
        (2, {"A": 8, "B": 7, "C": 9}, 1, None, "B", {"A": 5, "C": 2}, 0),
        (3, {"A": 13, "C": 11}, 1, "A", None, {}, 0),
    ]
    assert result.rounds[1].counted == 24 and result.rounds[1].majority == 13
    assert result.exhausted == 1 and result.valid == 25


def test_the_majority_counts_only_ballots_still_in_play():
    # round 2: A 5 of 9 ballots in play (3 exhausted) is a majority, although 5 of 12 valid is not
    ballots = [(("A",), 5), (("B",), 4), (("C",), 3)]
    result = count_irv(ballots, ["A", "B", "C"])
    assert [(r.tallies, r.counted, r.majority, r.elected) for r in result.rounds] == [
        ({"A": 5, "B": 4, "C": 3}, 12, 7, None), ({"A": 5, "B": 4}, 9, 5, "A")]
    assert result.exhausted == 3


def test_a_candidate_with_no_vote_is_excluded_first():
    result = count_irv([(("A",), 3), (("B",), 2), (("C", "B"), 1)], ["A", "B", "C", "Nobody"])
    assert result.rounds[0].tallies == {"A": 3, "B": 2, "C": 1, "Nobody": 0}
    assert result.rounds[0].excluded == "Nobody" and result.rounds[0].transfers == {}
    assert [r.excluded for r in result.rounds] == ["Nobody", "C", "B", None]
    assert result.winner == "A"


def test_tie_for_fewest_votes_is_broken_by_the_most_recent_round_where_they_differ():
    # round 2: B and C both 4; in round 1 C had 3 and B 4, so C is excluded
    ballots = [(("A",), 6), (("B",), 4), (("C",), 3), (("D", "C"), 1)]
    result = count_irv(ballots, ["A", "B", "C", "D"])
    second = result.rounds[1]
    assert second.tallies == {"A": 6, "B": 4, "C": 4} and second.excluded == "C"
    assert (second.tie_break.rule, second.tie_break.decided_by_stage) == ("earlier_stage", 1)
    assert second.reason == "fewest votes, tie broken by an earlier round"


def test_three_way_tie_reads_earlier_rounds_as_droop_does():
    """Same figures as the STV test: X = Y = Z in round 3; round 2 has X = Y lowest (not decisive); round 1
    has Z alone lowest, so Z is excluded (Droop's reading; OpenSTV's narrowing would exclude X)."""
    ballots = [(("X",), 10), (("Y",), 11), (("Z", "X"), 9), (("Q", "Z", "X"), 3), (("Q", "X"), 1),
               (("P", "X"), 1), (("P", "Y"), 1), (("P",), 3)]
    result = count_irv(ballots, ["X", "Y", "Z", "P", "Q"])
    assert [r.excluded for r in result.rounds] == ["Q", "P", "Z", None]
    assert result.rounds[2].tie_break.decided_by_stage == 1
    assert result.winner == "X"


def test_a_tie_in_every_round_is_drawn_by_lot_from_the_seed():
    ballots = [(("A",), 4), (("B", "A"), 2), (("C", "A"), 2)]
    with pytest.raises(LotRequired):
        count_irv(ballots, ["A", "B", "C"])
    result = count_irv(ballots, ["A", "B", "C"], seed="2026-spring")
    first = result.rounds[0]
    assert first.excluded == lot_order("2026-spring", ["B", "C"])[0]
    assert first.tie_break.seed == "2026-spring" and first.reason == "fewest votes, tie broken by lot"
    assert result.lot_used and result.winner == "A"


def test_final_two_tied_is_decided_by_an_earlier_round():
    # round 2: A 5, B 5; in round 1 A had 5 and B 4, so B is excluded and A wins
    ballots = [(("A",), 5), (("B",), 4), (("C", "B"), 1)]
    result = count_irv(ballots, ["A", "B", "C"])
    assert result.rounds[1].tallies == {"A": 5, "B": 5}
    assert result.rounds[1].excluded == "B" and result.winner == "A"


def test_single_candidate_and_blank_ballots():
    result = count_irv([(("A",), 3), ((), 2)], ["A"])
    assert (result.winner, result.valid, result.blank) == ("A", 3, 2)


def test_no_valid_ballot_elects_nobody():
    result = count_irv([((), 4)], ["A", "B"])
    assert result.winner is None and result.rounds == () and result.elected == ()


def test_irv_elects_the_plurality_winner_when_that_candidate_has_a_majority():
    ballots = [(("A", "C"), 51), (("B", "C"), 30), (("C", "B"), 19)]
    firsts = {"A": 51, "B": 30, "C": 19}
    assert count_irv(ballots, ["A", "B", "C"]).winner == count_plurality(firsts).winner == "A"


def test_result_is_json_ready():
    ballots = [(("A",), 8), (("B", "A"), 5), (("C", "B"), 6), (("D",), 1)]
    data = json.loads(json.dumps(count_irv(ballots, ["A", "B", "C", "D"]).to_dict()))
    assert data["method"] == "irv" and data["elected"] == [data["winner"]]
    assert data["rounds"][0]["excluded"] == "D" and data["rounds"][0]["exhausted_now"] == 1
