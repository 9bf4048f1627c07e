"""Fixtures for the board election tests (reused by the views, paper-ballot and constraint tests).

Time: every election here is laid out around ``clock.now`` (a fixed, aware UTC moment, the "now" of the test):

- ``clock`` → ``SimpleNamespace(now, call_opens, deadline, voting_opens, voting_closes, during_call, after_deadline,
  during_vote, after_close)``: the default timeline of :func:`make_election` (call opened a day ago, deadline in
  10 days, voting from day 12 to day 20) and moments inside each phase.

Also: ``ops`` (the operations module), and ``election_email_templates`` (autouse: the outbox finds the
``email/election_*.txt`` templates even while the elections blueprint is not registered).

Boards and mandates:

- ``be_board`` → the board of branch BE (5 seats, 3-year terms); ``group_board`` → the group's board (7 seats);
- ``board_with_mandates`` → ``SimpleNamespace(board, expiring, later, coopted, past, members)``: the BE board
  with three current mandates (``expiring`` ends within the warning period, ``later`` in two years,
  ``coopted`` a co-option ending in a year) and one ``past`` mandate (ended by resignation);
- ``be_secretary`` → an account with the secretary role in BE (told of expiring mandates);
  ``be_board_member`` → an account with the board member role in BE (manages the BE board only).

Elections and candidates:

- ``make_election(board=be_board, actor=admin, **create_election kwargs)`` → a draft on the ``clock``
  timeline, titles in en/nl/fr/de, 2 seats, STV;
- ``stand(election, last_name="…", first_name="…", branch=be, gender=None, accept=True, **kw)`` → the
  candidacy of a new member (with an account, who submits it themselves during the call); reviewed (accepted,
  or refused with a reason when ``accept=False``; ``accept=None`` leaves it submitted); the candidate's account is
  ``candidacy.account``;
- ``election_in_state(state, *, candidates=CANDIDATES, electorate=0, **make_election kwargs)`` →
  ``SimpleNamespace(election, candidacies, ballot, voters)`` with an election brought to ``state`` ("draft",
  "call_open", "list_frozen", "voting", "counted", "confirmed", "cancelled") through the operations; its
  candidates are Ada Lovelace, Élodie Dupont and Zoë Zimmermann (accepted), so the ballot, once frozen with the
  letter drawn by ``random.Random(7)``, holds them in a known order;
  ``electorate=n`` adds n voters (members of BE with accounts, in ``.voters``) before the list is frozen, so
  they are on the roll when voting opens (cast with ``governance.votes.operations.cast_vote``);
- ``voters(n, branch=be)`` → n more members with accounts (create them before voting opens).
"""
from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.workgroups.conftest import (  # noqa: F401  (fixtures)
    _no_second_factor_for_staff,
    admin,
    audit_events,
    be,
    fr,
    member_account,
    outbox,
)

LANGUAGES = ("en", "nl", "fr", "de")
CANDIDATES = (("Lovelace", "Ada"), ("Dupont", "Élodie"), ("Zimmermann", "Zoë"))


def texts(word: str, languages=LANGUAGES) -> dict[str, str]:
    return {code: f"{word} ({code})" for code in languages}


@pytest.fixture(autouse=True)
def election_email_templates(app, monkeypatch):
    """The elections blueprint serves ``governance/elections/templates`` (``email/election_*.txt``); until it is
    registered, the outbox finds the election emails here."""
    if "elections" in app.blueprints:
        return
    from jinja2 import ChoiceLoader, FileSystemLoader

    import governance.elections

    folder = Path(governance.elections.__file__).parent / "templates"
    monkeypatch.setattr(app.jinja_env, "loader", ChoiceLoader([app.jinja_env.loader, FileSystemLoader(folder)]))


@pytest.fixture
def ops(app):
    from governance.elections import operations

    return operations


@pytest.fixture
def clock():
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    call_opens = now - dt.timedelta(days=1)
    deadline = now + dt.timedelta(days=10)
    voting_opens = now + dt.timedelta(days=12)
    voting_closes = now + dt.timedelta(days=20)
    return SimpleNamespace(now=now, call_opens=call_opens, deadline=deadline, voting_opens=voting_opens,
                           voting_closes=voting_closes, during_call=now,
                           after_deadline=deadline + dt.timedelta(hours=1),
                           during_vote=voting_opens + dt.timedelta(hours=1),
                           after_close=voting_closes + dt.timedelta(hours=1))


@pytest.fixture
def be_board(db, ops, admin, be):
    return ops.create_board(actor=admin, branch=be, seats=5, term_years=3)


@pytest.fixture
def group_board(db, ops, admin):
    return ops.create_board(actor=admin, branch=None, seats=7, term_years=3)


@pytest.fixture
def be_secretary(create_account, be):
    return create_account(roles=[("secretary", be)], display_name="Sue Secretary", language="fr")


@pytest.fixture
def be_board_member(member_account, be):
    return member_account(be, roles=[("board_member", be)], first_name="Bo", last_name="Board")


@pytest.fixture
def board_with_mandates(db, ops, admin, be_board, create_member, be):
    today = dt.date.today()
    members = [create_member(branch=be, first_name=first, last_name=last)
               for first, last in (("Ann", "Expiring"), ("Ben", "Later"), ("Cas", "Coopted"), ("Dee", "Past"))]
    expiring = ops.add_mandate(be_board, members[0], actor=admin, starts_on=today - dt.timedelta(days=900),
                               ends_on=today + dt.timedelta(days=60), origin="appointment")
    later = ops.add_mandate(be_board, members[1], actor=admin, starts_on=today - dt.timedelta(days=300),
                            ends_on=today + dt.timedelta(days=730), origin="appointment")
    coopted = ops.add_mandate(be_board, members[2], actor=admin, starts_on=today - dt.timedelta(days=30),
                              ends_on=today + dt.timedelta(days=365), origin="cooption", note="Replaces Dee")
    past = ops.add_mandate(be_board, members[3], actor=admin, starts_on=today - dt.timedelta(days=800),
                           ends_on=today + dt.timedelta(days=300), origin="appointment")
    ops.end_mandate(past, actor=admin, ended_on=today - dt.timedelta(days=40), reason="resignation")
    return SimpleNamespace(board=be_board, expiring=expiring, later=later, coopted=coopted, past=past,
                           members=members)


@pytest.fixture
def make_election(db, ops, admin, be_board, clock):
    default = object()

    def factory(board=default, *, actor=None, **kw):
        board = be_board if board is default else board
        kw.setdefault("titles", texts("Board election"))
        kw.setdefault("original_language", "en")
        kw.setdefault("seats", 2)
        kw.setdefault("candidacy_opens_at", clock.call_opens)
        kw.setdefault("candidacy_deadline", clock.deadline)
        kw.setdefault("voting_opens_at", clock.voting_opens)
        kw.setdefault("voting_closes_at", clock.voting_closes)
        kw.setdefault("term_starts_on", clock.voting_closes.date() + dt.timedelta(days=10))
        kw.setdefault("term_ends_on", clock.voting_closes.date() + dt.timedelta(days=10 + 3 * 365))
        return ops.create_election(board, actor=actor or admin, **kw)

    return factory


@pytest.fixture
def stand(db, ops, admin, member_account, be, clock):
    def factory(election, last_name: str = "Candidate", first_name: str = "Cand", *, branch=None, gender=None,
                accept: bool | None = True, now=None, joined_on=dt.date(2015, 1, 1), declares_employee=False,
                **kw):
        account = member_account(branch or be, first_name=first_name, last_name=last_name, joined_on=joined_on,
                                 **kw)
        candidacy = ops.submit_candidacy(
            election, account.member, actor=account, statements={"en": f"I am {first_name} {last_name}."},
            profiles={"en": "Baker."}, original_language="en", gender=gender, declares_employee=declares_employee,
            now=now or clock.during_call)
        if accept is not None:
            ops.review_candidacy(candidacy, actor=admin, accept=accept,
                                 reason=None if accept else "Not a member long enough.", now=now or clock.during_call)
        candidacy.account = account
        return candidacy

    return factory


@pytest.fixture
def voters(db, member_account, be):
    def factory(n: int, branch=None):
        return [member_account(branch or be, first_name="Voter", last_name=f"V{i}") for i in range(n)]

    return factory


@pytest.fixture
def election_in_state(db, ops, admin, make_election, stand, clock):
    def factory(state: str, *, candidates=CANDIDATES, electorate: int = 0, **kw):
        election = make_election(**kw)
        result = SimpleNamespace(election=election, candidacies=[], ballot=None, voters=[])
        if state == "draft":
            return result
        if state == "cancelled":
            ops.cancel_election(election, "Postponed", actor=admin, now=clock.now)
            return result
        ops.open_call(election, actor=admin, now=clock.now)
        result.candidacies = [stand(election, last, first) for last, first in candidates]
        if state == "call_open":
            return result
        if electorate:
            result.voters = _make_voters(db, electorate)
        result.ballot = ops.freeze_list(election, actor=admin, now=clock.after_deadline, rng=random.Random(7))
        if state == "list_frozen":
            return result
        ops.open_voting(election, actor=admin, now=clock.during_vote)
        if state == "voting":
            return result
        from governance.votes import operations as vote_ops

        vote_ops.close_ballot(result.ballot, actor=admin, now=clock.after_close)
        if state == "counted":
            return result
        ops.confirm_result(election, actor=admin, now=clock.after_close)
        assert state == "confirmed", state
        return result

    return factory


def _make_voters(db, n: int):
    """n members (with accounts) in branch BE, for ``election_in_state(…, electorate=n)``."""
    from sqlalchemy import select

    from governance.accounts import operations as account_ops
    from governance.members.models import Branch, Member

    be = db.session.execute(select(Branch).where(Branch.code == "BE")).scalar_one()
    accounts = []
    for i in range(n):
        member = Member(number=f"EV-{i:05d}", branch=be, first_name="Voter", last_name=f"V{i}",
                        email=f"voter{i}@example.org", language="en", status="active", joined_on=dt.date(2019, 1, 1))
        db.session.add(member)
        db.session.flush()
        accounts.append(account_ops.create_account(email=f"voter{i}@example.org", display_name=f"Voter {i}",
                                                   password="correct horse battery staple", language="en",
                                                   member=member))
    return accounts
