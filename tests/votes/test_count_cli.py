"""``flask governance votes count FILE --method … [--seats N] [--max-choices K] [--seed S]``."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from governance.votes.methods import lot_order

DATA = Path(__file__).parent / "data"


@pytest.fixture
def count(app):
    runner = app.test_cli_runner()

    def run(path: Path, *args: str):
        return runner.invoke(args=["governance", "votes", "count", str(path), *args])

    return run


def test_stv_on_a_blt_file_prints_the_elected_and_every_stage(count):
    result = count(DATA / "stv-worked-example-1.blt", "--method", "stv")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["method"] == "stv" and data["elected"] == ["Ana", "Ben", "Eli"] and data["seats"] == 3
    assert [s["action"] for s in data["stages"]] == ["first_count", "surplus", "surplus", "exclusion", "exclusion"]
    assert data["stages"][1]["totals"]["Ben"] == "7.18178"
    digest = hashlib.sha256((DATA / "stv-worked-example-1.blt").read_bytes()).hexdigest()
    assert data["source"] == {"file": "stv-worked-example-1.blt", "sha256": digest, "title": "Worked example",
                              "ballots": 27, "withdrawn": []}


def test_seats_option_overrides_the_file(count):
    data = json.loads(count(DATA / "stv-worked-example-1.blt", "--method", "stv", "--seats", "2", "--seed", "x").output)
    assert data["seats"] == 2 and data["quota"] == 10 and len(data["elected"]) == 2


def test_irv_and_schulze_on_a_one_seat_file(count, tmp_path):
    path = tmp_path / "mayor.blt"
    path.write_text('3 1\n8 1 0\n5 2 1 0\n2 2 3 0\n6 3 2 0\n0\n"A"\n"B"\n"C"\n"Mayor"\n')
    irv = json.loads(count(path, "--method", "irv").output)
    assert irv["winner"] == "B" and [r["excluded"] for r in irv["rounds"]] == ["C", None]
    schulze = json.loads(count(path, "--method", "schulze").output)
    assert schulze["ranking"][0] == [schulze["winner"]]


def test_irv_refuses_a_file_for_several_seats(count):
    result = count(DATA / "stv-worked-example-1.blt", "--method", "irv")
    assert result.exit_code == 2 and "IRV fills one" in result.output


def test_a_tie_that_needs_a_lot_asks_for_the_seed(count, tmp_path):
    path = tmp_path / "tie.blt"
    path.write_text('3 1\n3 1 0\n2 2 1 0\n2 3 1 0\n0\n"A"\n"B"\n"C"\n"Tie"\n')
    result = count(path, "--method", "irv")
    assert result.exit_code == 2 and "--seed" in result.output
    data = json.loads(count(path, "--method", "irv", "--seed", "published-seed").output)
    assert data["lot_used"] is True
    assert data["rounds"][0]["excluded"] == lot_order("published-seed", ["B", "C"])[0]
    assert data["tie_breaks"][0]["seed"] == "published-seed"


def test_plurality_on_a_csv_file(count, tmp_path):
    path = tmp_path / "choice.csv"
    path.write_text("choice,count\nGent,55\nLyon,40\nGraz,0\n,5\n")
    result = count(path, "--method", "plurality")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["winner"] == "Gent" and data["totals"] == {"Gent": 55, "Lyon": 40, "Graz": 0}
    assert data["source"]["ballots"] == 100 and data["source"]["blank"] == 5


def test_approval_on_a_csv_file_with_one_row_per_ballot(count, tmp_path):
    path = tmp_path / "approval.csv"
    path.write_text("choice\nAna|Ben\nBen\nBen|Cara\nAna|Ben\n")
    data = json.loads(count(path, "--method", "approval", "--max-choices", "2", "--seats", "2").output)
    assert data["elected"] == ["Ben", "Ana"] and data["valid"] == 4 and data["max_choices"] == 2
    result = count(path, "--method", "approval", "--max-choices", "1")
    assert result.exit_code == 2 and "line 2: 2 options chosen, at most 1 allowed" in result.output


def test_yes_no_abstain_on_a_csv_file(count, tmp_path):
    path = tmp_path / "yna.csv"
    path.write_text("choice;count\nyes;120\nno;80\nabstain;15\n")
    data = json.loads(count(path, "--method", "yna").output)
    assert data["totals"] == {"yes": 120, "no": 80, "abstain": 15} and data["valid"] == 215
    path.write_text("choice,count\nyes,1\nperhaps,2\n")
    result = count(path, "--method", "yna")
    assert result.exit_code == 2 and "unknown option 'perhaps'" in result.output


@pytest.mark.parametrize(("text", "message"), [
    ('2 1\n1 1 1 0\n0\n"A"\n"B"\n', "line 2: a candidate is ranked more than once"),
    ('2 1\n1 1 2 0\n', "the ballots must end with a line holding only 0"),
    ('2 1\n1 1=2 0\n0\n"A"\n"B"\n', "equal preferences"),
])
def test_malformed_ballot_files_are_usage_errors(count, tmp_path, text, message):
    path = tmp_path / "bad.blt"
    path.write_text(text)
    result = count(path, "--method", "stv")
    assert result.exit_code == 2
    assert "bad.blt" in result.output and message in result.output


def test_a_binary_file_is_refused(count, tmp_path):
    path = tmp_path / "ballots.blt"
    path.write_bytes(b"\xff\xfe\x00garbage")
    result = count(path, "--method", "stv")
    assert result.exit_code == 2 and "not a UTF-8 text file" in result.output


def test_options_that_do_not_apply_are_refused(count):
    path = DATA / "stv-worked-example-2.blt"
    assert count(path, "--method", "stv", "--max-choices", "2").exit_code == 2
    assert count(path, "--method", "schulze", "--seats", "2").exit_code == 2
    assert count(path, "--method", "borda").exit_code == 2


def test_the_real_glasgow_file_through_the_command(count):
    data = json.loads(count(DATA / "glasgow-2007-linn.blt", "--method", "stv").output)
    assert data["elected"] == ["David Ritchie", "Sadie Docherty", "John McKenzie", "Margot Clark"]
    assert data["source"]["title"] == "LINN" and data["valid"] == 9567
