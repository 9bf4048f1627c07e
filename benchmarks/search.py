"""Time search on a large index (not a test): prints timings, asserts nothing.

    .venv/bin/python benchmarks/search.py [ENTRIES]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/scratch .venv/bin/python benchmarks/search.py 20000

Uses a fresh SQLite database in a temporary folder, or DATABASE_URL when set (its tables are dropped and
created again: point it at a scratch database). Builds about ENTRIES index entries (default 20,000): proposals
in Dutch, French and German (one entry per language) in twenty workgroups, half of them restricted to one
branch, and comments for the rest, written through the ORM so the session events index them (timed). Then
times a full ``reindex_all()`` and a series of searches as a Belgian member (permission filtering on) and as
an administrator, each the best of five runs of :func:`governance.search.queries.search` (three queries:
count, page, snippets).
"""
from __future__ import annotations

import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from governance import create_app  # noqa: E402
from governance.config import normalise_database_url  # noqa: E402
from governance.extensions import db  # noqa: E402

WORDS = {
    "nl": "de het een coöperatie vergadering leden busjes fietsen gedeelde werkplaats begroting voorstel stemming "
          "bestuur regels samenwerking overleg afdeling energie huisvesting zorg opleiding".split(),
    "fr": "le la les coopératives réunion membres camionnettes vélos atelier partagé budget proposition vote "
          "conseil règles été assemblée énergie logement santé formation élu".split(),
    "de": "die der das Genossenschaften Versammlung Mitglieder Lieferwagen Fahrräder Werkstatt Haushalt Vorschlag "
          "Abstimmung Vorstand Regeln Gebäude Energie Wohnung Gesundheit Ausbildung gewählt".split(),
}


def sentence(rng: random.Random, language: str, length: int) -> str:
    words = WORDS[language]
    return " ".join(rng.choice(words) for _ in range(length)).capitalize() + "."


def build(target: int, rng: random.Random):
    from governance.accounts import operations as account_ops
    from governance.accounts.models import Role
    from governance.members.models import Branch, Member
    from governance.proposals.models import Comment, Proposal
    from governance.workgroups.models import Workgroup

    be = Branch(code="BE", country="BE", names={"en": "Belgium"}, official_languages=["nl", "fr", "de"],
                required_languages=["nl", "fr"])
    fr = Branch(code="FR", country="FR", names={"en": "France"}, official_languages=["fr"], required_languages=["fr"])
    db.session.add_all([be, fr])
    members = [Member(number=f"B-{i:05d}", branch=be if i % 2 else fr, first_name="Bench", last_name=f"M{i}",
                      email=f"bench{i}@example.org", language=rng.choice(["nl", "fr", "de"]),
                      joined_on=dt.date(2020, 1, 1)) for i in range(200)]
    db.session.add_all(members)
    workgroups = []
    for i in range(20):
        workgroup = Workgroup(slug=f"bench-{i}", titles={"en": f"Bench {i}"}, descriptions={"en": "Bench."},
                              original_language="en", working_languages=["nl", "fr", "de"],
                              scope="branches" if i % 2 else "cooperative")
        if i % 2:
            workgroup.branches = [be if i % 4 == 1 else fr]
        workgroups.append(workgroup)
    db.session.add_all(workgroups)
    db.session.flush()
    password = "correct horse battery staple bench"
    reader = account_ops.create_account(email="reader@example.org", display_name="Reader", password=password,
                                        member=members[1])
    admin = account_ops.create_account(email="admin@example.org", display_name="Admin", password=password)
    account_ops.grant_role(admin, Role.admin)

    proposals_wanted = target // 6  # 3 entries each: half the index
    start = time.perf_counter()
    proposals = []
    for i in range(proposals_wanted):
        titles = {code: sentence(rng, code, 5) for code in ("nl", "fr", "de")}
        bodies = {code: "\n\n".join(sentence(rng, code, 40) for _ in range(3)) for code in ("nl", "fr", "de")}
        proposals.append(Proposal(workgroup_id=workgroups[i % 20].id, author_id=members[i % 200].id, titles=titles,
                                  bodies=bodies, original_language="nl", state="discussion" if i % 10 else "draft"))
        if len(proposals) % 500 == 0:
            db.session.add_all(proposals[-500:])
            db.session.flush()
    db.session.add_all(proposals[len(proposals) // 500 * 500:])
    db.session.flush()
    proposal_time = time.perf_counter() - start
    start = time.perf_counter()
    comments = []
    for i in range(target - 3 * proposals_wanted):
        member = members[rng.randrange(200)]
        comments.append(Comment(proposal_id=proposals[rng.randrange(len(proposals))].id, author_id=member.id,
                                body=sentence(rng, member.language, 30), depth=1))
        if len(comments) == 500:
            db.session.add_all(comments)
            db.session.flush()
            comments = []
    db.session.add_all(comments)
    db.session.flush()
    comment_time = time.perf_counter() - start
    db.session.commit()
    return reader, admin, proposals_wanted, proposal_time, comment_time


def timed(label: str, function, repeat: int = 5):
    best, result = None, None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    print(f"{label:<52} {best * 1000:8.1f} ms")
    return result


def main() -> None:
    target = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    url = os.environ.get("DATABASE_URL")
    folder = Path(tempfile.mkdtemp())
    url = normalise_database_url(url) if url else f"sqlite:///{folder / 'bench.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "benchmark-secret-key-long-enough-0123456789",
                      "GOVERNANCE_ENV": "testing", "TESTING": True, "RATELIMIT_STORAGE_URI": "memory://",
                      "MAIL_BACKEND": "file", "MAIL_FILE_DIR": str(folder / "outbox")})
    with app.test_request_context():
        from sqlalchemy import func, select

        from governance.search.indexing import reindex_all
        from governance.search.models import SearchEntry
        from governance.search.queries import search

        db.drop_all()
        db.create_all()
        reader, admin, proposals, proposal_time, comment_time = build(target, random.Random(2026))
        entries = db.session.execute(select(func.count()).select_from(SearchEntry)).scalar_one()
        print(f"{db.engine.dialect.name}: {entries:,} entries ({proposals:,} proposals in nl, fr, de; "
              f"{entries - 3 * proposals:,} comments)")
        print(f"{'writing proposals, indexed by the session events':<52} {proposal_time:8.1f} s")
        print(f"{'writing comments, indexed by the session events':<52} {comment_time:8.1f} s")
        start = time.perf_counter()
        reindex_all()
        db.session.commit()
        print(f"{'reindex_all()':<52} {time.perf_counter() - start:8.1f} s")
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE search_entries")
                conn.commit()

        cases = [
            ("a common word: coopératives", "coopératives", {}),
            ("a common word, accents left out: cooperatives", "cooperatives", {}),
            ("a prefix: genoss", "genoss", {}),
            ("two words: vergadering busjes", "vergadering busjes", {}),
            ('a phrase: "réunion membres"', '"réunion membres"', {}),
            ("a rare word (no result): zzyzx", "zzyzx", {}),
            ("common word, French entries only", "coopératives", {"language": "fr"}),
            ("common word, comments only", "Genossenschaften", {"kinds": ["comment"]}),
            ("common word, page 20", "coopératives", {"page": 20}),
        ]
        for who, account in (("member", reader), ("admin", admin)):
            print(f"--- as {'a Belgian member' if who == 'member' else 'an administrator'}")
            for label, query, kw in cases:
                page = timed(f"{label}", lambda: search(query, account=account, **kw))
                db.session.rollback()
                print(f"{'':<8}→ {page.total:,} results")
        db.session.remove()
        db.drop_all()


if __name__ == "__main__":
    main()
