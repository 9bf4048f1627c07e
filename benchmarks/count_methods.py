"""Time the counting methods on a large ballot: prints timings, asserts nothing.

    .venv/bin/python benchmarks/count_methods.py [BALLOTS] [CANDIDATES] [SEATS]

Defaults: 50,000 ballots, 10 candidates, 3 seats. The ballots are drawn at random (fixed seed) from a
Plackett–Luce model with popular and unpopular candidates, ranked to a random depth, then aggregated into
distinct rankings as a SQL ``GROUP BY`` would give them; the counting functions only ever see the aggregate.
"""
from __future__ import annotations

import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from governance.votes.methods import count_approval, count_irv, count_plurality, count_schulze, count_stv  # noqa: E402
from governance.votes.methods.files import read_blt, write_blt  # noqa: E402


def make_rankings(ballots: int, candidates: list[str], rng: random.Random) -> Counter:
    weights = [rng.uniform(0.2, 3.0) for _ in candidates]
    counter: Counter = Counter()
    for _ in range(ballots):
        # Plackett–Luce: a candidate's key is U^(1/w); sorting by it draws in proportion to the weights
        order = sorted(candidates, key=lambda c: rng.random() ** (1 / weights[candidates.index(c)]), reverse=True)
        depth = min(len(order), max(1, int(rng.expovariate(1 / 3)) + 1))
        counter[tuple(order[:depth])] += 1
    return counter


def timed(label: str, function, repeat: int = 3):
    best = None
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    print(f"{label:<34} {best * 1000:8.1f} ms")
    return result


def main() -> None:
    ballots = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    seats = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    rng = random.Random(2026)
    candidates = [f"Candidate {i + 1}" for i in range(n)]
    start = time.perf_counter()
    counter = make_rankings(ballots, candidates, rng)
    print(f"{ballots:,} ballots, {n} candidates, {seats} seats: {len(counter):,} distinct rankings "
          f"(generated in {time.perf_counter() - start:.1f} s)")
    rankings = list(counter.items())
    firsts = Counter()
    approvals = Counter()
    for ranking, count in rankings:
        firsts[ranking[0]] += count
        for candidate in ranking[:3]:
            approvals[candidate] += count

    stv = timed(f"STV, {seats} seats", lambda: count_stv(rankings, candidates, seats, seed="bench"))
    irv = timed("IRV", lambda: count_irv(rankings, candidates, seed="bench"))
    schulze = timed("Schulze", lambda: count_schulze(rankings, candidates, seed="bench"))
    timed("single choice (first preferences)", lambda: count_plurality(dict(firsts), options=candidates))
    timed("approval (top 3)", lambda: count_approval(dict(approvals), options=candidates, seats=seats,
                                                     ballots=ballots, max_choices=3))
    text = timed("write BLT", lambda: write_blt(rankings, candidates, seats, title="benchmark"))
    timed("read BLT", lambda: read_blt(text))
    timed("STV result to_dict()", lambda: stv.to_dict())
    print(f"STV elected {', '.join(stv.elected)} in {len(stv.stages)} stages; IRV: {irv.winner} "
          f"in {len(irv.rounds)} rounds; Schulze: {schulze.winner}")


if __name__ == "__main__":
    main()
