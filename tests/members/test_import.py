"""The register import: reading files, checking rows, creating and updating members, the report."""
from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import func, select

from governance.core.audit import verify_chain
from governance.core.errors import NotAllowed
from governance.members.importing import RegisterFileError
from governance.members.models import Member, MemberStatus
from governance.members.operations import change_status, import_register
from tests.members.conftest import HEADER, make_csv, make_xlsx, row

TODAY = dt.date(2026, 5, 4)


def run(data: bytes, name: str = "register.csv", *, actor=None, **options):
    return import_register(data, name, actor=actor, today=TODAY, **options)


def member_count(db) -> int:
    return db.session.execute(select(func.count()).select_from(Member)).scalar_one()


# --- creating and updating -------------------------------------------------------------------------
def test_import_creates_members_with_their_first_status(db, be, fr, members_by_number, history_of):
    data = make_csv([
        row("BE-1", "BE", "An", "Peeters", "an.peeters@example.org", "nl", "active", "2020-01-15", "", "3", "A"),
        row("FR-1", "fr", "Camille", "Martin", "", "Français", "resigned", "01/03/2019", "30/06/2024", "1", ""),
    ])
    report = run(data)
    assert report.applied and not report.errors
    assert report.counts() == {"rows": 2, "created": 2, "updated": 0, "unchanged": 0, "status_changes": 2,
                               "missing": 0, "bad_rows": 0}
    members = members_by_number()
    an, camille = members["BE-1"], members["FR-1"]
    assert (an.branch_id, an.first_name, an.last_name, an.email, an.language, an.status) == (
        be.id, "An", "Peeters", "an.peeters@example.org", "nl", "active")
    assert (an.joined_on, an.left_on, an.shares, an.share_class) == (dt.date(2020, 1, 15), None, 3, "A")
    assert (camille.branch_id, camille.email, camille.language, camille.status) == (fr.id, None, "fr", "resigned")
    assert (camille.joined_on, camille.left_on, camille.share_class) == (dt.date(2019, 3, 1), dt.date(2024, 6, 30), None)
    # a new member's history starts when they joined, or when they left for a leaving status
    [first] = history_of("BE-1")
    assert (first.old_status, first.new_status, first.effective_on, first.source) == (
        None, "active", dt.date(2020, 1, 15), "import")
    assert [(c.new_status, c.effective_on) for c in history_of("FR-1")] == [("resigned", dt.date(2024, 6, 30))]


def test_second_import_of_the_same_file_changes_nothing(db, be, members_by_number, history_of, import_events):
    data = make_csv([row("BE-1"), row("BE-2", first="Wouter", last="Maes", email="wouter@example.org")])
    run(data)
    before = {n: m.modified_dt for n, m in members_by_number().items()}
    report = run(data)
    assert report.applied
    assert report.counts()["unchanged"] == 2
    assert not report.created and not report.updated and not report.status_changes
    assert {n: m.modified_dt for n, m in members_by_number().items()} == before
    assert len(history_of("BE-1")) == 1
    assert len(import_events()) == 2  # each import is recorded, even one that changes nothing


def test_update_reports_each_changed_field_and_records_status_changes(db, be, fr, members_by_number, history_of):
    run(make_csv([row("BE-1"), row("BE-2", first="Wouter", email="wouter@example.org"), row("BE-3", first="Koen")]))
    report = run(make_csv([
        row("BE-1", email="an@example.be", shares="5"),
        row("BE-2", first="Wouter", email="wouter@example.org", branch="FR", status="suspended"),
        row("BE-3", first="Koen", status="resigned", left="2026-01-31"),
    ]))
    assert report.applied
    diffs = {c.number: {(d.field, d.old, d.new) for d in c.changes} for c in report.updated}
    assert diffs["BE-1"] == {("email", "an.peeters@example.org", "an@example.be"), ("shares", 1, 5)}
    assert diffs["BE-2"] == {("branch_id", "BE", "FR"), ("status", "active", "suspended")}
    assert diffs["BE-3"] == {("status", "active", "resigned"), ("left_on", "", "2026-01-31")}
    members = members_by_number()
    assert members["BE-1"].email == "an@example.be" and members["BE-1"].shares == 5
    assert members["BE-2"].branch_id == fr.id and members["BE-2"].status == "suspended"
    assert members["BE-3"].left_on == dt.date(2026, 1, 31)
    # the status history: today for a suspension, the date of leaving for a resignation
    assert [(c.old_status, c.new_status, c.effective_on, c.source) for c in history_of("BE-2")][-1] == (
        "active", "suspended", TODAY, "import")
    assert [(c.old_status, c.new_status, c.effective_on) for c in history_of("BE-3")][-1] == (
        "active", "resigned", dt.date(2026, 1, 31))
    assert len(history_of("BE-1")) == 1


def test_blank_optional_cells_clear_the_value(db, be, members_by_number):
    run(make_csv([row("BE-1", email="an@example.org", share_class="B")]))
    report = run(make_csv([row("BE-1", email="", share_class="")]))
    assert {d.field for d in report.updated[0].changes} == {"email", "share_class"}
    member = members_by_number()["BE-1"]
    assert member.email is None and member.share_class is None


def test_columns_left_out_are_left_as_they_are(db, be, members_by_number):
    run(make_csv([row("BE-1", language="fr", shares="4")]))
    header = ["member_number", "branch", "first_name", "last_name", "status", "joined_on"]
    report = run(make_csv([["BE-1", "BE", "An", "Peeters", "active", "2020-01-15"],
                           ["BE-9", "BE", "Nieuw", "Lid", "applicant", "2026-04-01"]], header=header))
    assert report.counts()["unchanged"] == 1
    members = members_by_number()
    assert members["BE-1"].language == "fr" and members["BE-1"].shares == 4
    assert members["BE-1"].email == "an.peeters@example.org"
    # a new member gets the branch's first official language and one share
    assert members["BE-9"].language == "nl" and members["BE-9"].shares == 1 and members["BE-9"].email is None


def test_members_already_loaded_are_refreshed(db, be, create_member):
    member = create_member(branch=be, number="BE-7", first_name="Old")
    run(make_csv([row("BE-7", first="New")]))
    assert member.first_name == "New"


# --- bad rows --------------------------------------------------------------------------------------
BAD_ROWS = [
    (row("BE-2", branch="ZZ"), "Row 3: unknown branch ZZ."),
    (row("BE-2", email="an.peeters@@example"), "Row 3: an.peeters@@example is not a valid email address."),
    (row("BE-2", email="an peeters@example.org"), "Row 3: an peeters@example.org is not a valid email address."),
    (row("BE-2", joined="31/02/2025"), "Row 3: 31/02/2025 in column joined_on is not a possible date."),
    (row("BE-2", joined="2025-13-01"), "Row 3: 2025-13-01 in column joined_on is not a possible date."),
    (row("BE-2", joined="last year"), "Row 3: last year in column joined_on is not a date"),
    (row("BE-2", status="resigned", joined="2020-05-01", left="2020-04-30"),
     "Row 3: the member left (2020-04-30) before joining (2020-05-01)."),
    (row("BE-2", status="sleeping"), "Row 3: unknown status sleeping."),
    (row("BE-2", language="klingon"), "Row 3: unknown language klingon."),
    (row("BE-2", first=""), "Row 3: missing value in column first_name."),
    (row("", first="Nobody"), "Row 3: missing value in column member_number."),
    (row("BE-2", joined=""), "Row 3: missing value in column joined_on."),
    (row("BE-2", shares="-2"), "Row 3: the number of shares cannot be negative (-2)."),
    (row("BE-2", shares="2.5"), "Row 3: the number of shares must be a whole number, not 2.5."),
    (row("BE-2", shares="two"), "Row 3: the number of shares must be a whole number, not two."),
    (row("BE-2", last="x" * 121), "Row 3: the value in column last_name is too long (at most 120 characters)."),
]


@pytest.mark.parametrize("bad,message", BAD_ROWS, ids=[m.split(": ", 1)[1][:30] for _, m in BAD_ROWS])
def test_a_bad_row_is_named_with_its_reason_and_nothing_is_written(db, be, bad, message, import_events):
    report = run(make_csv([row("BE-1"), bad, row("BE-3", email="koen@example.org")]))
    assert report.rejected and not report.applied
    assert [e.row for e in report.errors] == [3]
    assert str(report.errors[0]).startswith(message)
    assert member_count(db) == 0
    assert import_events() == []


def test_duplicate_member_numbers_name_every_row_involved(db, be):
    report = run(make_csv([row("BE-1"), row("BE-2", email="b@example.org"), row("BE-1", first="Again")]))
    assert [str(e) for e in report.errors] == [
        "Row 2: member number BE-1 appears more than once in the file (rows 2, 4).",
        "Row 4: member number BE-1 appears more than once in the file (rows 2, 4).",
    ]
    assert member_count(db) == 0


def test_every_bad_row_is_reported_not_only_the_first(db, be):
    report = run(make_csv([row("BE-1", branch="XX"), row("BE-2", email="nope", status="asleep"), row("BE-3")]))
    assert [str(e) for e in report.errors] == [
        "Row 2: unknown branch XX.",
        "Row 3: nope is not a valid email address.",
        "Row 3: unknown status asleep.",
    ]
    assert report.bad_rows == 2


def test_leaving_before_joining_is_checked_against_the_register_too(db, be):
    run(make_csv([row("BE-1", status="resigned", joined="2020-01-01", left="2021-01-01")]))
    header = ["member_number", "branch", "first_name", "last_name", "status", "joined_on"]
    report = run(make_csv([["BE-1", "BE", "An", "Peeters", "resigned", "2022-01-01"]], header=header))
    assert [str(e) for e in report.errors] == ["Row 2: the member left (2021-01-01) before joining (2022-01-01)."]


def test_allow_partial_writes_the_good_rows_and_reports_the_bad(db, be, members_by_number, import_events):
    report = run(make_csv([row("BE-1"), row("BE-2", branch="ZZ"), row("BE-3", email="koen@example.org")]),
                 allow_partial=True)
    assert report.applied and report.bad_rows == 1
    assert set(members_by_number()) == {"BE-1", "BE-3"}
    [event] = import_events()
    assert event.data["bad_rows"] == 1 and event.data["partial"] is True and event.data["created"] == 2


# --- dry run, full export, audit -------------------------------------------------------------------
def test_dry_run_reports_the_changes_and_writes_nothing(db, be, members_by_number, import_events):
    run(make_csv([row("BE-1"), row("BE-2", first="Wouter", email="w@example.org")]))
    db.session.commit()
    before = {n: (m.first_name, m.status, m.modified_dt) for n, m in members_by_number().items()}
    entries_before = len(import_events())
    report = run(make_csv([row("BE-1", status="suspended"), row("BE-2", first="Wout", email="w@example.org"),
                           row("BE-3", first="Koen", email="k@example.org"), row("BE-4", branch="ZZ")]), dry_run=True)
    assert not report.applied and report.dry_run
    assert [c.number for c in report.created] == ["BE-3"]
    assert {c.number: [(d.field, d.old, d.new) for d in c.changes] for c in report.updated} == {
        "BE-1": [("status", "active", "suspended")], "BE-2": [("first_name", "Wouter", "Wout")]}
    assert [(s.number, s.old, s.new) for s in report.status_changes] == [("BE-1", "active", "suspended"),
                                                                           ("BE-3", None, "active")]
    assert [str(e) for e in report.errors] == ["Row 5: unknown branch ZZ."]
    db.session.commit()
    assert {n: (m.first_name, m.status, m.modified_dt) for n, m in members_by_number().items()} == before
    assert len(import_events()) == entries_before


def test_full_export_reports_missing_members_and_deletes_none(db, be, fr, create_member, members_by_number):
    create_member(branch=fr, number="FR-9", first_name="Léa", last_name="Petit")
    report = run(make_csv([row("BE-1")]), full_export=True)
    assert [(m.number, m.name, m.branch, m.status) for m in report.missing] == [("FR-9", "Léa Petit", "FR", "active")]
    assert report.counts()["missing"] == 1
    assert "FR-9" in members_by_number()
    assert run(make_csv([row("BE-1")])).missing == []  # without --full-export nobody is "missing"


def test_one_audit_entry_per_import_with_the_file_fingerprint(db, be, admin, import_events):
    data = make_csv([row("BE-1"), row("BE-2", email="x@example.org")])
    run(data, "export-mai.csv", actor=admin)
    [event] = import_events()
    assert event.actor_id == admin.id
    assert event.data["sha256"] == hashlib.sha256(data).hexdigest()
    assert event.data["file_name"] == "export-mai.csv"
    assert (event.data["created"], event.data["updated"], event.data["unchanged"], event.data["rows"]) == (2, 0, 0, 2)
    assert verify_chain().ok


def test_only_administrators_and_secretaries_may_import(db, be, create_account):
    board = create_account(roles=[("board_member", be)])
    with pytest.raises(NotAllowed):
        run(make_csv([row("BE-1")]), actor=board)
    assert member_count(db) == 0


# --- encodings, delimiters, header languages, XLSX -------------------------------------------------
ACCENTED = [row("BE-1", first="Amélie", last="Dubois-Lefèvre", email="amelie@example.org", language="fr"),
            row("BE-2", first="Jürgen", last="Müller", email="jurgen@example.org", language="de"),
            row("BE-3", first="Françoise", last="D'Hondt; Œuvray", email="fd@example.org")]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
@pytest.mark.parametrize("delimiter", [",", ";"])
def test_encodings_and_delimiters(db, be, members_by_number, encoding, delimiter):
    report = run(make_csv(ACCENTED, delimiter=delimiter, encoding=encoding))
    assert report.applied and not report.errors, [str(e) for e in report.errors]
    names = {n: (m.first_name, m.last_name) for n, m in members_by_number().items()}
    assert names == {"BE-1": ("Amélie", "Dubois-Lefèvre"), "BE-2": ("Jürgen", "Müller"),
                     "BE-3": ("Françoise", "D'Hondt; Œuvray")}


def test_excel_separator_hint_and_blank_lines(db, be, members_by_number):
    data = b"sep=;\r\n" + make_csv([row("BE-1")], delimiter=";") + b";;;;;;;;;;\r\n\r\n"
    report = run(data)
    assert report.applied and report.rows == 1
    assert set(members_by_number()) == {"BE-1"}


HEADERS = {
    "nl": ["Lidnummer", "Afdeling", "Voornaam", "Achternaam", "E-mail", "Taal", "Status", "Toetredingsdatum",
           "Uittredingsdatum", "Aandelen", "Aandelenklasse"],
    "fr": ["Numéro de membre", "Section", "Prénom", "Nom", "Courriel", "Langue", "Statut", "Date d'adhésion",
           "Date de sortie", "Parts", "Catégorie de parts"],
    "de": ["Mitgliedsnummer", "Sektion", "Vorname", "Nachname", "E-Mail", "Sprache", "Status", "Eintrittsdatum",
           "Austrittsdatum", "Anteile", "Anteilsklasse"],
}
STATUSES = {"nl": ("actief", "uitgetreden"), "fr": ("actif", "démissionnaire"), "de": ("aktiv", "ausgetreten")}


@pytest.mark.parametrize("lang", ["nl", "fr", "de"])
def test_headers_and_statuses_in_dutch_french_and_german(db, be, members_by_number, lang):
    active, resigned = STATUSES[lang]
    rows = [row("BE-1", status=active, joined="15/01/2020"),
            row("BE-2", email="b@example.org", status=resigned.upper(), joined="01.02.2019", left="28.02.2023")]
    # any order of columns
    order = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]
    report = run(make_csv([[r[i] for i in order] for r in rows], header=[HEADERS[lang][i] for i in order],
                          delimiter=";"))
    assert report.applied and not report.errors, [str(e) for e in report.errors]
    members = members_by_number()
    assert members["BE-1"].status == "active" and members["BE-1"].joined_on == dt.date(2020, 1, 15)
    assert members["BE-2"].status == "resigned" and members["BE-2"].left_on == dt.date(2023, 2, 28)


def test_headers_ignore_case_accents_and_spacing(db, be, members_by_number):
    header = ["  NUMERO DE MEMBRE ", "SECTION", "prenom", "NOM", "e_mail", "LANGUE", "STATUT", "date d adhesion",
              "Date de sortie", "PARTS", "classe de parts", "Remarque"]
    report = run(make_csv([row("BE-1") + ["ignored"]], header=header))
    assert report.applied and report.ignored_headers == ["Remarque"]
    assert members_by_number()["BE-1"].first_name == "An"


def test_branch_by_name_and_language_by_name(db, be, members_by_number):
    report = run(make_csv([row("BE-1", branch="Belgique", language="Nederlands"),
                           row("BE-2", branch="belgië", language="nl-BE", email="b@example.org")]))
    assert report.applied, [str(e) for e in report.errors]
    assert {m.language for m in members_by_number().values()} == {"nl"}


def test_xlsx_with_numbers_and_dates_in_cells(db, be, members_by_number):
    rows = [[10001, "BE", "Amélie", "Dubois", "amelie@example.org", "fr", "actif", dt.datetime(2021, 3, 4),
             None, 2, "A"],
            [10002.0, "BE", "Jürgen", "Müller", None, "de", "active", "15/01/2020", dt.date(2024, 1, 1), 3.0,
             None]]
    rows[1][6] = "resigned"
    report = run(make_xlsx(rows), "register.xlsx")
    assert report.applied and not report.errors, [str(e) for e in report.errors]
    members = members_by_number()
    assert members["10001"].joined_on == dt.date(2021, 3, 4) and members["10001"].shares == 2
    assert members["10002"].left_on == dt.date(2024, 1, 1) and members["10002"].shares == 3
    assert members["10002"].email is None
    # importing it again changes nothing
    assert run(make_xlsx(rows), "register.xlsx").counts()["unchanged"] == 2


def test_xlsx_bad_rows_are_reported_by_spreadsheet_row(db, be):
    rows = [row("BE-1"), row("BE-2", email="b@example.org", shares=-1)]
    report = run(make_xlsx(rows), "register.xlsx")
    assert [str(e) for e in report.errors] == ["Row 3: the number of shares cannot be negative (-1)."]


# --- files that cannot be read ---------------------------------------------------------------------
@pytest.mark.parametrize("data,name,message", [
    (b"", "register.csv", "The file is empty."),
    (b"\n\n", "register.csv", "The file is empty."),
    ("member_number;branch;first_name\n1;BE;An\n".encode(), "register.csv",
     "The header row lacks these required columns: Last name, Status, Joined on."),
    (",".join(HEADER).encode() + b"\r\n", "register.csv", "The file has a header row but no members."),
    (b"%PDF-1.7\x00\x01binary", "register.pdf", "This type of file is not supported"),
    (b"%PDF-1.7\x00\x01binary", "register.csv", "This type of file is not supported"),
    (b"not a workbook at all", "register.xlsx", "The file is not a valid XLSX workbook."),
    (b"PK\x03\x04broken zip", "register.xlsx", "The file is not a valid XLSX workbook."),
    ("lidnummer;afdeling;voornaam;achternaam;status;toetredingsdatum;nummer\n".encode(), "register.csv",
     "The columns lidnummer and nummer both give the Member number."),
])
def test_unreadable_files_are_refused_as_a_whole(db, be, data, name, message):
    with pytest.raises(RegisterFileError) as excinfo:
        run(data, name)
    assert str(excinfo.value).startswith(message)
    assert member_count(db) == 0


def test_utf8_is_preferred_over_windows_1252(db, be, members_by_number):
    # "Ã©" would be what UTF-8 "é" looks like if it were wrongly read as Windows-1252
    run(make_csv([row("BE-1", first="é")], encoding="utf-8"))
    assert members_by_number()["BE-1"].first_name == "é"


# --- changing a status by hand ---------------------------------------------------------------------
def test_change_status_records_history_and_respects_scope(db, be, fr, create_member, create_account, history_of):
    member = create_member(branch=be, number="BE-5")
    board_fr = create_account(roles=[("board_member", fr)])
    with pytest.raises(NotAllowed):
        change_status(member, MemberStatus.suspended, actor=board_fr)
    board_be = create_account(roles=[("board_member", be)])
    change_status(member, MemberStatus.suspended, actor=board_be, effective_on=dt.date(2026, 2, 1))
    assert member.status == "suspended"
    [change] = history_of("BE-5")
    assert (change.old_status, change.new_status, change.effective_on, change.source) == (
        "active", "suspended", dt.date(2026, 2, 1), "manual")
