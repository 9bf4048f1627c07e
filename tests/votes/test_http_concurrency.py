"""Many confirmations of the same member's vote sent at once over HTTP, to a real server: one vote is counted.

The application runs in a real threaded HTTP server on a free port, against a PostgreSQL database of its own
(``<test database>_http``, created here and dropped at the end) holding committed data: a rolled-back test
transaction would be invisible to the server's connections. Several browser sessions of the same member (each
signed in through the real form, with its own cookies and CSRF token) send the confirmation of a secret vote at
the same moment. Exactly one gets the receipt; the others are told they have voted already; the database holds
one participation, one ballot paper and one receipt — participations always equal papers.

PostgreSQL only: SQLite serialises writers anyway (and the suite's SQLite file is not shared this way).
"""
from __future__ import annotations

import datetime as dt
import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from werkzeug.serving import WSGIRequestHandler, make_server

from governance import create_app
from governance.extensions import db
from tests.conftest import TEST_PASSWORD, make_settings

pytestmark = pytest.mark.postgres_only

SESSIONS = 10
REQUESTS_PER_SESSION = 3


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


@pytest.fixture
def http_database(database_url):
    """A PostgreSQL database of the test's own for the server, dropped afterwards."""
    url = make_url(database_url)
    if not url.drivername.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (set DATABASE_URL): SQLite serialises writers anyway")
    name = f"{url.database}_http"
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


@pytest.fixture
def live(http_database, tmp_path):
    """The application, its committed data, and a threaded server on a free port."""
    # (a generous limit, not RATELIMIT_ENABLED=False: the limiter is one object shared by every app of this test
    # process, and disabling it here would switch it off for the tests that follow)
    app = create_app(make_settings(http_database, tmp_path, BALLOT_VOTE_RATE_LIMIT="10000 per minute"))
    with app.app_context():
        db.create_all()
        ids = _seed()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="http-concurrency", daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}", ids
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _seed() -> dict:
    from governance.accounts import operations as account_ops
    from governance.core.db_types import utcnow
    from governance.members.models import Branch, Member
    from governance.votes import operations as ops

    branch = Branch(code="BE", country="BE", names={"en": "Belgium"}, official_languages=["en"],
                    required_languages=["en"])
    db.session.add(branch)
    members = [Member(number=f"HTTP-{n}", branch=branch, first_name="Http", last_name=str(n), language="en",
                      status="active", joined_on=dt.date(2020, 1, 1), email=f"http{n}@example.org") for n in range(3)]
    db.session.add_all(members)
    db.session.flush()
    account = account_ops.create_account(email="voter@example.org", display_name="Voter", password=TEST_PASSWORD,
                                         language="en", member=members[0])
    ballot = ops.create_ballot(actor=None, questions={"en": "Shall we?"}, original_language="en",
                               branch_ids={branch.id}, closes_at=utcnow() + dt.timedelta(days=1))
    ops.open_ballot(ballot, actor=None)
    db.session.commit()
    return {"ballot": ballot.id, "member": members[0].id, "email": account.email}


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


class Browser:
    """One signed-in session: its own cookies and CSRF token."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as response:
            return response.read().decode()

    def post(self, path: str, data: dict) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode()
        try:
            with self.opener.open(self.base + path, data=body, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def sign_in(self, email: str) -> None:
        token = _csrf(self.get("/account/sign-in"))
        status, page = self.post("/account/sign-in", {"csrf_token": token, "email": email, "password": TEST_PASSWORD})
        assert status == 200 and "Sign out" in page, page[:1000]  # (the redirect was followed)


def test_concurrent_confirmations_count_one_vote(live):
    app, base, ids = live
    path = f"/ballots/{ids['ballot']}"
    browsers = []
    for _ in range(SESSIONS):
        browser = Browser(base)
        browser.sign_in(ids["email"])
        browser.token = _csrf(browser.get(path))
        browsers.append(browser)

    start = threading.Barrier(SESSIONS * REQUESTS_PER_SESSION)
    outcomes: list[tuple[int, str]] = []
    lock = threading.Lock()

    def confirm(browser: Browser) -> None:
        start.wait(30)
        result = browser.post(f"{path}/vote/confirm", {"csrf_token": browser.token, "vote": "yes", "confirm": "1"})
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=confirm, args=(browser,))
               for browser in browsers for _ in range(REQUESTS_PER_SESSION)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    statuses = sorted(status for status, _page in outcomes)
    assert len(outcomes) == SESSIONS * REQUESTS_PER_SESSION
    assert statuses.count(200) == 1, statuses
    assert statuses.count(409) == len(statuses) - 1, statuses
    [receipt_page] = [page for status, page in outcomes if status == 200]
    assert 'class="receipt-code"' in receipt_page
    assert all("You have already voted in this ballot" in page for status, page in outcomes if status == 409)

    from governance.votes.models import BoxEntry, Participation, Receipt

    with app.app_context():
        def count(model) -> int:
            return db.session.execute(select(func.count()).select_from(model)
                                      .where(model.ballot_id == ids["ballot"])).scalar_one()

        assert count(Participation) == 1
        assert count(BoxEntry) == 1
        assert count(Receipt) == 1
        db.session.remove()
