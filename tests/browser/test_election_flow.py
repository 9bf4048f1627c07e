"""A board election in a real browser, as the people involved do it: a member submits a candidacy through the
election's page; after the deadline the board member of the branch accepts the candidacies on the review page,
freezes the list and opens the vote; members vote on the ballot's page (ranked ballot paper, confirmation,
receipt); the ballot closes; the result page shows the stages of the STV count, with the gender rule's effect
explained, and, once the board member confirms the result, the new board.

Each person has their own browser context on the live server; every page they reach is checked like the crawl's
(axe-core, language, title, one h1) and saved with a screenshot in test-artifacts/browser/. The board of the
Netherlands and its election are made for this test in the live server's database, so the demo boards the crawl
visits stay as they are. "After the deadline" is reached by moving the election's deadline, in that database, to a
minute ago; the ballot is closed through the ballot operations against the same database.
"""
from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.browser.support import PHONE, Persona, Visit, check_page

pytestmark = pytest.mark.browser

TITLE = "Browser flow board election"


@pytest.fixture(scope="module")
def people(live_server):
    """Members of the Netherlands with accounts (English): a board member of the branch, the candidate who stands in
    the browser, two other candidates (their candidacies entered through the operations) and four voters; the
    board of the Netherlands (3 seats) and its election in its call for candidates (2 seats, at least one woman)."""
    from sqlalchemy import select

    from governance.accounts import operations as account_ops
    from governance.accounts.models import Account, Role
    from governance.core.db_types import utcnow
    from governance.demo import DEMO_PASSWORD
    from governance.elections import operations as ops
    from governance.elections import queries
    from governance.extensions import db
    from governance.members.models import Branch, Member

    names = (("board", "Bea", "Bestuur"), ("cora", "Cora", "Kandidaat"), ("daan", "Daan", "Dekker"),
             ("erik", "Erik", "Egberts"), ("v1", "Vera", "Visser"), ("v2", "Wim", "Wolters"),
             ("v3", "Xander", "Xu"), ("v4", "Yara", "Yilmaz"))
    app = live_server.app
    now = utcnow()
    with app.app_context():
        admin = db.session.execute(select(Account).where(Account.email == "admin@demo.coop")).scalar_one()
        nl = db.session.execute(select(Branch).where(Branch.code == "NL")).scalar_one()
        found = {}
        for n, (key, first, last) in enumerate(names):
            member = Member(number=f"NL-EL-{n}", branch=nl, first_name=first, last_name=last,
                            email=f"el.{key}@demo.coop", language="en", status="active",
                            joined_on=dt.date(2020, 1, 1))
            db.session.add(member)
            db.session.flush()
            account = account_ops.create_account(email=member.email, display_name=member.full_name,
                                                 password=DEMO_PASSWORD, language="en", member=member, actor=admin)
            if key == "board":
                account_ops.grant_role(account, Role.board_member, branch=nl, actor=admin)
            found[key] = (account, member)
        board = queries.board_for(nl) or ops.create_board(actor=admin, branch=nl, seats=3, term_years=3)
        election = ops.create_election(
            board, actor=admin, titles={"en": TITLE, "nl": "Bestuursverkiezing van de browsertest"},
            original_language="en", seats=2, candidacy_opens_at=now - dt.timedelta(hours=1),
            candidacy_deadline=now + dt.timedelta(days=10), voting_opens_at=now + dt.timedelta(days=12),
            voting_closes_at=now + dt.timedelta(days=20), term_starts_on=dt.date.today(),
            term_ends_on=dt.date.today() + dt.timedelta(days=3 * 365), now=now)
        ops.set_constraints(election, [("gender", "woman", 1, None)], actor=admin)
        ops.open_call(election, actor=admin, now=now)
        for key, gender in (("daan", "man"), ("erik", "man")):
            account, member = found[key]
            ops.submit_candidacy(election, member, actor=account, statements={"en": f"I am {member.full_name}."},
                                 profiles={"en": "A baker."}, original_language="en", gender=gender, now=now)
        db.session.commit()
        data = {key: dict(persona=Persona(f"el-{key}", account.email, "en", "en-GB,en;q=0.9"), member_id=member.id,
                          name=member.full_name)
                for key, (account, member) in found.items()}
        data["election"] = election.id
        data["admin"] = admin.id
        db.session.remove()
    return data


@pytest.fixture
def open_as(new_context):
    contexts = []

    def make(persona):
        context = new_context(persona, **PHONE)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def checked(page, response, persona, name, axe_source, artifacts_dir):
    visit = Visit(persona.key, page.url, status=response.status if response else 200, outcome="checked")
    check_page(page, response, persona, visit, name, axe_source, artifacts_dir)
    assert not visit.problems, f"{name}: {visit.problems}"


def submit(page, locator):
    with page.expect_navigation() as navigation:
        locator.click()
    return navigation.value


def main_text(page) -> str:
    return page.locator("main").inner_text()


def _after_the_deadline(live_server, election_id: int) -> None:
    """Move the deadline to a minute ago and the vote to now (the list may be frozen and the vote opened)."""
    from governance.core.db_types import utcnow
    from governance.elections.models import Election
    from governance.extensions import db

    with live_server.app.app_context():
        election = db.session.get(Election, election_id)
        now = utcnow()
        election.candidacy_deadline = now - dt.timedelta(minutes=1)
        election.voting_opens_at = now - dt.timedelta(seconds=30)
        db.session.commit()
        db.session.remove()


def _vote_with_the_operations(live_server, election_id: int, rankings: dict[int, list[str]]) -> None:
    """Members vote without a browser: ``rankings`` maps a member id to the candidates' names in order."""
    from governance.elections import queries
    from governance.elections.models import Election
    from governance.extensions import db
    from governance.members.models import Member
    from governance.votes import operations as vote_ops
    from governance.votes.models import Ballot

    with live_server.app.app_context():
        election = db.session.get(Election, election_id)
        ballot = db.session.get(Ballot, election.ballot_id)
        option = {c.member.full_name: c.option_id for c in queries.candidacies_of(election, states=["accepted"])}
        for member_id, names in rankings.items():
            member = db.session.get(Member, member_id)

            class Voter:
                id = None

            Voter.member = member
            vote_ops.cast_vote(ballot, member, [option[name] for name in names], actor=Voter())
        db.session.commit()
        db.session.remove()


def _close_the_ballot(live_server, election_id: int, admin_id: int) -> None:
    from governance.accounts.models import Account
    from governance.elections.models import Election
    from governance.extensions import db
    from governance.votes import operations as vote_ops
    from governance.votes.models import Ballot

    with live_server.app.app_context():
        election = db.session.get(Election, election_id)
        vote_ops.close_ballot(db.session.get(Ballot, election.ballot_id), actor=db.session.get(Account, admin_id))
        db.session.commit()
        db.session.remove()


def _vote_in_the_browser(page, ballot_path: str, ranking: list[str]) -> None:
    page.goto(ballot_path)
    paper = page.locator("main form.ballot-paper")
    for rank, name in enumerate(ranking, start=1):
        paper.get_by_label(name, exact=True).select_option(str(rank))
    submit(page, paper.locator("[type=submit]"))
    submit(page, page.locator("main button[name=confirm]"))
    assert page.locator("main .receipt-code code").count() == 1


def test_stand_review_freeze_vote_result_and_new_board(people, open_as, live_server, axe_source, artifacts_dir):
    election_id = people["election"]
    election_path = f"/boards/elections/{election_id}"
    cora, board = people["cora"], people["board"]

    # --- a member submits a candidacy from the election's page ---
    page = open_as(cora["persona"])
    response = page.goto(election_path)
    checked(page, response, cora["persona"], "el-election-call", axe_source, artifacts_dir)
    assert "Daan Dekker" in main_text(page) and "I am Daan Dekker." in main_text(page)
    page.get_by_role("link", name="Stand as a candidate").click()
    page.wait_for_load_state()
    checked(page, None, cora["persona"], "el-candidacy-form", axe_source, artifacts_dir)
    form = page.locator("main form")
    form.locator("#original_language").select_option("en")
    form.locator("#statement_en").fill("I will make the board's minutes **public**.")
    form.locator("#profile_en").fill("Nurse in Utrecht.")
    form.locator("#gender").select_option("woman")
    response = submit(page, form.get_by_role("button", name="Submit my candidacy"))
    checked(page, response, cora["persona"], "el-candidacy-submitted", axe_source, artifacts_dir)
    assert "State of your candidacy: Submitted." in main_text(page)
    assert "Cora Kandidaat" in main_text(page)

    # --- after the deadline the board member accepts every candidacy, freezes the list, opens the vote ---
    _after_the_deadline(live_server, election_id)
    manager = open_as(board["persona"])
    response = manager.goto(f"{election_path}/review")
    checked(manager, response, board["persona"], "el-review", axe_source, artifacts_dir)
    for name in ("Cora Kandidaat", "Daan Dekker", "Erik Egberts"):
        card = manager.locator("main section.card", has_text=name)
        card.get_by_label("Accept", exact=True).check()
        submit(manager, card.get_by_role("button", name="Record the decision"))
        assert f"The candidacy of {name} has been accepted." in manager.locator("body").inner_text()
    manager.goto(f"{election_path}/freeze")
    checked(manager, None, board["persona"], "el-freeze", axe_source, artifacts_dir)
    response = submit(manager, manager.locator("main").get_by_role("button", name="Freeze the list now"))
    checked(manager, response, board["persona"], "el-frozen", axe_source, artifacts_dir)
    assert re.search(r"starting from the letter [A-Z]", main_text(manager))
    manager.goto(f"{election_path}/open-voting")
    response = submit(manager, manager.locator("main").get_by_role("button", name="Open the vote now"))
    assert "The vote is open" in manager.locator("body").inner_text()

    # --- members vote on the ballot's page ---
    page.goto(election_path)
    link = page.locator("main").get_by_role("link", name="Go to the ballot to vote")
    ballot_path = re.sub(r"^https?://[^/]+", "", link.get_attribute("href"))
    _vote_in_the_browser(page, ballot_path, ["Cora Kandidaat", "Erik Egberts"])
    checked(page, None, cora["persona"], "el-receipt", axe_source, artifacts_dir)
    voter = open_as(people["v1"]["persona"])
    _vote_in_the_browser(voter, ballot_path, ["Daan Dekker", "Erik Egberts"])
    _vote_with_the_operations(live_server, election_id, {
        people["v2"]["member_id"]: ["Daan Dekker", "Erik Egberts"],
        people["v3"]["member_id"]: ["Daan Dekker", "Erik Egberts"],
        people["v4"]["member_id"]: ["Erik Egberts", "Daan Dekker"],
        people["board"]["member_id"]: ["Erik Egberts", "Daan Dekker"]})

    # --- the ballot closes; the result page shows the stages and the rule's effect ---
    _close_the_ballot(live_server, election_id, people["admin"])
    response = page.goto(f"{election_path}/result")
    assert response.status == 200
    checked(page, response, cora["persona"], "el-result-counted", axe_source, artifacts_dir)
    text = main_text(page)
    assert "Stages of the count" in text and "Stage 1" in text and "Stage 2" in text
    assert "Quota: 3 votes (6 valid ballot papers)." in text
    assert "These rules changed the count" in text
    elected = page.locator("main ol.elected li").all_inner_texts()
    assert elected == ["Daan Dekker", "Cora Kandidaat"], elected

    # --- the board member confirms: the mandates exist, the result page shows the new board ---
    manager.goto(f"{election_path}/result")
    response = submit(manager, manager.locator("main").get_by_role("button",
                                                                   name="Confirm the result and create the mandates"))
    checked(manager, response, board["persona"], "el-result-confirmed", axe_source, artifacts_dir)
    new_board = manager.locator("main section:has(#new-board)").inner_text()
    assert "Cora Kandidaat" in new_board and "Daan Dekker" in new_board and "Erik Egberts" not in new_board
    response = page.goto("/boards/")
    checked(page, response, cora["persona"], "el-boards", axe_source, artifacts_dir)
    assert not live_server.errors, live_server.errors
