"""What the ballot pages need besides the operations and queries: the choices the account may offer on the
ballot form (branches, workgroups), a choice in words for the confirmation step, a receipt lookup, and the
stored result turned into rows, sentences and tables for the result page.

Nothing here changes state.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask_babel import format_percent, gettext as _, ngettext
from sqlalchemy import select

from governance.core.i18n import LocalText, pick_text
from governance.extensions import db
from governance.members.models import Branch
from governance.votes import permissions, wording
from governance.votes.methods import decision as rules
from governance.votes.models import Ballot, BallotMethod, Receipt, YnaChoice
from governance.workgroups.models import MembershipStatus, Workgroup, WorkgroupMembership


# --- what the account may offer on the ballot form -------------------------------------------------
def creatable_branches(account) -> list[Branch]:
    """The branches whose members the account may ask to vote (by its role), by code."""
    branches = list(db.session.execute(select(Branch).order_by(Branch.code)).scalars())
    if permissions.manages_branches(account, None):
        return branches
    return [b for b in branches if permissions.manages_branches(account, {b.id})]


def creatable_workgroups(account) -> list[Workgroup]:
    """The active workgroups the account may hold a ballot in: those it manages by role or facilitates."""
    member = getattr(account, "member", None)
    memberships: dict[int, WorkgroupMembership] = {}
    if member is not None:
        memberships = {m.workgroup_id: m for m in db.session.execute(select(WorkgroupMembership).where(
            WorkgroupMembership.member_id == member.id,
            WorkgroupMembership.status == MembershipStatus.active.value)).scalars()}
    workgroups = db.session.execute(select(Workgroup).where(Workgroup.state == "active")).scalars().all()
    allowed = [w for w in workgroups
               if permissions.can_create_ballot(account, workgroup=w, membership=memberships.get(w.id))]
    return sorted(allowed, key=lambda w: w.title.text.casefold())


def membership_of(account, workgroup_id: int | None) -> WorkgroupMembership | None:
    member = getattr(account, "member", None)
    if member is None or workgroup_id is None:
        return None
    return db.session.execute(select(WorkgroupMembership).where(
        WorkgroupMembership.workgroup_id == workgroup_id,
        WorkgroupMembership.member_id == member.id)).scalar_one_or_none()


# --- a choice in words -----------------------------------------------------------------------------
def option_text(ballot: Ballot, option_id: int) -> LocalText:
    option = ballot.option_by_id(int(option_id))
    return option.label if option is not None else LocalText(str(option_id), ballot.original_language, False)


def choice_in_words(ballot: Ballot, choice) -> list[LocalText | str]:
    """The choice as the voter reads it: one item (yes/no/abstain, an option), the approved options, or the
    ranked options in order of preference."""
    if ballot.is_yna:
        return [YnaChoice(choice).label]
    if ballot.method == BallotMethod.plurality.value:
        return [option_text(ballot, choice)]
    return [option_text(ballot, option_id) for option_id in choice]


# --- receipts --------------------------------------------------------------------------------------
def receipt_published(ballot: Ballot, code: str) -> bool:
    """Whether the code is in the ballot's published list of receipts."""
    if not code:
        return False
    return db.session.execute(select(Receipt.code).where(Receipt.ballot_id == ballot.id,
                                                         Receipt.code == code)).first() is not None


# --- the result, for the page ----------------------------------------------------------------------
def percent(part: int | Decimal, whole: int | Decimal) -> str:
    """A share for display only (decisions never use it): "45.2 %" in the reader's locale."""
    if not whole:
        return ""
    return format_percent(Decimal(part) / Decimal(whole), "#,##0.0 %")


@dataclass
class Row:
    key: str
    label: LocalText | str
    count: int
    share: str
    elected: bool = False


@dataclass
class ResultView:
    """The stored result, ready for the template."""

    ballot: Ballot
    result: dict[str, Any]
    labels: dict[str, LocalText | str]
    rows: list[Row]
    total: int
    #: what the rows count: "votes", "approvals", "first preferences"
    rows_caption: str
    decision: rules.Decision | None
    sentences: list[str]
    quorum_sentence: str
    elected: list[LocalText | str]
    winner_label: str
    count: dict[str, Any]
    rounds: list[dict[str, Any]] = field(default_factory=list)
    round_candidates: list[str] = field(default_factory=list)
    schulze_ranking: list[list[LocalText | str]] = field(default_factory=list)
    tie_breaks: list[dict[str, Any]] = field(default_factory=list)
    breakdown: dict[str, Any] | None = None
    breakdown_groups: list[dict[str, Any]] = field(default_factory=list)

    @property
    def hashes(self) -> dict[str, str]:
        return self.result.get("hashes") or {}

    @property
    def audit(self) -> dict[str, Any]:
        return self.result.get("audit") or {}


def option_labels(ballot: Ballot, result: dict[str, Any]) -> dict[str, LocalText | str]:
    """Option key → label in the reader's language, from the options stored with the result."""
    if ballot.is_yna:
        return {c.value: c.label for c in YnaChoice}
    labels: dict[str, LocalText | str] = {}
    for option in result.get("options") or ():
        labels[str(option["key"])] = pick_text(option.get("labels") or {}, ballot.original_language)
    for option in ballot.options:  # options stored before the snapshot existed
        labels.setdefault(str(option.id), option.label)
    return labels


def _first_totals(ballot: Ballot, result: dict[str, Any]) -> dict[str, int]:
    from governance.votes.operations import parse_choice_key

    totals: dict[str, int] = {}
    for row in result.get("choices") or ():
        parsed = parse_choice_key(ballot, row["choice"])
        keys = [parsed] if isinstance(parsed, str) else (list(parsed[:1]) if ballot.is_ranked else list(parsed))
        for key in keys:
            totals[key] = totals.get(key, 0) + int(row["count"])
    return totals


def _decision(result: dict[str, Any]) -> rules.Decision | None:
    data = result.get("decision")
    if not data:
        return None
    quorum = (data.get("quorum") or {}).get("quorum") or rules.QUORUM_NONE
    return rules.decide(data["rule"], quorum, yes=int(data["yes"]), no=int(data["no"]),
                        abstain=int(data["abstain"]), base=int((data.get("quorum") or {}).get("base") or 0),
                        participations=int((data.get("quorum") or {}).get("participations") or 0))


def _quorum_outcome(result: dict[str, Any]) -> rules.QuorumOutcome:
    data = result.get("quorum") or {}
    return rules.quorum_outcome(data.get("quorum") or rules.QUORUM_NONE, int(data.get("participations") or 0),
                                int(data.get("base") or 0))


def result_view(ballot: Ballot) -> ResultView:
    result = dict(ballot.result or {})
    count = result.get("count") or {}
    labels = option_labels(ballot, result)
    keys = list(labels)
    elected_keys = [str(k) for k in (count.get("elected") or ())]
    if ballot.is_yna:
        totals = {k: int(v) for k, v in (count.get("totals") or {}).items()}
        caption = _("Votes")
    elif ballot.is_ranked:
        totals = _first_totals(ballot, result)
        caption = _("First preferences")
    else:
        totals = {str(k): int(v) for k, v in (count.get("totals") or _first_totals(ballot, result)).items()}
        caption = _("Approvals") if ballot.method == BallotMethod.approval.value else _("Votes")
    whole = int(result.get("ballots") or 0) if ballot.method == BallotMethod.approval.value \
        else sum(totals.values())
    rows = [Row(key, labels[key], totals.get(key, 0), percent(totals.get(key, 0), whole), key in elected_keys)
            for key in keys]
    decision = _decision(result)
    quorum = decision.quorum if decision is not None else _quorum_outcome(result)
    view = ResultView(
        ballot=ballot, result=result, labels=labels, rows=rows, total=whole, rows_caption=caption,
        decision=decision, sentences=wording.decision_sentences(decision) if decision is not None else [],
        quorum_sentence=wording.quorum_sentence(quorum), elected=[labels.get(k, k) for k in elected_keys],
        winner_label="", count=count)
    _add_rounds(view, ballot, count)
    _add_tie_breaks(view, count)
    _add_breakdown(view, ballot, result)
    return view


def _decimal_text(value) -> str:
    """A vote total as stored (an int, or an exact decimal string for STV) in the reader's locale."""
    from flask_babel import format_decimal

    if value is None:
        return ""
    if isinstance(value, str):
        number = Decimal(value)
        return format_decimal(number, "#,##0.00###") if number != number.to_integral_value() \
            else format_decimal(int(number))
    return format_decimal(value)


def _add_rounds(view: ResultView, ballot: Ballot, count: dict[str, Any]) -> None:
    """IRV rounds or STV stages: one column per round, one row per candidate."""
    labels = view.labels
    if ballot.method == BallotMethod.irv.value:
        view.round_candidates = [str(c) for c in count.get("candidates") or ()]
        for data in count.get("rounds") or ():
            tallies = data.get("tallies") or {}
            if data.get("elected"):
                action = _("%(name)s has a majority and wins.", name=labels.get(data["elected"], data["elected"]))
            elif data.get("excluded"):
                action = _("%(name)s is excluded.", name=labels.get(data["excluded"], data["excluded"]))
            else:
                action = ""
            view.rounds.append({"number": data.get("number"), "action": action,
                                "totals": {c: _decimal_text(tallies[c]) if c in tallies else "" for c in
                                           view.round_candidates},
                                "exhausted": _decimal_text(data.get("exhausted", 0))})
    elif ballot.method == BallotMethod.stv.value:
        view.round_candidates = [str(c) for c in count.get("candidates") or ()]
        for data in count.get("stages") or ():
            name = labels.get(data.get("candidate"), data.get("candidate") or "")
            action = data.get("action")
            if action == "surplus":
                text = _("Surplus of %(name)s transferred.", name=name)
            elif action == "exclusion":
                text = _("%(name)s is excluded.", name=name)
            elif action == "constraint_exclusion":
                text = _("Excluded to meet the balanced representation rules: %(names)s.",
                         names=", ".join(str(labels.get(c, c)) for c in data.get("excluded") or ()))
            else:
                text = _("First preferences counted.")
            elected = [str(labels.get(c, c)) for c in data.get("elected") or ()]
            if elected:
                text += " " + _("Elected: %(names)s.", names=", ".join(elected))
            totals = data.get("totals") or {}
            view.rounds.append({"number": data.get("number"), "action": text,
                                "totals": {c: _decimal_text(totals.get(c)) for c in view.round_candidates},
                                "exhausted": _decimal_text(data.get("non_transferable"))})
    elif ballot.method == BallotMethod.schulze.value:
        view.schulze_ranking = [[labels.get(str(c), c) for c in group] for group in count.get("ranking") or ()]


_PURPOSES = {
    "exclude": lambda: _("which candidate to exclude"),
    "surplus": lambda: _("whose surplus to transfer first"),
    "elect": lambda: _("who takes the seat"),
    "winner": lambda: _("the winner"),
}


def _add_tie_breaks(view: ResultView, count: dict[str, Any]) -> None:
    for tie in count.get("tie_breaks") or ():
        purpose = _PURPOSES.get(tie.get("purpose"), lambda: tie.get("purpose") or "")()
        view.tie_breaks.append({
            "purpose": purpose,
            "tied": ", ".join(str(view.labels.get(str(c), c)) for c in tie.get("tied") or ()),
            "chosen": view.labels.get(str(tie.get("chosen")), tie.get("chosen")),
            "by_lot": tie.get("rule") == "lot",
            "stage": tie.get("decided_by_stage"),
        })


def _add_breakdown(view: ResultView, ballot: Ballot, result: dict[str, Any]) -> None:
    breakdown = result.get("breakdown")
    if not breakdown:
        return
    view.breakdown = breakdown
    codes = {code for group in breakdown.get("groups") or () for code in group.get("branches") or ()}
    names = {b.code: b.name for b in db.session.execute(select(Branch).where(Branch.code.in_(codes))).scalars()} \
        if codes else {}
    for group in breakdown.get("groups") or ():
        branches = [names.get(code, code) for code in group.get("branches") or ()]
        counts = group.get("counts") or {}
        voters = int(group.get("voters") or 0)
        view.breakdown_groups.append({
            "name": _("Other branches") if group.get("is_other", group.get("other")) else ", ".join(branches),
            "branches": ", ".join(branches),
            "is_other": bool(group.get("is_other", group.get("other"))),
            "voters": voters,
            "cells": [(counts.get(key, 0), percent(counts.get(key, 0), voters)) for key in view.labels],
        })


# --- the window ------------------------------------------------------------------------------------
def zone_name() -> str:
    from governance.core.i18n import select_timezone

    return select_timezone()


def is_past(value: dt.datetime | None, now: dt.datetime) -> bool:
    return value is not None and value <= now


# --- the method in one sentence --------------------------------------------------------------------
def method_sentence(ballot: Ballot) -> str:
    """How the ballot is voted and counted, in one sentence."""
    method = ballot.method
    if method == BallotMethod.yna.value:
        return _("Each member answers yes, no or abstains; the majority rule below decides.")
    if method == BallotMethod.plurality.value:
        return _("Each member chooses one option; the option with the most votes wins.")
    if method == BallotMethod.approval.value:
        return ngettext("Each member ticks at most %(num)s option they approve of; the options with the most "
                        "approvals win.",
                        "Each member ticks at most %(num)s options they approve of; the options with the most "
                        "approvals win.", ballot.max_choices or 1)
    if method == BallotMethod.irv.value:
        return _("Each member ranks the options in order of preference; the option with the fewest votes is "
                 "excluded and its ballots go to their next preference, until one option has a majority.")
    if method == BallotMethod.stv.value:
        return ngettext("Each member ranks the candidates in order of preference; %(num)s seat is filled by single "
                        "transferable vote (Scottish rules): surpluses and the ballots of excluded candidates go to "
                        "their next preference.",
                        "Each member ranks the candidates in order of preference; %(num)s seats are filled by single "
                        "transferable vote (Scottish rules): surpluses and the ballots of excluded candidates go to "
                        "their next preference.", ballot.seats or 1)
    return _("Each member ranks the options in order of preference; the option preferred to every other one in "
             "head-to-head comparisons wins (Schulze method).")
