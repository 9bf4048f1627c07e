"""The database itself refuses what the rules forbid: method-specific fields, states, one participation per
member, participations only from the roll, extensions only later."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from governance.core.db_types import utcnow
from governance.votes.models import (
    Ballot,
    BallotExtension,
    BallotState,
    IllegalTransition,
    Participation,
    RollEntry,
)


def _refused(db, statement) -> None:
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.execute(statement)


@pytest.fixture
def draft(make_ballot):
    return make_ballot()


@pytest.mark.parametrize("values", [
    {"seats": 2},  # seats only for stv
    {"method": "stv"},  # stv needs seats
    {"max_choices": 2},  # only approval
    {"method": "approval"},  # approval needs its k
    {"method": "borda"},
    {"state": "counting"},
    {"quorum": "half"},
    {"majority": ""},
    {"original_language": ""},
    {"electorate_kind": "workgroup"},  # without a workgroup
    {"register_cutoff": dt.date(2024, 1, 1), "electorate_kind": "list"},
    {"opens_at": utcnow() + dt.timedelta(days=30)},  # after the closing time
    {"state": "open"},  # open without a frozen roll
    {"state": "closed", "opened_dt": utcnow(), "roll_size": 0, "roll_hash": "0" * 64},  # closed without result
    {"state": "annulled", "opened_dt": utcnow(), "roll_size": 0, "roll_hash": "0" * 64,
     "annulled_dt": utcnow()},  # without a reason
    {"result_visibility": "public"},
])
def test_check_constraints_refuse_inconsistent_ballots(db, draft, values):
    _refused(db, update(Ballot).where(Ballot.id == draft.id).values(**values))


def test_one_participation_per_member_and_only_from_the_roll(db, make_ballot, open_ballot, voter, be):
    member = voter(be)
    ballot = open_ballot(make_ballot())
    outsider = voter(be)  # joined after the roll was frozen
    row = {"ballot_id": ballot.id, "member_id": member.id, "cast_dt": utcnow(), "channel": "web"}
    db.session.execute(insert(Participation), [row])
    _refused(db, insert(Participation).values(**{**row, "channel": "proxy"}))
    _refused(db, insert(Participation).values(**{**row, "member_id": outsider.id}))  # not on the roll
    _refused(db, insert(Participation).values(**{**row, "member_id": outsider.id, "channel": "telepathy"}))
    _refused(db, insert(RollEntry).values(ballot_id=ballot.id, member_id=member.id, branch_id=be.id))


def test_an_extension_is_only_later_and_has_a_reason(db, draft):
    now = utcnow()
    _refused(db, insert(BallotExtension).values(ballot_id=draft.id, old_closes_at=now, new_closes_at=now,
                                                reason="Same time"))
    _refused(db, insert(BallotExtension).values(ballot_id=draft.id, old_closes_at=now,
                                                new_closes_at=now + dt.timedelta(hours=1), reason=""))


def test_transitions_are_methods_that_refuse_illegal_moves(draft):
    with pytest.raises(IllegalTransition):
        draft.mark_closed(utcnow(), {}, "seed")
    draft.mark_open(utcnow(), 1, "0" * 64)
    with pytest.raises(IllegalTransition):
        draft.mark_open(utcnow(), 1, "0" * 64)
    draft.mark_annulled(utcnow(), "Test")
    assert draft.state == BallotState.annulled.value and not draft.has_result
    with pytest.raises(IllegalTransition):
        draft.mark_closed(utcnow(), {}, "seed")


def test_the_window(draft):
    now = utcnow()
    draft.opens_at, draft.closes_at = now, now + dt.timedelta(hours=1)
    assert draft.is_due_to_open(now) and not draft.accepts_votes_at(now)
    draft.mark_open(now, 1, "0" * 64)
    assert draft.accepts_votes_at(now + dt.timedelta(minutes=59))
    assert not draft.accepts_votes_at(draft.closes_at)
    assert draft.is_due_to_close(draft.closes_at) and not draft.is_due_to_close(now)
    assert repr(draft).startswith("<Ballot ")
