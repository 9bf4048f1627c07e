"""Reading proposals: a workgroup's list, one proposal with its authors, revisions and supports, and the
differences between two revisions. Each read takes a fixed number of queries, whatever the number of
proposals, supports and revisions.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager, joinedload, raiseload
from sqlalchemy.orm.attributes import set_committed_value

from governance.extensions import db
from governance.members.models import Member
from governance.members.queries import Page
from governance.proposals.models import (
    AmendmentState,
    Comment,
    CommentFlag,
    CommentRevision,
    CommentTranslation,
    Proposal,
    ProposalAmendment,
    ProposalRevision,
    ProposalState,
    ProposalSupport,
    ProposalTranslation,
    last_original_change,
    proposal_coauthors,
)
from governance.workgroups.models import Workgroup

#: at most this many proposals on a workgroup's page
PROPOSALS_ON_PAGE = 50


def _support_counts():
    return (select(ProposalSupport.proposal_id, func.count().label("supports"))
            .group_by(ProposalSupport.proposal_id).subquery())


def workgroup_proposals(workgroup: Workgroup, member_id: int | None,
                        limit: int = PROPOSALS_ON_PAGE) -> list[tuple[Proposal, int]]:
    """The proposals the reader sees (drafts: only their own), newest first, with their support counts:
    one query."""
    counts = _support_counts()
    visible = Proposal.state != ProposalState.draft.value
    if member_id is not None:
        own = or_(Proposal.author_id == member_id,
                  Proposal.id.in_(select(proposal_coauthors.c.proposal_id)
                                  .where(proposal_coauthors.c.member_id == member_id)))
        visible = or_(visible, own)
    rows = db.session.execute(
        select(Proposal, func.coalesce(counts.c.supports, 0))
        .join(Proposal.author)
        .outerjoin(counts, counts.c.proposal_id == Proposal.id)
        .options(contains_eager(Proposal.author), raiseload(Proposal.coauthors))
        .where(Proposal.workgroup_id == workgroup.id, visible)
        .order_by(Proposal.created_dt.desc(), Proposal.id.desc())
        .limit(limit)
    ).all()
    return [(proposal, supports) for proposal, supports in rows]


def proposal_in(workgroup: Workgroup, proposal_id: int) -> Proposal | None:
    """The proposal of this workgroup with its author (one query) and co-authors (one more)."""
    proposal = db.session.execute(
        select(Proposal).options(joinedload(Proposal.author))
        .where(Proposal.id == proposal_id, Proposal.workgroup_id == workgroup.id)
    ).scalar_one_or_none()
    if proposal is not None:
        set_committed_value(proposal, "workgroup", workgroup)  # the loaded workgroup: no query
    return proposal


def support_count(proposal: Proposal) -> int:
    return db.session.execute(select(func.count()).select_from(ProposalSupport)
                              .where(ProposalSupport.proposal_id == proposal.id)).scalar_one()


def supports(proposal: Proposal, member_id: int | None) -> bool:
    if member_id is None:
        return False
    return db.session.execute(select(ProposalSupport.id).where(
        ProposalSupport.proposal_id == proposal.id, ProposalSupport.member_id == member_id)).first() is not None


def revisions(proposal: Proposal) -> list[ProposalRevision]:
    """Every revision with its author and the amendment it accepted (with its author), newest first (one query)."""
    return list(db.session.execute(
        select(ProposalRevision).join(ProposalRevision.author)
        .options(contains_eager(ProposalRevision.author),
                 joinedload(ProposalRevision.amendment).joinedload(ProposalAmendment.author))
        .where(ProposalRevision.proposal_id == proposal.id)
        .order_by(ProposalRevision.number.desc())
    ).scalars())


def revision(proposal: Proposal, number: int) -> ProposalRevision | None:
    return db.session.execute(
        select(ProposalRevision).where(ProposalRevision.proposal_id == proposal.id,
                                       ProposalRevision.number == number)).scalar_one_or_none()


def workgroup_members(workgroup: Workgroup) -> list[Member]:
    """The workgroup's active members, by name (for choosing co-authors; one query)."""
    from governance.workgroups.models import MembershipStatus, WorkgroupMembership

    return list(db.session.execute(
        select(Member).join(WorkgroupMembership, WorkgroupMembership.member_id == Member.id)
        .where(WorkgroupMembership.workgroup_id == workgroup.id,
               WorkgroupMembership.status == MembershipStatus.active.value)
        .order_by(Member.last_name, Member.first_name, Member.id)
    ).scalars())


# --- differences -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class DiffLine:
    #: "same", "added" or "removed"
    kind: str
    text: str
    old_number: int | None
    new_number: int | None


@dataclass(frozen=True)
class TextDiff:
    language: str
    #: "title" or "body"
    part: str
    lines: list[DiffLine]

    @property
    def changed(self) -> bool:
        return any(line.kind != "same" for line in self.lines)


def diff_lines(old: str, new: str) -> list[DiffLine]:
    """The lines of ``new`` compared with ``old`` (Markdown source), in order."""
    a, b = (old or "").splitlines(), (new or "").splitlines()
    lines: list[DiffLine] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            lines += [DiffLine("same", a[i1 + k], i1 + k + 1, j1 + k + 1) for k in range(i2 - i1)]
            continue
        lines += [DiffLine("removed", a[i], i + 1, None) for i in range(i1, i2)]
        lines += [DiffLine("added", b[j], None, j + 1) for j in range(j1, j2)]
    return lines


def compare(old: ProposalRevision, new: ProposalRevision) -> list[TextDiff]:
    """The title and body of every language either revision has, original language first."""
    codes = sorted({*old.languages, *new.languages},
                   key=lambda code: (code != new.original_language, code != old.original_language, code))
    diffs = []
    for code in codes:
        diffs.append(TextDiff(code, "title", diff_lines(old.titles.get(code, ""), new.titles.get(code, ""))))
        diffs.append(TextDiff(code, "body", diff_lines(old.bodies.get(code, ""), new.bodies.get(code, ""))))
    return diffs


# --- comments --------------------------------------------------------------------------------------
#: top-level comments (with their whole threads) on one page of a proposal
COMMENTS_PER_PAGE = 50


def comment_in(proposal: Proposal, comment_id: int) -> Comment | None:
    """A comment of this proposal (None for another proposal's), with its author."""
    return db.session.execute(
        select(Comment).options(joinedload(Comment.author))
        .where(Comment.id == comment_id, Comment.proposal_id == proposal.id)
    ).scalar_one_or_none()


@dataclass
class CommentThreads:
    """One page of top-level comments and, for every comment shown, its replies (``replies[id]``)."""

    page: Page
    replies: dict[int, list[Comment]]
    total: int
    #: comment id → its translation shown to the reader (filled by :func:`add_comment_translations`)
    translations: dict[int, CommentTranslation] = field(default_factory=dict)

    def replies_to(self, comment: Comment) -> list[Comment]:
        return self.replies.get(comment.id, [])

    def translation_of(self, comment: Comment) -> CommentTranslation | None:
        return self.translations.get(comment.id) if comment.is_visible else None

    @property
    def comment_ids(self) -> list[int]:
        return [c.id for c in self.page.items] + [r.id for replies in self.replies.values() for r in replies]


def comment_threads(proposal: Proposal, page: int = 1, per_page: int = COMMENTS_PER_PAGE) -> CommentThreads:
    """Three queries whatever the number of comments: the counts, the page's top-level comments, their replies."""
    counts = db.session.execute(
        select(func.count(), func.count().filter(Comment.depth == 1)).where(Comment.proposal_id == proposal.id)
    ).one()
    total, top_total = counts[0], counts[1]
    last_page = max(1, -(-top_total // per_page))
    page = min(max(page, 1), last_page)
    top = list(db.session.execute(
        select(Comment).options(joinedload(Comment.author))
        .where(Comment.proposal_id == proposal.id, Comment.depth == 1)
        .order_by(Comment.created_dt, Comment.id).limit(per_page).offset((page - 1) * per_page)
    ).scalars())
    replies: dict[int, list[Comment]] = {}
    if top:
        rows = db.session.execute(
            select(Comment).options(joinedload(Comment.author))
            .where(Comment.thread_id.in_([c.id for c in top]))
            .order_by(Comment.created_dt, Comment.id)
        ).scalars()
        for reply in rows:
            replies.setdefault(reply.parent_id, []).append(reply)
    return CommentThreads(page=Page(items=top, page=page, per_page=per_page, total=top_total), replies=replies,
                          total=total)


def comment_revisions(comment: Comment) -> list[CommentRevision]:
    return list(db.session.execute(
        select(CommentRevision).where(CommentRevision.comment_id == comment.id)
        .order_by(CommentRevision.created_dt.desc(), CommentRevision.id.desc())
    ).scalars())


def has_flagged(comment: Comment, member_id: int | None) -> bool:
    if member_id is None:
        return False
    return db.session.execute(select(CommentFlag.id).where(CommentFlag.comment_id == comment.id,
                                                           CommentFlag.member_id == member_id)).first() is not None


@dataclass
class FlaggedComment:
    comment: Comment
    proposal: Proposal
    flags: list[CommentFlag]


def flagged_comments(workgroup: Workgroup, limit: int = 200) -> list[FlaggedComment]:
    """The flagged comments of a workgroup's proposals still shown to readers, most flagged first (two queries)."""
    flag_counts = (select(CommentFlag.comment_id, func.count().label("flags"), func.max(CommentFlag.created_dt)
                          .label("last_dt")).group_by(CommentFlag.comment_id).subquery())
    rows = db.session.execute(
        select(Comment, Proposal).join(flag_counts, flag_counts.c.comment_id == Comment.id)
        .join(Proposal, Proposal.id == Comment.proposal_id)
        .options(joinedload(Comment.author))
        .where(Proposal.workgroup_id == workgroup.id, Comment.is_deleted.is_(False), Comment.hidden_reason.is_(None))
        .order_by(flag_counts.c.flags.desc(), flag_counts.c.last_dt.desc(), Comment.id).limit(limit)
    ).all()
    flags: dict[int, list[CommentFlag]] = {}
    if rows:
        for flag in db.session.execute(select(CommentFlag).where(CommentFlag.comment_id.in_([c.id for c, _ in rows]))
                                       .order_by(CommentFlag.created_dt, CommentFlag.id)).scalars():
            flags.setdefault(flag.comment_id, []).append(flag)
    return [FlaggedComment(comment=c, proposal=p, flags=flags.get(c.id, [])) for c, p in rows]


def page_of(comment: Comment, per_page: int = COMMENTS_PER_PAGE) -> int:
    """The page of the proposal's comments that shows this comment's thread."""
    root_id = comment.thread_id or comment.id
    root = db.session.get(Comment, root_id)
    before = db.session.execute(
        select(func.count()).select_from(Comment)
        .where(Comment.proposal_id == comment.proposal_id, Comment.depth == 1,
               or_(Comment.created_dt < root.created_dt, (Comment.created_dt == root.created_dt) & (Comment.id < root.id)))
    ).scalar_one()
    return before // per_page + 1


# --- amendments ------------------------------------------------------------------------------------
def amendments(proposal: Proposal) -> list[ProposalAmendment]:
    """The proposal's amendments with their authors, by number (one query)."""
    return list(db.session.execute(
        select(ProposalAmendment).options(joinedload(ProposalAmendment.author))
        .where(ProposalAmendment.proposal_id == proposal.id)
        .order_by(ProposalAmendment.number)
    ).scalars())


def amendment_in(proposal: Proposal, number: int) -> ProposalAmendment | None:
    """Amendment ``number`` of this proposal (None for a number the proposal does not have), with its author and
    the account that decided it (one query)."""
    amendment = db.session.execute(
        select(ProposalAmendment)
        .options(joinedload(ProposalAmendment.author), joinedload(ProposalAmendment.decided_by))
        .where(ProposalAmendment.proposal_id == proposal.id, ProposalAmendment.number == number)
    ).scalar_one_or_none()
    if amendment is not None:
        set_committed_value(amendment, "proposal", proposal)
    return amendment


def amendments_for_vote(proposal: Proposal) -> list[ProposalAmendment]:
    """The amendments to put to the vote with the proposal (one yes/no/abstain ballot each), by number, with
    their authors (one query). ``amendment.applies_to(proposal.bodies.get(amendment.language))`` tells whether
    one still applies to the current text."""
    return list(db.session.execute(
        select(ProposalAmendment).options(joinedload(ProposalAmendment.author))
        .where(ProposalAmendment.proposal_id == proposal.id,
               ProposalAmendment.state == AmendmentState.for_vote.value)
        .order_by(ProposalAmendment.number)
    ).scalars())


# --- translations by members -----------------------------------------------------------------------
def proposal_translations(proposal: Proposal) -> dict[str, ProposalTranslation]:
    """The proposal's translation records by language, with translators and reviewers (one query)."""
    rows = db.session.execute(
        select(ProposalTranslation)
        .options(joinedload(ProposalTranslation.translator), joinedload(ProposalTranslation.reviewed_by))
        .where(ProposalTranslation.proposal_id == proposal.id)
    ).scalars()
    return {row.language: row for row in rows}


@dataclass(frozen=True)
class LanguageVersion:
    """One language of a proposal, as its page lists it."""

    language: str
    is_original: bool
    #: the proposal has a title and a text in this language
    exists: bool
    #: who translated it (None: the authors wrote it, or it does not exist yet)
    translation: ProposalTranslation | None
    #: the translation translates an earlier original (see ``models.last_original_change``)
    is_earlier: bool

    @property
    def by_authors(self) -> bool:
        return self.exists and self.translation is None


def language_versions(proposal: Proposal, translations: dict[str, ProposalTranslation], revisions,
                      languages=()) -> list[LanguageVersion]:
    """The original, the other languages the proposal exists in, then those of ``languages`` it does not exist in
    yet (no query: ``revisions`` are the proposal's, as :func:`revisions` reads them)."""
    original_changed = last_original_change(revisions)
    versions = []
    for code in dict.fromkeys([*proposal.text_languages, *languages]):
        is_original = code == proposal.original_language
        translation = None if is_original else translations.get(code)
        versions.append(LanguageVersion(
            language=code, is_original=is_original, exists=bool(proposal.titles.get(code)), translation=translation,
            is_earlier=translation is not None and translation.is_earlier_version(original_changed)))
    return versions


def add_comment_translations(threads: CommentThreads, languages: list[str]) -> None:
    """For every comment shown, its translation into the first of ``languages`` (the reader's) that has one, with
    its translator, into ``threads.translations``: one query whatever the number of comments (none without)."""
    ids = threads.comment_ids
    if not ids or not languages:
        return
    rank = {code: i for i, code in enumerate(languages)}
    best: dict[int, CommentTranslation] = {}
    for row in db.session.execute(
        select(CommentTranslation).options(joinedload(CommentTranslation.translator))
        .where(CommentTranslation.comment_id.in_(ids), CommentTranslation.language.in_(list(rank)))
    ).scalars():
        current = best.get(row.comment_id)
        if current is None or rank[row.language] < rank[current.language]:
            best[row.comment_id] = row
    threads.translations = best


def comment_translation(comment: Comment, language: str) -> CommentTranslation | None:
    """The comment's translation into ``language``, with its translator and reviewer (one query)."""
    return db.session.execute(
        select(CommentTranslation)
        .options(joinedload(CommentTranslation.translator), joinedload(CommentTranslation.reviewed_by))
        .where(CommentTranslation.comment_id == comment.id, CommentTranslation.language == language)
    ).scalar_one_or_none()


def comment_source_language(comment: Comment) -> str:
    """The language a comment is written in, as far as the portal knows: what its latest translation said, else
    its author's language."""
    said = db.session.execute(
        select(CommentTranslation.source_language).where(CommentTranslation.comment_id == comment.id)
        .order_by(CommentTranslation.modified_dt.desc(), CommentTranslation.id.desc()).limit(1)
    ).scalar_one_or_none()
    return said or db.session.get(Member, comment.author_id).language


def comment_source_languages(comment: Comment, workgroup: Workgroup) -> list[str]:
    """The languages a translator may say a comment is written in: the workgroup's translation languages and
    the comment author's language."""
    from governance.proposals.permissions import translation_languages

    return list(dict.fromkeys([*translation_languages(workgroup), db.session.get(Member, comment.author_id).language]))


# --- following -------------------------------------------------------------------------------------
def is_following(proposal: Proposal, account_id: int | None) -> bool:
    from governance.proposals.models import ProposalFollow

    if account_id is None:
        return False
    return db.session.execute(select(ProposalFollow.id).where(
        ProposalFollow.proposal_id == proposal.id, ProposalFollow.account_id == account_id)).first() is not None


def follower_ids(proposal: Proposal):
    """A ``select()`` of the ids of the accounts that follow the proposal (to use inside another query)."""
    from governance.proposals.models import ProposalFollow

    return select(ProposalFollow.account_id).where(ProposalFollow.proposal_id == proposal.id)
