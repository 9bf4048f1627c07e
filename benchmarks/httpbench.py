"""Pieces of the HTTP benchmark: the portal's production-like settings, signed-in sessions, the scenarios and
what each page must show, serving an app with gunicorn, running wrk and reading its output, counting queries.

Sessions are issued the way the portal issues them: :func:`governance.accounts.sessions.start_session` in a
request context of the portal built with the very settings the served portal uses (same secret key), and the
cookie written by the app's own session interface. Nothing in the portal is weakened or bypassed at serving time:
the cookie is what a successful sign-in would have set (the sign-in page itself, with its Argon2 check and its
rate limits, is not what is measured). The CSRF tokens used to cast votes are taken from each member's ballot
page, fetched with that cookie.
"""
from __future__ import annotations

import contextlib
import html
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WRK_DIR = Path(__file__).resolve().parent / "wrk"

CONNECTIONS = 32
THREADS = 2
WORKERS = 2


class BenchError(RuntimeError):
    """The benchmark cannot run or its preconditions failed (a page that does not show its rows, …)."""


# --- the portal's settings ---------------------------------------------------------------------------
def redis_url() -> str:
    """Redis on 127.0.0.1:6379 (database 13) when it answers, else "" (memory storage)."""
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            if sock.recv(16).startswith(b"+PONG"):
                return "redis://127.0.0.1:6379/13"
    except OSError:
        pass
    return ""


def portal_environment(database_url: str, secret_key: str, instance_path: str) -> dict[str, str]:
    """The environment the portal is served with: production (Secure ``__Host-`` cookie, HSTS, SMTP mail backend,
    second factor for secretaries), a shared rate-limit storage, plain HTTP on 127.0.0.1 (a client sends a Secure
    cookie back over HTTP when told to: wrk does)."""
    env = {
        "GOVERNANCE_ENV": "production",
        "SECRET_KEY": secret_key,
        "DATABASE_URL": database_url,
        "GOVERNANCE_INSTANCE_PATH": instance_path,
        "LOG_LEVEL": "WARNING",
        "MAIL_BACKEND": "file",
        "MAIL_FILE_DIR": str(Path(instance_path) / "outbox"),
    }
    env["REDIS_URL"] = redis_url()
    return env


@contextlib.contextmanager
def portal_app(env: dict[str, str]):
    """The portal built in-process with the served settings (for sessions, tokens and query counts)."""
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        from governance import create_app

        app = create_app()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    yield app


def session_cookie(app, account_id: int) -> str:
    """``name=value`` of a signed-in session cookie for the account, issued by the portal's own code."""
    from flask import session

    from governance.accounts.models import Account
    from governance.accounts.sessions import start_session
    from governance.extensions import db

    with app.test_request_context("/account/sign-in", method="POST"):
        account = db.session.get(Account, account_id)
        if account is None or not account.is_enabled:
            raise BenchError(f"account {account_id} cannot sign in")
        start_session(account)
        response = app.response_class()
        app.session_interface.save_session(app, session, response)
        db.session.remove()
    header = response.headers.get("Set-Cookie", "")
    return header.split(";", 1)[0]


def _set_cookie_value(response, name: str) -> str | None:
    for header in response.headers.getlist("Set-Cookie"):
        key, _, rest = header.partition("=")
        if key == name:
            return f"{key}={rest.split(';', 1)[0]}"
    return None


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def vote_credentials(app, ballot_id: int, account_ids: list[int]) -> list[tuple[str, str, int]]:
    """(cookie, CSRF token, account id) for each account: its ballot page fetched with its session cookie, the
    token read from the ballot paper and the cookie the page set (the token's session half)."""
    name = app.config["SESSION_COOKIE_NAME"]
    client = app.test_client(use_cookies=False)
    result = []
    for account_id in account_ids:
        cookie = session_cookie(app, account_id)
        response = client.get(f"/ballots/{ballot_id}", headers={"Cookie": cookie})
        page = response.get_data(as_text=True)
        match = _CSRF.search(page) if response.status_code == 200 and 'name="vote"' in page else None
        if match is None:
            raise BenchError(f"account {account_id}: no ballot paper on /ballots/{ballot_id} "
                             f"(status {response.status_code})")
        result.append((_set_cookie_value(response, name) or cookie, html.unescape(match.group(1) or match.group(2)),
                       account_id))
    return result


# --- scenarios -----------------------------------------------------------------------------------------------
@dataclass
class Scenario:
    name: str
    title: str
    path: str
    #: the reference's query (a Queries method) and its parameters
    query: str
    params: dict = field(default_factory=dict)
    #: signed in as the secretary instead of the members
    secretary: bool = False
    #: (portal marker, reference marker) for each row the page must show
    markers: list[tuple[str, str]] = field(default_factory=list)
    #: the portal page must contain these too
    portal_must: list[str] = field(default_factory=list)


def _span(value) -> str:
    return f"<span>{html.escape(str(value))}</span>"


def build_scenarios(engine, manifest: dict, member_id: int, language: str) -> list[Scenario]:
    """The eight page scenarios, each with the rows its page must show (read with the reference's own query, as
    the first member of the pool sees them)."""
    from sqlalchemy import text

    from benchmarks.reference_app import COMMENTS_PER_PAGE, Queries

    sql = Queries(engine.dialect.name)
    with engine.connect() as connection:
        slug = connection.execute(text("SELECT slug FROM workgroups WHERE id = :id"),
                                  {"id": manifest["workgroup_id"]}).scalar_one()
        proposal_slug = connection.execute(text(
            "SELECT w.slug FROM proposals p JOIN workgroups w ON w.id = p.workgroup_id WHERE p.id = :id"),
            {"id": manifest["proposal_id"]}).scalar_one()

        def rows(name: str, **params):
            statement = getattr(sql, name)(*([len(params.pop("_words"))] if "_words" in params else []))
            return connection.execute(text(statement), params).all()

        now = _now_param(engine)
        home = rows("home", member=member_id, lang=language, now=now)
        directory = rows("directory", member=member_id, lang=language)
        proposals = rows("workgroup", member=member_id, lang=language, slug=slug)
        comments = rows("comments", proposal=manifest["proposal_id"], offset=0)
        query = manifest["register_query"]
        words = query.split()[:8]
        from benchmarks.reference_app import _like

        members = rows("register", _words=words, offset=0, **{f"w{i}": _like(w) for i, w in enumerate(words)})
        items = rows("assembly", assembly=manifest["assembly_id"], lang=language)
        ballot_rows = rows("ballot", ballot=manifest["ballot_open_id"], member=member_id, lang=language)
        result_rows = rows("results", ballot=manifest["ballot_closed_id"], lang=language)
    if len(comments) < min(COMMENTS_PER_PAGE, 1):
        raise BenchError("the proposal has no comments")
    q = urllib.parse.quote(query)
    scenarios = [
        Scenario("home", "Home (dashboard)", "/", "home",
                 markers=[(f'/workgroups/{r.slug}"', _span(r.id)) for r in home if r.kind == "workgroup"]
                 + [(f'/ballots/{r.id}"', _span(r.id)) for r in home if r.kind == "ballot"]),
        Scenario("directory", "Workgroup directory", "/workgroups/", "directory",
                 markers=[(f'id="workgroup-{r.id}"', _span(r.id)) for r in directory]),
        Scenario("workgroup", "Workgroup page (50 proposals)", f"/workgroups/{slug}", "workgroup",
                 markers=[(f'/proposals/{r.id}"', _span(r.id)) for r in proposals]),
        Scenario("proposal", "Proposal with most comments (page 1)",
                 f"/workgroups/{proposal_slug}/proposals/{manifest['proposal_id']}", "comments",
                 markers=[(f'id="comment-{r.id}"', _span(r.id)) for r in comments]),
        Scenario("ballot", "Open ballot's page", f"/ballots/{manifest['ballot_open_id']}", "ballot",
                 markers=[(f"/ballots/{manifest['ballot_open_id']}", _span(manifest["ballot_open_id"]))],
                 portal_must=['name="vote"', 'value="yes"']),
        Scenario("results", "Closed ballot's results", f"/ballots/{manifest['ballot_closed_id']}/results", "results",
                 markers=[(f"/ballots/{manifest['ballot_closed_id']}", _span(manifest["ballot_closed_id"]))]),
        Scenario("register", "Register search (secretary)", f"/register/?q={q}", "register", secretary=True,
                 markers=[(f'/register/members/{r.id}"', _span(r.id)) for r in members]),
        Scenario("assembly", "Assembly page", f"/assemblies/{manifest['assembly_id']}", "assembly",
                 markers=[(f'id="item-{r.item_id}"', _span(r.item_id)) for r in items if r.item_id is not None]),
    ]
    for scenario, shown in zip(scenarios, (home, directory, proposals, comments, ballot_rows, result_rows, members,
                                           items)):
        if not shown:
            raise BenchError(f"scenario {scenario.name}: the reference query finds no rows")
    return scenarios


def _now_param(engine):
    import datetime as dt

    now = dt.datetime.now(dt.timezone.utc)
    return now.replace(tzinfo=None).isoformat(sep=" ") if engine.dialect.name == "sqlite" else now


def check_page(body: str, status: int, scenario: Scenario, *, portal: bool) -> list[str]:
    """What is wrong with a page (empty: it is the page, with every expected row)."""
    problems = []
    if status != 200:
        return [f"status {status}"]
    for portal_marker, reference_marker in scenario.markers:
        marker = portal_marker if portal else reference_marker
        if marker not in body:
            problems.append(f"missing {marker!r}")
    if portal:
        problems += [f"missing {marker!r}" for marker in scenario.portal_must if marker not in body]
    return problems


def fetch(url: str, cookie: str) -> tuple[int, str]:
    """GET without following redirects (a redirect to the sign-in page must be seen, not followed)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


# --- serving -------------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """An app served by gunicorn (sync workers) on 127.0.0.1; stopped (its whole process group) on exit."""

    def __init__(self, app_spec: str, env: dict[str, str], *, name: str, log_dir: Path, workers: int = WORKERS):
        self.app_spec, self.env, self.name, self.workers = app_spec, env, name, workers
        self.port = free_port()
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "Server":
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [str(gunicorn) if gunicorn.exists() else "gunicorn", "--workers", str(self.workers),
                   "--worker-class", "sync", "--bind", f"127.0.0.1:{self.port}", "--timeout", "120",
                   "--log-level", "warning", "--preload", self.app_spec]
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **self.env}, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"{self.name} did not start: see {self.log_path}:\n{self._log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.2)
        self.__exit__(None, None, None)
        raise BenchError(f"{self.name} did not answer within 60 s: see {self.log_path}")

    def drain(self, timeout: float = 120.0) -> float:
        """Wait until the workers are idle: a load generator that stops leaves the requests it had in flight queued
        in the server (a sync worker still renders them), and they must not eat into the next measurement. Returns
        the seconds waited."""
        from concurrent.futures import ThreadPoolExecutor

        started = time.monotonic()

        def probe(_):
            t = time.monotonic()
            fetch(self.url + "/healthz", "")
            return time.monotonic() - t

        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            while time.monotonic() - started < timeout:
                if max(pool.map(probe, range(self.workers))) < 0.05:
                    break
        return time.monotonic() - started

    def _log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def __exit__(self, *exc) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


# --- wrk -----------------------------------------------------------------------------------------------------
def wrk_path() -> str:
    """wrk, installed from Debian when missing and we are root; else a clear error."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk from Debian", file=sys.stderr)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, stdout=subprocess.DEVNULL)
        found = shutil.which("wrk")
        if not found:
            subprocess.run(["apt-get", "update", "-qq"], check=False, stdout=subprocess.DEVNULL)
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False,
                           env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, stdout=subprocess.DEVNULL)
            found = shutil.which("wrk")
    if not found:
        raise BenchError("wrk is not installed and cannot be installed here: install it "
                         "(Debian: apt-get install wrk) and run the benchmark again")
    return found


@dataclass
class WrkResult:
    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    #: responses outside 2xx/3xx (counted by the Lua response hook) plus socket errors and timeouts
    errors: int
    status_errors: int = 0
    socket_errors: int = 0
    #: casting: the pool of members ran out before the time was up
    exhausted: bool = False
    #: casting: votes handed to wrk that got no response (in flight when the time was up, or lost with a
    #: connection the server closed)
    unanswered: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {value!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk_output(output: str) -> WrkResult:
    """wrk's report with ``--latency`` and the ``BENCH`` line our Lua ``done()`` prints (p95, our error count).
    Without the ``BENCH`` line, p95 is interpolated between wrk's 90 % and 99 % and errors come from wrk's own
    non-2xx/3xx count and socket errors."""
    requests_match = re.search(r"^\s*(\d+) requests in ([\d.]+\w+),", output, re.M)
    rps_match = re.search(r"^\s*Requests/sec:\s*([\d.]+)", output, re.M)
    if not requests_match or not rps_match:
        raise BenchError(f"cannot read wrk's output:\n{output[-2000:]}")
    requests = int(requests_match.group(1))
    duration_s = _ms(requests_match.group(2)) / 1000
    distribution = {int(p): _ms(v) for p, v in re.findall(r"^\s*(\d+)%\s+([\d.]+\w+)\s*$", output, re.M)}
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    socket_errors = sum(int(n) for n in socket.groups()) if socket else 0
    status = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    status_errors = int(status.group(1)) if status else 0
    bench = re.search(r"^BENCH (\{.*\})\s*$", output, re.M)
    exhausted, unanswered = False, 0
    if bench:
        data = json.loads(bench.group(1))
        p50, p95, p99 = (data["p50_us"] / 1000, data["p95_us"] / 1000, data["p99_us"] / 1000)
        status_errors = int(data.get("bad_status", status_errors))
        exhausted = bool(data.get("exhausted", False))
        if data.get("built"):
            unanswered = max(0, int(data["built"]) - int(data.get("responses") or 0))
    else:
        p50, p99 = distribution.get(50, 0.0), distribution.get(99, 0.0)
        p90 = distribution.get(90, p50)
        p95 = p90 + (p99 - p90) * 5 / 9
    return WrkResult(requests=requests, duration_s=duration_s, rps=float(rps_match.group(1)), p50_ms=p50,
                     p95_ms=p95, p99_ms=p99, errors=status_errors + socket_errors, status_errors=status_errors,
                     socket_errors=socket_errors, exhausted=exhausted, unanswered=unanswered)


def run_wrk(url: str, script: Path, data_file: Path, *, duration: float, connections: int = CONNECTIONS,
            threads: int = THREADS, extra: tuple[str, ...] = ()) -> tuple[WrkResult, str]:
    command = [wrk_path(), "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(duration))}s",
               "--latency", "--timeout", "30s", "-s", str(script), url, "--", str(data_file), *extra]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=duration + 120)
    output = completed.stdout + completed.stderr
    if completed.returncode != 0:
        raise BenchError(f"wrk failed ({completed.returncode}):\n{output[-2000:]}")
    return parse_wrk_output(output), output


def write_lines(lines: list[str]) -> Path:
    """A data file for the Lua scripts (one entry a line)."""
    handle = tempfile.NamedTemporaryFile("w", prefix="bench-", suffix=".txt", delete=False)
    with handle:
        for line in lines:
            if "\n" in line:
                raise ValueError("a data line cannot hold a newline")
            handle.write(line + "\n")
    return Path(handle.name)


# --- queries per page ---------------------------------------------------------------------------------------
def count_queries(app, path: str, cookie: str) -> tuple[int, int]:
    """(status, SQL statements executed) for one GET of the portal's page, in-process."""
    from sqlalchemy import event

    from governance.extensions import db

    client = app.test_client(use_cookies=False)
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT",
                                                         "RELEASE")):
            statements.append(statement)

    client.get(path, headers={"Cookie": cookie})  # warm: first-request work is not counted
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(path, headers={"Cookie": cookie})
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return response.status_code, len(statements)


@contextlib.contextmanager
def temporary_directory(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def new_secret_key() -> str:
    return secrets.token_urlsafe(48)
