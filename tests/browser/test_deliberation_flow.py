"""Deliberation in a real browser, as three people do it: a member joins a workgroup and writes a proposal,
another member comments and the author replies, a facilitator hides a comment with a reason.

Each person has their own browser context (their own cookies) on the live server; every page they reach is
checked like the crawl's pages (axe-core, language, title, one h1)."""
from __future__ import annotations

import re

import pytest

from tests.browser.support import PHONE, Persona, check_page

pytestmark = pytest.mark.browser

SLUG = "browser-flow-circle"


@pytest.fixture(scope="module")
def people(live_server):
    """A Belgium-only workgroup with a facilitator and one member, and a member who has not joined yet."""
    from sqlalchemy import select

    from governance.accounts import operations as account_ops
    from governance.accounts.models import Account
    from governance.core.db_types import utcnow
    from governance.demo import DEMO_PASSWORD
    from governance.extensions import db
    from governance.members.models import Branch, Member
    from governance.workgroups import operations as wg_ops
    from governance.workgroups.models import MembershipRole, MembershipStatus, WorkgroupMembership

    app = live_server.app
    with app.app_context():
        admin = db.session.execute(select(Account).where(Account.email == "admin@demo.coop")).scalar_one()
        be = db.session.execute(select(Branch).where(Branch.code == "BE")).scalar_one()
        accounts = {}
        for n, (key, first, last) in enumerate((("author", "Lies", "Vermeulen"), ("commenter", "Jonas", "Maes"),
                                                ("facilitator", "Fatima", "El Amrani"))):
            import datetime as dt
            member = Member(number=f"BE-FLOW-{n}", branch=be, first_name=first, last_name=last,
                            email=f"flow.{key}@demo.coop", language="en", status="active",
                            joined_on=dt.date(2024, 1, 1))
            db.session.add(member)
            db.session.flush()
            account = account_ops.create_account(email=member.email, display_name=member.full_name,
                                                 password=DEMO_PASSWORD, language="en", member=member, actor=admin)
            accounts[key] = account
        workgroup = wg_ops.create_workgroup(
            actor=admin, titles={"en": "Browser flow circle"}, descriptions={"en": "Where the flow is tested."},
            original_language="en", working_languages=["en"], theme="tools", joining="open", branch_ids={be.id})
        assert workgroup.slug == SLUG
        for key, role in (("facilitator", MembershipRole.facilitator), ("commenter", MembershipRole.member)):
            db.session.add(WorkgroupMembership(workgroup=workgroup, member=accounts[key].member, role=role.value,
                                               status=MembershipStatus.active.value, joined_dt=utcnow()))
        db.session.commit()
        emails = {key: account.email for key, account in accounts.items()}
        db.session.remove()
    return {key: Persona(f"flow-{key}", email, "en", "en-GB,en;q=0.9") for key, email in emails.items()}


@pytest.fixture
def open_as(new_context, axe_source, artifacts_dir):
    """``open_as(persona)`` → a phone-sized page signed in as that person; ``checked(page, response, name)``
    checks the page that is shown."""
    contexts = []

    def make(persona):
        context = new_context(persona, **PHONE)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def checked(page, response, persona, name, axe_source, artifacts_dir):
    from tests.browser.support import Visit

    visit = Visit(persona.key, page.url, status=response.status if response else 200, outcome="checked")
    check_page(page, response, persona, visit, name, axe_source, artifacts_dir)
    assert not visit.problems, f"{name}: {visit.problems}"


def submit(page, form, button_name: str):
    with page.expect_navigation() as navigation:
        form.get_by_role("button", name=button_name).click()
    return navigation.value


def test_join_propose_comment_reply_and_hide(people, open_as, live_server, axe_source, artifacts_dir):
    author, commenter, facilitator = people["author"], people["commenter"], people["facilitator"]

    # the author joins the workgroup and writes a proposal
    page = open_as(author)
    page.goto(f"/workgroups/{SLUG}")
    response = submit(page, page.locator("main"), "Join the workgroup")
    assert "You have joined the workgroup." in page.locator("body").inner_text()
    assert "You are a member" in page.locator("main").inner_text()
    page.get_by_role("link", name="Write a proposal").click()
    page.wait_for_load_state()
    form = page.locator("main form")
    form.get_by_label("Title").first.fill("Share the cargo bikes")
    form.locator("textarea").first.fill("Every branch lends its **cargo bikes** to the others.")
    response = submit(page, form, "Save")
    assert response.status == 200
    proposal_path = re.sub(r"^https?://[^/]+", "", page.url).split("#")[0]
    assert re.fullmatch(rf"/workgroups/{SLUG}/proposals/\d+", proposal_path), proposal_path
    assert page.locator("h1").inner_text() == "Share the cargo bikes"
    response = submit(page, page.locator("main"), "Open for discussion")
    checked(page, response, author, "flow-proposal-in-discussion", axe_source, artifacts_dir)
    assert "cargo bikes" in page.locator("main").inner_text()

    # another member comments
    other = open_as(commenter)
    other.goto(proposal_path)
    form = other.locator("main form:has(textarea)").last
    form.locator("textarea").fill("Who repairs a bike that breaks on loan?")
    response = submit(other, form, "Publish the comment")
    checked(other, response, commenter, "flow-commented", axe_source, artifacts_dir)
    comment = other.locator("li.comment", has_text="Who repairs a bike").first
    comment_id = comment.get_attribute("id")

    # the author replies to it
    page.goto(proposal_path)
    page.locator(f"#{comment_id}").get_by_role("link", name=re.compile(r"^Reply")).first.click()
    page.wait_for_load_state()
    form = page.locator("main form")
    form.locator("textarea").fill("The branch that lent it, as with the vans.")
    response = submit(page, form, "Publish the reply")
    checked(page, response, author, "flow-replied", axe_source, artifacts_dir)
    thread = page.locator(f"#{comment_id}")
    assert "The branch that lent it" in thread.locator("ul.comment-replies").inner_text()

    # and replies once more (the third level)
    other.goto(proposal_path)
    reply_id = other.locator(f"#{comment_id} ul.comment-replies > li.comment").first.get_attribute("id")
    other.locator(f"#{reply_id}").get_by_role("link", name=re.compile(r"^Reply")).first.click()
    other.wait_for_load_state()
    other.locator("main form textarea").fill("Fine by me: insults aside, this works.")
    submit(other, other.locator("main form"), "Publish the reply")
    assert "Fine by me" in other.locator(f"#{reply_id}").inner_text()
    offending = other.locator(f"#{reply_id} ul.comment-replies > li.comment").first.get_attribute("id")

    # a facilitator hides that last reply, with a reason everyone sees
    mod = open_as(facilitator)
    mod.goto(proposal_path)
    mod.locator(f"#{offending}").get_by_role("link", name=re.compile(r"^Hide")).first.click()
    mod.wait_for_load_state()
    checked(mod, None, facilitator, "flow-hide-form", axe_source, artifacts_dir)
    form = mod.locator("main form")
    form.get_by_label("Reason for hiding").fill("Off topic.")
    response = submit(mod, form, "Hide the comment")
    checked(mod, response, facilitator, "flow-hidden", axe_source, artifacts_dir)

    other.goto(proposal_path)
    hidden = other.locator(f"#{offending}")
    assert "Hidden by a facilitator: Off topic." in hidden.inner_text()
    assert "insults aside" not in other.locator("main").inner_text()
    # the rest of the thread stays readable
    assert "Who repairs a bike" in other.locator(f"#{comment_id}").inner_text()
    assert "The branch that lent it" in other.locator(f"#{reply_id}").inner_text()
