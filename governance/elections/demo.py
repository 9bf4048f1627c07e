"""Demonstration boards and board elections, made through the election operations (called at the end of
``governance.demo.load_demo``).

- **the group's board** (7 seats): five appointed directors from several branches (one term ends within the
  warning period), two directors elected by the **confirmed election** below, and two past mandates (one ended by
  resignation, one at the end of its term);
- **the board of Belgium** (5 seats): three directors, two of whose terms end within the warning period (the
  board member of Belgium sees them on the home page and on the board's page), a co-opted one, and past mandates;
  its **election in its call for candidates** for those two seats has two candidacies (one accepted, one waiting
  for review); the member persona (An Peeters) may still stand;
- **the board of France** (5 seats): directors and a past mandate, and a **draft** election (only the board's
  managers see it);
- the **confirmed election of the group's board**: two seats, at least one woman. First preferences put two men
  ahead (Lukas Müller 9, Hugo Bernard 7, Anna Schmidt 5; quota 8). Lukas is elected at stage 1; the remaining seat
  is then needed to reach the minimum of women, so Hugo is excluded by the rule at stage 2 and Anna takes the last
  seat. Without the rule, Lukas's surplus would have gone to Hugo and Hugo would have been elected: the rule
  changed the outcome, and the result page explains it. The STV ballot is closed with 21 votes; confirming the
  result created the two mandates.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import select

from governance.accounts.models import Account
from governance.core.db_types import utcnow
from governance.elections import operations as ops
from governance.elections.models import Board
from governance.extensions import db
from governance.members.models import Member, MemberStatus
from governance.votes import operations as vote_ops

#: the titles of an election of the group's board must exist in every branch's required language
GROUP_TITLES = {
    "en": "Election to the board of the cooperative (2026)",
    "nl": "Verkiezing van het bestuur van de coöperatie (2026)",
    "fr": "Élection au conseil d'administration de la coopérative (2026)",
    "de": "Wahl in den Vorstand der Genossenschaft (2026)",
    "it": "Elezione del consiglio della cooperativa (2026)",
    "es": "Elección del consejo de la cooperativa (2026)",
    "sv": "Val till kooperativets styrelse (2026)",
    "hu": "A szövetkezet igazgatóságának választása (2026)",
}


@dataclass(frozen=True)
class _Voter:
    """A demo member casting their own vote (the demo has no browser)."""

    member: Member
    id: int | None = None


def _account_of(member: Member, fallback):
    account = db.session.execute(select(Account).where(Account.member_id == member.id)).scalar_one_or_none()
    return account or fallback


def _years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day + dt.timedelta(days=365 * years)


def _mandate(board: Board, member: Member, admin, *, started_days_ago: int, ends_in_days: int, origin: str,
             today: dt.date, ended_days_ago: int | None = None, reason: str = "resignation", note: str | None = None):
    mandate = ops.add_mandate(board, member, actor=admin, starts_on=today - dt.timedelta(days=started_days_ago),
                              ends_on=today + dt.timedelta(days=ends_in_days), origin=origin, note=note)
    if ended_days_ago is not None:
        ops.end_mandate(mandate, actor=admin, ended_on=today - dt.timedelta(days=ended_days_ago), reason=reason)
    return mandate


def _active(members: list[Member], start: int = 4) -> list[Member]:
    return [m for m in members[start:] if m.status == MemberStatus.active.value]


def load_elections(admin, members: dict[str, list[Member]]) -> dict[str, int]:
    """Create the demo boards, mandates and elections (see the module docstring). Flushes; the caller commits."""
    now = utcnow()
    today = dt.date.today()
    branches = {code: member_list[0].branch for code, member_list in members.items()}
    be, fr, de, nl = members["BE"], members["FR"], members["DE"], members["NL"]

    group = ops.create_board(actor=admin, branch=None, seats=7, term_years=3)
    belgium = ops.create_board(actor=admin, branch=branches["BE"], seats=5, term_years=3)
    france = ops.create_board(actor=admin, branch=branches["FR"], seats=5, term_years=3)

    # --- the group's board: appointed directors and past mandates ---
    _mandate(group, nl[0], admin, started_days_ago=900, ends_in_days=120, origin="appointment", today=today)
    _mandate(group, members["IT"][0], admin, started_days_ago=500, ends_in_days=600, origin="appointment",
             today=today)
    _mandate(group, members["ES"][0], admin, started_days_ago=400, ends_in_days=700, origin="appointment",
             today=today)
    _mandate(group, members["SE"][0], admin, started_days_ago=200, ends_in_days=900, origin="appointment",
             today=today)
    _mandate(group, members["AT"][0], admin, started_days_ago=60, ends_in_days=300, origin="cooption", today=today,
             note="Co-opted by the board after a resignation.")
    _mandate(group, members["HU"][0], admin, started_days_ago=1400, ends_in_days=-300, origin="appointment",
             today=today)
    _mandate(group, members["HU"][1], admin, started_days_ago=700, ends_in_days=400, origin="appointment",
             today=today, ended_days_ago=70, reason="resignation")

    # --- Belgium: two terms end within the warning period; a co-opted director; past mandates ---
    first_end = today + dt.timedelta(days=100)
    _mandate(belgium, be[1], admin, started_days_ago=990, ends_in_days=100, origin="appointment", today=today)
    _mandate(belgium, be[4], admin, started_days_ago=950, ends_in_days=140, origin="appointment", today=today)
    _mandate(belgium, be[5], admin, started_days_ago=90, ends_in_days=420, origin="cooption", today=today,
             note="Co-opted until the next election.")
    _mandate(belgium, be[3], admin, started_days_ago=800, ends_in_days=300, origin="appointment", today=today,
             ended_days_ago=100, reason="resignation")
    _mandate(belgium, be[2], admin, started_days_ago=2000, ends_in_days=-900, origin="appointment", today=today)

    # --- France: directors, one term ending soon, a past mandate ---
    _mandate(france, fr[1], admin, started_days_ago=1000, ends_in_days=80, origin="appointment", today=today)
    _mandate(france, fr[4], admin, started_days_ago=300, ends_in_days=800, origin="appointment", today=today)
    _mandate(france, fr[5], admin, started_days_ago=1500, ends_in_days=-400, origin="appointment", today=today)

    # --- Belgium's election, in its call for candidates, with two candidacies ---
    call = ops.create_election(
        belgium, actor=admin, original_language="nl",
        titles={"nl": "Verkiezing van twee bestuurders van België", "fr": "Élection de deux administrateurs de la "
                "Belgique", "en": "Electing two directors of Belgium", "de": "Wahl von zwei Vorstandsmitgliedern "
                "Belgiens"},
        descriptions={"nl": "Twee mandaten lopen af. Stel je kandidaat vóór de deadline.",
                      "fr": "Deux mandats arrivent à échéance. Présentez votre candidature avant la date limite.",
                      "en": "Two terms are ending. Stand as a candidate before the deadline."},
        seats=2, candidacy_opens_at=now - dt.timedelta(days=3), candidacy_deadline=now + dt.timedelta(days=25),
        voting_opens_at=now + dt.timedelta(days=32), voting_closes_at=now + dt.timedelta(days=39),
        term_starts_on=first_end, term_ends_on=_years(first_end, 3), now=now)
    ops.open_call(call, actor=admin, now=now - dt.timedelta(days=3))
    wouter = ops.submit_candidacy(
        call, be[2], actor=_account_of(be[2], admin), original_language="nl",
        statements={"nl": "Ik werk twaalf jaar in de coöperatie. Ik wil dat **elke afdeling** gehoord wordt.",
                    "fr": "Je travaille depuis douze ans dans la coopérative. Je veux que **chaque branche** soit "
                          "entendue."},
        profiles={"nl": "Schrijnwerker in Gent, lid van de werkgroep gereedschap.",
                  "fr": "Menuisier à Gand, membre du groupe de travail outils."},
        now=now - dt.timedelta(days=2))
    ops.review_candidacy(wouter, actor=admin, accept=True, now=now - dt.timedelta(days=1))
    ops.submit_candidacy(
        call, be[3], actor=_account_of(be[3], admin), original_language="fr",
        statements={"fr": "Je veux une coopérative où les comptes sont lisibles par tous."},
        profiles={"fr": "Comptable à Liège."}, now=now - dt.timedelta(days=1))

    # --- France's draft election (only its managers see it) ---
    ops.create_election(
        france, actor=admin, original_language="fr",
        titles={"fr": "Élection d'un administrateur de la France", "en": "Electing a director of France"},
        seats=1, method="irv", candidacy_opens_at=now + dt.timedelta(days=14),
        candidacy_deadline=now + dt.timedelta(days=40), voting_opens_at=now + dt.timedelta(days=45),
        voting_closes_at=now + dt.timedelta(days=52), term_starts_on=today + dt.timedelta(days=80),
        term_ends_on=_years(today + dt.timedelta(days=80), 3), now=now)

    # --- the group's confirmed election, where the gender rule changed the outcome ---
    opened = now - dt.timedelta(days=70)
    deadline = now - dt.timedelta(days=50)
    voting_opens, voting_closes = now - dt.timedelta(days=45), now - dt.timedelta(days=38)
    term_start = today - dt.timedelta(days=30)
    election = ops.create_election(
        group, actor=admin, original_language="en", titles=GROUP_TITLES,
        descriptions={"en": "Two seats of the board of the whole cooperative, with at least one woman elected."},
        seats=2, candidacy_opens_at=opened, candidacy_deadline=deadline, voting_opens_at=voting_opens,
        voting_closes_at=voting_closes, term_starts_on=term_start, term_ends_on=_years(term_start, 3),
        now=opened - dt.timedelta(days=5))
    ops.set_constraints(election, [("gender", "woman", 1, None)], actor=admin)
    ops.open_call(election, actor=admin, now=opened)
    candidates = {}
    for key, member, gender, language, statement, profile in (
            ("lukas", de[0], "man", "de", "Ich möchte die Zusammenarbeit zwischen den Zweigen stärken.",
             "Tischler in Köln."),
            ("hugo", fr[2], "man", "fr", "Je veux des assemblées plus ouvertes.", "Boulanger à Lyon."),
            ("anna", de[1], "woman", "de", "Ich setze mich für transparente Finanzen ein.", "Buchhalterin in Berlin.")):
        candidacy = ops.submit_candidacy(election, member, actor=_account_of(member, admin), original_language=language,
                                         statements={language: statement}, profiles={language: profile},
                                         gender=gender, now=opened + dt.timedelta(days=2))
        ops.review_candidacy(candidacy, actor=admin, accept=True, now=deadline + dt.timedelta(hours=2))
        candidates[key] = candidacy
    ballot = ops.freeze_list(election, actor=admin, now=deadline + dt.timedelta(hours=3), rng=random.Random(2026))
    ops.open_voting(election, actor=admin, now=voting_opens)
    option = {key: c.option_id for key, c in candidates.items()}
    voters = _active(be) + _active(fr) + _active(de) + _active(nl)
    rankings = ([["lukas", "hugo"]] * 9 + [["hugo", "lukas"]] * 7 + [["anna"]] * 5)
    for member, ranking in zip(voters, rankings):
        vote_ops.cast_vote(ballot, member, [option[key] for key in ranking], actor=_Voter(member),
                           now=voting_opens + dt.timedelta(hours=3))
    vote_ops.close_ballot(ballot, actor=admin, now=voting_closes)
    ops.confirm_result(election, actor=admin, now=voting_closes + dt.timedelta(days=1))
    db.session.flush()
    return {"boards": 3, "elections": 3}
