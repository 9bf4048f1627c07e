"""Boards and mandates: creation, seats, current and past mandates, expiry warnings (idempotent), permissions."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from governance.core.errors import Conflict, InvalidInput, NotAllowed


def test_one_board_per_branch_and_one_for_the_group(ops, admin, be, be_board, group_board):
    from governance.elections import queries

    assert be_board.scope_key == f"branch:{be.id}" and group_board.scope_key == "*"
    with pytest.raises(Conflict):
        ops.create_board(actor=admin, branch=be, seats=3)
    with pytest.raises(Conflict):
        ops.create_board(actor=admin, branch=None, seats=3)
    assert queries.board_for(be).id == be_board.id
    assert queries.board_for(None).id == group_board.id
    assert [b.id for b in queries.boards_list()] == [group_board.id, be_board.id]


def test_board_numbers_are_checked(ops, admin, be_board, audit_events):
    with pytest.raises(InvalidInput):
        ops.update_board(be_board, actor=admin, seats=0, term_years=3)
    with pytest.raises(InvalidInput):
        ops.update_board(be_board, actor=admin, seats=5, term_years=0)
    ops.update_board(be_board, actor=admin, seats=9, term_years=4)
    assert (be_board.seats, be_board.term_years) == (9, 4)
    assert [e.event for e in audit_events("board.")] == ["board.created", "board.updated"]


def test_current_and_past_mandates(board_with_mandates):
    from governance.elections import queries

    bw = board_with_mandates
    today = dt.date.today()
    current = queries.current_mandates(bw.board, today)
    assert [m.member.last_name for m in current] == ["Coopted", "Expiring", "Later"]
    assert [m.origin for m in current] == ["cooption", "appointment", "appointment"]
    past = queries.past_mandates(bw.board, today)
    assert [m.id for m in past] == [bw.past.id]
    assert past[0].end_reason == "resignation" and past[0].member.first_name == "Dee"
    # on the day the first mandate reaches its term, it is past
    later_day = bw.expiring.ends_on
    assert bw.expiring.id not in {m.id for m in queries.current_mandates(bw.board, later_day)}
    assert bw.expiring.id in {m.id for m in queries.past_mandates(bw.board, later_day)}


def test_mandate_rules(ops, admin, be_board, create_member, be, fr, board_with_mandates):
    today = dt.date.today()
    member = create_member(branch=be)
    with pytest.raises(InvalidInput):
        ops.add_mandate(be_board, member, actor=admin, starts_on=today, ends_on=today, origin="cooption")
    with pytest.raises(InvalidInput):  # elected mandates come from the election's result
        ops.add_mandate(be_board, member, actor=admin, starts_on=today, ends_on=today.replace(year=today.year + 1),
                        origin="election")
    with pytest.raises(InvalidInput):  # only members of the board's branch
        ops.add_mandate(be_board, create_member(branch=fr), actor=admin, starts_on=today,
                        ends_on=today.replace(year=today.year + 1), origin="appointment")
    with pytest.raises(Conflict):
        ops.end_mandate(board_with_mandates.past, actor=admin, ended_on=today, reason="removal")
    with pytest.raises(InvalidInput):
        ops.end_mandate(board_with_mandates.later, actor=admin, ended_on=today, reason="bored")


def test_seats_expiring_counts_current_mandates_ending_by_a_date(board_with_mandates):
    from governance.elections import queries

    bw = board_with_mandates
    today = dt.date.today()
    assert queries.seats_expiring(bw.board, today + dt.timedelta(days=90)) == 1
    assert queries.seats_expiring(bw.board, today + dt.timedelta(days=400)) == 2
    assert queries.seats_expiring(bw.board, today + dt.timedelta(days=800)) == 3


def test_expiring_mandates_within_the_warning_period(board_with_mandates):
    from governance.elections import queries

    bw = board_with_mandates
    today = dt.date.today()
    assert [m.id for m in queries.expiring_mandates(today)] == [bw.expiring.id]
    assert [m.id for m in queries.expiring_mandates(today, months=13)] == [bw.expiring.id, bw.coopted.id]
    assert queries.expiring_mandates(today, boards=[]) == []


def test_warn_tells_the_secretaries_once_per_mandate(ops, board_with_mandates, be_secretary, outbox, db):
    from governance.notifications.models import Notification

    bw = board_with_mandates
    assert ops.warn_expiring_mandates() == [bw.expiring.id]
    messages = outbox(be_secretary.email)
    assert len(messages) == 1
    assert messages[0].language == "fr"
    assert "Expiring" in messages[0].subject and "Expiring" in messages[0].body_text
    notes = list(db.session.execute(select(Notification).where(Notification.account_id == be_secretary.id))
                 .scalars())
    assert [n.kind for n in notes] == ["election.mandate_expiring"]
    # again: nothing new (once per mandate), even with a longer period only the new mandate is warned of
    assert ops.warn_expiring_mandates() == []
    assert ops.warn_expiring_mandates(months=13) == [bw.coopted.id]
    assert len(outbox(be_secretary.email)) == 2
    assert db.session.execute(select(Notification).where(Notification.account_id == be_secretary.id)
                              ).scalars().all().__len__() == 2


def test_warning_renders_in_the_readers_language(ops, board_with_mandates, be_secretary, db, app):
    from flask_babel import force_locale

    from governance.notifications.models import Notification
    from governance.notifications.registry import render

    ops.warn_expiring_mandates()
    note = db.session.execute(select(Notification).where(Notification.account_id == be_secretary.id)).scalar_one()
    with app.test_request_context("/"), force_locale("en"):
        text = render(note.kind, note.data, ["en"])
    assert "Ann Expiring" in text and "Belgium" in text


def test_warn_without_branch_secretary_goes_to_global_secretaries(ops, board_with_mandates, create_account, outbox):
    global_secretary = create_account(roles=["secretary"])
    ops.warn_expiring_mandates()
    assert len(outbox(global_secretary.email)) == 1


def test_warn_command_is_idempotent(app, db, board_with_mandates, be_secretary, outbox):
    from governance.elections.cli import elections_cli

    runner = app.test_cli_runner()
    first = runner.invoke(elections_cli, ["warn"])
    assert first.exit_code == 0, first.output
    assert f"mandates warned of: {board_with_mandates.expiring.id}" in first.output
    second = runner.invoke(elections_cli, ["warn"])
    assert second.exit_code == 0 and "mandates warned of: none" in second.output
    assert len(outbox(be_secretary.email)) == 1


# --- permissions -----------------------------------------------------------------------------------
def test_who_manages_a_board(ops, be_board, group_board, be_board_member, member_account, fr, be, create_account,
                             admin):
    from governance.elections.permissions import can_manage_board

    other_branch = member_account(fr, roles=[("board_member", fr)])
    plain = member_account(be)
    global_secretary = create_account(roles=["secretary"])
    assert can_manage_board(admin, be_board) and can_manage_board(admin, group_board)
    assert can_manage_board(global_secretary, be_board) and can_manage_board(global_secretary, group_board)
    assert can_manage_board(be_board_member, be_board)
    assert not can_manage_board(be_board_member, group_board)
    assert not can_manage_board(other_branch, be_board)
    assert not can_manage_board(plain, be_board)
    assert not can_manage_board(None, be_board)


def test_operations_refuse_who_does_not_manage(ops, be_board, member_account, fr, be, create_member):
    other_branch = member_account(fr, roles=[("board_member", fr)])
    with pytest.raises(NotAllowed):
        ops.update_board(be_board, actor=other_branch, seats=3, term_years=3)
    with pytest.raises(NotAllowed):
        ops.create_board(actor=other_branch, branch=be, seats=3)
    with pytest.raises(NotAllowed):
        ops.add_mandate(be_board, create_member(branch=be), actor=other_branch, starts_on=dt.date(2026, 1, 1),
                        ends_on=dt.date(2029, 1, 1), origin="cooption")


def test_branch_board_member_manages_own_board(ops, be_board, be_board_member, create_member, be):
    mandate = ops.add_mandate(be_board, create_member(branch=be), actor=be_board_member,
                              starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2029, 1, 1), origin="cooption")
    assert mandate.created_by_id == be_board_member.id
    with pytest.raises(NotAllowed):
        ops.create_board(actor=be_board_member, branch=None, seats=3)
