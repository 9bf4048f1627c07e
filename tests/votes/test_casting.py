"""Casting a vote: the window, the roll, the choice each method accepts, and one member one vote."""
from __future__ import annotations

import datetime as dt
import logging
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from governance.core.errors import Conflict, InvalidInput, NotAllowed
from governance.votes import operations as ops
from governance.votes.models import BoxEntry, Participation
from tests.votes.conftest import as_actor, option_ids


def _count(db, model, ballot) -> int:
    return db.session.execute(select(func.count()).select_from(model).where(model.ballot_id == ballot.id)).scalar_one()


# --- the window ------------------------------------------------------------------------------------
def test_votes_are_accepted_only_while_the_ballot_is_open(make_ballot, open_ballot, voter, be, cast, now, db):
    member = voter(be)
    ballot = make_ballot(opens_at=now + dt.timedelta(hours=1), closes_at=now + dt.timedelta(hours=2))
    with pytest.raises(ops.BallotNotOpen, match="not open yet"):
        cast(ballot, member, "yes", now=now + dt.timedelta(hours=1, minutes=30))
    ops.tick(now + dt.timedelta(hours=1))
    assert ballot.is_open
    closes_at = ballot.closes_at
    with pytest.raises(ops.BallotNotOpen, match="ended"):
        cast(ballot, member, "yes", now=closes_at)  # exactly at the closing time: too late
    assert cast(ballot, member, "yes", now=closes_at - dt.timedelta(microseconds=1)).receipt
    assert _count(db, Participation, ballot) == 1


def test_a_closed_or_annulled_ballot_takes_no_vote(make_ballot, open_ballot, close, voter, be, cast, admin):
    first, second = voter(be), voter(be)
    ballot = open_ballot(make_ballot())
    close(ballot)
    with pytest.raises(ops.BallotNotOpen, match="closed"):
        cast(ballot, first, "yes")
    annulled = open_ballot(make_ballot())
    ops.annul_ballot(annulled, "Mistake", actor=admin)
    with pytest.raises(ops.BallotNotOpen):
        cast(annulled, second, "yes")


def test_only_members_on_the_roll_vote(make_ballot, open_ballot, voter, be, fr, cast):
    voter(be)
    ballot = open_ballot(make_ballot())
    with pytest.raises(ops.NotOnRoll, match="not on the electoral roll"):
        cast(ballot, voter(fr), "yes")
    latecomer = voter(be)  # joined the register after the ballot opened
    with pytest.raises(ops.NotOnRoll):
        cast(ballot, latecomer, "yes")


def test_a_roll_member_suspended_after_opening_still_votes(make_ballot, open_ballot, voter, be, cast, db):
    member = voter(be)
    ballot = open_ballot(make_ballot())
    member.status = "suspended"
    db.session.flush()
    assert cast(ballot, member, "yes").receipt  # the roll was frozen at opening


# --- choices per method ----------------------------------------------------------------------------
def test_a_yes_no_abstain_choice(make_ballot, open_ballot, voter, be, cast):
    member = voter(be)
    ballot = open_ballot(make_ballot())
    for bad in ("maybe", "", None, 1, ["yes"]):
        with pytest.raises(InvalidInput, match="yes, no or abstain"):
            cast(ballot, member, bad)
    assert cast(ballot, member, "abstain").receipt


def test_a_single_choice(make_ballot, open_ballot, voter, be, cast, db):
    members = [voter(be) for _ in range(3)]
    ballot = open_ballot(make_ballot(method="plurality"))
    other = make_ballot(method="plurality")
    with pytest.raises(InvalidInput, match="not on the ballot"):
        cast(ballot, members[0], other.options[0].id)
    with pytest.raises(InvalidInput):
        cast(ballot, members[0], "Ana")
    with pytest.raises(InvalidInput, match="one option"):
        cast(ballot, members[0], option_ids(ballot)[:2])
    cast(ballot, members[0], option_ids(ballot)[0])
    cast(ballot, members[1], str(option_ids(ballot)[1]))  # as a form sends it
    cast(ballot, members[2], [option_ids(ballot)[2]])
    keys = sorted(db.session.execute(select(BoxEntry.choice_key).where(BoxEntry.ballot_id == ballot.id)).scalars())
    assert keys == sorted(str(i) for i in option_ids(ballot))


def test_an_approval_choice_holds_one_to_k_distinct_options(make_ballot, open_ballot, voter, be, cast, db):
    member, other = voter(be), voter(be)
    ballot = open_ballot(make_ballot(method="approval", max_choices=2))
    a, b, c = option_ids(ballot)
    with pytest.raises(InvalidInput, match="at least one"):
        cast(ballot, member, [])
    with pytest.raises(InvalidInput, match="at most 2"):
        cast(ballot, member, [a, b, c])
    with pytest.raises(InvalidInput, match="only once"):
        cast(ballot, member, [a, a])
    cast(ballot, member, [c, a])
    cast(ballot, other, b)
    stored = dict(db.session.execute(select(BoxEntry.choice_key, BoxEntry.choice)
                                     .where(BoxEntry.ballot_id == ballot.id)).all())
    assert stored == {f"{a},{c}": [a, c], str(b): [b]}


@pytest.mark.parametrize("method", ["irv", "stv", "schulze"])
def test_a_ranking_of_distinct_options_possibly_partial(make_ballot, open_ballot, voter, be, cast, db, method):
    member, other = voter(be), voter(be)
    ballot = open_ballot(make_ballot(method=method))
    a, b, c = option_ids(ballot)
    with pytest.raises(InvalidInput, match="at least one"):
        cast(ballot, member, [])
    with pytest.raises(InvalidInput, match="only once"):
        cast(ballot, member, [a, b, a])
    cast(ballot, member, [c, a])
    cast(ballot, other, [b, c, a])
    keys = set(db.session.execute(select(BoxEntry.choice_key).where(BoxEntry.ballot_id == ballot.id)).scalars())
    assert keys == {f"{c}>{a}", f"{b}>{c}>{a}"}


# --- one member, one vote --------------------------------------------------------------------------
def test_a_second_vote_is_refused(make_ballot, open_ballot, member_account, be, cast, db):
    account = member_account(be)
    ballot = open_ballot(make_ballot())
    assert cast(ballot, account.member, "yes", actor=account).receipt
    with pytest.raises(ops.AlreadyVoted) as exc:
        cast(ballot, account.member, "no", actor=account)
    assert exc.value.status_code == 409 and str(exc.value) == "You have already voted in this ballot."
    assert _count(db, Participation, ballot) == 1 and _count(db, BoxEntry, ballot) == 1


def test_a_proxy_holder_cannot_vote_for_a_member_who_voted(make_ballot, open_ballot, member_account, be, cast, db):
    grantor, holder = member_account(be), member_account(be)
    ballot = open_ballot(make_ballot())
    cast(ballot, grantor.member, "yes", actor=grantor)
    with pytest.raises(Conflict) as exc:
        cast(ballot, grantor.member, "no", actor=holder, channel="proxy")
    assert isinstance(exc.value, ops.MemberAlreadyVoted)
    assert "already been cast for this member" in str(exc.value)
    assert _count(db, Participation, ballot) == 1 and _count(db, BoxEntry, ballot) == 1


def test_a_proxy_vote_is_the_members_participation(make_ballot, open_ballot, member_account, be, cast, db):
    grantor, holder = member_account(be), member_account(be)
    ballot = open_ballot(make_ballot())
    cast(ballot, grantor.member, "yes", actor=holder, channel="proxy")
    participation = db.session.get(Participation, (ballot.id, grantor.member.id))
    assert (participation.channel, participation.cast_by_id) == ("proxy", holder.id)
    with pytest.raises(ops.AlreadyVoted):  # the grantor's own vote comes too late
        cast(ballot, grantor.member, "no", actor=grantor)
    # the holder's own vote is theirs
    assert cast(ballot, holder.member, "no", actor=holder).receipt


def test_someone_else_cannot_vote_for_a_member_online(make_ballot, open_ballot, member_account, be, cast):
    member, other = member_account(be), member_account(be)
    ballot = open_ballot(make_ballot())
    with pytest.raises(NotAllowed):
        cast(ballot, member.member, "yes", actor=other)
    with pytest.raises(InvalidInput):
        cast(ballot, member.member, "yes", actor=member, channel="carrier pigeon")


def test_casting_writes_no_audit_entry_and_logs_no_choice(make_ballot, open_ballot, voter, be, cast, caplog,
                                                          audit_events):
    members = [voter(be) for _ in range(2)]
    ballot = open_ballot(make_ballot(method="plurality"))
    before = len(audit_events(""))
    with caplog.at_level(logging.DEBUG):
        cast(ballot, members[0], option_ids(ballot)[1])
        cast(ballot, members[1], option_ids(ballot)[2])
    assert len(audit_events("")) == before
    assert not [r for r in caplog.records if r.name.startswith("governance")]


def test_a_ballot_with_no_voter_actor_is_refused(make_ballot, open_ballot, voter, be):
    member = voter(be)
    ballot = open_ballot(make_ballot())
    with pytest.raises(NotAllowed):
        ops.cast_vote(ballot, member, "yes", actor=None)
    with pytest.raises(NotAllowed):
        ops.cast_vote(ballot, member, "yes", actor=SimpleNamespace(member=None, id=None))
    assert ops.cast_vote(ballot, member, "yes", actor=as_actor(member)).receipt
