"""Ballot files (governance.votes.methods.files): BLT for ranked ballots, CSV for the others."""
from __future__ import annotations

from pathlib import Path

import pytest

from governance.votes.methods import count_stv
from governance.votes.methods.files import BallotFileError, read_blt, read_choices_csv, write_blt, \
    write_choices_csv

DATA = Path(__file__).parent / "data"


# --- BLT -------------------------------------------------------------------------------------------
def test_read_the_worked_example_file():
    election = read_blt((DATA / "stv-worked-example-1.blt").read_text())
    assert election.title == "Worked example" and election.seats == 3
    assert election.candidates == ("Ana", "Ben", "Cara", "Dev", "Eli", "Fay") and election.withdrawn == ()
    assert election.ballots == 27
    assert election.rankings[0] == (("Ana", "Ben", "Cara"), 6)
    assert count_stv(*election.for_count(), election.seats).elected == ("Ana", "Ben", "Eli")


def test_identical_ballot_lines_are_added_up_and_blank_ballots_kept():
    election = read_blt('3 1\n1 1 2 0\n1 0\n2 1 2 0\n1 3 0\n0\n"A"\n"B"\n"C"\n"t"\n')
    assert dict(election.rankings) == {("A", "B"): 3, (): 1, ("C",): 1}
    assert election.ballots == 5


def test_withdrawn_candidates_are_left_out_of_the_count():
    text = '4 2\n-2\n3 1 2 3 0\n2 2 4 0\n2 4 0\n0\n"Ana"\n"Ben"\n"Cara"\n"Dev"\n"With a withdrawal"\n'
    election = read_blt(text)
    assert election.withdrawn == ("Ben",) and election.running == ("Ana", "Cara", "Dev")
    rankings, candidates = election.for_count()
    assert candidates == ("Ana", "Cara", "Dev")
    assert dict(rankings) == {("Ana", "Cara"): 3, ("Dev",): 4}


def test_comments_blank_lines_bom_unquoted_and_several_names_on_a_line_are_accepted():
    text = '\ufeff# exported by hand\n2 1\n\n3 1 2 0\n1 2 0\n0\n"Ana Smith" "Ben \\"the\\" Jones"\nTitle here\n'
    election = read_blt(text)
    assert election.candidates == ("Ana Smith", 'Ben "the" Jones') and election.title == "Title here"


def test_title_may_be_missing():
    assert read_blt('1 1\n1 1 0\n0\n"A"\n').title == ""


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty"),
    ("3\n0\n", "two numbers"),
    ("0 1\n0\n", "at least 1"),
    ('2 1\n1 1=2 0\n0\n"A"\n"B"\n', "equal preferences"),
    ('2 1\n1 1 1 0\n0\n"A"\n"B"\n', "more than once"),
    ('2 1\n1 3 0\n0\n"A"\n"B"\n', "no candidate 3"),
    ('2 1\n1 1 2\n0\n"A"\n"B"\n', "end with 0"),
    ('2 1\n0 1 0\n0\n"A"\n"B"\n', "weight"),
    ('2 1\n1.5 1 0\n0\n"A"\n"B"\n', "whole number"),
    ('2 1\n1 1 0\n"A"\n"B"\n', "whole number"),
    ('2 1\n1 1 0\n', "end with a line holding only 0"),
    ('2 1\n1 1 0\n0\n"A"\n', "names 1 candidates"),
    ('2 1\n1 1 0\n0\n"A"\n"A"\n', "two candidates are named"),
    ('2 1\n1 1 0\n0\n"A"\n"B"\n"T"\n"extra"\n', "after the title"),
    ('2 1\n-3\n1 1 0\n0\n"A"\n"B"\n', "does not exist"),
    ('2 1\n1 1 0\n0\n"A\n"B"\n', "not closed"),
])
def test_malformed_blt_files_are_refused_with_the_line(text, message):
    with pytest.raises(BallotFileError, match=message):
        read_blt(text)


def test_errors_name_the_line():
    with pytest.raises(BallotFileError) as error:
        read_blt('2 1\n1 1 0\n4 2 2 0\n0\n"A"\n"B"\n')
    assert error.value.line == 3 and str(error.value).startswith("line 3: ")


def test_write_blt_then_read_it_back():
    rankings = [(("Cara", "Ana"), 2), (("Ana",), 5), ((), 1), (("Ana",), 1), (("Ben", "Cara", "Ana"), 3)]
    text = write_blt(rankings, ["Ana", "Ben", "Cara", 'Dev "D"'], 2, title="Board 2026", withdrawn=['Dev "D"'])
    assert text.splitlines()[:7] == ["4 2", "-4", "1 0", "6 1 0", "3 2 3 1 0", "2 3 1 0", "0"]
    election = read_blt(text)
    assert election.title == "Board 2026" and election.seats == 2 and election.withdrawn == ('Dev "D"',)
    assert dict(election.rankings) == {("Ana",): 6, ("Ben", "Cara", "Ana"): 3, ("Cara", "Ana"): 2, (): 1}


def test_the_real_file_round_trips():
    election = read_blt((DATA / "glasgow-2007-linn.blt").read_text())
    again = read_blt(write_blt(election.rankings, election.candidates, election.seats, title=election.title))
    assert dict(again.rankings) == dict(election.rankings) and again.candidates == election.candidates


# --- CSV -------------------------------------------------------------------------------------------
def test_csv_one_row_per_distinct_choice_with_a_count():
    ballots = read_choices_csv("choice,count\nyes,120\nno,80\nabstain,15\nyes,1\n")
    assert ballots.option_counts() == {"yes": 121, "no": 80, "abstain": 15}
    assert ballots.ballots == 216 and ballots.blank == 0


def test_csv_one_row_per_ballot_gives_the_same_result():
    per_ballot = read_choices_csv("Choice\nGent\nLyon\nGent\n\n\"\"\n")
    counted = read_choices_csv("choice,count\nGent,2\nLyon,1\n,1\n")
    assert per_ballot.option_counts() == counted.option_counts() == {"Gent": 2, "Lyon": 1}
    assert per_ballot.blank == counted.blank == 1 and per_ballot.ballots == 4


def test_csv_approval_choices_are_separated_by_a_bar():
    ballots = read_choices_csv("choices;votes\nAna|Ben;3\nBen | Ana;2\nCara;4\nDev;0\n", max_choices=2)
    assert dict(ballots.choices) == {("Ana", "Ben"): 5, ("Cara",): 4}
    assert ballots.option_counts() == {"Ana": 5, "Ben": 5, "Cara": 4, "Dev": 0}  # Dev declared with 0


@pytest.mark.parametrize(("text", "kwargs", "message"), [
    ("", {}, "empty"),
    ("name\nA\n", {}, "'choice' column"),
    ("choice,count,receipt\nA,1,x\n", {}, "unknown columns: receipt"),
    ("choice\nA|B|C\n", {"max_choices": 2}, "line 2: 3 options chosen, at most 2"),
    ("choice\nA|A\n", {}, "chosen twice"),
    ("choice\nA||B\n", {}, "empty option"),
    ("choice,count\nA,-1\n", {}, "whole number"),
    ("choice,count\nA,two\n", {}, "whole number"),
    ("choice,count\nA,1,2\n", {}, "3 cells"),
    ("choice\nmaybe\n", {"options": ("yes", "no", "abstain")}, "unknown option 'maybe'"),
])
def test_malformed_csv_files_are_refused(text, kwargs, message):
    with pytest.raises(BallotFileError, match=message):
        read_choices_csv(text, **kwargs)


def test_write_choices_csv_then_read_it_back():
    text = write_choices_csv([(("Ben", "Ana"), 2), (("Cara",), 1), ((), 3), (("Ana", "Ben"), 1)],
                             options=["Ana", "Ben", "Cara", "Dev"])
    assert text == "choice,count\n,3\nAna|Ben,3\nCara,1\nDev,0\n"
    assert read_choices_csv(text).option_counts() == {"Ana": 3, "Ben": 3, "Cara": 1, "Dev": 0}


def test_csv_errors_give_the_line_in_the_file_empty_lines_included():
    with pytest.raises(BallotFileError, match="line 5: "):
        read_choices_csv("choice,count\nA,1\n\n\nB,x\n")
