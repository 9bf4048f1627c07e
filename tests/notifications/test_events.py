"""Which events notify whom: never the actor, never someone who does not follow (except replies to one's own
comment and state changes for the authors), never someone who may no longer see the item."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from governance.accounts.models import Account, RoleAssignment
from governance.proposals import operations as ops
from governance.proposals.models import ProposalState
from governance.workgroups.permissions import accounts_seeing_workgroup, can_view_workgroup


# --- a proposal opens for discussion ---------------------------------------------------------------
def test_a_draft_is_private_and_opening_it_notifies_the_workgroups_followers(
        db, group, write, follow, kinds, notes, admin, be, fr, member_account, move, mship):
    follower, bystander = group.members[0], group.members[1]
    follow(follower, workgroup=group.workgroup)
    follow(admin, workgroup=group.workgroup)  # staff who see every workgroup
    follow(group.facilitator, workgroup=group.workgroup)
    proposal = write(group, titles={"en": "Share the vans"})
    ops.add_coauthor(proposal, group.other.member.id, actor=group.author,
                     membership=mship(group.workgroup, group.author))
    assert kinds(follower) == [] and kinds(admin) == []  # a draft: nobody hears of it
    move(group, proposal, "discussion", group.author)
    assert kinds(follower) == ["proposal.opened"]
    assert kinds(admin) == ["proposal.opened"] and kinds(group.facilitator) == ["proposal.opened"]
    assert kinds(group.other) == ["proposal.opened"]  # a co-author, who does not follow the workgroup
    assert kinds(group.author) == []  # the actor
    assert kinds(bystander) == []  # does not follow
    [note] = notes(follower)
    assert note.link == f"/workgroups/{group.workgroup.slug}/proposals/{proposal.id}"
    assert note.data["actor"] == group.author.member.full_name
    assert note.data["title"] == {"texts": {"en": "Share the vans"}, "original": "en"}
    assert note.data["proposal_id"] == proposal.id and note.data["workgroup_id"] == group.workgroup.id


def test_followers_who_can_no_longer_see_the_workgroup_are_not_notified(db, group, write, follow, kinds, fr,
                                                                        member_account):
    moved, disabled, stays = group.members
    for account in group.members:
        follow(account, workgroup=group.workgroup)
    moved.member.branch = fr  # moved to the French branch: the Belgian workgroup is out of sight
    disabled.is_enabled = False
    db.session.flush()
    write(group, state="discussion")
    assert kinds(moved) == [] and kinds(disabled) == []
    assert kinds(stays) == ["proposal.opened"]


# --- comments and replies --------------------------------------------------------------------------
def test_a_comment_notifies_the_proposals_followers_but_not_its_writer(db, group, write, follow, kinds, notes,
                                                                       comment):
    proposal = write(group, state="discussion")
    follower, writer, bystander = group.members
    follow(follower, proposal=proposal)
    written = comment(group, proposal, writer, "I agree")
    assert kinds(follower) == ["proposal.comment"]
    assert kinds(group.author) == ["proposal.comment"]  # writing the proposal followed it
    assert kinds(writer) == [] and kinds(bystander) == []
    [note] = notes(follower)
    assert note.link == f"/workgroups/{group.workgroup.slug}/proposals/{proposal.id}#comment-{written.id}"
    assert note.data["comment_id"] == written.id


def test_a_reply_notifies_the_parents_author_even_without_following(db, group, write, follow, kinds, comment,
                                                                    notes):
    proposal = write(group, state="discussion")
    first, second, third = group.members
    top = comment(group, proposal, first, "First")
    ops.unfollow_proposal(proposal, actor=first)
    follow(third, proposal=proposal)
    reply = comment(group, proposal, second, "A reply", parent=top)
    assert kinds(first) == ["comment.reply"]  # not following, but it is their comment
    assert kinds(third) == ["proposal.comment"]
    assert kinds(second) == []
    [note] = notes(first)
    assert note.data["parent_id"] == top.id and note.link.endswith(f"#comment-{reply.id}")
    # the author of the proposal follows it and hears of both comments
    assert kinds(group.author) == ["proposal.comment", "proposal.comment"]


def test_a_reply_to_a_followers_comment_is_one_notification_not_two(db, group, write, kinds, comment):
    proposal = write(group, state="discussion")
    first, second, _third = group.members
    top = comment(group, proposal, first, "First")  # first now follows the proposal
    comment(group, proposal, second, "Reply", parent=top)
    assert kinds(first) == ["comment.reply"]


def test_replying_to_oneself_notifies_nobody_twice(db, group, write, kinds, comment):
    proposal = write(group, state="discussion")
    first = group.members[0]
    top = comment(group, proposal, first, "First")
    comment(group, proposal, first, "And more", parent=top)
    assert kinds(first) == []


def test_a_reply_to_someone_who_left_the_branch_is_not_notified(db, group, write, kinds, comment, fr):
    proposal = write(group, state="discussion")
    first, second, _third = group.members
    top = comment(group, proposal, first, "First")
    first.member.branch = fr
    db.session.flush()
    comment(group, proposal, second, "Reply", parent=top)
    assert kinds(first) == []


def test_comments_on_a_draft_reach_only_its_authors(db, group, write, follow, kinds, comment, mship):
    draft = write(group)
    ops.add_coauthor(draft, group.other.member.id, actor=group.author,
                     membership=mship(group.workgroup, group.author))
    comment(group, draft, group.other, "Shall we open it?")
    assert kinds(group.author) == ["proposal.comment"]
    assert all(kinds(account) == [] for account in group.members)


# --- changes of state ------------------------------------------------------------------------------
def test_a_change_of_state_notifies_followers_and_authors(db, group, write, follow, kinds, notes, move, mship):
    proposal = write(group, state="discussion")
    follower, bystander, _ = group.members
    follow(follower, proposal=proposal)
    ops.unfollow_proposal(proposal, actor=group.author)  # authors hear of changes of state all the same
    move(group, proposal, "ready_for_vote", group.facilitator)
    assert kinds(follower) == ["proposal.state"] and kinds(group.author) == ["proposal.state"]
    assert kinds(group.facilitator) == [] and kinds(bystander) == []
    [note] = notes(follower)
    assert (note.data["old"], note.data["new"]) == ("discussion", "ready_for_vote")
    ops.decide(proposal, adopted=True, reason="Consensus at the meeting", actor=group.facilitator,
               membership=mship(group.workgroup, group.facilitator))
    assert kinds(follower) == ["proposal.state", "proposal.state"]
    assert notes(follower)[-1].data["new"] == "adopted"


def test_reaching_the_support_threshold_notifies_but_not_the_supporter(db, group, write, follow, kinds, mship):
    proposal = write(group, state="discussion", threshold=1)
    supporter, follower, _ = group.members
    follow(supporter, proposal=proposal)
    follow(follower, proposal=proposal)
    ops.support(proposal, actor=supporter, membership=mship(group.workgroup, supporter))
    assert proposal.state == ProposalState.ready_for_vote.value
    assert kinds(follower) == ["proposal.state"] and kinds(group.author) == ["proposal.state"]
    assert kinds(supporter) == []


def test_withdrawing_a_draft_tells_only_its_coauthors(db, group, write, follow, kinds, move, mship):
    draft = write(group)
    ops.add_coauthor(draft, group.other.member.id, actor=group.author,
                     membership=mship(group.workgroup, group.author))
    follow(group.members[0], workgroup=group.workgroup)
    move(group, draft, "withdrawn", group.author)
    assert kinds(group.other) == ["proposal.state"]
    assert kinds(group.members[0]) == [] and kinds(group.author) == []


# --- the SQL scope rule is the page's rule ---------------------------------------------------------
@pytest.mark.parametrize("scope", ["cooperative", "BE", "BE+FR"])
def test_the_sql_scope_matches_the_view_permission(db, scope, be, fr, create_branch, member_account,
                                                   create_account, make_workgroup):
    de = create_branch("DE")
    accounts = [
        member_account(be), member_account(fr), member_account(de), member_account(be, status="resigned"),
        create_account(roles=["admin"]), create_account(roles=["secretary"]), create_account(roles=["facilitator"]),
        create_account(roles=[("board_member", be)]), create_account(roles=[("board_member", de)]),
        create_account(roles=[("secretary", fr)]), create_account(), create_account(),
    ]
    # a branch-scoped administrator (the operations no longer grant one, the permissions still read it)
    db.session.add(RoleAssignment(account_id=accounts[-2].id, role="admin", branch_id=de.id,
                                  scope_key=RoleAssignment.scope_for(de.id)))
    db.session.add(RoleAssignment(account_id=accounts[-1].id, role="admin", branch_id=be.id,
                                  scope_key=RoleAssignment.scope_for(be.id)))
    db.session.flush()
    db.session.expire_all()
    disabled = member_account(be)
    disabled.is_enabled = False
    accounts.append(disabled)
    db.session.flush()
    branches = {"cooperative": None, "BE": [be], "BE+FR": [be, fr]}[scope]
    workgroup = make_workgroup(branches=branches)
    ids = [a.id for a in accounts]
    seen = set(db.session.execute(select(Account.id).where(Account.id.in_(ids),
                                                           accounts_seeing_workgroup(workgroup))).scalars())
    assert seen == {a.id for a in accounts if can_view_workgroup(a, workgroup)}
    assert seen and seen != set(ids)
