"""Accounts and roles."""
from __future__ import annotations

import datetime as dt
import enum

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from governance.core.db_types import utcnow
from governance.extensions import db
from governance.members.models import Branch, Member


class Role(str, enum.Enum):
    admin = "admin"
    secretary = "secretary"
    board_member = "board_member"
    facilitator = "facilitator"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.admin: _l("Administrator"),
    Role.secretary: _l("Secretary"),
    Role.board_member: _l("Board member"),
    Role.facilitator: _l("Facilitator"),
}

_ROLE_SQL = ", ".join(f"'{r.value}'" for r in Role)


class Account(UserMixin, db.Model):
    __tablename__ = "accounts"
    __table_args__ = (CheckConstraint("session_version >= 1", name="session_version_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: stored lower-case
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(120))
    language: Mapped[str] = mapped_column(String(8), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Brussels")
    #: bumped on sign-out and password change: every older session cookie stops working
    session_version: Mapped[int] = mapped_column(default=1)
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: one account per register entry; staff and observers have none and never vote
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), unique=True)
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_dt: Mapped[dt.datetime | None]

    member: Mapped[Member | None] = relationship(lazy="joined")
    roles: Mapped[list["RoleAssignment"]] = relationship(
        back_populates="account", cascade="all, delete-orphan", lazy="selectin"
    )

    def __repr__(self) -> str:
        return f"<Account {self.id} {self.email}>"

    # Flask-Login: the session carries the id and the session version together
    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return self.is_enabled

    def has_role(self, role: Role, branch: Branch | int | None = None) -> bool:
        """True for a global role, or a role in the given branch's scope."""
        branch_id = branch.id if isinstance(branch, Branch) else branch
        for assignment in self.roles:
            if assignment.role != role.value:
                continue
            if assignment.branch_id is None or assignment.branch_id == branch_id:
                return True
        return False

    @property
    def is_admin(self) -> bool:
        return any(a.role == Role.admin.value for a in self.roles)


class RoleAssignment(db.Model):
    """A role, global (no branch) or scoped to one branch."""

    __tablename__ = "role_assignments"
    __table_args__ = (
        CheckConstraint(f"role IN ({_ROLE_SQL})", name="role_valid"),
        UniqueConstraint("account_id", "role", "scope_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id", ondelete="CASCADE"))
    #: "*" for a global role, "branch:<id>" otherwise; makes the uniqueness hold with a NULL branch
    scope_key: Mapped[str] = mapped_column(String(40))
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)

    account: Mapped[Account] = relationship(back_populates="roles")
    branch: Mapped[Branch | None] = relationship()

    def __repr__(self) -> str:
        return f"<RoleAssignment {self.account_id} {self.role} {self.scope_key}>"

    @staticmethod
    def scope_for(branch_id: int | None) -> str:
        return "*" if branch_id is None else f"branch:{branch_id}"
