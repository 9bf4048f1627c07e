"""ASVS V6.2.1 / V6.2.8 / V6.2.9 (row 2), V6.2.4 / V6.2.12 (row 3), V11.4.2 / V11.5.1 (row 32) and 4.0.3 V8.3.2
(row 33), where the account tests leave something out (see README.md for the rows they cover).

- Passwords are checked exactly as typed: 64 and 128 characters work; the same password with its last character
  changed or upper-cased does not; 7 characters are refused.
- A common password with digits added (``password1234567``) is refused on each form that sets a password:
  the invitation, the reset and the change (the offline list is short: SECURITY.md, "ASVS exceptions").
- Secrets come from the operating system's CSPRNG: no ``random`` module in the code that makes tokens, codes,
  receipts or the lot's seed.
- The personal-data export lists the ballots one took part in, never a choice or a receipt.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import TEST_PASSWORD
from tests.security.conftest import page_text, sign_in_as

ROOT = Path(__file__).resolve().parents[2]


def _reset(client, db, outbox, account, password):
    from governance.accounts import operations as ops

    ops.request_password_reset(account.email, address=None)
    db.session.commit()
    token = re.search(r"/account/password/reset/([\w-]+)", outbox(account.email)[-1].body_text).group(1)
    return client.post(f"/account/password/reset/{token}", data={"new_password": password,
                                                                 "confirm_password": password})


@pytest.mark.parametrize("length", [64, 128])
def test_long_passwords_work_and_are_checked_exactly_as_typed(client, db, world, outbox, length):
    password = ("Correct horse battery staple " * 6)[:length - 1] + "z"
    assert _reset(client, db, outbox, world.author, password).status_code == 303
    for wrong in (password[:-1] + "y", password[:-1] + "Z", password[:-1], password + " ", " " + password):
        response = client.post("/account/sign-in", data={"email": world.author.email, "password": wrong})
        assert response.status_code == 401, repr(wrong[-3:])
    sign_in_as(client, world.author, password)


def test_seven_characters_are_too_few(client, db, world, outbox):
    response = _reset(client, db, outbox, world.author, "seven77")
    assert response.status_code == 422 and "at least 8 characters" in page_text(response)


def test_a_common_password_with_digits_is_refused_wherever_a_password_is_set(client, db, world, outbox):
    from governance.accounts import operations as ops

    common = "password1234567"
    response = _reset(client, db, outbox, world.author, common)
    assert response.status_code == 422 and "too common" in page_text(response)
    sign_in_as(client, world.author)
    response = client.post("/account/password", data={"current_password": TEST_PASSWORD, "new_password": common,
                                                       "confirm_password": common})
    assert response.status_code == 422 and "too common" in page_text(response)
    client.post("/account/sign-out")
    ops.invite_member(world.be_uninvited, actor=None)
    db.session.commit()
    token = re.search(r"/account/invitation/([\w-]+)", outbox(world.be_uninvited.email)[-1].body_text).group(1)
    response = client.post(f"/account/invitation/{token}", data={"display_name": "New", "language": "en",
                                                                 "new_password": common, "confirm_password": common})
    assert response.status_code == 422 and "too common" in page_text(response)


def test_secrets_come_from_the_csprng():
    """Tokens (accounts), TOTP secrets and recovery codes, receipts and lot seeds (votes): ``secrets``, never
    ``random`` (the demo data may use ``random``: it makes no secret)."""
    offenders = []
    for path in sorted((ROOT / "governance").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.endswith("demo.py") or "/migrations/" in rel:
            continue
        source = path.read_text(encoding="utf-8")
        if re.search(r"^\s*(import random\b|from random import)", source, re.M) or re.search(r"\brandom\.\w+\(",
                                                                                                source):
            offenders.append(rel)
    assert not offenders, offenders
    from governance.accounts import tokens

    assert tokens.TOKEN_BYTES * 8 >= 128 and len(tokens.new_token()) >= 43


def test_the_password_hash_is_argon2id(db, world):
    from governance.accounts.models import Account

    stored = db.session.execute(select(Account.password_hash).where(Account.id == world.author.id)).scalar_one()
    assert stored.startswith("$argon2id$")


def test_the_export_lists_ballots_taken_part_in_without_choice_or_receipt(client, db, world):
    sign_in_as(client, world.commenter)
    response = client.post(f"/ballots/{world.ballot.id}/vote/confirm", data={"vote": "abstain", "confirm": "1"})
    receipt = re.search(r'class="receipt-code"><code>([0-9A-Z]+)</code>', page_text(response)).group(1)
    export = client.post("/account/export").get_json()
    assert receipt not in str(export) and "abstain" not in str(export)
    participation = export["ballot_participation"]
    assert len(participation) == 1 and str(world.ballot.id) in json.dumps(participation)


def test_production_can_require_a_second_factor_of_boards_too(monkeypatch, tmp_path):
    """V6.3.3: members sign in with a password (SECURITY.md, "ASVS exceptions"); an operator can require the second
    factor of board members and facilitators too, never less than of administrators and secretaries."""
    from governance import create_app
    from governance.accounts.permissions import totp_required_roles
    from governance.config import ConfigError

    monkeypatch.setenv("GOVERNANCE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("GOVERNANCE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.setenv("TOTP_REQUIRED_ROLES", "board_member")
    app = create_app()
    with app.app_context():
        assert totp_required_roles() == {"admin", "secretary", "board_member"}
    monkeypatch.setenv("TOTP_REQUIRED_ROLES", "admin,chair")
    with pytest.raises(ConfigError, match="chair"):
        create_app()


def test_the_configuration_knows_every_role():
    from governance import config
    from governance.accounts.models import Role

    assert config._ROLES == {role.value for role in Role}
