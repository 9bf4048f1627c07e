"""Everything that changes the membership register. Operations take the actor, flush, never commit."""
from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from collections.abc import Iterable, Mapping
from typing import Any

from babel import Locale
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Table, bindparam, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from governance.core import audit
from governance.core.db_types import utcnow
from governance.core.errors import Conflict, InvalidInput, NotAllowed
from governance.extensions import db
from governance.members.importing import LEAVING_STATUSES, ImportReport, email_problem, member_ids, plan_import
from governance.members.models import Branch, Member, MemberStatus, MemberStatusChange
from governance.members.permissions import can_import_register, can_manage_branches, can_manage_member


class InvalidField(InvalidInput):
    """One value given is not valid; ``field`` names it, so a form can show the message next to it."""

    def __init__(self, field: str, message=None, **params):
        self.field = field
        super().__init__(message, **params)


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


def branch_today(branch: Branch) -> dt.date:
    """Today's date where the branch is (its time zone)."""
    try:
        zone = zoneinfo.ZoneInfo(branch.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = dt.timezone.utc
    return dt.datetime.now(zone).date()


#: the longest note a status change can carry
NOTE_MAX_LENGTH = 500


def change_status(member: Member, status: MemberStatus, *, actor: Any, effective_on: dt.date | None = None,
                  left_on: dt.date | None = None, note: str | None = None,
                  today: dt.date | None = None) -> MemberStatusChange:
    """Change a member's status by hand, with a dated history entry and an audit entry.

    The change takes effect today or on an earlier date (``today`` in the branch's time zone unless
    given), never before the member joined nor before the last change recorded. A status that ends the
    membership (resigned, excluded, deceased) sets ``left_on`` (to ``effective_on`` unless given); any
    other status clears it.
    """
    if not can_manage_member(actor, member):
        raise NotAllowed()
    if member.status == status.value:
        raise InvalidField("status", _l("The member already has this status."))
    today = today or branch_today(member.branch)
    effective_on = effective_on or today
    if effective_on > today:
        raise InvalidField("effective_on", _l("A status change cannot take effect in the future."))
    if effective_on < member.joined_on:
        raise InvalidField("effective_on", _l("A status change cannot take effect before the member joined "
                                              "(%(date)s)."), date=member.joined_on.isoformat())
    last = db.session.execute(
        select(func.max(MemberStatusChange.effective_on)).where(MemberStatusChange.member_id == member.id)
    ).scalar()
    if last is not None and effective_on < last:
        raise InvalidField("effective_on", _l("A status change cannot take effect before the last one recorded "
                                              "(%(date)s)."), date=last.isoformat())
    if left_on is not None and left_on < member.joined_on:
        raise InvalidInput(_l("A member cannot leave before joining."))
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX_LENGTH:
        raise InvalidField("note", _l("The note has at most %(n)d characters."), n=NOTE_MAX_LENGTH)
    change = MemberStatusChange(member_id=member.id, old_status=member.status, new_status=status.value,
                                effective_on=effective_on, source="manual", note=note)
    old = member.status
    member.status = status.value
    member.left_on = (left_on or effective_on) if status.value in LEAVING_STATUSES else None
    db.session.add(change)
    db.session.flush()
    audit.record("member.status_changed", actor=actor, obj=member, number=member.number, old=old, new=status.value,
                 effective_on=effective_on.isoformat(),
                 left_on=member.left_on.isoformat() if member.left_on else None, note=note)
    return change


# --- contact details -------------------------------------------------------------------------------
def member_languages(member: Member | None = None) -> list[str]:
    """The languages a register entry can be given: the interface's, the EU's, and the member's own."""
    codes = dict.fromkeys([*current_app.config["LANGUAGES"], *EU_LANGUAGES])
    if member is not None:
        codes.update(dict.fromkeys([*member.branch.official_languages, member.language]))
    return list(codes)


def update_member_details(member: Member, *, email: str | None, language: str, email_consent: bool,
                          actor: Any) -> dict[str, dict[str, Any]]:
    """The member's email address, preferred language and consent to be convened by email.

    Giving consent records today's date; withdrawing it clears the date. Returns the changes (field →
    old and new value), which the audit entry ``member.updated`` records; nothing when nothing changed.
    """
    if not can_manage_member(actor, member):
        raise NotAllowed()
    email = (email or "").strip() or None
    if email is not None and (len(email) > 320 or email_problem(email)):
        raise InvalidField("email", _l("Enter a valid email address, or leave it empty."))
    if language not in member_languages(member):
        raise InvalidField("language", _l("Choose a language from the list."))
    if email_consent and email is None:
        raise InvalidField("email_consent", _l("Only a member with an email address can be convened by email."))
    changes: dict[str, dict[str, Any]] = {}
    if email != member.email:
        changes["email"] = {"old": member.email, "new": email}
        member.email = email
    if language != member.language:
        changes["language"] = {"old": member.language, "new": language}
        member.language = language
    if email_consent and member.email_consent_dt is None:
        member.email_consent_dt = utcnow()
        changes["email_consent"] = {"old": None, "new": member.email_consent_dt.isoformat()}
    elif not email_consent and member.email_consent_dt is not None:
        changes["email_consent"] = {"old": member.email_consent_dt.isoformat(), "new": None}
        member.email_consent_dt = None
    if not changes:
        return changes
    db.session.flush()
    audit.record("member.updated", actor=actor, obj=member, number=member.number, changes=changes)
    return changes


# --- branches --------------------------------------------------------------------------------------
#: the official languages of the European Union (ISO 639-1), which a branch's official languages come from
EU_LANGUAGES = ("bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "it", "lt", "lv",
                "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv")
BRANCH_CODE = re.compile(r"[A-Z]{2,10}")
BRANCH_NAME_MAX_LENGTH = 120
#: Babel's territories that are not countries of ISO 3166-1 (regions, exceptional reservations, "unknown")
_NOT_COUNTRIES = frozenset({"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK",
                            "ZZ"})

#: the messages of branch checks, shared by the form and the operations
BRANCH_MESSAGES = {
    "code": _l("The code is 2 to 10 capital letters (A to Z), for example BE."),
    "code_taken": _l("Another branch already has the code %(code)s."),
    "names": _l("Give the branch's name in at least one language."),
    "name_length": _l("A name has at most %(n)d characters."),
    "country": _l("Choose a country from the list."),
    "official_languages": _l("Choose at least one official language from the list."),
    "main_language": _l("The main language must be one of the official languages."),
    "required_languages": _l("Choose at least one language that official texts require."),
    "required_not_official": _l("The languages official texts require must be official languages of the branch."),
    "timezone": _l("Choose a time zone from the list, for example Europe/Brussels."),
}


@functools.cache
def country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes, from Babel's territory list."""
    return frozenset(code for code in Locale("en").territories
                     if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES)


@functools.cache
def timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def branch_languages(branch: Branch | None = None) -> list[str]:
    """The languages a branch's official languages can be chosen from: the EU's, and those it has."""
    codes = dict.fromkeys(EU_LANGUAGES)
    if branch is not None:
        codes.update(dict.fromkeys([*branch.official_languages, *branch.required_languages]))
    return list(codes)


def name_languages() -> list[str]:
    """The languages a branch's name is given in: the interface's."""
    return list(current_app.config["LANGUAGES"])


def _merged_names(current: Mapping[str, str], given: Mapping[str, str | None]) -> dict[str, str]:
    """``given`` replaces the names in its languages (an empty one removes it); the others stay."""
    names = dict(current)
    for code, name in given.items():
        if code not in name_languages() and code not in current:
            raise InvalidField("names", BRANCH_MESSAGES["names"])
        name = (name or "").strip()
        if len(name) > BRANCH_NAME_MAX_LENGTH:
            raise InvalidField(f"name_{code}", BRANCH_MESSAGES["name_length"], n=BRANCH_NAME_MAX_LENGTH)
        if name:
            names[code] = name
        else:
            names.pop(code, None)
    if not names:
        raise InvalidField("names", BRANCH_MESSAGES["names"])
    return names


def _checked_settings(branch: Branch | None, *, country: str, official_languages: Iterable[str],
                      required_languages: Iterable[str], timezone: str) -> dict[str, Any]:
    if country not in country_codes():
        raise InvalidField("country", BRANCH_MESSAGES["country"])
    allowed = set(branch_languages(branch))
    official = list(dict.fromkeys(official_languages))
    if not official or any(code not in allowed for code in official):
        raise InvalidField("official_languages", BRANCH_MESSAGES["official_languages"])
    required = list(dict.fromkeys(required_languages))
    if not required:
        raise InvalidField("required_languages", BRANCH_MESSAGES["required_languages"])
    if any(code not in official for code in required):
        raise InvalidField("required_languages", BRANCH_MESSAGES["required_not_official"])
    if timezone not in timezones():
        raise InvalidField("timezone", BRANCH_MESSAGES["timezone"])
    # the required languages in the order of the official ones
    return {"country": country, "official_languages": official,
            "required_languages": [code for code in official if code in required], "timezone": timezone}


def create_branch(*, code: str, names: Mapping[str, str | None], country: str, official_languages: Iterable[str],
                  required_languages: Iterable[str], timezone: str, actor: Any) -> Branch:
    """A new branch. ``official_languages`` in order: the first is the branch's main language."""
    if actor is not None and not can_manage_branches(actor):
        raise NotAllowed()
    code = (code or "").strip()
    if not BRANCH_CODE.fullmatch(code):
        raise InvalidField("code", BRANCH_MESSAGES["code"])
    if db.session.execute(select(Branch.id).where(Branch.code == code)).first() is not None:
        raise InvalidField("code", BRANCH_MESSAGES["code_taken"], code=code)
    values = _checked_settings(None, country=country, official_languages=official_languages,
                               required_languages=required_languages, timezone=timezone)
    branch = Branch(code=code, names=_merged_names({}, names), **values)
    db.session.add(branch)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        # another administrator created a branch with this code meanwhile
        raise InvalidField("code", BRANCH_MESSAGES["code_taken"], code=code) from None
    audit.record("branch.created", actor=actor, obj=branch, code=branch.code, names=dict(branch.names),
                 country=branch.country, official_languages=list(branch.official_languages),
                 required_languages=list(branch.required_languages), timezone=branch.timezone)
    return branch


BRANCH_FIELDS = ("names", "country", "official_languages", "required_languages", "timezone")


def update_branch(branch: Branch, *, names: Mapping[str, str | None], country: str,
                  official_languages: Iterable[str], required_languages: Iterable[str], timezone: str,
                  actor: Any) -> dict[str, dict[str, Any]]:
    """Change a branch's settings (never its code). Returns the changes (field → old and new value),
    which the audit entry ``branch.updated`` records; nothing when nothing changed."""
    if actor is not None and not can_manage_branches(actor):
        raise NotAllowed()
    values = _checked_settings(branch, country=country, official_languages=official_languages,
                               required_languages=required_languages, timezone=timezone)
    values["names"] = _merged_names(branch.names, names)
    changes = {}
    for field in BRANCH_FIELDS:
        old, new = getattr(branch, field), values[field]
        old = dict(old) if isinstance(old, Mapping) else list(old) if isinstance(old, list) else old
        if old != new:
            changes[field] = {"old": old, "new": new}
            setattr(branch, field, new)
    if not changes:
        return changes
    db.session.flush()
    audit.record("branch.updated", actor=actor, obj=branch, code=branch.code, changes=changes)
    return changes
