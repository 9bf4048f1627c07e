"""Ballot files: BLT for ranked ballots, CSV for the others. Reading adds identical ballots up.

BLT
---
The format of OpenSTV, Droop and the ERS (also OpaVote's export), so anyone can recount with independent tools::

    4 2                 ← number of candidates, number of seats
    -3                  ← optional: withdrawn candidates, as negative numbers (here candidate 3)
    3 1 2 0             ← a weight (number of identical ballots), the preferences (1-based), 0
    2 4 0
    1 0                 ← a blank ballot
    0                   ← end of the ballots
    "Ana"               ← the candidate names, in order, one per line (quotes optional)
    "Ben"
    "Cara"
    "Dev"
    "Board election"    ← the title (optional)

Accepted as well: blank lines and ``#`` comment lines before the names, several quoted names on one line, a
byte-order mark. Refused with the line number: equal preferences (``1=2``) or skipped ones (``-``), a candidate
ranked twice, a number outside ``1..candidates``, a weight that is not a whole number ≥ 1, a missing ``0``, too few
or too many names, two candidates with the same name. Inside quotes, ``\\"`` stands for ``"`` and ``\\\\`` for ``\\``.

:func:`read_blt` keeps the preferences for withdrawn candidates; :meth:`BltElection.for_count` leaves them out,
which is how a count treats a withdrawn candidate. :func:`write_blt` writes aggregated rankings.

CSV (yes/no/abstain, single choice, approval)
---------------------------------------------
A header row, then either **one row per distinct choice with a count**, or **one row per ballot** (no count
column); both are accepted and identical choices are added up::

    choice,count                choice
    yes,120                     Ana|Cara
    no,80                       Ben
    abstain,15                  ""          ← a blank ballot (empty lines are ignored)
    ,3          ← 3 blank ballots

Columns: ``choice`` (or ``choices``, ``option``) and the optional ``count`` (or ``votes``); the names are not case
sensitive and no other column is accepted. A ballot that chooses several options (approval) separates them with
``|``. A row with a count of 0 declares an option that nobody chose. Comma, semicolon and tab delimiters are
recognised. :func:`read_choices_csv` refuses a ballot with more than ``max_choices`` options, an option chosen
twice on one ballot, or an option not in ``options`` when that list is given.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from governance.votes.methods.base import CountError, aggregate_rankings, check_keys

CHOICE_COLUMNS = ("choice", "choices", "option")
COUNT_COLUMNS = ("count", "votes")
APPROVAL_SEPARATOR = "|"
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_INTEGER = re.compile(r"[+-]?[0-9]+")
_COUNT = re.compile(r"[0-9]+")


class BallotFileError(CountError):
    """A ballot file that cannot be read; ``line`` is its 1-based line number when known."""

    def __init__(self, message: str, line: int | None = None):
        self.line = line
        super().__init__(f"line {line}: {message}" if line else message)


# --- BLT -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BltElection:
    """A BLT file: candidates in ballot order, withdrawn ones, seats, title, and the distinct rankings."""

    title: str
    seats: int
    candidates: tuple[str, ...]
    withdrawn: tuple[str, ...]
    rankings: tuple[tuple[tuple[str, ...], int], ...]

    @property
    def ballots(self) -> int:
        """Every ballot of the file, blank ones included."""
        return sum(count for _ranking, count in self.rankings)

    @property
    def running(self) -> tuple[str, ...]:
        """The candidates not withdrawn."""
        withdrawn = set(self.withdrawn)
        return tuple(c for c in self.candidates if c not in withdrawn)

    def for_count(self) -> tuple[list[tuple[tuple[str, ...], int]], tuple[str, ...]]:
        """``(rankings, candidates)`` for a counting function: withdrawn candidates left out of both."""
        withdrawn = set(self.withdrawn)
        totals: dict[tuple[str, ...], int] = {}
        for ranking, count in self.rankings:
            kept = tuple(c for c in ranking if c not in withdrawn)
            totals[kept] = totals.get(kept, 0) + count
        return list(totals.items()), self.running


def _integers(tokens: list[str], line: int) -> list[int]:
    values = []
    for token in tokens:
        if "=" in token:
            raise BallotFileError(f"equal preferences ({token!r}) are not supported: each ballot must be a strict "
                                  f"ranking", line)
        if not _INTEGER.fullmatch(token):
            raise BallotFileError(f"{token!r} is not a whole number", line)
        values.append(int(token))
    return values


def read_blt(text: str) -> BltElection:
    """Read a BLT file (see the module docstring); identical ballots are added up."""
    lines = text.lstrip("\ufeff").splitlines()
    numbered = [(i, line.strip()) for i, line in enumerate(lines, start=1)]
    position = 0

    def next_numeric() -> tuple[int, list[str]] | None:
        nonlocal position
        while position < len(numbered):
            number, line = numbered[position]
            position += 1
            if line and not line.startswith("#"):
                return number, line.split()
        return None

    header = next_numeric()
    if header is None:
        raise BallotFileError("the file is empty")
    number, tokens = header
    values = _integers(tokens, number)
    if len(values) != 2:
        raise BallotFileError("the first line must hold two numbers: candidates and seats", number)
    n_candidates, seats = values
    if n_candidates < 1 or seats < 1:
        raise BallotFileError("the numbers of candidates and seats must be at least 1", number)

    withdrawn: list[int] = []
    ballots: dict[tuple[int, ...], int] = {}
    first_line = True
    while True:
        row = next_numeric()
        if row is None:
            raise BallotFileError("the ballots must end with a line holding only 0")
        number, tokens = row
        values = _integers(tokens, number)
        if values == [0]:
            break
        if first_line and values and all(v < 0 for v in values):
            first_line = False
            for v in values:
                if -v > n_candidates:
                    raise BallotFileError(f"withdrawn candidate {-v} does not exist", number)
                withdrawn.append(-v)
            continue
        first_line = False
        weight, preferences = values[0], values[1:]
        if weight < 1:
            raise BallotFileError(f"the ballot weight must be a whole number ≥ 1, not {weight}", number)
        if not preferences or preferences[-1] != 0:
            raise BallotFileError("a ballot line must end with 0", number)
        preferences = preferences[:-1]
        for v in preferences:
            if not 1 <= v <= n_candidates:
                raise BallotFileError(f"there is no candidate {v} (candidates are 1 to {n_candidates})", number)
        if len(set(preferences)) != len(preferences):
            raise BallotFileError("a candidate is ranked more than once", number)
        key = tuple(preferences)
        ballots[key] = ballots.get(key, 0) + weight

    texts: list[tuple[int, str]] = []
    for number, line in numbered[position:]:
        if not line:
            continue
        if line.startswith('"'):
            found = _QUOTED.findall(line)
            if not found or _QUOTED.sub("", line).strip():
                raise BallotFileError("a name in quotes is not closed properly", number)
            texts.extend((number, re.sub(r"\\(.)", r"\1", name)) for name in found)
        else:
            texts.append((number, line))
    if len(texts) < n_candidates:
        raise BallotFileError(f"the file names {len(texts)} candidates, the first line announces {n_candidates}")
    if len(texts) > n_candidates + 1:
        raise BallotFileError("unexpected text after the title", texts[n_candidates + 1][0])
    names = [name for _number, name in texts[:n_candidates]]
    for (number, name) in texts[:n_candidates]:
        if not name.strip():
            raise BallotFileError("a candidate name is empty", number)
        if names.count(name) > 1:
            raise BallotFileError(f"two candidates are named {name!r}", number)
    title = texts[n_candidates][1] if len(texts) > n_candidates else ""
    rankings = tuple((tuple(names[v - 1] for v in key), count) for key, count in ballots.items())
    return BltElection(title=title, seats=seats, candidates=tuple(names),
                       withdrawn=tuple(names[v - 1] for v in dict.fromkeys(withdrawn)), rankings=rankings)


def _quote(name: str) -> str:
    if "\n" in name or "\r" in name:
        raise CountError(f"a name cannot hold a line break: {name!r}")
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_blt(rankings: Iterable[tuple[Sequence[str], int]], candidates: Sequence[str], seats: int, *,
              title: str = "", withdrawn: Sequence[str] = ()) -> str:
    """A BLT file of aggregated rankings (blank ballots included, as ``n 0`` lines), sorted by ranking."""
    names, totals, blank = aggregate_rankings(rankings, candidates)
    if isinstance(seats, bool) or not isinstance(seats, int) or seats < 1:
        raise CountError(f"the number of seats must be a whole number ≥ 1, not {seats!r}")
    index = {name: i for i, name in enumerate(names, start=1)}
    unknown = [name for name in withdrawn if name not in index]
    if unknown:
        raise CountError(f"withdrawn candidates that are not candidates: {', '.join(unknown)}")
    out = [f"{len(names)} {seats}"]
    if withdrawn:
        out.append(" ".join(f"-{index[name]}" for name in withdrawn))
    if blank:
        out.append(f"{blank} 0")
    for key, count in sorted(((tuple(index[c] for c in ranking), count) for ranking, count in totals.items())):
        out.append(f"{count} {' '.join(map(str, key))} 0")
    out.append("0")
    out.extend(_quote(name) for name in names)
    out.append(_quote(title))
    return "\n".join(out) + "\n"


# --- CSV -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChoiceBallots:
    """A CSV file of non-ranked ballots: each distinct choice with its number of ballots.

    A choice is a tuple of options (one for single choice, up to k for approval, none for a blank ballot).
    ``options`` are the options in the order they first appear (or the order given to the reader).
    """

    choices: tuple[tuple[tuple[str, ...], int], ...]
    options: tuple[str, ...]

    @property
    def ballots(self) -> int:
        return sum(count for _choice, count in self.choices)

    @property
    def blank(self) -> int:
        return sum(count for choice, count in self.choices if not choice)

    def option_counts(self) -> dict[str, int]:
        """Votes (or approvals) per option, every option listed, in option order."""
        counts = dict.fromkeys(self.options, 0)
        for choice, count in self.choices:
            for option in choice:
                counts[option] += count
        return counts


def _column(header: list[str], accepted: Sequence[str], line: int) -> int | None:
    found = [i for i, name in enumerate(header) if name in accepted]
    if len(found) > 1:
        raise BallotFileError(f"the header has more than one {accepted[0]!r} column", line)
    return found[0] if found else None


def read_choices_csv(text: str, *, max_choices: int | None = None,
                     options: Sequence[str] | None = None) -> ChoiceBallots:
    """Read a CSV file of non-ranked ballots (see the module docstring)."""
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count) if any(d in first for d in ",;\t") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = [(reader.line_num, row) for row in reader if row]
    except csv.Error as exc:
        raise BallotFileError(f"not a readable CSV file ({exc})", reader.line_num) from None
    if not rows:
        raise BallotFileError("the file is empty")
    header_line, header = rows[0][0], [cell.strip().lower() for cell in rows[0][1]]
    choice_col = _column(header, CHOICE_COLUMNS, header_line)
    count_col = _column(header, COUNT_COLUMNS, header_line)
    if choice_col is None:
        raise BallotFileError("the header must have a 'choice' column", header_line)
    extra = [name for i, name in enumerate(header) if i not in (choice_col, count_col)]
    if extra:
        raise BallotFileError(f"unknown columns: {', '.join(extra)} (only 'choice' and 'count' are read)",
                              header_line)
    allowed = check_keys(options, "options") if options is not None else None
    seen: dict[str, None] = dict.fromkeys(allowed or ())
    totals: dict[tuple[str, ...], int] = {}
    for number, row in rows[1:]:
        if count_col is not None and not any(cell.strip() for cell in row):
            continue  # an empty row of a counted file (a blank ballot there needs its count)
        if len(row) > len(header):
            raise BallotFileError(f"{len(row)} cells, the header has {len(header)}", number)
        cell = row[choice_col].strip() if choice_col < len(row) else ""
        chosen = [part.strip() for part in cell.split(APPROVAL_SEPARATOR)] if cell else []
        if any(not part for part in chosen):
            raise BallotFileError(f"an empty option in {cell!r}", number)
        if len(set(chosen)) != len(chosen):
            raise BallotFileError(f"an option is chosen twice in {cell!r}", number)
        if max_choices is not None and len(chosen) > max_choices:
            raise BallotFileError(f"{len(chosen)} options chosen, at most {max_choices} allowed", number)
        if allowed is not None:
            unknown = [part for part in chosen if part not in seen]
            if unknown:
                raise BallotFileError(f"unknown option {unknown[0]!r} (options: {', '.join(allowed)})", number)
        count = 1
        if count_col is not None:
            raw = row[count_col].strip() if count_col < len(row) else ""
            if not _COUNT.fullmatch(raw):
                raise BallotFileError(f"the count must be a whole number ≥ 0, not {raw!r}", number)
            count = int(raw)
        seen.update(dict.fromkeys(chosen))
        if count:
            key = tuple(sorted(chosen))
            totals[key] = totals.get(key, 0) + count
    return ChoiceBallots(choices=tuple(totals.items()), options=tuple(seen))


def write_choices_csv(choices: Iterable[tuple[Sequence[str], int]], *, options: Sequence[str] = ()) -> str:
    """A CSV file ``choice,count`` of aggregated choices (options in ``options`` nobody chose get a 0 row)."""
    totals: dict[tuple[str, ...], int] = {}
    for choice, count in choices:
        key = tuple(sorted(choice))
        for option in key:
            if APPROVAL_SEPARATOR in option or not option:
                raise CountError(f"an option cannot be empty or hold {APPROVAL_SEPARATOR!r}: {option!r}")
        totals[key] = totals.get(key, 0) + count
    chosen = {option for key in totals for option in key}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["choice", "count"])
    for key, count in sorted(totals.items()):
        writer.writerow([APPROVAL_SEPARATOR.join(key), count])
    for option in options:
        if option not in chosen:
            writer.writerow([option, 0])
    return buffer.getvalue()

