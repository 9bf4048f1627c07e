"""The assembly's data model: definition, states, constraints, notice arithmetic, proxies' caps, second
convocation, petitions' threshold."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.exc import IntegrityError

from governance.assemblies.models import (
    AgendaItem,
    Assembly,
    AssemblyRole,
    AssemblyState,
    CheckIn,
    ConvocationDelivery,
    IllegalTransition,
    Minutes,
    Petition,
    PetitionSignature,
    Proxy,
    Registration,
    RoomTally,
    VoteBinding,
    full_days_between,
    petition_threshold,
)
from governance.core.db_types import utcnow
from governance.core.errors import InvalidInput, NotAllowed

from .conftest import local_time, texts


def refused(db, obj) -> None:
    """Adding ``obj`` breaks a constraint; it is then left out of the session."""
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.add(obj)
            db.session.flush()


def test_full_days_between_excludes_both_ends():
    assert full_days_between(dt.date(2025, 3, 1), dt.date(2025, 3, 17)) == 15
    assert full_days_between(dt.date(2025, 3, 1), dt.date(2025, 3, 2)) == 0
    assert full_days_between(dt.date(2025, 3, 1), dt.date(2025, 3, 1)) == -1


@pytest.mark.parametrize("base, threshold", [(0, 1), (1, 1), (9, 1), (10, 1), (11, 2), (100, 10), (101, 11),
                                             (35_000, 3_500), (35_001, 3_501)])
def test_petition_threshold_is_a_tenth_rounded_up(base, threshold):
    assert petition_threshold(base) == threshold


def test_create_assembly_defaults(db, make_assembly, be, admin, audit_events):
    assembly = make_assembly()
    assert assembly.is_draft and assembly.branch_id == be.id
    assert [b.code for b in assembly.branches] == ["BE"]
    assert assembly.notice_days == 15
    assert assembly.timezone == be.timezone
    assert assembly.max_proxies_per_holder == 1
    assert (assembly.vote_cap_numerator, assembly.vote_cap_denominator) == (1, 10)
    assert assembly.eligible_statuses == ["active"]
    assert assembly.required_languages == ["fr", "nl"]
    assert assembly.local_starts_at.hour == 10
    assert [e.event for e in audit_events("assembly.")] == ["assembly.created"]


def test_cooperative_assembly_addresses_every_branch(db, make_assembly, be, fr):
    assembly = make_assembly(None)
    assert assembly.is_cooperative_wide
    assert {b.code for b in assembly.branches} >= {"BE", "FR"}
    assert set(assembly.required_languages) >= {"fr", "nl"}


def test_notice_days_default_from_configuration(app, db, make_assembly, fr, monkeypatch):
    monkeypatch.setitem(app.config, "ASSEMBLY_NOTICE_DAYS_BY_BRANCH", {"FR": 21})
    assert make_assembly(fr).notice_days == 21
    monkeypatch.setitem(app.config, "ASSEMBLY_NOTICE_DAYS", 20)
    monkeypatch.setitem(app.config, "ASSEMBLY_NOTICE_DAYS_BY_BRANCH", {})
    assert make_assembly(fr).notice_days == 20


@pytest.mark.parametrize("kw", [
    {"titles": {"fr": "Seulement en français"}},
    {"place": None, "online_url": None},
    {"online_url": "javascript:alert(1)"},
    {"days": -1},
    {"notice_days": 400},
    {"vote_cap": (0, 10)},
    {"eligible_statuses": ["bogus"]},
])
def test_create_assembly_refuses_bad_input(db, make_assembly, kw):
    with pytest.raises(InvalidInput):
        make_assembly(**kw)


def test_board_member_of_another_branch_cannot_create(db, make_assembly, be, fr, board):
    with pytest.raises(NotAllowed):
        make_assembly(be, actor=board(fr))
    assert make_assembly(be, actor=board(be)).branch_id == be.id
    with pytest.raises(NotAllowed):
        make_assembly(None, actor=board(be))


def test_state_transitions(db, make_assembly):
    assembly = make_assembly()
    now = utcnow()
    with pytest.raises(IllegalTransition):
        assembly.open_session(now)
    with pytest.raises(IllegalTransition):
        assembly.close(now)
    assembly.mark_convened(now)
    with pytest.raises(IllegalTransition):
        assembly.mark_convened(now)
    assembly.open_session(now)
    assembly.close(now, quorum_missed=True)
    assert assembly.can_have_second_convocation
    assembly.approve_minutes(now)
    assert assembly.state == AssemblyState.minutes_approved.value
    db.session.flush()


def test_state_check_constraint(db, make_assembly):
    assembly = make_assembly()
    assembly.state = "bogus"
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.flush()


def test_convened_needs_a_date(db, make_assembly):
    assembly = make_assembly()
    assembly.state = AssemblyState.convened.value
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.flush()


def test_vote_cap_in_integers(db, make_assembly):
    assembly = make_assembly()
    # a tenth of 95 present or represented: 9 votes at most
    assert assembly.max_votes_per_person(95) == 9
    assert not assembly.exceeds_vote_cap(9, 95)
    assert assembly.exceeds_vote_cap(10, 95)
    assert not assembly.exceeds_vote_cap(10, 100)


def test_quorum_waived_at_second_convocation(db, make_assembly, force_state):
    first = make_assembly()
    assert first.effective_quorum("share:1/2") == "share:1/2"
    force_state(first, "closed", quorum_missed=True)
    second = make_assembly(first_assembly=first)
    assert second.is_second_convocation and second.quorum_waived
    assert second.effective_quorum("share:1/2") == "none"


def test_resolution_needs_rule_and_codes(db, make_assembly, add_item, add_resolution):
    assembly = make_assembly()
    item = add_resolution(assembly, majority="qualified:2/3", quorum="share:1/2")
    assert item.is_resolution and item.majority == "qualified:2/3"
    with pytest.raises(InvalidInput):
        add_resolution(assembly, majority="qualified:4/6")
    with pytest.raises(InvalidInput):
        add_resolution(assembly, quorum="share:0/3")
    row = db.session.get(AgendaItem, item.id)
    row.majority = None
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.flush()


def test_one_active_proxy_per_grantor(db, make_assembly, roll_member, be):
    assembly = make_assembly()
    a, b, c = roll_member(be), roll_member(be), roll_member(be)
    first = Proxy(assembly_id=assembly.id, grantor_id=a.id, holder_id=b.id)
    db.session.add(first)
    db.session.flush()
    refused(db, Proxy(assembly_id=assembly.id, grantor_id=a.id, holder_id=c.id))
    first.revoked_dt = utcnow()
    db.session.flush()
    db.session.add(Proxy(assembly_id=assembly.id, grantor_id=a.id, holder_id=c.id))
    db.session.flush()
    refused(db, Proxy(assembly_id=assembly.id, grantor_id=b.id, holder_id=b.id))


@pytest.mark.parametrize("model, make", [
    (Registration, lambda a, m: Registration(assembly_id=a.id, member_id=m.id, mode="in_person")),
    (CheckIn, lambda a, m: CheckIn(assembly_id=a.id, member_id=m.id, mode="room")),
    (ConvocationDelivery, lambda a, m: ConvocationDelivery(assembly_id=a.id, member_id=m.id, channel="letter",
                                                           status="to_print", language="en")),
    (AssemblyRole, lambda a, m: AssemblyRole(assembly_id=a.id, member_id=m.id, role="teller")),
])
def test_one_row_per_member(db, make_assembly, roll_member, be, model, make):
    assembly = make_assembly()
    member = roll_member(be)
    db.session.add(make(assembly, member))
    db.session.flush()
    refused(db, make(assembly, member))


def test_delivery_statuses_match_channel(db, make_assembly, roll_member, be):
    assembly = make_assembly()
    member = roll_member(be)
    refused(db, ConvocationDelivery(assembly_id=assembly.id, member_id=member.id, channel="email",
                                    status="printed", language="en", letter_printed_dt=utcnow()))


def test_session_tables_accept_their_rows(db, make_assembly, roll_member, be, admin, force_state):
    from governance.votes import operations as vote_ops

    assembly = make_assembly()
    member = roll_member(be)
    ballot = vote_ops.create_ballot(actor=admin, questions={"en": "Adopt?"}, original_language="en",
                                    electorate_kind="list", member_ids={member.id})
    db.session.add(VoteBinding(ballot_id=ballot.id, member_id=member.id, assembly_id=assembly.id, bound_to="room"))
    db.session.add(RoomTally(ballot_id=ballot.id, assembly_id=assembly.id, counts={"yes": 1}, total=1))
    db.session.add(Minutes(assembly_id=assembly.id, texts={"en": "# Minutes"}, original_language="en"))
    db.session.flush()
    refused(db, VoteBinding(ballot_id=ballot.id, member_id=member.id, assembly_id=assembly.id, bound_to="online"))


def test_petition_signature_once(db, roll_member, be):
    opener = roll_member(be)
    petition = Petition(branch_id=be.id, titles={"en": "Please"}, texts={"en": "Convene"}, original_language="en",
                        opened_by_id=opener.id, base=10, threshold=1)
    db.session.add(petition)
    db.session.flush()
    db.session.add(PetitionSignature(petition_id=petition.id, member_id=opener.id))
    db.session.flush()
    refused(db, PetitionSignature(petition_id=petition.id, member_id=opener.id))


def test_roll_condition_matches_is_on_roll(db, make_assembly, roll_member, be, fr):
    from sqlalchemy import select

    from governance.members.models import Member

    assembly = make_assembly(register_cutoff=dt.date(2021, 1, 1))
    inside = roll_member(be, joined_on=dt.date(2020, 5, 1))
    late = roll_member(be, joined_on=dt.date(2022, 5, 1))
    suspended = roll_member(be, status="suspended")
    french = roll_member(fr)
    ids = set(db.session.execute(select(Member.id).where(assembly.roll_condition())).scalars())
    assert inside.id in ids and not ids & {late.id, suspended.id, french.id}
    assert assembly.is_on_roll(inside) and not assembly.is_on_roll(late) and not assembly.is_on_roll(french)


def test_local_time_helper_is_in_the_branch_zone(db, be):
    value = local_time(be, 3, 9, 30)
    assert value.tzinfo is dt.timezone.utc
    assert value.astimezone(__import__("zoneinfo").ZoneInfo(be.timezone)).hour == 9


def test_texts_helper():
    assert texts("x")["nl"] == "x (nl)"


def test_repr(db, make_assembly):
    assert "Assembly" in repr(make_assembly()) and Assembly.__tablename__ == "assemblies"
