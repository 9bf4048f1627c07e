"""Who may do what at an assembly's session: registration, check-in, votes, the room's totals, the attendance
list and exports, the minutes.

The assembly's roles (``assembly_roles``: chair, secretary, tellers, check-in staff) give the session's powers;
the assembly's managers (global administrators and secretaries, and the convening branch's administrators,
secretaries and board members: :func:`governance.assemblies.permissions.can_manage_assembly`) have them all.

- **Run the session** (open and close it): the chair and the secretary.
- **Open and close votes**: the chair.
- **Check members in and out**: the chair, the secretary and the check-in staff.
- **Enter the room's totals**: the tellers.
- **See the attendance list and download the exports**: whoever holds a role at the assembly.
- **Register for someone else** (a paper proxy handed in): the chair and the secretary.
- **Minutes**: the secretary writes them; the chair or the secretary approves and publishes them. Before they
  are published only the role holders and managers read them; once published, everyone who sees the assembly.

Members act only for themselves: register while the assembly is convened (if they are on its roll), check
themselves in online, and vote. ``roles`` is the list of the reader's roles at the assembly (the first half's
``queries.viewer_context(account, assembly).roles``), computed once per request.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from governance.assemblies.models import Assembly, AssemblyRoleKind, AssemblyState, Minutes, MinutesState
from governance.assemblies.permissions import can_manage_assembly, can_view_assembly

CHAIR = AssemblyRoleKind.chair.value
SECRETARY = AssemblyRoleKind.secretary.value
TELLER = AssemblyRoleKind.teller.value
CHECKIN_STAFF = AssemblyRoleKind.checkin_staff.value


def _signed_in(account: Any) -> bool:
    return (account is not None and getattr(account, "is_authenticated", False) and hasattr(account, "roles")
            and account.is_enabled)


def _has(account: Any, assembly: Assembly, roles: Iterable[str], wanted: set[str]) -> bool:
    if not _signed_in(account):
        return False
    return bool(set(roles or ()) & wanted) or can_manage_assembly(account, assembly)


def _member(account: Any):
    return getattr(account, "member", None) if _signed_in(account) else None


# --- the session -----------------------------------------------------------------------------------
def can_run_session(account: Any, assembly: Assembly, roles: Iterable[str] = ()) -> bool:
    return _has(account, assembly, roles, {CHAIR, SECRETARY})


def can_open_session(account: Any, assembly: Assembly, roles: Iterable[str] = ()) -> bool:
    return assembly.is_convened and can_run_session(account, assembly, roles)


def can_close_session(account: Any, assembly: Assembly, roles: Iterable[str] = ()) -> bool:
    return assembly.is_in_session and can_run_session(account, assembly, roles)


def can_run_votes(account: Any, assembly: Assembly, roles: Iterable[str] = ()) -> bool:
    return _has(account, assembly, roles, {CHAIR})


def can_check_in_members(account: Any, assembly: Assembly, roles: Iterable[str] = ()) -> bool:
    return _has(account, assembly, roles, {CHAIR, SECRETARY, CHECKIN_STAFF})


def can_enter_room_tally(account: Any, assembly: Assembly, roles: Iterable[str] = ()) -> bool:
    return _has(account, assembly, roles, {TELLER})


def can_view_attendance_list(account: Any, assembly: Assembly, roles: Iterable[str] = ()) -> bool:
    """The names of who is present and represented, and the exports."""
    return _has(account, assembly, roles, {CHAIR, SECRETARY, TELLER, CHECKIN_STAFF})


def can_view_session(account: Any, assembly: Assembly, *, on_roll: bool = False,
                     roles: Iterable[str] = ()) -> bool:
    """The session's page (live attendance, quorum and results): whoever sees the convened assembly."""
    return not assembly.is_draft and can_view_assembly(account, assembly, on_roll=on_roll,
                                                      holds_role=bool(list(roles or ())))


# --- members -----------------------------------------------------------------------------------------
def can_register(account: Any, assembly: Assembly, *, on_roll: bool) -> bool:
    """A member on the roll says how they attend, while the assembly is convened."""
    return _member(account) is not None and on_roll and assembly.is_convened


def can_register_for_others(account: Any, assembly: Assembly, roles: Iterable[str] = ()) -> bool:
    return assembly.is_convened and _has(account, assembly, roles, {CHAIR, SECRETARY})


def can_self_check_in(account: Any, assembly: Assembly, *, on_roll: bool, now: dt.datetime) -> bool:
    """A member on the roll checks in online, when the assembly is (also) held online and check-in is open."""
    from governance.assemblies.session import checkin_open_at

    return (_member(account) is not None and on_roll and bool(assembly.online_url)
            and checkin_open_at(assembly, now))


# --- minutes -----------------------------------------------------------------------------------------
def can_write_minutes(account: Any, assembly: Assembly, roles: Iterable[str] = (),
                      minutes: Minutes | None = None) -> bool:
    """Generate and edit the draft: the secretary, once the session has closed."""
    if minutes is not None and minutes.state != MinutesState.draft.value:
        return False
    return assembly.state == AssemblyState.closed.value and _has(account, assembly, roles, {SECRETARY})


def can_approve_minutes(account: Any, assembly: Assembly, roles: Iterable[str] = (),
                        minutes: Minutes | None = None) -> bool:
    return (minutes is not None and minutes.state == MinutesState.draft.value
            and assembly.state == AssemblyState.closed.value and _has(account, assembly, roles, {CHAIR, SECRETARY}))


def can_publish_minutes(account: Any, assembly: Assembly, roles: Iterable[str] = (),
                        minutes: Minutes | None = None) -> bool:
    return (minutes is not None and minutes.state == MinutesState.approved.value
            and _has(account, assembly, roles, {CHAIR, SECRETARY}))


def can_read_minutes(account: Any, assembly: Assembly, minutes: Minutes | None, *, on_roll: bool = False,
                     roles: Iterable[str] = ()) -> bool:
    if minutes is None or not _signed_in(account):
        return False
    if _has(account, assembly, roles, {CHAIR, SECRETARY, TELLER, CHECKIN_STAFF}):
        return True
    return minutes.state == MinutesState.published.value and can_view_assembly(
        account, assembly, on_roll=on_roll, holds_role=bool(list(roles or ())))


#: the predicates templates call
PREDICATES = {
    "can_run_session": can_run_session,
    "can_open_session": can_open_session,
    "can_close_session": can_close_session,
    "can_run_votes": can_run_votes,
    "can_check_in_members": can_check_in_members,
    "can_enter_room_tally": can_enter_room_tally,
    "can_view_attendance_list": can_view_attendance_list,
    "can_view_session": can_view_session,
    "can_register": can_register,
    "can_self_check_in": can_self_check_in,
    "can_write_minutes": can_write_minutes,
    "can_approve_minutes": can_approve_minutes,
    "can_publish_minutes": can_publish_minutes,
    "can_read_minutes": can_read_minutes,
}
