"""Check-in: by staff in the room or online, by the member online; live attendance and quorum counting proxies."""
from __future__ import annotations

import datetime as dt

import pytest

from governance.assemblies import session as ops
from governance.assemblies import session_queries
from governance.core.errors import Conflict, NotAllowed
from tests.assemblies.session_fixtures import *  # noqa: F401,F403


def test_staff_check_members_in_and_members_check_themselves_in_online(db, convened, people, give_role,
                                                                       audit_events):
    ann, bob, desk = people(3)
    assembly = convened()
    give_role(assembly, "checkin_staff", desk)
    day = assembly.starts_at
    row = ops.check_in(assembly, ann.member, mode="room", actor=desk, now=day)
    assert (row.mode, row.checked_in_by_id) == ("room", desk.id)
    ops.check_in(assembly, bob.member, mode="online", actor=bob, now=day)
    figures = session_queries.attendance(assembly)
    assert (figures.room, figures.online, figures.total) == (1, 1, 2)
    events = audit_events("assembly.checked_in")
    assert [(e.data["member"], e.data["self_check_in"]) for e in events] == [(ann.member.id, False),
                                                                            (bob.member.id, True)]


def test_a_member_cannot_check_in_in_the_room_nor_check_others_in(db, convened, people):
    ann, bob = people(2)
    assembly = convened()
    day = assembly.starts_at
    with pytest.raises(NotAllowed):
        ops.check_in(assembly, ann.member, mode="room", actor=ann, now=day)
    with pytest.raises(NotAllowed):
        ops.check_in(assembly, bob.member, mode="online", actor=ann, now=day)


def test_check_in_opens_on_the_day(db, convened, people):
    [ann] = people(1)
    assembly = convened()
    the_day_before = assembly.starts_at - dt.timedelta(days=1)
    with pytest.raises(Conflict) as refused:
        ops.check_in(assembly, ann.member, mode="online", actor=ann, now=the_day_before)
    assert "day of the assembly" in str(refused.value)
    # early in the morning of the day, before the session opens: fine
    early = assembly.starts_at - dt.timedelta(hours=2)
    assert ops.check_in(assembly, ann.member, mode="online", actor=ann, now=early).mode == "online"


def test_checking_in_twice_is_refused_and_leaving_allows_coming_back(db, convened, people, in_session):
    [ann] = people(1)
    assembly = convened()
    in_session(assembly)
    day = assembly.starts_at
    ops.check_in(assembly, ann.member, mode="online", actor=None, now=day)
    with pytest.raises(Conflict):
        ops.check_in(assembly, ann.member, mode="room", actor=None, now=day)
    ops.check_out(assembly, ann.member, actor=ann, now=day)
    assert session_queries.attendance(assembly).present == 0
    again = ops.check_in(assembly, ann.member, mode="room", actor=None, now=day + dt.timedelta(hours=1))
    assert again.mode == "room" and again.checked_out_dt is None
    assert session_queries.attendance(assembly).room == 1


def test_live_quorum_counts_proxies_once(db, convened, people, give_proxy, in_session, checked_in):
    ann, bob, cleo, dirk = people(4)
    assembly = convened(max_proxies_per_holder=2)
    give_proxy(assembly, ann, bob)
    give_proxy(assembly, cleo, bob)
    in_session(assembly)
    # the holder is not there yet: nobody is represented
    assert session_queries.attendance(assembly).total == 0
    checked_in(assembly, bob)
    figures = session_queries.attendance(assembly)
    assert (figures.present, figures.represented, figures.total) == (1, 2, 3)
    checked_in(assembly, cleo, dirk, mode="online")
    figures = session_queries.attendance(assembly)
    assert (figures.room, figures.online, figures.represented, figures.total) == (1, 2, 1, 4)
    listed = session_queries.attendance_page(assembly)
    assert listed.total == 4
    by_name = {row.member_id: row for row in listed.rows}
    assert by_name[ann.member.id].is_represented and by_name[ann.member.id].holder_number == bob.member.number
    assert by_name[cleo.member.id].is_present and not by_name[cleo.member.id].is_represented


def test_the_search_finds_by_name_or_number_in_one_query(db, convened, people, roll_member, be, count_queries):
    people(3)
    zoe = roll_member(be, first_name="Zoë", last_name="Van den Bossche", number="BE-77001")
    assembly = convened()
    for search in ("bossche", "BE-77001", "zoë van"):
        with count_queries() as counter:
            page = session_queries.search_members(assembly, search)
        assert counter.count == 1
        assert [row.member_id for row in page.rows] == [zoe.id]
    assert session_queries.search_members(assembly, "100%_").rows == []


def test_the_search_and_the_attendance_list_are_paginated_with_a_fixed_number_of_queries(
        db, convened, people, give_proxy, in_session, checked_in, count_queries):
    everyone = people(12)
    assembly = convened()
    for grantor, holder in zip(everyone[:3], everyone[3:6]):
        give_proxy(assembly, grantor, holder)
    in_session(assembly)
    checked_in(assembly, *everyone[3:])
    with count_queries() as counter:
        first = session_queries.search_members(assembly, "", page=1, per_page=5)
    assert counter.count == 1
    assert (first.total, first.pages, len(first.rows)) == (12, 3, 5)
    with count_queries() as counter:
        last = session_queries.search_members(assembly, "", page=3, per_page=5)
    assert counter.count == 1 and len(last.rows) == 2
    with count_queries() as counter:
        listed = session_queries.attendance_page(assembly, page=2, per_page=5)
        figures = session_queries.attendance(assembly)
    assert counter.count == 2
    assert listed.total == 12 == figures.total and len(listed.rows) == 5


def test_attendance_csv_lists_present_and_represented(db, convened, people, give_proxy, in_session, checked_in):
    ann, bob, cleo = people(3)
    assembly = convened()
    give_proxy(assembly, ann, bob)
    in_session(assembly)
    checked_in(assembly, bob)
    checked_in(assembly, cleo, mode="online")
    lines = session_queries.attendance_csv(assembly).splitlines()
    assert lines[0] == "Member number,Name,Branch,Mode,Checked in,Represented by"
    assert len(lines) == 4
    ann_line = next(line for line in lines if line.startswith(ann.member.number))
    assert "By proxy" in ann_line and f"{bob.member.full_name} ({bob.member.number})" in ann_line
    cleo_line = next(line for line in lines if line.startswith(cleo.member.number))
    assert ",Online," in cleo_line and assembly.starts_at.isoformat() in cleo_line
