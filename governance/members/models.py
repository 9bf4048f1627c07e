"""Branches and the membership register: the source of truth for who may vote."""
from __future__ import annotations

import datetime as dt

from flask_babel import get_locale, lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from governance.core.db_types import MutableJSONDict, MutableJSONList, utcnow
from governance.core.enums import LabelledEnum, sql_values
from governance.extensions import db


class MemberStatus(LabelledEnum):
    applicant = "applicant", _l("Applicant")
    active = "active", _l("Active")
    suspended = "suspended", _l("Suspended")
    resigned = "resigned", _l("Resigned")
    excluded = "excluded", _l("Excluded")
    deceased = "deceased", _l("Deceased")




class Branch(db.Model):
    __tablename__ = "branches"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "BE", "FR", … (or "GROUP" for the cooperative as a whole)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    #: language code → name
    names: Mapped[dict[str, str]] = mapped_column(MutableJSONDict, default=dict)
    #: ISO 3166 country code
    country: Mapped[str] = mapped_column(String(2))
    official_languages: Mapped[list[str]] = mapped_column(MutableJSONList, default=list)
    #: the languages the branch's official texts must exist in (Belgium: nl and fr)
    required_languages: Mapped[list[str]] = mapped_column(MutableJSONList, default=list)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Brussels")
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)

    members: Mapped[list["Member"]] = relationship(back_populates="branch", lazy="raise_on_sql",
                                                   viewonly=True)

    def __repr__(self) -> str:
        return f"<Branch {self.code}>"

    @property
    def name(self) -> str:
        """The branch's name in the reader's language, else in its first official language."""
        lang = str(get_locale() or "en")
        for code in (lang, *self.official_languages, "en"):
            if self.names.get(code):
                return self.names[code]
        return self.code


class Member(db.Model):
    """An entry of the membership register."""

    __tablename__ = "members"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_values(MemberStatus)})", name="status_valid"),
        CheckConstraint("shares >= 0", name="shares_positive"),
        CheckConstraint("left_on IS NULL OR left_on >= joined_on", name="left_after_joined"),
        Index("ix_members_branch_status", "branch_id", "status"),
        Index("ix_members_last_name", "last_name", "first_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(120))
    last_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12), default=MemberStatus.active.value)
    joined_on: Mapped[dt.date] = mapped_column(Date)
    left_on: Mapped[dt.date | None] = mapped_column(Date)
    shares: Mapped[int] = mapped_column(default=1)
    share_class: Mapped[str | None] = mapped_column(String(20))
    #: the member agreed on this date to be convened by email; the others receive letters
    email_consent_dt: Mapped[dt.datetime | None]
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)
    modified_dt: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    branch: Mapped[Branch] = relationship(back_populates="members")
    status_history: Mapped[list["MemberStatusChange"]] = relationship(
        back_populates="member", order_by="MemberStatusChange.id", lazy="raise_on_sql"
    )

    def __repr__(self) -> str:
        return f"<Member {self.number} {self.status}>"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def status_label(self) -> str:
        return MemberStatus(self.status).label


class MemberStatusChange(db.Model):
    """The dated history of a member's status."""

    __tablename__ = "member_status_changes"
    __table_args__ = (
        CheckConstraint(f"new_status IN ({sql_values(MemberStatus)})", name="new_status_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    old_status: Mapped[str | None] = mapped_column(String(12))
    new_status: Mapped[str] = mapped_column(String(12))
    #: the date the change took effect in the register
    effective_on: Mapped[dt.date] = mapped_column(Date)
    #: where it came from: "import", "manual", …
    source: Mapped[str] = mapped_column(String(20))
    #: why, in the words of whoever entered the change by hand (imports leave it empty)
    note: Mapped[str | None] = mapped_column(String(500))
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)

    member: Mapped[Member] = relationship(back_populates="status_history")

    def __repr__(self) -> str:
        return f"<MemberStatusChange {self.member_id} {self.old_status}→{self.new_status}>"
