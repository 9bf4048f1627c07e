"""The decision rules and a ballot's outcome in words: the right figures, formatted for the reader's locale."""
from __future__ import annotations

import pytest
from flask_babel import force_locale

from governance.votes import wording
from governance.votes.methods.decision import decide, quorum_outcome


@pytest.fixture
def english(app):
    with app.test_request_context(), force_locale("en"):
        yield


def test_rule_names_and_descriptions(english):
    assert wording.majority_rule_name("simple") == "Simple majority"
    assert wording.majority_rule_name("qualified:2/3") == "Two-thirds majority"
    assert wording.majority_rule_name("qualified:3/5") == "Qualified majority of 3/5"
    assert wording.majority_rule_description("simple") == (
        "Simple majority: more yes than no votes; abstentions are not counted.")
    assert wording.majority_rule_description("absolute") == (
        "Absolute majority: more yes votes than no votes and abstentions together.")
    assert wording.majority_rule_description("qualified:2/3") == (
        "Two-thirds majority of yes and no votes; abstentions are not counted.")
    assert "3/5" in wording.majority_rule_description("qualified:3/5")


def test_quorum_names(english):
    assert wording.quorum_name("none") == "No quorum"
    assert wording.quorum_name(None) == "No quorum"
    assert wording.quorum_name("share:1/3") == "Quorum: a third of the electoral roll"
    assert wording.quorum_name("share:1/2", at_assembly=True) == (
        "Quorum: half of the members present or represented")
    assert wording.quorum_name("share:3/10") == "Quorum: 3/10 of the electoral roll"
    assert wording.quorum_name("count:1500") == "Quorum: 1,500 participations"
    assert wording.quorum_name("count:1") == "Quorum: 1 participation"


def test_quorum_sentence_reached_and_not(english):
    assert wording.quorum_sentence(quorum_outcome("share:1/3", 412, 1000)) == (
        "Quorum: 334 participations needed out of 1,000 on the electoral roll (a third) — reached with 412.")
    assert wording.quorum_sentence(quorum_outcome("share:1/3", 333, 1000)) == (
        "Quorum: 334 participations needed out of 1,000 on the electoral roll (a third) — not reached, with 333.")
    assert wording.quorum_sentence(quorum_outcome("share:1/2", 61, 120), at_assembly=True) == (
        "Quorum: 60 participations needed out of 120 members present or represented (half) — reached with 61.")
    assert wording.quorum_sentence(quorum_outcome("count:250", 1249, 40000)) == (
        "Quorum: 250 participations needed — reached with 1,249.")
    assert wording.quorum_sentence(quorum_outcome("count:1", 0, 3)) == (
        "Quorum: 1 participation needed — not reached, with 0.")
    assert wording.quorum_sentence(quorum_outcome("none", 3, 1000)) == "No quorum was required."


def test_majority_sentences(english):
    simple = decide("simple", None, yes=1200, no=800, abstain=5, base=4000)
    assert wording.majority_sentence(simple) == "Majority reached: 1,200 yes against 800 no."
    tie = decide("simple", None, yes=50, no=50, abstain=0, base=4000)
    assert wording.majority_sentence(tie) == "Majority not reached: 50 yes against 50 no."
    absolute = decide("absolute", None, yes=50, no=20, abstain=31, base=400)
    assert wording.majority_sentence(absolute) == (
        "Absolute majority not reached: 50 yes out of 101 votes, abstentions included; 51 needed.")
    two_thirds = decide("qualified:2/3", None, yes=199, no=100, abstain=0, base=400)
    assert wording.majority_sentence(two_thirds) == (
        "Two-thirds majority not reached: 199 yes out of 299 yes and no votes; 200 needed.")
    single = decide("qualified:2/3", None, yes=1, no=0, abstain=0, base=10)
    assert wording.majority_sentence(single) == (
        "Two-thirds majority reached: 1 yes out of 1 yes or no vote; 1 needed.")


def test_outcome_sentences(english):
    adopted = decide("qualified:2/3", "share:1/3", yes=300, no=100, abstain=12, base=1000)
    assert wording.outcome_label(adopted) == "Adopted"
    assert wording.outcome_sentence(adopted) == "Adopted: the quorum and the majority were both reached."
    assert wording.outcome_sentence(decide("simple", None, yes=2, no=1, abstain=0, base=10)) == (
        "Adopted: the majority was reached.")
    no_quorum = decide("simple", "share:1/3", yes=200, no=100, abstain=0, base=1000)
    assert wording.outcome_label(no_quorum) == "Not adopted"
    assert wording.outcome_sentence(no_quorum) == "Not adopted: the quorum was not reached."
    no_majority = decide("simple", "share:1/3", yes=200, no=300, abstain=0, base=1000)
    assert wording.outcome_sentence(no_majority) == "Not adopted: the majority was not reached."
    neither = decide("simple", "share:1/3", yes=100, no=200, abstain=0, base=1000)
    assert wording.outcome_sentence(neither) == "Not adopted: neither the quorum nor the majority was reached."


def test_decision_sentences_in_reading_order(english):
    decision = decide("qualified:2/3", "share:1/3", yes=300, no=100, abstain=12, base=1000)
    assert wording.decision_sentences(decision) == [
        "Two-thirds majority of yes and no votes; abstentions are not counted.",
        "Quorum: 334 participations needed out of 1,000 on the electoral roll (a third) — reached with 412.",
        "Two-thirds majority reached: 300 yes out of 400 yes and no votes; 267 needed.",
        "Adopted: the quorum and the majority were both reached.",
    ]


def test_numbers_follow_the_readers_locale(app):
    outcome = quorum_outcome("share:1/3", 4120, 10000)
    with app.test_request_context(), force_locale("de"):
        text = wording.quorum_sentence(outcome)
    assert "3.334" in text and "10.000" in text and "4.120" in text
    with app.test_request_context(), force_locale("fr"):
        text = wording.quorum_sentence(outcome)
    assert "10\u202f000" in text or "10\u00a0000" in text


def test_form_choices(app):
    # built without a request (lazy labels), rendered in one
    rules = wording.majority_rule_choices()
    kinds = wording.quorum_kind_choices()
    shares = wording.quorum_share_choices()
    with app.test_request_context(), force_locale("en"):
        assert [(code, str(label)) for code, label in rules] == [
            ("simple", "Simple majority"), ("absolute", "Absolute majority"),
            ("qualified:2/3", "Two-thirds majority"), ("qualified:3/4", "Three-quarters majority"),
            ("qualified:4/5", "Four-fifths majority")]
        assert [(code, str(label)) for code, label in kinds] == [
            ("none", "No quorum"), ("share", "A share of the electoral roll"),
            ("count", "A number of participations")]
        assert str(wording.quorum_kind_choices(at_assembly=True)[1][1]) == (
            "A share of the members present or represented")
        assert [(code, str(label)) for code, label in shares] == [
            ("share:1/4", "A quarter"), ("share:1/3", "A third"), ("share:1/2", "Half"),
            ("share:2/3", "Two thirds"), ("share:3/4", "Three quarters")]


def test_a_translated_share_name_is_used_when_the_catalog_has_one(app):
    from flask_babel import gettext

    with app.test_request_context(), force_locale("nl"):
        expected = gettext("a third")
        assert wording.share_name(1, 3) == expected
        assert expected in wording.quorum_name("share:1/3")
