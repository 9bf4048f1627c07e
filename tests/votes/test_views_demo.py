"""The demo ballots: made through the operations, and every ballot page renders for the member persona and the
administrator (the browser crawl visits them with the same data)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from governance.votes.models import Ballot, BoxEntry, Participation
from tests.votes.views_support import _no_second_factor_for_staff, page_text  # noqa: F401


@pytest.fixture
def demo(app, db):
    from governance.demo import load_demo

    summary = load_demo()
    db.session.commit()
    return summary


def _sign_in(client, email: str) -> None:
    from governance.demo import DEMO_PASSWORD

    client.post("/account/sign-out")
    response = client.post("/account/sign-in", data={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.data[:500]


def test_the_demo_has_ballots_in_every_state(demo, db):
    assert demo["ballots"] == 4
    states = dict(db.session.execute(select(Ballot.state, func.count()).group_by(Ballot.state)).all())
    # the demo's ballots, and the closed ballot of the group board's demo election
    assert states == {"open": 2, "closed": 2, "draft": 1}
    closed = db.session.execute(select(Ballot).where(Ballot.state == "closed").order_by(Ballot.id)
                                .limit(1)).scalar_one()
    assert closed.method == "stv" and closed.result["count"]["elected"]
    papers = db.session.execute(select(func.count()).select_from(BoxEntry)).scalar_one()
    voted = db.session.execute(select(func.count()).select_from(Participation)).scalar_one()
    assert 50 < voted < 400
    assert papers <= voted  # (roll-call votes have no paper in the box)


def test_the_demo_ballot_pages_render(demo, client, db):
    ballots = {b.state + ":" + b.method: b for b in db.session.execute(select(Ballot)).scalars()}
    secret, roll_call = ballots["open:yna"], ballots["open:plurality"]
    closed, draft = ballots["closed:stv"], ballots["draft:yna"]
    _sign_in(client, "an.peeters@demo.coop")
    listing = page_text(client.get("/ballots/"))
    assert f'href="/ballots/{secret.id}"' in listing and f'href="/ballots/{roll_call.id}"' in listing
    for ballot in (secret, roll_call):
        page = page_text(client.get(f"/ballots/{ballot.id}"))
        assert "ballot-paper" in page, ballot
    assert client.get(f"/ballots/{closed.id}/results").status_code == 200
    # a scheduled draft is announced to the members it is for (in An's language); only its organisers change it
    assert "Deze stemming opent volgens planning op" in page_text(client.get(f"/ballots/{draft.id}"))
    assert client.get(f"/ballots/{draft.id}/edit").status_code == 403
    _sign_in(client, "admin@demo.coop")
    assert "Still missing before the ballot can open" in page_text(client.get(f"/ballots/{draft.id}"))
    for path in (f"/ballots/{draft.id}/edit", f"/ballots/{draft.id}/open", f"/ballots/{secret.id}/close",
                 f"/ballots/{secret.id}/extend", f"/ballots/{secret.id}/annul", "/ballots/new",
                 f"/ballots/{closed.id}/results"):
        assert client.get(path).status_code == 200, path
    results = page_text(client.get(f"/ballots/{closed.id}/results"))
    assert "Stages of the count" in results and "By branch" in results
