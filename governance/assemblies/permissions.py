"""Who may convene, see and manage general assemblies, read their documents, and petition for one.

- **Manage** an assembly (define it, its agenda, documents and roles; convene it; the delivery log and the
  letters): global administrators and secretaries; for a branch's assembly also the administrators, secretaries
  and board members of that branch. An assembly of the whole cooperative (no branch) only global staff.
- **See** an assembly: its managers; once convened, the members of a branch on its roll, the staff of those
  branches, global staff, and whoever holds a role at it. A draft only its managers. Anyone else gets a 404.
- **Documents**: the members on the roll, the managers, and the assembly's role holders.
- **Petitions**: an active member opens one for their own branch or for the whole cooperative, and signs those
  of their scope; members of the scope and the board see them; the board closes them.

``on_roll`` (whether the reader's member is on the assembly's roll) and ``holds_role`` are computed once by the
view (``queries.viewer_context``) and passed to the predicates, so templates use the same functions.
"""
from __future__ import annotations

from typing import Any

from governance.accounts.permissions import is_global_staff as _is_global_staff
from governance.accounts.permissions import signed_in as _signed_in
from governance.accounts.permissions import staff_branch_ids  # noqa: F401  (re-exported)
from governance.assemblies.models import Assembly, Petition, PetitionState
from governance.members.models import MemberStatus
from governance.votes.permissions import manages_branches



# --- assemblies ------------------------------------------------------------------------------------
def can_create_assembly(account: Any, branch_id: int | None) -> bool:
    """Convene an assembly of this branch (None: of the whole cooperative)."""
    return manages_branches(account, None if branch_id is None else {branch_id})


def can_create_any_assembly(account: Any) -> bool:
    return _signed_in(account) and (_is_global_staff(account) or bool(staff_branch_ids(account)))


def can_manage_assembly(account: Any, assembly: Assembly) -> bool:
    return _signed_in(account) and can_create_assembly(account, assembly.branch_id)


def can_view_assembly(account: Any, assembly: Assembly, *, on_roll: bool = False, holds_role: bool = False) -> bool:
    if not _signed_in(account):
        return False
    if can_manage_assembly(account, assembly):
        return True
    if assembly.is_draft:
        return False
    if on_roll or holds_role or _is_global_staff(account):
        return True
    scope = assembly.branch_ids
    member = getattr(account, "member", None)
    if member is not None and member.branch_id in scope:
        return True
    return bool(scope & staff_branch_ids(account))


def can_read_documents(account: Any, assembly: Assembly, *, on_roll: bool = False, holds_role: bool = False) -> bool:
    if not _signed_in(account):
        return False
    if can_manage_assembly(account, assembly):
        return True
    return not assembly.is_draft and (on_roll or holds_role)


def can_edit_assembly(account: Any, assembly: Assembly) -> bool:
    """Date, place, texts and rules: a draft only."""
    return assembly.is_draft and can_manage_assembly(account, assembly)


def can_edit_agenda(account: Any, assembly: Assembly) -> bool:
    """Once convened, the agenda is frozen (members were convened on it)."""
    return assembly.is_draft and can_manage_assembly(account, assembly)


def can_manage_documents(account: Any, assembly: Assembly) -> bool:
    """Until the assembly closes (a document added after the convocation is recorded as such)."""
    return not assembly.is_closed and can_manage_assembly(account, assembly)


def can_manage_assembly_roles(account: Any, assembly: Assembly) -> bool:
    return not assembly.is_closed and can_manage_assembly(account, assembly)


def can_convene(account: Any, assembly: Assembly) -> bool:
    return assembly.is_draft and can_manage_assembly(account, assembly)


def can_view_deliveries(account: Any, assembly: Assembly) -> bool:
    return not assembly.is_draft and can_manage_assembly(account, assembly)


def can_resend(account: Any, assembly: Assembly) -> bool:
    return not assembly.is_draft and not assembly.is_closed and can_manage_assembly(account, assembly)


def can_convene_second(account: Any, assembly: Assembly) -> bool:
    return (assembly.can_have_second_convocation and assembly.first_assembly_id is None
            and can_manage_assembly(account, assembly))


def can_delete_assembly(account: Any, assembly: Assembly) -> bool:
    return assembly.is_draft and can_manage_assembly(account, assembly)


# --- petitions -------------------------------------------------------------------------------------
def _active_member(account: Any, member=None):
    member = member if member is not None else getattr(account, "member", None)
    if member is None or member.status != MemberStatus.active.value:
        return None
    return member


def _in_scope(member, petition_branch_id: int | None) -> bool:
    return petition_branch_id is None or member.branch_id == petition_branch_id


def can_open_petition(account: Any, branch_id: int | None, *, member=None) -> bool:
    """An active member, for their own branch or for the whole cooperative."""
    if account is not None and not _signed_in(account):
        return False
    member = _active_member(account, member)
    return member is not None and _in_scope(member, branch_id)


def can_open_any_petition(account: Any) -> bool:
    return _signed_in(account) and _active_member(account) is not None


def can_manage_petition(account: Any, petition: Petition) -> bool:
    return _signed_in(account) and manages_branches(account, None if petition.branch_id is None
                                                    else {petition.branch_id})


def can_view_petition(account: Any, petition: Petition) -> bool:
    if not _signed_in(account):
        return False
    if petition.branch_id is None or _is_global_staff(account):
        return True
    member = getattr(account, "member", None)
    if member is not None and member.branch_id == petition.branch_id:
        return True
    return petition.branch_id in staff_branch_ids(account)


def can_sign_petition(account: Any, petition: Petition, *, member=None) -> bool:
    if account is not None and not _signed_in(account):
        return False
    member = _active_member(account, member)
    return (member is not None and _in_scope(member, petition.branch_id)
            and petition.state != PetitionState.closed.value)


def can_withdraw_signature(account: Any, petition: Petition, *, signed: bool) -> bool:
    return signed and petition.is_open and _signed_in(account) and getattr(account, "member", None) is not None


def can_close_petition(account: Any, petition: Petition) -> bool:
    return petition.state != PetitionState.closed.value and can_manage_petition(account, petition)


#: the predicates templates call
PREDICATES = {
    "can_create_any_assembly": can_create_any_assembly,
    "can_manage_assembly": can_manage_assembly,
    "can_edit_assembly": can_edit_assembly,
    "can_edit_agenda": can_edit_agenda,
    "can_manage_documents": can_manage_documents,
    "can_manage_assembly_roles": can_manage_assembly_roles,
    "can_convene": can_convene,
    "can_view_deliveries": can_view_deliveries,
    "can_resend": can_resend,
    "can_convene_second": can_convene_second,
    "can_delete_assembly": can_delete_assembly,
    "can_open_any_petition": can_open_any_petition,
    "can_sign_petition": can_sign_petition,
    "can_withdraw_signature": can_withdraw_signature,
    "can_close_petition": can_close_petition,
    "can_manage_petition": can_manage_petition,
}
