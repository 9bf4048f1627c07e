"""A whole board election with a branch maximum, voted online and on paper: the constraint changes the elected
set, the tellers' double entry feeds the count, nobody votes in two channels, and confirming creates the
mandates of the constrained result.

The group's board, 2 seats, at most 1 director from Belgium. Candidates: An and Bea (BE), Col (FR). 12 papers:

    5 × An > Bea    1 × An    3 × Bea    3 × Col          quota = floor(12 / 3) + 1 = 5

Plain Scottish STV: stage 1 An 6, Bea 3, Col 3: An elected with a surplus of 1; stage 2 the surplus goes at
1/6 (0.16666) on each of An's 6 papers: 5 × 0.16666 = 0.83330 to Bea, 0.16666 non-transferable: Bea 3.83330,
Col 3. Col has the fewest votes and is excluded; Bea is then the last continuing candidate for the last seat:
An and Bea (both Belgian).

With "BE at most 1": once An is elected Belgium has its maximum, so Bea is excluded at once (a constraint
exclusion), and Col, the only continuing candidate, takes the last seat: An and Col.

Three of the twelve (the 3 × Col) vote on paper: a teller checks each off the roll and two tellers enter each
paper."""
from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select

from governance.core.errors import DomainError
from governance.elections.models import Mandate
from governance.votes import operations as vote_ops
from governance.votes import paper
from governance.votes.models import Participation


@pytest.fixture
def election(ops, admin, make_election, group_board, stand, be, fr, clock):
    election = make_election(group_board, seats=2)
    ops.set_constraints(election, [("branch", "BE", None, 1)], actor=admin)
    ops.open_call(election, actor=admin, now=clock.now)
    an = stand(election, "An", "Anne", branch=be)
    bea = stand(election, "Bea", "Beatrix", branch=be)
    col = stand(election, "Col", "Colette", branch=fr)
    return election, {"An": an, "Bea": bea, "Col": col}


def test_a_branch_maximum_elects_col_with_paper_ballots_counted(db, ops, admin, election, voters, create_account,
                                                                  clock):
    election, candidates = election
    online = voters(9)  # the electorate of the group's board: every branch
    on_paper = voters(3)
    ballot = ops.freeze_list(election, actor=admin, now=clock.after_deadline, rng=random.Random(1))
    ops.open_voting(election, actor=admin, now=clock.during_vote)
    option = {name: c.option_id for name, c in candidates.items()}
    tellers = [create_account(display_name=f"Teller {n}") for n in (1, 2)]
    for teller in tellers:
        paper.add_teller(ballot, teller, actor=admin)

    papers = [["An", "Bea"]] * 5 + [["An"]] + [["Bea"]] * 3
    for account, ranking in zip(online, papers):
        vote_ops.cast_vote(ballot, account.member, [option[n] for n in ranking], actor=account,
                           now=clock.during_vote)
    for number, account in enumerate(on_paper, start=1):
        paper.check_off(ballot, account.member, actor=tellers[0], now=clock.during_vote)
        for teller in tellers:
            paper.enter_paper(ballot, number, [option["Col"]], actor=teller)

    # nobody votes twice, whatever the channel
    with pytest.raises(DomainError):
        with db.session.begin_nested():
            vote_ops.cast_vote(ballot, on_paper[0].member, [option["An"]], actor=on_paper[0], now=clock.during_vote)
    with pytest.raises(DomainError):
        with db.session.begin_nested():
            paper.check_off(ballot, online[0].member, actor=tellers[1], now=clock.during_vote)
    channels = dict(db.session.execute(select(Participation.channel, func.count()).where(
        Participation.ballot_id == ballot.id).group_by(Participation.channel)).all())
    assert channels == {"web": 9, "paper": 3}

    vote_ops.close_ballot(ballot, actor=admin, now=clock.after_close)
    assert election.state == "counted"
    count = ballot.result["count"]
    assert count["quota"] in ("5", "5.00000", 5)
    assert set(count["elected"]) == {str(option["An"]), str(option["Col"])}
    assert count["constrained"] is True
    actions = [a for stage in count["stages"] for a in stage.get("constraint_actions", [])]
    assert actions[0]["kind"] == "maximum_reached" and actions[0]["group"] == "BE"
    assert actions[0]["candidates"] == [str(option["Bea"])]

    mandates = ops.confirm_result(election, actor=admin, now=clock.after_close)
    assert sorted(m.member_id for m in mandates) == sorted([candidates["An"].member_id,
                                                            candidates["Col"].member_id])
    stored = db.session.execute(select(Mandate).where(Mandate.election_id == election.id)).scalars().all()
    assert {(m.origin, m.starts_on, m.ends_on) for m in stored} == {
        ("election", election.term_starts_on, election.term_ends_on)}


def test_without_the_maximum_the_two_belgians_are_elected(db, ops, admin, make_election, group_board, stand, voters,
                                                          be, fr, clock):
    election = make_election(group_board, seats=2)
    ops.open_call(election, actor=admin, now=clock.now)
    candidates = {"An": stand(election, "An", "Anne", branch=be), "Bea": stand(election, "Bea", "Beatrix", branch=be),
                  "Col": stand(election, "Col", "Colette", branch=fr)}
    accounts = voters(12)
    ballot = ops.freeze_list(election, actor=admin, now=clock.after_deadline, rng=random.Random(1))
    ops.open_voting(election, actor=admin, now=clock.during_vote)
    option = {name: c.option_id for name, c in candidates.items()}
    papers = [["An", "Bea"]] * 5 + [["An"]] + [["Bea"]] * 3 + [["Col"]] * 3
    for account, ranking in zip(accounts, papers):
        vote_ops.cast_vote(ballot, account.member, [option[n] for n in ranking], actor=account,
                           now=clock.during_vote)
    vote_ops.close_ballot(ballot, actor=admin, now=clock.after_close)
    assert set(ballot.result["count"]["elected"]) == {str(option["An"]), str(option["Bea"])}
    assert not ballot.result["count"]["constrained"]
