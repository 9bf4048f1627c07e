"""The personal data export (GDPR): everything the portal holds about the person, and none of its secrets."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from governance.accounts import operations as ops
from governance.accounts.models import AccountToken, RecoveryCode
from governance.members.models import MemberStatusChange
from tests.accounts.conftest import invitation_token

PASSWORD = "a sentence I will remember"


@pytest.fixture
def be(create_branch):
    return create_branch("BE")


@pytest.fixture
def member_account(db, client, be, create_member, outbox, clock):
    """A member who was invited, created their account, asked for a password link, and has a second factor."""
    member = create_member(branch=be, number="BE-000777", first_name="An", last_name="Peeters",
                           email="An.Peeters@Example.org", language="nl", shares=3, share_class="A",
                           email_consent_dt=dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc))
    db.session.add_all([
        MemberStatusChange(member=member, old_status=None, new_status="applicant", effective_on=dt.date(2020, 1, 1),
                           source="import"),
        MemberStatusChange(member=member, old_status="applicant", new_status="active",
                           effective_on=dt.date(2020, 6, 1), source="manual"),
    ])
    ops.invite_members([member], actor=None)
    db.session.commit()
    raw = invitation_token(outbox(member.email)[-1].body_text)
    response = client.post(f"/account/invitation/{raw}", data={
        "display_name": "An", "new_password": PASSWORD, "confirm_password": PASSWORD, "language": "nl"})
    assert response.status_code == 303
    account = ops.find_account_by_email(member.email)
    ops.request_password_reset(account.email, address="192.0.2.1")
    ops.update_profile(account, display_name="An", language="nl", timezone="Europe/Brussels",
                       notify_workgroup_email=True, notify_ballot_email=False, notify_convocation_email=True,
                       actor=account)
    db.session.commit()
    return member, account


def download(client):
    response = client.post("/account/export")
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="personal-data-')
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_data(as_text=True), json.loads(response.get_data(as_text=True))


def test_export_page_shows_a_button_and_changes_nothing(client, member_account, audit_events):
    before = len(audit_events())
    response = client.get("/account/export")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count("<h1>") == 1
    assert 'method="post" action="/account/export"' in page
    assert response.mimetype == "text/html"
    assert len(audit_events()) == before
    assert 'href="/account/export"' in client.get("/account/profile").get_data(as_text=True)


def test_export_needs_sign_in(client):
    assert client.get("/account/export").status_code == 302
    assert client.post("/account/export").status_code == 302


def test_export_holds_the_account_roles_register_entry_and_history(client, member_account, enrol_totp, audit_events,
                                                                   outbox):
    member, account = member_account
    enrol_totp(account)
    text, data = download(client)

    assert data["format"] == "governance-portal-personal-data"
    assert data["account"]["id"] == account.id
    assert data["account"]["email"] == "an.peeters@example.org"
    assert data["account"]["display_name"] == "An"
    assert data["account"]["language"] == "nl"
    assert data["account"]["email_preferences"] == {"workgroups": True, "ballots": False, "convocations": True,
                                                    "notification_summary": "weekly"}
    assert data["account"]["two_step_sign_in"]["enabled"] is True
    assert data["account"]["two_step_sign_in"]["recovery_codes"] == {"total": 10, "used": 0}
    assert data["roles"] == []

    entry = data["register_entry"]
    assert entry["number"] == "BE-000777"
    assert (entry["first_name"], entry["last_name"]) == ("An", "Peeters")
    assert entry["branch"] == {"code": "BE", "country": "BE"}
    assert entry["email"] == "An.Peeters@Example.org"
    assert entry["status"] == "active" and entry["shares"] == 3 and entry["share_class"] == "A"
    assert entry["joined_on"] == "2020-01-01"
    assert entry["convened_by_email_since"].startswith("2024-05-01")
    assert [(h["from"], h["to"], h["effective_on"], h["source"]) for h in entry["status_history"]] == [
        (None, "applicant", "2020-01-01", "import"), ("applicant", "active", "2020-06-01", "manual")]

    events = [e["event"] for e in data["audit_log"]]
    for event in ("account.invitation_sent", "account.created", "account.member_linked",
                  "account.password_reset_requested", "account.totp_enabled"):
        assert event in events, events
    invitation = next(e for e in data["audit_log"] if e["event"] == "account.invitation_sent")
    assert invitation["object"] == f"members:{member.id}" and invitation["as_actor"] is False
    reset = next(e for e in data["audit_log"] if e["event"] == "account.password_reset_requested")
    assert reset["data"]["address"] == "192.0.2.1" and reset["at"]

    purposes = [link["purpose"] for link in data["emailed_links"]]
    assert purposes == ["invite", "reset"]
    assert data["emailed_links"][0]["used_or_replaced_at"] is not None

    # emails: subject, dates and status; no body for those holding a sign-in or password link
    sent = outbox(member.email) + outbox(account.email)
    assert [(m["subject"], m["status"]) for m in data["emails"]] == [(m.subject, "queued") for m in sent]
    assert [m["to"] for m in data["emails"]] == ["An.Peeters@Example.org", "an.peeters@example.org"]
    assert all("body" not in m for m in data["emails"])
    assert all(m["queued_at"] for m in data["emails"])
    assert data["ballot_participation"] == []
    # the export itself is logged
    assert audit_events(account, "account.data_exported")


def test_export_never_holds_a_secret(client, member_account, enrol_totp, db, outbox):
    member, account = member_account
    secret, codes = enrol_totp(account)
    text, data = download(client)
    secrets = [account.password_hash, secret, *codes]
    secrets += list(db.session.execute(select(AccountToken.token_hash)).scalars())
    secrets += list(db.session.execute(select(RecoveryCode.code_hash)).scalars())
    for message in outbox(member.email) + outbox(account.email):
        secrets.append(message.body_text.split("http://portal.test/")[1].split()[0])
    for value in secrets:
        assert value and value not in text, value
    for key in ("password_hash", "totp_secret", "token_hash", "code_hash", "session_version", "body_text"):
        assert key not in text


def test_other_emails_include_their_body(client, member_account, db):
    from governance.core.outbox import queue_email

    member, account = member_account
    queue_email(key="test:notice", to_address=account.email, language="en", template="password_reset",
                context={"reset_url": "(no link)"})
    db.session.commit()
    _text, data = download(client)
    notice = data["emails"][-1]
    assert "(no link)" in notice["body"]


def test_an_account_without_a_member_exports_no_register_entry(client, create_account, sign_in, db):
    account = create_account(display_name="Observer")
    db.session.commit()
    sign_in(account)
    _text, data = download(client)
    assert data["register_entry"] is None
    assert data["account"]["display_name"] == "Observer"
    assert data["roles"] == []


def test_another_persons_data_is_not_included(client, member_account, create_member, be, db, outbox):
    member, account = member_account
    other = create_member(branch=be, email="other@example.org")
    ops.invite_members([other], actor=None)
    db.session.commit()
    text, _data = download(client)
    assert other.number not in text and "other@example.org" not in text


def test_roles_are_listed(client, create_account, create_branch, sign_in, db):
    fr = create_branch("FR")
    account = create_account(roles=[("board_member", fr)])
    db.session.commit()
    sign_in(account)
    _text, data = download(client)
    assert [(r["role"], r["branch"]) for r in data["roles"]] == [("board_member", "FR")]


def test_exports_are_rate_limited_per_account(client, create_account, sign_in, db):
    sign_in(create_account())
    for _ in range(5):
        assert client.post("/account/export").status_code == 200
    assert client.post("/account/export").status_code == 429
