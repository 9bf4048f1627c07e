"""Demonstration assemblies and petitions, made through the assembly operations (called at the end of
``governance.demo.load_demo``).

- the **ordinary general assembly of Belgium**, 40 days ahead, convened: texts in English, Dutch, French and
  German; an agenda with information, the annual accounts (a resolution, with a document) and the board's
  discharge; emails queued for members who agreed to email, letters to print for the others; a chair and a
  teller;
- an **extraordinary assembly of Belgium** changing the statutes (current and new text, two-thirds majority,
  quorum of half the members present or represented), still a draft;
- a **French assembly** held last month that **missed its quorum** (its board may convene a second one);
- two **petitions**: one for an assembly of the whole cooperative (a few signatures), one of the Netherlands.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from governance.assemblies import operations as ops
from governance.core.db_types import utcnow
from governance.extensions import db
from governance.members.models import Member, MemberStatus


def _on(zone: str, days: int, hour: int, now: dt.datetime) -> dt.datetime:
    local = now.astimezone(ZoneInfo(zone)).date() + dt.timedelta(days=days)
    return dt.datetime(local.year, local.month, local.day, hour, 0, tzinfo=ZoneInfo(zone)).astimezone(dt.timezone.utc)


ACCOUNTS = {
    "en": "The board presents the annual accounts for 2025 and the auditor's report.",
    "nl": "Het bestuur stelt de jaarrekening 2025 en het verslag van de commissaris voor.",
    "fr": "Le conseil présente les comptes annuels 2025 et le rapport du commissaire.",
    "de": "Der Vorstand legt den Jahresabschluss 2025 und den Bericht des Prüfers vor.",
}


def load_assemblies(admin, members: dict[str, list[Member]]) -> dict[str, int]:
    """Create the demo assemblies and petitions (see the module docstring). Flushes; the caller commits."""
    now = utcnow()
    branches = {code: member_list[0].branch for code, member_list in members.items()}
    be, fr = branches["BE"], branches["FR"]

    # 1. Belgium's ordinary assembly, convened
    ordinary = ops.create_assembly(
        actor=admin, branch=be, original_language="nl", kind="ordinary",
        titles={"nl": "Gewone algemene vergadering 2026", "fr": "Assemblée générale ordinaire 2026",
                "en": "Ordinary general assembly 2026", "de": "Ordentliche Generalversammlung 2026"},
        descriptions={"nl": "De jaarlijkse vergadering van alle leden van de Belgische afdeling.",
                      "fr": "La réunion annuelle de tous les membres de la branche belge.",
                      "en": "The yearly meeting of every member of the Belgian branch.",
                      "de": "Die jährliche Versammlung aller Mitglieder des belgischen Zweigs."},
        starts_at=_on(be.timezone, 40, 10, now), ends_at=_on(be.timezone, 40, 13, now),
        place="Maison des Coopératives, Rue Haute 12, 1000 Bruxelles", online_url="https://meet.demo.coop/ag-be-2026",
        proxy_deadline=_on(be.timezone, 39, 18, now), now=now)
    ops.add_agenda_item(ordinary, actor=admin, kind="information", original_language="en",
                        titles={"en": "Opening and report of the board", "nl": "Opening en verslag van het bestuur",
                                "fr": "Ouverture et rapport du conseil", "de": "Eröffnung und Bericht des Vorstands"})
    accounts = ops.add_agenda_item(
        ordinary, actor=admin, kind="resolution", original_language="en",
        titles={"en": "Approval of the annual accounts", "nl": "Goedkeuring van de jaarrekening",
                "fr": "Approbation des comptes annuels", "de": "Genehmigung des Jahresabschlusses"},
        texts=ACCOUNTS,
        resolution_texts={"en": "The general assembly approves the annual accounts for 2025.",
                          "nl": "De algemene vergadering keurt de jaarrekening 2025 goed.",
                          "fr": "L'assemblée générale approuve les comptes annuels 2025.",
                          "de": "Die Generalversammlung genehmigt den Jahresabschluss 2025."},
        majority="simple", quorum="none", authoritative_language="nl")
    ops.add_agenda_item(
        ordinary, actor=admin, kind="resolution", original_language="en",
        titles={"en": "Discharge of the board", "nl": "Kwijting aan het bestuur", "fr": "Décharge au conseil",
                "de": "Entlastung des Vorstands"},
        resolution_texts={"en": "The general assembly grants discharge to the members of the board for 2025.",
                          "nl": "De algemene vergadering verleent kwijting aan de bestuurders voor 2025.",
                          "fr": "L'assemblée générale donne décharge aux administrateurs pour 2025.",
                          "de": "Die Generalversammlung entlastet die Vorstandsmitglieder für 2025."},
        majority="simple", quorum="none")
    ops.add_document(ordinary, actor=admin, filename="jaarrekening-comptes-2025.txt", agenda_item=accounts,
                     title="Annual accounts 2025 (summary)",
                     data="Revenue / Omzet / Chiffre d'affaires: 1 250 000 €\nResult / Resultaat / Résultat: "
                          "42 000 €\n".encode())
    board_member = members["BE"][1]
    ops.add_role(ordinary, actor=admin, role="chair", member=board_member)
    teller = next(m for m in members["BE"][4:] if m.status == MemberStatus.active.value)
    ops.add_role(ordinary, actor=admin, role="teller", member=teller)
    counts = ops.send_convocation(ordinary, actor=admin, now=now)

    # 2. an extraordinary assembly changing the statutes, still a draft
    extraordinary = ops.create_assembly(
        actor=admin, branch=be, original_language="fr", kind="extraordinary",
        titles={"fr": "Assemblée générale extraordinaire : modification des statuts",
                "nl": "Buitengewone algemene vergadering: statutenwijziging",
                "en": "Extraordinary general assembly: change of the statutes"},
        starts_at=_on(be.timezone, 75, 14, now), place="Maison des Coopératives, Rue Haute 12, 1000 Bruxelles",
        now=now)
    ops.add_agenda_item(
        extraordinary, actor=admin, kind="resolution", original_language="fr", resolution_kind="statute_change",
        titles={"fr": "Article 12 : convocation par courriel", "nl": "Artikel 12: oproeping per e-mail",
                "en": "Article 12: convocation by email"},
        resolution_texts={"fr": "L'article 12 des statuts est remplacé par le texte suivant.",
                          "nl": "Artikel 12 van de statuten wordt vervangen door de volgende tekst.",
                          "en": "Article 12 of the statutes is replaced by the following text."},
        current_texts={"fr": "Les convocations sont envoyées par lettre.\nElles mentionnent l'ordre du jour.",
                       "nl": "De oproepingen worden per brief verstuurd.\nZe vermelden de agenda.",
                       "en": "Convocations are sent by letter.\nThey state the agenda."},
        new_texts={"fr": "Les convocations sont envoyées par courriel aux membres qui y ont consenti, et par "
                         "lettre aux autres.\nElles mentionnent l'ordre du jour.",
                   "nl": "De oproepingen worden per e-mail verstuurd aan de leden die daarmee instemden, en per "
                         "brief aan de anderen.\nZe vermelden de agenda.",
                   "en": "Convocations are sent by email to the members who agreed to it, and by letter to the "
                         "others.\nThey state the agenda."},
        majority="qualified:2/3", quorum="share:1/2", authoritative_language="fr")

    # 3. a French assembly that missed its quorum last month, and its second convocation
    held = _on(fr.timezone, -30, 10, now)
    missed = ops.create_assembly(
        actor=admin, branch=fr, original_language="fr", kind="extraordinary",
        titles={"fr": "Assemblée générale extraordinaire : fusion des ateliers", "en": "Extraordinary assembly: "
                                                                                     "merging the workshops"},
        starts_at=held, place="Salle des fêtes, 1 place de la Mairie, Lyon", now=held - dt.timedelta(days=40))
    ops.add_agenda_item(
        missed, actor=admin, kind="resolution", original_language="fr",
        titles={"fr": "Fusion des ateliers de Lyon et de Villeurbanne", "en": "Merging the Lyon and Villeurbanne "
                                                                              "workshops"},
        resolution_texts={"fr": "Les deux ateliers sont fusionnés au 1er janvier.",
                          "en": "The two workshops are merged on 1 January."},
        majority="qualified:2/3", quorum="share:1/2")
    ops.send_convocation(missed, actor=admin, now=held - dt.timedelta(days=30))
    missed.open_session(held)
    missed.close(held + dt.timedelta(hours=2), quorum_missed=True)
    db.session.flush()

    # 4. petitions
    de_member = next(m for m in members["DE"] if m.status == MemberStatus.active.value)
    de_account = _account_of(de_member)
    cooperative = ops.open_petition(
        actor=de_account, member=de_member, branch=None, original_language="de",
        titles={"de": "Eine Generalversammlung über gemeinsame Fahrzeuge",
                "en": "A general assembly on shared vehicles"},
        texts={"de": "Wir bitten den Vorstand, eine Generalversammlung über die gemeinsame Nutzung von "
                     "Fahrzeugen in allen Zweigen einzuberufen.",
               "en": "We ask the board to convene a general assembly on sharing vehicles in every branch."},
        now=now - dt.timedelta(days=5))
    for member in [m for m in members["BE"][4:12] if m.status == MemberStatus.active.value]:
        ops.sign_petition(cooperative, member, actor=None, now=now - dt.timedelta(days=3))
    nl_member = next(m for m in members["NL"] if m.status == MemberStatus.active.value)
    ops.open_petition(actor=_account_of(nl_member), member=nl_member, branch=nl_member.branch,
                      original_language="nl", titles={"nl": "Een vergadering over de werkuren",
                                                      "en": "An assembly on working hours"},
                      texts={"nl": "Wij vragen een algemene vergadering over de werkuren in de werkplaatsen.",
                             "en": "We ask for a general assembly on working hours in the workshops."},
                      now=now - dt.timedelta(days=2))
    db.session.flush()
    return {"assemblies": 3, "convocation_emails": counts.emails, "convocation_letters": counts.letters,
            "petitions": 2}


def _account_of(member: Member):
    from sqlalchemy import select

    from governance.accounts.models import Account

    return db.session.execute(select(Account).where(Account.member_id == member.id)).scalar_one_or_none()
