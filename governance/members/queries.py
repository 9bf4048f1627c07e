"""Reading the register: the searchable, filtered, paginated list, and one member with their history."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from governance.extensions import db
from governance.members.models import Branch, Member, MemberStatusChange

PER_PAGE = 50


@dataclass
class Page:
    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        return min(self.page * self.per_page, self.total)


def visible_branches(branch_ids: set[int] | None) -> list[Branch]:
    """The branches whose register the reader may see (all when ``branch_ids`` is None), by code."""
    query = select(Branch).order_by(Branch.code)
    if branch_ids is not None:
        query = query.where(Branch.id.in_(branch_ids or [-1]))
    return list(db.session.execute(query).scalars())


def branch_exists(code: str) -> bool:
    return db.session.execute(select(Branch.id).where(Branch.code == code)).first() is not None


def _search_condition(text: str):
    """Every word must appear in the number, first or last name, or email, ignoring case.

    ``%``, ``_`` and quotes are matched literally (escaped LIKE, bound parameters).
    """
    conditions = []
    for word in text.split()[:8]:
        word = word.lower()
        conditions.append(or_(
            func.lower(Member.number).contains(word, autoescape=True),
            func.lower(Member.first_name).contains(word, autoescape=True),
            func.lower(Member.last_name).contains(word, autoescape=True),
            func.lower(Member.email).contains(word, autoescape=True),
        ))
    return and_(*conditions)


def _register_filter(query: Select, *, branch_ids: set[int] | None, search: str = "", branch_id: int | None = None,
                     status: str | None = None) -> Select:
    if branch_ids is not None:
        query = query.where(Member.branch_id.in_(branch_ids or [-1]))
    if branch_id is not None:
        query = query.where(Member.branch_id == branch_id)
    if status:
        query = query.where(Member.status == status)
    if search.strip():
        query = query.where(_search_condition(search))
    return query


def register_page(*, branch_ids: set[int] | None, search: str = "", branch_id: int | None = None,
                  status: str | None = None, page: int = 1, per_page: int = PER_PAGE) -> Page:
    """One page of the register, in two queries whatever its length (the count and the page with branches)."""
    filters = {"branch_ids": branch_ids, "search": search, "branch_id": branch_id, "status": status}
    total = db.session.execute(
        _register_filter(select(func.count()).select_from(Member), **filters)
    ).scalar_one()
    pages = max(1, math.ceil(total / per_page))
    page = min(max(page, 1), pages)
    query = (
        _register_filter(select(Member).join(Member.branch).options(contains_eager(Member.branch)), **filters)
        .order_by(Member.last_name, Member.first_name, Member.number)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    items = list(db.session.execute(query).scalars())
    return Page(items=items, page=page, per_page=per_page, total=total)


def member_with_history(member_id: int) -> Member | None:
    """The member, their branch and their dated status history (three queries at most)."""
    return db.session.execute(
        select(Member)
        .where(Member.id == member_id)
        .join(Member.branch)
        .options(contains_eager(Member.branch),
                 selectinload(Member.status_history))
    ).scalar_one_or_none()


def status_history(member: Member) -> list[MemberStatusChange]:
    """Most recent first."""
    return sorted(member.status_history, key=lambda c: (c.effective_on, c.id), reverse=True)


def all_branches() -> list[Branch]:
    """Every branch, by code."""
    return list(db.session.execute(select(Branch).order_by(Branch.code)).scalars())


def branch_by_code(code: str) -> Branch | None:
    return db.session.execute(select(Branch).where(Branch.code == code)).scalar_one_or_none()
