"""The benchmark data generator (benchmarks/generate.py) at a tiny scale: consistent data, same seed same data,
``--if-missing`` skips, and the manifest's promises hold. On SQLite always, and on PostgreSQL when DATABASE_URL
points at one (a scratch database ``<name>_bench`` is created and dropped)."""
from __future__ import annotations

import datetime as dt
import json
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import aliased

from benchmarks.generate import PASSWORD, _make_app, generate, main
from governance.extensions import db

SCALE = 0.002
SEED = 7


@contextmanager
def opened(url: str):
    app = _make_app(url)
    with app.app_context():
        try:
            yield db.session
        finally:
            db.session.remove()
            db.engine.dispose()


def aggregates(url: str) -> dict:
    """A few figures that differ as soon as the generated data does."""
    from governance.members.models import Member
    from governance.proposals.models import Comment
    from governance.votes.models import Ballot, BoxEntry, OpenVote, Participation

    with opened(url) as session:
        figures = {
            "members": session.execute(select(Member.status, func.count(), func.sum(Member.shares))
                                       .group_by(Member.status).order_by(Member.status)).all(),
            "names": session.execute(select(func.count(func.distinct(Member.last_name)))).scalar_one(),
            "comments": session.execute(select(Comment.proposal_id, func.count(), func.max(Comment.depth))
                                        .group_by(Comment.proposal_id).order_by(Comment.proposal_id)).all(),
            "participations": session.execute(select(Participation.ballot_id, func.sum(Participation.member_id))
                                              .group_by(Participation.ballot_id).order_by(Participation.ballot_id)
                                              ).all(),
            "box": session.execute(select(BoxEntry.ballot_id, BoxEntry.choice_key, func.count())
                                   .group_by(BoxEntry.ballot_id, BoxEntry.choice_key)
                                   .order_by(BoxEntry.ballot_id, BoxEntry.choice_key)).all(),
            "open_votes": session.execute(select(OpenVote.ballot_id, OpenVote.choice_key, func.count())
                                          .group_by(OpenVote.ballot_id, OpenVote.choice_key)
                                          .order_by(OpenVote.ballot_id, OpenVote.choice_key)).all(),
            "winners": [(b.id, b.result["choices"]) for b in session.execute(
                select(Ballot).where(Ballot.state == "closed").order_by(Ballot.id)).scalars()],
        }
    return {key: [tuple(row) for row in value] if isinstance(value, list) else value
            for key, value in figures.items()}


def check_consistency(url: str, manifest: dict) -> None:
    from governance.accounts.models import Account
    from governance.assemblies.models import Assembly
    from governance.members.models import Member, MemberStatusChange
    from governance.proposals.models import Comment, Proposal
    from governance.search.models import SearchEntry
    from governance.votes.models import Ballot, BoxEntry, OpenVote, Participation, Receipt, RollEntry

    def count(model, *where) -> int:
        return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()

    with opened(url) as session:
        counts = manifest["counts"]
        assert counts["members"] == count(Member) == round(100_000 * SCALE)
        assert counts["proposal_comments"] == count(Comment) == round(500_000 * SCALE)
        assert count(MemberStatusChange) >= count(Member)
        # every ballot: one participation per member, each on the roll; secret: as many papers and receipts
        closed = list(session.execute(select(Ballot).where(Ballot.state == "closed")).scalars())
        assert {b.method for b in closed} == {"yna", "plurality", "approval", "irv", "stv", "schulze"}
        assert {b.is_secret for b in closed} == {True, False}
        for ballot in closed:
            participations = count(Participation, Participation.ballot_id == ballot.id)
            assert participations > 0
            assert session.execute(select(func.count(func.distinct(Participation.member_id))).where(
                Participation.ballot_id == ballot.id)).scalar_one() == participations
            assert count(RollEntry, RollEntry.ballot_id == ballot.id) == ballot.roll_size >= participations
            if ballot.is_secret:
                assert count(BoxEntry, BoxEntry.ballot_id == ballot.id) == participations
                assert count(Receipt, Receipt.ballot_id == ballot.id) == participations
                assert count(BoxEntry, BoxEntry.ballot_id == ballot.id, BoxEntry.branch_id.is_not(None)) == 0
            else:
                assert count(OpenVote, OpenVote.ballot_id == ballot.id) == participations
            assert ballot.result["participations"] == participations == ballot.result["ballots"]
            assert ballot.result["hashes"]["roll"] == ballot.roll_hash
        # comments: replies belong to their parent's proposal and thread
        parent = aliased(Comment)
        assert session.execute(select(func.count()).select_from(Comment).join(parent, Comment.parent_id == parent.id)
                               .where((Comment.proposal_id != parent.proposal_id)
                                      | (Comment.depth != parent.depth + 1))).scalar_one() == 0
        top = aliased(Comment)
        assert session.execute(select(func.count()).select_from(Comment).join(top, Comment.thread_id == top.id)
                               .where((Comment.proposal_id != top.proposal_id) | (top.depth != 1))).scalar_one() == 0
        # the manifest's promises
        assert manifest["password"] == PASSWORD
        staff = {a.email: {r.role for r in a.roles} for a in session.execute(select(Account).where(
            Account.email.in_([manifest["admin_email"], manifest["secretary_email"]]))).scalars()}
        assert staff == {manifest["admin_email"]: {"admin"}, manifest["secretary_email"]: {"secretary"}}
        browsing = list(session.execute(select(Account).where(Account.email.in_(manifest["member_emails"])))
                        .scalars())
        assert len(browsing) == len(manifest["member_emails"]) == min(50, count(Account) - 2)
        assert sorted(a.id for a in browsing) == sorted(manifest["member_account_ids"])
        assert all(a.member_id is not None and a.member.status == "active" for a in browsing)
        assert count(Proposal, Proposal.workgroup_id == manifest["workgroup_id"]) == session.execute(
            select(func.count()).select_from(Proposal).group_by(Proposal.workgroup_id)
            .order_by(func.count().desc()).limit(1)).scalar_one()
        assert count(Comment, Comment.proposal_id == manifest["proposal_id"]) >= 500
        open_ballot = session.get(Ballot, manifest["ballot_open_id"])
        assert (open_ballot.state, open_ballot.method, open_ballot.is_secret) == ("open", "yna", True)
        assert count(Participation, Participation.ballot_id == open_ballot.id) == 0
        holders = set(session.execute(select(Account.id).where(Account.member_id.is_not(None))).scalars())
        assert len(manifest["voter_account_ids"]) == len(holders) == open_ballot.roll_size
        assert set(manifest["voter_account_ids"]) == holders
        closed_ballot = session.get(Ballot, manifest["ballot_closed_id"])
        assert closed_ballot.has_result and closed_ballot.result_visibility == "everyone"
        assembly = session.get(Assembly, manifest["assembly_id"])
        member = browsing[0].member
        assert not assembly.is_draft and member.branch_id in assembly.branch_ids
        assert count(Member, func.lower(Member.last_name).contains(manifest["register_query"])) >= 2
        assert count(SearchEntry) >= count(Proposal)
        assert set(manifest["timings"]) >= {"members", "comments", "ballots", "reindex", "total"}


@pytest.fixture(scope="module")
def sqlite_runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench")
    urls = [f"sqlite:///{folder / f'run{n}.db'}" for n in (1, 2)]
    manifests = [generate(url, SCALE, SEED, folder / f"manifest{n}.json") for n, url in enumerate(urls, 1)]
    return folder, urls, manifests


def test_generated_data_is_consistent(sqlite_runs):
    _folder, urls, manifests = sqlite_runs
    check_consistency(urls[0], manifests[0])
    assert json.loads(Path(_folder / "manifest1.json").read_text())["counts"] == manifests[0]["counts"]


def test_same_seed_same_data(sqlite_runs):
    _folder, urls, manifests = sqlite_runs
    assert aggregates(urls[0]) == aggregates(urls[1])
    keep = {"member_emails", "workgroup_id", "proposal_id", "ballot_open_id", "voter_account_ids",
            "ballot_closed_id", "assembly_id", "register_query", "counts"}
    first, second = ({k: v for k, v in m.items() if k in keep} for m in manifests)
    assert first == second


def test_if_missing_skips(sqlite_runs, capsys):
    folder, urls, manifests = sqlite_runs
    manifest_path = folder / "manifest1.json"
    before = manifest_path.read_text()
    assert main(["--database-url", urls[0], "--scale", str(SCALE), "--seed", str(SEED),
                 "--manifest", str(manifest_path), "--if-missing"]) == 0
    assert manifest_path.read_text() == before
    assert "nothing to do" in capsys.readouterr().err
    # without --if-missing, a database holding data is refused rather than filled twice
    with pytest.raises(SystemExit):
        generate(urls[0], SCALE, SEED, folder / "other.json")


def test_on_postgresql(database_url, tmp_path):
    url = make_url(database_url)
    if not url.drivername.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    name = f"{url.database}_bench"
    admin_engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        bench_url = url.set(database=name).render_as_string(hide_password=False)
        manifest = generate(bench_url, SCALE, SEED, tmp_path / "manifest.json")
        check_consistency(bench_url, manifest)
        # the id sequences were moved past the generated rows: the application can insert again
        from governance.members.models import Member

        with opened(bench_url) as session:
            session.add(Member(number="NEW-1", branch_id=1, first_name="New", last_name="Member", language="nl",
                               joined_on=dt.date(2026, 1, 1), status="applicant"))
            session.flush()
            session.rollback()
    finally:
        with admin_engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()

