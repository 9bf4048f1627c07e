"""Setting up a board through the pages: who may (403 otherwise), which boards are offered (only those that do
not exist yet, in the account's scope), validation with the input kept, and the board created."""
from __future__ import annotations

from sqlalchemy import select

from governance.elections.models import Board


def page_text(response) -> str:
    return response.get_data(as_text=True)


def test_an_administrator_sets_up_a_branch_board(client, db, sign_in, admin, be, fr, be_board):
    sign_in(admin)
    page = page_text(client.get("/boards/new"))
    assert page.count("<h1") == 1 and "Set up a board" in page
    assert f'value="{fr.id}"' in page and "The whole cooperative" in page
    assert f'value="{be.id}"' not in page  # Belgium has its board already
    response = client.post("/boards/new", data={"scope": str(fr.id), "seats": "7", "term_years": "4"})
    assert response.status_code == 303
    board = db.session.execute(select(Board).where(Board.branch_id == fr.id)).scalar_one()
    assert (board.seats, board.term_years) == (7, 4)
    assert response.headers["Location"].endswith(f"/boards/{board.id}")


def test_the_group_board_is_offered_once(client, db, sign_in, admin, group_board):
    sign_in(admin)
    assert "The whole cooperative" not in page_text(client.get("/boards/new"))


def test_bad_numbers_are_refused_with_the_input_kept(client, db, sign_in, admin, fr):
    sign_in(admin)
    response = client.post("/boards/new", data={"scope": str(fr.id), "seats": "0", "term_years": "3"})
    assert response.status_code == 422
    page = page_text(response)
    assert 'name="seats"' in page and 'value="0"' in page
    assert db.session.execute(select(Board).where(Board.branch_id == fr.id)).first() is None


def test_a_member_cannot_set_up_a_board(client, db, sign_in, member_account, be):
    sign_in(member_account(be))
    assert client.get("/boards/new").status_code == 403
    assert client.post("/boards/new", data={"scope": "group", "seats": "5", "term_years": "3"}).status_code == 403


def test_a_branch_board_member_may_set_up_only_their_branchs_board(client, db, sign_in, be_board_member, be, fr):
    sign_in(be_board_member)
    page = page_text(client.get("/boards/new"))
    assert f'value="{be.id}"' in page and f'value="{fr.id}"' not in page and "The whole cooperative" not in page
    assert client.post("/boards/new", data={"scope": str(fr.id), "seats": "5", "term_years": "3"}).status_code == 422
    assert db.session.execute(select(Board).where(Board.branch_id == fr.id)).first() is None


def test_without_a_token_nothing_is_created(client, db, sign_in, admin, fr):
    sign_in(admin)
    response = client.post("/boards/new", data={"scope": str(fr.id), "seats": "5", "term_years": "3"}, csrf=False)
    assert response.status_code == 400
    assert db.session.execute(select(Board).where(Board.branch_id == fr.id)).first() is None
