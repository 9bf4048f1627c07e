"""Who must and who may: predicates on accounts, used by views, operations and templates alike."""
from __future__ import annotations

from flask import current_app

from governance.accounts.models import Account, Role

#: roles whose holders cannot use the portal without a second factor (DESIGN §7)
DEFAULT_TOTP_REQUIRED_ROLES = (Role.admin.value, Role.secretary.value)


def totp_required_roles() -> frozenset[str]:
    """``TOTP_REQUIRED_ROLES`` may add roles anywhere, and remove some outside production only."""
    roles = frozenset(current_app.config.get("TOTP_REQUIRED_ROLES", DEFAULT_TOTP_REQUIRED_ROLES))
    if current_app.config.get("GOVERNANCE_ENV") == "production":
        roles |= frozenset(DEFAULT_TOTP_REQUIRED_ROLES)
    return roles


def totp_required(account: Account) -> bool:
    """Administrators and secretaries (in any scope) need a second factor."""
    required = totp_required_roles()
    return any(assignment.role in required for assignment in account.roles)


def must_enrol_totp(account: Account) -> bool:
    return totp_required(account) and not account.has_totp


def can_disable_totp(account: Account) -> bool:
    return account.has_totp and not totp_required(account)
