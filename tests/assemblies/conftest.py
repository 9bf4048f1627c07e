"""Helpers for the assembly tests (both halves: convocation and session).

- ``make_assembly(branch=be, days=30, kind="ordinary", **create_assembly kwargs)`` → a draft, titles in en/nl/fr/de,
  starting ``days`` days from now at 10:00 in the branch's time zone (``branch=None``: the whole cooperative).
- ``add_item(assembly, kind="information", **kw)`` and ``add_resolution(assembly, majority="simple",
  quorum="none", statute=False, **kw)`` → agenda items with texts in every language.
- ``roll_member(branch, consent=True, language="en", **kw)`` → a register member (email consent dated unless
  ``consent=False``); ``roll_account(branch, **kw)`` → an account linked to such a member.
- ``convene(assembly, now=None)`` → the assembly convened through ``send_convocation`` (returns the counts).
- ``board(branch)`` → an account with the board member role in the branch.
- ``force_state(assembly, "in_session" | "closed", quorum_missed=False)`` → moves the assembly through the
  model's transitions (the session operations do it for real).
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.workgroups.conftest import (  # noqa: F401  (fixtures)
    _no_second_factor_for_staff,
    admin,
    audit_events,
    be,
    fr,
    member_account,
    outbox,
    page_text,
    switch_to,
)

LANGUAGES = ("en", "nl", "fr", "de")


def texts(word: str, languages=LANGUAGES) -> dict[str, str]:
    """``{"en": "word (en)", "nl": "word (nl)", …}``."""
    return {code: f"{word} ({code})" for code in languages}


def local_time(branch_or_zone, days: int, hour: int = 10, minute: int = 0, *, now=None) -> dt.datetime:
    """``days`` calendar days from today, at hour:minute in the branch's (or zone's) time zone, as UTC."""
    zone = ZoneInfo(branch_or_zone if isinstance(branch_or_zone, str) else
                    (branch_or_zone.timezone if branch_or_zone is not None else "Europe/Brussels"))
    from governance.core.db_types import utcnow

    today = (now or utcnow()).astimezone(zone).date() + dt.timedelta(days=days)
    return dt.datetime(today.year, today.month, today.day, hour, minute, tzinfo=zone).astimezone(dt.timezone.utc)


@pytest.fixture
def now():
    from governance.core.db_types import utcnow

    return utcnow()


@pytest.fixture
def make_assembly(db, admin, be):
    from governance.assemblies import operations as ops

    default = object()

    def factory(branch=default, *, days: int = 30, actor=None, titles=None, original_language: str = "en",
                place: str | None = "Maison de la Coopération, Rue de l'Exemple 1, Bruxelles", **kw):
        branch = be if branch is default else branch
        kw.setdefault("starts_at", local_time(branch, days))
        kw.setdefault("descriptions", texts("About the assembly"))
        return ops.create_assembly(actor=actor or admin, branch=branch, titles=titles or texts("General assembly"),
                                   original_language=original_language, place=place, **kw)

    return factory


@pytest.fixture
def add_item(db, admin):
    from governance.assemblies import operations as ops

    def factory(assembly, kind: str = "information", *, actor=None, title: str = "Item", **kw):
        kw.setdefault("titles", texts(title))
        kw.setdefault("texts", texts(f"{title} text"))
        kw.setdefault("original_language", "en")
        return ops.add_agenda_item(assembly, actor=actor or admin, kind=kind, **kw)

    return factory


@pytest.fixture
def add_resolution(add_item):
    def factory(assembly, *, majority: str = "simple", quorum: str = "none", statute: bool = False,
                title: str = "Resolution", **kw):
        kw.setdefault("resolution_texts", texts(f"{title}: the assembly resolves"))
        if statute:
            kw.setdefault("resolution_kind", "statute_change")
            kw.setdefault("current_texts", texts("Article 5: the old text"))
            kw.setdefault("new_texts", texts("Article 5: the new text"))
        return add_item(assembly, "resolution", title=title, majority=majority, quorum=quorum, **kw)

    return factory


@pytest.fixture
def roll_member(db, create_member):
    from governance.core.db_types import utcnow

    def factory(branch, *, consent: bool = True, **kw):
        if consent:
            kw.setdefault("email_consent_dt", utcnow() - dt.timedelta(days=100))
        return create_member(branch=branch, **kw)

    return factory


@pytest.fixture
def roll_account(db, roll_member, create_account):
    def factory(branch, *, language: str = "en", roles=(), consent: bool = True, **kw):
        member = roll_member(branch, consent=consent, language=language, **kw)
        return create_account(member=member, language=language, roles=roles, display_name=member.full_name)

    return factory


@pytest.fixture
def board(db, create_account):
    def factory(branch, **kw):
        return create_account(roles=[("board_member", branch)], **kw)

    return factory


@pytest.fixture
def convene(db, admin):
    from governance.assemblies import operations as ops

    def do(assembly, *, now=None, actor=None):
        return ops.send_convocation(assembly, actor=actor or admin, now=now)

    return do


@pytest.fixture
def force_state(db):
    from governance.core.db_types import utcnow

    def do(assembly, state: str, *, quorum_missed: bool = False):
        now = utcnow()
        if assembly.is_draft:
            assembly.mark_convened(now)
        if state in ("in_session", "closed", "minutes_approved") and assembly.is_convened:
            assembly.open_session(now)
        if state in ("closed", "minutes_approved") and assembly.is_in_session:
            assembly.close(now, quorum_missed=quorum_missed)
        if state == "minutes_approved":
            assembly.approve_minutes(now)
        db.session.flush()
        return assembly

    return do


@pytest.fixture
def deliveries(db):
    """``deliveries(assembly)`` → {member id: ConvocationDelivery}, fresh from the database."""
    from governance.assemblies.models import ConvocationDelivery

    def fetch(assembly):
        db.session.expire_all()
        return {d.member_id: d for d in db.session.execute(
            select(ConvocationDelivery).where(ConvocationDelivery.assembly_id == assembly.id)).scalars()}

    return fetch
