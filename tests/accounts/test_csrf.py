"""Every form that POSTs to the accounts blueprint refuses a request without a CSRF token."""
from __future__ import annotations

import pytest

from governance.accounts import operations as ops

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
]


def test_the_list_covers_every_post_route(app):
    rules = {rule.rule for rule in app.url_map.iter_rules()
             if rule.endpoint.startswith("accounts.") and "POST" in rule.methods}
    listed = {path.replace("{token}", "<token>") for path in POST_ROUTES}
    assert rules == listed


@pytest.mark.parametrize("path", POST_ROUTES)
def test_post_without_csrf_token_is_400(client, create_account, sign_in, db, path, audit_events):
    account = create_account()
    token = ops.request_password_reset(account.email, address=None)
    raw = "made-up-token-but-csrf-comes-first"
    db.session.commit()
    sign_in(account)
    version = account.session_version
    before = len(audit_events())
    response = client.post(path.format(token=raw), csrf=False, data={
        "email": account.email, "password": "x", "code": "123456", "new_password": "a long new passphrase",
        "confirm_password": "a long new passphrase", "current_password": "x", "display_name": "Changed",
        "language": "nl", "timezone": "Europe/Paris",
    })
    assert response.status_code == 400
    assert "Your form had expired or was sent from elsewhere" in response.get_data(as_text=True)
    db.session.refresh(account)
    assert account.session_version == version
    assert account.display_name != "Changed"
    assert len(audit_events()) == before
    assert token.used_dt is None


def test_a_token_from_another_session_is_refused(client, create_account, sign_in, new_client):
    sign_in(create_account())
    other = new_client()
    foreign = other.csrf_token()
    with client.session_transaction() as sess:
        sess["csrf_token"] = "f" * 40
    response = client.post("/account/profile", csrf=False, data={"csrf_token": foreign, "display_name": "x",
                                                                  "language": "en", "timezone": "Europe/Brussels"})
    assert response.status_code == 400
