"""ASVS V8.3.1 (row 16) and V2.3.2 / V2.1.3 (row 27): the server enforces the ballot's rules, whatever a crafted
request says. Hand-made POSTs to the casting routes (both steps) for a closed, annulled, draft or expired ballot,
an option of another ballot, a ballot of another branch, by a member not on the frozen roll, a second secret vote,
a value the method does not know: each is refused with a 4xx and stores nothing. (The operation
``governance.votes.operations.cast_vote`` is tested for the same rules in tests/votes/test_casting.py.)"""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.security.conftest import sign_in_as


def stored(db, ballot) -> tuple[int, int, int, int]:
    from governance.votes.models import BoxEntry, OpenVote, Participation, Receipt

    db.session.expire_all()
    return tuple(db.session.execute(select(func.count()).select_from(model).where(
        model.ballot_id == ballot.id)).scalar_one() for model in (Participation, BoxEntry, Receipt, OpenVote))


def cast(client, ballot, **data):
    """Both steps of casting, each sent by hand: the statuses of the paper and of the confirmation."""
    first = client.post(f"/ballots/{ballot.id}/vote", data=dict(data))
    second = client.post(f"/ballots/{ballot.id}/vote/confirm", data={**data, "confirm": "1"})
    return first.status_code, second.status_code


@pytest.fixture
def plurality(world, make_ballot, open_ballot):
    return open_ballot(make_ballot(method="plurality", branches=[world.be]))


def test_a_closed_ballot_takes_no_vote(client, db, world):
    sign_in_as(client, world.commenter)  # on its roll
    before = stored(db, world.closed_ballot)
    assert cast(client, world.closed_ballot, vote="yes") == (409, 409)
    assert stored(db, world.closed_ballot) == before


def test_a_ballot_past_its_closing_time_takes_no_vote_before_the_close_runs(client, db, world):
    from governance.votes.models import Ballot

    ballot = db.session.get(Ballot, world.ballot.id)
    ballot.closes_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
    db.session.commit()
    sign_in_as(client, world.commenter)
    assert cast(client, ballot, vote="yes") == (409, 409)
    assert stored(db, ballot) == (0, 0, 0, 0)


def test_an_annulled_ballot_takes_no_vote(client, db, world):
    from governance.votes import operations as ops

    ops.annul_ballot(world.ballot, "Wrong question", actor=world.admin)
    db.session.commit()
    sign_in_as(client, world.commenter)
    statuses = cast(client, world.ballot, vote="yes")
    assert all(status in (404, 409) for status in statuses), statuses
    assert stored(db, world.ballot) == (0, 0, 0, 0)


def test_a_draft_takes_no_vote(client, db, world):
    sign_in_as(client, world.commenter)
    statuses = cast(client, world.draft_ballot, vote="yes")
    assert all(status in (403, 404, 409) for status in statuses), statuses
    assert stored(db, world.draft_ballot) == (0, 0, 0, 0)


def test_an_option_of_another_ballot_is_refused(client, db, world, plurality, make_ballot, open_ballot):
    other = open_ballot(make_ballot(method="plurality", branches=[world.be],
                                    questions={"en": "Other?", "nl": "Ander?", "fr": "Autre ?"}))
    foreign_option = other.options[0].id
    sign_in_as(client, world.commenter)
    assert cast(client, plurality, vote=str(foreign_option)) == (422, 422)
    assert cast(client, plurality, vote="0") == (422, 422)
    assert cast(client, plurality, vote="-1") == (422, 422)
    assert stored(db, plurality) == (0, 0, 0, 0)
    assert stored(db, other) == (0, 0, 0, 0)


@pytest.mark.parametrize("value", ["maybe", "", "yes,no", "YES", "1"])
def test_a_value_the_method_does_not_know_is_refused(client, db, world, value):
    sign_in_as(client, world.commenter)
    assert cast(client, world.ballot, vote=value) == (422, 422)
    assert stored(db, world.ballot) == (0, 0, 0, 0)


def test_a_ballot_of_another_branch_is_not_found(client, db, world):
    sign_in_as(client, world.fr_member)
    assert cast(client, world.ballot, vote="yes") == (404, 404)
    assert stored(db, world.ballot) == (0, 0, 0, 0)


def test_a_member_not_on_the_frozen_roll_cannot_vote(client, db, world, member_account):
    latecomer = member_account(world.be)  # joined after the roll was frozen
    db.session.commit()
    sign_in_as(client, latecomer)
    assert cast(client, world.ballot, vote="yes") == (403, 403)
    sign_in_as(client, world.admin)  # staff without a register entry read, never vote
    assert cast(client, world.ballot, vote="yes") == (403, 403)
    assert stored(db, world.ballot) == (0, 0, 0, 0)


def test_a_secret_vote_is_cast_once(client, db, world):
    sign_in_as(client, world.commenter)
    response = client.post(f"/ballots/{world.ballot.id}/vote/confirm", data={"vote": "yes", "confirm": "1"})
    assert response.status_code == 200
    assert stored(db, world.ballot) == (1, 1, 1, 0)
    assert cast(client, world.ballot, vote="no") == (409, 409)
    other_browser = client.application.test_client()
    sign_in_as(other_browser, world.commenter)
    assert cast(other_browser, world.ballot, vote="no") == (409, 409)
    assert stored(db, world.ballot) == (1, 1, 1, 0)


def test_votes_are_not_taken_through_get_or_without_the_token(client, db, world):
    sign_in_as(client, world.commenter)
    assert client.get(f"/ballots/{world.ballot.id}/vote/confirm?vote=yes&confirm=1").status_code == 405
    response = client.post(f"/ballots/{world.ballot.id}/vote/confirm", data={"vote": "yes", "confirm": "1"},
                           csrf=False)
    assert response.status_code == 400
    assert stored(db, world.ballot) == (0, 0, 0, 0)
