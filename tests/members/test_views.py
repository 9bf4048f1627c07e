"""The register pages: who sees what, search, filters, pagination, the member page, the import page."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from sqlalchemy import func, select

from governance.members.models import Member, MemberStatusChange
from tests.members.conftest import make_csv, make_xlsx, row


def page_text(response) -> str:
    return response.get_data(as_text=True)


def listed_numbers(response) -> list[str]:
    """The member numbers in the register table, in order."""
    body = page_text(response)
    table = body[body.find("<tbody>"):body.find("</tbody>")]
    return re.findall(r"<tr>\s*<td>([^<]+)</td>", table)


def member_count(db) -> int:
    return db.session.execute(select(func.count()).select_from(Member)).scalar_one()


@pytest.fixture
def board_be(create_account, be):
    return create_account(roles=[("board_member", be)])


@pytest.fixture
def people(be, fr, create_member):
    """Two Belgian members and one French one."""
    return {
        "an": create_member(branch=be, number="BE-1001", first_name="An", last_name="Peeters",
                            email="an.peeters@example.org"),
        "wouter": create_member(branch=be, number="BE-1002", first_name="Wouter", last_name="Maes",
                                email="wouter@example.org", status="suspended"),
        "camille": create_member(branch=fr, number="FR-2001", first_name="Camille", last_name="Martin",
                                 email="camille@example.fr"),
    }


# --- who sees the register -------------------------------------------------------------------------
def test_signed_out_visitors_are_sent_to_sign_in(client, people):
    response = client.get("/register/")
    assert response.status_code == 302 and "/account/sign-in" in response.headers["Location"]


def test_a_plain_member_sees_nothing_of_the_register(client, sign_in, create_account, people):
    sign_in(create_account(member=people["an"]))
    assert client.get("/register/").status_code == 403
    assert client.get(f"/register/members/{people['an'].id}").status_code == 403
    assert client.get(f"/register/members/{people['camille'].id}").status_code == 403
    assert client.get("/register/members/999999").status_code == 403  # not even whether a number exists
    assert client.get("/register/import").status_code == 403
    response = client.post("/register/import", data={"file": (io.BytesIO(make_csv([row()])), "r.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 403


def test_an_administrator_sees_every_branch(client, sign_in, admin, people):
    sign_in(admin)
    response = client.get("/register/")
    assert response.status_code == 200
    assert listed_numbers(response) == ["BE-1002", "FR-2001", "BE-1001"]  # by last name
    assert page_text(response).count("<h1>") == 1


def test_a_secretary_sees_every_branch(client, sign_in, secretary, people):
    sign_in(secretary)
    assert len(listed_numbers(client.get("/register/"))) == 3
    assert client.get(f"/register/members/{people['camille'].id}").status_code == 200


def test_a_board_member_sees_only_their_branch(client, sign_in, board_be, people):
    sign_in(board_be)
    response = client.get("/register/")
    assert response.status_code == 200
    assert listed_numbers(response) == ["BE-1002", "BE-1001"]
    assert "Camille" not in page_text(response)
    assert client.get(f"/register/members/{people['an'].id}").status_code == 200
    # changing the id or the filter in the address does not open another branch
    assert client.get(f"/register/members/{people['camille'].id}").status_code == 403
    assert client.get("/register/?branch=FR").status_code == 403
    assert client.get("/register/?q=Camille").status_code == 200
    assert listed_numbers(client.get("/register/?q=Camille")) == []
    # and they cannot import
    assert client.get("/register/import").status_code == 403
    assert "Import the register" not in page_text(response)


def test_unknown_member_and_unknown_branch(client, sign_in, admin, people):
    sign_in(admin)
    assert client.get("/register/members/999999").status_code == 404
    assert client.get("/register/?branch=ZZ").status_code == 404


# --- search, filters, pagination -------------------------------------------------------------------
@pytest.mark.parametrize("query,expected", [
    ("peeters", ["BE-1001"]),
    ("PEETERS", ["BE-1001"]),
    ("an peet", ["BE-1001"]),
    ("be-100", ["BE-1002", "BE-1001"]),
    ("camille@example", ["FR-2001"]),
    ("%", []),
    ("_", []),
    ("'", []),
    ("' OR 1=1 --", []),
    ("nobody", []),
])
def test_search_by_name_number_or_email(client, sign_in, admin, people, query, expected):
    sign_in(admin)
    response = client.get("/register/", query_string={"q": query})
    assert response.status_code == 200
    assert listed_numbers(response) == expected


def test_search_treats_like_wildcards_literally(client, sign_in, admin, be, create_member):
    create_member(branch=be, number="BE-50%", first_name="Fifty", last_name="Percent")
    create_member(branch=be, number="BE-5000", first_name="Five", last_name="Thousand")
    create_member(branch=be, number="BE_7", first_name="Under", last_name="Score")
    create_member(branch=be, number="BE-77", first_name="O'Brien", last_name="Quote")
    sign_in(admin)
    assert listed_numbers(client.get("/register/", query_string={"q": "50%"})) == ["BE-50%"]
    assert listed_numbers(client.get("/register/", query_string={"q": "be_"})) == ["BE_7"]
    assert listed_numbers(client.get("/register/", query_string={"q": "o'brien"})) == ["BE-77"]


def test_filters_by_branch_and_status(client, sign_in, admin, people):
    sign_in(admin)
    assert listed_numbers(client.get("/register/?branch=BE")) == ["BE-1002", "BE-1001"]
    assert listed_numbers(client.get("/register/?status=suspended")) == ["BE-1002"]
    assert listed_numbers(client.get("/register/?branch=FR&status=active")) == ["FR-2001"]
    assert listed_numbers(client.get("/register/?branch=FR&status=suspended")) == []
    response = client.get("/register/?status=sleeping")
    assert response.status_code == 400
    assert "Please correct the fields marked below." in page_text(response)


def test_pagination_50_per_page_keeps_the_filters(client, sign_in, admin, be, fr, create_member):
    for i in range(120):
        create_member(branch=be, number=f"BE-{i:04d}", first_name="Lid", last_name=f"Naam {i:04d}")
    create_member(branch=fr, number="FR-0001", first_name="Autre", last_name="Naam 0000a")
    sign_in(admin)
    first = client.get("/register/?branch=BE")
    assert listed_numbers(first) == [f"BE-{i:04d}" for i in range(50)]
    assert "120 members found" in page_text(first)
    assert "Page 1 of 3" in page_text(first)
    assert 'href="/register/?page=2&amp;branch=BE" rel="next"' in page_text(first)
    third = client.get("/register/?branch=BE&page=3")
    assert listed_numbers(third) == [f"BE-{i:04d}" for i in range(100, 120)]
    assert 'rel="prev"' in page_text(third) and 'rel="next"' not in page_text(third)
    # beyond the last page: the last page; nonsense: the first
    assert listed_numbers(client.get("/register/?branch=BE&page=99")) == listed_numbers(third)
    assert listed_numbers(client.get("/register/?branch=BE&page=x")) == listed_numbers(first)


def test_the_list_uses_the_same_number_of_queries_whatever_its_length(client, sign_in, admin, be, fr,
                                                                     create_member, count_queries):
    create_member(branch=be)
    create_member(branch=fr)
    sign_in(admin)
    client.get("/register/")  # warm up
    with count_queries() as few:
        assert len(listed_numbers(client.get("/register/"))) == 2
    for i in range(80):
        create_member(branch=be if i % 2 else fr, status="active" if i % 3 else "resigned")
    with count_queries() as many:
        assert len(listed_numbers(client.get("/register/"))) == 50
    assert many.count == few.count
    assert many.count <= 8, many.statements


# --- the member page -------------------------------------------------------------------------------
def test_member_page_shows_history_and_shares(client, sign_in, board_be, db, people):
    an = people["an"]
    an.shares, an.share_class = 7, "B"
    db.session.add_all([
        MemberStatusChange(member_id=an.id, old_status=None, new_status="applicant", effective_on=dt.date(2019, 12, 1),
                           source="import"),
        MemberStatusChange(member_id=an.id, old_status="applicant", new_status="active",
                           effective_on=dt.date(2020, 1, 1), source="manual"),
    ])
    db.session.flush()
    sign_in(board_be)
    response = client.get(f"/register/members/{an.id}")
    body = page_text(response)
    assert response.status_code == 200 and body.count("<h1>") == 1
    assert "<h1>An Peeters</h1>" in body
    assert "BE-1001" in body and "an.peeters@example.org" in body
    assert "Number of shares</dt><dd>7</dd>" in body and "Share class</dt><dd>B</dd>" in body
    assert "one member, one vote" in body
    history = body[body.find("Status history"):]
    # most recent first, with where each change came from
    assert history.index("Jan 1, 2020") < history.index("Dec 1, 2019")
    assert "Entered by hand" in history and "Register import" in history and "Applicant" in history


# --- the import page -------------------------------------------------------------------------------
def upload(client, data: bytes, name: str = "register.csv", **options):
    form = {"file": (io.BytesIO(data), name)}
    form.update({key: "y" for key, value in options.items() if value})
    return client.post("/register/import", data=form, content_type="multipart/form-data")


def test_import_page_shows_the_form_and_the_columns(client, sign_in, secretary):
    sign_in(secretary)
    response = client.get("/register/import")
    body = page_text(response)
    assert response.status_code == 200 and body.count("<h1>") == 1
    assert 'enctype="multipart/form-data"' in body and 'name="csrf_token"' in body
    assert '<input checked id="dry_run" name="dry_run" type="checkbox"' in body  # a dry run unless unticked
    assert '<input id="allow_partial" name="allow_partial" type="checkbox"' in body
    assert "Mitgliedsnummer" in body and "date d&#39;adhésion" in body


def test_dry_run_upload_lists_changes_and_bad_rows_and_writes_nothing(client, sign_in, admin, be, people, db,
                                                                      import_events):
    sign_in(admin)
    data = make_csv([row("BE-1001", first="An", last="Peeters", email="an@new.example.org", status="suspended"),
                     row("BE-3000", first="Nieuw", last="Lid", email="nieuw@example.org"),
                     row("BE-3001", branch="ZZ")])
    response = upload(client, data, dry_run=True)
    body = page_text(response)
    assert response.status_code == 200
    assert "Dry run: nothing was written" in body
    assert "Email address: an.peeters@example.org → an@new.example.org" in body
    assert "Status: Active → Suspended" in body
    assert "Nieuw Lid" in body
    assert "Row 4: unknown branch ZZ." in body
    assert member_count(db) == 3 and import_events() == []


def test_upload_imports_and_reports(client, sign_in, admin, be, db, import_events):
    sign_in(admin)
    data = make_xlsx([row("BE-1", first="Amélie"), row("BE-2", email="b@example.org")])
    response = upload(client, data, "registre.xlsx")
    body = page_text(response)
    assert response.status_code == 200
    assert "The register was imported" in body and "Amélie Peeters" in body
    assert member_count(db) == 2
    [event] = import_events()
    assert event.actor_id == admin.id and event.data["file_name"] == "registre.xlsx"


def test_upload_with_bad_rows_is_refused_whole_unless_partial(client, sign_in, admin, be, db):
    sign_in(admin)
    data = make_csv([row("BE-1"), row("BE-2", email="b@example.org", joined="31/02/2025")])
    response = upload(client, data)
    assert response.status_code == 422
    body = page_text(response)
    assert "Nothing was imported" in body and "Row 3: 31/02/2025 in column joined_on is not a possible date." in body
    assert member_count(db) == 0
    response = upload(client, data, allow_partial=True)
    assert response.status_code == 200 and "The bad rows listed below were left out" in page_text(response)
    assert member_count(db) == 1


@pytest.mark.parametrize("data,name,message", [
    (None, None, "Choose the file to import."),
    (b"member_number,branch\n", "register.pdf", "Only CSV and XLSX files can be imported."),
    (b"", "register.csv", "The file is empty."),
    (b"garbage", "register.xlsx", "The file is not a valid XLSX workbook."),
    (b"name;email\nAn;an@example.org\n", "register.csv", "The header row lacks these required columns"),
])
def test_a_bad_file_keeps_the_user_on_the_form_with_the_reason(client, sign_in, admin, be, db, data, name, message):
    sign_in(admin)
    form = {} if data is None else {"file": (io.BytesIO(data), name)}
    response = client.post("/register/import", data={**form, "full_export": "y"}, content_type="multipart/form-data")
    body = page_text(response)
    assert response.status_code == 422
    assert message in body and '<form method="post"' in body
    assert '<input checked id="full_export" name="full_export" type="checkbox"' in body  # the choices are kept
    assert member_count(db) == 0


def test_a_file_over_the_import_limit_is_refused(client, sign_in, admin, be, db, app, monkeypatch):
    monkeypatch.setitem(app.config, "REGISTER_IMPORT_MAX_BYTES", 1024)
    sign_in(admin)
    response = upload(client, make_csv([row(f"BE-{i}", email=f"m{i}@example.org") for i in range(40)]))
    assert response.status_code == 422
    assert "The file is too large: at most 1 kB." in page_text(response)
    assert member_count(db) == 0


def test_a_request_over_the_portal_limit_stays_on_the_form(client, sign_in, admin, be, db, app, monkeypatch):
    sign_in(admin)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2048)
    response = upload(client, make_csv([row(f"BE-{i}", email=f"m{i}@example.org") for i in range(80)]))
    assert response.status_code == 413
    body = page_text(response)
    assert "The file is too large: at most 2 kB." in body and '<form method="post"' in body
    assert member_count(db) == 0


def test_import_without_csrf_token_is_refused(client, sign_in, admin, be, db):
    sign_in(admin)
    response = client.post("/register/import", data={"file": (io.BytesIO(make_csv([row()])), "r.csv")},
                           content_type="multipart/form-data", csrf=False)
    assert response.status_code == 400
    assert member_count(db) == 0


def test_the_import_form_is_reached_from_the_register(client, sign_in, secretary, be):
    sign_in(secretary)
    body = page_text(client.get("/register/"))
    assert 'href="/register/import"' in body
    assert 'aria-current="page"' in body


# --- in the reader's language ----------------------------------------------------------------------
@pytest.mark.parametrize("language,bad_row,bad_columns", [
    ("nl", "Rij 3: onbekende afdeling ZZ.", "In de kopregel ontbreken deze verplichte kolommen: Achternaam"),
    ("de", "Zeile 3: Unbekannte Sektion ZZ.", "In der Kopfzeile fehlen diese Pflichtspalten: Nachname"),
])
def test_errors_are_shown_in_the_readers_language(client, sign_in, create_account, be, db, language, bad_row,
                                                  bad_columns):
    sign_in(create_account(roles=["secretary"], language=language))
    response = upload(client, make_csv([row("BE-1"), row("BE-2", branch="ZZ", email="b@example.org")]))
    assert response.status_code == 422
    assert f'<html lang="{language}">' in page_text(response)
    assert bad_row in page_text(response)
    response = upload(client, b"member_number;branch;first_name\n1;BE;An\n")
    assert response.status_code == 422
    assert bad_columns in page_text(response)
    assert member_count(db) == 0


def test_file_type_error_in_french(client, sign_in, create_account, be):
    sign_in(create_account(roles=["admin"], language="fr"))
    response = upload(client, b"%PDF-1.7", "registre.pdf")
    assert response.status_code == 422
    assert "Seuls les fichiers CSV et XLSX peuvent être importés." in page_text(response)
