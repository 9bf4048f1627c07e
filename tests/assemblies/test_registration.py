"""Registration: members on the roll say how they attend (in person, online, by proxy), for themselves."""
from __future__ import annotations

import pytest

from governance.assemblies import session as ops
from governance.assemblies.models import Registration
from governance.core.errors import Conflict, InvalidInput, NotAllowed
from tests.assemblies.session_fixtures import *  # noqa: F401,F403


def test_a_member_registers_in_person_then_online(db, convened, people):
    [ann] = people(1)
    assembly = convened()
    registration = ops.register(assembly, ann.member, "in_person", actor=ann)
    assert registration.mode == "in_person"
    again = ops.register(assembly, ann.member, "online", actor=ann)
    assert again.id == registration.id and again.mode == "online"
    assert db.session.query(Registration).filter_by(assembly_id=assembly.id).count() == 1


def test_the_modes_follow_the_assembly(db, convened, people):
    [ann] = people(1)
    online_only = convened(place=None)
    room_only = convened(online_url=None)
    with pytest.raises(InvalidInput):
        ops.register(online_only, ann.member, "in_person", actor=ann)
    with pytest.raises(InvalidInput):
        ops.register(room_only, ann.member, "online", actor=ann)
    with pytest.raises(InvalidInput):
        ops.register(room_only, ann.member, "by_pigeon", actor=ann)


def test_members_act_only_for_themselves(db, convened, people, give_role):
    ann, bob, secretary = people(3)
    assembly = convened()
    with pytest.raises(NotAllowed):
        ops.register(assembly, bob.member, "in_person", actor=ann)
    # the assembly's secretary records a paper registration for a member
    give_role(assembly, "secretary", secretary)
    assert ops.register(assembly, bob.member, "in_person", actor=secretary).created_by_id == secretary.id


def test_only_members_on_the_roll_register(db, convened, people, fr, roll_account):
    people(1)
    assembly = convened()
    french = roll_account(fr)
    with pytest.raises(NotAllowed):
        ops.register(assembly, french.member, "in_person", actor=french)


def test_registration_closes_when_the_session_opens(db, convened, people, in_session):
    [ann] = people(1)
    assembly = convened()
    in_session(assembly)
    with pytest.raises(Conflict) as refused:
        ops.register(assembly, ann.member, "in_person", actor=ann)
    assert "registration is closed" in str(refused.value)


def test_withdrawing_a_registration(db, convened, people):
    [ann] = people(1)
    assembly = convened()
    ops.register(assembly, ann.member, "online", actor=ann)
    ops.withdraw_registration(assembly, ann.member, actor=ann)
    assert ops.registration_of(assembly, ann.member.id) is None
