"""ASVS V2.4.1 (row 28): anti-automation on costly or spammy functions, counted per account (a general assembly's
venue shares one address). Signing in: tests/accounts/test_sign_in.py (per address and account), the second
factor: tests/accounts/test_totp.py, votes: tests/votes/test_views_casting.py::test_casting_is_rate_limited_per_account,
personal-data exports: tests/accounts/test_export.py::test_exports_are_rate_limited_per_account."""
from __future__ import annotations


from tests.security.conftest import sign_in_as

def _statuses(client, url, data_for, times):
    return [client.post(url, data=data_for(n)).status_code for n in range(times)]


def test_thirty_comments_in_a_row_are_throttled(client, world):
    sign_in_as(client, world.commenter)
    url = f"/workgroups/{world.workgroup.slug}/proposals/{world.proposal.id}/comments"
    statuses = _statuses(client, url, lambda n: {"body": f"Comment number {n}"}, 30)
    assert 429 in statuses, statuses


def test_mass_proposal_creation_is_throttled(client, world):
    sign_in_as(client, world.commenter)
    url = f"/workgroups/{world.workgroup.slug}/proposals/new"
    statuses = _statuses(client, url, lambda n: {"title_en": f"Proposal {n}", "body_en": "Text.",
                                                 "original_language": "en"}, 30)
    assert 429 in statuses, statuses


def test_data_exports_are_throttled_per_account_not_per_address(client, world):
    sign_in_as(client, world.commenter)
    statuses = _statuses(client, "/account/export", lambda n: {}, 6)
    assert statuses == [200] * 5 + [429]
    sign_in_as(client, world.other)  # the same address, another account
    assert client.post("/account/export").status_code == 200


def test_ballot_downloads_and_receipt_checks_are_throttled(client, app, world, monkeypatch):
    monkeypatch.setitem(app.config, "BALLOT_EXPORT_RATE_LIMIT", "3 per hour")
    sign_in_as(client, world.commenter)
    url = f"/ballots/{world.closed_ballot.id}/download/results.csv"
    assert [client.get(url).status_code for _ in range(4)] == [200, 200, 200, 429]
