"""Fixtures and helpers for the tests of the ballot pages (imported by ``tests/votes/test_views_*.py``).

A Belgian ballot (BE requires nl and fr) with voters who have accounts; the members' accounts sign in through
the real sign-in form; staff sign in with a password only (the second factor is tested with the accounts)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.conftest import TEST_PASSWORD
from tests.votes.conftest import (  # noqa: F401  (fixtures)
    TEXTS,
    admin,
    ballot_email_templates,
    be,
    close,
    fr,
    make_ballot,
    make_workgroup,
    member_account,
    open_ballot,
    texts,
)
from tests.workgroups.conftest import _no_second_factor_for_staff, page_text, switch_to  # noqa: F401


@pytest.fixture
def voters(be, member_account):
    """Three Belgian members with accounts (they are on the roll of a Belgian ballot opened after them)."""
    return [member_account(be, language="en") for _ in range(3)]


@pytest.fixture
def open_yna(make_ballot, open_ballot, voters):
    """An open secret yes/no/abstain ballot of the Belgian members."""
    return open_ballot(make_ballot())


def count(db, model, **where) -> int:
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.execute(query).scalar_one()


def receipt_in(text: str) -> str | None:
    """The receipt code shown on a page, if any."""
    found = re.search(r'class="receipt-code"><code>([0-9A-Z]+)</code>', text)
    return found.group(1) if found else None


def sign_in_as(client, account) -> None:
    client.post("/account/sign-out")
    response = client.post("/account/sign-in", data={"email": account.email, "password": TEST_PASSWORD})
    assert response.status_code == 302, response.data[:500]


__all__ = ["TEXTS", "count", "page_text", "receipt_in", "sign_in_as", "texts"]
