"""Names and words for the benchmark data generator (``benchmarks/generate.py``).

First and last names that fit each branch's country (the demo's, :data:`governance.demo.NAMES`, plus more, so a
register of 100,000 members does not repeat the same 225 names), and a small vocabulary per language for the
texts of workgroups, proposals, comments, ballots and assemblies: enough for the search index to hold real words
in each language, with accents, and for a common word to match thousands of texts.
"""
from __future__ import annotations

import random

from governance.demo import NAMES as DEMO_NAMES

_MORE_NAMES = {
    "BE": (["Lars", "Ine", "Tom", "Lien", "Bart", "Griet", "Arthur", "Louise", "Mehdi", "Salma", "Céline", "Olivier",
            "Marie", "Thibault", "Anke", "Jan", "Kaat", "Robbe", "Noah", "Emma"],
           ["Vermeulen", "Van den Broeck", "De Smet", "Dumont", "Leroy", "Desmet", "Vandenberghe", "Michiels",
            "Lemaire", "Hermans", "Aerts", "Cools", "Martens", "Bogaert", "Benali", "Simon", "Collard", "Schmitz",
            "Pauwels", "Verstraete"]),
    "FR": (["Gabriel", "Emma", "Raphaël", "Jade", "Arthur", "Louise", "Lucas", "Alice", "Nathan", "Lina", "Yasmine",
            "Mehdi", "Pauline", "Théo", "Margaux", "Sébastien", "Aurélie", "Benoît", "Océane", "Rémi"],
           ["Girard", "Bonnet", "Dupuis", "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller", "Faure", "André",
            "Mercier", "Blanc", "Guérin", "Boyer", "Chevalier", "François", "Legrand", "Gauthier", "Perrin", "Haddad"]),
    "DE": (["Maximilian", "Emilia", "Ben", "Mia", "Noah", "Hanna", "Elias", "Lea", "Finn", "Clara", "Moritz", "Greta",
            "Jan", "Johanna", "Ayşe", "Mehmet", "Sabine", "Uwe", "Birgit", "Stefan"],
           ["Schäfer", "Bauer", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner",
            "Krause", "Meier", "Lehmann", "Schmid", "Schulze", "Maier", "Köhler", "Herrmann", "König", "Walter"]),
    "NL": (["Lotte", "Jesse", "Anouk", "Stijn", "Eva", "Lars", "Roos", "Milan", "Femke", "Joris", "Lieke", "Koen",
            "Yara", "Mohamed", "Sophie", "Gijs", "Maud", "Niels", "Esra", "Wouter"],
           ["van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer",
            "van der Linden", "Kok", "Jacobs", "de Haan", "Vermeulen", "van den Heuvel", "van der Veen", "Hendriks",
            "van Beek", "Willems", "Hoekstra", "Koster"]),
    "IT": (["Leonardo", "Alice", "Tommaso", "Ginevra", "Gabriele", "Emma", "Riccardo", "Beatrice", "Edoardo", "Anna",
            "Davide", "Sara", "Simone", "Valentina", "Pietro", "Francesca", "Stefano", "Silvia", "Nicola", "Paola"],
           ["Giordano", "Mancini", "Rizzo", "Lombardi", "Moretti", "Barbieri", "Fontana", "Santoro", "Mariani",
            "Rinaldi", "Caruso", "Ferrara", "Galli", "Martini", "Leone", "Longo", "Gentile", "Martinelli", "Vitale",
            "Serra"]),
    "ES": (["Manuel", "Laura", "David", "Sara", "Jorge", "Ana", "Carlos", "Elena", "Miguel", "Cristina", "Álvaro",
            "Irene", "Iker", "Leire", "Raúl", "Noelia", "Adrián", "Rocío", "Xabier", "Montserrat"],
           ["Díaz", "Moreno", "Muñoz", "Álvarez", "Romero", "Alonso", "Gutiérrez", "Navarro", "Torres", "Domínguez",
            "Vázquez", "Ramos", "Gil", "Ramírez", "Serrano", "Blanco", "Molina", "Morales", "Ortega", "Castro"]),
    "AT": (["Tobias", "Katharina", "Jakob", "Lena", "Simon", "Julia", "Fabian", "Anna-Lena", "Dominik", "Verena",
            "Alexander", "Christina", "Manuel", "Elisabeth", "Georg", "Barbara", "Andreas", "Sabine", "Thomas",
            "Marlene"],
           ["Wimmer", "Schwarz", "Egger", "Reiter", "Winkler", "Brunner", "Lang", "Baumgartner", "Auer", "Binder",
            "Lechner", "Wolf", "Wallner", "Aigner", "Ebner", "Koller", "Lehner", "Haas", "Schuster", "Holzer"]),
    "SE": (["Olivia", "Liam", "Wilma", "Noah", "Alma", "Adam", "Vera", "Leo", "Klara", "Axel", "Freja", "Anton",
            "Elsa", "Viktor", "Sofia", "Gustav", "Karin", "Johan", "Lena", "Per"],
           ["Jakobsson", "Magnusson", "Olofsson", "Lindqvist", "Lindgren", "Axelsson", "Bergström", "Lundberg",
            "Lind", "Lundgren", "Mattsson", "Berglund", "Fredriksson", "Sandberg", "Henriksson", "Forsberg",
            "Sjöberg", "Wallin", "Engström", "Danielsson"]),
    "HU": (["Dániel", "Lili", "Márk", "Luca", "Tamás", "Petra", "Zoltán", "Dóra", "Attila", "Judit", "Gábor", "Erika",
            "László", "Ildikó", "Krisztián", "Viktória", "Botond", "Boglárka", "Csaba", "Orsolya"],
           ["Oláh", "Simon", "Rácz", "Fekete", "Szilágyi", "Török", "Fehér", "Balázs", "Gál", "Kis", "Szűcs", "Kocsis",
            "Orsós", "Pintér", "Fodor", "Szalai", "Sipos", "Magyar", "Lukács", "Gulyás"]),
}

#: branch code → (first names, last names)
NAMES: dict[str, tuple[list[str], list[str]]] = {
    code: (list(DEMO_NAMES[code][0]) + _MORE_NAMES[code][0], list(DEMO_NAMES[code][1]) + _MORE_NAMES[code][1])
    for code in DEMO_NAMES
}

#: a small vocabulary per language (the interface languages and those of the register)
WORDS: dict[str, list[str]] = {
    "en": ("the cooperative members assembly workshop budget proposal vote board rules energy housing care "
           "training shared vans bicycles solidarity fund wages statutes branch meeting calendar insurance tools "
           "we should could every year members decide together transparent fair").split(),
    "nl": ("de het een coöperatie vergadering leden werkplaats begroting voorstel stemming bestuur regels energie "
           "huisvesting zorg opleiding gedeelde bestelwagens fietsen solidariteitsfonds lonen statuten afdeling "
           "agenda verzekering gereedschap wij moeten elk jaar samen beslissen eerlijk").split(),
    "fr": ("le la les coopérative assemblée membres atelier budget proposition vote conseil règles énergie logement "
           "santé formation partagé camionnettes vélos solidarité fonds salaires statuts branche réunion calendrier "
           "assurance outils nous devons chaque année décider ensemble équitable").split(),
    "de": ("die der das Genossenschaft Versammlung Mitglieder Werkstatt Haushalt Vorschlag Abstimmung Vorstand "
           "Regeln Energie Wohnung Gesundheit Ausbildung gemeinsam Lieferwagen Fahrräder Solidaritätsfonds Löhne "
           "Satzung Zweig Sitzung Kalender Versicherung Werkzeuge wir sollten jedes Jahr entscheiden gerecht").split(),
    "it": ("la il le cooperativa assemblea soci officina bilancio proposta voto consiglio regole energia casa salute "
           "formazione condiviso furgoni biciclette fondo solidarietà salari statuto sezione riunione calendario "
           "assicurazione attrezzi dobbiamo ogni anno decidere insieme equo").split(),
    "es": ("el la los cooperativa asamblea socios taller presupuesto propuesta votación consejo normas energía "
           "vivienda salud formación compartido furgonetas bicicletas fondo solidaridad salarios estatutos sección "
           "reunión calendario seguro herramientas debemos cada año decidir juntos justo").split(),
    "sv": ("kooperativet stämman medlemmar verkstad budget förslag omröstning styrelsen regler energi bostad vård "
           "utbildning delade skåpbilar cyklar solidaritetsfond löner stadgar avdelning möte kalender försäkring "
           "verktyg vi borde varje år besluta tillsammans rättvis").split(),
    "hu": ("a az szövetkezet közgyűlés tagok műhely költségvetés javaslat szavazás igazgatóság szabályok energia "
           "lakhatás egészség képzés közös kisteherautók kerékpárok szolidaritási alap bérek alapszabály tagozat "
           "ülés naptár biztosítás szerszámok minden évben döntünk együtt igazságos").split(),
}


def sentence(rng: random.Random, language: str, words: int) -> str:
    """A sentence of ``words`` words of the language's vocabulary, capitalised, with a full stop."""
    vocabulary = WORDS.get(language) or WORDS["en"]
    text = " ".join(rng.choice(vocabulary) for _ in range(max(1, words)))
    return text[0].upper() + text[1:] + "."


def title(rng: random.Random, language: str, words: int) -> str:
    """A title: a sentence without its full stop."""
    return sentence(rng, language, words)[:-1]


def paragraph(rng: random.Random, language: str, sentences: int) -> str:
    return " ".join(sentence(rng, language, rng.randint(5, 14)) for _ in range(max(1, sentences)))
