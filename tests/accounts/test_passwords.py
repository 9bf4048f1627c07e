"""Password reset by emailed single-use token, and password change from the profile."""
from __future__ import annotations

import datetime as dt
import hashlib
import logging

import pytest
from sqlalchemy import select

from governance.accounts.models import AccountToken
from governance.core.db_types import utcnow
from tests.accounts.conftest import (SESSION_COOKIE, is_signed_in, reset_link_token, session_cookie,
                                     sign_in_with_password)
from tests.conftest import TEST_PASSWORD

NEW_PASSWORD = "a brand new passphrase for the portal"
SAME_ANSWER = "If an account uses this email address, we have sent it a link"


def request_reset(client, email: str):
    return client.post("/account/password/forgot", data={"email": email})


def reset_tokens(db, account):
    return list(db.session.execute(select(AccountToken).where(AccountToken.account_id == account.id)
                                   .order_by(AccountToken.id)).scalars())


# --- asking for a link -----------------------------------------------------------------------------
def test_forgot_password_page(client):
    page = client.get("/account/password/forgot").get_data(as_text=True)
    assert page.count("<h1>") == 1
    assert '<label for="email">' in page
    assert 'autocomplete="email"' in page


def test_reset_email_is_queued_in_the_accounts_language(client, create_account, outbox, db, audit_events):
    account = create_account(language="fr")
    response = request_reset(client, account.email)
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/sign-in"
    [message] = outbox(account.email)
    [token] = reset_tokens(db, account)
    assert message.key == f"reset:{token.id}"
    assert message.language == "fr"
    assert message.to_name == account.display_name
    raw = reset_link_token(message.body_text)
    assert f"http://portal.test/account/password/reset/{raw}" in message.body_text
    # random (256 bits) and stored only as its SHA-256 hash
    assert len(raw) >= 43
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in token.token_hash
    assert token.purpose == "reset" and token.used_dt is None
    assert dt.timedelta(minutes=59) < token.expires_dt - token.created_dt <= dt.timedelta(hours=1)
    [entry] = audit_events(account, "account.password_reset_requested")
    assert raw not in str(entry.data)


@pytest.mark.parametrize("language", ["nl", "de", "en"])
def test_reset_email_language_follows_the_account(client, create_account, outbox, language):
    account = create_account(language=language)
    request_reset(client, account.email)
    [message] = outbox(account.email)
    assert message.language == language


def test_unknown_email_gets_the_same_answer_and_no_email(client, create_account, outbox):
    account = create_account()
    known = request_reset(client, account.email)
    known_page = client.get(known.headers["Location"]).get_data(as_text=True)
    unknown = request_reset(client, "nobody-here@example.org")
    unknown_page = client.get(unknown.headers["Location"]).get_data(as_text=True)
    assert known.status_code == unknown.status_code == 303
    assert known.headers["Location"] == unknown.headers["Location"]
    assert SAME_ANSWER in known_page and SAME_ANSWER in unknown_page
    assert len(outbox()) == 1


def test_disabled_account_gets_no_link(client, create_account, outbox, db):
    account = create_account()
    account.is_enabled = False
    db.session.commit()
    assert request_reset(client, account.email).status_code == 303
    assert outbox(account.email) == []


def test_bad_email_is_422_and_kept(client):
    response = request_reset(client, "not an email")
    assert response.status_code == 422
    assert 'value="not an email"' in response.get_data(as_text=True)


def test_forgot_password_is_rate_limited_per_email_and_address(client, create_account, new_client):
    account = create_account()
    for _ in range(5):
        assert request_reset(client, account.email).status_code == 303
    assert request_reset(client, account.email).status_code == 429
    # another address cannot flood this mailbox either
    other = new_client()
    response = other.post("/account/password/forgot", data={"email": account.email},
                          environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert response.status_code == 429
    # another email from the first address still works
    assert request_reset(client, "someone-else@example.org").status_code == 303
    for n in range(24):
        request_reset(client, f"spray{n}@example.org")
    assert request_reset(client, "one-more@example.org").status_code == 429


# --- using the link --------------------------------------------------------------------------------
@pytest.fixture
def reset_link(client, create_account, outbox):
    """An account and the token from its emailed link."""
    def make(account=None):
        account = account or create_account()
        request_reset(client, account.email)
        return account, reset_link_token(outbox(account.email)[-1].body_text)

    return make


def test_reset_page(client, reset_link):
    _, raw = reset_link()
    page = client.get(f"/account/password/reset/{raw}").get_data(as_text=True)
    assert page.count("<h1>") == 1
    assert page.count('autocomplete="new-password"') == 2
    assert '<label for="new_password">' in page and '<label for="confirm_password">' in page


def test_reset_works_once(client, reset_link, db, audit_events, new_client):
    account, raw = reset_link()
    elsewhere = new_client()
    assert sign_in_with_password(elsewhere, account.email, TEST_PASSWORD).status_code == 302
    version = account.session_version
    response = client.post(f"/account/password/reset/{raw}",
                           data={"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/sign-in"
    db.session.refresh(account)
    assert account.session_version == version + 1
    [token] = reset_tokens(db, account)
    assert token.used_dt is not None
    # every session of the account ended
    assert not is_signed_in(elsewhere)
    # the new password works, the old one not
    assert sign_in_with_password(new_client(), account.email, TEST_PASSWORD).status_code == 401
    assert sign_in_with_password(new_client(), account.email, NEW_PASSWORD).status_code == 302
    [entry] = audit_events(account, "account.password_reset")
    assert entry.actor_id == account.id
    assert raw not in str(entry.data) and NEW_PASSWORD not in str(entry.data)
    # used once: the link is dead
    again = client.get(f"/account/password/reset/{raw}")
    assert again.status_code == 404
    assert "This link does not work any more" in again.get_data(as_text=True)
    again = client.post(f"/account/password/reset/{raw}",
                        data={"new_password": "yet another long passphrase", "confirm_password": "yet another long passphrase"})
    assert again.status_code == 404
    assert sign_in_with_password(new_client(), account.email, "yet another long passphrase").status_code == 401


def test_expired_link_is_refused(client, reset_link, db):
    account, raw = reset_link()
    [token] = reset_tokens(db, account)
    now = utcnow()
    token.created_dt = now - dt.timedelta(hours=1, minutes=1)
    token.expires_dt = now - dt.timedelta(minutes=1)
    db.session.commit()
    assert client.get(f"/account/password/reset/{raw}").status_code == 404
    response = client.post(f"/account/password/reset/{raw}",
                           data={"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert response.status_code == 404
    db.session.refresh(token)
    assert token.used_dt is None
    assert sign_in_with_password(client, account.email, TEST_PASSWORD).status_code == 302


def test_using_one_link_voids_the_others(client, reset_link, db):
    account, first = reset_link()
    _, second = reset_link(account)
    assert first != second
    response = client.post(f"/account/password/reset/{second}",
                           data={"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert response.status_code == 303
    assert client.get(f"/account/password/reset/{first}").status_code == 404
    assert all(token.used_dt is not None for token in reset_tokens(db, account))


@pytest.mark.parametrize("raw", ["nonsense", "x" * 300, "a" * 43])
def test_made_up_links_are_refused(client, raw):
    assert client.get(f"/account/password/reset/{raw}").status_code == 404


@pytest.mark.parametrize("new,confirm,message", [
    ("short", "short", "at least 8 characters"),
    ("password1234567", "password1234567", "too common"),
    (NEW_PASSWORD, NEW_PASSWORD + "!", "The two passwords are not the same."),
])
def test_bad_new_password_is_422_and_keeps_the_link(client, reset_link, db, new, confirm, message):
    account, raw = reset_link()
    response = client.post(f"/account/password/reset/{raw}", data={"new_password": new, "confirm_password": confirm})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert new not in page  # passwords are never sent back
    [token] = reset_tokens(db, account)
    assert token.used_dt is None
    assert client.get(f"/account/password/reset/{raw}").status_code == 200


def test_password_equal_to_the_email_is_refused(client, create_account, reset_link):
    account, raw = reset_link(create_account("long.enough.address@example.org"))
    response = client.post(f"/account/password/reset/{raw}",
                           data={"new_password": account.email, "confirm_password": account.email})
    assert response.status_code == 422


def test_long_passwords_are_welcome(client, reset_link, new_client):
    account, raw = reset_link()
    long_password = ("Seven kinds of rain fell on the assembly hall. " * 3)[:128]
    response = client.post(f"/account/password/reset/{raw}",
                           data={"new_password": long_password, "confirm_password": long_password})
    assert response.status_code == 303
    assert sign_in_with_password(new_client(), account.email, long_password).status_code == 302
    assert sign_in_with_password(new_client(), account.email, long_password[:-1] + "X").status_code == 401


def test_no_token_or_password_in_logs(client, reset_link, caplog):
    caplog.set_level(logging.DEBUG)
    account, raw = reset_link()
    client.post(f"/account/password/reset/{raw}", data={"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert raw not in caplog.text
    assert NEW_PASSWORD not in caplog.text


# --- changing the password -------------------------------------------------------------------------
def change(client, current=TEST_PASSWORD, new=NEW_PASSWORD, confirm=None):
    return client.post("/account/password", data={"current_password": current, "new_password": new,
                                                  "confirm_password": confirm if confirm is not None else new})


def test_change_password_page(client, create_account, sign_in):
    sign_in(create_account())
    page = client.get("/account/password").get_data(as_text=True)
    assert page.count("<h1>") == 1
    assert 'autocomplete="current-password"' in page
    assert page.count('autocomplete="new-password"') == 2


def test_change_password_needs_sign_in(client):
    response = client.get("/account/password")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/sign-in")


def test_change_password_keeps_this_session_and_ends_the_others(client, create_account, sign_in, new_client, db,
                                                                audit_events):
    account = create_account()
    sign_in(account)
    old_cookie = session_cookie(client)
    elsewhere = new_client()
    assert sign_in_with_password(elsewhere, account.email, TEST_PASSWORD).status_code == 302
    version = account.session_version
    response = change(client)
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/profile"
    db.session.refresh(account)
    assert account.session_version == version + 1
    assert is_signed_in(client)
    assert not is_signed_in(elsewhere)
    # this browser's cookie from before the change is dead too: the session was re-issued
    replay = new_client()
    replay.set_cookie(SESSION_COOKIE, old_cookie)
    assert not is_signed_in(replay)
    assert sign_in_with_password(new_client(), account.email, NEW_PASSWORD).status_code == 302
    [entry] = audit_events(account, "account.password_changed")
    assert entry.actor_id == account.id
    assert NEW_PASSWORD not in str(entry.data) and TEST_PASSWORD not in str(entry.data)


def test_change_password_voids_reset_links(client, create_account, sign_in, reset_link):
    account, raw = reset_link()
    sign_in(account)
    assert change(client).status_code == 303
    assert client.get(f"/account/password/reset/{raw}").status_code == 404


@pytest.mark.parametrize("current,new,confirm,message", [
    ("wrong current password", NEW_PASSWORD, None, "Your current password is not correct."),
    (TEST_PASSWORD, "short", None, "at least 8 characters"),
    (TEST_PASSWORD, NEW_PASSWORD, "something else entirely", "The two passwords are not the same."),
    (TEST_PASSWORD, TEST_PASSWORD, None, "must be different"),
])
def test_bad_password_change_is_422_and_changes_nothing(client, create_account, sign_in, db, audit_events,
                                                         current, new, confirm, message):
    account = create_account()
    sign_in(account)
    version = account.session_version
    response = change(client, current, new, confirm)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.refresh(account)
    assert account.session_version == version
    assert audit_events(account, "account.password_changed") == []
    assert is_signed_in(client)


def test_reset_email_falls_back_to_the_branch_language(client, create_account, create_member, create_branch,
                                                       outbox):
    member = create_member(branch=create_branch("BE"), language="it")
    account = create_account(member=member, language="it")
    request_reset(client, account.email)
    [message] = outbox(account.email)
    assert message.language == "nl"
