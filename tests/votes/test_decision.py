"""Decision rules: quorum and majorities in integers, at their exact boundaries, and their codes."""
from __future__ import annotations

import itertools
from fractions import Fraction

import pytest

from governance.votes.methods.decision import (
    CODE_MAX_LENGTH,
    COMMON_QUORUM_SHARES,
    MAJORITY_RULES,
    QUORUM_KINDS,
    InvalidRule,
    count_quorum,
    decide,
    is_valid_quorum,
    is_valid_rule,
    no_quorum,
    parse_quorum,
    parse_rule,
    qualified,
    quorum_outcome,
    share_quorum,
)


def adopted(rule, yes, no, abstain=0, quorum="none", base=None, participations=None):
    base = yes + no + abstain if base is None else base
    return decide(rule, quorum, yes=yes, no=no, abstain=abstain, base=base, participations=participations).adopted


# --- simple majority -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("yes", "no", "abstain", "expected"), [
    (1, 0, 0, True),
    (51, 50, 0, True),
    (50, 50, 0, False),        # a tie is not a majority
    (50, 51, 0, False),
    (2, 1, 1000, True),        # abstentions are not counted
    (0, 0, 0, False),          # no votes at all
    (0, 0, 7, False),          # only abstentions
])
def test_simple_majority(yes, no, abstain, expected):
    assert adopted("simple", yes, no, abstain) is expected


# --- absolute majority ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("yes", "no", "abstain", "expected"), [
    (51, 49, 0, True),
    (50, 50, 0, False),
    (51, 40, 10, True),        # 51 of 101: 2·51 = 102 > 101
    (50, 40, 10, False),       # 50 of 100: exactly half is not more than half
    (50, 20, 31, False),       # more yes than no, but the abstentions decide
    (60, 20, 41, False),       # 60 of 121: 120 ≤ 121
    (61, 20, 41, False),       # 61 of 122: exactly half
    (62, 20, 40, True),        # 62 of 122
    (1, 0, 0, True),
    (1, 0, 1, False),
    (0, 0, 0, False),
    (0, 0, 5, False),
])
def test_absolute_majority(yes, no, abstain, expected):
    assert adopted("absolute", yes, no, abstain) is expected


def test_absolute_majority_needed_figure():
    decision = decide("absolute", None, yes=50, no=20, abstain=31, base=200)
    assert (decision.counted, decision.yes_needed, decision.majority_met) == (101, 51, False)
    decision = decide("absolute", None, yes=51, no=20, abstain=30, base=200)
    assert (decision.counted, decision.yes_needed, decision.majority_met) == (101, 51, True)


# --- qualified majorities ------------------------------------------------------------------------------
@pytest.mark.parametrize(("rule", "yes", "no", "abstain", "expected"), [
    ("qualified:2/3", 2, 1, 0, True),      # exactly two thirds is enough
    ("qualified:2/3", 199, 100, 0, False),  # 199/299 < 2/3
    ("qualified:2/3", 200, 100, 0, True),
    ("qualified:2/3", 200, 100, 500, True),  # abstentions are not counted
    ("qualified:2/3", 1, 1, 0, False),
    ("qualified:2/3", 1, 0, 0, True),
    ("qualified:2/3", 0, 0, 0, False),
    ("qualified:2/3", 0, 0, 3, False),     # only abstentions: 0 ≥ 0, but no yes vote
    ("qualified:3/4", 3, 1, 0, True),
    ("qualified:3/4", 299, 100, 0, False),
    ("qualified:3/4", 300, 100, 0, True),
    ("qualified:3/4", 74, 26, 0, False),
    ("qualified:4/5", 4, 1, 0, True),
    ("qualified:4/5", 399, 100, 0, False),
    ("qualified:4/5", 400, 100, 0, True),
    ("qualified:3/5", 3, 2, 0, True),
    ("qualified:3/5", 59, 41, 0, False),
])
def test_qualified_majority(rule, yes, no, abstain, expected):
    assert adopted(rule, yes, no, abstain) is expected


def test_qualified_majority_needed_figure():
    decision = decide("qualified:2/3", "none", yes=199, no=100, abstain=12, base=400)
    assert (decision.counted, decision.yes_needed, decision.majority_met) == (299, 200, False)
    decision = decide("qualified:2/3", "none", yes=0, no=0, abstain=12, base=400)
    assert (decision.counted, decision.yes_needed, decision.adopted) == (0, 1, False)


def test_every_rule_reads_as_yes_at_least_needed():
    """The rule as DESIGN.md writes it, against exact rational arithmetic and the "needed" figure."""
    rules = [parse_rule(code) for code in MAJORITY_RULES] + [qualified(3, 5), qualified(7, 12), qualified(99, 100)]
    for rule, yes, no, abstain in itertools.product(rules, range(13), range(13), range(4)):
        decision = decide(rule, None, yes=yes, no=no, abstain=abstain, base=40)
        valid = yes + no + abstain
        if rule.kind == "simple":
            expected = yes > no
        elif rule.kind == "absolute":
            expected = Fraction(yes) > Fraction(valid, 2)
        else:
            expected = yes > 0 and Fraction(yes, yes + no) >= Fraction(rule.numerator, rule.denominator)
        assert decision.majority_met is expected, (rule, yes, no, abstain)
        assert decision.majority_met is (yes >= decision.yes_needed), (rule, yes, no, abstain)
        assert decision.adopted is expected


# --- quorum --------------------------------------------------------------------------------------------
def test_share_quorum_threshold_uses_the_ceiling():
    outcome = quorum_outcome("share:1/3", participations=412, base=1000)
    assert (outcome.threshold, outcome.met, outcome.missing) == (334, True, 0)
    assert quorum_outcome("share:1/3", 334, 1000).met
    assert not quorum_outcome("share:1/3", 333, 1000).met
    assert quorum_outcome("share:1/3", 333, 1000).missing == 1


def test_share_quorum_met_exactly_at_the_share():
    # "at least a third": exactly a third reaches it
    assert quorum_outcome("share:1/3", 300, 900).threshold == 300
    assert quorum_outcome("share:1/3", 300, 900).met
    assert not quorum_outcome("share:1/3", 299, 900).met
    assert quorum_outcome("share:1/2", 50, 100).met
    assert not quorum_outcome("share:1/2", 50, 101).met
    assert quorum_outcome("share:1/2", 51, 101).threshold == 51
    assert quorum_outcome("share:1/1", 7, 7).met
    assert not quorum_outcome("share:1/1", 6, 7).met


def test_share_quorum_on_an_empty_roll_is_never_met():
    outcome = quorum_outcome("share:1/3", participations=0, base=0)
    assert (outcome.threshold, outcome.met, outcome.reachable) == (1, False, False)
    assert quorum_outcome("none", 0, 0).met
    assert quorum_outcome("share:1/4", 1, 1).threshold == 1


def test_share_quorum_threshold_matches_cross_multiplication():
    for (p, q), base, participations in itertools.product([(1, 4), (1, 3), (1, 2), (2, 3), (3, 4), (7, 10)],
                                                           range(0, 40), range(0, 41)):
        outcome = quorum_outcome(share_quorum(p, q), participations, base)
        assert outcome.met is (participations >= outcome.threshold)
        if base:
            assert outcome.met is (participations * q >= p * base)
            # the threshold is the smallest number that reaches the share
            assert outcome.threshold * q >= p * base > (outcome.threshold - 1) * q


def test_count_quorum():
    assert quorum_outcome("count:250", 250, 1000).met
    assert not quorum_outcome("count:250", 249, 1000).met
    assert quorum_outcome("count:250", 249, 1000).threshold == 250
    unreachable = quorum_outcome("count:250", 100, 100)
    assert (unreachable.met, unreachable.reachable) == (False, False)


def test_no_quorum_is_always_met():
    outcome = quorum_outcome(None, 0, 500)
    assert (outcome.kind, outcome.threshold, outcome.met, outcome.is_required) == ("none", 0, True, False)


def test_assembly_quorum_uses_the_members_present_or_represented():
    # same function, the caller passes present and represented as the base
    outcome = quorum_outcome("share:1/2", participations=60, base=120)
    assert (outcome.threshold, outcome.met) == (60, True)


def test_quorum_counts_abstentions_and_blank_ballots():
    decision = decide("simple", "share:1/3", yes=100, no=50, abstain=184, base=1000)
    assert (decision.participations, decision.quorum_threshold, decision.quorum_met) == (334, 334, True)
    decision = decide("simple", "share:1/3", yes=100, no=50, abstain=183, base=1000)
    assert (decision.quorum_met, decision.majority_met, decision.adopted) == (False, True, False)
    decision = decide("simple", "share:1/3", yes=100, no=50, abstain=183, base=1000, participations=334)
    assert decision.adopted


def test_adopted_needs_both_quorum_and_majority():
    assert not decide("simple", "count:10", yes=5, no=4, abstain=0, base=100).adopted
    assert not decide("simple", "count:10", yes=5, no=5, abstain=0, base=100).adopted
    assert decide("simple", "count:10", yes=6, no=4, abstain=0, base=100).adopted


def test_decision_figures_and_export():
    decision = decide("qualified:2/3", "share:1/3", yes=300, no=100, abstain=12, base=1000)
    assert decision.rule_code == "qualified:2/3"
    assert (decision.quorum_kind, decision.quorum_code) == ("share", "share:1/3")
    assert (decision.valid, decision.base, decision.participations) == (412, 1000, 412)
    assert decision.to_dict() == {
        "rule": "qualified:2/3", "yes": 300, "no": 100, "abstain": 12, "valid": 412, "counted": 400,
        "yes_needed": 267, "majority_met": True, "adopted": True,
        "quorum": {"quorum": "share:1/3", "kind": "share", "base": 1000, "participations": 412,
                   "threshold": 334, "met": True}}
    with pytest.raises(AttributeError):
        decision.adopted = False


@pytest.mark.parametrize("kwargs", [
    dict(yes=-1, no=0, abstain=0, base=10),
    dict(yes=1, no=0, abstain=0, base=-1),
    dict(yes=5, no=5, abstain=0, base=10, participations=9),
])
def test_bad_figures_are_refused(kwargs):
    with pytest.raises(ValueError):
        decide("simple", None, **kwargs)


def test_non_integer_figures_are_refused():
    with pytest.raises(TypeError):
        decide("simple", None, yes=1.0, no=0, abstain=0, base=1)
    with pytest.raises(TypeError):
        decide("simple", None, yes=True, no=0, abstain=0, base=1)


# --- codes ---------------------------------------------------------------------------------------------
def test_offered_rules_and_quorums_parse_and_round_trip():
    assert MAJORITY_RULES == ("simple", "absolute", "qualified:2/3", "qualified:3/4", "qualified:4/5")
    for code in MAJORITY_RULES:
        assert parse_rule(code).code == code
    for p, q in COMMON_QUORUM_SHARES:
        assert parse_quorum(f"share:{p}/{q}") == share_quorum(p, q)
    for code in ("none", "share:1/3", "share:1/1", "count:1", "count:250", "count:10000000"):
        assert parse_quorum(code).code == code
    assert parse_quorum(None) == no_quorum()
    assert QUORUM_KINDS == ("none", "share", "count")
    assert parse_rule("qualified:99/100").code == "qualified:99/100"
    assert len("qualified:99/100") <= CODE_MAX_LENGTH


@pytest.mark.parametrize("code", [
    "", "Simple", "simple ", "majority", "qualified", "qualified:", "qualified:2/3 ", "qualified: 2/3",
    "qualified:4/6",      # not in lowest terms
    "qualified:02/3",
    "qualified:1/2",      # a tie would adopt
    "qualified:1/3",      # below one half
    "qualified:3/3", "qualified:4/3", "qualified:0/3", "qualified:2/0", "qualified:-2/3",
    "qualified:100/101", "qualified:2/3/4", "qualified:2.0/3",
])
def test_bad_rule_codes_are_refused(code):
    assert not is_valid_rule(code)
    with pytest.raises(InvalidRule):
        parse_rule(code)


@pytest.mark.parametrize("code", [
    "", "None", "share", "share:", "share:2/6", "share:0/3", "share:4/3", "share:1/0", "share:1/101",
    "count:0", "count:-5", "count:05", "count:10000001", "count:1.5", "count:ten", "half",
])
def test_bad_quorum_codes_are_refused(code):
    assert not is_valid_quorum(code)
    with pytest.raises(InvalidRule):
        parse_quorum(code)


def test_rule_and_quorum_constructors_validate():
    with pytest.raises(InvalidRule):
        qualified(1, 2)
    with pytest.raises(InvalidRule):
        share_quorum(2, 4)
    with pytest.raises(InvalidRule):
        count_quorum(0)
    with pytest.raises(InvalidRule):
        decide("plurality", None, yes=1, no=0, abstain=0, base=1)
    assert str(qualified(2, 3)) == "qualified:2/3"
    assert str(count_quorum(12)) == "count:12"
    assert parse_rule(qualified(3, 4)) == parse_rule("qualified:3/4")


def test_rules_say_whether_abstentions_count():
    assert parse_rule("absolute").counts_abstentions
    assert not parse_rule("simple").counts_abstentions
    assert not parse_rule("qualified:2/3").counts_abstentions


@pytest.mark.parametrize("module", ["decision", "disclosure"])
def test_methods_import_nothing_of_the_application(module):
    import ast
    from pathlib import Path

    import governance.votes.methods as methods

    tree = ast.parse((Path(methods.__file__).parent / f"{module}.py").read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= {"__future__", "collections", "dataclasses", "math", "re", "typing"}
