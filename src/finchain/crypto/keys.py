"""The scheme-independent key types.

A :class:`PublicKey` is a value (scheme + canonical bytes) that carries the
parsed form its scheme needs to verify quickly: building one validates the
encoding and does all per-key work once (for SM2 that includes the Z value),
so verifying with it does no parsing. Build one with
``public_key_from_bytes``; the constructor is internal.

A :class:`PrivateKey` never shows its secret: not in ``repr``, not in ``str``,
not through pickling. ``secret_bytes()`` is the one door, meant for the keystore.
"""

from __future__ import annotations

import hmac
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, NoReturn

Verifier = Callable[[bytes, bytes], bool]
"""``verify(message, signature) -> bool``; returns False, never raises."""


@dataclass(frozen=True, slots=True)
class PublicKey:
    """A validated public key of one scheme.

    Equal and hashable by ``(scheme, data)``; ``data`` is the canonical
    encoding (ed25519: 32 bytes; sm2: 65 bytes ``04||X||Y``; secp256k1:
    33 bytes compressed), so one key has exactly one byte form.

    Example::

        key = public_key_from_bytes("sm2", data)
        if key.verify(message, signature): ...
    """

    scheme: str
    data: bytes
    _verify: Verifier = field(repr=False, compare=False)

    def verify(self, message: bytes, signature: bytes) -> bool:
        """True iff ``signature`` is a valid signature of ``message`` by this key.

        Any malformed input (wrong length, out-of-range values) gives False,
        and so does any argument that is not ``bytes``: accepting bytearray
        or memoryview in some schemes but not others would make validity
        depend on how a caller sliced its buffer. This never raises.
        """
        if not (isinstance(message, bytes) and isinstance(signature, bytes)):
            return False
        return self._verify(message, signature)

    def __repr__(self) -> str:
        return f"PublicKey({self.scheme}:{self.data.hex()})"

    def __reduce__(self) -> tuple[Any, ...]:
        # The verifier is a bound method of a parsed key; re-parse on unpickle.
        from finchain.crypto.schemes import public_key_from_bytes

        return (public_key_from_bytes, (self.scheme, self.data))


class PrivateKey(ABC):
    """A signing key; one subclass per scheme.

    Example::

        key = generate_private_key("sm2")
        signature = key.sign(message)
        assert key.public_key().verify(message, signature)
    """

    __slots__ = ("_public",)

    scheme: ClassVar[str]

    def __init__(self, public: PublicKey) -> None:
        self._public = public

    def public_key(self) -> PublicKey:
        """The matching public key (computed once, when the key was built)."""
        return self._public

    @abstractmethod
    def sign(self, message: bytes) -> bytes:
        """Sign ``message`` (the scheme hashes it; pass the raw message)."""

    @abstractmethod
    def secret_bytes(self) -> bytes:
        """The raw 32-byte secret. For the keystore only: never log or send it."""

    def __repr__(self) -> str:
        public = self._public.data.hex()
        return f"{type(self).__name__}(scheme={self.scheme!r}, public_key={public})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PrivateKey):
            return NotImplemented
        return self.scheme == other.scheme and hmac.compare_digest(
            self.secret_bytes(), other.secret_bytes()
        )

    def __hash__(self) -> int:
        return hash(("PrivateKey", self._public))

    # A pickled key is an unencrypted key on disk or on a wire; refuse it.
    # Keys are immutable, so copies can share the object.
    def __reduce__(self) -> NoReturn:
        raise TypeError(
            f"a {self.scheme} private key cannot be pickled: store it with "
            "finchain.crypto.Keystore, or pass the public key"
        )

    def __copy__(self) -> PrivateKey:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> PrivateKey:
        return self


def describe(value: object) -> str:
    """Say what was received instead of a byte string, without echoing it.

    Error messages about keys use this: the value may be a secret.
    """
    if isinstance(value, bytes | bytearray | memoryview):
        return f"{len(value)} bytes"
    return f"a {type(value).__name__}"
