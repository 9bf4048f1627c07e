"""Candidacies: eligibility (each rule), the call window (before / at / after, time zones), submitting twice,
editing, withdrawal, review and its emails."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from governance.core.errors import Conflict, InvalidInput, NotAllowed


def _submit(ops, election, account, *, now, **kw):
    kw.setdefault("statements", {"en": "My statement."})
    kw.setdefault("profiles", {"en": "Baker."})
    kw.setdefault("original_language", "en")
    return ops.submit_candidacy(election, account.member, actor=account, now=now, **kw)


@pytest.fixture
def call(ops, admin, make_election, clock):
    election = make_election()
    ops.open_call(election, actor=admin, now=clock.now)
    return election


# --- eligibility -----------------------------------------------------------------------------------
def test_an_eligible_member_has_no_problem(ops, call, member_account, be):
    assert ops.eligibility_problems(call, member_account(be).member) == []


def test_another_branch_is_not_eligible(ops, call, member_account, fr, clock):
    account = member_account(fr)
    problems = ops.eligibility_problems(call, account.member)
    assert problems == ["Only members of the board's branch can stand."]
    with pytest.raises(NotAllowed) as error:
        _submit(ops, call, account, now=clock.during_call)
    assert "board's branch" in str(error.value)


def test_group_board_takes_every_branch(ops, admin, make_election, group_board, member_account, fr, clock):
    election = make_election(group_board)
    assert ops.eligibility_problems(election, member_account(fr).member) == []


def test_status_must_be_eligible(ops, call, member_account, be, make_election):
    suspended = member_account(be, status="suspended").member
    assert ops.eligibility_problems(call, suspended) == [
        "Members with the status “Suspended” cannot stand in this election."]
    wider = make_election(eligible_statuses=["active", "suspended"])
    assert ops.eligibility_problems(wider, suspended) == []


def test_register_cutoff(ops, make_election, member_account, be):
    election = make_election(register_cutoff=dt.date(2024, 1, 1))
    late = member_account(be, joined_on=dt.date(2024, 1, 2)).member
    on_time = member_account(be, joined_on=dt.date(2024, 1, 1)).member
    assert len(ops.eligibility_problems(election, late)) == 1
    assert ops.eligibility_problems(election, on_time) == []


def test_minimum_membership_length_is_counted_on_the_deadline(ops, make_election, member_account, be, clock):
    election = make_election(min_membership_days=365)
    deadline_day = clock.deadline.astimezone(ZoneInfo("Europe/Brussels")).date()
    just = member_account(be, joined_on=deadline_day - dt.timedelta(days=365)).member
    short = member_account(be, joined_on=deadline_day - dt.timedelta(days=364)).member
    assert ops.eligibility_problems(election, just) == []
    assert ops.eligibility_problems(election, short) == [
        "Candidates must have been members for at least 365 days on the candidacy deadline."]


def test_staff_excluded_unless_the_election_allows_them(ops, call, make_election, member_account, be, clock):
    account = member_account(be)
    assert ops.eligibility_problems(call, account.member, declares_employee=True) == [
        "Employees of the cooperative cannot stand in this election."]
    with pytest.raises(NotAllowed):
        _submit(ops, call, account, now=clock.during_call, declares_employee=True)
    open_to_staff = make_election(exclude_staff=False)
    assert ops.eligibility_problems(open_to_staff, account.member, declares_employee=True) == []


def test_every_problem_is_stated(ops, make_election, member_account, fr):
    election = make_election(min_membership_days=10_000)
    problems = ops.eligibility_problems(election, member_account(fr, status="suspended").member,
                                        declares_employee=True)
    assert len(problems) == 4


# --- the call window -------------------------------------------------------------------------------
def test_submission_window_before_at_and_after(ops, call, member_account, be, clock):
    with pytest.raises(Conflict):
        _submit(ops, call, member_account(be), now=clock.call_opens - dt.timedelta(seconds=1))
    assert _submit(ops, call, member_account(be), now=clock.call_opens).state == "submitted"
    assert _submit(ops, call, member_account(be), now=clock.deadline - dt.timedelta(microseconds=1))
    with pytest.raises(Conflict):
        _submit(ops, call, member_account(be), now=clock.deadline)
    with pytest.raises(Conflict):
        _submit(ops, call, member_account(be), now=clock.after_deadline)


def test_deadline_in_local_time(ops, admin, make_election, member_account, be, clock):
    """A deadline at 23:59 in Brussels is 22:59 UTC in winter: 23:00 UTC is too late."""
    zone = ZoneInfo("Europe/Brussels")
    day = (clock.now + dt.timedelta(days=30)).date()
    while day.month not in (12, 1, 2):
        day += dt.timedelta(days=30)
    deadline = dt.datetime(day.year, day.month, day.day, 23, 59, tzinfo=zone)
    election = make_election(candidacy_deadline=deadline, voting_opens_at=deadline + dt.timedelta(days=2),
                             voting_closes_at=deadline + dt.timedelta(days=9))
    ops.open_call(election, actor=admin, now=clock.now)
    assert election.candidacy_deadline == deadline.astimezone(dt.timezone.utc)
    utc = dt.timezone.utc
    assert _submit(ops, election, member_account(be),
                   now=dt.datetime(day.year, day.month, day.day, 22, 58, tzinfo=utc))
    with pytest.raises(Conflict):
        _submit(ops, election, member_account(be), now=dt.datetime(day.year, day.month, day.day, 23, 0, tzinfo=utc))


def test_naive_times_are_refused(make_election, clock):
    with pytest.raises(InvalidInput):
        make_election(candidacy_deadline=clock.deadline.replace(tzinfo=None))


def test_draft_election_takes_no_candidacy(ops, make_election, member_account, be, clock):
    with pytest.raises(Conflict):
        _submit(ops, make_election(), member_account(be), now=clock.during_call)


# --- submitting ------------------------------------------------------------------------------------
def test_statement_in_its_original_language_is_required(ops, call, member_account, be, clock):
    account = member_account(be)
    with pytest.raises(InvalidInput):
        _submit(ops, call, account, now=clock.during_call, statements={"fr": "Ma déclaration."},
                original_language="en")
    candidacy = _submit(ops, call, account, now=clock.during_call, statements={"fr": "Ma déclaration.", "nl": "Ik."},
                        profiles={"fr": "Boulangère."}, original_language="fr")
    assert candidacy.statement.text == "Ma déclaration." and candidacy.original_language == "fr"


def test_gender_is_kept_only_with_a_gender_constraint(ops, admin, make_election, member_account, be, clock):
    plain = make_election()
    ops.open_call(plain, actor=admin, now=clock.now)
    assert _submit(ops, plain, member_account(be), now=clock.during_call, gender="woman").gender is None
    balanced = make_election()
    ops.set_constraints(balanced, [("gender", "woman", 1, None)], actor=admin)
    ops.open_call(balanced, actor=admin, now=clock.now)
    assert _submit(ops, balanced, member_account(be), now=clock.during_call, gender="woman").gender == "woman"
    assert _submit(ops, balanced, member_account(be), now=clock.during_call, gender=None).gender is None
    with pytest.raises(InvalidInput):
        _submit(ops, balanced, member_account(be), now=clock.during_call, gender="robot")


def test_submitting_twice_is_a_conflict(ops, call, member_account, be, clock, db):
    from governance.elections.models import Candidacy

    account = member_account(be)
    _submit(ops, call, account, now=clock.during_call)
    with pytest.raises(Conflict):
        _submit(ops, call, account, now=clock.during_call)
    assert db.session.execute(select(func.count()).select_from(Candidacy)).scalar_one() == 1


def test_the_unique_constraint_holds_against_a_concurrent_insert(ops, call, member_account, be, clock, db,
                                                                 monkeypatch):
    """Two requests both see no candidacy; the second insert meets the unique constraint → Conflict, one row."""
    from governance.elections.models import Candidacy

    account = member_account(be)
    _submit(ops, call, account, now=clock.during_call)
    real_execute = db.session.execute
    calls = {"n": 0}

    def blind_execute(statement, *args, **kw):
        result = real_execute(statement, *args, **kw)
        text = str(statement)
        if calls["n"] == 0 and "FROM candidacies" in text and "candidacies.member_id" in text:
            calls["n"] += 1

            class Nothing:
                def scalar_one_or_none(self):
                    return None
            return Nothing()
        return result

    monkeypatch.setattr(db.session, "execute", blind_execute)
    with pytest.raises(Conflict):
        _submit(ops, call, account, now=clock.during_call)
    monkeypatch.undo()
    assert calls["n"] == 1  # the look-up was blinded: the unique constraint refused the row
    assert db.session.execute(select(func.count()).select_from(Candidacy)).scalar_one() == 1


def test_a_manager_may_enter_a_paper_candidacy_but_nobody_else(ops, call, admin, member_account, be, clock):
    member = member_account(be).member
    other = member_account(be)
    with pytest.raises(NotAllowed):
        ops.submit_candidacy(call, member, actor=other, statements={"en": "x"}, profiles={}, original_language="en",
                             now=clock.during_call)
    assert ops.submit_candidacy(call, member, actor=admin, statements={"en": "x"}, profiles={},
                                original_language="en", now=clock.during_call).member_id == member.id


# --- editing, withdrawing --------------------------------------------------------------------------
def test_editing_an_accepted_candidacy_sends_it_back_for_review(ops, call, stand, clock, admin):
    candidacy = stand(call, "Lovelace", "Ada")
    assert candidacy.state == "accepted"
    ops.update_candidacy(candidacy, actor=candidacy.account, statements={"en": "New text."}, profiles={},
                         original_language="en", now=clock.during_call)
    assert candidacy.state == "submitted" and candidacy.reviewed_dt is None
    assert candidacy.statement.text == "New text."
    with pytest.raises(NotAllowed):
        ops.update_candidacy(candidacy, actor=admin, statements={"en": "x"}, profiles={}, original_language="en",
                             now=clock.during_call)
    with pytest.raises(Conflict):
        ops.update_candidacy(candidacy, actor=candidacy.account, statements={"en": "x"}, profiles={},
                             original_language="en", now=clock.deadline)
    with pytest.raises(NotAllowed):  # declaring employment makes them ineligible
        ops.update_candidacy(candidacy, actor=candidacy.account, statements={"en": "x"}, profiles={},
                             original_language="en", declares_employee=True, now=clock.during_call)


def test_withdrawal_before_the_deadline_by_the_candidate(ops, call, stand, clock, admin):
    candidacy = stand(call, "Lovelace", "Ada")
    with pytest.raises(NotAllowed):
        ops.withdraw_candidacy(candidacy, actor=admin, now=clock.during_call)
    with pytest.raises(Conflict):
        ops.withdraw_candidacy(candidacy, actor=candidacy.account, now=clock.deadline)
    ops.withdraw_candidacy(candidacy, actor=candidacy.account, now=clock.during_call)
    assert candidacy.state == "withdrawn" and candidacy.withdrawn_dt is not None
    with pytest.raises(Conflict):
        ops.withdraw_candidacy(candidacy, actor=candidacy.account, now=clock.during_call)


def test_a_withdrawn_candidacy_can_be_submitted_again_in_the_same_row(ops, call, stand, clock):
    candidacy = stand(call, "Lovelace", "Ada")
    ops.withdraw_candidacy(candidacy, actor=candidacy.account, now=clock.during_call)
    again = _submit(ops, call, candidacy.account, now=clock.during_call, statements={"en": "Back."})
    assert again.id == candidacy.id
    assert again.state == "submitted" and again.withdrawn_dt is None and again.reviewed_dt is None
    assert again.statement.text == "Back."


def test_a_refused_candidacy_cannot_be_submitted_again(ops, call, stand, clock):
    candidacy = stand(call, "Lovelace", "Ada", accept=False)
    with pytest.raises(Conflict):
        _submit(ops, call, candidacy.account, now=clock.during_call)
    with pytest.raises(Conflict):
        ops.update_candidacy(candidacy, actor=candidacy.account, statements={"en": "x"}, profiles={},
                             original_language="en", now=clock.during_call)


# --- review ----------------------------------------------------------------------------------------
def test_refusal_needs_a_reason_and_emails_the_candidate(ops, call, stand, admin, clock, outbox, audit_events):
    candidacy = stand(call, "Lovelace", "Ada", accept=None)
    with pytest.raises(InvalidInput):
        ops.review_candidacy(candidacy, actor=admin, accept=False, reason="  ", now=clock.during_call)
    ops.review_candidacy(candidacy, actor=admin, accept=False, reason="Employed by the cooperative.",
                         now=clock.during_call)
    assert candidacy.state == "refused" and candidacy.review_reason == "Employed by the cooperative."
    [message] = outbox(candidacy.account.email)
    assert "refused" in message.subject and "Employed by the cooperative." in message.body_text
    assert audit_events("candidacy.reviewed")[-1].data["reason"] == "Employed by the cooperative."
    # the secretary may change their mind before the list is frozen: the candidate hears of it again
    ops.review_candidacy(candidacy, actor=admin, accept=True, now=clock.during_call + dt.timedelta(minutes=1))
    assert candidacy.state == "accepted"
    assert "accepted" in outbox(candidacy.account.email)[-1].subject


def test_the_candidate_is_emailed_in_their_language(ops, call, admin, member_account, be, clock, outbox):
    account = member_account(be, language="nl")
    candidacy = _submit(ops, call, account, now=clock.during_call)
    ops.review_candidacy(candidacy, actor=admin, accept=True, now=clock.during_call)
    assert outbox(account.email)[0].language == "nl"
    assert "Board election (nl)" in outbox(account.email)[0].subject


def test_review_only_by_a_manager_and_before_freezing(ops, call, stand, member_account, fr, be_board_member,
                                                      clock, admin):
    from governance.elections.permissions import can_review

    candidacy = stand(call, "Lovelace", "Ada", accept=None)
    outsider = member_account(fr, roles=[("board_member", fr)])
    assert not can_review(outsider, call) and can_review(be_board_member, call)
    with pytest.raises(NotAllowed):
        ops.review_candidacy(candidacy, actor=outsider, accept=True, now=clock.during_call)
    ops.review_candidacy(candidacy, actor=be_board_member, accept=True, now=clock.during_call)
    ops.withdraw_candidacy(candidacy, actor=candidacy.account, now=clock.during_call)
    with pytest.raises(Conflict):
        ops.review_candidacy(candidacy, actor=admin, accept=True, now=clock.during_call)


def test_can_stand(call, member_account, be, fr, clock, make_election):
    from governance.elections.permissions import can_stand

    assert can_stand(member_account(be), call, now=clock.during_call)
    assert not can_stand(member_account(fr), call, now=clock.during_call)
    assert not can_stand(member_account(be), call, now=clock.after_deadline)
    assert not can_stand(member_account(be), make_election(), now=clock.during_call)
