"""The notifications package on its own: notify() fans out in one statement, mark read, the registry."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from governance.accounts.models import Account
from governance.core.errors import NotAllowed
from governance.notifications import operations as ops
from governance.notifications import queries, registry
from governance.notifications.models import Notification


def _count(db) -> int:
    return db.session.execute(select(func.count()).select_from(Notification)).scalar_one()


def test_notify_a_list_skips_the_actor_and_duplicates(db, create_account, count_queries):
    a, b, c = create_account(), create_account(), create_account()
    with count_queries() as counter:
        written = ops.notify([a, b.id, b, c], "test.kind", {"x": 1}, "/somewhere", exclude_actor=c)
    assert written == 2 and counter.count == 1
    rows = db.session.execute(select(Notification).order_by(Notification.account_id)).scalars().all()
    assert [(n.account_id, n.kind, n.data, n.link) for n in rows] == [
        (a.id, "test.kind", {"x": 1}, "/somewhere"), (b.id, "test.kind", {"x": 1}, "/somewhere")]
    assert all(n.read_dt is None and n.digested_dt is None and n.created_dt is not None for n in rows)


def test_notify_a_query_runs_inside_the_insert(db, create_account, count_queries):
    accounts = [create_account() for _ in range(4)]
    ids = [a.id for a in accounts]
    recipients = select(Account.id).where(Account.id.in_(ids))
    with count_queries() as counter:
        written = ops.notify(recipients, "test.kind", {"titles": {"en": "Vans", "fr": "Camionnettes"}}, "/p/1",
                             exclude_actor=accounts[0])
    assert counter.count == 1 and written == 3 == _count(db)
    data = db.session.execute(select(Notification.data)).scalars().first()
    assert data == {"titles": {"en": "Vans", "fr": "Camionnettes"}}
    assert ops.notify(select(Account.id).where(Account.id == -1), "test.kind", {}, "/p/1") == 0


@pytest.mark.parametrize("link", ["https://elsewhere.example/", "//elsewhere.example/x", "relative"])
def test_a_link_must_be_a_path_on_the_portal(db, create_account, link):
    with pytest.raises(ValueError):
        ops.notify([create_account()], "test.kind", {}, link)


def test_mark_read_and_mark_all_read(db, create_account):
    me, other = create_account(), create_account()
    ops.notify([me, other], "test.kind", {}, "/a")
    ops.notify([me], "test.kind", {}, "/b")
    mine = db.session.execute(select(Notification).where(Notification.account_id == me.id)
                              .order_by(Notification.id)).scalars().all()
    with pytest.raises(NotAllowed):
        ops.mark_read(mine[0], actor=other)
    ops.mark_read(mine[0], actor=me)
    first_read = mine[0].read_dt
    ops.mark_read(mine[0], actor=me)
    assert mine[0].read_dt == first_read
    assert queries.unread_count(me.id) == 1
    with pytest.raises(NotAllowed):
        ops.mark_all_read(me, actor=other)
    assert ops.mark_all_read(me, actor=me) == 1
    assert queries.unread_count(me.id) == 0 and queries.unread_count(other.id) == 1


def test_the_unread_count_is_capped(db, create_account):
    me = create_account()
    for _ in range(3):
        ops.notify([me], "test.kind", {}, "/a")
    assert queries.unread_count(me.id, cap=2) == 3  # "more than 2"
    assert queries.unread_count(me.id) == 3


def test_an_unknown_kind_still_reads(app):
    with app.test_request_context():
        assert registry.render("gone.kind", {}, ["en"]) == "You have a notification."


def test_a_kind_belongs_to_one_module(app):
    import governance.proposals.notifying  # noqa: F401  (registers its kinds)

    assert {"proposal.opened", "proposal.comment", "comment.reply", "proposal.state"} <= set(
        registry.registered_kinds())
    with pytest.raises(ValueError):
        registry.register_kind("proposal.opened", lambda data, languages: "elsewhere")


def test_snapshots_pick_the_readers_language():
    snapshot = registry.snapshot_text({"en": "Vans", "fr": "Camionnettes", "nl": ""}, "en")
    assert snapshot == {"texts": {"en": "Vans", "fr": "Camionnettes"}, "original": "en"}
    assert registry.snapshot_pick(snapshot, ["fr"]).text == "Camionnettes"
    picked = registry.snapshot_pick(snapshot, ["nl"])
    assert (picked.text, picked.is_fallback) == ("Vans", True)
