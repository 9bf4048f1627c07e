"""Proposals written in a workgroup, their revisions, co-authors and supports.

A proposal's title and body (Markdown) are stored per language with the language they were written in.
Every edit writes a :class:`ProposalRevision` (the first one at creation), so readers can see what changed
between two revisions. Members support a proposal in discussion, one support per member (a unique
constraint); when the supports reach the proposal's ``support_threshold`` it is ready for a vote.

States: draft → discussion → ready_for_vote → adopted | rejected; withdrawn by its authors before a
decision; archived by a facilitator once decided or withdrawn. Transitions are methods that raise
:class:`IllegalTransition` (409) when the present state does not allow them.
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
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from governance.core.db_types import MutableJSONDict, utcnow
from governance.core.errors import Conflict
from governance.core.i18n import LocalText, pick_text
from governance.extensions import db
from governance.members.models import Member
from governance.workgroups.models import Workgroup


class ProposalState(str, enum.Enum):
    draft = "draft"
    discussion = "discussion"
    ready_for_vote = "ready_for_vote"
    adopted = "adopted"
    rejected = "rejected"
    withdrawn = "withdrawn"
    archived = "archived"

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self])


STATE_LABELS = {
    # i18n: states of a proposal
    ProposalState.draft: _l("Draft"),
    ProposalState.discussion: _l("In discussion"),
    ProposalState.ready_for_vote: _l("Ready for a vote"),
    ProposalState.adopted: _l("Adopted"),
    ProposalState.rejected: _l("Rejected"),
    ProposalState.withdrawn: _l("Withdrawn"),
    ProposalState.archived: _l("Archived"),
}

#: target state → the states it can be reached from
TRANSITIONS: dict[ProposalState, frozenset[ProposalState]] = {
    ProposalState.discussion: frozenset({ProposalState.draft}),
    ProposalState.ready_for_vote: frozenset({ProposalState.discussion}),
    ProposalState.adopted: frozenset({ProposalState.discussion, ProposalState.ready_for_vote}),
    ProposalState.rejected: frozenset({ProposalState.discussion, ProposalState.ready_for_vote}),
    ProposalState.withdrawn: frozenset({ProposalState.draft, ProposalState.discussion, ProposalState.ready_for_vote}),
    ProposalState.archived: frozenset({ProposalState.adopted, ProposalState.rejected, ProposalState.withdrawn}),
}

#: states in which the authors may still change the text
EDITABLE_STATES = frozenset({ProposalState.draft.value, ProposalState.discussion.value})


class IllegalTransition(Conflict):
    default_message = _l("This proposal cannot go from “%(old)s” to “%(new)s”.")


def _sql_values(values) -> str:
    return ", ".join(f"'{v.value}'" for v in values)


proposal_coauthors = Table(
    "proposal_coauthors",
    db.metadata,
    Column("proposal_id", ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", ForeignKey("members.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Proposal(db.Model):
    __tablename__ = "proposals"
    __table_args__ = (
        CheckConstraint(f"state IN ({_sql_values(ProposalState)})", name="state_valid"),
        CheckConstraint("original_language <> ''", name="original_language_not_empty"),
        CheckConstraint("support_threshold IS NULL OR support_threshold >= 1", name="support_threshold_positive"),
        CheckConstraint("state NOT IN ('adopted', 'rejected') OR decision_reason IS NOT NULL",
                        name="decision_has_reason"),
        Index("ix_proposals_workgroup_state", "workgroup_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workgroup_id: Mapped[int] = mapped_column(ForeignKey("workgroups.id", ondelete="RESTRICT"))
    #: the member who wrote it (a register entry, not an account)
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"), index=True)
    #: language code → title / body (Markdown)
    titles: Mapped[dict[str, str]] = mapped_column(MutableJSONDict, default=dict)
    bodies: Mapped[dict[str, str]] = mapped_column(MutableJSONDict, default=dict)
    original_language: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(16), default=ProposalState.draft.value)
    #: supports that make the proposal ready for a vote (None: only a facilitator does); set at creation
    support_threshold: Mapped[int | None]
    #: a facilitator's recorded decision (adopted or rejected by consensus)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    state_changed_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)
    modified_dt: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    workgroup: Mapped[Workgroup] = relationship(lazy="raise_on_sql")
    author: Mapped[Member] = relationship(foreign_keys=[author_id], lazy="raise_on_sql")
    coauthors: Mapped[list[Member]] = relationship(secondary=proposal_coauthors, lazy="selectin",
                                                   order_by=(Member.last_name, Member.first_name, Member.id))
    revisions: Mapped[list[ProposalRevision]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", passive_deletes=True, lazy="raise_on_sql",
        order_by="ProposalRevision.number")

    def __repr__(self) -> str:
        return f"<Proposal {self.id} workgroup={self.workgroup_id} {self.state}>"

    # --- texts ---
    @property
    def title(self) -> LocalText:
        return pick_text(self.titles, self.original_language)

    @property
    def body(self) -> LocalText:
        return pick_text(self.bodies, self.original_language)

    @property
    def text_languages(self) -> list[str]:
        """The languages the proposal exists in, original first."""
        others = sorted(code for code, text in self.titles.items() if text and code != self.original_language)
        return [self.original_language, *others]

    # --- authors ---
    @property
    def author_ids(self) -> set[int]:
        return {self.author_id, *(m.id for m in self.coauthors)}

    def is_author(self, member_id: int | None) -> bool:
        return member_id is not None and member_id in self.author_ids

    # --- states ---
    @property
    def state_label(self) -> str:
        return ProposalState(self.state).label

    @property
    def is_draft(self) -> bool:
        return self.state == ProposalState.draft.value

    @property
    def is_in_discussion(self) -> bool:
        return self.state == ProposalState.discussion.value

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES

    def can_become(self, target: ProposalState) -> bool:
        return ProposalState(self.state) in TRANSITIONS.get(target, frozenset())

    def _move(self, target: ProposalState) -> str:
        if not self.can_become(target):
            raise IllegalTransition(old=self.state_label, new=target.label)
        old = self.state
        self.state = target.value
        self.state_changed_dt = utcnow()
        return old

    def open_discussion(self) -> str:
        return self._move(ProposalState.discussion)

    def mark_ready(self) -> str:
        return self._move(ProposalState.ready_for_vote)

    def decide(self, adopted: bool, reason: str) -> str:
        old = self._move(ProposalState.adopted if adopted else ProposalState.rejected)
        self.decision_reason = reason
        return old

    def withdraw(self) -> str:
        return self._move(ProposalState.withdrawn)

    def archive(self) -> str:
        return self._move(ProposalState.archived)


class ProposalRevision(db.Model):
    """The texts of a proposal as one edit left them (number 1: as created)."""

    __tablename__ = "proposal_revisions"
    __table_args__ = (
        UniqueConstraint("proposal_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    number: Mapped[int]
    titles: Mapped[dict[str, str]] = mapped_column(MutableJSONDict, default=dict)
    bodies: Mapped[dict[str, str]] = mapped_column(MutableJSONDict, default=dict)
    original_language: Mapped[str] = mapped_column(String(8))
    #: the member who made the edit
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"), index=True)
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)

    proposal: Mapped[Proposal] = relationship(back_populates="revisions")
    author: Mapped[Member] = relationship(lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<ProposalRevision {self.id} proposal={self.proposal_id} #{self.number}>"

    @property
    def languages(self) -> list[str]:
        return sorted(code for code in {*self.titles, *self.bodies} if self.titles.get(code) or self.bodies.get(code))


class ProposalSupport(db.Model):
    """A member supports a proposal: one support per member and proposal."""

    __tablename__ = "proposal_supports"
    __table_args__ = (UniqueConstraint("proposal_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<ProposalSupport proposal={self.proposal_id} member={self.member_id}>"


# --- comments --------------------------------------------------------------------------------------
#: replies nest at most this deep (a top-level comment is at depth 1)
COMMENT_MAX_DEPTH = 3


class Comment(db.Model):
    """A member's comment on a proposal, or a reply to another comment (at most three levels deep).

    The body is Markdown, rendered only through the shared sanitising renderer. A deleted comment keeps its
    place in the thread (soft delete); a facilitator may hide one with a reason that stays visible.
    """

    __tablename__ = "proposal_comments"
    __table_args__ = (
        CheckConstraint(f"depth >= 1 AND depth <= {COMMENT_MAX_DEPTH}", name="depth_range"),
        CheckConstraint("(parent_id IS NULL) = (depth = 1)", name="depth_matches_parent"),
        CheckConstraint("(thread_id IS NULL) = (depth = 1)", name="thread_matches_depth"),
        CheckConstraint("(hidden_by_id IS NULL) = (hidden_reason IS NULL)", name="hidden_has_reason"),
        CheckConstraint("body <> ''", name="body_not_empty"),
        Index("ix_proposal_comments_proposal_parent", "proposal_id", "parent_id", "created_dt"),
        Index("ix_proposal_comments_thread", "thread_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("proposal_comments.id", ondelete="CASCADE"))
    #: the top-level comment of the thread (None for a top-level comment), so a page loads its threads at once
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("proposal_comments.id", ondelete="CASCADE"))
    depth: Mapped[int] = mapped_column(default=1)
    body: Mapped[str] = mapped_column(Text)
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)
    edited_dt: Mapped[dt.datetime | None]
    is_deleted: Mapped[bool] = mapped_column(default=False)
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))

    proposal: Mapped[Proposal] = relationship(lazy="raise_on_sql")
    author: Mapped[Member] = relationship(lazy="raise_on_sql")
    parent: Mapped[Comment | None] = relationship(remote_side=[id], foreign_keys=[parent_id], lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<Comment {self.id} proposal={self.proposal_id} depth={self.depth}>"

    @property
    def is_hidden(self) -> bool:
        return self.hidden_reason is not None

    @property
    def is_visible(self) -> bool:
        return not self.is_deleted and not self.is_hidden

    @property
    def can_have_replies(self) -> bool:
        return self.depth < COMMENT_MAX_DEPTH


class CommentRevision(db.Model):
    """A comment's body as it was before an edit."""

    __tablename__ = "proposal_comment_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("proposal_comments.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    #: when this body was written (the comment's creation or its previous edit)
    written_dt: Mapped[dt.datetime]
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<CommentRevision {self.id} comment={self.comment_id}>"


class CommentFlag(db.Model):
    """A member flags a comment for the facilitators, once per comment."""

    __tablename__ = "proposal_comment_flags"
    __table_args__ = (UniqueConstraint("comment_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("proposal_comments.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<CommentFlag comment={self.comment_id} member={self.member_id}>"
