"""The session's pages: who sees and does what (403/404), forms sent back with their errors (422), CSRF (400),
a vote through the pages (a holder votes twice), the exports, the minutes' pages, and fixed query counts."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from governance.assemblies import queries
from governance.assemblies import session as ops
from governance.votes.models import Participation
from tests.assemblies.conftest import page_text
from tests.assemblies.session_fixtures import *  # noqa: F401,F403


def _url(assembly, path=""):
    return f"/assemblies/{assembly.id}{path}"


@pytest.fixture
def on_the_day(monkeypatch):
    """Make the views' clock read the assembly's starting time (plus ``offset``)."""
    from governance.assemblies import minutes as minutes_module
    from governance.assemblies import session as session_module
    from governance.assemblies import session_views

    def travel(assembly, offset=dt.timedelta(hours=1)):
        moment = assembly.starts_at + offset
        for module in (session_module, session_views, minutes_module):
            monkeypatch.setattr(module, "utcnow", lambda: moment)
        from governance.votes import operations as ballot_ops

        monkeypatch.setattr(ballot_ops, "utcnow", lambda: moment)
        return moment

    return travel


# --- registration ----------------------------------------------------------------------------------
def test_registration_page_and_form(db, client, sign_in, convened, people, audit_events):
    ann, bob = people(2)
    assembly = convened()
    sign_in(ann)
    page = client.get(_url(assembly, "/registration"))
    assert page.status_code == 200
    assert "How will you attend?" in page_text(page)
    # a proxy to an unknown member number: 422, what was typed stays
    sent = client.post(_url(assembly, "/registration"), data={"mode": "proxy", "holder_number": "NOPE-1"})
    assert sent.status_code == 422
    assert "No member has this member number." in page_text(sent) and 'value="NOPE-1"' in page_text(sent)
    # no mode: 422
    assert client.post(_url(assembly, "/registration"), data={}).status_code == 422
    sent = client.post(_url(assembly, "/registration"), data={"mode": "proxy", "holder_number": bob.member.number})
    assert sent.status_code == 303
    assert ops.active_proxy(assembly, ann.member.id).holder_id == bob.member.id
    assert f"{bob.member.full_name} (member {bob.member.number}) carries your proxy." in page_text(
        client.get(_url(assembly, "/registration")))
    # a chain is refused with its reason (409), and nothing changes
    client.post("/account/sign-out")
    sign_in(bob)
    page = client.get(_url(assembly, "/registration"))
    assert "You represent" in page_text(page) and ann.member.full_name in page_text(page)
    refused = client.post(_url(assembly, "/registration"), data={"mode": "proxy", "holder_number": ann.member.number})
    assert refused.status_code == 409 and "cannot be passed on" in page_text(refused)
    assert len(audit_events("assembly.proxy_given")) == 1


def test_registration_needs_csrf_and_the_roll(db, client, sign_in, convened, people, fr, roll_account):
    [ann] = people(1)
    assembly = convened()
    french = roll_account(fr)
    sign_in(ann)
    assert client.post(_url(assembly, "/registration"), data={"mode": "online"}, csrf=False).status_code == 400
    assert ops.registration_of(assembly, ann.member.id) is None
    client.post("/account/sign-out")
    sign_in(french)  # another branch's member does not even see the assembly
    assert client.get(_url(assembly, "/registration")).status_code == 404
    assert client.post(_url(assembly, "/registration"), data={"mode": "online"}).status_code == 404


def test_a_draft_has_no_session_pages(db, client, sign_in, make_assembly, admin):
    assembly = make_assembly()
    sign_in(admin)
    for path in ("/session", "/registration", "/minutes", "/session/desk"):
        assert client.get(_url(assembly, path)).status_code == 404


# --- the session -----------------------------------------------------------------------------------
def test_running_the_session_through_the_pages(db, client, sign_in, convened, people, give_role, give_proxy,
                                               on_the_day):
    """The secretary checks members in at the desk, the chair opens and closes the vote, a holder votes for
    themselves and their grantor, everyone sees the result."""
    ann, bob, cleo, chair, secretary = people(5)
    assembly = convened(vote_cap=(1, 2))
    give_role(assembly, "chair", chair)
    give_role(assembly, "secretary", secretary)
    give_proxy(assembly, ann, bob)
    item = next(i for i in queries.agenda_items(assembly) if i.is_resolution)
    on_the_day(assembly)

    sign_in(cleo)
    assert client.post(_url(assembly, "/session/open")).status_code == 403
    assert client.get(_url(assembly, "/session/desk")).status_code == 403
    client.post("/account/sign-out")

    sign_in(secretary)
    assert client.post(_url(assembly, "/session/open")).status_code == 303
    desk = client.get(_url(assembly, "/session/desk"), query_string={"q": bob.member.number})
    assert desk.status_code == 200 and bob.member.full_name in page_text(desk)
    assert client.post(_url(assembly, f"/session/desk/{bob.member.id}"), data={"mode": "room"}).status_code == 303
    assert client.post(_url(assembly, f"/session/desk/{bob.member.id}"), data={"mode": "nowhere"}).status_code == 422
    assert client.post(_url(assembly, f"/session/desk/{bob.member.id}/out")).status_code == 303
    assert client.post(_url(assembly, f"/session/desk/{bob.member.id}"), data={"mode": "online"}).status_code == 303
    assert client.post(_url(assembly, f"/session/desk/{chair.member.id}"), data={"mode": "online"}).status_code == 303
    # the secretary does not open votes
    assert client.post(_url(assembly, f"/session/items/{item.id}/open")).status_code == 403
    client.post("/account/sign-out")

    sign_in(cleo)  # self check-in online
    assert client.post(_url(assembly, "/session/check-in")).status_code == 303
    client.post("/account/sign-out")

    sign_in(chair)
    assert client.post(_url(assembly, f"/session/items/{item.id}/open")).status_code == 303
    page = client.get(_url(assembly, "/session"))
    assert "The vote is open." in page_text(page)
    client.post("/account/sign-out")

    sign_in(bob)
    page = page_text(client.get(_url(assembly, "/session")))
    assert f"member_{bob.member.id}" in page and f"member_{ann.member.id}" in page
    assert client.post(_url(assembly, f"/session/items/{item.id}/vote"), data={}).status_code == 422
    confirm = client.post(_url(assembly, f"/session/items/{item.id}/vote"),
                          data={f"member_{bob.member.id}": "yes", f"member_{ann.member.id}": "no"})
    assert confirm.status_code == 200 and "Confirm your vote" in page_text(confirm)
    assert ops.present_checkin(assembly, bob.member.id) is not None
    cast = client.post(_url(assembly, f"/session/items/{item.id}/vote/confirm"),
                       data={f"member_{bob.member.id}": "yes", f"member_{ann.member.id}": "no", "confirm": "1"})
    assert cast.status_code == 200 and cast.headers["Cache-Control"] == "no-store"
    assert len(re.findall(r'class="receipt-code"', page_text(cast))) == 2
    db.session.refresh(item)
    participations = {p.member_id: p.channel for p in db.session.execute(
        select(Participation).where(Participation.ballot_id == item.ballot_id)).scalars()}
    assert participations == {bob.member.id: "web", ann.member.id: "proxy"}
    # again: nothing left to vote for
    again = client.post(_url(assembly, f"/session/items/{item.id}/vote/confirm"),
                        data={f"member_{bob.member.id}": "yes", "confirm": "1"})
    assert again.status_code == 409
    client.post("/account/sign-out")

    sign_in(chair)
    assert client.post(_url(assembly, f"/session/items/{item.id}/close")).status_code == 303
    page = page_text(client.get(_url(assembly, "/session")))
    assert "Majority not reached: 1 yes against 1 no." in page and "Not adopted" in page
    assert client.post(_url(assembly, "/session/close")).status_code == 303
    db.session.expire_all()
    assert assembly.is_closed
    client.post("/account/sign-out")

    # after the vote, a voter finds each receipt in the published list, which holds no choice
    receipts = re.findall(r'<code class="receipt-code">([0-9A-Z]+)</code>', page_text(cast))
    assert len(receipts) == 2
    sign_in(bob)
    check = f"/session/items/{item.id}/receipt"
    for code in receipts:
        found = client.post(_url(assembly, check), data={f"item-{item.id}-code": code.lower()})
        assert found.status_code == 200 and "Found: this receipt code is in the published list" in page_text(found)
    missing = client.post(_url(assembly, check), data={f"item-{item.id}-code": "AAAAAAAAAA"})
    assert "Not found: this code is not in the published list" in page_text(missing)
    assert client.post(_url(assembly, check), data={f"item-{item.id}-code": ""}).status_code == 422
    assert client.post(_url(assembly, check), data={f"item-{item.id}-code": receipts[0]}, csrf=False).status_code == 400
    listing = client.get(_url(assembly, f"/session/items/{item.id}/receipts.txt"))
    assert listing.status_code == 200 and sorted(listing.get_data(as_text=True).split()) == sorted(receipts)
    assert "yes" not in listing.get_data(as_text=True)
    client.post("/account/sign-out")
    # a member who was not on the vote's roll checks nothing
    outsider = people(1)[0]
    sign_in(outsider)
    assert client.post(_url(assembly, check), data={f"item-{item.id}-code": receipts[0]}).status_code == 403
    assert client.get(_url(assembly, f"/session/items/{item.id}/receipts.txt")).status_code == 403


def test_room_totals_through_the_page(db, client, sign_in, convened, people, give_role, in_session, checked_in,
                                      on_the_day):
    ann, bob, teller = people(3)
    assembly = convened()
    give_role(assembly, "teller", teller)
    in_session(assembly)
    checked_in(assembly, ann, bob)
    item = next(i for i in queries.agenda_items(assembly) if i.is_resolution)
    ops.open_vote(item, actor=None, now=assembly.starts_at + dt.timedelta(hours=1))
    on_the_day(assembly)
    sign_in(ann)
    assert client.post(_url(assembly, f"/session/items/{item.id}/room"),
                       data={"yes": "1", "no": "0", "abstain": "0"}).status_code == 403
    client.post("/account/sign-out")
    sign_in(teller)
    page = page_text(client.get(_url(assembly, "/session")))
    assert "At most 2 votes in all." in page
    too_many = client.post(_url(assembly, f"/session/items/{item.id}/room"), data={"yes": "2", "no": "1",
                                                                                   "abstain": "0"})
    assert too_many.status_code == 422 and "more than the 2 votes" in page_text(too_many)
    assert client.post(_url(assembly, f"/session/items/{item.id}/room"),
                       data={"yes": "x", "no": "1", "abstain": "0"}).status_code == 422
    assert client.post(_url(assembly, f"/session/items/{item.id}/room"),
                       data={"yes": "2", "no": "0", "abstain": "0"}).status_code == 303


def test_session_page_for_members_and_outsiders(db, client, sign_in, convened, people, fr, roll_account,
                                                on_the_day):
    [ann] = people(1)
    assembly = convened()
    on_the_day(assembly, dt.timedelta(hours=-1))
    sign_in(ann)
    page = client.get(_url(assembly, "/session"))
    assert page.status_code == 200 and "Check in online" in page_text(page)
    assert client.get(_url(assembly, "/session/attendance")).status_code == 403
    assert client.get(_url(assembly, "/session/attendance.csv")).status_code == 403
    client.post("/account/sign-out")
    sign_in(roll_account(fr))
    assert client.get(_url(assembly, "/session")).status_code == 404


def test_exports_for_the_role_holders(db, client, sign_in, convened, people, give_role, in_session, checked_in):
    ann, teller = people(2)
    assembly = convened()
    give_role(assembly, "teller", teller)
    in_session(assembly)
    checked_in(assembly, ann)
    sign_in(teller)
    listed = client.get(_url(assembly, "/session/attendance"))
    assert listed.status_code == 200 and ann.member.number in page_text(listed)
    csv = client.get(_url(assembly, "/session/attendance.csv"))
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert ann.member.number in csv.get_data(as_text=True)
    results = client.get(_url(assembly, "/session/results.csv"))
    assert results.status_code == 200 and results.get_data(as_text=True).lstrip("\ufeff").startswith("Item,")


def test_pages_keep_a_fixed_number_of_queries(db, client, sign_in, convened, people, give_role, in_session,
                                              checked_in, give_proxy, count_queries):
    """The check-in desk, the attendance list and the session's page: as many queries for 2 people present as for
    12 present and 5 represented."""
    everyone = people(20)
    staff, holder = everyone[0], everyone[1]
    assembly = convened(max_proxies_per_holder=5)
    give_role(assembly, "checkin_staff", staff)
    for grantor in everyone[15:]:
        give_proxy(assembly, grantor, holder)
    in_session(assembly)
    checked_in(assembly, staff)
    sign_in(staff)

    def counts():
        client.get(_url(assembly, "/session/desk"))  # warm up (sessions, caches)
        with count_queries() as desk:
            assert client.get(_url(assembly, "/session/desk")).status_code == 200
        with count_queries() as search:
            assert client.get(_url(assembly, "/session/desk"), query_string={"q": "member"}).status_code == 200
        with count_queries() as listed:
            assert client.get(_url(assembly, "/session/attendance")).status_code == 200
        with count_queries() as session_page:
            assert client.get(_url(assembly, "/session")).status_code == 200
        return desk.count, search.count, listed.count, session_page.count

    before = counts()
    checked_in(assembly, *everyone[1:12])
    after = counts()
    assert before == after


# --- minutes ---------------------------------------------------------------------------------------
def test_minutes_pages(db, client, sign_in, convened, people, give_role, in_session, checked_in):
    ann, secretary = people(2)
    assembly = convened()
    give_role(assembly, "secretary", secretary)
    in_session(assembly)
    checked_in(assembly, ann)
    ops.close_session(assembly, actor=None, now=assembly.starts_at + dt.timedelta(hours=2))
    sign_in(ann)
    assert client.get(_url(assembly, "/minutes")).status_code == 404
    assert client.post(_url(assembly, "/minutes/generate")).status_code == 403
    client.post("/account/sign-out")

    sign_in(secretary)
    assert "Generate the draft" in page_text(client.get(_url(assembly, "/minutes")))
    assert client.post(_url(assembly, "/minutes/generate"), csrf=False).status_code == 400
    assert client.post(_url(assembly, "/minutes/generate")).status_code == 303
    page = client.get(_url(assembly, "/minutes"))
    # the draft is written in the branch's languages (nl first): the English reader sees the Dutch version
    assert page.status_code == 200 and "Aanwezig of vertegenwoordigd" in page_text(page)
    edit = client.get(_url(assembly, "/minutes/edit"))
    assert edit.status_code == 200
    assert client.post(_url(assembly, "/minutes/edit"), data={"text_nl": "", "text_fr": "x"}).status_code == 422
    assert client.post(_url(assembly, "/minutes/edit"),
                       data={"text_nl": "Notulen.", "text_fr": "Procès-verbal."}).status_code == 303
    page = client.get(_url(assembly, "/minutes"), query_string={"lang": "fr"})
    assert "Procès-verbal." in page_text(page)
    assert client.post(_url(assembly, "/minutes/approve")).status_code == 303
    assert client.get(_url(assembly, "/minutes/edit")).status_code == 403
    assert client.post(_url(assembly, "/minutes/publish")).status_code == 303
    pdf = client.get(_url(assembly, "/minutes/nl.pdf"))
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    html = client.get(_url(assembly, "/minutes/fr.html"))
    assert html.status_code == 200 and "Procès-verbal." in html.get_data(as_text=True)
    assert client.get(_url(assembly, "/minutes/xx.pdf")).status_code == 404
    client.post("/account/sign-out")

    sign_in(ann)  # published: the roll reads them
    assert "Notulen." in page_text(client.get(_url(assembly, "/minutes"), query_string={"lang": "nl"}))
