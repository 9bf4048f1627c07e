"""Fixtures: ``app``, ``db``, ``client``, factories, and query counting.

The schema is created once per session. Each test runs inside a transaction that is rolled back at
the end (SQLAlchemy 2's ``join_transaction_mode="create_savepoint"``), so the code under test can
commit as usual. Set ``DATABASE_URL`` to run the suite on PostgreSQL; SQLite (a file in a temporary
folder, in WAL mode) is the default.
"""
from __future__ import annotations

import itertools
import os
import re
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import event

from governance import create_app
from governance.config import normalise_database_url
from governance.extensions import db as _db

TEST_PASSWORD = "correct horse battery staple"


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return normalise_database_url(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def make_settings(database_url: str, tmp_dir: Path, **overrides) -> dict:
    settings = {
        "TESTING": True,
        "GOVERNANCE_ENV": "testing",
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RATELIMIT_STORAGE_URI": "memory://",
        "MAIL_BACKEND": "file",
        "MAIL_FILE_DIR": str(tmp_dir / "outbox"),
        "SHOW_DEMO_ACCOUNTS": False,
        "SERVER_NAME_FOR_EMAIL": "http://portal.test",
    }
    settings.update(overrides)
    return settings


#: test modules that touch no database (the counting methods are pure functions): marked ``no_database`` so that
#: the PostgreSQL run of CI (``-m 'not no_database'``) does not repeat them
NO_DATABASE_MODULES = (
    "tests/properties/test_methods_properties.py",
    "tests/votes/test_decision.py",
    "tests/votes/test_disclosure.py",
    "tests/votes/test_methods_",
    "tests/votes/test_stv_constraints.py",
)


def pytest_collection_modifyitems(config, items):
    root = Path(str(config.rootpath))
    for item in items:
        path = Path(str(item.fspath)).relative_to(root).as_posix()
        if path.startswith(NO_DATABASE_MODULES):
            item.add_marker(pytest.mark.no_database)


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing():
    """Argon2 with its production cost makes every test account slow; the scheme stays the same."""
    from argon2 import PasswordHasher

    from governance.accounts import passwords

    original = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    passwords._hasher = original


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    return _database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app(make_settings(database_url, tmp_path_factory.mktemp("instance")))
    app.test_client_class = CsrfClient
    with app.app_context():
        _db.drop_all()
        _db.create_all()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    """The database, inside a transaction rolled back after the test."""
    with app.app_context():
        engines = _db.engines
        originals = dict(engines)
        connections = {}
        for key, engine in originals.items():
            connection = engine.connect()
            connection.begin()
            connections[key] = connection
            engines[key] = connection
        _db.session.remove()
        _db.session.configure(join_transaction_mode="create_savepoint")
        try:
            yield _db
        finally:
            _db.session.remove()
            for key, connection in connections.items():
                connection.rollback()
                connection.close()
                engines[key] = originals[key]
            from governance.extensions import limiter

            limiter.reset()


class CsrfClient(FlaskClient):
    """A test client that sends a valid CSRF token with every form, unless ``csrf=False``."""

    RAW_TOKEN = "0" * 40

    def csrf_token(self) -> str:
        with self.session_transaction() as sess:
            sess.setdefault("csrf_token", self.RAW_TOKEN)
            raw = sess["csrf_token"]
        serializer = URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token")
        return serializer.dumps(raw)

    def open(self, *args, **kwargs):
        # each request gets its own application context (its own ``g`` and database session), as in
        # production, even though the test itself runs inside one
        with self.application.app_context():
            return super().open(*args, **kwargs)

    def post(self, *args, csrf: bool = True, **kwargs):
        if csrf:
            data = kwargs.get("data")
            if data is None:
                data = kwargs["data"] = {}
            if isinstance(data, dict) and "csrf_token" not in data:
                data["csrf_token"] = self.csrf_token()
        return super().post(*args, **kwargs)


@pytest.fixture
def client(app, db):
    return app.test_client()


# --- factories -------------------------------------------------------------------------------------
_counter = itertools.count(1)


@pytest.fixture
def create_branch(db):
    from governance.members.models import Branch

    def factory(code: str = "BE", **kw) -> Branch:
        defaults = {
            "BE": ({"nl": "België", "fr": "Belgique", "de": "Belgien", "en": "Belgium"}, ["nl", "fr", "de"], ["nl", "fr"]),
            "FR": ({"fr": "France", "en": "France", "nl": "Frankrijk", "de": "Frankreich"}, ["fr"], ["fr"]),
        }
        names, official, required = defaults.get(code, ({"en": code}, ["en"], ["en"]))
        branch = Branch(code=code, country=kw.pop("country", code[:2]), names=kw.pop("names", names),
                        official_languages=kw.pop("official_languages", official),
                        required_languages=kw.pop("required_languages", required), **kw)
        db.session.add(branch)
        db.session.flush()
        return branch

    return factory


@pytest.fixture
def create_member(db, create_branch):
    import datetime as dt

    from governance.members.models import Member

    def factory(branch=None, **kw) -> Member:
        n = next(_counter)
        branch = branch or create_branch(f"B{n}")
        member = Member(
            number=kw.pop("number", f"T-{n:06d}"), branch=branch, first_name=kw.pop("first_name", "Test"),
            last_name=kw.pop("last_name", f"Member {n}"), email=kw.pop("email", f"member{n}@example.org"),
            language=kw.pop("language", "en"), status=kw.pop("status", "active"),
            joined_on=kw.pop("joined_on", dt.date(2020, 1, 1)), **kw,
        )
        db.session.add(member)
        db.session.flush()
        return member

    return factory


@pytest.fixture
def create_account(db):
    from governance.accounts import operations as ops
    from governance.accounts.models import Role

    def factory(email: str | None = None, *, roles=(), member=None, language="en", **kw):
        n = next(_counter)
        account = ops.create_account(email=email or f"account{n}@example.org",
                                     display_name=kw.pop("display_name", f"Account {n}"),
                                     password=kw.pop("password", TEST_PASSWORD), language=language,
                                     member=member, **kw)
        for role in roles:
            if isinstance(role, tuple):
                ops.grant_role(account, Role(role[0]), branch=role[1])
            else:
                ops.grant_role(account, Role(role))
        return account

    return factory


@pytest.fixture
def sign_in(client):
    def do(account, password: str = TEST_PASSWORD):
        response = client.post("/account/sign-in", data={"email": account.email, "password": password})
        assert response.status_code == 302, response.data[:500]
        return response

    return do


# --- query counting --------------------------------------------------------------------------------
class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app, db):
    """``with count_queries() as counter: …`` then ``counter.count``."""

    @contextmanager
    def counting():
        counter = QueryCounter()
        engines = {conn.engine for conn in _db.engines.values()}

        def before(conn, cursor, statement, parameters, context, executemany):
            if not re.match(r"\s*(SAVEPOINT|RELEASE|ROLLBACK|BEGIN)", statement, re.I):
                counter.statements.append(statement)

        for eng in engines:
            event.listen(eng, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            for eng in engines:
                event.remove(eng, "before_cursor_execute", before)

    return counting
