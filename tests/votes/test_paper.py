"""Paper ballots: tellers, check-off, double entry, mismatches and corrections, the count, closing; and, on
PostgreSQL, tellers racing each other."""
from __future__ import annotations

import datetime as dt
import threading
from types import SimpleNamespace

import pytest
from sqlalchemy import delete, func, select

from governance.core.errors import Conflict, InvalidInput, NotAllowed
from governance.extensions import db as _db
from governance.votes import operations as ops
from governance.votes import paper
from governance.votes.models import BallotTeller, BoxEntry, Participation, PaperBallot, PaperEntry, PaperState
from tests.votes.conftest import option_ids


def _count(db, model, **where) -> int:
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.execute(query).scalar_one()


def refused(db, error, call, *args, match=None, **kw):
    """The call raises ``error`` and leaves nothing behind (as a view's rollback would)."""
    with pytest.raises(error, match=match):
        with db.session.begin_nested():
            call(*args, **kw)


@pytest.fixture
def tellers(create_account):
    return [create_account(display_name=f"Teller {n}") for n in range(3)]


@pytest.fixture
def stv(make_ballot, open_ballot, voter, be, tellers, admin):
    """An open secret STV ballot (Ana, Ben, Cara; 2 seats) with four Belgian members and three tellers."""
    members = [voter(be) for _ in range(4)]
    ballot = open_ballot(make_ballot(method="stv"))
    for teller in tellers:
        paper.add_teller(ballot, teller, actor=admin)
    return SimpleNamespace(ballot=ballot, members=members, ana=option_ids(ballot)[0], ben=option_ids(ballot)[1],
                           cara=option_ids(ballot)[2])


# --- tellers ---------------------------------------------------------------------------------------
def test_managers_designate_and_remove_tellers(make_ballot, create_account, admin, member_account, be, db,
                                               ballot_audit):
    ballot = make_ballot(method="irv")
    teller = create_account(display_name="Tess")
    paper.add_teller(ballot, teller, actor=admin)
    assert paper.is_teller(teller, ballot)
    assert [t.id for t in paper.tellers(ballot)] == [teller.id]
    refused(db, Conflict, paper.add_teller, ballot, teller, actor=admin, match="already")
    outsider = member_account(be)
    refused(db, NotAllowed, paper.add_teller, ballot, create_account(), actor=outsider)
    refused(db, NotAllowed, paper.add_teller, ballot, create_account(), actor=teller)  # a teller is no manager
    refused(db, NotAllowed, paper.add_teller, ballot, create_account(), actor=None)
    paper.remove_teller(ballot, teller, actor=admin)
    assert not paper.is_teller(teller, ballot)
    refused(db, Conflict, paper.remove_teller, ballot, teller, actor=admin, match="not a teller")
    events = [(e.event, e.data["account_id"]) for e in ballot_audit(ballot) if e.event.startswith("ballot.teller")]
    assert events == [("ballot.teller_added", teller.id), ("ballot.teller_removed", teller.id)]


def test_tellers_are_designated_only_while_draft_or_open(make_ballot, open_ballot, close, create_account, admin, db,
                                                         voter, be):
    voter(be)
    ballot = open_ballot(make_ballot())
    paper.add_teller(ballot, create_account(), actor=admin)  # open: yes
    close(ballot)
    refused(db, Conflict, paper.add_teller, ballot, create_account(), actor=admin, match="draft or open")
    disabled = create_account()
    disabled.is_enabled = False
    refused(db, InvalidInput, paper.add_teller, make_ballot(), disabled, actor=admin, match="disabled")


def test_a_removed_tellers_entries_on_papers_not_accepted_are_discarded(stv, tellers, admin, db):
    ballot = stv.ballot
    first, second, third = tellers
    paper.check_off(ballot, stv.members[0], actor=first)
    paper.enter_paper(ballot, 1, [stv.ana, stv.ben], actor=first)
    paper.enter_paper(ballot, 1, [stv.ben], actor=second)  # a mismatch
    paper.enter_paper(ballot, 2, [stv.cara], actor=first)  # pending, only first's entry
    assert paper.remove_teller(ballot, first, actor=admin) == 2
    assert paper.get_paper(ballot, 1).state == PaperState.pending.value
    assert [e.teller_id for e in paper.get_paper(ballot, 1).entries] == [second.id]
    assert paper.get_paper(ballot, 2) is None
    refused(db, paper.NotATeller, paper.enter_paper, ballot, 1, [stv.ben], actor=first)
    assert paper.enter_paper(ballot, 1, [stv.ben], actor=third).state == PaperState.accepted.value


# --- check-off -------------------------------------------------------------------------------------
def test_a_check_off_writes_a_paper_participation_and_no_ballot(stv, tellers, db, ballot_audit):
    ballot, member, teller = stv.ballot, stv.members[0], tellers[0]
    before = len(ballot_audit(ballot))
    paper.check_off(ballot, member, actor=teller)
    participation = db.session.get(Participation, (ballot.id, member.id))
    assert (participation.channel, participation.cast_by_id) == ("paper", teller.id)
    assert _count(db, BoxEntry, ballot_id=ballot.id) == 0
    assert len(ballot_audit(ballot)) == before  # a check-off is a participation, not an administrative event


def test_only_tellers_check_off_members_of_an_open_secret_ballot_on_its_roll(stv, tellers, voter, fr, admin,
                                                                             make_ballot, open_ballot, be, db, now):
    ballot = stv.ballot
    refused(db, paper.NotATeller, paper.check_off, ballot, stv.members[0], actor=admin)
    refused(db, ops.NotOnRoll, paper.check_off, ballot, voter(fr), actor=tellers[0])
    refused(db, ops.BallotNotOpen, paper.check_off, ballot, stv.members[0], actor=tellers[0],
            now=ballot.closes_at, match="ended")
    draft = make_ballot()
    paper.add_teller(draft, tellers[0], actor=admin)
    refused(db, ops.BallotNotOpen, paper.check_off, draft, stv.members[0], actor=tellers[0], match="not open yet")
    roll_call = open_ballot(make_ballot(is_secret=False))
    paper.add_teller(roll_call, tellers[0], actor=admin)
    refused(db, Conflict, paper.check_off, roll_call, stv.members[0], actor=tellers[0], match="roll-call")


def test_no_double_participation_across_channels(stv, tellers, member_account, be, cast, make_ballot, open_ballot,
                                                 admin, db):
    online, on_paper, grantor = (member_account(be) for _ in range(3))
    holder = member_account(be)
    ballot = open_ballot(make_ballot(method="stv"))
    paper.add_teller(ballot, tellers[0], actor=admin)
    teller = tellers[0]
    # voted online, then hands in a paper: refused
    cast(ballot, online.member, [option_ids(ballot)[0]], actor=online)
    refused(db, ops.MemberAlreadyVoted, paper.check_off, ballot, online.member, actor=teller)
    # checked off on paper, then votes online: refused
    paper.check_off(ballot, on_paper.member, actor=teller)
    refused(db, ops.AlreadyVoted, cast, ballot, on_paper.member, [option_ids(ballot)[0]], actor=on_paper)
    refused(db, ops.MemberAlreadyVoted, paper.check_off, ballot, on_paper.member, actor=teller)
    # by proxy, then on paper; and the other way round
    cast(ballot, grantor.member, [option_ids(ballot)[1]], actor=holder, channel="proxy")
    refused(db, ops.MemberAlreadyVoted, paper.check_off, ballot, grantor.member, actor=teller)
    refused(db, ops.AlreadyVoted, cast, ballot, on_paper.member, [option_ids(ballot)[1]], actor=holder,
            channel="proxy")
    assert _count(db, Participation, ballot_id=ballot.id) == 3
    assert _count(db, BoxEntry, ballot_id=ballot.id) == 2


def test_a_check_off_goes_through_the_registered_cast_checks(stv, tellers, db, monkeypatch):
    seen = []

    def check(ballot, member, channel, actor):
        seen.append((member.id, channel, actor.id))
        raise Conflict("No paper here.")

    monkeypatch.setattr(ops, "CAST_CHECKS", [*ops.CAST_CHECKS, check])
    refused(db, Conflict, paper.check_off, stv.ballot, stv.members[0], actor=tellers[0], match="No paper")
    assert seen == [(stv.members[0].id, "paper", tellers[0].id)]


# --- double entry ----------------------------------------------------------------------------------
def test_two_agreeing_entries_put_one_ballot_in_the_box(stv, tellers, db, ballot_audit):
    ballot = stv.ballot
    paper.check_off(ballot, stv.members[0], actor=tellers[0])
    first = paper.enter_paper(ballot, 1, [stv.ben, stv.ana], actor=tellers[0])
    assert first.state == PaperState.pending.value
    assert _count(db, BoxEntry, ballot_id=ballot.id) == 0
    second = paper.enter_paper(ballot, 1, [str(stv.ben), str(stv.ana)], actor=tellers[1])  # the same, as text
    assert second is first and second.state == PaperState.accepted.value
    assert second.choice_key == f"{stv.ben}>{stv.ana}"
    box = db.session.execute(select(BoxEntry).where(BoxEntry.ballot_id == ballot.id)).scalars().all()
    assert [(b.choice, b.choice_key, b.branch_id) for b in box] == [([stv.ben, stv.ana], f"{stv.ben}>{stv.ana}", None)]
    accepted = ballot_audit(ballot, "ballot.paper_accepted")
    assert [e.data for e in accepted] == [{"accepted": 1, "checked_off": 1, "after_mismatch": False}]
    assert str(stv.ben) not in str(accepted[0].data)  # no choice in the log
    assert _count(db, Participation, ballot_id=ballot.id) == 1


def test_a_mismatch_is_corrected_then_accepted(stv, tellers, db, ballot_audit):
    ballot = stv.ballot
    paper.check_off(ballot, stv.members[0], actor=tellers[0])
    paper.enter_paper(ballot, 1, [stv.ana, stv.ben, stv.cara], actor=tellers[0])
    entered = paper.enter_paper(ballot, 1, [stv.ana, stv.cara, stv.ben], actor=tellers[1])
    assert entered.state == PaperState.mismatch.value
    [comparison] = paper.mismatches(ballot)
    assert comparison.number == 1 and comparison.differing == {2, 3}
    assert [e.teller_id for e in comparison.entries] == sorted([tellers[0].id, tellers[1].id])
    summary = paper.paper_summary(ballot)
    assert (summary.checked_off, summary.pending, summary.mismatched, summary.accepted) == (1, 0, 1, 0)
    # the second teller looks again and corrects their own entry: compared again, accepted
    assert paper.enter_paper(ballot, 1, [stv.ana, stv.ben, stv.cara], actor=tellers[1]).state == "accepted"
    assert _count(db, BoxEntry, ballot_id=ballot.id) == 1
    assert paper.mismatches(ballot) == []
    assert ballot_audit(ballot, "ballot.paper_accepted")[-1].data["after_mismatch"] is True


def test_a_correction_that_still_differs_stays_a_mismatch(stv, tellers, db):
    ballot = stv.ballot
    paper.check_off(ballot, stv.members[0], actor=tellers[0])
    paper.enter_paper(ballot, 1, [stv.ana], actor=tellers[0])
    paper.enter_paper(ballot, 1, [stv.ben], actor=tellers[1])
    assert paper.enter_paper(ballot, 1, [stv.cara], actor=tellers[0]).state == PaperState.mismatch.value
    assert paper.mismatches(ballot)[0].differing == {1}


def test_the_same_teller_twice_is_a_correction_not_a_second_entry(stv, tellers, db):
    ballot = stv.ballot
    paper.check_off(ballot, stv.members[0], actor=tellers[0])
    paper.enter_paper(ballot, 1, [stv.ana], actor=tellers[0])
    entered = paper.enter_paper(ballot, 1, [stv.ana], actor=tellers[0])
    assert entered.state == PaperState.pending.value
    assert len(entered.entries) == 1
    paper.enter_paper(ballot, 1, [stv.cara], actor=tellers[0])
    assert [e.choice for e in paper.get_paper(ballot, 1).entries] == [[stv.cara]]
    assert [(p.number, e.choice) for p, e in paper.own_entries(ballot, tellers[0])] == [(1, [stv.cara])]
    assert _count(db, BoxEntry, ballot_id=ballot.id) == 0


def test_a_third_teller_is_refused_and_accepted_papers_never_change(stv, tellers, db):
    ballot = stv.ballot
    paper.check_off(ballot, stv.members[0], actor=tellers[0])
    paper.enter_paper(ballot, 1, [stv.ana], actor=tellers[0])
    paper.enter_paper(ballot, 1, [stv.ben], actor=tellers[1])
    refused(db, paper.PaperRefused, paper.enter_paper, ballot, 1, [stv.ana], actor=tellers[2],
            match="two tellers already")
    paper.enter_paper(ballot, 1, [stv.ana], actor=tellers[1])  # accepted
    for teller in tellers:
        refused(db, paper.PaperRefused, paper.enter_paper, ballot, 1, [stv.ben], actor=teller,
                match="accepted already")
    refused(db, paper.PaperRefused, paper.withdraw_entry, ballot, 1, actor=tellers[0])
    assert _count(db, BoxEntry, ballot_id=ballot.id) == 1


def test_accepted_papers_never_outnumber_the_paper_check_offs(stv, tellers, cast, db):
    ballot = stv.ballot
    cast(ballot, stv.members[1], [stv.ana])  # an online vote does not make room for a paper
    paper.check_off(ballot, stv.members[0], actor=tellers[0])
    for number in (1, 2):
        paper.enter_paper(ballot, number, [stv.cara], actor=tellers[0])
    assert paper.enter_paper(ballot, 1, [stv.cara], actor=tellers[1]).state == "accepted"
    refused(db, paper.PaperRefused, paper.enter_paper, ballot, 2, [stv.cara], actor=tellers[1],
            match="only 1 members were checked off")
    assert paper.get_paper(ballot, 2).state == PaperState.pending.value  # nothing kept of the refused entry
    assert len(paper.get_paper(ballot, 2).entries) == 1
    paper.check_off(ballot, stv.members[2], actor=tellers[1])
    assert paper.enter_paper(ballot, 2, [stv.cara], actor=tellers[1]).state == "accepted"
    assert _count(db, BoxEntry, ballot_id=ballot.id) == 3


def test_entries_are_validated_like_votes(stv, tellers, db, make_ballot, open_ballot, admin):
    ballot = stv.ballot
    teller = tellers[0]
    refused(db, InvalidInput, paper.enter_paper, ballot, 1, [stv.ana, stv.ana], actor=teller, match="only once")
    refused(db, InvalidInput, paper.enter_paper, ballot, 1, [], actor=teller, match="Rank at least one")
    refused(db, InvalidInput, paper.enter_paper, ballot, 1, [999999], actor=teller, match="not on the ballot")
    refused(db, InvalidInput, paper.enter_paper, ballot, 0, [stv.ana], actor=teller, match="between 1 and 4")
    refused(db, InvalidInput, paper.enter_paper, ballot, 5, [stv.ana], actor=teller, match="between 1 and 4")
    refused(db, paper.NotATeller, paper.enter_paper, ballot, 1, [stv.ana], actor=admin)
    assert _count(db, PaperBallot, ballot_id=ballot.id) == 0
    # every method: a yes/no/abstain paper, an approval paper
    yna = open_ballot(make_ballot())
    approval = open_ballot(make_ballot(method="approval"))
    for other in (yna, approval):
        paper.add_teller(other, tellers[0], actor=admin)
        paper.add_teller(other, tellers[1], actor=admin)
        paper.check_off(other, stv.members[0], actor=tellers[0])
    refused(db, InvalidInput, paper.enter_paper, yna, 1, "maybe", actor=teller, match="yes, no or abstain")
    paper.enter_paper(yna, 1, "no", actor=tellers[0])
    assert paper.enter_paper(yna, 1, "no", actor=tellers[1]).state == "accepted"
    a, b = option_ids(approval)[:2]
    paper.enter_paper(approval, 1, [b, a], actor=tellers[0])
    assert paper.enter_paper(approval, 1, [a, b], actor=tellers[1]).choice_key == f"{a},{b}"


def test_a_teller_withdraws_an_entry_typed_under_the_wrong_number(stv, tellers, db):
    ballot = stv.ballot
    paper.enter_paper(ballot, 3, [stv.ana], actor=tellers[0])
    refused(db, paper.PaperRefused, paper.withdraw_entry, ballot, 3, actor=tellers[1], match="not entered")
    paper.withdraw_entry(ballot, 3, actor=tellers[0])
    assert paper.get_paper(ballot, 3) is None


def test_papers_are_entered_after_the_closing_time_until_the_ballot_closes(stv, tellers, db):
    ballot = stv.ballot
    paper.check_off(ballot, stv.members[0], actor=tellers[0])
    ballot.closes_at = ops._now(None) - dt.timedelta(minutes=1)  # voting has ended; counting goes on
    db.session.flush()
    paper.enter_paper(ballot, 1, [stv.ana], actor=tellers[0])
    assert paper.enter_paper(ballot, 1, [stv.ana], actor=tellers[1]).state == "accepted"


# --- closing and the count -------------------------------------------------------------------------
def test_close_is_refused_while_papers_are_pending_or_mismatched(stv, tellers, close, db):
    ballot = stv.ballot
    paper.check_off(ballot, stv.members[0], actor=tellers[0])
    paper.enter_paper(ballot, 1, [stv.ana], actor=tellers[0])
    refused(db, paper.PapersOutstanding, close, ballot, match="1 waiting for their second entry, 0 whose")
    paper.enter_paper(ballot, 1, [stv.ben], actor=tellers[1])
    refused(db, paper.PapersOutstanding, close, ballot, match="0 waiting for their second entry, 1 whose")
    assert ballot.is_open


def test_the_system_waits_for_every_paper_a_manager_may_close_without(stv, tellers, close, db, ballot_audit):
    ballot = stv.ballot
    paper.check_off(ballot, stv.members[0], actor=tellers[0])
    paper.check_off(ballot, stv.members[1], actor=tellers[0])
    paper.enter_paper(ballot, 1, [stv.ana], actor=tellers[0])
    paper.enter_paper(ballot, 1, [stv.ana], actor=tellers[1])
    due = ballot.closes_at + dt.timedelta(minutes=1)
    report = ops.tick(due)
    assert report.closed == [] and report.failed and report.failed[0][0] == ballot.id
    assert "still counting: 1 paper ballots accepted for 2 members" in report.failed[0][1]
    assert ballot.is_open
    summary = paper.paper_summary(ballot)
    assert summary.without_paper == 1 and not summary.complete
    close(ballot)  # by hand: the member kept their paper
    assert ballot.is_closed
    assert ballot_audit(ballot, "ballot.papers_counted")[0].data == {"accepted": 1, "checked_off": 2,
                                                                     "without_paper": 1}


def test_the_system_closes_once_every_paper_is_in(stv, tellers, db):
    ballot = stv.ballot
    paper.check_off(ballot, stv.members[0], actor=tellers[0])
    paper.enter_paper(ballot, 1, [stv.ana], actor=tellers[0])
    paper.enter_paper(ballot, 1, [stv.ana], actor=tellers[1])
    report = ops.tick(ballot.closes_at + dt.timedelta(minutes=1))
    assert report.closed == [ballot.id] and ballot.is_closed


def test_the_count_includes_the_accepted_papers(stv, tellers, cast, close, db):
    ballot = stv.ballot
    ana, ben, cara = stv.ana, stv.ben, stv.cara
    cast(ballot, stv.members[0], [ana, ben])
    cast(ballot, stv.members[1], [ana, cara])
    for member in stv.members[2:]:
        paper.check_off(ballot, member, actor=tellers[2])
    for number, ranking in ((1, [ben, ana]), (2, [ben, cara])):
        paper.enter_paper(ballot, number, ranking, actor=tellers[0])
        paper.enter_paper(ballot, number, ranking, actor=tellers[1])
    close(ballot)
    result = ballot.result
    assert (result["participations"], result["ballots"]) == (4, 4)
    assert {row["choice"]: row["count"] for row in result["choices"]} == {
        f"{ana}>{ben}": 1, f"{ana}>{cara}": 1, f"{ben}>{ana}": 1, f"{ben}>{cara}": 1}
    assert sorted(result["count"]["elected"]) == sorted([str(ana), str(ben)])
    # the box was rewritten with the papers in it; the papers and their entries are gone
    assert _count(db, BoxEntry, ballot_id=ballot.id) == 4
    assert _count(db, PaperBallot, ballot_id=ballot.id) == 0
    assert db.session.execute(select(func.count()).select_from(PaperEntry)).scalar_one() == 0


def test_nothing_links_a_paper_or_an_entry_to_a_member():
    for model in (PaperBallot, PaperEntry, BoxEntry):
        columns = set(model.__table__.columns.keys())
        assert not columns & {"member_id", "cast_dt", "created_dt", "modified_dt", "participation_id"}


def test_a_roll_call_paper_vote_is_recorded_directly(make_ballot, open_ballot, voter, be, tellers, admin, db):
    member = voter(be)
    ballot = open_ballot(make_ballot(is_secret=False))
    refused(db, paper.NotATeller, paper.record_paper_vote, ballot, member, "yes", actor=tellers[0])
    paper.add_teller(ballot, tellers[0], actor=admin)
    assert paper.record_paper_vote(ballot, member, "yes", actor=tellers[0]).receipt is None
    participation = db.session.get(Participation, (ballot.id, member.id))
    assert (participation.channel, participation.cast_by_id) == ("paper", tellers[0].id)
    refused(db, Conflict, paper.enter_paper, ballot, 1, "yes", actor=tellers[0], match="secret")
    secret = open_ballot(make_ballot())
    paper.add_teller(secret, tellers[0], actor=admin)
    refused(db, Conflict, paper.record_paper_vote, secret, member, "yes", actor=tellers[0], match="check the member")


# --- concurrency (PostgreSQL) ------------------------------------------------------------------------
@pytest.fixture
def committed_paper_ballot(app):
    """Committed data: an open secret ranked ballot, members on its roll, two tellers. Removed at the end."""
    from governance.accounts.models import Account
    from governance.core.db_types import utcnow
    from governance.members.models import Branch, Member
    from governance.votes import roll
    from governance.votes.models import Ballot, BallotOption, RollEntry

    with app.app_context():
        if _db.engine.dialect.name != "postgresql":
            pytest.skip("concurrent writers: PostgreSQL only (SQLite serialises them)")
    created: list[dict] = []

    def factory(members: int) -> dict:
        with app.app_context():
            tag = f"PAPER{len(created)}{utcnow().strftime('%H%M%S%f')}"
            branch = Branch(code=tag[:10], country="BE", names={"en": "Paper"}, official_languages=["en"],
                            required_languages=["en"])
            people = [Member(number=f"{tag}-{n}", branch=branch, first_name="Paper", last_name=str(n),
                             language="en", status="active", joined_on=dt.date(2020, 1, 1)) for n in range(members)]
            accounts = [Account(email=f"{tag.lower()}-{n}@example.org", display_name=f"Teller {n}")
                        for n in range(2)]
            now = utcnow()
            ballot = Ballot(questions={"en": "Race?"}, original_language="en", method="irv", is_secret=True,
                            electorate_kind="register", state="open", opened_dt=now,
                            closes_at=now + dt.timedelta(hours=1), branches=[branch], roll_size=members,
                            roll_hash="0" * 64,
                            options=[BallotOption(position=n, labels={"en": f"Option {n}"}) for n in (1, 2)])
            _db.session.add_all([branch, *people, *accounts, ballot])
            _db.session.flush()
            _db.session.add_all([RollEntry(ballot_id=ballot.id, member_id=m.id, branch_id=branch.id) for m in people])
            _db.session.add_all([BallotTeller(ballot_id=ballot.id, account_id=a.id) for a in accounts])
            ballot.roll_hash = roll.roll_hash(m.id for m in people)
            _db.session.commit()
            ids = {"ballot": ballot.id, "members": [m.id for m in people], "branch": branch.id,
                   "tellers": [a.id for a in accounts], "options": [o.id for o in ballot.options]}
            _db.session.remove()
        created.append(ids)
        return ids

    yield factory
    with app.app_context():
        for ids in created:
            _db.session.execute(delete(Ballot).where(Ballot.id == ids["ballot"]))
            _db.session.execute(delete(Member).where(Member.id.in_(ids["members"])))
            _db.session.execute(delete(Account).where(Account.id.in_(ids["tellers"])))
            _db.session.execute(delete(Branch).where(Branch.id == ids["branch"]))
        _db.session.commit()
        _db.session.remove()


def _race(app, n: int, work) -> list[str]:
    """Run ``work(i)`` in n threads, each with its own application context and session, started together."""
    start = threading.Barrier(n)
    outcomes: list[str] = []

    def run(i: int) -> None:
        with app.app_context():
            try:
                start.wait(20)
                work(i)
                _db.session.commit()
                outcomes.append("done")
            except (Conflict, NotAllowed) as exc:
                _db.session.rollback()
                outcomes.append(type(exc).__name__)
            except Exception as exc:  # noqa: BLE001 - reported by the assertion
                _db.session.rollback()
                outcomes.append(repr(exc))
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not [t for t in threads if t.is_alive()]
    return outcomes


def test_the_same_member_checked_off_twice_at_once_participates_once(app, committed_paper_ballot):
    from governance.accounts.models import Account
    from governance.members.models import Member
    from governance.votes.models import Ballot

    ids = committed_paper_ballot(members=1)

    def work(i: int) -> None:
        ballot = _db.session.get(Ballot, ids["ballot"])
        member = _db.session.get(Member, ids["members"][0])
        teller = _db.session.get(Account, ids["tellers"][i % 2])
        paper.check_off(ballot, member, actor=teller)

    outcomes = _race(app, 6, work)
    assert sorted(outcomes) == ["MemberAlreadyVoted"] * 5 + ["done"]
    with app.app_context():
        assert _db.session.execute(select(func.count()).select_from(Participation).where(
            Participation.ballot_id == ids["ballot"])).scalar_one() == 1
        _db.session.remove()


def test_two_tellers_accepting_different_papers_at_once_cannot_exceed_the_check_offs(app, committed_paper_ballot):
    from governance.accounts.models import Account
    from governance.members.models import Member
    from governance.votes.models import Ballot

    ids = committed_paper_ballot(members=2)
    first, second = ids["tellers"]
    with app.app_context():
        ballot = _db.session.get(Ballot, ids["ballot"])
        teller = _db.session.get(Account, first)
        paper.check_off(ballot, _db.session.get(Member, ids["members"][0]), actor=teller)  # one paper check-off
        paper.enter_paper(ballot, 1, [ids["options"][0]], actor=teller)
        paper.enter_paper(ballot, 2, [ids["options"][1]], actor=teller)
        _db.session.commit()
        _db.session.remove()

    def work(i: int) -> None:
        ballot = _db.session.get(Ballot, ids["ballot"])
        teller = _db.session.get(Account, second)
        paper.enter_paper(ballot, i + 1, [ids["options"][i]], actor=teller)

    outcomes = _race(app, 2, work)
    assert sorted(outcomes) == ["PaperRefused", "done"]
    with app.app_context():
        assert _db.session.execute(select(func.count()).select_from(BoxEntry).where(
            BoxEntry.ballot_id == ids["ballot"])).scalar_one() == 1
        assert _db.session.execute(select(func.count()).select_from(PaperBallot).where(
            PaperBallot.ballot_id == ids["ballot"], PaperBallot.state == "accepted")).scalar_one() == 1
        _db.session.remove()
