"""Elections: definition, the call, freezing the list (order, refusals, constraints), the ballot it creates, the
full path to the mandates, the schedulers, uncontested lists, cancellation and permissions."""
from __future__ import annotations

import datetime as dt
import random
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from governance.core.errors import Conflict, InvalidInput, NotAllowed
from tests.elections.conftest import texts


# --- definition ------------------------------------------------------------------------------------
def test_create_election_checks_its_definition(ops, make_election, audit_events):
    with pytest.raises(InvalidInput):  # the BE board has 5 seats
        make_election(seats=6)
    with pytest.raises(InvalidInput):
        make_election(method="irv", seats=2)
    with pytest.raises(InvalidInput):
        make_election(titles={"fr": "Élection"}, original_language="en")
    with pytest.raises(InvalidInput):
        make_election(term_starts_on=dt.date(2030, 1, 1), term_ends_on=dt.date(2029, 1, 1))
    with pytest.raises(InvalidInput):
        make_election(order_rule="by_shoe_size")
    approval = make_election(method="approval", seats=3)
    assert approval.max_choices == 3
    assert make_election(method="stv", max_choices=4).max_choices is None
    assert audit_events("election.")[-1].event == "election.created"


def test_timeline_order_is_checked(make_election, clock):
    with pytest.raises(InvalidInput):
        make_election(candidacy_deadline=clock.call_opens)
    with pytest.raises(InvalidInput):
        make_election(voting_opens_at=clock.deadline - dt.timedelta(minutes=1))
    with pytest.raises(InvalidInput):
        make_election(voting_closes_at=clock.voting_opens)


def test_update_only_a_draft(ops, admin, make_election, clock):
    election = make_election()
    ops.update_election(election, actor=admin, seats=3, titles=texts("Renewal"))
    assert election.seats == 3 and election.titles["nl"] == "Renewal (nl)"
    with pytest.raises(InvalidInput):
        ops.update_election(election, actor=admin, seats=9)
    ops.open_call(election, actor=admin, now=clock.now)
    with pytest.raises(Conflict):
        ops.update_election(election, actor=admin, seats=2)


def test_constraints_are_validated_and_replaced(ops, admin, make_election, be):
    election = make_election()
    ops.set_constraints(election, [("gender", "woman", 1, None), ("branch", "BE", None, 2)], actor=admin)
    assert [(c.category, c.group_key, c.minimum, c.maximum) for c in election.constraints] == [
        ("branch", "BE", None, 2), ("gender", "woman", 1, None)]
    ops.set_constraints(election, [("gender", "man", None, 1)], actor=admin)
    assert [(c.category, c.group_key) for c in election.constraints] == [("gender", "man")]
    for rows in ([("gender", "robot", 1, None)], [("branch", "FR", 1, None)], [("gender", "woman", None, None)],
                 [("gender", "woman", 2, 1)], [("gender", "woman", 3, None)]):
        with pytest.raises(InvalidInput):
            ops.set_constraints(election, rows, actor=admin)


# --- the call --------------------------------------------------------------------------------------
def test_open_call_tells_the_electorate_in_each_language(ops, admin, make_election, member_account, be, fr,
                                                         create_account, clock, outbox, audit_events):
    dutch = member_account(be, language="nl")
    french = member_account(be, language="fr")
    member_account(fr)  # another branch
    member_account(be, status="suspended")  # not in the electorate
    create_account()  # no member
    election = make_election()
    ops.open_call(election, actor=admin, now=clock.now)
    assert election.state == "call_open"
    messages = outbox()
    assert sorted(m.to_address for m in messages) == sorted([dutch.email, french.email])
    by_address = {m.to_address: m for m in messages}
    assert by_address[dutch.email].language == "nl" and "Board election (nl)" in by_address[dutch.email].subject
    assert by_address[french.email].language == "fr" and "Board election (fr)" in by_address[french.email].subject
    assert audit_events("election.call_opened")[0].data["recipients"] == 2


def test_open_call_needs_the_title_in_every_required_language(ops, admin, make_election, clock):
    election = make_election(titles={"en": "Election", "nl": "Verkiezing"})
    with pytest.raises(Conflict) as error:
        ops.open_call(election, actor=admin, now=clock.now)
    assert "French" in str(error.value)
    late = make_election()
    with pytest.raises(Conflict):
        ops.open_call(late, actor=admin, now=clock.deadline)


# --- freezing the list -----------------------------------------------------------------------------
def _names(ballot):
    return [option.labels["en"] for option in ballot.options]


def test_order_from_the_drawn_letter_wraps_around_and_ignores_accents(ops):
    def cand(last, first="X", number="1"):
        return SimpleNamespace(member=SimpleNamespace(last_name=last, first_name=first, number=number))

    people = [cand("Lovelace"), cand("Zimmermann"), cand("Évrard"), cand("dupont"), cand("Müller"),
              cand("Østergaard"), cand("Ashe", "Ben"), cand("Ashe", "Álvaro"), cand("'t Hooft")]

    def order(letter):
        return [(c.member.last_name, c.member.first_name) for c in ops.order_candidates(people, letter)]

    assert [n for n, _f in order("M")] == ["Müller", "Østergaard", "Zimmermann", "Ashe", "Ashe", "dupont", "Évrard",
                                            "Lovelace", "'t Hooft"]
    assert order("A")[:2] == [("Ashe", "Álvaro"), ("Ashe", "Ben")]
    # a letter nobody's name begins with starts at the next one that has a name
    assert [n for n, _f in order("F")][:2] == ["Lovelace", "Müller"]
    assert [n for n, _f in order("E")][0] == "Évrard"
    assert ops.sort_text("Élodie") == "elodie" and ops.sort_text("Øster") == "oster"


def test_freeze_draws_a_letter_and_orders_the_ballot(ops, election_in_state, audit_events):
    state = election_in_state("list_frozen")
    election, ballot = state.election, state.ballot
    letter = random.Random(7).choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert election.state == "list_frozen" and election.order_letter == letter
    assert letter == "K"
    assert _names(ballot) == ["Ada Lovelace", "Zoë Zimmermann", "Élodie Dupont"]  # from K, wrapping after Z
    expected = ops.order_candidates(state.candidacies, letter)
    assert _names(ballot) == [c.member.full_name for c in expected]
    assert not ballot.shuffle_options
    entry = audit_events("election.list_frozen")[0]
    assert entry.data["order_letter"] == letter and entry.data["ballot_id"] == ballot.id
    assert [c.option_id for c in expected] == [o.id for o in ballot.options]


def test_accented_surname_sorts_under_its_letter_on_the_ballot(ops, admin, make_election, stand, clock):
    class DrawE:
        def choice(self, letters):
            return "E"

    election = make_election()
    ops.open_call(election, actor=admin, now=clock.now)
    for last, first in (("Dubois", "Jan"), ("Évrard", "Luc"), ("Eyck", "Ann"), ("Abel", "Tom")):
        stand(election, last, first)
    ballot = ops.freeze_list(election, actor=admin, now=clock.after_deadline, rng=DrawE())
    assert election.order_letter == "E"
    assert _names(ballot) == ["Luc Évrard", "Ann Eyck", "Tom Abel", "Jan Dubois"]


def test_freeze_without_rng_uses_a_secret_letter(ops, admin, make_election, stand, clock):
    election = make_election()
    ops.open_call(election, actor=admin, now=clock.now)
    for last in ("Ash", "Birch", "Cedar"):
        stand(election, last)
    ops.freeze_list(election, actor=admin, now=clock.after_deadline)
    assert election.order_letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" and len(election.order_letter) == 1


def test_random_per_voter_keeps_alphabetical_order_and_sets_the_flag(ops, election_in_state):
    state = election_in_state("list_frozen", order_rule="random_per_voter")
    assert state.election.order_letter is None
    assert state.ballot.shuffle_options is True
    assert _names(state.ballot) == ["Élodie Dupont", "Ada Lovelace", "Zoë Zimmermann"]


def test_freeze_is_refused_before_the_deadline_and_with_unreviewed_candidacies(ops, admin, make_election, stand,
                                                                              clock):
    election = make_election()
    ops.open_call(election, actor=admin, now=clock.now)
    stand(election, "Ash")
    waiting = stand(election, "Birch", accept=None)
    stand(election, "Cedar")
    with pytest.raises(Conflict):
        ops.freeze_list(election, actor=admin, now=clock.deadline - dt.timedelta(seconds=1))
    with pytest.raises(Conflict) as error:
        ops.freeze_list(election, actor=admin, now=clock.after_deadline)
    assert "reviewed" in str(error.value)
    ops.review_candidacy(waiting, actor=admin, accept=False, reason="Not eligible.", now=clock.after_deadline)
    ballot = ops.freeze_list(election, actor=admin, now=clock.after_deadline, rng=random.Random(1))
    assert sorted(_names(ballot)) == ["Cand Ash", "Cand Cedar"]
    with pytest.raises(Conflict):  # once
        ops.freeze_list(election, actor=admin, now=clock.after_deadline)
    with pytest.raises(Conflict):  # no more reviews
        ops.review_candidacy(waiting, actor=admin, accept=True, now=clock.after_deadline)


def test_freeze_is_refused_without_accepted_candidates(ops, admin, make_election, stand, clock):
    election = make_election()
    ops.open_call(election, actor=admin, now=clock.now)
    stand(election, "Ash", accept=False)
    with pytest.raises(Conflict):
        ops.freeze_list(election, actor=admin, now=clock.after_deadline)


def test_freeze_is_refused_when_constraints_cannot_be_met(ops, admin, make_election, stand, clock):
    election = make_election(seats=2)
    ops.set_constraints(election, [("gender", "woman", 2, None)], actor=admin)
    ops.open_call(election, actor=admin, now=clock.now)
    stand(election, "Ash", gender="woman")
    stand(election, "Birch", gender="man")
    stand(election, "Cedar")  # declared no gender: in no gender group
    with pytest.raises(ops.ConstraintsInfeasible) as error:
        ops.freeze_list(election, actor=admin, now=clock.after_deadline)
    assert "only 1 accepted candidates" in str(error.value)
    assert election.state == "call_open" and election.ballot_id is None


def test_branch_maximum_infeasible_on_the_group_board(ops, admin, make_election, group_board, stand, be, clock):
    election = make_election(group_board, seats=3)
    ops.set_constraints(election, [("branch", "BE", None, 2)], actor=admin)
    ops.open_call(election, actor=admin, now=clock.now)
    for last in ("Ash", "Birch", "Cedar", "Dogwood"):
        stand(election, last, branch=be)
    with pytest.raises(ops.ConstraintsInfeasible) as error:
        ops.freeze_list(election, actor=admin, now=clock.after_deadline)
    assert "allow only 2 of the 3 seats" in str(error.value)


def test_count_constraints_written_on_the_ballot(ops, admin, make_election, group_board, stand, be, fr, clock):
    election = make_election(group_board, seats=2)
    ops.set_constraints(election, [("gender", "woman", 1, None), ("branch", "BE", None, 1)], actor=admin)
    ops.open_call(election, actor=admin, now=clock.now)
    ada = stand(election, "Lovelace", "Ada", branch=be, gender="woman")
    bob = stand(election, "Builder", "Bob", branch=fr, gender="man")
    cy = stand(election, "Cypher", "Cy", branch=fr)
    ballot = ops.freeze_list(election, actor=admin, now=clock.after_deadline, rng=random.Random(3))
    assert ballot.count_constraints == {
        "groups": {"branch": {str(ada.option_id): "BE", str(bob.option_id): "FR", str(cy.option_id): "FR"},
                   "gender": {str(ada.option_id): "woman", str(bob.option_id): "man"}},
        "minimum": [["gender", "woman", 1]],
        "maximum": [["branch", "BE", 1]],
    }


# --- the ballot ------------------------------------------------------------------------------------
def test_the_ballot_has_the_elections_electorate_and_texts(ops, election_in_state, be, clock):
    state = election_in_state("list_frozen", register_cutoff=dt.date(2025, 6, 1),
                              eligible_statuses=["active", "suspended"], is_secret=False)
    ballot = state.ballot
    assert ballot.electorate_kind == "register" and ballot.branch_ids == {be.id}
    assert sorted(ballot.eligible_statuses) == ["active", "suspended"]
    assert ballot.register_cutoff == dt.date(2025, 6, 1)
    assert ballot.method == "stv" and ballot.seats == 2 and ballot.max_choices is None
    assert ballot.is_secret is False
    assert ballot.opens_at == clock.voting_opens and ballot.closes_at == clock.voting_closes
    assert ballot.questions == texts("Board election") and ballot.original_language == "en"
    for option in ballot.options:  # names, the same in every language the branch requires
        assert set(option.labels) == {"en", "nl", "fr"} and len(set(option.labels.values())) == 1
    assert ballot.is_draft and ballot.count_constraints is None


def test_irv_and_approval_ballots(ops, election_in_state):
    irv = election_in_state("list_frozen", method="irv", seats=1).ballot
    assert irv.method == "irv" and irv.seats is None
    approval = election_in_state("list_frozen", method="approval", seats=2, max_choices=2).ballot
    assert approval.method == "approval" and approval.max_choices == 2 and approval.seats is None


def test_group_board_ballot_spans_every_branch(ops, admin, make_election, group_board, stand, be, fr, clock):
    election = make_election(group_board, seats=1)
    ops.open_call(election, actor=admin, now=clock.now)
    stand(election, "Ash", branch=be)
    stand(election, "Birch", branch=fr)
    ballot = ops.freeze_list(election, actor=admin, now=clock.after_deadline, rng=random.Random(2))
    assert ballot.branch_ids == {be.id, fr.id}


# --- the full path ---------------------------------------------------------------------------------
def _cast(ballot, accounts, rankings, now):
    from governance.votes import operations as vote_ops

    for account, ranking in zip(accounts, rankings):
        vote_ops.cast_vote(ballot, account.member, ranking, actor=account, now=now)


def test_full_path_to_the_mandates(ops, admin, election_in_state, clock, db, audit_events):
    from governance.elections import queries
    from governance.elections.models import Mandate
    from governance.votes import operations as vote_ops

    state = election_in_state("list_frozen", electorate=7)
    election, ballot = state.election, state.ballot
    ops.open_voting(election, actor=admin, now=clock.during_vote)
    assert election.state == "voting" and ballot.is_open
    ada, elodie, zoe = state.candidacies
    a, e, z = ada.option_id, elodie.option_id, zoe.option_id
    _cast(ballot, state.voters, [[a, e], [a, z], [a, e], [e, a], [e], [z, e], [a]], clock.during_vote)
    vote_ops.close_ballot(ballot, actor=admin, now=clock.after_close)
    assert election.state == "counted"
    result = queries.election_result(election)
    assert [c.id for c in result.elected] == [ada.id, elodie.id]
    assert result.quota == 3 and result.stages
    assert all("totals" in stage for stage in result.stages)
    assert set(result.names) == {str(a), str(e), str(z)} and result.blt_available
    assert "stages" in ballot.result["count"]
    mandates = ops.confirm_result(election, actor=admin, now=clock.after_close)
    assert election.state == "confirmed" and election.confirmed_by_id == admin.id
    assert sorted(m.member_id for m in mandates) == sorted([ada.member_id, elodie.member_id])
    for mandate in mandates:
        assert mandate.origin == "election" and mandate.election_id == election.id
        assert (mandate.starts_on, mandate.ends_on) == (election.term_starts_on, election.term_ends_on)
    assert db.session.execute(select(Mandate).where(Mandate.election_id == election.id)).scalars().all()
    current = queries.current_mandates(election.board, election.term_starts_on)
    assert {m.member_id for m in current} == {ada.member_id, elodie.member_id}
    assert [e.event for e in audit_events("election.")][-3:] == ["election.voting_opened", "election.counted",
                                                                 "election.confirmed"]
    with pytest.raises(Conflict):
        ops.confirm_result(election, actor=admin, now=clock.after_close)


def test_schedulers_keep_the_election_in_step(ops, election_in_state, clock, app):
    from governance.votes import operations as vote_ops

    state = election_in_state("list_frozen")
    election, ballot = state.election, state.ballot
    assert ops.tick(clock.during_vote - dt.timedelta(days=1)).opened == []
    report = vote_ops.tick(clock.during_vote)  # the votes scheduler opens the ballot first
    assert ballot.id in report.opened and election.state == "list_frozen"
    report = ops.tick(clock.during_vote)
    assert report.opened == [election.id] and election.state == "voting"
    vote_ops.tick(clock.after_close)  # closes and counts: the after-close hook moves the election on
    assert ballot.is_closed and election.state == "counted"


def test_election_tick_opens_voting_itself(ops, election_in_state, clock, app):
    state = election_in_state("list_frozen")
    with app.test_request_context("/"):
        report = ops.tick(clock.during_vote)
    assert report.opened == [state.election.id] and state.ballot.is_open
    assert state.election.state == "voting"


def test_ballot_closed_before_the_election_followed(ops, election_in_state, clock):
    """The votes scheduler opened and closed the ballot before any elections tick: the hook catches up."""
    from governance.votes import operations as vote_ops

    state = election_in_state("list_frozen")
    vote_ops.tick(clock.during_vote)
    vote_ops.tick(clock.after_close)
    assert state.election.state == "counted"


def test_tick_command(app, db, election_in_state, clock):
    from governance.elections.cli import elections_cli

    state = election_in_state("list_frozen")
    result = app.test_cli_runner().invoke(elections_cli, ["tick", "--now", clock.during_vote.isoformat()])
    assert result.exit_code == 0, result.output
    assert f"voting opened: {state.election.id}" in result.output


def test_uncontested_election_goes_to_counted_without_a_vote(ops, admin, election_in_state, clock):
    from governance.elections import queries

    state = election_in_state("list_frozen", candidates=(("Lovelace", "Ada"), ("Dupont", "Élodie")), seats=2)
    assert state.ballot.opens_at is None and state.ballot.is_draft
    report = ops.tick(clock.during_vote)
    assert report.opened == [state.election.id]
    assert state.election.state == "counted" and state.ballot.is_draft
    result = queries.election_result(state.election)
    assert result.uncontested and len(result.elected) == 2
    mandates = ops.confirm_result(state.election, actor=admin, now=clock.after_close)
    assert len(mandates) == 2


def test_confirm_needs_a_counted_election(ops, admin, election_in_state, clock):
    state = election_in_state("voting")
    with pytest.raises(Conflict):
        ops.confirm_result(state.election, actor=admin, now=clock.after_close)


# --- cancelling ------------------------------------------------------------------------------------
@pytest.mark.parametrize("state_name", ["draft", "call_open"])
def test_cancel_early(ops, admin, election_in_state, clock, state_name):
    state = election_in_state(state_name)
    ops.cancel_election(state.election, "Postponed", actor=admin, now=clock.now)
    assert state.election.state == "cancelled" and state.election.cancel_reason == "Postponed"


def test_cancel_needs_a_reason(ops, admin, election_in_state, clock):
    state = election_in_state("draft")
    with pytest.raises(InvalidInput):
        ops.cancel_election(state.election, " ", actor=admin, now=clock.now)


def test_cancel_a_frozen_list_deletes_its_draft_ballot(ops, admin, election_in_state, clock, db):
    from governance.votes import operations as vote_ops
    from governance.votes.models import Ballot

    state = election_in_state("list_frozen")
    ballot_id = state.ballot.id
    ops.cancel_election(state.election, "Statutes changed", actor=admin, now=clock.after_deadline)
    assert state.election.ballot_id is None and db.session.get(Ballot, ballot_id) is None
    assert all(c.option_id is None for c in state.candidacies)
    assert vote_ops.tick(clock.during_vote).opened == []


def test_cancel_during_the_vote_annuls_the_ballot(ops, admin, election_in_state, clock):
    state = election_in_state("voting")
    ops.cancel_election(state.election, "Irregularity", actor=admin, now=clock.during_vote)
    assert state.election.state == "cancelled" and state.ballot.is_annulled
    assert state.ballot.annul_reason == "Irregularity"


def test_counted_election_is_cancelled_only_after_its_ballot_is_annulled(ops, admin, election_in_state, clock):
    from governance.votes import operations as vote_ops

    state = election_in_state("counted")
    with pytest.raises(Conflict):
        ops.cancel_election(state.election, "Too late", actor=admin, now=clock.after_close)
    vote_ops.annul_ballot(state.ballot, "Count irregular", actor=admin, now=clock.after_close)
    with pytest.raises(Conflict):
        ops.confirm_result(state.election, actor=admin, now=clock.after_close)
    ops.cancel_election(state.election, "Ballot annulled", actor=admin, now=clock.after_close)
    assert state.election.state == "cancelled"


def test_confirmed_election_cannot_be_cancelled(ops, admin, election_in_state, clock):
    state = election_in_state("confirmed")
    with pytest.raises(Conflict):
        ops.cancel_election(state.election, "Too late", actor=admin, now=clock.after_close)


# --- permissions -----------------------------------------------------------------------------------
def test_another_branch_cannot_manage_the_election(ops, election_in_state, member_account, fr, clock,
                                                  be_board_member, make_election, group_board):
    from governance.elections.permissions import can_manage_election

    outsider = member_account(fr, roles=[("board_member", fr)])
    state = election_in_state("call_open")
    assert not can_manage_election(outsider, state.election) and can_manage_election(be_board_member, state.election)
    with pytest.raises(NotAllowed):
        ops.freeze_list(state.election, actor=outsider, now=clock.after_deadline)
    with pytest.raises(NotAllowed):
        ops.cancel_election(state.election, "No", actor=outsider, now=clock.now)
    with pytest.raises(NotAllowed):
        make_election(actor=outsider)
    with pytest.raises(NotAllowed):  # a branch's board member does not manage the group's board
        make_election(group_board, actor=be_board_member)


def test_branch_board_member_runs_the_branch_election(ops, be_board_member, make_election, stand, clock):
    election = make_election(actor=be_board_member)
    ops.open_call(election, actor=be_board_member, now=clock.now)
    for last in ("Ash", "Birch", "Cedar"):
        stand(election, last)
    ops.freeze_list(election, actor=be_board_member, now=clock.after_deadline, rng=random.Random(0))
    ops.open_voting(election, actor=be_board_member, now=clock.during_vote)
    assert election.state == "voting"


def test_who_sees_an_election(election_in_state, member_account, be, fr, create_account, be_board_member):
    from governance.elections.permissions import can_view_election

    draft = election_in_state("draft").election
    member_be, member_fr = member_account(be), member_account(fr)
    assert can_view_election(be_board_member, draft)
    assert not can_view_election(member_be, draft)
    call = election_in_state("call_open").election
    assert can_view_election(member_be, call)
    assert not can_view_election(member_fr, call)
    assert can_view_election(create_account(roles=["secretary"]), call)
    assert not can_view_election(None, call)


def test_approval_election_elects_the_most_approved(ops, admin, election_in_state, clock):
    from governance.elections import queries
    from governance.votes import operations as vote_ops

    state = election_in_state("list_frozen", method="approval", seats=2, max_choices=2, electorate=5)
    ops.open_voting(state.election, actor=admin, now=clock.during_vote)
    ada, elodie, zoe = state.candidacies
    a, e, z = ada.option_id, elodie.option_id, zoe.option_id
    _cast(state.ballot, state.voters, [[a, z], [z], [z, e], [a], [z, a]], clock.during_vote)
    vote_ops.close_ballot(state.ballot, actor=admin, now=clock.after_close)
    assert [c.id for c in queries.election_result(state.election).elected] == [zoe.id, ada.id]
    assert len(ops.confirm_result(state.election, actor=admin, now=clock.after_close)) == 2


def test_irv_election_elects_one(ops, admin, election_in_state, clock):
    from governance.elections import queries
    from governance.votes import operations as vote_ops

    state = election_in_state("list_frozen", method="irv", seats=1, electorate=5)
    ops.open_voting(state.election, actor=admin, now=clock.during_vote)
    ada, elodie, zoe = state.candidacies
    a, e, z = ada.option_id, elodie.option_id, zoe.option_id
    _cast(state.ballot, state.voters, [[a, e], [e, a], [z, e], [e], [a, e]], clock.during_vote)
    vote_ops.close_ballot(state.ballot, actor=admin, now=clock.after_close)
    result = queries.election_result(state.election)
    assert [c.id for c in result.elected] == [elodie.id] and result.stages
