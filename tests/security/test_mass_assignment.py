"""ASVS V8.2.3 / V15.3.3 (row 15): field-level authorisation and mass assignment. Forms copy only their listed
fields: extra fields posted by hand (``author_id``, ``state``, ``member_id``, ``is_hidden`` …) are ignored.
(The profile form is tested the same way in tests/accounts/test_profile.py::test_only_the_listed_fields_change.)"""
from __future__ import annotations

from sqlalchemy import func, select

from tests.security.conftest import sign_in_as

#: fields no form of the portal takes; posted with every request below
HOSTILE = {"id": "999", "author_id": None, "member_id": None, "workgroup_id": None, "proposal_id": None,
           "state": "adopted", "status": "adopted", "is_admin": "1", "role": "admin", "roles": "admin",
           "is_hidden": "1", "hidden_reason": "x", "is_deleted": "1", "created_dt": "2001-01-01T00:00:00",
           "support_threshold": "1", "weight": "100", "roll_size": "1", "result": "{}", "opened_dt": "2001-01-01",
           "is_annulled": "1", "cast_by_id": "1", "channel": "teller", "ballot_id": None, "branch_id": None,
           "number": "HACK-1", "parent_id": None, "session_version": "99"}


def hostile(world, **fields) -> dict:
    data = dict(HOSTILE, author_id=str(world.fr_member.member.id), member_id=str(world.fr_member.member.id),
                workgroup_id=str(world.fr_workgroup.id), proposal_id=str(world.draft.id),
                ballot_id=str(world.closed_ballot.id), branch_id=str(world.fr.id), parent_id=str(world.comment.id))
    data.update(fields)
    return data


def form_data(branch) -> dict:
    """A complete yes/no/abstain ballot definition for one branch, as the form sends it."""
    return {"original_language": "en", "question_en": "Shall we share the vans?", "question_nl": "Delen we?",
            "question_fr": "Partageons-nous ?", "method": "yna", "secrecy": "secret", "electorate_kind": "register",
            "branches": [str(branch.id)], "eligible_statuses": ["active"], "opens_at": "",
            "closes_at": "2030-06-01T18:00", "quorum_kind": "share", "quorum_share": "share:1/3",
            "quorum_count": "", "majority": "qualified:2/3", "result_visibility": "electorate"}


def _newest(db, model):
    db.session.expire_all()
    return db.session.execute(select(model).order_by(model.id.desc()).limit(1)).scalar_one()


def test_writing_a_proposal_keeps_its_author_workgroup_and_state(client, db, world):
    from governance.proposals.models import Proposal

    author = world.group.members[2]
    sign_in_as(client, author)
    base = f"/workgroups/{world.workgroup.slug}/proposals"
    response = client.post(f"{base}/new", data=hostile(world, title_en="Mine", body_en="Text.",
                                                       original_language="en"))
    assert response.status_code == 303, response.get_data(as_text=True)[:1000]
    proposal = _newest(db, Proposal)
    assert proposal.author_id == author.member.id and proposal.workgroup_id == world.workgroup.id
    assert proposal.state == "draft" and proposal.support_threshold != 1 and proposal.id != 999
    assert proposal.coauthors == []
    response = client.post(f"{base}/{proposal.id}/edit", data=hostile(world, title_en="Mine, edited",
                                                                       body_en="Text.", original_language="en"))
    assert response.status_code == 303
    db.session.expire_all()
    proposal = db.session.get(Proposal, proposal.id)
    assert proposal.titles["en"] == "Mine, edited"
    assert (proposal.author_id, proposal.workgroup_id, proposal.state) == (author.member.id, world.workgroup.id,
                                                                          "draft")


def test_a_comment_keeps_its_author_proposal_thread_and_visibility(client, db, world):
    from governance.proposals.models import Comment

    writer = world.group.members[2]
    sign_in_as(client, writer)
    base = f"/workgroups/{world.workgroup.slug}/proposals/{world.proposal.id}/comments"
    assert client.post(base, data=hostile(world, body="Mine")).status_code == 303
    comment = _newest(db, Comment)
    assert (comment.author_id, comment.proposal_id, comment.parent_id) == (writer.member.id, world.proposal.id,
                                                                          None)
    assert comment.is_visible and comment.body == "Mine"
    # a reply belongs to the comment of the URL, whatever parent_id says
    assert client.post(f"{base}/{comment.id}/reply", data=hostile(world, body="Reply")).status_code == 303
    reply = _newest(db, Comment)
    assert reply.parent_id == comment.id and reply.author_id == writer.member.id
    assert client.post(f"{base}/{comment.id}/edit", data=hostile(world, body="Mine, edited")).status_code == 303
    db.session.expire_all()
    comment = db.session.get(Comment, comment.id)
    assert comment.body == "Mine, edited" and comment.author_id == writer.member.id and comment.is_visible


def test_a_ballot_definition_cannot_set_its_state_roll_or_result(client, db, world):
    from governance.votes.models import Ballot

    sign_in_as(client, world.admin)
    before = db.session.execute(select(func.count()).select_from(Ballot)).scalar_one()
    response = client.post("/ballots/new", data={**hostile(world), **form_data(world.be)})
    assert response.status_code == 303, response.get_data(as_text=True)[:1000]
    assert db.session.execute(select(func.count()).select_from(Ballot)).scalar_one() == before + 1
    ballot = _newest(db, Ballot)
    assert ballot.state == "draft" and not ballot.roll_size and ballot.result is None
    assert ballot.opened_dt is None and ballot.proposal_id is None and ballot.branch_ids == {world.be.id}
    response = client.post(f"/ballots/{ballot.id}/edit", data={**hostile(world), **form_data(world.be)})
    assert response.status_code == 303
    db.session.expire_all()
    ballot = db.session.get(Ballot, ballot.id)
    assert ballot.state == "draft" and not ballot.roll_size and ballot.result is None


def test_a_vote_is_the_signed_in_members_whatever_the_form_says(client, db, world):
    from governance.votes.models import Participation

    voter = world.commenter  # Belgian, on the roll of the open ballot
    sign_in_as(client, voter)
    url = f"/ballots/{world.ballot.id}/vote/confirm"
    response = client.post(url, data=hostile(world, vote="yes", confirm="1",
                                             member_id=str(world.author.member.id)))
    assert response.status_code == 200
    rows = db.session.execute(select(Participation.member_id, Participation.channel, Participation.cast_by_id).where(
        Participation.ballot_id == world.ballot.id)).all()
    assert rows == [(voter.member.id, "web", voter.id)]


def test_register_details_change_only_the_contact_fields(client, db, world, create_account):
    from governance.members.models import Member

    board = create_account(roles=[("board_member", world.be)])
    sign_in_as(client, board)
    entry = world.be_uninvited
    number, branch_id, status = entry.number, entry.branch_id, entry.status
    response = client.post(f"/register/members/{entry.id}/details",
                           data=hostile(world, email="new@example.org", language="nl", status="excluded"))
    assert response.status_code == 303
    db.session.expire_all()
    entry = db.session.get(Member, entry.id)
    assert entry.email == "new@example.org"
    assert (entry.number, entry.branch_id, entry.status) == (number, branch_id, status)
