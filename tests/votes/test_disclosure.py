"""Per-branch breakdowns: no published figure, nor any difference of published figures, reveals the choices
of fewer than k voters or a unanimous group; checked by hand and exhaustively on random small inputs."""
from __future__ import annotations

import itertools
import random

import pytest

from governance.votes.methods.disclosure import DEFAULT_K, breakdown, is_safe, is_unanimous

YNA = ("yes", "no", "abstain")


def yna(yes, no, abstain=0):
    return {"yes": yes, "no": no, "abstain": abstain}


def shape(result):
    return [(group.branches, group.is_other) for group in result.groups]


def test_default_k_is_ten():
    assert DEFAULT_K == 10
    assert breakdown({"BE": yna(5, 4), "FR": yna(6, 5)}).k == 10


def test_safe_branches_are_published_alone_in_key_order():
    result = breakdown({"FR": yna(30, 20, 5), "BE": yna(12, 8), "DE": yna(7, 3, 1)})
    assert shape(result) == [(("BE",), False), (("DE",), False), (("FR",), False)]
    assert result.groups[0].counts == {"yes": 12, "no": 8, "abstain": 0}
    assert result.groups[2].voters == 55
    assert result.total.voters == 86
    assert result.total.counts == {"yes": 49, "no": 31, "abstain": 6}
    assert not result.total_only


def test_small_branches_go_into_other_branches():
    result = breakdown({"BE": yna(12, 8), "FR": yna(30, 20), "HU": yna(3, 2), "SE": yna(4, 3)})
    assert shape(result) == [(("BE",), False), (("FR",), False), (("HU", "SE"), True)]
    assert result.groups[-1].counts == {"yes": 7, "no": 5, "abstain": 0}
    assert result.groups[-1].voters == 12


def test_a_unanimous_branch_is_merged_however_large():
    result = breakdown({"BE": yna(12, 8), "FR": yna(30, 20), "NL": yna(500, 0)})
    # NL alone is unanimous; "other branches" = NL alone is still unanimous, so it takes BE (the smallest)
    assert shape(result) == [(("FR",), False), (("BE", "NL"), True)]
    assert result.groups[-1].counts == {"yes": 512, "no": 8, "abstain": 0}


def test_unanimous_abstention_or_blank_counts_as_unanimous():
    assert is_unanimous(20, [0, 0, 20])
    assert is_unanimous(20, [0, 0, 0])                 # every voter cast a blank ballot
    assert not is_unanimous(20, [0, 0, 19])             # one blank ballot
    assert is_safe(20, [0, 0, 19])
    assert not is_safe(9, [5, 4, 0])
    result = breakdown({"BE": yna(0, 0, 15), "FR": yna(30, 20)})
    assert result.total_only


def test_small_other_group_merges_with_the_smallest_published_branch():
    result = breakdown({"AT": yna(2, 1), "BE": yna(40, 30), "FR": yna(12, 9), "IT": yna(20, 15)})
    assert shape(result) == [(("BE",), False), (("IT",), False), (("AT", "FR"), True)]
    assert result.groups[-1].voters == 24


def test_ties_for_the_smallest_branch_take_the_first_key():
    result = breakdown({"AT": yna(2, 1), "BE": yna(6, 6), "FR": yna(7, 5)})
    assert shape(result) == [(("FR",), False), (("AT", "BE"), True)]


def test_everything_in_one_group_publishes_only_the_total():
    assert breakdown({"BE": yna(3, 2), "FR": yna(2, 2)}).total_only
    assert breakdown({"BE": yna(30, 20)}).total_only                     # a single branch is the total
    assert breakdown({"BE": yna(30, 20), "FR": yna(2, 1)}).total_only    # the remainder would reveal FR
    assert breakdown({}).total_only
    result = breakdown({"BE": yna(30, 20), "FR": yna(2, 1)})
    assert result.total.voters == 53 and result.total.branches == ("BE", "FR")


def test_branches_without_voters_are_listed_apart():
    result = breakdown({"BE": yna(30, 20), "FR": yna(12, 10), "HU": yna(0, 0)})
    assert result.without_voters == ("HU",)
    assert shape(result) == [(("BE",), False), (("FR",), False)]


def test_k_is_configurable():
    counts = {"BE": yna(3, 2), "FR": yna(4, 2), "NL": yna(30, 20)}
    assert shape(breakdown(counts, k=5)) == [(("BE",), False), (("FR",), False), (("NL",), False)]
    assert shape(breakdown(counts, k=10)) == [(("NL",), False), (("BE", "FR"), True)]
    assert breakdown(counts, k=60).total_only
    with pytest.raises(ValueError):
        breakdown(counts, k=0)


def test_blank_ballots_are_counted_through_voters():
    # 12 voters, 11 yes, 1 blank: not unanimous, published
    result = breakdown({"BE": {"yes": 11, "no": 0}, "FR": yna(30, 20)}, voters={"BE": 12, "FR": 50},
                       options=YNA)
    assert shape(result) == [(("BE",), False), (("FR",), False)]
    assert result.groups[0].blank == 1
    assert result.groups[0].count("abstain") == 0


def test_ranked_ballots_use_first_preferences():
    """Ranked ballots are broken down by first preferences: one option per voter, like single choice."""
    first = {"BE": {"Ana": 7, "Bram": 5}, "FR": {"Ana": 11, "Chloé": 0}, "DE": {"Bram": 3}}
    result = breakdown(first, options=("Ana", "Bram", "Chloé"))
    assert shape(result) == [(("BE",), False), (("DE", "FR"), True)]
    assert result.groups[-1].counts == {"Ana": 11, "Bram": 3, "Chloé": 0}


def test_approval_counts_approvals_and_needs_voters():
    counts = {"BE": {"A": 12, "B": 5}, "FR": {"A": 8, "B": 9}, "NL": {"A": 0, "B": 0}}
    voters = {"BE": 12, "FR": 15, "NL": 11}
    result = breakdown(counts, voters=voters, approval=True)
    # BE: every voter approved A (unanimous); NL: nobody approved anything (unanimous)
    assert shape(result) == [(("FR",), False), (("BE", "NL"), True)]
    assert result.groups[-1].counts == {"A": 12, "B": 5} and result.groups[-1].voters == 23
    assert is_unanimous(12, [12, 5], approval=True)
    assert is_unanimous(11, [0, 0], approval=True)
    assert not is_unanimous(15, [8, 9], approval=True)
    # approvals may add up to more than the voters
    assert not breakdown({"BE": {"A": 10, "B": 9}, "FR": {"A": 9, "B": 10}}, voters={"BE": 11, "FR": 11},
                         approval=True).total_only
    with pytest.raises(ValueError):
        breakdown(counts, approval=True)


@pytest.mark.parametrize(("counts", "voters", "approval"), [
    ({"BE": {"yes": -1}}, None, False),
    ({"BE": {"yes": 5, "no": 5}}, {"BE": 9}, False),       # more votes than voters
    ({"BE": {"A": 5}}, {"BE": 4}, True),                   # more approvals than voters
    ({"BE": {"yes": 1}}, {"FR": 1}, False),                # voters of an unknown branch
])
def test_bad_input_is_refused(counts, voters, approval):
    with pytest.raises(ValueError):
        breakdown(counts, voters=voters, approval=approval)


def test_unknown_options_are_refused():
    with pytest.raises(ValueError):
        breakdown({"BE": {"maybe": 3}}, options=YNA)
    with pytest.raises(TypeError):
        breakdown({"BE": {"yes": 1.5}})


def test_the_order_of_the_input_does_not_matter():
    counts = {"SE": yna(4, 3), "BE": yna(12, 8), "HU": yna(3, 2), "FR": yna(30, 20)}
    reordered = dict(reversed(list(counts.items())))
    assert breakdown(counts) == breakdown(reordered)


# --- the guarantee, checked exhaustively on random small inputs ----------------------------------------
def _union_is_safe(groups, k, approval, options):
    voters = sum(g.voters for g in groups)
    counts = [sum(g.count(option) for g in groups) for option in options]
    return is_safe(voters, counts, k=k, approval=approval)


def _random_case(rng, approval):
    options = ("A", "B", "C")[: rng.randint(1, 3)] if approval else ("yes", "no", "abstain")[: rng.randint(2, 3)]
    counts, voters = {}, {}
    for index in range(rng.randint(1, 6)):
        key = f"B{index}"
        n = rng.choice([0, 1, 2, 3, 5, 8, 9, 10, 11, 14, 20])
        if approval:
            row = {o: rng.choice([0, n, rng.randint(0, n)]) for o in options}
        else:
            row = dict.fromkeys(options, 0)
            style = rng.random()
            for _ in range(n):
                if style < 0.3:
                    row[options[0]] += 1                       # unanimous branches are frequent
                elif rng.random() > 0.1:
                    row[rng.choice(options)] += 1
                # else: a blank ballot
        counts[key], voters[key] = row, n
    return options, counts, voters


@pytest.mark.parametrize("approval", [False, True])
def test_every_union_of_published_groups_is_safe(approval):
    rng = random.Random(20240611 + approval)
    seen_total_only = seen_merged = seen_published = 0
    for _ in range(3000):
        options, counts, voters = _random_case(rng, approval)
        k = rng.randint(1, 12)
        result = breakdown(counts, voters=voters, k=k, approval=approval, options=options)
        with_voters = sorted(key for key in counts if voters[key] > 0)
        assert list(result.without_voters) == sorted(key for key in counts if voters[key] == 0)
        # the total adds up
        assert result.total.voters == sum(voters.values())
        assert result.total.counts == {o: sum(counts[key][o] for key in counts) for o in options}
        if result.total_only:
            seen_total_only += 1
            continue
        assert len(result.groups) >= 2
        # the groups partition the branches with voters and add up to the total
        listed = [key for group in result.groups for key in group.branches]
        assert sorted(listed) == with_voters and len(listed) == len(set(listed))
        for option in options:
            assert sum(g.count(option) for g in result.groups) == result.total.count(option)
            for group in result.groups:
                assert group.count(option) == sum(counts[key][option] for key in group.branches)
        assert sum(g.voters for g in result.groups) == result.total.voters
        # at most one "other branches" group, last
        assert [g.is_other for g in result.groups].count(True) <= 1
        assert all(not g.is_other for g in result.groups[:-1])
        # a branch published alone is safe on its own; any safe branch not published alone was merged as
        # the smallest
        for group in result.groups:
            if not group.is_other:
                assert len(group.branches) == 1
                seen_published += 1
        other = result.groups[-1] if result.groups[-1].is_other else None
        if other:
            safe_inside = [key for key in other.branches
                           if is_safe(voters[key], [counts[key][o] for o in options], k=k, approval=approval)]
            assert len(safe_inside) <= 1
            seen_merged += bool(safe_inside)
        # every union of published groups (what sums and differences of published figures can reveal,
        # the total included) has at least k voters and is not unanimous
        for size in range(1, len(result.groups) + 1):
            for union in itertools.combinations(result.groups, size):
                assert _union_is_safe(union, k, approval, options), (counts, voters, k, union)
        # a branch's turnout, if known, never pins down a unanimous branch inside a group
        for group in result.groups:
            for size in range(1, len(group.branches) + 1):
                for part in itertools.combinations(group.branches, size):
                    n_part = sum(voters[key] for key in part)
                    figures = [group.count(option) for option in options]
                    if not approval:
                        figures.append(group.blank)
                    for figure in figures:
                        assert figure - (group.voters - n_part) < n_part
    # the random cases exercise every path
    assert seen_total_only > 100 and seen_merged > 20 and seen_published > 100


@pytest.mark.parametrize("approval", [False, True])
def test_breakdown_is_deterministic(approval):
    rng = random.Random(7 + approval)
    for _ in range(200):
        options, counts, voters = _random_case(rng, approval)
        shuffled_keys = list(counts)
        rng.shuffle(shuffled_keys)
        shuffled = {key: counts[key] for key in shuffled_keys}
        assert (breakdown(counts, voters=voters, approval=approval, options=options)
                == breakdown(shuffled, voters=voters, approval=approval, options=options))


def test_breakdown_as_plain_figures():
    import json

    result = breakdown({"BE": yna(12, 8), "FR": yna(30, 20), "HU": yna(3, 2), "SE": yna(4, 3), "AT": yna(0, 0)})
    data = result.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data == {
        "k": 10, "approval": False, "options": ["yes", "no", "abstain"],
        "groups": [
            {"branches": ["BE"], "voters": 20, "counts": {"yes": 12, "no": 8, "abstain": 0}, "other": False},
            {"branches": ["FR"], "voters": 50, "counts": {"yes": 30, "no": 20, "abstain": 0}, "other": False},
            {"branches": ["HU", "SE"], "voters": 12, "counts": {"yes": 7, "no": 5, "abstain": 0}, "other": True},
        ],
        "total": {"branches": ["AT", "BE", "FR", "HU", "SE"], "voters": 82,
                  "counts": {"yes": 49, "no": 33, "abstain": 0}, "other": False},
        "without_voters": ["AT"],
    }
