"""Who sees, joins and manages which workgroup: a French member cannot see or join a Belgium-only workgroup,
whatever URL they try."""
from __future__ import annotations

import pytest

from governance.workgroups import permissions as perms
from tests.workgroups.conftest import page_text


@pytest.fixture
def belgian_workgroup(be, make_workgroup, member_account):
    facilitator = member_account(be)
    return make_workgroup(title="Lokale werking Gent", original_language="nl", branches=[be],
                          facilitators=[facilitator], pending=[member_account(be)])


def test_a_french_member_gets_404_on_every_page_of_a_belgian_workgroup(client, sign_in, fr, member_account,
                                                                     belgian_workgroup):
    sign_in(member_account(fr))
    slug = belgian_workgroup.slug
    for url in (f"/workgroups/{slug}", f"/workgroups/{slug}/members", f"/workgroups/{slug}/edit"):
        assert client.get(url).status_code == 404, url


def test_a_french_member_cannot_join_a_belgian_workgroup_by_posting_to_it(client, sign_in, fr, member_account,
                                                                        belgian_workgroup, membership, db):
    french = member_account(fr)
    sign_in(french)
    slug = belgian_workgroup.slug
    assert client.post(f"/workgroups/{slug}/join").status_code == 404
    assert membership(belgian_workgroup, french) is None
    pending = belgian_workgroup_pending_member_id(db, belgian_workgroup)
    for action in ("approve", "refuse", "appoint", "remove-facilitator"):
        assert client.post(f"/workgroups/{slug}/members/{pending}/{action}").status_code == 404
    for action in ("leave", "archive", "unarchive", "edit"):
        assert client.post(f"/workgroups/{slug}/{action}").status_code == 404


def belgian_workgroup_pending_member_id(db, workgroup) -> int:
    from sqlalchemy import select

    from governance.workgroups.models import WorkgroupMembership

    return db.session.execute(select(WorkgroupMembership.member_id).where(
        WorkgroupMembership.workgroup_id == workgroup.id, WorkgroupMembership.status == "pending")).scalar_one()


def test_the_directory_leaves_out_other_branches_workgroups(client, sign_in, be, fr, member_account,
                                                          make_workgroup, belgian_workgroup):
    make_workgroup(title="Governance")
    make_workgroup(title="Groupe local de Lyon", original_language="fr", branches=[fr])
    sign_in(member_account(fr))
    page = page_text(client.get("/workgroups/"))
    assert "Governance" in page and "Groupe local de Lyon" in page
    assert "Lokale werking Gent" not in page
    # filtering on a branch one does not see is refused, not answered with an empty list
    assert client.get("/workgroups/?branch=BE").status_code == 400


def test_staff_and_the_branch_board_see_a_restricted_workgroup(client, sign_in, switch_to, create_account, be, fr,
                                                             belgian_workgroup, member_account):
    url = f"/workgroups/{belgian_workgroup.slug}"
    sign_in(create_account(roles=["secretary"]))
    assert client.get(url).status_code == 200
    switch_to(create_account(roles=[("board_member", be)]))
    assert client.get(url).status_code == 200
    switch_to(create_account(roles=[("board_member", fr)]))
    assert client.get(url).status_code == 404
    switch_to(create_account())  # an observer without a register entry
    assert client.get(url).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, belgian_workgroup, make_workgroup):
    open_workgroup = make_workgroup(title="Governance")
    for url in ("/workgroups/", f"/workgroups/{open_workgroup.slug}"):
        response = client.get(url)
        assert response.status_code == 302 and "/account/sign-in" in response.headers["Location"]


def test_a_member_sees_but_cannot_manage(client, sign_in, be, member_account, belgian_workgroup):
    sign_in(member_account(be))
    slug = belgian_workgroup.slug
    assert client.get(f"/workgroups/{slug}").status_code == 200
    assert client.get(f"/workgroups/{slug}/members").status_code == 403
    assert client.get(f"/workgroups/{slug}/edit").status_code == 403
    assert client.post(f"/workgroups/{slug}/archive").status_code == 403


def test_predicates(db, be, fr, member_account, create_account, make_workgroup, admin):
    belgian = member_account(be)
    french = member_account(fr)
    resigned = member_account(be, status="resigned")
    observer = create_account()
    be_board = create_account(roles=[("board_member", be)])
    everyone = make_workgroup(title="Everyone")
    local = make_workgroup(title="Local", branches=[be])

    assert perms.can_view_workgroup(french, everyone) and not perms.can_view_workgroup(french, local)
    assert perms.can_view_workgroup(observer, everyone) and not perms.can_view_workgroup(observer, local)
    assert perms.can_join_workgroup(belgian, local) and perms.can_join_workgroup(french, everyone)
    assert not perms.can_join_workgroup(french, local)
    assert not perms.can_join_workgroup(resigned, everyone) and not perms.can_join_workgroup(observer, everyone)

    assert perms.can_create_workgroup(admin, None) and perms.can_create_workgroup(admin, {fr.id})
    assert perms.can_create_workgroup(be_board, {be.id})
    assert not perms.can_create_workgroup(be_board, None) and not perms.can_create_workgroup(be_board, {be.id, fr.id})
    assert not perms.can_create_any_workgroup(belgian) and perms.can_create_any_workgroup(be_board)

    assert perms.can_manage_workgroup(admin, local) and perms.can_manage_workgroup(be_board, local)
    assert not perms.can_manage_workgroup(be_board, everyone)  # a branch board does not run the cooperative's
    assert not perms.can_manage_workgroup(belgian, local)
    assert perms.can_change_scope(be_board, local) and not perms.can_change_scope(be_board, everyone)


def test_staff_without_a_second_factor_are_sent_to_set_one_up(app, db, client, sign_in, admin, monkeypatch,
                                                              make_workgroup):
    """The production rule (relaxed elsewhere in these tests): workgroup pages are no exception."""
    monkeypatch.setitem(app.config, "TOTP_REQUIRED_ROLES", ("admin", "secretary"))
    workgroup = make_workgroup()
    sign_in(admin)
    for url in ("/workgroups/", "/workgroups/new", f"/workgroups/{workgroup.slug}"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith("/account/two-factor/setup")
    response = client.post(f"/workgroups/{workgroup.slug}/archive")
    assert response.status_code == 303 and response.headers["Location"].endswith("/account/two-factor/setup")
    db.session.expire_all()
    assert workgroup.is_active
