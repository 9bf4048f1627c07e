"""Notifications: one row per recipient account and event.

A notification holds what its sentence needs (``data``: ids, the actor's name, titles per language as they
were when the event happened), so a page of notifications renders without loading the proposals or
workgroups they are about, and always in the reader's language (see :mod:`governance.notifications.registry`).
``kind`` is a code that a feature package registers with its renderer ("proposal.opened", "comment.reply" …):
it is open-ended (a new feature adds kinds), so it is checked as not empty rather than against a list.

A notification is *read* when the member opens it or marks all read; it is *digested* once the email
digest listed it, so each one is emailed at most once.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from governance.core.db_types import utcnow
from governance.extensions import db

KIND_MAX = 40
LINK_MAX = 500


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint("kind <> ''", name="kind_not_empty"),
        # a path on the portal, never an address elsewhere (the "open" view redirects to it)
        CheckConstraint("link LIKE '/%'", name="link_is_path"),
        # the list, the unread count and the home section: one account's rows, unread first, newest first
        Index("ix_notifications_account_read_created", "account_id", "read_dt", "created_dt"),
        # the digest: rows not yet emailed nor read, whatever the account
        Index("ix_notifications_digested_read", "digested_dt", "read_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(KIND_MAX))
    #: what the sentence needs; never changed after the row is written
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: the path the notification leads to (``/workgroups/…/proposals/12#comment-40``)
    link: Mapped[str] = mapped_column(String(LINK_MAX))
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)
    read_dt: Mapped[dt.datetime | None]
    digested_dt: Mapped[dt.datetime | None]

    def __repr__(self) -> str:
        return f"<Notification {self.id} account={self.account_id} {self.kind}{' read' if self.read_dt else ''}>"

    @property
    def is_read(self) -> bool:
        return self.read_dt is not None
