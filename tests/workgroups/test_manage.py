"""Creating, editing and archiving workgroups: who may, what is checked, what is audited."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from governance.workgroups.models import Workgroup, WorkgroupMembership
from tests.workgroups.conftest import page_text


def _form(**overrides) -> dict:
    data = {
        "original_language": "en", "title_en": "Tools we share", "description_en": "We **share** tools.",
        "title_fr": "Les outils que nous partageons", "description_fr": "Nous partageons des outils.",
        "working_languages": ["en", "fr"], "theme": "tools", "joining": "open", "scope": "cooperative",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _count(db, model=Workgroup) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_an_administrator_creates_a_cooperative_workgroup(client, sign_in, admin, db, audit_events):
    sign_in(admin)
    assert client.get("/workgroups/new").status_code == 200
    response = client.post("/workgroups/new", data=_form())
    assert response.status_code == 303
    workgroup = db.session.execute(select(Workgroup)).scalar_one()
    assert response.headers["Location"] == f"/workgroups/{workgroup.slug}" == "/workgroups/tools-we-share"
    assert workgroup.titles == {"en": "Tools we share", "fr": "Les outils que nous partageons"}
    assert workgroup.descriptions["en"] == "We **share** tools."
    assert workgroup.original_language == "en" and workgroup.working_languages == ["en", "fr"]
    assert workgroup.is_cooperative_wide and workgroup.created_by_id == admin.id and workgroup.is_active
    [entry] = audit_events()
    assert entry.event == "workgroup.created" and entry.actor_id == admin.id
    assert entry.data["scope"] == "cooperative" and entry.data["slug"] == "tools-we-share"
    page = page_text(client.get(response.headers["Location"]))
    assert "<strong>share</strong>" in page  # the description is rendered as Markdown


def test_a_board_member_creates_workgroups_for_their_own_branch_only(client, sign_in, be, fr, member_account, db,
                                                                   membership):
    board = member_account(be, roles=[("board_member", be)])
    sign_in(board)
    page = page_text(client.get("/workgroups/new"))
    assert 'name="scope"' not in page  # no choice of the whole cooperative
    assert re.findall(r'<input[^>]*name="branches"[^>]*>', page) == [  # their one branch, chosen
        f'<input checked id="branches-0" name="branches" type="checkbox" value="{be.id}">']
    # another branch, or the whole cooperative: refused, nothing written
    response = client.post("/workgroups/new", data=_form(branches=[str(fr.id)], scope=None))
    assert response.status_code == 422 and _count(db) == 0
    response = client.post("/workgroups/new", data=_form(scope="cooperative"))
    assert response.status_code == 422 and _count(db) == 0
    response = client.post("/workgroups/new", data=_form(scope=None))
    assert response.status_code == 422 and "Choose at least one branch." in page_text(response)
    response = client.post("/workgroups/new", data=_form(branches=[str(be.id)], scope=None, facilitate="y"))
    assert response.status_code == 303
    workgroup = db.session.execute(select(Workgroup)).scalar_one()
    assert not workgroup.is_cooperative_wide and workgroup.branch_ids == {be.id}
    assert membership(workgroup, board).role == "facilitator"


def test_a_board_member_cannot_create_for_another_branch_through_the_operation(db, be, fr, create_account):
    import pytest

    from governance.core.errors import NotAllowed
    from governance.workgroups import operations as ops

    board = create_account(roles=[("board_member", be)])
    with pytest.raises(NotAllowed):
        ops.create_workgroup(actor=board, titles={"en": "X"}, descriptions={"en": "Y"}, original_language="en",
                             working_languages=["en"], branch_ids={fr.id})
    assert _count(db) == 0


def test_members_cannot_create_workgroups(client, sign_in, be, member_account, db):
    sign_in(member_account(be))
    assert client.get("/workgroups/new").status_code == 403
    assert client.post("/workgroups/new", data=_form()).status_code == 403
    assert "Create a workgroup" not in page_text(client.get("/workgroups/"))
    assert _count(db) == 0


def test_invalid_forms_are_sent_back_with_what_was_typed(client, sign_in, admin, db, audit_events):
    sign_in(admin)
    cases = [
        (_form(title_en="", description_en="Only a description"), "Give the title in the original language"),
        (_form(description_en=""), "Give the description in the original language"),
        (_form(title_fr=""), "A description needs a title in the same language."),
        (_form(working_languages=[]), "Choose at least one working language."),
        (_form(theme="football"), "Not a valid choice"),
        (_form(original_language="xx"), "Not a valid choice"),
        (_form(title_en="x" * 201), "Field cannot be longer than 200 characters."),
    ]
    for data, error in cases:
        response = client.post("/workgroups/new", data=data)
        page = page_text(response)
        assert response.status_code == 422, error
        assert error in page, error
        assert "Nous partageons des outils." in page  # nothing typed is lost
        assert 'aria-invalid="true"' in page
    assert _count(db) == 0 and _count(db, WorkgroupMembership) == 0 and not audit_events()


def test_a_facilitator_edits_texts_but_not_the_scope(client, sign_in, be, fr, member_account, make_workgroup, db,
                                                     audit_events):
    facilitator = member_account(be)
    workgroup = make_workgroup(branches=[be], facilitators=[facilitator])
    sign_in(facilitator)
    page = page_text(client.get(f"/workgroups/{workgroup.slug}/edit"))
    assert 'name="branches"' not in page and 'value="Tools we share"' in page
    data = _form(title_nl="Gedeeld gereedschap", description_nl="We delen gereedschap.", joining="moderated",
                 scope="cooperative", branches=[str(fr.id)])
    response = client.post(f"/workgroups/{workgroup.slug}/edit", data=data)
    assert response.status_code == 303
    db.session.expire_all()
    assert workgroup.titles["nl"] == "Gedeeld gereedschap" and workgroup.joining == "moderated"
    assert workgroup.branch_ids == {be.id} and not workgroup.is_cooperative_wide  # scope ignored
    assert workgroup.slug == "tools-we-share"  # URLs stay
    assert [e.event for e in audit_events()][-1] == "workgroup.joining_changed"


def test_an_administrator_changes_the_scope(client, sign_in, admin, be, fr, make_workgroup, db, audit_events):
    workgroup = make_workgroup(branches=[be])
    sign_in(admin)
    response = client.post(f"/workgroups/{workgroup.slug}/edit",
                           data=_form(scope="branches", branches=[str(be.id), str(fr.id)]))
    assert response.status_code == 303
    db.session.expire_all()
    assert workgroup.branch_ids == {be.id, fr.id}
    entry = audit_events("workgroup.scope_changed")[-1]
    assert entry.data == {"old": ["BE"], "new": ["BE", "FR"]}


def test_an_invalid_edit_writes_nothing(client, sign_in, admin, make_workgroup, db):
    workgroup = make_workgroup()
    sign_in(admin)
    response = client.post(f"/workgroups/{workgroup.slug}/edit", data=_form(title_en="", title_fr="Nouveau titre"))
    assert response.status_code == 422 and 'value="Nouveau titre"' in page_text(response)
    db.session.expire_all()
    assert workgroup.titles == {"en": "Tools we share"}


def test_archiving_makes_a_workgroup_read_only(client, sign_in, switch_to, be, member_account, make_workgroup, db,
                                               membership, audit_events):
    facilitator = member_account(be)
    waiting = member_account(be)
    member = member_account(be)
    outsider = member_account(be)
    workgroup = make_workgroup(title="Repair cafe network", joining="moderated",
                               facilitators=[facilitator, member_account(be)], members=[member], pending=[waiting])
    slug = workgroup.slug
    sign_in(facilitator)
    assert client.post(f"/workgroups/{slug}/archive").status_code == 303
    db.session.expire_all()
    assert workgroup.is_archived and workgroup.archived_dt is not None
    page = page_text(client.get(f"/workgroups/{slug}"))
    assert "This workgroup was archived on" in page and "Make the workgroup active again" in page

    assert client.get(f"/workgroups/{slug}/edit").status_code == 409
    assert client.post(f"/workgroups/{slug}/edit", data=_form()).status_code == 409
    for action in ("approve", "refuse", "appoint"):
        assert client.post(f"/workgroups/{slug}/members/{waiting.member.id}/{action}").status_code == 409
    assert client.post(f"/workgroups/{slug}/members/{member.member.id}/appoint").status_code == 409
    assert client.post(f"/workgroups/{slug}/leave").status_code == 409
    assert client.post(f"/workgroups/{slug}/archive").status_code == 409
    switch_to(outsider)
    assert client.post(f"/workgroups/{slug}/join").status_code == 409
    assert membership(workgroup, outsider) is None
    switch_to(member)
    assert client.post(f"/workgroups/{slug}/leave").status_code == 409
    assert membership(workgroup, member) is not None
    assert membership(workgroup, waiting).status == "pending"
    assert workgroup_not_in_default_directory(client, workgroup)

    switch_to(facilitator)
    assert client.post(f"/workgroups/{slug}/unarchive").status_code == 303
    db.session.expire_all()
    assert workgroup.is_active and workgroup.archived_dt is None
    assert [e.event for e in audit_events()][-2:] == ["workgroup.archived", "workgroup.unarchived"]


def workgroup_not_in_default_directory(client, workgroup) -> bool:
    title = workgroup.titles["en"]
    return (title not in page_text(client.get("/workgroups/"))
            and title in page_text(client.get("/workgroups/?archived=y")))
