"""Demonstration data: a multi-branch worker cooperative, with names and languages that fit each country.

Loaded by ``flask governance demo load`` (``make run`` does it when the database is empty). Every demo
account uses the password ``demo-password-2026``, shown on the sign-in page in development only.
"""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import func, select

from governance.accounts import operations as account_ops
from governance.accounts.models import Role
from governance.accounts.passwords import hash_password
from governance.core import audit
from governance.core.db_types import utcnow
from governance.extensions import db
from governance.members.models import Branch, Member, MemberStatus, MemberStatusChange

DEMO_PASSWORD = "demo-password-2026"

BRANCHES = [
    # code, country, names, official languages, required languages, time zone
    ("BE", "BE", {"nl": "België", "fr": "Belgique", "de": "Belgien", "en": "Belgium"}, ["nl", "fr", "de"], ["nl", "fr"], "Europe/Brussels"),
    ("FR", "FR", {"nl": "Frankrijk", "fr": "France", "de": "Frankreich", "en": "France"}, ["fr"], ["fr"], "Europe/Paris"),
    ("DE", "DE", {"nl": "Duitsland", "fr": "Allemagne", "de": "Deutschland", "en": "Germany"}, ["de"], ["de"], "Europe/Berlin"),
    ("NL", "NL", {"nl": "Nederland", "fr": "Pays-Bas", "de": "Niederlande", "en": "Netherlands"}, ["nl"], ["nl"], "Europe/Amsterdam"),
    ("IT", "IT", {"nl": "Italië", "fr": "Italie", "de": "Italien", "en": "Italy", "it": "Italia"}, ["it"], ["it"], "Europe/Rome"),
    ("ES", "ES", {"nl": "Spanje", "fr": "Espagne", "de": "Spanien", "en": "Spain", "es": "España"}, ["es"], ["es"], "Europe/Madrid"),
    ("AT", "AT", {"nl": "Oostenrijk", "fr": "Autriche", "de": "Österreich", "en": "Austria"}, ["de"], ["de"], "Europe/Vienna"),
    ("SE", "SE", {"nl": "Zweden", "fr": "Suède", "de": "Schweden", "en": "Sweden", "sv": "Sverige"}, ["sv"], ["sv"], "Europe/Stockholm"),
    ("HU", "HU", {"nl": "Hongarije", "fr": "Hongrie", "de": "Ungarn", "en": "Hungary", "hu": "Magyarország"}, ["hu"], ["hu"], "Europe/Budapest"),
]

NAMES = {
    "BE": (["An", "Lotte", "Wouter", "Pieter", "Sofie", "Nathalie", "Julien", "Amélie", "Koen", "Elke", "Maxime", "Hannah", "Youssef", "Fatima", "Jonas"],
           ["Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Dubois", "Lambert", "Dupont", "Claes", "Willems", "Goossens", "Wouters", "El Amrani", "Renard", "Lejeune"]),
    "FR": (["Camille", "Léa", "Hugo", "Louis", "Manon", "Chloé", "Nicolas", "Inès", "Thomas", "Sarah", "Mathis", "Julie", "Karim", "Élodie", "Antoine"],
           ["Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "Fournier"]),
    "DE": (["Lukas", "Anna", "Leon", "Marie", "Felix", "Lena", "Jonas", "Laura", "Paul", "Sophie", "Tobias", "Katrin", "Deniz", "Jürgen", "Miriam"],
           ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Koch", "Richter", "Yılmaz", "Klein", "Wolf"]),
    "NL": (["Daan", "Emma", "Sem", "Julia", "Lucas", "Mila", "Finn", "Tess", "Bram", "Sanne", "Thijs", "Fleur", "Noor", "Ruben", "Iris"],
           ["de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters"]),
    "IT": (["Giulia", "Francesco", "Sofia", "Alessandro", "Aurora", "Lorenzo", "Chiara", "Matteo", "Martina", "Andrea", "Giorgia", "Luca", "Federica", "Marco", "Elena"],
           ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Costa"]),
    "ES": (["Lucía", "Hugo", "Martina", "Pablo", "María", "Daniel", "Paula", "Alejandro", "Carmen", "Javier", "Nerea", "Sergio", "Ainhoa", "Jordi", "Marta"],
           ["García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Puig", "Etxeberria"]),
    "AT": (["Lukas", "Anna", "David", "Hannah", "Maximilian", "Lea", "Elias", "Sarah", "Florian", "Magdalena", "Stefan", "Theresa", "Johanna", "Matthias", "Valentina"],
           ["Gruber", "Huber", "Bauer", "Wagner", "Pichler", "Steiner", "Moser", "Mayer", "Hofer", "Leitner", "Berger", "Fuchs", "Eder", "Fischer", "Schmid"]),
    "SE": (["Alice", "William", "Maja", "Elias", "Ella", "Lucas", "Ebba", "Oscar", "Astrid", "Hugo", "Saga", "Erik", "Linnea", "Nils", "Ingrid"],
           ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson", "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Lindberg", "Lindström", "Berg"]),
    "HU": (["Bence", "Anna", "Máté", "Zsófia", "Levente", "Hanna", "Dávid", "Réka", "Balázs", "Eszter", "Péter", "Katalin", "Gergő", "Nóra", "Ádám"],
           ["Nagy", "Kovács", "Tóth", "Szabó", "Horváth", "Varga", "Kiss", "Molnár", "Németh", "Farkas", "Balogh", "Papp", "Takács", "Juhász", "Lakatos"]),
}

#: the member's language in the register, by branch (several for Belgium)
LANGUAGE_MIX = {"BE": ["nl", "nl", "fr", "fr", "de"], "FR": ["fr"], "DE": ["de"], "NL": ["nl"], "IT": ["it"],
                "ES": ["es"], "AT": ["de"], "SE": ["sv"], "HU": ["hu"]}

STATUS_MIX = ([MemberStatus.active] * 16 + [MemberStatus.applicant] * 2 + [MemberStatus.suspended, MemberStatus.resigned,
              MemberStatus.excluded, MemberStatus.deceased])

MEMBERS_PER_BRANCH = {"BE": 120, "FR": 90, "DE": 60, "NL": 50, "IT": 40, "ES": 40, "AT": 25, "SE": 20, "HU": 20}


def database_is_empty() -> bool:
    return not db.session.execute(select(func.count()).select_from(Branch)).scalar()


def _email(first: str, last: str, n: int) -> str:
    import unicodedata

    def ascii_part(text: str) -> str:
        folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        return "".join(c for c in folded.lower() if c.isalnum())

    return f"{ascii_part(first)}.{ascii_part(last)}{n if n else ''}@demo.coop"


def load_demo(seed: int = 2026) -> dict[str, int]:
    """Create branches, members (with status histories) and accounts. Flushes; the caller commits."""
    rng = random.Random(seed)
    today = dt.date(2026, 11, 1)
    branches: dict[str, Branch] = {}
    for code, country, names, official, required, tz in BRANCHES:
        branch = Branch(code=code, country=country, names=names, official_languages=official,
                        required_languages=required, timezone=tz)
        db.session.add(branch)
        branches[code] = branch
    db.session.flush()

    members: dict[str, list[Member]] = {}
    used_emails: set[str] = set()
    number = 10000
    for code, count in MEMBERS_PER_BRANCH.items():
        first_names, last_names = NAMES[code]
        members[code] = []
        for i in range(count):
            number += 1
            first = first_names[i % len(first_names)] if i < len(first_names) else rng.choice(first_names)
            last = last_names[i % len(last_names)] if i < len(last_names) else rng.choice(last_names)
            email, n = _email(first, last, 0), 0
            while email in used_emails:
                n += 1
                email = _email(first, last, n)
            used_emails.add(email)
            status = MemberStatus.active if i < 6 else rng.choice(STATUS_MIX)
            joined = today - dt.timedelta(days=rng.randint(30, 365 * 12))
            left = None
            if status in (MemberStatus.resigned, MemberStatus.excluded, MemberStatus.deceased):
                left = joined + dt.timedelta(days=rng.randint(10, (today - joined).days))
            consent = utcnow() - dt.timedelta(days=rng.randint(1, 900)) if rng.random() < 0.8 else None
            member = Member(
                number=f"{code}-{number}", branch=branches[code], first_name=first, last_name=last,
                email=email if rng.random() < 0.95 or i < 6 else None,
                language=LANGUAGE_MIX[code][0] if i == 0 else rng.choice(LANGUAGE_MIX[code]),
                status=status.value, joined_on=joined, left_on=left,
                shares=rng.choice([1, 1, 1, 2, 3, 5, 10]), share_class=rng.choice(["A", "A", "B"]),
                email_consent_dt=consent,
            )
            db.session.add(member)
            members[code].append(member)
    db.session.flush()

    for member_list in members.values():
        for member in member_list:
            db.session.add(MemberStatusChange(member=member, old_status=None, new_status=MemberStatus.applicant.value,
                                              effective_on=member.joined_on, source="import"))
            if member.status != MemberStatus.applicant.value:
                db.session.add(MemberStatusChange(member=member, old_status=MemberStatus.applicant.value,
                                                  new_status=MemberStatus.active.value,
                                                  effective_on=member.joined_on + dt.timedelta(days=14), source="import"))
            if member.status not in (MemberStatus.applicant.value, MemberStatus.active.value):
                db.session.add(MemberStatusChange(member=member, old_status=MemberStatus.active.value,
                                                  new_status=member.status,
                                                  effective_on=member.left_on or today - dt.timedelta(days=20),
                                                  source="manual"))

    accounts = 0
    # every demo account has the same password: hash it once (Argon2 is slow on purpose)
    demo_hash = hash_password(DEMO_PASSWORD)
    admin = account_ops.create_account(email="admin@demo.coop", display_name="Sam Admin", language="en")
    admin.password_hash = demo_hash
    account_ops.grant_role(admin, Role.admin, actor=admin)
    secretary = account_ops.create_account(email="secretary@demo.coop", display_name="Nadia Secretaris",
                                           language="nl")
    secretary.password_hash = demo_hash
    account_ops.grant_role(secretary, Role.secretary, actor=admin)
    accounts += 2

    # members with accounts: the first active members of each branch, plus the documented ones
    for code, member_list in members.items():
        for member in member_list[:4]:
            # the documented demo members (an.peeters@…, camille.martin@…) are the first of their branch
            account = account_ops.create_account(
                email=member.email, display_name=member.full_name,
                language=member.language if member.language in ("nl", "fr", "en", "de") else "en",
                timezone=member.branch.timezone, member=member, actor=admin,
            )
            account.password_hash = demo_hash
            accounts += 1
            if member is member_list[1]:
                account_ops.grant_role(account, Role.board_member, branch=member.branch, actor=admin)
    workgroups = _load_workgroups(rng, admin, branches, members)
    proposals = _load_proposals(rng, members)
    from governance.votes.demo import load_ballots

    ballots = load_ballots(admin, members)
    from governance.assemblies.demo import load_assemblies

    assemblies = load_assemblies(admin, members)
    from governance.elections.demo import load_elections

    elections = load_elections(admin, members)
    audit.record("demo.loaded", actor=admin, branches=len(branches), members=sum(map(len, members.values())))
    db.session.flush()
    return {"branches": len(branches), "members": sum(map(len, members.values())), "accounts": accounts,
            "workgroups": workgroups, "proposals": proposals, "ballots": ballots,
            "assemblies": assemblies["assemblies"], "petitions": assemblies["petitions"], **elections}


# --- workgroups ------------------------------------------------------------------------------------
#: the demo workgroups: texts per language, scope (None: the whole cooperative), and the facilitators, pending
#: requests and members placed by hand as (branch, index in the branch's list: the first four have accounts;
#: ("BE", 0) is An Peeters, the member persona). Other members are drawn at random.
WORKGROUPS = [
    {
        "theme": "membership", "joining": "open", "branches": None, "working": ["en", "fr", "nl", "de"],
        "original": "en",
        "titles": {"en": "Who is the cooperative for?", "nl": "Voor wie is de coöperatie?",
                   "fr": "Pour qui est la coopérative ?", "de": "Für wen ist die Genossenschaft da?"},
        "descriptions": {
            "en": "We ask who the cooperative serves today, and who it should serve tomorrow.\n\n"
                  "- who can become a member, in each country\n- how we welcome people who are not salaried\n"
                  "- what the **admission rules** in the statutes should say\n\n"
                  "Our first proposals go to the general assembly of June.",
            "nl": "We vragen ons af voor wie de coöperatie er vandaag is, en voor wie ze er morgen moet zijn.\n\n"
                  "- wie lid kan worden, in elk land\n- hoe we mensen verwelkomen die geen loontrekkende zijn\n"
                  "- wat de **toetredingsregels** in de statuten moeten zeggen\n\n"
                  "Onze eerste voorstellen gaan naar de algemene vergadering van juni.",
            "fr": "Nous nous demandons pour qui la coopérative existe aujourd'hui, et pour qui elle devrait exister "
                  "demain.\n\n- qui peut devenir membre, dans chaque pays\n- comment accueillir les personnes qui "
                  "ne sont pas salariées\n- ce que les **règles d'admission** des statuts devraient dire\n\n"
                  "Nos premières propositions iront à l'assemblée générale de juin.",
            "de": "Wir fragen, für wen die Genossenschaft heute da ist und für wen sie morgen da sein sollte.\n\n"
                  "- wer in jedem Land Mitglied werden kann\n- wie wir Menschen aufnehmen, die nicht angestellt sind\n"
                  "- was die **Aufnahmeregeln** der Satzung sagen sollten\n\n"
                  "Unsere ersten Vorschläge gehen an die Generalversammlung im Juni.",
        },
        "facilitators": [("FR", 0), ("DE", 0)], "members": 30, "pending": [], "joined": [("BE", 0), ("NL", 1)],
    },
    {
        "theme": "tools", "joining": "moderated", "branches": None, "working": ["fr", "en"], "original": "fr",
        "titles": {"fr": "Les outils que nous partageons", "en": "Tools we share", "de": "Werkzeuge, die wir teilen"},
        "descriptions": {
            "fr": "Ateliers, véhicules, logiciels : nous faisons l'inventaire de ce que les membres partagent déjà "
                  "et proposons des **règles communes** de réservation, d'entretien et d'assurance.\n\n"
                  "Le groupe travaille en français et en anglais.",
            "en": "Workshops, vehicles, software: we list what members already share and propose **common rules** "
                  "for booking, upkeep and insurance.\n\nThe group works in French and English.",
            "de": "Werkstätten, Fahrzeuge, Software: Wir erfassen, was die Mitglieder schon teilen, und schlagen "
                  "**gemeinsame Regeln** für Reservierung, Pflege und Versicherung vor.\n\n"
                  "Die Gruppe arbeitet auf Französisch und Englisch.",
        },
        "facilitators": [("FR", 2), ("FR", 3)], "members": 18, "pending": [("BE", 2), ("DE", 2)],
        # a Dutch member with an account, who translates the demo proposal into Dutch
        "joined": [("NL", 0)],
    },
    {
        "theme": "economic_model", "joining": "moderated", "branches": None, "working": ["de", "en", "fr"],
        "original": "de",
        "titles": {"de": "Wirtschaftsmodell", "en": "Economic model", "fr": "Modèle économique",
                   "nl": "Economisch model"},
        "descriptions": {
            "de": "Wie finanziert sich die Genossenschaft, wie werden Überschüsse verteilt, und wie viel "
                  "Solidarität zwischen den Ländern wollen wir?\n\n1. Beiträge und Anteile\n"
                  "2. Rücklagen und Solidaritätsfonds\n3. Löhne und Lohnspanne",
            "en": "How does the cooperative fund itself, how are surpluses shared, and how much solidarity between "
                  "countries do we want?\n\n1. Fees and shares\n2. Reserves and the solidarity fund\n"
                  "3. Wages and the pay ratio",
            "fr": "Comment la coopérative se finance-t-elle, comment partager les excédents, et quelle solidarité "
                  "voulons-nous entre les pays ?\n\n1. Cotisations et parts\n2. Réserves et fonds de solidarité\n"
                  "3. Salaires et écart salarial",
            "nl": "Hoe financiert de coöperatie zich, hoe verdelen we overschotten, en hoeveel solidariteit tussen "
                  "de landen willen we?\n\n1. Bijdragen en aandelen\n2. Reserves en solidariteitsfonds\n"
                  "3. Lonen en loonspanning",
        },
        "facilitators": [("DE", 1), ("AT", 0)], "members": 15, "pending": [("NL", 3)],
    },
    {
        "theme": "governance", "joining": "moderated", "branches": ["BE", "FR", "NL"], "working": ["fr", "nl", "en"],
        "original": "en",
        "titles": {"en": "Governance", "nl": "Bestuur", "fr": "Gouvernance", "de": "Governance"},
        "descriptions": {
            "en": "How we decide together across Belgium, France and the Netherlands: the role of the branch boards, "
                  "mandates and their limits, and how members can put an item on the assembly's agenda.",
            "nl": "Hoe we samen beslissen in België, Frankrijk en Nederland: de rol van de raden van bestuur van de "
                  "afdelingen, mandaten en hun grenzen, en hoe leden een punt op de agenda van de vergadering zetten.",
            "fr": "Comment décider ensemble en Belgique, en France et aux Pays-Bas : le rôle des conseils "
                  "d'administration des branches, les mandats et leurs limites, et comment les membres inscrivent "
                  "un point à l'ordre du jour de l'assemblée.",
            "de": "Wie wir in Belgien, Frankreich und den Niederlanden gemeinsam entscheiden: die Rolle der Vorstände "
                  "der Zweige, Mandate und ihre Grenzen, und wie Mitglieder einen Punkt auf die Tagesordnung setzen.",
        },
        "facilitators": [("BE", 0), ("FR", 0)], "members": 12, "pending": [("BE", 3), ("NL", 2)],
    },
    {
        "theme": "tools", "joining": "open", "branches": ["BE"], "working": ["nl", "fr"], "original": "nl",
        "titles": {"nl": "Gedeelde werkplaats Brussel", "fr": "Atelier partagé de Bruxelles"},
        "descriptions": {
            "nl": "De Brusselse leden richten samen een werkplaats in: gereedschap, een planning en afspraken over "
                  "het gebruik. We vergaderen om de twee weken, in het Nederlands en het Frans.",
            "fr": "Les membres bruxellois aménagent ensemble un atelier : outillage, planning et règles d'usage. "
                  "Nous nous réunissons toutes les deux semaines, en néerlandais et en français.",
        },
        "facilitators": [("BE", 1)], "members": 14, "pending": [], "joined": [("BE", 0), ("BE", 3)],
    },
    {
        "theme": "membership", "joining": "open", "branches": ["BE"], "working": ["fr", "de"], "original": "fr",
        "titles": {"fr": "Accueil des nouveaux membres en Wallonie", "de": "Aufnahme neuer Mitglieder in Wallonien"},
        "descriptions": {
            "fr": "Parrainage, journées d'accueil et documentation pour les nouveaux membres de Wallonie et de la "
                  "Communauté germanophone.",
            "de": "Patenschaften, Begrüßungstage und Unterlagen für neue Mitglieder in der Wallonie und der "
                  "Deutschsprachigen Gemeinschaft.",
        },
        "facilitators": [("BE", 2)], "members": 8, "pending": [],
    },
    {
        "theme": "other", "joining": "open", "branches": ["FR"], "working": ["fr"], "original": "fr",
        "titles": {"fr": "Groupe local de Lyon"},
        "descriptions": {
            "fr": "Les membres de la région lyonnaise se retrouvent une fois par mois : entraide, visites de "
                  "coopératives voisines et préparation des assemblées.",
        },
        "facilitators": [("FR", 1)], "members": 10, "pending": [],
    },
    {
        "theme": "governance", "joining": "open", "branches": ["DE", "AT"], "working": ["de"], "original": "de",
        "titles": {"de": "Zusammenarbeit im deutschsprachigen Raum", "en": "Cooperation in German-speaking countries"},
        "descriptions": {
            "de": "Die Zweige Deutschland und Österreich stimmen ihre Vorschläge für die Generalversammlung ab und "
                  "teilen Vorlagen für Satzung und Beitragsordnung.",
            "en": "The German and Austrian branches coordinate their proposals for the general assembly and share "
                  "templates for the statutes and fee rules.",
        },
        "facilitators": [("AT", 1)], "members": 9, "pending": [],
    },
    {
        "theme": "governance", "joining": "moderated", "branches": None, "working": ["en", "fr", "nl", "de"],
        "original": "en", "archived": True,
        "titles": {"en": "Revision of the statutes 2025", "fr": "Révision des statuts 2025",
                   "nl": "Herziening van de statuten 2025", "de": "Satzungsänderung 2025"},
        "descriptions": {
            "en": "This workgroup prepared the statute changes adopted by the extraordinary general assembly of "
                  "November 2025. Its work is kept here for reference.",
            "fr": "Ce groupe a préparé les modifications des statuts adoptées par l'assemblée générale "
                  "extraordinaire de novembre 2025. Ses travaux sont conservés ici.",
            "nl": "Deze werkgroep bereidde de statutenwijziging voor die de buitengewone algemene vergadering van "
                  "november 2025 aannam. Het werk blijft hier ter inzage.",
            "de": "Diese Arbeitsgruppe hat die Satzungsänderung vorbereitet, die die außerordentliche "
                  "Generalversammlung im November 2025 beschlossen hat. Ihre Arbeit bleibt hier einsehbar.",
        },
        "facilitators": [("BE", 1), ("NL", 0)], "members": 20, "pending": [],
    },
]


def _load_workgroups(rng: random.Random, admin, branches: dict[str, Branch], members: dict[str, list[Member]]) -> int:
    """The demo workgroups, created by the administrator, with facilitators, members and requests."""
    from governance.workgroups import operations as workgroup_ops
    from governance.workgroups.models import (
        MembershipRole,
        MembershipStatus,
        WorkgroupMembership,
    )

    now = utcnow()
    active, pending = MembershipStatus.active.value, MembershipStatus.pending.value
    for spec in WORKGROUPS:
        scope = spec["branches"]
        workgroup = workgroup_ops.create_workgroup(
            actor=admin, titles=spec["titles"], descriptions=spec["descriptions"],
            original_language=spec["original"], working_languages=spec["working"], theme=spec["theme"],
            joining=spec["joining"], branch_ids=None if scope is None else {branches[c].id for c in scope},
        )
        workgroup.created_dt = now - dt.timedelta(days=rng.randint(20, 400))
        placed = [(members[code][index], MembershipRole.facilitator.value, active)
                  for code, index in spec["facilitators"]]
        placed += [(members[code][index], MembershipRole.member.value, pending) for code, index in spec["pending"]]
        placed += [(members[code][index], MembershipRole.member.value, active)
                   for code, index in spec.get("joined", ())]
        # the members with accounts (the first four of a branch) are placed by hand; the others at random
        taken = {member.id for member, _role, _status in placed}
        candidates = [m for code in (scope or members) for m in members[code][4:]
                      if m.status == MemberStatus.active.value and m.id not in taken]
        placed += [(member, MembershipRole.member.value, active)
                   for member in rng.sample(candidates, min(spec["members"], len(candidates)))]
        for member, role, status in placed:
            joined = None if status == pending else now - dt.timedelta(days=rng.randint(1, 300))
            db.session.add(WorkgroupMembership(workgroup_id=workgroup.id, member=member, role=role, status=status,
                                               created_dt=joined or now - dt.timedelta(days=rng.randint(1, 10)),
                                               joined_dt=joined))
        db.session.flush()
        _members_follow(workgroup, now)
        if spec.get("archived"):
            workgroup_ops.archive_workgroup(workgroup, actor=admin)
    return len(WORKGROUPS)


def _members_follow(workgroup, now) -> None:
    """The active members with accounts follow the workgroup, as joining it does (one INSERT … SELECT)."""
    from sqlalchemy import insert, literal, select

    from governance.accounts.models import Account
    from governance.workgroups.models import MembershipStatus, WorkgroupFollow, WorkgroupMembership

    members = (select(literal(workgroup.id), Account.id, literal(now, WorkgroupFollow.created_dt.type))
               .join(WorkgroupMembership, WorkgroupMembership.member_id == Account.member_id)
               .where(WorkgroupMembership.workgroup_id == workgroup.id,
                      WorkgroupMembership.status == MembershipStatus.active.value))
    db.session.execute(insert(WorkgroupFollow).from_select(["workgroup_id", "account_id", "created_dt"], members))


# --- proposals -------------------------------------------------------------------------------------
#: the demo proposals: the workgroup (by its English title), the author (branch, index: a member with an
#: account who is in the workgroup), texts of each revision, the state reached, and how many supports.
PROPOSALS = [
    {
        "workgroup": "Tools we share", "author": ("FR", 2), "coauthors": [("FR", 3)], "original": "fr",
        "revisions": [
            ({"fr": "Un calendrier commun pour les camionnettes", "en": "One shared calendar for the vans"},
             {"fr": "Les camionnettes des ateliers sont réservées dans un calendrier commun.\n\n"
                    "- réservation une semaine à l'avance\n- clés à l'accueil",
              "en": "The workshops' vans are booked in one shared calendar.\n\n"
                    "- booked a week ahead\n- keys at the front desk"}),
            ({"fr": "Un calendrier commun pour les camionnettes", "en": "One shared calendar for the vans"},
             {"fr": "Les camionnettes des ateliers sont réservées dans un calendrier commun.\n\n"
                    "- réservation jusqu'à deux semaines à l'avance\n- clés à l'accueil\n"
                    "- le plein est fait au retour",
              "en": "The workshops' vans are booked in one shared calendar.\n\n"
                    "- booked up to two weeks ahead\n- keys at the front desk\n- the tank is filled on return"}),
        ],
        "state": "discussion", "supports": 5, "threshold": 12,
        "comments": [
            ("Could the calendar also show **which branch** has each van? We often drive across the border.",
             "Good idea: each booking will show the branch that lends the van."),
            ("How far ahead can a van be booked?", None),
        ],
        # (language, passage, new text, explanation, the authors' reason for rejecting it or None: still open)
        "amendments": [
            ("fr", "- clés à l'accueil", "- clés à l'accueil ou dans la boîte à clés du parking",
             "L'accueil ferme à 18 h, et les équipes du soir rentrent plus tard.", None),
            ("en", "- booked up to two weeks ahead", "- booked up to four weeks ahead",
             "Building sites are planned a month ahead.",
             "Four weeks would let a few teams hold every van; two weeks keeps the calendar fair."),
        ],
        # translations by members of the workgroup, reviewed by a facilitator: (language, title, text) of the
        # proposal, and (language, text) of its first comment
        "translations": [
            ("nl", "Eén gedeelde agenda voor de bestelwagens",
             "De bestelwagens van de werkplaatsen worden geboekt in één gedeelde agenda.\n\n"
             "- boeken tot twee weken vooraf\n- sleutels aan het onthaal\n- de tank wordt bij terugkomst gevuld"),
        ],
        "comment_translations": [
            ("nl", "Kan de agenda ook tonen **welke afdeling** elke bestelwagen heeft? We rijden vaak over de grens."),
            ("fr", "Le calendrier pourrait-il aussi indiquer **quelle branche** a chaque camionnette ? Nous passons "
                   "souvent la frontière."),
        ],
    },
    {
        "workgroup": "Tools we share", "author": ("FR", 3), "coauthors": [], "original": "en",
        "revisions": [
            ({"en": "Insurance for shared tools", "fr": "Assurer les outils partagés"},
             {"en": "We take out one insurance policy for every tool members lend each other.",
              "fr": "Nous souscrivons une seule assurance pour tous les outils que les membres se prêtent."}),
        ],
        "state": "draft", "supports": 0, "threshold": None,
    },
    {
        "workgroup": "Who is the cooperative for?", "author": ("FR", 0), "coauthors": [("BE", 0)], "original": "en",
        "revisions": [
            ({"en": "Welcome members who are not salaried", "fr": "Accueillir les membres non salariés"},
             {"en": "Freelancers and volunteers can become members on the same terms as salaried workers.",
              "fr": "Les indépendants et les bénévoles deviennent membres aux mêmes conditions que les salariés."}),
            ({"en": "Welcome members who are not salaried", "fr": "Accueillir les membres non salariés"},
             {"en": "Freelancers, volunteers and retired workers can become members on the same terms as "
                    "salaried workers.",
              "fr": "Les indépendants, les bénévoles et les retraités deviennent membres aux mêmes conditions que "
                    "les salariés."}),
        ],
        "state": "ready_for_vote", "supports": 8, "threshold": 8,
    },
]


def _load_proposals(rng: random.Random, members: dict[str, list[Member]]) -> int:
    """The demo proposals, written through the operations by members with accounts, with revisions,
    co-authors and supports (supports of members without accounts are added as rows)."""
    from governance.accounts.models import Account
    from governance.proposals import operations as proposal_ops
    from governance.proposals.models import ProposalState, ProposalSupport
    from governance.workgroups.models import (
        MembershipStatus,
        Workgroup,
        WorkgroupMembership,
    )

    workgroups = {w.titles.get("en"): w for w in db.session.execute(select(Workgroup)).scalars()}

    def account_of(member: Member) -> Account:
        return db.session.execute(select(Account).where(Account.member_id == member.id)).scalar_one()

    def membership_of(workgroup: Workgroup, member: Member):
        return db.session.execute(select(WorkgroupMembership).where(
            WorkgroupMembership.workgroup_id == workgroup.id, WorkgroupMembership.member_id == member.id)
        ).scalar_one_or_none()

    for spec in PROPOSALS:
        workgroup = workgroups[spec["workgroup"]]
        author = account_of(members[spec["author"][0]][spec["author"][1]])
        mine = membership_of(workgroup, author.member)
        (titles, bodies), *edits = spec["revisions"]
        proposal = proposal_ops.create_proposal(workgroup, actor=author, membership=mine, titles=titles,
                                                bodies=bodies, original_language=spec["original"],
                                                support_threshold=spec["threshold"])
        for code, index in spec["coauthors"]:
            proposal_ops.add_coauthor(proposal, members[code][index].id, actor=author, membership=mine)
        for titles, bodies in edits:
            proposal_ops.edit_proposal(proposal, actor=author, membership=mine, titles=titles, bodies=bodies,
                                       original_language=spec["original"])
        if spec["state"] != "draft":
            proposal_ops.change_state(proposal, ProposalState.discussion, actor=author, membership=mine)
        if spec["supports"]:
            candidates = list(db.session.execute(
                select(WorkgroupMembership.member_id).where(
                    WorkgroupMembership.workgroup_id == workgroup.id,
                    WorkgroupMembership.status == MembershipStatus.active.value,
                    WorkgroupMembership.member_id.not_in(proposal.author_ids))
                .order_by(WorkgroupMembership.member_id)).scalars())
            for member_id in rng.sample(candidates, min(spec["supports"], len(candidates))):
                db.session.add(ProposalSupport(proposal_id=proposal.id, member_id=member_id))
            db.session.flush()
        if spec["state"] == "ready_for_vote":
            proposal.mark_ready()
            audit.record("proposal.state_changed", actor=None, obj=proposal, workgroup_id=workgroup.id,
                         old="discussion", new=proposal.state, cause="support_threshold",
                         threshold=proposal.support_threshold)
        db.session.flush()
        if spec.get("comments"):
            _load_comments(proposal, author, spec["comments"])
        if spec.get("amendments"):
            _load_amendments(proposal, author, spec["amendments"])
        if spec.get("translations") or spec.get("comment_translations"):
            _load_translations(proposal, spec)
    return len(PROPOSALS)


def _load_amendments(proposal, author, amendments) -> None:
    """Amendments to a demo proposal by members of the workgroup with accounts who are not its authors; the
    author rejects those that come with a reason."""
    from governance.accounts.models import Account
    from governance.proposals import operations as proposal_ops
    from governance.workgroups.models import MembershipStatus, WorkgroupMembership

    proposers = list(db.session.execute(
        select(Account, WorkgroupMembership).join(WorkgroupMembership,
                                                  WorkgroupMembership.member_id == Account.member_id)
        .join(Member, Member.id == Account.member_id)
        .where(WorkgroupMembership.workgroup_id == proposal.workgroup_id,
               WorkgroupMembership.status == MembershipStatus.active.value, Member.status == "active",
               Account.member_id.not_in(proposal.author_ids))
        .order_by(Account.id.desc())).all())
    mine = db.session.execute(select(WorkgroupMembership).where(
        WorkgroupMembership.workgroup_id == proposal.workgroup_id,
        WorkgroupMembership.member_id == author.member_id)).scalar_one()
    for i, (language, passage, text, explanation, rejection) in enumerate(amendments):
        if not proposers:
            break
        account, membership = proposers[i % len(proposers)]
        amendment = proposal_ops.propose_amendment(proposal, actor=account, membership=membership, language=language,
                                                   original_excerpt=passage, replacement=text,
                                                   explanation=explanation)
        if rejection:
            proposal_ops.reject_amendment(amendment, proposal, rejection, actor=author, membership=mine)


def _load_comments(proposal, author, comments) -> None:
    """A short thread on a demo proposal: comments by other members of the workgroup with accounts (a co-author
    too), each followed by the author's reply."""
    from governance.accounts.models import Account
    from governance.proposals import operations as proposal_ops
    from governance.workgroups.models import MembershipStatus, WorkgroupMembership

    commenters = list(db.session.execute(
        select(Account, WorkgroupMembership).join(WorkgroupMembership,
                                                  WorkgroupMembership.member_id == Account.member_id)
        .where(WorkgroupMembership.workgroup_id == proposal.workgroup_id,
               WorkgroupMembership.status == MembershipStatus.active.value,
               Account.member_id != author.member_id)
        .order_by(Account.id)).all())
    mine = db.session.execute(select(WorkgroupMembership).where(
        WorkgroupMembership.workgroup_id == proposal.workgroup_id,
        WorkgroupMembership.member_id == author.member_id)).scalar_one()
    for i, (body, reply) in enumerate(comments):
        if not commenters:
            break
        account, membership = commenters[i % len(commenters)]
        comment = proposal_ops.add_comment(proposal, body, actor=account, membership=membership)
        if reply:
            proposal_ops.add_comment(proposal, reply, actor=author, membership=mine, parent=comment)


def _load_translations(proposal, spec) -> None:
    """Translations of a demo proposal and of its first comment, by members of the workgroup with accounts who
    are not its authors (one who reads the language, when there is one), each reviewed by a facilitator."""
    from governance.accounts.models import Account
    from governance.proposals import operations as proposal_ops
    from governance.proposals.models import Comment
    from governance.workgroups.models import MembershipRole, MembershipStatus, WorkgroupMembership

    rows = list(db.session.execute(
        select(Account, WorkgroupMembership, Member).join(WorkgroupMembership,
                                                          WorkgroupMembership.member_id == Account.member_id)
        .join(Member, Member.id == Account.member_id)
        .where(WorkgroupMembership.workgroup_id == proposal.workgroup_id,
               WorkgroupMembership.status == MembershipStatus.active.value, Member.status == "active")
        .order_by(Account.id)).all())
    translators = [(a, m, member) for a, m, member in rows if member.id not in proposal.author_ids]
    reviewers = [(a, m) for a, m, _member in rows if m.role == MembershipRole.facilitator.value]

    def translator_for(language: str, not_member: int | None = None):
        fit = [(a, m, member) for a, m, member in translators if member.id != not_member]
        return next(((a, m) for a, m, member in fit if member.language == language),
                    (fit[0][0], fit[0][1]) if fit else (None, None))

    def reviewer_for(account):
        return next(((a, m) for a, m in reviewers if a.id != account.id), (None, None))

    for language, title, body in spec.get("translations", ()):
        account, membership = translator_for(language)
        if account is None:
            continue
        proposal_ops.translate_proposal(proposal, language, title, body, actor=account, membership=membership)
        reviewer, their = reviewer_for(account)
        if reviewer is not None:
            proposal_ops.review_proposal_translation(proposal, language, actor=reviewer, membership=their)
    comment = db.session.execute(select(Comment).where(Comment.proposal_id == proposal.id, Comment.depth == 1)
                                 .order_by(Comment.id).limit(1)).scalar_one_or_none()
    for i, (language, body) in enumerate(spec.get("comment_translations", ()) if comment else ()):
        account, membership = translator_for(language, not_member=comment.author_id)
        if account is None:
            continue
        proposal_ops.translate_comment(comment, proposal, language, body, actor=account, membership=membership,
                                       source_language="en")
        reviewer, their = reviewer_for(account)
        if i == 0 and reviewer is not None:  # the second stays "not reviewed yet"
            proposal_ops.review_comment_translation(comment, proposal, language, actor=reviewer, membership=their)
