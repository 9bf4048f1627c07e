"""Helpers for the proposal tests: the workgroup fixtures, plus a workgroup with an author, a facilitator
and members, and proposals written through the operations."""
from __future__ import annotations

import pytest

from tests.workgroups.conftest import (  # noqa: F401  (fixtures)
    _no_second_factor_for_staff,
    admin,
    audit_events,
    be,
    fr,
    make_workgroup,
    member_account,
    membership,
    outbox,
    switch_to,
)


class Group:
    """A Belgium-only workgroup with an author, a co-author candidate, a facilitator and two members."""

    def __init__(self, workgroup, author, other, facilitator, members):
        self.workgroup, self.author, self.other, self.facilitator, self.members = (
            workgroup, author, other, facilitator, members)


@pytest.fixture
def group(be, member_account, make_workgroup):  # noqa: F811
    author, other, facilitator = member_account(be), member_account(be), member_account(be)
    members = [member_account(be) for _ in range(3)]
    workgroup = make_workgroup(title="Tools we share", branches=[be], working_languages=("en", "fr"),
                               facilitators=[facilitator], members=[author, other, *members])
    return Group(workgroup, author, other, facilitator, members)


@pytest.fixture
def mship(db):
    """``mship(workgroup, account)`` → the account's membership of the workgroup (or None)."""
    from governance.workgroups import queries

    def fetch(workgroup, account):
        return queries.membership_of(workgroup, account.member.id if account.member else None)

    return fetch


@pytest.fixture
def write(db, mship):
    """``write(group, account=None, state="draft", threshold=None, titles=…, bodies=…)`` → a proposal."""
    from governance.proposals import operations as ops
    from governance.proposals.models import ProposalState

    def factory(group, account=None, *, state: str = "draft", threshold: int | None = None, titles=None,
                bodies=None, original_language: str = "en"):
        account = account or group.author
        proposal = ops.create_proposal(
            group.workgroup, actor=account, membership=mship(group.workgroup, account),
            titles=titles or {"en": "Share the vans"}, bodies=bodies or {"en": "We share the vans.\n\nEvery week."},
            original_language=original_language, support_threshold=threshold)
        if state != "draft":
            ops.change_state(proposal, ProposalState.discussion, actor=account,
                             membership=mship(group.workgroup, account))
        if state not in ("draft", "discussion"):
            raise ValueError(state)
        return proposal

    return factory


def url(group, proposal, suffix: str = "") -> str:
    return f"/workgroups/{group.workgroup.slug}/proposals/{proposal.id}{suffix}"
