"""Password hashing with argon2id at OWASP's minimum parameters (m=19 MiB, t=2, p=1)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _

MIN_LENGTH = 8
MAX_LENGTH = 128

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None. Length only: no composition rules."""
    if len(password) < MIN_LENGTH:
        return _("Use at least %(min)d characters.", min=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("Use at most %(max)d characters.", max=MAX_LENGTH)
    if is_common(password):
        return _("That password is one of the most common ones; choose another.")
    return None


# Passwords that top every leaked-password list; refusing them costs a real user nothing.
COMMON_PASSWORDS = frozenset(
    """
    123456 123456789 12345678 password qwerty123 qwerty1 111111 12345 secret 123123 1234567890
    1234567 000000 qwerty abc123 password1 iloveyou 11111111 dragon monkey 123321 654321 666666
    121212 7777777 1q2w3e4r 1qaz2wsx 1q2w3e4r5t qwertyuiop 987654321 mynoob 123qwe 18atcskd2w
    3rjs1la7qe google zxcvbnm 1q2w3e password123 welcome welcome1 admin admin123 administrator
    letmein letmein1 football baseball sunshine princess starwars whatever trustno1 passw0rd
    p@ssw0rd p@ssword master master123 shadow superman batman michael jennifer jordan23 hunter2
    charlie donald freedom killer hello123 login loveme ninja azerty solo access flower hottie
    qazwsx asdfghjkl asdfgh zaq12wsx 1234qwer qwer1234 q1w2e3r4 changeme changeme123 default
    test1234 testtest computer internet samsung iphone chocolate butterfly cookie summer2024
    winter2024 spring2024 autumn2024 summer2025 winter2025 password2024 password2025 blog123
    goodnews goodnews123 12341234 11223344 1234512345 aaaaaaaa abcdefgh abcd1234 abc12345
    """.split()
)


def is_common(password: str) -> bool:
    return password.lower() in COMMON_PASSWORDS


# Stored for authors who came from an import (WordPress, JSON): no argon2 hash looks like this,
# so nobody signs in as them until `flask set-password` gives them a password.
NO_PASSWORD = "!no-password: set one with flask set-password"  # noqa: S105 - not a password
