"""Secrets handed to people: emailed single-use tokens, TOTP codes and recovery codes.

Only hashes of tokens and recovery codes are stored. Nothing here touches the database; the
operations do. Nothing here logs a secret, and callers must not either.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets

import pyotp

#: an emailed token carries 256 bits from the operating system's CSPRNG
TOKEN_BYTES = 32
#: a password-reset link works this long, once
RESET_LIFETIME = dt.timedelta(hours=1)
#: an invitation to create one's account, sent by the secretariat, works this long, once
INVITE_LIFETIME = dt.timedelta(days=14)
#: a link asked for on the claim form works this long, once
CLAIM_LIFETIME = dt.timedelta(hours=48)
#: RFC 6238 defaults, which every authenticator app uses
TOTP_STEP_SECONDS = 30
TOTP_DIGITS = 6
#: codes of the previous and the next time step are accepted too (clock drift)
TOTP_WINDOW = 1
RECOVERY_CODE_COUNT = 10
#: no 0/o, 1/l/i: easy to copy from paper; 16 characters ≈ 79 bits
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 16

_TOTP_CODE = re.compile(rf"\d{{{TOTP_DIGITS}}}")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_secret(value: str) -> str:
    """Hex SHA-256; enough for values with at least 79 bits of randomness (no password goes here)."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


# --- TOTP ------------------------------------------------------------------------------------------
def new_totp_secret() -> str:
    """160 random bits, base32, as RFC 4226 recommends."""
    return pyotp.random_base32(32)


def totp_uri(secret: str, *, account_name: str, issuer: str) -> str:
    """The otpauth:// URI an authenticator app reads (typed in or pasted; no QR service involved)."""
    return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=issuer)


def group_secret(secret: str) -> str:
    """``ABCD EFGH …``: easier to type from the screen."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def time_step(now: dt.datetime) -> int:
    return int(now.timestamp()) // TOTP_STEP_SECONDS


def normalise_code(code: str | None) -> str:
    """Spaces and hyphens removed, lower case: ``123 456`` and ``ABCD-EFGH-…`` as typed or pasted."""
    return re.sub(r"[\s-]+", "", code or "").lower()


def looks_like_totp(code: str) -> bool:
    return bool(_TOTP_CODE.fullmatch(code))


def matching_totp_step(secret: str, code: str, *, now: dt.datetime, after_step: int | None = None) -> int | None:
    """The time step (within ±TOTP_WINDOW of now) whose code is ``code``, if later than ``after_step``."""
    if not secret or not looks_like_totp(code):
        return None
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP_SECONDS)
    current = time_step(now)
    found = None
    for step in range(current - TOTP_WINDOW, current + TOTP_WINDOW + 1):
        if after_step is not None and step <= after_step:
            continue
        # compare every candidate, so the time taken does not depend on which one matched
        if hmac.compare_digest(totp.generate_otp(step), code) and found is None:
            found = step
    return found


# --- recovery codes --------------------------------------------------------------------------------
def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    """Random codes shown once, as ``abcd-efgh-jkmn-pqrs``."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append("-".join(raw[i:i + 4] for i in range(0, _RECOVERY_LENGTH, 4)))
    return codes


def hash_recovery_code(code: str) -> str:
    return hash_secret("recovery:" + normalise_code(code))
