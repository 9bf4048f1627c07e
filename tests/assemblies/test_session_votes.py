"""Votes at the session: the chair opens a ballot for the members present and represented (the vote cap applied),
holders vote for themselves and their grantors, the decision is stored on the agenda item, a missed quorum is
recorded on the assembly."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from governance.assemblies import queries
from governance.assemblies import session as ops
from governance.assemblies.models import VoteBinding
from governance.core.errors import Conflict, NotAllowed
from governance.votes import roll
from governance.votes.models import Participation
from tests.assemblies.session_fixtures import *  # noqa: F401,F403

HOUR = dt.timedelta(hours=1)


def _resolution(assembly, position=1):
    return next(item for item in queries.agenda_items(assembly) if item.is_resolution and item.position == position)


def _participations(db, ballot):
    return {p.member_id: p for p in db.session.execute(
        select(Participation).where(Participation.ballot_id == ballot.id)).scalars()}


def test_opening_a_vote_freezes_the_present_and_represented(db, convened, people, give_proxy, in_session,
                                                            checked_in, give_role, audit_events):
    ann, bob, cleo, dirk, chair = people(5)
    assembly = convened(vote_cap=(1, 2))
    give_proxy(assembly, ann, bob)
    give_role(assembly, "chair", chair)
    in_session(assembly)
    checked_in(assembly, bob, cleo, chair, mode="online")
    item = _resolution(assembly)
    ballot = ops.open_vote(item, actor=chair, now=assembly.starts_at + HOUR)
    assert ballot.is_open and ballot.electorate_kind == "list" and ballot.method == "yna"
    assert ballot.is_secret and ballot.majority == "simple" and ballot.quorum == "none"
    assert set(roll.roll_member_ids(ballot)) == {ann.member.id, bob.member.id, cleo.member.id, chair.member.id}
    assert ballot.roll_size == 4  # the base of the quorum: present and represented when the vote opened
    assert item.ballot_id == ballot.id and item.vote_result["opened"]["base"] == 4
    bindings = {b.member_id: b for b in db.session.execute(select(VoteBinding)).scalars()}
    assert bindings[ann.member.id].via_member_id == bob.member.id
    assert {b.bound_to for b in bindings.values()} == {"online"}
    assert dirk.member.id not in bindings
    [entry] = audit_events("assembly.vote_opened")
    assert entry.actor_id == chair.id and entry.data["roll_size"] == 4 and entry.data["represented"] == 1


def test_only_the_chair_opens_votes_during_the_session(db, convened, people, checked_in, in_session):
    ann, bob = people(2)
    assembly = convened()
    item = _resolution(assembly)
    with pytest.raises(Conflict):
        ops.open_vote(item, actor=None, now=assembly.starts_at)  # not in session yet
    in_session(assembly)
    checked_in(assembly, ann)
    with pytest.raises(NotAllowed):
        ops.open_vote(item, actor=ann, now=assembly.starts_at + HOUR)
    ops.open_vote(item, actor=None, now=assembly.starts_at + HOUR)
    with pytest.raises(Conflict):
        ops.open_vote(item, actor=None, now=assembly.starts_at + HOUR)


def test_one_vote_at_a_time_and_the_session_closes_without_an_open_vote(db, convened, people, checked_in,
                                                                        in_session):
    [ann] = people(1)
    assembly = convened(resolutions=2)
    in_session(assembly)
    checked_in(assembly, ann)
    first, second = _resolution(assembly, 1), _resolution(assembly, 2)
    ops.open_vote(first, actor=None, now=assembly.starts_at + HOUR)
    with pytest.raises(Conflict) as refused:
        ops.open_vote(second, actor=None, now=assembly.starts_at + HOUR)
    assert "Another vote is open" in str(refused.value)
    with pytest.raises(Conflict):
        ops.close_session(assembly, actor=None, now=assembly.starts_at + HOUR)


def test_nobody_present_no_vote(db, convened, people, in_session):
    people(1)
    assembly = convened()
    in_session(assembly)
    with pytest.raises(Conflict) as refused:
        ops.open_vote(_resolution(assembly), actor=None, now=assembly.starts_at + HOUR)
    assert "Nobody is present" in str(refused.value)


def test_a_holder_votes_for_themselves_and_their_grantor(db, convened, people, give_proxy, in_session, checked_in):
    ann, bob, cleo = people(3)
    assembly = convened(vote_cap=(1, 1))
    give_proxy(assembly, ann, bob)
    in_session(assembly)
    checked_in(assembly, bob, cleo, mode="online")
    item = _resolution(assembly)
    ballot = ops.open_vote(item, actor=None, now=assembly.starts_at + HOUR)
    cast = ops.cast_votes(item, {bob.member.id: "yes", ann.member.id: "no"}, actor=bob,
                          now=assembly.starts_at + 2 * HOUR)
    assert set(cast) == {bob.member.id, ann.member.id}
    assert all(result.receipt for result in cast.values())  # one receipt per secret ballot
    participations = _participations(db, ballot)
    assert {(m, p.channel, p.cast_by_id) for m, p in participations.items()} == {
        (bob.member.id, "web", bob.id), (ann.member.id, "proxy", bob.id)}
    # someone else cannot vote for the grantor, nor the holder twice
    with pytest.raises(NotAllowed):
        ops.cast_votes(item, {ann.member.id: "yes"}, actor=cleo, now=assembly.starts_at + 2 * HOUR)
    with pytest.raises(Conflict):
        ops.cast_votes(item, {bob.member.id: "yes"}, actor=bob, now=assembly.starts_at + 2 * HOUR)
    ops.cast_votes(item, {cleo.member.id: "yes"}, actor=cleo, now=assembly.starts_at + 2 * HOUR)
    result = ops.close_vote(item, actor=None, now=assembly.starts_at + 3 * HOUR)
    assert (result["decision"]["yes"], result["decision"]["no"], result["decision"]["abstain"]) == (2, 1, 0)
    assert result["online"]["participations"] == 3 and result["adopted"] is True
    assert item.vote_result["adopted"] is True and ballot.is_closed


def test_a_grantor_who_checked_in_votes_themselves(db, convened, people, give_proxy, in_session, checked_in):
    ann, bob = people(2)
    assembly = convened(vote_cap=(1, 1))
    give_proxy(assembly, ann, bob)
    in_session(assembly)
    checked_in(assembly, bob, ann, mode="online")
    item = _resolution(assembly)
    ballot = ops.open_vote(item, actor=None, now=assembly.starts_at + HOUR)
    assert ballot.roll_size == 2  # counted once
    with pytest.raises(NotAllowed):
        ops.cast_votes(item, {ann.member.id: "yes"}, actor=bob, now=assembly.starts_at + HOUR)
    ops.cast_votes(item, {ann.member.id: "no"}, actor=ann, now=assembly.starts_at + HOUR)
    assert _participations(db, ballot)[ann.member.id].channel == "web"


def test_a_grantor_arriving_during_a_vote_suspends_the_proxy_for_it(db, convened, people, give_proxy, in_session,
                                                                    checked_in):
    ann, bob = people(2)
    assembly = convened(vote_cap=(1, 1))
    give_proxy(assembly, ann, bob)
    in_session(assembly)
    checked_in(assembly, bob, mode="online")
    item = _resolution(assembly)
    ops.open_vote(item, actor=None, now=assembly.starts_at + HOUR)
    ops.check_in(assembly, ann.member, mode="online", actor=ann, now=assembly.starts_at + HOUR)
    with pytest.raises(Conflict) as refused:
        ops.cast_votes(item, {ann.member.id: "yes"}, actor=bob, now=assembly.starts_at + HOUR)
    assert "suspended" in str(refused.value)
    ops.cast_votes(item, {ann.member.id: "yes"}, actor=ann, now=assembly.starts_at + HOUR)


def test_only_present_members_vote(db, convened, people, in_session, checked_in):
    ann, bob = people(2)
    assembly = convened()
    in_session(assembly)
    checked_in(assembly, ann, mode="online")
    item = _resolution(assembly)
    ops.open_vote(item, actor=None, now=assembly.starts_at + HOUR)
    with pytest.raises(Conflict) as refused:
        ops.cast_votes(item, {bob.member.id: "yes"}, actor=bob, now=assembly.starts_at + HOUR)
    assert "Check in first" in str(refused.value)
    # arrived after the vote opened: not on its roll
    ops.check_in(assembly, bob.member, mode="online", actor=bob, now=assembly.starts_at + HOUR)
    with pytest.raises(Conflict) as refused:
        ops.cast_votes(item, {bob.member.id: "yes"}, actor=bob, now=assembly.starts_at + HOUR)
    assert "not on the roll of this vote" in str(refused.value)


def test_the_vote_cap_sets_excess_proxies_aside(db, convened, people, give_proxy, in_session, checked_in,
                                                audit_events):
    """Default cap a tenth: with 7 present or represented, nobody casts more than their own vote."""
    everyone = people(7)
    ann, bob, cleo, dirk = everyone[:4]
    assembly = convened()
    give_proxy(assembly, ann, bob)
    give_proxy(assembly, cleo, dirk)
    in_session(assembly)
    checked_in(assembly, bob, dirk, *everyone[4:], mode="online")
    item = _resolution(assembly)
    ballot = ops.open_vote(item, actor=None, now=assembly.starts_at + HOUR)
    opened = item.vote_result["opened"]
    assert opened["base_before_cap"] == 7 and opened["cap"] == 1
    assert sorted((p["holder"], p["grantor"]) for p in opened["set_aside"]) == sorted(
        [(bob.member.id, ann.member.id), (dirk.member.id, cleo.member.id)])
    assert ballot.roll_size == 5 and ann.member.id not in roll.roll_member_ids(ballot)
    with pytest.raises(Conflict):
        ops.cast_votes(item, {ann.member.id: "yes"}, actor=bob, now=assembly.starts_at + HOUR)
    [entry] = audit_events("assembly.vote_opened")
    assert len(entry.data["set_aside"]) == 2


def test_the_vote_cap_keeps_the_oldest_proxies_within_the_share(db, convened, people, give_proxy, in_session,
                                                               checked_in):
    """A share of 1/4 of 8 present or represented: at most 2 votes each, so one proxy per holder."""
    everyone = people(8)
    ann, bob, cleo, holder = everyone[:4]
    assembly = convened(max_proxies_per_holder=3, vote_cap=(1, 4))
    give_proxy(assembly, ann, holder)
    give_proxy(assembly, bob, holder)
    give_proxy(assembly, cleo, holder)
    in_session(assembly)
    checked_in(assembly, *everyone[3:], mode="online")
    item = _resolution(assembly)
    ballot = ops.open_vote(item, actor=None, now=assembly.starts_at + HOUR)
    opened = item.vote_result["opened"]
    assert opened["cap"] == 2
    assert [p["grantor"] for p in opened["set_aside"]] == [bob.member.id, cleo.member.id]
    assert ann.member.id in roll.roll_member_ids(ballot) and ballot.roll_size == 6


def test_a_missed_quorum_is_recorded_on_the_assembly(db, convened, people, in_session, checked_in, audit_events):
    ann, bob, cleo = people(3)
    assembly = convened(quorum="share:2/3", majority="qualified:2/3")
    in_session(assembly)
    checked_in(assembly, ann, bob, cleo, mode="online")
    item = _resolution(assembly)
    ballot = ops.open_vote(item, actor=None, now=assembly.starts_at + HOUR)
    assert ballot.quorum == "share:2/3" and ballot.majority == "qualified:2/3"
    ops.cast_votes(item, {ann.member.id: "yes"}, actor=ann, now=assembly.starts_at + HOUR)
    result = ops.close_vote(item, actor=None, now=assembly.starts_at + 2 * HOUR)
    assert result["decision"]["quorum"]["met"] is False and result["adopted"] is False
    assert ops.quorum_missed_by(item)
    ops.close_session(assembly, actor=None, now=assembly.starts_at + 3 * HOUR)
    assert assembly.is_closed and assembly.quorum_missed
    [entry] = audit_events("assembly.session_closed")
    assert entry.data["quorum_missed_items"] == [item.position]


def test_a_second_convocation_waives_the_quorum(db, convened, people, in_session, checked_in, admin):
    from governance.assemblies import operations as assembly_ops
    from governance.core.db_types import utcnow
    from tests.assemblies.conftest import local_time

    ann, bob, cleo = people(3)
    first = convened(quorum="share:2/3")
    in_session(first)
    checked_in(first, ann, mode="online")
    item = _resolution(first)
    ops.open_vote(item, actor=None, now=first.starts_at + HOUR)
    ops.close_vote(item, actor=None, now=first.starts_at + 2 * HOUR)
    ops.close_session(first, actor=None, now=first.starts_at + 3 * HOUR)
    assert first.quorum_missed
    second = assembly_ops.convene_second_assembly(first, actor=admin, starts_at=local_time(first.branch, 40))
    assembly_ops.send_convocation(second, actor=admin, now=utcnow())
    in_session(second)
    checked_in(second, ann, mode="online")
    item = _resolution(second)
    ballot = ops.open_vote(item, actor=None, now=second.starts_at + HOUR)
    assert ballot.quorum == "none"
    ops.cast_votes(item, {ann.member.id: "yes"}, actor=ann, now=second.starts_at + HOUR)
    assert ops.close_vote(item, actor=None, now=second.starts_at + 2 * HOUR)["adopted"] is True
    ops.close_session(second, actor=None, now=second.starts_at + 3 * HOUR)
    assert not second.quorum_missed


def test_a_roll_call_resolution(db, convened, people, in_session, checked_in):
    from governance.votes.models import OpenVote

    ann, bob = people(2)
    assembly = convened()
    item = _resolution(assembly)
    item.vote_secret = False
    in_session(assembly)
    checked_in(assembly, ann, bob, mode="online")
    ballot = ops.open_vote(item, actor=None, now=assembly.starts_at + HOUR)
    assert not ballot.is_secret
    cast = ops.cast_votes(item, {ann.member.id: "yes"}, actor=ann, now=assembly.starts_at + HOUR)
    assert cast[ann.member.id].receipt is None
    assert db.session.execute(select(OpenVote.choice_key).where(OpenVote.ballot_id == ballot.id)).scalar_one() \
        == "yes"


def test_session_lifecycle_and_its_audit(db, convened, people, give_role, audit_events):
    ann, secretary = people(2)
    assembly = convened()
    give_role(assembly, "secretary", secretary)
    with pytest.raises(Conflict):
        ops.open_session(assembly, actor=secretary, now=assembly.starts_at - dt.timedelta(days=2))
    with pytest.raises(NotAllowed):
        ops.open_session(assembly, actor=ann, now=assembly.starts_at)
    ops.open_session(assembly, actor=secretary, now=assembly.starts_at)
    assert assembly.is_in_session
    ops.close_session(assembly, actor=secretary, now=assembly.starts_at + HOUR)
    assert assembly.is_closed and not assembly.quorum_missed
    assert [e.event for e in audit_events("assembly.session")] == ["assembly.session_opened",
                                                                   "assembly.session_closed"]


def test_a_vote_in_the_session_sends_no_ballot_emails(db, convened, people, checked_in, in_session):
    from governance.core.outbox import OutboxMessage

    ann, bob = people(2)
    assembly = convened()
    in_session(assembly)
    checked_in(assembly, ann, bob, mode="online")
    before = db.session.execute(select(OutboxMessage.id)).scalars().all()
    item = _resolution(assembly)
    ops.open_vote(item, actor=None, now=assembly.starts_at + HOUR)
    ops.close_vote(item, actor=None, now=assembly.starts_at + 2 * HOUR)
    # the members are in the room or on line: neither the opening nor the result goes out by email
    assert db.session.execute(select(OutboxMessage.id)).scalars().all() == before
