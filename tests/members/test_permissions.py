"""Who may see, manage and import the register."""
from __future__ import annotations

from flask_login import AnonymousUserMixin

from governance.members.permissions import (
    can_import_register,
    can_manage_member,
    can_view_register,
    register_branch_ids,
)


def test_administrators_and_secretaries_see_and_import_everything(db, admin, secretary, be, fr, create_member):
    camille = create_member(branch=fr)
    for account in (admin, secretary):
        assert register_branch_ids(account) is None
        assert can_view_register(account) and can_view_register(account, be) and can_view_register(account, fr.id)
        assert can_manage_member(account, camille)
        assert can_import_register(account)


def test_a_board_member_sees_and_manages_their_branch_only(db, create_account, be, fr, create_member):
    board = create_account(roles=[("board_member", be)])
    an, camille = create_member(branch=be), create_member(branch=fr)
    assert register_branch_ids(board) == {be.id}
    assert can_view_register(board) and can_view_register(board, be) and not can_view_register(board, fr)
    assert can_manage_member(board, an) and not can_manage_member(board, camille)
    assert not can_import_register(board)


def test_a_secretary_of_one_branch_is_scoped_to_it_and_cannot_import(db, create_account, be, fr):
    scoped = create_account(roles=[("secretary", fr)])
    assert register_branch_ids(scoped) == {fr.id}
    assert can_view_register(scoped, fr) and not can_view_register(scoped, be)
    assert not can_import_register(scoped)


def test_members_facilitators_and_visitors_see_nothing(db, create_account, create_member, be):
    an = create_member(branch=be)
    member = create_account(member=an)
    facilitator = create_account(roles=["facilitator"])
    for account in (member, facilitator, AnonymousUserMixin(), None):
        assert register_branch_ids(account) == set()
        assert not can_view_register(account) and not can_view_register(account, be)
        assert not can_manage_member(account, an)
        assert not can_import_register(account)
