"""Scottish STV (governance.votes.methods.stv) against STV-RULES.md, stage by stage, and a real election."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from governance.votes.methods import LotRequired, count_stv, lot_order
from governance.votes.methods.files import read_blt

DATA = Path(__file__).parent / "data"
D = Decimal

ANA, BEN, CARA, DEV, ELI, FAY = "Ana", "Ben", "Cara", "Dev", "Eli", "Fay"
EXAMPLE_1 = [((ANA, BEN, CARA), 6), ((ANA, CARA), 3), ((ANA,), 2), ((BEN, DEV), 3), ((BEN, ELI), 2),
             ((CARA, FAY), 2), ((CARA, ELI, DEV), 2), ((DEV, ELI, CARA), 3), ((ELI, DEV), 2), ((FAY, ELI), 2)]
CANDIDATES_1 = [ANA, BEN, CARA, DEV, ELI, FAY]

WIL, XIA, YAN, ZOE = "Wil", "Xia", "Yan", "Zoe"
EXAMPLE_2 = [((WIL, XIA), 1), ((XIA,), 2), ((YAN, ZOE), 3), ((ZOE,), 5)]
CANDIDATES_2 = [WIL, XIA, YAN, ZOE]


def totals(stage) -> list[str]:
    return [str(value) for value in stage.totals.values()]


def test_worked_example_1_every_stage_as_droop_counts_it():
    result = count_stv(EXAMPLE_1, CANDIDATES_1, 3)
    assert (result.valid, result.quota) == (27, 7)
    assert result.elected == (ANA, BEN, ELI)
    table = [(s.number, s.action, s.candidate, totals(s), str(s.non_transferable), str(s.loss), s.elected)
             for s in result.stages]
    assert table == [
        (1, "first_count", None, ["11.00000", "5.00000", "4.00000", "3.00000", "2.00000", "2.00000"],
         "0.00000", "0.00000", (ANA,)),
        (2, "surplus", ANA, ["7.00000", "7.18178", "5.09089", "3.00000", "2.00000", "2.00000"],
         "0.72726", "0.00007", (BEN,)),
        (3, "surplus", BEN, ["7.00000", "7.00000", "5.14609", "3.07593", "2.05062", "2.00000"],
         "0.72726", "0.00010", ()),
        (4, "exclusion", FAY, ["7.00000", "7.00000", "5.14609", "3.07593", "4.05062", "0.00000"],
         "0.72726", "0.00010", ()),
        (5, "exclusion", DEV, ["7.00000", "7.00000", "5.14609", "0.00000", "7.05062", "0.00000"],
         "0.80319", "0.00010", (ELI,)),
    ]
    assert [s.elected_reason for s in result.stages if s.elected] == [{ANA: "quota"}, {BEN: "quota"}, {ELI: "quota"}]
    assert result.tie_breaks == () and not result.lot_used


def test_worked_example_1_how_the_numbers_arise():
    stages = count_stv(EXAMPLE_1, CANDIDATES_1, 3).stages
    # stage 2: TV = trunc(4 × 1 / 11) = 0.36363; the 2 "Ana" papers are non-transferable
    two = stages[1]
    assert two.surplus == D("4.00000")
    assert [(t.value, t.transfer_value, t.papers) for t in two.transfer_values] == [(D("1.00000"), D("0.36363"), 11)]
    assert two.transfers == {BEN: D("2.18178"), CARA: D("1.09089")}
    assert two.non_transferable_now == D("0.72726") and two.papers_moved == 11
    # stage 3: Ben's own papers at TV 0.02531, the papers he got from Ana at 0.00920, on to Cara
    three = stages[2]
    assert three.surplus == D("0.18178")
    assert [(t.value, t.transfer_value, t.papers) for t in three.transfer_values] == [
        (D("1.00000"), D("0.02531"), 5), (D("0.36363"), D("0.00920"), 6)]
    assert three.transfers == {CARA: D("0.05520"), DEV: D("0.07593"), ELI: D("0.05062")}
    # stage 4: Fay's 2 papers to Eli at value 1; stage 5: Dev's 3 to Eli, the 3 Ben>Dev papers are exhausted
    assert stages[3].transfers == {ELI: D("2.00000")} and stages[3].non_transferable_now == 0
    assert stages[4].transfers == {ELI: D("3.00000")} and stages[4].non_transferable_now == D("0.07593")
    # Eli's surplus is never transferred: all seats are filled
    last = stages[-1]
    assert sum(last.totals.values()) + last.non_transferable + last.loss == 27


def test_worked_example_2_zero_transfers_tie_by_earlier_stage_and_last_vacancy():
    result = count_stv(EXAMPLE_2, CANDIDATES_2, 2)
    assert (result.valid, result.quota, result.elected) == (11, 4, (ZOE, YAN))
    table = [(s.number, s.action, s.candidate, totals(s), str(s.non_transferable), s.elected) for s in result.stages]
    assert table == [
        (1, "first_count", None, ["1.00000", "2.00000", "3.00000", "5.00000"], "0.00000", (ZOE,)),
        (2, "surplus", ZOE, ["1.00000", "2.00000", "3.00000", "4.00000"], "1.00000", ()),
        (3, "exclusion", WIL, ["0.00000", "3.00000", "3.00000", "4.00000"], "1.00000", ()),
        (4, "exclusion", XIA, ["0.00000", "0.00000", "3.00000", "4.00000"], "4.00000", (YAN,)),
    ]
    # all 5 of Zoe's papers are non-transferable at TV 0.20000
    assert [(t.transfer_value, t.papers) for t in result.stages[1].transfer_values] == [(D("0.20000"), 5)]
    tie = result.stages[3].tie_break
    assert (tie.purpose, tie.tied, tie.chosen, tie.rule, tie.decided_by_stage) == (
        "exclude", (XIA, YAN), XIA, "earlier_stage", 2)
    assert result.stages[3].elected_reason == {YAN: "last_vacancies"}  # below the quota (rule 52)
    assert result.tie_breaks == (tie,) and not result.lot_used


@pytest.mark.parametrize(("valid", "seats", "quota"), [(27, 3, 7), (100000, 5, 16667), (11, 2, 4), (10, 1, 6)])
def test_quota_is_the_droop_quota_fixed_for_the_count(valid, seats, quota):
    rankings = [(("A",), valid - valid // 2), (("B", "C"), valid // 2)]
    assert count_stv(rankings, list("ABCDEFGH"), seats, seed="s").quota == quota


def test_blank_papers_are_not_valid_and_do_not_count_in_the_quota():
    result = count_stv([*EXAMPLE_1, ((), 5)], CANDIDATES_1, 3)
    assert (result.valid, result.blank, result.quota) == (27, 5, 7)
    assert result.elected == (ANA, BEN, ELI)


def test_exactly_the_quota_means_no_surplus_stage():
    # 9 papers, 2 seats: quota 4. A reaches it exactly: the next stage excludes, it does not transfer
    result = count_stv([(("A", "B"), 4), (("B",), 2), (("C",), 2), (("D", "B"), 1)], ["A", "B", "C", "D"], 2)
    assert result.quota == 4
    assert [(s.action, s.candidate) for s in result.stages] == [
        ("first_count", None), ("exclusion", "D"), ("exclusion", "C")]
    assert result.elected == ("A", "B")
    assert result.stages[-1].elected_reason == {"B": "last_vacancies"}


def test_the_largest_surplus_goes_first_whenever_its_owner_was_elected():
    # A and B both elected at stage 1, B with the larger surplus: B's surplus is transferred first
    rankings = [(("A", "C"), 8), (("B", "D"), 10), (("C",), 3), (("D",), 2), (("E",), 1)]
    result = count_stv(rankings, ["A", "B", "C", "D", "E"], 3)
    assert result.quota == 7
    assert result.stages[0].elected == ("B", "A")  # most votes first
    assert [(s.action, s.candidate) for s in result.stages[1:3]] == [("surplus", "B"), ("surplus", "A")]


def test_a_candidate_with_no_vote_is_excluded_in_a_stage_of_its_own():
    result = count_stv(EXAMPLE_2, ["Vic", *CANDIDATES_2], 2)
    assert result.elected == (ZOE, YAN)
    assert [(s.action, s.candidate, s.papers_moved) for s in result.stages] == [
        ("first_count", None, 0), ("surplus", ZOE, 5), ("exclusion", "Vic", 0), ("exclusion", WIL, 1),
        ("exclusion", XIA, 3)]
    # Xia and Yan tie at 3 after stage 4; at stage 3 Xia had 2, Yan 3
    assert result.stages[-1].tie_break.decided_by_stage == 3


def test_three_way_tie_uses_droops_reading_not_openstvs_narrowing():
    """Tie X = Y = Z after stage 3. Stage 2: X = Y = 11 < Z = 12 (two share the fewest: not decisive in
    Droop's reading). Stage 1: Z = 9 < X = 10 < Y = 11: Z alone has the fewest, so Droop's reading excludes Z.
    OpenSTV's narrowing would keep {X, Y} from stage 2 and exclude X at stage 1."""
    rankings = [(("X",), 10), (("Y",), 11), (("Z", "X"), 9), (("Q", "Z", "X"), 3), (("Q", "X"), 1),
                (("P", "X"), 1), (("P", "Y"), 1), (("P",), 3)]
    result = count_stv(rankings, ["X", "Y", "Z", "P", "Q"], 1)
    assert [(s.action, s.candidate) for s in result.stages] == [
        ("first_count", None), ("exclusion", "Q"), ("exclusion", "P"), ("exclusion", "Z")]
    assert [str(result.stages[2].totals[c]) for c in "XYZ"] == ["12.00000"] * 3
    tie = result.stages[3].tie_break
    assert (tie.tied, tie.chosen, tie.rule, tie.decided_by_stage) == (("X", "Y", "Z"), "Z", "earlier_stage", 1)
    assert result.elected == ("X",)


def test_a_tie_equal_at_every_stage_needs_the_seed_and_records_the_lot():
    rankings = [(("A",), 3), (("B", "A"), 2), (("C", "A"), 2)]
    with pytest.raises(LotRequired) as error:
        count_stv(rankings, ["A", "B", "C"], 1)
    assert error.value.tied == ("B", "C") and error.value.purpose == "exclude"

    result = count_stv(rankings, ["A", "B", "C"], 1, seed="ballot-42")
    drawn = lot_order("ballot-42", ["B", "C"])[0]
    tie = result.stages[1].tie_break
    assert (tie.rule, tie.chosen, tie.seed, tie.lot_order) == ("lot", drawn, "ballot-42", lot_order("ballot-42", "BC"))
    assert result.stages[1].candidate == drawn and result.lot_used and result.seed == "ballot-42"
    assert result.elected == ("A",)


def test_a_tie_between_surpluses_is_broken_by_earlier_stages():
    # quota 14; excluding X brings A and B to 15 each at stage 2 (equal surpluses); at stage 1 B had 11, A 10
    rankings = [(("A",), 10), (("X", "A"), 5), (("B", "C"), 11), (("X", "B", "C"), 4), (("C",), 12), (("D",), 13)]
    result = count_stv(rankings, ["A", "B", "X", "C", "D"], 3)
    assert result.quota == 14
    assert result.stages[1].elected == ("A", "B")  # equal votes: ballot order
    third = result.stages[2]
    assert (third.action, third.candidate) == ("surplus", "B")
    assert (third.tie_break.purpose, third.tie_break.rule, third.tie_break.decided_by_stage) == (
        "surplus", "earlier_stage", 1)
    assert (result.stages[3].action, result.stages[3].candidate) == ("surplus", "A")
    assert result.elected == ("A", "B", "D")


def test_non_transferable_papers_are_reported():
    result = count_stv(EXAMPLE_1, CANDIDATES_1, 3)
    assert result.non_transferable == D("0.80319")
    assert result.non_transferable_papers == 5  # 2 "Ana" papers, 3 Ben>Dev papers
    assert result.loss == D("0.00010")


@pytest.mark.parametrize("seats", [3, 4])
def test_no_more_candidates_than_seats_is_uncontested(seats):
    result = count_stv([(("A", "B"), 4), (("C",), 1)], ["A", "B", "C"], seats)
    assert result.uncontested and result.elected == ("A", "B", "C") and result.stages == ()
    assert result.vacant == seats - 3


def test_a_single_candidate_for_one_seat_is_uncontested():
    result = count_stv([(("A",), 4)], ["A"], 1)
    assert result.uncontested and result.elected == ("A",)


def test_no_valid_paper_elects_nobody():
    result = count_stv([((), 3)], ["A", "B", "C"], 1)
    assert result.elected == () and result.stages == () and result.blank == 3


def test_every_seat_is_filled_even_when_papers_exhaust():
    # only bullet votes: nobody but A reaches the quota; the last vacancies are filled by rule 52
    result = count_stv([(("A",), 10), (("B",), 3), (("C",), 2), (("D",), 1)], list("ABCD"), 3)
    assert result.quota == 5
    assert result.elected == ("A", "B", "C")
    assert result.stages[-1].elected_reason == {"B": "last_vacancies", "C": "last_vacancies"}


def test_result_is_json_ready_with_exact_decimal_strings():
    data = json.loads(json.dumps(count_stv(EXAMPLE_1, CANDIDATES_1, 3).to_dict()))
    assert data["method"] == "stv" and data["elected"] == [ANA, BEN, ELI] and data["quota"] == 7
    assert data["stages"][1]["totals"][BEN] == "7.18178"
    assert data["stages"][2]["transfer_values"][1] == {"value": "0.36363", "transfer_value": "0.00920", "papers": 6}
    assert data["lot_used"] is False and data["vacant"] == 0


def test_real_election_glasgow_2007_linn_ward_gives_the_official_result():
    """Glasgow City Council, 3 May 2007, ward 1 (Linn), 4 seats, counted under SSI 2007/42.
    Official result: David Ritchie (SNP), Sadie Docherty (Lab), John McKenzie (Lab), Margot Clark (LD).
    Source of the ballots and of the result: tests/votes/data/README.md."""
    election = read_blt((DATA / "glasgow-2007-linn.blt").read_text())
    rankings, candidates = election.for_count()
    result = count_stv(rankings, candidates, election.seats)
    assert (election.seats, result.valid, result.quota) == (4, 9567, 1914)
    assert set(result.elected) == {"David Ritchie", "Sadie Docherty", "John McKenzie", "Margot Clark"}
    assert result.elected == ("David Ritchie", "Sadie Docherty", "John McKenzie", "Margot Clark")
    first = result.stages[0].totals
    assert first["David Ritchie"] == 2043 and first["Sadie Docherty"] == 1782
    for stage in result.stages:
        assert sum(stage.totals.values()) + stage.non_transferable + stage.loss == result.valid
    assert result.tie_breaks == ()
