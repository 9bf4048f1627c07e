"""Votes cast at the same moment, on PostgreSQL: one member, one vote, whatever the race; and a close racing the
votes leaves as many ballot papers as participations.

Committed data in the session's database (a rolled-back test transaction is invisible to other connections),
removed at the end. Each thread has its own application context, session and connection, as separate requests
(or processes) would. SQLite serialises every writer (immediate transactions), so these tests run on PostgreSQL
only.
"""
from __future__ import annotations

import datetime as dt
import threading
import time
from types import SimpleNamespace

import pytest
from sqlalchemy import delete, func, select

from governance.core.db_types import utcnow
from governance.extensions import db as _db


@pytest.fixture
def committed_ballot(app):
    """``committed_ballot(members=n)`` → ids of an open secret ballot whose roll holds n new members."""
    from governance.members.models import Branch, Member
    from governance.votes import roll
    from governance.votes.models import Ballot, RollEntry

    with app.app_context():
        if _db.engine.dialect.name != "postgresql":
            pytest.skip("concurrent writers: PostgreSQL only (SQLite serialises them)")
    created: list[dict] = []

    def factory(members: int) -> dict:
        with app.app_context():
            tag = f"RACE{len(created)}{utcnow().strftime('%H%M%S%f')}"
            branch = Branch(code=tag[:10], country="BE", names={"en": "Race"}, official_languages=["en"],
                            required_languages=["en"])
            people = [Member(number=f"{tag}-{n}", branch=branch, first_name="Race", last_name=str(n), language="en",
                             status="active", joined_on=dt.date(2020, 1, 1)) for n in range(members)]
            now = utcnow()
            ballot = Ballot(questions={"en": "Race?"}, original_language="en", method="yna", is_secret=True,
                            electorate_kind="register", state="open", opened_dt=now,
                            closes_at=now + dt.timedelta(hours=1), branches=[branch], roll_size=members,
                            roll_hash="0" * 64)
            _db.session.add_all([branch, *people, ballot])
            _db.session.flush()
            _db.session.add_all([RollEntry(ballot_id=ballot.id, member_id=m.id, branch_id=branch.id) for m in people])
            ballot.roll_size = members
            ballot.roll_hash = roll.roll_hash(m.id for m in people)
            _db.session.commit()
            ids = {"ballot": ballot.id, "members": [m.id for m in people], "branch": branch.id}
            _db.session.remove()
        created.append(ids)
        return ids

    yield factory
    with app.app_context():
        for ids in created:
            _db.session.execute(delete(Ballot).where(Ballot.id == ids["ballot"]))
            _db.session.execute(delete(Member).where(Member.id.in_(ids["members"])))
            _db.session.execute(delete(Branch).where(Branch.id == ids["branch"]))
        _db.session.commit()
        _db.session.remove()


def _run(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not [t for t in threads if t.is_alive()]


def _counts(app, ballot_id: int) -> tuple[int, int, int]:
    from governance.votes.models import BoxEntry, Participation, Receipt

    with app.app_context():
        counts = tuple(_db.session.execute(select(func.count()).select_from(model).where(
            model.ballot_id == ballot_id)).scalar_one() for model in (Participation, BoxEntry, Receipt))
        _db.session.remove()
    return counts


def test_many_requests_casting_for_one_member_make_one_vote(app, committed_ballot):
    from governance.members.models import Member
    from governance.votes import operations as ops
    from governance.votes.models import Ballot

    ids = committed_ballot(members=1)
    start = threading.Barrier(8)
    outcomes: list[str] = []

    def vote(n: int) -> None:
        with app.app_context():
            try:
                ballot = _db.session.get(Ballot, ids["ballot"])
                member = _db.session.get(Member, ids["members"][0])
                # the member in one tab, proxy holders and tellers in others: all for the same member
                actor = SimpleNamespace(member=member, id=None) if n % 2 else SimpleNamespace(member=None, id=None)
                channel = "web" if n % 2 else "proxy"
                start.wait(20)
                ops.cast_vote(ballot, member, ("yes", "no")[n % 2], actor=actor, channel=channel)
                _db.session.commit()
                outcomes.append("cast")
            except ops.AlreadyVoted:
                _db.session.rollback()
                outcomes.append("refused")
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                _db.session.rollback()
                outcomes.append(repr(exc))
            finally:
                _db.session.remove()

    _run([threading.Thread(target=vote, args=(n,)) for n in range(8)])
    assert sorted(outcomes) == ["cast"] + ["refused"] * 7
    assert _counts(app, ids["ballot"]) == (1, 1, 1)


def test_a_close_racing_the_votes_counts_each_paper_once(app, committed_ballot):
    from governance.members.models import Member
    from governance.votes import operations as ops
    from governance.votes.models import Ballot

    # at most 13 connections at once: the engine's pool holds 15
    ids = committed_ballot(members=12)
    start = threading.Barrier(13)
    outcomes: list[str] = []

    def vote(member_id: int, delay: float) -> None:
        with app.app_context():
            try:
                ballot = _db.session.get(Ballot, ids["ballot"])
                member = _db.session.get(Member, member_id)
                start.wait(20)
                time.sleep(delay)  # votes keep arriving while the ballot closes
                ops.cast_vote(ballot, member, "yes", actor=SimpleNamespace(member=member, id=None))
                _db.session.commit()
                outcomes.append("cast")
            except ops.BallotNotOpen:
                _db.session.rollback()
                outcomes.append("closed")
            except Exception as exc:  # noqa: BLE001
                _db.session.rollback()
                outcomes.append(repr(exc))
            finally:
                _db.session.remove()

    closed: list[object] = []

    def close() -> None:
        with app.app_context():
            try:
                ballot = _db.session.get(Ballot, ids["ballot"])
                start.wait(20)
                time.sleep(0.1)  # about half the votes come before, half during or after the close
                ops.close_ballot(ballot, actor=None, now=ballot.closes_at)
                _db.session.commit()
                closed.append(ballot.result["participations"])
            except Exception as exc:  # noqa: BLE001
                _db.session.rollback()
                closed.append(repr(exc))
            finally:
                _db.session.remove()

    _run([threading.Thread(target=vote, args=(member_id, n * 0.02)) for n, member_id in enumerate(ids["members"])]
         + [threading.Thread(target=close)])
    assert set(outcomes) <= {"cast", "closed"}, outcomes
    cast = outcomes.count("cast")
    participations, papers, receipts = _counts(app, ids["ballot"])
    assert participations == papers == receipts == cast
    # the stored result counted exactly the papers in the box
    assert closed == [cast]
