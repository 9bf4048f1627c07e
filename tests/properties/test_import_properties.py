"""The register import parser never crashes, whatever the file: it reads it and reports the bad rows, or refuses
the whole file with a message of its own (a :class:`~governance.core.errors.DomainError`).

hypothesis feeds :func:`~governance.members.importing.plan_import` (which only reads the database) arbitrary
bytes, arbitrary text in several encodings, and files with a valid header and arbitrary cells. Every rejected row
is named (its row number) with a non-empty reason. At most 100 examples per test, derandomized.
"""
from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, event, given, settings, strategies as st

from governance.core.errors import DomainError
from governance.members.importing import RegisterFileError, plan_import
from tests.members.conftest import HEADER, row

PROPERTY = settings(max_examples=100, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture
def register(db, create_branch):
    """A database with the branches BE and FR (plan_import reads it, and writes nothing)."""
    create_branch("BE")
    create_branch("FR")
    return db


def check(data: bytes, file_name: str = "register.csv"):
    """Parse; a refusal must be one of the project's own errors, a report must give a reason for every bad row."""
    try:
        report = plan_import(data, file_name)
    except DomainError as error:
        assert str(error).strip()
        event("file refused")
        return None
    assert report.rows >= 1
    for error in report.errors:
        assert isinstance(error.row, int) and error.row >= 1
        assert str(error).strip(), error
    assert report.rejected == bool(report.errors)
    event("report with bad rows" if report.errors else "report without bad rows")
    return report


def csv_bytes(rows, *, header=HEADER, delimiter=",", encoding="utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding, errors="replace")


# cells that are sometimes plausible, sometimes not
plausible = st.sampled_from(["", " ", "BE", "FR", "XX", "M-1", "M-1", "Ana", "ana@example.org", "not an email",
                             "en", "nl", "fr", "xx", "active", "suspended", "left", "resigned", "2020-01-15",
                             "15/01/2020", "2020-02-30", "31.12.1999", "1", "0", "-3", "1e9", "9" * 40, "A", "=1+1",
                             "\u00e9t\u00e9", "\u200b", "\x00"])
cell = st.one_of(plausible, st.text(max_size=30))


@PROPERTY
@given(data=st.binary(max_size=2000))
def test_arbitrary_bytes_never_crash_the_parser(register, data):
    check(data)


@PROPERTY
@given(text=st.text(max_size=1000), encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]))
def test_arbitrary_text_never_crashes_the_parser(register, text, encoding):
    check(text.encode(encoding, errors="replace"))


@PROPERTY
@given(rows=st.lists(st.lists(cell, max_size=len(HEADER) + 2), min_size=1, max_size=8),
       delimiter=st.sampled_from([",", ";", "\t"]))
def test_a_valid_header_with_arbitrary_cells_gives_a_reason_for_every_bad_row(register, rows, delimiter):
    check(csv_bytes(rows, delimiter=delimiter))


@st.composite
def mostly_valid_rows(draw):
    """Good rows (distinct member numbers) with now and then a cell replaced by anything."""
    rows = []
    for n in range(draw(st.integers(1, 6))):
        cells = row(number=f"BE-{n}", email=f"member{n}@example.org")
        for index in draw(st.lists(st.integers(0, len(cells) - 1), max_size=2, unique=True)):
            cells[index] = draw(cell)
        rows.append(cells)
    return rows


@PROPERTY
@given(rows=mostly_valid_rows())
def test_mostly_valid_files_give_a_report_and_a_reason_for_every_bad_row(register, rows):
    report = check(csv_bytes(rows))
    if report is not None:
        good = report.rows - report.bad_rows
        assert good >= 0 and report.bad_rows <= len(rows)
        if not report.errors:
            assert len(report.created) == len(rows)


@PROPERTY
@given(header=st.lists(st.one_of(st.sampled_from(HEADER), st.text(max_size=15)), max_size=14),
       rows=st.lists(st.lists(cell, max_size=12), max_size=4))
def test_an_arbitrary_header_never_crashes_the_parser(register, header, rows):
    check(csv_bytes(rows, header=header))


@PROPERTY
@given(data=st.binary(max_size=500))
def test_arbitrary_bytes_as_an_xlsx_file_are_refused_with_a_message(register, data):
    check(data, "register.xlsx")


def test_the_parser_refuses_an_empty_file_with_a_message(register):
    with pytest.raises(RegisterFileError, match="empty"):
        plan_import(b"", "register.csv")
