"""Password hashing for staff accounts: argon2id through pwdlib (a maintained library), never our own.

``verify`` also tells when a stored hash should be upgraded (pwdlib's recommended parameters changed).
"""

from __future__ import annotations

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

_HASHER = PasswordHash((Argon2Hasher(),))

#: A dummy hash checked when the account does not exist, so a login for an unknown id takes as long as one
#: for a known id (no account enumeration by timing).
_DUMMY = _HASHER.hash("casework-no-such-account")

MIN_LENGTH = 10


class WeakPassword(ValueError):
    """A password too short or too plain to be set."""


def check_strength(password: str) -> None:
    """Refuse passwords shorter than ``MIN_LENGTH`` or made of one kind of character only.

    Raises:
        WeakPassword: with the reason (in Chinese: the operator sees it).
    """
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"密码至少 {MIN_LENGTH} 位")
    if password.isdigit() or password.isalpha():
        raise WeakPassword("密码须同时包含字母和数字（或符号）")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password: str, stored: str | None) -> tuple[bool, str | None]:
    """Check ``password`` against ``stored`` (None: no account; a dummy hash is checked instead).

    Returns:
        (matches, a new hash to store when the stored one should be upgraded, else None).
    """
    if stored is None:
        _HASHER.verify(password, _DUMMY)
        return False, None
    return _HASHER.verify_and_update(password, stored)
