"""Demonstration ballots, made through the ballot operations (called at the end of ``governance.demo.load_demo``).

- an open **secret** yes/no/abstain ballot of the members of Belgium, France, the Netherlands and Germany,
  written in English and translated into every language those branches require (nl, fr, de), with some
  votes cast already; the member persona (An Peeters, BE) has not voted yet;
- an open **roll-call** single-choice ballot of the Brussels shared-workshop workgroup (An Peeters is a
  member);
- a **closed** STV ballot for two seats of the Belgian board, counted, with a published result, receipts and a
  per-branch breakdown (voters from Belgium, the Netherlands and France, the French group too small to show);
- a **draft** of the Belgian board, still missing its French translation.

About two hundred votes in all, so loading stays fast.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import select

from governance.core.db_types import utcnow
from governance.extensions import db
from governance.members.models import Member, MemberStatus
from governance.votes import operations as ops
from governance.workgroups.models import Workgroup


@dataclass(frozen=True)
class _Voter:
    """A demo member casting their own vote (the demo has no browser): ``cast_vote`` needs the member, and an
    account id where there is one."""

    member: Member
    id: int | None = None


def _active(members: list[Member], start: int = 4) -> list[Member]:
    """Active members without a demo account (the first four of a branch have one: they vote in the browser)."""
    return [m for m in members[start:] if m.status == MemberStatus.active.value]


def _cast(ballot, voters: list[Member], choose, *, now: dt.datetime) -> int:
    for member in voters:
        ops.cast_vote(ballot, member, choose(member), actor=_Voter(member), now=now)
    return len(voters)


def load_ballots(admin, members: dict[str, list[Member]], seed: int = 2026) -> int:
    """Create the demo ballots (see the module docstring). Flushes; the caller commits."""
    rng = random.Random(seed)
    now = utcnow()
    branches = {code: member_list[0].branch for code, member_list in members.items()}

    # 1. open, secret, yes/no/abstain, four branches, translated into their required languages
    general = ops.create_ballot(
        actor=admin, original_language="en",
        questions={"en": "Shall the cooperative open a shared tool library in every branch?",
                   "nl": "Opent de coöperatie in elke afdeling een gedeelde gereedschapsbibliotheek?",
                   "fr": "La coopérative ouvre-t-elle une outilthèque partagée dans chaque branche ?",
                   "de": "Soll die Genossenschaft in jedem Zweig eine gemeinsame Werkzeugbibliothek eröffnen?"},
        descriptions={"en": "Each branch would set aside **one room** and a small budget for tools members lend "
                            "each other.\n\n- opening hours set by the branch\n- a shared booking calendar",
                      "nl": "Elke afdeling voorziet **één ruimte** en een klein budget voor gereedschap dat leden "
                            "elkaar lenen.\n\n- openingsuren bepaald door de afdeling\n- een gedeelde "
                            "reservatiekalender",
                      "fr": "Chaque branche réserverait **une salle** et un petit budget pour les outils que les "
                            "membres se prêtent.\n\n- horaires fixés par la branche\n- un calendrier de "
                            "réservation commun",
                      "de": "Jeder Zweig stellt **einen Raum** und ein kleines Budget für Werkzeuge bereit, die "
                            "sich die Mitglieder leihen.\n\n- Öffnungszeiten legt der Zweig fest\n- ein "
                            "gemeinsamer Buchungskalender"},
        method="yna", is_secret=True, electorate_kind="register",
        branch_ids={branches[c].id for c in ("BE", "FR", "NL", "DE")},
        closes_at=now + dt.timedelta(days=12), quorum="share:1/4", majority="simple", result_visibility="everyone",
        now=now - dt.timedelta(days=3))
    ops.open_ballot(general, actor=admin, now=now - dt.timedelta(days=2))
    votes = 0
    for code, share in (("BE", 0.4), ("FR", 0.35), ("NL", 0.3), ("DE", 0.25)):
        voters = _active(members[code])
        voters = rng.sample(voters, int(len(voters) * share))
        votes += _cast(general, voters, lambda _m: rng.choice(["yes", "yes", "yes", "no", "no", "abstain"]),
                       now=now - dt.timedelta(days=1))

    # 2. open, roll call, single choice, in a Belgian workgroup (nl and fr required)
    workshop = next(w for w in db.session.execute(select(Workgroup)).scalars()
                    if w.titles.get("nl") == "Gedeelde werkplaats Brussel")
    day = ops.create_ballot(
        actor=admin, original_language="nl",
        questions={"nl": "Op welke dag houden we de maandelijkse werkplaatsvergadering?",
                   "fr": "Quel jour tenons-nous la réunion mensuelle de l'atelier ?",
                   "en": "Which day do we hold the monthly workshop meeting?"},
        method="plurality", is_secret=False, electorate_kind="workgroup", workgroup=workshop,
        options=[{"nl": "Dinsdagavond", "fr": "Mardi soir", "en": "Tuesday evening"},
                 {"nl": "Donderdagavond", "fr": "Jeudi soir", "en": "Thursday evening"},
                 {"nl": "Zaterdagochtend", "fr": "Samedi matin", "en": "Saturday morning"}],
        closes_at=now + dt.timedelta(days=6), result_visibility="electorate", now=now - dt.timedelta(days=2))
    ops.open_ballot(day, actor=admin, now=now - dt.timedelta(days=1))
    from governance.votes.models import RollEntry

    on_roll = set(db.session.execute(select(RollEntry.member_id).where(RollEntry.ballot_id == day.id)).scalars())
    roll_voters = [m for m in _active(members["BE"]) if m.id in on_roll][:6]
    options = [o.id for o in day.options]
    votes += _cast(day, roll_voters, lambda _m: rng.choice(options), now=now - dt.timedelta(hours=20))

    # 3. closed, secret, STV for two seats, voters in three branches; counted and published
    candidates = ["Sofie Mertens", "Julien Dubois", "Elke Willems", "Koen Claes", "Fatima El Amrani"]
    board = ops.create_ballot(
        actor=admin, original_language="nl",
        questions={"nl": "Verkiezing van twee bestuursleden voor België",
                   "fr": "Élection de deux membres du conseil d'administration pour la Belgique",
                   "en": "Election of two board members for Belgium"},
        descriptions={"nl": "Rangschik de kandidaten in volgorde van voorkeur.",
                      "fr": "Classez les candidats par ordre de préférence.",
                      "en": "Rank the candidates in order of preference."},
        method="stv", seats=2, is_secret=True, electorate_kind="register",
        branch_ids={branches[c].id for c in ("BE", "NL", "FR")},
        options=[{"nl": name, "fr": name, "en": name} for name in candidates],
        result_visibility="everyone", now=now - dt.timedelta(days=30))
    ops.open_ballot(board, actor=admin, now=now - dt.timedelta(days=28))
    option_ids = [o.id for o in board.options]
    weights = [5, 4, 3, 2, 2]

    def ranking(_member):
        picked: list[int] = []
        pool, pool_weights = list(option_ids), list(weights)
        for _ in range(rng.randint(1, 4)):
            choice = rng.choices(pool, pool_weights)[0]
            index = pool.index(choice)
            pool.pop(index)
            pool_weights.pop(index)
            picked.append(choice)
        return picked

    for code, count in (("BE", 45), ("NL", 18), ("FR", 4)):
        voters = rng.sample(_active(members[code]), min(count, len(_active(members[code]))))
        votes += _cast(board, voters, ranking, now=now - dt.timedelta(days=27))
    ops.close_ballot(board, actor=admin, now=now - dt.timedelta(days=21))

    # 4. a draft of the Belgian board: the French text is still missing
    ops.create_ballot(
        actor=admin, original_language="nl",
        questions={"nl": "Keuren we de jaarrekening 2026 goed?", "en": "Do we approve the annual accounts 2026?"},
        method="yna", is_secret=True, electorate_kind="register", branch_ids={branches["BE"].id},
        opens_at=now + dt.timedelta(days=20), closes_at=now + dt.timedelta(days=34), quorum="share:1/3",
        majority="absolute", now=now)
    db.session.flush()
    assert votes < 400
    return 4
