"""Writing notifications and marking them read. None of these commits.

:func:`notify` fans one event out to any number of accounts in one statement: given a query of account
ids (the followers a feature selects, already filtered by who may see the item) it runs
``INSERT … SELECT``; given ids or accounts it runs one multi-row ``INSERT … VALUES`` per thousand. It never
builds an ORM object per recipient, so 5,000 followers cost one statement, not 5,000.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from flask import current_app
from sqlalchemy import JSON, Select, String, insert, literal, select, update

from governance.core.db_types import UTCDateTime, utcnow
from governance.core.errors import NotAllowed
from governance.extensions import db
from governance.notifications.models import KIND_MAX, LINK_MAX, Notification

#: rows per INSERT … VALUES statement when recipients are given as a list
VALUES_CHUNK = 1000


def _account_id(value: Any) -> int | None:
    if value is None:
        return None
    return value if isinstance(value, int) else getattr(value, "id", None)


def _check(kind: str, link: str) -> None:
    if not kind or len(kind) > KIND_MAX:
        raise ValueError(f"notification kind {kind!r} is empty or too long")
    if not link.startswith("/") or link.startswith("//") or len(link) > LINK_MAX:
        raise ValueError(f"notification link {link!r} is not a path on the portal")


def notify(recipients: Select | Iterable[Any], kind: str, data: Mapping[str, Any], link: str, *,
           exclude_actor: Any = None, now: dt.datetime | None = None) -> int:
    """One notification of ``kind`` for each recipient; returns how many were written.

    ``recipients`` is a ``select()`` of one column of account ids (run inside the INSERT: nothing is read
    into Python), or accounts and account ids. ``exclude_actor`` (an account or its id) never hears of its
    own action. A recipient named twice gets one notification.
    """
    _check(kind, link)
    now = now or utcnow()
    actor_id = _account_id(exclude_actor)
    table = Notification.__table__
    if isinstance(recipients, Select):
        ids = recipients.distinct().subquery("recipients")
        account_id = list(ids.c)[0]
        query = select(account_id, literal(kind, String), literal(dict(data), JSON), literal(link, String),
                       literal(now, UTCDateTime()))
        if actor_id is not None:
            query = query.where(account_id != actor_id)
        result = db.session.execute(
            insert(table).from_select(["account_id", "kind", "data", "link", "created_dt"], query)
            .execution_options(preserve_rowcount=True))
        return max(result.rowcount or 0, 0)
    ordered = dict.fromkeys(i for i in (_account_id(r) for r in recipients) if i is not None and i != actor_id)
    rows = [{"account_id": i, "kind": kind, "data": dict(data), "link": link, "created_dt": now} for i in ordered]
    for start in range(0, len(rows), VALUES_CHUNK):
        db.session.execute(insert(table).values(rows[start:start + VALUES_CHUNK]))
    return len(rows)


def portal_path(endpoint: str, **values) -> str:
    """The path of a page from the portal's root, in a request or not: a notification's ``link``."""
    return current_app.url_map.bind("portal.invalid", script_name="/").build(endpoint, values)


def mark_read(notification: Notification, *, actor) -> None:
    """The recipient opened the notification (reading it again changes nothing)."""
    if actor is None or notification.account_id != actor.id:
        raise NotAllowed()
    if notification.read_dt is None:
        notification.read_dt = utcnow()
        db.session.flush()


def mark_all_read(account, *, actor, now: dt.datetime | None = None) -> int:
    """Every unread notification of the account (one UPDATE); returns how many there were."""
    if actor is None or account.id != actor.id:
        raise NotAllowed()
    result = db.session.execute(
        update(Notification)
        .where(Notification.account_id == account.id, Notification.read_dt.is_(None))
        .values(read_dt=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return max(result.rowcount or 0, 0)
