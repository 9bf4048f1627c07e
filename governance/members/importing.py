"""Reading and checking a register export (CSV or XLSX), and planning what importing it changes.

Nothing here writes to the database: :func:`governance.members.operations.import_register` reads a
file with :func:`read_table`, plans with :func:`plan_import`, and applies the plan (unless it is a
dry run, or a row is bad and partial imports are not allowed). The columns and the header names
accepted in English, Dutch, French and German are documented in the README.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, text

from governance.core.errors import InvalidInput
from governance.extensions import db
from governance.members.models import Branch, Member, MemberStatus

#: existing members are looked up this many numbers at a time (below SQLite's smallest parameter limit)
LOOKUP_CHUNK = 900

#: statuses that end a membership: a change to one of them takes effect on ``left_on`` when given
LEAVING_STATUSES = frozenset({MemberStatus.resigned.value, MemberStatus.excluded.value, MemberStatus.deceased.value})


class RegisterFileError(InvalidInput):
    """The file as a whole cannot be imported (unreadable, wrong type, columns missing)."""


# --- columns ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    key: str
    label: Any
    #: the column must be in the header, and a value in every row
    required: bool
    #: header names in English, Dutch, French and German (compared without case, accents or punctuation)
    aliases: tuple[str, ...]
    max_length: int | None = None


COLUMNS: tuple[Column, ...] = (
    Column("member_number", _l("Member number"), True, (
        "member_number", "member number", "member no", "membership number", "number",
        "lidnummer", "lidnr", "nummer",
        "numéro de membre", "numéro membre", "n° de membre", "no de membre", "numéro d'adhérent", "numéro",
        "Mitgliedsnummer", "Mitgliednummer", "Mitglieds-Nr", "Mitgliedsnr",
    ), 32),
    Column("branch", _l("Branch"), True, (
        "branch", "branch code",
        "afdeling", "afdelingscode",
        "section", "code section",
        "Sektion", "Zweigstelle", "Landesverband",
    )),
    Column("first_name", _l("First name"), True, (
        "first_name", "first name", "given name", "forename",
        "voornaam",
        "prénom",
        "Vorname",
    ), 120),
    Column("last_name", _l("Last name"), True, (
        "last_name", "last name", "surname", "family name",
        "achternaam", "familienaam", "naam",
        "nom", "nom de famille",
        "Nachname", "Familienname", "Name",
    ), 120),
    Column("email", _l("Email address"), False, (
        "email", "e-mail", "email address", "e-mail address", "mail",
        "e-mailadres", "emailadres", "e-mail adres",
        "courriel", "adresse e-mail", "adresse électronique", "adresse mail",
        "E-Mail", "E-Mail-Adresse", "Mailadresse",
    ), 320),
    Column("language", _l("Language"), False, (
        "language", "preferred language",
        "taal", "voorkeurstaal", "correspondentietaal",
        "langue", "langue de correspondance", "langue préférée",
        "Sprache", "Korrespondenzsprache", "bevorzugte Sprache",
    )),
    Column("status", _l("Status"), True, (
        "status", "membership status",
        "lidmaatschapsstatus",
        "statut", "statut de membre",
        "Mitgliedsstatus",
    )),
    Column("joined_on", _l("Joined on"), True, (
        "joined_on", "joined on", "joined", "date joined", "join date", "member since",
        "ingeschreven op", "toetredingsdatum", "datum toetreding", "lid sinds",
        "date d'adhésion", "adhésion", "date d'entrée", "membre depuis",
        "Eintrittsdatum", "Eintritt", "Beitrittsdatum", "Mitglied seit",
    )),
    Column("left_on", _l("Left on"), False, (
        "left_on", "left on", "left", "date left", "leave date",
        "uitgetreden op", "uittredingsdatum", "datum uittreding",
        "date de sortie", "sortie", "date de départ",
        "Austrittsdatum", "Austritt", "ausgetreten am",
    )),
    Column("shares", _l("Shares"), False, (
        "shares", "number of shares",
        "aandelen", "aantal aandelen",
        "parts", "nombre de parts", "parts sociales",
        "Anteile", "Anzahl Anteile", "Geschäftsanteile",
    )),
    Column("share_class", _l("Share class"), False, (
        "share_class", "share class", "class of shares",
        "aandelenklasse", "categorie", "klasse",
        "catégorie de parts", "classe de parts", "catégorie", "classe",
        "Anteilsklasse", "Anteilskategorie", "Kategorie",
    ), 20),
)

COLUMNS_BY_KEY = {column.key: column for column in COLUMNS}

#: the model attribute each column sets, where it differs from the column's key
ATTRIBUTES = {"member_number": "number", "branch": "branch_id"}
#: the model attributes an import compares and updates, in display order
COMPARED = ("branch_id", "first_name", "last_name", "email", "language", "status", "joined_on", "left_on",
            "shares", "share_class")
_FIELD_COLUMN = {ATTRIBUTES.get(c.key, c.key): c for c in COLUMNS}


@lru_cache(maxsize=8192)
def normalise_label(text: Any) -> str:
    """Lower case, without accents or punctuation: ``"Date d'adhésion"`` → ``"date d adhesion"``."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.split(r"[^0-9a-z]+", bare)).strip()


@lru_cache(maxsize=1)
def _header_aliases() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for column in COLUMNS:
        for alias in column.aliases:
            aliases[normalise_label(alias)] = column.key
    return aliases


STATUS_ALIASES: dict[str, tuple[str, ...]] = {
    MemberStatus.applicant.value: ("applicant", "candidate", "kandidaat", "kandidaat-lid", "aspirant", "aspirant-lid",
                                   "candidat", "candidate", "Bewerber", "Bewerberin", "Anwärter", "Anwärterin"),
    MemberStatus.active.value: ("active", "actief", "actif", "active", "aktiv"),
    MemberStatus.suspended.value: ("suspended", "geschorst", "opgeschort", "suspendu", "suspendue", "suspendiert",
                                   "gesperrt", "ruhend"),
    MemberStatus.resigned.value: ("resigned", "uitgetreden", "ontslagnemend", "démissionnaire", "démissionné",
                                  "démissionnée", "ausgetreten", "gekündigt"),
    MemberStatus.excluded.value: ("excluded", "expelled", "uitgesloten", "exclu", "exclue", "ausgeschlossen"),
    MemberStatus.deceased.value: ("deceased", "overleden", "décédé", "décédée", "verstorben"),
}


@lru_cache(maxsize=1)
def _status_lookup() -> dict[str, str]:
    return {normalise_label(alias): status for status, aliases in STATUS_ALIASES.items() for alias in aliases}


@lru_cache(maxsize=1)
def _language_lookup() -> dict[str, str]:
    """Two-letter codes, and language names in English, Dutch, French and German, to the code."""
    from babel import Locale

    lookup: dict[str, str] = {}
    for display in ("en", "nl", "fr", "de"):
        for code, name in Locale(display).languages.items():
            if len(code) == 2 and code.isalpha():
                lookup.setdefault(normalise_label(name), code)
    for code in set(lookup.values()):
        lookup[code] = code
    return lookup


def parse_language(value: str) -> str | None:
    """``"nl"``, ``"nl-BE"``, ``"NL_be"``, ``"Nederlands"``, ``"néerlandais"`` → ``"nl"``; None when unknown."""
    key = normalise_label(value)
    lookup = _language_lookup()
    if key in lookup:
        return lookup[key]
    head = key.split(" ", 1)[0]
    if len(head) == 2 and head in lookup and re.fullmatch(r"[a-z]{2} [a-z]{2}", key):
        return lookup[head]
    return None


# --- reading ---------------------------------------------------------------------------------------
@dataclass
class Table:
    headers: list[str]
    #: (row number as a spreadsheet shows it, the header being row 1; the row's cells)
    rows: Iterator[tuple[int, list[Any]]]


def read_table(data: bytes, file_name: str) -> Table:
    """The header and rows of a CSV or XLSX file; :class:`RegisterFileError` when it cannot be read."""
    if not data.strip():
        raise RegisterFileError(_l("The file is empty."))
    extension = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    is_zip = data[:4] == b"PK\x03\x04"
    if extension == "xlsx" or (is_zip and extension != "csv"):
        return _read_xlsx(data)
    if extension in ("csv", "txt", "") and not is_zip:
        return _read_csv(data)
    raise RegisterFileError(_l("This type of file is not supported: upload a CSV or XLSX file."))


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without a byte order mark), UTF-16 with a byte order mark, else Windows-1252."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise RegisterFileError(_l("The file could not be read as text: save it as CSV in UTF-8.")) from None
    if b"\x00" in data:
        raise RegisterFileError(_l("This type of file is not supported: upload a CSV or XLSX file."))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise RegisterFileError(_l("The file could not be read as text: save it as CSV in UTF-8.")) from None


def _detect_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(data: bytes) -> Table:
    # lines end at \n, \r or \r\n only (not at the other characters str.splitlines() breaks on)
    lines = io.StringIO(decode_text(data), newline="").readlines()
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    if start == len(lines):
        raise RegisterFileError(_l("The file is empty."))
    # Excel's hint line: "sep=;"
    hint = re.fullmatch(r"\s*sep=(.)\s*", lines[start])
    if hint:
        delimiter, start = hint.group(1), start + 1
    else:
        delimiter = _detect_delimiter(lines[start])
    reader = csv.reader(lines[start:], delimiter=delimiter)
    try:
        headers = [h.strip() for h in next(reader)]
    except (StopIteration, csv.Error):
        raise RegisterFileError(_l("The file has no header row.")) from None
    return Table(headers=headers, rows=_csv_rows(reader, first_row=start + 2))


def _csv_rows(reader, first_row: int) -> Iterator[tuple[int, list[Any]]]:
    number = first_row - 1
    try:
        for cells in reader:
            number += 1
            yield number, cells
    except csv.Error:
        raise RegisterFileError(_l("The CSV file could not be read after row %(row)d.", row=number)) from None


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it ignores
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            sheet = workbook.worksheets[0]
            rows = list(sheet.iter_rows(values_only=True))
        workbook.close()
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, IndexError):
        raise RegisterFileError(_l("The file is not a valid XLSX workbook.")) from None
    start = 0
    while start < len(rows) and all(_is_blank(c) for c in rows[start]):
        start += 1
    if start == len(rows):
        raise RegisterFileError(_l("The file is empty."))
    headers = [_cell_text(c) for c in rows[start]]
    while headers and not headers[-1]:
        headers.pop()
    body = ((start + 2 + i, list(cells)) for i, cells in enumerate(rows[start + 1:]))
    return Table(headers=headers, rows=body)


# --- values ----------------------------------------------------------------------------------------
def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _cell_text(value: Any) -> str:
    """A cell as text: spreadsheets give numbers (member numbers) and dates as such."""
    if value.__class__ is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_DMY_DATE = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})")


class _BadDate(ValueError):
    def __init__(self, impossible: bool):
        self.impossible = impossible


def parse_date(value: Any) -> dt.date:
    """``2025-02-28``, ``28/02/2025``, ``28.02.2025`` or ``28-02-2025`` (or a spreadsheet date)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _cell_text(value)
    match = _ISO_DATE.fullmatch(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _DMY_DATE.fullmatch(text)
        if not match:
            raise _BadDate(impossible=False)
        day, month, year = int(match.group(1)), int(match.group(3)), int(match.group(4))
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise _BadDate(impossible=True) from None


def parse_shares(value: Any) -> int:
    """A whole number: ``ValueError`` otherwise (``OverflowError`` when negative)."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise ValueError(value)
        number = int(value)
    else:
        text = _cell_text(value).replace("\u00a0", "").replace(" ", "")
        if not re.fullmatch(r"[+-]?\d+", text):
            raise ValueError(value)
        number = int(text)
    if number < 0:
        raise OverflowError(value)
    return number


#: a plain ASCII address that the full check would accept: most of a register, checked quickly
_PLAIN_EMAIL = re.compile(r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*"
                          r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")
_SPECIAL_USE_TLDS = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})


def email_problem(email: str) -> bool:
    """True when the address is malformed (the same rules as the portal's forms)."""
    if (_PLAIN_EMAIL.fullmatch(email) and len(email) <= 254 and email.index("@") <= 64 and "--" not in email
            and email.rsplit(".", 1)[1].lower() not in _SPECIAL_USE_TLDS):
        return False
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return True
    return False


# --- the report ------------------------------------------------------------------------------------
@dataclass
class RowError:
    row: int
    message: Any

    def __str__(self) -> str:
        return str(self.message)


@dataclass
class FieldChange:
    field: str
    old: Any
    new: Any

    @property
    def label(self) -> str:
        return str(_FIELD_COLUMN[self.field].label)


@dataclass
class MemberChange:
    row: int
    number: str
    name: str
    branch: str
    changes: list[FieldChange] = field(default_factory=list)


@dataclass
class StatusChange:
    row: int
    number: str
    name: str
    old: str | None
    new: str
    effective_on: dt.date


@dataclass
class MissingMember:
    number: str
    name: str
    branch: str
    status: str


@dataclass
class ImportReport:
    """What an import changes (or would change), and every bad row and why."""

    file_name: str
    sha256: str
    dry_run: bool = False
    full_export: bool = False
    allow_partial: bool = False
    rows: int = 0
    columns: list[str] = field(default_factory=list)
    ignored_headers: list[str] = field(default_factory=list)
    created: list[MemberChange] = field(default_factory=list)
    updated: list[MemberChange] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    status_changes: list[StatusChange] = field(default_factory=list)
    missing: list[MissingMember] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    #: True once the changes were written (flushed; the caller commits)
    applied: bool = False
    # what to write, filled by plan_import
    inserts: list[dict[str, Any]] = field(default_factory=list, repr=False)
    updates: list[dict[str, Any]] = field(default_factory=list, repr=False)
    history: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @property
    def bad_rows(self) -> int:
        return len({e.row for e in self.errors})

    @property
    def rejected(self) -> bool:
        """Nothing may be written: some rows are bad and a partial import was not allowed."""
        return bool(self.errors) and not self.allow_partial

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "status_changes": len(self.status_changes),
            "missing": len(self.missing),
            "bad_rows": self.bad_rows,
        }


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- planning --------------------------------------------------------------------------------------
def map_columns(headers: list[str]) -> tuple[dict[str, int], list[str]]:
    """Which cell holds each column, and the headers that were not recognised."""
    aliases = _header_aliases()
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for index, header in enumerate(headers):
        if not header:
            continue
        key = aliases.get(normalise_label(header))
        if key is None:
            ignored.append(header)
            continue
        if key in positions:
            raise RegisterFileError(_l("The columns %(first)s and %(second)s both give the %(column)s.",
                                       first=headers[positions[key]], second=header,
                                       column=COLUMNS_BY_KEY[key].label))
        positions[key] = index
    missing = [str(c.label) for c in COLUMNS if c.required and c.key not in positions]
    if missing:
        raise RegisterFileError(_l("The header row lacks these required columns: %(columns)s.",
                                   columns=", ".join(missing)))
    return positions, ignored


class _Branches:
    """Branches by code or by name in any language (one query)."""

    def __init__(self):
        self.by_key: dict[str, Branch] = {}
        self.by_id: dict[int, Branch] = {}
        for branch in db.session.execute(select(Branch)).scalars():
            self.by_id[branch.id] = branch
            for name in branch.names.values():
                self.by_key.setdefault(normalise_label(name), branch)
        for branch in self.by_id.values():  # codes win over names
            self.by_key[normalise_label(branch.code)] = branch

    def find(self, value: str) -> Branch | None:
        return self.by_key.get(normalise_label(value))


_BAD = object()  # a cell whose problem was reported


@dataclass(frozen=True)
class _Cell:
    """A column present in the file: where it is, what it is called there, and how to read it."""

    key: str
    attribute: str
    index: int
    header: str
    #: a blank cell is a missing value (else it clears the field)
    needed: bool
    max_length: int | None


class _RowParser:
    """Turns a row's cells into model values, or reports each of its problems."""

    def __init__(self, positions: dict[str, int], headers: list[str], branches: _Branches):
        self.headers = headers
        self.branches = branches
        self.cells = [
            _Cell(key, ATTRIBUTES.get(key, key), index, headers[index],
                  COLUMNS_BY_KEY[key].required or key in ("language", "shares"), COLUMNS_BY_KEY[key].max_length)
            for key, index in positions.items()
        ]
        self.readers = {"joined_on": self._date, "left_on": self._date, "shares": self._shares,
                        "branch": self._branch, "status": self._status, "language": self._language,
                        "email": self._email}
        self.statuses = _status_lookup()

    def parse(self, row: int, cells: list[Any], errors: list[RowError]) -> dict[str, Any] | None:
        """The row's values by model attribute, or None when the row is bad (its errors appended)."""
        values: dict[str, Any] = {}
        problems: list[Any] = []
        width = len(cells)
        for cell in self.cells:
            raw = cells[cell.index] if cell.index < width else None
            text = _cell_text(raw)
            if not text:
                if cell.needed:
                    problems.append(_l("Row %(row)d: missing value in column %(column)s.", row=row,
                                       column=cell.header))
                else:
                    values[cell.attribute] = None
                continue
            reader = self.readers.get(cell.key)
            value = reader(raw, text, row, cell.header, problems) if reader else text
            if value is _BAD:
                continue
            if cell.max_length and isinstance(value, str) and len(value) > cell.max_length:
                problems.append(_l("Row %(row)d: the value in column %(column)s is too long "
                                   "(at most %(max)d characters).", row=row, column=cell.header,
                                   max=cell.max_length))
                continue
            values[cell.attribute] = value
        if len(self.headers) < width and any(not _is_blank(c) for c in cells[len(self.headers):]):
            problems.append(_l("Row %(row)d has more cells than the header row has columns.", row=row))
        joined, left = values.get("joined_on"), values.get("left_on")
        if joined and left and left < joined:
            problems.append(_l("Row %(row)d: the member left (%(left)s) before joining (%(joined)s).", row=row,
                               left=left.isoformat(), joined=joined.isoformat()))
        if problems:
            errors.extend(RowError(row, message) for message in problems)
            return None
        return values

    @staticmethod
    def _date(raw: Any, text: str, row: int, header: str, problems: list[Any]) -> Any:
        try:
            return parse_date(raw)
        except _BadDate as exc:
            if exc.impossible:
                problems.append(_l("Row %(row)d: %(value)s in column %(column)s is not a possible date.",
                                   row=row, value=text, column=header))
            else:
                problems.append(_l("Row %(row)d: %(value)s in column %(column)s is not a date "
                                   "(write it as YYYY-MM-DD or DD/MM/YYYY).", row=row, value=text, column=header))
            return _BAD

    @staticmethod
    def _shares(raw: Any, text: str, row: int, header: str, problems: list[Any]) -> Any:
        try:
            return parse_shares(raw)
        except OverflowError:
            problems.append(_l("Row %(row)d: the number of shares cannot be negative (%(value)s).",
                               row=row, value=text))
        except ValueError:
            problems.append(_l("Row %(row)d: the number of shares must be a whole number, not %(value)s.",
                               row=row, value=text))
        return _BAD

    def _branch(self, raw: Any, text: str, row: int, header: str, problems: list[Any]) -> Any:
        branch = self.branches.find(text)
        if branch is None:
            problems.append(_l("Row %(row)d: unknown branch %(code)s.", row=row, code=text))
            return _BAD
        return branch.id

    def _status(self, raw: Any, text: str, row: int, header: str, problems: list[Any]) -> Any:
        status = self.statuses.get(normalise_label(text))
        if status is None:
            problems.append(_l("Row %(row)d: unknown status %(value)s.", row=row, value=text))
            return _BAD
        return status

    @staticmethod
    def _language(raw: Any, text: str, row: int, header: str, problems: list[Any]) -> Any:
        language = parse_language(text)
        if language is None:
            problems.append(_l("Row %(row)d: unknown language %(value)s.", row=row, value=text))
            return _BAD
        return language

    @staticmethod
    def _email(raw: Any, text: str, row: int, header: str, problems: list[Any]) -> Any:
        if email_problem(text):
            problems.append(_l("Row %(row)d: %(email)s is not a valid email address.", row=row, email=text))
            return _BAD
        return text


def _mark_duplicates(parsed: list[tuple[int, dict[str, Any]]], numbers_seen: dict[str, list[int]],
                     errors: list[RowError]) -> list[tuple[int, dict[str, Any]]]:
    """Rows whose member number appears more than once in the file are all bad."""
    duplicates = {number: rows for number, rows in numbers_seen.items() if len(rows) > 1}
    if not duplicates:
        return parsed
    for number, rows in duplicates.items():
        listed = ", ".join(str(r) for r in rows)
        for row in rows:
            errors.append(RowError(row, _l("Row %(row)d: member number %(number)s appears more than once in the "
                                           "file (rows %(rows)s).", row=row, number=number, rows=listed)))
    return [(row, values) for row, values in parsed if values["number"] not in duplicates]


_EXISTING_COLUMNS = (Member.id, Member.number, *(getattr(Member, name) for name in COMPARED))


def _by_number(columns: tuple, numbers: Iterable[str]) -> Iterator[Any]:
    """Rows of the register entries with these numbers, a chunk of numbers per query."""
    numbers = list(numbers)
    if numbers and db.session.get_bind().dialect.name == "postgresql":
        # psycopg prepares a query run several times; a generic plan made while the register was empty
        # (a sequential scan) would then be reused on a full register, a full scan per chunk
        db.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    for start in range(0, len(numbers), LOOKUP_CHUNK):
        yield from db.session.execute(select(*columns).where(Member.number.in_(numbers[start:start + LOOKUP_CHUNK])))


def load_existing(numbers: Iterable[str]) -> dict[str, Any]:
    """The register entries with these numbers (the compared fields), by number."""
    return {row.number: row for row in _by_number(_EXISTING_COLUMNS, numbers)}


def member_ids(numbers: Iterable[str]) -> dict[str, int]:
    """The ids of the register entries with these numbers."""
    return {row.number: row.id for row in _by_number((Member.id, Member.number), numbers)}


def _display(attribute: str, value: Any, branches: _Branches) -> Any:
    if value is None:
        return ""
    if attribute == "branch_id":
        branch = branches.by_id.get(value)
        return branch.code if branch else value
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _effective_on(status: str, left_on: dt.date | None, fallback: dt.date) -> dt.date:
    return left_on if status in LEAVING_STATUSES and left_on else fallback


def plan_import(data: bytes, file_name: str, *, dry_run: bool = False, full_export: bool = False,
                allow_partial: bool = False, today: dt.date | None = None) -> ImportReport:
    """Read, check and compare a register export; the report holds what to write. Reads only."""
    today = today or dt.date.today()
    report = ImportReport(file_name=file_name, sha256=file_digest(data), dry_run=dry_run, full_export=full_export,
                          allow_partial=allow_partial)
    table = read_table(data, file_name)
    positions, report.ignored_headers = map_columns(table.headers)
    report.columns = [c.key for c in COLUMNS if c.key in positions]
    branches = _Branches()
    parser = _RowParser(positions, table.headers, branches)
    errors = report.errors

    parsed: list[tuple[int, dict[str, Any]]] = []
    numbers_seen: dict[str, list[int]] = {}
    for row, cells in table.rows:
        if all(_is_blank(c) for c in cells):
            continue
        report.rows += 1
        values = parser.parse(row, cells, errors)
        number = _cell_text(cells[positions["member_number"]]) if positions["member_number"] < len(cells) else ""
        if number:
            numbers_seen.setdefault(number, []).append(row)
        if values is not None:
            parsed.append((row, values))
    if not report.rows:
        raise RegisterFileError(_l("The file has a header row but no members."))
    parsed = _mark_duplicates(parsed, numbers_seen, errors)

    existing = load_existing(values["number"] for _, values in parsed)
    present = [ATTRIBUTES.get(key, key) for key in report.columns if key != "member_number"]
    for row, values in parsed:
        current = existing.get(values["number"])
        if current is None:
            _plan_creation(report, row, values, branches)
        else:
            _plan_update(report, row, values, current, present, branches, today)
    errors.sort(key=lambda e: e.row)

    if full_export:
        _find_missing(report, set(numbers_seen), branches)
    return report


def _plan_creation(report: ImportReport, row: int, values: dict[str, Any], branches: _Branches) -> None:
    branch = branches.by_id[values["branch_id"]]
    record = {
        "number": values["number"],
        "branch_id": values["branch_id"],
        "first_name": values["first_name"],
        "last_name": values["last_name"],
        "email": values.get("email"),
        "language": values.get("language") or (branch.official_languages or ["en"])[0],
        "status": values["status"],
        "joined_on": values["joined_on"],
        "left_on": values.get("left_on"),
        "shares": values.get("shares", 1),
        "share_class": values.get("share_class"),
    }
    report.inserts.append(record)
    name = f"{record['first_name']} {record['last_name']}"
    report.created.append(MemberChange(row, record["number"], name, branch.code))
    effective = _effective_on(record["status"], record["left_on"], record["joined_on"])
    report.status_changes.append(StatusChange(row, record["number"], name, None, record["status"], effective))
    report.history.append({"number": record["number"], "old_status": None, "new_status": record["status"],
                           "effective_on": effective})


def _plan_update(report: ImportReport, row: int, values: dict[str, Any], current: Any, present: list[str],
                 branches: _Branches, today: dt.date) -> None:
    joined = values.get("joined_on", current.joined_on)
    left = values["left_on"] if "left_on" in values else current.left_on
    if left is not None and left < joined:
        report.errors.append(RowError(row, _l(
            "Row %(row)d: the member left (%(left)s) before joining (%(joined)s).", row=row,
            left=left.isoformat(), joined=joined.isoformat())))
        return
    changes = [FieldChange(attribute, _display(attribute, getattr(current, attribute), branches),
                           _display(attribute, values[attribute], branches))
               for attribute in COMPARED
               if attribute in present and values[attribute] != getattr(current, attribute)]
    name = f"{values['first_name']} {values['last_name']}"
    branch_code = _display("branch_id", values["branch_id"], branches)
    if not changes:
        report.unchanged.append(current.number)
        return
    report.updated.append(MemberChange(row, current.number, name, branch_code, changes))
    report.updates.append({"id": current.id, **{c.field: values[c.field] for c in changes}})
    if values["status"] != current.status:
        effective = _effective_on(values["status"], left, today)
        report.status_changes.append(StatusChange(row, current.number, name, current.status, values["status"],
                                                  effective))
        report.history.append({"member_id": current.id, "old_status": current.status,
                               "new_status": values["status"], "effective_on": effective})


def _find_missing(report: ImportReport, numbers_in_file: set[str], branches: _Branches) -> None:
    """Members of the register that a full export leaves out: reported, never deleted."""
    rows = db.session.execute(
        select(Member.number, Member.first_name, Member.last_name, Member.branch_id, Member.status)
        .order_by(Member.number)
    )
    for row in rows:
        if row.number not in numbers_in_file:
            report.missing.append(MissingMember(row.number, f"{row.first_name} {row.last_name}",
                                                _display("branch_id", row.branch_id, branches), row.status))
