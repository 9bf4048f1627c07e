"""Reads for accounts: whom an invitation would reach, and everything the portal holds about a person."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from governance.accounts.models import Account, AccountToken, RecoveryCode, RoleAssignment
from governance.core.audit import AuditEntry
from governance.core.db_types import utcnow
from governance.core.outbox import OutboxMessage
from governance.extensions import db
from governance.members.models import Branch, Member, MemberStatusChange
from governance.members.queries import Page

#: at most this many values in one IN (…) list: SQLite before 3.32 accepts 999 parameters
IN_CHUNK = 900


def chunked(values: Iterable[Any], size: int = IN_CHUNK) -> Iterator[list[Any]]:
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


# --- invitations -----------------------------------------------------------------------------------
def invitation_conditions(*, branch_ids: Collection[int] | None = None, statuses: Collection[str] = (),
                          numbers: Collection[str] = (), without_account: bool = False) -> list[Any]:
    """The members an invitation is meant for, as conditions on ``select(Member…)``.

    ``branch_ids`` None means every branch; ``statuses`` and ``numbers`` empty mean no restriction.
    """
    conditions = []
    if branch_ids is not None:
        conditions.append(Member.branch_id.in_(list(branch_ids) or [-1]))
    if statuses:
        conditions.append(Member.status.in_(list(statuses)))
    if numbers:
        conditions.append(Member.number.in_(list(numbers)))
    if without_account:
        conditions.append(~exists().where(Account.member_id == Member.id))
    return conditions


def invitation_rows(conditions) -> list[Any]:
    """Light rows (id, number, first and last name, status, email) of the selected members, by number."""
    return list(db.session.execute(
        select(Member.id, Member.number, Member.first_name, Member.last_name, Member.status, Member.email)
        .where(*conditions).order_by(Member.number)
    ))


def invitation_members(conditions) -> list[Member]:
    """The selected members with their branches (one query), by number."""
    return list(db.session.execute(
        select(Member).join(Member.branch).options(contains_eager(Member.branch))
        .where(*conditions).order_by(Member.number)
    ).scalars())


def accounts_of_members(member_ids: Iterable[int]) -> set[int]:
    """Of these members, those that have an account."""
    found: set[int] = set()
    for chunk in chunked(member_ids):
        found.update(db.session.execute(select(Account.member_id).where(Account.member_id.in_(chunk))).scalars())
    return found


def emails_in_use(emails: Iterable[str]) -> set[str]:
    """Of these (lower-case) addresses, those an account uses."""
    found: set[str] = set()
    for chunk in chunked(set(emails)):
        found.update(db.session.execute(select(Account.email).where(Account.email.in_(chunk))).scalars())
    return found


def members_with_pending_invitation(member_ids: Iterable[int], now: dt.datetime) -> set[int]:
    """Of these members, those holding an invitation that still works."""
    found: set[int] = set()
    for chunk in chunked(member_ids):
        found.update(db.session.execute(
            select(AccountToken.member_id).distinct()
            .where(AccountToken.member_id.in_(chunk), AccountToken.purpose == "invite",
                   AccountToken.used_dt.is_(None), AccountToken.expires_dt > now)
        ).scalars())
    return found


def load_branches(branch_ids: Iterable[int]) -> None:
    """Put these branches in the session, so ``member.branch`` needs no query of its own."""
    for chunk in chunked(set(branch_ids)):
        db.session.execute(select(Branch).where(Branch.id.in_(chunk))).scalars().all()


# --- roles -----------------------------------------------------------------------------------------
#: accounts per page of the roles list
ROLES_PER_PAGE = 50


def _account_search(text: str):
    """Every word in the name shown or the email address, ignoring case; wildcards matched literally."""
    return and_(*(
        or_(func.lower(Account.display_name).contains(word, autoescape=True),
            func.lower(Account.email).contains(word, autoescape=True))
        for word in (w.lower() for w in text.split()[:8])
    ))


def role_accounts_page(*, search: str = "", page: int = 1, per_page: int = ROLES_PER_PAGE) -> Page:
    """Accounts holding a role (or, with a search, every account that matches), by name, with their roles
    and the roles' branches: three queries whatever the page's length (count, page, roles)."""
    conditions = [_account_search(search)] if search.strip() else [Account.roles.any()]
    total = db.session.execute(select(func.count()).select_from(Account).where(*conditions)).scalar_one()
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    items = list(db.session.execute(
        select(Account).where(*conditions)
        .options(selectinload(Account.roles).joinedload(RoleAssignment.branch))
        .order_by(func.lower(Account.display_name), Account.email, Account.id)
        .limit(per_page).offset((page - 1) * per_page)
    ).unique().scalars())
    return Page(items=items, page=page, per_page=per_page, total=total)


def account_with_roles(account_id: int) -> Account | None:
    """The account, its register entry and branch, and its roles with their branches."""
    return db.session.execute(
        select(Account).where(Account.id == account_id)
        .options(selectinload(Account.roles).joinedload(RoleAssignment.branch),
                 joinedload(Account.member).joinedload(Member.branch))
    ).unique().scalar_one_or_none()


def branches_by_name() -> list[Branch]:
    return sorted(db.session.execute(select(Branch)).scalars(), key=lambda b: b.name.casefold())


# --- personal data export (GDPR) -------------------------------------------------------------------
#: outbox messages whose body holds a link that signs in or sets a password: subject and status only
SECRET_LINK_KEYS = ("reset:", "invite:", "claim:")


def _time(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


#: sections that features above the accounts add to the personal-data export (they cannot be imported from
#: here): name → ``collect(account, member)`` returning JSON-ready data. Registered at import time by the feature
#: (e.g. ``register_personal_data("ballot_participation", …)`` in the votes package: participation only, never
#: a choice or a receipt).
PERSONAL_DATA_SECTIONS: dict[str, Callable[[Account, Member | None], Any]] = {}


def register_personal_data(name: str, collect: Callable[[Account, Member | None], Any]) -> None:
    existing = PERSONAL_DATA_SECTIONS.get(name)
    if existing is not None and existing.__module__ != collect.__module__:
        raise ValueError(f"personal-data section {name!r} is registered already")
    PERSONAL_DATA_SECTIONS[name] = collect


def personal_data(account: Account) -> dict[str, Any]:
    """Everything the portal holds about the account holder, as plain JSON-ready data.

    Never a password hash, TOTP secret, token or recovery-code hash, and never a ballot choice.
    """
    member = account.member
    recovery = db.session.execute(
        select(func.count(), func.count(RecoveryCode.used_dt)).where(RecoveryCode.account_id == account.id)
    ).one()
    data: dict[str, Any] = {
        "format": "governance-portal-personal-data",
        "version": 1,
        "generated_at": _time(utcnow()),
        "account": {
            "id": account.id,
            "email": account.email,
            "display_name": account.display_name,
            "language": account.language,
            "timezone": account.timezone,
            "enabled": account.is_enabled,
            "created_at": _time(account.created_dt),
            "last_sign_in_at": _time(account.last_login_dt),
            "two_step_sign_in": {
                "enabled": account.has_totp,
                "enabled_at": _time(account.totp_enabled_dt),
                "recovery_codes": {"total": recovery[0], "used": recovery[1]},
            },
            "email_preferences": {
                "workgroups": account.notify_workgroup_email,
                "ballots": account.notify_ballot_email,
                "convocations": account.notify_convocation_email,
                "notification_summary": account.digest_frequency,
            },
        },
        "roles": [
            {"role": a.role, "branch": a.branch.code if a.branch is not None else None,
             "granted_at": _time(a.created_dt)}
            for a in sorted(account.roles, key=lambda a: a.id)
        ],
        "emailed_links": _emailed_links(account, member),
        "register_entry": _register_entry(member) if member is not None else None,
        "audit_log": _audit_entries(account, member),
        "emails": _emails(account, member),
        # filled by the ballots (governance.votes.queries): participation only, NEVER a choice. Secret ballot
        # choices are stored apart with no link to any voter, and must stay that way (DESIGN §5).
        "ballot_participation": [],
    }
    for name, collect in PERSONAL_DATA_SECTIONS.items():
        data[name] = collect(account, member)
    return data


def _emailed_links(account: Account, member: Member | None) -> list[dict[str, Any]]:
    """Password, invitation and claim links: when they were made and used, never the token or its hash."""
    owner = [AccountToken.account_id == account.id]
    if member is not None:
        owner.append(AccountToken.member_id == member.id)
    tokens = db.session.execute(select(AccountToken).where(or_(*owner)).order_by(AccountToken.id)).scalars()
    return [{"purpose": t.purpose, "created_at": _time(t.created_dt), "expires_at": _time(t.expires_dt),
             "used_or_replaced_at": _time(t.used_dt)} for t in tokens]


def _register_entry(member: Member) -> dict[str, Any]:
    branch = db.session.get(Branch, member.branch_id)
    history = db.session.execute(
        select(MemberStatusChange).where(MemberStatusChange.member_id == member.id)
        .order_by(MemberStatusChange.effective_on, MemberStatusChange.id)
    ).scalars()
    return {
        "number": member.number,
        "branch": {"code": branch.code, "country": branch.country},
        "first_name": member.first_name,
        "last_name": member.last_name,
        "email": member.email,
        "language": member.language,
        "status": member.status,
        "joined_on": _time(member.joined_on),
        "left_on": _time(member.left_on),
        "shares": member.shares,
        "share_class": member.share_class,
        "convened_by_email_since": _time(member.email_consent_dt),
        "created_at": _time(member.created_dt),
        "modified_at": _time(member.modified_dt),
        "status_history": [
            {"from": change.old_status, "to": change.new_status, "effective_on": _time(change.effective_on),
             "source": change.source, "note": change.note, "recorded_at": _time(change.created_dt)}
            for change in history
        ],
    }


def _audit_entries(account: Account, member: Member | None) -> list[dict[str, Any]]:
    """Entries where the person acted, or that are about their account or their register entry."""
    about = [AuditEntry.actor_id == account.id,
             (AuditEntry.object_type == "accounts") & (AuditEntry.object_id == str(account.id))]
    if member is not None:
        about.append((AuditEntry.object_type == "members") & (AuditEntry.object_id == str(member.id)))
    entries = db.session.execute(select(AuditEntry).where(or_(*about)).order_by(AuditEntry.seq)).scalars()
    return [
        {"event": e.event, "at": _time(e.created_dt), "as_actor": e.actor_id == account.id,
         "object": f"{e.object_type}:{e.object_id}" if e.object_type else None, "data": e.data}
        for e in entries
    ]


def _emails(account: Account, member: Member | None) -> list[dict[str, Any]]:
    addresses = {account.email.lower()}
    if member is not None and member.email:
        addresses.add(member.email.strip().lower())
    messages = db.session.execute(
        select(OutboxMessage).where(func.lower(OutboxMessage.to_address).in_(sorted(addresses)))
        .order_by(OutboxMessage.id)
    ).scalars()
    result = []
    for m in messages:
        item = {"to": m.to_address, "subject": m.subject, "language": m.language, "queued_at": _time(m.created_dt),
                "sent_at": _time(m.sent_dt), "status": m.status}
        if not m.key.startswith(SECRET_LINK_KEYS):
            item["body"] = m.body_text
        result.append(item)
    return result
