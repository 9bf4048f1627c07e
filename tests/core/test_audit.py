import pytest
from sqlalchemy import text

from governance.core import audit
from governance.core.audit import GENESIS_HASH, verify_chain


def test_entries_chain_by_hash(db):
    first = audit.record("ballot.opened", object_type="ballots", object_id=1, roll_size=120)
    second = audit.record("ballot.closed", object_type="ballots", object_id=1)
    assert first.prev_hash == GENESIS_HASH or first.seq > 1
    assert second.prev_hash == first.hash and second.seq == first.seq + 1
    assert audit.latest_hash() == second.hash
    assert verify_chain().ok


def test_entries_cannot_be_changed_through_the_orm(db):
    entry = audit.record("role.granted", object_type="accounts", object_id=3)
    entry.event = "role.revoked"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("tamper,reason", [
    ("UPDATE audit_entries SET data = '{\"roll_size\": 99}' WHERE seq = :seq", "content"),
    ("UPDATE audit_entries SET actor_id = 42 WHERE seq = :seq", "content"),
    ("DELETE FROM audit_entries WHERE seq = :seq", "missing"),
])
def test_tampering_is_detected_at_the_first_broken_entry(db, tamper, reason):
    entries = [audit.record("import.done", object_type="imports", object_id=i, roll_size=i) for i in range(4)]
    target = entries[1].seq
    db.session.execute(text(tamper), {"seq": target})
    db.session.expire_all()
    result = verify_chain()
    assert not result.ok
    assert result.broken_seq == target
    assert reason in result.reason


def test_rewritten_chain_breaks_the_link(db):
    entries = [audit.record("x", n=i) for i in range(3)]
    # recompute a consistent hash for a changed entry: the next entry's link still breaks
    e = entries[0]
    new_hash = audit.entry_hash(prev_hash=e.prev_hash, seq=e.seq, created_dt=e.created_dt, actor_id=e.actor_id,
                                event="forged", object_type=e.object_type, object_id=e.object_id, data=e.data)
    db.session.execute(text("UPDATE audit_entries SET event = 'forged', hash = :h WHERE seq = :s"),
                       {"h": new_hash, "s": e.seq})
    result = verify_chain()
    assert not result.ok and result.broken_seq == entries[1].seq and "previous" in result.reason


def test_verify_command_reports_ok_and_broken(app, db):
    audit.record("x")
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["governance", "audit", "verify"])
    assert result.exit_code == 0 and "intact" in result.output
    db.session.execute(text("UPDATE audit_entries SET event = 'y' WHERE seq = (SELECT MAX(seq) FROM audit_entries)"))
    result = runner.invoke(args=["governance", "audit", "verify"])
    assert result.exit_code == 1 and "BROKEN" in result.output


def test_latest_hash_is_shown_on_pages(client, db):
    entry = audit.record("x")
    db.session.commit()
    assert entry.hash[:16] in client.get("/").get_data(as_text=True)
