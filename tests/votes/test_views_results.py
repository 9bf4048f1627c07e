"""The list of ballots, a ballot's page as a reader sees it, the home page section, putting a proposal to a
vote, and the result page: hidden before the close, the figures and sentences after it, the breakdown, the
audit fingerprints, the downloads (electorate and organisers only) and the receipt check."""
from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

from governance.core.audit import latest_hash
from governance.proposals.models import Proposal, ProposalState
from governance.votes import operations as ops
from governance.votes.models import Ballot
from tests.votes.views_support import (  # noqa: F401  (fixtures)
    _no_second_factor_for_staff,
    admin,
    ballot_email_templates,
    be,
    close,
    count,
    fr,
    make_ballot,
    make_workgroup,
    member_account,
    open_ballot,
    open_yna,
    page_text,
    receipt_in,
    sign_in_as,
    voters,
)


def vote_through_pages(client, ballot, account, data) -> str | None:
    """Sign in as ``account``, cast ``data`` with the confirmation; the receipt code (secret ballots)."""
    sign_in_as(client, account)
    response = client.post(f"/ballots/{ballot.id}/vote/confirm", data={**data, "confirm": "1"})
    assert response.status_code in (200, 303), page_text(response)[:2000]
    return receipt_in(page_text(response))


# --- the list and the ballot page ------------------------------------------------------------------
def test_the_list_shows_what_the_reader_may_vote_in(client, db, make_ballot, open_ballot, voters, fr, admin):
    open_one = open_ballot(make_ballot())
    draft = make_ballot(questions={"en": "A draft", "nl": "Een ontwerp", "fr": "Un projet"})
    french = make_ballot(branches=[fr], questions={"en": "French only", "fr": "Seulement en France"})
    sign_in_as(client, voters[0])
    page = page_text(client.get("/ballots/"))
    assert page.count("<h1") == 1
    assert f'href="/ballots/{open_one.id}"' in page and "you have not voted yet" in page
    assert "A draft" not in page and "French only" not in page
    vote_through_pages(client, open_one, voters[0], {"vote": "yes"})
    assert "you have voted" in page_text(client.get("/ballots/"))
    home = page_text(client.get("/"))
    assert "Ballots open to you" in home and f'href="/ballots/{open_one.id}"' in home
    sign_in_as(client, admin)
    page = page_text(client.get("/ballots/"))
    assert "Drafts you organise" in page and f'href="/ballots/{draft.id}"' in page
    assert f'href="/ballots/{french.id}"' in page and "New ballot" in page


def test_the_list_takes_the_same_number_of_queries_for_more_ballots(client, db, make_ballot, open_ballot, voters,
                                                                    count_queries, close):
    def queries() -> int:
        with count_queries() as counter:
            assert client.get("/ballots/").status_code == 200
        return counter.count

    for _ in range(2):
        close(open_ballot(make_ballot()))
    open_ballot(make_ballot())
    sign_in_as(client, voters[0])
    few = queries()
    for _ in range(6):
        close(open_ballot(make_ballot(method="plurality")))
        open_ballot(make_ballot(method="stv"))
    assert queries() == few
    assert few <= 25, few


def test_the_list_is_paginated(client, db, make_ballot, open_ballot, voters, close):
    for n in range(22):
        close(open_ballot(make_ballot(questions={"en": f"Question {n:02d}", "nl": "Vraag", "fr": "Question"})))
    sign_in_as(client, voters[0])
    first = page_text(client.get("/ballots/"))
    assert "Page 1 of 2" in first and 'href="/ballots/?page=2"' in first
    second = page_text(client.get("/ballots/?page=2"))
    assert "Page 2 of 2" in second and second.count('class="ballot-list"') == 1


def test_the_ballot_page_in_the_readers_language(client, db, make_ballot, open_ballot, member_account, be, voters):
    dutch = member_account(be, language="nl")
    ballot = open_ballot(make_ballot(method="plurality", questions={"en": "Which van?", "nl": "Welk busje?",
                                                                    "fr": "Quelle camionnette ?"},
                                     options=[{"en": "Red", "nl": "Rood", "fr": "Rouge"},
                                              {"en": "Blue", "nl": "Blauw", "fr": "Bleu"}]))
    sign_in_as(client, dutch)
    page = page_text(client.get(f"/ballots/{ballot.id}"))
    assert "<h1>Welk busje?</h1>" in page and "Rood" in page
    assert f'href="/ballots/{ballot.id}?lang=fr"' in page
    french_version = page_text(client.get(f"/ballots/{ballot.id}?lang=fr"))
    assert '<h1 lang="fr">Quelle camionnette ?</h1>' in french_version and "Rouge" in french_version


def test_the_ballot_page_shows_turnout_and_the_readers_place(client, db, open_yna, voters, member_account, be):
    vote_through_pages(client, open_yna, voters[0], {"vote": "no"})
    sign_in_as(client, voters[1])
    page = page_text(client.get(f"/ballots/{open_yna.id}"))
    assert "1 of the 3 members on the electoral roll have voted." in page
    assert "<meter" in page and 'style="' not in page
    assert "You are on the electoral roll of this ballot." in page
    assert "Each member answers yes, no or abstains" in page


def test_a_fallback_text_says_its_original_language(client, db, open_ballot, voters, admin, be,
                                                    ballot_email_templates):
    ballot = open_ballot(ops.create_ballot(actor=admin, questions={"nl": "Zullen we?", "fr": "Allons-nous ?"},
                                           original_language="nl", branch_ids={be.id}))
    sign_in_as(client, voters[0])  # reads English
    page = page_text(client.get(f"/ballots/{ballot.id}"))
    assert "This ballot does not exist in your language yet: it is shown in its original language, Dutch." in page
    assert '<h1 lang="nl">Zullen we?</h1>' in page


# --- putting a proposal to a vote ------------------------------------------------------------------
@pytest.fixture
def ready(db, be, member_account, make_workgroup):
    facilitator = member_account(be)
    members = [member_account(be) for _ in range(3)]
    workgroup = make_workgroup(branches=[be], facilitators=[facilitator], members=members)
    proposal = Proposal(workgroup_id=workgroup.id, workgroup=workgroup, author_id=members[0].member.id,
                        titles={"en": "Share the vans", "nl": "Deel de busjes", "fr": "Partager les camionnettes"},
                        bodies={"en": "Every week.", "nl": "Elke week.", "fr": "Chaque semaine."},
                        original_language="en", state=ProposalState.ready_for_vote.value)
    db.session.add(proposal)
    db.session.flush()
    return proposal, facilitator, members, workgroup


def test_a_facilitator_puts_a_proposal_to_a_vote(client, db, ready):
    proposal, facilitator, members, workgroup = ready
    page_url = f"/workgroups/{workgroup.slug}/proposals/{proposal.id}"
    sign_in_as(client, members[1])
    assert f"/ballots/proposal/{proposal.id}" not in page_text(client.get(page_url))
    assert client.get(f"/ballots/proposal/{proposal.id}").status_code == 403
    sign_in_as(client, facilitator)
    assert f'href="/ballots/proposal/{proposal.id}"' in page_text(client.get(page_url))
    response = client.post(f"/ballots/proposal/{proposal.id}",
                           data={"secrecy": "open", "quorum_kind": "none", "majority": "absolute",
                                 "result_visibility": "everyone"})
    assert response.status_code == 303
    ballot = db.session.execute(select(Ballot)).scalar_one()
    assert response.headers["Location"].endswith(f"/ballots/{ballot.id}/edit")
    assert (ballot.proposal_id, ballot.is_secret, ballot.majority, ballot.workgroup_id) == (
        proposal.id, False, "absolute", workgroup.id)
    again = client.post(f"/ballots/proposal/{proposal.id}", data={"secrecy": "secret", "quorum_kind": "none",
                                                                  "majority": "simple",
                                                                  "result_visibility": "everyone"})
    assert again.status_code == 409 and "already" in page_text(again)
    assert count(db, Ballot) == 1


# --- the result ------------------------------------------------------------------------------------
def test_no_result_before_the_close(client, db, open_yna, voters):
    vote_through_pages(client, open_yna, voters[0], {"vote": "yes"})
    for path in ("/results", "/download/results.csv", "/download/ballots.csv", "/download/receipts.txt"):
        assert client.get(f"/ballots/{open_yna.id}{path}").status_code == 404, path
    page = page_text(client.get(f"/ballots/{open_yna.id}"))
    assert "See the result" not in page and 'class="table result-table"' not in page


def test_the_result_of_a_secret_yes_no_ballot(client, db, make_ballot, open_ballot, close, voters, admin):
    ballot = open_ballot(make_ballot(quorum="share:1/2", majority="simple"))
    receipts = [vote_through_pages(client, ballot, account, {"vote": choice})
                for account, choice in zip(voters, ("yes", "yes", "no"))]
    assert all(receipts)
    close(ballot)
    sign_in_as(client, voters[0])
    response = client.get(f"/ballots/{ballot.id}/results")
    assert response.status_code == 200
    page = page_text(response)
    assert page.count("<h1") == 1 and 'style="' not in page
    assert "Adopted: the quorum and the majority were both reached." in page
    assert "Majority reached: 2 yes against 1 no." in page
    assert "reached with 3" in page
    assert '<td class="num">2</td>' in page and "66.7" in page and "33.3" in page
    assert '<meter min="0" max="3" value="2" aria-hidden="true">' in page
    assert ballot.lot_seed in page and ballot.roll_hash in page
    assert ballot.result["hashes"]["ballots"] in page and ballot.result["audit"]["hash"] in page
    assert latest_hash() in page
    assert "Too few members voted in each branch" in page  # 3 voters < k
    for kind in ("results.csv", "results.json", "ballots.csv", "receipts.txt"):
        assert f"/ballots/{ballot.id}/download/{kind}" in page
    assert "roll-call.csv" not in page and "ballots.blt" not in page

    published = client.get(f"/ballots/{ballot.id}/download/receipts.txt")
    assert published.status_code == 200 and "attachment" in published.headers["Content-Disposition"]
    assert published.get_data(as_text=True).split() == sorted(receipts)
    papers = list(csv.DictReader(io.StringIO(client.get(f"/ballots/{ballot.id}/download/ballots.csv")
                                             .get_data(as_text=True))))
    assert sorted(row["choice"] for row in papers) == ["no", "yes", "yes"]
    data = json.loads(client.get(f"/ballots/{ballot.id}/download/results.json").get_data(as_text=True))
    assert data["result"]["adopted"] is True
    assert "option:yes,2" in client.get(f"/ballots/{ballot.id}/download/results.csv").get_data(as_text=True)

    # the receipt check: found, not found, a code typed with spaces and in lower case
    found = page_text(client.post(f"/ballots/{ballot.id}/results/receipt", data={"code": receipts[0]}))
    assert "Found: this receipt code is in the published list" in found
    typed = " ".join(receipts[1][i:i + 5] for i in (0, 5)).lower()
    assert "Found:" in page_text(client.post(f"/ballots/{ballot.id}/results/receipt", data={"code": typed}))
    missing = page_text(client.post(f"/ballots/{ballot.id}/results/receipt", data={"code": "2222222222"}))
    assert "Not found: this code is not in the published list." in missing
    assert client.post(f"/ballots/{ballot.id}/results/receipt", data={"code": ""}).status_code == 422


def test_downloads_are_for_the_electorate_and_the_organisers(client, db, make_ballot, open_ballot, close, voters,
                                                            member_account, be, admin):
    ballot = open_ballot(make_ballot())
    vote_through_pages(client, ballot, voters[0], {"vote": "yes"})
    close(ballot)
    latecomer = member_account(be)  # sees the ballot and its result (everyone), is not on the roll
    sign_in_as(client, latecomer)
    assert client.get(f"/ballots/{ballot.id}/results").status_code == 200
    for kind in ("results.csv", "results.json", "ballots.csv", "receipts.txt"):
        assert client.get(f"/ballots/{ballot.id}/download/{kind}").status_code == 403, kind
    assert client.post(f"/ballots/{ballot.id}/results/receipt", data={"code": "2222222222"}).status_code == 403
    assert "Published lists" not in page_text(client.get(f"/ballots/{ballot.id}/results"))
    sign_in_as(client, admin)
    assert client.get(f"/ballots/{ballot.id}/download/receipts.txt").status_code == 200
    assert client.get(f"/ballots/{ballot.id}/download/roll-call.csv").status_code == 404  # a secret ballot


def test_a_result_for_the_electorate_only(client, db, make_ballot, open_ballot, close, voters, member_account, be):
    ballot = open_ballot(make_ballot(result_visibility="electorate"))
    close(ballot)
    sign_in_as(client, member_account(be))
    assert client.get(f"/ballots/{ballot.id}/results").status_code == 403
    assert "not published to you" in page_text(client.get(f"/ballots/{ballot.id}"))
    sign_in_as(client, voters[0])
    assert client.get(f"/ballots/{ballot.id}/results").status_code == 200


def test_the_result_of_an_stv_ballot_shows_its_stages(client, db, make_ballot, open_ballot, close, voters):
    ballot = open_ballot(make_ballot(method="stv", seats=1))
    ana, ben, cara = (o.id for o in ballot.options)
    for account, ranks in zip(voters, ({ana: 1, ben: 2}, {ben: 1}, {cara: 1, ben: 2})):
        vote_through_pages(client, ballot, account, {f"rank_{k}": str(v) for k, v in ranks.items()})
    close(ballot)
    page = page_text(client.get(f"/ballots/{ballot.id}/results"))
    assert "Stages of the count" in page and "Stage 1" in page and "Stage 2" in page
    assert "First preferences counted." in page and "is excluded." in page
    assert "Elected:" in page and "Ben (en)" in page
    assert "Quota: 2 votes (3 valid ballot papers)." in page
    assert f"/ballots/{ballot.id}/download/ballots.blt" in page
    blt = client.get(f"/ballots/{ballot.id}/download/ballots.blt").get_data(as_text=True)
    assert blt.startswith("3 1\n") and '"Ben (en)"' in blt


def test_a_roll_call_ballot_publishes_who_voted_what(client, db, make_ballot, open_ballot, close, voters):
    ballot = open_ballot(make_ballot(is_secret=False))
    vote_through_pages(client, ballot, voters[0], {"vote": "abstain"})
    close(ballot)
    page = page_text(client.get(f"/ballots/{ballot.id}/results"))
    assert "Who voted what (CSV)" in page and "Check that your ballot was counted" not in page
    rows = client.get(f"/ballots/{ballot.id}/download/roll-call.csv").get_data(as_text=True)
    assert f"{voters[0].member.number},{voters[0].member.full_name},abstain" in rows


def test_the_breakdown_groups_small_branches(client, db, app, make_ballot, open_ballot, close, be, create_branch,
                                             member_account, monkeypatch):
    monkeypatch.setitem(app.config, "BALLOT_BREAKDOWN_MIN_GROUP", 2)
    lu = create_branch("LU", required_languages=["en"])
    nl = create_branch("XN", required_languages=["en"])
    be_voters = [member_account(be) for _ in range(3)]
    lu_voters = [member_account(lu) for _ in range(1)]
    nl_voters = [member_account(nl) for _ in range(2)]
    ballot = open_ballot(make_ballot(branches=[be, lu, nl]))
    for account, choice in zip(be_voters + lu_voters + nl_voters, ("yes", "no", "yes", "no", "yes", "no")):
        ops.cast_vote(ballot, account.member, choice, actor=account)
    close(ballot)
    sign_in_as(client, be_voters[0])
    page = page_text(client.get(f"/ballots/{ballot.id}/results"))
    assert "By branch" in page and "Other branches" in page


@pytest.mark.parametrize("method, papers", [
    ("plurality", [[0], [1], [0]]),
    ("approval", [[0, 1], [1], [2, 0]]),
    ("irv", [[0, 1], [1, 0], [2, 1]]),
    ("schulze", [[0, 1, 2], [1, 0], [2, 1, 0]]),
])
def test_every_method_has_a_result_page(client, db, make_ballot, open_ballot, close, voters, method, papers):
    ballot = open_ballot(make_ballot(method=method))
    ids = [o.id for o in ballot.options]
    for account, paper in zip(voters, papers):
        choice = ids[paper[0]] if method == "plurality" else [ids[i] for i in paper]
        ops.cast_vote(ballot, account.member, choice, actor=account)
    close(ballot)
    sign_in_as(client, voters[0])
    response = client.get(f"/ballots/{ballot.id}/results")
    assert response.status_code == 200
    page = page_text(response)
    assert page.count("<h1") == 1 and "Ana (en)" in page and 'style="' not in page
    if method == "irv":
        assert "Rounds of the count" in page and "Exhausted" in page
    if method == "schulze":
        assert "Ranking" in page
    if method == "approval":
        assert "Shares are of the ballot papers" in page and "66.7" in page
