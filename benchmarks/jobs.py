"""Tally and batch jobs, timed in-process (a measurement, not a test): prints a table, asserts nothing.

    .venv/bin/python -m benchmarks.jobs --database-url URL --scale S [--smoke] [--json out.json]

:func:`run_jobs` is what the benchmark orchestrator calls. The jobs, with their full-scale sizes (at a scale
below 1 the sizes are multiplied by the scale, with a minimum each, and the targets are reported as not
applicable):

1. **Tally of 1,000,000 yes/no/abstain ballots.** A closed secret ballot whose box holds 1,000,000 papers (and
   as many members, roll entries and participations, since the tally counts participations and breaks the
   result down by branch) is counted by the project's own ``governance.votes.operations.tally``: the SQL
   ``GROUP BY`` over the box, the participation count, the per-branch breakdown and the method. Median of 5;
   target under 250 ms. The ``GROUP BY`` alone and the pure method on the aggregate are timed apart, and the
   query plan is recorded (``EXPLAIN ANALYZE`` on PostgreSQL, ``EXPLAIN QUERY PLAN`` on SQLite). When the given
   database already holds a closed secret yes/no/abstain ballot that large (the data generator's), it is
   counted there, read-only; otherwise the ballot is built in the scratch database, because a million members
   would distort the data set the other benchmarks read.
2. **IRV, STV (15 candidates, 5 seats) and Schulze on 100,000 ranked ballots**, drawn with a fixed seed from a
   Plackett–Luce model (popular and unpopular candidates) and truncated at a random depth. Each method is timed
   from the list of individual ballots: the aggregation into distinct rankings (what the SQL ``GROUP BY``
   gives the portal) is included. Each is compared, on the same ballots in the same run, with an established
   implementation: pyrankvote (IRV), pref_voting (Beat Path = Schulze) and votekit (STV). Targets: ours under
   1 s and at least 5 times faster, and the same winners. How the libraries' rules differ from ours is in
   :data:`RULE_NOTES` (and in the results).
3. **Register import of 100,000 rows** (CSV, every member new) into empty tables: target under 30 s.
4. **Convocation of an assembly to 35,000 members** (all with a dated consent to email): ``send_convocation``
   renders and queues 35,000 emails and writes the delivery log. Target under 30 s.
5. **Sending that convocation** through the outbox worker's function (``send_due``, as ``flask governance
   outbox send`` calls it) to a local SMTP sink (aiosmtpd, in a subprocess on a free port of 127.0.0.1).
   Target at least 200 emails per second; the sink must have received every message sent.

Jobs that need clean tables use a scratch database: a SQLite file in a temporary folder, or on PostgreSQL a
database named ``<given database>_jobs`` on the same server, created and dropped by the run. The batch jobs
(3–5) run once; the tallies run 5 times (3 at scale < 1) and report the median, min and max.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import importlib
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, func, insert, literal, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from governance import create_app  # noqa: E402
from governance.config import normalise_database_url  # noqa: E402
from governance.extensions import db  # noqa: E402

#: full-scale sizes, and the smallest size used at a small scale
SIZES = {
    "box": (1_000_000, 2_000),
    "ranked": (100_000, 1_000),
    "register": (100_000, 500),
    "convocation": (35_000, 200),
}
CANDIDATES = 15
SEATS = 5
TALLY_TARGET = 0.250
RANKED_TARGET = 1.0
SPEEDUP_TARGET = 5.0
IMPORT_TARGET = 30.0
CONVOCATION_TARGET = 30.0
EMAILS_PER_SECOND_TARGET = 200.0
#: a reference implementation slower than this on the full ballot set is timed on a subset and extrapolated
SLOW_LIBRARY_SECONDS = 120.0
SEED = 2026
BRANCHES = ("BE", "FR", "DE", "NL", "IT")

#: how each library's rules differ from ours, and the settings chosen to bring them closest
RULE_NOTES = {
    "irv": "pyrankvote instant_runoff_voting (preferential block voting with one seat): excludes the candidate "
           "with the fewest votes each round, as ours; its ties for the fewest votes are broken by second-choice "
           "votes, ours by earlier rounds then lot. It runs until one candidate is left instead of stopping at a "
           "majority, which cannot change the winner.",
    "schulze": "pref_voting beat_path (Floyd–Warshall) with strength_function=support (winning votes, as ours; "
               "the library's default is margins, which can differ on truncated ballots) on a ProfileWithTies "
               "with extended strict preference (a ranked candidate beats an unranked one, as ours). The ranking "
               "is read from beat_path_defeat in tiers, as ours.",
    "stv": "votekit STV(quota='droop', simultaneous=True, exact=True): the same quota floor(v/(s+1))+1, election "
           "at >= quota, inclusive Gregory (every paper of the elected candidate moves at value × surplus / "
           "total) and exclusion at current value, one candidate at a time. It differs from Scottish STV in "
           "that values are exact fractions (no truncation to 5 decimals), every surplus of the candidates "
           "elected in one round is transferred in that same round (ours: one surplus per stage, the largest "
           "first, so a candidate elected by an earlier surplus no longer receives later ones), ties for "
           "exclusion go by first preferences (ours: earlier stages, then lot), and 'last vacancies' is tested "
           "on candidates who still hold papers. These change transfer values in the last decimals, not the "
           "elected set, unless a count is extremely close.",
}


# --- small helpers ----------------------------------------------------------------------------------------
def size(name: str, scale: float) -> int:
    full, minimum = SIZES[name]
    return max(minimum, int(round(full * scale)))


def measure(function: Callable[[], Any], runs: int) -> tuple[dict[str, Any], Any]:
    """Run ``function`` ``runs`` times: median, min and max in seconds, and the last result."""
    times = []
    result = None
    gc.collect()
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return {"seconds": statistics.median(times), "min": min(times), "max": max(times), "runs": runs}, result


def job(name: str, target: str, stats: dict[str, Any] | None, passed: bool | None, **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "target": target, "seconds": None, "min": None, "max": None,
                             "runs": 0, "passed": passed}
    if stats:
        entry.update(stats)
    entry.update(extra)
    return entry


def verdict(ok: bool, full_scale: bool) -> bool | None:
    return bool(ok) if full_scale else None


def settings(database_url: str, folder: Path, **overrides: Any) -> dict[str, Any]:
    values = {
        "TESTING": True,
        "GOVERNANCE_ENV": "testing",
        "SECRET_KEY": "benchmark-secret-key-that-is-long-enough",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RATELIMIT_STORAGE_URI": "memory://",
        "MAIL_BACKEND": "file",
        "MAIL_FILE_DIR": str(folder / "outbox"),
        "SERVER_NAME_FOR_EMAIL": "http://portal.test",
    }
    values.update(overrides)
    return values


@contextlib.contextmanager
def scratch_database(database_url: str, folder: Path) -> Iterator[Callable[[str], str]]:
    """Yield ``url_for(job name)``: a SQLite file per job in ``folder``, or one PostgreSQL database
    ``<name>_jobs`` on the given server (created here, dropped at the end)."""
    url = make_url(normalise_database_url(database_url))
    if url.get_backend_name() == "sqlite":
        yield lambda name: f"sqlite:///{folder / f'{name}.db'}"
        return
    name = f"{url.database}_jobs"
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise ValueError(f"unexpected database name {url.database!r}")
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        scratch = url.set(database=name).render_as_string(hide_password=False)
        yield lambda _job: scratch
    finally:
        with server.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.dispose()


@contextlib.contextmanager
def fresh_app(url: str, folder: Path, **overrides: Any):
    """An app on ``url`` with an empty schema, inside its app context; the engine is closed afterwards."""
    app = create_app(settings(url, folder, **overrides))
    with app.app_context():
        db.drop_all()
        db.create_all()
        try:
            yield app
        finally:
            db.session.rollback()
            db.session.remove()
            db.drop_all()
            db.engine.dispose()
    if url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url[len("sqlite:///"):] + suffix).unlink(missing_ok=True)


def add_branches() -> dict[str, int]:
    from governance.members.models import Branch

    for code in BRANCHES:
        db.session.add(Branch(code=code, country=code, names={"en": code}, official_languages=["en"],
                              required_languages=["en"], timezone="Europe/Brussels"))
    db.session.flush()
    return dict(db.session.execute(select(Branch.code, Branch.id)).all())


def insert_members(count: int, branch_ids: Sequence[int], *, consent: bool = False, prefix: str = "B") -> None:
    """``count`` active members spread over the branches, by multi-row INSERTs through the model."""
    from governance.members.models import Member

    now = dt.datetime.now(dt.timezone.utc)
    consent_dt = now - dt.timedelta(days=100) if consent else None
    languages = ("nl", "fr", "de", "en")
    chunk = 5_000
    for start in range(0, count, chunk):
        db.session.execute(insert(Member), [
            {"number": f"{prefix}-{i:07d}", "branch_id": branch_ids[i % len(branch_ids)], "first_name": "Alex",
             "last_name": f"Member {i}", "email": f"member{i}@example.org", "language": languages[i % 4],
             "status": "active", "joined_on": dt.date(2010, 1, 1), "shares": 1, "email_consent_dt": consent_dt,
             "created_dt": now, "modified_dt": now}
            for i in range(start, min(count, start + chunk))])


# --- 1. the tally of a big yes/no/abstain ballot ------------------------------------------------------------
def _find_big_ballot(database_url: str, folder: Path, papers: int):
    """The id of a closed secret yes/no/abstain ballot of at least ``papers`` papers in the given database."""
    from governance.votes.models import Ballot, BoxEntry

    app = create_app(settings(normalise_database_url(database_url), folder))
    with app.app_context():
        try:
            row = db.session.execute(
                select(Ballot.id, func.count()).join(BoxEntry, BoxEntry.ballot_id == Ballot.id)
                .where(Ballot.state == "closed", Ballot.is_secret.is_(True), Ballot.method == "yna")
                .group_by(Ballot.id).order_by(func.count().desc()).limit(1)).first()
        except Exception:  # noqa: BLE001 - an empty or foreign database simply has no such ballot
            row = None
        finally:
            db.session.rollback()
            db.session.remove()
            db.engine.dispose()
    return row[0] if row and row[1] >= papers else None


def build_closed_ballot(papers: int) -> int:
    """A closed secret yes/no/abstain ballot with ``papers`` members on its roll, all of whom voted; the box
    holds one paper each, without branch (as after close). Returns the ballot's id."""
    from governance.votes import roll
    from governance.votes.models import Ballot, BoxEntry, Participation, RollEntry

    branch_ids = list(add_branches().values())
    insert_members(papers, branch_ids)
    now = dt.datetime.now(dt.timezone.utc)
    ballot = Ballot(questions={"en": "Adopt the benchmark proposal?"}, original_language="en", method="yna",
                    is_secret=True, electorate_kind="register", eligible_statuses=["active"])
    from governance.members.models import Branch

    ballot.branches = list(db.session.execute(select(Branch)).scalars())
    db.session.add(ballot)
    db.session.flush()
    size_, digest = roll.freeze_roll(ballot)
    db.session.execute(insert(Participation).from_select(
        ["ballot_id", "member_id", "cast_dt", "channel"],
        select(RollEntry.ballot_id, RollEntry.member_id, literal(now), literal("web"))
        .where(RollEntry.ballot_id == ballot.id)))
    rng = random.Random(SEED)
    chunk = 10_000
    for start in range(0, papers, chunk):
        rows = []
        for _ in range(min(chunk, papers - start)):
            draw = rng.random()
            choice = "yes" if draw < 0.48 else ("no" if draw < 0.88 else "abstain")
            rows.append({"id": uuid.UUID(int=rng.getrandbits(128), version=4), "ballot_id": ballot.id,
                         "choice": choice, "choice_key": choice, "branch_id": None})
        db.session.execute(insert(BoxEntry), rows)
    ballot.mark_open(now - dt.timedelta(days=7), size_, digest)
    ballot.mark_closed(now, {"placeholder": True}, "benchmark")
    db.session.commit()
    if db.session.get_bind().dialect.name == "postgresql":
        # the statistics autovacuum would gather soon after: without them the planner expects a few hundred
        # papers and picks a bitmap scan over the million
        for table in ("ballot_box", "ballot_roll_entries", "ballot_participations"):
            db.session.execute(text(f"ANALYZE {table}"))
        db.session.commit()
    return ballot.id


def explain(statement) -> list[str]:
    connection = db.session.connection()
    compiled = statement.compile(connection, compile_kwargs={"literal_binds": True})
    if connection.dialect.name == "postgresql":
        rows = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}").all()
        return [row[0] for row in rows]
    rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}").all()
    return [str(row[-1]) for row in rows]


def job_tally(database_url: str, url_for: Callable[[str], str], folder: Path, scale: float) -> list[dict[str, Any]]:
    from governance.votes import operations
    from governance.votes.methods import count_yna
    from governance.votes.models import Ballot, BoxEntry

    papers = size("box", scale)
    full = scale >= 1
    runs = 5 if full else 3
    reused = _find_big_ballot(database_url, folder, papers)
    if reused is not None:
        context = contextlib.ExitStack()
        app = create_app(settings(normalise_database_url(database_url), folder))
        context.enter_context(app.app_context())
        context.callback(db.engine.dispose)
        context.callback(db.session.remove)
        where = "the given database (existing ballot, read-only)"
        build_seconds = None
    else:
        context = contextlib.ExitStack()
        context.enter_context(fresh_app(url_for("tally"), folder))
        started = time.perf_counter()
        reused = build_closed_ballot(papers)
        build_seconds = time.perf_counter() - started
        where = "the scratch database"
    with context:
        ballot = db.session.get(Ballot, reused)
        counted = db.session.execute(select(func.count()).select_from(BoxEntry)
                                     .where(BoxEntry.ballot_id == ballot.id)).scalar_one()

        def whole() -> dict[str, Any]:
            db.session.expire_all()
            return operations.tally(ballot, seed="benchmark")

        stats, result = measure(whole, runs)
        sql_stats, rows = measure(lambda: operations._counts_by_branch(ballot), runs)
        counts: dict[str, int] = {}
        for _branch, key, count in rows:
            counts[key] = counts.get(key, 0) + count
        method_stats, outcome = measure(lambda: count_yna(counts), 1000)
        table = BoxEntry
        statement = (select(table.branch_id, table.choice_key, func.count()).where(table.ballot_id == ballot.id)
                     .group_by(table.branch_id, table.choice_key))
        plan = explain(statement)
        db.session.rollback()
    dialect = make_url(normalise_database_url(database_url)).get_backend_name()
    details = {"papers": counted, "where": where, "database": dialect, "totals": outcome.totals,
               "valid": outcome.valid, "participations": result["participations"],
               "group_by_plan": plan, "build_seconds": build_seconds}
    label = f"{counted:,}"
    return [
        job(f"tally of {label} yes/no/abstain ballots (tally(): GROUP BY, participations, breakdown, method)",
            "< 250 ms at 1,000,000 ballots" if full else "n/a below full scale", stats,
            verdict(stats["seconds"] < TALLY_TARGET, full), details=details),
        job(f"  its GROUP BY over the box alone ({label} rows)", "(part of the above)", sql_stats, None,
            details={"plan": plan}),
        job("  the method alone on the aggregate (count_yna)", "(part of the above)", method_stats, None),
    ]


# --- 2. ranked ballots: ours against the reference libraries -----------------------------------------------
def make_ballots(count: int, candidates: Sequence[str], seed: int = SEED) -> list[tuple[str, ...]]:
    """``count`` individual ranked ballots: Plackett–Luce with candidate weights between 0.2 and 3, each ballot
    ranked to a depth of 1 + an exponential with mean 3 (cut at the number of candidates)."""
    rng = random.Random(seed)
    weights = {name: rng.uniform(0.2, 3.0) for name in candidates}
    exponents = {name: 1 / weight for name, weight in weights.items()}
    ballots = []
    for _ in range(count):
        # Plackett–Luce: sorting by U^(1/w) draws each next candidate in proportion to the weights
        order = sorted(candidates, key=lambda name: rng.random() ** exponents[name], reverse=True)
        depth = min(len(order), int(rng.expovariate(1 / 3)) + 1)
        ballots.append(tuple(order[:depth]))
    return ballots


def ours_irv(ballots, candidates):
    from governance.votes.methods import count_irv

    return count_irv(list(Counter(ballots).items()), candidates, seed="benchmark")


def ours_stv(ballots, candidates):
    from governance.votes.methods import count_stv

    return count_stv(list(Counter(ballots).items()), candidates, SEATS, seed="benchmark")


def ours_schulze(ballots, candidates):
    from governance.votes.methods import count_schulze

    return count_schulze(list(Counter(ballots).items()), candidates, seed="benchmark")


def theirs_irv(ballots, candidates):
    from pyrankvote import Ballot, Candidate, instant_runoff_voting

    people = {name: Candidate(name) for name in candidates}
    papers = [Ballot(ranked_candidates=[people[name] for name in ranking]) for ranking in ballots]
    result = instant_runoff_voting(list(people.values()), papers)
    return result.get_winners()[0].name


def theirs_schulze(ballots, candidates):
    from pref_voting.margin_based_methods import beat_path, beat_path_defeat
    from pref_voting.profiles_with_ties import ProfileWithTies

    aggregated = Counter(ballots)
    profile = ProfileWithTies([{name: rank for rank, name in enumerate(ranking, 1)} for ranking in aggregated],
                              rcounts=list(aggregated.values()), candidates=list(candidates))
    profile.use_extended_strict_preference()
    winners = beat_path(profile, strength_function=profile.support)
    defeats = beat_path_defeat(profile, strength_function=profile.support)
    remaining = list(candidates)
    tiers = []
    while remaining:
        tier = [c for c in remaining if not any(defeats.has_edge(d, c) for d in remaining if d != c)]
        tiers.append(tuple(tier))
        remaining = [c for c in remaining if c not in tier]
    margin_winners = beat_path(profile)
    return {"winners": list(winners), "ranking": tiers, "margin_winners": list(margin_winners)}


def theirs_stv(ballots, candidates):
    from votekit import RankBallot, RankProfile
    from votekit.elections import STV

    aggregated = Counter(ballots)
    profile = RankProfile(ballots=[RankBallot(ranking=tuple(frozenset((name,)) for name in ranking), weight=n)
                                   for ranking, n in aggregated.items()], candidates=tuple(candidates))
    election = STV(profile, n_seats=SEATS, quota="droop", simultaneous=True, exact=True)
    return [name for tier in election.get_elected() for name in tier]


LIBRARIES = {"irv": ("pyrankvote", theirs_irv), "schulze": ("pref_voting", theirs_schulze),
             "stv": ("votekit", theirs_stv)}


def library_version(module: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    names = {"pref_voting": ("pref_voting", "pref-voting")}.get(module, (module,))
    for name in names:
        try:
            return version(name)
        except PackageNotFoundError:
            continue
    return "unknown"


def _time_library(function, ballots, candidates, *, full: bool) -> dict[str, Any]:
    """Time a reference implementation once; when the first try on a tenth takes long, extrapolate."""
    probe_size = len(ballots) // 10
    if full and probe_size:
        started = time.perf_counter()
        function(ballots[:probe_size], candidates)
        probe = time.perf_counter() - started
        if probe * 10 > SLOW_LIBRARY_SECONDS:
            return {"seconds": probe * len(ballots) / probe_size, "min": None, "max": None, "runs": 1,
                    "extrapolated_from": probe_size, "probe_seconds": probe, "result": None}
    stats, result = measure(lambda: function(ballots, candidates), 1 if full else 1)
    return {**stats, "result": result}


def job_ranked(scale: float) -> list[dict[str, Any]]:
    count = size("ranked", scale)
    full = scale >= 1
    runs = 5 if full else 3
    candidates = [f"Candidate {i + 1:02d}" for i in range(CANDIDATES)]
    started = time.perf_counter()
    ballots = make_ballots(count, candidates)
    generated = time.perf_counter() - started
    distinct = len(set(ballots))
    ours = {"irv": ours_irv, "schulze": ours_schulze, "stv": ours_stv}
    titles = {"irv": "IRV", "schulze": "Schulze", "stv": f"STV, {SEATS} seats"}
    entries = []
    for method in ("irv", "stv", "schulze"):
        stats, outcome = measure(lambda: ours[method](ballots, candidates), runs)
        if method == "irv":
            mine: Any = outcome.winner
        elif method == "stv":
            mine = sorted(outcome.elected)
        else:
            mine = {"winner": outcome.winner, "ranking": [list(tier) for tier in outcome.ranking]}
        module, function = LIBRARIES[method]
        details: dict[str, Any] = {"ballots": count, "distinct_rankings": distinct, "candidates": CANDIDATES,
                                   "ours": mine, "rules": RULE_NOTES[method], "generated_in": generated}
        if method == "stv":
            details.update(seats=SEATS, quota=outcome.quota, stages=len(outcome.stages),
                           lot_used=outcome.lot_used, elected_in_order=list(outcome.elected))
        if method == "irv":
            details.update(rounds=len(outcome.rounds), lot_used=outcome.lot_used)
        extra: dict[str, Any] = {"reference": None, "reference_seconds": None, "speed_ratio": None,
                                 "same_winners": None}
        try:
            importlib.import_module(module)
        except ImportError as error:
            extra["skipped"] = f"{module} is not installed ({error}): pip install -e '.[bench]'"
        else:
            extra["reference"] = f"{module} {library_version(module)}"
            theirs = _time_library(function, ballots, candidates, full=full)
            result = theirs.pop("result")
            extra["reference_seconds"] = theirs["seconds"]
            extra["speed_ratio"] = theirs["seconds"] / stats["seconds"] if stats["seconds"] else None
            details["reference_timing"] = {key: value for key, value in theirs.items() if key != "seconds"}
            if result is None:
                extra["same_winners"] = None
                details["theirs"] = "not run on every ballot (too slow): see reference_timing"
            elif method == "irv":
                extra["same_winners"] = result == mine
                details["theirs"] = result
            elif method == "stv":
                extra["same_winners"] = sorted(result) == mine
                details["theirs"] = sorted(result)
                details["theirs_in_order"] = result
            else:
                same_ranking = [sorted(tier) for tier in result["ranking"]] == \
                    [sorted(tier) for tier in mine["ranking"]]
                extra["same_winners"] = result["winners"] == [mine["winner"]] and same_ranking
                details["theirs"] = result
                details["same_ranking"] = same_ranking
        ok = stats["seconds"] < RANKED_TARGET and (extra["speed_ratio"] or 0) >= SPEEDUP_TARGET \
            and extra["same_winners"] is True
        entries.append(job(
            f"{titles[method]} on {count:,} ranked ballots ({CANDIDATES} candidates), aggregation included",
            "< 1 s, ≥ 5× the reference, same winners" if full else "n/a below full scale (same winners)",
            stats, verdict(ok, full), details=details, **extra))
    return entries


# --- 3. register import ----------------------------------------------------------------------------------
def job_import(url_for: Callable[[str], str], folder: Path, scale: float) -> list[dict[str, Any]]:
    from benchmarks.import_register import BRANCHES as IMPORT_BRANCHES, make_rows, to_csv
    from governance.members.models import Branch
    from governance.members.operations import import_register

    rows = size("register", scale)
    full = scale >= 1
    data = to_csv(make_rows(rows))
    with fresh_app(url_for("register"), folder):
        for code in IMPORT_BRANCHES:
            db.session.add(Branch(code=code, country=code, names={"en": code}, official_languages=["en"],
                                  required_languages=["en"]))
        db.session.commit()

        def run():
            report = import_register(data, "register.csv", actor=None)
            db.session.commit()
            return report

        stats, report = measure(run, 1)
        counts = report.counts()
    return [job(f"register import, {rows:,} CSV rows (all new members)",
                "< 30 s at 100,000 rows" if full else "n/a below full scale", stats,
                verdict(stats["seconds"] < IMPORT_TARGET, full),
                details={"counts": counts, "megabytes": round(len(data) / 1e6, 1)})]


# --- 4 and 5. convocation and its sending -------------------------------------------------------------------
SINK_SOURCE = """
import signal, sys, threading
from aiosmtpd.controller import Controller

class Count:
    received = 0
    async def handle_DATA(self, server, session, envelope):
        Count.received += 1
        return "250 OK"

stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
controller = Controller(Count(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
stop.wait()
controller.stop()
print(Count.received, flush=True)
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def smtp_sink() -> Iterator[tuple[int, Callable[[], int]]]:
    """An aiosmtpd server that accepts and counts every message, in a subprocess; yields its port and a function
    that stops it and returns the count."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", SINK_SOURCE, str(port)], stdout=subprocess.PIPE, text=True)
    received: list[int] = []

    def stop() -> int:
        if not received:
            process.send_signal(signal.SIGTERM)
            out, _ = process.communicate(timeout=30)
            received.append(int(out.split()[-1]))
        return received[0]

    try:
        assert process.stdout is not None
        if process.stdout.readline().strip() != "ready":
            raise RuntimeError("the SMTP sink did not start")
        yield port, stop
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def job_convocation(url_for: Callable[[str], str], folder: Path, scale: float) -> list[dict[str, Any]]:
    from governance.assemblies import operations as assemblies
    from governance.core.outbox import OutboxMessage, send_due

    members = size("convocation", scale)
    full = scale >= 1
    languages = ("en", "nl", "fr", "de")
    texts = lambda word: {code: f"{word} ({code})" for code in languages}  # noqa: E731
    entries = []
    with smtp_sink() as (port, stop_sink), fresh_app(url_for("convocation"), folder, MAIL_BACKEND="smtp",
                                                     MAIL_SERVER="127.0.0.1", MAIL_PORT=port):
        from governance.members.models import Branch

        branch = Branch(code="BE", country="BE", names={"en": "Belgium"}, official_languages=["nl", "fr", "de"],
                        required_languages=["nl", "fr"], timezone="Europe/Brussels")
        db.session.add(branch)
        db.session.flush()
        insert_members(members, [branch.id], consent=True, prefix="C")
        starts = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=40)).replace(hour=9, minute=0, second=0,
                                                                                   microsecond=0)
        assembly = assemblies.create_assembly(actor=None, branch=branch, titles=texts("General assembly"),
                                              descriptions=texts("The yearly general assembly"),
                                              original_language="en", starts_at=starts,
                                              place="Maison de la Coopération, Bruxelles")
        assemblies.add_agenda_item(assembly, actor=None, kind="information", titles=texts("Annual report"),
                                   texts=texts("The board presents the annual report."), original_language="en")
        assemblies.add_agenda_item(assembly, actor=None, kind="resolution", titles=texts("Accounts"),
                                   texts=texts("Approval of the accounts."), original_language="en",
                                   resolution_texts=texts("The assembly approves the accounts."),
                                   majority="simple", quorum="none")
        db.session.commit()

        def convene():
            counts = assemblies.send_convocation(assembly, actor=None)
            db.session.commit()
            return counts

        stats, counts = measure(convene, 1)
        entries.append(job(f"convocation of an assembly to {members:,} members (send_convocation: render, "
                           "queue, delivery log)", "< 30 s at 35,000 members" if full else "n/a below full scale",
                           stats, verdict(stats["seconds"] < CONVOCATION_TARGET, full),
                           details={"emails": counts.emails, "letters": counts.letters}))

        def send_all() -> dict[str, int]:
            totals = {"sent": 0, "retry": 0, "failed": 0, "batches": 0}
            while True:
                done = send_due()
                totals["batches"] += 1
                for key in ("sent", "retry", "failed"):
                    totals[key] += done[key]
                if not any(done.values()):
                    return totals

        sent_stats, totals = measure(send_all, 1)
        received = stop_sink()
        still_queued = db.session.execute(select(func.count()).select_from(OutboxMessage)
                                          .where(OutboxMessage.status != "sent")).scalar_one()
    rate = totals["sent"] / sent_stats["seconds"] if sent_stats["seconds"] else 0.0
    ok = rate >= EMAILS_PER_SECOND_TARGET and received == totals["sent"] == counts.emails
    entries.append(job(f"sending it: outbox worker (send_due) to a local SMTP sink, {totals['sent']:,} emails",
                       "≥ 200 emails/s, every email received" if full else "n/a below full scale", sent_stats,
                       verdict(ok, full), details={**totals, "emails_per_second": round(rate, 1),
                                                   "sink_received": received, "not_sent": still_queued,
                                                   "all_received": received == totals["sent"] == counts.emails}))
    return entries


# --- the whole run ---------------------------------------------------------------------------------------------
def run_jobs(database_url: str, scale: float, smoke: bool) -> dict[str, Any]:
    """Run every job at ``scale`` (1 = the sizes of the issue) and return
    ``{"database", "scale", "smoke", "seconds", "results": [job, …]}``, each job a dict with ``name``, ``target``
    (text), ``seconds`` (median), ``min``, ``max``, ``runs``, ``passed`` (None when the target does not apply at
    this scale), ``details``, and for the comparisons ``reference`` ("library version"), ``reference_seconds``,
    ``speed_ratio`` (theirs / ours) and ``same_winners`` (or ``skipped``: why the comparison did not run).
    ``smoke`` is recorded only: the scale decides the sizes."""
    started = time.perf_counter()
    url = normalise_database_url(database_url)
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="governance-jobs-") as tmp:
        folder = Path(tmp)
        with scratch_database(url, folder) as url_for:
            for run in (lambda: job_tally(url, url_for, folder, scale), lambda: job_ranked(scale),
                        lambda: job_import(url_for, folder, scale), lambda: job_convocation(url_for, folder, scale)):
                entries = run()
                results += entries
                for entry in entries:
                    print(f"jobs: {entry['name'].strip()}: {_cell(entry['seconds'])}", file=sys.stderr, flush=True)
    return {"database": make_url(url).get_backend_name(), "scale": scale, "smoke": smoke,
            "seconds": time.perf_counter() - started, "results": results}


def _cell(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.{digits}g} s" if digits else f"{value:.1f}"
    return str(value)


def markdown_table(report: dict[str, Any]) -> str:
    """The results as a Markdown table (what the CLI prints; the orchestrator may use it too)."""
    lines = [f"Tally and batch jobs on {report['database']}, scale {report['scale']:g}"
             f"{' (smoke)' if report['smoke'] else ''}: {report['seconds']:.1f} s in all", "",
             "| job | target | median | min – max | runs | passed | reference | theirs | theirs / ours | "
             "same winners |", "|---|---|---|---|---|---|---|---|---|---|"]
    for entry in report["results"]:
        spread = f"{_cell(entry['min'])} – {_cell(entry['max'])}" if entry["min"] is not None else "–"
        ratio = f"{entry['speed_ratio']:.1f}×" if entry.get("speed_ratio") else "–"
        reference = entry.get("reference") or (f"skipped: {entry['skipped']}" if entry.get("skipped") else "–")
        lines.append(f"| {entry['name']} | {entry['target']} | {_cell(entry['seconds'])} | {spread} | "
                     f"{entry['runs']} | {_cell(entry['passed'])} | {reference} | "
                     f"{_cell(entry.get('reference_seconds'))} | {ratio} | {_cell(entry.get('same_winners'))} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Time the tally and batch jobs.")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"),
                        help="the benchmark database (default: DATABASE_URL; none: SQLite in a temporary folder)")
    parser.add_argument("--scale", type=float, default=1.0, help="1 = the sizes of the issue")
    parser.add_argument("--smoke", action="store_true", help="a quick run (use with a small --scale)")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="governance-jobs-url-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'benchmark.db'}"
        report = run_jobs(url, args.scale, args.smoke)
    print(markdown_table(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
