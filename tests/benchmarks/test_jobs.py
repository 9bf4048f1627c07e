"""The tally and batch jobs (benchmarks/jobs.py) at a tiny scale, on the suite's database (SQLite, or
PostgreSQL when DATABASE_URL points at one: a scratch database ``<name>_jobs`` is created and dropped).

They check the shape of what the benchmark orchestrator records, not the timings: every job reports its
figures, targets do not apply below full scale, the SMTP sink received every email, and each counting method
elects the same candidates as the reference library (a comparison whose library is not installed is reported
as skipped, and not checked here)."""
from __future__ import annotations

import importlib.util

import pytest

from benchmarks.jobs import LIBRARIES, make_ballots, markdown_table, ours_irv, ours_schulze, ours_stv, run_jobs

SCALE = 0.0001
KEYS = {"name", "target", "seconds", "min", "max", "runs", "passed"}
COMPARISON_KEYS = {"reference", "reference_seconds", "speed_ratio", "same_winners"}


@pytest.fixture(scope="module")
def report(database_url):
    return run_jobs(database_url, SCALE, True)


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def test_every_job_reports_its_figures(report):
    assert report["scale"] == SCALE and report["smoke"] is True
    assert report["database"] in ("sqlite", "postgresql")
    names = [entry["name"] for entry in report["results"]]
    assert len(names) == 9
    for entry in report["results"]:
        assert KEYS <= set(entry), entry["name"]
        assert entry["seconds"] is not None and entry["seconds"] >= 0
        assert entry["min"] <= entry["seconds"] <= entry["max"]
        assert entry["passed"] is None  # no target applies below full scale
    table = markdown_table(report)
    assert table.count("\n| ") == 1 + len(names)


def test_the_tally_counts_every_paper(report):
    tally = report["results"][0]
    details = tally["details"]
    assert details["valid"] == details["papers"] == details["participations"] >= 2000
    assert sum(details["totals"].values()) == details["papers"]
    assert details["group_by_plan"]


def test_the_comparisons_agree_on_the_winners(report):
    ranked = [entry for entry in report["results"] if "ranked ballots" in entry["name"]]
    assert len(ranked) == 3
    for entry, method in zip(ranked, ("irv", "stv", "schulze")):
        assert COMPARISON_KEYS <= set(entry)
        module = LIBRARIES[method][0]
        if not installed(module):
            assert entry["same_winners"] is None and module in entry["skipped"]
            continue
        assert entry["reference"].startswith(module)
        assert entry["same_winners"] is True, (method, entry["details"])
        assert entry["reference_seconds"] > 0 and entry["speed_ratio"] > 0


def test_the_batch_jobs_did_all_their_work(report):
    imported, convened, sent = report["results"][-3:]
    assert imported["details"]["counts"]["created"] == 500
    assert convened["details"] == {"emails": 200, "letters": 0}
    assert sent["details"]["sent"] == sent["details"]["sink_received"] == 200
    assert sent["details"]["all_received"] is True and sent["details"]["not_sent"] == 0


def test_the_ballots_are_the_same_for_the_same_seed():
    candidates = [f"C{i}" for i in range(6)]
    first = make_ballots(300, candidates, seed=3)
    assert first == make_ballots(300, candidates, seed=3)
    assert all(1 <= len(ballot) <= 6 and len(set(ballot)) == len(ballot) for ballot in first)
    # the popular candidates are ranked first more often: the model is not uniform
    firsts = {name: sum(1 for ballot in first if ballot[0] == name) for name in candidates}
    assert max(firsts.values()) > 2 * min(firsts.values())
    assert ours_irv(first, candidates).winner
    assert len(ours_stv(first, candidates).elected) == 5
    assert ours_schulze(first, candidates).winner
