"""Fixtures of the session's tests (registration, proxies, check-in, votes, minutes). Import them in a test module:
``from tests.assemblies.session_fixtures import *  # noqa: F401,F403``.

- ``convened(**make_assembly kwargs)`` → an assembly of Belgium (in the room and online) with one resolution,
  convened through the real convocation; ``convened.day(assembly)`` is its starting time (the session's "now").
- ``people(n, branch=be)`` → ``n`` accounts linked to members on the roll.
- ``give_role(assembly, role, account)`` → the account (or its member) gets the role at the assembly.
- ``in_session(assembly)`` → the session opened (by the system) on the assembly's day.
- ``checked_in(assembly, *accounts, mode="room")`` → those members checked in by the system.
"""
from __future__ import annotations

import pytest

from tests.assemblies.conftest import local_time

ONLINE_URL = "https://meet.example.org/general-assembly"


@pytest.fixture
def convened(db, make_assembly, add_resolution, convene, be):
    from governance.core.db_types import utcnow

    def factory(branch=None, *, resolutions=1, majority="simple", quorum="none", **kw):
        branch = branch or be
        kw.setdefault("online_url", ONLINE_URL)
        kw.setdefault("days", 20)
        assembly = make_assembly(branch, **kw)
        for n in range(resolutions):
            add_resolution(assembly, majority=majority, quorum=quorum, title=f"Resolution {n + 1}")
        convene(assembly, now=utcnow())
        return assembly

    factory.day = lambda assembly: assembly.starts_at
    return factory


@pytest.fixture
def people(db, roll_account, be):
    def factory(n: int, branch=None, **kw):
        return [roll_account(branch or be, **kw) for _ in range(n)]

    return factory


@pytest.fixture
def give_role(db, admin):
    from governance.assemblies import operations as ops

    def do(assembly, role: str, account):
        if account.member is not None:
            return ops.add_role(assembly, actor=admin, role=role, member=account.member)
        return ops.add_role(assembly, actor=admin, role=role, account=account)

    return do


@pytest.fixture
def in_session(db):
    from governance.assemblies import session as ops

    def do(assembly):
        return ops.open_session(assembly, actor=None, now=assembly.starts_at)

    return do


@pytest.fixture
def checked_in(db):
    from governance.assemblies import session as ops

    def do(assembly, *accounts, mode: str = "room"):
        return [ops.check_in(assembly, account.member, mode=mode, actor=None, now=assembly.starts_at)
                for account in accounts]

    return do


@pytest.fixture
def give_proxy(db):
    from governance.assemblies import session as ops

    def do(assembly, grantor, holder, *, now=None):
        return ops.register(assembly, grantor.member, "proxy", holder=holder.member, actor=grantor, now=now)

    return do


__all__ = ["ONLINE_URL", "checked_in", "convened", "give_proxy", "give_role", "in_session", "local_time", "people"]
