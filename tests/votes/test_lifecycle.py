"""A ballot's life: defined in draft, frozen once open, extended, closed or annulled, and the scheduler's tick."""
from __future__ import annotations

import datetime as dt

import pytest
from governance.core.errors import Conflict, InvalidInput, NotAllowed
from tests.votes.conftest import TEXTS, texts


@pytest.fixture
def ops():
    from governance.votes import operations

    return operations


# --- definition in draft ---------------------------------------------------------------------------
def test_a_draft_is_defined_and_audited(make_ballot, ballot_audit, be):
    ballot = make_ballot(method="plurality", quorum="share:1/3", majority="simple")
    assert ballot.is_draft and ballot.method == "plurality" and ballot.is_secret
    assert [o.position for o in ballot.options] == [1, 2, 3]
    assert ballot.branch_ids == {be.id}
    assert [e.event for e in ballot_audit(ballot)] == ["ballot.created"]


@pytest.mark.parametrize("kw, message", [
    ({"method": "stv", "seats": None}, "seats"),
    ({"method": "approval", "max_choices": None}, "approve"),
    ({"method": "yna", "seats": 2}, "several seats"),
    ({"quorum": "share:2/6"}, "quorum"),
    ({"majority": "qualified:1/2"}, "majority"),
    ({"branch_ids": set()}, "branches"),
    ({"electorate_kind": "workgroup"}, "workgroup"),
    ({"electorate_kind": "list"}, "members who vote"),
    ({"eligible_statuses": ["voting"]}, "statuses"),
    ({"result_visibility": "nobody"}, "result"),
])
def test_an_invalid_definition_is_refused_with_a_reason(make_ballot, kw, message):
    with pytest.raises(InvalidInput) as exc:
        make_ballot(**kw)
    assert message in str(exc.value)


def test_times_must_make_sense(make_ballot, now):
    with pytest.raises(InvalidInput, match="close after it opens"):
        make_ballot(opens_at=now + dt.timedelta(days=2), closes_at=now + dt.timedelta(days=1))
    with pytest.raises(InvalidInput, match="future"):
        make_ballot(closes_at=now - dt.timedelta(minutes=1))


def test_a_question_needs_its_original_language(make_ballot):
    with pytest.raises(InvalidInput, match="original language"):
        make_ballot(questions={"fr": "Question ?"})


def test_options_are_added_edited_and_removed_in_draft(ops, make_ballot, admin):
    ballot = make_ballot(method="plurality")
    dev = ops.add_option(ballot, texts("Dev"), actor=admin)
    assert dev.position == 4
    ops.edit_option(ballot.options[0], {**texts("Anna")}, actor=admin)
    assert ballot.options[0].labels["en"] == "Anna (en)"
    ops.remove_option(ballot.options[1], actor=admin)
    assert [(o.position, o.labels["en"]) for o in ballot.options] == [
        (1, "Anna (en)"), (2, "Cara (en)"), (3, "Dev (en)")]
    with pytest.raises(InvalidInput):
        ops.add_option(ballot, {"fr": "Sans anglais"}, actor=admin)


def test_update_replaces_the_definition_in_draft(ops, make_ballot, admin, fr):
    ballot = make_ballot()
    ops.update_ballot(ballot, actor=admin, method="approval", max_choices=1,
                      options=[texts("Yes please"), texts("No thanks")], branch_ids={fr.id}, is_secret=False)
    assert (ballot.method, ballot.max_choices, ballot.is_secret) == ("approval", 1, False)
    assert [o.labels["en"] for o in ballot.options] == ["Yes please (en)", "No thanks (en)"]
    assert ballot.branch_ids == {fr.id}
    ops.update_ballot(ballot, actor=admin, method="yna", max_choices=None)
    assert ballot.options == []


def test_a_draft_can_be_deleted_but_an_open_ballot_only_annulled(ops, make_ballot, open_ballot, admin, voter, be, db):
    from governance.votes.models import Ballot

    draft = make_ballot()
    draft_id = draft.id
    ops.delete_ballot(draft, actor=admin)
    assert db.session.get(Ballot, draft_id) is None
    voter(be)
    ballot = open_ballot(make_ballot())
    with pytest.raises(Conflict):
        ops.delete_ballot(ballot, actor=admin)


# --- frozen once open ------------------------------------------------------------------------------
def test_question_options_and_rules_are_frozen_once_open(ops, make_ballot, open_ballot, admin, voter, be):
    from governance.votes.operations import BallotFrozen

    voter(be)
    ballot = open_ballot(make_ballot(method="plurality"))
    for change in ({"questions": {"en": "Another?", "nl": "Iets anders?", "fr": "Autre ?"}},
                   {"majority": "absolute"}, {"quorum": "count:3"}, {"is_secret": False},
                   {"options": [texts("X"), texts("Y")]}):
        with pytest.raises(BallotFrozen):
            ops.update_ballot(ballot, actor=admin, **change)
    with pytest.raises(BallotFrozen):
        ops.add_option(ballot, texts("Dev"), actor=admin)
    with pytest.raises(BallotFrozen):
        ops.edit_option(ballot.options[0], texts("Anna"), actor=admin)
    with pytest.raises(BallotFrozen):
        ops.remove_option(ballot.options[0], actor=admin)
    assert ballot.majority == "simple" and len(ballot.options) == 3 and ballot.questions == TEXTS


# --- opening ---------------------------------------------------------------------------------------
def test_opening_needs_options_a_roll_and_a_future_closing_time(ops, make_ballot, admin, voter, be, create_branch,
                                                                 now):
    voter(be)
    with pytest.raises(Conflict, match="two options"):
        ops.open_ballot(make_ballot(method="plurality", options=[texts("Only")]), actor=admin)
    with pytest.raises(Conflict, match="more options than seats"):
        ops.open_ballot(make_ballot(method="stv", seats=3), actor=admin)
    empty = create_branch("LU", required_languages=["en"])
    with pytest.raises(Conflict, match="Nobody"):
        ops.open_ballot(make_ballot(branches=[empty]), actor=admin)
    ballot = make_ballot(closes_at=now + dt.timedelta(hours=1))
    with pytest.raises(Conflict, match="closing time has passed"):
        ops.open_ballot(ballot, actor=admin, now=now + dt.timedelta(hours=2))


def test_opening_is_audited_with_the_roll(ops, make_ballot, open_ballot, voter, be, ballot_audit):
    members = [voter(be) for _ in range(3)]
    ballot = open_ballot(make_ballot())
    assert ballot.is_open and ballot.roll_size == 3
    [entry] = ballot_audit(ballot, "ballot.opened")
    assert entry.data["roll_size"] == 3 and entry.data["roll_hash"] == ballot.roll_hash
    assert len(ballot.roll_hash) == 64
    with pytest.raises(Conflict):
        open_ballot(ballot)
    assert members


# --- extending -------------------------------------------------------------------------------------
def test_the_closing_time_can_only_be_extended_with_a_reason(ops, make_ballot, open_ballot, admin, voter, be, cast,
                                                             ballot_audit, now):
    member = voter(be)
    ballot = open_ballot(make_ballot(closes_at=now + dt.timedelta(days=1)))
    old = ballot.closes_at
    with pytest.raises(InvalidInput, match="later"):
        ops.extend_ballot(ballot, old - dt.timedelta(hours=1), "Shorter", actor=admin)
    with pytest.raises(InvalidInput, match="later"):
        ops.extend_ballot(ballot, old, "Same", actor=admin)
    with pytest.raises(InvalidInput, match="reason"):
        ops.extend_ballot(ballot, old + dt.timedelta(days=1), "  ", actor=admin)
    extension = ops.extend_ballot(ballot, old + dt.timedelta(days=1), "The mail server was down", actor=admin)
    assert ballot.closes_at == old + dt.timedelta(days=1)
    assert (extension.old_closes_at, extension.new_closes_at, extension.actor_id) == (old, ballot.closes_at, admin.id)
    [entry] = ballot_audit(ballot, "ballot.extended")
    assert entry.data["reason"] == "The mail server was down"
    # a vote after the old closing time is accepted
    assert cast(ballot, member, "yes", now=old + dt.timedelta(hours=1)).receipt


def test_a_ballot_closing_by_hand_has_nothing_to_extend(ops, make_ballot, open_ballot, admin, voter, be, now):
    voter(be)
    ballot = open_ballot(make_ballot(closes_at=None))
    with pytest.raises(Conflict):
        ops.extend_ballot(ballot, now + dt.timedelta(days=1), "Why not", actor=admin)


# --- closing ---------------------------------------------------------------------------------------
def test_closing_by_hand_needs_a_manager_and_by_the_system_needs_the_time(ops, make_ballot, open_ballot, voter, be,
                                                                          member_account, now):
    voter(be)
    ballot = open_ballot(make_ballot(closes_at=now + dt.timedelta(days=1)))
    with pytest.raises(NotAllowed):
        ops.close_ballot(ballot, actor=member_account(be))
    with pytest.raises(Conflict, match="not due"):
        ops.close_ballot(ballot, actor=None, now=now)
    ops.close_ballot(ballot, actor=None, now=now + dt.timedelta(days=1))
    assert ballot.is_closed and ballot.result is not None and ballot.lot_seed
    with pytest.raises(Conflict):
        ops.close_ballot(ballot, actor=None, now=now + dt.timedelta(days=2))


# --- annulling -------------------------------------------------------------------------------------
def test_an_open_or_closed_ballot_is_annulled_with_a_reason(ops, make_ballot, open_ballot, close, admin, voter, be,
                                                            cast, ballot_audit):
    from governance.votes import exports, permissions
    from governance.votes.models import IllegalTransition

    member = voter(be)
    with pytest.raises(IllegalTransition):
        ops.annul_ballot(make_ballot(), "Draft", actor=admin)
    ballot = open_ballot(make_ballot())
    with pytest.raises(InvalidInput):
        ops.annul_ballot(ballot, "", actor=admin)
    ops.annul_ballot(ballot, "Wrong question", actor=admin)
    assert ballot.is_annulled and ballot.annul_reason == "Wrong question"
    with pytest.raises(Conflict):
        cast(ballot, member, "yes")

    closed = open_ballot(make_ballot())
    cast(closed, member, "yes")
    close(closed)
    assert closed.has_result and permissions.can_see_results(admin, closed)
    ops.annul_ballot(closed, "Irregular count", actor=admin)
    assert closed.is_annulled and not closed.has_result
    assert not permissions.can_see_results(admin, closed)
    with pytest.raises(Conflict):
        exports.results_json(closed)
    with pytest.raises(Conflict):
        exports.receipt_codes(closed)
    [entry] = ballot_audit(closed, "ballot.annulled")
    assert entry.data["reason"] == "Irregular count" and entry.actor_id == admin.id


# --- the scheduler ---------------------------------------------------------------------------------
def test_tick_opens_and_closes_due_ballots(ops, make_ballot, voter, be, now, db):
    voter(be)
    scheduled = make_ballot(opens_at=now + dt.timedelta(hours=1), closes_at=now + dt.timedelta(days=2))
    missing = make_ballot(questions={"en": "English only"}, opens_at=now + dt.timedelta(hours=1),
                          closes_at=now + dt.timedelta(days=2))
    report = ops.tick(now)
    assert not report.did_something and scheduled.is_draft
    report = ops.tick(now + dt.timedelta(hours=1))
    assert report.opened == [scheduled.id] and scheduled.is_open
    assert [ballot_id for ballot_id, _message in report.failed] == [missing.id]
    assert "French" in report.failed[0][1] and "Dutch" in report.failed[0][1]
    db.session.refresh(missing)
    assert missing.is_draft
    report = ops.tick(now + dt.timedelta(days=2))
    assert report.closed == [scheduled.id] and scheduled.is_closed


def test_reminders_go_once_to_those_who_have_not_voted(ops, make_ballot, open_ballot, member_account, be, cast, now,
                                                       outbox, monkeypatch, app):
    monkeypatch.setitem(app.config, "BALLOT_REMINDER_HOURS", 12)
    voted, waiting = member_account(be), member_account(be)
    ballot = open_ballot(make_ballot(closes_at=now + dt.timedelta(days=1)))
    cast(ballot, voted.member, "no", actor=voted)
    assert ops.tick(now + dt.timedelta(hours=11)).reminded == []
    report = ops.tick(now + dt.timedelta(hours=13))
    assert report.reminded == [ballot.id] and ballot.reminder_sent_dt is not None
    reminders = [m for m in outbox() if m.topic == f"ballot:{ballot.id}:reminder"]
    assert [m.to_address for m in reminders] == [waiting.email]
    assert ops.tick(now + dt.timedelta(hours=14)).reminded == []
    assert ops.send_reminders(ballot, now + dt.timedelta(hours=15)) == 0


# --- notifications ---------------------------------------------------------------------------------
def test_the_electorate_is_told_in_each_members_language(make_ballot, open_ballot, close, member_account, be, voter,
                                                         outbox, db):
    dutch = member_account(be, language="nl")
    french = member_account(be, language="fr")
    quiet = member_account(be)
    quiet.notify_ballot_email = False
    voter(be)  # no account: no email
    db.session.flush()
    ballot = open_ballot(make_ballot())
    opened = {m.to_address: m for m in outbox() if m.topic == f"ballot:{ballot.id}:opened"}
    assert set(opened) == {dutch.email, french.email}
    assert opened[dutch.email].language == "nl" and TEXTS["nl"] in opened[dutch.email].body_text
    assert opened[french.email].language == "fr" and TEXTS["fr"] in opened[french.email].subject
    close(ballot)
    results = {m.to_address for m in outbox() if m.topic == f"ballot:{ballot.id}:result"}
    assert results == {dutch.email, french.email}


# --- proposals -------------------------------------------------------------------------------------
@pytest.fixture
def ready_proposal(db, make_workgroup, member_account, be):
    from governance.proposals.models import Proposal, ProposalState

    def factory(members: int = 3):
        facilitator = member_account(be)
        voters = [member_account(be) for _ in range(members)]
        workgroup = make_workgroup(branches=[be], facilitators=[facilitator], members=voters)
        proposal = Proposal(workgroup_id=workgroup.id, workgroup=workgroup, author_id=voters[0].member.id,
                            titles={"en": "Share the vans", "nl": "Deel de busjes", "fr": "Partager les camionnettes"},
                            bodies={"en": "Every week.", "nl": "Elke week.", "fr": "Chaque semaine."},
                            original_language="en", state=ProposalState.ready_for_vote.value)
        db.session.add(proposal)
        db.session.flush()
        return proposal, facilitator, voters

    return factory


def test_a_proposal_ready_for_a_vote_becomes_a_ballot_and_its_result_decides_it(
        ops, ready_proposal, open_ballot, close, cast, ballot_audit, admin, ballot_email_templates):
    proposal, facilitator, voters = ready_proposal()
    ballot = ops.ballot_from_proposal(proposal, actor=facilitator)
    assert ballot.is_yna and ballot.proposal_id == proposal.id
    assert ballot.questions == proposal.titles and ballot.descriptions == proposal.bodies
    assert ballot.electorate_kind == "workgroup" and ballot.workgroup_id == proposal.workgroup_id
    with pytest.raises(Conflict, match="already"):
        ops.ballot_from_proposal(proposal, actor=facilitator)
    open_ballot(ballot, actor=facilitator)
    assert ballot.roll_size == 4  # the members and the facilitator
    for account, choice in zip(voters, ("yes", "yes", "no")):
        cast(ballot, account.member, choice, actor=account)
    close(ballot, actor=facilitator)
    assert proposal.state == "adopted"
    assert f"ballot {ballot.id}" in proposal.decision_reason
    assert ballot.result["proposal"] == {"id": proposal.id, "applied": True, "state": "adopted"}
    # annulled: the proposal waits for a new vote
    ops.annul_ballot(ballot, "Irregular", actor=admin)
    assert proposal.state == "ready_for_vote" and proposal.decision_reason is None


def test_a_rejected_ballot_rejects_the_proposal(ops, ready_proposal, open_ballot, close, cast, ballot_email_templates):
    proposal, facilitator, voters = ready_proposal()
    ballot = ops.ballot_from_proposal(proposal, actor=facilitator, majority="qualified:2/3")
    open_ballot(ballot, actor=facilitator)
    for account, choice in zip(voters, ("yes", "no", "abstain")):
        cast(ballot, account.member, choice, actor=account)
    close(ballot, actor=facilitator)
    assert proposal.state == "rejected" and f"ballot {ballot.id}" in proposal.decision_reason


def test_only_a_proposal_ready_for_a_vote_and_only_by_its_managers(ops, ready_proposal, ballot_email_templates):
    proposal, facilitator, voters = ready_proposal()
    with pytest.raises(NotAllowed):
        ops.ballot_from_proposal(proposal, actor=voters[0])
    proposal.state = "discussion"
    with pytest.raises(Conflict, match="ready"):
        ops.ballot_from_proposal(proposal, actor=facilitator)


def test_ballots_are_listed_for_members_and_managers(make_ballot, open_ballot, member_account, create_account, be, fr,
                                                     cast, now):
    from governance.votes import queries

    account = member_account(be)
    board_be = create_account(roles=[("board_member", be)])
    open_one = open_ballot(make_ballot())
    upcoming = make_ballot(opens_at=now + dt.timedelta(days=1), closes_at=now + dt.timedelta(days=3))
    make_ballot(branches=[fr], questions={"en": "FR only", "fr": "FR seulement"})
    listing = queries.member_ballots(account.member)
    assert listing.open == [(open_one, False)] and listing.upcoming == [upcoming] and listing.closed == []
    cast(open_one, account.member, "yes", actor=account)
    assert queries.member_ballots(account.member).open == [(open_one, True)]
    assert set(queries.managed_ballots(board_be)) == {open_one, upcoming}
    assert set(queries.visible_ballots(account)) == {open_one, upcoming}


def test_each_amendment_marked_for_the_vote_gets_its_own_ballot(ops, ready_proposal, open_ballot, close, cast, db,
                                                                  ballot_email_templates, now):
    from governance.proposals.models import ProposalAmendment
    from governance.votes import queries

    proposal, facilitator, voters = ready_proposal()
    marked = ProposalAmendment(proposal_id=proposal.id, number=1, author_id=voters[1].member.id, language="en",
                               original_excerpt="Every week.", replacement="Every month.",
                               explanation="Weekly is too often.", base_revision=1, state="for_vote",
                               decided_dt=now)
    proposed = ProposalAmendment(proposal_id=proposal.id, number=2, author_id=voters[2].member.id, language="en",
                                 original_excerpt="", replacement="And on holidays.", explanation="More.",
                                 base_revision=1, state="proposed")
    db.session.add_all([marked, proposed])
    db.session.flush()
    main = ops.ballot_from_proposal(proposal, actor=facilitator, is_secret=False)
    ballots = queries.ballots_for_proposal(proposal)
    assert [b.amendment_id for b in ballots] == [None, marked.id]
    amendment_ballot = ballots[1]
    assert amendment_ballot.is_yna and not amendment_ballot.is_secret
    assert amendment_ballot.questions["en"] == "Amendment 1 to “Share the vans”"
    assert set(amendment_ballot.questions) == {"en", "nl", "fr"}
    assert "> Every month." in amendment_ballot.descriptions["en"]
    assert "Weekly is too often." in amendment_ballot.descriptions["en"]
    for ballot in (main, amendment_ballot):
        open_ballot(ballot, actor=facilitator)
        for account in voters:
            cast(ballot, account.member, "yes" if ballot is main else "no", actor=account)
        close(ballot, actor=facilitator)
    assert proposal.state == "adopted"  # the proposal's own ballot decides it
    assert amendment_ballot.result["proposal"]["amendment_adopted"] is False
