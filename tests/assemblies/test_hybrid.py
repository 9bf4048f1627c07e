"""Hybrid voting (DESIGN §6): each member present or represented is bound to the room or to online voting when a
vote opens; online voting refuses room-bound members; the tellers' room totals are capped by the room-bound votes;
the result adds both without counting anyone twice."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from governance.assemblies import queries
from governance.assemblies import session as ops
from governance.assemblies import session_queries
from governance.assemblies.models import RoomTally, VoteBinding
from governance.core.errors import Conflict, InvalidInput, NotAllowed
from governance.votes import operations as ballot_ops
from governance.votes.models import Participation
from tests.assemblies.session_fixtures import *  # noqa: F401,F403

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def hybrid(db, convened, people, give_proxy, give_role, in_session, checked_in):
    """Room: rita (carrying ann's proxy), ruben. Online: olga (carrying oscar's proxy), otto. A teller and a chair
    (in the room). The vote on the first resolution is open."""
    rita, ruben, olga, otto, ann, oscar, teller, chair = people(8)
    assembly = convened(vote_cap=(1, 2))
    give_proxy(assembly, ann, rita)
    give_proxy(assembly, oscar, olga)
    give_role(assembly, "teller", teller)
    give_role(assembly, "chair", chair)
    in_session(assembly)
    checked_in(assembly, rita, ruben, chair)
    checked_in(assembly, olga, otto, mode="online")
    item = next(i for i in queries.agenda_items(assembly) if i.is_resolution)
    ballot = ops.open_vote(item, actor=chair, now=assembly.starts_at + HOUR)
    return dict(assembly=assembly, item=item, ballot=ballot, rita=rita, ruben=ruben, olga=olga, otto=otto, ann=ann,
                oscar=oscar, teller=teller, chair=chair, when=assembly.starts_at + HOUR)


def test_every_member_is_bound_to_the_room_or_online(db, hybrid):
    h = hybrid
    bindings = {b.member_id: b.bound_to for b in db.session.execute(
        select(VoteBinding).where(VoteBinding.ballot_id == h["ballot"].id)).scalars()}
    expected = {h["rita"]: "room", h["ruben"]: "room", h["chair"]: "room", h["ann"]: "room",
                h["olga"]: "online", h["otto"]: "online", h["oscar"]: "online"}
    assert bindings == {account.member.id: mode for account, mode in expected.items()}
    assert h["ballot"].roll_size == 7
    # room-bound members hold a "room" participation from the start; nobody else has one
    participations = {p.member_id: p.channel for p in db.session.execute(
        select(Participation).where(Participation.ballot_id == h["ballot"].id)).scalars()}
    assert participations == {h[k].member.id: "room" for k in ("rita", "ruben", "chair", "ann")}
    # the ballot's own result page would show the online part only: managers only
    assert h["ballot"].result_visibility == "managers"


def test_online_voting_refuses_room_bound_members(db, hybrid):
    h = hybrid
    with pytest.raises(Conflict) as refused:
        ops.cast_votes(h["item"], {h["rita"].member.id: "yes"}, actor=h["rita"], now=h["when"])
    assert "cast in the room" in str(refused.value)
    with pytest.raises(Conflict):
        ops.cast_votes(h["item"], {h["ann"].member.id: "yes"}, actor=h["rita"], now=h["when"])
    # even through the ballot's own page (the ballots' operation): refused, and one participation per member
    # ("room") exists anyway
    with pytest.raises(Conflict):
        ballot_ops.cast_vote(h["ballot"], h["ruben"].member, "yes", actor=h["ruben"], now=h["when"])


def test_room_totals_are_capped_by_the_room_bound_votes(db, hybrid, audit_events):
    h = hybrid
    with pytest.raises(NotAllowed):
        ops.enter_room_tally(h["item"], actor=h["otto"], yes=1, no=0, abstain=0, now=h["when"])
    with pytest.raises(InvalidInput) as refused:
        ops.enter_room_tally(h["item"], actor=h["teller"], yes=3, no=1, abstain=1, now=h["when"])
    assert "more than the 4 votes" in str(refused.value)
    with pytest.raises(InvalidInput):
        ops.enter_room_tally(h["item"], actor=h["teller"], yes=-1, no=0, abstain=0, now=h["when"])
    ops.enter_room_tally(h["item"], actor=h["teller"], yes=2, no=1, abstain=0, now=h["when"])
    tally = ops.enter_room_tally(h["item"], actor=h["teller"], yes=2, no=1, abstain=1, now=h["when"])
    assert tally.total == 4 and db.session.query(RoomTally).count() == 1
    entries = audit_events("assembly.room_tally_entered")
    assert [e.data["abstain"] for e in entries] == [0, 1] and entries[1].data["previous"]["abstain"] == 0


def test_the_result_adds_online_and_room_votes_once(db, hybrid, audit_events):
    h = hybrid
    with pytest.raises(Conflict) as refused:
        ops.close_vote(h["item"], actor=h["chair"], now=h["when"])
    assert "room's totals" in str(refused.value)
    ops.cast_votes(h["item"], {h["olga"].member.id: "no", h["oscar"].member.id: "no"}, actor=h["olga"],
                   now=h["when"])
    ops.cast_votes(h["item"], {h["otto"].member.id: "abstain"}, actor=h["otto"], now=h["when"])
    vote_row = session_queries.vote_rows(h["assembly"])[0]
    assert (vote_row.online_votes, vote_row.online_bound, vote_row.room_bound) == (3, 3, 4)
    ops.enter_room_tally(h["item"], actor=h["teller"], yes=3, no=0, abstain=0, now=h["when"])
    result = ops.close_vote(h["item"], actor=h["chair"], now=h["when"] + HOUR)
    assert result["online"] == {"yes": 0, "no": 2, "abstain": 1, "participations": 3}
    assert result["room"] == {"yes": 3, "no": 0, "abstain": 0, "total": 3, "bound": 4}
    decision = result["decision"]
    assert (decision["yes"], decision["no"], decision["abstain"]) == (3, 2, 1)
    assert decision["quorum"]["base"] == 7 and decision["quorum"]["participations"] == 6
    assert result["adopted"] is True
    # the ballot itself holds the online part; its participations: 4 room-bound + 3 online
    ballot = h["ballot"]
    assert ballot.is_closed and ballot.result["ballots"] == 3 and ballot.result["participations"] == 7
    [entry] = audit_events("assembly.vote_closed")
    assert entry.data["yes"] == 3 and entry.data["ballot_audit"]["hash"] == ballot.result["audit"]["hash"]
    # the tally can no longer change
    with pytest.raises(Conflict):
        ops.enter_room_tally(h["item"], actor=h["teller"], yes=0, no=0, abstain=0, now=h["when"] + HOUR)


def test_an_online_only_vote_keeps_the_ballot_result_for_the_electorate(db, convened, people, in_session,
                                                                        checked_in):
    ann, bob = people(2)
    assembly = convened()
    in_session(assembly)
    checked_in(assembly, ann, bob, mode="online")
    item = next(i for i in queries.agenda_items(assembly) if i.is_resolution)
    ballot = ops.open_vote(item, actor=None, now=assembly.starts_at + HOUR)
    assert ballot.result_visibility == "electorate"
    ops.cast_votes(item, {ann.member.id: "yes"}, actor=ann, now=assembly.starts_at + HOUR)
    result = ops.close_vote(item, actor=None, now=assembly.starts_at + 2 * HOUR)  # no tally needed
    assert result["room"]["bound"] == 0 and result["decision"]["yes"] == 1
    assert ballot.result["decision"]["yes"] == 1  # the ballot's page shows the same figures


def test_a_ballot_closed_from_its_own_page_is_finished_by_the_session(db, hybrid, admin):
    """A manager of the ballot may close it from the ballot's page: the session still adds the room and decides."""
    h = hybrid
    ops.cast_votes(h["item"], {h["otto"].member.id: "no"}, actor=h["otto"], now=h["when"])
    h["ballot"].closes_at = h["when"] + HOUR
    db.session.flush()
    ballot_ops.close_ballot(h["ballot"], actor=admin, now=h["when"] + HOUR)
    with pytest.raises(Conflict):  # still one vote to finish before the session closes
        ops.close_session(h["assembly"], actor=None, now=h["when"] + HOUR)
    ops.enter_room_tally(h["item"], actor=h["teller"], yes=4, no=0, abstain=0, now=h["when"] + HOUR)
    result = ops.close_vote(h["item"], actor=h["chair"], now=h["when"] + HOUR)
    assert (result["decision"]["yes"], result["decision"]["no"]) == (4, 1) and result["adopted"]
    with pytest.raises(Conflict):
        ops.close_vote(h["item"], actor=h["chair"], now=h["when"] + HOUR)
    ops.close_session(h["assembly"], actor=None, now=h["when"] + 2 * HOUR)


def test_an_annulled_vote_can_be_held_again(db, hybrid, admin):
    h = hybrid
    ballot_ops.annul_ballot(h["ballot"], "The room's voting cards were mixed up.", actor=admin, now=h["when"])
    again = ops.open_vote(h["item"], actor=h["chair"], now=h["when"] + HOUR)
    assert again.id != h["ballot"].id and h["item"].ballot_id == again.id and again.is_open


def test_the_ballots_own_page_takes_only_present_online_members(db, hybrid):
    """A represented grantor who did not check in cannot vote from the ballot's own page (their holder does); a
    member present online can."""
    h = hybrid
    with pytest.raises(ops.VoteRefused):
        ballot_ops.cast_vote(h["ballot"], h["oscar"].member, "yes", actor=h["oscar"], now=h["when"])
    ballot_ops.cast_vote(h["ballot"], h["otto"].member, "yes", actor=h["otto"], now=h["when"])
    ops.check_out(h["assembly"], h["olga"].member, actor=h["olga"], now=h["when"])
    with pytest.raises(ops.VoteRefused):
        ballot_ops.cast_vote(h["ballot"], h["olga"].member, "yes", actor=h["olga"], now=h["when"])
    channels = {p.member_id: p.channel for p in db.session.execute(
        select(Participation).where(Participation.ballot_id == h["ballot"].id)).scalars()}
    assert channels[h["otto"].member.id] == "web" and h["oscar"].member.id not in channels
