"""Everything that changes accounts and roles. Operations take the actor, flush, never commit."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from governance.accounts.models import Account, Role, RoleAssignment
from governance.accounts.passwords import hash_password, needs_rehash, password_problem, verify_password
from governance.core import audit
from governance.core.db_types import utcnow
from governance.core.errors import Conflict, InvalidInput
from governance.extensions import db
from governance.members.models import Branch, Member


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_account_by_email(email: str) -> Account | None:
    return db.session.execute(
        select(Account).where(Account.email == normalise_email(email))
    ).scalar_one_or_none()


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


def authenticate(email: str, password: str) -> Account | None:
    """The enabled account with this email and password, or None (in constant-ish time)."""
    account = find_account_by_email(email)
    if account is None or not account.is_enabled:
        verify_password(None, password)
        return None
    if not verify_password(account.password_hash, password):
        return None
    if needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    account.last_login_dt = utcnow()
    db.session.flush()
    return account


def end_all_sessions(account: Account) -> None:
    """Every session cookie issued so far stops working."""
    account.session_version += 1
    db.session.flush()


def set_language(account: Account, language: str) -> None:
    account.language = language
    db.session.flush()


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
