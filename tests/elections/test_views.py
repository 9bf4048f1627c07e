"""The board and election pages: who sees what (200 / 403 / 404), the managers' steps through the forms, the
candidacy forms, the review, the result page with its stages and constraint explanations, the home section, CSRF,
422 with kept input and a translated message, GET writing nothing, and the number of queries of the board page
and the election page (constant in the number of mandates and candidates)."""
from __future__ import annotations

import datetime as dt
import random
import re
from contextlib import contextmanager

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import event, select

from governance.elections.models import Candidacy, Election, ElectionConstraint, Mandate
from governance.extensions import db as _db

from .conftest import texts


def page_text(response) -> str:
    return response.get_data(as_text=True)


def _sign_out(client) -> None:
    client.post("/account/sign-out")


@pytest.fixture
def writes(app, db):
    """``with writes() as log: …`` → the data-changing SQL sent meanwhile."""
    pattern = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.I)

    @contextmanager
    def watching():
        log: list[str] = []
        engines = {c.engine for c in _db.engines.values()}

        def before(conn, cursor, statement, parameters, context, executemany):
            if pattern.match(statement):
                log.append(statement)

        for engine in engines:
            event.listen(engine, "before_cursor_execute", before)
        try:
            yield log
        finally:
            for engine in engines:
                event.remove(engine, "before_cursor_execute", before)

    return watching


def _local(value: dt.datetime, zone: str = "Europe/Brussels") -> str:
    from zoneinfo import ZoneInfo

    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def _election_data(clock, **overrides) -> dict:
    data = {
        "original_language": "en", "title_en": "Renewal of the Belgian board", "title_fr": "",
        "description_en": "Two seats.", "seats": "2", "method": "stv", "is_secret": "y",
        "eligible_statuses": ["active"], "min_membership_days": "0", "exclude_staff": "y",
        "candidacy_opens_at": _local(clock.now + dt.timedelta(days=1)),
        "candidacy_deadline": _local(clock.now + dt.timedelta(days=20)),
        "voting_opens_at": _local(clock.now + dt.timedelta(days=25)),
        "voting_closes_at": _local(clock.now + dt.timedelta(days=30)),
        "term_starts_on": (clock.now + dt.timedelta(days=40)).date().isoformat(),
        "term_ends_on": (clock.now + dt.timedelta(days=40 + 3 * 365)).date().isoformat(),
        "order_rule": "alphabetical_from_letter",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# --- boards ----------------------------------------------------------------------------------------
def test_boards_index_lists_every_board_with_its_figures(client, sign_in, board_with_mandates, group_board,
                                                        member_account, fr):
    sign_in(member_account(fr))
    response = client.get("/boards/")
    assert response.status_code == 200
    text = page_text(response)
    assert "Board of directors of the cooperative" in text and "Board of directors: Belgium" in text
    # BE: 5 seats, 3 current directors, 2 vacant, next end = the expiring mandate's
    row = re.search(r"Board of directors: Belgium</a></th>(.*?)</tr>", text, re.S)[1]
    assert ">5<" in row and ">3" in row and "2 vacant" in row


def test_board_page_is_public_and_managers_see_more(client, sign_in, board_with_mandates, member_account, fr,
                                                    be_board_member):
    board = board_with_mandates.board
    sign_in(member_account(fr))  # a member of another branch: the page is public
    text = page_text(client.get(f"/boards/{board.id}"))
    assert "Ann Expiring" in text and "Ben Later" in text and "Cas Coopted" in text
    assert "Co-option" in text
    assert "Dee Past" in text and "Resignation" in text
    assert "Mandates ending within" not in text and "End the mandate" not in text
    assert client.get(f"/boards/{board.id}/settings").status_code == 403
    assert client.get(f"/boards/{board.id}/mandates/new").status_code == 403
    assert client.get(f"/boards/{board.id}/elections/new").status_code == 403
    assert client.get(f"/boards/{board.id}/mandates/{board_with_mandates.expiring.id}/end").status_code == 403
    _sign_out(client)
    sign_in(be_board_member)
    text = page_text(client.get(f"/boards/{board.id}"))
    assert "Mandates ending within 6 months" in text
    section = text.split('id="expiring-heading"')[1].split("</section>")[0]
    assert "Ann Expiring" in section and "Ben Later" not in section
    assert "Plan an election" in text and "End the mandate of Ann Expiring" in text


def test_unknown_ids_are_404(client, sign_in, admin, board_with_mandates):
    sign_in(admin)
    board = board_with_mandates.board
    for url in ("/boards/999999", "/boards/999999/settings", "/boards/999999/mandates/new",
                f"/boards/{board.id}/mandates/999999/end", "/boards/999999/elections/new",
                "/boards/elections/999999", "/boards/elections/999999/edit", "/boards/elections/999999/result",
                "/boards/elections/999999/review", "/boards/elections/999999/candidacy"):
        assert client.get(url).status_code == 404, url


def test_a_mandate_of_another_board_is_404(client, sign_in, admin, board_with_mandates, group_board):
    sign_in(admin)
    mandate = board_with_mandates.expiring
    assert client.get(f"/boards/{group_board.id}/mandates/{mandate.id}/end").status_code == 404


def test_settings_save_and_validation_keeps_input(client, sign_in, be_board_member, be_board, db):
    sign_in(be_board_member)
    assert client.get(f"/boards/{be_board.id}/settings").status_code == 200
    response = client.post(f"/boards/{be_board.id}/settings", data={"seats": "0", "term_years": "4"})
    assert response.status_code == 422
    assert 'value="0"' in page_text(response) and 'value="4"' in page_text(response)
    response = client.post(f"/boards/{be_board.id}/settings", data={"seats": "6", "term_years": "4"})
    assert response.status_code == 303
    db.session.refresh(be_board)
    assert (be_board.seats, be_board.term_years) == (6, 4)


def test_add_and_end_a_mandate(client, sign_in, admin, be_board, create_member, be, db):
    member = create_member(branch=be, first_name="Cora", last_name="Coopted")
    sign_in(admin)
    today = dt.date.today()
    response = client.post(f"/boards/{be_board.id}/mandates/new", data={
        "member_number": "NOBODY", "origin": "cooption", "starts_on": today.isoformat(),
        "ends_on": (today + dt.timedelta(days=365)).isoformat(), "note": "Board decision 12"})
    assert response.status_code == 422
    assert "No member has this number." in page_text(response) and "Board decision 12" in page_text(response)
    response = client.post(f"/boards/{be_board.id}/mandates/new", data={
        "member_number": member.number, "origin": "cooption", "starts_on": today.isoformat(),
        "ends_on": (today + dt.timedelta(days=365)).isoformat(), "note": "Board decision 12"})
    assert response.status_code == 303
    mandate = db.session.execute(select(Mandate).where(Mandate.member_id == member.id)).scalar_one()
    assert mandate.origin == "cooption"
    assert "Cora Coopted" in page_text(client.get(f"/boards/{be_board.id}"))
    response = client.post(f"/boards/{be_board.id}/mandates/{mandate.id}/end",
                           data={"ended_on": today.isoformat(), "reason": "resignation"})
    assert response.status_code == 303
    db.session.refresh(mandate)
    assert mandate.end_reason == "resignation"


def test_an_election_cannot_be_an_origin_chosen_by_hand(client, sign_in, admin, be_board, create_member, be):
    member = create_member(branch=be)
    sign_in(admin)
    today = dt.date.today()
    response = client.post(f"/boards/{be_board.id}/mandates/new", data={
        "member_number": member.number, "origin": "election", "starts_on": today.isoformat(),
        "ends_on": (today + dt.timedelta(days=365)).isoformat()})
    assert response.status_code == 422


# --- defining an election --------------------------------------------------------------------------
def test_create_an_election_proposes_seats_and_saves_a_draft(client, sign_in, be_board_member, board_with_mandates,
                                                            clock, db):
    board = board_with_mandates.board
    sign_in(be_board_member)
    response = client.get(f"/boards/{board.id}/elections/new")
    assert response.status_code == 200
    text = page_text(response)
    assert "Europe/Brussels" in text
    # the term starts when the expiring mandate ends: its seat, and the two vacant seats (5 seats, 3 directors)
    assert board_with_mandates.expiring.ends_on.isoformat() in text
    assert re.search(r'name="seats"[^>]*value="3"', text)
    response = client.post(f"/boards/{board.id}/elections/new", data=_election_data(clock))
    assert response.status_code == 303, page_text(response)[:2000]
    election = db.session.execute(select(Election).where(Election.board_id == board.id)).scalar_one()
    assert election.state == "draft" and election.titles == {"en": "Renewal of the Belgian board"}
    # typed in Brussels time, stored in UTC
    assert _local(election.candidacy_opens_at) == _election_data(clock)["candidacy_opens_at"]
    assert response.headers["Location"].endswith(f"/boards/elections/{election.id}")


def test_election_form_errors_are_422_translated_and_keep_the_input(client, sign_in, create_account, be_board, clock,
                                                                    be):
    account = create_account(roles=[("board_member", be)], language="fr")
    sign_in(account)
    data = _election_data(clock, title_en="", title_fr="Renouvellement", method="irv", seats="2",
                          voting_closes_at=_election_data(clock)["voting_opens_at"])
    response = client.post(f"/boards/{be_board.id}/elections/new", data=data)
    assert response.status_code == 422
    text = page_text(response)
    assert "Renouvellement" in text
    with client.application.test_request_context():
        with force_locale("fr"):
            expected = gettext("Please correct the fields marked below.")
    assert expected in text
    assert _db.session.execute(select(Election)).first() is None


def test_edit_only_a_draft(client, sign_in, admin, election_in_state, clock, db):
    draft = election_in_state("draft").election
    sign_in(admin)
    assert client.get(f"/boards/elections/{draft.id}/edit").status_code == 200
    response = client.post(f"/boards/elections/{draft.id}/edit",
                           data=_election_data(clock, title_en="A new title"))
    assert response.status_code == 303
    db.session.refresh(draft)
    assert draft.titles["en"] == "A new title"
    running = election_in_state("call_open").election
    assert client.get(f"/boards/elections/{running.id}/edit").status_code == 409


def test_constraints_editor_with_the_each_gender_shortcut(client, sign_in, admin, election_in_state, db):
    election = election_in_state("draft").election
    sign_in(admin)
    assert client.get(f"/boards/elections/{election.id}/constraints").status_code == 200
    response = client.post(f"/boards/elections/{election.id}/constraints", data={
        "each_gender_minimum": "1", "rows-0-category": "branch", "rows-0-group": "branch:BE", "rows-0-maximum": "2"})
    assert response.status_code == 303, page_text(response)[:3000]
    rows = {(c.category, c.group_key, c.minimum, c.maximum)
            for c in db.session.execute(select(ElectionConstraint)).scalars()}
    assert rows == {("gender", "woman", 1, None), ("gender", "man", 1, None), ("branch", "BE", None, 2)}
    text = page_text(client.get(f"/boards/elections/{election.id}"))
    assert "Gender “Woman”: at least 1 seat" in text and "Branch “Belgium”: at most 2 seats" in text
    # a row with a maximum below its minimum: 422, the typed values kept
    response = client.post(f"/boards/elections/{election.id}/constraints", data={
        "rows-0-group": "gender:woman", "rows-0-minimum": "3", "rows-0-maximum": "1"})
    assert response.status_code == 422
    assert "The maximum cannot be below the minimum." in page_text(response)


def test_open_call_and_cancel_with_reason(client, sign_in, admin, election_in_state, db, member_account, be, outbox):
    election = election_in_state("draft").election
    sign_in(admin)
    assert client.get(f"/boards/elections/{election.id}/open-call").status_code == 200
    assert client.post(f"/boards/elections/{election.id}/open-call").status_code == 303
    db.session.refresh(election)
    assert election.state == "call_open"
    response = client.post(f"/boards/elections/{election.id}/cancel", data={"reason": ""})
    assert response.status_code == 422
    response = client.post(f"/boards/elections/{election.id}/cancel", data={"reason": "The statutes change."})
    assert response.status_code == 303
    db.session.refresh(election)
    assert election.state == "cancelled"
    assert "The statutes change." in page_text(client.get(f"/boards/elections/{election.id}"))


# --- the election page and candidacies -------------------------------------------------------------
def test_draft_is_hidden_from_members_and_other_branches_get_404(client, sign_in, election_in_state, member_account,
                                                                 be, fr):
    draft = election_in_state("draft").election
    sign_in(member_account(be))
    assert client.get(f"/boards/elections/{draft.id}").status_code == 404
    running = election_in_state("call_open").election
    assert client.get(f"/boards/elections/{running.id}").status_code == 200
    _sign_out(client)
    sign_in(member_account(fr))
    assert client.get(f"/boards/elections/{running.id}").status_code == 404
    assert client.get(f"/boards/elections/{running.id}/candidacy").status_code == 404


def test_member_stands_edits_and_withdraws(client, sign_in, election_in_state, member_account, be, db):
    election = election_in_state("call_open").election
    account = member_account(be, first_name="Nina", last_name="Newcomer", joined_on=dt.date(2010, 1, 1))
    sign_in(account)
    text = page_text(client.get(f"/boards/elections/{election.id}"))
    assert "Stand as a candidate" in text
    assert "Ada Lovelace" in text and "I am Ada Lovelace." in text
    response = client.get(f"/boards/elections/{election.id}/candidacy")
    assert response.status_code == 200
    assert 'name="gender"' not in page_text(response)  # no gender rule in this election
    response = client.post(f"/boards/elections/{election.id}/candidacy", data={
        "original_language": "en", "statement_en": "", "profile_en": "Carpenter"})
    assert response.status_code == 422 and "Carpenter" in page_text(response)
    response = client.post(f"/boards/elections/{election.id}/candidacy", data={
        "original_language": "en", "statement_en": "I will **listen**.", "profile_en": "Carpenter",
        "statement_nl": "Ik zal luisteren.", "declares_employee": ""})
    assert response.status_code == 303
    candidacy = db.session.execute(select(Candidacy).where(Candidacy.member_id == account.member.id)).scalar_one()
    assert candidacy.statements == {"en": "I will **listen**.", "nl": "Ik zal luisteren."}
    text = page_text(client.get(f"/boards/elections/{election.id}"))
    assert "State of your candidacy: Submitted." in text and "<strong>listen</strong>" in text
    # standing again goes to the edit form
    assert client.get(f"/boards/elections/{election.id}/candidacy").status_code == 303
    response = client.post(f"/boards/elections/{election.id}/candidacy/edit", data={
        "original_language": "en", "statement_en": "I will listen twice.", "profile_en": "Carpenter"})
    assert response.status_code == 303
    db.session.refresh(candidacy)
    assert candidacy.statements == {"en": "I will listen twice."}
    assert client.get(f"/boards/elections/{election.id}/candidacy/withdraw").status_code == 200
    assert client.post(f"/boards/elections/{election.id}/candidacy/withdraw").status_code == 303
    db.session.refresh(candidacy)
    assert candidacy.state == "withdrawn"
    assert client.get(f"/boards/elections/{election.id}/candidacy/withdraw").status_code == 409


def test_gender_is_asked_only_with_a_gender_rule(client, sign_in, admin, election_in_state, member_account, be, ops):
    election = election_in_state("call_open").election
    ops.set_constraints(election, [("gender", "woman", 1, None)], actor=admin)
    sign_in(member_account(be, joined_on=dt.date(2010, 1, 1)))
    text = page_text(client.get(f"/boards/elections/{election.id}/candidacy"))
    assert 'name="gender"' in text and "I prefer not to say" in text and "optional" in text


def test_ineligible_members_see_why(client, sign_in, make_election, member_account, be, ops, admin, clock):
    election = make_election(min_membership_days=1000)
    ops.open_call(election, actor=admin, now=clock.now)
    sign_in(member_account(be, joined_on=dt.date.today() - dt.timedelta(days=30)))
    text = page_text(client.get(f"/boards/elections/{election.id}"))
    assert "You cannot stand in this election:" in text
    assert "Stand as a candidate" not in text
    assert client.get(f"/boards/elections/{election.id}/candidacy").status_code == 403


def test_someone_without_a_candidacy_cannot_edit_or_withdraw(client, sign_in, election_in_state, member_account, be,
                                                             create_account):
    election = election_in_state("call_open").election
    sign_in(member_account(be))
    assert client.get(f"/boards/elections/{election.id}/candidacy/edit").status_code == 404
    assert client.post(f"/boards/elections/{election.id}/candidacy/withdraw").status_code == 404
    _sign_out(client)
    sign_in(create_account(roles=["secretary"]))  # staff without a member
    assert client.get(f"/boards/elections/{election.id}/candidacy/edit").status_code == 403


# --- review, freeze, vote, result ------------------------------------------------------------------
def test_review_page_accepts_and_refuses_with_reason(client, sign_in, admin, election_in_state, stand, db, be,
                                                     member_account):
    state = election_in_state("call_open")
    election = state.election
    pending = stand(election, "Pending", "Pat", accept=None)
    sign_in(member_account(be))
    assert client.get(f"/boards/elections/{election.id}/review").status_code == 403
    _sign_out(client)
    sign_in(admin)
    text = page_text(client.get(f"/boards/elections/{election.id}/review"))
    assert "Pat Pending" in text and "No eligibility problem found" in text
    token = client.csrf_token()
    prefix = f"c{pending.id}-"
    response = client.post(f"/boards/elections/{election.id}/candidacies/{pending.id}/review",
                           data={prefix + "csrf_token": token, prefix + "decision": "refuse", prefix + "reason": ""})
    assert response.status_code == 422 and "Give the reason for the refusal." in page_text(response)
    response = client.post(f"/boards/elections/{election.id}/candidacies/{pending.id}/review",
                           data={prefix + "csrf_token": token, prefix + "decision": "refuse",
                                 prefix + "reason": "Employed by the cooperative."})
    assert response.status_code == 303
    db.session.refresh(pending)
    assert pending.state == "refused" and pending.review_reason == "Employed by the cooperative."
    other = election_in_state("call_open").election
    assert client.post(f"/boards/elections/{other.id}/candidacies/{pending.id}/review",
                       data={prefix + "csrf_token": token, prefix + "decision": "accept"}).status_code == 404


def test_freeze_open_voting_and_the_ballot_link(client, sign_in, admin, election_in_state, db, clock, monkeypatch):
    from governance.elections import operations

    election = election_in_state("call_open").election
    sign_in(admin)
    response = client.post(f"/boards/elections/{election.id}/freeze")
    assert response.status_code == 409  # before the deadline: refused, nothing kept
    db.session.refresh(election)
    assert election.state == "call_open"
    monkeypatch.setattr(operations, "_now", lambda now=None: now or clock.after_deadline)
    assert client.get(f"/boards/elections/{election.id}/freeze").status_code == 200
    assert client.post(f"/boards/elections/{election.id}/freeze").status_code == 303
    db.session.refresh(election)
    assert election.state == "list_frozen" and election.order_letter
    text = page_text(client.get(f"/boards/elections/{election.id}"))
    assert f"starting from the letter {election.order_letter}" in text
    monkeypatch.setattr(operations, "_now", lambda now=None: now or clock.during_vote)
    assert client.post(f"/boards/elections/{election.id}/open-voting").status_code == 303
    db.session.refresh(election)
    assert election.state == "voting"
    assert f"/ballots/{election.ballot_id}" in page_text(client.get(f"/boards/elections/{election.id}"))


def _counted_with_gender_rule(db, ops, admin, make_election, stand, clock, voters):
    """Three seats, at least one woman: the men lead, the only woman is protected and elected instead of the third
    man (a hand-worked count: quota 4 with 12 papers)."""
    from governance.votes import operations as vote_ops

    election = make_election(seats=2)
    ops.set_constraints(election, [("gender", "woman", 1, None)], actor=admin)
    ops.open_call(election, actor=admin, now=clock.now)
    adam = stand(election, "Adams", "Adam", gender="man")
    bert = stand(election, "Baker", "Bert", gender="man")
    cleo = stand(election, "Cooper", "Cleo", gender="woman")
    electorate = voters(9)
    ballot = ops.freeze_list(election, actor=admin, now=clock.after_deadline, rng=random.Random(7))
    ops.open_voting(election, actor=admin, now=clock.during_vote)
    option = {c.member.last_name: str(c.option_id) for c in (adam, bert, cleo)}
    rankings = [["Adams", "Baker"]] * 4 + [["Baker", "Adams"]] * 3 + [["Cooper"]] * 2
    for account, ranking in zip(electorate, rankings):
        vote_ops.cast_vote(ballot, account.member, [int(option[name]) for name in ranking], actor=account,
                           now=clock.during_vote)
    vote_ops.close_ballot(ballot, actor=admin, now=clock.after_close)
    db.session.refresh(election)
    return election, (adam, bert, cleo)


def test_result_page_shows_stages_constraints_and_confirmation(client, sign_in, admin, db, ops, make_election, stand,
                                                               clock, voters, member_account, be):
    election, (adam, bert, cleo) = _counted_with_gender_rule(db, ops, admin, make_election, stand, clock, voters)
    assert election.state == "counted"
    sign_in(member_account(be))
    response = client.get(f"/boards/elections/{election.id}/result")
    assert response.status_code == 200
    text = page_text(response)
    assert "Stages of the count" in text and "Stage 1" in text and "Non-transferable" in text
    assert "Loss from truncation" in text
    assert "Cleo Cooper" in text
    assert "Woman" in text and "These rules changed the count" in text
    assert "Confirm the result" not in text
    assert f"/ballots/{election.ballot_id}/download/ballots.blt" in text
    # the ballot's own result page explains the same steps
    ballot_text = page_text(client.get(f"/ballots/{election.ballot_id}/results"))
    assert "Rules of balanced representation changed the count" in ballot_text
    assert client.post(f"/boards/elections/{election.id}/confirm").status_code == 403
    _sign_out(client)
    sign_in(admin)
    assert "Confirm the result and create the mandates" in page_text(
        client.get(f"/boards/elections/{election.id}/result"))
    response = client.post(f"/boards/elections/{election.id}/confirm")
    assert response.status_code == 303 and response.headers["Location"].endswith("/result#new-board")
    text = page_text(client.get(f"/boards/elections/{election.id}/result"))
    assert "The new board" in text and "newly elected" in text and "Cleo Cooper" in text.split('id="new-board"')[1]


def test_result_is_404_before_the_count(client, sign_in, admin, election_in_state):
    election = election_in_state("voting").election
    sign_in(admin)
    assert client.get(f"/boards/elections/{election.id}/result").status_code == 404


# --- cross-cutting ---------------------------------------------------------------------------------
def test_every_post_needs_the_csrf_token(client, sign_in, admin, election_in_state, be_board, writes):
    election = election_in_state("draft").election
    sign_in(admin)
    urls = [f"/boards/{be_board.id}/settings", f"/boards/{be_board.id}/mandates/new",
            f"/boards/{be_board.id}/elections/new", f"/boards/elections/{election.id}/edit",
            f"/boards/elections/{election.id}/constraints", f"/boards/elections/{election.id}/open-call",
            f"/boards/elections/{election.id}/cancel"]
    with writes() as log:
        for url in urls:
            assert client.post(url, data={"reason": "x"}, csrf=False).status_code == 400, url
    assert not log


def test_get_writes_nothing(client, sign_in, admin, election_in_state, board_with_mandates, writes):
    state = election_in_state("counted", electorate=3)
    election = state.election
    board = board_with_mandates.board
    sign_in(admin)
    urls = ["/boards/", f"/boards/{board.id}", f"/boards/{board.id}/settings", f"/boards/{board.id}/mandates/new",
            f"/boards/{board.id}/mandates/{board_with_mandates.expiring.id}/end", f"/boards/{board.id}/elections/new",
            f"/boards/elections/{election.id}", f"/boards/elections/{election.id}/result",
            f"/boards/elections/{election.id}/confirm", f"/boards/elections/{election.id}/cancel", "/"]
    with writes() as log:
        for url in urls:
            assert client.get(url).status_code in (200, 409), url
    assert not log, log


def test_home_section_for_members_and_managers(client, sign_in, election_in_state, member_account, be,
                                               board_with_mandates, be_board_member):
    election = election_in_state("call_open").election
    sign_in(member_account(be, joined_on=dt.date(2010, 1, 1)))
    text = page_text(client.get("/"))
    assert "You may stand as a candidate" in text and f"/boards/elections/{election.id}" in text
    _sign_out(client)
    sign_in(be_board_member)
    text = page_text(client.get("/"))
    assert "Mandates ending within 6 months" in text and "Ann Expiring, term ends on" in text


def test_board_page_queries_do_not_grow_with_mandates(client, sign_in, be_board_member, be_board, ops, admin,
                                                      create_member, be, count_queries, election_in_state):
    election_in_state("call_open")
    today = dt.date.today()

    def add(n: int, offset: int) -> None:
        for i in range(n):
            member = create_member(branch=be)
            mandate = ops.add_mandate(be_board, member, actor=admin, starts_on=today - dt.timedelta(days=400 + i),
                                      ends_on=today + dt.timedelta(days=30 + i + offset), origin="appointment")
            if i % 2:
                ops.end_mandate(mandate, actor=admin, ended_on=today - dt.timedelta(days=1), reason="resignation")

    add(2, 0)
    sign_in(be_board_member)
    with count_queries() as few:
        assert client.get(f"/boards/{be_board.id}").status_code == 200
    add(8, 100)
    with count_queries() as many:
        assert client.get(f"/boards/{be_board.id}").status_code == 200
    assert many.count == few.count, (few.count, many.count)


def test_election_page_queries_do_not_grow_with_candidates(client, sign_in, election_in_state, stand, member_account,
                                                           be, count_queries):
    election = election_in_state("call_open").election
    reader = member_account(be)
    sign_in(reader)
    with count_queries() as few:
        assert client.get(f"/boards/elections/{election.id}").status_code == 200
    for i in range(6):
        stand(election, f"Extra{i}", "Eve", accept=bool(i % 2) or None)
    with count_queries() as many:
        assert client.get(f"/boards/elections/{election.id}").status_code == 200
    assert many.count == few.count, (few.count, many.count)


def test_titles_fall_back_to_the_original_with_a_notice(client, sign_in, make_election, ops, admin, clock,
                                                        member_account, be):
    election = make_election(titles={"fr": "Élection du conseil", "nl": "Verkiezing van het bestuur"},
                             original_language="fr")
    ops.open_call(election, actor=admin, now=clock.now)
    sign_in(member_account(be, language="en"))
    text = page_text(client.get(f"/boards/elections/{election.id}"))
    assert 'lang="fr"' in text and "Original in French." in text


def test_texts_helper_is_the_conftests():
    assert texts("x", ("en",)) == {"en": "x (en)"}
