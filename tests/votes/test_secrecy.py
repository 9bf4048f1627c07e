"""Secret ballots: nothing links a voter to a choice — not the box's columns, nor its row order after close, nor
the receipts; published lists never pair a receipt with a choice."""
from __future__ import annotations

import itertools
import random

import pytest
from sqlalchemy import DateTime, Integer, inspect, select, text
from sqlalchemy.exc import DatabaseError

from governance.votes import exports, operations as ops
from governance.votes.models import BoxEntry, Participation, Receipt
from tests.votes.conftest import option_ids, texts


def _dialect(db) -> str:
    return db.session.get_bind().dialect.name


# --- the tables ------------------------------------------------------------------------------------
def test_the_ballot_box_holds_no_voter_no_time_and_no_sequence(db):
    inspector = inspect(db.session.connection())
    columns = {c["name"]: c for c in inspector.get_columns("ballot_box")}
    assert set(columns) == {"id", "ballot_id", "choice", "choice_key", "branch_id"}
    referred = {fk["referred_table"] for fk in inspector.get_foreign_keys("ballot_box")}
    assert referred == {"ballots", "branches"}
    assert not referred & {"members", "accounts", "ballot_participations", "ballot_roll_entries"}
    assert not [name for name, c in columns.items() if isinstance(c["type"], DateTime)]
    assert inspector.get_pk_constraint("ballot_box")["constrained_columns"] == ["id"]
    # the only integer columns are references (ballot, branch), never a sequence of the rows
    integers = {name for name, c in columns.items() if isinstance(c["type"], Integer)}
    assert integers == {"ballot_id", "branch_id"}
    assert not BoxEntry.__table__.c.ballot_id.autoincrement is True


def test_receipts_hold_only_the_ballot_and_the_code(db):
    inspector = inspect(db.session.connection())
    assert {c["name"] for c in inspector.get_columns("ballot_receipts")} == {"ballot_id", "code"}
    assert {c["name"] for c in inspector.get_columns("ballot_participations")} == {
        "ballot_id", "member_id", "cast_dt", "channel", "cast_by_id"}  # who and when, never what


@pytest.mark.parametrize("table", ["ballot_box", "ballot_receipts"])
def test_on_sqlite_box_and_receipts_have_no_rowid(db, table):
    if _dialect(db) != "sqlite":
        pytest.skip("SQLite only: PostgreSQL has no rowid")
    with pytest.raises(DatabaseError):
        with db.session.begin_nested():
            db.session.execute(text(f"SELECT rowid FROM {table}"))


# --- the order of the papers after close -----------------------------------------------------------
def _spearman(xs: list[int]) -> float:
    """Rank correlation between positions 0..n-1 and the values (a permutation of 0..n-1)."""
    n = len(xs)
    d2 = sum((i - x) ** 2 for i, x in enumerate(xs))
    return 1 - 6 * d2 / (n * (n * n - 1))


def _physical_keys(db, ballot) -> list[str]:
    if _dialect(db) == "postgresql":
        sql = "SELECT choice_key FROM ballot_box WHERE ballot_id = :id ORDER BY ctid"
    else:  # a WITHOUT ROWID table is stored as its primary-key b-tree: its physical order is that of the key
        sql = "SELECT choice_key FROM ballot_box WHERE ballot_id = :id ORDER BY id"
    return list(db.session.execute(text(sql), {"id": ballot.id}).scalars())


def test_after_close_the_box_is_not_in_the_order_of_casting(make_ballot, open_ballot, close, voter, be, cast, db):
    members = [voter(be) for _ in range(200)]
    ballot = open_ballot(make_ballot(method="schulze", options=[texts(f"Option {n}") for n in range(6)]))
    # the n-th vote cast is the n-th ranking in lexicographic order: its choice encodes when it was cast
    rankings = list(itertools.permutations(option_ids(ballot), 4))[:200]
    order = {">".join(map(str, ranking)): n for n, ranking in enumerate(rankings)}
    for member, ranking in zip(members, rankings):
        cast(ballot, member, list(ranking))
    before_ids = set(db.session.execute(select(BoxEntry.id).where(BoxEntry.ballot_id == ballot.id)).scalars())
    close(ballot)
    physical = [order[key] for key in _physical_keys(db, ballot)]
    assert sorted(physical) == list(range(200))  # every paper is there, once
    assert abs(_spearman(physical)) < 0.3
    ascending = sum(1 for a, b in zip(physical, physical[1:]) if b > a)
    assert 50 < ascending < 150  # not monotonic: about half the neighbours go up
    # new random keys: a copy taken while the ballot was open cannot be matched row by row
    after_ids = set(db.session.execute(select(BoxEntry.id).where(BoxEntry.ballot_id == ballot.id)).scalars())
    assert not before_ids & after_ids


def test_the_branch_is_kept_while_open_and_cleared_at_close(make_ballot, open_ballot, close, voter, be, cast, db):
    members = [voter(be) for _ in range(3)]
    ballot = open_ballot(make_ballot())
    for member in members:
        cast(ballot, member, "yes")
    branches = db.session.execute(select(BoxEntry.branch_id).where(BoxEntry.ballot_id == ballot.id)).scalars().all()
    assert branches == [be.id] * 3
    close(ballot)
    branches = db.session.execute(select(BoxEntry.branch_id).where(BoxEntry.ballot_id == ballot.id)).scalars().all()
    assert branches == [None] * 3


def test_annulling_an_open_ballot_rewrites_its_box_too(make_ballot, open_ballot, voter, be, cast, db, admin):
    members = [voter(be) for _ in range(3)]
    ballot = open_ballot(make_ballot())
    for member in members:
        cast(ballot, member, "no")
    ops.annul_ballot(ballot, "Wrong electorate", actor=admin)
    branches = db.session.execute(select(BoxEntry.branch_id).where(BoxEntry.ballot_id == ballot.id)).scalars().all()
    assert branches == [None] * 3


# --- receipts and published lists ------------------------------------------------------------------
def test_each_voter_gets_a_receipt_found_in_the_published_list(make_ballot, open_ballot, close, voter, be, cast, db):
    members = [voter(be) for _ in range(12)]
    ballot = open_ballot(make_ballot(method="plurality"))
    choices = [random.choice(option_ids(ballot)) for _ in members]
    receipts = [cast(ballot, member, choice).receipt for member, choice in zip(members, choices)]
    assert len(set(receipts)) == 12
    assert all(len(code) == ops.RECEIPT_LENGTH and set(code) <= set(ops.RECEIPT_ALPHABET) for code in receipts)
    close(ballot)
    published = exports.receipt_codes(ballot)
    assert published == sorted(receipts)
    assert exports.receipts_text(ballot).split() == sorted(receipts)
    # the choices list: every paper, no receipt
    papers = exports.published_choices(ballot)
    names = exports.option_names(ballot)
    assert sorted(name for [name] in papers) == sorted(names[str(c)] for c in choices)
    choices_csv, choices_json = exports.choices_csv(ballot), exports.choices_json(ballot)
    assert not [code for code in receipts if code in choices_csv or code in choices_json]
    # nothing in the database pairs a receipt with a voter or a choice
    assert {c.name for c in Receipt.__table__.columns} == {"ballot_id", "code"}
    assert db.session.execute(select(Participation).where(Participation.ballot_id == ballot.id)).scalars().all()


def test_receipts_are_rewritten_in_sorted_order_at_close(make_ballot, open_ballot, close, voter, be, cast, db):
    members = [voter(be) for _ in range(30)]
    ballot = open_ballot(make_ballot())
    for member in members:
        cast(ballot, member, "yes")
    close(ballot)
    if _dialect(db) == "postgresql":
        sql = "SELECT code FROM ballot_receipts WHERE ballot_id = :id ORDER BY ctid"
    else:
        sql = "SELECT code FROM ballot_receipts WHERE ballot_id = :id ORDER BY ballot_id, code"
    physical = list(db.session.execute(text(sql), {"id": ballot.id}).scalars())
    assert physical == sorted(physical)


def test_a_secret_vote_cannot_be_changed(make_ballot, open_ballot, voter, be, cast):
    member = voter(be)
    ballot = open_ballot(make_ballot())
    cast(ballot, member, "yes")
    with pytest.raises(ops.AlreadyVoted):
        cast(ballot, member, "no")


def test_choices_stay_hidden_until_close(make_ballot, open_ballot, voter, be, cast, admin):
    from governance.votes import permissions, queries

    member = voter(be)
    ballot = open_ballot(make_ballot())
    cast(ballot, member, "yes")
    assert queries.turnout(ballot).participations == 1  # turnout is live
    assert queries.result(ballot) is None and not permissions.can_see_results(admin, ballot)
    assert queries.my_open_vote(ballot, member.id) is None
    with pytest.raises(ops.Conflict):
        exports.published_choices(ballot)
