"""Two facilitators of a workgroup leave at the same moment: one leaves, the other is told to appoint a successor.

Committed data in the session's database (a rolled-back test transaction is invisible to other
connections), removed at the end.
"""
from __future__ import annotations

import datetime as dt
import threading
from types import SimpleNamespace

from sqlalchemy import delete, func, select

from governance.core.db_types import utcnow
from governance.extensions import db as _db


def test_the_last_two_facilitators_cannot_both_leave(app, monkeypatch):
    from governance.members.models import Branch, Member
    from governance.workgroups import operations as ops
    from governance.workgroups import queries
    from governance.workgroups.models import Workgroup, WorkgroupMembership

    with app.app_context():
        branch = Branch(code="RACE", country="BE", names={"en": "Race"}, official_languages=["en"],
                        required_languages=["en"])
        members = [Member(number=f"RACE-{n}", branch=branch, first_name="Race", last_name=str(n), language="en",
                          status="active", joined_on=dt.date(2020, 1, 1)) for n in range(2)]
        workgroup = Workgroup(slug="race-to-leave", titles={"en": "Race"}, descriptions={"en": "Race."},
                              original_language="en", working_languages=["en"])
        _db.session.add_all([branch, *members, workgroup])
        _db.session.flush()
        _db.session.add_all([WorkgroupMembership(workgroup_id=workgroup.id, member_id=m.id, role="facilitator",
                                                 status="active", joined_dt=utcnow()) for m in members])
        _db.session.commit()
        ids = {"workgroup": workgroup.id, "members": [m.id for m in members], "branch": branch.id}
        _db.session.remove()

    # each leaver, having counted the facilitators, waits (up to a second) for the other to have counted
    # too: without the workgroup's lock both would count two and both leave
    counted = threading.Barrier(2)
    count_facilitators = queries.active_facilitator_count

    def count_then_wait(workgroup):
        count = count_facilitators(workgroup)
        try:
            counted.wait(1)
        except threading.BrokenBarrierError:  # the other one is waiting for the lock: as it should
            pass
        return count

    monkeypatch.setattr(queries, "active_facilitator_count", count_then_wait)
    outcomes: list[str] = []

    def leave(member_id: int) -> None:
        with app.app_context():
            try:
                workgroup = _db.session.get(Workgroup, ids["workgroup"])
                member = _db.session.get(Member, member_id)
                ops.leave_workgroup(workgroup, member, actor=SimpleNamespace(member=member))
                _db.session.commit()
                outcomes.append("left")
            except ops.LastFacilitator:
                _db.session.rollback()
                outcomes.append("refused")
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                _db.session.rollback()
                outcomes.append(repr(exc))
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=leave, args=(member_id,)) for member_id in ids["members"]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        assert sorted(outcomes) == ["left", "refused"]
        with app.app_context():
            remaining = _db.session.execute(select(func.count()).select_from(WorkgroupMembership).where(
                WorkgroupMembership.workgroup_id == ids["workgroup"],
                WorkgroupMembership.role == "facilitator")).scalar_one()
            assert remaining == 1
            _db.session.remove()
    finally:
        with app.app_context():
            _db.session.execute(delete(Workgroup).where(Workgroup.id == ids["workgroup"]))
            _db.session.execute(delete(Member).where(Member.id.in_(ids["members"])))
            _db.session.execute(delete(Branch).where(Branch.id == ids["branch"]))
            _db.session.commit()
            _db.session.remove()
