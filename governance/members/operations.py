"""Everything that changes the membership register. Operations take the actor, flush, never commit."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Table, bindparam, func, insert, text, update
from sqlalchemy.exc import IntegrityError

from governance.core import audit
from governance.core.db_types import utcnow
from governance.core.errors import Conflict, InvalidInput, NotAllowed
from governance.extensions import db
from governance.members.importing import ImportReport, member_ids, plan_import
from governance.members.models import Member, MemberStatus, MemberStatusChange
from governance.members.permissions import can_import_register, can_manage_member


def import_register(data: bytes, file_name: str, *, actor: Any, dry_run: bool = False, full_export: bool = False,
                    allow_partial: bool = False, today: dt.date | None = None) -> ImportReport:
    """Import a register export (CSV or XLSX): create and update members by member number.

    Writes nothing on a dry run, nor when a row is bad unless ``allow_partial`` (then the good rows are
    written and the bad ones reported). ``actor`` is the account importing, or None for the system (CLI).
    Raises :class:`~governance.members.importing.RegisterFileError` when the file cannot be read.
    """
    if actor is not None and not can_import_register(actor):
        raise NotAllowed()
    report = plan_import(data, file_name, dry_run=dry_run, full_export=full_export, allow_partial=allow_partial,
                         today=today)
    if dry_run or report.rejected:
        return report
    _write(report)
    audit.record("register.imported", actor=actor, object_type="members", file_name=file_name,
                 sha256=report.sha256, full_export=full_export, partial=bool(report.errors), **report.counts())
    report.applied = True
    return report


def _write(report: ImportReport) -> None:
    """Bulk inserts and updates: a few statements whatever the number of rows, never one per row."""
    members, history_table = Member.__table__, MemberStatusChange.__table__
    try:
        ids = _insert_members(report.inserts)
        for fields, rows in _group_by_fields(report.updates).items():
            # the SET clause: the changed fields (the keys of the parameters), and modified_dt
            db.session.execute(
                update(members).where(members.c.id == bindparam("member_id")).values(modified_dt=func.now()),
                [{"member_id": values["id"], **{f: values[f] for f in fields}} for values in rows],
            )
        history = [
            {"member_id": entry.get("member_id") or ids[entry["number"]], "old_status": entry["old_status"],
             "new_status": entry["new_status"], "effective_on": entry["effective_on"], "source": "import"}
            for entry in report.history
        ]
        _insert_rows(history_table, history, stamps=("created_dt",))
    except IntegrityError:
        # another import (or an edit) changed the same members meanwhile
        raise Conflict() from None
    _expire_loaded_members()


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _insert_members(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert new register entries; their ids by member number."""
    if not rows:
        return {}
    if _postgresql():
        # take the ids from the sequence first, so that nothing needs reading back
        ids = db.session.execute(
            text("SELECT nextval(pg_get_serial_sequence('members', 'id')) FROM generate_series(1, :n)"),
            {"n": len(rows)},
        ).scalars().all()
        rows = [{"id": member_id, **values} for member_id, values in zip(ids, rows)]
        _insert_rows(Member.__table__, rows, stamps=("created_dt", "modified_dt"))
        return {values["number"]: values["id"] for values in rows}
    _insert_rows(Member.__table__, rows, stamps=("created_dt", "modified_dt"))
    return member_ids(values["number"] for values in rows)


def _insert_rows(table: Table, rows: list[dict[str, Any]], *, stamps: tuple[str, ...]) -> None:
    """Insert many rows at once, the ``stamps`` columns set to the current time.

    PostgreSQL loads them with COPY; elsewhere one executemany, the time from the database clock so
    that no per-row value needs converting.
    """
    if not rows:
        return
    if not _postgresql():
        db.session.execute(insert(table).values({name: func.now() for name in stamps}), rows)
        return
    from psycopg import errors as pg_errors, sql

    columns = [*rows[0], *stamps]
    now = utcnow()
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns)))
    connection = db.session.connection().connection.driver_connection
    try:
        with connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([*row.values(), *(now for _ in stamps)])
    except pg_errors.IntegrityError:
        raise IntegrityError(str(statement), None, None) from None


def _group_by_fields(updates: list[dict[str, Any]]) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    """Updates that change the same fields, together: one executemany each."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for values in updates:
        groups.setdefault(tuple(sorted(k for k in values if k != "id")), []).append(values)
    return groups


def _expire_loaded_members() -> None:
    """Members already in the session were changed behind its back: reload them on next access."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Member):
            db.session.expire(obj)


def change_status(member: Member, status: MemberStatus, *, actor: Any, effective_on: dt.date | None = None,
                  left_on: dt.date | None = None) -> MemberStatusChange:
    """Change a member's status by hand, with a dated history entry."""
    if not can_manage_member(actor, member):
        raise NotAllowed()
    if member.status == status.value:
        raise InvalidInput(_l("The member already has this status."))
    effective_on = effective_on or dt.date.today()
    if effective_on < member.joined_on:
        raise InvalidInput(_l("A status cannot change before the member joined."))
    if left_on is not None and left_on < member.joined_on:
        raise InvalidInput(_l("A member cannot leave before joining."))
    change = MemberStatusChange(member_id=member.id, old_status=member.status, new_status=status.value,
                                effective_on=effective_on, source="manual")
    old = member.status
    member.status = status.value
    if left_on is not None:
        member.left_on = left_on
    db.session.add(change)
    db.session.flush()
    audit.record("member.status_changed", actor=actor, obj=member, number=member.number, old=old, new=status.value,
                 effective_on=effective_on.isoformat())
    return change
