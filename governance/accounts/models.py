"""Accounts and roles."""
from __future__ import annotations

import datetime as dt
import enum

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from governance.core.db_types import utcnow
from governance.core.enums import LabelledEnum, sql_values
from governance.extensions import db
from governance.members.models import Branch, Member


class Role(LabelledEnum):
    admin = "admin", _l("Administrator")
    secretary = "secretary", _l("Secretary")
    board_member = "board_member", _l("Board member")
    facilitator = "facilitator", _l("Facilitator")




class DigestFrequency(LabelledEnum):
    """How often a member receives the email summary of their unread notifications."""

    none = "none", _l("Never: I read them on the portal")
    daily = "daily", _l("Once a day")
    weekly = "weekly", _l("Once a week")




class Account(UserMixin, db.Model):
    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint("session_version >= 1", name="session_version_positive"),
        CheckConstraint(f"digest_frequency IN ({sql_values(DigestFrequency)})", name="digest_frequency_valid"),
        # an id is never given again once its account is deleted (SQLite would otherwise reuse the highest
        # one): session cookies and audit entries carry account ids
        {"sqlite_autoincrement": True},
    )

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

    #: TOTP second factor (RFC 6238, base32); NULL while the account has none
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_dt: Mapped[dt.datetime | None]
    #: the last accepted time step: a code of that step or an earlier one is never accepted again
    totp_last_step: Mapped[int | None]

    #: notification preferences (convocations by email also need the member's register consent)
    notify_workgroup_email: Mapped[bool] = mapped_column(Boolean, default=True)
    notify_ballot_email: Mapped[bool] = mapped_column(Boolean, default=True)
    notify_convocation_email: Mapped[bool] = mapped_column(Boolean, default=True)
    #: the email summary of unread notifications (governance.notifications.digest): none, daily or weekly
    digest_frequency: Mapped[str] = mapped_column(String(10), default=DigestFrequency.weekly.value)

    member: Mapped[Member | None] = relationship(lazy="joined")
    roles: Mapped[list["RoleAssignment"]] = relationship(
        back_populates="account", cascade="all, delete-orphan", lazy="selectin"
    )
    tokens: Mapped[list["AccountToken"]] = relationship(
        back_populates="account", cascade="all, delete-orphan", passive_deletes=True, lazy="raise_on_sql"
    )
    recovery_codes: Mapped[list["RecoveryCode"]] = relationship(
        back_populates="account", cascade="all, delete-orphan", passive_deletes=True, lazy="raise_on_sql"
    )

    def __repr__(self) -> str:
        return f"<Account {self.id} {self.email}>"

    def set_language(self, language: str) -> None:
        """The interface language, chosen with the language switcher or on the profile."""
        self.language = language

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

    @property
    def has_totp(self) -> bool:
        return self.totp_secret is not None and self.totp_enabled_dt is not None


class RoleAssignment(db.Model):
    """A role, global (no branch) or scoped to one branch."""

    __tablename__ = "role_assignments"
    __table_args__ = (
        CheckConstraint(f"role IN ({sql_values(Role)})", name="role_valid"),
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


class TokenPurpose(str, enum.Enum):
    reset = "reset"
    invite = "invite"
    claim = "claim"




class AccountToken(db.Model):
    """A single-use emailed token (password reset, invitation, claim). Only its SHA-256 hash is stored."""

    __tablename__ = "account_tokens"
    __table_args__ = (
        CheckConstraint(f"purpose IN ({sql_values(TokenPurpose)})", name="purpose_valid"),
        CheckConstraint("account_id IS NOT NULL OR member_id IS NOT NULL", name="has_owner"),
        CheckConstraint("expires_dt > created_dt", name="expires_after_created"),
        Index("ix_account_tokens_account_purpose", "account_id", "purpose"),
        # token ids name outbox messages ("reset:<id>"): an id reused after a deletion would find the old
        # message under its key and send nothing
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(10))
    #: hex SHA-256 of the token sent by email; the token itself is never stored
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_dt: Mapped[dt.datetime]
    #: set when the token is used, or when it is invalidated because another one was used
    used_dt: Mapped[dt.datetime | None]
    #: invitations and claims: the register address the link was sent to (lower-case); the link stops
    #: working when the register's address changes, so a corrected typo cannot leave a stranger a way in
    email: Mapped[str | None] = mapped_column(String(320))

    account: Mapped[Account | None] = relationship(back_populates="tokens")
    member: Mapped[Member | None] = relationship()

    def __repr__(self) -> str:
        return f"<AccountToken {self.id} {self.purpose} account={self.account_id} member={self.member_id}>"

    def is_usable(self, now: dt.datetime) -> bool:
        return self.used_dt is None and self.expires_dt > now


class RecoveryCode(db.Model):
    """A single-use second-factor recovery code, stored as the SHA-256 hash of its normalised form."""

    __tablename__ = "account_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)
    used_dt: Mapped[dt.datetime | None]

    account: Mapped[Account] = relationship(back_populates="recovery_codes")

    def __repr__(self) -> str:
        return f"<RecoveryCode {self.id} account={self.account_id} used={self.used_dt is not None}>"
