"""Backups of the database: an online copy of a SQLite database, and the check of a copy.

SQLite: ``flask governance backup create PATH`` copies the database with SQLite's online backup API
(:meth:`sqlite3.Connection.backup`) while the portal runs. The copy is one consistent snapshot of what was
committed, pages still in the write-ahead log included, and nothing of a transaction still open. It becomes a
single self-contained file (journal mode DELETE: no ``-wal`` file needed), rebuilt with ``VACUUM`` so that no free
page keeps deleted content, readable by its owner only (it holds personal data), and is checked with
``PRAGMA integrity_check`` before it takes its name.

PostgreSQL: logical dumps with ``pg_dump`` are the tool (consistent while the portal runs, restored with
``pg_restore``); :func:`pg_dump_instructions` says how. Nothing here runs them.

``flask governance backup verify PATH`` opens a SQLite copy read-only and walks its audit chain with
:func:`governance.core.audit.verify_chain`, bound to the copy, so a copy whose audit log was edited, or lost an
entry, is found out before it is trusted (see SECURITY.md, "Backups").
"""
from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from governance.core.audit import AuditEntry, VerifyResult, latest_hash, verify_chain

SQLITE_HEADER = b"SQLite format 3\x00"


class BackupError(RuntimeError):
    """The backup cannot be made or read; the message says why (shown as is by the command)."""


@dataclass
class BackupReport:
    path: Path
    size_bytes: int
    audit_entries: int
    latest_hash: str


@dataclass
class VerifyReport:
    integrity: str
    chain: VerifyResult
    latest_hash: str

    @property
    def ok(self) -> bool:
        return self.integrity == "ok" and self.chain.ok


def database_kind(url: str) -> str:
    return make_url(url).get_backend_name()


def sqlite_file(url: str) -> Path:
    """The file of a SQLite database URL (an in-memory database has none)."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        raise BackupError("this SQLite database lives in memory: there is no file to back up")
    path = Path(database)
    if not path.is_file():
        raise BackupError(f"the database file {path} does not exist")
    return path


def create_sqlite_backup(source: Path, target: Path) -> BackupReport:
    """Copy the SQLite database ``source`` to ``target`` (which must not exist) while it is in use."""
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} exists already: choose a new name (a backup never overwrites a file)")
    if not target.parent.is_dir():
        raise BackupError(f"the folder {target.parent} does not exist")
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    try:
        # the source is only read (a read-only open of a database in WAL mode would need its -shm file to exist)
        with closing(sqlite3.connect(source, timeout=30)) as src, closing(sqlite3.connect(partial)) as dst:
            src.execute("PRAGMA busy_timeout=30000")
            src.backup(dst)  # every page in one step: one consistent snapshot
            dst.execute("PRAGMA journal_mode=DELETE")
            # rebuilt: free pages (what was deleted, such as a ballot box before its shuffle at close) are left out
            dst.execute("VACUUM")
            integrity = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            raise BackupError(f"the copy failed its integrity check: {integrity}")
        os.chmod(partial, 0o600)
        os.replace(partial, target)
    except sqlite3.Error as exc:
        raise BackupError(f"the copy could not be made: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    with open_copy(target) as session:
        entries = session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
        last = latest_hash(session)
    return BackupReport(target, target.stat().st_size, entries, last)


@contextmanager
def open_copy(path: Path) -> Iterator[Session]:
    """A read-only session on a SQLite copy (the portal's own database is left alone)."""
    path = Path(path)
    with path.open("rb") as fh:
        if fh.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise BackupError(f"{path} is not a SQLite database (a pg_dump file is checked by restoring it: "
                              "see README.md, \"Backups\")")
    engine = create_engine(f"sqlite:///file:{path.resolve()}?mode=ro&uri=true", hide_parameters=True)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def verify_sqlite_backup(path: Path) -> VerifyReport:
    """The copy's integrity, and its audit chain walked from the first entry to the last."""
    with open_copy(path) as session:
        integrity = session.connection().exec_driver_sql("PRAGMA integrity_check").scalar()
        try:
            chain = verify_chain(session=session)
        except Exception as exc:  # not the portal's schema: no audit table, other columns
            raise BackupError(f"{path} has no readable audit log: {type(exc).__name__}") from exc
        return VerifyReport(integrity, chain, latest_hash(session))


def pg_dump_instructions(url: str, target: Path) -> str:
    """What to run instead, for a PostgreSQL database (credentials left out: pg_dump reads ~/.pgpass or PGPASSWORD)."""
    parts = make_url(url)
    options = " ".join(f"--{name}={value}" for name, value in (("host", parts.host), ("port", parts.port),
                                                                ("username", parts.username)) if value)
    database = parts.database or "DATABASE"
    return (
        "The portal runs on PostgreSQL: back it up with pg_dump, which takes a consistent snapshot while the portal "
        "runs (this command does not run it for you):\n\n"
        f"    pg_dump --format=custom --file={target} {options} {database}\n\n"
        "Restore into an empty database with:\n\n"
        f"    pg_restore --no-owner --dbname=NEW_DATABASE {target}\n\n"
        "then check the copy's audit log with DATABASE_URL pointing at it: flask governance audit verify.\n"
        "File-level copies of the data directory are not backups of a running server; if you take one, run "
        "VACUUM on the ballot box after each close first (SECURITY.md)."
    )
