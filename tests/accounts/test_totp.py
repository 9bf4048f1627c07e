"""TOTP second factor: enrolment, sign-in with a code or a recovery code, replay, required roles.

Time is the ``clock`` fixture's: frozen, and moved on one 30-second step where a test needs a fresh code.
"""
from __future__ import annotations

import logging
import re

import pyotp
import pytest
from sqlalchemy import select

from governance.accounts import operations as ops
from governance.accounts import tokens
from governance.accounts.models import RecoveryCode
from tests.accounts.conftest import is_signed_in, sign_in_with_password
from tests.conftest import TEST_PASSWORD


def start_setup(client) -> str:
    """Open the enrolment page; returns the secret it shows."""
    response = client.get("/account/two-factor/setup")
    assert response.status_code == 200
    with client.session_transaction() as sess:
        secret = sess["totp_setup"]
    assert tokens.group_secret(secret) in response.get_data(as_text=True)
    return secret


def codes_in(page: str) -> list[str]:
    return re.findall(r"<code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code>", page)


def submit_code(client, code: str):
    return client.post("/account/sign-in/code", data={"code": code})


def password_step(client, account):
    response = sign_in_with_password(client, account.email, TEST_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/sign-in/code"
    return response


@pytest.fixture
def signed_in_with_totp(client, enrol_totp, clock):
    def do(account):
        secret, codes = enrol_totp(account)
        password_step(client, account)
        assert submit_code(client, clock.code(secret)).status_code == 303
        clock.advance()
        return secret, codes

    return do


# --- enrolment -------------------------------------------------------------------------------------
def test_enrolment_shows_the_secret_and_an_otpauth_uri(client, create_account, sign_in, db):
    account = create_account()
    sign_in(account)
    secret = start_setup(client)
    page = client.get("/account/two-factor/setup").get_data(as_text=True)
    assert page.count("<h1>") == 1
    assert "otpauth://totp/" in page and f"secret={secret}" in page
    assert 'autocomplete="one-time-code"' in page
    assert '<label for="code">' in page
    # no QR service or any other outside resource
    assert not re.search(r"(src|href)=\"https?://", page)
    # the same key on reload; nothing stored before confirmation (GET changes nothing)
    assert start_setup(client) == secret
    db.session.refresh(account)
    assert account.totp_secret is None and not account.has_totp


def test_enrolment_with_a_wrong_code_is_422(client, create_account, sign_in, db, audit_events, clock):
    account = create_account()
    sign_in(account)
    secret = start_setup(client)
    response = client.post("/account/two-factor/setup", data={"code": clock.wrong_code(secret)})
    assert response.status_code == 422
    assert "This code is not correct" in response.get_data(as_text=True)
    db.session.refresh(account)
    assert not account.has_totp
    assert audit_events(account, "account.totp_enabled") == []
    # the same key is still offered
    assert start_setup(client) == secret


def test_enrolment_shows_ten_recovery_codes_once(client, create_account, sign_in, db, audit_events, clock):
    account = create_account()
    sign_in(account)
    secret = start_setup(client)
    response = client.post("/account/two-factor/setup", data={"code": clock.code(secret)})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count("<h1>") == 1
    db.session.refresh(account)
    assert account.has_totp and account.totp_secret == secret
    assert account.totp_last_step == tokens.time_step(clock.now)
    rows = list(db.session.execute(select(RecoveryCode).where(RecoveryCode.account_id == account.id)).scalars())
    assert len(rows) == 10
    shown = codes_in(page)
    assert len(shown) == 10 and len(set(shown)) == 10
    # stored hashed only
    assert {row.code_hash for row in rows} == {tokens.hash_recovery_code(code) for code in shown}
    # never shown again
    assert not any(code in client.get("/account/two-factor").get_data(as_text=True) for code in shown)
    with client.session_transaction() as sess:
        assert "totp_setup" not in sess
    [entry] = audit_events(account, "account.totp_enabled")
    assert secret not in str(entry.data)


def test_setup_when_already_enrolled_goes_to_the_settings(client, create_account, signed_in_with_totp):
    account = create_account()
    signed_in_with_totp(account)
    response = client.get("/account/two-factor/setup")
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/two-factor"


# --- signing in ------------------------------------------------------------------------------------
def test_sign_in_with_totp_needs_the_code(client, create_account, enrol_totp, audit_events, clock):
    account = create_account()
    secret, _ = enrol_totp(account)
    client.get("/account/sign-in")
    with client.session_transaction() as sess:
        sess["planted"] = "before sign-in"
    password_step(client, account)
    # the password alone does not sign in
    assert not is_signed_in(client)
    with client.session_transaction() as sess:
        assert "_user_id" not in sess and "planted" not in sess
        assert sess["pending_2fa"]["id"] == account.id
    page = client.get("/account/sign-in/code").get_data(as_text=True)
    assert page.count("<h1>") == 1
    assert 'autocomplete="one-time-code"' in page
    assert audit_events(account, "account.signed_in") == []
    response = submit_code(client, clock.code(secret))
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert is_signed_in(client)
    with client.session_transaction() as sess:
        assert "pending_2fa" not in sess
    [entry] = audit_events(account, "account.signed_in")
    assert entry.data["method"] == "totp"


def test_next_url_survives_the_second_step(client, create_account, enrol_totp, clock):
    account = create_account()
    secret, _ = enrol_totp(account)
    client.post("/account/sign-in", data={"email": account.email, "password": TEST_PASSWORD,
                                          "next": "/account/profile"})
    assert submit_code(client, clock.code(secret)).headers["Location"] == "/account/profile"


def test_a_wrong_code_is_refused(client, create_account, enrol_totp, audit_events, clock):
    account = create_account()
    secret, _ = enrol_totp(account)
    password_step(client, account)
    response = submit_code(client, clock.wrong_code(secret))
    assert response.status_code == 401
    assert "This code is not correct, or it was used already." in response.get_data(as_text=True)
    assert not is_signed_in(client)
    assert len(audit_events(account, "account.second_factor_failed")) == 1
    # still pending: the right code works afterwards
    assert submit_code(client, clock.code(secret)).status_code == 303


def test_a_code_cannot_be_used_twice(client, create_account, enrol_totp, new_client, clock):
    account = create_account()
    secret, _ = enrol_totp(account)
    # the code used at enrolment (previous step, still inside the window) is spent
    password_step(client, account)
    assert submit_code(client, clock.code(secret, -1)).status_code == 401
    code = clock.code(secret)
    assert submit_code(client, code).status_code == 303
    # the same code, in another browser, at once
    other = new_client()
    password_step(other, account)
    assert submit_code(other, code).status_code == 401
    assert not is_signed_in(other)
    # the next step's code is fine
    clock.advance()
    assert submit_code(other, clock.code(secret)).status_code == 303


def test_codes_within_one_step_of_now_are_accepted(create_account, enrol_totp, clock, db):
    account = create_account()
    secret, _ = enrol_totp(account)
    step = tokens.time_step(clock.now)
    totp = pyotp.TOTP(secret)
    now = clock.now
    assert tokens.matching_totp_step(secret, totp.generate_otp(step - 1), now=now) == step - 1
    assert tokens.matching_totp_step(secret, totp.generate_otp(step + 1), now=now) == step + 1
    assert tokens.matching_totp_step(secret, totp.generate_otp(step - 2), now=now) is None
    assert tokens.matching_totp_step(secret, totp.generate_otp(step + 2), now=now) is None
    assert tokens.matching_totp_step(secret, totp.generate_otp(step), now=now, after_step=step) is None
    # a code from the next step is accepted (clock drift), and then nothing up to that step any more
    assert ops.check_second_factor(account, totp.generate_otp(step + 1), address=None) == "totp"
    assert ops.check_second_factor(account, totp.generate_otp(step), address=None) is None
    db.session.refresh(account)
    assert account.totp_last_step == step + 1


def test_recovery_code_signs_in_once(client, create_account, enrol_totp, new_client, audit_events):
    account = create_account()
    _, codes = enrol_totp(account)
    password_step(client, account)
    response = submit_code(client, codes[3].upper().replace("-", " "))  # as typed from paper
    assert response.status_code == 303
    assert is_signed_in(client)
    [used] = audit_events(account, "account.recovery_code_used")
    assert used.data["remaining"] == 9
    [entry] = audit_events(account, "account.signed_in")
    assert entry.data["method"] == "recovery_code"
    # used up
    other = new_client()
    password_step(other, account)
    assert submit_code(other, codes[3]).status_code == 401
    assert submit_code(other, codes[4]).status_code == 303


def test_a_recovery_code_of_another_account_does_not_work(client, create_account, enrol_totp):
    account, stranger = create_account(), create_account()
    enrol_totp(account)
    _, strangers_codes = enrol_totp(stranger)
    password_step(client, account)
    assert submit_code(client, strangers_codes[0]).status_code == 401


def test_second_step_without_the_first_goes_back_to_sign_in(client):
    response = client.get("/account/sign-in/code")
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/sign-in"
    assert submit_code(client, "123456").status_code == 303


def test_the_second_step_expires(client, create_account, enrol_totp, clock):
    account = create_account()
    secret, _ = enrol_totp(account)
    password_step(client, account)
    with client.session_transaction() as sess:
        pending = dict(sess["pending_2fa"])
        pending["at"] -= 11 * 60
        sess["pending_2fa"] = pending
    response = submit_code(client, clock.code(secret))
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/sign-in"
    assert not is_signed_in(client)


def test_pending_sign_in_ends_when_the_session_version_changes(client, create_account, enrol_totp, db, clock):
    account = create_account()
    secret, _ = enrol_totp(account)
    password_step(client, account)
    ops.end_all_sessions(account)
    db.session.commit()
    assert submit_code(client, clock.code(secret)).headers["Location"] == "/account/sign-in"
    assert not is_signed_in(client)


def test_a_password_reset_does_not_skip_the_second_factor(client, create_account, enrol_totp, db):
    account = create_account()
    enrol_totp(account)
    token = ops.request_password_reset(account.email, address=None)
    ops.reset_password(token, "a new and long passphrase", address=None)
    db.session.commit()
    response = sign_in_with_password(client, account.email, "a new and long passphrase")
    assert response.headers["Location"] == "/account/sign-in/code"
    assert not is_signed_in(client)


def test_code_attempts_are_rate_limited(client, create_account, enrol_totp, clock):
    account = create_account()
    secret, _ = enrol_totp(account)
    password_step(client, account)
    bad = clock.wrong_code(secret)
    for _ in range(5):
        assert submit_code(client, bad).status_code == 401
    assert submit_code(client, bad).status_code == 429
    assert submit_code(client, clock.code(secret)).status_code == 429
    assert not is_signed_in(client)


def test_code_attempts_are_limited_per_account_not_per_browser(client, create_account, enrol_totp, new_client, clock):
    account = create_account()
    secret, _ = enrol_totp(account)
    bad = clock.wrong_code(secret)
    for n in range(5):
        browser = new_client()
        password_step(browser, account)
        assert submit_code(browser, bad).status_code == 401
    browser = new_client()
    password_step(browser, account)
    assert submit_code(browser, bad).status_code == 429


# --- required for administrators and secretaries ---------------------------------------------------
@pytest.mark.parametrize("role", ["admin", "secretary"])
def test_staff_without_totp_are_confined_to_enrolment(client, create_account, sign_in, role, clock):
    account = create_account(roles=[role])
    sign_in(account)
    for path in ("/", "/account/profile", "/account/password", "/account/two-factor"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == "/account/two-factor/setup"
    response = client.post("/account/profile", data={"display_name": "x", "language": "en",
                                                      "timezone": "Europe/Brussels"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/two-factor/setup"
    page = client.get("/account/two-factor/setup").get_data(as_text=True)
    assert "Your role requires two-step sign-in" in page
    with client.get("/static/core/css/portal.css") as stylesheet:
        assert stylesheet.status_code == 200
    # enrolling opens the portal
    secret = start_setup(client)
    assert client.post("/account/two-factor/setup", data={"code": clock.code(secret)}).status_code == 200
    assert client.get("/").status_code == 200
    assert client.get("/account/profile").status_code == 200


def test_a_branch_scoped_secretary_is_confined_too(client, create_account, create_branch, sign_in):
    sign_in(create_account(roles=[("secretary", create_branch("BE"))]))
    assert client.get("/account/profile").headers["Location"] == "/account/two-factor/setup"


def test_staff_without_totp_can_sign_out(client, create_account, sign_in):
    sign_in(create_account(roles=["admin"]))
    response = client.post("/account/sign-out")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert not is_signed_in(client)


def test_board_members_and_members_are_not_confined(client, create_account, create_branch, sign_in):
    sign_in(create_account(roles=[("board_member", create_branch("BE"))]))
    assert client.get("/account/profile").status_code == 200


def test_staff_cannot_turn_totp_off(client, create_account, signed_in_with_totp, db, clock):
    account = create_account(roles=["secretary"])
    secret, _ = signed_in_with_totp(account)
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "cannot be turned off" in page
    assert 'action="/account/two-factor/disable"' not in page
    response = client.post("/account/two-factor/disable", data={"disable-code": clock.code(secret)})
    assert response.status_code == 403
    db.session.refresh(account)
    assert account.has_totp


# --- optional for members --------------------------------------------------------------------------
def test_member_turns_totp_off_with_a_valid_code(client, create_account, signed_in_with_totp, db, audit_events,
                                                 clock):
    account = create_account()
    secret, _ = signed_in_with_totp(account)
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert page.count("<h1>") == 1
    assert '<label for="disable-code">' in page and '<label for="codes-code">' in page
    # a wrong code, and the code already used to sign in, are refused
    for code in (clock.wrong_code(secret), clock.code(secret, -1)):
        response = client.post("/account/two-factor/disable", data={"disable-code": code})
        assert response.status_code == 422
        assert "This code is not correct" in response.get_data(as_text=True)
        db.session.refresh(account)
        assert account.has_totp
    response = client.post("/account/two-factor/disable", data={"disable-code": clock.code(secret)})
    assert response.status_code == 303
    db.session.refresh(account)
    assert not account.has_totp and account.totp_secret is None and account.totp_last_step is None
    assert db.session.execute(select(RecoveryCode).where(RecoveryCode.account_id == account.id)).first() is None
    assert len(audit_events(account, "account.totp_disabled")) == 1
    # and signing in takes the password only again
    client.post("/account/sign-out")
    assert sign_in_with_password(client, account.email, TEST_PASSWORD).headers["Location"] == "/"


def test_member_turns_totp_off_with_a_recovery_code(client, create_account, signed_in_with_totp, db):
    account = create_account()
    _, codes = signed_in_with_totp(account)
    assert client.post("/account/two-factor/disable", data={"disable-code": codes[0]}).status_code == 303
    db.session.refresh(account)
    assert not account.has_totp


def test_member_enrols_from_the_settings_page(client, create_account, sign_in, clock):
    account = create_account()
    sign_in(account)
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert 'href="/account/two-factor/setup"' in page
    secret = start_setup(client)
    assert client.post("/account/two-factor/setup", data={"code": clock.code(secret)}).status_code == 200
    # this session stays signed in; the next sign-in asks for a code
    assert is_signed_in(client)
    client.post("/account/sign-out")
    password_step(client, account)


def test_new_recovery_codes_replace_the_old_ones(client, create_account, signed_in_with_totp, audit_events,
                                                 new_client, clock):
    account = create_account()
    secret, old_codes = signed_in_with_totp(account)
    response = client.post("/account/two-factor/recovery-codes", data={"codes-code": clock.wrong_code(secret)})
    assert response.status_code == 422
    response = client.post("/account/two-factor/recovery-codes", data={"codes-code": clock.code(secret)})
    assert response.status_code == 200
    new_codes = codes_in(response.get_data(as_text=True))
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    assert len(audit_events(account, "account.recovery_codes_regenerated")) == 1
    other = new_client()
    password_step(other, account)
    assert submit_code(other, old_codes[1]).status_code == 401
    assert submit_code(other, new_codes[1]).status_code == 303


def test_no_secret_or_code_in_logs_or_audit(client, create_account, sign_in, caplog, audit_events, clock):
    caplog.set_level(logging.DEBUG)
    account = create_account()
    sign_in(account)
    secret = start_setup(client)
    code = clock.code(secret)
    response = client.post("/account/two-factor/setup", data={"code": code})
    codes = codes_in(response.get_data(as_text=True))
    client.post("/account/sign-out")
    password_step(client, account)
    submit_code(client, codes[0])
    for text in [caplog.text] + [str(entry.data) for entry in audit_events()]:
        assert secret not in text
        assert not any(c in text for c in codes)
        assert f"'{code}'" not in text and f'"{code}"' not in text


def test_production_cannot_drop_the_requirement(app, monkeypatch, create_account):
    from governance.accounts.permissions import totp_required

    admin = create_account(roles=["admin"])
    monkeypatch.setitem(app.config, "TOTP_REQUIRED_ROLES", ())
    assert not totp_required(admin)
    monkeypatch.setitem(app.config, "GOVERNANCE_ENV", "production")
    assert totp_required(admin)
