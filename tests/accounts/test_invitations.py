"""Invitations: secretaries invite members (one or thousands) to create their account from the register's
address; the member follows the link, chooses a password, and their account is linked to their entry."""
from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import func, select

from governance.accounts import operations as ops
from governance.accounts import queries
from governance.accounts.models import Account, AccountToken
from governance.accounts.permissions import can_vote
from governance.core.audit import AuditEntry
from governance.core.db_types import utcnow
from governance.core.outbox import OutboxMessage
from tests.accounts.conftest import invitation_token, is_signed_in

PASSWORD = "a sentence I will remember"


@pytest.fixture
def be(create_branch):
    return create_branch("BE", timezone="Europe/Brussels")


@pytest.fixture
def fr(create_branch):
    return create_branch("FR", timezone="Europe/Paris")


def tokens_of(db, member, purpose="invite"):
    return list(db.session.execute(
        select(AccountToken).where(AccountToken.member_id == member.id, AccountToken.purpose == purpose)
        .order_by(AccountToken.id)
    ).scalars())


def count(db, model, *where) -> int:
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def invite(db, member, outbox) -> str:
    """Invite one member through the operation; returns the raw token of their link."""
    ops.invite_members([member], actor=None)
    db.session.commit()
    return invitation_token(outbox(member.email)[-1].body_text)


def accept(client, raw: str, **overrides):
    data = {"display_name": "An Peeters", "new_password": PASSWORD, "confirm_password": PASSWORD, "language": "nl"}
    data.update(overrides)
    return client.post(f"/account/invitation/{raw}", data=data)


# --- inviting in bulk ------------------------------------------------------------------------------
def test_bulk_invitation_queues_one_email_per_eligible_member_in_their_language(
        db, be, fr, create_member, create_account, outbox, audit_events):
    nl = create_member(branch=be, language="nl", email="An.Peeters@Example.org")
    applicant = create_member(branch=fr, language="fr", status="applicant")
    italian = create_member(branch=be, language="it")  # no catalog: Belgium's first official language
    german = create_member(branch=be, language="de")
    no_email = create_member(branch=be, email=None)
    resigned = create_member(branch=be, status="resigned")
    linked = create_member(branch=be)
    create_account(member=linked)
    shared = create_member(branch=be, email="staff@example.org")
    create_account("staff@example.org")
    secretary = create_account(roles=["secretary"])
    db.session.commit()
    before = len(outbox())

    members = [nl, applicant, italian, german, no_email, resigned, linked, shared]
    report = ops.invite_members(members, actor=secretary)
    db.session.commit()

    assert [m.number for m in report.invited] == [nl.number, applicant.number, italian.number, german.number]
    assert [(m.number, r.value) for m, r in report.refused] == [
        (no_email.number, "no_email"), (resigned.number, "status"), (linked.number, "has_account"),
        (shared.number, "email_in_use")]
    assert report.counts() == {"invited": 4, "has_account": 1, "status": 1, "no_email": 1, "email_in_use": 1,
                               "pending": 0}
    assert str(report.refused[0][1].label) == "no email address in the register"

    messages = outbox()[before:]
    assert [(m.to_address, m.language) for m in messages] == [
        ("An.Peeters@Example.org", "nl"), (applicant.email, "fr"), (italian.email, "nl"), (german.email, "de")]
    for member, message in zip(report.invited, messages):
        [token] = tokens_of(db, member)
        assert message.key == f"invite:{member.id}:{token.id}"
        assert message.to_name == member.full_name
        raw = invitation_token(message.body_text)
        assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
        assert raw not in token.token_hash
        assert token.account_id is None and token.used_dt is None
        assert token.email == member.email.lower()
        assert token.expires_dt - token.created_dt == dt.timedelta(days=14)
        assert member.number in message.body_text
    for refused in (no_email, resigned, linked, shared):
        assert tokens_of(db, refused) == []
    [entry] = audit_events(event="account.invitations_sent")
    assert entry.actor_id == secretary.id
    assert entry.data["invited"] == 4
    assert entry.data["refused"] == {"has_account": 1, "status": 1, "no_email": 1, "email_in_use": 1}
    assert sorted(entry.data["member_ids"]) == sorted(m.id for m in report.invited)


def test_the_english_invitation(db, be, create_member, outbox):
    member = create_member(branch=be, language="en", first_name="Jo", last_name="Peeters", number="BE-000042")
    ops.invite_members([member], actor=None)
    [message] = outbox(member.email)
    assert message.subject == "Create your account on the cooperative's governance portal"
    assert "Hello Jo Peeters," in message.body_text
    assert "Your member number is BE-000042." in message.body_text
    assert "The link works once, for 14 days." in message.body_text


def test_bulk_invitation_costs_the_same_queries_for_ten_or_sixty_members(db, be, create_member, count_queries,
                                                                       outbox):
    """Loading, checking, replacing earlier links, inserting links and emails: a few statements per batch."""
    small = [create_member(branch=be).number for _ in range(10)]
    large = [create_member(branch=be).number for _ in range(60)]
    db.session.commit()
    counters = []
    for numbers in (small, large):
        db.session.expunge_all()
        with count_queries() as counter:
            members = queries.invitation_members(queries.invitation_conditions(numbers=numbers))
            report = ops.invite_members(members, actor=None)
        assert len(report.invited) == len(numbers)
        counters.append(counter)
    assert len(outbox()) == 70
    assert counters[0].count == counters[1].count <= 15, counters[1].statements


def test_reinviting_replaces_the_earlier_invitation(client, db, be, create_member, outbox):
    member = create_member(branch=be)
    first = invite(db, member, outbox)
    second = invite(db, member, outbox)
    old, new = tokens_of(db, member)
    assert old.used_dt is not None and new.used_dt is None
    assert len(outbox(member.email)) == 2
    response = client.get(f"/account/invitation/{first}")
    assert response.status_code == 404
    assert "This link does not work any more" in response.get_data(as_text=True)
    assert client.get(f"/account/invitation/{second}").status_code == 200


def test_a_pending_invitation_can_be_left_alone(db, be, create_member, outbox):
    member = create_member(branch=be)
    invite(db, member, outbox)
    report = ops.invite_members([member], actor=None, skip_pending=True)
    assert [r.value for _m, r in report.refused] == ["pending"]
    assert len(tokens_of(db, member)) == 1


# --- accepting -------------------------------------------------------------------------------------
def test_accepting_creates_a_linked_account_and_signs_in(client, db, be, create_member, outbox, audit_events):
    member = create_member(branch=be, first_name="An", last_name="Peeters", language="nl",
                           email="An.Peeters@Example.org")
    raw = invite(db, member, outbox)
    ops.request_claim(member.number, member.email, address=None)  # another link of the same member
    db.session.commit()

    page = client.get(f"/account/invitation/{raw}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert text.count("<h1>") == 1
    assert 'value="An Peeters"' in text
    assert '<option selected value="nl">' in text or '<option value="nl" selected>' in text
    assert "an.peeters@example.org" in text and member.number in text
    for name in ("display_name", "new_password", "confirm_password", "language"):
        assert f'<label for="{name}">' in text

    response = accept(client, raw, display_name="An P.", language="fr")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    account = db.session.execute(select(Account).where(Account.member_id == member.id)).scalar_one()
    assert account.email == "an.peeters@example.org"
    assert account.display_name == "An P." and account.language == "fr"
    assert account.timezone == "Europe/Brussels"
    assert account.password_hash and PASSWORD not in account.password_hash
    assert ops.authenticate("AN.PEETERS@example.org", PASSWORD) == account
    assert "Votre compte est prêt" in client.get("/").get_data(as_text=True)  # in the chosen language
    assert is_signed_in(client)
    # every link of the member is used up
    assert all(t.used_dt is not None for t in tokens_of(db, member) + tokens_of(db, member, "claim"))
    [linked] = audit_events(account, "account.member_linked")
    assert linked.actor_id == account.id
    assert linked.data["member_id"] == member.id and linked.data["via"] == "invite"
    assert raw not in str(linked.data)
    assert audit_events(account, "account.created")
    assert can_vote(account)


def test_a_used_link_is_refused(client, new_client, db, be, create_member, outbox):
    member = create_member(branch=be)
    raw = invite(db, member, outbox)
    assert accept(client, raw).status_code == 303
    other = new_client()
    for response in (other.get(f"/account/invitation/{raw}"), accept(other, raw)):
        assert response.status_code == 404
        assert "was already used" in response.get_data(as_text=True)
    assert count(db, Account, Account.member_id == member.id) == 1


def test_an_expired_link_is_refused(client, db, be, create_member, outbox):
    member = create_member(branch=be)
    raw = invite(db, member, outbox)
    [token] = tokens_of(db, member)
    token.created_dt = utcnow() - dt.timedelta(days=15)
    token.expires_dt = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    assert client.get(f"/account/invitation/{raw}").status_code == 404
    assert accept(client, raw).status_code == 404
    assert ops.member_account_id(member.id) is None


def test_a_made_up_link_is_refused(client, db):
    response = client.get("/account/invitation/not-a-real-token")
    assert response.status_code == 404
    assert "ask for a new link" in response.get_data(as_text=True)


def test_a_link_stops_working_when_the_register_address_changes(client, db, be, create_member, outbox):
    member = create_member(branch=be, email="typo@exmaple.org")
    raw = invite(db, member, outbox)
    member.email = "right@example.org"
    db.session.commit()
    assert client.get(f"/account/invitation/{raw}").status_code == 404
    assert accept(client, raw).status_code == 404
    assert ops.member_account_id(member.id) is None


def test_bad_input_is_422_keeps_the_form_and_writes_nothing(client, db, be, create_member, outbox, audit_events):
    member = create_member(branch=be)
    raw = invite(db, member, outbox)
    before = len(audit_events())
    response = accept(client, raw, display_name="Jo the typist", confirm_password="something else entirely")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The two passwords are not the same." in page
    assert 'value="Jo the typist"' in page
    response = accept(client, raw, new_password="password1", confirm_password="password1")
    assert response.status_code == 422
    assert "too common" in response.get_data(as_text=True)
    assert ops.member_account_id(member.id) is None
    assert tokens_of(db, member)[0].used_dt is None
    assert len(audit_events()) == before


def test_the_member_already_got_an_account_meanwhile(client, db, be, create_member, create_account, outbox,
                                                     audit_events):
    member = create_member(branch=be)
    raw = invite(db, member, outbox)
    create_account(member=member)  # e.g. by the other link, in another browser
    db.session.commit()
    before = len(audit_events())
    for response in (client.get(f"/account/invitation/{raw}"), accept(client, raw)):
        assert response.status_code == 409
        assert "This member already has an account." in response.get_data(as_text=True)
    assert count(db, Account, Account.member_id == member.id) == 1
    assert tokens_of(db, member)[0].used_dt is None
    assert len(audit_events()) == before
    assert not is_signed_in(client)


def test_one_account_per_member_even_in_a_race(client, db, be, create_member, create_account, outbox, audit_events,
                                              monkeypatch):
    """Two acceptances at once both pass the checks; the unique constraint stops the second insert."""
    member = create_member(branch=be)
    raw = invite(db, member, outbox)
    first = create_account(member=member)
    db.session.commit()
    accounts, before = count(db, Account), len(audit_events())
    # the checks ran before the other request committed: they saw no account
    monkeypatch.setattr(ops, "member_account_id", lambda member_id: None)
    response = accept(client, raw, display_name="Second try")
    assert response.status_code == 409
    assert "This member already has an account." in response.get_data(as_text=True)
    db.session.expire_all()
    assert count(db, Account) == accounts
    assert count(db, Account, Account.display_name == "Second try") == 0
    assert db.session.execute(select(Account.id).where(Account.member_id == member.id)).scalar_one() == first.id
    assert tokens_of(db, member)[0].used_dt is None
    assert len(audit_events()) == before
    assert not is_signed_in(client)


def test_the_address_is_used_by_another_account(client, db, be, create_member, create_account, outbox):
    member = create_member(branch=be, email="shared@example.org")
    raw = invite(db, member, outbox)
    create_account("Shared@example.org")
    db.session.commit()
    response = accept(client, raw)
    assert response.status_code == 409
    assert "An account with this email address already exists." in response.get_data(as_text=True)
    assert ops.member_account_id(member.id) is None


def test_a_member_who_resigned_meanwhile_cannot_create_the_account(client, db, be, create_member, outbox):
    member = create_member(branch=be)
    raw = invite(db, member, outbox)
    member.status = "resigned"
    db.session.commit()
    response = accept(client, raw)
    assert response.status_code == 403
    assert "does not allow an account" in response.get_data(as_text=True)
    assert ops.member_account_id(member.id) is None


# --- who may invite --------------------------------------------------------------------------------
def test_a_secretary_invites_one_member_from_the_register(client, db, be, create_member, create_account,
                                                         sign_in_staff, outbox, audit_events):
    secretary = create_account(roles=["secretary"])
    member = create_member(branch=be)
    db.session.commit()
    sign_in_staff(secretary)
    response = client.post(f"/account/invitations/{member.id}", data={"next": "/register/"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/register/"
    assert "An invitation to create an account has been sent" in client.get("/account/profile").get_data(as_text=True)
    [message] = outbox(member.email)
    assert message.key.startswith(f"invite:{member.id}:")
    [entry] = audit_events(event="account.invitation_sent")
    assert (entry.actor_id, entry.object_type, entry.object_id) == (secretary.id, "members", str(member.id))
    # a foreign "next" is ignored
    response = client.post(f"/account/invitations/{member.id}", data={"next": "https://evil.example/"})
    assert response.headers["Location"] == f"/register/members/{member.id}"


def test_inviting_a_member_who_cannot_be_invited_explains_why(client, db, be, create_member, create_account,
                                                             sign_in_staff, outbox):
    secretary = create_account(roles=["secretary"])
    linked = create_member(branch=be, first_name="Jo", last_name="Linked")
    create_account(member=linked)
    no_email = create_member(branch=be, first_name="Jo", last_name="Offline", email=None)
    db.session.commit()
    sign_in_staff(secretary)
    before = len(outbox())
    response = client.post(f"/account/invitations/{linked.id}")
    assert response.status_code == 409
    assert "Jo Linked already has an account." in response.get_data(as_text=True)
    response = client.post(f"/account/invitations/{no_email.id}")
    assert response.status_code == 422
    assert "the register has no email address for them" in response.get_data(as_text=True)
    assert len(outbox()) == before
    assert client.post("/account/invitations/999999").status_code == 404


def test_a_board_member_invites_only_in_their_own_branch(client, db, be, fr, create_member, create_account, sign_in,
                                                        outbox):
    board = create_account(roles=[("board_member", be)])
    own, other = create_member(branch=be), create_member(branch=fr)
    db.session.commit()
    sign_in(board)
    assert client.post(f"/account/invitations/{other.id}").status_code == 403
    assert outbox(other.email) == []
    assert client.post(f"/account/invitations/{own.id}").status_code == 303
    assert len(outbox(own.email)) == 1
    # not in bulk
    assert client.get("/account/invitations").status_code == 403
    assert client.post("/account/invitations", data={"branch": "BE", "status": "active"}).status_code == 403
    # nor through the operation
    with pytest.raises(ops.NotAllowed):
        ops.invite_members([other], actor=board)


def test_a_plain_member_cannot_invite_anyone(client, db, be, create_member, create_account, sign_in, outbox):
    me = create_member(branch=be)
    account = create_account(member=me)
    neighbour = create_member(branch=be)
    db.session.commit()
    sign_in(account)
    assert client.post(f"/account/invitations/{neighbour.id}").status_code == 403
    assert client.get("/account/invitations").status_code == 403
    assert client.post("/account/invitations", data={"branch": "BE", "status": "active"}).status_code == 403
    assert outbox(neighbour.email) == []


def test_signed_out_visitors_are_sent_to_sign_in(client, db, be, create_member):
    member = create_member(branch=be)
    assert client.get("/account/invitations").status_code == 302
    assert client.post(f"/account/invitations/{member.id}").status_code == 302


# --- the bulk page ---------------------------------------------------------------------------------
def test_the_invitations_page_counts_then_sends(client, db, be, fr, create_member, create_account, sign_in_staff,
                                                outbox, audit_events):
    secretary = create_account(roles=["secretary"])
    active = [create_member(branch=be) for _ in range(3)]
    applicant = create_member(branch=be, status="applicant")
    no_email = create_member(branch=be, email=None, first_name="Jo", last_name="Offline")
    create_member(branch=be, status="resigned")
    create_member(branch=fr)
    db.session.commit()
    sign_in_staff(secretary)
    before_messages, before_audit = len(outbox()), len(audit_events())

    page = client.get("/account/invitations?branch=BE&status=active,applicant")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert text.count("<h1>") == 1
    assert "Send 4 invitations" in text
    assert "Jo Offline" in text and "no email address in the register" in text
    assert '<label for="branch">' in text and '<label for="status">' in text
    # counting wrote nothing
    assert len(outbox()) == before_messages and len(audit_events()) == before_audit
    assert client.get("/account/invitations").status_code == 200

    response = client.post("/account/invitations", data={"branch": "BE", "status": "active,applicant"})
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/account/invitations?branch=BE")
    after = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "4 invitations have been queued" in after
    assert "1 member was not invited" in after
    sent = {m.to_address for m in outbox()[before_messages:]}
    assert sent == {m.email for m in active + [applicant]}
    # sending again leaves out those whose invitation still works …
    assert client.post("/account/invitations", data={"branch": "BE", "status": "active"}).status_code == 303
    assert len(outbox()) == before_messages + 4
    # … unless asked to
    client.post("/account/invitations", data={"branch": "BE", "status": "active", "resend": "y"})
    assert len(outbox()) == before_messages + 7


def test_a_branch_secretary_invites_in_their_branch_only(client, db, be, fr, create_member, create_account,
                                                        sign_in_staff, outbox):
    secretary = create_account(roles=[("secretary", be)])
    create_member(branch=be)
    foreign = create_member(branch=fr)
    db.session.commit()
    sign_in_staff(secretary)
    page = client.get("/account/invitations").get_data(as_text=True)
    assert 'value="FR"' not in page and "All branches" not in page
    assert "Send 1 invitation" in page
    assert client.get("/account/invitations?branch=FR").status_code == 403
    assert client.post("/account/invitations", data={"branch": "FR", "status": "active"}).status_code == 403
    assert client.post("/account/invitations", data={"branch": "", "status": "active"}).status_code == 303
    assert outbox(foreign.email) == []


def test_bad_choices_on_the_invitations_page(client, db, be, create_account, sign_in_staff, outbox):
    secretary = create_account(roles=["secretary"])
    db.session.commit()
    sign_in_staff(secretary)
    assert client.get("/account/invitations?branch=XX").status_code == 404
    assert client.get("/account/invitations?status=resigned").status_code == 400
    response = client.post("/account/invitations", data={"branch": "BE", "status": "resigned"})
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert outbox() == []


# --- the command line ------------------------------------------------------------------------------
@pytest.fixture
def invite_cli(app, db):
    runner = app.test_cli_runner()

    def run(*args: str):
        db.session.commit()  # what the test set up is committed, as in real life
        # through the real command tree: flask governance members invite …
        return runner.invoke(args=["governance", "members", "invite", *args])

    return run


def test_cli_dry_run_writes_nothing(db, be, fr, create_member, invite_cli):
    create_member(branch=be)
    create_member(branch=be, email=None)
    create_member(branch=fr)
    messages, tokens = count(db, OutboxMessage), count(db, AccountToken)
    audit = count(db, AuditEntry)
    result = invite_cli("--branch", "BE", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would invite 1" in result.output
    assert "no email address in the register: 1" in result.output
    assert "dry run, nothing written" in result.output
    db.session.expire_all()
    assert (count(db, OutboxMessage), count(db, AccountToken), count(db, AuditEntry)) == (messages, tokens, audit)


def test_cli_invites_by_branch_member_number_or_everyone_without_account(db, be, fr, create_member, create_account,
                                                                         invite_cli, outbox):
    a, b = create_member(branch=be), create_member(branch=be, status="applicant")
    c = create_member(branch=fr)
    linked = create_member(branch=fr)
    create_account(member=linked)
    result = invite_cli("--branch", "BE", "--status", "applicant")
    assert result.exit_code == 0, result.output
    assert "invited 1" in result.output
    assert [m.to_address for m in outbox()] == [b.email]
    result = invite_cli("--member", c.number, "--member", linked.number)
    assert "invited 1" in result.output and "already has an account: 1" in result.output
    result = invite_cli("--all-without-account")
    # b and c still hold a working invitation: left out unless --resend
    assert "invited 1" in result.output and "an earlier invitation still works: 2" in result.output
    assert {m.to_address for m in outbox()} == {a.email, b.email, c.email}
    result = invite_cli("--all-without-account", "--resend")
    assert "invited 3" in result.output
    assert len(outbox()) == 6


def test_cli_refuses_unknown_values_and_an_empty_selection(db, be, invite_cli):
    result = invite_cli("--branch", "XX")
    assert result.exit_code != 0 and "XX" in result.output
    result = invite_cli("--member", "NOPE-1")
    assert result.exit_code != 0 and "NOPE-1" in result.output
    result = invite_cli()
    assert result.exit_code != 0
    assert "--branch, --member or --all-without-account" in result.output


# --- voting needs a member ---------------------------------------------------------------------------
@pytest.mark.parametrize("status,votes", [("active", True), ("applicant", False), ("suspended", False),
                                          ("resigned", False)])
def test_only_an_active_member_votes(db, be, create_member, create_account, status, votes):
    account = create_account(member=create_member(branch=be, status=status))
    assert can_vote(account) is votes


def test_staff_and_observers_never_vote(db, create_account):
    assert can_vote(create_account(roles=["admin"])) is False
    assert can_vote(create_account()) is False
    assert can_vote(None) is False


def test_the_invite_button_for_register_pages(app, db, be, fr, create_member, create_account):
    from flask import render_template_string
    from flask_login import login_user

    board = create_account(roles=[("board_member", be)])
    own, foreign, linked = create_member(branch=be), create_member(branch=fr), create_member(branch=be)
    create_account(member=linked)
    template = '{% include "accounts/_invite_button.html" %}'
    with app.test_request_context("/register/"):
        login_user(board)
        html = render_template_string(template, member=own)
        assert f'action="/account/invitations/{own.id}"' in html
        assert 'name="csrf_token"' in html and 'name="next" value="/register/"' in html
        assert render_template_string(template, member=foreign).strip() == ""
        assert render_template_string(template, member=linked).strip() == ""


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_bulk_emails_render_as_single_ones(db, language):
    """Bulk emails (``queue_emails``) come out as single ones (``queue_email``): same text, same translation."""
    from governance.core.outbox import EmailSpec, queue_email, queue_emails

    context = {"reset_url": "http://portal.test/x"}
    single = queue_email(key="single", to_address="a@example.org", to_name="Jo", language=language,
                         template="password_reset", context=context)
    assert queue_emails([EmailSpec(key="bulk", to_address="a@example.org", to_name="Jo", language=language,
                                   template="password_reset", context=context),
                         EmailSpec(key="single", to_address="a@example.org", language=language,
                                   template="password_reset", context=context)]) == 1  # "single" exists
    bulk = db.session.execute(select(OutboxMessage).where(OutboxMessage.key == "bulk")).scalar_one()
    assert (bulk.subject, bulk.body_text, bulk.language) == (single.subject, single.body_text, single.language)
    from flask_babel import force_locale, gettext

    with force_locale(language):
        footer = gettext("Cooperative governance portal")
    assert footer in bulk.body_text
    if language != "en":
        assert footer != "Cooperative governance portal"  # really translated
