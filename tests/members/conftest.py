"""Helpers for the register tests: branches BE and FR, staff accounts, and register files to import."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

HEADER = ["member_number", "branch", "first_name", "last_name", "email", "language", "status", "joined_on",
          "left_on", "shares", "share_class"]


@pytest.fixture(autouse=True)
def _no_second_factor_for_staff(app, monkeypatch):
    """Staff accounts sign in with a password only here: the second factor is tested with the accounts."""
    monkeypatch.setitem(app.config, "TOTP_REQUIRED_ROLES", ())


@pytest.fixture
def be(create_branch):
    return create_branch("BE")


@pytest.fixture
def fr(create_branch):
    return create_branch("FR")


@pytest.fixture
def admin(create_account):
    return create_account(roles=["admin"], display_name="Sam Admin")


@pytest.fixture
def secretary(create_account):
    return create_account(roles=["secretary"], display_name="Nadia Secretaris")


def make_csv(rows, *, header=HEADER, delimiter=",", encoding="utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def make_xlsx(rows, *, header=HEADER) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def row(number="BE-1", branch="BE", first="An", last="Peeters", email="an.peeters@example.org", language="nl",
        status="active", joined="2020-01-15", left="", shares="1", share_class="A") -> list:
    return [number, branch, first, last, email, language, status, joined, left, shares, share_class]


@pytest.fixture
def members_by_number(db):
    from governance.members.models import Member

    def fetch() -> dict:
        db.session.expire_all()
        return {m.number: m for m in db.session.execute(select(Member)).scalars()}

    return fetch


@pytest.fixture
def history_of(db):
    from governance.members.models import Member, MemberStatusChange

    def fetch(number: str) -> list:
        return list(db.session.execute(
            select(MemberStatusChange).join(Member).where(Member.number == number).order_by(MemberStatusChange.id)
        ).scalars())

    return fetch


@pytest.fixture
def import_events(db):
    from governance.core.audit import AuditEntry

    def fetch() -> list:
        return list(db.session.execute(
            select(AuditEntry).where(AuditEntry.event == "register.imported").order_by(AuditEntry.seq)
        ).scalars())

    return fetch
