"""The email digest: once a day or once a week, one email per member listing their new notifications.

``send_digests(period, now)`` takes the accounts whose ``digest_frequency`` is ``period`` and that have
notifications neither read nor digested yet, and queues one email per account through the outbox, rendered
in the account's language (its sentences too). The notifications listed are marked digested, so the next
digest starts where this one stopped.

Idempotent: each email's outbox key names the account, the period and the period's date (the day for a
daily digest, the Monday of the ISO week for a weekly one, in UTC). Running the command again the same day
(or, for the weekly digest, the same week) finds the key taken and sends nothing twice; that account's
newer notifications wait for the next period. Accounts are handled by chunks: a fixed number of queries
per chunk, whatever the number of notifications.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime
from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from governance.accounts.models import Account, DigestFrequency
from governance.accounts.operations import account_email_language, email_link
from governance.core.db_types import utcnow
from governance.core.outbox import EmailSpec, OutboxMessage, queue_emails
from governance.extensions import db
from governance.members.models import Member
from governance.notifications import registry
from governance.notifications.models import Notification

PERIODS = (DigestFrequency.daily.value, DigestFrequency.weekly.value)
#: at most this many notifications are written out in one email (the others are counted, and on the portal)
ITEMS_MAX = 50
ACCOUNT_CHUNK = 500
UPDATE_CHUNK = 1000


@dataclass
class DigestReport:
    period: str
    date: dt.date
    #: emails queued
    emails: int = 0
    #: notifications marked digested
    notifications: int = 0
    #: accounts skipped because their digest for this period's date was queued already
    already_sent: int = 0


def period_date(period: str, now: dt.datetime) -> dt.date:
    """The date that names a digest: the day (daily), or the Monday of the ISO week (weekly), in UTC."""
    day = now.astimezone(dt.timezone.utc).date()
    if period == DigestFrequency.weekly.value:
        return day - dt.timedelta(days=day.weekday())
    return day


def digest_key(account_id: int, period: str, date: dt.date) -> str:
    return f"notifications:digest:{period}:{date.isoformat()}:account:{account_id}"


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _pending(now: dt.datetime):
    return (Notification.read_dt.is_(None), Notification.digested_dt.is_(None), Notification.created_dt <= now)


def _reader_languages(account: Account, language: str) -> list[str]:
    """As :func:`governance.core.i18n.reader_languages`, for a recipient outside a request."""
    languages = [language]
    member = account.member
    if member is not None and member.language not in current_app.config["LANGUAGES"]:
        languages.insert(0, member.language)
    return languages


def _zone(name: str | None) -> dt.tzinfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return dt.timezone.utc


def _items(account: Account, language: str, rows) -> list[dict]:
    """The lines of one email, rendered in the current (the recipient's) locale."""
    base = current_app.config["SERVER_NAME_FOR_EMAIL"].rstrip("/")
    languages = _reader_languages(account, language)
    zone = _zone(account.timezone)
    return [{"text": registry.render(row.kind, row.data, languages),
             "date": format_datetime(row.created_dt, "short", tzinfo=zone, locale=language),
             "url": base + row.link} for row in rows]


def send_digests(period: str, now: dt.datetime | None = None) -> DigestReport:
    """Queue the ``period`` ("daily" or "weekly") digest of every account that prefers it. Never commits."""
    if period not in PERIODS:
        raise ValueError(f"unknown digest period {period!r}")
    now = now or utcnow()
    date = period_date(period, now)
    report = DigestReport(period=period, date=date)
    account_ids = list(db.session.execute(
        select(Notification.account_id).join(Account, Account.id == Notification.account_id)
        .where(*_pending(now), Account.digest_frequency == period, Account.is_enabled.is_(True))
        .distinct().order_by(Notification.account_id)
    ).scalars())
    notifications_url, profile_url = email_link("notifications.index"), email_link("accounts.profile")
    for chunk in _chunks(account_ids, ACCOUNT_CHUNK):
        keys = {account_id: digest_key(account_id, period, date) for account_id in chunk}
        taken = set(db.session.execute(select(OutboxMessage.key)
                                       .where(OutboxMessage.key.in_(list(keys.values())))).scalars())
        chunk = [account_id for account_id in chunk if keys[account_id] not in taken]
        report.already_sent += len(keys) - len(chunk)
        if not chunk:
            continue
        accounts = db.session.execute(
            select(Account).options(joinedload(Account.member).joinedload(Member.branch))
            .where(Account.id.in_(chunk)).order_by(Account.id)
        ).unique().scalars().all()
        rows_by_account = defaultdict(list)
        for row in db.session.execute(
            select(Notification.id, Notification.account_id, Notification.kind, Notification.data,
                   Notification.link, Notification.created_dt)
            .where(Notification.account_id.in_(chunk), *_pending(now))
            .order_by(Notification.account_id, Notification.created_dt.desc(), Notification.id.desc())
        ):
            rows_by_account[row.account_id].append(row)
        by_language = defaultdict(list)
        for account in accounts:
            if rows_by_account.get(account.id):
                by_language[account_email_language(account)].append(account)
        specs, digested = [], []
        for language, group in sorted(by_language.items()):
            with force_locale(language):
                for account in group:
                    rows = rows_by_account[account.id]
                    digested += [row.id for row in rows]
                    specs.append(EmailSpec(
                        key=keys[account.id], to_address=account.email, to_name=account.display_name,
                        language=language, template="notification_digest", topic=f"notifications:digest:{period}",
                        context={"items": _items(account, language, rows[:ITEMS_MAX]), "total": len(rows),
                                 "more": max(len(rows) - ITEMS_MAX, 0), "period": period,
                                 "notifications_url": notifications_url, "profile_url": profile_url}))
        report.emails += queue_emails(specs)
        for ids in _chunks(digested, UPDATE_CHUNK):
            db.session.execute(update(Notification).where(Notification.id.in_(ids)).values(digested_dt=now)
                               .execution_options(synchronize_session=False))
        report.notifications += len(digested)
    return report
