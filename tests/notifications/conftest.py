"""Helpers for the notification tests: the workgroup and proposal fixtures, and reading notifications."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.proposals.conftest import group, mship, write  # noqa: F401  (fixtures)
from tests.workgroups.conftest import (  # noqa: F401  (fixtures)
    _no_second_factor_for_staff,
    admin,
    be,
    fr,
    make_workgroup,
    member_account,
    membership,
    outbox,
    switch_to,
)


@pytest.fixture
def notes(db):
    """``notes(account)`` → the account's notifications, oldest first (fresh from the database)."""
    from governance.notifications.models import Notification

    def fetch(account, kind: str | None = None):
        db.session.expire_all()
        query = select(Notification).where(Notification.account_id == account.id)
        if kind is not None:
            query = query.where(Notification.kind == kind)
        return list(db.session.execute(query.order_by(Notification.id)).scalars())

    return fetch


@pytest.fixture
def kinds(notes):
    """``kinds(account)`` → the kinds of the account's notifications, oldest first."""

    def fetch(account):
        return [n.kind for n in notes(account)]

    return fetch


@pytest.fixture
def follow(db):
    """``follow(account, workgroup=…)`` or ``follow(account, proposal=…)``: a follow written through the operation."""
    from governance.proposals import operations as proposal_ops
    from governance.workgroups import operations as workgroup_ops

    def do(account, *, workgroup=None, proposal=None):
        if workgroup is not None:
            return workgroup_ops.follow_workgroup(workgroup, actor=account)
        return proposal_ops.follow_proposal(proposal, actor=account)

    return do


@pytest.fixture
def comment(mship):  # noqa: F811
    """``comment(group, proposal, account, body, parent=None)`` → a comment written through the operation."""
    from governance.proposals import operations as ops

    def do(group, proposal, account, body="A comment", parent=None):  # noqa: F811
        return ops.add_comment(proposal, body, actor=account, membership=mship(group.workgroup, account),
                               parent=parent)

    return do


@pytest.fixture
def move(mship):  # noqa: F811
    """``move(group, proposal, target, account)``: a change of state through the operation."""
    from governance.proposals import operations as ops
    from governance.proposals.models import ProposalState

    def do(group, proposal, target: str, account):  # noqa: F811
        ops.change_state(proposal, ProposalState(target), actor=account, membership=mship(group.workgroup, account))

    return do
