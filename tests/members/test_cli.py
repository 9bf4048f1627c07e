"""``flask governance members import FILE [--dry-run] [--full-export] [--allow-partial]``."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from governance.members.models import Member
from tests.members.conftest import make_csv, make_xlsx, row


@pytest.fixture
def invoke(app, db):
    runner = app.test_cli_runner()

    def run(*args: str):
        # the command runs in the test's application context and session: what the test set up is
        # committed first, as it would be in real life, so the command's own rollback cannot undo it
        db.session.commit()
        return runner.invoke(args=["governance", "members", "import", *args])

    return run


def numbers(db) -> set[str]:
    db.session.expire_all()
    return set(db.session.execute(select(Member.number)).scalars())


def test_import_creates_members_and_prints_a_summary(db, be, invoke, tmp_path, import_events):
    path = tmp_path / "register.csv"
    path.write_bytes(make_csv([row("BE-1"), row("BE-2", email="b@example.org")], delimiter=";"))
    result = invoke(str(path))
    assert result.exit_code == 0, result.output
    assert "register.csv: imported: rows 2, created 2, updated 0, unchanged 0" in result.output
    assert numbers(db) == {"BE-1", "BE-2"}
    [event] = import_events()
    assert event.actor_id is None and event.data["file_name"] == "register.csv"
    # again: nothing changes
    result = invoke(str(path))
    assert "created 0, updated 0, unchanged 2" in result.output


def test_dry_run_lists_the_changes_and_writes_nothing(db, be, create_member, invoke, tmp_path, import_events):
    create_member(branch=be, number="BE-1", first_name="An", last_name="Peeters", email="an.peeters@example.org",
                  language="nl")
    path = tmp_path / "register.xlsx"
    path.write_bytes(make_xlsx([row("BE-1", status="suspended"), row("BE-2", first="Koen", email="k@example.org")]))
    result = invoke(str(path), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "create  BE-2  Koen Peeters (BE)  [row 3]" in result.output
    assert "update  BE-1  An Peeters: status: active -> suspended" in result.output
    assert "status  BE-1  active -> suspended" in result.output
    assert "dry run, nothing written" in result.output
    assert numbers(db) == {"BE-1"} and import_events() == []


def test_bad_rows_are_listed_and_nothing_is_written(db, be, invoke, tmp_path):
    path = tmp_path / "register.csv"
    path.write_bytes(make_csv([row("BE-1"), row("BE-2", branch="ZZ"), row("BE-3", shares="-1")]))
    result = invoke(str(path))
    assert result.exit_code == 1
    assert "Row 3: unknown branch ZZ." in result.output
    assert "Row 4: the number of shares cannot be negative (-1)." in result.output
    assert "NOT imported" in result.output
    assert numbers(db) == set()
    assert invoke(str(path), "--dry-run").exit_code == 1
    assert invoke(str(path), "--dry-run", "--allow-partial").exit_code == 0
    assert numbers(db) == set()
    result = invoke(str(path), "--allow-partial")
    assert result.exit_code == 0
    assert "imported (bad rows left out)" in result.output
    assert numbers(db) == {"BE-1"}


def test_full_export_reports_the_members_left_out(db, be, create_member, invoke, tmp_path):
    create_member(branch=be, number="BE-9", first_name="Elke", last_name="Claes")
    path = tmp_path / "register.csv"
    path.write_bytes(make_csv([row("BE-1")]))
    result = invoke(str(path), "--full-export")
    assert result.exit_code == 0
    assert "missing BE-9  Elke Claes (BE, active): not in the file, left as is" in result.output
    assert "missing 1" in result.output
    assert "BE-9" in numbers(db)


def test_unreadable_file_and_unknown_actor(db, be, invoke, tmp_path):
    path = tmp_path / "register.csv"
    path.write_bytes(b"name;email\nAn;an@example.org\n")
    result = invoke(str(path))
    assert result.exit_code == 1
    assert "register.csv: The header row lacks these required columns" in result.output
    result = invoke(str(path), "--actor", "nobody@example.org")
    assert result.exit_code == 2 and "no account with the email address" in result.output


def test_actor_is_recorded(db, be, admin, invoke, tmp_path, import_events):
    path = tmp_path / "register.csv"
    path.write_bytes(make_csv([row("BE-1")]))
    result = invoke(str(path), "--actor", admin.email)
    assert result.exit_code == 0, result.output
    assert import_events()[-1].actor_id == admin.id
