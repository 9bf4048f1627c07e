"""Branch administration: who sees and changes branches, validation, audit."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from governance.core.audit import AuditEntry
from governance.core.errors import NotAllowed
from governance.members import operations as ops
from governance.members.models import Branch


def page_text(response) -> str:
    return response.get_data(as_text=True)


def branch_count(db) -> int:
    return db.session.execute(select(func.count()).select_from(Branch)).scalar_one()


def audit_count(db, event: str | None = None) -> int:
    query = select(func.count()).select_from(AuditEntry)
    if event:
        query = query.where(AuditEntry.event == event)
    return db.session.execute(query).scalar_one()


def branch_events(db, event: str) -> list[AuditEntry]:
    return list(db.session.execute(select(AuditEntry).where(AuditEntry.event == event)
                                   .order_by(AuditEntry.seq)).scalars())


def new_branch_form(**overrides) -> dict:
    """A valid creation form: Luxembourg, French and German official, French required, French the main one."""
    data = {
        "code": "LU", "name_nl": "Luxemburg", "name_fr": "Luxembourg", "name_en": "Luxembourg", "name_de": "",
        "country": "LU", "official_languages": ["de", "fr"], "main_language": "fr", "required_languages": ["fr"],
        "timezone": "Europe/Luxembourg",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def board_be(create_account, be):
    return create_account(roles=[("board_member", be)])


# --- who sees and changes branches -----------------------------------------------------------------
def test_an_administrator_sees_the_list_and_the_forms(client, sign_in, admin, be, fr):
    sign_in(admin)
    response = client.get("/register/branches")
    body = page_text(response)
    assert response.status_code == 200 and body.count("<h1>") == 1
    assert "Belgium" in body and "France" in body and "Europe/Brussels" in body
    assert "Dutch, French, German" in body  # BE's official languages, by name
    assert "/register/branches/new" in body and "/register/branches/BE/edit" in body
    for path in ("/register/branches/new", "/register/branches/BE/edit"):
        response = client.get(path)
        assert response.status_code == 200 and page_text(response).count("<h1>") == 1


def test_the_edit_form_shows_the_current_settings(client, sign_in, admin, be):
    sign_in(admin)
    body = page_text(client.get("/register/branches/BE/edit"))
    assert 'value="België"' in body and 'value="Belgique"' in body and 'value="Europe/Brussels"' in body
    assert '<option selected value="BE">Belgium</option>' in body
    for code in ("nl", "fr", "de"):
        assert f'id="official-{code}" aria-labelledby="col-official language-{code}" checked' in body
    assert 'id="main-nl" aria-labelledby="col-main language-nl" checked' in body
    assert 'id="required-de" aria-labelledby="col-required language-de">' in body  # de: official, not required
    assert 'name="code"' not in body  # the code cannot be changed


@pytest.mark.parametrize("roles", [["secretary"], [("secretary", "BE")]])
def test_secretaries_see_branches_but_cannot_change_them(client, sign_in, create_account, be, db, roles):
    secretary = create_account(roles=[(r[0], be) if isinstance(r, tuple) else r for r in roles])
    sign_in(secretary)
    response = client.get("/register/branches")
    assert response.status_code == 200
    assert "Belgium" in page_text(response) and "/register/branches/new" not in page_text(response)
    assert "/register/branches/BE/edit" not in page_text(response)
    assert client.get("/register/branches/new").status_code == 403
    assert client.get("/register/branches/BE/edit").status_code == 403
    assert client.post("/register/branches/new", data=new_branch_form()).status_code == 403
    response = client.post("/register/branches/BE/edit", data=new_branch_form(country="FR"))
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Branch, be.id).country == "BE"
    assert branch_count(db) == 1 and audit_count(db, "branch.created") == 0


def test_board_members_and_plain_members_get_403_everywhere(client, sign_in, create_account, create_member, be,
                                                            board_be, db):
    plain = create_account(member=create_member(branch=be))
    for account in (board_be, plain):
        client.post("/account/sign-out")
        sign_in(account)
        assert client.get("/register/branches").status_code == 403
        assert client.get("/register/branches/new").status_code == 403
        assert client.get("/register/branches/BE/edit").status_code == 403
        assert client.post("/register/branches/new", data=new_branch_form()).status_code == 403
        assert client.post("/register/branches/BE/edit", data=new_branch_form()).status_code == 403
        assert client.get("/register/branches/ZZ/edit").status_code == 403  # not even whether it exists
    assert branch_count(db) == 1


def test_signed_out_visitors_are_sent_to_sign_in(client, be):
    for path in ("/register/branches", "/register/branches/new", "/register/branches/BE/edit"):
        response = client.get(path)
        assert response.status_code == 302 and "/account/sign-in" in response.headers["Location"]


def test_an_unknown_branch_is_404(client, sign_in, admin, be):
    sign_in(admin)
    assert client.get("/register/branches/ZZ/edit").status_code == 404
    assert client.post("/register/branches/ZZ/edit", data=new_branch_form()).status_code == 404


def test_the_nav_links_follow_the_roles(client, sign_in, admin, secretary, board_be, be):
    sign_in(admin)
    nav = page_text(client.get("/"))
    assert 'href="/register/branches"' in nav and 'href="/account/roles"' in nav
    assert 'href="/register/"' in nav and 'href="/account/invitations"' in nav
    assert 'href="/account/profile"' in nav
    client.post("/account/sign-out")
    sign_in(board_be)
    nav = page_text(client.get("/"))
    assert 'href="/register/"' in nav
    assert 'href="/register/branches"' not in nav and 'href="/account/roles"' not in nav
    assert 'href="/account/invitations"' not in nav
    client.post("/account/sign-out")
    sign_in(secretary)
    nav = page_text(client.get("/register/branches"))
    assert '<a href="/register/branches" aria-current="page">' in nav and 'href="/account/roles"' not in nav


# --- creating --------------------------------------------------------------------------------------
def test_creating_a_branch(client, sign_in, admin, be, db):
    sign_in(admin)
    response = client.post("/register/branches/new", data=new_branch_form(code="lu"))
    assert response.status_code == 303 and response.headers["Location"] == "/register/branches"
    branch = db.session.execute(select(Branch).where(Branch.code == "LU")).scalar_one()
    assert branch.names == {"nl": "Luxemburg", "fr": "Luxembourg", "en": "Luxembourg"}
    assert branch.country == "LU"
    assert branch.official_languages == ["fr", "de"]  # the main language first
    assert branch.required_languages == ["fr"]
    assert branch.timezone == "Europe/Luxembourg"
    [entry] = branch_events(db, "branch.created")
    assert entry.actor_id == admin.id and entry.object_type == "branches" and entry.object_id == str(branch.id)
    assert entry.data == {"code": "LU", "names": branch.names, "country": "LU", "official_languages": ["fr", "de"],
                          "required_languages": ["fr"], "timezone": "Europe/Luxembourg"}
    assert "The branch LU has been created." in page_text(client.get("/register/branches"))


def test_one_official_language_is_the_main_one_without_choosing(client, sign_in, admin, db):
    sign_in(admin)
    response = client.post("/register/branches/new", data=new_branch_form(
        official_languages=["fr"], main_language=None))
    assert response.status_code == 303
    assert db.session.execute(select(Branch.official_languages).where(Branch.code == "LU")).scalar_one() == ["fr"]


@pytest.mark.parametrize("overrides,field,message", [
    ({"code": ""}, "code", "The code is 2 to 10 capital letters"),
    ({"code": "B"}, "code", "The code is 2 to 10 capital letters"),
    ({"code": "ABCDEFGHIJK"}, "code", "The code is 2 to 10 capital letters"),
    ({"code": "B3"}, "code", "The code is 2 to 10 capital letters"),
    ({"code": "BÉ"}, "code", "The code is 2 to 10 capital letters"),
    ({"code": "BE"}, "code", "Another branch already has the code BE."),
    ({"name_nl": "", "name_fr": "", "name_en": "", "name_de": ""}, "names", "Give the branch's name in at least"),
    ({"name_en": "x" * 121}, "name_en", "A name has at most 120 characters."),
    ({"country": ""}, "country", "Choose a country from the list."),
    ({"country": "XX"}, "country", "Choose a country from the list."),
    ({"country": "EU"}, "country", "Choose a country from the list."),
    ({"country": "001"}, "country", "Choose a country from the list."),
    ({"official_languages": []}, "languages", "Choose at least one official language from the list."),
    ({"official_languages": ["fr", "xx"]}, "languages", "Choose at least one official language from the list."),
    ({"official_languages": ["fr", "ja"]}, "languages", "Choose at least one official language from the list."),
    ({"main_language": "nl"}, "languages", "The main language must be one of the official languages."),
    ({"main_language": None}, "languages", "The main language must be one of the official languages."),
    ({"required_languages": []}, "languages", "Choose at least one language that official texts require."),
    ({"required_languages": ["fr", "nl"]}, "languages", "must be official languages of the branch."),
    ({"timezone": ""}, "timezone", "Choose a time zone from the list"),
    ({"timezone": "Europe/Atlantis"}, "timezone", "Choose a time zone from the list"),
])
def test_bad_settings_are_refused_with_nothing_written(client, sign_in, admin, be, db, overrides, field, message):
    sign_in(admin)
    before = branch_count(db), audit_count(db)
    data = new_branch_form(**overrides)
    response = client.post("/register/branches/new", data=data)
    body = page_text(response)
    assert response.status_code == 422
    assert message in body
    assert f'id="{field}-errors"' in body
    assert "Please correct the fields marked below." in body
    assert (branch_count(db), audit_count(db)) == before
    # what was typed is kept
    assert 'value="Luxemburg"' in body or "name_nl" in overrides
    if data.get("timezone"):
        assert f'value="{data["timezone"]}"' in body


# --- editing ---------------------------------------------------------------------------------------
def test_editing_records_the_changed_fields_and_keeps_the_rest(client, sign_in, admin, create_branch, db):
    it = create_branch("IT", names={"it": "Italia", "en": "Italy", "fr": "Italie"}, official_languages=["it"],
                       required_languages=["it"], timezone="Europe/Rome", country="IT")
    sign_in(admin)
    response = client.post("/register/branches/IT/edit", data={
        "code": "XX",  # not a field of the edit form: ignored
        "name_nl": "Italië", "name_fr": "Italie", "name_en": "Italy", "name_de": "Italien", "country": "IT",
        "official_languages": ["it", "de"], "main_language": "it", "required_languages": ["it", "de"],
        "timezone": "Europe/Rome",
    })
    assert response.status_code == 303
    db.session.expire_all()
    it = db.session.get(Branch, it.id)
    assert it.code == "IT"
    # the name in Italian, which the form does not show, is kept
    assert it.names == {"it": "Italia", "en": "Italy", "fr": "Italie", "nl": "Italië", "de": "Italien"}
    assert it.official_languages == ["it", "de"] and it.required_languages == ["it", "de"]
    [entry] = branch_events(db, "branch.updated")
    assert entry.actor_id == admin.id and entry.data["code"] == "IT"
    assert set(entry.data["changes"]) == {"names", "official_languages", "required_languages"}
    assert entry.data["changes"]["official_languages"] == {"old": ["it"], "new": ["it", "de"]}


def test_editing_keeps_the_order_of_the_official_languages(client, sign_in, admin, be, db):
    """Belgium's languages stay nl, fr, de (the first is the fallback for members), whatever the form's order."""
    sign_in(admin)
    response = client.post("/register/branches/BE/edit", data={
        "name_nl": "België", "name_fr": "Belgique", "name_en": "Belgium", "name_de": "Belgien", "country": "BE",
        "official_languages": ["de", "fr", "nl"], "main_language": "nl", "required_languages": ["fr", "nl"],
        "timezone": "Europe/Brussels",
    })
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Branch, be.id).official_languages == ["nl", "fr", "de"]
    assert audit_count(db, "branch.updated") == 0
    assert "Nothing was changed." in page_text(client.get("/register/branches"))


def test_changing_the_main_language_puts_it_first(client, sign_in, admin, be, db):
    sign_in(admin)
    response = client.post("/register/branches/BE/edit", data={
        "name_nl": "België", "name_fr": "Belgique", "name_en": "Belgium", "name_de": "Belgien", "country": "BE",
        "official_languages": ["nl", "fr", "de"], "main_language": "fr", "required_languages": ["nl", "fr"],
        "timezone": "Europe/Brussels",
    })
    assert response.status_code == 303
    db.session.expire_all()
    branch = db.session.get(Branch, be.id)
    assert branch.official_languages == ["fr", "nl", "de"] and branch.required_languages == ["fr", "nl"]


def test_a_bad_edit_changes_nothing_and_keeps_the_form(client, sign_in, admin, be, db):
    sign_in(admin)
    response = client.post("/register/branches/BE/edit", data={
        "name_nl": "Belgie 2", "name_fr": "", "name_en": "", "name_de": "", "country": "BE",
        "official_languages": ["nl"], "main_language": "nl", "required_languages": ["fr"],
        "timezone": "Europe/Brussels",
    })
    body = page_text(response)
    assert response.status_code == 422
    assert "must be official languages of the branch" in body and 'value="Belgie 2"' in body
    db.session.expire_all()
    branch = db.session.get(Branch, be.id)
    assert branch.names["nl"] == "België" and branch.official_languages == ["nl", "fr", "de"]
    assert audit_count(db, "branch.updated") == 0


# --- the operations --------------------------------------------------------------------------------
def test_operations_refuse_non_administrators_and_check_everything(db, secretary, admin, be):
    values = {"names": {"en": "Luxembourg"}, "country": "LU", "official_languages": ["fr"],
              "required_languages": ["fr"], "timezone": "Europe/Luxembourg"}
    with pytest.raises(NotAllowed):
        ops.create_branch(code="LU", actor=secretary, **values)
    with pytest.raises(NotAllowed):
        ops.update_branch(be, actor=secretary, **values)
    with pytest.raises(ops.InvalidField) as error:
        ops.create_branch(code="be", actor=admin, **values)
    assert error.value.field == "code" and error.value.status_code == 422
    with pytest.raises(ops.InvalidField) as error:
        ops.create_branch(code="LU", actor=admin, **{**values, "required_languages": ["de"]})
    assert error.value.field == "required_languages"
    with pytest.raises(ops.InvalidField) as error:
        ops.update_branch(be, actor=admin, **{**values, "names": {"nl": "", "fr": "", "en": "", "de": ""}})
    assert error.value.field == "names"
    # the system (CLI, demo) creates branches with no actor
    branch = ops.create_branch(code="LU", actor=None, **values)
    assert branch.id is not None and branch.official_languages == ["fr"]
