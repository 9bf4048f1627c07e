"""Defining ballots through the pages: the form (texts per language, options one per line, rules, electorate,
times in the account's time zone), who may define and manage (403/404), edits only in draft, putting a proposal
to a vote, and the managers' actions (open — refused with the missing translations —, close, extend, annul,
delete)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from governance.core.audit import AuditEntry
from governance.votes.models import Ballot, BallotExtension
from tests.votes.views_support import (  # noqa: F401  (fixtures)
    TEXTS,
    _no_second_factor_for_staff,
    admin,
    ballot_email_templates,
    be,
    count,
    fr,
    make_ballot,
    make_workgroup,
    member_account,
    open_ballot,
    open_yna,
    page_text,
    sign_in_as,
    voters,
)


def form_data(be, **overrides) -> dict:
    """A complete yes/no/abstain definition for the Belgian members, as the form sends it."""
    data = {
        "original_language": "en", "question_en": "Shall we share the vans?", "description_en": "We *share*.",
        "question_nl": "Delen we de bestelwagens?", "question_fr": "Partageons-nous les camionnettes ?",
        "method": "yna", "secrecy": "secret", "electorate_kind": "register", "branches": [str(be.id)],
        "eligible_statuses": ["active"], "opens_at": "", "closes_at": "2030-06-01T18:00", "quorum_kind": "share",
        "quorum_share": "share:1/3", "quorum_count": "", "majority": "qualified:2/3", "result_visibility": "electorate",
    }
    data.update(overrides)
    return data


@pytest.fixture
def board_be(be, member_account):
    return member_account(be, roles=[("board_member", be)])


# --- defining --------------------------------------------------------------------------------------
def test_an_administrator_defines_a_ballot(client, db, admin, be, voters):
    sign_in_as(client, admin)
    page = page_text(client.get("/ballots/new"))
    assert page.count("<h1") == 1 and 'name="question_nl"' in page and 'type="datetime-local"' in page
    response = client.post("/ballots/new", data=form_data(be, opens_at="2030-05-31T09:30"))
    assert response.status_code == 303, page_text(response)[:2000]
    ballot = db.session.execute(select(Ballot)).scalar_one()
    assert response.headers["Location"].endswith(f"/ballots/{ballot.id}")
    assert ballot.questions == {"en": "Shall we share the vans?", "nl": "Delen we de bestelwagens?",
                                "fr": "Partageons-nous les camionnettes ?"}
    assert ballot.descriptions == {"en": "We *share*."}
    assert (ballot.method, ballot.is_secret, ballot.quorum, ballot.majority, ballot.result_visibility) == (
        "yna", True, "share:1/3", "qualified:2/3", "electorate")
    assert ballot.branch_ids == {be.id} and ballot.state == "draft"
    # typed in the account's time zone (Brussels, summer time: UTC+2), stored in UTC
    assert ballot.opens_at == dt.datetime(2030, 5, 31, 7, 30, tzinfo=dt.timezone.utc)
    assert ballot.closes_at == dt.datetime(2030, 6, 1, 16, 0, tzinfo=dt.timezone.utc)
    page = page_text(client.get(f"/ballots/{ballot.id}"))
    assert "Shall we share the vans?" in page and "<em>share</em>" in page
    assert "times in Europe/Brussels" in page and "Two-thirds majority" in page
    assert "a third of the electoral roll" in page
    # the edit form shows the times back in the account's time zone
    edit = page_text(client.get(f"/ballots/{ballot.id}/edit"))
    assert 'value="2030-05-31T09:30"' in edit and 'value="2030-06-01T18:00"' in edit


def test_options_are_typed_one_per_line_per_language(client, db, admin, be):
    sign_in_as(client, admin)
    data = form_data(be, method="stv", seats="2", options_en="Ana\nBen\n\nCara\n", options_nl="Ana\nBen\nCara",
                     options_fr="Ana\nBen\nCara", majority="simple", quorum_kind="none")
    assert client.post("/ballots/new", data=data).status_code == 303
    ballot = db.session.execute(select(Ballot)).scalar_one()
    assert [o.labels for o in ballot.options] == [{"en": n, "nl": n, "fr": n} for n in ("Ana", "Ben", "Cara")]
    assert ballot.seats == 2 and ballot.quorum == "none"


@pytest.mark.parametrize("overrides, message", [
    ({"question_en": ""}, "Give the question in the original language (English)."),
    ({"method": "plurality", "options_en": "Only one"}, "Give at least two options in the original language"),
    ({"method": "plurality", "options_en": "A\nB\nC", "options_fr": "A\nB"},
     "Give the options in the same order and number as in the original language: 3 lines."),
    ({"options_en": "A\nB"}, "A yes/no/abstain ballot has no options"),
    ({"method": "stv", "options_en": "A\nB\nC"}, "Give the number of seats to fill."),
    ({"method": "approval", "options_en": "A\nB\nC"}, "Give how many options a member may approve at most."),
    ({"branches": []}, "Choose at least one branch."),
    ({"quorum_kind": "count", "quorum_count": ""}, "Give the number of participations the quorum needs."),
    ({"opens_at": "2030-06-02T10:00"}, "The ballot must close after it opens."),
    ({"closes_at": "tomorrow"}, "Give a date and a time"),
])
def test_an_invalid_definition_is_refused_with_what_was_typed(client, db, admin, be, overrides, message):
    sign_in_as(client, admin)
    response = client.post("/ballots/new", data=form_data(be, description_en="Kept *as typed*.", **overrides))
    assert response.status_code == 422
    page = page_text(response)
    assert message in page
    assert "Kept *as typed*." in page
    assert count(db, Ballot) == 0


def test_a_closing_time_in_the_past_is_refused_by_the_operation(client, db, admin, be):
    sign_in_as(client, admin)
    response = client.post("/ballots/new", data=form_data(be, closes_at="2001-01-01T10:00"))
    assert response.status_code == 422
    assert "The closing time must be in the future." in page_text(response)
    assert count(db, Ballot) == 0


def test_a_board_member_defines_ballots_for_their_branch_only(client, db, board_be, be, fr):
    sign_in_as(client, board_be)
    page = page_text(client.get("/ballots/new"))
    assert f'value="{be.id}"' in page and f'value="{fr.id}"' not in page
    response = client.post("/ballots/new", data=form_data(be, branches=[str(fr.id)]))
    assert response.status_code == 422  # not a choice offered
    assert client.post("/ballots/new", data=form_data(be)).status_code == 303


def test_a_facilitator_defines_a_ballot_of_their_workgroup(client, db, be, member_account, make_workgroup):
    facilitator = member_account(be)
    workgroup = make_workgroup(branches=[be], facilitators=[facilitator])
    sign_in_as(client, facilitator)
    page = page_text(client.get(f"/ballots/new?workgroup={workgroup.id}"))
    assert 'name="branches"' not in page  # a facilitator cannot ask the register
    data = form_data(be, electorate_kind="workgroup", workgroup=str(workgroup.id))
    del data["branches"]
    response = client.post("/ballots/new", data=data)
    assert response.status_code == 303, page_text(response)[:3000]
    ballot = db.session.execute(select(Ballot)).scalar_one()
    assert ballot.workgroup_id == workgroup.id and ballot.electorate_kind == "workgroup"


def test_members_may_not_define_or_manage_ballots(client, db, open_yna, voters, make_ballot):
    draft = make_ballot()
    sign_in_as(client, voters[0])
    assert client.get("/ballots/new").status_code == 403
    assert client.post("/ballots/new", data={"question_en": "x"}).status_code == 403
    for suffix in ("/edit", "/close", "/extend", "/annul"):
        assert client.get(f"/ballots/{open_yna.id}{suffix}").status_code == 403, suffix
        assert client.post(f"/ballots/{open_yna.id}{suffix}", data={"reason": "x"}).status_code == 403, suffix
    # a draft is the organisers' only: the others do not learn it exists
    for suffix in ("", "/edit", "/open", "/delete"):
        assert client.get(f"/ballots/{draft.id}{suffix}").status_code == 404, suffix
    assert open_yna.is_open and draft.is_draft


def test_a_member_of_another_branch_gets_404_for_every_page(client, db, open_yna, member_account, fr, close):
    french = member_account(fr, language="fr")
    sign_in_as(client, french)
    for suffix in ("", "/edit", "/close", "/extend", "/annul", "/open", "/delete", "/results",
                   "/download/results.csv"):
        assert client.get(f"/ballots/{open_yna.id}{suffix}").status_code == 404, suffix
    assert client.post(f"/ballots/{open_yna.id}/vote", data={"vote": "yes"}).status_code == 404
    page = page_text(client.get("/ballots/"))
    assert TEXTS["fr"] not in page and TEXTS["en"] not in page


def test_a_board_member_of_another_branch_cannot_manage(client, db, open_yna, member_account, fr):
    board_fr = member_account(fr, roles=[("board_member", fr)])
    sign_in_as(client, board_fr)
    assert client.get(f"/ballots/{open_yna.id}/close").status_code == 404


# --- editing ---------------------------------------------------------------------------------------
def test_a_draft_is_edited_and_an_open_ballot_no_longer(client, db, admin, be, make_ballot, open_ballot, voters):
    ballot = make_ballot(method="plurality")
    sign_in_as(client, admin)
    page = page_text(client.get(f"/ballots/{ballot.id}/edit"))
    assert "Ana (en)\nBen (en)\nCara (en)" in page
    data = form_data(be, method="plurality", options_en="Ana\nBen", options_nl="Ana\nBen", options_fr="Ana\nBen",
                     majority="simple")
    assert client.post(f"/ballots/{ballot.id}/edit", data=data).status_code == 303
    db.session.refresh(ballot)
    assert [o.labels["en"] for o in ballot.options] == ["Ana", "Ben"]
    open_ballot(ballot)
    response = client.get(f"/ballots/{ballot.id}/edit")
    assert response.status_code == 409
    assert "can no longer be changed" in page_text(response)
    assert client.post(f"/ballots/{ballot.id}/edit", data=data).status_code == 409


# --- the managers' actions -------------------------------------------------------------------------
def test_opening_is_refused_with_the_missing_translations(client, db, admin, make_ballot, voters):
    ballot = make_ballot(questions={"en": "Only in English?"}, method="plurality",
                         options=[{"en": "Ana", "nl": "Ana"}, {"en": "Ben", "nl": "Ben", "fr": "Ben"}])
    sign_in_as(client, admin)
    page = page_text(client.get(f"/ballots/{ballot.id}"))
    assert "Still missing before the ballot can open:" in page
    response = client.post(f"/ballots/{ballot.id}/open")
    assert response.status_code == 409
    page = page_text(response)
    assert "The ballot cannot open yet" in page
    assert "<strong>Dutch</strong>: question</li>" in page
    assert "<strong>French</strong>: question, option 1</li>" in page
    db.session.refresh(ballot)
    assert ballot.is_draft


def test_opening_closing_and_the_result(client, db, admin, make_ballot, voters):
    ballot = make_ballot()
    sign_in_as(client, admin)
    confirm = page_text(client.get(f"/ballots/{ballot.id}/open"))
    assert "3 members will be on the electoral roll." in confirm
    response = client.post(f"/ballots/{ballot.id}/open")
    assert response.status_code == 303
    db.session.refresh(ballot)
    assert ballot.is_open and ballot.roll_size == 3
    assert client.get(f"/ballots/{ballot.id}/open").status_code == 409  # not twice
    assert "Close and count now" in page_text(client.get(f"/ballots/{ballot.id}/close"))
    assert client.post(f"/ballots/{ballot.id}/close").status_code == 303
    db.session.refresh(ballot)
    assert ballot.is_closed and ballot.result is not None


def test_extending_needs_a_later_time_and_a_reason(client, db, admin, open_yna):
    sign_in_as(client, admin)
    old = open_yna.closes_at
    form = page_text(client.get(f"/ballots/{open_yna.id}/extend"))
    shown = old.astimezone(ZoneInfo("Europe/Brussels")).strftime("%Y-%m-%dT%H:%M")
    assert f'value="{shown}"' in form  # the present closing time, in the account's time zone
    response = client.post(f"/ballots/{open_yna.id}/extend", data={"closes_at": "2001-01-01T10:00", "reason": "x"})
    assert response.status_code == 422
    assert "The closing time can only be moved later." in page_text(response)
    response = client.post(f"/ballots/{open_yna.id}/extend", data={"closes_at": "2031-01-01T10:00", "reason": ""})
    assert response.status_code == 422 and "Give the reason." in page_text(response)
    assert 'value="2031-01-01T10:00"' in page_text(response)
    response = client.post(f"/ballots/{open_yna.id}/extend",
                           data={"closes_at": "2031-01-01T10:00", "reason": "Strike in the post offices"})
    assert response.status_code == 303
    db.session.refresh(open_yna)
    assert open_yna.closes_at == dt.datetime(2031, 1, 1, 9, 0, tzinfo=dt.timezone.utc)  # Brussels, winter
    extension = db.session.execute(select(BallotExtension)).scalar_one()
    assert extension.old_closes_at == old and extension.reason == "Strike in the post offices"
    assert "Strike in the post offices" in page_text(client.get(f"/ballots/{open_yna.id}"))


def test_annulling_needs_a_reason_and_hides_the_result(client, db, admin, open_yna, voters):
    sign_in_as(client, admin)
    response = client.post(f"/ballots/{open_yna.id}/annul", data={"reason": ""})
    assert response.status_code == 422 and "Give the reason." in page_text(response)
    assert client.post(f"/ballots/{open_yna.id}/annul", data={"reason": "The roll was wrong"}).status_code == 303
    db.session.refresh(open_yna)
    assert open_yna.is_annulled
    sign_in_as(client, voters[0])
    page = page_text(client.get(f"/ballots/{open_yna.id}"))
    assert "was annulled" in page and "The roll was wrong" in page
    results = page_text(client.get(f"/ballots/{open_yna.id}/results"))
    assert "The roll was wrong" in results and "Outcome" not in results
    assert client.get(f"/ballots/{open_yna.id}/download/results.csv").status_code == 404


def test_a_draft_is_deleted(client, db, admin, make_ballot):
    ballot = make_ballot()
    sign_in_as(client, admin)
    response = client.post(f"/ballots/{ballot.id}/delete")
    assert response.status_code == 303 and response.headers["Location"].endswith("/ballots/")
    assert count(db, Ballot) == 0
    assert db.session.execute(select(AuditEntry).where(AuditEntry.event == "ballot.deleted")).scalar_one()


# --- CSRF ------------------------------------------------------------------------------------------
def test_every_post_needs_the_csrf_token(client, db, admin, app, open_yna, make_ballot, voters):
    draft = make_ballot()
    sign_in_as(client, voters[0])
    voter_posts = [f"/ballots/{open_yna.id}/vote", f"/ballots/{open_yna.id}/vote/confirm",
                   f"/ballots/{open_yna.id}/results/receipt"]
    for path in voter_posts:
        assert client.post(path, data={"vote": "yes", "confirm": "1"}, csrf=False).status_code == 400, path
    sign_in_as(client, admin)
    manager_posts = ["/ballots/new", f"/ballots/{draft.id}/edit", f"/ballots/{draft.id}/open",
                     f"/ballots/{draft.id}/delete", f"/ballots/{open_yna.id}/close", f"/ballots/{open_yna.id}/extend",
                     f"/ballots/{open_yna.id}/annul", "/ballots/proposal/1"]
    for path in manager_posts:
        assert client.post(path, data={"reason": "x"}, csrf=False).status_code == 400, path
    post_routes = {rule.rule for rule in app.url_map.iter_rules()
                   if rule.endpoint.startswith("votes.") and "POST" in rule.methods}
    assert len(post_routes) == len(voter_posts) + len(manager_posts)  # every POST route is covered
    db.session.refresh(open_yna)
    assert open_yna.is_open and count(db, Ballot) == 2
