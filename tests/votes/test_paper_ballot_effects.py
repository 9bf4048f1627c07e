"""What paper ballots change elsewhere in a ballot: the per-branch breakdown is withheld (papers belong to no
branch, so the total less the branches would give the paper voters' choices), an annulled ballot keeps no paper
rows, and a teller sees the ballot's page."""
from __future__ import annotations

from sqlalchemy import func, select

from governance.votes import operations as ops
from governance.votes import paper
from governance.votes.models import PaperBallot
from tests.votes.conftest import as_actor
from tests.votes.test_paper import stv, tellers  # noqa: F401  (fixtures)


def _accept(ballot, number, choice, tellers):
    paper.enter_paper(ballot, number, choice, actor=tellers[0])
    paper.enter_paper(ballot, number, choice, actor=tellers[1])


def test_with_papers_in_the_box_only_the_total_is_published(db, stv, tellers, close):
    ballot = stv.ballot
    for member in stv.members[:2]:
        ops.cast_vote(ballot, member, [stv.ana, stv.ben], actor=as_actor(member))
    paper.check_off(ballot, stv.members[2], actor=tellers[0])
    _accept(ballot, 1, [stv.cara], tellers)
    close(ballot)
    breakdown = ballot.result["breakdown"]
    assert breakdown["total_only"] and breakdown["groups"] == [] and breakdown["paper"]
    assert ballot.result["ballots"] == 3


def test_without_papers_the_breakdown_is_computed_as_before(db, stv, close):
    ballot = stv.ballot
    for member in stv.members:
        ops.cast_vote(ballot, member, [stv.ana], actor=as_actor(member))
    close(ballot)
    assert "paper" not in ballot.result["breakdown"]


def test_annulling_removes_the_papers_being_entered(db, stv, tellers, admin):
    ballot = stv.ballot
    paper.check_off(ballot, stv.members[0], actor=tellers[0])
    paper.enter_paper(ballot, 1, [stv.ben], actor=tellers[0])
    ops.annul_ballot(ballot, "The wrong candidates were on the paper.", actor=admin)
    assert db.session.execute(select(func.count()).select_from(PaperBallot).where(
        PaperBallot.ballot_id == ballot.id)).scalar_one() == 0


def test_a_teller_may_see_the_ballot(db, stv, tellers, create_account):
    from governance.votes.permissions import can_view_ballot

    outsider = create_account()
    assert not can_view_ballot(outsider, stv.ballot)
    assert can_view_ballot(tellers[0], stv.ballot)
