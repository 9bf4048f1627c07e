"""Who must and who may: predicates on accounts, used by views, operations and templates alike."""
from __future__ import annotations

from typing import Any

from flask import current_app

from governance.accounts.models import Account, Role
from governance.members.models import Member, MemberStatus

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


# --- voting ----------------------------------------------------------------------------------------
def can_vote(account: Any) -> bool:
    """Only an account linked to an active member of the register may vote (one member, one vote).

    Accounts without a member (staff, observers) read but never vote; applicants, suspended,
    resigned, excluded and deceased members do not vote. Ballots add their own conditions (the
    frozen roll) on top of this one.
    """
    if not _signed_in(account) or not account.is_enabled:
        return False
    member = account.member
    return member is not None and member.status == MemberStatus.active.value


# --- invitations -----------------------------------------------------------------------------------
#: register statuses for which an account can be created (by invitation or claim)
ACCOUNT_STATUSES = frozenset({MemberStatus.active.value, MemberStatus.applicant.value})
#: global roles that may invite any member
_INVITE_GLOBAL_ROLES = frozenset({Role.admin.value, Role.secretary.value})
#: roles that may invite the members of the branch they hold the role in
_INVITE_BRANCH_ROLES = frozenset({Role.admin.value, Role.secretary.value, Role.board_member.value})
#: roles that may send invitations in bulk (globally, or to their own branch when held there)
_BULK_INVITE_ROLES = frozenset({Role.admin.value, Role.secretary.value})


def _signed_in(account: Any) -> bool:
    return account is not None and getattr(account, "is_authenticated", False) and hasattr(account, "roles")


# --- staff roles, shared by the features' permissions ----------------------------------------------
#: global roles that manage and see everything of the features built on the register
GLOBAL_STAFF_ROLES = frozenset({Role.admin.value, Role.secretary.value})
#: roles that, held in a branch, manage that branch's ballots, assemblies and board
BRANCH_STAFF_ROLES = frozenset({Role.admin.value, Role.secretary.value, Role.board_member.value})


def signed_in(account: Any) -> bool:
    """A signed-in, enabled account (anonymous visitors and disabled accounts are refused everything)."""
    return _signed_in(account) and account.is_enabled


def is_global_staff(account: Any) -> bool:
    """An administrator or secretary of the whole cooperative."""
    return any(a.role in GLOBAL_STAFF_ROLES and a.branch_id is None for a in account.roles)


def staff_branch_ids(account: Any) -> set[int]:
    """The branches in which the account is an administrator, secretary or board member."""
    if not signed_in(account):
        return set()
    return {a.branch_id for a in account.roles if a.role in BRANCH_STAFF_ROLES and a.branch_id is not None}


def invite_branch_ids(account: Any, *, bulk: bool = False) -> set[int] | None:
    """The branches whose members the account may invite: None for every branch, else a (possibly empty) set.

    Administrators and secretaries of the whole cooperative invite anyone; an administrator, secretary or
    board member of a branch invites that branch's members. In bulk (a whole branch at once) only
    administrators and secretaries.
    """
    if not _signed_in(account):
        return set()
    if any(a.role in _INVITE_GLOBAL_ROLES and a.branch_id is None for a in account.roles):
        return None
    roles = _BULK_INVITE_ROLES if bulk else _INVITE_BRANCH_ROLES
    return {a.branch_id for a in account.roles if a.role in roles and a.branch_id is not None}


def can_invite_member(account: Any, member: Member) -> bool:
    branch_ids = invite_branch_ids(account)
    return branch_ids is None or member.branch_id in branch_ids


def can_bulk_invite(account: Any) -> bool:
    branch_ids = invite_branch_ids(account, bulk=True)
    return branch_ids is None or bool(branch_ids)


# --- roles -----------------------------------------------------------------------------------------
#: the roles given on the roles page (facilitators are named by their workgroup)
MANAGED_ROLES = (Role.admin, Role.secretary, Role.board_member)


def can_manage_roles(account: Any) -> bool:
    """Only administrators give and take away roles."""
    return _signed_in(account) and any(a.role == Role.admin.value and a.branch_id is None for a in account.roles)
