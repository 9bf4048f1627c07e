"""The database keeps the workgroups' invariants by itself: unique, check and foreign-key constraints."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from governance.core.db_types import utcnow
from governance.core.i18n import LocalText, pick_text
from governance.workgroups.models import Workgroup, WorkgroupMembership, workgroup_branches


def _fails(db, statement) -> None:
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(statement)


def test_a_member_is_in_a_workgroup_once(db, be, member_account, make_workgroup):
    an = member_account(be)
    workgroup = make_workgroup(members=[an])
    table = WorkgroupMembership.__table__
    _fails(db, insert(table).values(workgroup_id=workgroup.id, member_id=an.member.id, role="member",
                                    status="pending", created_dt=utcnow()))
    count = db.session.execute(select(table.c.id).where(table.c.workgroup_id == workgroup.id)).all()
    assert len(count) == 1


@pytest.mark.parametrize("values", [
    {"role": "chair"},
    {"status": "invited"},
    {"status": "pending", "joined_dt": None, "role": "facilitator"},  # a pending request cannot facilitate
    {"status": "active", "joined_dt": None},  # an active member has a joining date
    {"status": "pending"},  # a pending request has none
])
def test_membership_checks(db, be, member_account, make_workgroup, values):
    an = member_account(be)
    workgroup = make_workgroup(members=[an])
    table = WorkgroupMembership.__table__
    _fails(db, update(table).where(table.c.workgroup_id == workgroup.id).values(**values))


@pytest.mark.parametrize("values", [
    {"state": "deleted"},
    {"state": "archived"},  # without its date
    {"archived_dt": utcnow()},  # an active workgroup has no archiving date
    {"scope": "planet"},
    {"joining": "invitation"},
    {"theme": "football"},
    {"slug": ""},
])
def test_workgroup_checks(db, make_workgroup, values):
    workgroup = make_workgroup()
    _fails(db, update(Workgroup.__table__).where(Workgroup.id == workgroup.id).values(**values))


def test_slugs_are_unique_and_made_from_the_original_title(db, make_workgroup):
    first = make_workgroup(title="Économie & Solidarité", original_language="fr")
    second = make_workgroup(title="Economie  solidarite!", original_language="fr")
    new = make_workgroup(title="New")
    assert first.slug == "economie-solidarite"
    assert second.slug == "economie-solidarite-2"
    assert new.slug == "new-2"  # /workgroups/new is the creation form
    _fails(db, update(Workgroup.__table__).where(Workgroup.id == second.id).values(slug=first.slug))


def test_a_branch_that_scopes_a_workgroup_cannot_be_deleted(db, be, make_workgroup):
    from governance.members.models import Branch

    make_workgroup(branches=[be])
    _fails(db, delete(Branch.__table__).where(Branch.id == be.id))


def test_deleting_a_workgroup_deletes_its_memberships_and_scope(db, be, member_account, make_workgroup):
    an = member_account(be)
    workgroup = make_workgroup(branches=[be], facilitators=[an])
    workgroup_id = workgroup.id
    db.session.expunge_all()
    db.session.execute(delete(Workgroup.__table__).where(Workgroup.id == workgroup_id))
    assert not db.session.execute(select(WorkgroupMembership.id)
                                  .where(WorkgroupMembership.workgroup_id == workgroup_id)).all()
    assert not db.session.execute(select(workgroup_branches)
                                  .where(workgroup_branches.c.workgroup_id == workgroup_id)).all()


def test_repr(be, member_account, make_workgroup, db):
    an = member_account(be)
    workgroup = make_workgroup(title="Governance", facilitators=[an])
    membership = db.session.execute(select(WorkgroupMembership)).scalar_one()
    assert repr(workgroup) == f"<Workgroup {workgroup.id} governance active>"
    assert repr(membership).startswith(f"<WorkgroupMembership {membership.id} workgroup={workgroup.id} ")
    assert "facilitator active" in repr(membership)


def test_json_texts_track_changes_in_place(db, make_workgroup):
    workgroup = make_workgroup(title="Tools")
    workgroup.titles["fr"] = "Outils"
    workgroup.working_languages.append("fr")
    db.session.commit()
    db.session.expire_all()
    assert workgroup.titles == {"en": "Tools", "fr": "Outils"}
    assert workgroup.working_languages == ["en", "fr"]


@pytest.mark.parametrize("languages,expected", [
    (["nl"], LocalText("Gereedschap", "nl", False)),
    (["de"], LocalText("Outils", "fr", True)),  # not in German: the original, flagged
    (["it", "de"], LocalText("Outils", "fr", True)),
    (["it", "en"], LocalText("Tools", "en", False)),  # an Italian reading the portal in English
])
def test_pick_text(languages, expected):
    texts = {"fr": "Outils", "nl": "Gereedschap", "en": "Tools"}
    assert pick_text(texts, "fr", languages) == expected


def test_pick_text_without_the_original():
    assert pick_text({"de": "Werkzeuge"}, "fr", ["en"]) == LocalText("Werkzeuge", "de", True)
    assert pick_text({}, "fr", ["en"]) == LocalText("", "fr", False)
