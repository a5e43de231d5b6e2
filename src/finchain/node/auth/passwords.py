"""Password hashing with scrypt: memory-hard, salted, parameters stored with each hash.

A stolen ``users.json`` must not give the passwords away: scrypt makes every
guess cost ``128 * n * r`` bytes of memory (128 MiB at the default n=2^17,
r=8, OWASP's recommendation), which defeats GPU and ASIC guessing farms. The
parameters live next to each hash, so raising the default later leaves
existing hashes verifiable; ``finchain users passwd`` re-hashes with the new
one. Stored parameters are bounded on read, so an altered file cannot make
the node allocate gigabytes per login.
"""

from __future__ import annotations

import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from finchain.node.auth.errors import ErrAuthStore, ErrInvalidPassword

SALT_BYTES = 16
HASH_BYTES = 32
MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024
MAX_N = 2**20
MAX_MEMORY = 1024**3


@dataclass(frozen=True, slots=True)
class KdfParams:
    """scrypt's cost: ``n`` (a power of two), ``r`` (block size), ``p`` (parallelism).

    The default is for production. Tests pass a tiny ``n`` explicitly (for
    example ``KdfParams(n=2**4)`` or ``finchain users add --scrypt-n 16``).
    """

    n: int = 2**17
    r: int = 8
    p: int = 1

    def __post_init__(self) -> None:
        for name, value, high in (("n", self.n, MAX_N), ("r", self.r, 32), ("p", self.p, 16)):
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
                raise ValueError(f"scrypt {name} must be an integer in [1, {high}], got {value!r}")
        if self.n < 2 or self.n & (self.n - 1):
            raise ValueError(f"scrypt n must be a power of two >= 2, got {self.n}")
        if 128 * self.n * self.r > MAX_MEMORY:
            raise ValueError("scrypt n * r asks for more than 1 GiB of memory")


@dataclass(frozen=True, slots=True)
class PasswordHash:
    params: KdfParams
    salt: bytes
    digest: bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "kdf": "scrypt",
            "n": self.params.n,
            "r": self.params.r,
            "p": self.params.p,
            "salt": self.salt.hex(),
            "hash": self.digest.hex(),
        }

    @classmethod
    def from_json(cls, obj: Any, *, where: str) -> PasswordHash:
        """Parse a stored hash; ErrAuthStore names ``where`` on anything unexpected."""
        fields = {"kdf", "n", "r", "p", "salt", "hash"}
        if not isinstance(obj, dict) or set(obj) != fields or obj["kdf"] != "scrypt":
            raise ErrAuthStore(f"{where}: password must be {{kdf: scrypt, {', '.join(fields)}}}")
        try:
            params = KdfParams(n=obj["n"], r=obj["r"], p=obj["p"])
            salt, digest = bytes.fromhex(obj["salt"]), bytes.fromhex(obj["hash"])
        except (ValueError, TypeError) as exc:
            raise ErrAuthStore(f"{where}: password parameters: {exc}") from None
        if len(salt) != SALT_BYTES or len(digest) != HASH_BYTES:
            raise ErrAuthStore(f"{where}: salt must be {SALT_BYTES} bytes, hash {HASH_BYTES}")
        return cls(params, salt, digest)


def check_policy(password: str) -> None:
    """Refuse a new password that is too short or too long (ErrInvalidPassword says which)."""
    length = len(_normalize(password))
    if length < MIN_PASSWORD_CHARS:
        raise ErrInvalidPassword(
            f"the password has {length} characters; use at least {MIN_PASSWORD_CHARS} "
            "(a passphrase of several words is easiest to remember)"
        )
    if length > MAX_PASSWORD_CHARS:
        raise ErrInvalidPassword(f"the password is longer than {MAX_PASSWORD_CHARS} characters")


def hash_password(password: str, params: KdfParams) -> PasswordHash:
    salt = secrets.token_bytes(SALT_BYTES)
    return PasswordHash(params, salt, _derive(password, salt, params))


def verify_password(password: str, stored: PasswordHash) -> bool:
    """True if ``password`` matches; the comparison takes the same time wherever they differ."""
    return hmac.compare_digest(_derive(password, stored.salt, stored.params), stored.digest)


def dummy_hash(params: KdfParams) -> PasswordHash:
    """A hash no password matches, costing what a real one costs: for unknown usernames."""
    return PasswordHash(params, secrets.token_bytes(SALT_BYTES), secrets.token_bytes(HASH_BYTES))


def _normalize(password: str) -> str:
    # NFC: the same password typed on different systems must give the same hash.
    return unicodedata.normalize("NFC", password)


def _derive(password: str, salt: bytes, params: KdfParams) -> bytes:
    kdf = Scrypt(salt=salt, length=HASH_BYTES, n=params.n, r=params.r, p=params.p)
    return kdf.derive(_normalize(password).encode("utf-8"))
