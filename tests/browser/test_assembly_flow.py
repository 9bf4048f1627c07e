"""A general assembly in a real browser, as the people involved do it: a board member convenes it through the
assembly pages (definition, a resolution on the agenda, the convocation); a member gives their proxy to another;
on the day, the secretary of the assembly opens the session and checks members in at the desk; the chair opens
the vote on the resolution; the proxy holder votes twice (for themselves and for their grantor); the chair closes
the vote, the session closes, and the minutes the secretary generates show the result.

Each person has their own browser context on the live server; the pages they reach are checked like the crawl's
(axe-core, language, title, one h1). "On the day" is reached by moving the assembly's date, in the live server's
database, to a few minutes ago (the notice period forbids convening an assembly for today)."""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from tests.browser.support import PHONE, Persona, Visit, check_page

pytestmark = pytest.mark.browser

TITLE = "Browser flow assembly"


@pytest.fixture(scope="module")
def people(live_server):
    """Belgian members with accounts: a board member of Belgium, a grantor, a holder, two more members, and a
    member who will be the assembly's secretary and one its chair (roles given once the assembly exists)."""
    from governance.accounts import operations as account_ops
    from governance.accounts.models import Account, Role
    from governance.demo import DEMO_PASSWORD
    from governance.extensions import db
    from governance.members.models import Branch, Member
    from sqlalchemy import select

    names = (("board", "Bea", "Bestuur"), ("grantor", "Greta", "Geeft"), ("holder", "Hugo", "Houder"),
             ("cleo", "Cleo", "Claes"), ("dirk", "Dirk", "Dewulf"), ("secretary", "Sara", "Schrijver"),
             ("chair", "Karel", "Voorzitter"))
    app = live_server.app
    with app.app_context():
        admin = db.session.execute(select(Account).where(Account.email == "admin@demo.coop")).scalar_one()
        be = db.session.execute(select(Branch).where(Branch.code == "BE")).scalar_one()
        found = {}
        for n, (key, first, last) in enumerate(names):
            member = Member(number=f"BE-GA-{n}", branch=be, first_name=first, last_name=last,
                            email=f"ga.{key}@demo.coop", language="en", status="active",
                            joined_on=dt.date(2023, 1, 1), email_consent_dt=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
            db.session.add(member)
            db.session.flush()
            account = account_ops.create_account(email=member.email, display_name=member.full_name,
                                                 password=DEMO_PASSWORD, language="en", member=member, actor=admin)
            if key == "board":
                account_ops.grant_role(account, Role.board_member, branch=be, actor=admin)
            found[key] = (account.email, member.id, member.number, member.full_name)
        db.session.commit()
        db.session.remove()
    return {key: dict(persona=Persona(f"ga-{key}", email, "en", "en-GB,en;q=0.9"), member_id=member_id,
                      number=number, name=name)
            for key, (email, member_id, number, name) in found.items()}


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


def _path(page) -> str:
    return re.sub(r"^https?://[^/]+", "", page.url).split("#")[0].split("?")[0]


def _fill_if_present(page, selector: str, value: str) -> None:
    field = page.locator(selector)
    if field.count():
        field.fill(value)


def _on_the_day(live_server, assembly_id: int) -> None:
    """Move the assembly's date to a few minutes ago (its day has come)."""
    from governance.assemblies.models import Assembly
    from governance.core.db_types import utcnow
    from governance.extensions import db

    with live_server.app.app_context():
        assembly = db.session.get(Assembly, assembly_id)
        assembly.starts_at = utcnow() - dt.timedelta(minutes=5)
        assembly.ends_at = None
        db.session.commit()
        db.session.remove()


def _give_role(live_server, assembly_id: int, role: str, member_id: int) -> None:
    from sqlalchemy import select

    from governance.accounts.models import Account
    from governance.assemblies import operations as ops
    from governance.assemblies.models import Assembly
    from governance.extensions import db
    from governance.members.models import Member

    with live_server.app.app_context():
        admin = db.session.execute(select(Account).where(Account.email == "admin@demo.coop")).scalar_one()
        ops.add_role(db.session.get(Assembly, assembly_id), actor=admin, role=role,
                     member=db.session.get(Member, member_id))
        db.session.commit()
        db.session.remove()


def test_convene_proxy_check_in_vote_and_minutes(people, open_as, live_server, axe_source, artifacts_dir):
    board, grantor, holder = people["board"], people["grantor"], people["holder"]
    secretary, chair = people["secretary"], people["chair"]

    # --- a board member convenes the assembly through the assembly pages ---
    page = open_as(board["persona"])
    page.goto("/assemblies/new")
    form = page.locator("main form")
    form.locator("#original_language").select_option("en")
    for code, title in (("en", TITLE), ("nl", "Vergadering van de browsertest"),
                        ("fr", "Assemblée du test de navigateur"), ("de", "Versammlung des Browsertests")):
        _fill_if_present(page, f"#title_{code}", title)
    zone = ZoneInfo("Europe/Brussels")
    day = dt.datetime.now(zone).date() + dt.timedelta(days=20)
    form.locator("#starts_at").fill(f"{day.isoformat()}T10:00")
    form.locator("#online_url").fill("https://meet.demo.coop/browser-flow")
    form.locator("#vote_cap_numerator").fill("1")
    form.locator("#vote_cap_denominator").fill("2")
    response = submit(page, form.locator("[type=submit]").first)
    assert response.status == 200, main_text(page)[:500]
    assembly_path = _path(page)
    match = re.fullmatch(r"/assemblies/(\d+)", assembly_path)
    assert match, assembly_path
    assembly_id = int(match[1])

    page.goto(f"/assemblies/{assembly_id}/agenda/new")
    form = page.locator("main form")
    form.get_by_label("Resolution", exact=True).check()
    form.locator("#original_language").select_option("en")
    for code, (title, text) in {
            "en": ("Buy a cargo bike", "The assembly decides to buy a cargo bike."),
            "nl": ("Een bakfiets kopen", "De vergadering beslist een bakfiets te kopen."),
            "fr": ("Acheter un vélo cargo", "L'assemblée décide d'acheter un vélo cargo."),
            "de": ("Ein Lastenrad kaufen", "Die Versammlung beschließt, ein Lastenrad zu kaufen.")}.items():
        _fill_if_present(page, f"#title_{code}", title)
        _fill_if_present(page, f"#resolution_{code}", text)
    response = submit(page, form.locator("[type=submit]").first)
    assert response.status == 200, main_text(page)[:500]
    assert "Buy a cargo bike" in main_text(page)

    page.goto(f"/assemblies/{assembly_id}/convocation")
    response = submit(page, page.locator("main form").get_by_role("button", name="Send the convocation"))
    assert response.status == 200, main_text(page)[:500]
    assert "Delivery log of the convocation" in main_text(page)

    _give_role(live_server, assembly_id, "secretary", secretary["member_id"])
    _give_role(live_server, assembly_id, "chair", chair["member_id"])

    # --- a member gives their proxy to another member ---
    member_page = open_as(grantor["persona"])
    member_page.goto(f"/assemblies/{assembly_id}")
    member_page.get_by_role("link", name="Register, or give a proxy").click()
    member_page.wait_for_load_state()
    checked(member_page, None, grantor["persona"], "ga-registration", axe_source, artifacts_dir)
    form = member_page.locator("main form:has(input[name=mode])")
    form.get_by_label("I give my proxy to another member on the roll").check()
    form.locator("#holder_number").fill(holder["number"])
    response = submit(member_page, form.get_by_role("button", name="Save my registration"))
    checked(member_page, response, grantor["persona"], "ga-proxy-given", axe_source, artifacts_dir)
    assert f"{holder['name']} (member {holder['number']}) carries your proxy." in main_text(member_page)

    holder_page = open_as(holder["persona"])
    holder_page.goto(f"/assemblies/{assembly_id}/registration")
    assert "You represent" in main_text(holder_page) and grantor["name"] in main_text(holder_page)

    # --- on the day: the secretary opens the session and checks members in ---
    _on_the_day(live_server, assembly_id)
    desk = open_as(secretary["persona"])
    desk.goto(f"/assemblies/{assembly_id}/session")
    response = submit(desk, desk.locator("main").get_by_role("button", name="Open the session"))
    checked(desk, response, secretary["persona"], "ga-session-open", axe_source, artifacts_dir)
    assert "In session" in main_text(desk)
    for key in ("holder", "cleo", "dirk"):
        desk.goto(f"/assemblies/{assembly_id}/session/desk")
        search = desk.locator("main form[role=search]")
        search.locator("#q").fill(people[key]["number"])
        submit(desk, search.get_by_role("button", name="Search"))
        row = desk.locator("main tbody tr", has_text=people[key]["name"])
        response = submit(desk, row.get_by_role("button", name="Check in (online)"))
        assert f"{people[key]['name']} is checked in." in desk.locator("body").inner_text()
    checked(desk, response, secretary["persona"], "ga-check-in-desk", axe_source, artifacts_dir)
    desk.goto(f"/assemblies/{assembly_id}/session")
    assert re.search(r"Represented by proxy\s*1", main_text(desk))
    assert re.search(r"Present or represented\s*4", main_text(desk))

    # --- the chair opens the vote ---
    chair_page = open_as(chair["persona"])
    chair_page.goto(f"/assemblies/{assembly_id}/session")
    response = submit(chair_page, chair_page.locator("main").get_by_role("button", name="Open the vote"))
    checked(chair_page, response, chair["persona"], "ga-vote-open", axe_source, artifacts_dir)
    assert "The vote is open." in main_text(chair_page)

    # --- the holder votes twice: for themselves and for their grantor ---
    holder_page.goto(f"/assemblies/{assembly_id}/session")
    checked(holder_page, None, holder["persona"], "ga-ballot-paper", axe_source, artifacts_dir)
    paper = holder_page.locator("main form.ballot-paper")
    paper.locator(f"input[name=member_{holder['member_id']}][value=yes]").check()
    paper.locator(f"input[name=member_{grantor['member_id']}][value=yes]").check()
    response = submit(holder_page, paper.get_by_role("button", name="Continue"))
    checked(holder_page, response, holder["persona"], "ga-confirm-vote", axe_source, artifacts_dir)
    assert f"For {grantor['name']} (proxy): Yes" in main_text(holder_page)
    response = submit(holder_page, holder_page.locator("main").get_by_role("button", name="Confirm my vote"))
    checked(holder_page, response, holder["persona"], "ga-receipts", axe_source, artifacts_dir)
    assert holder_page.locator("main code.receipt-code").count() == 2

    # another member votes no
    cleo_page = open_as(people["cleo"]["persona"])
    cleo_page.goto(f"/assemblies/{assembly_id}/session")
    paper = cleo_page.locator("main form.ballot-paper")
    paper.locator(f"input[name=member_{people['cleo']['member_id']}][value=no]").check()
    submit(cleo_page, paper.get_by_role("button", name="Continue"))
    submit(cleo_page, cleo_page.locator("main").get_by_role("button", name="Confirm my vote"))

    # --- the chair closes the vote, then the session ---
    chair_page.goto(f"/assemblies/{assembly_id}/session")
    response = submit(chair_page, chair_page.locator("main").get_by_role("button", name="Close the vote"))
    checked(chair_page, response, chair["persona"], "ga-vote-closed", axe_source, artifacts_dir)
    text = main_text(chair_page)
    assert "Majority reached: 2 yes against 1 no." in text and "Adopted" in text
    response = submit(chair_page, chair_page.locator("main").get_by_role("button", name="Close the session"))
    assert "The session is closed." in chair_page.locator("body").inner_text()

    # --- the secretary generates the minutes: they show the result ---
    desk.goto(f"/assemblies/{assembly_id}/minutes")
    response = submit(desk, desk.locator("main").get_by_role("button", name="Generate the draft"))
    checked(desk, response, secretary["persona"], "ga-minutes", axe_source, artifacts_dir)
    # the minutes are written in Belgium's required languages (Dutch and French), each in its language
    expected = {}
    with live_server.app.test_request_context():
        from flask_babel import force_locale, gettext

        for code in ("nl", "fr"):
            with force_locale(code):
                expected[code] = (gettext("Yes"), gettext("No"), gettext("Adopted"))
    for code, title in (("nl", "Een bakfiets kopen"), ("fr", "Acheter un vélo cargo")):
        desk.goto(f"/assemblies/{assembly_id}/minutes?lang={code}")
        minutes = main_text(desk)
        yes, no, adopted = expected[code]
        assert title in minutes
        assert f"{yes}: 2" in minutes and f"{no}: 1" in minutes
        assert adopted in minutes
    assert not live_server.errors, live_server.errors
