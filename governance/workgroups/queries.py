"""Reading workgroups: the directory, one workgroup with its facilitators, members pages, "my workgroups".

Each read takes a fixed number of queries, whatever the number of workgroups and members: counts come
from one aggregate query, branches from one ``selectin`` query for the whole page.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import exists, false, func, literal_column, or_, select, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import contains_eager, joinedload, raiseload
from sqlalchemy.sql import ColumnElement

from governance.extensions import db
from governance.members.models import Branch, Member
from governance.members.queries import Page
from governance.workgroups.models import (
    MembershipRole,
    MembershipStatus,
    Workgroup,
    WorkgroupFollow,
    WorkgroupMembership,
    WorkgroupScope,
    WorkgroupState,
    workgroup_branches,
)

DIRECTORY_PER_PAGE = 20
MEMBERS_PER_PAGE = 50

#: the "branch" filter's value for workgroups of the whole cooperative
COOPERATIVE = "cooperative"


@dataclass
class DirectoryRow:
    workgroup: Workgroup
    member_count: int
    #: the reader's own membership status ("active", "pending") or None
    my_status: str | None
    my_role: str | None


def visibility_condition(branch_ids: set[int] | None) -> ColumnElement[bool]:
    """Workgroups an account sees, given :func:`permissions.visible_branch_ids`."""
    if branch_ids is None:
        return true()
    in_branch = exists().where(workgroup_branches.c.workgroup_id == Workgroup.id,
                               workgroup_branches.c.branch_id.in_(branch_ids or [-1]))
    return or_(Workgroup.scope == WorkgroupScope.cooperative.value, in_branch)


def json_list_contains(column, value: str) -> ColumnElement[bool]:
    """A JSON list column holds ``value``: jsonb containment on PostgreSQL, json_each on SQLite."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column.cast(JSONB).contains([value])
    items = func.json_each(column).table_valued("value").alias("items")
    return exists(select(literal_column("1")).select_from(items).where(items.c.value == value))


def _member_counts():
    """Active members per workgroup: one GROUP BY, joined to the page of workgroups."""
    return (
        select(WorkgroupMembership.workgroup_id, func.count().label("member_count"))
        .where(WorkgroupMembership.status == MembershipStatus.active.value)
        .group_by(WorkgroupMembership.workgroup_id)
        .subquery("member_counts")
    )


def _title_order(language: str | None):
    """Alphabetical in the reader's language where the title exists in it, else by the (original) slug."""
    if not language:
        return Workgroup.slug
    return func.lower(func.coalesce(Workgroup.titles[language].as_string(), Workgroup.slug))


def directory_page(*, visible_branch_ids: set[int] | None, member_id: int | None, branch: str = "",
                   branch_id: int | None = None, language: str = "", theme: str = "", mine: bool = False,
                   archived: bool = False, reader_language: str | None = None, page: int = 1,
                   per_page: int = DIRECTORY_PER_PAGE) -> Page:
    """One page of the directory in three queries: the count, the page (with member counts and the
    reader's membership), and the branches of the page's workgroups."""
    conditions = [visibility_condition(visible_branch_ids),
                  Workgroup.state == (WorkgroupState.archived.value if archived else WorkgroupState.active.value)]
    if branch == COOPERATIVE:
        conditions.append(Workgroup.scope == WorkgroupScope.cooperative.value)
    elif branch_id is not None:
        conditions.append(exists().where(workgroup_branches.c.workgroup_id == Workgroup.id,
                                         workgroup_branches.c.branch_id == branch_id))
    if language:
        conditions.append(json_list_contains(Workgroup.working_languages, language))
    if theme:
        conditions.append(Workgroup.theme == theme)
    if mine:
        if member_id is None:
            conditions.append(false())
        else:
            conditions.append(exists().where(WorkgroupMembership.workgroup_id == Workgroup.id,
                                             WorkgroupMembership.member_id == member_id))

    total = db.session.execute(select(func.count()).select_from(Workgroup).where(*conditions)).scalar_one()
    pages = max(1, math.ceil(total / per_page))
    page = min(max(page, 1), pages)
    counts = _member_counts()
    mine_membership = WorkgroupMembership.__table__.alias("mine")
    query = (
        select(Workgroup, func.coalesce(counts.c.member_count, 0), mine_membership.c.status, mine_membership.c.role)
        .outerjoin(counts, counts.c.workgroup_id == Workgroup.id)
        .outerjoin(mine_membership, (mine_membership.c.workgroup_id == Workgroup.id)
                   & (mine_membership.c.member_id == (member_id if member_id is not None else -1)))
        .where(*conditions)
        .order_by(_title_order(reader_language), Workgroup.slug)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    rows = [DirectoryRow(wg, count, status, role) for wg, count, status, role in db.session.execute(query)]
    return Page(items=rows, page=page, per_page=per_page, total=total)


def workgroup_by_slug(slug: str) -> Workgroup | None:
    """The workgroup with its branches (two queries)."""
    return db.session.execute(select(Workgroup).where(Workgroup.slug == slug)).scalar_one_or_none()


def membership_of(workgroup: Workgroup, member_id: int | None) -> WorkgroupMembership | None:
    if member_id is None:
        return None
    return db.session.execute(
        select(WorkgroupMembership).where(WorkgroupMembership.workgroup_id == workgroup.id,
                                          WorkgroupMembership.member_id == member_id)
    ).scalar_one_or_none()


def membership_by_member(workgroup: Workgroup, member_id: int) -> WorkgroupMembership | None:
    """A membership with its member (for the facilitators' actions)."""
    return db.session.execute(
        select(WorkgroupMembership)
        .join(WorkgroupMembership.member)
        .options(contains_eager(WorkgroupMembership.member))
        .where(WorkgroupMembership.workgroup_id == workgroup.id, WorkgroupMembership.member_id == member_id)
    ).scalar_one_or_none()


def member_count(workgroup: Workgroup) -> int:
    return db.session.execute(
        select(func.count()).select_from(WorkgroupMembership)
        .where(WorkgroupMembership.workgroup_id == workgroup.id,
               WorkgroupMembership.status == MembershipStatus.active.value)
    ).scalar_one()


def _with_members(query):
    return (query.join(WorkgroupMembership.member)
            .options(contains_eager(WorkgroupMembership.member).joinedload(Member.branch)))


def facilitators(workgroup: Workgroup) -> list[WorkgroupMembership]:
    """The facilitators with their register entries and branches, by name (one query)."""
    return list(db.session.execute(
        _with_members(select(WorkgroupMembership))
        .where(WorkgroupMembership.workgroup_id == workgroup.id,
               WorkgroupMembership.role == MembershipRole.facilitator.value,
               WorkgroupMembership.status == MembershipStatus.active.value)
        .order_by(Member.last_name, Member.first_name, Member.id)
    ).scalars())


def pending_requests(workgroup: Workgroup, limit: int | None = None) -> list[WorkgroupMembership]:
    """Requests to join, oldest first (one query)."""
    query = (
        _with_members(select(WorkgroupMembership))
        .where(WorkgroupMembership.workgroup_id == workgroup.id,
               WorkgroupMembership.status == MembershipStatus.pending.value)
        .order_by(WorkgroupMembership.created_dt, WorkgroupMembership.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.execute(query).scalars())


def pending_count(workgroup: Workgroup) -> int:
    return db.session.execute(
        select(func.count()).select_from(WorkgroupMembership)
        .where(WorkgroupMembership.workgroup_id == workgroup.id,
               WorkgroupMembership.status == MembershipStatus.pending.value)
    ).scalar_one()


def members_page(workgroup: Workgroup, *, page: int = 1, per_page: int = MEMBERS_PER_PAGE) -> Page:
    """Active members, facilitators first, then by name (two queries)."""
    total = member_count(workgroup)
    pages = max(1, math.ceil(total / per_page))
    page = min(max(page, 1), pages)
    is_member = WorkgroupMembership.role == MembershipRole.member.value
    items = list(db.session.execute(
        _with_members(select(WorkgroupMembership))
        .where(WorkgroupMembership.workgroup_id == workgroup.id,
               WorkgroupMembership.status == MembershipStatus.active.value)
        .order_by(is_member, Member.last_name, Member.first_name, Member.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).scalars())
    return Page(items=items, page=page, per_page=per_page, total=total)


def active_facilitator_count(workgroup: Workgroup) -> int:
    return db.session.execute(
        select(func.count()).select_from(WorkgroupMembership)
        .where(WorkgroupMembership.workgroup_id == workgroup.id,
               WorkgroupMembership.role == MembershipRole.facilitator.value,
               WorkgroupMembership.status == MembershipStatus.active.value)
    ).scalar_one()


def my_workgroups(member_id: int) -> list[tuple[Workgroup, WorkgroupMembership]]:
    """The member's workgroups and pending requests, active workgroups first (one query)."""
    rows = db.session.execute(
        select(Workgroup, WorkgroupMembership)
        .join(WorkgroupMembership, WorkgroupMembership.workgroup_id == Workgroup.id)
        .where(WorkgroupMembership.member_id == member_id)
        .options(raiseload(Workgroup.branches))
        .order_by(Workgroup.state, Workgroup.slug)
    ).all()
    return [(workgroup, membership) for workgroup, membership in rows]


def content_languages(extra: list[str] | tuple[str, ...] = (), *, branches: list[Branch] | None = None) -> list[str]:
    """The languages texts can be written in: the interface languages, then the official languages of
    every branch (of ``branches`` when the caller has them loaded already), then ``extra`` (languages a
    workgroup's texts already use)."""
    from flask import current_app

    languages = list(current_app.config["LANGUAGES"])
    officials = ([b.official_languages for b in branches] if branches is not None
                 else db.session.execute(select(Branch.official_languages)).scalars())
    for official in officials:
        for code in official or ():
            if code not in languages:
                languages.append(code)
    for code in extra:
        if code not in languages:
            languages.append(code)
    return languages


def all_branches() -> list[Branch]:
    return list(db.session.execute(select(Branch).order_by(Branch.code)).scalars())


def facilitator_accounts(workgroup: Workgroup):
    """The accounts of the workgroup's facilitators who want workgroup emails (one query)."""
    from governance.accounts.models import Account

    return list(db.session.execute(
        select(Account)
        .join(WorkgroupMembership, WorkgroupMembership.member_id == Account.member_id)
        .options(joinedload(Account.member).joinedload(Member.branch))
        .where(WorkgroupMembership.workgroup_id == workgroup.id,
               WorkgroupMembership.role == MembershipRole.facilitator.value,
               WorkgroupMembership.status == MembershipStatus.active.value,
               Account.is_enabled.is_(True), Account.notify_workgroup_email.is_(True))
        .order_by(Account.id)
    ).unique().scalars())


def member_account(member_id: int):
    from governance.accounts.models import Account

    return db.session.execute(
        select(Account).options(joinedload(Account.member).joinedload(Member.branch))
        .where(Account.member_id == member_id)
    ).unique().scalar_one_or_none()


# --- following -------------------------------------------------------------------------------------
def is_following(workgroup: Workgroup, account_id: int | None) -> bool:
    if account_id is None:
        return False
    return db.session.execute(select(WorkgroupFollow.id).where(
        WorkgroupFollow.workgroup_id == workgroup.id, WorkgroupFollow.account_id == account_id)).first() is not None


def follower_ids(workgroup: Workgroup):
    """A ``select()`` of the ids of the accounts that follow the workgroup (to use inside another query)."""
    return select(WorkgroupFollow.account_id).where(WorkgroupFollow.workgroup_id == workgroup.id)
