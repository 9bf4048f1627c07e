"""Helpers for the workgroup tests: branches BE and FR, members with accounts, staff, workgroups."""
from __future__ import annotations

import pytest
from sqlalchemy import select


@pytest.fixture(autouse=True)
def _no_second_factor_for_staff(app, monkeypatch):
    """Staff sign in with a password only here: the second factor is tested with the accounts."""
    monkeypatch.setitem(app.config, "TOTP_REQUIRED_ROLES", ())


@pytest.fixture
def be(create_branch):
    return create_branch("BE")


@pytest.fixture
def fr(create_branch):
    return create_branch("FR")


@pytest.fixture
def member_account(create_member, create_account):
    """``member_account(branch, language=…, roles=…, status=…)`` → an account linked to a new register member."""

    def factory(branch, *, language: str = "en", roles=(), status: str = "active", **kw):
        member = create_member(branch=branch, language=language, status=status, **kw)
        return create_account(member=member, language=language, roles=roles, display_name=member.full_name)

    return factory


@pytest.fixture
def admin(create_account):
    return create_account(roles=["admin"], display_name="Sam Admin")


@pytest.fixture
def make_workgroup(db, admin):
    """``make_workgroup(branches=[be], joining="moderated", facilitators=[account], members=[account])``."""
    from governance.core.db_types import utcnow
    from governance.workgroups import operations as ops
    from governance.workgroups.models import (
        MembershipRole,
        MembershipStatus,
        WorkgroupMembership,
    )

    def factory(*, title: str = "Tools we share", titles=None, descriptions=None, original_language: str = "en",
                branches=None, joining: str = "open", theme: str = "tools", working_languages=("en",),
                facilitators=(), members=(), pending=()):
        workgroup = ops.create_workgroup(
            actor=admin, titles=titles or {original_language: title},
            descriptions=descriptions or {original_language: f"About *{title}*."},
            original_language=original_language, working_languages=list(working_languages), theme=theme,
            joining=joining, branch_ids=None if branches is None else {b.id for b in branches})
        for accounts, role, status in ((facilitators, "facilitator", "active"), (members, "member", "active"),
                                       (pending, "member", "pending")):
            for account in accounts:
                db.session.add(WorkgroupMembership(
                    workgroup=workgroup, member=account.member, role=MembershipRole(role).value,
                    status=MembershipStatus(status).value, joined_dt=utcnow() if status == "active" else None))
        db.session.flush()
        return workgroup

    return factory


@pytest.fixture
def membership(db):
    """``membership(workgroup, account)`` → the account's membership row, or None (fresh from the database)."""
    from governance.workgroups.models import WorkgroupMembership

    def fetch(workgroup, account):
        db.session.expire_all()
        return db.session.execute(select(WorkgroupMembership).where(
            WorkgroupMembership.workgroup_id == workgroup.id,
            WorkgroupMembership.member_id == account.member.id)).scalar_one_or_none()

    return fetch


@pytest.fixture
def audit_events(db):
    from governance.core.audit import AuditEntry

    def fetch(prefix: str = "workgroup."):
        return list(db.session.execute(
            select(AuditEntry).where(AuditEntry.event.startswith(prefix)).order_by(AuditEntry.seq)).scalars())

    return fetch


@pytest.fixture
def outbox(db):
    from governance.core.outbox import OutboxMessage

    def fetch(to_address: str | None = None):
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if to_address is not None:
            query = query.where(OutboxMessage.to_address == to_address)
        return list(db.session.execute(query).scalars())

    return fetch


@pytest.fixture
def switch_to(client):
    """Sign out whoever is signed in, and sign in ``account``."""
    from tests.conftest import TEST_PASSWORD

    def do(account):
        client.post("/account/sign-out")
        response = client.post("/account/sign-in", data={"email": account.email, "password": TEST_PASSWORD})
        assert response.status_code == 302, response.data[:500]

    return do


def page_text(response) -> str:
    return response.get_data(as_text=True)
