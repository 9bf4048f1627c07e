"""Proxies: given to a member on the roll, revocable until the deadline, limited per holder, never passed on;
suspended while the grantor is present; each change in the audit log."""
from __future__ import annotations

import datetime as dt

import pytest

from governance.assemblies import session as ops
from governance.assemblies import session_queries
from governance.assemblies.models import Proxy
from governance.core.db_types import utcnow
from governance.core.errors import Conflict
from tests.assemblies.session_fixtures import *  # noqa: F401,F403


def _active(db, assembly):
    return db.session.query(Proxy).filter_by(assembly_id=assembly.id, revoked_dt=None).all()


def test_a_member_gives_a_proxy_and_the_holder_sees_whom_they_represent(db, convened, people, give_proxy,
                                                                        audit_events):
    ann, bob = people(2)
    assembly = convened()
    give_proxy(assembly, ann, bob)
    [proxy] = _active(db, assembly)
    assert (proxy.grantor_id, proxy.holder_id) == (ann.member.id, bob.member.id)
    assert ops.registration_of(assembly, ann.member.id).mode == "proxy"
    situation = session_queries.member_situation(assembly, bob.member.id)
    assert [held.grantor.id for held in situation.held] == [ann.member.id]
    assert not situation.held[0].suspended
    mine = session_queries.member_situation(assembly, ann.member.id)
    assert mine.holder.id == bob.member.id
    [entry] = audit_events("assembly.proxy_given")
    assert entry.data["grantor"] == ann.member.id and entry.data["holder"] == bob.member.id


def test_a_holder_carries_at_most_the_configured_number(db, convened, people, give_proxy):
    ann, bob, cleo, dirk, eva = people(5)
    assembly = convened()  # default: one proxy per holder
    give_proxy(assembly, ann, bob)
    with pytest.raises(Conflict) as refused:
        give_proxy(assembly, cleo, bob)
    assert "already carries 1 proxies" in str(refused.value)
    generous = convened(max_proxies_per_holder=2)
    give_proxy(generous, ann, dirk)
    give_proxy(generous, cleo, dirk)
    with pytest.raises(Conflict):
        give_proxy(generous, eva, dirk)
    closed = convened(max_proxies_per_holder=0)
    with pytest.raises(Conflict) as refused:
        give_proxy(closed, ann, bob)
    assert "does not accept proxies" in str(refused.value)


def test_no_chains(db, convened, people, give_proxy):
    ann, bob, cleo = people(3)
    assembly = convened(max_proxies_per_holder=3)
    give_proxy(assembly, ann, bob)
    # the holder cannot give a proxy
    with pytest.raises(Conflict) as refused:
        give_proxy(assembly, bob, cleo)
    assert "who carries a proxy cannot give one" in str(refused.value)
    # a grantor cannot hold one
    with pytest.raises(Conflict) as refused:
        give_proxy(assembly, cleo, ann)
    assert "cannot be passed on" in str(refused.value)
    with pytest.raises(Conflict):
        give_proxy(assembly, ann, ann)
    assert len(_active(db, assembly)) == 1


def test_a_proxy_goes_only_to_a_member_on_the_roll(db, convened, people, give_proxy, fr, roll_account):
    [ann] = people(1)
    assembly = convened()
    french = roll_account(fr)
    with pytest.raises(Conflict) as refused:
        give_proxy(assembly, ann, french)
    assert "not on the assembly's roll" in str(refused.value)


def test_revocation_before_and_after_the_deadline(db, convened, people, give_proxy, audit_events):
    ann, bob, cleo = people(3)
    deadline = utcnow() + dt.timedelta(days=5)
    assembly = convened(proxy_deadline=deadline)
    give_proxy(assembly, ann, bob)
    # before the deadline: revoked (the history stays)
    ops.revoke_proxy(assembly, ann.member, actor=ann)
    assert _active(db, assembly) == []
    assert db.session.query(Proxy).filter_by(assembly_id=assembly.id).one().revoked_dt is not None
    assert ops.registration_of(assembly, ann.member.id) is None
    assert [e.data["reason"] for e in audit_events("assembly.proxy_revoked")] == ["withdrawn"]
    # given again, to someone else: the first is revoked in passing
    give_proxy(assembly, ann, bob)
    give_proxy(assembly, ann, cleo)
    [proxy] = _active(db, assembly)
    assert proxy.holder_id == cleo.member.id
    # after the deadline: refused, and nothing changes
    late = deadline + dt.timedelta(minutes=1)
    with pytest.raises(Conflict) as refused:
        ops.revoke_proxy(assembly, ann.member, actor=ann, now=late)
    assert "deadline" in str(refused.value)
    with pytest.raises(Conflict):
        ops.register(assembly, ann.member, "in_person", actor=ann, now=late)
    with pytest.raises(Conflict):
        give_proxy(assembly, bob, ann, now=late)
    assert [p.holder_id for p in _active(db, assembly)] == [cleo.member.id]


def test_the_same_proxy_twice_changes_nothing(db, convened, people, give_proxy, audit_events):
    ann, bob = people(2)
    assembly = convened()
    give_proxy(assembly, ann, bob)
    give_proxy(assembly, ann, bob)
    assert len(_active(db, assembly)) == 1
    assert len(audit_events("assembly.proxy_given")) == 1


def test_a_grantor_who_checks_in_suspends_the_proxy(db, convened, people, give_proxy, in_session, checked_in):
    ann, bob = people(2)
    assembly = convened()
    give_proxy(assembly, ann, bob)
    in_session(assembly)
    checked_in(assembly, bob)
    assert session_queries.attendance(assembly).represented == 1
    checked_in(assembly, ann)
    figures = session_queries.attendance(assembly)
    assert (figures.present, figures.represented, figures.total) == (2, 0, 2)
    situation = session_queries.member_situation(assembly, bob.member.id)
    assert situation.held[0].suspended
    # the grantor leaves: the proxy applies again
    ops.check_out(assembly, ann.member, actor=None, now=assembly.starts_at)
    figures = session_queries.attendance(assembly)
    assert (figures.present, figures.represented, figures.total) == (1, 1, 2)
