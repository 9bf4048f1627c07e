"""Password hashing (Argon2id, memory-hard) and password rules."""
from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask_babel import lazy_gettext as _l

_hasher = PasswordHasher()  # Argon2id with the library's current recommended parameters
#: verified against when no account matches, so timing does not tell which emails exist
_DUMMY_HASH = _hasher.hash("not a real password, only here for timing")

MIN_LENGTH = 8
MAX_LENGTH = 1024

# The most common passwords and their obvious variants; refused whatever their length.
COMMON_PASSWORDS = frozenset(
    """
    12345678 123456789 1234567890 password password1 password12 password123 passw0rd qwertyuiop
    qwertyui qwerty123 azertyuiop azerty123 qwertz123 iloveyou sunshine princess football baseball
    welcome1 welcome123 abcd1234 abc12345 11111111 00000000 12341234 87654321 letmein1 trustno1
    superman starwars dragon123 monkey123 computer internet whatever michelle jennifer
    wachtwoord wachtwoord1 motdepasse motdepasse1 passwort passwort1 geheim123 bonjour1 soleil123
    hallo123 cooperative cooperatie cooperation genossenschaft changeme changeme1 administrator
    """.split()
)

#: words that stay guessable whatever digits or signs follow them ("password1234567", "welcome!!")
COMMON_STEMS = frozenset(
    """
    password passwort wachtwoord motdepasse qwerty azerty qwertz welcome letmein admin administrator
    iloveyou monkey dragon sunshine princess football baseball superman starwars changeme trustno
    hallo bonjour soleil geheim cooperative cooperatie cooperation genossenschaft
    """.split()
)
_TRAILING_DIGITS_AND_SIGNS = re.compile(r"[\d\W_]+$")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        _safe_verify(_DUMMY_HASH, password)
        return False
    return _safe_verify(password_hash, password)


def _safe_verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password: str, *, email: str | None = None):
    """The reason a password is refused, or None. Long passphrases are welcome."""
    if len(password) < MIN_LENGTH:
        return _l("Your password must be at least %(n)d characters long.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _l("Your password must be at most %(n)d characters long.", n=MAX_LENGTH)
    lowered = password.lower()
    stem = _TRAILING_DIGITS_AND_SIGNS.sub("", lowered)
    if lowered in COMMON_PASSWORDS or stem in COMMON_PASSWORDS or stem in COMMON_STEMS or len(set(lowered)) <= 2:
        return _l("This password is too common. Please choose another one; a sentence of several words works well.")
    if email and lowered in {email.lower(), email.split("@")[0].lower()}:
        return _l("Your password cannot be your email address.")
    return None
