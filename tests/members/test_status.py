"""A member's status and contact details, changed by hand on the member page: scope, validation, audit."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from governance.core.audit import AuditEntry
from governance.members import operations as ops
from governance.members.models import Member, MemberStatus, MemberStatusChange
from tests.members.conftest import make_csv, row

TODAY = dt.date.today()


def page_text(response) -> str:
    return response.get_data(as_text=True)


def events(db, event: str) -> list[AuditEntry]:
    return list(db.session.execute(select(AuditEntry).where(AuditEntry.event == event)
                                   .order_by(AuditEntry.seq)).scalars())


def history(db, member) -> list[MemberStatusChange]:
    return list(db.session.execute(select(MemberStatusChange).where(MemberStatusChange.member_id == member.id)
                                   .order_by(MemberStatusChange.id)).scalars())


def reload(db, member) -> Member:
    db.session.expire_all()
    return db.session.get(Member, member.id)


def audit_count(db) -> int:
    return db.session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()


@pytest.fixture
def board_be(create_account, be):
    return create_account(roles=[("board_member", be)])


@pytest.fixture
def an(create_member, be):
    return create_member(branch=be, number="BE-1001", first_name="An", last_name="Peeters",
                         email="an.peeters@example.org", language="nl", joined_on=dt.date(2020, 1, 15))


@pytest.fixture
def camille(create_member, fr):
    return create_member(branch=fr, number="FR-2001", first_name="Camille", last_name="Martin",
                         email="camille@example.fr", language="fr")


def status_form(**overrides) -> dict:
    data = {"status": "suspended", "effective_on": (TODAY - dt.timedelta(days=3)).isoformat(),
            "note": "Unpaid shares since March"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def details_form(**overrides) -> dict:
    data = {"email": "an@example.net", "language": "fr", "email_consent": "y"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- the page --------------------------------------------------------------------------------------
def test_the_member_page_has_both_forms_and_says_what_the_import_overwrites(client, sign_in, board_be, an):
    sign_in(board_be)
    response = client.get(f"/register/members/{an.id}")
    body = page_text(response)
    assert response.status_code == 200 and body.count("<h1>") == 1
    assert f'action="/register/members/{an.id}/status"' in body
    assert f'action="/register/members/{an.id}/details"' in body
    assert "The next import overwrites the status, and the email address and preferred language" in body
    # the current status is not offered; the date defaults to today, within what is accepted
    assert '<option value="active">' not in body and '<option value="suspended">Suspended</option>' in body
    assert f'max="{TODAY.isoformat()}"' in body and 'min="2020-01-15"' in body
    assert f'value="{TODAY.isoformat()}"' in body
    assert 'value="an.peeters@example.org"' in body


# --- who may change what ---------------------------------------------------------------------------
def test_a_board_member_of_belgium_cannot_change_a_french_member(client, sign_in, board_be, camille, db):
    sign_in(board_be)
    before = audit_count(db)
    assert client.post(f"/register/members/{camille.id}/status", data=status_form()).status_code == 403
    assert client.post(f"/register/members/{camille.id}/details", data=details_form()).status_code == 403
    camille = reload(db, camille)
    assert camille.status == "active" and camille.email == "camille@example.fr" and camille.email_consent_dt is None
    assert history(db, camille) == [] and audit_count(db) == before


def test_a_plain_member_gets_403_even_for_their_own_entry(client, sign_in, create_account, an, db):
    sign_in(create_account(member=an))
    assert client.post(f"/register/members/{an.id}/status", data=status_form()).status_code == 403
    assert client.post(f"/register/members/{an.id}/details", data=details_form()).status_code == 403
    assert client.post("/register/members/999999/status", data=status_form()).status_code == 403
    assert reload(db, an).status == "active"


def test_an_unknown_member_is_404(client, sign_in, admin):
    sign_in(admin)
    assert client.post("/register/members/999999/status", data=status_form()).status_code == 404
    assert client.post("/register/members/999999/details", data=details_form()).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, an):
    response = client.post(f"/register/members/{an.id}/status", data=status_form())
    assert response.status_code == 302 and "/account/sign-in" in response.headers["Location"]


# --- changing the status ---------------------------------------------------------------------------
def test_changing_the_status_records_history_and_audit(client, sign_in, board_be, an, db):
    sign_in(board_be)
    response = client.post(f"/register/members/{an.id}/status", data=status_form())
    assert response.status_code == 303 and response.headers["Location"] == f"/register/members/{an.id}"
    assert reload(db, an).status == "suspended"
    [change] = history(db, an)
    assert (change.old_status, change.new_status, change.source, change.note) == (
        "active", "suspended", "manual", "Unpaid shares since March")
    assert change.effective_on == TODAY - dt.timedelta(days=3)
    [entry] = events(db, "member.status_changed")
    assert entry.actor_id == board_be.id and entry.object_type == "members" and entry.object_id == str(an.id)
    assert entry.data["old"] == "active" and entry.data["new"] == "suspended"
    assert entry.data["note"] == "Unpaid shares since March"
    body = page_text(client.get(f"/register/members/{an.id}"))
    assert "The status of An Peeters is now “Suspended”." in body
    assert "Unpaid shares since March" in body[body.find("Status history"):]


def test_leaving_sets_the_date_left_and_coming_back_clears_it(client, sign_in, admin, an, db):
    sign_in(admin)
    left = TODAY - dt.timedelta(days=10)
    assert client.post(f"/register/members/{an.id}/status", data=status_form(
        status="resigned", effective_on=left.isoformat(), note="")).status_code == 303
    member = reload(db, an)
    assert member.status == "resigned" and member.left_on == left
    assert history(db, an)[-1].note is None
    assert client.post(f"/register/members/{an.id}/status", data=status_form(
        status="active", effective_on=TODAY.isoformat())).status_code == 303
    member = reload(db, an)
    assert member.status == "active" and member.left_on is None
    assert [c.new_status for c in history(db, an)] == ["resigned", "active"]


@pytest.mark.parametrize("overrides,message", [
    ({"effective_on": (TODAY + dt.timedelta(days=1)).isoformat()}, "A status change cannot take effect in the future."),
    ({"effective_on": "2020-01-14"}, "A status change cannot take effect before the member joined (2020-01-15)."),
    ({"effective_on": "2021-01-01"}, "before the last one recorded (2022-06-01)."),
    ({"effective_on": ""}, "Give the date the change took effect."),
    ({"effective_on": "31/02/2024"}, "Not a valid date value."),
    ({"status": ""}, "Choose the new status."),
    ({"status": "active"}, "Not a valid choice."),  # the current status is not offered
    ({"status": "emperor"}, "Not a valid choice."),
    ({"note": "x" * 501}, "Field cannot be longer than 500 characters."),
])
def test_bad_status_changes_are_refused_with_nothing_written(client, sign_in, board_be, an, db, overrides,
                                                             message):
    db.session.add(MemberStatusChange(member_id=an.id, old_status="applicant", new_status="active",
                                      effective_on=dt.date(2022, 6, 1), source="import"))
    db.session.flush()
    sign_in(board_be)
    before = audit_count(db)
    data = status_form(**overrides)
    response = client.post(f"/register/members/{an.id}/status", data=data)
    body = page_text(response)
    assert response.status_code == 422
    assert message in body
    assert "Please correct the fields marked below." in body
    assert reload(db, an).status == "active"
    assert len(history(db, an)) == 1 and audit_count(db) == before
    if len(data.get("note", "")) <= 500:
        assert "Unpaid shares since March</textarea>" in body  # what was typed is kept


def test_the_operation_checks_its_rules_too(db, board_be, an, create_account, fr):
    with pytest.raises(ops.InvalidField) as error:
        ops.change_status(an, MemberStatus.active, actor=board_be)
    assert error.value.field == "status"
    with pytest.raises(ops.InvalidField) as error:
        ops.change_status(an, MemberStatus.suspended, actor=board_be, effective_on=dt.date(2026, 3, 2),
                          today=dt.date(2026, 3, 1))
    assert error.value.field == "effective_on"
    with pytest.raises(ops.InvalidField) as error:
        ops.change_status(an, MemberStatus.suspended, actor=board_be, note="x" * 501)
    assert error.value.field == "note"


def test_today_is_the_branchs_day(db, create_branch, create_member):
    """Just after midnight in Auckland it is still yesterday in Brussels, and the other way round."""
    far = create_branch("NZ", timezone="Pacific/Auckland")
    near = create_branch("US", timezone="America/Los_Angeles")
    assert ops.branch_today(far) >= ops.branch_today(near)
    assert (ops.branch_today(far) - ops.branch_today(near)).days in (0, 1)


# --- contact details and consent -------------------------------------------------------------------
def test_changing_contact_details_and_giving_consent(client, sign_in, board_be, an, db):
    sign_in(board_be)
    response = client.post(f"/register/members/{an.id}/details", data=details_form())
    assert response.status_code == 303
    member = reload(db, an)
    assert member.email == "an@example.net" and member.language == "fr"
    assert member.email_consent_dt is not None
    assert dt.datetime.now(dt.timezone.utc) - member.email_consent_dt < dt.timedelta(minutes=5)
    [entry] = events(db, "member.updated")
    assert entry.actor_id == board_be.id and entry.object_id == str(an.id)
    changes = entry.data["changes"]
    assert changes["email"] == {"old": "an.peeters@example.org", "new": "an@example.net"}
    assert changes["language"] == {"old": "nl", "new": "fr"}
    assert changes["email_consent"]["old"] is None and changes["email_consent"]["new"]
    body = page_text(client.get(f"/register/members/{an.id}"))
    assert "The register entry of An Peeters has been saved." in body and "Yes, agreed on" in body


def test_saving_again_keeps_the_consent_date_and_withdrawing_clears_it(client, sign_in, board_be, an, db):
    agreed = dt.datetime(2024, 5, 1, 9, 0, tzinfo=dt.timezone.utc)
    an.email_consent_dt = agreed
    db.session.flush()
    sign_in(board_be)
    response = client.post(f"/register/members/{an.id}/details", data=details_form(
        email="an.peeters@example.org", language="nl"))
    assert response.status_code == 303
    assert reload(db, an).email_consent_dt == agreed
    assert events(db, "member.updated") == []
    assert "Nothing was changed." in page_text(client.get(f"/register/members/{an.id}"))
    response = client.post(f"/register/members/{an.id}/details", data={
        "email": "an.peeters@example.org", "language": "nl"})
    assert response.status_code == 303
    assert reload(db, an).email_consent_dt is None
    [entry] = events(db, "member.updated")
    assert entry.data["changes"] == {"email_consent": {"old": agreed.isoformat(), "new": None}}


@pytest.mark.parametrize("overrides,message", [
    ({"email": "not an address"}, "Enter a valid email address, or leave it empty."),
    ({"email": "an@example"}, "Enter a valid email address, or leave it empty."),
    ({"email": ""}, "Only a member with an email address can be convened by email."),
    ({"language": "xx"}, "Not a valid choice."),
    ({"language": ""}, "Not a valid choice."),
])
def test_bad_details_are_refused_with_nothing_written(client, sign_in, board_be, an, db, overrides, message):
    sign_in(board_be)
    before = audit_count(db)
    data = details_form(**overrides)
    response = client.post(f"/register/members/{an.id}/details", data=data)
    body = page_text(response)
    assert response.status_code == 422
    assert message in body
    member = reload(db, an)
    assert (member.email, member.language, member.email_consent_dt) == ("an.peeters@example.org", "nl", None)
    assert audit_count(db) == before
    if data["email"]:
        assert f'value="{data["email"]}"' in body  # what was typed is kept


def test_an_email_can_be_removed_without_consent(client, sign_in, admin, an, db):
    sign_in(admin)
    response = client.post(f"/register/members/{an.id}/details", data={"email": "", "language": "nl"})
    assert response.status_code == 303
    assert reload(db, an).email is None


def test_the_next_import_overwrites_what_the_export_holds_and_keeps_the_consent(client, sign_in, admin, an, db):
    """What the page says is what importing.py does."""
    sign_in(admin)
    client.post(f"/register/members/{an.id}/details", data=details_form())
    client.post(f"/register/members/{an.id}/status", data=status_form())
    ops.import_register(make_csv([row("BE-1001", email="an.peeters@example.org", language="nl", status="active",
                                      joined="2020-01-15", left="", shares="1")]),
                        "register.csv", actor=None)
    member = reload(db, an)
    assert (member.email, member.language, member.status) == ("an.peeters@example.org", "nl", "active")
    assert member.email_consent_dt is not None
    assert [c.note for c in history(db, an)] == ["Unpaid shares since March", None]


# --- CSRF --------------------------------------------------------------------------------------------
MEMBERS_POST_ROUTES = [
    "/register/import",
    "/register/members/{member_id}/status",
    "/register/members/{member_id}/details",
    "/register/branches/new",
    "/register/branches/{branch_code}/edit",
]


def test_the_list_covers_every_post_route_of_the_register(app):
    rules = {rule.rule for rule in app.url_map.iter_rules()
             if rule.endpoint.startswith("members.") and "POST" in rule.methods}
    assert rules == {path.replace("{member_id}", "<int:member_id>").replace("{branch_code}", "<branch_code>")
                     for path in MEMBERS_POST_ROUTES}


@pytest.mark.parametrize("path", MEMBERS_POST_ROUTES)
def test_post_without_csrf_token_is_400(client, sign_in, admin, an, db, path):
    sign_in(admin)
    before = audit_count(db)
    data = {**status_form(), **details_form(), "code": "LU", "name_en": "Luxembourg", "country": "LU",
            "official_languages": ["fr"], "main_language": "fr", "required_languages": ["fr"],
            "timezone": "Europe/Luxembourg", "file": (io.BytesIO(make_csv([row()])), "r.csv")}
    response = client.post(path.format(member_id=an.id, branch_code="BE"), data=data, csrf=False,
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Your form had expired or was sent from elsewhere" in page_text(response)
    member = reload(db, an)
    assert (member.status, member.email) == ("active", "an.peeters@example.org")
    assert audit_count(db) == before
