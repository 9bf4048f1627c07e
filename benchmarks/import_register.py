"""Measure the register import on a large file (not a test).

    .venv/bin/python benchmarks/import_register.py [ROWS] [--xlsx]

Uses a fresh SQLite database in a temporary folder, or DATABASE_URL when set (its tables are
dropped and created again: point it at a scratch database). Times three imports of the same
register: the first creates every member, the second changes nothing, the third updates a tenth.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from governance import create_app  # noqa: E402
from governance.config import normalise_database_url  # noqa: E402
from governance.extensions import db  # noqa: E402

HEADER = ["member_number", "branch", "first_name", "last_name", "email", "language", "status", "joined_on",
          "left_on", "shares", "share_class"]
BRANCHES = ["BE", "FR", "DE", "NL", "IT"]


def make_rows(count: int, changed_every: int = 0, seed: int = 1) -> list[list[str]]:
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        status = "resigned" if i % 17 == 0 else "active"
        joined = dt.date(2000, 1, 1) + dt.timedelta(days=i % 9000)
        left = (joined + dt.timedelta(days=400)).strftime("%d/%m/%Y") if status == "resigned" else ""
        first = rng.choice(["Amélie", "Jürgen", "Lotte", "Chloé", "Pieter"])
        if changed_every and i % changed_every == 0:
            first, status = first + "x", ("suspended" if status == "active" else status)
        rows.append([f"M-{i:07d}", BRANCHES[i % len(BRANCHES)], first, f"Name{i}", f"member{i}@example.org",
                     rng.choice(["nl", "fr", "de"]), status, joined.isoformat(), left, str(1 + i % 5),
                     rng.choice(["A", "B"])])
    return rows


def to_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def to_xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def main() -> None:
    count = int(next((a for a in sys.argv[1:] if a.isdigit()), 100_000))
    xlsx = "--xlsx" in sys.argv
    tmp = Path(tempfile.mkdtemp())
    url = normalise_database_url(os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'measure.db'}")
    app = create_app({"GOVERNANCE_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url, "TESTING": True,
                      "MAIL_FILE_DIR": str(tmp / "outbox")})
    from governance.members.models import Branch
    from governance.members.operations import import_register

    encode, name = (to_xlsx, "register.xlsx") if xlsx else (to_csv, "register.csv")
    with app.app_context():
        db.drop_all()
        db.create_all()
        for code in BRANCHES:
            db.session.add(Branch(code=code, country=code, names={"en": code}, official_languages=["en"],
                                  required_languages=["en"]))
        db.session.commit()
        print(f"{count} rows, {'XLSX' if xlsx else 'CSV'}, {db.engine.dialect.name}")
        for label, rows in (("first import (all created)", make_rows(count)),
                            ("second import (all unchanged)", make_rows(count)),
                            ("third import (a tenth updated)", make_rows(count, changed_every=10))):
            data = encode(rows)
            started = time.perf_counter()
            report = import_register(data, name, actor=None)
            db.session.commit()
            elapsed = time.perf_counter() - started
            print(f"  {label}: {elapsed:.1f} s  {report.counts()}  ({len(data) / 1e6:.1f} MB)")
        db.drop_all()


if __name__ == "__main__":
    main()
