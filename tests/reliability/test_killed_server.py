"""A server killed with SIGKILL in the middle of a vote loses no paper and counts none twice.

gunicorn serves the application (``tests/reliability/gunicorn_app.py``) against a PostgreSQL database of the
test's own (``<test database>_killed``, created here and dropped at the end) holding committed data: an open
secret ballot and members with accounts, each signed in through the real form. Every vote waits a moment right
after its paper is in the box, so the kills land inside open transactions. All members confirm their vote at
once; mid-way one worker is killed with SIGKILL (gunicorn starts another), then, in a second wave, the whole
server (master and workers) is killed and started again. A member whose request died asks again until they get
their receipt or are told they have voted already. In the end participations == papers == receipts, and every
member has exactly one participation.

PostgreSQL only: the suite's SQLite file cannot be shared with another process this way.
"""
from __future__ import annotations

import datetime as dt
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from governance import create_app
from governance.extensions import db
from tests.conftest import TEST_PASSWORD, make_settings

pytestmark = pytest.mark.postgres_only

MEMBERS_PER_WAVE = 8
WORKERS = 2
SLOW_BOX = "0.3"  # seconds each vote waits with its paper in the box, uncommitted
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def killed_database(database_url):
    url = make_url(database_url)
    if not url.drivername.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (set DATABASE_URL): the server runs in processes of its own")
    name = f"{url.database}_killed"
    admin_engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin_engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


def _seed(count: int) -> dict:
    from governance.accounts import operations as account_ops
    from governance.core.db_types import utcnow
    from governance.members.models import Branch, Member
    from governance.votes import operations as ops

    branch = Branch(code="BE", country="BE", names={"en": "Belgium"}, official_languages=["en"],
                    required_languages=["en"])
    db.session.add(branch)
    members = [Member(number=f"KILL-{n}", branch=branch, first_name="Killed", last_name=str(n), language="en",
                      status="active", joined_on=dt.date(2020, 1, 1), email=f"member{n}@example.org")
               for n in range(count)]
    db.session.add_all(members)
    db.session.flush()
    emails = [account_ops.create_account(email=f"voter{n}@example.org", display_name=f"Voter {n}",
                                         password=TEST_PASSWORD, language="en", member=member).email
              for n, member in enumerate(members)]
    ballot = ops.create_ballot(actor=None, questions={"en": "Shall we?"}, original_language="en",
                               branch_ids={branch.id}, closes_at=utcnow() + dt.timedelta(days=1))
    ops.open_ballot(ballot, actor=None)
    db.session.commit()
    assert ballot.is_secret
    return {"ballot": ballot.id, "emails": emails, "members": [m.id for m in members]}


@pytest.fixture
def seeded(killed_database, tmp_path):
    # (RATELIMIT_ENABLED=False would switch off the limiter this test process shares with the tests that follow;
    # the server's own processes disable it in gunicorn_app.py)
    app = create_app(make_settings(killed_database, tmp_path))
    with app.app_context():
        db.create_all()
        ids = _seed(2 * MEMBERS_PER_WAVE)
        db.session.remove()
    yield app, ids
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """gunicorn in a process group of its own, so that the whole server can be killed at once."""

    def __init__(self, database_url: str, tmp: Path):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, RELIABILITY_DATABASE_URL=database_url, RELIABILITY_TMP=str(tmp),
                        RELIABILITY_SLOW_BOX=SLOW_BOX, PYTHONPATH=str(ROOT))
        self.log = tmp / "gunicorn.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [str(Path(sys.executable).with_name("gunicorn")), "--workers", str(WORKERS), "--threads", "4",
                   "--worker-class", "gthread", "--bind", f"127.0.0.1:{self.port}", "--graceful-timeout", "2",
                   "--timeout", "30", "tests.reliability.gunicorn_app:app"]
        with self.log.open("a") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=log,
                                            start_new_session=True)
        self.wait_ready()

    def wait_ready(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            if len(self.workers()) == WORKERS:
                try:
                    with urllib.request.urlopen(self.base + "/account/sign-in", timeout=5) as response:
                        if response.status == 200:
                            return
                except (urllib.error.URLError, ConnectionError, OSError):
                    pass
            time.sleep(0.1)
        raise AssertionError("gunicorn did not start:\n" + self.log.read_text()[-3000:])

    def workers(self) -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                fields = stat.rsplit(")", 1)[1].split()
                if fields[0] != "Z" and int(fields[1]) == self.process.pid:
                    found.append(int(entry.name))
        return found

    def kill_worker(self) -> int:
        pid = self.workers()[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def kill_all(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


@pytest.fixture
def server(seeded, killed_database, tmp_path):
    gunicorn = Gunicorn(killed_database, tmp_path)
    gunicorn.start()
    try:
        yield gunicorn
    finally:
        gunicorn.stop()


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


class Browser:
    """One member's signed-in session (cookies survive a restarted server: the session is a signed cookie)."""

    def __init__(self, server: Gunicorn):
        self.server = server
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.server.base + path, timeout=30) as response:
            return response.read().decode()

    def post(self, path: str, data: dict) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode()
        try:
            with self.opener.open(self.server.base + path, data=body, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def sign_in(self, email: str) -> None:
        token = _csrf(self.get("/account/sign-in"))
        status, page = self.post("/account/sign-in", {"csrf_token": token, "email": email, "password": TEST_PASSWORD})
        assert status == 200 and "Sign out" in page, page[:1000]

    def vote(self, ballot_id: int, outcome: dict) -> None:
        """Confirm the vote; if the request dies with the server, ask again until the server answers."""
        path = f"/ballots/{ballot_id}"
        deadline = time.monotonic() + 40
        while True:
            try:
                status, page = self.post(f"{path}/vote/confirm", {"csrf_token": self.token, "vote": "yes",
                                                                  "confirm": "1"})
                if status in (200, 409):
                    outcome["status"] = status
                    return
                outcome.setdefault("other", []).append(status)
            except (urllib.error.URLError, ConnectionError, OSError) as error:
                outcome.setdefault("died", []).append(repr(error))
            assert time.monotonic() < deadline, outcome
            time.sleep(0.2)


def _wave(browsers: list[Browser], ballot_id: int, kill) -> list[dict]:
    outcomes = [{} for _ in browsers]
    start = threading.Barrier(len(browsers) + 1)

    def run(browser, outcome):
        start.wait(30)
        browser.vote(ballot_id, outcome)

    threads = [threading.Thread(target=run, args=pair) for pair in zip(browsers, outcomes)]
    for thread in threads:
        thread.start()
    start.wait(30)
    time.sleep(float(SLOW_BOX) / 2)  # the first votes are in the box, not yet committed
    kill()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def _counts(app, ballot_id: int) -> dict:
    from governance.votes.models import BoxEntry, Participation, Receipt

    with app.app_context():
        def count(model) -> int:
            return db.session.execute(select(func.count()).select_from(model)
                                      .where(model.ballot_id == ballot_id)).scalar_one()

        per_member = db.session.execute(
            select(Participation.member_id, func.count()).where(Participation.ballot_id == ballot_id)
            .group_by(Participation.member_id)).all()
        result = {"participations": count(Participation), "papers": count(BoxEntry), "receipts": count(Receipt),
                  "per_member": dict(per_member)}
        db.session.remove()
        return result


def test_killing_a_worker_or_the_whole_server_mid_vote_loses_and_doubles_nothing(seeded, server):
    app, ids = seeded
    ballot_id = ids["ballot"]
    browsers = []
    for email in ids["emails"]:
        browser = Browser(server)
        browser.sign_in(email)
        browser.token = _csrf(browser.get(f"/ballots/{ballot_id}"))
        browsers.append(browser)
    first, second = browsers[:MEMBERS_PER_WAVE], browsers[MEMBERS_PER_WAVE:]

    # wave 1: one worker killed mid-way; gunicorn starts another
    killed = []
    outcomes = _wave(first, ballot_id, lambda: killed.append(server.kill_worker()))
    assert killed and killed[0] not in server.workers()
    assert any("died" in outcome for outcome in outcomes), "the kill should have cut some votes short"
    counts = _counts(app, ballot_id)
    assert counts["participations"] == counts["papers"] == counts["receipts"] == MEMBERS_PER_WAVE, counts

    # wave 2: the whole server killed mid-way, then started again
    def kill_and_restart():
        server.kill_all()
        counts = _counts(app, ballot_id)  # what a dead server left behind: only whole votes
        assert counts["participations"] == counts["papers"] == counts["receipts"], counts
        server.start()

    outcomes = _wave(second, ballot_id, kill_and_restart)
    assert any("died" in outcome for outcome in outcomes), "the kill should have cut some votes short"
    assert all(outcome["status"] in (200, 409) for outcome in outcomes)

    counts = _counts(app, ballot_id)
    assert counts["participations"] == counts["papers"] == counts["receipts"] == len(browsers), counts
    assert set(counts["per_member"]) == set(ids["members"])
    assert set(counts["per_member"].values()) == {1}
