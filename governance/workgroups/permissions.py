"""Who may see, create, join and manage workgroups.

- **See**: a workgroup of the whole cooperative, every signed-in account; a workgroup restricted to
  branches, the members of those branches, global administrators and secretaries, and the
  administrators, secretaries and board members of those branches. Anything else answers 404, so a
  member of one branch cannot even learn that another branch's workgroup exists by changing a URL.
- **Create**: global administrators, any scope; board members (and branch administrators) for a
  workgroup restricted to branches they hold that role in.
- **Join**: an account linked to an active register member within the scope, while the workgroup is active.
- **Manage** (texts, requests, facilitators, archiving): the workgroup's facilitators, global
  administrators, and board members (or administrators) of one of its branches.

``membership`` arguments are the viewer's own membership of the workgroup (or None); views load it
once and templates pass it to the same predicates.
"""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from governance.accounts.models import Role
from governance.members.models import MemberStatus
from governance.workgroups.models import Workgroup, WorkgroupMembership

#: global roles that see every workgroup
_SEE_ALL_ROLES = frozenset({Role.admin.value, Role.secretary.value})
#: roles that, held in a branch, show that branch's restricted workgroups
_SEE_BRANCH_ROLES = frozenset({Role.admin.value, Role.secretary.value, Role.board_member.value})
#: roles that, held in a branch, create and manage that branch's workgroups
_MANAGE_BRANCH_ROLES = frozenset({Role.admin.value, Role.board_member.value})


def _signed_in(account: Any) -> bool:
    return (account is not None and getattr(account, "is_authenticated", False) and hasattr(account, "roles")
            and account.is_enabled)


def _is_global_admin(account: Any) -> bool:
    return any(a.role == Role.admin.value and a.branch_id is None for a in account.roles)


def _active_member(account: Any):
    member = account.member
    return member if member is not None and member.status == MemberStatus.active.value else None


def visible_branch_ids(account: Any) -> set[int] | None:
    """The branches whose restricted workgroups the account sees: None for every branch."""
    if not _signed_in(account):
        return set()
    if any(a.role in _SEE_ALL_ROLES and a.branch_id is None for a in account.roles):
        return None
    ids = {a.branch_id for a in account.roles if a.role in _SEE_BRANCH_ROLES and a.branch_id is not None}
    if account.member is not None:
        ids.add(account.member.branch_id)
    return ids


def managed_branch_ids(account: Any) -> set[int] | None:
    """The branches whose workgroups the account creates and manages by its role: None for every branch."""
    if not _signed_in(account):
        return set()
    if _is_global_admin(account):
        return None
    return {a.branch_id for a in account.roles if a.role in _MANAGE_BRANCH_ROLES and a.branch_id is not None}


def can_view_workgroup(account: Any, workgroup: Workgroup) -> bool:
    if not _signed_in(account):
        return False
    if workgroup.is_cooperative_wide:
        return True
    branch_ids = visible_branch_ids(account)
    return branch_ids is None or bool(branch_ids & workgroup.branch_ids)


def can_create_workgroup(account: Any, branch_ids: set[int] | None = None) -> bool:
    """May create a workgroup for these branches (None: the whole cooperative)."""
    managed = managed_branch_ids(account)
    if managed is None:
        return _signed_in(account)
    return bool(branch_ids) and branch_ids <= managed


def can_create_any_workgroup(account: Any) -> bool:
    """May create some workgroup (shows the "Create a workgroup" button)."""
    if not _signed_in(account):
        return False
    managed = managed_branch_ids(account)
    return managed is None or bool(managed)


def _is_facilitator(account: Any, membership: WorkgroupMembership | None) -> bool:
    member = _active_member(account)
    return (member is not None and membership is not None and membership.member_id == member.id
            and membership.is_facilitator)


def _manages_by_role(account: Any, workgroup: Workgroup) -> bool:
    managed = managed_branch_ids(account)
    if managed is None:
        return True
    return not workgroup.is_cooperative_wide and bool(managed & workgroup.branch_ids)


def can_manage_workgroup(account: Any, workgroup: Workgroup, membership: WorkgroupMembership | None = None) -> bool:
    """Facilitators of the workgroup, global administrators, board members of one of its branches."""
    if not can_view_workgroup(account, workgroup):
        return False
    return _manages_by_role(account, workgroup) or _is_facilitator(account, membership)


def manages_by_role(account: Any, workgroup: Workgroup) -> bool:
    """Manages the workgroup through a role (not as its facilitator): may remove its last facilitator."""
    return can_view_workgroup(account, workgroup) and _manages_by_role(account, workgroup)


def can_edit_workgroup(account: Any, workgroup: Workgroup, membership: WorkgroupMembership | None = None) -> bool:
    """Change texts, languages, theme and joining; an archived workgroup is read-only."""
    return workgroup.is_active and can_manage_workgroup(account, workgroup, membership)


def can_change_scope(account: Any, workgroup: Workgroup) -> bool:
    """Only someone who could create the workgroup with its present scope changes it (not its facilitators)."""
    current = None if workgroup.is_cooperative_wide else workgroup.branch_ids
    return workgroup.is_active and can_view_workgroup(account, workgroup) and can_create_workgroup(account, current)


def can_archive_workgroup(account: Any, workgroup: Workgroup, membership: WorkgroupMembership | None = None) -> bool:
    return workgroup.is_active and can_manage_workgroup(account, workgroup, membership)


def can_unarchive_workgroup(account: Any, workgroup: Workgroup,
                            membership: WorkgroupMembership | None = None) -> bool:
    return workgroup.is_archived and can_manage_workgroup(account, workgroup, membership)


def can_join_workgroup(account: Any, workgroup: Workgroup, membership: WorkgroupMembership | None = None) -> bool:
    """An active register member within the scope, not yet in (nor asking to join) the workgroup."""
    if not _signed_in(account) or membership is not None or not workgroup.is_active:
        return False
    member = _active_member(account)
    return member is not None and workgroup.in_scope(member) and can_view_workgroup(account, workgroup)


def join_refusal(account: Any, workgroup: Workgroup, membership: WorkgroupMembership | None = None) -> str | None:
    """Why the account cannot join (for the workgroup page), or None."""
    if membership is not None or not _signed_in(account):
        return None
    if workgroup.is_archived:
        return _("This workgroup is archived: nobody can join it.")
    if account.member is None:
        return _("Your account is not linked to an entry of the membership register, so you cannot join workgroups.")
    if account.member.status != MemberStatus.active.value:
        return _("Only active members of the cooperative can join workgroups.")
    if not workgroup.in_scope(account.member):
        return _("This workgroup is open to the members of other branches than yours.")
    return None


def can_leave_workgroup(account: Any, workgroup: Workgroup, membership: WorkgroupMembership | None = None) -> bool:
    """A member (or a pending request) of an active workgroup; the last facilitator is refused by the operation."""
    return (_signed_in(account) and workgroup.is_active and membership is not None and account.member is not None
            and membership.member_id == account.member.id)


def can_answer_requests(account: Any, workgroup: Workgroup, membership: WorkgroupMembership | None = None) -> bool:
    """Approve or refuse requests, appoint or remove facilitators."""
    return workgroup.is_active and can_manage_workgroup(account, workgroup, membership)


def can_view_members(account: Any, workgroup: Workgroup, membership: WorkgroupMembership | None = None) -> bool:
    """The members page, with their names and requests: for those who manage the workgroup."""
    return can_manage_workgroup(account, workgroup, membership)


#: for templates (registered as globals by the blueprint)
PREDICATES = {
    "can_create_any_workgroup": can_create_any_workgroup,
    "can_manage_workgroup": can_manage_workgroup,
    "can_edit_workgroup": can_edit_workgroup,
    "can_archive_workgroup": can_archive_workgroup,
    "can_unarchive_workgroup": can_unarchive_workgroup,
    "can_join_workgroup": can_join_workgroup,
    "can_leave_workgroup": can_leave_workgroup,
    "can_answer_requests": can_answer_requests,
    "can_view_members": can_view_members,
    "workgroup_join_refusal": join_refusal,
}


# --- following -------------------------------------------------------------------------------------
def can_follow_workgroup(account: Any, workgroup: Workgroup) -> bool:
    """Whoever sees the workgroup may follow it (and unfollow it)."""
    return can_view_workgroup(account, workgroup)


def accounts_seeing_workgroup(workgroup: Workgroup):
    """The SQL twin of :func:`can_view_workgroup`: a condition on ``Account`` rows, true for the accounts
    that see the workgroup, so notifications reach only them (a member who moved to another branch no
    longer hears of a restricted workgroup) without loading the accounts. Keep the two in step."""
    from sqlalchemy import and_, exists, or_

    from governance.accounts.models import Account, RoleAssignment
    from governance.members.models import Member

    enabled = Account.is_enabled.is_(True)
    if workgroup.is_cooperative_wide:
        return enabled
    branch_ids = sorted(workgroup.branch_ids) or [-1]
    sees_all = exists().where(RoleAssignment.account_id == Account.id, RoleAssignment.branch_id.is_(None),
                              RoleAssignment.role.in_(sorted(_SEE_ALL_ROLES)))
    branch_role = exists().where(RoleAssignment.account_id == Account.id, RoleAssignment.branch_id.in_(branch_ids),
                                 RoleAssignment.role.in_(sorted(_SEE_BRANCH_ROLES)))
    own_branch = exists().where(Member.id == Account.member_id, Member.branch_id.in_(branch_ids))
    return and_(enabled, or_(sees_all, branch_role, own_branch))
