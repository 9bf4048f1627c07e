"""Following workgroups and proposals: the buttons and their POST endpoints, and the actions that follow
on their own (joining a workgroup; writing, co-authoring or commenting on a proposal)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from governance.core.errors import NotAllowed
from governance.proposals import operations as proposal_ops
from governance.proposals import queries as proposal_queries
from governance.proposals.models import ProposalFollow
from governance.workgroups import operations as workgroup_ops
from governance.workgroups import queries as workgroup_queries
from governance.workgroups.models import WorkgroupFollow
from tests.proposals.conftest import url
from tests.workgroups.conftest import page_text


def _follows(db, model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _wg_url(workgroup, suffix=""):
    return f"/workgroups/{workgroup.slug}{suffix}"


# --- workgroups ------------------------------------------------------------------------------------
def test_following_a_workgroup_through_its_page(client, sign_in, be, member_account, make_workgroup):
    workgroup = make_workgroup(branches=[be])
    reader = member_account(be)
    sign_in(reader)
    page = page_text(client.get(_wg_url(workgroup)))
    assert "Follow the workgroup" in page and f'action="{_wg_url(workgroup, "/follow")}"' in page
    response = client.post(_wg_url(workgroup, "/follow"))
    assert response.status_code == 303 and response.headers["Location"] == _wg_url(workgroup)
    page = page_text(client.get(_wg_url(workgroup)))
    assert "You follow this workgroup" in page and "Stop following the workgroup" in page
    assert workgroup_queries.is_following(workgroup, reader.id)
    assert client.post(_wg_url(workgroup, "/follow")).status_code == 303  # twice: still one follow
    assert workgroup_queries.is_following(workgroup, reader.id)
    response = client.post(_wg_url(workgroup, "/unfollow"))
    assert response.status_code == 303
    assert "You no longer follow this workgroup." in page_text(client.get(_wg_url(workgroup)))
    assert not workgroup_queries.is_following(workgroup, reader.id)


def test_staff_without_a_register_entry_may_follow(client, sign_in, admin, make_workgroup, be):
    workgroup = make_workgroup(branches=[be])
    sign_in(admin)
    assert client.post(_wg_url(workgroup, "/follow")).status_code == 303
    assert workgroup_queries.is_following(workgroup, admin.id)


def test_a_workgroup_outside_ones_branch_cannot_be_followed(client, sign_in, db, be, fr, member_account,
                                                            make_workgroup):
    workgroup = make_workgroup(branches=[be])
    outsider = member_account(fr)
    sign_in(outsider)
    assert client.post(_wg_url(workgroup, "/follow")).status_code == 404  # as its page: it does not exist
    assert client.get(_wg_url(workgroup)).status_code == 404
    assert _follows(db, WorkgroupFollow) == 0
    with pytest.raises(NotAllowed):
        workgroup_ops.follow_workgroup(workgroup, actor=outsider)


def test_following_needs_the_csrf_token_and_a_post(client, sign_in, db, be, member_account, make_workgroup):
    workgroup = make_workgroup(branches=[be])
    sign_in(member_account(be))
    for action in ("follow", "unfollow"):
        response = client.post(_wg_url(workgroup, f"/{action}"), csrf=False)
        assert response.status_code == 400 and "Your form had expired" in page_text(response)
        assert client.get(_wg_url(workgroup, f"/{action}")).status_code == 405
    assert _follows(db, WorkgroupFollow) == 0


def test_joining_follows_and_leaving_unfollows(client, sign_in, be, member_account, make_workgroup):
    workgroup = make_workgroup(branches=[be])
    joiner = member_account(be)
    sign_in(joiner)
    assert client.post(_wg_url(workgroup, "/join")).status_code == 303
    assert workgroup_queries.is_following(workgroup, joiner.id)
    assert client.post(_wg_url(workgroup, "/unfollow")).status_code == 303
    assert not workgroup_queries.is_following(workgroup, joiner.id)  # a member may stop following
    assert client.post(_wg_url(workgroup, "/follow")).status_code == 303
    assert client.post(_wg_url(workgroup, "/leave")).status_code == 303
    assert not workgroup_queries.is_following(workgroup, joiner.id)


def test_a_request_follows_once_approved(db, be, member_account, make_workgroup, mship):
    facilitator = member_account(be)
    workgroup = make_workgroup(branches=[be], joining="moderated", facilitators=[facilitator])
    asking = member_account(be)
    request = workgroup_ops.join_workgroup(workgroup, asking.member, actor=asking)
    assert not workgroup_queries.is_following(workgroup, asking.id)
    workgroup_ops.approve_request(request, actor=facilitator, actor_membership=mship(workgroup, facilitator))
    assert workgroup_queries.is_following(workgroup, asking.id)


# --- proposals -------------------------------------------------------------------------------------
def test_following_a_proposal_through_its_page(client, sign_in, group, write):
    proposal = write(group, state="discussion")
    reader = group.members[0]
    sign_in(reader)
    page = page_text(client.get(url(group, proposal)))
    assert "Follow the proposal" in page and f'action="{url(group, proposal, "/follow")}"' in page
    assert client.post(url(group, proposal, "/follow")).status_code == 303
    page = page_text(client.get(url(group, proposal)))
    assert "You follow this proposal" in page and "Stop following the proposal" in page
    assert proposal_queries.is_following(proposal, reader.id)
    assert client.post(url(group, proposal, "/unfollow")).status_code == 303
    assert not proposal_queries.is_following(proposal, reader.id)
    for action in ("follow", "unfollow"):
        assert client.post(url(group, proposal, f"/{action}"), csrf=False).status_code == 400


def test_a_draft_cannot_be_followed_by_others(client, sign_in, db, group, write, be, fr, member_account):
    draft = write(group)
    sign_in(group.members[0])
    assert client.post(url(group, draft, "/follow")).status_code == 404
    assert not proposal_queries.is_following(draft, group.members[0].id)
    with pytest.raises(NotAllowed):
        proposal_ops.follow_proposal(draft, actor=group.members[0])
    open_proposal = write(group, state="discussion")
    with pytest.raises(NotAllowed):
        proposal_ops.follow_proposal(open_proposal, actor=member_account(fr))  # outside the workgroup's branch


def test_writing_coauthoring_and_commenting_follow(db, group, write, mship, comment):
    proposal = write(group, state="discussion")
    assert proposal_queries.is_following(proposal, group.author.id)
    proposal_ops.add_coauthor(proposal, group.other.member.id, actor=group.author,
                              membership=mship(group.workgroup, group.author))
    assert proposal_queries.is_following(proposal, group.other.id)
    assert not proposal_queries.is_following(proposal, group.members[0].id)
    comment(group, proposal, group.members[0])
    assert proposal_queries.is_following(proposal, group.members[0].id)
    comment(group, proposal, group.members[0], "Again")
    assert db.session.execute(select(func.count()).select_from(ProposalFollow)
                              .where(ProposalFollow.account_id == group.members[0].id)).scalar_one() == 1


def test_deleting_an_account_deletes_its_follows_and_notifications(db, group, write, follow):
    from governance.notifications.models import Notification

    reader = group.members[0]
    follow(reader, workgroup=group.workgroup)
    proposal = write(group, state="discussion")
    follow(reader, proposal=proposal)
    db.session.delete(reader)
    db.session.flush()
    for model in (WorkgroupFollow, ProposalFollow, Notification):
        assert db.session.execute(select(func.count()).select_from(model)
                                  .where(model.account_id == reader.id)).scalar_one() == 0
