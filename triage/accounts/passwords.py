"""Password hashing with Argon2id (the OWASP recommendation), via argon2-cffi.

Passwords are chosen by people and guessable, so they get a deliberately slow, salted,
memory-hard hash; API keys are random 256-bit tokens and get a fast one (triage.tenants).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2-cffi's defaults (RFC 9106's second recommendation: t=3, m=64 MiB, p=4).
_HASHER = PasswordHasher()
MIN_PASSWORD_CHARS = 12
# Verified when the user name is unknown, so that a wrong name takes as long as a wrong
# password and the answer time does not tell which names exist.
_DUMMY_HASH = _HASHER.hash("no such user: a password nobody has")


class WeakPasswordError(ValueError):
    pass


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise WeakPasswordError(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    hashed: str = _HASHER.hash(password)
    return hashed


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    weaker: bool = _HASHER.check_needs_rehash(password_hash)
    return weaker
