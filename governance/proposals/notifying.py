"""Notifications about proposals: who hears of what, and how each kind reads.

Events (called from :mod:`governance.proposals.operations`, never for the actor's own action):

- ``proposal.opened`` — a proposal leaves its draft and opens for discussion (drafts are private): to the
  followers of its workgroup, its own followers and its authors.
- ``proposal.comment`` — a comment or a reply: to the proposal's followers (except the author of the comment
  replied to, who gets ``comment.reply`` instead).
- ``comment.reply`` — a reply to one's comment: to that comment's author, following or not.
- ``proposal.state`` — any other change of state (ready for a vote, adopted, rejected, withdrawn, archived):
  to the proposal's followers and its authors.

Recipients are chosen in SQL with the same scope rules as the proposal's page
(:func:`~governance.proposals.permissions.accounts_seeing_proposal`): a member who can no longer see the
workgroup (they moved to another branch, their account is disabled) is not notified. Each notification
keeps the titles in every language as they were, so it reads in the reader's language later.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select

from governance.accounts.models import Account
from governance.notifications.operations import notify, portal_path
from governance.notifications.registry import register_kind, snapshot_pick, snapshot_text
from governance.proposals import queries
from governance.proposals.models import Comment, Proposal, ProposalState
from governance.proposals.permissions import accounts_seeing_proposal
from governance.workgroups import queries as workgroup_queries

OPENED = "proposal.opened"
COMMENT = "proposal.comment"
REPLY = "comment.reply"
STATE = "proposal.state"


def _actor_name(actor) -> str | None:
    if actor is None:
        return None
    member = getattr(actor, "member", None)
    return member.full_name if member is not None else actor.display_name


def _data(proposal: Proposal, actor, **extra) -> dict[str, Any]:
    workgroup = proposal.workgroup
    return {"proposal_id": proposal.id, "workgroup_id": proposal.workgroup_id, "actor": _actor_name(actor),
            "title": snapshot_text(proposal.titles, proposal.original_language),
            "workgroup": snapshot_text(workgroup.titles, workgroup.original_language), **extra}


def _proposal_path(proposal: Proposal, **args) -> str:
    return portal_path("proposals.proposal", workgroup_slug=proposal.workgroup.slug, proposal_id=proposal.id, **args)


def _comment_path(proposal: Proposal, comment: Comment) -> str:
    page = queries.page_of(comment)
    path = _proposal_path(proposal, **({"page": page} if page > 1 else {}))
    return f"{path}#comment-{comment.id}"


def _authors_and_followers(proposal: Proposal):
    return or_(Account.id.in_(queries.follower_ids(proposal)), Account.member_id.in_(sorted(proposal.author_ids)))


# --- events ----------------------------------------------------------------------------------------
def state_changed(proposal: Proposal, old_state: str, *, actor) -> int:
    """After a change of state: opening a draft announces a new proposal, any other change its new state."""
    sees = accounts_seeing_proposal(proposal)
    if old_state == ProposalState.draft.value and proposal.state == ProposalState.discussion.value:
        recipients = select(Account.id).where(sees, or_(
            Account.id.in_(workgroup_queries.follower_ids(proposal.workgroup)), _authors_and_followers(proposal)))
        return notify(recipients, OPENED, _data(proposal, actor), _proposal_path(proposal), exclude_actor=actor)
    recipients = select(Account.id).where(sees, _authors_and_followers(proposal))
    return notify(recipients, STATE, _data(proposal, actor, old=old_state, new=proposal.state),
                  _proposal_path(proposal), exclude_actor=actor)


def comment_added(comment: Comment, proposal: Proposal, parent: Comment | None, *, actor) -> int:
    """A new comment or reply: the author of the comment replied to, then the proposal's followers."""
    sees = accounts_seeing_proposal(proposal)
    link = _comment_path(proposal, comment)
    data = _data(proposal, actor, comment_id=comment.id)
    sent = 0
    replied_to = parent.author_id if parent is not None and not parent.is_deleted else None
    followers = select(Account.id).where(sees, Account.id.in_(queries.follower_ids(proposal)))
    if replied_to is not None:
        sent += notify(select(Account.id).where(sees, Account.member_id == replied_to), REPLY,
                       dict(data, parent_id=parent.id), link, exclude_actor=actor)
        followers = followers.where(or_(Account.member_id.is_(None), Account.member_id != replied_to))
    return sent + notify(followers, COMMENT, data, link, exclude_actor=actor)


# --- how they read ---------------------------------------------------------------------------------
def _names(data: Mapping[str, Any], languages: list[str]) -> dict[str, str]:
    return {"title": snapshot_pick(data.get("title"), languages).text,
            "workgroup": snapshot_pick(data.get("workgroup"), languages).text,
            "name": data.get("actor") or _("A member")}


def _state_label(code: str | None) -> str:
    try:
        return ProposalState(code).label
    except ValueError:
        return code or ""


def render_opened(data: Mapping[str, Any], languages: list[str]) -> str:
    return _("%(name)s opened the proposal “%(title)s” for discussion in the workgroup “%(workgroup)s”.",
             **_names(data, languages))


def render_comment(data: Mapping[str, Any], languages: list[str]) -> str:
    return _("%(name)s commented on the proposal “%(title)s”.", **_names(data, languages))


def render_reply(data: Mapping[str, Any], languages: list[str]) -> str:
    return _("%(name)s replied to your comment on the proposal “%(title)s”.", **_names(data, languages))


def render_state(data: Mapping[str, Any], languages: list[str]) -> str:
    names = _names(data, languages)
    return _("The proposal “%(title)s” went from “%(old)s” to “%(new)s”.", title=names["title"],
             old=_state_label(data.get("old")), new=_state_label(data.get("new")))


register_kind(OPENED, render_opened)
register_kind(COMMENT, render_comment)
register_kind(REPLY, render_reply)
register_kind(STATE, render_state)
