"""Deleting one's account: confirmed by password (and code), the register entry stays, the session ends."""
from __future__ import annotations

from sqlalchemy import func, select

from governance.accounts import operations as ops
from governance.accounts.models import Account, AccountToken, RecoveryCode, RoleAssignment
from governance.members.models import Member
from tests.accounts.conftest import SESSION_COOKIE, is_signed_in, session_cookie
from tests.conftest import TEST_PASSWORD


def count(db, model, *where) -> int:
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def delete(client, password: str = TEST_PASSWORD, **extra):
    return client.post("/account/delete", data={"current_password": password, **extra})


def test_the_deletion_page(client, create_account, sign_in):
    sign_in(create_account())
    response = client.get("/account/delete")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count("<h1>") == 1
    assert '<label for="current_password">' in page
    assert 'name="code"' not in page
    assert "membership register stays as it is" in page
    assert 'href="/account/delete"' in client.get("/account/profile").get_data(as_text=True)


def test_deleting_keeps_the_register_entry_and_ends_every_session(client, new_client, db, create_branch,
                                                                  create_member, create_account, sign_in,
                                                                  audit_events, outbox):
    be = create_branch("BE")
    member = create_member(branch=be, email="jo@example.org")
    account = create_account("jo@example.org", member=member, roles=[("board_member", be)])
    ops.request_password_reset(account.email, address=None)
    db.session.commit()
    account_id, member_id = account.id, member.id
    sign_in(account)
    other_browser = new_client()
    other_browser.set_cookie(SESSION_COOKIE, session_cookie(client))
    assert is_signed_in(other_browser)

    response = delete(client)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert "Your account has been deleted" in client.get("/").get_data(as_text=True)

    db.session.expire_all()
    assert db.session.get(Account, account_id) is None
    assert count(db, AccountToken, AccountToken.account_id == account_id) == 0
    assert count(db, RoleAssignment, RoleAssignment.account_id == account_id) == 0
    kept = db.session.get(Member, member_id)
    assert kept is not None and kept.email == "jo@example.org" and kept.status == "active"
    # signed out here, and the old cookie works nowhere
    assert not is_signed_in(client)
    assert not is_signed_in(other_browser)
    [entry] = audit_events(event="account.deleted")
    assert (entry.actor_id, entry.object_type, entry.object_id) == (account_id, "accounts", str(account_id))
    assert entry.data == {}
    assert "jo@example.org" not in str(entry.data)
    # the account can no longer sign in, and the member may be invited again
    assert client.post("/account/sign-in", data={"email": "jo@example.org", "password": TEST_PASSWORD}).status_code == 401
    assert not ops.invite_members([kept], actor=None).refused


def test_an_id_is_never_given_again(client, db, create_account, sign_in):
    account = create_account()
    db.session.commit()
    old_id = account.id
    sign_in(account)
    old_cookie = session_cookie(client)
    assert delete(client).status_code == 303
    newcomer = create_account()
    db.session.commit()
    assert newcomer.id > old_id
    client.set_cookie(SESSION_COOKIE, old_cookie)
    assert not is_signed_in(client)


def test_a_wrong_password_is_422_and_deletes_nothing(client, db, create_account, sign_in, audit_events):
    account = create_account()
    db.session.commit()
    sign_in(account)
    before = len(audit_events())
    response = delete(client, password="not my password")
    assert response.status_code == 422
    assert "Your current password is not correct." in response.get_data(as_text=True)
    assert response.get_data(as_text=True).count('aria-invalid="true"') == 1
    assert delete(client, password="").status_code == 422
    db.session.expire_all()
    assert db.session.get(Account, account.id) is not None
    assert is_signed_in(client)
    assert len(audit_events()) == before


def test_with_two_step_sign_in_the_code_is_needed_too(client, db, create_account, sign_in, enrol_totp, clock):
    account = create_account()
    db.session.commit()
    sign_in(account)
    secret, _codes = enrol_totp(account)
    page = client.get("/account/delete").get_data(as_text=True)
    assert '<label for="code">' in page
    assert delete(client).status_code == 422  # no code
    response = delete(client, code=clock.wrong_code(secret))
    assert response.status_code == 422
    assert "This code is not correct" in response.get_data(as_text=True)
    assert db.session.get(Account, account.id) is not None
    account_id = account.id
    assert delete(client, code=clock.code(secret)).status_code == 303
    db.session.expire_all()
    assert db.session.get(Account, account_id) is None
    assert count(db, RecoveryCode, RecoveryCode.account_id == account_id) == 0


def test_the_last_administrator_cannot_delete_themselves(client, db, create_account, sign_in_staff, audit_events,
                                                        clock):
    admin = create_account(roles=["admin"])
    db.session.commit()
    secret = sign_in_staff(admin)
    page = client.get("/account/delete").get_data(as_text=True)
    assert "You are the last administrator" in page
    before = len(audit_events())
    response = delete(client, code=clock.code(secret))
    assert response.status_code == 409
    assert "You are the last administrator: your account cannot be deleted." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Account, admin.id) is not None
    assert len(audit_events()) == before
    assert is_signed_in(client)


def test_a_disabled_administrator_does_not_count(db, create_account):
    admin = create_account(roles=["admin"])
    disabled = create_account(roles=["admin"])
    disabled.is_enabled = False
    db.session.flush()
    assert ops.is_last_administrator(admin)


def test_an_administrator_can_go_when_another_remains(client, db, create_account, sign_in_staff, clock):
    admin = create_account(roles=["admin"])
    create_account(roles=["admin"])
    db.session.commit()
    secret = sign_in_staff(admin)
    admin_id = admin.id
    assert delete(client, code=clock.code(secret)).status_code == 303
    db.session.expire_all()
    assert db.session.get(Account, admin_id) is None


def test_deletion_needs_sign_in(client):
    assert client.get("/account/delete").status_code == 302
    assert client.post("/account/delete", data={"current_password": "x"}).status_code == 302
