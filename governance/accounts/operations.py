"""Everything that changes accounts and roles. Operations take the actor, flush, never commit.

No secret (password, token, TOTP or recovery code) ever goes into an audit entry or a log line.
"""
from __future__ import annotations

import datetime as dt
import enum
import functools
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from governance.accounts import queries, tokens
from governance.accounts.models import (Account, AccountToken, DigestFrequency, RecoveryCode, Role, RoleAssignment,
                                        TokenPurpose)
from governance.accounts.passwords import hash_password, needs_rehash, password_problem, verify_password
from governance.accounts.permissions import ACCOUNT_STATUSES, can_disable_totp, invite_branch_ids
from governance.core import audit
from governance.core.db_types import utcnow
from governance.core.errors import Conflict, DomainError, InvalidInput, NotAllowed
from governance.core.i18n import fallback_language
from governance.core.outbox import EmailSpec, queue_email, queue_emails
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


class EmailTaken(Conflict):
    default_message = _l("An account with this email address already exists.")


class MemberHasAccount(Conflict):
    default_message = _l("This member already has an account.")


def member_account_id(member_id: int) -> int | None:
    """The id of the account linked to this register entry, if any."""
    return db.session.execute(select(Account.id).where(Account.member_id == member_id)).scalar_one_or_none()


def create_account(*, email: str, display_name: str, password: str | None = None, language: str = "en",
                   timezone: str = "Europe/Brussels", member: Member | None = None, actor=None) -> Account:
    """A new account, linked to ``member`` when given (one account per member: a unique constraint).

    Raises :class:`EmailTaken` or :class:`MemberHasAccount`, also when a concurrent request won the race
    between the checks and the insert; the session must then be rolled back (nothing is kept).
    """
    email = normalise_email(email)
    if find_account_by_email(email) is not None:
        raise EmailTaken()
    if member is not None and member_account_id(member.id) is not None:
        raise MemberHasAccount()
    account = Account(email=email, display_name=display_name, language=language, timezone=timezone,
                      member=member)
    if password is not None:
        problem = password_problem(password, email=email)
        if problem:
            raise InvalidInput(problem)
        account.password_hash = hash_password(password)
    db.session.add(account)
    try:
        db.session.flush()
    except IntegrityError as exc:
        # the unique constraints on accounts.member_id and accounts.email decide the race
        if member is not None and "member_id" in str(exc.orig):
            raise MemberHasAccount() from exc
        raise EmailTaken() from exc
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
    account.set_language(language)
    db.session.flush()


def update_profile(account: Account, *, display_name: str, language: str, timezone: str,
                   notify_workgroup_email: bool, notify_ballot_email: bool, notify_convocation_email: bool,
                   actor: Account, digest_frequency: str | None = None) -> None:
    """The account holder's own settings. Only these fields change (``digest_frequency`` when given)."""
    if actor.id != account.id:
        raise NotAllowed()
    display_name = (display_name or "").strip()
    if not display_name or len(display_name) > 120:
        raise InvalidInput(_l("Please give a name of at most %(n)d characters.", n=120))
    if language not in current_app.config["LANGUAGES"]:
        raise InvalidInput(_l("Choose one of the languages offered."))
    if timezone not in available_timezones():
        raise InvalidInput(_l("Choose a time zone from the list, for example Europe/Brussels."))
    if digest_frequency is not None and digest_frequency not in {d.value for d in DigestFrequency}:
        raise InvalidInput(_l("Choose how often you receive the summary of your notifications."))
    account.display_name = display_name
    account.language = language
    account.timezone = timezone
    account.notify_workgroup_email = bool(notify_workgroup_email)
    account.notify_ballot_email = bool(notify_ballot_email)
    account.notify_convocation_email = bool(notify_convocation_email)
    if digest_frequency is not None:
        account.digest_frequency = digest_frequency
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
class RoleScopeInvalid(InvalidInput):
    """The role does not fit the scope asked for (an administrator of one branch, a board member of none)."""


class AdministratorRoleKept(Conflict):
    """The last administrator's role cannot be taken away: nobody could manage roles any more."""

    default_message = _l("The cooperative must keep at least one administrator: give the administrator role to "
                         "another account first.")


class OwnAdministratorRoleKept(AdministratorRoleKept):
    default_message = _l("You are the last administrator: give the administrator role to another account before "
                         "giving up yours, or nobody could manage roles any more.")


#: roles that exist only for the whole cooperative, and roles that exist only in a branch
GLOBAL_ONLY_ROLES = frozenset({Role.admin.value})
BRANCH_ONLY_ROLES = frozenset({Role.board_member.value})


def grant_role(account: Account, role: Role, *, branch: Branch | None = None, actor=None) -> RoleAssignment:
    """Give ``account`` the role, for the whole cooperative (``branch`` None) or one branch; audited as
    ``role.granted``. Granting a role the account already holds changes nothing."""
    if role.value in GLOBAL_ONLY_ROLES and branch is not None:
        raise RoleScopeInvalid(_l("An administrator acts for the whole cooperative: leave the branch empty."))
    if role.value in BRANCH_ONLY_ROLES and branch is None:
        raise RoleScopeInvalid(_l("A board member belongs to the board of one branch: choose the branch."))
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


def revoke_role(account: Account, role: Role, *, branch: Branch | None = None, actor=None) -> bool:
    """Take the role (in this scope) from ``account``; audited as ``role.revoked``. Returns whether it held it.

    The last administrator's role is never taken away (:class:`AdministratorRoleKept`, 409); the
    administrators' role rows stay locked until the transaction ends, so two administrators taking away
    each other's role at the same moment cannot leave the cooperative with none.
    """
    scope = RoleAssignment.scope_for(branch.id if branch else None)
    for existing in list(account.roles):
        if existing.role == role.value and existing.scope_key == scope:
            if role == Role.admin and branch is None and is_last_administrator(account):
                own = actor is not None and getattr(actor, "id", actor) == account.id
                raise OwnAdministratorRoleKept() if own else AdministratorRoleKept()
            account.roles.remove(existing)
            db.session.flush()
            audit.record("role.revoked", actor=actor, obj=account, role=role.value,
                         branch=branch.code if branch else None)
            return True
    return False


# --- invitations, claims, and linking an account to its register entry ------------------------------
class Refusal(str, enum.Enum):
    """Why a member was not invited."""

    has_account = "has_account"
    status = "status"
    no_email = "no_email"
    email_in_use = "email_in_use"
    pending = "pending"

    @property
    def label(self) -> str:
        return str(REFUSAL_LABELS[self])


REFUSAL_LABELS = {
    Refusal.has_account: _l("already has an account"),
    Refusal.status: _l("their status in the register does not allow an account"),
    Refusal.no_email: _l("no email address in the register"),
    Refusal.email_in_use: _l("another account already uses their email address"),
    Refusal.pending: _l("an earlier invitation still works"),
}


class InvitationRefused(DomainError):
    """One member could not be invited; the message names them and says why."""

    MESSAGES = {
        Refusal.has_account: (409, _l("%(name)s already has an account.")),
        Refusal.status: (409, _l("%(name)s cannot be invited: their status in the register is “%(status)s”. "
                                 "Only active members and applicants can have an account.")),
        Refusal.no_email: (422, _l("%(name)s cannot be invited: the register has no email address for them.")),
        Refusal.email_in_use: (409, _l("%(name)s cannot be invited: another account already uses their email "
                                       "address.")),
        Refusal.pending: (409, _l("%(name)s already has an invitation that still works.")),
    }

    def __init__(self, reason: Refusal, member: Member):
        self.reason = reason
        self.status_code, message = self.MESSAGES[reason]
        super().__init__(message, name=member.full_name, status=member.status_label)


class AccountNotAllowed(NotAllowed):
    default_message = _l("Your entry in the register does not allow an account at the moment. Please contact "
                         "your branch's secretary.")


@dataclass
class InvitationReport:
    """What an invitation run did (or, on a dry run, would do), member by member."""

    dry_run: bool = False
    invited: list[Any] = field(default_factory=list)
    #: (member, reason), in the order the members were given
    refused: list[tuple[Any, Refusal]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = {"invited": len(self.invited)}
        counts.update({reason.value: 0 for reason in Refusal})
        for _member, reason in self.refused:
            counts[reason.value] += 1
        return counts


def classify_invitations(candidates: list, *, skip_pending: bool = False,
                         now: dt.datetime | None = None) -> InvitationReport:
    """Sort members (or light rows with ``id``, ``status`` and ``email``) into those an invitation would
    reach and those it would not, with the reason. A few queries whatever their number; writes nothing."""
    now = now or utcnow()
    ids = [c.id for c in candidates]
    with_account = queries.accounts_of_members(ids)
    used = queries.emails_in_use(normalise_email(c.email) for c in candidates if normalise_email(c.email))
    pending = queries.members_with_pending_invitation(ids, now) if skip_pending else set()
    report = InvitationReport(dry_run=True)
    seen: set[int] = set()
    for candidate in candidates:
        if candidate.id in seen:
            continue
        seen.add(candidate.id)
        email = normalise_email(candidate.email)
        if candidate.id in with_account:
            reason = Refusal.has_account
        elif candidate.status not in ACCOUNT_STATUSES:
            reason = Refusal.status
        elif not email:
            reason = Refusal.no_email
        elif email in used:
            reason = Refusal.email_in_use
        elif candidate.id in pending:
            reason = Refusal.pending
        else:
            report.invited.append(candidate)
            continue
        report.refused.append((candidate, reason))
    return report


def member_email_language(member: Member) -> str:
    """The member's language, else their branch's first official language with a catalog, else English."""
    return fallback_language(member.language, member.branch.official_languages)


def invite_members(members, *, actor, skip_pending: bool = False, dry_run: bool = False) -> InvitationReport:
    """Invite members to create their account, by a link emailed to their register address.

    Each member with an email address, no account and an active or applicant status gets a new invitation
    (valid 14 days, once; only its hash is stored) replacing any earlier one, and one outbox row in their
    language. The others are listed in the report with the reason. ``skip_pending`` leaves out members whose
    earlier invitation still works. A few statements per thousand members. ``actor`` is the inviting
    account, or None for the system (the command line).
    """
    members = list(members)
    if actor is not None:
        branch_ids = invite_branch_ids(actor)
        if branch_ids is not None and any(m.branch_id not in branch_ids for m in members):
            raise NotAllowed()
    now = utcnow()
    report = classify_invitations(members, skip_pending=skip_pending, now=now)
    report.dry_run = dry_run
    invited: list[Member] = report.invited
    if dry_run or not invited:
        return report
    queries.load_branches(m.branch_id for m in invited)
    for chunk in queries.chunked([m.id for m in invited]):
        db.session.execute(
            update(AccountToken)
            .where(AccountToken.member_id.in_(chunk), AccountToken.purpose == TokenPurpose.invite.value,
                   AccountToken.used_dt.is_(None))
            .values(used_dt=now)
            .execution_options(synchronize_session=False)
        )
    raw_tokens = [tokens.new_token() for _ in invited]
    token_ids = _insert_tokens([
        {"purpose": TokenPurpose.invite.value, "token_hash": tokens.hash_secret(raw), "member_id": m.id,
         "email": normalise_email(m.email), "created_dt": now, "expires_dt": now + tokens.INVITE_LIFETIME}
        for m, raw in zip(invited, raw_tokens)
    ])
    lifetime_days = tokens.INVITE_LIFETIME.days
    queue_emails([
        EmailSpec(key=f"invite:{m.id}:{token_id}", to_address=m.email.strip(), to_name=m.full_name,
                  language=member_email_language(m), template="invitation", topic=f"member:{m.id}:invite",
                  context={"accept_url": email_link("accounts.accept_invitation", token=raw),
                           "member_number": m.number, "days": lifetime_days})
        for m, token_id, raw in zip(invited, token_ids, raw_tokens)
    ])
    refused = {k: v for k, v in report.counts().items() if k != "invited" and v}
    if len(invited) == 1:
        audit.record("account.invitation_sent", actor=actor, obj=invited[0], token_id=token_ids[0])
    else:
        audit.record("account.invitations_sent", actor=actor, object_type="members", invited=len(invited),
                     refused=refused, member_ids=sorted(m.id for m in invited))
    return report


def invite_member(member: Member, *, actor) -> None:
    """Invite one member (again: an earlier invitation stops working). Raises :class:`InvitationRefused`."""
    report = invite_members([member], actor=actor)
    if report.refused:
        raise InvitationRefused(report.refused[0][1], member)


#: rows inserted per statement
INSERT_CHUNK = 500


def _insert_tokens(rows: list[dict]) -> list[int]:
    """Insert token rows, a batch per statement returning the new ids (in the order of ``rows``)."""
    table = AccountToken.__table__
    ids: dict[str, int] = {}
    for start in range(0, len(rows), INSERT_CHUNK):
        result = db.session.execute(insert(table).returning(table.c.id, table.c.token_hash),
                                    rows[start:start + INSERT_CHUNK])
        ids.update((token_hash, token_id) for token_id, token_hash in result)
    return [ids[row["token_hash"]] for row in rows]


def request_claim(number: str, email: str, *, address: str | None) -> AccountToken | None:
    """Email a link to create an account to the register address of member ``number``, when ``email`` is
    that address, the member has no account and their status allows one.

    The caller answers the same whatever the outcome, so nobody learns who is in the register.
    """
    number = (number or "").strip()
    email = normalise_email(email)
    if not number or not email or len(number) > 32 or len(email) > 320:
        return None
    member = db.session.execute(select(Member).where(Member.number == number)).scalar_one_or_none()
    if member is None:
        found = db.session.execute(
            select(Member).where(func.upper(Member.number) == number.upper()).limit(2)
        ).scalars().all()
        member = found[0] if len(found) == 1 else None
    if member is None or normalise_email(member.email) != email:
        return None
    report = classify_invitations([member])
    if report.refused:
        return None
    now = utcnow()
    db.session.execute(
        update(AccountToken)
        .where(AccountToken.member_id == member.id, AccountToken.purpose == TokenPurpose.claim.value,
               AccountToken.used_dt.is_(None))
        .values(used_dt=now)
        .execution_options(synchronize_session=False)
    )
    raw = tokens.new_token()
    token = AccountToken(purpose=TokenPurpose.claim.value, token_hash=tokens.hash_secret(raw), member_id=member.id,
                         email=email, created_dt=now, expires_dt=now + tokens.CLAIM_LIFETIME)
    db.session.add(token)
    db.session.flush()
    queue_email(
        key=f"claim:{member.id}:{token.id}",
        to_address=member.email.strip(),
        to_name=member.full_name,
        language=member_email_language(member),
        template="claim",
        context={"accept_url": email_link("accounts.accept_invitation", token=raw), "member_number": member.number,
                 "hours": int(tokens.CLAIM_LIFETIME.total_seconds() // 3600)},
        topic=f"member:{member.id}:claim",
    )
    audit.record("account.claim_requested", obj=member, token_id=token.id, address=address)
    return token


def find_member_token(raw: str | None) -> AccountToken | None:
    """The usable invitation or claim token whose hash matches ``raw``, while the register still has the
    address it was sent to."""
    if not raw or len(raw) > 200:
        return None
    token = db.session.execute(
        select(AccountToken).where(AccountToken.token_hash == tokens.hash_secret(raw),
                                   AccountToken.purpose.in_([TokenPurpose.invite.value, TokenPurpose.claim.value]))
    ).scalar_one_or_none()
    if token is None or not token.is_usable(utcnow()) or not _token_matches_register(token):
        return None
    return token


def _token_matches_register(token: AccountToken) -> bool:
    member = token.member
    return member is not None and bool(token.email) and normalise_email(member.email) == token.email


def accept_invitation(token: AccountToken, *, display_name: str, password: str, language: str,
                      address: str | None) -> Account:
    """Create the member's account from an invitation or claim link.

    The account gets the register's email address and is linked to the member (one account per member:
    also a unique constraint, which decides a race); the token is used up and every other invitation or
    claim link of the member stops working. Raises :class:`TokenInvalid`, :class:`AccountNotAllowed`,
    :class:`MemberHasAccount`, :class:`EmailTaken` or :class:`InvalidInput`; the caller then rolls back.
    """
    if token.purpose not in (TokenPurpose.invite.value, TokenPurpose.claim.value) or not _token_matches_register(token):
        raise TokenInvalid()
    member = token.member
    if member.status not in ACCOUNT_STATUSES:
        raise AccountNotAllowed()
    if member_account_id(member.id) is not None:
        raise MemberHasAccount()
    display_name = (display_name or "").strip()
    if not display_name or len(display_name) > 120:
        raise InvalidInput(_l("Please give a name of at most %(n)d characters.", n=120))
    if language not in current_app.config["LANGUAGES"]:
        raise InvalidInput(_l("Choose one of the languages offered."))
    problem = password_problem(password, email=token.email)
    if problem:
        raise InvalidInput(problem)
    if find_account_by_email(token.email) is not None:
        raise EmailTaken()
    now = utcnow()
    _consume_token(token, now)
    db.session.execute(
        update(AccountToken)
        .where(AccountToken.member_id == member.id,
               AccountToken.purpose.in_([TokenPurpose.invite.value, TokenPurpose.claim.value]),
               AccountToken.used_dt.is_(None))
        .values(used_dt=now)
        .execution_options(synchronize_session=False)
    )
    account = create_account(email=token.email, display_name=display_name, password=password, language=language,
                             timezone=member.branch.timezone, member=member)
    account.last_login_dt = now
    db.session.flush()
    audit.record("account.member_linked", actor=account, obj=account, member_id=member.id, via=token.purpose,
                 token_id=token.id, address=address)
    return account


# --- personal data ---------------------------------------------------------------------------------
def record_data_export(account: Account, *, address: str | None) -> None:
    """The person downloaded their personal data (the export itself is built by ``queries.personal_data``)."""
    audit.record("account.data_exported", actor=account, obj=account, address=address)


# --- deleting one's account ------------------------------------------------------------------------
class LastAdministrator(Conflict):
    default_message = _l("You are the last administrator: your account cannot be deleted. Make someone else an "
                         "administrator first.")


def is_last_administrator(account: Account, *, lock: bool = True) -> bool:
    """True when the account holds the global administrator role and no other enabled account does.

    With ``lock`` (on PostgreSQL) the administrators' role rows stay locked until the end of the transaction,
    so two administrators deleting themselves at once cannot both succeed (SQLite serialises writers anyway).
    """
    if not any(a.role == Role.admin.value and a.branch_id is None for a in account.roles):
        return False
    query = (
        select(RoleAssignment.account_id)
        .join(Account, Account.id == RoleAssignment.account_id)
        .where(RoleAssignment.role == Role.admin.value, RoleAssignment.branch_id.is_(None), Account.is_enabled)
    )
    if lock:
        query = query.with_for_update(of=RoleAssignment)
    admins = db.session.execute(query).scalars().all()
    return not any(account_id != account.id for account_id in admins)


def delete_account(account: Account, password: str, code: str | None, *, actor: Account,
                   address: str | None) -> None:
    """Delete one's own account, confirmed by the password (and a second-factor code when turned on).

    The register entry stays as it is (it is the cooperative's record); roles, emailed links and recovery
    codes go with the account. The audit entry holds the account id only.
    """
    if actor is None or actor.id != account.id:
        raise NotAllowed()
    if is_last_administrator(account):
        raise LastAdministrator()
    if not verify_password(account.password_hash, password):
        raise WrongPassword()
    if account.has_totp and check_second_factor(account, code or "", address=address) is None:
        raise WrongCode()
    account_id = account.id
    db.session.delete(account)
    db.session.flush()
    audit.record("account.deleted", actor=account_id, object_type="accounts", object_id=account_id)
