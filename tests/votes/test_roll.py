"""The electorate, the roll frozen at opening, why a member is (not) on it, and the language gate."""
from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from governance.votes import roll
from tests.votes.conftest import texts


def _roll(ballot) -> list[int]:
    return roll.roll_member_ids(ballot)


def test_a_register_electorate_takes_branches_statuses_and_a_cutoff(make_ballot, open_ballot, voter, be, fr):
    old = voter(be, joined_on=dt.date(2020, 5, 1))
    on_cutoff = voter(be, joined_on=dt.date(2024, 1, 31))
    late = voter(be, joined_on=dt.date(2024, 2, 1))
    suspended = voter(be, status="suspended")
    applicant = voter(be, status="applicant")
    french = voter(fr)
    ballot = open_ballot(make_ballot(register_cutoff=dt.date(2024, 1, 31)))
    assert _roll(ballot) == sorted([old.id, on_cutoff.id])
    wider = open_ballot(make_ballot(branches=[be, fr], eligible_statuses=["active", "applicant"]))
    assert _roll(wider) == sorted([old.id, on_cutoff.id, late.id, applicant.id, french.id])
    assert suspended.id not in _roll(wider)


def test_the_roll_is_frozen_when_the_ballot_opens(make_ballot, open_ballot, voter, be, fr, db, ballot_audit):
    members = [voter(be) for _ in range(3)]
    ballot = open_ballot(make_ballot())
    frozen = _roll(ballot)
    expected_hash = hashlib.sha256("\n".join(str(i) for i in sorted(m.id for m in members)).encode()).hexdigest()
    assert ballot.roll_hash == expected_hash and ballot.roll_size == 3
    assert ballot_audit(ballot, "ballot.opened")[0].data["roll_hash"] == expected_hash
    # the register changes: a member is suspended, one moves branch, a new one joins
    members[0].status = "suspended"
    members[1].branch = fr
    voter(be)
    db.session.flush()
    assert _roll(ballot) == frozen
    assert roll.roll_status(ballot, members[0]).on_roll
    entry = roll.roll_entry(ballot, members[1].id)
    assert entry.branch_id == be.id  # the branch at opening


def test_a_workgroup_electorate_is_its_active_members(make_ballot, open_ballot, make_workgroup, member_account, be):
    facilitator, member, pending, outsider = (member_account(be) for _ in range(4))
    workgroup = make_workgroup(branches=[be], facilitators=[facilitator], members=[member], pending=[pending])
    ballot = open_ballot(make_ballot(electorate_kind="workgroup", workgroup=workgroup))
    assert _roll(ballot) == sorted([facilitator.member.id, member.member.id])
    assert roll.roll_status(ballot, pending.member).code == "not_in_workgroup"
    assert roll.roll_status(ballot, outsider.member).code == "not_in_workgroup"


def test_an_explicit_list_is_its_members(make_ballot, open_ballot, voter, be, fr):
    listed = [voter(be), voter(fr)]
    other = voter(be)
    ballot = open_ballot(make_ballot(electorate_kind="list", member_ids=[m.id for m in listed]))
    assert _roll(ballot) == sorted(m.id for m in listed)
    assert ballot.branch_ids == {be.id, fr.id}  # the scope follows the listed members
    assert roll.roll_status(ballot, other).code == "not_in_list"


def test_a_member_sees_why_they_are_not_on_the_roll(app, make_ballot, open_ballot, voter, be, fr):
    ok = voter(be, joined_on=dt.date(2020, 1, 1))
    french = voter(fr)
    suspended = voter(be, status="suspended")
    late = voter(be, joined_on=dt.date(2024, 6, 1))
    ballot = make_ballot(register_cutoff=dt.date(2024, 1, 31))
    with app.test_request_context():
        status = roll.roll_status(ballot, ok)
        assert (status.code, status.provisional, status.on_roll) == ("provisional", True, False)
        assert "provisional" in status.message
        assert roll.roll_status(ballot, french).code == "not_in_branches"
        status = roll.roll_status(ballot, suspended)
        assert status.code == "status_not_eligible" and "Suspended" in status.message
        status = roll.roll_status(ballot, late)
        assert status.code == "joined_after_cutoff" and "2024" in status.message
        assert roll.roll_status(ballot, None).code == "no_member"
        open_ballot(ballot)
        status = roll.roll_status(ballot, ok)
        assert (status.code, status.on_roll, status.frozen) == ("on_roll", True, True)
        newcomer = voter(be, joined_on=dt.date(2023, 1, 1))
        assert roll.roll_status(ballot, newcomer).code == "not_eligible_at_opening"
        assert roll.roll_status(ballot, french).frozen


# --- the language gate -----------------------------------------------------------------------------
def test_a_ballot_opens_only_with_its_texts_in_every_required_language(make_ballot, open_ballot, voter, be, fr, admin):
    from governance.votes import operations as ops

    voter(be)
    ballot = make_ballot(method="plurality", branches=[be, fr], questions={"en": "Vans?", "fr": "Camionnettes ?"},
                         options=[texts("Ana"), {"en": "Ben", "fr": "Ben"}])
    assert roll.required_languages(ballot) == {"fr": ["BE", "FR"], "nl": ["BE"]}
    with pytest.raises(ops.LanguagesMissing) as exc:
        open_ballot(ballot)
    assert exc.value.missing == [("nl", ["question", "option 2"])]
    assert "Dutch" in str(exc.value) and "option 2" in str(exc.value)
    assert ballot.is_draft and _roll(ballot) == []
    ops.update_ballot(ballot, actor=admin, questions={"en": "Vans?", "fr": "Camionnettes ?", "nl": "Busjes?"})
    ops.edit_option(ballot.options[1], {"en": "Ben", "fr": "Ben", "nl": "Ben"}, actor=admin)
    assert open_ballot(ballot).is_open


def test_a_cooperative_wide_workgroup_needs_every_branchs_languages(make_ballot, open_ballot, make_workgroup,
                                                                   member_account, be, fr, create_branch):
    from governance.votes import operations as ops

    create_branch("DE", required_languages=["de"])
    workgroup = make_workgroup(branches=None, members=[member_account(be)])
    ballot = make_ballot(electorate_kind="workgroup", workgroup=workgroup)
    with pytest.raises(ops.LanguagesMissing) as exc:
        open_ballot(ballot)
    assert [code for code, _items in exc.value.missing] == ["de"]
    regional = make_workgroup(branches=[be], members=[member_account(be)])
    assert open_ballot(make_ballot(electorate_kind="workgroup", workgroup=regional)).is_open
