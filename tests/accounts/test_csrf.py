"""Every form that POSTs to the accounts blueprint refuses a request without a CSRF token."""
from __future__ import annotations

import re

import pytest

from governance.accounts import operations as ops
from governance.accounts import tokens
from governance.accounts.models import Account
from governance.core.db_types import utcnow
from tests.conftest import TEST_PASSWORD

POST_ROUTES = [
    "/account/sign-in",
    "/account/sign-in/code",
    "/account/sign-out",
    "/account/password/forgot",
    "/account/password/reset/{token}",
    "/account/password",
    "/account/profile",
    "/account/two-factor/setup",
    "/account/two-factor/disable",
    "/account/two-factor/recovery-codes",
    "/account/invitations",
    "/account/invitations/{member_id}",
    "/account/invitation/{token}",
    "/account/claim",
    "/account/export",
    "/account/delete",
    "/account/roles/{account_id}/grant",
    "/account/roles/{account_id}/revoke",
]


def test_the_list_covers_every_post_route(app):
    rules = {rule.rule for rule in app.url_map.iter_rules()
             if rule.endpoint.startswith("accounts.") and "POST" in rule.methods}
    listed = {path.replace("{token}", "<token>").replace("{member_id}", "<int:member_id>")
              .replace("{account_id}", "<int:account_id>") for path in POST_ROUTES}
    assert rules == listed


@pytest.mark.parametrize("path", POST_ROUTES)
def test_post_without_csrf_token_is_400(client, create_account, create_member, sign_in, db, path, audit_events,
                                        outbox):
    account = create_account(roles=["admin"], password=TEST_PASSWORD)
    account.totp_secret, account.totp_enabled_dt = tokens.new_totp_secret(), utcnow()  # not confined to set-up
    member = create_member(status="active")
    token = ops.request_password_reset(account.email, address=None)
    ops.invite_members([member], actor=None)
    raw = next(invite_tokens(outbox))
    db.session.commit()
    _sign_in_directly(client, account)
    version = account.session_version
    before = len(audit_events())
    messages = len(outbox())
    roles = {(a.role, a.branch_id) for a in account.roles}
    response = client.post(path.format(token=raw, member_id=member.id, account_id=account.id), csrf=False, data={
        "email": member.email, "number": member.number, "password": "x", "code": "123456",
        "new_password": "a long new passphrase", "confirm_password": "a long new passphrase",
        "current_password": TEST_PASSWORD, "display_name": "Changed", "language": "nl", "timezone": "Europe/Paris",
        "branch": member.branch.code, "status": "active", "resend": "y", "role": "secretary",
        "assignment": account.roles[0].id,
    })
    assert response.status_code == 400
    assert "Your form had expired or was sent from elsewhere" in response.get_data(as_text=True)
    db.session.expire_all()
    account = db.session.get(Account, account.id)
    assert account is not None
    assert account.session_version == version
    assert account.display_name != "Changed"
    assert {(a.role, a.branch_id) for a in account.roles} == roles
    assert len(audit_events()) == before
    assert len(outbox()) == messages
    assert token.used_dt is None
    assert ops.member_account_id(member.id) is None


def invite_tokens(outbox):
    for message in outbox():
        match = re.search(r"/account/invitation/([A-Za-z0-9_\-]+)", message.body_text)
        if match:
            yield match.group(1)


def _sign_in_directly(client, account):
    """Signed in without the password step (the account has a second factor, set here without its app)."""
    now = utcnow().timestamp()
    with client.session_transaction() as sess:
        sess["_user_id"] = account.get_id()
        sess["_fresh"] = True
        sess["auth_at"] = now
        sess["seen_at"] = now


def test_a_token_from_another_session_is_refused(client, create_account, sign_in, new_client):
    sign_in(create_account())
    other = new_client()
    foreign = other.csrf_token()
    with client.session_transaction() as sess:
        sess["csrf_token"] = "f" * 40
    response = client.post("/account/profile", csrf=False, data={"csrf_token": foreign, "display_name": "x",
                                                                  "language": "en", "timezone": "Europe/Brussels"})
    assert response.status_code == 400
