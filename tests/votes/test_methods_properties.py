"""Properties of the counting methods on many random small elections (seeded, so every run is the same)."""
from __future__ import annotations

import random
from decimal import Decimal

import pytest

from governance.votes.methods import count_irv, count_plurality, count_schulze, count_stv
from governance.votes.methods.files import read_blt, write_blt

ELECTIONS = 150


def random_election(rng: random.Random):
    n = rng.randint(2, 6)
    candidates = [f"C{i}" for i in range(n)]
    weights = [rng.random() ** 2 + 0.05 for _ in candidates]
    rows = []
    for _ in range(rng.randint(1, 25)):
        order = sorted(candidates, key=lambda c: rng.random() ** (1 / weights[candidates.index(c)]), reverse=True)
        rows.append((tuple(order[:rng.randint(0, n)]), rng.randint(1, 9)))
    return candidates, rows


def elections():
    rng = random.Random(20261127)
    return [random_election(rng) for _ in range(ELECTIONS)]


def shuffled_and_split(rows, rng: random.Random):
    """The same ballots in another order, some rows split in two (as several GROUP BY rows could be)."""
    out = []
    for ranking, count in rows:
        if count > 1 and rng.random() < 0.5:
            part = rng.randint(1, count - 1)
            out += [(list(ranking), part), (ranking, count - part)]
        else:
            out.append((ranking, count))
    rng.shuffle(out)
    return out


@pytest.mark.parametrize("method", ["irv", "stv", "schulze"])
def test_input_order_and_splitting_rows_do_not_change_the_result(method):
    rng = random.Random(7)
    for candidates, rows in elections():
        seats = rng.randint(1, len(candidates))
        count = {"irv": lambda r: count_irv(r, candidates, seed="p"),
                 "stv": lambda r: count_stv(r, candidates, seats, seed="p"),
                 "schulze": lambda r: count_schulze(r, candidates, seed="p")}[method]
        assert count(shuffled_and_split(rows, rng)).to_dict() == count(rows).to_dict()


def test_irv_equals_plurality_when_a_candidate_has_a_majority_of_first_preferences():
    checked = 0
    for candidates, rows in elections():
        firsts = {c: 0 for c in candidates}
        for ranking, count in rows:
            if ranking:
                firsts[ranking[0]] += count
        if max(firsts.values()) * 2 > sum(firsts.values()):
            checked += 1
            irv = count_irv(rows, candidates, seed="p")
            assert irv.winner == count_plurality(firsts, seed="p").winner
            assert len(irv.rounds) == 1
    assert checked > 20


def test_stv_for_one_seat_elects_the_irv_winner():
    for candidates, rows in elections():
        if not any(ranking for ranking, _count in rows):
            continue
        assert count_stv(rows, candidates, 1, seed="p").elected == count_irv(rows, candidates, seed="p").elected


def test_stv_accounts_for_every_paper_at_every_stage_and_fills_every_seat():
    rng = random.Random(11)
    for candidates, rows in elections():
        seats = rng.randint(1, len(candidates) - 1)
        result = count_stv(rows, candidates, seats, seed="p")
        if not result.valid:
            continue
        for stage in result.stages:
            assert sum(stage.totals.values()) + stage.non_transferable + stage.loss == result.valid
            assert stage.loss >= 0 and all(v >= 0 for v in stage.totals.values())
            assert all(v == v.quantize(Decimal("0.00001")) for v in stage.totals.values())
        assert len(result.elected) == seats == len(set(result.elected))
        quota_reached = [c for s in result.stages for c, why in s.elected_reason.items() if why == "quota"]
        assert all(result.stages[-1].totals[c] >= result.quota for c in quota_reached)


def test_a_condorcet_winner_is_the_schulze_winner():
    found = 0
    for candidates, rows in elections():
        result = count_schulze(rows, candidates, seed="p")
        d = result.pairwise
        beats_all = [a for a in candidates if all(d[a][b] > d[b][a] for b in candidates if b != a)]
        if beats_all and result.valid:
            found += 1
            assert result.winner == beats_all[0]
    assert found > 50


def test_ranked_elections_survive_a_blt_round_trip():
    for candidates, rows in elections()[:40]:
        election = read_blt(write_blt(rows, candidates, 1))
        assert count_irv(election.rankings, candidates, seed="p").to_dict() == \
            count_irv(rows, candidates, seed="p").to_dict()
