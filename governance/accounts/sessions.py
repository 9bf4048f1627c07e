"""Sessions: the account is loaded from the signed cookie only while its session version matches,
and a session ends after a period without requests and after an absolute limit.

Signing in always starts a fresh session (nothing from before survives but the chosen language), both
when the password is accepted and, for accounts with a second factor, when the code is accepted.
Between the two steps the session holds only the pending account, never a login.
"""
from __future__ import annotations

import datetime as dt

from flask import Flask, current_app, session
from flask_babel import refresh
from flask_login import current_user, login_user, logout_user

from governance.accounts.models import Account
from governance.core.db_types import utcnow
from governance.extensions import db, login_manager

#: the second step of signing in must follow the first within this time
PENDING_SECOND_FACTOR_LIFETIME = dt.timedelta(minutes=10)
_PENDING_KEY = "pending_2fa"


@login_manager.user_loader
def load_account(session_id: str) -> Account | None:
    try:
        account_id, version = (int(part) for part in session_id.split(":", 1))
    except (ValueError, AttributeError):
        return None
    account = db.session.get(Account, account_id)
    if account is None or account.session_version != version or not account.is_enabled:
        return None
    return account


def _fresh_session() -> None:
    """Empty the session, keeping only the chosen language (no fixation: pre-sign-in keys are gone)."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


def start_session(account: Account) -> None:
    """Called once every factor is given: a new session, keeping only the chosen language."""
    _fresh_session()
    login_user(account)
    # from now on the account's language applies, to the messages of this very request too
    refresh()
    now = utcnow().timestamp()
    session["auth_at"] = now
    session["seen_at"] = now
    session.permanent = True


def end_session() -> None:
    """Sign-out in this browser (the caller has bumped the session version, which ends all others)."""
    logout_user()
    _fresh_session()


def begin_second_factor(account: Account, next_url: str | None) -> None:
    """The password was right; the account is not signed in until its second factor is given."""
    _fresh_session()
    session[_PENDING_KEY] = {
        "id": account.id,
        "version": account.session_version,
        "at": utcnow().timestamp(),
        "next": next_url or "",
    }


def pending_second_factor() -> tuple[Account, str] | None:
    """The account waiting for its second factor and where to go next, while still valid."""
    pending = session.get(_PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    try:
        started = float(pending["at"])
        account = db.session.get(Account, int(pending["id"]))
    except (KeyError, TypeError, ValueError):
        return None
    if utcnow().timestamp() - started > PENDING_SECOND_FACTOR_LIFETIME.total_seconds():
        return None
    if account is None or not account.is_enabled or not account.has_totp:
        return None
    if account.session_version != pending.get("version"):
        return None
    return account, str(pending.get("next") or "")


def pending_account_id() -> int | None:
    """For rate-limit keys: the pending account's id as the session claims it (not validated)."""
    pending = session.get(_PENDING_KEY)
    if isinstance(pending, dict) and isinstance(pending.get("id"), int):
        return pending["id"]
    return None


def clear_pending_second_factor() -> None:
    session.pop(_PENDING_KEY, None)


def init_sessions(app: Flask) -> None:
    @app.before_request
    def enforce_timeouts():
        if not current_user.is_authenticated:
            return
        now = utcnow().timestamp()
        auth_at = session.get("auth_at", 0)
        seen_at = session.get("seen_at", 0)
        idle: dt.timedelta = current_app.config["SESSION_IDLE_TIMEOUT"]
        absolute: dt.timedelta = current_app.config["SESSION_ABSOLUTE_TIMEOUT"]
        if now - seen_at > idle.total_seconds() or now - auth_at > absolute.total_seconds():
            logout_user()
            session.pop("auth_at", None)
            session.pop("seen_at", None)
            return
        # refresh at most once a minute, so most responses do not rewrite the cookie
        if now - seen_at > 60:
            session["seen_at"] = now
