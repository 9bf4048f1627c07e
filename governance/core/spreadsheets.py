"""CSV downloads that are safe to open in a spreadsheet.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a formula by
spreadsheet programs (CSV injection): an option label such as ``=HYPERLINK(…)`` typed by an organiser would
run on every member's computer that opens the file. Such cells get a leading apostrophe, which spreadsheets
show as text and hide.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

#: the first characters that make a spreadsheet read a cell as a formula
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """``value``, or, for text a spreadsheet would read as a formula, the text behind an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(rows: Iterable[Iterable[Any]], *, lineterminator: str = "\r\n") -> str:
    """The rows as CSV text; None is an empty cell and every text cell is :func:`spreadsheet_safe`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=lineterminator)
    for row in rows:
        writer.writerow(["" if value is None else spreadsheet_safe(value) for value in row])
    return out.getvalue()
