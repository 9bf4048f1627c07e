"""Reading one account's notifications: the list, the unread count, the latest unread. Each is one query
(the list two), whatever the number of notifications, through ``ix_notifications_account_read_created``."""
from __future__ import annotations

import math

from sqlalchemy import func, select

from governance.extensions import db
from governance.members.queries import Page
from governance.notifications.models import Notification

PER_PAGE = 30
#: the header counts at most this many (then shows "99+"), so the count stays cheap for anyone
COUNT_CAP = 99
#: unread notifications on the home page
HOME_LATEST = 5


def unread_count(account_id: int, cap: int | None = None) -> int:
    """Unread notifications, counted up to ``cap + 1`` (one query that reads at most that many index rows)."""
    cap = COUNT_CAP if cap is None else cap
    capped = (select(Notification.id)
              .where(Notification.account_id == account_id, Notification.read_dt.is_(None))
              .limit(cap + 1).subquery())
    return db.session.execute(select(func.count()).select_from(capped)).scalar_one()


def notifications_page(account_id: int, page: int = 1, per_page: int = PER_PAGE) -> Page:
    """Newest first (two queries: the count and the page)."""
    total = db.session.execute(select(func.count()).select_from(Notification)
                               .where(Notification.account_id == account_id)).scalar_one()
    pages = max(1, math.ceil(total / per_page))
    page = min(max(page, 1), pages)
    items = list(db.session.execute(
        select(Notification).where(Notification.account_id == account_id)
        .order_by(Notification.created_dt.desc(), Notification.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).scalars())
    return Page(items=items, page=page, per_page=per_page, total=total)


def latest_unread(account_id: int, limit: int = HOME_LATEST) -> list[Notification]:
    return list(db.session.execute(
        select(Notification).where(Notification.account_id == account_id, Notification.read_dt.is_(None))
        .order_by(Notification.created_dt.desc(), Notification.id.desc()).limit(limit)
    ).scalars())


def notification_of(account_id: int, notification_id: int) -> Notification | None:
    """The account's own notification (None for someone else's: the view answers 404)."""
    return db.session.execute(select(Notification).where(Notification.id == notification_id,
                                                         Notification.account_id == account_id)
                              ).scalar_one_or_none()
