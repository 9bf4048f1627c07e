"""Claiming one's register entry: member number + register email → a link to that address, and the same
answer whatever was typed (nobody learns who is in the register)."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from governance.accounts import operations as ops
from governance.accounts.models import Account, AccountToken
from tests.accounts.conftest import invitation_token, is_signed_in

PASSWORD = "a sentence I will remember"
SAME_ANSWER = "If this member number and email address match an entry of the membership register"


@pytest.fixture
def be(create_branch):
    return create_branch("BE")


def claim(client, number: str, email: str):
    return client.post("/account/claim", data={"number": number, "email": email})


def answer(client, response) -> tuple[int, str, str]:
    """What the person sees: the status, where they are sent, and the text of the page there."""
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    # the CSRF tokens carry a time stamp: leave them out of the comparison
    page = re.sub(r'name="csrf_token"[^>]*value="[^"]*"', 'name="csrf_token"', page)
    return response.status_code, response.headers["Location"], page


def claim_tokens(db, member):
    return list(db.session.execute(
        select(AccountToken).where(AccountToken.member_id == member.id, AccountToken.purpose == "claim")
        .order_by(AccountToken.id)).scalars())


def test_the_claim_page(client):
    page = client.get("/account/claim").get_data(as_text=True)
    assert page.count("<h1>") == 1
    assert '<label for="number">' in page and '<label for="email">' in page
    assert 'autocomplete="email"' in page
    # and the sign-in page leads to it
    assert 'href="/account/claim"' in client.get("/account/sign-in").get_data(as_text=True)


def test_matching_and_non_matching_claims_get_the_same_answer(client, new_client, db, be, create_member,
                                                              create_account, outbox, audit_events):
    member = create_member(branch=be, number="BE-000123", email="An.Peeters@Example.org", language="fr")
    linked = create_member(branch=be, number="BE-000124")
    create_account(member=linked)
    resigned = create_member(branch=be, number="BE-000125", status="resigned")
    db.session.commit()
    before = len(outbox())

    answers = []
    for number, email in [("BE-000123", "an.peeters@example.org"),  # matches
                          ("BE-000123", "someone.else@example.org"),  # wrong address
                          ("BE-999999", "an.peeters@example.org"),  # unknown number
                          ("BE-000124", linked.email),  # has an account
                          ("BE-000125", resigned.email)]:  # may not have one
        browser = new_client()
        answers.append(answer(browser, claim(browser, number, email)))
    assert len(set(answers)) == 1
    status, location, page = answers[0]
    assert status == 303 and location == "/account/claim"
    assert SAME_ANSWER in page

    [message] = outbox()[before:]
    assert message.to_address == "An.Peeters@Example.org"  # the register's address, not the one typed
    assert message.language == "fr"
    assert message.key.startswith(f"claim:{member.id}:")
    [token] = claim_tokens(db, member)
    assert token.email == "an.peeters@example.org"
    assert token.expires_dt - token.created_dt == dt.timedelta(hours=48)
    assert claim_tokens(db, linked) == [] and claim_tokens(db, resigned) == []
    [entry] = audit_events(event="account.claim_requested")
    assert (entry.object_type, entry.object_id) == ("members", str(member.id))


def test_the_claim_email(db, be, create_member, outbox):
    member = create_member(branch=be, number="BE-000123", first_name="An", last_name="Peeters", language="en")
    ops.request_claim("BE-000123", member.email, address=None)
    [message] = outbox(member.email)
    assert message.subject == "Your link to create your account"
    assert "Hello An Peeters," in message.body_text
    assert "for member number BE-000123" in message.body_text
    assert "The link works once, for 48 hours." in message.body_text
    invitation_token(message.body_text)


def test_number_and_address_match_whatever_their_case(db, be, create_member, outbox):
    member = create_member(branch=be, number="BE-000123", email="An.Peeters@Example.org")
    assert ops.request_claim(" be-000123 ", "AN.PEETERS@example.ORG ", address=None) is not None
    assert len(outbox(member.email)) == 1


def test_the_claim_link_leads_to_the_account_form(client, db, be, create_member, outbox):
    member = create_member(branch=be, first_name="Camille", last_name="Martin", language="fr")
    db.session.commit()
    claim(client, member.number, member.email)
    raw = invitation_token(outbox(member.email)[-1].body_text)
    page = client.get(f"/account/invitation/{raw}").get_data(as_text=True)
    assert 'value="Camille Martin"' in page
    response = client.post(f"/account/invitation/{raw}", data={
        "display_name": "Camille", "new_password": PASSWORD, "confirm_password": PASSWORD, "language": "fr"})
    assert response.status_code == 303
    account = db.session.execute(select(Account).where(Account.member_id == member.id)).scalar_one()
    assert account.email == member.email.lower() and account.language == "fr"
    assert is_signed_in(client)
    assert all(t.used_dt is not None for t in claim_tokens(db, member))
    assert client.get(f"/account/invitation/{raw}").status_code == 404


def test_a_new_claim_replaces_the_earlier_link(client, db, be, create_member, outbox):
    member = create_member(branch=be)
    first = ops.request_claim(member.number, member.email, address=None)
    second = ops.request_claim(member.number, member.email, address=None)
    db.session.commit()
    db.session.refresh(first)
    assert first.used_dt is not None and second.used_dt is None
    first_raw, second_raw = (invitation_token(m.body_text) for m in outbox(member.email))
    assert client.get(f"/account/invitation/{first_raw}").status_code == 404
    assert client.get(f"/account/invitation/{second_raw}").status_code == 200


def test_incomplete_form_is_422_and_kept(client, db, outbox):
    response = claim(client, "BE-000123", "not an address")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="BE-000123"' in page
    assert 'aria-invalid="true"' in page
    assert outbox() == []


def test_claims_are_limited_per_member_number(client, new_client, db, be, create_member, outbox):
    member = create_member(branch=be)
    db.session.commit()
    for i in range(5):
        assert claim(new_client(), member.number, f"guess{i}@example.org").status_code == 303
    # a sixth guess at this number, from anywhere, with any address
    assert claim(new_client(), member.number, member.email).status_code == 429
    assert outbox() == []
    # other numbers are not affected
    assert claim(client, "BE-000999", member.email).status_code == 303


def test_claims_are_limited_per_address(client, new_client, db, be, create_member):
    member = create_member(branch=be)
    db.session.commit()
    for i in range(5):
        assert claim(new_client(), f"BE-{i:06d}", member.email).status_code == 303
    assert claim(new_client(), member.number, member.email).status_code == 429


def test_claims_are_limited_per_network_address(client, db):
    for i in range(30):
        assert claim(client, f"BE-{i:06d}", f"person{i}@example.org").status_code == 303
    assert claim(client, "BE-999999", "someone@example.org").status_code == 429
