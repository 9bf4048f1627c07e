"""The proposal state machine, revisions, co-authors and supports, through the operations."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from governance.core.errors import Conflict, InvalidInput, NotAllowed
from governance.proposals import operations as ops
from governance.proposals import queries
from governance.proposals.models import (
    TRANSITIONS,
    IllegalTransition,
    Proposal,
    ProposalRevision,
    ProposalState,
    ProposalSupport,
)

S = ProposalState


# --- the state machine -----------------------------------------------------------------------------
@pytest.mark.parametrize("source", list(ProposalState))
@pytest.mark.parametrize("target", [t for t in ProposalState if t is not S.draft])
def test_transitions_follow_the_table(source, target):
    proposal = Proposal(state=source.value, titles={}, bodies={}, original_language="en")
    legal = source in TRANSITIONS[target]
    if target in (S.adopted, S.rejected):
        call = lambda: proposal.decide(target is S.adopted, "agreed")
    else:
        call = {S.discussion: proposal.open_discussion, S.ready_for_vote: proposal.mark_ready,
                S.withdrawn: proposal.withdraw, S.archived: proposal.archive}[target]
    if legal:
        assert call() == source.value
        assert proposal.state == target.value
    else:
        with pytest.raises(IllegalTransition) as info:
            call()
        assert info.value.status_code == 409
        assert proposal.state == source.value


def test_the_full_life_of_a_proposal(db, group, write, mship, audit_events):
    proposal = write(group)
    assert proposal.state == "draft"
    wg, author, facilitator = group.workgroup, group.author, group.facilitator
    ops.change_state(proposal, S.discussion, actor=author, membership=mship(wg, author))
    ops.change_state(proposal, S.ready_for_vote, actor=facilitator, membership=mship(wg, facilitator))
    ops.decide(proposal, adopted=True, reason="Consensus at the meeting of 3 May", actor=facilitator,
               membership=mship(wg, facilitator))
    assert proposal.state == "adopted" and proposal.decision_reason.startswith("Consensus")
    ops.change_state(proposal, S.archived, actor=facilitator, membership=mship(wg, facilitator))
    changes = [(e.data["old"], e.data["new"]) for e in audit_events("proposal.state_changed")]
    assert changes == [("draft", "discussion"), ("discussion", "ready_for_vote"), ("ready_for_vote", "adopted"),
                       ("adopted", "archived")]
    assert audit_events("proposal.state_changed")[2].data["reason"] == "Consensus at the meeting of 3 May"


def test_who_moves_what(db, group, write, mship):
    wg = group.workgroup
    proposal = write(group)
    member = group.members[0]
    with pytest.raises(NotAllowed):  # only the authors open the discussion
        ops.change_state(proposal, S.discussion, actor=member, membership=mship(wg, member))
    ops.change_state(proposal, S.discussion, actor=group.author, membership=mship(wg, group.author))
    with pytest.raises(NotAllowed):  # the author cannot mark it ready: a facilitator does
        ops.change_state(proposal, S.ready_for_vote, actor=group.author, membership=mship(wg, group.author))
    with pytest.raises(NotAllowed):
        ops.decide(proposal, adopted=True, reason="yes", actor=group.author, membership=mship(wg, group.author))
    with pytest.raises(IllegalTransition):  # a proposal in discussion cannot be archived
        ops.change_state(proposal, S.archived, actor=group.facilitator, membership=mship(wg, group.facilitator))
    with pytest.raises(InvalidInput):  # a decision needs its reason
        ops.decide(proposal, adopted=False, reason="  ", actor=group.facilitator,
                   membership=mship(wg, group.facilitator))
    ops.change_state(proposal, S.withdrawn, actor=group.author, membership=mship(wg, group.author))
    with pytest.raises(IllegalTransition):
        ops.change_state(proposal, S.discussion, actor=group.author, membership=mship(wg, group.author))


def test_an_administrator_records_a_decision(db, group, write, admin):
    proposal = write(group, state="discussion")
    ops.decide(proposal, adopted=False, reason="No consensus", actor=admin, membership=None)
    assert proposal.state == "rejected"


def test_the_database_refuses_an_unknown_state_and_a_decision_without_reason(db, group, write):
    proposal = write(group)
    for state, reason in (("voting", None), ("adopted", None)):
        with pytest.raises(IntegrityError), db.session.begin_nested():
            db.session.execute(Proposal.__table__.update().where(Proposal.id == proposal.id)
                               .values(state=state, decision_reason=reason))


def test_an_archived_workgroup_is_read_only(db, group, write, mship, admin):
    from governance.workgroups import operations as workgroup_ops
    from governance.workgroups.models import WorkgroupArchived

    proposal = write(group, state="discussion")
    workgroup_ops.archive_workgroup(group.workgroup, actor=admin)
    with pytest.raises(WorkgroupArchived):
        write(group)
    with pytest.raises(WorkgroupArchived):
        ops.support(proposal, actor=group.members[0], membership=mship(group.workgroup, group.members[0]))
    with pytest.raises(WorkgroupArchived):
        ops.edit_proposal(proposal, actor=group.author, membership=mship(group.workgroup, group.author),
                          titles={"en": "New"}, bodies={"en": "New"}, original_language="en")


# --- writing, revisions ----------------------------------------------------------------------------
def test_only_active_workgroup_members_write(db, group, be, member_account, mship, write):
    outsider = member_account(be)
    with pytest.raises(NotAllowed):
        write(group, outsider)
    with pytest.raises(InvalidInput):
        write(group, titles={"fr": "Titre"}, bodies={"fr": "Texte"})  # nothing in the original language


def test_each_edit_writes_a_revision(db, group, write, mship):
    proposal = write(group)
    wg = group.workgroup
    revision = ops.edit_proposal(proposal, actor=group.author, membership=mship(wg, group.author),
                                 titles={"en": "Share the vans", "fr": "Partager les camionnettes"},
                                 bodies={"en": "We share the vans.\n\nEvery day.", "fr": "Nous partageons."},
                                 original_language="en")
    assert revision.number == 2
    assert ops.edit_proposal(proposal, actor=group.author, membership=mship(wg, group.author),
                             titles=dict(proposal.titles), bodies=dict(proposal.bodies),
                             original_language="en") is None  # nothing changed: no revision
    history = queries.revisions(proposal)
    assert [r.number for r in history] == [2, 1]
    assert history[1].bodies == {"en": "We share the vans.\n\nEvery week."}
    assert history[0].titles["fr"] == "Partager les camionnettes"
    assert proposal.text_languages == ["en", "fr"]
    with pytest.raises(IntegrityError), db.session.begin_nested():  # one number per proposal
        db.session.add(ProposalRevision(proposal_id=proposal.id, number=2, titles={}, bodies={},
                                        original_language="en", author_id=group.author.member.id))
        db.session.flush()


def test_the_diff_between_two_revisions(db, group, write, mship):
    proposal = write(group, bodies={"en": "One\nTwo\nThree"})
    ops.edit_proposal(proposal, actor=group.author, membership=mship(group.workgroup, group.author),
                      titles={"en": "Share the vans"}, bodies={"en": "One\nTwo and a half\nThree\nFour"},
                      original_language="en")
    old, new = sorted(queries.revisions(proposal), key=lambda r: r.number)
    title, body = queries.compare(old, new)
    assert not title.changed and body.changed
    assert [(line.kind, line.text) for line in body.lines] == [
        ("same", "One"), ("removed", "Two"), ("added", "Two and a half"), ("same", "Three"), ("added", "Four")]


def test_editing_only_by_authors_and_while_editable(db, group, write, mship):
    wg = group.workgroup
    proposal = write(group, state="discussion")
    with pytest.raises(NotAllowed):
        ops.edit_proposal(proposal, actor=group.other, membership=mship(wg, group.other), titles={"en": "X"},
                          bodies={"en": "Y"}, original_language="en")
    ops.add_coauthor(proposal, group.other.member.id, actor=group.author, membership=mship(wg, group.author))
    revision = ops.edit_proposal(proposal, actor=group.other, membership=mship(wg, group.other),
                                 titles={"en": "X"}, bodies={"en": "Y"}, original_language="en")
    assert revision.author_id == group.other.member.id
    ops.change_state(proposal, S.ready_for_vote, actor=group.facilitator, membership=mship(wg, group.facilitator))
    with pytest.raises(Conflict):
        ops.edit_proposal(proposal, actor=group.author, membership=mship(wg, group.author), titles={"en": "Z"},
                          bodies={"en": "Z"}, original_language="en")


# --- co-authors ------------------------------------------------------------------------------------
def test_coauthors_are_workgroup_members(db, group, write, mship, be, member_account, audit_events):
    wg = group.workgroup
    proposal = write(group)
    outsider = member_account(be)
    with pytest.raises(InvalidInput):
        ops.add_coauthor(proposal, outsider.member.id, actor=group.author, membership=mship(wg, group.author))
    ops.add_coauthor(proposal, group.other.member.id, actor=group.author, membership=mship(wg, group.author))
    with pytest.raises(Conflict):
        ops.add_coauthor(proposal, group.other.member.id, actor=group.author, membership=mship(wg, group.author))
    with pytest.raises(Conflict):
        ops.add_coauthor(proposal, group.author.member.id, actor=group.author, membership=mship(wg, group.author))
    assert [m.id for m in proposal.coauthors] == [group.other.member.id]
    # a co-author sees the draft and opens the discussion
    ops.change_state(proposal, S.discussion, actor=group.other, membership=mship(wg, group.other))
    ops.remove_coauthor(proposal, group.other.member.id, actor=group.author, membership=mship(wg, group.author))
    assert proposal.coauthors == []
    assert [e.event for e in audit_events("proposal.coauthor")] == ["proposal.coauthor_added",
                                                                    "proposal.coauthor_removed"]


# --- supports --------------------------------------------------------------------------------------
def test_support_only_in_discussion_and_once(db, group, write, mship):
    wg = group.workgroup
    supporter = group.members[0]
    proposal = write(group)
    with pytest.raises(Conflict):  # a draft is not supported
        ops.support(proposal, actor=supporter, membership=mship(wg, supporter))
    ops.change_state(proposal, S.discussion, actor=group.author, membership=mship(wg, group.author))
    ops.support(proposal, actor=supporter, membership=mship(wg, supporter))
    with pytest.raises(Conflict):
        ops.support(proposal, actor=supporter, membership=mship(wg, supporter))
    assert queries.support_count(proposal) == 1
    ops.unsupport(proposal, actor=supporter, membership=mship(wg, supporter))
    with pytest.raises(Conflict):
        ops.unsupport(proposal, actor=supporter, membership=mship(wg, supporter))
    assert queries.support_count(proposal) == 0


def test_one_support_per_member_is_a_database_rule(db, group, write):
    proposal = write(group, state="discussion")
    member_id = group.members[0].member.id
    db.session.add(ProposalSupport(proposal_id=proposal.id, member_id=member_id))
    db.session.flush()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(ProposalSupport(proposal_id=proposal.id, member_id=member_id))
        db.session.flush()


def test_reaching_the_threshold_makes_it_ready(db, group, write, mship, audit_events):
    wg = group.workgroup
    proposal = write(group, state="discussion", threshold=2)
    ops.support(proposal, actor=group.members[0], membership=mship(wg, group.members[0]))
    assert proposal.state == "discussion"
    ops.support(proposal, actor=group.members[1], membership=mship(wg, group.members[1]))
    assert proposal.state == "ready_for_vote"
    entry = audit_events("proposal.state_changed")[-1]
    assert entry.data["cause"] == "support_threshold" and entry.data["new"] == "ready_for_vote"
    with pytest.raises(Conflict):  # supports are frozen once it is ready
        ops.support(proposal, actor=group.members[2], membership=mship(wg, group.members[2]))
    assert db.session.execute(select(func.count()).select_from(ProposalSupport)).scalar_one() == 2


def test_outsiders_cannot_support(db, group, write, be, member_account, mship):
    proposal = write(group, state="discussion")
    outsider = member_account(be)
    with pytest.raises(NotAllowed):
        ops.support(proposal, actor=outsider, membership=None)
