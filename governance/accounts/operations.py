"""Everything that changes accounts and roles. Operations take the actor, flush, never commit.

No secret (password, token, TOTP or recovery code) ever goes into an audit entry or a log line.
"""
from __future__ import annotations

import datetime as dt
import functools
import zoneinfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from governance.accounts import tokens
from governance.accounts.models import Account, AccountToken, RecoveryCode, Role, RoleAssignment, TokenPurpose
from governance.accounts.passwords import hash_password, needs_rehash, password_problem, verify_password
from governance.accounts.permissions import can_disable_totp
from governance.core import audit
from governance.core.db_types import utcnow
from governance.core.errors import Conflict, InvalidInput, NotAllowed
from governance.core.i18n import fallback_language
from governance.core.outbox import queue_email
from governance.extensions import db
from governance.members.models import Branch, Member


class WrongPassword(InvalidInput):
    default_message = _l("Your current password is not correct.")


class WrongCode(InvalidInput):
    default_message = _l("This code is not correct. Enter the current code from your authenticator app.")


class TokenInvalid(InvalidInput):
    status_code = 404
    default_message = _l("This link is not valid any more: it was already used, replaced by a newer one, or "
                         "it has expired. You can ask for a new one.")


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_account_by_email(email: str) -> Account | None:
    return db.session.execute(
        select(Account).where(Account.email == normalise_email(email))
    ).scalar_one_or_none()


@functools.cache
def available_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def create_account(*, email: str, display_name: str, password: str | None = None, language: str = "en",
                   timezone: str = "Europe/Brussels", member: Member | None = None, actor=None) -> Account:
    email = normalise_email(email)
    if find_account_by_email(email) is not None:
        raise Conflict(_l("An account with this email address already exists."))
    if member is not None:
        taken = db.session.execute(select(func.count()).select_from(Account).where(Account.member_id == member.id)).scalar()
        if taken:
            raise Conflict(_l("This member already has an account."))
    account = Account(email=email, display_name=display_name, language=language, timezone=timezone,
                      member=member)
    if password is not None:
        problem = password_problem(password, email=email)
        if problem:
            raise InvalidInput(problem)
        account.password_hash = hash_password(password)
    db.session.add(account)
    db.session.flush()
    audit.record("account.created", actor=actor, obj=account, member_id=member.id if member else None)
    return account


# --- signing in and out ----------------------------------------------------------------------------
def authenticate(email: str, password: str) -> Account | None:
    """The enabled account with this email and password, or None (in constant-ish time).

    Only checks the password: the caller records the sign-in once every factor is given.
    """
    account = find_account_by_email(email)
    if account is None or not account.is_enabled:
        verify_password(None, password)
        return None
    if not verify_password(account.password_hash, password):
        return None
    if needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
        db.session.flush()
    return account


def record_sign_in(account: Account, *, address: str | None, method: str = "password") -> None:
    """Every factor was given: ``method`` is "password", "totp" or "recovery_code"."""
    account.last_login_dt = utcnow()
    db.session.flush()
    audit.record("account.signed_in", actor=account, obj=account, method=method, address=address)


def record_failed_sign_in(email: str, *, address: str | None, stage: str = "password") -> None:
    """A wrong password (or second factor) for an existing account. Unknown addresses are not recorded."""
    account = find_account_by_email(email)
    if account is not None:
        event = "account.sign_in_failed" if stage == "password" else "account.second_factor_failed"
        audit.record(event, obj=account, address=address)


def end_all_sessions(account: Account) -> None:
    """Every session cookie issued so far stops working."""
    account.session_version += 1
    db.session.flush()


def sign_out(account: Account, *, address: str | None) -> None:
    end_all_sessions(account)
    audit.record("account.signed_out", actor=account, obj=account, address=address)


# --- passwords -------------------------------------------------------------------------------------
def _check_new_password(account: Account, password: str) -> None:
    problem = password_problem(password, email=account.email)
    if problem:
        raise InvalidInput(problem)


def _void_reset_tokens(account: Account, now: dt.datetime) -> None:
    db.session.execute(
        update(AccountToken)
        .where(AccountToken.account_id == account.id, AccountToken.purpose == TokenPurpose.reset.value,
               AccountToken.used_dt.is_(None))
        .values(used_dt=now)
        .execution_options(synchronize_session=False)
    )


def email_link(endpoint: str, **values) -> str:
    """An absolute link for an email, on the portal's public address (``SERVER_NAME_FOR_EMAIL``)."""
    base = current_app.config["SERVER_NAME_FOR_EMAIL"].rstrip("/")
    adapter = current_app.url_map.bind("portal.invalid", script_name="/")
    return base + adapter.build(endpoint, values)


def account_email_language(account: Account) -> str:
    """The account's language, else its branch's first official language with a catalog, else English."""
    branch_languages = account.member.branch.official_languages if account.member is not None else ()
    return fallback_language(account.language, branch_languages)


def request_password_reset(email: str, *, address: str | None) -> AccountToken | None:
    """Email a reset link to the account with this address, if there is an enabled one.

    The caller answers the same whatever the outcome, so nobody learns which addresses have accounts.
    """
    account = find_account_by_email(email)
    if account is None or not account.is_enabled:
        return None
    raw = tokens.new_token()
    now = utcnow()
    token = AccountToken(purpose=TokenPurpose.reset.value, token_hash=tokens.hash_secret(raw), account=account,
                         created_dt=now, expires_dt=now + tokens.RESET_LIFETIME)
    db.session.add(token)
    db.session.flush()
    queue_email(
        key=f"reset:{token.id}",
        to_address=account.email,
        to_name=account.display_name,
        language=account_email_language(account),
        template="password_reset",
        context={"reset_url": email_link("accounts.reset_password", token=raw)},
        topic=f"account:{account.id}:reset",
    )
    audit.record("account.password_reset_requested", obj=account, token_id=token.id, address=address)
    return token


def find_usable_token(purpose: TokenPurpose, raw: str | None) -> AccountToken | None:
    """The unused, unexpired token of this purpose whose hash matches ``raw``."""
    if not raw or len(raw) > 200:
        return None
    token = db.session.execute(
        select(AccountToken).where(AccountToken.token_hash == tokens.hash_secret(raw),
                                   AccountToken.purpose == purpose.value)
    ).scalar_one_or_none()
    if token is None or not token.is_usable(utcnow()):
        return None
    return token


def _consume_token(token: AccountToken, now: dt.datetime) -> None:
    """Mark used, atomically: of two requests racing with one token, only one gets it."""
    result = db.session.execute(
        update(AccountToken)
        .where(AccountToken.id == token.id, AccountToken.used_dt.is_(None), AccountToken.expires_dt > now)
        .values(used_dt=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise TokenInvalid()
    set_committed_value(token, "used_dt", now)


def reset_password(token: AccountToken, new_password: str, *, address: str | None) -> Account:
    """Set a new password with a reset token; the token and every other reset link of the account are
    used up, and every session of the account ends."""
    account = token.account
    if token.purpose != TokenPurpose.reset.value or account is None or not account.is_enabled:
        raise TokenInvalid()
    _check_new_password(account, new_password)
    now = utcnow()
    _consume_token(token, now)
    _void_reset_tokens(account, now)
    account.password_hash = hash_password(new_password)
    end_all_sessions(account)
    audit.record("account.password_reset", actor=account, obj=account, token_id=token.id, address=address)
    return account


def change_password(account: Account, current_password: str, new_password: str, *, actor: Account,
                    address: str | None) -> None:
    """Needs the current password; ends every session (the caller starts a new one for this browser)."""
    if not verify_password(account.password_hash, current_password):
        raise WrongPassword()
    _check_new_password(account, new_password)
    if new_password == current_password:
        raise InvalidInput(_l("Your new password must be different from the current one."))
    account.password_hash = hash_password(new_password)
    _void_reset_tokens(account, utcnow())
    end_all_sessions(account)
    audit.record("account.password_changed", actor=actor, obj=account, address=address)


# --- profile ---------------------------------------------------------------------------------------
def set_language(account: Account, language: str) -> None:
    account.language = language
    db.session.flush()


def update_profile(account: Account, *, display_name: str, language: str, timezone: str,
                   notify_workgroup_email: bool, notify_ballot_email: bool, notify_convocation_email: bool,
                   actor: Account) -> None:
    """The account holder's own settings. Only these fields change."""
    if actor.id != account.id:
        raise NotAllowed()
    display_name = (display_name or "").strip()
    if not display_name or len(display_name) > 120:
        raise InvalidInput(_l("Please give a name of at most %(n)d characters.", n=120))
    if language not in current_app.config["LANGUAGES"]:
        raise InvalidInput(_l("Choose one of the languages offered."))
    if timezone not in available_timezones():
        raise InvalidInput(_l("Choose a time zone from the list, for example Europe/Brussels."))
    account.display_name = display_name
    account.language = language
    account.timezone = timezone
    account.notify_workgroup_email = bool(notify_workgroup_email)
    account.notify_ballot_email = bool(notify_ballot_email)
    account.notify_convocation_email = bool(notify_convocation_email)
    db.session.flush()


# --- second factor ---------------------------------------------------------------------------------
def _replace_recovery_codes(account: Account) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account.id)
                       .execution_options(synchronize_session=False))
    codes = tokens.new_recovery_codes()
    db.session.add_all(RecoveryCode(account_id=account.id, code_hash=tokens.hash_recovery_code(code))
                       for code in codes)
    db.session.flush()
    return codes


def enable_totp(account: Account, secret: str, code: str, *, actor: Account, address: str | None) -> list[str]:
    """Turn on the second factor once the person proved their app shows the right code.

    Returns the recovery codes, to be shown once: only their hashes are kept.
    """
    if actor.id != account.id:
        raise NotAllowed()
    if account.has_totp:
        raise Conflict(_l("Two-step sign-in is already turned on for your account."))
    now = utcnow()
    step = tokens.matching_totp_step(secret, tokens.normalise_code(code), now=now)
    if step is None:
        raise WrongCode()
    account.totp_secret = secret
    account.totp_enabled_dt = now
    account.totp_last_step = step
    codes = _replace_recovery_codes(account)
    audit.record("account.totp_enabled", actor=actor, obj=account, address=address)
    return codes


def remaining_recovery_codes(account: Account) -> int:
    return db.session.execute(
        select(func.count()).select_from(RecoveryCode)
        .where(RecoveryCode.account_id == account.id, RecoveryCode.used_dt.is_(None))
    ).scalar_one()


def check_second_factor(account: Account, code: str, *, address: str | None) -> str | None:
    """Accept a TOTP code not used before, or an unused recovery code (then used up).

    Returns "totp" or "recovery_code", or None when the code is wrong or was used already. Both checks
    are atomic conditional updates, so two requests racing with one code cannot both succeed.
    """
    if not account.has_totp:
        return None
    code = tokens.normalise_code(code)
    now = utcnow()
    if tokens.looks_like_totp(code):
        step = tokens.matching_totp_step(account.totp_secret, code, now=now, after_step=account.totp_last_step)
        if step is None:
            return None
        result = db.session.execute(
            update(Account)
            .where(Account.id == account.id,
                   or_(Account.totp_last_step.is_(None), Account.totp_last_step < step))
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            return None
        set_committed_value(account, "totp_last_step", step)
        return "totp"
    if not code or len(code) > 64:
        return None
    recovery = db.session.execute(
        select(RecoveryCode).where(RecoveryCode.account_id == account.id,
                                   RecoveryCode.code_hash == tokens.hash_recovery_code(code),
                                   RecoveryCode.used_dt.is_(None))
    ).scalar_one_or_none()
    if recovery is None:
        return None
    result = db.session.execute(
        update(RecoveryCode).where(RecoveryCode.id == recovery.id, RecoveryCode.used_dt.is_(None))
        .values(used_dt=now).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    set_committed_value(recovery, "used_dt", now)
    audit.record("account.recovery_code_used", actor=account, obj=account, address=address,
                 remaining=remaining_recovery_codes(account))
    return "recovery_code"


def disable_totp(account: Account, code: str, *, actor: Account, address: str | None) -> None:
    """Turn the second factor off; needs a valid code. Administrators and secretaries cannot."""
    if actor.id != account.id:
        raise NotAllowed()
    if not account.has_totp:
        raise Conflict(_l("Two-step sign-in is not turned on for your account."))
    if not can_disable_totp(account):
        raise NotAllowed(_l("Your role requires two-step sign-in: it cannot be turned off."))
    if check_second_factor(account, code, address=address) is None:
        raise WrongCode()
    account.totp_secret = None
    account.totp_enabled_dt = None
    account.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account.id)
                       .execution_options(synchronize_session=False))
    db.session.flush()
    audit.record("account.totp_disabled", actor=actor, obj=account, address=address)


def regenerate_recovery_codes(account: Account, code: str, *, actor: Account, address: str | None) -> list[str]:
    """A new set of recovery codes (the old ones stop working); needs a valid code."""
    if actor.id != account.id:
        raise NotAllowed()
    if not account.has_totp:
        raise Conflict(_l("Two-step sign-in is not turned on for your account."))
    if check_second_factor(account, code, address=address) is None:
        raise WrongCode()
    codes = _replace_recovery_codes(account)
    audit.record("account.recovery_codes_regenerated", actor=actor, obj=account, address=address)
    return codes


# --- roles -----------------------------------------------------------------------------------------
def grant_role(account: Account, role: Role, *, branch: Branch | None = None, actor=None) -> RoleAssignment:
    scope = RoleAssignment.scope_for(branch.id if branch else None)
    for existing in account.roles:
        if existing.role == role.value and existing.scope_key == scope:
            return existing
    assignment = RoleAssignment(role=role.value, branch=branch, scope_key=scope)
    account.roles.append(assignment)
    db.session.flush()
    audit.record("role.granted", actor=actor, obj=account, role=role.value,
                 branch=branch.code if branch else None)
    return assignment


def revoke_role(account: Account, role: Role, *, branch: Branch | None = None, actor=None) -> None:
    scope = RoleAssignment.scope_for(branch.id if branch else None)
    for existing in list(account.roles):
        if existing.role == role.value and existing.scope_key == scope:
            account.roles.remove(existing)
            db.session.flush()
            audit.record("role.revoked", actor=actor, obj=account, role=role.value,
                         branch=branch.code if branch else None)
