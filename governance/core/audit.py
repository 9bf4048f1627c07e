"""Append-only audit log of administrative events, each entry chained to the previous one by hash.

It records roles, imports, ballot and assembly lifecycle, proxies and moderation, never an
individual vote. ``flask governance audit verify`` walks the chain and reports the first broken link;
the latest hash is shown on results and minutes so a rewritten chain can be noticed from outside.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, String, event, select, text
from sqlalchemy.orm import Mapped, mapped_column

from governance.core.db_types import utcnow
from governance.extensions import db

GENESIS_HASH = "0" * 64


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    __table_args__ = (
        CheckConstraint("seq >= 1", name="seq_positive"),
        Index("ix_audit_entries_object", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: position in the chain, 1, 2, 3 … without gaps
    seq: Mapped[int] = mapped_column(unique=True)
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: the account that acted; kept as a plain number (no foreign key) so the entry never changes
    actor_id: Mapped[int | None]
    event: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: a hash can be the previous hash of one entry only: a concurrent second writer fails
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    def __repr__(self) -> str:
        return f"<AuditEntry #{self.seq} {self.event} {self.object_type}:{self.object_id}>"

    def compute_hash(self) -> str:
        """The hash of this entry's content and link."""
        return entry_hash(
            prev_hash=self.prev_hash,
            seq=self.seq,
            created_dt=self.created_dt,
            actor_id=self.actor_id,
            event=self.event,
            object_type=self.object_type,
            object_id=self.object_id,
            data=self.data,
        )


def _canonical_time(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(*, prev_hash, seq, created_dt, actor_id, event, object_type, object_id, data) -> str:
    payload = json.dumps(
        {
            "prev": prev_hash,
            "seq": seq,
            "at": _canonical_time(created_dt),
            "actor": actor_id,
            "event": event,
            "type": object_type,
            "id": object_id,
            "data": data,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
        default=str,
    )
    return hashlib.sha256(payload.encode("ascii")).hexdigest()


def _lock_chain() -> None:
    """Serialise writers of the chain. SQLite's immediate transactions already do."""
    bind = db.session.get_bind()
    if bind.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(7244001)"))


def record(event_name: str, *, actor=None, obj=None, object_type: str | None = None,
           object_id: Any = None, **data: Any) -> AuditEntry:
    """Append an entry. ``actor`` is an account (or None for the system); ``obj`` a model instance."""
    _lock_chain()
    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
    last = db.session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS_HASH)
    # normalise the data through JSON so the hash is computed on what is stored
    data = json.loads(json.dumps(data, default=str))
    entry = AuditEntry(
        seq=seq,
        created_dt=utcnow(),
        actor_id=getattr(actor, "id", actor),
        event=event_name,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        data=data,
        prev_hash=prev,
    )
    entry.hash = entry.compute_hash()
    db.session.add(entry)
    db.session.flush()
    return entry


def latest_hash(session=None) -> str:
    """The hash of the last entry (``session``: another database, such as a backup copy; default: the portal's)."""
    session = session if session is not None else db.session
    value = session.execute(select(AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).scalar()
    return value or GENESIS_HASH


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str | None = None


def verify_chain(batch_size: int = 5000, *, session=None) -> VerifyResult:
    """Walk the chain in order; report the first entry whose link or content does not hold.

    ``session`` reads another database holding the same table (a backup copy, see ``governance.core.backup``);
    by default the portal's own."""
    session = session if session is not None else db.session
    columns = (AuditEntry.seq, AuditEntry.created_dt, AuditEntry.actor_id, AuditEntry.event,
               AuditEntry.object_type, AuditEntry.object_id, AuditEntry.data, AuditEntry.prev_hash,
               AuditEntry.hash)
    prev = GENESIS_HASH
    checked = 0
    while True:
        rows = session.execute(
            select(*columns).where(AuditEntry.seq > checked).order_by(AuditEntry.seq).limit(batch_size)
        ).all()
        if not rows:
            return VerifyResult(True, checked)
        for row in rows:
            expected_seq = checked + 1
            if row.seq != expected_seq:
                return VerifyResult(False, checked, expected_seq, f"entry {expected_seq} is missing")
            if row.prev_hash != prev:
                return VerifyResult(False, checked, row.seq, "previous hash does not match")
            computed = entry_hash(prev_hash=row.prev_hash, seq=row.seq, created_dt=row.created_dt,
                                  actor_id=row.actor_id, event=row.event, object_type=row.object_type,
                                  object_id=row.object_id, data=row.data)
            if computed != row.hash:
                return VerifyResult(False, checked, row.seq, "content does not match its hash")
            prev = row.hash
            checked += 1


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _append_only(mapper, connection, target):
    raise RuntimeError("audit entries are append-only")
