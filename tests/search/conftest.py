"""Helpers for the search tests: the proposal fixtures, comments written through the operations, and
``find(text, account, …)`` → the (kind, object id, language) of each hit, best first."""
from __future__ import annotations

import pytest

from tests.proposals.conftest import group, mship, write  # noqa: F401  (fixtures)
from tests.workgroups.conftest import (  # noqa: F401  (fixtures)
    _no_second_factor_for_staff,
    admin,
    be,
    fr,
    make_workgroup,
    member_account,
    membership,
    switch_to,
)


@pytest.fixture
def dialect(db) -> str:
    return db.session.get_bind().dialect.name


@pytest.fixture
def comment(mship):  # noqa: F811
    """``comment(group, proposal, account, body, parent=None)`` → a comment written through the operation."""
    from governance.proposals import operations as ops

    def add(group, proposal, account, body="A comment", parent=None):  # noqa: F811
        return ops.add_comment(proposal, body, actor=account, membership=mship(group.workgroup, account),
                               parent=parent)

    return add


@pytest.fixture
def find(db):
    from governance.search.queries import search

    def run(text, account, **kw):
        return [(hit.kind, hit.object_id, hit.language) for hit in search(text, account=account, **kw).items]

    return run


@pytest.fixture
def entries(db):
    """``entries(kind, object_id)`` → {language: (title, text)} as indexed."""
    from sqlalchemy import select

    from governance.search.models import SearchEntry

    def fetch(kind, object_id):
        rows = db.session.execute(select(SearchEntry).where(SearchEntry.kind == kind,
                                                            SearchEntry.object_id == object_id)).scalars()
        return {row.language: (row.title, row.text) for row in rows}

    return fetch
