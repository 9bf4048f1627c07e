"""Properties of the counting methods, checked by hypothesis on many small generated elections.

Each test tries at most 100 examples, derandomized (the same examples on every run) and with no example
database, so the suite stays fast and repeatable. (``tests/votes/test_methods_properties.py`` checks similar
properties on a fixed list of seeded random elections; these ones let hypothesis look for — and shrink — a
counter-example.)
"""
from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings, strategies as st

from governance.votes.methods import (
    count_approval,
    count_irv,
    count_plurality,
    count_schulze,
    count_stv,
    count_yna,
)

PROPERTY = settings(max_examples=100, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
SEED = "properties"


@st.composite
def elections(draw, min_candidates: int = 2, max_candidates: int = 5, max_rows: int = 12):
    """``(candidates, rows)``: rows of (ranking, ballots), rankings being prefixes of permutations (maybe blank)."""
    n = draw(st.integers(min_candidates, max_candidates))
    candidates = [f"C{i}" for i in range(n)]
    rows = []
    for _ in range(draw(st.integers(1, max_rows))):
        order = draw(st.permutations(candidates))
        length = draw(st.integers(0, n))
        rows.append((tuple(order[:length]), draw(st.integers(1, 9))))
    return candidates, rows


def first_preferences(rows) -> Counter:
    firsts: Counter = Counter()
    for ranking, count in rows:
        if ranking:
            firsts[ranking[0]] += count
    return firsts


def approvals(rows) -> Counter:
    """The same rows read as approval ballots: every candidate ranked is approved."""
    counted: Counter = Counter()
    for ranking, count in rows:
        for candidate in ranking:
            counted[candidate] += count
    return counted


def count_all(candidates, rows, seats: int) -> dict:
    """Every method's result (as its JSON-ready dict) for the same ballots."""
    firsts = first_preferences(rows)
    ballots = sum(count for _ranking, count in rows)
    return {
        "irv": count_irv(rows, candidates, seed=SEED).to_dict(),
        "stv": count_stv(rows, candidates, seats, seed=SEED).to_dict(),
        "schulze": count_schulze(rows, candidates, seed=SEED).to_dict(),
        "plurality": count_plurality(dict(firsts), options=candidates, seats=seats, seed=SEED).to_dict(),
        "approval": count_approval(dict(approvals(rows)), options=candidates, seats=seats, ballots=ballots,
                                   max_choices=len(candidates), seed=SEED).to_dict(),
    }


@PROPERTY
@given(election=elections(), data=st.data())
def test_the_order_of_the_rows_never_changes_a_result(election, data):
    candidates, rows = election
    seats = data.draw(st.integers(1, len(candidates)), label="seats")
    order = data.draw(st.permutations(range(len(rows))), label="order")
    permuted = [rows[i] for i in order]
    assert count_all(candidates, permuted, seats) == count_all(candidates, rows, seats)


@PROPERTY
@given(election=elections(), data=st.data())
def test_the_order_of_the_options_in_the_counts_never_changes_a_result(election, data):
    candidates, rows = election
    seats = data.draw(st.integers(1, len(candidates)), label="seats")
    firsts, approved = first_preferences(rows), approvals(rows)
    order = data.draw(st.permutations(candidates), label="order")
    ballots = sum(count for _ranking, count in rows)
    for counts in (firsts, approved):
        reordered = {c: counts[c] for c in order if c in counts}
        assert (count_plurality(reordered, options=candidates, seats=seats, seed=SEED).to_dict()
                == count_plurality(dict(counts), options=candidates, seats=seats, seed=SEED).to_dict())
        assert (count_approval(reordered, options=candidates, seats=seats, ballots=ballots,
                               max_choices=len(candidates), seed=SEED).to_dict()
                == count_approval(dict(counts), options=candidates, seats=seats, ballots=ballots,
                                  max_choices=len(candidates), seed=SEED).to_dict())


@PROPERTY
@given(election=elections(), data=st.data())
def test_splitting_a_row_in_two_never_changes_a_result(election, data):
    candidates, rows = election
    seats = data.draw(st.integers(1, len(candidates)), label="seats")
    splittable = [i for i, (_ranking, count) in enumerate(rows) if count > 1]
    if not splittable:
        rows = rows + [(rows[0][0], 2)]
        splittable = [len(rows) - 1]
    index = data.draw(st.sampled_from(splittable), label="row")
    ranking, count = rows[index]
    part = data.draw(st.integers(1, count - 1), label="part")
    position = data.draw(st.integers(0, len(rows)), label="position")
    split = rows[:index] + [(list(ranking), part)] + rows[index + 1:]
    split.insert(position, (ranking, count - part))
    assert count_all(candidates, split, seats) == count_all(candidates, rows, seats)


@PROPERTY
@given(election=elections())
def test_an_irv_candidate_with_a_majority_of_first_preferences_always_wins(election):
    candidates, rows = election
    firsts = first_preferences(rows)
    valid = sum(firsts.values())
    leader, votes = max(firsts.items(), key=lambda item: item[1], default=(None, 0))
    result = count_irv(rows, candidates, seed=SEED)
    if 2 * votes > valid:
        assert result.winner == leader
        assert count_irv(rows, candidates, seed=SEED).winner == count_plurality(
            dict(firsts), options=candidates, seed=SEED).elected[0]


@PROPERTY
@given(election=elections(max_rows=15), data=st.data())
def test_an_stv_candidate_with_a_quota_of_first_preferences_is_always_elected(election, data):
    candidates, rows = election
    seats = data.draw(st.integers(1, len(candidates)), label="seats")
    result = count_stv(rows, candidates, seats, seed=SEED)
    for candidate, votes in first_preferences(rows).items():
        if votes >= result.quota:
            assert candidate in result.elected, (candidate, votes, result.quota)
    assert len(result.elected) <= seats


def condorcet_winner(candidates, rows):
    """The candidate who beats every other one head to head (unranked candidates come after ranked ones)."""
    def prefers(a, b) -> int:
        total = 0
        for ranking, count in rows:
            position = {c: i for i, c in enumerate(ranking)}
            pa, pb = position.get(a, len(ranking)), position.get(b, len(ranking))
            total += count if pa < pb else -count if pb < pa else 0
        return total

    winners = [a for a in candidates if all(prefers(a, b) > 0 for b in candidates if b != a)]
    return winners[0] if winners else None


@PROPERTY
@given(election=elections())
def test_a_condorcet_winner_is_the_schulze_winner(election):
    candidates, rows = election
    winner = condorcet_winner(candidates, rows)
    if winner is not None:
        assert count_schulze(rows, candidates, seed=SEED).winner == winner


@PROPERTY
@given(yes=st.integers(0, 10**9), no=st.integers(0, 10**9), abstain=st.integers(0, 10**9),
       order=st.permutations(["yes", "no", "abstain"]))
def test_yna_totals_equal_the_input(yes, no, abstain, order):
    given_counts = {"yes": yes, "no": no, "abstain": abstain}
    result = count_yna({key: given_counts[key] for key in order})
    assert result.totals == given_counts
    assert (result.yes, result.no, result.abstain) == (yes, no, abstain)
    assert result.valid == yes + no + abstain
