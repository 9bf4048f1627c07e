"""Casting a vote through the pages: the ballot paper, the confirmation step (nothing stored before it), the
receipt shown once, "already voted", roll-call votes that change, and the rate limit."""
from __future__ import annotations

import re

from governance.votes.models import BoxEntry, OpenVote, Participation, Receipt
from tests.votes.views_support import (  # noqa: F401  (fixtures)
    _no_second_factor_for_staff,
    admin,
    ballot_email_templates,
    be,
    count,
    fr,
    make_ballot,
    member_account,
    open_ballot,
    open_yna,
    page_text,
    receipt_in,
    sign_in_as,
    voters,
)


def url(ballot, suffix: str = "") -> str:
    return f"/ballots/{ballot.id}{suffix}"


# --- the ballot paper and the confirmation step ----------------------------------------------------
def test_a_secret_vote_is_confirmed_then_its_receipt_shown_once(client, db, open_yna, voters):
    sign_in_as(client, voters[0])
    page = page_text(client.get(url(open_yna)))
    assert "You are on the electoral roll of this ballot." in page
    assert re.search(r'<input[^>]* name="vote"[^>]* type="radio" value="yes">', page)
    assert page.count("<h1") == 1

    response = client.post(url(open_yna, "/vote"), data={"vote": "yes"})
    assert response.status_code == 200
    confirm = page_text(response)
    assert "You are about to vote:" in confirm and "<strong>Yes</strong>" in confirm
    assert "A secret vote cannot be changed." in confirm
    assert '<input type="hidden" name="vote" value="yes">' in confirm
    # nothing is stored before the confirmation
    assert count(db, Participation, ballot_id=open_yna.id) == 0
    assert count(db, BoxEntry, ballot_id=open_yna.id) == 0

    response = client.post(url(open_yna, "/vote/confirm"), data={"vote": "yes", "confirm": "1"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    receipt = receipt_in(page_text(response))
    assert receipt and len(receipt) == 10
    assert receipt not in (response.headers.get("Location") or "")
    assert count(db, Participation, ballot_id=open_yna.id) == 1
    assert count(db, BoxEntry, ballot_id=open_yna.id) == 1
    assert count(db, Receipt, ballot_id=open_yna.id) == 1

    # never shown again: not on the ballot page, and sending the confirmation again is refused
    page = page_text(client.get(url(open_yna)))
    assert receipt not in page and "You voted on" in page and 'action="/ballots/%d/vote"' % open_yna.id not in page
    again = client.post(url(open_yna, "/vote/confirm"), data={"vote": "no", "confirm": "1"})
    assert again.status_code == 409
    text = page_text(again)
    assert "You have already voted in this ballot on" in text and receipt not in text
    assert receipt_in(text) is None
    assert count(db, Participation, ballot_id=open_yna.id) == 1
    # the first step refuses too
    assert client.post(url(open_yna, "/vote"), data={"vote": "no"}).status_code == 409


def test_change_takes_the_choice_back_to_the_paper(client, db, make_ballot, open_ballot, voters):
    ballot = open_ballot(make_ballot(method="plurality"))
    ana, ben, cara = (o.id for o in ballot.options)
    sign_in_as(client, voters[0])
    response = client.post(url(ballot, "/vote/confirm"), data={"vote": str(ben), "change": "1"})
    assert response.status_code == 200
    page = page_text(response)
    assert re.search(rf'<input checked[^>]* value="{ben}">', page)
    assert page.count("checked") == 1
    assert count(db, Participation, ballot_id=ballot.id) == 0


def test_an_invalid_paper_is_refused_with_the_choice_kept(client, db, make_ballot, open_ballot, voters):
    ballot = open_ballot(make_ballot(method="approval", max_choices=2))
    ana, ben, cara = (o.id for o in ballot.options)
    sign_in_as(client, voters[0])
    response = client.post(url(ballot, "/vote"), data={"vote": [str(ana), str(ben), str(cara)]})
    assert response.status_code == 422
    page = page_text(response)
    assert "Choose at most 2 options." in page
    assert page.count("checked") == 3
    assert client.post(url(ballot, "/vote"), data={}).status_code == 422
    # a tampered confirmation is checked again
    assert client.post(url(ballot, "/vote/confirm"),
                       data={"vote": [str(ana), str(ben), str(cara)], "confirm": "1"}).status_code == 422
    assert client.post(url(ballot, "/vote/confirm"), data={"vote": "999999", "confirm": "1"}).status_code == 422
    assert count(db, Participation, ballot_id=ballot.id) == 0


def test_a_ranked_paper_and_its_confirmation_in_words(client, db, make_ballot, open_ballot, voters):
    ballot = open_ballot(make_ballot(method="stv", seats=1))
    ana, ben, cara = (o.id for o in ballot.options)
    sign_in_as(client, voters[0])
    page = page_text(client.get(url(ballot)))
    assert f'name="rank_{ana}"' in page and "Not ranked" in page
    duplicate = client.post(url(ballot, "/vote"), data={f"rank_{ana}": "1", f"rank_{ben}": "1"})
    assert duplicate.status_code == 422
    assert "Rank 1 is given to several options" in page_text(duplicate)
    assert client.post(url(ballot, "/vote"), data={}).status_code == 422
    response = client.post(url(ballot, "/vote"), data={f"rank_{cara}": "1", f"rank_{ana}": "2"})
    assert response.status_code == 200
    confirm = page_text(response)
    assert '<ol class="choice"><li>Cara (en)</li><li>Ana (en)</li></ol>' in confirm
    done = client.post(url(ballot, "/vote/confirm"), data={f"rank_{cara}": "1", f"rank_{ana}": "2", "confirm": "1"})
    assert done.status_code == 200 and receipt_in(page_text(done))
    box = db.session.query(BoxEntry).filter_by(ballot_id=ballot.id).one()
    assert box.choice == [cara, ana]


def test_a_roll_call_vote_can_be_changed_until_the_close(client, db, make_ballot, open_ballot, voters):
    ballot = open_ballot(make_ballot(is_secret=False))
    sign_in_as(client, voters[0])
    response = client.post(url(ballot, "/vote/confirm"), data={"vote": "yes", "confirm": "1"})
    assert response.status_code == 303
    assert "recorded" in page_text(client.get(response.headers["Location"]))
    page = page_text(client.get(url(ballot)))
    assert "You can change your vote until the ballot closes." in page
    assert re.search(r'<input checked[^>]* value="yes">', page) and page.count("checked") == 1
    confirm = page_text(client.post(url(ballot, "/vote"), data={"vote": "no"}))
    assert "This replaces your earlier vote." in confirm
    assert client.post(url(ballot, "/vote/confirm"), data={"vote": "no", "confirm": "1"}).status_code == 303
    vote = db.session.query(OpenVote).filter_by(ballot_id=ballot.id).one()
    db.session.refresh(vote)
    assert vote.choice == "no"
    assert count(db, Participation, ballot_id=ballot.id) == 1


def test_only_members_on_the_roll_get_a_paper(client, db, open_yna, member_account, be, fr, admin):
    outsider = member_account(fr)  # France: cannot even see a Belgian ballot
    sign_in_as(client, outsider)
    assert client.get(url(open_yna)).status_code == 404
    assert client.post(url(open_yna, "/vote"), data={"vote": "yes"}).status_code == 404
    latecomer = member_account(be)  # joined after the roll was fixed: sees the ballot, cannot vote
    sign_in_as(client, latecomer)
    page = page_text(client.get(url(open_yna)))
    assert "were not entitled to vote when the ballot opened" in page
    assert 'name="vote"' not in page
    assert client.post(url(open_yna, "/vote/confirm"), data={"vote": "yes", "confirm": "1"}).status_code == 403
    sign_in_as(client, admin)  # staff without a member: reads, never votes
    assert client.post(url(open_yna, "/vote"), data={"vote": "yes"}).status_code == 403
    assert count(db, Participation, ballot_id=open_yna.id) == 0


def test_casting_is_rate_limited_per_account(client, app, db, open_yna, voters, monkeypatch):
    monkeypatch.setitem(app.config, "BALLOT_VOTE_RATE_LIMIT", "3 per hour")
    sign_in_as(client, voters[0])
    statuses = [client.post(url(open_yna, "/vote"), data={"vote": "yes"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    sign_in_as(client, voters[1])  # another account has its own allowance
    assert client.post(url(open_yna, "/vote"), data={"vote": "yes"}).status_code == 200
