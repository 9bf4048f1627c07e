"""Signing in and out, rate limits, session fixation, server-side sign-out, timeouts, audit."""
from __future__ import annotations

import logging

from governance.core.db_types import utcnow
from tests.accounts.conftest import SESSION_COOKIE, is_signed_in, session_cookie, sign_in_with_password
from tests.conftest import TEST_PASSWORD


def test_sign_in_success_starts_a_session_and_is_audited(client, create_account, audit_events, db):
    account = create_account()
    response = sign_in_with_password(client, account.email.upper(), TEST_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert is_signed_in(client)
    db.session.refresh(account)
    assert account.last_login_dt is not None
    [entry] = audit_events(account, "account.signed_in")
    assert entry.actor_id == account.id
    assert entry.data == {"method": "password", "address": "127.0.0.1"}


def test_sign_in_follows_only_local_next(client, create_account):
    account = create_account()
    response = client.post("/account/sign-in", data={"email": account.email, "password": TEST_PASSWORD,
                                                     "next": "/account/profile"})
    assert response.headers["Location"] == "/account/profile"
    client.post("/account/sign-out")
    response = client.post("/account/sign-in", data={"email": account.email, "password": TEST_PASSWORD,
                                                     "next": "//evil.example/"})
    assert response.headers["Location"] == "/"


def test_wrong_password_is_401_keeps_the_email_and_is_audited(client, create_account, audit_events):
    account = create_account()
    response = sign_in_with_password(client, account.email, "not the password at all")
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "The email address or password is not correct." in page
    assert f'value="{account.email}"' in page
    assert "not the password at all" not in page
    assert not is_signed_in(client)
    [entry] = audit_events(account, "account.sign_in_failed")
    assert entry.actor_id is None
    assert entry.data == {"address": "127.0.0.1"}


def test_unknown_email_gets_the_same_answer(client, create_account):
    account = create_account()
    known = sign_in_with_password(client, account.email, "wrong password here")
    unknown = sign_in_with_password(client, "nobody@example.org", "wrong password here")
    assert known.status_code == unknown.status_code == 401
    message = "The email address or password is not correct."
    assert message in known.get_data(as_text=True) and message in unknown.get_data(as_text=True)


def test_disabled_account_cannot_sign_in(client, create_account, db):
    account = create_account()
    account.is_enabled = False
    db.session.commit()
    assert sign_in_with_password(client, account.email, TEST_PASSWORD).status_code == 401


def test_incomplete_form_is_422(client):
    response = client.post("/account/sign-in", data={"email": "not-an-email", "password": ""})
    assert response.status_code == 422
    assert 'value="not-an-email"' in response.get_data(as_text=True)


def test_sign_in_page_is_accessible(client):
    page = client.get("/account/sign-in").get_data(as_text=True)
    assert page.count("<h1>") == 1
    assert 'autocomplete="username"' in page
    assert 'autocomplete="current-password"' in page
    assert '<label for="email">' in page and '<label for="password">' in page
    assert 'href="/account/password/forgot"' in page


# --- rate limits -----------------------------------------------------------------------------------
def test_guessing_one_account_is_throttled_but_not_the_venue(client, create_account):
    victim = create_account()
    neighbour = create_account()
    for _ in range(10):
        assert sign_in_with_password(client, victim.email, "wrong guess 123").status_code == 401
    assert sign_in_with_password(client, victim.email, "wrong guess 123").status_code == 429
    # even the right password waits: the limit is on the attempts, not on the failures
    assert sign_in_with_password(client, victim.email, TEST_PASSWORD).status_code == 429
    # someone else in the same hall (same address) signs in normally
    assert sign_in_with_password(client, neighbour.email, TEST_PASSWORD).status_code == 302


def test_the_throttle_is_per_address_and_account(client, create_account, new_client):
    victim = create_account()
    for _ in range(11):
        sign_in_with_password(client, victim.email, "wrong guess 123")
    other = new_client()
    response = other.post("/account/sign-in", data={"email": victim.email, "password": TEST_PASSWORD},
                          environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert response.status_code == 302


# --- sessions --------------------------------------------------------------------------------------
def test_sign_in_renews_the_session(client, create_account, sign_in, new_client):
    account = create_account()
    client.get("/account/sign-in")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
        sess["lang"] = "fr"
    before = session_cookie(client)
    sign_in(account)
    after = session_cookie(client)
    assert before and after and before != after
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["lang"] == "fr"
        assert sess["_user_id"] == f"{account.id}:{account.session_version}"
        assert "csrf_token" not in sess or sess["csrf_token"] != client.RAW_TOKEN
    # the cookie from before signing in does not authenticate anyone
    other = new_client()
    other.set_cookie(SESSION_COOKIE, before)
    assert not is_signed_in(other)


def test_an_old_cookie_no_longer_works_after_sign_out(client, create_account, sign_in, new_client, audit_events):
    account = create_account()
    sign_in(account)
    stolen = session_cookie(client)
    copy = new_client()
    copy.set_cookie(SESSION_COOKIE, stolen)
    assert is_signed_in(copy)
    response = client.post("/account/sign-out")
    assert response.status_code == 303
    assert not is_signed_in(client)
    # the copied cookie is still validly signed, but its session version is gone
    assert not is_signed_in(copy)
    fresh = new_client()
    fresh.set_cookie(SESSION_COOKIE, stolen)
    assert fresh.get("/account/profile").status_code == 302
    assert audit_events(account, "account.signed_out")


def test_sign_out_needs_post(client, create_account, sign_in):
    sign_in(create_account())
    assert client.get("/account/sign-out").status_code == 405
    assert is_signed_in(client)


def test_idle_timeout_ends_the_session(app, client, create_account, sign_in):
    sign_in(create_account())
    idle = app.config["SESSION_IDLE_TIMEOUT"].total_seconds()
    with client.session_transaction() as sess:
        sess["seen_at"] = utcnow().timestamp() - idle + 30
    assert is_signed_in(client)  # just inside the limit: still signed in
    with client.session_transaction() as sess:
        sess["seen_at"] = utcnow().timestamp() - idle - 5
    response = client.get("/account/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/sign-in")
    assert not is_signed_in(client)


def test_absolute_timeout_ends_even_an_active_session(app, client, create_account, sign_in):
    sign_in(create_account())
    absolute = app.config["SESSION_ABSOLUTE_TIMEOUT"].total_seconds()
    with client.session_transaction() as sess:
        sess["auth_at"] = utcnow().timestamp() - absolute - 5
        sess["seen_at"] = utcnow().timestamp()
    assert client.get("/account/profile").status_code == 302
    assert not is_signed_in(client)


def test_activity_keeps_the_idle_clock_fresh(app, client, create_account, sign_in):
    sign_in(create_account())
    with client.session_transaction() as sess:
        sess["seen_at"] = utcnow().timestamp() - 600
    assert is_signed_in(client)
    with client.session_transaction() as sess:
        assert utcnow().timestamp() - sess["seen_at"] < 60


def test_no_password_in_audit_or_logs(client, create_account, audit_events, caplog):
    caplog.set_level(logging.DEBUG)
    account = create_account()
    sign_in_with_password(client, account.email, "a wrong password typed here")
    sign_in_with_password(client, account.email, TEST_PASSWORD)
    for entry in audit_events():
        assert TEST_PASSWORD not in str(entry.data)
        assert "a wrong password typed here" not in str(entry.data)
    assert TEST_PASSWORD not in caplog.text
    assert "a wrong password typed here" not in caplog.text


def test_welcome_message_is_in_the_account_language(client, create_account):
    account = create_account(language="nl", display_name="An")
    response = client.post("/account/sign-in", data={"email": account.email, "password": TEST_PASSWORD},
                           headers={"Accept-Language": "de"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert '<html lang="nl">' in page
    assert "Welkom, An." in page
    assert "Willkommen" not in page
