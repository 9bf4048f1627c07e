"""Thematic workgroups and their membership.

A workgroup is open to the whole cooperative, or restricted to one or several branches (the rows of
``workgroup_branches``). Its title and description are stored per language with the language they
were written in; readers see their own language, or the original with an "original in …" notice.
Members of the register (not accounts) belong to workgroups, as members or facilitators; joining a
moderated workgroup leaves a pending request until a facilitator answers it.

Proposals, comments and following (a later part of the workgroups issue) hang off ``workgroups.id``.
"""
from __future__ import annotations

import datetime as dt
import enum

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from governance.core.db_types import MutableJSONDict, MutableJSONList, utcnow
from governance.core.enums import LabelledEnum, sql_values
from governance.core.errors import Conflict
from governance.core.i18n import LocalText, pick_text
from governance.extensions import db
from governance.members.models import Branch, Member



class WorkgroupTheme(LabelledEnum):
    # i18n: themes of the cooperative's participatory process
    membership = "membership", _l("Who the cooperative is for")
    tools = "tools", _l("Tools we share")
    economic_model = "economic_model", _l("Economic model")
    governance = "governance", _l("Governance")
    other = "other", _l("Other")


class JoinPolicy(LabelledEnum):
    #: members join at once
    open = "open", _l("Open: members join at once")
    #: members ask to join; a facilitator approves or refuses
    moderated = "moderated", _l("On approval: a facilitator accepts each request")


class WorkgroupState(str, enum.Enum):
    active = "active"
    #: read-only: nobody joins, leaves or edits until it is made active again
    archived = "archived"


class WorkgroupScope(str, enum.Enum):
    #: every member of the cooperative
    cooperative = "cooperative"
    #: the members of the branches listed in ``workgroup_branches``
    branches = "branches"


class MembershipRole(LabelledEnum):
    member = "member", _l("Member")
    facilitator = "facilitator", _l("Facilitator")


class MembershipStatus(str, enum.Enum):
    #: asked to join a moderated workgroup; not a member yet
    pending = "pending"
    active = "active"


class WorkgroupArchived(Conflict):
    default_message = _l("This workgroup is archived: it can no longer be changed, joined or left.")


# --- multilingual texts ----------------------------------------------------------------------------
# --- tables ----------------------------------------------------------------------------------------
#: the branches a workgroup restricted to branches is open to. A branch that still scopes a workgroup
#: cannot be deleted (RESTRICT): removing the row silently would widen or empty the scope.
workgroup_branches = Table(
    "workgroup_branches",
    db.metadata,
    Column("workgroup_id", ForeignKey("workgroups.id", ondelete="CASCADE"), primary_key=True),
    Column("branch_id", ForeignKey("branches.id", ondelete="RESTRICT"), primary_key=True, index=True),
)


class Workgroup(db.Model):
    __tablename__ = "workgroups"
    __table_args__ = (
        CheckConstraint(f"state IN ({sql_values(WorkgroupState)})", name="state_valid"),
        CheckConstraint(f"scope IN ({sql_values(WorkgroupScope)})", name="scope_valid"),
        CheckConstraint(f"joining IN ({sql_values(JoinPolicy)})", name="joining_valid"),
        CheckConstraint(f"theme IN ({sql_values(WorkgroupTheme)})", name="theme_valid"),
        CheckConstraint("slug <> ''", name="slug_not_empty"),
        CheckConstraint("original_language <> ''", name="original_language_not_empty"),
        CheckConstraint("(state = 'archived') = (archived_dt IS NOT NULL)", name="archived_dt_iff_archived"),
        CheckConstraint("support_threshold IS NULL OR support_threshold >= 1", name="support_threshold_positive"),
        Index("ix_workgroups_state_theme", "state", "theme"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: in URLs; made from the original title when the workgroup is created, never changed after
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    #: language code → title / description (Markdown)
    titles: Mapped[dict[str, str]] = mapped_column(MutableJSONDict, default=dict)
    descriptions: Mapped[dict[str, str]] = mapped_column(MutableJSONDict, default=dict)
    #: the language the texts were written in (always present in ``titles`` and ``descriptions``)
    original_language: Mapped[str] = mapped_column(String(8))
    #: the languages members use in the workgroup's discussions
    working_languages: Mapped[list[str]] = mapped_column(MutableJSONList, default=list)
    theme: Mapped[str] = mapped_column(String(20), default=WorkgroupTheme.other.value)
    scope: Mapped[str] = mapped_column(String(12), default=WorkgroupScope.cooperative.value)
    joining: Mapped[str] = mapped_column(String(10), default=JoinPolicy.open.value)
    state: Mapped[str] = mapped_column(String(10), default=WorkgroupState.active.value)
    #: supports that make a new proposal ready for a vote (None: the ``PROPOSAL_SUPPORT_THRESHOLD`` setting,
    #: and without it a facilitator decides); each proposal keeps the threshold it was written under
    support_threshold: Mapped[int | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)
    modified_dt: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    archived_dt: Mapped[dt.datetime | None]

    #: loaded with the workgroup (one query for any number of workgroups): every permission check needs it
    branches: Mapped[list[Branch]] = relationship(secondary=workgroup_branches, lazy="selectin",
                                                  order_by=Branch.code)
    memberships: Mapped[list[WorkgroupMembership]] = relationship(
        back_populates="workgroup", cascade="all, delete-orphan", passive_deletes=True, lazy="raise_on_sql"
    )

    def __repr__(self) -> str:
        return f"<Workgroup {self.id} {self.slug} {self.state}>"

    # --- scope and state ---
    @property
    def is_cooperative_wide(self) -> bool:
        return self.scope == WorkgroupScope.cooperative.value

    @property
    def branch_ids(self) -> set[int]:
        return {branch.id for branch in self.branches}

    def in_scope(self, member: Member) -> bool:
        """The register member belongs to the workgroup's audience."""
        return self.is_cooperative_wide or member.branch_id in self.branch_ids

    @property
    def is_active(self) -> bool:
        return self.state == WorkgroupState.active.value

    @property
    def is_archived(self) -> bool:
        return self.state == WorkgroupState.archived.value

    def check_writable(self) -> None:
        if self.is_archived:
            raise WorkgroupArchived()

    def archive(self) -> None:
        if self.is_archived:
            raise Conflict(_l("This workgroup is archived already."))
        self.state = WorkgroupState.archived.value
        self.archived_dt = utcnow()

    def unarchive(self) -> None:
        if not self.is_archived:
            raise Conflict(_l("This workgroup is not archived."))
        self.state = WorkgroupState.active.value
        self.archived_dt = None

    # --- texts ---
    @property
    def title(self) -> LocalText:
        """The title in the reader's language, or in the original language."""
        return pick_text(self.titles, self.original_language)

    @property
    def description(self) -> LocalText:
        return pick_text(self.descriptions, self.original_language)

    @property
    def text_languages(self) -> list[str]:
        """The languages the workgroup's title exists in, original first."""
        others = sorted(code for code, text in self.titles.items() if text and code != self.original_language)
        return [self.original_language, *others]

    @property
    def theme_label(self) -> str:
        return WorkgroupTheme(self.theme).label

    @property
    def joining_label(self) -> str:
        return JoinPolicy(self.joining).label

    @property
    def is_moderated(self) -> bool:
        return self.joining == JoinPolicy.moderated.value


class WorkgroupMembership(db.Model):
    """A register member in a workgroup: a pending request, a member or a facilitator."""

    __tablename__ = "workgroup_memberships"
    __table_args__ = (
        UniqueConstraint("workgroup_id", "member_id"),
        CheckConstraint(f"role IN ({sql_values(MembershipRole)})", name="role_valid"),
        CheckConstraint(f"status IN ({sql_values(MembershipStatus)})", name="status_valid"),
        # a pending request has no joining date, and cannot facilitate
        CheckConstraint("(status = 'active') = (joined_dt IS NOT NULL)", name="joined_dt_iff_active"),
        CheckConstraint("role = 'member' OR status = 'active'", name="facilitator_is_active"),
        Index("ix_workgroup_memberships_workgroup_status_role", "workgroup_id", "status", "role"),
        # ids name outbox messages: never given again after a refused request is deleted (SQLite)
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workgroup_id: Mapped[int] = mapped_column(ForeignKey("workgroups.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(12), default=MembershipRole.member.value)
    status: Mapped[str] = mapped_column(String(10), default=MembershipStatus.active.value)
    #: when the request (or the joining, for an open workgroup) was made
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: when the member became an active member (NULL while pending)
    joined_dt: Mapped[dt.datetime | None]

    workgroup: Mapped[Workgroup] = relationship(back_populates="memberships")
    member: Mapped[Member] = relationship()

    def __repr__(self) -> str:
        return (f"<WorkgroupMembership {self.id} workgroup={self.workgroup_id} member={self.member_id} "
                f"{self.role} {self.status}>")

    @property
    def is_active(self) -> bool:
        return self.status == MembershipStatus.active.value

    @property
    def is_pending(self) -> bool:
        return self.status == MembershipStatus.pending.value

    @property
    def is_facilitator(self) -> bool:
        return self.is_active and self.role == MembershipRole.facilitator.value

    @property
    def role_label(self) -> str:
        return MembershipRole(self.role).label


class WorkgroupFollow(db.Model):
    """An account follows a workgroup: it is notified when a proposal of the workgroup opens for discussion.

    Joining a workgroup follows it; anyone who sees the workgroup may follow or unfollow it at any time.
    Notifications go only to followers who still see the workgroup (governance.workgroups.notifying).
    """

    __tablename__ = "workgroup_follows"
    __table_args__ = (UniqueConstraint("workgroup_id", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workgroup_id: Mapped[int] = mapped_column(ForeignKey("workgroups.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<WorkgroupFollow workgroup={self.workgroup_id} account={self.account_id}>"
