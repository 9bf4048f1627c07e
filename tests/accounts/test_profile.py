"""The profile: name, language, time zone, email preferences. Bad input is 422, kept, and writes nothing."""
from __future__ import annotations

import datetime as dt

import pytest

from governance.core.db_types import utcnow

VALID = {
    "display_name": "Anne Lefèvre",
    "language": "fr",
    "timezone": "Europe/Paris",
    "notify_workgroup_email": "y",
    "notify_ballot_email": "y",
    # notify_convocation_email unticked: a browser leaves it out
}


def test_profile_needs_sign_in(client):
    response = client.get("/account/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/sign-in")


def test_profile_page(client, create_account, sign_in):
    account = create_account(display_name="Jo Peeters")
    sign_in(account)
    response = client.get("/account/profile")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count("<h1>") == 1
    assert 'value="Jo Peeters"' in page
    for name in ("display_name", "language", "timezone", "notify_workgroup_email", "notify_ballot_email",
                 "notify_convocation_email"):
        assert f'<label for="{name}">' in page, name
    assert 'list="timezone-options"' in page and '<option value="Europe/Brussels">' in page
    assert 'autocomplete="nickname"' in page
    assert account.email in page
    assert 'href="/account/password"' in page


def test_saving_the_profile(client, create_account, sign_in, db):
    account = create_account(language="en")
    sign_in(account)
    response = client.post("/account/profile", data=dict(VALID))
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/profile"
    db.session.refresh(account)
    assert account.display_name == "Anne Lefèvre"
    assert account.language == "fr"
    assert account.timezone == "Europe/Paris"
    assert account.notify_workgroup_email and account.notify_ballot_email
    assert account.notify_convocation_email is False
    # the interface follows the new language
    assert '<html lang="fr">' in client.get("/account/profile").get_data(as_text=True)


def test_preferences_default_to_yes(create_account):
    account = create_account()
    assert account.notify_workgroup_email and account.notify_ballot_email and account.notify_convocation_email


@pytest.mark.parametrize("field,value,message", [
    ("timezone", "Mars/Olympus_Mons", "Choose a time zone from the list"),
    ("timezone", "", "This field is required."),
    ("language", "xx", "Not a valid choice"),
    ("display_name", "", "This field is required."),
    ("display_name", "x" * 121, "120"),
])
def test_bad_input_is_422_kept_and_writes_nothing(client, create_account, sign_in, db, field, value, message):
    account = create_account(display_name="Before", language="en")
    sign_in(account)
    data = dict(VALID, **{field: value})
    response = client.post("/account/profile", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert 'aria-invalid="true"' in page
    # what was typed is still in the form
    if field != "language":
        assert f'value="{value}"' in page
    if field != "display_name":
        assert 'value="Anne Lefèvre"' in page
    # and nothing was written, not even the valid fields
    db.session.refresh(account)
    assert account.display_name == "Before"
    assert account.language == "en"
    assert account.timezone == "Europe/Brussels"


def test_bad_time_zone_message_is_translated(client, create_account, sign_in, app):
    from flask_babel import force_locale, gettext

    account = create_account(language="nl")
    sign_in(account)
    response = client.post("/account/profile", data=dict(VALID, language="nl", timezone="Nowhere/Atlantis"))
    assert response.status_code == 422
    with app.test_request_context(), force_locale("nl"):
        expected = gettext("Choose a time zone from the list, for example Europe/Brussels.")
    assert expected in response.get_data(as_text=True)
    assert '<html lang="nl">' in response.get_data(as_text=True)


def test_only_the_listed_fields_change(client, create_account, sign_in, db):
    account = create_account()
    sign_in(account)
    email, version = account.email, account.session_version
    response = client.post("/account/profile", data=dict(
        VALID, email="attacker@example.org", is_enabled="", session_version="99", member_id="1",
        totp_secret="JBSWY3DPEHPK3PXP", role="admin", password_hash="x", id="999",
    ))
    assert response.status_code == 303
    db.session.refresh(account)
    assert account.email == email
    assert account.is_enabled is True
    assert account.session_version == version
    assert account.member_id is None
    assert account.totp_secret is None
    assert account.roles == []
    assert account.password_hash.startswith("$argon2id$")


@pytest.mark.parametrize("consent,text", [
    (True, "The register records your consent of"),
    (False, "The register has no such consent from you"),
])
def test_convocation_preference_explains_the_register_consent(client, create_account, create_member, sign_in, db,
                                                              consent, text):
    member = create_member(email_consent_dt=utcnow() - dt.timedelta(days=30) if consent else None)
    sign_in(create_account(member=member))
    page = client.get("/account/profile").get_data(as_text=True)
    assert text in page
    assert member.number in page


def test_account_without_member_is_told_about_convocations(client, create_account, sign_in):
    sign_in(create_account())
    assert "Your account is not linked to a member of the register" in client.get("/account/profile").get_data(as_text=True)


def test_get_pages_change_nothing(client, create_account, sign_in, db, audit_events):
    account = create_account()
    sign_in(account)
    before = len(audit_events())
    version = account.session_version
    for path in ("/account/profile", "/account/password", "/account/two-factor", "/account/two-factor/setup",
                 "/account/password/forgot", "/account/sign-in/code"):
        assert client.get(path).status_code in (200, 302, 303), path
    db.session.refresh(account)
    assert len(audit_events()) == before
    assert account.session_version == version
    assert account.totp_secret is None
