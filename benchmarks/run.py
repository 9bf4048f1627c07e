"""The HTTP benchmark: the portal against a bare-Flask ceiling (benchmarks/reference_app.py), then the jobs.

    .venv/bin/python -m benchmarks.run --database both --scale 0.1 --duration 20 --rounds 5
    .venv/bin/python -m benchmarks.run --smoke --database both

For each database: generate the data when missing (benchmarks/generate.py), serve the portal (production settings)
and the reference app with gunicorn (2 sync workers each), check that every page shows its rows, then with wrk
(32 connections, 2 threads) alternate portal and reference on each page scenario for ``--rounds`` rounds, then cast
votes in the open secret ballot (each request a new member) against the reference's bare insert, and check in the
database that every successful vote was stored once. Then the jobs (benchmarks/jobs.py), the queries per page, and
the results in benchmarks/results/<date>.json and .md (``smoke-<date>.*`` for a smoke run).

Exit status: 1 when a request failed, a page did not show its rows, a vote was lost or doubled, or a page's query
count grows with the data. A ratio that misses its target is reported ("Targets missed") and fails the run only
with ``--strict`` (a smoke run only checks that the machinery works, its numbers mean little).
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from benchmarks import httpbench as hb  # noqa: E402

DATA_DIR = PROJECT_ROOT / "benchmarks" / "data"
RESULTS_DIR = PROJECT_ROOT / "benchmarks" / "results"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"

#: targets of a full run: portal rps / reference rps at least, portal p99 / reference p99 at most
PAGE_TARGET = (0.70, 1.5)
CAST_TARGET = (0.85, 1.5)
#: the query counts of a full run are compared with those of a database of this scale (a smoke run: SMALL_SMOKE)
SMALL_SCALE = 0.01
SMALL_SMOKE = 0.005
CHOICES = ("yes", "no", "abstain")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- databases -------------------------------------------------------------------------------------
def _pg_admin(sql: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(sql))
    finally:
        engine.dispose()


def _pg_exists(name: str) -> bool:
    from sqlalchemy import create_engine, text

    engine = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() \
                is not None
    finally:
        engine.dispose()


@contextlib.contextmanager
def bench_database(kind: str, scale: float, smoke: bool):
    """(database URL, manifest path) of the benchmark's database; a smoke run's is fresh and removed after."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    tag = f"{scale:g}"
    if kind == "sqlite":
        path = DATA_DIR / (f"smoke-{tag}.db" if smoke else f"bench-{tag}.db")
        manifest = path.with_suffix(".json")
        if smoke:
            _remove_sqlite(path)
            manifest.unlink(missing_ok=True)
        try:
            yield f"sqlite:///{path}", manifest
        finally:
            if smoke:
                _remove_sqlite(path)
                manifest.unlink(missing_ok=True)
        return
    name = "governance_bench_smoke" if smoke else "governance_bench"
    manifest = DATA_DIR / f"{name}-{tag}.json"
    if smoke and _pg_exists(name):
        _pg_admin(f"DROP DATABASE {name} WITH (FORCE)")
    if not _pg_exists(name):
        _pg_admin(f"CREATE DATABASE {name}")
        manifest.unlink(missing_ok=True)
    try:
        yield f"{PG_SERVER}/{name}", manifest
    finally:
        if smoke:
            with contextlib.suppress(Exception):
                _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            manifest.unlink(missing_ok=True)


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def start_generation(database_url: str, scale: float, manifest_path: Path) -> subprocess.Popen:
    """benchmarks/generate.py (``--if-missing``) in a child process (its memory is freed when it ends)."""
    return subprocess.Popen([sys.executable, "-m", "benchmarks.generate", "--database-url", database_url,
                             "--scale", str(scale), "--manifest", str(manifest_path), "--if-missing"],
                            cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL)


def ensure_data(database_url: str, scale: float, manifest_path: Path,
                started: subprocess.Popen | None = None) -> dict:
    """The generator's manifest, generating the data when missing (or waiting for a generation ``started``)."""
    began = time.perf_counter()
    process = started or start_generation(database_url, scale, manifest_path)
    if process.wait() != 0:
        raise hb.BenchError(f"generating the data failed ({database_url}, scale {scale:g})")
    log(f"data ready{' (waited' if started else ' in'} {time.perf_counter() - began:.1f} s"
        f"{')' if started else ''}: {database_url}")
    return json.loads(manifest_path.read_text())


# --- the portal in-process: sessions, tokens, checks, query counts -----------------------------------------
def _enrol_secretary(app, account_id: int) -> None:
    """Production requires a second factor of secretaries: one is set up, as on their first sign-in."""
    import pyotp

    from governance.accounts import operations as account_ops
    from governance.accounts.models import Account
    from governance.accounts.permissions import must_enrol_totp
    from governance.extensions import db

    with app.test_request_context("/account/totp", method="POST"):
        account = db.session.get(Account, account_id)
        if must_enrol_totp(account):
            secret = pyotp.random_base32()
            account_ops.enable_totp(account, secret, pyotp.TOTP(secret).now(), actor=account, address="127.0.0.1")
            db.session.commit()
        db.session.remove()


def _accounts(app, account_ids: list[int]) -> list[tuple[int, int, str]]:
    """(account id, member id, language) of each account."""
    from sqlalchemy import select

    from governance.accounts.models import Account
    from governance.extensions import db

    with app.app_context():
        rows = {a.id: (a.id, a.member_id, a.language) for a in
                db.session.execute(select(Account).where(Account.id.in_(account_ids))).scalars()}
        db.session.remove()
    return [rows[i] for i in account_ids if i in rows]


def _secretary_id(app, email: str) -> int:
    from sqlalchemy import select

    from governance.accounts.models import Account
    from governance.extensions import db

    with app.app_context():
        account_id = db.session.execute(select(Account.id).where(Account.email == email)).scalar_one()
        db.session.remove()
    return account_id


def _voted_members(engine, ballot_id: int) -> set[int]:
    from sqlalchemy import text

    with engine.connect() as connection:
        return set(connection.execute(text("SELECT member_id FROM ballot_participations WHERE ballot_id = :b"),
                                      {"b": ballot_id}).scalars())


def _ballot_counts(engine, ballot_id: int) -> dict:
    from sqlalchemy import text

    with engine.connect() as connection:
        one = lambda sql: connection.execute(text(sql), {"b": ballot_id}).scalar_one()  # noqa: E731
        return {
            "participations": one("SELECT count(*) FROM ballot_participations WHERE ballot_id = :b"),
            "ballot_box": one("SELECT count(*) FROM ballot_box WHERE ballot_id = :b"),
            "receipts": one("SELECT count(*) FROM ballot_receipts WHERE ballot_id = :b"),
            "double_votes": one("SELECT count(*) FROM (SELECT member_id FROM ballot_participations "
                                "WHERE ballot_id = :b GROUP BY member_id HAVING count(*) > 1) AS d"),
        }


def query_counts(app, scenarios: list[hb.Scenario], member_cookie: str, secretary_cookie: str) -> dict[str, int]:
    counts = {}
    for scenario in scenarios:
        status, n = hb.count_queries(app, scenario.path, secretary_cookie if scenario.secretary else member_cookie)
        if status != 200:
            raise hb.BenchError(f"query count of {scenario.name}: status {status}")
        counts[scenario.name] = n
    return counts


def small_database(scale: float, smoke: bool) -> tuple[float, str, Path]:
    """(scale, URL, manifest path) of the small SQLite database whose query counts are compared with the run's."""
    small = SMALL_SMOKE if smoke else SMALL_SCALE
    if math.isclose(small, scale):
        small = scale / 2
    path = DATA_DIR / f"querycount-{small:g}.db"
    return small, f"sqlite:///{path}", path.with_suffix(".json")


def small_query_counts(scale: float, smoke: bool, started: subprocess.Popen | None = None) -> dict:
    """The query counts on a small SQLite database (generated once under benchmarks/data/), to compare with."""
    small, url, manifest_path = small_database(scale, smoke)
    manifest = ensure_data(url, small, manifest_path, started)
    from sqlalchemy import create_engine

    with hb.temporary_directory("bench-qc-") as folder:
        env = hb.portal_environment(url, hb.new_secret_key(), str(folder))
        env["REDIS_URL"] = ""
        with hb.portal_app(env) as app:
            counts, _ = _portal_setup_counts(app, url, manifest)
    return {"scale": small, "counts": counts}


def _portal_setup_counts(app, url: str, manifest: dict):
    """Sign the first member and the secretary in, build the scenarios, count each page's queries."""
    from sqlalchemy import create_engine

    secretary = _secretary_id(app, manifest["secretary_email"])
    _enrol_secretary(app, secretary)
    first = _accounts(app, manifest["member_account_ids"][:1])[0]
    engine = create_engine(_sa_url(url))
    try:
        scenarios = hb.build_scenarios(engine, manifest, first[1], first[2])
    finally:
        engine.dispose()
    member_cookie = hb.session_cookie(app, first[0])
    secretary_cookie = hb.session_cookie(app, secretary)
    return query_counts(app, scenarios, member_cookie, secretary_cookie), scenarios


def _sa_url(url: str) -> str:
    from governance.config import normalise_database_url

    return normalise_database_url(url)


# --- statistics --------------------------------------------------------------------------------------------
def spread(values: list[float]) -> dict:
    values = [v for v in values if v is not None and not math.isnan(v)]
    if not values:
        return {"median": None, "min": None, "max": None}
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def compare(portal: list[hb.WrkResult], reference: list[hb.WrkResult], target: tuple[float, float]) -> dict:
    rps = [p.rps / r.rps if r.rps else math.nan for p, r in zip(portal, reference)]
    p99 = [p.p99_ms / r.p99_ms if r.p99_ms else math.nan for p, r in zip(portal, reference)]
    result = {
        "portal": {"rounds": [p.as_dict() for p in portal], **_summary(portal)},
        "reference": {"rounds": [r.as_dict() for r in reference], **_summary(reference)},
        "rps_ratio": spread(rps), "p99_ratio": spread(p99),
        "errors": sum(p.errors for p in portal) + sum(r.errors for r in reference),
        "target": {"rps_ratio_min": target[0], "p99_ratio_max": target[1]},
    }
    ratio, tail = result["rps_ratio"]["median"], result["p99_ratio"]["median"]
    result["meets_target"] = (ratio is not None and tail is not None and ratio >= target[0] and tail <= target[1]
                              and result["errors"] == 0)
    return result


def _summary(results: list[hb.WrkResult]) -> dict:
    return {key: spread([getattr(r, key) for r in results])["median"]
            for key in ("rps", "p50_ms", "p95_ms", "p99_ms")} | {"errors": sum(r.errors for r in results)}


# --- one database ------------------------------------------------------------------------------------------
def bench_one(kind: str, url: str, manifest: dict, *, duration: float, rounds: int, smoke: bool) -> dict:
    from sqlalchemy import create_engine

    from benchmarks.reference_app import reset_votes

    report: dict = {"database_url": url, "scale": manifest["scale"], "problems": []}
    engine = create_engine(_sa_url(url))
    with hb.temporary_directory("bench-portal-") as folder:
        env = hb.portal_environment(url, hb.new_secret_key(), str(folder))
        report["portal_settings"] = {k: v for k, v in env.items() if k not in ("SECRET_KEY", "DATABASE_URL")}
        with hb.portal_app(env) as app:
            counts, scenarios = _portal_setup_counts(app, url, manifest)
            report["query_counts"] = counts
            members = _accounts(app, manifest["member_account_ids"])
            cookies = [hb.session_cookie(app, account_id) for account_id, _m, _l in members]
            secretary_cookie = hb.session_cookie(app, _secretary_id(app, manifest["secretary_email"]))
            reference_cookies = [f"bench_member={member_id}; bench_lang={language}"
                                 for _a, member_id, language in members]
            reset_votes(url)
            portal_server = hb.Server("governance:create_app()", env, name=f"portal-{kind}", log_dir=folder)
            reference_server = hb.Server("benchmarks.reference_app:create_reference_app()",
                                         {"BENCH_DATABASE_URL": url}, name=f"reference-{kind}", log_dir=folder)
            with portal_server, reference_server:
                log(f"{kind}: portal on {portal_server.url}, reference on {reference_server.url}")
                files = {
                    "portal": hb.write_lines(cookies), "secretary": hb.write_lines([secretary_cookie]),
                    "reference": hb.write_lines(reference_cookies),
                }
                try:
                    _preflight(scenarios, portal_server, reference_server, cookies, secretary_cookie,
                               reference_cookies)
                    report["pages"] = _pages(scenarios, portal_server, reference_server, files, duration=duration,
                                             rounds=rounds)
                    ballot_page = report["pages"]["ballot"]
                    estimates = (max(5.0, ballot_page["portal"]["rps"] or 0),
                                 max(50.0, ballot_page["reference"]["rps"] or 0))
                    report["casting"] = _casting(app, engine, manifest, members, portal_server, reference_server,
                                                 url, duration=duration, rounds=rounds, estimates=estimates)
                finally:
                    for path in files.values():
                        path.unlink(missing_ok=True)
    engine.dispose()
    return report


def _preflight(scenarios, portal, reference, cookies, secretary_cookie, reference_cookies) -> None:
    """Before timing: every page once (200, and every row it must show, on both apps), then the home page with
    every member's cookie (200: each session is signed in, none is sent to the sign-in page)."""
    for scenario in scenarios:
        for side, server, cookie in (("portal", portal, secretary_cookie if scenario.secretary else cookies[0]),
                                     ("reference", reference, reference_cookies[0])):
            status, body = hb.fetch(server.url + scenario.path, cookie)
            problems = hb.check_page(body, status, scenario, portal=side == "portal")
            if problems:
                raise hb.BenchError(f"{side} {scenario.name} ({scenario.path}): " + "; ".join(problems[:5]))
    for side, server, jar in (("portal", portal, cookies), ("reference", reference, reference_cookies)):
        for index, cookie in enumerate(jar):
            status, _body = hb.fetch(server.url + "/", cookie)
            if status != 200:
                raise hb.BenchError(f"{side}: the home page answers {status} to member #{index}")
    # warm both workers of each app on every page (templates compiled, connections opened) before timing
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        for scenario in scenarios:
            for server, jar in ((portal, [secretary_cookie] if scenario.secretary else cookies),
                                (reference, reference_cookies)):
                list(pool.map(lambda i: hb.fetch(server.url + scenario.path, jar[i % len(jar)]), range(4)))
    log(f"preflight: {len(scenarios)} pages show their rows on both apps; {len(cookies)} members signed in")


def _pages(scenarios, portal, reference, files, *, duration: float, rounds: int) -> dict:
    script = hb.WRK_DIR / "pages.lua"
    results = {}
    for scenario in scenarios:
        portal_runs, reference_runs = [], []
        for number in range(rounds):
            # alternate which app goes first, so a drift of the machine does not favour one
            order = [("portal", portal), ("reference", reference)]
            for side, server in (order if number % 2 == 0 else order[::-1]):
                data = files["secretary"] if side == "portal" and scenario.secretary else files[side]
                portal.drain()
                reference.drain()
                result, _output = hb.run_wrk(server.url + scenario.path, script, data, duration=duration)
                (portal_runs if side == "portal" else reference_runs).append(result)
        results[scenario.name] = {"title": scenario.title, "path": scenario.path, "rows": len(scenario.markers),
                                  **compare(portal_runs, reference_runs, PAGE_TARGET)}
        entry = results[scenario.name]
        log(f"{scenario.name}: portal {entry['portal']['rps']:.0f} rps, reference {entry['reference']['rps']:.0f} rps,"
            f" ratio {entry['rps_ratio']['median']:.2f}, p99 ratio {entry['p99_ratio']['median']:.2f}, "
            f"errors {entry['errors']}")
    return results


def _casting(app, engine, manifest, members, portal, reference, url, *, duration: float, rounds: int,
             estimates: tuple[float, float]) -> dict:
    """Distinct members cast in the open secret ballot, each request a new member, for ``duration`` seconds; the
    reference's bare insert alternates with it, each round with fresh members too.

    Each round's members are prepared beforehand (session cookie, CSRF token from their ballot page): about one and
    a half times what the last round cast (the first round guesses from the ballot page's rate). A thread that runs
    out of members stops early. Afterwards the database must hold one participation, one ballot paper and one
    receipt per vote, no member twice, and between the successful responses and the successful responses plus the
    votes left unanswered (in flight when wrk stopped) as many votes as were cast."""
    from sqlalchemy import text

    from benchmarks.reference_app import count_votes

    ballot_id = manifest["ballot_open_id"]
    script = hb.WRK_DIR / "cast.lua"
    already = _voted_members(engine, ballot_id)
    account_members = {a: m for a, m, _l in _accounts(app, manifest["voter_account_ids"])}
    pool = [a for a in manifest["voter_account_ids"] if account_members.get(a) not in already]
    before = _ballot_counts(engine, ballot_id)
    with engine.connect() as connection:
        top = connection.execute(text("SELECT max(id) FROM members")).scalar_one() or 0
    reference_next = [0]
    roll_members = [account_members[a] for a in manifest["voter_account_ids"] if a in account_members]

    def reference_ids(count: int) -> list[int]:
        # the roll's members first, then fresh ids above the register's (the reference checks no roll)
        start = reference_next[0]
        reference_next[0] += count
        return [roll_members[i] if i < len(roll_members) else top + 1 + i for i in range(start, start + count)]

    portal_runs, reference_runs, prepared = [], [], 0
    portal_rate, reference_rate = estimates
    exhausted_pool = False
    for number in range(rounds):
        want = min(len(pool), int(portal_rate * duration * 1.5) + 2 * hb.CONNECTIONS)
        if want < 2 * hb.CONNECTIONS:
            exhausted_pool = True
            log(f"casting: {len(pool)} members of the roll have not voted yet: too few for another round")
            break
        batch, pool = pool[:want], pool[want:]
        started = time.perf_counter()
        credentials = hb.vote_credentials(app, ballot_id, batch)
        prepared += len(credentials)
        log(f"casting round {number + 1}: {len(credentials)} ballot papers fetched in "
            f"{time.perf_counter() - started:.1f} s")
        lines = [f"{cookie}\tcsrf_token={_quote(token)}&vote={CHOICES[i % 3]}\t/ballots/{ballot_id}/vote/confirm"
                 for i, (cookie, token, _a) in enumerate(credentials)]
        reference_lines = [f"\tmember={member}&vote={CHOICES[i % 3]}\t/ballots/{ballot_id}/vote" for i, member in
                           enumerate(reference_ids(int(reference_rate * duration * 3) + 2 * hb.CONNECTIONS))]
        portal_file, reference_file = hb.write_lines(lines), hb.write_lines(reference_lines)
        try:
            order = [("portal", portal, portal_file), ("reference", reference, reference_file)]
            for side, server, data in (order if number % 2 == 0 else order[::-1]):
                portal.drain()
                reference.drain()
                result = _cast_wrk(server, script, data, duration)
                (portal_runs if side == "portal" else reference_runs).append(result)
                # a round whose members ran out says only that the rate was higher: prepare twice as many next time
                rate = (result.rps or 0) * (2 if result.exhausted else 1)
                if side == "portal":
                    portal_rate = max(rate, portal_rate * (2 if result.exhausted else 0), 1.0)
                else:
                    reference_rate = max(rate, reference_rate * (2 if result.exhausted else 0), 1.0)
                if result.exhausted:
                    log(f"casting round {number + 1}: the {side}'s members ran out before the time was up "
                        "(its rate is understated; the round is left out of the ratios when others are not)")
        finally:
            portal_file.unlink(missing_ok=True)
            reference_file.unlink(missing_ok=True)
    after = _ballot_counts(engine, ballot_id)
    reference_rows, reference_distinct = count_votes(url, ballot_id)
    succeeded = sum(r.requests - r.status_errors for r in portal_runs)
    unanswered = sum(r.unanswered for r in portal_runs)
    reference_ok = sum(r.requests - r.status_errors for r in reference_runs)
    reference_unanswered = sum(r.unanswered for r in reference_runs)
    new = after["participations"] - before["participations"]
    check = {
        "before": before, "after": after, "successful_responses": succeeded, "unanswered": unanswered,
        "new_participations": new,
        "new_ballot_box_entries": after["ballot_box"] - before["ballot_box"],
        "new_receipts": after["receipts"] - before["receipts"],
        "double_votes": after["double_votes"],
        "reference_rows": reference_rows, "reference_distinct_members": reference_distinct,
        "reference_successful_responses": reference_ok, "reference_unanswered": reference_unanswered,
    }
    check["consistent"] = (new == check["new_ballot_box_entries"] == check["new_receipts"]
                           and succeeded <= new <= succeeded + unanswered and check["double_votes"] == 0
                           and reference_rows == reference_distinct
                           and reference_ok <= reference_rows <= reference_ok + reference_unanswered)
    # wrk divides by the whole duration even when the members ran out early: such rounds understate the rate
    full = [i for i, (p, r) in enumerate(zip(portal_runs, reference_runs)) if not (p.exhausted or r.exhausted)]
    kept = full or list(range(len(portal_runs)))
    result = (compare([portal_runs[i] for i in kept], [reference_runs[i] for i in kept], CAST_TARGET)
              if portal_runs else {"errors": 0})
    result["rounds_left_out"] = len(portal_runs) - len(kept)
    result["errors"] = sum(r.errors for r in portal_runs + reference_runs)
    result.update({"ballot_id": ballot_id, "members_prepared": prepared, "pool_exhausted": exhausted_pool,
                   "database_check": check})
    if portal_runs:
        log(f"casting: portal {result['portal']['rps']:.0f} votes/s, reference {result['reference']['rps']:.0f}/s, "
            f"ratio {result['rps_ratio']['median']:.2f}; database: {new} participations, "
            f"{check['new_ballot_box_entries']} papers, {check['new_receipts']} receipts, {succeeded} successful "
            f"responses + {unanswered} unanswered, {check['double_votes']} double votes")
    return result


def _cast_wrk(server: hb.Server, script: Path, data: Path, duration: float) -> hb.WrkResult:
    """One casting round of ``duration`` seconds; requests/s counts answered votes only. The votes still in flight
    when wrk stops are finished by the server before this returns (so the database can be checked)."""
    result, output = hb.run_wrk(server.url, script, data, duration=duration, extra=(str(hb.THREADS),))
    server.drain()
    data_line = next((line for line in output.splitlines() if line.startswith("BENCH ")), None)
    if data_line:
        info = json.loads(data_line[6:])
        result.requests = int(info["responses"])
        result.rps = result.requests / result.duration_s if result.duration_s else 0.0
    return result


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


# --- the results ---------------------------------------------------------------------------------------------
def _fmt(value, digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def _ratio(entry: dict, key: str) -> str:
    s = entry.get(key) or {}
    if s.get("median") is None:
        return "—"
    return f"{s['median']:.2f} [{s['min']:.2f}–{s['max']:.2f}]"


def markdown(results: dict) -> str:
    lines = [f"# HTTP benchmark, {results['date']}", "",
             f"Scale {results['scale']:g}, {results['rounds']} round(s) of {results['duration']:g} s per app and "
             f"scenario, wrk with {hb.CONNECTIONS} connections and {hb.THREADS} threads, gunicorn with "
             f"{hb.WORKERS} sync workers per app; {results['machine']['cpus']} CPUs, load average before the run "
             f"{results['machine']['load_before']}."
             + (" Smoke run: the numbers mean little." if results["smoke"] else ""), ""]
    for kind, report in results["databases"].items():
        lines += [f"## {kind}", ""]
        if report.get("error"):
            lines += [f"Failed: `{report['error']}`", ""]
            continue
        lines += ["| scenario | rows | queries | portal rps | reference rps | rps ratio median [min–max] "
                  "| portal p99 ms | reference p99 ms | p99 ratio median [min–max] | errors | target |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for name, entry in report.get("pages", {}).items():
            lines.append(f"| {entry['title']} | {entry['rows']} | {report['query_counts'].get(name, '—')} "
                         f"| {_fmt(entry['portal']['rps'], 0)} | {_fmt(entry['reference']['rps'], 0)} "
                         f"| {_ratio(entry, 'rps_ratio')} | {_fmt(entry['portal']['p99_ms'], 1)} "
                         f"| {_fmt(entry['reference']['p99_ms'], 1)} | {_ratio(entry, 'p99_ratio')} "
                         f"| {entry['errors']} | {'pass' if entry['meets_target'] else 'fail'} |")
        cast = report.get("casting") or {}
        if cast.get("portal"):
            check = cast["database_check"]
            ok = cast["meets_target"] and check["consistent"]
            lines.append(f"| Casting (votes/s) | — | — | {_fmt(cast['portal']['rps'], 0)} "
                         f"| {_fmt(cast['reference']['rps'], 0)} | {_ratio(cast, 'rps_ratio')} "
                         f"| {_fmt(cast['portal']['p99_ms'], 1)} | {_fmt(cast['reference']['p99_ms'], 1)} "
                         f"| {_ratio(cast, 'p99_ratio')} | {cast['errors']} | {'pass' if ok else 'fail'} |")
            lines += ["", f"Casting, checked in the database: {check['successful_responses']} successful responses "
                      f"(and {check['unanswered']} votes unanswered when wrk stopped), "
                      f"{check['new_participations']} new participations, {check['new_ballot_box_entries']} new "
                      f"ballot papers, {check['new_receipts']} new receipts, {check['double_votes']} double votes; "
                      f"reference: {check['reference_successful_responses']} successful responses, "
                      f"{check['reference_rows']} rows, {check['reference_distinct_members']} distinct members"
                      f"{' (the roll ran out of fresh members)' if cast.get('pool_exhausted') else ''}"
                      + (f"; {cast['rounds_left_out']} round(s) left out of the ratios (members ran out early)"
                         if cast.get("rounds_left_out") else "") + "."]
            p = cast["portal"]
            lines += [f"Portal casting latency: p50 {_fmt(p['p50_ms'], 1)} ms, p95 {_fmt(p['p95_ms'], 1)} ms, "
                      f"p99 {_fmt(p['p99_ms'], 1)} ms."]
        lines += ["", "Targets: pages rps ratio ≥ 0.70 and p99 ratio ≤ 1.5; casting ≥ 0.85 and ≤ 1.5; no errors, "
                  "no double votes.", ""]
    growth = results.get("query_growth")
    if growth:
        lines += ["## Queries per page", "",
                  f"SQL statements one GET of each page issues (in-process, second request), at scale "
                  f"{growth['small_scale']:g} and at the benchmark's scale {results['scale']:g}:", "",
                  "| scenario | " + " | ".join(growth["columns"]) + " | grows |",
                  "|---|" + "---|" * len(growth["columns"]) + "---|"]
        for name, row in growth["rows"].items():
            lines.append(f"| {name} | " + " | ".join(str(row.get(c, "—")) for c in growth["columns"])
                         + f" | {'yes' if row['grows'] else 'no'} |")
        lines.append("")
    for kind, jobs in (results.get("jobs") or {}).items():
        lines += [f"## Jobs on {kind}", ""]
        try:
            from benchmarks.jobs import markdown_table

            lines += [markdown_table(jobs), ""]
        except Exception as exc:  # the jobs' own table, when its module offers one
            lines += ["```json", json.dumps(jobs, indent=2, default=str)[:20000], "```", "",
                      f"(no table: {exc})", ""]
    if results.get("jobs_note"):
        lines += ["## Jobs", "", results["jobs_note"], ""]
    if results.get("targets_missed"):
        lines += ["## Targets missed", ""] + [f"- {p}" for p in results["targets_missed"]] + [""]
    if results.get("problems"):
        lines += ["## Problems", ""] + [f"- {p}" for p in results["problems"]] + [""]
    return "\n".join(lines)


def _jobs(url: str, scale: float, smoke: bool) -> tuple[dict | None, str]:
    try:
        from benchmarks.jobs import run_jobs
    except ImportError as exc:
        return None, f"benchmarks.jobs is not available ({exc}): the jobs were skipped."
    return run_jobs(url, scale, smoke), ""


def _background_jobs(url: str, scale: float, generation: subprocess.Popen | None):
    """A smoke run's jobs, in a child process started once the database's data is generated; ``.result()`` gives
    what :func:`_jobs` gives."""
    from concurrent.futures import ThreadPoolExecutor

    def run() -> tuple[dict | None, str]:
        if generation is not None:
            generation.wait()
        try:
            import benchmarks.jobs  # noqa: F401
        except ImportError as exc:
            return None, f"benchmarks.jobs is not available ({exc}): the jobs were skipped."
        with hb.temporary_directory("bench-jobs-") as folder:
            out = folder / "jobs.json"
            code = ("import json, sys; from benchmarks.jobs import run_jobs; "
                    "json.dump(run_jobs(sys.argv[1], float(sys.argv[2]), True), open(sys.argv[3], 'w'), default=str)")
            subprocess.run([sys.executable, "-c", code, url, str(scale), str(out)], cwd=PROJECT_ROOT, check=True,
                           stdout=subprocess.DEVNULL)
            return json.loads(out.read_text()), ""

    executor = ThreadPoolExecutor(max_workers=1)
    future = executor.submit(run)
    executor.shutdown(wait=False)
    return future


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The portal against a bare-Flask ceiling, over HTTP.")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--scale", type=float, default=None, help="data scale (default 0.1; smoke: 0.01)")
    parser.add_argument("--duration", type=float, default=None, help="seconds per wrk run (default 20; smoke: 1)")
    parser.add_argument("--rounds", type=int, default=None, help="rounds per scenario (default 5; smoke: 1)")
    parser.add_argument("--smoke", action="store_true", help="a quick run that checks the machinery")
    parser.add_argument("--no-jobs", action="store_true", help="skip benchmarks.jobs")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed, too")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    smoke = args.smoke
    scale = args.scale if args.scale is not None else (0.01 if smoke else 0.1)
    duration = args.duration if args.duration is not None else (1.0 if smoke else 20.0)
    rounds = args.rounds if args.rounds is not None else (1 if smoke else 5)
    if scale <= 0 or duration <= 0 or rounds < 1:
        parser.error("--scale and --duration must be positive, --rounds at least 1")
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    hb.wrk_path()  # fail early, with a clear message, when wrk is missing
    started = time.perf_counter()
    today = dt.date.today().isoformat()
    results: dict = {
        "date": today, "smoke": smoke, "scale": scale, "duration": duration, "rounds": rounds,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg())},
        "databases": {}, "problems": [],
    }
    problems: list[str] = results["problems"]
    with contextlib.ExitStack() as stack:
        databases = {}
        for kind in kinds:
            try:
                databases[kind] = stack.enter_context(bench_database(kind, scale, smoke))
            except Exception as exc:
                traceback.print_exc()
                results["databases"][kind] = {"error": repr(exc)}
                problems.append(f"{kind}: {exc}")
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        small_scale, small_url, small_manifest = small_database(scale, smoke)
        background: dict[str, subprocess.Popen] = {}
        if smoke:
            # a smoke run checks the machinery, its numbers mean little: every database's data (and the small one's)
            # is generated at once, the next one while the first is measured, to keep it short
            for kind, (url, manifest_path) in databases.items():
                background[kind] = start_generation(url, scale, manifest_path)
            background["small"] = start_generation(small_url, small_scale, small_manifest)
        jobs_threads = {}
        if smoke and not args.no_jobs:
            # the jobs too run alongside, for each database once its data is there
            for kind, (url, _m) in databases.items():
                jobs_threads[kind] = _background_jobs(url, scale, background.get(kind))
        for kind, (url, manifest_path) in databases.items():
            log(f"{kind}: scale {scale:g}, {rounds} round(s) of {duration:g} s")
            try:
                manifest = ensure_data(url, scale, manifest_path, background.pop(kind, None))
                results["databases"][kind] = bench_one(kind, url, manifest, duration=duration, rounds=rounds,
                                                       smoke=smoke)
            except Exception as exc:
                traceback.print_exc()
                results["databases"][kind] = {"error": repr(exc)}
                problems.append(f"{kind}: {exc}")
            if args.no_jobs or (smoke and kind not in jobs_threads):
                continue
            log(f"{kind}: jobs (benchmarks.jobs)" + (", waiting for the background run" if smoke else ""))
            try:
                jobs, note = jobs_threads[kind].result() if smoke else _jobs(url, scale, smoke)
                if jobs is not None:
                    results.setdefault("jobs", {})[kind] = jobs
                else:
                    results["jobs_note"] = note
            except Exception as exc:
                traceback.print_exc()
                problems.append(f"{kind}: the jobs failed: {exc!r}")
        # queries per page: the benchmark's scale against a smaller one
        try:
            small = small_query_counts(scale, smoke, background.pop("small", None))
            columns = [f"sqlite {small['scale']:g}"] + [f"{k} {scale:g}" for k in results["databases"]
                                                         if results["databases"][k].get("query_counts")]
            rows = {}
            for name, count in small["counts"].items():
                row = {columns[0]: count}
                for kind, report in results["databases"].items():
                    if report.get("query_counts"):
                        row[f"{kind} {scale:g}"] = report["query_counts"].get(name)
                values = [v for v in row.values() if v is not None]
                row["grows"] = max(values) > min(values)
                rows[name] = row
            results["query_growth"] = {"small_scale": small["scale"], "columns": columns, "rows": rows}
            for name, row in rows.items():
                if row["grows"]:
                    problems.append(f"the {name} page's query count changes with the data: {row}")
        except Exception as exc:
            traceback.print_exc()
            problems.append(f"query counts at a smaller scale failed: {exc!r}")
        for process in background.values():
            process.wait()
    # verdicts: problems (errors, lost or double votes, growing query counts) fail the run; missed targets are
    # reported, and fail it only with --strict
    misses: list[str] = results.setdefault("targets_missed", [])
    for kind, report in results["databases"].items():
        for name, entry in (report.get("pages") or {}).items():
            if entry["errors"]:
                problems.append(f"{kind} {name}: {entry['errors']} errors")
            elif not entry["meets_target"] and not smoke:
                misses.append(f"{kind} {name}: misses the target (rps ratio {_ratio(entry, 'rps_ratio')}, "
                              f"p99 ratio {_ratio(entry, 'p99_ratio')})")
        cast = report.get("casting") or {}
        if cast:
            check = cast["database_check"]
            if not check["consistent"] or check["double_votes"]:
                problems.append(f"{kind} casting: the database does not match the responses: {check}")
            if cast.get("errors"):
                problems.append(f"{kind} casting: {cast['errors']} errors")
            elif cast.get("portal") and not cast["meets_target"] and not smoke:
                misses.append(f"{kind} casting: misses the target (rps ratio {_ratio(cast, 'rps_ratio')})")
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"smoke-{today}" if smoke else today
    (args.out / f"{stem}.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (args.out / f"{stem}.md").write_text(markdown(results))
    print(markdown(results))
    log(f"done in {results['elapsed_s']} s: {args.out / (stem + '.md')}")
    if misses:
        log("targets missed:\n  " + "\n  ".join(misses))
    failed = problems + (misses if args.strict else [])
    if failed:
        log("FAILED:\n  " + "\n  ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
