"""A vote is all or nothing: a failure after the ballot paper is in the box leaves no trace of the vote.

The fault point ``votes.after_box_insert`` (in ``cast_vote``, right after the paper is inserted, before the
receipt) makes the confirmation fail at the worst moment; the member sees the error page, the database holds
neither their participation, nor a paper, nor a receipt, and the same vote then succeeds once.
"""
from __future__ import annotations

import pytest

from governance.core.faults import InjectedFault, inject_fault
from governance.votes import operations as ops
from governance.votes.models import BoxEntry, Participation, Receipt
from tests.votes.conftest import as_actor
from tests.votes.views_support import (  # noqa: F401  (fixtures)
    _no_second_factor_for_staff,
    admin,
    ballot_email_templates,
    be,
    count,
    make_ballot,
    member_account,
    open_ballot,
    open_yna,
    page_text,
    receipt_in,
    sign_in_as,
    voters,
)

FAULT = "votes.after_box_insert"


def traces(db, ballot) -> tuple[int, int, int]:
    return (count(db, Participation, ballot_id=ballot.id), count(db, BoxEntry, ballot_id=ballot.id),
            count(db, Receipt, ballot_id=ballot.id))


def test_a_confirmation_failing_after_the_paper_is_in_the_box_leaves_nothing(client, db, open_yna, voters):
    sign_in_as(client, voters[0])
    path = f"/ballots/{open_yna.id}/vote/confirm"

    with inject_fault(FAULT):
        response = client.post(path, data={"vote": "yes", "confirm": "1"})
    assert response.status_code == 500
    text = page_text(response)
    assert "An unexpected error happened on our side" in text
    assert receipt_in(text) is None
    assert traces(db, open_yna) == (0, 0, 0)

    # the member is not told they have voted, and can vote: once
    page = page_text(client.get(f"/ballots/{open_yna.id}"))
    assert "You voted on" not in page
    response = client.post(path, data={"vote": "yes", "confirm": "1"})
    assert response.status_code == 200
    assert receipt_in(page_text(response))
    assert traces(db, open_yna) == (1, 1, 1)
    assert client.post(path, data={"vote": "no", "confirm": "1"}).status_code == 409
    assert traces(db, open_yna) == (1, 1, 1)


def test_other_votes_of_the_ballot_are_untouched_by_a_failed_one(client, db, open_yna, voters):
    sign_in_as(client, voters[1])
    path = f"/ballots/{open_yna.id}/vote/confirm"
    assert client.post(path, data={"vote": "no", "confirm": "1"}).status_code == 200
    sign_in_as(client, voters[0])
    with inject_fault(FAULT):
        assert client.post(path, data={"vote": "yes", "confirm": "1"}).status_code == 500
    assert traces(db, open_yna) == (1, 1, 1)


def test_the_operation_inside_a_savepoint_is_all_or_nothing(db, open_yna, voters):
    member = voters[0].member
    with inject_fault(FAULT), pytest.raises(InjectedFault):
        with db.session.begin_nested():
            ops.cast_vote(open_yna, member, "yes", actor=as_actor(member))
    assert traces(db, open_yna) == (0, 0, 0)
    assert not ops.has_participated(open_yna, member.id)

    result = ops.cast_vote(open_yna, member, "yes", actor=as_actor(member))
    db.session.flush()
    assert result.receipt
    assert traces(db, open_yna) == (1, 1, 1)
    with pytest.raises(ops.AlreadyVoted):
        ops.cast_vote(open_yna, member, "no", actor=as_actor(member))
    assert traces(db, open_yna) == (1, 1, 1)


def test_an_unarmed_fault_point_changes_nothing(db, open_yna, voters):
    member = voters[1].member
    with inject_fault("some.other.point"):
        assert ops.cast_vote(open_yna, member, "abstain", actor=as_actor(member)).receipt
    assert traces(db, open_yna) == (1, 1, 1)
