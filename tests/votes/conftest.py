"""Helpers for the ballot tests: branches, members with accounts, staff, and ballots made through the operations.

Nothing here is autouse: the pure tests of the counting methods in this folder need no application."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from tests.workgroups.conftest import (  # noqa: F401  (fixtures)
    admin,
    audit_events,
    be,
    fr,
    make_workgroup,
    member_account,
    outbox,
)

#: every language a BE or FR ballot needs (BE: nl and fr; FR: fr), plus English
TEXTS = {"en": "Shall we share the vans?", "nl": "Delen we de bestelwagens?", "fr": "Partageons-nous les camionnettes ?"}


def texts(word: str) -> dict[str, str]:
    return {"en": f"{word} (en)", "nl": f"{word} (nl)", "fr": f"{word} (fr)"}


@pytest.fixture
def ballot_email_templates(app, monkeypatch):
    """The votes blueprint (the views) serves ``governance/votes/templates``; until it is registered, the
    outbox finds the ballot emails here."""
    if "votes" in app.blueprints:
        return
    from jinja2 import ChoiceLoader, FileSystemLoader

    import governance.votes

    folder = Path(governance.votes.__file__).parent / "templates"
    monkeypatch.setattr(app.jinja_env, "loader", ChoiceLoader([app.jinja_env.loader, FileSystemLoader(folder)]))


@pytest.fixture
def now():
    from governance.core.db_types import utcnow

    return utcnow()


@pytest.fixture
def voter(db, create_member):
    """``voter(branch, **kw)`` → a register member (no account), standing in for themselves as the actor."""

    def factory(branch, **kw):
        return create_member(branch=branch, **kw)

    return factory


def as_actor(member):
    """A stand-in for the member's account (casting needs only ``member`` and ``id``)."""
    return SimpleNamespace(member=member, id=None)


@pytest.fixture
def make_ballot(db, admin, be, ballot_email_templates):
    """``make_ballot(method="yna", branches=[be], options=[…], **create_ballot kwargs)`` → a draft ballot."""
    from governance.core.db_types import utcnow
    from governance.votes import operations as ops

    def factory(*, method: str = "yna", branches=None, options=None, actor=None, questions=None, **kw):
        if options is None and method != "yna":
            options = [texts(name) for name in ("Ana", "Ben", "Cara")]
        kw.setdefault("closes_at", utcnow() + dt.timedelta(days=7))
        if method == "stv":
            kw.setdefault("seats", 2)
        if method == "approval":
            kw.setdefault("max_choices", 2)
        if kw.get("electorate_kind", "register") == "register":
            kw.setdefault("branch_ids", {b.id for b in (branches or [be])})
        return ops.create_ballot(actor=actor or admin, questions=questions or dict(TEXTS), original_language="en",
                                 method=method, options=options or (), **kw)

    return factory


@pytest.fixture
def open_ballot(db, admin):
    """``open_ballot(ballot)`` → the ballot, open (roll frozen)."""
    from governance.votes import operations as ops

    def do(ballot, **kw):
        return ops.open_ballot(ballot, actor=kw.pop("actor", admin), **kw)

    return do


@pytest.fixture
def cast(db):
    """``cast(ballot, member, choice, **kw)`` → the CastResult of the member casting their own vote."""
    from governance.votes import operations as ops

    def do(ballot, member, choice, **kw):
        return ops.cast_vote(ballot, member, choice, actor=kw.pop("actor", as_actor(member)), **kw)

    return do


@pytest.fixture
def close(db, admin):
    from governance.votes import operations as ops

    def do(ballot, **kw):
        return ops.close_ballot(ballot, actor=kw.pop("actor", admin), **kw)

    return do


@pytest.fixture
def ballot_audit(db):
    """``ballot_audit(ballot, event=None)`` → the audit entries about this ballot, oldest first."""
    from governance.core.audit import AuditEntry

    def fetch(ballot, event: str | None = None):
        query = select(AuditEntry).where(AuditEntry.object_type == "ballots",
                                         AuditEntry.object_id == str(ballot.id)).order_by(AuditEntry.seq)
        if event is not None:
            query = query.where(AuditEntry.event == event)
        return list(db.session.execute(query).scalars())

    return fetch


def option_ids(ballot) -> list[int]:
    return [o.id for o in ballot.options]
