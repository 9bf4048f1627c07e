"""Helpers for the account tests: audit and outbox look-ups, TOTP codes, a second browser."""
from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest
from sqlalchemy import select

from governance.accounts import tokens
from governance.core.db_types import utcnow

SESSION_COOKIE = "governance_session"


@pytest.fixture(autouse=True)
def _second_factor_required_for_staff(app, monkeypatch):
    """The production rule, whatever other test packages set for themselves."""
    monkeypatch.setitem(app.config, "TOTP_REQUIRED_ROLES", ("admin", "secretary"))


@pytest.fixture
def audit_events(db):
    """``audit_events()`` → the events recorded so far, optionally only those about one account."""
    from governance.core.audit import AuditEntry

    def fetch(account=None, event: str | None = None):
        query = select(AuditEntry).order_by(AuditEntry.seq)
        if account is not None:
            query = query.where(AuditEntry.object_type == "accounts", AuditEntry.object_id == str(account.id))
        if event is not None:
            query = query.where(AuditEntry.event == event)
        return list(db.session.execute(query).scalars())

    return fetch


@pytest.fixture
def outbox(db):
    from governance.core.outbox import OutboxMessage

    def fetch(to_address: str | None = None):
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if to_address is not None:
            query = query.where(OutboxMessage.to_address == to_address)
        return list(db.session.execute(query).scalars())

    return fetch


class Clock:
    """The time the account operations see: frozen, and moved on only when a test says so."""

    def __init__(self):
        self.now = utcnow()

    def advance(self, seconds: float = tokens.TOTP_STEP_SECONDS) -> None:
        self.now += dt.timedelta(seconds=seconds)

    def code(self, secret: str, steps_ahead: int = 0) -> str:
        """The code of the current time step (or a neighbouring one, still inside the ±1 window)."""
        return pyotp.TOTP(secret).generate_otp(tokens.time_step(self.now) + steps_ahead)

    def wrong_code(self, secret: str) -> str:
        """A six-digit code that matches none of the steps the portal would accept now."""
        step = tokens.time_step(self.now)
        accepted = {pyotp.TOTP(secret).generate_otp(s) for s in range(step - 2, step + 3)}
        return next(c for c in (f"{n:06d}" for n in range(0, 1_000_000, 7919)) if c not in accepted)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr("governance.accounts.operations.utcnow", lambda: clock.now)
    return clock


@pytest.fixture
def enrol_totp(db, clock):
    """Turn on TOTP for an account directly (through the operation); returns (secret, recovery codes).

    The code used to enrol is spent; the clock moves on one step so that the next code is fresh.
    """
    from governance.accounts import operations as ops

    def do(account):
        secret = tokens.new_totp_secret()
        codes = ops.enable_totp(account, secret, clock.code(secret), actor=account, address=None)
        db.session.commit()
        clock.advance()
        return secret, codes

    return do


@pytest.fixture
def new_client(app, db):
    """Another browser."""
    return lambda: app.test_client()


def session_cookie(client) -> str | None:
    cookie = client.get_cookie(SESSION_COOKIE)
    return cookie.value if cookie else None


def is_signed_in(client) -> bool:
    """The profile page answers only a signed-in browser."""
    response = client.get("/account/profile")
    return response.status_code == 200


def sign_in_with_password(client, email: str, password: str):
    return client.post("/account/sign-in", data={"email": email, "password": password})


def reset_link_token(body: str) -> str:
    match = re.search(r"http://portal\.test/account/password/reset/([A-Za-z0-9_\-]+)", body)
    assert match, body
    return match.group(1)


@pytest.fixture
def sign_in_staff(client, enrol_totp, clock):
    """Sign in an administrator or secretary the real way: password, then a code of their (new) second factor."""
    from tests.conftest import TEST_PASSWORD

    def do(account, browser=None):
        browser = browser or client
        secret, _codes = enrol_totp(account)
        response = sign_in_with_password(browser, account.email, TEST_PASSWORD)
        assert response.headers["Location"] == "/account/sign-in/code"
        assert browser.post("/account/sign-in/code", data={"code": clock.code(secret)}).status_code == 303
        clock.advance()
        return secret

    return do


def invitation_token(body: str) -> str:
    """The token of the account-creation link in an invitation or claim email."""
    match = re.search(r"http://portal\.test/account/invitation/([A-Za-z0-9_\-]+)", body)
    assert match, body
    return match.group(1)
