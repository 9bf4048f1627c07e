"""ASVS V8.2.1 (row 13): function-level authorisation, walked over ``app.url_map``.

- A visitor who is not signed in is sent to the sign-in page from every route but the few public ones
  (``PUBLIC_ENDPOINTS`` in conftest.py, each with its reason), with GET and with POST, and nothing is written.
- The pages and actions of staff (administrators, secretaries, boards) and of a workgroup's facilitators answer
  403 to a plain member, and the administrator's pages answer 403 to a secretary and a board member.
"""
from __future__ import annotations

import pytest

from tests.security.conftest import PUBLIC_ENDPOINTS, build_url, is_static, sign_in_as

#: endpoint → who may use it; a plain member of the workgroup (not a facilitator, author of nothing) gets 403
STAFF_ONLY = {
    "accounts.roles": "administrators",
    "accounts.roles_account": "administrators",
    "accounts.roles_grant": "administrators",
    "accounts.roles_revoke": "administrators",
    "accounts.invitations": "administrators, secretaries, boards (their branch)",
    "accounts.invite_member": "administrators, secretaries, boards (their branch)",
    "members.register": "administrators, secretaries, boards (their branch)",
    "members.member": "administrators, secretaries, boards (their branch)",
    "members.update_details": "administrators, secretaries, boards (their branch)",
    "members.change_status": "administrators, secretaries, boards (their branch)",
    "members.import_register": "administrators and secretaries",
    "members.branches": "administrators and secretaries",
    "members.branch_new": "administrators",
    "members.branch_edit": "administrators",
    "workgroups.create": "administrators and boards",
    "workgroups.edit": "facilitators, boards of its branches, administrators",
    "workgroups.members": "facilitators, boards of its branches, administrators",
    "workgroups.archive": "facilitators, boards of its branches, administrators",
    "workgroups.unarchive": "facilitators, boards of its branches, administrators",
    "workgroups.member_action": "facilitators, boards of its branches, administrators",
    "proposals.moderation_queue": "facilitators",
    "proposals.hide_comment": "facilitators",
    "proposals.unhide_comment": "facilitators",
    "proposals.decide": "facilitators",
    "proposals.amendment_for_vote": "facilitators",
    "proposals.review_translation": "facilitators",
    "proposals.review_comment_translation": "facilitators",
    "votes.create": "boards, secretaries, administrators, facilitators",
    "votes.edit": "the ballot's organisers",
    "votes.open_ballot": "the ballot's organisers",
    "votes.close": "the ballot's organisers",
    "votes.extend": "the ballot's organisers",
    "votes.annul": "the ballot's organisers",
    "votes.delete": "the ballot's organisers",
    "votes.put_to_vote": "the workgroup's facilitators",
    # general assemblies: their managers (administrators, secretaries, the convening branch's board)
    "assemblies.create": "administrators, secretaries, boards",
    "assemblies.edit": "the assembly's managers (a draft)",
    "assemblies.delete": "the assembly's managers (a draft)",
    "assemblies.add_item": "the assembly's managers (a draft)",
    "assemblies.edit_item": "the assembly's managers (a draft)",
    "assemblies.delete_item": "the assembly's managers (a draft)",
    "assemblies.move_item": "the assembly's managers (a draft)",
    "assemblies.documents": "the assembly's managers",
    "assemblies.delete_document": "the assembly's managers",
    "assemblies.roles": "the assembly's managers",
    "assemblies.remove_role": "the assembly's managers",
    "assemblies.convocation_page": "the assembly's managers",
    "assemblies.deliveries": "the assembly's managers",
    "assemblies.resend": "the assembly's managers",
    "assemblies.letters": "the assembly's managers",
    "assemblies.letters_pdf": "the assembly's managers",
    "assemblies.second_convocation": "the assembly's managers",
    "assemblies.close_petition": "the petition's branch's board, secretaries, administrators",
    # the session: its role holders (chair, secretary, tellers, check-in staff) and the managers
    "assembly_session.open_session": "the chair and the secretary",
    "assembly_session.close_session": "the chair and the secretary",
    "assembly_session.open_vote": "the chair",
    "assembly_session.close_vote": "the chair",
    "assembly_session.room_tally": "the tellers",
    "assembly_session.desk": "the check-in staff, the chair and the secretary",
    "assembly_session.desk_check_in": "the check-in staff, the chair and the secretary",
    "assembly_session.desk_check_out": "the check-in staff, the chair and the secretary",
    "assembly_session.attendance": "the assembly's role holders",
    "assembly_session.attendance_csv": "the assembly's role holders",
    "assembly_session.results_csv": "the assembly's role holders",
    "assembly_session.generate_minutes": "the secretary",
    "assembly_session.edit_minutes": "the secretary",
    "assembly_session.approve_minutes": "the chair and the secretary",
    "assembly_session.publish_minutes": "the chair and the secretary",
    # board elections: the board's managers (administrators, secretaries; for a branch's board its board members)
    **{f"elections.{endpoint}": "the board's managers" for endpoint in (
        "create_board", "settings", "add_mandate", "end_mandate", "create_election", "edit_election", "constraints", "open_call",
        "cancel", "freeze", "open_voting", "confirm", "review", "review_candidacy")},
}

#: the world's draft ballot and draft assembly are invisible to members: their pages answer 404
HIDDEN_FROM_MEMBERS = {"votes.edit", "votes.open_ballot", "votes.delete", "assemblies.edit", "assemblies.delete",
                       "assemblies.add_item", "assemblies.edit_item", "assemblies.delete_item",
                       "assemblies.move_item", "elections.edit_election", "elections.open_call"}

ADMINISTRATORS_ONLY = {"accounts.roles", "accounts.roles_account", "accounts.roles_grant", "accounts.roles_revoke",
                       "members.branch_new", "members.branch_edit"}


def _routes(app, world):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if is_static(rule):
            continue
        values = world.url_args(rule)
        if values is None:
            values = {name: "not-a-real-token" for name in rule.arguments}
        yield rule, build_url(app, rule, values)


def test_visitors_are_sent_to_sign_in_from_every_route_but_the_public_ones(app, client, world, db_writes):
    answered = set()
    wrong = []
    with db_writes() as writes:
        for rule, url in _routes(app, world):
            for method in sorted(rule.methods & {"GET", "POST"}):
                response = client.open(url, method=method,
                                       data={"csrf_token": client.csrf_token()} if method == "POST" else None)
                location = response.headers.get("Location", "")
                public = rule.endpoint in PUBLIC_ENDPOINTS
                if writes.statements and not public:
                    wrong.append(f"{method} {url} wrote {writes.statements}")
                writes.clear()
                if response.status_code in (302, 303) and location.startswith("/account/sign-in?next="):
                    continue
                if response.status_code in (401, 403):
                    continue
                answered.add(rule.endpoint)
                if not public:
                    wrong.append(f"{method} {url}: {response.status_code} {location}")
    assert not wrong, "\n".join(wrong)
    # every public route answers a visitor: the list has no stale entry
    assert answered == set(PUBLIC_ENDPOINTS)


def test_a_plain_member_gets_403_on_staff_and_facilitator_functions(app, client, world, db_writes):
    member = world.group.members[2]  # in the workgroup, not a facilitator, author of nothing
    sign_in_as(client, member)
    statuses: dict[str, set[int]] = {}
    with db_writes() as writes:
        for rule, url in _routes(app, world):
            if rule.endpoint not in STAFF_ONLY:
                continue
            for method in sorted(rule.methods & {"GET", "POST"}):
                response = client.open(url, method=method,
                                       data={"csrf_token": client.csrf_token()} if method == "POST" else None)
                statuses.setdefault(rule.endpoint, set()).add(response.status_code)
        assert not writes.statements, writes.statements
    assert set(statuses) == set(STAFF_ONLY), set(STAFF_ONLY) - set(statuses)
    # 403; or 404 where the member may not even see the object (a draft ballot is shown to its organisers only)
    wrong = {endpoint: codes for endpoint, codes in statuses.items()
             if codes != {403} and not (endpoint in HIDDEN_FROM_MEMBERS and codes == {404})}
    assert not wrong, wrong


def test_every_route_of_the_register_and_the_roles_is_listed_as_staff_only(app):
    """A new page of the register, the roles or the invitations is for staff: list it in STAFF_ONLY."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    for endpoint in endpoints:
        if endpoint.startswith(("members.", "accounts.roles", "accounts.invit")) and not endpoint.endswith(".static"):
            assert endpoint in STAFF_ONLY, endpoint
    assert set(STAFF_ONLY) <= endpoints, set(STAFF_ONLY) - endpoints


@pytest.mark.parametrize("role", ["secretary", "board_member"])
def test_the_administrators_pages_are_403_for_other_staff(app, client, world, create_account, role, db_writes):
    staff = create_account(roles=[role if role == "secretary" else (role, world.be)])
    sign_in_as(client, staff)
    with db_writes() as writes:
        for rule, url in _routes(app, world):
            if rule.endpoint not in ADMINISTRATORS_ONLY:
                continue
            for method in sorted(rule.methods & {"GET", "POST"}):
                response = client.open(url, method=method,
                                       data={"csrf_token": client.csrf_token()} if method == "POST" else None)
                assert response.status_code == 403, (method, url, response.status_code)
        assert not writes.statements
