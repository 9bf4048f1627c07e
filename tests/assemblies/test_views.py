"""The assembly pages: list, page, managing a draft, the convocation pages, permissions, CSRF, 422 with kept input,
and the number of queries of the list and the page."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from governance.assemblies import queries
from governance.assemblies.models import Assembly, AssemblyRole

from .conftest import local_time, page_text, texts


@pytest.fixture
def convened(db, make_assembly, add_item, add_resolution, roll_member, be, convene):
    assembly = make_assembly()
    add_item(assembly, title="Accounts")
    add_resolution(assembly, statute=True, majority="qualified:2/3", quorum="share:1/2", title="Statutes")
    roll_member(be, consent=False)
    convene(assembly)
    return assembly


# --- seeing ----------------------------------------------------------------------------------------
def test_list_shows_upcoming_and_drafts_to_managers(db, client, sign_in, make_assembly, convened, roll_account, be,
                                                    admin):
    draft = make_assembly(titles=texts("Secret draft"))
    member = roll_account(be)
    sign_in(member)
    text = page_text(client.get("/assemblies/"))
    assert "General assembly (en)" in text and "Secret draft" not in text
    client.post("/account/sign-out")
    sign_in(admin)
    text = page_text(client.get("/assemblies/"))
    assert "Secret draft (en)" in text and "Drafts you organise" in text
    assert draft.id


def test_member_sees_the_assembly_page(db, client, sign_in, convened, roll_account, be):
    sign_in(roll_account(be, language="en"))
    response = client.get(f"/assemblies/{convened.id}")
    assert response.status_code == 200
    text = page_text(response)
    assert "Accounts (en)" in text and "Statutes: the assembly resolves (en)" in text
    assert "Two-thirds majority" in text and "half of the members present or represented" in text
    assert "<del>Article 5: the old text (en)</del>" in text and "<ins>Article 5: the new text (en)</ins>" in text
    assert "Europe/Brussels" in text
    assert "Send the convocation" not in text


def test_other_branch_gets_404(db, client, sign_in, convened, roll_account, fr, board):
    sign_in(roll_account(fr))
    assert client.get(f"/assemblies/{convened.id}").status_code == 404
    assert client.get(f"/assemblies/{convened.id}/assembly.ics").status_code == 404
    assert client.get("/assemblies/999999").status_code == 404
    assert "General assembly" not in page_text(client.get("/assemblies/"))


def test_draft_hidden_from_members(db, client, sign_in, make_assembly, roll_account, be):
    draft = make_assembly()
    sign_in(roll_account(be))
    assert client.get(f"/assemblies/{draft.id}").status_code == 404


def test_page_in_the_reader_time_zone(db, client, sign_in, make_assembly, add_item, roll_account, be, convene,
                                      create_branch):
    assembly = make_assembly(starts_at=local_time("Europe/Brussels", 40, 9, 0))
    add_item(assembly)
    account = roll_account(be)
    account.timezone = "America/New_York"
    db.session.flush()
    convene(assembly)
    sign_in(account)
    text = page_text(client.get(f"/assemblies/{assembly.id}"))
    local = assembly.starts_at.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
    assert local.strftime("%-I:%M") in text or local.strftime("%H:%M") in text
    assert "09:00" in text  # the local time at the assembly, shown too


def test_icalendar_download(db, client, sign_in, convened, roll_account, be):
    sign_in(roll_account(be))
    response = client.get(f"/assemblies/{convened.id}/assembly.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    assert "attachment" in response.headers["Content-Disposition"]
    assert b"BEGIN:VEVENT" in response.data


# --- managing --------------------------------------------------------------------------------------
def _assembly_form(be, **overrides):
    starts = (dt.date.today() + dt.timedelta(days=40)).isoformat() + "T10:00"
    data = {"scope": str(be.id), "kind": "ordinary", "original_language": "en", "timezone": "Europe/Brussels",
            "starts_at": starts, "place": "Brussels", "online_url": "", "eligible_statuses": ["active"],
            "notice_days": "15", "max_proxies_per_holder": "1", "vote_cap_numerator": "1",
            "vote_cap_denominator": "10", "title_en": "Spring assembly", "title_nl": "Voorjaarsvergadering",
            "title_fr": "Assemblée de printemps", "description_en": "Every year."}
    data.update(overrides)
    return data


def test_board_member_creates_an_assembly(db, client, sign_in, be, board, audit_events):
    account = board(be)
    sign_in(account)
    assert client.get("/assemblies/new").status_code == 200
    response = client.post("/assemblies/new", data=_assembly_form(be))
    assert response.status_code == 303
    assembly = db.session.execute(select(Assembly).order_by(Assembly.id.desc())).scalars().first()
    assert assembly.titles["nl"] == "Voorjaarsvergadering" and assembly.branch_id == be.id
    assert assembly.local_starts_at.hour == 10
    assert "assembly.created" in [e.event for e in audit_events("assembly.")]


def test_invalid_form_keeps_input_with_422(db, client, sign_in, be, board):
    sign_in(board(be))
    response = client.post("/assemblies/new", data=_assembly_form(be, title_en="", title_fr="Gardé", place=""))
    assert response.status_code == 422
    text = page_text(response)
    assert "Gardé" in text and "Give the title in the original language" in text
    assert db.session.execute(select(Assembly)).first() is None


def test_past_date_refused_with_422(db, client, sign_in, be, board):
    sign_in(board(be))
    response = client.post("/assemblies/new", data=_assembly_form(be, starts_at="2020-01-01T10:00"))
    assert response.status_code == 422
    assert "Spring assembly" in page_text(response)


def test_member_cannot_create_or_manage(db, client, sign_in, be, roll_account, convened):
    sign_in(roll_account(be))
    assert client.get("/assemblies/new").status_code == 403
    assert client.post("/assemblies/new", data=_assembly_form(be)).status_code == 403
    for path in ("roles", "convocation", "deliveries", "letters", "documents"):
        assert client.get(f"/assemblies/{convened.id}/{path}").status_code == 403, path


def test_board_of_other_branch_gets_403_or_404(db, client, sign_in, be, fr, board, make_assembly):
    draft = make_assembly()
    sign_in(board(fr))
    assert client.get(f"/assemblies/{draft.id}").status_code == 404
    response = client.post("/assemblies/new", data=_assembly_form(be))
    assert response.status_code == 422  # the branch is not among the choices


def test_csrf_is_required(db, client, sign_in, be, board):
    sign_in(board(be))
    response = client.post("/assemblies/new", data=_assembly_form(be), csrf=False)
    assert response.status_code == 400
    assert db.session.execute(select(Assembly)).first() is None


def test_agenda_item_add_move_delete(db, client, sign_in, make_assembly, admin, audit_events):
    assembly = make_assembly()
    sign_in(admin)
    for title in ("First", "Second"):
        response = client.post(f"/assemblies/{assembly.id}/agenda/new", data={
            "kind": "information", "original_language": "en", "title_en": title, "text_en": "Why"})
        assert response.status_code == 303
    response = client.post(f"/assemblies/{assembly.id}/agenda/new", data={
        "kind": "resolution", "original_language": "en", "title_en": "Vote", "resolution_en": "",
        "majority": "simple", "quorum": "none"})
    assert response.status_code == 422 and "Give the text of the resolution" in page_text(response)
    items = queries.agenda_items(assembly)
    assert [i.titles["en"] for i in items] == ["First", "Second"]
    assert client.post(f"/assemblies/{assembly.id}/agenda/{items[1].id}/move",
                       data={"direction": "up"}).status_code == 303
    db.session.expire_all()
    assert [i.titles["en"] for i in queries.agenda_items(assembly)] == ["Second", "First"]
    assert client.post(f"/assemblies/{assembly.id}/agenda/{items[1].id}/delete").status_code == 303
    db.session.expire_all()
    assert [(i.position, i.titles["en"]) for i in queries.agenda_items(assembly)] == [(1, "First")]
    text = page_text(client.get(f"/assemblies/{assembly.id}"))
    assert "Move item 1 up" not in text


def test_a_resolution_is_voted_by_roll_call_when_the_board_says_so(db, client, sign_in, make_assembly, admin):
    assembly = make_assembly()
    sign_in(admin)
    data = {"kind": "resolution", "original_language": "en", "title_en": "Discharge", "resolution_en": "Granted.",
            "majority": "simple", "quorum": "none", "resolution_kind": "ordinary"}
    assert client.post(f"/assemblies/{assembly.id}/agenda/new", data={**data, "vote": "open"}).status_code == 303
    assert client.post(f"/assemblies/{assembly.id}/agenda/new", data=data).status_code == 303
    roll_call, secret = queries.agenda_items(assembly)
    assert (roll_call.vote_secret, secret.vote_secret) == (False, True)
    page = page_text(client.get(f"/assemblies/{assembly.id}/agenda/{roll_call.id}/edit"))
    assert 'checked id="vote-1" name="vote" type="radio" value="open"' in page


def test_item_of_another_assembly_is_404(db, client, sign_in, make_assembly, add_item, admin):
    one, other = make_assembly(), make_assembly()
    item = add_item(other)
    sign_in(admin)
    assert client.get(f"/assemblies/{one.id}/agenda/{item.id}/edit").status_code == 404


def test_roles_page(db, client, sign_in, convened, admin, roll_member, be, create_account, audit_events):
    chair = roll_member(be)
    staff = create_account(email="staff@example.org")
    sign_in(admin)
    assert client.post(f"/assemblies/{convened.id}/roles", data={"role": "chair", "person": chair.number}
                       ).status_code == 303
    assert client.post(f"/assemblies/{convened.id}/roles", data={"role": "checkin_staff",
                                                                 "person": "STAFF@example.org"}).status_code == 303
    response = client.post(f"/assemblies/{convened.id}/roles", data={"role": "teller", "person": "nobody"})
    assert response.status_code == 422 and "nobody" in page_text(response)
    response = client.post(f"/assemblies/{convened.id}/roles", data={"role": "chair", "person": chair.number})
    assert response.status_code == 409
    rows = queries.roles(convened)
    assert {(r.role, r.member_id, r.account_id) for r in rows} == {("chair", chair.id, None),
                                                                   ("checkin_staff", None, staff.id)}
    row = next(r for r in rows if r.role == "chair")
    assert client.post(f"/assemblies/{convened.id}/roles/{row.id}/delete").status_code == 303
    assert db.session.execute(select(AssemblyRole.id).where(AssemblyRole.id == row.id)).first() is None
    events = [e.event for e in audit_events("assembly.role")]
    assert events == ["assembly.role_added", "assembly.role_added", "assembly.role_removed"]


def test_staff_role_sees_the_assembly(db, client, sign_in, convened, admin, create_account):
    from governance.assemblies import operations as ops

    staff = create_account(email="desk@example.org")
    ops.add_role(convened, actor=admin, role="checkin_staff", account=staff)
    sign_in(staff)
    assert client.get(f"/assemblies/{convened.id}").status_code == 200


# --- convocation pages -----------------------------------------------------------------------------
def test_convocation_preview_and_refusal(db, client, sign_in, make_assembly, add_item, roll_member, be, admin):
    assembly = make_assembly(titles={"en": "Only English", "nl": "Alleen Nederlands"})
    add_item(assembly)
    roll_member(be)
    roll_member(be, consent=False)
    sign_in(admin)
    text = page_text(client.get(f"/assemblies/{assembly.id}/convocation"))
    assert "cannot be sent" in text and "French" in text
    response = client.post(f"/assemblies/{assembly.id}/convocation")
    assert response.status_code == 409 and "French" in page_text(response)
    db.session.expire_all()
    assert db.session.get(Assembly, assembly.id).is_draft


def test_send_convocation_from_the_page(db, client, sign_in, make_assembly, add_item, roll_member, be, admin,
                                        outbox):
    assembly = make_assembly()
    add_item(assembly)
    roll_member(be, email="yes@example.org")
    roll_member(be, consent=False)
    sign_in(admin)
    text = page_text(client.get(f"/assemblies/{assembly.id}/convocation"))
    assert "Send the convocation" in text
    response = client.post(f"/assemblies/{assembly.id}/convocation")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/{assembly.id}/deliveries")
    assert [m.to_address for m in outbox()] == ["yes@example.org"]
    text = page_text(client.get(f"/assemblies/{assembly.id}/deliveries"))
    assert "Queued" in text and "Letter to print" in text
    text = page_text(client.get(f"/assemblies/{assembly.id}/deliveries?status=to_print"))
    assert "1 member" in text
    assert client.get(f"/assemblies/{assembly.id}/deliveries?status=bogus").status_code == 400
    # the agenda is frozen now
    assert client.get(f"/assemblies/{assembly.id}/agenda/new").status_code == 403
    assert client.get(f"/assemblies/{assembly.id}/edit").status_code == 403


def test_resend_and_letters_from_the_pages(db, client, sign_in, convened, admin, deliveries):
    sign_in(admin)
    [member_id] = [m for m, d in deliveries(convened).items() if d.channel == "letter"]
    text = page_text(client.get(f"/assemblies/{convened.id}/letters"))
    assert "1 letter is waiting to be printed." in text
    response = client.post(f"/assemblies/{convened.id}/letters")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    assert response.headers["Content-Type"] == "application/pdf"
    assert deliveries(convened)[member_id].status == "printed"
    again = client.get(f"/assemblies/{convened.id}/letters.pdf?part=1")
    assert again.status_code == 200 and again.data.startswith(b"%PDF-")
    assert deliveries(convened)[member_id].status == "printed"
    response = client.post(f"/assemblies/{convened.id}/letters")
    assert response.status_code == 303
    response = client.post(f"/assemblies/{convened.id}/deliveries/{member_id}/resend", data={"as_letter": "y"})
    assert response.status_code == 303
    assert deliveries(convened)[member_id].status == "to_print"
    assert client.post(f"/assemblies/{convened.id}/deliveries/999999/resend").status_code == 404


def test_second_convocation_page(db, client, sign_in, convened, admin, force_state):
    sign_in(admin)
    assert client.get(f"/assemblies/{convened.id}/second-convocation").status_code == 403
    force_state(convened, "closed", quorum_missed=True)
    text = page_text(client.get(f"/assemblies/{convened.id}"))
    assert "did not reach its quorum" in text
    starts = (convened.local_starts_at + dt.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/assemblies/{convened.id}/second-convocation", data={"starts_at": starts,
                                                                                 "place": "Same place"})
    assert response.status_code == 303
    second = db.session.execute(select(Assembly).where(Assembly.first_assembly_id == convened.id)).scalar_one()
    assert second.place == "Same place"
    text = page_text(client.get(f"/assemblies/{second.id}"))
    assert "Second convocation" in text and "no quorum applies" in text


# --- query counts ----------------------------------------------------------------------------------
def test_list_and_page_queries_do_not_grow(db, client, sign_in, make_assembly, add_item, add_resolution, roll_account,
                                           be, convene, admin, count_queries):
    from governance.assemblies import operations as ops

    member = roll_account(be)
    sign_in(member)

    def build(items: int):
        assembly = make_assembly()
        for _ in range(items):
            item = add_item(assembly)
            ops.add_document(assembly, actor=admin, filename="notes.txt", data=b"notes", agenda_item=item)
        add_resolution(assembly, statute=True)
        convene(assembly)
        return assembly

    small = build(1)
    client.get("/assemblies/")
    with count_queries() as small_list:
        client.get("/assemblies/")
    with count_queries() as small_page:
        client.get(f"/assemblies/{small.id}")
    big = [build(6) for _ in range(4)][-1]
    with count_queries() as big_list:
        client.get("/assemblies/")
    with count_queries() as big_page:
        response = client.get(f"/assemblies/{big.id}")
    assert page_text(response).count("notes.txt") == 6
    assert big_list.count == small_list.count, big_list.statements
    assert big_page.count == small_page.count, big_page.statements
    assert big_page.count <= 15, big_page.statements


def test_delete_a_draft(db, client, sign_in, make_assembly, add_item, admin, audit_events):
    from governance.assemblies import operations as ops

    draft = make_assembly()
    item = add_item(draft)
    ops.add_document(draft, actor=admin, filename="a.txt", data=b"a", agenda_item=item)
    sign_in(admin)
    assert client.post(f"/assemblies/{draft.id}/delete").status_code == 303
    assert db.session.execute(select(Assembly.id).where(Assembly.id == draft.id)).first() is None
    assert "assembly.deleted" in [e.event for e in audit_events("assembly.")]


def test_convened_assembly_cannot_be_deleted(db, client, sign_in, convened, admin):
    sign_in(admin)
    assert client.post(f"/assemblies/{convened.id}/delete").status_code == 403
