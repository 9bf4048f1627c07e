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
    audit.record("demo.loaded", actor=admin, branches=len(branches), members=sum(map(len, members.values())))
    db.session.flush()
    return {"branches": len(branches), "members": sum(map(len, members.values())), "accounts": accounts}
