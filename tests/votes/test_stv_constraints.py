"""Scottish STV within balanced-representation constraints (governance.votes.methods.constraints), counted by hand.

Every count that a constraint changes is worked out stage by stage in the comments: papers, quota, totals after
each stage (NT = non-transferable), who is elected or excluded and why. Figures are whole votes unless shown.
"""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from governance.votes.methods import (
    ConstraintAction,
    ConstraintProblem,
    Constraints,
    CountError,
    LotRequired,
    check_feasible,
    count_ballot,
    count_stv,
    describe_problem,
    lot_order,
)

D = Decimal
PROPERTY = settings(max_examples=150, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
SEED = "constraints"


def table(result) -> list[tuple]:
    """Each stage as (number, action, excluded, totals in ballot order, NT, elected)."""
    return [(s.number, s.action, s.excluded, [str(v) for v in s.totals.values()], str(s.non_transferable), s.elected)
            for s in result.stages]


def papers_balance(result) -> None:
    """Candidates' votes + non-transferable + loss = valid papers, at the end of every stage."""
    for stage in result.stages:
        assert sum(stage.totals.values()) + stage.non_transferable + stage.loss == result.valid


def gender(**groups: str) -> dict[str, dict[str, str]]:
    return {"gender": groups}


# --- (a) a gender minimum changes the result -------------------------------------------------------------
AL, BO, CY, DAN, DI, ED = "Al", "Bo", "Cy", "Dan", "Di", "Ed"
A_ROWS = [((AL,), 5), ((BO,), 2), ((BO, CY), 2), ((CY,), 3)]
A_GROUPS = gender(Al="man", Bo="man", Cy="woman")


def test_a_gender_minimum_elects_the_woman_instead_of_the_second_man():
    # 12 papers, 2 seats: quota = floor(12 / 3) + 1 = 5.
    # Without constraints:
    #   stage 1  Al 5, Bo 4, Cy 3            Al reaches the quota exactly: elected (no surplus)
    #   stage 2  exclude Cy (fewest, 3): her 3 papers have no next preference → NT 3
    #            Al 5, Bo 4, Cy 0, NT 3      one continuing candidate (Bo) for one seat: Bo elected (rule 52)
    #   → Al, Bo: two men.
    plain = count_stv(A_ROWS, [AL, BO, CY], 2)
    assert plain.elected == (AL, BO) and not plain.constrained
    assert table(plain) == [
        (1, "first_count", (), ["5.00000", "4.00000", "3.00000"], "0.00000", (AL,)),
        (2, "exclusion", (CY,), ["5.00000", "4.00000", "0.00000"], "3.00000", (BO,)),
    ]
    # With at least 1 woman:
    #   stage 1  Al 5, Bo 4, Cy 3            Al elected. 1 seat left, and the women are 1 short: the seat is
    #                                        needed for a woman (rule 2), so Bo (a man) is barred
    #   stage 2  constraint exclusion of Bo, before anything else: his papers move at value 1:
    #            2 "Bo" → NT, 2 "Bo>Cy" → Cy
    #            Al 5, Bo 0, Cy 5, NT 2      Cy reaches the quota: elected. All seats filled.
    #   → Al, Cy.
    result = count_stv(A_ROWS, [AL, BO, CY], 2, constraints=Constraints(A_GROUPS, minimum={("gender", "woman"): 1}))
    assert result.elected == (AL, CY) and result.constrained
    assert table(result) == [
        (1, "first_count", (), ["5.00000", "4.00000", "3.00000"], "0.00000", (AL,)),
        (2, "constraint_exclusion", (BO,), ["5.00000", "0.00000", "5.00000"], "2.00000", (CY,)),
    ]
    stage = result.stages[1]
    assert stage.candidate is None and stage.transfers == {CY: D("2.00000")} and stage.papers_moved == 4
    assert stage.constraint_actions == (ConstraintAction(
        kind="minimum_needed", effect="excluded", category="gender", group=None, candidates=(BO,),
        short_groups=("woman",)),)
    assert result.stages[0].constraint_actions == () and stage.elected_reason == {CY: "quota"}
    papers_balance(result)


# --- (b) a branch maximum excludes a candidate who would otherwise win ------------------------------------
AN, BEA, COL, DEE, DOT = "An", "Bea", "Col", "Dee", "Dot"


def test_b_a_branch_maximum_excludes_the_candidate_who_would_win():
    rows = [((AN, BEA), 5), ((AN,), 1), ((BEA,), 3), ((COL,), 3)]
    groups = {"branch": {AN: "BE", BEA: "BE", COL: "FR"}}
    # 12 papers, 2 seats: quota 5.
    # Without constraints:
    #   stage 1  An 6, Bea 3, Col 3                      An elected (surplus 1)
    #   stage 2  An's surplus: TV = trunc(1 × 1 / 6) = 0.16666; 5 "An>Bea" → Bea +0.83330; 1 "An" → NT 0.16666;
    #            loss 1 − 0.99996 = 0.00004
    #            An 5, Bea 3.83330, Col 3, NT 0.16666
    #   stage 3  exclude Col (3): NT +3; Bea is the last continuing candidate for the last seat: elected
    #   → An, Bea (both from BE).
    plain = count_stv(rows, [AN, BEA, COL], 2)
    assert plain.elected == (AN, BEA)
    assert table(plain)[1] == (2, "surplus", (), ["5.00000", "3.83330", "3.00000"], "0.16666", ())
    # With at most 1 from BE:
    #   stage 1  An 6, Bea 3, Col 3                      An elected: BE has reached its maximum, Bea is barred
    #   stage 2  constraint exclusion of Bea, BEFORE An's surplus is transferred: her 3 papers → NT
    #            An 6, Bea 0, Col 3, NT 3                Col alone continues for the last seat: elected (rule 52);
    #                                                    An's surplus is never transferred
    #   → An, Col.
    result = count_stv(rows, [AN, BEA, COL], 2, constraints=Constraints(groups, maximum={("branch", "BE"): 1}))
    assert result.elected == (AN, COL)
    assert table(result) == [
        (1, "first_count", (), ["6.00000", "3.00000", "3.00000"], "0.00000", (AN,)),
        (2, "constraint_exclusion", (BEA,), ["6.00000", "0.00000", "3.00000"], "3.00000", (COL,)),
    ]
    assert result.stages[1].elected_reason == {COL: "last_vacancies"}
    assert result.stages[1].constraint_actions == (ConstraintAction(
        kind="maximum_reached", effect="excluded", category="branch", group="BE", candidates=(BEA,)),)
    papers_balance(result)


def test_b_reaching_the_quota_does_not_elect_a_candidate_whose_group_is_full():
    rows = [((AN,), 8), ((BEA, COL), 7), ((COL, DEE), 3), ((DEE,), 2)]
    groups = {"branch": {AN: "BE", BEA: "BE", COL: "FR", DEE: "FR"}}
    # 20 papers, 2 seats: quota 7. Without constraints An (8) and Bea (7) are both elected at stage 1.
    assert count_stv(rows, [AN, BEA, COL, DEE], 2).elected == (AN, BEA)
    # With at most 1 from BE:
    #   stage 1  An 8, Bea 7, Col 3, Dee 2   both reach the quota; most votes first: An elected; BE is then full,
    #                                        so Bea is barred and NOT elected (she keeps her papers this stage)
    #   stage 2  constraint exclusion of Bea: 7 "Bea>Col" → Col at value 1
    #            An 8, Bea 0, Col 10, Dee 2  Col elected by quota; all seats filled
    result = count_stv(rows, [AN, BEA, COL, DEE], 2, constraints=Constraints(groups, maximum={("branch", "BE"): 1}))
    assert result.elected == (AN, COL)
    assert table(result) == [
        (1, "first_count", (), ["8.00000", "7.00000", "3.00000", "2.00000"], "0.00000", (AN,)),
        (2, "constraint_exclusion", (BEA,), ["8.00000", "0.00000", "10.00000", "2.00000"], "0.00000", (COL,)),
    ]
    held = ConstraintAction(kind="maximum_reached", effect="not_elected", category="branch", group="BE",
                            candidates=(BEA,))
    assert result.stages[0].constraint_actions == (held,)
    assert result.stages[1].constraint_actions[0].effect == "excluded"
    assert result.stages[0].elect_tie_break is None  # 8 and 7: no tie to break


def test_b_equal_votes_at_the_quota_in_a_full_group_are_decided_like_any_tie():
    rows = [((AN,), 8), ((BEA,), 8), ((COL,), 4), ((DOT,), 3)]
    groups = {"branch": {AN: "BE", BEA: "BE", COL: "FR", DOT: "FR"}}
    constraints = Constraints(groups, maximum={("branch", "BE"): 1})
    # 23 papers, 2 seats: quota 8. An and Bea both have 8 at stage 1: only one of them may be elected, and no
    # earlier stage decides → lot (purpose "elect"), which needs the seed
    with pytest.raises(LotRequired) as error:
        count_stv(rows, [AN, BEA, COL, DOT], 2, constraints=constraints)
    assert error.value.tied == (AN, BEA) and error.value.purpose == "elect"
    result = count_stv(rows, [AN, BEA, COL, DOT], 2, seed="b-42", constraints=constraints)
    drawn = lot_order("b-42", [AN, BEA])[0]
    tie = result.stages[0].elect_tie_break
    assert (tie.purpose, tie.rule, tie.chosen) == ("elect", "lot", drawn)
    assert result.stages[0].elected == (drawn,) and tie in result.tie_breaks
    # the other is excluded at stage 2 (8 papers → NT), Dot (3) at stage 3, Col takes the last seat
    other = BEA if drawn == AN else AN
    assert result.elected == (drawn, COL)
    assert [s.excluded for s in result.stages] == [(), (other,), (DOT,)]
    papers_balance(result)


# --- (c) protection --------------------------------------------------------------------------------------
def test_c_the_lowest_candidate_is_protected_and_the_next_lowest_is_excluded():
    rows = [((AL,), 7), ((BO,), 6), ((DAN, CY), 5), ((ED, BO), 4), ((CY,), 2)]
    candidates = [AL, BO, DAN, ED, CY]
    groups = gender(Al="man", Bo="man", Dan="man", Ed="man", Cy="woman")
    # 24 papers, 3 seats: quota = floor(24 / 4) + 1 = 7.
    # Without constraints:
    #   stage 1  Al 7, Bo 6, Dan 5, Ed 4, Cy 2   Al elected (exactly the quota)
    #   stage 2  exclude Cy (2) → NT 2
    #   stage 3  exclude Ed (4): 4 "Ed>Bo" → Bo 10: elected; Dan alone left for the last seat: elected
    #   → Al, Bo, Dan.
    plain = count_stv(rows, candidates, 3)
    assert plain.elected == (AL, BO, DAN)
    assert [s.excluded for s in plain.stages] == [(), (CY,), (ED,)]
    # With at least 1 woman:
    #   stage 1  Al 7, Bo 6, Dan 5, Ed 4, Cy 2   Al elected. 2 seats left, women 1 short: nobody is barred
    #   stage 2  the fewest is Cy (2), but she is the only woman left and the women are 1 short: protected.
    #            The lowest unprotected candidate, Ed (4), is excluded: 4 "Ed>Bo" → Bo
    #            Al 7, Bo 10, Dan 5, Ed 0, Cy 2  Bo elected (surplus 3). Now 1 seat left and the women 1 short:
    #                                            Dan is barred (rule 2)
    #   stage 3  constraint exclusion of Dan (before Bo's surplus): 5 "Dan>Cy" → Cy
    #            Al 7, Bo 10, Dan 0, Ed 0, Cy 7  Cy elected by quota; all seats filled
    #   → Al, Bo, Cy.
    result = count_stv(rows, candidates, 3, constraints=Constraints(groups, minimum={("gender", "woman"): 1}))
    assert result.elected == (AL, BO, CY)
    assert table(result) == [
        (1, "first_count", (), ["7.00000", "6.00000", "5.00000", "4.00000", "2.00000"], "0.00000", (AL,)),
        (2, "exclusion", (ED,), ["7.00000", "10.00000", "5.00000", "0.00000", "2.00000"], "0.00000", (BO,)),
        (3, "constraint_exclusion", (DAN,), ["7.00000", "10.00000", "0.00000", "0.00000", "7.00000"], "0.00000",
         (CY,)),
    ]
    assert result.stages[1].candidate == ED
    assert result.stages[1].constraint_actions == (ConstraintAction(
        kind="protected", effect="kept", category="gender", group="woman", candidates=(CY,), excluded_instead=ED),)
    assert result.stages[2].constraint_actions == (ConstraintAction(
        kind="minimum_needed", effect="excluded", category="gender", group=None, candidates=(DAN,),
        short_groups=("woman",)),)
    papers_balance(result)


# --- (d) the "minimum needed" bulk exclusion -------------------------------------------------------------------
def test_d_when_every_seat_left_is_needed_all_other_candidates_go_in_one_stage():
    rows = [((AL, BO), 6), ((BO, CY), 4), ((DAN, DI), 5), ((CY,), 3), ((DI,), 2)]
    candidates = [AL, BO, DAN, CY, DI]
    groups = gender(Al="man", Bo="man", Dan="man", Cy="woman", Di="woman")
    # 20 papers, 3 seats: quota = floor(20 / 4) + 1 = 6.
    # Without constraints:
    #   stage 1  Al 6, Bo 4, Dan 5, Cy 3, Di 2   Al elected (exactly the quota)
    #   stage 2  exclude Di (2) → NT 2
    #   stage 3  exclude Cy (3) → NT 5; Bo and Dan are left for 2 seats: both elected
    #   → Al, Dan, Bo: three men.
    plain = count_stv(rows, candidates, 3)
    assert plain.elected == (AL, DAN, BO)
    # With at least 2 women:
    #   stage 1  Al 6, Bo 4, Dan 5, Cy 3, Di 2   Al elected. 2 seats left, women 2 short: both seats are needed
    #                                            by women, so Bo and Dan are barred (rule 2)
    #   stage 2  ONE constraint exclusion of Bo and Dan together (both stop continuing first, then their papers
    #            move at value 1): 4 "Bo>Cy" → Cy, 5 "Dan>Di" → Di ("Al>Bo" papers stay with Al, who is elected)
    #            Al 6, Bo 0, Dan 0, Cy 7, Di 7  Cy and Di both reach the quota with equal votes; electing both is
    #                                            valid, so both are elected (ballot order); all seats filled
    #   → Al, Cy, Di.
    result = count_stv(rows, candidates, 3, constraints=Constraints(groups, minimum={("gender", "woman"): 2}))
    assert result.elected == (AL, CY, DI)
    assert table(result) == [
        (1, "first_count", (), ["6.00000", "4.00000", "5.00000", "3.00000", "2.00000"], "0.00000", (AL,)),
        (2, "constraint_exclusion", (BO, DAN), ["6.00000", "0.00000", "0.00000", "7.00000", "7.00000"], "0.00000",
         (CY, DI)),
    ]
    stage = result.stages[1]
    assert stage.transfers == {CY: D("4.00000"), DI: D("5.00000")} and stage.papers_moved == 9
    assert stage.constraint_actions == (ConstraintAction(
        kind="minimum_needed", effect="excluded", category="gender", group=None, candidates=(BO, DAN),
        short_groups=("woman",)),)
    assert stage.elect_tie_break is None and result.tie_breaks == ()
    papers_balance(result)


# --- (e) two categories interacting ----------------------------------------------------------------------
E_ROWS = [((AN,), 7), ((BEA,), 4), ((COL, BEA, DOT), 5), ((DOT,), 2)]
E_CANDIDATES = [AN, BEA, COL, DOT]
E_GROUPS = {"gender": {AN: "man", BEA: "woman", COL: "man", DOT: "woman"},
            "branch": {AN: "BE", BEA: "BE", COL: "FR", DOT: "FR"}}
WOMAN_MIN = {("gender", "woman"): 1}
BE_MAX = {("branch", "BE"): 1}


@pytest.mark.parametrize(("minimum", "maximum", "elected"), [
    # 18 papers, 2 seats: quota 7. Stage 1 always: An 7 (elected), Bea 4, Col 5, Dot 2.
    # none: exclude Dot (→ NT), then Bea (→ NT); Col takes the last seat.
    ({}, {}, (AN, COL)),
    # gender only: Col barred (the last seat is needed by a woman); "Col>Bea>Dot" → Bea 9: elected.
    (WOMAN_MIN, {}, (AN, BEA)),
    # branch only: Bea barred (BE full), her 4 papers → NT; then Dot excluded; Col takes the last seat.
    ({}, BE_MAX, (AN, COL)),
    # both: see the next test.
    (WOMAN_MIN, BE_MAX, (AN, DOT)),
])
def test_e_each_category_alone_and_both_together(minimum, maximum, elected):
    result = count_stv(E_ROWS, E_CANDIDATES, 2, constraints=Constraints(E_GROUPS, minimum, maximum))
    assert result.elected == elected
    papers_balance(result)


def test_e_a_gender_minimum_and_a_branch_maximum_act_in_the_same_stage():
    # 18 papers, 2 seats: quota 7; at least 1 woman, at most 1 from BE.
    #   stage 1  An 7, Bea 4, Col 5, Dot 2   An (man, BE) elected. 1 seat left. Checked category by category,
    #                                        maxima first: Bea (woman, BE) is barred because BE is full
    #                                        (rule 1, branch); Col (man, FR) because the last seat is needed by
    #                                        a woman (rule 2, gender); Dot (woman, FR) may still be elected
    #   stage 2  one constraint exclusion of Bea and Col: 4 "Bea" → NT; 5 "Col>Bea>Dot" → Dot (Bea no longer
    #            continues)
    #            An 7, Bea 0, Col 0, Dot 7, NT 4   Dot elected by quota
    result = count_stv(E_ROWS, E_CANDIDATES, 2, constraints=Constraints(E_GROUPS, WOMAN_MIN, BE_MAX))
    assert table(result) == [
        (1, "first_count", (), ["7.00000", "4.00000", "5.00000", "2.00000"], "0.00000", (AN,)),
        (2, "constraint_exclusion", (BEA, COL), ["7.00000", "0.00000", "0.00000", "7.00000"], "4.00000", (DOT,)),
    ]
    assert result.stages[1].constraint_actions == (
        ConstraintAction(kind="maximum_reached", effect="excluded", category="branch", group="BE",
                         candidates=(BEA,)),
        ConstraintAction(kind="minimum_needed", effect="excluded", category="gender", group=None,
                         candidates=(COL,), short_groups=("woman",)),
    )


def test_e_a_candidate_can_be_barred_by_two_categories_together_from_the_first_stage():
    rows = [((AN, BEA), 8), ((BEA,), 2), ((COL,), 4), ((DOT, COL), 3)]
    groups = {"gender": {AN: "man", BEA: "woman", COL: "man", DOT: "man"},
              "branch": {AN: "BE", BEA: "BE", COL: "FR", DOT: "FR"}}
    # At least 1 woman, at most 1 from BE, 2 seats. The only woman, Bea, is from BE: every valid board holds
    # Bea, so it cannot hold An (also BE). Neither rule alone bars An (BE is empty, 2 seats for 1 missing
    # woman), but both together do: "combined_constraints".
    # 17 papers: quota = floor(17 / 3) + 1 = 6.
    # Without constraints: stage 1 An 8 (elected); stage 2 An's surplus 2 at TV 0.25: 8 "An>Bea" → Bea 2 + 2 = 4;
    #   stage 3 exclude Dot (3): "Dot>Col" → Col 7: elected → An, Col.
    assert count_stv(rows, [AN, BEA, COL, DOT], 2).elected == (AN, COL)
    # With both constraints:
    #   stage 1  An 8, Bea 2, Col 4, Dot 3   An reaches the quota but is barred: not elected
    #   stage 2  constraint exclusion of An: 8 "An>Bea" → Bea at value 1
    #            An 0, Bea 10, Col 4, Dot 3  Bea elected (surplus 4)
    #   stage 3  Bea's surplus: TV = trunc(4 × 1 / 10) = 0.4; her 10 papers have no continuing next preference:
    #            NT 4. Bea 6, Col 4, Dot 3
    #   stage 4  exclude Dot (3): "Dot>Col" → Col 7: elected
    #   → Bea, Col.
    result = count_stv(rows, [AN, BEA, COL, DOT], 2, constraints=Constraints(groups, WOMAN_MIN, BE_MAX))
    assert result.elected == (BEA, COL)
    assert table(result) == [
        (1, "first_count", (), ["8.00000", "2.00000", "4.00000", "3.00000"], "0.00000", ()),
        (2, "constraint_exclusion", (AN,), ["0.00000", "10.00000", "4.00000", "3.00000"], "0.00000", (BEA,)),
        (3, "surplus", (), ["0.00000", "6.00000", "4.00000", "3.00000"], "4.00000", ()),
        (4, "exclusion", (DOT,), ["0.00000", "6.00000", "7.00000", "0.00000"], "4.00000", (COL,)),
    ]
    combined = dict(kind="combined_constraints", category=None, group=None, candidates=(AN,))
    assert result.stages[0].constraint_actions == (ConstraintAction(effect="not_elected", **combined),)
    assert result.stages[1].constraint_actions == (ConstraintAction(effect="excluded", **combined),)
    papers_balance(result)


# --- (f) constraints that never bind -----------------------------------------------------------------------------
EXAMPLE_1 = [(("Ana", "Ben", "Cara"), 6), (("Ana", "Cara"), 3), (("Ana",), 2), (("Ben", "Dev"), 3),
             (("Ben", "Eli"), 2), (("Cara", "Fay"), 2), (("Cara", "Eli", "Dev"), 2), (("Dev", "Eli", "Cara"), 3),
             (("Eli", "Dev"), 2), (("Fay", "Eli"), 2)]
CANDIDATES_1 = ["Ana", "Ben", "Cara", "Dev", "Eli", "Fay"]


def test_f_constraints_that_never_bind_give_exactly_the_plain_count():
    # STV-RULES.md worked example 1 elects Ana (woman), Ben, Eli (men): at least 1 woman and at most 2 men are
    # met all along, and no protected candidate is ever the lowest.
    constraints = Constraints(gender(Ana="woman", Ben="man", Cara="woman", Dev="man", Eli="man", Fay="woman"),
                              minimum={("gender", "woman"): 1}, maximum={("gender", "man"): 2})
    plain = count_stv(EXAMPLE_1, CANDIDATES_1, 3)
    result = count_stv(EXAMPLE_1, CANDIDATES_1, 3, constraints=constraints)
    assert result.stages == plain.stages and result.elected == plain.elected == ("Ana", "Ben", "Eli")
    assert not result.constrained and result.constraints is constraints
    assert {k: v for k, v in result.to_dict().items() if k != "constraints"} == \
        {k: v for k, v in plain.to_dict().items() if k != "constraints"}


def test_f_no_constraint_and_constraints_without_bounds_change_nothing():
    plain = count_stv(EXAMPLE_1, CANDIDATES_1, 3)
    assert plain.constraints is None and not plain.constrained and plain.to_dict()["constraints"] is None
    unbounded = count_stv(EXAMPLE_1, CANDIDATES_1, 3, constraints=Constraints(gender(Ana="woman")))
    assert unbounded.stages == plain.stages
    assert all(s.constraint_actions == () for s in plain.stages)
    assert [s.excluded for s in plain.stages] == [(), (), (), ("Fay",), ("Dev",)]


# --- (g) infeasible configurations ------------------------------------------------------------------------------
THREE_MEN_ONE_WOMAN = gender(Al="man", Bo="man", Dan="man", Cy="woman")
FOUR = [AL, BO, DAN, CY]


@pytest.mark.parametrize(("constraints", "seats", "problems"), [
    (Constraints(THREE_MEN_ONE_WOMAN, minimum={("gender", "woman"): 2}), 3,
     [("not_enough_candidates", "gender", "woman", 2, 1)]),
    (Constraints(THREE_MEN_ONE_WOMAN, minimum={("gender", "nonbinary"): 1}), 3,
     [("not_enough_candidates", "gender", "nonbinary", 1, 0)]),
    (Constraints(THREE_MEN_ONE_WOMAN, minimum={("gender", "woman"): 1, ("gender", "man"): 2}), 2,
     [("minimums_exceed_seats", "gender", None, 3, 2)]),
    (Constraints(THREE_MEN_ONE_WOMAN, minimum={("gender", "man"): 2}, maximum={("gender", "man"): 1}), 2,
     [("minimum_above_maximum", "gender", "man", 2, 1)]),
    # 3 seats, at most 1 man: 1 man + 1 woman = 2 seats at most
    (Constraints(THREE_MEN_ONE_WOMAN, maximum={("gender", "man"): 1}), 3,
     [("maximums_below_seats", "gender", None, 3, 2)]),
    # as many seats as candidates (uncontested): the board is every candidate, which breaks the maximum
    (Constraints(THREE_MEN_ONE_WOMAN, maximum={("gender", "man"): 2}), 4,
     [("maximums_below_seats", "gender", None, 4, 3)]),
    # each category can be met alone, not both: the only woman is not from BE
    (Constraints({**THREE_MEN_ONE_WOMAN, "branch": {AL: "BE", CY: "FR"}},
                 minimum={("gender", "woman"): 1, ("branch", "BE"): 1}), 1,
     [("no_valid_board", None, None, 1, None)]),
])
def test_g_infeasible_configurations_are_refused_with_structured_problems(constraints, seats, problems):
    found = check_feasible(constraints, FOUR, seats)
    assert found == problems and all(isinstance(p, ConstraintProblem) for p in found)
    with pytest.raises(CountError, match="the constraints cannot be met") as error:
        count_stv([((AL, CY), 3), ((CY,), 2)], FOUR, seats, constraints=constraints)
    assert describe_problem(found[0]) in str(error.value)
    with pytest.raises(CountError):
        count_ballot("stv", rankings=[((AL,), 1)], candidates=FOUR, seats=seats, constraints=constraints)


def test_g_every_problem_is_listed_and_messages_name_the_constraint():
    constraints = Constraints(THREE_MEN_ONE_WOMAN, minimum={("gender", "woman"): 3, ("gender", "man"): 1},
                              maximum={("gender", "woman"): 2})
    problems = check_feasible(constraints, FOUR, 3)
    assert problems == [("minimum_above_maximum", "gender", "woman", 3, 2),
                        ("not_enough_candidates", "gender", "woman", 3, 1),
                        ("minimums_exceed_seats", "gender", None, 4, 3)]
    assert describe_problem(problems[1]) == (
        "at least 3 of gender/woman must be elected, but only 1 candidate belongs to it")
    assert problems[1].code == "not_enough_candidates" and problems[1].available == 1


def test_g_withdrawn_candidates_in_the_groups_are_ignored():
    constraints = Constraints(gender(Al="man", Bo="man", Cy="woman", Zed="woman"),
                              minimum={("gender", "woman"): 2})
    assert check_feasible(constraints, [AL, BO, CY], 2) == [("not_enough_candidates", "gender", "woman", 2, 1)]
    assert check_feasible(constraints, [AL, BO, CY, "Zed"], 2) == []


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"groups": {"gender": {AL: "man"}}, "minimum": {("gender", "man"): -1}}, "cannot be negative"),
    ({"groups": {"gender": {AL: "man"}}, "maximum": {("gender", "man"): True}}, "whole number"),
    ({"groups": {"gender": {AL: "man"}}, "minimum": {"gender": 1}}, "pairs"),
    ({"groups": {"gender": {AL: ""}}}, "non-empty string"),
    ({"groups": ["gender"]}, "mapping"),
])
def test_g_malformed_constraints_are_refused_when_made(kwargs, message):
    with pytest.raises(CountError, match=message):
        Constraints(**kwargs)


def test_g_other_methods_refuse_constraints():
    with pytest.raises(CountError, match="STV counts only"):
        count_ballot("irv", rankings=[((AL,), 1)], candidates=[AL, BO], constraints=Constraints(A_GROUPS))


# --- the count_ballot entry point, JSON ------------------------------------------------------------------------
def test_count_ballot_passes_the_constraints_to_stv():
    constraints = Constraints(A_GROUPS, minimum={("gender", "woman"): 1})
    result = count_ballot("stv", rankings=A_ROWS, candidates=[AL, BO, CY], seats=2, constraints=constraints)
    assert result.elected == (AL, CY) and result.constrained
    assert count_ballot("stv", rankings=A_ROWS, candidates=[AL, BO, CY], seats=2).elected == (AL, BO)


def test_the_result_explains_every_constraint_action_in_json():
    constraints = Constraints(E_GROUPS, WOMAN_MIN, BE_MAX)
    data = json.loads(json.dumps(count_stv(E_ROWS, E_CANDIDATES, 2, constraints=constraints).to_dict()))
    assert data["constrained"] is True
    assert data["constraints"] == {"groups": E_GROUPS, "minimum": [["gender", "woman", 1]],
                                   "maximum": [["branch", "BE", 1]]}
    assert Constraints.from_dict(data["constraints"]) == constraints
    stage = data["stages"][1]
    assert stage["action"] == "constraint_exclusion" and stage["excluded"] == [BEA, COL]
    assert stage["constraint_actions"] == [
        {"kind": "maximum_reached", "effect": "excluded", "category": "branch", "group": "BE",
         "candidates": [BEA], "excluded_instead": None, "short_groups": []},
        {"kind": "minimum_needed", "effect": "excluded", "category": "gender", "group": None,
         "candidates": [COL], "excluded_instead": None, "short_groups": ["woman"]},
    ]
    assert data["stages"][0]["constraint_actions"] == [] and data["stages"][0]["elect_tie_break"] is None


def test_an_uncontested_ballot_within_the_constraints_elects_everyone():
    constraints = Constraints(A_GROUPS, minimum={("gender", "woman"): 1}, maximum={("gender", "man"): 2})
    result = count_stv(A_ROWS, [AL, BO, CY], 3, constraints=constraints)
    assert result.uncontested and result.elected == (AL, BO, CY) and not result.constrained


# --- (h) properties ------------------------------------------------------------------------------------------
@st.composite
def constrained_elections(draw, loose: bool = False):
    """Small elections with random groups in two categories and bounds that some board meets (a random
    "witness" board is drawn and the bounds are chosen around it, so every configuration is feasible)."""
    n = draw(st.integers(3, 6))
    candidates = [f"C{i}" for i in range(n)]
    rows = []
    for _ in range(draw(st.integers(1, 10))):
        order = draw(st.permutations(candidates))
        rows.append((tuple(order[:draw(st.integers(0, n))]), draw(st.integers(1, 9))))
    seats = draw(st.integers(1, n - 1))
    groups = {"gender": {}, "branch": {}}
    for name in candidates:
        for category, choices in (("gender", ["w", "m", None]), ("branch", ["BE", "FR", "NL", None])):
            group = draw(st.sampled_from(choices))
            if group is not None:
                groups[category][name] = group
    witness = set(draw(st.permutations(candidates))[:seats])
    minimum, maximum = {}, {}
    for category, members in groups.items():
        for group in sorted(set(members.values())):
            size = sum(1 for name in members if members[name] == group)
            in_witness = sum(1 for name in witness if members.get(name) == group)
            if loose:
                if draw(st.booleans()):
                    maximum[(category, group)] = size + draw(st.integers(0, 1))
                continue
            if draw(st.booleans()):
                minimum[(category, group)] = draw(st.integers(0, in_witness))
            if draw(st.booleans()):
                maximum[(category, group)] = draw(st.integers(in_witness, size))
    return candidates, rows, seats, Constraints(groups, minimum, maximum)


def meets_every_constraint(elected, constraints: Constraints) -> bool:
    for (category, group), low in constraints.minimum.items():
        if sum(1 for name in elected if constraints.group_of(category, name) == group) < low:
            return False
    for (category, group), high in constraints.maximum.items():
        if sum(1 for name in elected if constraints.group_of(category, name) == group) > high:
            return False
    return True


@PROPERTY
@given(election=constrained_elections())
def test_h_every_elected_board_meets_every_constraint_and_every_paper_is_accounted_for(election):
    candidates, rows, seats, constraints = election
    assert check_feasible(constraints, candidates, seats) == []
    result = count_stv(rows, candidates, seats, seed=SEED, constraints=constraints)
    plain = count_stv(rows, candidates, seats, seed=SEED)
    if not result.valid:
        assert result.elected == ()
        return
    assert len(result.elected) == seats and len(set(result.elected)) == seats
    assert meets_every_constraint(result.elected, constraints)
    papers_balance(result)
    # every stage after the first transfers a surplus or excludes at least one candidate: the count ends
    assert len(result.stages) <= 2 * len(candidates)
    for stage in result.stages[1:]:
        assert stage.action == "surplus" or stage.excluded
        assert (stage.action == "constraint_exclusion") == any(a.effect == "excluded" for a in stage.constraint_actions)
    # an excluded or barred candidate is never elected; a count that no constraint changed is the plain count
    excluded = {name for stage in result.stages for name in stage.excluded}
    assert not excluded & set(result.elected)
    if not result.constrained:
        assert result.stages == plain.stages and result.elected == plain.elected
    if not meets_every_constraint(plain.elected, constraints):
        assert result.constrained


@PROPERTY
@given(election=constrained_elections(loose=True))
def test_f_bounds_that_cannot_bind_never_change_the_count(election):
    candidates, rows, seats, constraints = election
    result = count_stv(rows, candidates, seats, seed=SEED, constraints=constraints)
    plain = count_stv(rows, candidates, seats, seed=SEED)
    assert not result.constrained
    assert result.stages == plain.stages and result.elected == plain.elected
