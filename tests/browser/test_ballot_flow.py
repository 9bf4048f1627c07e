"""A member votes in a secret ballot in the browser: the ballot paper, the confirmation, the receipt shown once;
no second vote; after the close, the receipt is in the published list (and the check on the result page finds
it). Every page on the way is checked like the crawl's (language, title, one h1, phone width, axe-core).

The ballot is made for this test in the live server's database (France only), so the demo ballots the crawl
visits stay as they are; it is closed through the ballot operations against the same database.
"""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from tests.browser.support import PHONE, Persona, Visit, check_page

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def flow(live_server):
    """A new open secret yes/no/abstain ballot of the members of France, and a French member with an account."""
    from governance.accounts.models import Account
    from governance.core.db_types import utcnow
    from governance.extensions import db
    from governance.members.models import Branch, Member
    from governance.votes import operations as ops

    with live_server.app.app_context():
        admin = db.session.execute(select(Account).where(Account.email == "admin@demo.coop")).scalar_one()
        france = db.session.execute(select(Branch).where(Branch.code == "FR")).scalar_one()
        voter = db.session.execute(
            select(Account).join(Member, Member.id == Account.member_id)
            .where(Member.branch_id == france.id, Member.status == "active").order_by(Member.id).limit(1)
        ).scalar_one()
        ballot = ops.create_ballot(
            actor=admin, original_language="en", branch_ids={france.id}, method="yna", is_secret=True,
            questions={"en": "Shall the Lyon group rent a van?", "fr": "Le groupe de Lyon loue-t-il une camionnette ?"},
            closes_at=utcnow() + dt.timedelta(days=3))
        ops.open_ballot(ballot, actor=admin)
        db.session.commit()
        data = {"ballot": ballot.id, "email": voter.email, "language": voter.language, "admin": admin.id}
        db.session.remove()
    return data


def _close(live_server, ballot_id: int, admin_id: int) -> None:
    from governance.accounts.models import Account
    from governance.extensions import db
    from governance.votes import operations as ops
    from governance.votes.models import Ballot

    with live_server.app.app_context():
        ops.close_ballot(db.session.get(Ballot, ballot_id), actor=db.session.get(Account, admin_id))
        db.session.commit()
        db.session.remove()


def test_a_member_votes_in_secret_and_finds_their_receipt(live_server, new_context, axe_source, artifacts_dir,
                                                          flow):
    persona = Persona("ballot-voter", flow["email"], flow["language"], "fr-FR,fr;q=0.9")
    context = new_context(persona, **PHONE)
    page = context.new_page()
    problems: list[str] = []

    def check(response, name: str) -> None:
        visit = Visit(persona.key, page.url, status=response.status if response else None)
        check_page(page, response, persona, visit, name, axe_source, artifacts_dir)
        problems.extend(visit.problems)

    path = f"/ballots/{flow['ballot']}"
    try:
        # the ballot paper
        response = page.goto(path)
        assert response.status == 200
        check(response, "ballot-flow-paper")
        paper = page.locator("main form.ballot-paper")
        paper.locator("input[type=radio][value=yes]").check()
        with page.expect_navigation() as navigation:
            paper.locator("[type=submit]").click()
        # the confirmation: nothing is stored yet, the choice is carried in a hidden field
        assert navigation.value.status == 200
        check(navigation.value, "ballot-flow-confirm")
        assert page.locator("main input[type=hidden][name=vote]").get_attribute("value") == "yes"
        with page.expect_navigation() as navigation:
            page.locator("main button[name=confirm]").click()
        # the receipt, rendered from the POST that cast the vote, never kept by the browser
        receipt_response = navigation.value
        assert receipt_response.status == 200
        assert "no-store" in receipt_response.headers.get("cache-control", "")
        check(receipt_response, "ballot-flow-receipt")
        code = page.locator("main .receipt-code code").inner_text().strip()
        assert re.fullmatch(r"[0-9A-Z]{10}", code), code
        assert code not in page.url

        # no second vote: no ballot paper any more, the receipt is not shown again, a replay is refused
        response = page.goto(path)
        assert response.status == 200
        assert page.locator("main form.ballot-paper").count() == 0
        assert page.locator("main .voted").count() == 1
        assert code not in page.content()
        token = page.locator("input[name=csrf_token]").first.get_attribute("value")
        replay = page.request.post(f"{path}/vote/confirm", form={"csrf_token": token, "vote": "no", "confirm": "1"})
        assert replay.status == 409
        assert code not in replay.text()

        # after the close: the result page, the receipt check, the published list of receipts
        _close(live_server, flow["ballot"], flow["admin"])
        response = page.goto(f"{path}/results")
        assert response.status == 200
        check(response, "ballot-flow-results")
        lookup = page.locator("main form:has(input[name=code])")
        lookup.locator("input[name=code]").fill(code.lower())
        with page.expect_navigation() as navigation:
            lookup.locator("[type=submit]").click()
        assert navigation.value.status == 200
        assert page.locator("main .flash-success").count() == 1
        check(navigation.value, "ballot-flow-receipt-found")
        link = page.locator(f"main a[href$='{path}/download/receipts.txt']")
        assert link.count() == 1
        published = page.request.get(link.get_attribute("href"))
        assert published.status == 200
        assert code in published.text().split()
    finally:
        page.close()
        context.close()
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)
