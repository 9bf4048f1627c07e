"""A seeded generator of a realistic cooperative, for the performance benchmarks (not a test).

    .venv/bin/python -m benchmarks.generate --database-url sqlite:////tmp/bench.db --scale 0.01
    .venv/bin/python -m benchmarks.generate --database-url postgresql://postgres@127.0.0.1:5432/bench --scale 1

The schema is built by the application's migrations (``flask db upgrade``), then filled through the project's
model classes with chunked bulk inserts (``db.session.execute(insert(Model), rows)``), never one ORM object per
row. At ``--scale 1``:

- 100,000 members over the nine branches, with names of their country, the branch's languages, statuses of
  every kind with their dated history, joining dates over thirty years;
- 30,000 accounts linked to active members (all with the same password, hashed once), an administrator and a
  secretary, two board members per branch;
- 300 workgroups (whole cooperative or some branches) with members and facilitators (account holders);
- 20,000 proposals with revisions, co-authors, supports and members' translations;
- 500,000 comments in threads, heavy-tailed (one proposal holds thousands), some edited, deleted or hidden;
- 200 closed ballots holding 1,000,000 votes (every method, secret and roll-call): the roll frozen by
  :func:`governance.votes.roll.freeze_roll`, participations, ballot papers or roll-call votes, receipts, then
  closed by :func:`governance.votes.operations.close_ballot` (the project's own tally, box rewrite and audit);
- 20 general assemblies with agendas, roles, registrations, proxies and check-ins;
- for the HTTP benchmark, one open secret yes/no/abstain ballot whose roll holds every member with an account.

Everything scales linearly with ``--scale`` (at least one of each kind, and every voting method). The search
index is rebuilt at the end by :func:`governance.search.indexing.reindex_all` (bulk inserts bypass the session
events that normally maintain it), timed as its own phase. The database must be empty (or absent).

The manifest (JSON) records what the HTTP benchmark needs: see :func:`generate`. Same seed, same data (apart
from creation times, lot seeds and the random keys the ballot box gets at close).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from sqlalchemy import event, func, insert, select, text, update  # noqa: E402

from benchmarks import names  # noqa: E402

DATA_DIR = PROJECT_ROOT / "benchmarks" / "data"
MIGRATIONS = PROJECT_ROOT / "governance" / "migrations"
PASSWORD = "bench-password-2026"
ADMIN_EMAIL = "admin@bench.coop"
SECRETARY_EMAIL = "secretary@bench.coop"
CHUNK = 5000

#: rows at scale 1
BASE = {
    "members": 100_000, "accounts": 30_000, "workgroups": 300, "proposals": 20_000, "comments": 500_000,
    "ballots": 200, "votes": 1_000_000, "assemblies": 20,
}
#: share of the register per branch
BRANCH_WEIGHTS = {"BE": 22, "FR": 18, "DE": 16, "NL": 10, "IT": 10, "ES": 10, "AT": 5, "SE": 5, "HU": 4}
STATUS_WEIGHTS = {"active": 76, "applicant": 5, "suspended": 3, "resigned": 10, "excluded": 2, "deceased": 4}
METHODS = ["yna", "plurality", "approval", "irv", "stv", "schulze"]
PROPOSAL_STATES = {"draft": 10, "discussion": 45, "ready_for_vote": 5, "adopted": 15, "rejected": 8,
                   "withdrawn": 7, "archived": 10}
INTERFACE_LANGUAGES = ("nl", "fr", "en", "de")


# --- helpers ---------------------------------------------------------------------------------------
def scaled(kind: str, scale: float) -> int:
    return max(1, round(BASE[kind] * scale))


def chunks(rows: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def bulk(model, rows: list[dict]) -> None:
    """Insert the rows through the model (an ORM bulk INSERT), in chunks."""
    from governance.extensions import db

    for part in chunks(rows):
        db.session.execute(insert(model), part)


def weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def default_manifest_path(database_url: str, scale: float) -> Path:
    kind = "postgresql" if database_url.startswith("postgres") else "sqlite"
    return DATA_DIR / f"manifest-{kind}-{scale:g}.json"


def _ascii(value: str) -> str:
    import unicodedata

    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return "".join(c for c in folded.lower() if c.isalnum())


class Timer:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    def phase(self, name: str):
        timer = self

        class _Phase:
            def __enter__(self):
                self.start = time.perf_counter()
                print(f"[generate] {name} …", file=sys.stderr, flush=True)

            def __exit__(self, *exc):
                timer.timings[name] = round(time.perf_counter() - self.start, 2)
                if exc[0] is None:
                    print(f"[generate] {name}: {timer.timings[name]} s", file=sys.stderr, flush=True)

        return _Phase()


# --- the generator ---------------------------------------------------------------------------------
class Generator:
    """Builds the rows phase by phase; ids are assigned here (the database is empty), so rows can refer to each
    other without reading ids back."""

    def __init__(self, scale: float, seed: int, now: dt.datetime):
        self.scale = scale
        self.rng = random.Random(seed)
        self.seed = seed
        self.now = now
        self.today = now.date()
        self.n = {kind: scaled(kind, scale) for kind in BASE}
        self.n["ballots"] = max(len(METHODS), self.n["ballots"])

    # --- branches and members ---
    def branches(self) -> None:
        from governance.demo import BRANCHES
        from governance.members.models import Branch

        self.branch_ids: dict[str, int] = {}
        self.branch_info: dict[int, dict] = {}
        rows = []
        for i, (code, country, branch_names, official, required, tz) in enumerate(BRANCHES, start=1):
            rows.append({"id": i, "code": code, "country": country, "names": branch_names,
                         "official_languages": official, "required_languages": required, "timezone": tz,
                         "created_dt": self.now - dt.timedelta(days=3650)})
            self.branch_ids[code] = i
            self.branch_info[i] = {"code": code, "official": official, "required": required, "tz": tz}
        bulk(Branch, rows)

    def members(self) -> None:
        from governance.demo import LANGUAGE_MIX
        from governance.members.models import Member, MemberStatusChange

        rng, today = self.rng, self.today
        codes, weights = list(BRANCH_WEIGHTS), list(BRANCH_WEIGHTS.values())
        members, history = [], []
        self.member_branch: list[int] = [0]  # index = member id
        self.member_status: list[str] = [""]
        self.member_language: list[str] = [""]
        self.member_email: list[str | None] = [None]
        self.member_name: list[str] = [""]
        self.last_names: Counter[str] = Counter()
        for member_id in range(1, self.n["members"] + 1):
            code = rng.choices(codes, weights)[0] if member_id > len(codes) else codes[member_id - 1]
            branch_id = self.branch_ids[code]
            first_names, last_names = names.NAMES[code]
            # a few common surnames per country (Zipf-like), as in a real register
            first = rng.choice(first_names)
            last = last_names[min(len(last_names) - 1, int(rng.paretovariate(1.2)) - 1)] \
                if rng.random() < 0.5 else rng.choice(last_names)
            status = weighted(rng, STATUS_WEIGHTS) if member_id > len(codes) else "active"
            if status == "applicant":
                joined = today - dt.timedelta(days=rng.randint(1, 120))
            else:
                joined = today - dt.timedelta(days=rng.randint(30, 365 * 30))
            left = None
            if status in ("resigned", "excluded", "deceased"):
                left = joined + dt.timedelta(days=rng.randint(15, max(15, (today - joined).days)))
                left = min(left, today)
            email = f"{_ascii(first)}.{_ascii(last)}.{member_id}@bench.coop" if rng.random() < 0.95 else None
            language = rng.choice(LANGUAGE_MIX[code])
            joined_dt = dt.datetime.combine(joined, dt.time(9), tzinfo=dt.timezone.utc)
            members.append({
                "id": member_id, "number": f"{code}-{member_id:07d}", "branch_id": branch_id, "first_name": first,
                "last_name": last, "email": email, "language": language, "status": status, "joined_on": joined,
                "left_on": left, "shares": rng.choice([1, 1, 1, 1, 2, 3, 5, 10, 20]),
                "share_class": rng.choice(["A", "A", "A", "B"]),
                "email_consent_dt": (joined_dt + dt.timedelta(days=rng.randint(0, 400)))
                if email and rng.random() < 0.7 else None,
                "created_dt": joined_dt, "modified_dt": joined_dt,
            })
            self.member_branch.append(branch_id)
            self.member_status.append(status)
            self.member_language.append(language)
            self.member_email.append(email)
            self.member_name.append(f"{first} {last}")
            self.last_names[last] += 1
            # the dated history: applied, admitted, then what happened since
            history.append({"member_id": member_id, "old_status": None, "new_status": "applicant",
                            "effective_on": joined, "source": "import", "created_dt": joined_dt})
            if status == "applicant":
                continue
            admitted = joined + dt.timedelta(days=14)
            history.append({"member_id": member_id, "old_status": "applicant", "new_status": "active",
                            "effective_on": admitted, "source": "import", "created_dt": joined_dt})
            if status == "active" and rng.random() < 0.04 and (today - admitted).days > 60:
                suspended = admitted + dt.timedelta(days=rng.randint(30, (today - admitted).days - 20))
                history.append({"member_id": member_id, "old_status": "active", "new_status": "suspended",
                                "effective_on": suspended, "source": "manual", "note": "Unpaid contribution",
                                "created_dt": joined_dt})
                history.append({"member_id": member_id, "old_status": "suspended", "new_status": "active",
                                "effective_on": min(today, suspended + dt.timedelta(days=rng.randint(10, 90))),
                                "source": "manual", "note": "Contribution paid", "created_dt": joined_dt})
            elif status != "active":
                history.append({"member_id": member_id, "old_status": "active", "new_status": status,
                                "effective_on": left or today - dt.timedelta(days=rng.randint(5, 300)),
                                "source": "manual" if status in ("suspended", "excluded") else "import",
                                "note": "Board decision" if status in ("suspended", "excluded") else None,
                                "created_dt": joined_dt})
        bulk(Member, members)
        bulk(MemberStatusChange, history)
        self.active_by_branch: dict[int, list[int]] = defaultdict(list)
        for member_id in range(1, len(self.member_status)):
            if self.member_status[member_id] == "active":
                self.active_by_branch[self.member_branch[member_id]].append(member_id)

    # --- accounts ---
    def accounts(self) -> None:
        from governance.accounts.models import Account, RoleAssignment
        from governance.accounts.passwords import hash_password

        rng = self.rng
        password_hash = hash_password(PASSWORD)  # once: Argon2 per account would take hours
        eligible = [m for m in range(1, len(self.member_status))
                    if self.member_status[m] == "active" and self.member_email[m]]
        chosen = sorted(rng.sample(eligible, min(self.n["accounts"], len(eligible))))
        created = self.now - dt.timedelta(days=700)
        rows = [
            {"id": 1, "email": ADMIN_EMAIL, "password_hash": password_hash, "display_name": "Sam Admin",
             "language": "en", "timezone": "Europe/Brussels", "member_id": None, "created_dt": created},
            {"id": 2, "email": SECRETARY_EMAIL, "password_hash": password_hash, "display_name": "Nadia Secretaris",
             "language": "nl", "timezone": "Europe/Brussels", "member_id": None, "created_dt": created},
        ]
        self.admin_id, self.secretary_id = 1, 2
        self.account_of: dict[int, int] = {}
        for account_id, member_id in enumerate(chosen, start=3):
            language = self.member_language[member_id]
            rows.append({
                "id": account_id, "email": self.member_email[member_id], "password_hash": password_hash,
                "display_name": self.member_name[member_id],
                "language": language if language in INTERFACE_LANGUAGES else "en",
                "timezone": self.branch_info[self.member_branch[member_id]]["tz"], "member_id": member_id,
                "created_dt": created + dt.timedelta(minutes=account_id),
                "digest_frequency": rng.choice(["none", "daily", "weekly", "weekly"]),
            })
            self.account_of[member_id] = account_id
        bulk(Account, rows)
        roles = [{"account_id": 1, "role": "admin", "branch_id": None, "scope_key": "*", "created_dt": created},
                 {"account_id": 2, "role": "secretary", "branch_id": None, "scope_key": "*", "created_dt": created}]
        self.account_members_by_branch: dict[int, list[int]] = defaultdict(list)
        for member_id in chosen:
            self.account_members_by_branch[self.member_branch[member_id]].append(member_id)
        for branch_id, member_ids in sorted(self.account_members_by_branch.items()):
            for member_id in member_ids[:2]:
                roles.append({"account_id": self.account_of[member_id], "role": "board_member",
                              "branch_id": branch_id, "scope_key": f"branch:{branch_id}", "created_dt": created})
        bulk(RoleAssignment, roles)
        self.account_members = chosen

    # --- workgroups ---
    def workgroups(self) -> None:
        from governance.workgroups.models import Workgroup, WorkgroupMembership, workgroup_branches

        rng = self.rng
        all_branches = sorted(self.branch_info)
        rows, scopes, memberships = [], [], []
        self.workgroup_scope: dict[int, list[int] | None] = {}
        self.workgroup_members: dict[int, list[int]] = {}
        self.workgroup_facilitators: dict[int, list[int]] = {}
        self.workgroup_archived: set[int] = set()
        membership_id = 0
        total_target = 3 * len(self.account_members)  # an account holder is in about three workgroups
        weights = [rng.paretovariate(1.3) for _ in range(self.n["workgroups"])]
        weight_sum = sum(weights)
        for workgroup_id in range(1, self.n["workgroups"] + 1):
            coop = workgroup_id == 1 or rng.random() < 0.3
            scope = None if coop else sorted(rng.sample(all_branches, rng.choice([1, 1, 1, 2, 3])))
            languages: list[str] = []
            for branch_id in scope or all_branches:
                for code in self.branch_info[branch_id]["official"]:
                    if code not in languages:
                        languages.append(code)
            if coop:
                languages = ["en", "fr", "nl", "de"]
            working = languages[:4]
            original = working[0]
            titles, descriptions = {}, {}
            for language in [original, *rng.sample(working[1:], rng.randint(0, len(working) - 1))]:
                titles[language] = f"{names.title(rng, language, rng.randint(2, 5))} {workgroup_id}"
                descriptions[language] = names.paragraph(rng, language, rng.randint(2, 6))
            archived = workgroup_id > 1 and rng.random() < 0.05
            created = self.now - dt.timedelta(days=rng.randint(60, 3000))
            rows.append({
                "id": workgroup_id, "slug": f"wg-{workgroup_id}-{_ascii(titles[original].split()[0])[:40]}",
                "titles": titles, "descriptions": descriptions, "original_language": original,
                "working_languages": working,
                "theme": rng.choice(["membership", "tools", "economic_model", "governance", "other"]),
                "scope": "cooperative" if coop else "branches",
                "joining": "moderated" if rng.random() < 0.3 else "open",
                "state": "archived" if archived else "active",
                "support_threshold": rng.choice([None, None, 5, 10, 25]), "created_by_id": self.admin_id,
                "created_dt": created, "modified_dt": created,
                "archived_dt": self.now - dt.timedelta(days=rng.randint(1, 50)) if archived else None,
            })
            if archived:
                self.workgroup_archived.add(workgroup_id)
            self.workgroup_scope[workgroup_id] = scope
            for branch_id in scope or ():
                scopes.append({"workgroup_id": workgroup_id, "branch_id": branch_id})
            # members: account holders in scope (joining happens on the portal)
            pool = self.account_members if coop else [m for b in scope for m in self.account_members_by_branch[b]]
            size = max(2, round(total_target * weights[workgroup_id - 1] / weight_sum))
            picked = rng.sample(pool, min(size, len(pool))) if pool else []
            facilitators = picked[:rng.randint(1, 3)]
            active, pending = [], []
            for position, member_id in enumerate(picked):
                membership_id += 1
                is_pending = rows[-1]["joining"] == "moderated" and position >= len(facilitators) \
                    and rng.random() < 0.05
                joined = created + dt.timedelta(days=rng.randint(0, max(1, (self.now - created).days - 1)))
                memberships.append({
                    "id": membership_id, "workgroup_id": workgroup_id, "member_id": member_id,
                    "role": "facilitator" if member_id in facilitators else "member",
                    "status": "pending" if is_pending else "active", "created_dt": joined,
                    "joined_dt": None if is_pending else joined,
                })
                (pending if is_pending else active).append(member_id)
            self.workgroup_members[workgroup_id] = active
            self.workgroup_facilitators[workgroup_id] = facilitators
        bulk(Workgroup, rows)
        if scopes:
            bulk(workgroup_branches, scopes)
        bulk(WorkgroupMembership, memberships)

    # --- proposals ---
    def proposals(self) -> None:
        from governance.proposals.models import (
            Proposal,
            ProposalRevision,
            ProposalSupport,
            ProposalTranslation,
            proposal_coauthors,
        )

        rng = self.rng
        usable = [w for w in self.workgroup_members if len(self.workgroup_members[w]) >= 1]
        weights = [rng.paretovariate(1.2) for _ in usable]
        # the first workgroup (the whole cooperative) is the busiest: the HTTP benchmark browses it
        weights[0] = max(weights) * 2
        proposals, revisions, translations, coauthors, supports = [], [], [], [], []
        self.proposal_workgroup: dict[int, int] = {}
        self.proposal_state: dict[int, str] = {}
        self.proposal_authors: dict[int, set[int]] = {}
        self.proposal_created: dict[int, dt.datetime] = {}
        revision_id = 0
        for proposal_id in range(1, self.n["proposals"] + 1):
            workgroup_id = rng.choices(usable, weights)[0] if proposal_id > 1 else usable[0]
            members = self.workgroup_members[workgroup_id]
            author = rng.choice(members)
            state = weighted(rng, PROPOSAL_STATES) if proposal_id > 1 else "discussion"
            if workgroup_id in self.workgroup_archived and state in ("draft", "discussion", "ready_for_vote"):
                state = "archived"
            language = self.member_language[author]
            created = self.now - dt.timedelta(days=rng.randint(2, 2500), minutes=rng.randint(0, 1440))
            titles = {language: f"{names.title(rng, language, rng.randint(3, 8))} ({proposal_id})"}
            bodies = {language: "\n\n".join(names.paragraph(rng, language, rng.randint(2, 5))
                                            for _ in range(rng.randint(1, 4)))}
            authors = {author}
            others = [m for m in members if m != author]
            if others and rng.random() < 0.15:
                for coauthor in rng.sample(others, min(len(others), rng.randint(1, 2))):
                    coauthors.append({"proposal_id": proposal_id, "member_id": coauthor})
                    authors.add(coauthor)
            when = created
            edits = rng.choice([0, 0, 0, 1, 1, 2, 3])
            for number in range(1, edits + 2):
                if number > 1:
                    when = when + dt.timedelta(hours=rng.randint(2, 400))
                    bodies = {language: bodies[language] + "\n\n" + names.paragraph(rng, language, 2)}
                revision_id += 1
                revisions.append({"id": revision_id, "proposal_id": proposal_id, "number": number,
                                  "titles": dict(titles), "bodies": dict(bodies), "original_language": language,
                                  "author_id": author, "created_dt": when})
            number = edits + 1
            # members' translations (each saved as a revision by the translator)
            translators = [m for m in members if m not in authors]
            if translators and state != "draft" and rng.random() < 0.3:
                for target in rng.sample([c for c in ("en", "fr", "nl", "de") if c != language], rng.randint(1, 2)):
                    translator = rng.choice(translators)
                    titles[target] = f"{names.title(rng, target, rng.randint(3, 8))} ({proposal_id})"
                    bodies[target] = names.paragraph(rng, target, rng.randint(3, 8))
                    number += 1
                    when = when + dt.timedelta(hours=rng.randint(1, 100))
                    revision_id += 1
                    revisions.append({"id": revision_id, "proposal_id": proposal_id, "number": number,
                                      "titles": dict(titles), "bodies": dict(bodies), "original_language": language,
                                      "author_id": translator, "created_dt": when})
                    reviewer = self.workgroup_facilitators[workgroup_id][0]
                    reviewed = rng.random() < 0.5 and reviewer != translator and reviewer in self.account_of
                    translations.append({
                        "proposal_id": proposal_id, "language": target, "translator_id": translator,
                        "revision_number": number, "created_dt": when, "modified_dt": when,
                        "reviewed_by_id": self.account_of[reviewer] if reviewed else None,
                        "reviewed_dt": when + dt.timedelta(days=1) if reviewed else None,
                    })
            changed = when + dt.timedelta(days=rng.randint(1, 60)) if state != "draft" else created
            proposals.append({
                "id": proposal_id, "workgroup_id": workgroup_id, "author_id": author, "titles": titles,
                "bodies": bodies, "original_language": language, "state": state,
                "support_threshold": rng.choice([None, 5, 10, 20]),
                "decision_reason": "Decided by consensus of the workgroup."
                if state in ("adopted", "rejected") else None,
                "state_changed_dt": min(changed, self.now), "created_dt": created, "modified_dt": when,
            })
            if state not in ("draft", "withdrawn") and translators:
                count = min(len(translators), int(rng.paretovariate(1.1)) - 1)
                for supporter in rng.sample(translators, count):
                    supports.append({"proposal_id": proposal_id, "member_id": supporter,
                                     "created_dt": created + dt.timedelta(days=rng.randint(1, 30))})
            self.proposal_workgroup[proposal_id] = workgroup_id
            self.proposal_state[proposal_id] = state
            self.proposal_authors[proposal_id] = authors
            self.proposal_created[proposal_id] = created
        bulk(Proposal, proposals)
        bulk(ProposalRevision, revisions)
        bulk(ProposalTranslation, translations)
        if coauthors:
            bulk(proposal_coauthors, coauthors)
        bulk(ProposalSupport, supports)

    # --- comments ---
    def comments(self) -> None:
        from governance.proposals.models import Comment, CommentRevision

        rng = self.rng
        total = self.n["comments"]
        open_ids = [p for p, s in self.proposal_state.items() if s != "draft"] or [1]
        hot = 1  # in discussion, in the busiest workgroup
        hot_count = min(total, max(500, round(total * 0.02)))
        others = [p for p in open_ids if p != hot]
        counts = {hot: hot_count}
        rest = total - hot_count
        if others and rest > 0:
            # heavy-tailed, capped: the busiest others hold a few thousand comments at scale 1, never most of them
            weights = [min(400.0, rng.paretovariate(1.1)) for _ in others]
            weight_sum = sum(weights)
            for proposal_id, weight in zip(others, weights):
                counts[proposal_id] = int(rest * weight / weight_sum)
            for proposal_id in rng.choices(others, k=rest - sum(counts[p] for p in others)):
                counts[proposal_id] += 1
        else:
            counts[hot] = total
        rows, revisions = [], []
        comment_id = 0
        for proposal_id in sorted(counts):
            n = counts[proposal_id]
            if not n:
                continue
            workgroup_id = self.proposal_workgroup[proposal_id]
            authors = self.workgroup_members[workgroup_id]
            hider = self.account_of.get(self.workgroup_facilitators[workgroup_id][0], self.admin_id)
            when = self.proposal_created[proposal_id] + dt.timedelta(hours=1)
            span = max(60, int((self.now - when).total_seconds() // 60) - 60)
            step = max(1, span // (n + 1))
            thread: list[tuple[int, int, int | None]] = []  # (id, depth, thread id) of this proposal's comments
            for _ in range(n):
                comment_id += 1
                when = when + dt.timedelta(minutes=rng.randint(1, 2 * step))
                when = min(when, self.now - dt.timedelta(minutes=1))
                parent = None
                if thread and rng.random() < 0.45:
                    candidate = thread[-rng.randint(1, min(len(thread), 30))]
                    if candidate[1] < 3:
                        parent = candidate
                author = rng.choice(authors)
                language = self.member_language[author]
                body = " ".join(names.sentence(rng, language, rng.randint(4, 18)) for _ in range(rng.randint(1, 4)))
                roll = rng.random()
                hidden = roll < 0.005
                edited = 0.005 <= roll < 0.05
                row = {
                    "id": comment_id, "proposal_id": proposal_id, "author_id": author,
                    "parent_id": parent[0] if parent else None,
                    "thread_id": (parent[2] or parent[0]) if parent else None,
                    "depth": parent[1] + 1 if parent else 1, "body": body, "created_dt": when,
                    "edited_dt": when + dt.timedelta(minutes=5) if edited else None,
                    "is_deleted": 0.05 <= roll < 0.06,
                    "hidden_reason": "Off topic: please open a new proposal." if hidden else None,
                    "hidden_by_id": hider if hidden else None,
                }
                rows.append(row)
                if edited:
                    revisions.append({"comment_id": comment_id, "body": body + " (first version)",
                                      "written_dt": when, "created_dt": row["edited_dt"]})
                thread.append((comment_id, row["depth"], row["thread_id"]))
            if len(rows) >= CHUNK * 4:
                bulk(Comment, rows)
                rows = []
        bulk(Comment, rows)
        bulk(CommentRevision, revisions)
        self.comment_counts = counts

    # --- ballots ---
    def _texts(self, languages: Iterable[str], words: tuple[int, int], suffix: str = "") -> dict[str, str]:
        return {code: names.title(self.rng, code, self.rng.randint(*words)) + suffix for code in languages}

    def ballots(self) -> None:
        from governance.accounts.models import Account
        from governance.core import audit
        from governance.extensions import db
        from governance.votes import operations as ops
        from governance.votes.models import (
            Ballot,
            BallotOption,
            BoxEntry,
            OpenVote,
            Participation,
            Receipt,
            RollEntry,
            ballot_branches,
        )
        from governance.votes.roll import freeze_roll

        rng = self.rng
        admin = db.session.get(Account, self.admin_id)
        all_branches = sorted(self.branch_info)
        rows, scope_rows, option_rows = [], [], []
        ready = defaultdict(list)
        for proposal_id, state in self.proposal_state.items():
            if state == "ready_for_vote":
                ready[self.proposal_workgroup[proposal_id]].append(proposal_id)
        workgroups = [w for w in self.workgroup_members if w not in self.workgroup_archived
                      and len(self.workgroup_members[w]) >= 2]
        option_id = 0
        self.ballot_plan: dict[int, dict] = {}
        for ballot_id in range(1, self.n["ballots"] + 1):
            i = ballot_id - 1
            method = METHODS[i % len(METHODS)]
            secret = i % 5 != 3
            roll = rng.random()
            if i == 0 or roll < 0.1:
                kind, branches, workgroup_id = "register", all_branches, None
            elif roll < 0.3 and workgroups:
                kind, branches, workgroup_id = "workgroup", None, rng.choice(workgroups)
            else:
                kind, workgroup_id = "register", None
                branches = sorted(rng.sample(all_branches, rng.choice([1, 1, 2, 3, 4])))
            scope = branches if kind == "register" else (self.workgroup_scope[workgroup_id] or all_branches)
            languages = sorted({code for b in scope for code in self.branch_info[b]["required"]} | {"en"})
            original = "en"
            closes = self.now - dt.timedelta(days=rng.randint(2, 1500))
            opens = closes - dt.timedelta(days=rng.randint(7, 21))
            proposal_id = None
            if method == "yna" and kind == "workgroup" and ready.get(workgroup_id):
                proposal_id = ready[workgroup_id].pop()
            seats = rng.randint(2, 3) if method == "stv" else None
            max_choices = rng.randint(2, 3) if method == "approval" else None
            rows.append({
                "id": ballot_id, "questions": self._texts(languages, (5, 12), "?"),
                "descriptions": {code: names.paragraph(rng, code, 2) for code in languages},
                "original_language": original, "method": method, "seats": seats, "max_choices": max_choices,
                "is_secret": secret, "electorate_kind": kind, "eligible_statuses": ["active"],
                "register_cutoff": None, "workgroup_id": workgroup_id, "opens_at": opens, "closes_at": closes,
                "quorum": rng.choice(["none", "none", "share:1/10"]) if method == "yna" else "none",
                "majority": rng.choice(["simple", "simple", "absolute", "qualified:2/3"]),
                "result_visibility": "everyone" if i == 0 else rng.choice(["everyone", "everyone", "electorate"]),
                "proposal_id": proposal_id, "state": "draft", "created_by_id": self.admin_id,
                "created_dt": opens - dt.timedelta(days=5), "modified_dt": opens - dt.timedelta(days=5),
            })
            for branch_id in (branches or ()):
                scope_rows.append({"ballot_id": ballot_id, "branch_id": branch_id})
            options = []
            if method != "yna":
                for position in range(1, {"plurality": rng.randint(3, 5), "approval": rng.randint(4, 6),
                                          "irv": rng.randint(3, 6), "stv": rng.randint(5, 9),
                                          "schulze": rng.randint(3, 6)}[method] + 1):
                    option_id += 1
                    person = rng.choice(self.account_members)
                    option_rows.append({"id": option_id, "ballot_id": ballot_id, "position": position,
                                        "labels": {code: self.member_name[person] if method == "stv" else
                                                   names.title(rng, code, rng.randint(2, 5)) for code in languages},
                                        "created_dt": opens})
                    options.append(option_id)
            self.ballot_plan[ballot_id] = {"method": method, "secret": secret, "opens": opens, "closes": closes,
                                           "options": options, "seats": seats, "max_choices": max_choices}
        bulk(Ballot, rows)
        bulk(ballot_branches, scope_rows)
        bulk(BallotOption, option_rows)
        db.session.flush()

        # open: the project's own roll freezing
        ballots = {b.id: b for b in db.session.execute(select(Ballot).order_by(Ballot.id)).scalars()}
        sizes: dict[int, int] = {}
        for ballot_id, ballot in ballots.items():
            size, digest = freeze_roll(ballot)
            if size == 0:  # a tiny scale: nobody in scope; widen to the whole register
                db.session.execute(insert(ballot_branches), [{"ballot_id": ballot_id, "branch_id": b}
                                                             for b in all_branches if b not in ballot.branch_ids])
                db.session.execute(update(Ballot).where(Ballot.id == ballot_id).values(
                    electorate_kind="register", workgroup_id=None))
                db.session.expire(ballot)
                size, digest = freeze_roll(ballot)
            ballot.mark_open(self.ballot_plan[ballot_id]["opens"], size, digest)
            db.session.flush()
            audit.record("ballot.opened", actor=admin, obj=ballot, roll_size=size, roll_hash=digest,
                         closes_at=ballot.closes_at.isoformat())
            sizes[ballot_id] = size

        # votes: the total spread over the ballots in proportion to their rolls (turnout at most 90 %)
        turnout = min(0.9, self.n["votes"] / max(1, sum(sizes.values())))
        for ballot_id, ballot in ballots.items():
            plan = self.ballot_plan[ballot_id]
            roll = [tuple(row) for row in db.session.execute(
                select(RollEntry.member_id, RollEntry.branch_id).where(RollEntry.ballot_id == ballot_id)
                .order_by(RollEntry.member_id))]
            count = max(1, min(len(roll), round(len(roll) * turnout * rng.uniform(0.8, 1.2))))
            voters = rng.sample(roll, count)
            chooser = self._chooser(plan)
            participations, papers, receipts, open_votes = [], [], [], []
            codes: set[str] = set()
            span = max(60, int((plan["closes"] - plan["opens"]).total_seconds()) - 60)
            for member_id, branch_id in voters:
                cast = plan["opens"] + dt.timedelta(seconds=rng.randint(1, span))
                account_id = self.account_of.get(member_id)
                participations.append({"ballot_id": ballot_id, "member_id": member_id, "cast_dt": cast,
                                       "channel": "web" if account_id else "paper",
                                       "cast_by_id": account_id or self.secretary_id})
                value, key = chooser()
                if plan["secret"]:
                    papers.append({"id": uuid.UUID(int=rng.getrandbits(128), version=4), "ballot_id": ballot_id,
                                   "choice": value, "choice_key": key, "branch_id": branch_id})
                    code = self._receipt(codes)
                    receipts.append({"ballot_id": ballot_id, "code": code})
                else:
                    open_votes.append({"ballot_id": ballot_id, "member_id": member_id, "choice": value,
                                       "choice_key": key, "branch_id": branch_id, "modified_dt": cast})
            bulk(Participation, participations)
            if plan["secret"]:
                rng.shuffle(papers)
                bulk(BoxEntry, papers)
                bulk(Receipt, receipts)
            else:
                bulk(OpenVote, open_votes)
            db.session.flush()
            # close: the project's own tally, box rewrite, audit entry and proposal decision
            ops.close_ballot(ballot, actor=admin, now=plan["closes"], notify=False)
            db.session.commit()
        self.ballot_sizes = sizes

    def _receipt(self, codes: set[str]) -> str:
        from governance.votes.operations import RECEIPT_ALPHABET, RECEIPT_LENGTH

        while True:
            code = "".join(self.rng.choices(RECEIPT_ALPHABET, k=RECEIPT_LENGTH))
            if code not in codes:
                codes.add(code)
                return code

    def _chooser(self, plan: dict):
        """A function drawing one choice (stored value, key) with preferences that differ per ballot."""
        rng, method, options = self.rng, plan["method"], plan["options"]
        if method == "yna":
            weights = [rng.uniform(2, 6), rng.uniform(1, 5), rng.uniform(0.3, 1.5)]

            def yna():
                value = rng.choices(("yes", "no", "abstain"), weights)[0]
                return value, value
            return yna
        weights = [rng.paretovariate(1.5) for _ in options]
        if method == "plurality":
            def plurality():
                value = rng.choices(options, weights)[0]
                return value, str(value)
            return plurality
        if method == "approval":
            def approval():
                count = rng.randint(1, plan["max_choices"])
                picked = sorted(set(rng.choices(options, weights, k=count)))
                return picked, ",".join(map(str, picked))
            return approval

        def ranking():
            pool, pool_weights, picked = list(options), list(weights), []
            for _ in range(rng.randint(1, min(len(options), 4))):
                index = rng.choices(range(len(pool)), pool_weights)[0]
                picked.append(pool.pop(index))
                pool_weights.pop(index)
            return picked, ">".join(map(str, picked))
        return ranking

    # --- the open ballot of the HTTP benchmark ---
    def open_ballot(self) -> int:
        from governance.accounts.models import Account
        from governance.core import audit
        from governance.extensions import db
        from governance.votes.models import Ballot, ballot_branches, ballot_listed_members
        from governance.votes.roll import freeze_roll

        ballot_id = self.n["ballots"] + 1
        languages = sorted({code for info in self.branch_info.values() for code in info["required"]} | {"en"})
        opened = self.now - dt.timedelta(days=1)
        bulk(Ballot, [{
            "id": ballot_id, "questions": {code: f"{names.title(self.rng, code, 8)}?" for code in languages},
            "descriptions": {code: names.paragraph(self.rng, code, 3) for code in languages},
            "original_language": "en", "method": "yna", "is_secret": True, "electorate_kind": "list",
            "eligible_statuses": ["active"], "opens_at": opened, "closes_at": self.now + dt.timedelta(days=60),
            "quorum": "share:1/10", "majority": "simple", "result_visibility": "everyone", "state": "draft",
            "created_by_id": self.admin_id, "created_dt": opened, "modified_dt": opened,
        }])
        bulk(ballot_listed_members, [{"ballot_id": ballot_id, "member_id": m} for m in self.account_members])
        bulk(ballot_branches, [{"ballot_id": ballot_id, "branch_id": b}
                               for b in sorted({self.member_branch[m] for m in self.account_members})])
        db.session.flush()
        ballot = db.session.get(Ballot, ballot_id)
        size, digest = freeze_roll(ballot)
        ballot.mark_open(opened, size, digest)
        db.session.flush()
        audit.record("ballot.opened", actor=db.session.get(Account, self.admin_id), obj=ballot, roll_size=size,
                     roll_hash=digest, closes_at=ballot.closes_at.isoformat())
        return ballot_id

    # --- assemblies ---
    def assemblies(self) -> None:
        from governance.assemblies.models import (
            AgendaItem,
            Assembly,
            AssemblyRole,
            CheckIn,
            Proxy,
            Registration,
            assembly_branches,
        )

        rng = self.rng
        all_branches = sorted(self.branch_info)
        rows, scopes, items, roles, registrations, proxies, checkins = [], [], [], [], [], [], []
        item_id = 0
        self.assembly_scope: dict[int, list[int]] = {}
        self.assembly_state: dict[int, str] = {}
        for assembly_id in range(1, self.n["assemblies"] + 1):
            coop = assembly_id == 1
            branch_id = None if coop else rng.choice(all_branches)
            scope = all_branches if coop else [branch_id]
            info = None if coop else self.branch_info[branch_id]
            original = "en" if coop else info["official"][0]
            languages = ["en", "nl", "fr", "de"] if coop else sorted(set(info["required"]) | {original})
            tz = "Europe/Brussels" if coop else info["tz"]
            if coop:
                state = "convened"
            else:
                state = rng.choices(["draft", "convened", "closed"], [1, 3, 6])[0]
            if state == "closed":
                starts = self.now - dt.timedelta(days=rng.randint(20, 2000), hours=rng.randint(0, 6))
            else:
                starts = self.now + dt.timedelta(days=rng.randint(20, 90))
            starts = starts.replace(minute=0, second=0, microsecond=0)
            created = starts - dt.timedelta(days=rng.randint(40, 80))
            convened = None if state == "draft" else starts - dt.timedelta(days=rng.randint(16, 30))
            kind = "extraordinary" if rng.random() < 0.2 else "ordinary"
            rows.append({
                "id": assembly_id, "branch_id": branch_id, "kind": kind,
                "titles": {code: f"{names.title(rng, code, 4)} {starts.year}" for code in languages},
                "descriptions": {code: names.paragraph(rng, code, 2) for code in languages},
                "original_language": original, "starts_at": starts, "ends_at": starts + dt.timedelta(hours=3),
                "timezone": tz, "place": f"Meeting hall {assembly_id}", "online_url":
                f"https://meet.bench.coop/assembly-{assembly_id}", "eligible_statuses": ["active"],
                "notice_days": 15, "proxy_deadline": starts - dt.timedelta(hours=16), "state": state,
                "convened_dt": convened, "convened_by_id": self.admin_id if convened else None,
                "session_opened_dt": starts if state == "closed" else None,
                "closed_dt": starts + dt.timedelta(hours=3) if state == "closed" else None,
                "created_by_id": self.admin_id, "created_dt": created, "modified_dt": created,
            })
            self.assembly_scope[assembly_id] = scope
            self.assembly_state[assembly_id] = state
            for b in scope:
                scopes.append({"assembly_id": assembly_id, "branch_id": b})
            for position in range(1, rng.randint(3, 7) + 1):
                item_id += 1
                item_kind = "information" if position == 1 else rng.choice(["discussion", "resolution", "resolution"])
                resolution = item_kind == "resolution"
                statute = resolution and kind == "extraordinary" and rng.random() < 0.5
                items.append({
                    "id": item_id, "assembly_id": assembly_id, "position": position, "kind": item_kind,
                    "titles": {code: names.title(rng, code, rng.randint(3, 7)) for code in languages},
                    "texts": {code: names.paragraph(rng, code, 2) for code in languages},
                    "original_language": original,
                    "resolution_kind": ("statute_change" if statute else "ordinary") if resolution else None,
                    "resolution_texts": {code: names.paragraph(rng, code, 1) for code in languages}
                    if resolution else {},
                    "current_texts": {code: names.paragraph(rng, code, 1) for code in languages} if statute else {},
                    "new_texts": {code: names.paragraph(rng, code, 1) for code in languages} if statute else {},
                    "majority": ("qualified:2/3" if statute else "simple") if resolution else None,
                    "quorum": ("share:1/2" if statute else "none") if resolution else None,
                    "authoritative_language": original if resolution else None,
                    "created_dt": created, "modified_dt": created,
                })
            on_roll = [m for b in scope for m in self.active_by_branch[b]]
            staff = rng.sample(on_roll, min(3, len(on_roll)))
            for role, member_id in zip(("chair", "secretary", "teller"), staff):
                roles.append({"assembly_id": assembly_id, "role": role, "member_id": member_id,
                              "created_by_id": self.admin_id, "created_dt": created})
            if state == "draft" or not on_roll:
                continue
            registered = rng.sample(on_roll, max(1, min(len(on_roll), round(len(on_roll) * 0.04))))
            holders: list[int] = []
            when = (convened or created) + dt.timedelta(days=1)
            for member_id in registered:
                mode = rng.choices(["in_person", "online", "proxy"], [5, 3, 1])[0]
                if mode == "proxy" and holders:
                    holder = holders.pop(rng.randrange(len(holders)))
                    proxies.append({"assembly_id": assembly_id, "grantor_id": member_id, "holder_id": holder,
                                    "created_by_id": self.account_of.get(member_id), "created_dt": when})
                elif mode == "proxy":
                    mode = "in_person"
                if mode != "proxy":
                    holders.append(member_id)
                    if state == "closed" and rng.random() < 0.85:
                        checkins.append({"assembly_id": assembly_id, "member_id": member_id,
                                         "mode": "room" if mode == "in_person" else "online",
                                         "checked_in_dt": starts - dt.timedelta(minutes=rng.randint(0, 45)),
                                         "checked_in_by_id": self.secretary_id})
                registrations.append({"assembly_id": assembly_id, "member_id": member_id, "mode": mode,
                                      "created_by_id": self.account_of.get(member_id), "created_dt": when,
                                      "modified_dt": when})
        bulk(Assembly, rows)
        bulk(assembly_branches, scopes)
        bulk(AgendaItem, items)
        bulk(AssemblyRole, roles)
        bulk(Registration, registrations)
        bulk(Proxy, proxies)
        bulk(CheckIn, checkins)


# --- database set-up -------------------------------------------------------------------------------
def _make_app(database_url: str):
    from governance import create_app
    from governance.config import normalise_database_url

    return create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
                       "RATELIMIT_STORAGE_URI": "memory://"})


def _is_sqlite(database_url: str) -> bool:
    return database_url.startswith("sqlite")


def _fast_sqlite(engine) -> None:
    """Settings for the generating connection only: the data can be generated again, so no fsync."""
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA cache_size=-200000")
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    engine.dispose()


def _fix_sequences() -> None:
    """PostgreSQL: the rows were given their ids, so move each table's id sequence past them."""
    from governance.extensions import db

    for table in db.metadata.sorted_tables:
        column = table.c.get("id")
        if column is None or not column.primary_key or column.type.python_type is not int:
            continue
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"))


def table_counts() -> dict[str, int]:
    from sqlalchemy import inspect

    from governance.extensions import db

    existing = set(inspect(db.session.connection()).get_table_names())
    return {table.name: db.session.execute(select(func.count()).select_from(table)).scalar_one()
            for table in db.metadata.sorted_tables if table.name in existing}


def _existing(database_url: str, scale: float, seed: int, manifest_path: Path) -> dict | None:
    """The manifest, when it describes this database at this scale and seed and the data is there."""
    if not manifest_path.exists():
        return None
    try:
        manifest = json.loads(manifest_path.read_text())
    except ValueError:
        return None
    if manifest.get("scale") != scale or manifest.get("seed") != seed:
        return None
    from governance.extensions import db
    from governance.members.models import Member

    app = _make_app(database_url)
    with app.app_context():
        try:
            members = db.session.execute(select(func.count()).select_from(Member)).scalar_one()
        except Exception:  # no schema
            return None
        finally:
            db.session.remove()
            db.engine.dispose()
    return manifest if members == manifest.get("counts", {}).get("members") else None


# --- the entry point -------------------------------------------------------------------------------
def generate(database_url: str, scale: float, seed: int = 1, manifest_path: Path | None = None,
             *, if_missing: bool = False) -> dict:
    """Fill the (empty) database at ``database_url`` and write the manifest; returns the manifest."""
    import flask_migrate

    from governance.extensions import db

    manifest_path = Path(manifest_path) if manifest_path else default_manifest_path(database_url, scale)
    if if_missing:
        found = _existing(database_url, scale, seed, manifest_path)
        if found is not None:
            print(f"[generate] {manifest_path} and its data exist: nothing to do", file=sys.stderr)
            return found
    timer = Timer()
    started = time.perf_counter()
    app = _make_app(database_url)
    with app.app_context():
        with timer.phase("schema"):
            flask_migrate.upgrade(directory=str(MIGRATIONS))
        if _is_sqlite(database_url):
            _fast_sqlite(db.engine)
        from governance.members.models import Branch

        if db.session.execute(select(func.count()).select_from(Branch)).scalar_one():
            raise SystemExit(f"{database_url} already holds data: generate into an empty database")
        now = dt.datetime.now(dt.timezone.utc).replace(minute=0, second=0, microsecond=0)
        gen = Generator(scale, seed, now)
        with timer.phase("members"):
            gen.branches()
            gen.members()
            db.session.commit()
        with timer.phase("accounts"):
            gen.accounts()
            db.session.commit()
        with timer.phase("workgroups"):
            gen.workgroups()
            db.session.commit()
        with timer.phase("proposals"):
            gen.proposals()
            db.session.commit()
        with timer.phase("comments"):
            gen.comments()
            db.session.commit()
        with timer.phase("ballots"):
            gen.ballots()
            db.session.commit()
        with timer.phase("open_ballot"):
            open_id = gen.open_ballot()
            db.session.commit()
        with timer.phase("assemblies"):
            gen.assemblies()
            db.session.commit()
        if not _is_sqlite(database_url):
            _fix_sequences()
            db.session.commit()
        with timer.phase("reindex"):
            from governance.search.indexing import reindex_all

            reindex_all()
            db.session.commit()
        with timer.phase("analyze"):
            db.session.remove()
            # fresh planner statistics; on PostgreSQL also the visibility map (index-only scans) and the dead row
            # versions the ballot boxes' rewrite at close left behind
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("ANALYZE" if _is_sqlite(database_url) else "VACUUM ANALYZE")
        manifest = _manifest(gen, database_url, scale, seed, open_id)
        manifest["counts"] = table_counts()
        db.session.remove()
        db.engine.dispose()
    timer.timings["total"] = round(time.perf_counter() - started, 2)
    manifest["timings"] = timer.timings
    manifest_path.parent.mkdir(parents=True, exist_ok=True)
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    print(f"[generate] manifest: {manifest_path}", file=sys.stderr)
    return manifest


def _manifest(gen: Generator, database_url: str, scale: float, seed: int, open_id: int) -> dict[str, Any]:
    from governance.extensions import db
    from governance.proposals.models import Proposal
    from governance.votes.models import Ballot, Participation, RollEntry

    rng = random.Random(seed + 1)
    # members with accounts (all active), for page browsing; every one of them is in the scope of assembly 1
    browsing = rng.sample(gen.account_members, min(50, len(gen.account_members)))
    workgroup_id = db.session.execute(
        select(Proposal.workgroup_id).group_by(Proposal.workgroup_id)
        .order_by(func.count().desc(), Proposal.workgroup_id).limit(1)).scalar_one()
    proposal_id = max(gen.comment_counts, key=lambda p: (gen.comment_counts[p], -p))
    closed = db.session.execute(
        select(Ballot.id).join(Participation, Participation.ballot_id == Ballot.id)
        .where(Ballot.state == "closed", Ballot.is_secret.is_(True), Ballot.result_visibility == "everyone",
               Ballot.electorate_kind == "register")
        .group_by(Ballot.id).order_by(func.count().desc(), Ballot.id).limit(1)).scalar_one_or_none() or 1
    voters = sorted(gen.account_of[m] for m in db.session.execute(
        select(RollEntry.member_id).where(RollEntry.ballot_id == open_id)).scalars())
    rng.shuffle(voters)
    # the most common surname written in ASCII (SQLite's lower() folds ASCII letters only), minus its last letter
    surname = next(name for name, _n in gen.last_names.most_common() if name.isascii() and len(name) >= 4)
    return {
        "database_url": database_url, "scale": scale, "seed": seed, "password": PASSWORD,
        "admin_email": ADMIN_EMAIL, "secretary_email": SECRETARY_EMAIL,
        "member_emails": [gen.member_email[m] for m in browsing],
        "member_account_ids": [gen.account_of[m] for m in browsing],
        "workgroup_id": workgroup_id, "proposal_id": proposal_id,
        "proposal_comments": gen.comment_counts[proposal_id],
        "ballot_open_id": open_id, "voter_account_ids": voters, "ballot_closed_id": closed,
        # the cooperative's assembly: every member's branch is in its scope
        "assembly_id": 1, "register_query": surname[:-1].lower() if len(surname) > 4 else surname.lower(),
        "generated_at": gen.now.isoformat(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fill a database with a realistic cooperative for benchmarks.")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--manifest", type=Path, default=None)
    parser.add_argument("--if-missing", action="store_true",
                        help="do nothing when the manifest exists and the database holds its data")
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be positive")
    manifest = generate(args.database_url, args.scale, args.seed, args.manifest, if_missing=args.if_missing)
    print(json.dumps({"counts": manifest["counts"], "timings": manifest["timings"]}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
