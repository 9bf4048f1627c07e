"""Sessions: the account is loaded from the signed cookie only while its session version matches,
and a session ends after a period without requests and after an absolute limit."""
from __future__ import annotations

import datetime as dt

from flask import Flask, current_app, session
from flask_login import current_user, logout_user

from governance.accounts.models import Account
from governance.core.db_types import utcnow
from governance.extensions import db, login_manager


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


def start_session(account: Account) -> None:
    """Called at sign-in: a new session, keeping only the chosen language."""
    from flask_login import login_user

    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    login_user(account)
    now = utcnow().timestamp()
    session["auth_at"] = now
    session["seen_at"] = now
    session.permanent = True


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
