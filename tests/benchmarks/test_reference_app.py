"""The HTTP benchmark's ceiling (benchmarks/reference_app.py) shows the rows the portal shows, and the benchmark's
reading of wrk's output.

On a tiny generated database (SQLite always; PostgreSQL too when DATABASE_URL points at one: a scratch database
``<name>_benchhttp`` is created and dropped), the workgroup page and the proposal page of the portal (production
settings, a session issued by the portal's own session code) and of the reference app list exactly the same
proposals and comments; the reference's bare vote refuses a second vote by the same member."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks import httpbench as hb
from benchmarks.reference_app import count_votes, create_reference_app, reset_votes

SCALE = 0.002
SEED = 3


def _postgres_scratch() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return None
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_benchhttp").render_as_string(hide_password=False)


def _admin(url: str, statement: str) -> None:
    from governance.config import normalise_database_url

    engine = create_engine(normalise_database_url(url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def generated(request, tmp_path_factory):
    """(database URL, manifest) of a tiny generated cooperative."""
    from benchmarks.generate import generate

    folder = tmp_path_factory.mktemp(f"benchhttp-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'bench.db'}"
    else:
        url = _postgres_scratch()
        if url is None:
            pytest.skip("DATABASE_URL does not point at PostgreSQL")
        name = make_url(url).database
        server = make_url(url).set(database="postgres").render_as_string(hide_password=False)
        _admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        _admin(server, f"CREATE DATABASE {name}")
        request.addfinalizer(lambda: _admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    manifest = generate(url, SCALE, seed=SEED, manifest_path=folder / "manifest.json")
    return url, manifest, folder


@pytest.fixture(scope="module")
def pages(generated):
    """For the first browsing member: (scenarios by name, portal page, reference page) getter."""
    url, manifest, folder = generated
    env = hb.portal_environment(url, hb.new_secret_key(), str(folder / "instance"))
    env["REDIS_URL"] = ""
    with hb.portal_app(env) as portal:
        assert portal.config["GOVERNANCE_ENV"] == "production"
        account_id = manifest["member_account_ids"][0]
        with portal.app_context():
            from governance.accounts.models import Account
            from governance.extensions import db

            account = db.session.get(Account, account_id)
            member_id, language = account.member_id, account.language
            db.session.remove()
        cookie = hb.session_cookie(portal, account_id)
        assert cookie.startswith("__Host-governance_session=")
        from governance.config import normalise_database_url

        engine = create_engine(normalise_database_url(url))
        try:
            scenarios = {s.name: s for s in hb.build_scenarios(engine, manifest, member_id, language)}
        finally:
            engine.dispose()
        reference = create_reference_app(url)
        portal_client = portal.test_client(use_cookies=False)
        reference_client = reference.test_client(use_cookies=False)

        def get(name: str) -> tuple[str, str]:
            path = scenarios[name].path
            mine = portal_client.get(path, headers={"Cookie": cookie})
            ceiling = reference_client.get(path, headers={"Cookie": f"bench_member={member_id}; "
                                                                    f"bench_lang={language}"})
            assert mine.status_code == 200, (name, mine.status_code, mine.headers.get("Location"))
            assert ceiling.status_code == 200, (name, ceiling.status_code)
            return mine.get_data(as_text=True), ceiling.get_data(as_text=True)

        yield scenarios, get
        reference.extensions["reference_engine"].dispose()
        with portal.app_context():
            from governance.extensions import db

            db.engine.dispose()


def _spans(page: str) -> list[str]:
    return re.findall(r"<li><span>(\d+)</span>", page)


def test_workgroup_page_lists_the_same_proposals(pages):
    scenarios, get = pages
    portal_page, reference_page = get("workgroup")
    shown_by_portal = set(re.findall(r'/proposals/(\d+)"', portal_page))
    shown_by_reference = _spans(reference_page)
    assert shown_by_reference, "the workgroup has proposals"
    assert len(shown_by_reference) == len(set(shown_by_reference)) <= 50
    assert shown_by_portal == set(shown_by_reference)
    assert not hb.check_page(portal_page, 200, scenarios["workgroup"], portal=True)
    assert not hb.check_page(reference_page, 200, scenarios["workgroup"], portal=False)


def test_proposal_page_shows_the_same_comments(pages):
    scenarios, get = pages
    portal_page, reference_page = get("proposal")
    shown_by_portal = re.findall(r'<li id="comment-(\d+)"', portal_page)
    shown_by_reference = _spans(reference_page)
    assert shown_by_reference, "the proposal has comments"
    assert sorted(shown_by_portal, key=int) == sorted(shown_by_reference, key=int)
    assert not hb.check_page(portal_page, 200, scenarios["proposal"], portal=True)


def test_a_page_without_its_rows_is_refused(pages):
    scenarios, _get = pages
    scenario = scenarios["workgroup"]
    assert hb.check_page("<html></html>", 200, scenario, portal=True)
    assert hb.check_page("", 302, scenario, portal=True) == ["status 302"]


def test_the_reference_vote_refuses_a_second_vote(generated):
    url, manifest, _folder = generated
    reset_votes(url)
    app = create_reference_app(url)
    client = app.test_client()
    ballot = manifest["ballot_open_id"]
    assert client.post(f"/ballots/{ballot}/vote", data={"member": "12", "vote": "yes"}).status_code == 200
    assert client.post(f"/ballots/{ballot}/vote", data={"member": "12", "vote": "no"}).status_code == 409
    assert client.post(f"/ballots/{ballot}/vote", data={"member": "13", "vote": "maybe"}).status_code == 400
    assert count_votes(url, ballot) == (1, 1)
    reset_votes(url)
    assert count_votes(url, ballot) == (0, 0)
    app.extensions["reference_engine"].dispose()


# --- wrk's output ---------------------------------------------------------------------------------------------
WRK_OUTPUT = """Running 2s test @ http://127.0.0.1:41234/workgroups/solar
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   102.51ms   20.04ms 310.12ms   81.00%
    Req/Sec   155.02     30.11   210.00     70.00%
  Latency Distribution
     50%   98.20ms
     75%  110.35ms
     90%  130.00ms
     99%    1.20s
  621 requests in 2.01s, 6.12MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:    308.96
Transfer/sec:      3.04MB
"""


def test_wrk_output_is_read():
    result = hb.parse_wrk_output(WRK_OUTPUT)
    assert result.requests == 621
    assert result.duration_s == pytest.approx(2.01)
    assert result.rps == pytest.approx(308.96)
    assert result.p50_ms == pytest.approx(98.2)
    assert result.p99_ms == pytest.approx(1200.0)
    # without our Lua summary, p95 lies between wrk's 90 % and 99 %
    assert 130.0 < result.p95_ms < 1200.0
    assert (result.status_errors, result.socket_errors, result.errors) == (4, 3, 7)


def test_the_lua_summary_line_is_preferred():
    line = ('BENCH {"requests": 621, "responses": 619, "duration_us": 2010000, "p50_us": 98200, "p95_us": 150500, '
            '"p99_us": 1200000, "bad_status": 5, "connect": 0, "read": 2, "write": 0, "timeout": 1, "built": 640, '
            '"exhausted": true}\n')
    result = hb.parse_wrk_output(WRK_OUTPUT + line)
    assert result.p95_ms == pytest.approx(150.5)
    assert result.status_errors == 5  # counted by our response() hook: every status outside 2xx/3xx
    assert result.errors == 5 + 3
    assert result.exhausted and result.unanswered == 640 - 619


def test_wrk_output_in_microseconds_and_unreadable_output():
    fast = WRK_OUTPUT.replace("98.20ms", "850.00us").replace("Non-2xx or 3xx responses: 4\n", "")
    result = hb.parse_wrk_output(fast)
    assert result.p50_ms == pytest.approx(0.85)
    assert result.status_errors == 0
    with pytest.raises(hb.BenchError):
        hb.parse_wrk_output("wrk: connection refused\n")


def test_the_lua_scripts_exist():
    folder = Path(hb.WRK_DIR)
    for name in ("common.lua", "pages.lua", "cast.lua"):
        assert (folder / name).is_file()
