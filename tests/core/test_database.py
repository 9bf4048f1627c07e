"""Database set-up: SQLite in WAL mode with immediate write transactions; UTC timestamps everywhere."""
import datetime as dt
import threading

import pytest
from sqlalchemy import event, select, text

from governance.core.db_types import utcnow
from governance.extensions import db as _db


def _is_sqlite(app):
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")


def test_sqlite_runs_in_wal_mode_with_foreign_keys(app):
    if not _is_sqlite(app):
        pytest.skip("SQLite only")
    with app.app_context(), _db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_write_transactions_begin_immediately_and_reads_do_not(app):
    if not _is_sqlite(app):
        pytest.skip("SQLite only")
    seen = []

    def record(conn, cursor, statement, *args):
        if statement.startswith("BEGIN"):
            seen.append(statement)

    with app.app_context():
        event.listen(_db.engine, "before_cursor_execute", record)
        try:
            with _db.engine.connect() as conn:  # outside a request (CLI, worker): immediate
                conn.execute(text("SELECT 1"))
                conn.rollback()
            with app.test_request_context(method="GET"), _db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
                conn.rollback()
            with app.test_request_context(method="POST"), _db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
                conn.rollback()
        finally:
            event.remove(_db.engine, "before_cursor_execute", record)
    assert seen == ["BEGIN IMMEDIATE", "BEGIN", "BEGIN IMMEDIATE"]


def test_concurrent_writers_wait_instead_of_failing(app):
    """Two processes' worth of writers on one database: immediate transactions queue up, none fails."""
    from governance.core import audit

    errors = []

    def writer(n):
        try:
            with app.app_context():
                for i in range(5):
                    audit.record("test.concurrent", writer=n, i=i)
                    _db.session.commit()
        except Exception as exc:  # noqa: BLE001 - the test reports any failure
            errors.append(repr(exc))
        finally:
            with app.app_context():
                _db.session.remove()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with app.app_context():
        assert audit.verify_chain().ok
        _db.session.remove()


def test_timestamps_are_timezone_aware_utc(db, create_branch):
    branch = create_branch("BE")
    db.session.commit()
    db.session.expire_all()
    loaded = db.session.execute(select(type(branch)).where(type(branch).id == branch.id)).scalar_one()
    assert loaded.created_dt.tzinfo is not None
    assert loaded.created_dt.utcoffset() == dt.timedelta(0)
    assert abs(loaded.created_dt - utcnow()) < dt.timedelta(minutes=1)


def test_naive_datetimes_are_refused(db, create_member):
    member = create_member()
    member.email_consent_dt = dt.datetime(2026, 1, 1, 12, 0)
    with pytest.raises(Exception, match="naive"):
        db.session.flush()
    db.session.rollback()


def test_json_columns_save_in_place_changes(db, create_branch):
    branch = create_branch("BE")
    db.session.commit()
    branch.names["en"] = "Belgium (changed)"
    branch.required_languages.append("de")
    db.session.commit()
    db.session.expire_all()
    assert branch.names["en"] == "Belgium (changed)"
    assert branch.required_languages == ["nl", "fr", "de"]
