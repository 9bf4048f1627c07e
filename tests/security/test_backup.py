"""Backups (``flask governance backup create|verify``), and ASVS V16.4.2 (row 31) on a copy: a SQLite database is
copied while the portal uses it (committed pages still in the write-ahead log included, an open transaction left
out); the copy opens on its own and its audit chain verifies; an edited or deleted audit entry in the copy makes the
verification fail. On PostgreSQL the command says to use pg_dump, without running it or showing the password.

These tests use a SQLite file of their own whatever the suite's database (a backup copies committed data, which
the rolled-back test transaction never has)."""
from __future__ import annotations

import sqlite3
import stat
from contextlib import closing

import pytest

from governance import create_app
from governance.extensions import db
from tests.conftest import make_settings


@pytest.fixture
def portal(tmp_path):
    """A portal on its own SQLite file, with accounts, roles and audit entries committed."""
    from governance.accounts import operations as account_ops
    from governance.accounts.models import Role
    from governance.core import audit

    app = create_app(make_settings(f"sqlite:///{tmp_path / 'portal.db'}", tmp_path))
    with app.app_context():
        db.create_all()
        admin = account_ops.create_account(email="admin@example.org", display_name="Admin", password=None,
                                           language="en")
        account_ops.grant_role(admin, Role.admin, actor=admin)
        for n in range(5):
            audit.record("test.event", actor=admin, object_type="tests", object_id=n, n=n)
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def run(app, *args):
    return app.test_cli_runner().invoke(args=["governance", "backup", *args])


def audit_count(path) -> int:
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute("SELECT count(*) FROM audit_entries").fetchone()[0]


def test_a_backup_is_a_self_contained_copy_whose_chain_verifies(portal, tmp_path):
    from governance.core import audit

    target = tmp_path / "copy.db"
    result = run(portal, "create", str(target))
    assert result.exit_code == 0, result.stderr
    assert "backup written to" in result.stdout and "7 audit entries" in result.stdout
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # personal data: readable by its owner only
    assert not (tmp_path / "copy.db-wal").exists() and not (tmp_path / "copy.db.part").exists()
    # restored: the copy opens on its own, in the DELETE journal mode, with every table
    with closing(sqlite3.connect(target)) as copy:
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert copy.execute("SELECT email FROM accounts").fetchall() == [("admin@example.org",)]
    result = run(portal, "verify", str(target))
    assert result.exit_code == 0, result.stderr
    with portal.app_context():
        assert audit.latest_hash() in result.stdout  # the same chain as the portal's


def test_a_backup_never_overwrites_a_file(portal, tmp_path):
    target = tmp_path / "copy.db"
    target.write_text("precious")
    result = run(portal, "create", str(target))
    assert result.exit_code == 1 and "exists already" in result.stderr
    assert target.read_text() == "precious"


def test_the_copy_holds_what_was_committed_and_nothing_of_an_open_transaction(portal, tmp_path):
    """Committed entries still in the write-ahead log are copied; a transaction open meanwhile is not."""
    from governance.core import audit

    source = tmp_path / "portal.db"
    with portal.app_context():
        with closing(sqlite3.connect(source)) as holder:
            holder.execute("PRAGMA wal_autocheckpoint=0")  # what follows stays in the -wal file
            with portal.app_context():
                for n in range(3):
                    audit.record("test.in_wal", object_type="tests", object_id=n)
                db.session.commit()
            assert (tmp_path / "portal.db-wal").stat().st_size > 0
            writer = sqlite3.connect(source, isolation_level=None)
            writer.execute("BEGIN IMMEDIATE")
            writer.execute("INSERT INTO branches (code, country, names, official_languages, required_languages, "
                           "timezone, created_dt) VALUES ('ZZ', 'ZZ', '{}', '[]', '[]', 'UTC', "
                           "'2026-01-01 00:00:00.000000')")
            target = tmp_path / "copy.db"
            result = run(portal, "create", str(target))
            writer.execute("ROLLBACK")
            writer.close()
    assert result.exit_code == 0, result.stderr
    assert audit_count(target) == 10
    with closing(sqlite3.connect(target)) as copy:
        assert copy.execute("SELECT count(*) FROM branches WHERE code = 'ZZ'").fetchone()[0] == 0
    assert run(portal, "verify", str(target)).exit_code == 0


def test_deleted_content_is_neither_in_the_database_file_nor_in_the_copy(portal, tmp_path):
    """What a ballot box held before its shuffle at close must not survive in free pages (SECURITY.md)."""
    from sqlalchemy import text

    marker = "DELETED-CONTENT-" + "7" * 40
    with portal.app_context():
        assert db.session.execute(text("PRAGMA secure_delete")).scalar() == 1
        db.session.execute(text("CREATE TABLE scratch (x TEXT)"))
        db.session.execute(text("INSERT INTO scratch VALUES (:x)"), [{"x": f"{marker}-{n}" * 20} for n in range(200)])
        db.session.commit()
        db.session.execute(text("DELETE FROM scratch"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    with closing(sqlite3.connect(tmp_path / "portal.db")) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # what the write-ahead log held is in the file now
    assert marker.encode() not in (tmp_path / "portal.db").read_bytes()
    target = tmp_path / "copy.db"
    assert run(portal, "create", str(target)).exit_code == 0
    assert marker.encode() not in target.read_bytes()


@pytest.mark.parametrize("tamper,reason", [
    ("UPDATE audit_entries SET data = '{\"n\": 99}' WHERE seq = 4", "entry 4: content does not match its hash"),
    ("DELETE FROM audit_entries WHERE seq = 3", "entry 3: entry 3 is missing"),
    ("UPDATE audit_entries SET actor_id = NULL WHERE seq = 2", "entry 2: content does not match its hash"),
])
def test_an_edited_or_deleted_entry_in_the_copy_fails_the_verification(portal, tmp_path, tamper, reason):
    target = tmp_path / "copy.db"
    assert run(portal, "create", str(target)).exit_code == 0
    with closing(sqlite3.connect(target)) as copy:
        copy.execute(tamper)
        copy.commit()
    result = run(portal, "verify", str(target))
    assert result.exit_code == 1
    assert f"audit chain BROKEN at {reason}" in result.stderr


def test_verify_refuses_what_is_not_a_sqlite_copy_of_the_portal(portal, tmp_path):
    dump = tmp_path / "portal.dump"
    dump.write_bytes(b"PGDMP\x01\x0e\x00")
    result = run(portal, "verify", str(dump))
    assert result.exit_code == 1 and "not a SQLite database" in result.stderr
    other = tmp_path / "other.db"
    with closing(sqlite3.connect(other)) as connection:
        connection.execute("CREATE TABLE t (x)")
    result = run(portal, "verify", str(other))
    assert result.exit_code == 1 and "no readable audit log" in result.stderr


def test_on_postgresql_the_command_points_to_pg_dump(tmp_path):
    from governance.config import normalise_database_url

    url = normalise_database_url("postgresql://portal:s3cret-pass@db.example:5433/coop")
    app = create_app(make_settings(url, tmp_path))
    result = run(app, "create", str(tmp_path / "x.dump"))
    assert result.exit_code == 2
    assert "pg_dump --format=custom" in result.stderr and "--host=db.example" in result.stderr
    assert "--port=5433" in result.stderr and "--username=portal" in result.stderr and " coop" in result.stderr
    assert "pg_restore" in result.stderr and "s3cret-pass" not in result.stderr + result.stdout
    assert not (tmp_path / "x.dump").exists()
