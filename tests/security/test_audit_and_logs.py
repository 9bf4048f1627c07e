"""ASVS V16.3.1 / V16.3.2 / V16.2.1 (row 29), V16.2.5 / V16.4.1 (row 30) and V16.4.2 (row 31).

- Through the pages: a failed and a successful sign-in, a role given and taken, a ballot opened (its roll frozen)
  and closed each leave one audit entry with who (actor), what (event, object), when (UTC) and, for the account
  events, from where (address); a refused request (403) is logged with the account, the route and the address.
- Logs, captured at DEBUG (SQL statements included, as an operator turning SQL logging on would get them) while
  someone signs in, resets a password, casts a secret vote and the ballot is closed, hold no password, reset token,
  session cookie, receipt code or secret choice; neither does the audit log.
- The audit chain finds an edited or deleted entry: tests/core/test_audit.py (edit, delete, rewritten chain and the
  ``flask governance audit verify`` command), and on a backup copy: tests/security/test_backup.py.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import re

import pytest
from sqlalchemy import select

from tests.conftest import TEST_PASSWORD
from tests.security.conftest import page_text, sign_in_as


def entries(db, event: str, object_id=None):
    from governance.core.audit import AuditEntry

    query = select(AuditEntry).where(AuditEntry.event == event).order_by(AuditEntry.seq)
    if object_id is not None:
        query = query.where(AuditEntry.object_id == str(object_id))
    return list(db.session.execute(query).scalars())


def _fresh(entry, since: dt.datetime) -> bool:
    created = entry.created_dt
    return created.tzinfo is not None and created.utcoffset() == dt.timedelta(0) and created >= since


def test_authentication_roles_and_ballot_lifecycle_are_audited(client, db, world):
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
    author = world.author
    address = {"REMOTE_ADDR": "203.0.113.7"}
    assert client.post("/account/sign-in", data={"email": author.email, "password": "wrong password!"},
                       environ_base=address).status_code == 401
    assert client.post("/account/sign-in", data={"email": author.email, "password": TEST_PASSWORD},
                       environ_base=address).status_code == 302
    [failed] = entries(db, "account.sign_in_failed", author.id)
    [signed_in] = entries(db, "account.signed_in", author.id)
    for entry in (failed, signed_in):
        assert _fresh(entry, since) and entry.object_type == "accounts" and entry.data["address"] == "203.0.113.7"
    assert signed_in.actor_id == author.id and signed_in.data["method"] == "password"

    sign_in_as(client, world.admin)
    assert client.post(f"/account/roles/{author.id}/grant", data={"role": "board_member", "branch": "BE"}
                       ).status_code == 303
    [granted] = entries(db, "role.granted", author.id)
    assert granted.actor_id == world.admin.id and granted.data == {"role": "board_member", "branch": "BE"}
    db.session.expire_all()
    assignment = next(a for a in world.author.roles if a.role == "board_member")
    assert client.post(f"/account/roles/{author.id}/revoke", data={"assignment": assignment.id}).status_code == 303
    [revoked] = entries(db, "role.revoked", author.id)
    assert revoked.actor_id == world.admin.id and _fresh(revoked, since)

    assert client.post(f"/ballots/{world.draft_ballot.id}/open").status_code == 303
    [opened] = entries(db, "ballot.opened", world.draft_ballot.id)
    assert opened.actor_id == world.admin.id and _fresh(opened, since)
    assert opened.data["roll_size"] > 0 and re.fullmatch(r"[0-9a-f]{64}", opened.data["roll_hash"])
    assert client.post(f"/ballots/{world.draft_ballot.id}/close").status_code == 303
    [closed] = entries(db, "ballot.closed", world.draft_ballot.id)
    assert closed.actor_id == world.admin.id and closed.seq > opened.seq
    assert {"participation_hash", "ballot_list_hash", "roll_hash"} <= set(closed.data)


def test_a_refused_request_is_logged_with_who_what_and_where(client, world, caplog):
    sign_in_as(client, world.commenter)
    with caplog.at_level(logging.WARNING, logger="governance.security"):
        assert client.get(f"/register/members/{world.be_entry.id}",
                          environ_base={"REMOTE_ADDR": "198.51.100.4"}).status_code == 403
    [record] = [r for r in caplog.records if r.name == "governance.security"]
    message = record.getMessage()
    assert "access refused (403)" in message and "/register/members/<int:member_id>" in message
    assert f"account {world.commenter.id}" in message and "198.51.100.4" in message


@pytest.fixture
def sql_logging(app):
    """The SQL statements logged too (set before the test's database connection is made)."""
    logger = logging.getLogger("sqlalchemy.engine")
    level = logger.level
    logger.setLevel(logging.INFO)
    yield
    logger.setLevel(level)


def test_no_secret_or_ballot_choice_in_logs_or_audit(sql_logging, client, db, world, outbox, caplog):
    from governance.core.audit import AuditEntry

    caplog.set_level(logging.DEBUG)
    secrets_seen: dict[str, str] = {"password": TEST_PASSWORD}
    # a sign-in, a reset asked for and used
    sign_in_as(client, world.author)
    secrets_seen["session cookie"] = client.get_cookie("governance_session").value
    client.post("/account/sign-out")
    assert client.post("/account/password/forgot", data={"email": world.author.email}).status_code == 303
    token = re.search(r"/account/password/reset/([\w-]+)", outbox(world.author.email)[-1].body_text).group(1)
    secrets_seen["reset token"] = token
    secrets_seen["new password"] = "a completely new passphrase 2026"
    assert client.post(f"/account/password/reset/{token}", data={
        "new_password": secrets_seen["new password"], "confirm_password": secrets_seen["new password"]}
    ).status_code == 303
    # a secret vote, then the close
    sign_in_as(client, world.commenter)
    response = client.post(f"/ballots/{world.ballot.id}/vote/confirm", data={"vote": "abstain", "confirm": "1"})
    assert response.status_code == 200
    receipt = re.search(r'class="receipt-code"><code>([0-9A-Z]+)</code>', page_text(response)).group(1)
    secrets_seen["receipt"] = receipt
    secrets_seen["voter session cookie"] = client.get_cookie("governance_session").value
    sign_in_as(client, world.admin)
    assert client.post(f"/ballots/{world.ballot.id}/close").status_code == 303

    logged = caplog.text
    assert "INSERT INTO ballot_box" in logged  # the SQL statements were captured …
    audit = json.dumps([e.data for e in db.session.execute(select(AuditEntry)).scalars()])
    for name, value in secrets_seen.items():
        assert value not in logged, f"the {name} is in the logs"
        assert value not in audit, f"the {name} is in the audit log"
    # … without their values: no secret choice (the only "abstain" of the run) anywhere
    assert "abstain" not in logged.lower() and "abstain" not in audit
    assert "[SQL parameters hidden due to hide_parameters=True]" in logged
