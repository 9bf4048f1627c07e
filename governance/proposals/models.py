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
from typing import TYPE_CHECKING

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
from governance.core.enums import LabelledEnum, sql_values
from governance.core.errors import Conflict
from governance.core.i18n import LocalText, pick_text
from governance.extensions import db
from governance.members.models import Member
from governance.workgroups.models import Workgroup

if TYPE_CHECKING:
    from governance.accounts.models import Account


class ProposalState(LabelledEnum):
    # i18n: states of a proposal
    draft = "draft", _l("Draft")
    discussion = "discussion", _l("In discussion")
    ready_for_vote = "ready_for_vote", _l("Ready for a vote")
    adopted = "adopted", _l("Adopted")
    rejected = "rejected", _l("Rejected")
    withdrawn = "withdrawn", _l("Withdrawn")
    archived = "archived", _l("Archived")


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



proposal_coauthors = Table(
    "proposal_coauthors",
    db.metadata,
    Column("proposal_id", ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", ForeignKey("members.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Proposal(db.Model):
    __tablename__ = "proposals"
    __table_args__ = (
        CheckConstraint(f"state IN ({sql_values(ProposalState)})", name="state_valid"),
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
    #: the amendment whose acceptance made this revision (None: the authors edited the text)
    amendment_id: Mapped[int | None] = mapped_column(ForeignKey("proposal_amendments.id", ondelete="SET NULL"))
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)

    proposal: Mapped[Proposal] = relationship(back_populates="revisions")
    author: Mapped[Member] = relationship(lazy="raise_on_sql")
    amendment: Mapped[ProposalAmendment | None] = relationship(lazy="raise_on_sql")

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


# --- amendments ------------------------------------------------------------------------------------
class AmendmentState(LabelledEnum):
    # i18n: states of an amendment (a proposed edit of a proposal's text)
    proposed = "proposed", _l("Proposed")
    accepted = "accepted", _l("Accepted by the authors")
    rejected = "rejected", _l("Rejected by the authors")
    for_vote = "for_vote", _l("To be put to the vote")
    withdrawn = "withdrawn", _l("Withdrawn")


#: target state → the states an amendment can reach it from
AMENDMENT_TRANSITIONS: dict[AmendmentState, frozenset[AmendmentState]] = {
    AmendmentState.accepted: frozenset({AmendmentState.proposed}),
    AmendmentState.rejected: frozenset({AmendmentState.proposed}),
    # a facilitator may put to the vote an amendment the authors rejected: the members decide
    AmendmentState.for_vote: frozenset({AmendmentState.proposed, AmendmentState.rejected}),
    AmendmentState.withdrawn: frozenset({AmendmentState.proposed}),
}


class IllegalAmendmentTransition(Conflict):
    default_message = _l("This amendment cannot go from “%(old)s” to “%(new)s”.")


def normalise_newlines(text: str | None) -> str:
    """Line ends as ``\\n`` (a browser sends ``\\r\\n`` from a text area), so a passage copied from the
    text is found in it whichever way either was typed."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n")


def occurrences(text: str | None, passage: str) -> int:
    """How often ``passage`` occurs in ``text``, overlaps included, counted up to 2 ("more than once")."""
    text = normalise_newlines(text)
    first = text.find(passage)
    if first < 0:
        return 0
    return 1 if text.find(passage, first + 1) < 0 else 2


class ProposalAmendment(db.Model):
    """A member's proposed edit of one language version of a proposal's text, numbered per proposal.

    ``original_excerpt`` is the exact passage of the current body (Markdown source, line ends normalised) that
    ``replacement`` replaces; an empty excerpt adds the replacement at the end of the text, an empty replacement
    deletes the passage. Only an active member of the workgroup who is not one of the proposal's authors
    proposes one, while the proposal is in discussion, and the excerpt must then occur exactly once in the text.
    ``base_revision`` is the number of the proposal's revision the amendment was written against.

    States: proposed → accepted (by an author: the text changes and the new :class:`ProposalRevision` points to
    the amendment) | rejected (by an author, with a reason: a CHECK) | for_vote (by those who manage the
    workgroup, from proposed or rejected, so the members decide in a ballot with the proposal) | withdrawn (by
    the amendment's author). ``decided_by_id``/``decided_dt`` record who moved it out of "proposed", and when.

    Whether a proposed amendment still applies (its excerpt occurs exactly once in the current text) is computed,
    never stored: :meth:`applies_to`.
    """

    __tablename__ = "proposal_amendments"
    __table_args__ = (
        UniqueConstraint("proposal_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint("base_revision >= 1", name="base_revision_positive"),
        CheckConstraint(f"state IN ({sql_values(AmendmentState)})", name="state_valid"),
        CheckConstraint("language <> ''", name="language_not_empty"),
        CheckConstraint("explanation <> ''", name="explanation_not_empty"),
        CheckConstraint("original_excerpt <> replacement", name="changes_the_text"),
        CheckConstraint("state <> 'rejected' OR (decision_reason IS NOT NULL AND decision_reason <> '')",
                        name="rejection_has_reason"),
        CheckConstraint("(state = 'proposed') = (decided_dt IS NULL)", name="decided_dt_matches_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    #: 1, 2, 3 … per proposal (what readers see: "amendment #3")
    number: Mapped[int]
    #: the member who proposes it
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"), index=True)
    #: the language version of the body it edits
    language: Mapped[str] = mapped_column(String(8))
    original_excerpt: Mapped[str] = mapped_column(Text, default="")
    replacement: Mapped[str] = mapped_column(Text, default="")
    #: why the member proposes it
    explanation: Mapped[str] = mapped_column(Text)
    #: the proposal's revision number when it was proposed
    base_revision: Mapped[int]
    state: Mapped[str] = mapped_column(String(16), default=AmendmentState.proposed.value)
    #: the authors' reason for rejecting it (kept when a facilitator then puts it to the vote)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    decided_dt: Mapped[dt.datetime | None]
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)

    proposal: Mapped[Proposal] = relationship(lazy="raise_on_sql")
    author: Mapped[Member] = relationship(lazy="raise_on_sql")
    decided_by: Mapped[Account | None] = relationship("Account", lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<ProposalAmendment {self.id} proposal={self.proposal_id} #{self.number} {self.state}>"

    # --- the text ---
    @property
    def is_addition(self) -> bool:
        """Adds its text at the end (no passage replaced)."""
        return not self.original_excerpt

    @property
    def is_deletion(self) -> bool:
        return not self.replacement

    def applies_to(self, body: str | None) -> bool:
        """The excerpt occurs exactly once in ``body`` (an addition applies to any existing text)."""
        if not body:
            return False
        return self.is_addition or occurrences(body, self.original_excerpt) == 1

    def apply_to(self, body: str) -> str:
        """``body`` with the amendment applied (check :meth:`applies_to` first)."""
        body = normalise_newlines(body)
        if self.is_addition:
            return f"{body.rstrip()}\n\n{self.replacement}"
        return body.replace(self.original_excerpt, self.replacement, 1)

    # --- states ---
    @property
    def state_label(self) -> str:
        return AmendmentState(self.state).label

    @property
    def is_proposed(self) -> bool:
        return self.state == AmendmentState.proposed.value

    @property
    def can_go_to_vote(self) -> bool:
        return self.can_become(AmendmentState.for_vote)

    def can_become(self, target: AmendmentState) -> bool:
        return AmendmentState(self.state) in AMENDMENT_TRANSITIONS[target]

    def _move(self, target: AmendmentState, account) -> str:
        if not self.can_become(target):
            raise IllegalAmendmentTransition(old=self.state_label, new=target.label)
        old = self.state
        self.state = target.value
        self.decided_by_id = getattr(account, "id", None)
        self.decided_dt = utcnow()
        return old

    def accept(self, account) -> str:
        return self._move(AmendmentState.accepted, account)

    def reject(self, account, reason: str) -> str:
        old = self._move(AmendmentState.rejected, account)
        self.decision_reason = reason
        return old

    def put_to_vote(self, account) -> str:
        return self._move(AmendmentState.for_vote, account)

    def withdraw(self, account) -> str:
        return self._move(AmendmentState.withdrawn, account)


# --- translations by members -----------------------------------------------------------------------
def last_original_change(revisions) -> int:
    """The number of the latest revision that changed the original: its title or text in the original
    language, or which language is the original (1 when no edit did). ``revisions`` in any order.

    A translation made at an earlier revision translates an earlier version of the original."""
    ordered = sorted(revisions, key=lambda r: r.number)
    latest = ordered[0].number if ordered else 1
    for before, after in zip(ordered, ordered[1:]):
        code = after.original_language
        if (before.original_language != code or before.titles.get(code) != after.titles.get(code)
                or before.bodies.get(code) != after.bodies.get(code)):
            latest = after.number
    return latest


class ProposalTranslation(db.Model):
    """A member's translation of a proposal's title and text into one language, and its review.

    The translated texts themselves stay in :attr:`Proposal.titles` / :attr:`Proposal.bodies` under
    ``language`` (so every page that reads a proposal's texts shows them); this row says that the version is a
    translation, who made it (the last member who saved it), which revision holds it as saved, and whether a
    facilitator reviewed it. A language version without a row was written by the authors. Saving a translation
    writes a revision (by the translator), like any change of the texts.

    - **Earlier version**: when a later revision changed the original (see :func:`last_original_change`), the
      translation translates an earlier version; it is shown with a notice until someone updates it.
    - **The authors' edit**: the authors' form saves every language. A translated version they change, remove or
      make the original becomes theirs and its row is deleted (the translator stays in the revision history);
      one they leave as it was stays a translation.
    - **Review**: a facilitator (not the translator) marks it reviewed; any later save clears the review.
    """

    __tablename__ = "proposal_translations"
    __table_args__ = (
        UniqueConstraint("proposal_id", "language"),
        CheckConstraint("language <> ''", name="language_not_empty"),
        CheckConstraint("revision_number >= 1", name="revision_number_positive"),
        # the reviewer's account may be deleted later (SET NULL): the date still says it was reviewed
        CheckConstraint("reviewed_by_id IS NULL OR reviewed_dt IS NOT NULL", name="reviewer_has_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    #: the member who made the translation as it stands (the last to save it)
    translator_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"), index=True)
    #: the revision that holds the translation as last saved (its original is the one translated)
    revision_number: Mapped[int]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    reviewed_dt: Mapped[dt.datetime | None]
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)
    modified_dt: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    proposal: Mapped[Proposal] = relationship(lazy="raise_on_sql")
    translator: Mapped[Member] = relationship(lazy="raise_on_sql")
    reviewed_by: Mapped[Account | None] = relationship("Account", lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<ProposalTranslation {self.id} proposal={self.proposal_id} {self.language}>"

    @property
    def is_reviewed(self) -> bool:
        return self.reviewed_dt is not None

    def is_earlier_version(self, original_revision: int) -> bool:
        """Translates an earlier original than the one of revision ``original_revision`` (the last change of
        the original, :func:`last_original_change`)."""
        return self.revision_number < original_revision


class CommentTranslation(db.Model):
    """A member's translation of a comment into one language (Markdown, rendered like the comment), and its review.

    Comments do not record their language: the translator says which language the comment is written in
    (``source_language``, proposed from the comment author's language). The translation remembers which version
    of the comment it translates (``source_written_dt``: the comment's creation or last edit then), so it is
    *stale* once the author edits the comment again. Saving it again makes it current, credits the member who
    saved it and clears the review.
    """

    __tablename__ = "proposal_comment_translations"
    __table_args__ = (
        UniqueConstraint("comment_id", "language"),
        CheckConstraint("language <> ''", name="language_not_empty"),
        CheckConstraint("language <> source_language", name="language_not_source"),
        CheckConstraint("body <> ''", name="body_not_empty"),
        CheckConstraint("reviewed_by_id IS NULL OR reviewed_dt IS NOT NULL", name="reviewer_has_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("proposal_comments.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    #: the language the comment is written in, as the translator read it
    source_language: Mapped[str] = mapped_column(String(8))
    body: Mapped[str] = mapped_column(Text)
    translator_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"), index=True)
    #: when the translated version of the comment was written (its ``edited_dt`` or ``created_dt`` then)
    source_written_dt: Mapped[dt.datetime]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    reviewed_dt: Mapped[dt.datetime | None]
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)
    modified_dt: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    comment: Mapped[Comment] = relationship(lazy="raise_on_sql")
    translator: Mapped[Member] = relationship(lazy="raise_on_sql")
    reviewed_by: Mapped[Account | None] = relationship("Account", lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<CommentTranslation {self.id} comment={self.comment_id} {self.language}>"

    @property
    def is_reviewed(self) -> bool:
        return self.reviewed_dt is not None

    def is_stale(self, comment: Comment) -> bool:
        """The comment was edited after the version this translation translates."""
        return comment.edited_dt is not None and comment.edited_dt > self.source_written_dt


# --- following -------------------------------------------------------------------------------------
class ProposalFollow(db.Model):
    """An account follows a proposal: it is notified of new comments and of the proposal's state changes.

    Writing, co-authoring or commenting on a proposal follows it; anyone who sees it may follow or unfollow.
    Notifications go only to followers who still see the proposal (governance.proposals.notifying).
    """

    __tablename__ = "proposal_follows"
    __table_args__ = (UniqueConstraint("proposal_id", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<ProposalFollow proposal={self.proposal_id} account={self.account_id}>"
