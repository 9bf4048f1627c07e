"""The paper-ballot pages: the tellers' page (check-off, entry, own entries), the comparison of a mismatched paper
with its correction, the managers' designation of tellers; 403, 404, CSRF, validation, and GET never writes."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import event

from governance.votes import paper
from governance.votes.models import BallotTeller, BoxEntry, OpenVote, Participation, PaperBallot
from tests.votes.conftest import option_ids
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
    page_text,
    sign_in_as,
)


@pytest.fixture(scope="module")
def app(app, database_url, tmp_path_factory):
    """The session's application if it mounts the paper pages; until the lead mounts them, one that does (same
    database)."""
    if "ballot_paper" in app.blueprints:
        yield app
        return
    from governance import create_app
    from governance.extensions import db as _db
    from governance.votes.paper_views import bp
    from tests.conftest import CsrfClient, make_settings

    own = create_app(make_settings(database_url, tmp_path_factory.mktemp("paper-instance")))
    own.register_blueprint(bp, url_prefix="/ballots")
    own.test_client_class = CsrfClient
    yield own
    with own.app_context():
        _db.session.remove()
        _db.engine.dispose()


def url(ballot, suffix: str = "") -> str:
    return f"/ballots/{ballot.id}{suffix}"


@pytest.fixture
def setting(make_ballot, open_ballot, member_account, create_account, be, admin):
    """An open secret STV ballot (three candidates) of four Belgian members with accounts; two tellers
    designated, a third account not yet."""
    members = [member_account(be, first_name=name, last_name="Dupont") for name in ("Alice", "Bruno", "Chloé",
                                                                                      "David")]
    ballot = open_ballot(make_ballot(method="stv"))
    tellers = [create_account(display_name=f"Teller {n}") for n in range(3)]
    for teller in tellers[:2]:
        paper.add_teller(ballot, teller, actor=admin)
    return SimpleNamespace(ballot=ballot, members=members, tellers=tellers, options=option_ids(ballot))


def ranks(options, ranking) -> dict[str, str]:
    """Form data of a ranking (option ids in order of preference)."""
    return {f"rank_{option_id}": str(position) for position, option_id in enumerate(ranking, start=1)}


class Writes:
    def __init__(self):
        self.statements: list[str] = []


@pytest.fixture
def no_writes(db):
    """``with no_writes(): …`` fails if a data-changing statement is sent meanwhile."""
    from contextlib import contextmanager

    @contextmanager
    def watch():
        writes = Writes()
        engine = db.engine

        def listen(conn, cursor, statement, parameters, context, executemany):
            if statement.split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
                writes.statements.append(statement)

        event.listen(engine, "before_cursor_execute", listen)
        try:
            yield writes
        finally:
            event.remove(engine, "before_cursor_execute", listen)
        assert not writes.statements, writes.statements

    return watch


# --- access ----------------------------------------------------------------------------------------
def test_the_pages_are_for_tellers_and_managers(client, db, setting, admin, member_account, fr):
    ballot = setting.ballot
    pages = [url(ballot, "/paper"), url(ballot, "/paper/1")]
    paper.enter_paper(ballot, 1, [setting.options[0]], actor=setting.tellers[0])
    # a member who sees the ballot but is no teller: 403; someone of another branch: 404
    sign_in_as(client, setting.members[0])
    for page in pages + [url(ballot, "/tellers")]:
        assert client.get(page).status_code == 403, page
    assert client.post(url(ballot, "/paper/check-off"), data={"member_id": setting.members[0].member.id}
                       ).status_code == 403
    assert client.post(url(ballot, "/paper/enter"), data={"number": "1"}).status_code == 403
    sign_in_as(client, member_account(fr))
    for page in pages + [url(ballot, "/tellers")]:
        assert client.get(page).status_code == 404, page
    # a teller: the tellers' pages, not the designation
    sign_in_as(client, setting.tellers[0])
    for page in pages:
        assert client.get(page).status_code == 200, page
    assert client.get(url(ballot, "/tellers")).status_code == 403
    assert client.get("/ballots/999999/paper").status_code == 404
    assert client.get(url(ballot, "/paper/2")).status_code == 404  # no such paper
    assert client.post(url(ballot, "/paper/2/withdraw")).status_code == 404
    # a manager: the designation page, not the tellers' pages
    sign_in_as(client, admin)
    assert client.get(url(ballot, "/tellers")).status_code == 200
    assert client.get(url(ballot, "/paper")).status_code == 403
    assert client.get("/ballots/999999/tellers").status_code == 404
    assert client.post(url(ballot, f"/tellers/{setting.tellers[2].id}/remove")).status_code == 404  # not a teller


def test_every_page_has_one_h1_a_title_and_labelled_inputs(client, db, setting, admin):
    ballot = setting.ballot
    paper.check_off(ballot, setting.members[0].member, actor=setting.tellers[0])
    paper.enter_paper(ballot, 1, [setting.options[0]], actor=setting.tellers[0])
    paper.enter_paper(ballot, 1, [setting.options[1]], actor=setting.tellers[1])
    db.session.commit()
    checks = [(setting.tellers[0], url(ballot, "/paper?q=Dupont")), (setting.tellers[0], url(ballot, "/paper/1")),
              (admin, url(ballot, "/tellers"))]
    for account, page in checks:
        sign_in_as(client, account)
        text = page_text(client.get(page))
        assert text.count("<h1") == 1, page
        assert re.search(r"<title>[^<]+\S[^<]*</title>", text), page
        for tag in re.findall(r'<(?:input|select)[^>]*>', text):
            if re.search(r'type="(?:hidden|submit)"', tag):
                continue
            input_id = re.search(r' id="([^"]+)"', tag).group(1)
            assert f'for="{input_id}"' in text, (page, input_id)


def test_get_never_writes(client, db, setting, no_writes, admin):
    ballot = setting.ballot
    paper.enter_paper(ballot, 1, [setting.options[0]], actor=setting.tellers[0])
    sign_in_as(client, setting.tellers[0])
    with no_writes():
        for page in (url(ballot, "/paper"), url(ballot, "/paper?q=Alice"), url(ballot, "/paper/1"),
                     url(ballot, "/paper/check-off"), url(ballot, "/paper/enter")):
            assert client.get(page).status_code in (200, 405)
    sign_in_as(client, admin)
    with no_writes():
        assert client.get(url(ballot, "/tellers")).status_code == 200


def test_every_form_needs_its_csrf_token(client, db, setting, admin):
    ballot = setting.ballot
    member = setting.members[0].member
    paper.enter_paper(ballot, 1, [setting.options[0]], actor=setting.tellers[0])
    sign_in_as(client, setting.tellers[0])
    posts = [(url(ballot, "/paper/check-off"), {"member_id": member.id}),
             (url(ballot, "/paper/enter"), {"number": "2", **ranks(setting.options, setting.options[:1])}),
             (url(ballot, "/paper/1"), ranks(setting.options, setting.options[1:2])),
             (url(ballot, "/paper/1/withdraw"), {})]
    for target, data in posts:
        assert client.post(target, data=data, csrf=False).status_code == 400, target
    sign_in_as(client, admin)
    assert client.post(url(ballot, "/tellers"), data={"email": setting.tellers[2].email},
                       csrf=False).status_code == 400
    assert client.post(url(ballot, f"/tellers/{setting.tellers[0].id}/remove"), csrf=False).status_code == 400
    assert count(db, Participation, ballot_id=ballot.id) == 0
    assert count(db, PaperBallot, ballot_id=ballot.id) == 1
    assert count(db, BallotTeller, ballot_id=ballot.id) == 2


# --- the flow --------------------------------------------------------------------------------------
def test_designate_check_off_enter_twice_compare_correct_and_accept(client, db, setting, admin):
    ballot = setting.ballot
    ana, ben, cara = setting.options
    third = setting.tellers[2]
    # the manager designates a third teller by email, and removes them again
    sign_in_as(client, admin)
    response = client.post(url(ballot, "/tellers"), data={"email": third.email.upper()})
    assert response.status_code == 303
    assert third.display_name in page_text(client.get(url(ballot, "/tellers")))
    assert client.post(url(ballot, "/tellers"), data={"email": third.email}).status_code == 409  # already
    assert client.post(url(ballot, "/tellers"), data={"email": "nobody@example.org"}).status_code == 422
    assert client.post(url(ballot, "/tellers"), data={"email": ""}).status_code == 422
    assert client.post(url(ballot, f"/tellers/{third.id}/remove")).status_code == 303
    assert not paper.is_teller(third, ballot)

    # a teller finds Bruno by name (and by number), restricted to the roll, and checks him off
    first, second = setting.tellers[:2]
    bruno = setting.members[1].member
    sign_in_as(client, first)
    found = page_text(client.get(url(ballot, "/paper?q=bruno")))
    assert f'value="{bruno.id}"' in found and "Check off Bruno Dupont" in found
    assert "Alice" not in found
    assert "Bruno" in page_text(client.get(url(ballot, f"/paper?q={bruno.number}")))
    response = client.post(url(ballot, "/paper/check-off"), data={"member_id": bruno.id})
    assert response.status_code == 303
    assert db.session.get(Participation, (ballot.id, bruno.id)).channel == "paper"
    assert "has voted already" in page_text(client.get(url(ballot, "/paper?q=bruno")))
    # twice: refused; a member not on the roll: refused
    assert client.post(url(ballot, "/paper/check-off"), data={"member_id": bruno.id}).status_code == 409
    assert client.post(url(ballot, "/paper/check-off"), data={"member_id": "999999"}).status_code == 422
    # and Bruno can no longer vote online
    sign_in_as(client, setting.members[1])
    response = client.post(url(ballot, "/vote/confirm"), data=ranks(setting.options, [ana]))
    assert response.status_code == 409
    assert count(db, BoxEntry, ballot_id=ballot.id) == 0

    # first entry, then a different second entry: the comparison page
    sign_in_as(client, first)
    response = client.post(url(ballot, "/paper/enter"), data={"number": "1", **ranks(setting.options, [ben, ana])})
    assert response.status_code == 303
    page = page_text(client.get(url(ballot, "/paper")))
    assert "Your entries not accepted yet" in page and "Waiting for its second entry" in page
    sign_in_as(client, second)
    unseen = page_text(client.get(url(ballot, "/paper/1")))
    assert "Another teller has entered this paper" in unseen
    assert '<option selected value="1">' not in unseen  # the other teller's entry is not shown
    response = client.post(url(ballot, "/paper/enter"), data={"number": "1", **ranks(setting.options, [ben, cara])})
    assert response.status_code == 303 and response.headers["Location"].endswith(url(ballot, "/paper/1"))
    comparison = page_text(client.get(url(ballot, "/paper/1")))
    assert "Entries differ" in comparison
    assert comparison.count("<strong>differs</strong>") == 1  # position 2 only, marked in text
    assert "Entered by Teller 0" in comparison and "Entered by Teller 1" in comparison
    # a third teller cannot add an entry
    paper.add_teller(ballot, third, actor=admin)
    db.session.commit()
    sign_in_as(client, third)
    response = client.post(url(ballot, "/paper/enter"), data={"number": "1", **ranks(setting.options, [ben])})
    assert response.status_code == 409 and "two tellers already" in page_text(response)
    # the second teller corrects their entry: accepted, in the box
    sign_in_as(client, second)
    response = client.post(url(ballot, "/paper/1"), data=ranks(setting.options, [ben, ana]))
    assert response.status_code == 303
    assert count(db, BoxEntry, ballot_id=ballot.id) == 1
    page = page_text(client.get(url(ballot, "/paper/1")))
    assert "Accepted" in page and "can no longer change" in page
    assert client.post(url(ballot, "/paper/1"), data=ranks(setting.options, [ana])).status_code == 409


def test_entries_are_validated(client, db, setting):
    ballot = setting.ballot
    ana, ben, _cara = setting.options
    sign_in_as(client, setting.tellers[0])
    duplicate = {"number": "1", f"rank_{ana}": "1", f"rank_{ben}": "1"}
    response = client.post(url(ballot, "/paper/enter"), data=duplicate)
    assert response.status_code == 422 and "given to several options" in page_text(response)
    response = client.post(url(ballot, "/paper/enter"), data={"number": "1"})
    assert response.status_code == 422 and "Rank at least one option." in page_text(response)
    response = client.post(url(ballot, "/paper/enter"), data={"number": "", **ranks(setting.options, [ana])})
    assert response.status_code == 422 and "Give the paper's number." in page_text(response)
    response = client.post(url(ballot, "/paper/enter"), data={"number": "99", **ranks(setting.options, [ana])})
    assert response.status_code == 422 and "between 1 and 4" in page_text(response)
    # what was typed is kept
    assert re.search(r'<option selected value="1">1</option>', page_text(response))
    assert count(db, PaperBallot, ballot_id=ballot.id) == 0


def test_a_teller_withdraws_their_own_entry(client, db, setting):
    ballot = setting.ballot
    paper.enter_paper(ballot, 2, [setting.options[0]], actor=setting.tellers[0])
    db.session.commit()
    sign_in_as(client, setting.tellers[1])
    assert client.post(url(ballot, "/paper/2/withdraw")).status_code == 409
    sign_in_as(client, setting.tellers[0])
    assert client.post(url(ballot, "/paper/2/withdraw")).status_code == 303
    assert count(db, PaperBallot, ballot_id=ballot.id) == 0


def test_a_roll_call_paper_vote_is_recorded_by_a_teller(client, db, make_ballot, open_ballot, member_account, be,
                                                        create_account, admin):
    members = [member_account(be, first_name="Eva", last_name="Peeters")]
    ballot = open_ballot(make_ballot(is_secret=False))
    teller = create_account(display_name="Roll Teller")
    paper.add_teller(ballot, teller, actor=admin)
    member = members[0].member
    sign_in_as(client, teller)
    page = page_text(client.get(url(ballot, "/paper?q=peeters")))
    assert "Record the paper vote of Eva Peeters" in page
    form = page_text(client.get(url(ballot, f"/paper?q=peeters&member={member.id}")))
    assert "Paper vote of Eva Peeters" in form and 'name="vote"' in form
    assert client.post(url(ballot, "/paper/record"), data={"member_id": member.id}).status_code == 422
    response = client.post(url(ballot, "/paper/record"), data={"member_id": member.id, "vote": "no"})
    assert response.status_code == 303
    vote = db.session.get(OpenVote, (ballot.id, member.id))
    assert vote.choice == "no"
    assert db.session.get(Participation, (ballot.id, member.id)).channel == "paper"
    # a secret ballot's pages take no roll-call record, a roll-call ballot's none of the double entry
    assert client.post(url(ballot, "/paper/enter"), data={"number": "1", "vote": "no"}).status_code == 404


def test_the_ballot_page_helpers(app, db, setting, admin):
    from flask import render_template
    from flask_login import login_user

    ballot = setting.ballot
    paper.check_off(ballot, setting.members[0].member, actor=setting.tellers[0])
    with app.test_request_context("/"):
        login_user(setting.tellers[0])
        links = (render_template("votes/paper/_ballot_links.html", ballot=ballot))
        assert "Tellers: paper ballots" in links and "Tellers of this ballot" not in links
        login_user(admin)
        links = (render_template("votes/paper/_ballot_links.html", ballot=ballot))
        assert "Tellers of this ballot" in links and "Tellers: paper ballots" not in links
        notice = render_template("votes/paper/_close_notice.html", ballot=ballot)
        assert "1 member was checked off on paper; 0 paper ballots are accepted." in notice
        assert "If you close now, that vote is not counted." in notice
