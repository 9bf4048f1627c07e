"""Reading proposals: a workgroup's list, one proposal with its authors, revisions and supports, and the
differences between two revisions. Each read takes a fixed number of queries, whatever the number of
proposals, supports and revisions.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager, joinedload, raiseload
from sqlalchemy.orm.attributes import set_committed_value

from governance.extensions import db
from governance.members.models import Member
from governance.proposals.models import (
    Proposal,
    ProposalRevision,
    ProposalState,
    ProposalSupport,
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
    """Every revision with its author, newest first (one query)."""
    return list(db.session.execute(
        select(ProposalRevision).join(ProposalRevision.author)
        .options(contains_eager(ProposalRevision.author))
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
