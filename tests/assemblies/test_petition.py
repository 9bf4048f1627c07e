"""Members' petitions for an assembly: frozen base, a tenth rounded up, one signature each, withdrawal before the
threshold, the board told once."""
from __future__ import annotations

import pytest

from governance.assemblies import operations as ops, queries
from governance.assemblies.models import PetitionState
from governance.core.errors import Conflict, NotAllowed

from .conftest import page_text, texts


@pytest.fixture
def open_for(db):
    def do(account, branch="own", **kw):
        member = account.member
        return ops.open_petition(actor=account, member=member, branch=member.branch if branch == "own" else branch,
                                 titles=kw.pop("titles", texts("Convene an assembly")),
                                 texts=kw.pop("texts", texts("About the vans")), original_language="en", **kw)

    return do


def members(roll_member, branch, count, **kw):
    return [roll_member(branch, **kw) for _ in range(count)]


def test_base_frozen_and_threshold_rounded_up(db, roll_account, roll_member, be, fr, open_for, audit_events):
    opener = roll_account(be)
    members(roll_member, be, 10)       # 11 active members in BE
    members(roll_member, be, 3, status="suspended")
    members(roll_member, fr, 5)
    petition = open_for(opener)
    assert (petition.base, petition.threshold) == (11, 2)
    assert petition.is_open and queries.petition_row(petition, opener.member.id).signed
    members(roll_member, be, 30)       # later members do not change the frozen base
    db.session.expire_all()
    assert (petition.base, petition.threshold) == (11, 2)
    [entry] = audit_events("assembly_petition.opened")
    assert entry.data == {"branch": "BE", "base": 11, "threshold": 2}


def test_exactly_a_tenth_reaches_it_and_the_board_is_told_once(db, roll_account, roll_member, be, fr, open_for,
                                                               create_account, board, outbox, audit_events):
    opener = roll_account(be)
    others = [roll_account(be) for _ in range(19)]   # 20 active: threshold exactly 2
    member_board = board(be, language="nl", email="board-be@example.org")
    board(fr, email="board-fr@example.org")
    secretary = create_account(roles=["secretary"], email="secretary@example.org", language="fr")
    petition = open_for(opener)
    assert petition.threshold == 2 and petition.is_open
    assert ops.sign_petition(petition, others[0].member, actor=others[0]) is True
    assert petition.state == PetitionState.threshold_reached.value and petition.threshold_reached_dt
    sent = {m.to_address: m for m in outbox() if m.topic == f"petition:{petition.id}"}
    assert set(sent) == {"board-be@example.org", "secretary@example.org"}
    assert sent["board-be@example.org"].language == "nl" and sent["secretary@example.org"].language == "fr"
    assert "Convene an assembly" in sent["board-be@example.org"].body_text
    # more signatures: no second notification
    assert ops.sign_petition(petition, others[1].member, actor=others[1]) is False
    assert len([m for m in outbox() if m.topic == f"petition:{petition.id}"]) == 2
    assert [e.data["signatures"] for e in audit_events("assembly_petition.threshold_reached")] == [2]
    assert member_board and secretary


def test_sign_once(db, roll_account, be, open_for):
    opener, other = roll_account(be), roll_account(be)
    for _ in range(30):
        roll_account(be)
    petition = open_for(opener)
    ops.sign_petition(petition, other.member, actor=other)
    with pytest.raises(ops.AlreadySigned):
        ops.sign_petition(petition, other.member, actor=other)
    with pytest.raises(ops.AlreadySigned):
        ops.sign_petition(petition, opener.member, actor=opener)
    assert queries.petition_row(petition, other.member.id).signatures == 2


def test_withdraw_before_threshold_only(db, roll_account, roll_member, be, open_for):
    opener, signer, late = roll_account(be), roll_account(be), roll_account(be)
    members(roll_member, be, 17)   # 20 active: threshold 2
    petition = open_for(opener)
    ops.withdraw_signature(petition, opener.member, actor=opener)
    assert queries.petition_row(petition, opener.member.id).signatures == 0
    with pytest.raises(Conflict):
        ops.withdraw_signature(petition, opener.member, actor=opener)
    ops.sign_petition(petition, opener.member, actor=opener)
    ops.sign_petition(petition, signer.member, actor=signer)
    assert not petition.is_open
    with pytest.raises(Conflict):
        ops.withdraw_signature(petition, signer.member, actor=signer)
    ops.sign_petition(petition, late.member, actor=late)  # signing after the threshold still counts
    assert queries.petition_row(petition, None).signatures == 3


def test_scope_rules(db, roll_account, be, fr, open_for):
    belgian, french = roll_account(be), roll_account(fr)
    with pytest.raises(NotAllowed):
        open_for(belgian, branch=fr)
    suspended = roll_account(be, status="suspended")
    with pytest.raises(NotAllowed):
        open_for(suspended)
    petition = open_for(belgian)
    with pytest.raises(NotAllowed):
        ops.sign_petition(petition, french.member, actor=french)
    cooperative = open_for(belgian, branch=None)
    assert cooperative.branch_id is None and cooperative.base >= 2
    ops.sign_petition(cooperative, french.member, actor=french)


def test_closed_petition_takes_no_signature(db, roll_account, be, open_for, board):
    opener, other = roll_account(be), roll_account(be)
    for _ in range(30):
        roll_account(be)
    petition = open_for(opener)
    ops.close_petition(petition, actor=board(be))
    with pytest.raises(NotAllowed):
        ops.sign_petition(petition, other.member, actor=other)


def test_petition_pages(db, client, sign_in, roll_account, be, fr, switch_to):
    opener = roll_account(be)
    for _ in range(30):
        roll_account(be)
    sign_in(opener)
    assert client.get("/assemblies/petitions/new").status_code == 200
    response = client.post("/assemblies/petitions/new", data={
        "scope": str(be.id), "original_language": "en", "title_en": "", "text_en": "Kept text"})
    assert response.status_code == 422 and "Kept text" in page_text(response)
    response = client.post("/assemblies/petitions/new", data={
        "scope": str(be.id), "original_language": "en", "title_en": "An assembly on vans", "text_en": "Please."})
    assert response.status_code == 303
    path = response.headers["Location"]
    text = page_text(client.get(path))
    assert "An assembly on vans" in text and "1 of the 4 needed" in text
    assert "Withdraw my signature" in text
    assert client.post(path + "/withdraw").status_code == 303
    assert "Sign the petition" in page_text(client.get(path))
    assert client.post(path + "/sign").status_code == 303
    assert client.post(path + "/sign").status_code == 409
    assert "An assembly on vans" in page_text(client.get("/assemblies/petitions"))
    switch_to(roll_account(fr))
    assert client.get(path).status_code == 404
    assert "An assembly on vans" not in page_text(client.get("/assemblies/petitions"))
    assert client.post(path + "/sign").status_code == 404


def test_sign_without_csrf_refused(db, client, sign_in, roll_account, be, open_for):
    opener, other = roll_account(be), roll_account(be)
    petition = open_for(opener)
    sign_in(other)
    assert client.post(f"/assemblies/petitions/{petition.id}/sign", csrf=False).status_code == 400


def test_board_convenes_an_assembly_on_a_petition(db, client, sign_in, roll_account, be, board, open_for):
    import datetime as dt

    from sqlalchemy import select

    from governance.assemblies.models import Assembly

    petition = open_for(roll_account(be))
    member_board = board(be)
    sign_in(member_board)
    text = page_text(client.get(f"/assemblies/petitions/{petition.id}"))
    assert "Convene an assembly on this petition" in text
    form = page_text(client.get(f"/assemblies/new?petition={petition.id}"))
    assert "In answer to the members" in form and "Convene an assembly (en)" in form
    starts = (dt.date.today() + dt.timedelta(days=40)).isoformat() + "T10:00"
    response = client.post(f"/assemblies/new?petition={petition.id}", data={
        "scope": str(be.id), "kind": "extraordinary", "original_language": "en", "timezone": "Europe/Brussels",
        "starts_at": starts, "place": "Brussels", "eligible_statuses": ["active"], "notice_days": "15",
        "max_proxies_per_holder": "1", "vote_cap_numerator": "1", "vote_cap_denominator": "10",
        "title_en": "Assembly asked by the members"})
    assert response.status_code == 303
    assembly = db.session.execute(select(Assembly).order_by(Assembly.id.desc())).scalars().first()
    assert assembly.petition_id == petition.id
    assert "Assembly asked by the members" in page_text(client.get(f"/assemblies/petitions/{petition.id}"))
