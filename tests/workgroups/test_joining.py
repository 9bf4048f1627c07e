"""Joining and leaving, requests to join a moderated workgroup, and facilitators."""
from __future__ import annotations

import pytest

from governance.workgroups import operations as ops
from tests.workgroups.conftest import page_text


def test_joining_an_open_workgroup_is_immediate(client, sign_in, be, member_account, make_workgroup, membership,
                                                outbox):
    an = member_account(be)
    workgroup = make_workgroup(facilitators=[member_account(be)])
    sign_in(an)
    response = client.post(f"/workgroups/{workgroup.slug}/join")
    assert response.status_code == 303 and response.headers["Location"] == f"/workgroups/{workgroup.slug}"
    joined = membership(workgroup, an)
    assert joined.status == "active" and joined.role == "member" and joined.joined_dt is not None
    assert not outbox()
    page = page_text(client.get(f"/workgroups/{workgroup.slug}"))
    assert "You have joined the workgroup." in page and "Leave the workgroup" in page


def test_joining_a_moderated_workgroup_asks_the_facilitators(client, sign_in, be, member_account, make_workgroup,
                                                           membership, outbox):
    dutch = member_account(be, language="nl", first_name="Wouter", last_name="Maes")
    french = member_account(be, language="fr")
    quiet = member_account(be)
    quiet.notify_workgroup_email = False
    workgroup = make_workgroup(joining="moderated", titles={"en": "Tools we share", "nl": "Gedeeld gereedschap"},
                               facilitators=[dutch, french, quiet])
    an = member_account(be, first_name="An", last_name="Peeters")
    sign_in(an)
    response = client.post(f"/workgroups/{workgroup.slug}/join")
    assert response.status_code == 303
    request = membership(workgroup, an)
    assert request.status == "pending" and request.joined_dt is None
    messages = {m.to_address: m for m in outbox()}
    assert set(messages) == {dutch.email, french.email}  # not to the facilitator who stopped workgroup emails
    assert messages[dutch.email].language == "nl" and "Gedeeld gereedschap" in messages[dutch.email].subject
    assert messages[french.email].language == "fr" and "Tools we share" in messages[french.email].subject
    assert "An Peeters" in messages[dutch.email].body_text
    assert f"http://portal.test/workgroups/{workgroup.slug}/members" in messages[french.email].body_text
    page = page_text(client.get(f"/workgroups/{workgroup.slug}"))
    assert "Your request to join is waiting for an answer" in page and "Withdraw my request" in page


def test_joining_twice_is_refused(client, sign_in, be, member_account, make_workgroup, membership):
    an = member_account(be)
    workgroup = make_workgroup(members=[an])
    sign_in(an)
    response = client.post(f"/workgroups/{workgroup.slug}/join")
    assert response.status_code == 409
    assert "already a member" in page_text(response)
    assert membership(workgroup, an).status == "active"


@pytest.mark.parametrize("status", ["applicant", "suspended", "resigned"])
def test_only_active_members_join(client, sign_in, be, member_account, make_workgroup, membership, status):
    account = member_account(be, status=status)
    workgroup = make_workgroup()
    sign_in(account)
    response = client.post(f"/workgroups/{workgroup.slug}/join")
    assert response.status_code == 403
    assert membership(workgroup, account) is None
    assert "Only active members" in page_text(client.get(f"/workgroups/{workgroup.slug}"))


def test_an_account_without_a_member_cannot_join(client, sign_in, create_account, make_workgroup):
    workgroup = make_workgroup()
    sign_in(create_account())
    assert client.post(f"/workgroups/{workgroup.slug}/join").status_code == 403
    assert "not linked to an entry of the membership register" in page_text(client.get(f"/workgroups/{workgroup.slug}"))


def test_a_board_member_of_another_branch_sees_but_cannot_join(client, sign_in, be, fr, member_account,
                                                             make_workgroup, membership):
    board = member_account(fr, roles=[("board_member", be)])  # a French member on the Belgian board
    workgroup = make_workgroup(branches=[be])
    sign_in(board)
    assert client.get(f"/workgroups/{workgroup.slug}").status_code == 200
    assert client.post(f"/workgroups/{workgroup.slug}/join").status_code == 403
    assert membership(workgroup, board) is None


def test_leaving_and_withdrawing_a_request(client, sign_in, switch_to, be, member_account, make_workgroup,
                                           membership):
    an = member_account(be)
    lotte = member_account(be)
    workgroup = make_workgroup(members=[an], facilitators=[member_account(be)])
    moderated = make_workgroup(title="Economic model", joining="moderated", pending=[lotte])
    sign_in(an)
    assert client.post(f"/workgroups/{workgroup.slug}/leave").status_code == 303
    assert membership(workgroup, an) is None
    assert client.post(f"/workgroups/{workgroup.slug}/leave").status_code == 404  # not a member any more
    switch_to(lotte)
    assert client.post(f"/workgroups/{moderated.slug}/leave").status_code == 303
    assert membership(moderated, lotte) is None
    assert "Your request to join has been withdrawn." in page_text(client.get(f"/workgroups/{moderated.slug}"))


def test_the_last_facilitator_cannot_leave(client, sign_in, be, member_account, make_workgroup, membership):
    facilitator = member_account(be)
    workgroup = make_workgroup(facilitators=[facilitator], members=[member_account(be)])
    sign_in(facilitator)
    response = client.post(f"/workgroups/{workgroup.slug}/leave")
    assert response.status_code == 409
    assert "You are the last facilitator of this workgroup: appoint another facilitator" in page_text(response)
    assert membership(workgroup, facilitator).role == "facilitator"
    # nor step down
    response = client.post(f"/workgroups/{workgroup.slug}/members/{facilitator.member.id}/remove-facilitator")
    assert response.status_code == 409
    assert membership(workgroup, facilitator).role == "facilitator"


def test_a_facilitator_leaves_once_another_is_appointed(client, sign_in, be, member_account, make_workgroup,
                                                       membership, audit_events):
    facilitator = member_account(be)
    lotte = member_account(be)
    workgroup = make_workgroup(facilitators=[facilitator], members=[lotte])
    sign_in(facilitator)
    response = client.post(f"/workgroups/{workgroup.slug}/members/{lotte.member.id}/appoint")
    assert response.status_code == 303 and response.headers["Location"] == f"/workgroups/{workgroup.slug}/members"
    assert membership(workgroup, lotte).role == "facilitator"
    assert client.post(f"/workgroups/{workgroup.slug}/leave").status_code == 303
    assert membership(workgroup, facilitator) is None
    [entry] = audit_events("workgroup.facilitator_appointed")
    assert entry.actor_id == facilitator.id and entry.object_id == str(workgroup.id)
    assert entry.data == {"member_id": lotte.member.id, "member_number": lotte.member.number}


def test_an_administrator_may_remove_the_last_facilitator(db, be, member_account, make_workgroup, admin,
                                                          membership, audit_events):
    facilitator = member_account(be)
    workgroup = make_workgroup(facilitators=[facilitator])
    ops.remove_facilitator(membership(workgroup, facilitator), actor=admin)
    assert membership(workgroup, facilitator).role == "member"
    assert [e.event for e in audit_events("workgroup.facilitator_")] == ["workgroup.facilitator_removed"]


def test_approving_and_refusing_requests(client, sign_in, be, member_account, make_workgroup, membership,
                                         audit_events, outbox):
    facilitator = member_account(be)
    wouter = member_account(be, language="nl")
    sofie = member_account(be, language="fr")
    workgroup = make_workgroup(joining="moderated", facilitators=[facilitator], pending=[wouter, sofie],
                               titles={"en": "Governance", "fr": "Gouvernance"})
    sign_in(facilitator)
    page = page_text(client.get(f"/workgroups/{workgroup.slug}/members"))
    assert wouter.member.full_name in page and sofie.member.full_name in page

    response = client.post(f"/workgroups/{workgroup.slug}/members/{wouter.member.id}/approve")
    assert response.status_code == 303
    approved = membership(workgroup, wouter)
    assert approved.status == "active" and approved.joined_dt is not None
    response = client.post(f"/workgroups/{workgroup.slug}/members/{sofie.member.id}/refuse")
    assert response.status_code == 303
    assert membership(workgroup, sofie) is None
    assert [e.event for e in audit_events()][-2:] == ["workgroup.member_approved", "workgroup.member_refused"]
    assert all(e.actor_id == facilitator.id for e in audit_events()[-2:])

    [to_wouter] = outbox(wouter.email)
    [to_sofie] = outbox(sofie.email)
    assert to_wouter.language == "nl" and "Governance" in to_wouter.subject
    assert to_sofie.language == "fr" and "Gouvernance" in to_sofie.subject

    # answered requests cannot be answered again
    assert client.post(f"/workgroups/{workgroup.slug}/members/{wouter.member.id}/approve").status_code == 409
    assert client.post(f"/workgroups/{workgroup.slug}/members/{sofie.member.id}/approve").status_code == 404
    # and a refused member may ask again
    assert ops.join_workgroup(workgroup, sofie.member, actor=sofie).status == "pending"


def test_a_pending_request_cannot_be_made_facilitator(client, sign_in, be, member_account, make_workgroup,
                                                      membership):
    facilitator = member_account(be)
    waiting = member_account(be)
    workgroup = make_workgroup(joining="moderated", facilitators=[facilitator], pending=[waiting])
    sign_in(facilitator)
    assert client.post(f"/workgroups/{workgroup.slug}/members/{waiting.member.id}/appoint").status_code == 409
    assert membership(workgroup, waiting).role == "member"


def test_a_facilitator_manages_only_their_own_workgroup(client, sign_in, be, member_account, make_workgroup):
    facilitator = member_account(be)
    waiting = member_account(be)
    mine = make_workgroup(title="Mine", facilitators=[facilitator])
    other = make_workgroup(title="Other", joining="moderated", facilitators=[member_account(be)], pending=[waiting])
    sign_in(facilitator)
    assert client.get(f"/workgroups/{mine.slug}/members").status_code == 200
    assert client.get(f"/workgroups/{other.slug}/members").status_code == 403
    assert client.post(f"/workgroups/{other.slug}/members/{waiting.member.id}/approve").status_code == 403


def test_a_board_member_answers_requests_of_their_branch(client, sign_in, be, member_account, create_account,
                                                         make_workgroup, membership):
    waiting = member_account(be)
    workgroup = make_workgroup(branches=[be], joining="moderated", pending=[waiting])
    sign_in(create_account(roles=[("board_member", be)]))
    assert client.post(f"/workgroups/{workgroup.slug}/members/{waiting.member.id}/approve").status_code == 303
    assert membership(workgroup, waiting).status == "active"


def test_a_request_answered_meanwhile_is_a_conflict(db, be, member_account, make_workgroup, membership, admin):
    from sqlalchemy import delete

    from governance.core.errors import Conflict
    from governance.workgroups.models import WorkgroupMembership

    waiting = member_account(be)
    workgroup = make_workgroup(joining="moderated", pending=[waiting])
    request = membership(workgroup, waiting)
    # another facilitator refused it in the meantime
    db.session.execute(delete(WorkgroupMembership.__table__).where(WorkgroupMembership.id == request.id))
    with pytest.raises(Conflict):
        ops.approve_request(request, actor=admin)
