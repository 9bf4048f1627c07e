"""Role management by administrators: the list, giving and taking away roles, the last administrator,
scope checks, second factor for staff, and the effect of a role on what an account sees."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from governance.accounts import operations as ops
from governance.accounts.models import Account, Role, RoleAssignment
from governance.core.errors import Conflict
from tests.accounts.conftest import sign_in_with_password
from tests.conftest import TEST_PASSWORD


def page_text(response) -> str:
    return response.get_data(as_text=True)


def table(response) -> str:
    body = page_text(response)
    return body[body.find("<tbody>"):body.find("</tbody>")]


def roles_of(db, account) -> set[tuple[str, int | None]]:
    return set(db.session.execute(
        select(RoleAssignment.role, RoleAssignment.branch_id).where(RoleAssignment.account_id == account.id)
    ).tuples())


def assignment_id(db, account, role: str, branch_id=None) -> int:
    return db.session.execute(select(RoleAssignment.id).where(
        RoleAssignment.account_id == account.id, RoleAssignment.role == role,
        RoleAssignment.branch_id.is_(None) if branch_id is None else RoleAssignment.branch_id == branch_id,
    )).scalar_one()


def role_count(db) -> int:
    return db.session.execute(select(func.count()).select_from(RoleAssignment)).scalar_one()


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
def signed_in_admin(admin, sign_in_staff):
    sign_in_staff(admin)
    return admin


@pytest.fixture
def lotte(create_account, create_member, be):
    """A Belgian member with an account and no role."""
    return create_account("lotte@example.org", display_name="Lotte Janssens",
                          member=create_member(branch=be, number="BE-7001"))


# --- who may ---------------------------------------------------------------------------------------
def test_only_administrators_reach_the_roles_pages(client, sign_in, sign_in_staff, create_account, lotte, be, db):
    paths = ["/account/roles", f"/account/roles/{lotte.id}"]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 302 and "/account/sign-in" in response.headers["Location"]
    board = create_account(roles=[("board_member", be)])
    secretary = create_account(roles=["secretary"])
    for account, signing_in in ((lotte, sign_in), (board, sign_in), (secretary, sign_in_staff)):
        client.post("/account/sign-out")
        signing_in(account)
        for path in paths:
            assert client.get(path).status_code == 403, (account, path)
        assert client.post(f"/account/roles/{lotte.id}/grant", data={"role": "admin"}).status_code == 403
        assert client.post(f"/account/roles/{account.id}/grant", data={"role": "admin"}).status_code == 403
        assert client.post(f"/account/roles/{secretary.id}/revoke", data={
            "assignment": assignment_id(db, secretary, "secretary")}).status_code == 403
    assert roles_of(db, lotte) == set() and roles_of(db, secretary) == {("secretary", None)}


def test_a_secretary_of_a_branch_is_not_an_administrator(client, sign_in_staff, create_account, be):
    sign_in_staff(create_account(roles=[("secretary", be)]))
    assert client.get("/account/roles").status_code == 403


# --- the list ----------------------------------------------------------------------------------------
def test_the_list_shows_accounts_with_roles(client, signed_in_admin, create_account, lotte, be, fr):
    create_account("nadia@example.org", display_name="Nadia Secretaris", roles=[("secretary", fr)])
    create_account("board@example.org", display_name="Bert Board", roles=[("board_member", be)])
    response = client.get("/account/roles")
    body = page_text(response)
    assert response.status_code == 200 and body.count("<h1>") == 1
    assert "3 accounts hold a role" in body
    body = table(response)
    assert body.index("Bert Board") < body.index("Nadia Secretaris") < body.index("Sam Admin")
    assert "Secretary for France" in body and "Board member for Belgium" in body
    assert "Administrator for the whole cooperative" in body
    assert "Lotte Janssens" not in body  # no role


@pytest.mark.parametrize("query,found", [
    ("lotte", ["Lotte Janssens"]),
    ("JANSSENS", ["Lotte Janssens"]),
    ("lotte@example", ["Lotte Janssens"]),
    ("sam adm", ["Sam Admin"]),
    ("%", []),
    ("_", []),
    ("nobody", []),
])
def test_a_search_finds_every_account_by_name_or_email(client, signed_in_admin, lotte, query, found):
    response = client.get("/account/roles", query_string={"q": query})
    body = page_text(response)
    assert response.status_code == 200
    listed = [name for name in ("Lotte Janssens", "Sam Admin") if f">{name}</a>" in body]
    assert listed == found


def test_the_list_is_paginated(client, signed_in_admin, create_account):
    for n in range(55):
        create_account(f"helper{n:02d}@example.org", display_name=f"Helper {n:02d}", roles=["facilitator"])
    response = client.get("/account/roles")
    first = page_text(response)
    assert "56 accounts hold a role" in first and "Page 1 of 2" in first and ">Helper 00</a>" in first
    assert 'href="/account/roles?page=2"' in first and "Sam Admin" not in table(response)
    response = client.get("/account/roles?page=2")
    assert ">Sam Admin</a>" in table(response) and ">Helper 00</a>" not in table(response)
    searched = page_text(client.get("/account/roles?q=helper&page=2"))
    assert "Page 2 of 2" in searched and 'href="/account/roles?page=1&amp;q=helper"' in searched


def test_the_list_uses_the_same_number_of_queries_whatever_its_length(client, signed_in_admin, create_account, be,
                                                                    fr, count_queries, db):
    def add(n: int, start: int):
        for i in range(start, start + n):
            create_account(f"holder{i}@example.org", roles=[("board_member", be if i % 2 else fr), ("secretary", fr)])
        db.session.commit()

    add(2, 0)
    with count_queries() as few:
        assert client.get("/account/roles").status_code == 200
    add(30, 100)
    with count_queries() as many:
        body = page_text(client.get("/account/roles"))
    assert "33 accounts hold a role" in body
    assert many.count == few.count, many.statements
    assert many.count <= 7, many.statements  # 6, and the header's unread notifications


# --- giving roles ----------------------------------------------------------------------------------
def test_giving_a_board_member_role_opens_that_branchs_register(client, signed_in_admin, new_client, lotte, fr,
                                                                create_member, audit_events, db):
    camille = create_member(branch=fr, number="FR-2001", first_name="Camille", last_name="Martin")
    db.session.commit()
    other = new_client()
    sign_in_with_password(other, lotte.email, TEST_PASSWORD)
    assert other.get("/register/").status_code == 403

    response = client.post(f"/account/roles/{lotte.id}/grant", data={"role": "board_member", "branch": "FR"})
    assert response.status_code == 303 and response.headers["Location"] == f"/account/roles/{lotte.id}"
    assert roles_of(db, lotte) == {("board_member", fr.id)}
    [entry] = audit_events(lotte, "role.granted")
    assert entry.actor_id == signed_in_admin.id and entry.data == {"role": "board_member", "branch": "FR"}
    page = page_text(client.get(f"/account/roles/{lotte.id}"))
    assert "Role given to Lotte Janssens: Board member for France." in page

    # the account sees France's members now (and only them), without signing in again
    register = other.get("/register/")
    assert register.status_code == 200 and "FR-2001" in page_text(register) and "BE-7001" not in page_text(register)
    assert other.get(f"/register/members/{camille.id}").status_code == 200
    assert 'href="/register/"' in page_text(other.get("/"))


def test_giving_an_administrator_role_requires_a_second_factor_at_the_next_request(client, signed_in_admin,
                                                                                  new_client, lotte, audit_events,
                                                                                  db):
    page = page_text(client.get(f"/account/roles/{lotte.id}"))
    assert "Administrators and secretaries must use two-step sign-in" in page
    other = new_client()
    sign_in_with_password(other, lotte.email, TEST_PASSWORD)
    assert other.get("/").status_code == 200

    response = client.post(f"/account/roles/{lotte.id}/grant", data={"role": "admin", "branch": ""})
    assert response.status_code == 303
    assert roles_of(db, lotte) == {("admin", None)}
    assert [e.data for e in audit_events(lotte, "role.granted")] == [{"role": "admin", "branch": None}]
    page = page_text(client.get(f"/account/roles/{lotte.id}"))
    assert "Lotte Janssens must set up two-step sign-in" in page

    response = other.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/account/two-factor/setup"


def test_a_secretary_can_be_given_for_the_whole_cooperative_or_one_branch(client, signed_in_admin, lotte, be, db):
    response = client.post(f"/account/roles/{lotte.id}/grant", data={"role": "secretary", "branch": "BE"})
    assert response.status_code == 303
    assert client.post(f"/account/roles/{lotte.id}/grant", data={"role": "secretary"}).status_code == 303
    assert roles_of(db, lotte) == {("secretary", be.id), ("secretary", None)}


def test_giving_a_role_twice_changes_nothing(client, signed_in_admin, lotte, be, audit_events, db):
    for _ in range(2):
        assert client.post(f"/account/roles/{lotte.id}/grant", data={
            "role": "board_member", "branch": "BE"}).status_code == 303
    assert len(audit_events(lotte, "role.granted")) == 1
    assert "Lotte Janssens already holds this role" in page_text(client.get(f"/account/roles/{lotte.id}"))


@pytest.mark.parametrize("data,message", [
    ({"role": "admin", "branch": "BE"}, "An administrator acts for the whole cooperative"),
    ({"role": "board_member", "branch": ""}, "A board member belongs to the board of one branch"),
    ({"role": "", "branch": ""}, "Choose the role to give."),
    ({"role": "facilitator", "branch": ""}, "Not a valid choice."),
    ({"role": "emperor", "branch": ""}, "Not a valid choice."),
    ({"role": "secretary", "branch": "ZZ"}, "Not a valid choice."),
])
def test_bad_grants_are_refused_with_nothing_written(client, signed_in_admin, lotte, be, audit_events, db, data,
                                                     message):
    before = role_count(db), len(audit_events())
    response = client.post(f"/account/roles/{lotte.id}/grant", data=data)
    body = page_text(response)
    assert response.status_code == 422
    assert message in body and "Please correct the fields marked below." in body
    assert (role_count(db), len(audit_events())) == before
    if data["role"] in ("admin", "board_member"):
        assert f'<option selected value="{data["role"]}">' in body  # the choice is kept


def test_unknown_accounts_are_404(client, signed_in_admin):
    assert client.get("/account/roles/999999").status_code == 404
    assert client.post("/account/roles/999999/grant", data={"role": "secretary"}).status_code == 404
    assert client.post("/account/roles/999999/revoke", data={"assignment": "1"}).status_code == 404


# --- taking roles away -----------------------------------------------------------------------------
def test_taking_a_role_away(client, signed_in_admin, create_account, be, audit_events, db):
    board = create_account(display_name="Bert Board", roles=[("board_member", be), "secretary"])
    response = client.post(f"/account/roles/{board.id}/revoke", data={
        "assignment": assignment_id(db, board, "board_member", be.id)})
    assert response.status_code == 303 and response.headers["Location"] == f"/account/roles/{board.id}"
    assert roles_of(db, board) == {("secretary", None)}
    [entry] = audit_events(board, "role.revoked")
    assert entry.actor_id == signed_in_admin.id and entry.data == {"role": "board_member", "branch": "BE"}
    assert "Role taken from Bert Board: Board member for Belgium." in page_text(
        client.get(f"/account/roles/{board.id}"))


def test_a_role_of_another_account_or_a_facilitator_role_is_not_taken_here(client, signed_in_admin, create_account,
                                                                           lotte, db):
    other = create_account(roles=["secretary", "facilitator"])
    for account, assignment in ((lotte, assignment_id(db, other, "secretary")),
                                (other, assignment_id(db, other, "facilitator")),
                                (other, 999999)):
        response = client.post(f"/account/roles/{account.id}/revoke", data={"assignment": assignment})
        assert response.status_code == 404
    assert client.post(f"/account/roles/{other.id}/revoke", data={"assignment": "x"}).status_code == 400
    assert roles_of(db, other) == {("secretary", None), ("facilitator", None)}


def test_the_last_administrator_cannot_give_up_their_role(client, signed_in_admin, audit_events, db):
    response = client.post(f"/account/roles/{signed_in_admin.id}/revoke", data={
        "assignment": assignment_id(db, signed_in_admin, "admin")})
    body = page_text(response)
    assert response.status_code == 409
    assert "You are the last administrator: give the administrator role to another account" in body
    assert body.count("<h1>") == 1
    assert roles_of(db, signed_in_admin) == {("admin", None)}
    assert audit_events(event="role.revoked") == []


def test_a_disabled_administrator_does_not_count(client, signed_in_admin, create_account, db):
    disabled = create_account(roles=["admin"])
    disabled.is_enabled = False
    db.session.commit()
    response = client.post(f"/account/roles/{signed_in_admin.id}/revoke", data={
        "assignment": assignment_id(db, signed_in_admin, "admin")})
    assert response.status_code == 409


def test_an_administrator_can_give_up_their_role_when_another_remains(client, signed_in_admin, create_account,
                                                                      audit_events, db):
    create_account(roles=["admin"])
    response = client.post(f"/account/roles/{signed_in_admin.id}/revoke", data={
        "assignment": assignment_id(db, signed_in_admin, "admin")})
    assert response.status_code == 303 and response.headers["Location"] == "/"  # the roles pages are closed now
    assert roles_of(db, signed_in_admin) == set()
    assert len(audit_events(signed_in_admin, "role.revoked")) == 1
    assert client.get("/account/roles").status_code == 403


def test_revoke_role_keeps_the_last_administrator_whoever_asks(db, create_account):
    only = create_account(roles=["admin"])
    with pytest.raises(ops.AdministratorRoleKept) as error:
        ops.revoke_role(only, Role.admin, actor=None)
    assert isinstance(error.value, Conflict) and error.value.status_code == 409
    assert not isinstance(error.value, ops.OwnAdministratorRoleKept)
    with pytest.raises(ops.OwnAdministratorRoleKept):
        ops.revoke_role(only, Role.admin, actor=only)
    assert ops.revoke_role(only, Role.secretary, actor=only) is False  # not held: nothing happens


def test_grant_role_checks_the_scope(db, create_account, create_branch):
    account = create_account()
    be = create_branch("BE")
    with pytest.raises(ops.RoleScopeInvalid):
        ops.grant_role(account, Role.admin, branch=be)
    with pytest.raises(ops.RoleScopeInvalid):
        ops.grant_role(account, Role.board_member)
    assert db.session.execute(select(func.count()).select_from(RoleAssignment)
                              .where(RoleAssignment.account_id == account.id)).scalar_one() == 0
    assert isinstance(db.session.get(Account, account.id), Account)


def test_two_administrators_cannot_take_away_each_others_role_at_once(app, monkeypatch):
    """Each, having counted the administrators, waits (up to a second) for the other to have counted too:
    without the lock on the administrators' role rows both would count two and both succeed.

    Committed data in the session's database (a rolled-back test transaction is invisible to other
    connections), removed at the end."""
    import threading

    from sqlalchemy import delete

    from governance.core.audit import AuditEntry
    from governance.extensions import db as _db

    with app.app_context():
        last_seq = _db.session.execute(select(func.max(AuditEntry.seq))).scalar() or 0
        admins = [Account(email=f"race-admin-{n}@example.org", display_name=f"Race {n}") for n in range(2)]
        _db.session.add_all(admins)
        _db.session.flush()
        _db.session.add_all([RoleAssignment(account_id=a.id, role="admin", scope_key="*") for a in admins])
        _db.session.commit()
        ids = [a.id for a in admins]
        _db.session.remove()

    counted = threading.Barrier(2)
    is_last = ops.is_last_administrator

    def count_then_wait(account, **kwargs):
        result = is_last(account, **kwargs)
        try:
            counted.wait(1)
        except threading.BrokenBarrierError:  # the other one is waiting for the lock: as it should
            pass
        return result

    monkeypatch.setattr(ops, "is_last_administrator", count_then_wait)
    outcomes: list[str] = []

    def revoke(actor_id: int, holder_id: int) -> None:
        with app.app_context():
            try:
                actor, holder = _db.session.get(Account, actor_id), _db.session.get(Account, holder_id)
                ops.revoke_role(holder, Role.admin, actor=actor)
                _db.session.commit()
                outcomes.append("revoked")
            except ops.AdministratorRoleKept:
                _db.session.rollback()
                outcomes.append("refused")
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                _db.session.rollback()
                outcomes.append(repr(exc))
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=revoke, args=pair) for pair in ((ids[0], ids[1]), (ids[1], ids[0]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        assert sorted(outcomes) == ["refused", "revoked"]
        with app.app_context():
            left = _db.session.execute(select(func.count()).select_from(RoleAssignment).where(
                RoleAssignment.account_id.in_(ids), RoleAssignment.role == "admin")).scalar_one()
            assert left == 1
            _db.session.remove()
    finally:
        with app.app_context():
            _db.session.execute(delete(AuditEntry).where(AuditEntry.seq > last_seq))
            _db.session.execute(delete(RoleAssignment).where(RoleAssignment.account_id.in_(ids)))
            _db.session.execute(delete(Account).where(Account.id.in_(ids)))
            _db.session.commit()
            _db.session.remove()
