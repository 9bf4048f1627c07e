"""A workgroup's support threshold: set on the workgroup, taken by the proposals written under it."""
from __future__ import annotations

from sqlalchemy import select

from governance.workgroups.models import Workgroup
from tests.workgroups.conftest import page_text
from tests.workgroups.test_manage import _form


def test_an_administrator_sets_a_threshold_that_new_proposals_take(client, sign_in, admin, be, member_account, db,
                                                                    mship, write, audit_events):
    from governance.proposals import operations as ops
    from tests.proposals.conftest import Group

    sign_in(admin)
    response = client.post("/workgroups/new", data=_form(support_threshold="2"))
    assert response.status_code == 303
    workgroup = db.session.execute(select(Workgroup)).scalar_one()
    assert workgroup.support_threshold == 2
    assert "when a proposal gathers 2 supports" in page_text(client.get(f"/workgroups/{workgroup.slug}"))

    author, first, second = member_account(be), member_account(be), member_account(be)
    for account in (author, first, second):
        from governance.workgroups import operations as wg_ops
        wg_ops.join_workgroup(workgroup, account.member, actor=account)
    group = Group(workgroup, author, first, None, [second])
    proposal = write(group, state="discussion")
    assert proposal.support_threshold == 2
    ops.support(proposal, actor=first, membership=mship(workgroup, first))
    assert proposal.state == "discussion"
    ops.support(proposal, actor=second, membership=mship(workgroup, second))
    assert proposal.state == "ready_for_vote"


def test_a_threshold_out_of_range_is_refused_and_the_form_kept(client, sign_in, admin, db):
    sign_in(admin)
    response = client.post("/workgroups/new", data=_form(support_threshold="0", title_en="Kept title"))
    assert response.status_code == 422
    page = page_text(response)
    assert "Give a number between 1 and 100000." in page and 'value="Kept title"' in page
    assert db.session.execute(select(Workgroup)).scalar_one_or_none() is None


def test_a_facilitator_changes_the_threshold_for_proposals_written_afterwards(client, sign_in, group, write, db,
                                                                           audit_events):
    before = write(group, state="discussion")
    sign_in(group.facilitator)
    form = _form(support_threshold="5", scope=None)
    response = client.post(f"/workgroups/{group.workgroup.slug}/edit", data=form)
    assert response.status_code == 303
    db.session.expire_all()
    assert group.workgroup.support_threshold == 5
    [entry] = [e for e in audit_events() if e.event == "workgroup.support_threshold_changed"]
    assert entry.data == {"old": None, "new": 5} and entry.actor_id == group.facilitator.id
    assert before.support_threshold is None
    assert write(group).support_threshold == 5
    # emptied: the facilitators decide again
    response = client.post(f"/workgroups/{group.workgroup.slug}/edit", data=_form(scope=None))
    assert response.status_code == 303
    db.session.expire_all()
    assert group.workgroup.support_threshold is None
    assert "when the facilitators decide" in page_text(client.get(f"/workgroups/{group.workgroup.slug}"))


def test_the_flagged_comments_queue_is_linked_for_facilitators_only(client, sign_in, group, switch_to):
    sign_in(group.facilitator)
    link = f'href="/workgroups/{group.workgroup.slug}/flagged-comments"'
    assert link in page_text(client.get(f"/workgroups/{group.workgroup.slug}"))
    switch_to(group.members[0])
    assert link not in page_text(client.get(f"/workgroups/{group.workgroup.slug}"))
