"""Options shown in a random order of each voter's own (the candidates of an election): the same order on every
page a voter sees, different orders for different voters, and the vote is counted by option, not by position."""
from __future__ import annotations

import re

from tests.votes.views_support import (  # noqa: F401  (fixtures)
    _no_second_factor_for_staff,
    admin,
    ballot_email_templates,
    be,
    fr,
    make_ballot,
    member_account,
    open_ballot,
    page_text,
    sign_in_as,
    texts,
    voters,
)

NAMES = [f"{name} (en)" for name in ("Ana", "Ben", "Cara", "Dirk", "Eva", "Fons", "Greet", "Hugo")]


def _ranked_order(page: str) -> list[str]:
    """The option names in the order of the rank selects on the ballot paper."""
    return re.findall(r'<label for="rank_\d+"[^>]*>([^<]+)</label>', page)


def _shuffled_stv(make_ballot, open_ballot):
    ballot = make_ballot(method="stv", seats=2, options=[texts(name[:-5]) for name in NAMES])
    ballot.shuffle_options = True
    return open_ballot(ballot)


def test_each_voter_has_an_order_of_their_own_kept_across_pages(client, db, make_ballot, open_ballot, voters):
    ballot = _shuffled_stv(make_ballot, open_ballot)
    orders = []
    for voter in voters[:2]:
        sign_in_as(client, voter)
        first = _ranked_order(page_text(client.get(f"/ballots/{ballot.id}")))
        again = _ranked_order(page_text(client.get(f"/ballots/{ballot.id}")))
        assert sorted(first) == sorted(NAMES) and first == again
        # the order is the model's, for this member
        assert first == [o.labels["en"] for o in ballot.options_for(voter.member.id)]
        orders.append(first)
    # 8 options: two voters share an order once in 40,320 draws; these two members do not
    assert orders[0] != orders[1]


def test_without_shuffling_everyone_sees_the_ballot_order(db, make_ballot, open_ballot, voters):
    ballot = open_ballot(make_ballot(method="stv", seats=2, options=[texts(name[:-5]) for name in NAMES]))
    for voter in voters:
        assert [o.labels["en"] for o in ballot.options_for(voter.member.id)] == NAMES


def test_a_ranking_on_a_shuffled_paper_is_stored_by_option(client, db, make_ballot, open_ballot, voters):
    from governance.votes.models import BoxEntry

    ballot = _shuffled_stv(make_ballot, open_ballot)
    voter = voters[0]
    sign_in_as(client, voter)
    by_name = {o.labels["en"]: o.id for o in ballot.options}
    data = {f"rank_{by_name['Greet (en)']}": "1", f"rank_{by_name['Ana (en)']}": "2"}
    assert client.post(f"/ballots/{ballot.id}/vote", data=dict(data)).status_code == 200
    response = client.post(f"/ballots/{ballot.id}/vote/confirm", data={**data, "confirm": "1"})
    assert response.status_code == 200
    entry = db.session.query(BoxEntry).filter_by(ballot_id=ballot.id).one()
    assert [int(x) for x in entry.choice] == [by_name['Greet (en)'], by_name['Ana (en)']]
