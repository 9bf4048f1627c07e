"""Fan-out: a proposal opening in a workgroup with thousands of followers writes one notification each in
a fixed number of queries, and the digest of thousands of accounts too."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, insert, select

from governance.accounts.models import Account
from governance.core.db_types import utcnow
from governance.members.models import Member
from governance.notifications.digest import send_digests
from governance.notifications.models import Notification
from governance.proposals import operations as ops
from governance.proposals.models import ProposalState
from governance.workgroups.models import WorkgroupFollow


def add_followers(db, workgroup, branch, count: int, *, prefix: str, frequency: str = "weekly") -> list[int]:
    """``count`` register members of ``branch`` with accounts following ``workgroup`` (bulk inserts)."""
    now = utcnow()
    db.session.execute(insert(Member), [
        {"number": f"{prefix}-{n}", "branch_id": branch.id, "first_name": "Fan", "last_name": f"{prefix} {n}",
         "email": f"{prefix}.{n}@example.org", "language": "en", "status": "active",
         "joined_on": dt.date(2020, 1, 1)} for n in range(count)])
    member_ids = db.session.execute(select(Member.id).where(Member.number.like(f"{prefix}-%"))).scalars().all()
    db.session.execute(insert(Account), [
        {"email": f"{prefix}.{n}@example.org", "display_name": f"Fan {n}", "member_id": member_id,
         "digest_frequency": frequency, "created_dt": now} for n, member_id in enumerate(member_ids)])
    account_ids = db.session.execute(select(Account.id).where(Account.member_id.in_(member_ids))).scalars().all()
    db.session.execute(insert(WorkgroupFollow), [
        {"workgroup_id": workgroup.id, "account_id": account_id, "created_dt": now} for account_id in account_ids])
    return list(account_ids)


def notified(db, proposal_id: int) -> int:
    return db.session.execute(select(func.count()).select_from(Notification).where(
        Notification.data["proposal_id"].as_integer() == proposal_id)).scalar_one()


def test_two_thousand_followers_in_a_fixed_number_of_queries(db, group, write, fr, count_queries, mship):
    add_followers(db, group.workgroup, group.workgroup.branches[0], 20, prefix="few")
    add_followers(db, group.workgroup, fr, 15, prefix="away")  # followers outside the branch: never notified
    author_membership = mship(group.workgroup, group.author)

    def open_one(title: str) -> tuple[int, int]:
        proposal = write(group, titles={"en": title})
        with count_queries() as counter:
            ops.change_state(proposal, ProposalState.discussion, actor=group.author, membership=author_membership)
        return counter.count, notified(db, proposal.id)

    few_queries, few = open_one("For a few")
    assert few == 20
    add_followers(db, group.workgroup, group.workgroup.branches[0], 1980, prefix="many")
    many_queries, many = open_one("For many")
    assert many == 2000
    assert many_queries == few_queries <= 12  # the state change, its audit entry, and one INSERT … SELECT


def test_the_digest_of_many_accounts_takes_few_queries_per_chunk(db, group, write, count_queries):
    ids = add_followers(db, group.workgroup, group.workgroup.branches[0], 1200, prefix="dig", frequency="daily")
    write(group, state="discussion")
    with count_queries() as counter:
        report = send_digests("daily", utcnow() + dt.timedelta(minutes=1))
    assert report.emails == 1200 and report.notifications == 1200
    # per chunk of 500 accounts: keys taken, accounts, notifications, outbox keys, outbox insert, update
    assert counter.count <= 2 + 3 * 10
    assert db.session.execute(select(func.count()).select_from(Notification).where(
        Notification.account_id.in_(ids), Notification.digested_dt.is_(None))).scalar_one() == 0
