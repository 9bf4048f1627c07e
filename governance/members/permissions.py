"""Who may see and change the membership register.

Administrators and secretaries with a global role see and manage the whole register; a board member
(or a secretary) of a branch sees and manages that branch's members only; members see nothing of it.
Templates use the same predicates to show or hide actions.
"""
from __future__ import annotations

from typing import Any

from governance.accounts.models import Role
from governance.members.models import Branch, Member

#: roles that open the register: globally when the assignment has no branch, else in that branch
REGISTER_ROLES = frozenset({Role.admin.value, Role.secretary.value, Role.board_member.value})
#: global roles that may import the register
IMPORT_ROLES = frozenset({Role.admin.value, Role.secretary.value})


def _signed_in(account: Any) -> bool:
    return account is not None and getattr(account, "is_authenticated", False) and hasattr(account, "roles")


def _has_global(account: Any, roles: frozenset[str]) -> bool:
    return any(a.role in roles and a.branch_id is None for a in account.roles)


def register_branch_ids(account: Any) -> set[int] | None:
    """The branches whose members the account may see: None for all, else a (possibly empty) set."""
    if not _signed_in(account):
        return set()
    if _has_global(account, REGISTER_ROLES):
        return None
    return {a.branch_id for a in account.roles if a.role in REGISTER_ROLES and a.branch_id is not None}


def can_view_register(account: Any, branch: Branch | int | None = None) -> bool:
    """May see the register: of ``branch`` when given, else of at least one branch."""
    branch_ids = register_branch_ids(account)
    if branch_ids is None:
        return True
    if branch is None:
        return bool(branch_ids)
    return (branch.id if isinstance(branch, Branch) else branch) in branch_ids


def can_view_member(account: Any, member: Member) -> bool:
    return can_view_register(account, member.branch_id)


def can_manage_member(account: Any, member: Member) -> bool:
    """May change the member's register entry (status, …)."""
    return can_view_register(account, member.branch_id)


def can_import_register(account: Any) -> bool:
    """May import the register export: it touches every branch, so only global administrators and secretaries."""
    return _signed_in(account) and _has_global(account, IMPORT_ROLES)


# --- branches --------------------------------------------------------------------------------------
#: roles that may read the branches' settings (in any scope)
BRANCH_VIEW_ROLES = frozenset({Role.admin.value, Role.secretary.value})


def can_view_branches(account: Any) -> bool:
    """Administrators and secretaries (of the cooperative or of a branch) see the branches' settings."""
    return _signed_in(account) and any(a.role in BRANCH_VIEW_ROLES for a in account.roles)


def can_manage_branches(account: Any) -> bool:
    """Only administrators create branches and change their settings."""
    return _signed_in(account) and _has_global(account, frozenset({Role.admin.value}))
