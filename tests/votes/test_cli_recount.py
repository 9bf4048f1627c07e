"""``flask governance votes tick`` and ``flask governance votes recount BALLOT FILE``: the scheduler from the
command line, and recounting a published ballot list with the portal's counting code."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from governance.votes import exports
from governance.votes import operations as ops
from tests.votes.conftest import TEXTS, as_actor
from tests.votes.views_support import (  # noqa: F401  (fixtures)
    admin,
    ballot_email_templates,
    be,
    close,
    fr,
    make_ballot,
    open_ballot,
)


@pytest.fixture
def invoke(app, db):
    runner = app.test_cli_runner()

    def run(*args: str):
        db.session.commit()  # what the test set up is committed first, as in real life
        return runner.invoke(args=["governance", "votes", *args])

    return run


@pytest.fixture
def members(be, create_member):
    return [create_member(branch=be) for _ in range(5)]


def cast_all(ballot, members, choices) -> None:
    for member, choice in zip(members, choices):
        ops.cast_vote(ballot, member, choice, actor=as_actor(member))


# --- tick ------------------------------------------------------------------------------------------
def test_tick_opens_and_closes_what_is_due(invoke, make_ballot, members, db):
    from governance.core.db_types import utcnow

    now = utcnow()
    due = make_ballot(opens_at=now - dt.timedelta(minutes=1), closes_at=now + dt.timedelta(hours=1))
    missing = make_ballot(opens_at=now - dt.timedelta(minutes=1), questions={"en": "English only?"})
    result = invoke("tick")
    assert result.exit_code == 0, result.output
    assert f"opened: {due.id}; closed: none; reminded: {due.id}" in result.output  # closes within a day
    assert f"ballot {missing.id} not changed:" in result.output and "Dutch" in result.output
    later = (now + dt.timedelta(hours=2)).isoformat()
    result = invoke("tick", "--now", later)
    assert result.exit_code == 0, result.output
    assert f"closed: {due.id}" in result.output
    db.session.expire_all()
    assert due.is_closed and missing.is_draft
    assert invoke("tick", "--now", "yesterday").exit_code == 2


# --- recount ---------------------------------------------------------------------------------------
def test_recounting_the_published_list_of_a_yes_no_ballot(invoke, make_ballot, open_ballot, close, members,
                                                          tmp_path):
    ballot = open_ballot(make_ballot())
    cast_all(ballot, members, ("yes", "yes", "no", "abstain", "yes"))
    close(ballot)
    path = tmp_path / "ballots.csv"
    path.write_text(exports.choices_csv(ballot), encoding="utf-8")
    result = invoke("recount", str(ballot.id), str(path))
    assert result.exit_code == 0, result.output
    output = json.loads(result.output)
    assert output["matches"] is True and output["differences"] == []
    assert output["recount"]["totals"] == {"yes": 3, "no": 1, "abstain": 1}
    assert output["decision"]["adopted"] is True and output["checks"]["ballot_list_hash"] is True

    # one paper changed: the recount says where it differs, and fails
    tampered = path.read_text(encoding="utf-8").replace("no", "yes", 1)
    path.write_text(tampered, encoding="utf-8")
    result = invoke("recount", str(ballot.id), str(path))
    assert result.exit_code == 1
    output = json.loads(result.output.split("\nthe recount", 1)[0])
    assert output["matches"] is False
    assert {"count", "choices", "ballot_list_hash"} <= set(output["differences"])
    assert "differs from its stored result" in result.output


def test_recounting_an_stv_ballot_from_its_blt_file(invoke, make_ballot, open_ballot, close, members, tmp_path):
    ballot = open_ballot(make_ballot(method="stv", seats=2))
    ana, ben, cara = (o.id for o in ballot.options)
    cast_all(ballot, members, ([ana, ben], [ana, cara], [ben], [cara, ben], [ana]))
    close(ballot)
    path = tmp_path / "ballots.blt"
    path.write_text(exports.ballots_blt(ballot), encoding="utf-8")
    result = invoke("recount", str(ballot.id), str(path))
    assert result.exit_code == 0, result.output
    output = json.loads(result.output)
    assert output["matches"] is True and output["ballots"] == 5
    assert output["recount"]["elected"] == [str(ana), str(ben)] or len(output["recount"]["elected"]) == 2


def test_recounting_an_approval_ballot(invoke, make_ballot, open_ballot, close, members, tmp_path):
    ballot = open_ballot(make_ballot(method="approval", max_choices=2))
    ana, ben, cara = (o.id for o in ballot.options)
    cast_all(ballot, members, ([cara, ana], [ben], [ana, ben], [cara], [ana]))
    close(ballot)
    path = tmp_path / "ballots.csv"
    path.write_text(exports.choices_csv(ballot), encoding="utf-8")
    result = invoke("recount", str(ballot.id), str(path))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["matches"] is True


def test_a_recount_needs_a_closed_ballot_and_a_readable_file(invoke, make_ballot, open_ballot, members, tmp_path):
    ballot = open_ballot(make_ballot())
    path = tmp_path / "ballots.csv"
    path.write_text("choice\nyes\n", encoding="utf-8")
    result = invoke("recount", str(ballot.id), str(path))
    assert result.exit_code == 2 and "no published result" in result.output
    assert invoke("recount", "999999", str(path)).exit_code == 2
    assert TEXTS  # (the ballot's texts come from the shared fixtures)


def test_a_file_naming_an_unknown_option_is_refused(invoke, make_ballot, open_ballot, close, members, tmp_path):
    ballot = open_ballot(make_ballot(method="plurality"))
    cast_all(ballot, members, [ballot.options[0].id])
    close(ballot)
    path = tmp_path / "ballots.csv"
    path.write_text("choice\nSomebody else\n", encoding="utf-8")
    result = invoke("recount", str(ballot.id), str(path))
    assert result.exit_code == 2 and "unknown option" in result.output
