"""Validator sets and the rule that commits a block: more than 2/3 of the voting power.

A trusted validator set is a list of :class:`Validator` (address, signature
scheme, public key, voting power). A block is committed when validators of
that set holding more than 2/3 of its total power signed it
(``3 × signed > 2 × total``), each validator counted at most once.
:class:`Quorum` counts the votes of one block; the CometBFT commit check
(:mod:`finchain.light.cometbft`) and the offline receipt verifier use it.

**The signature hook.** Checking an Ed25519 or SM2 signature is the one thing
here the standard library cannot do, so every check that needs it takes the
verifier as a parameter, a :data:`SignatureVerifier`:
``verify(scheme, public_key, message, signature) -> bool``, which must return
False (never raise) for anything malformed. Pass
``finchain.crypto.verify_signature`` for the node's own rules (ZIP 215 Ed25519
and SM2 through ``finchain_native``), as the SDK and the engines do, or any
other implementation: the offline receipt verifier passes PyNaCl and
gmssl-pyx (``finchain.offchain.receipts.primitives.verify_signature``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Quorum", "SignatureVerifier", "Validator", "validator_address"]

SignatureVerifier = Callable[[str, bytes, bytes, bytes], bool]
"""``verify(scheme, public_key, message, signature) -> bool``; never raises."""


def validator_address(public_key: bytes) -> bytes:
    """A validator's address: the first 20 bytes of SHA-256 of its public key (CometBFT's)."""
    return hashlib.sha256(public_key).digest()[:20]


@dataclass(frozen=True, slots=True)
class Validator:
    """One member of a validator set; ``address`` is ``validator_address(public_key)``."""

    address: bytes
    scheme: str
    public_key: bytes
    power: int

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address.hex(),
            "scheme": self.scheme,
            "public_key": self.public_key.hex(),
            "power": self.power,
        }


class Quorum:
    """The votes for one block, counted against a trusted set.

    Example (the caller walks its own signature list, so it words its own reasons)::

        quorum = Quorum(trusted, verify_signature)
        for address, message, signature in votes:
            validator = quorum.signer(address)
            if validator is None:
                return "unknown or repeated validator"
            if not quorum.add(validator, message, signature):
                return "a signature does not verify"
        return "" if quorum.reached else "not more than 2/3 of the power"
    """

    def __init__(self, validators: Sequence[Validator], verify: SignatureVerifier) -> None:
        self._by_address = {v.address: v for v in validators}
        self._verify = verify
        self.total = sum(v.power for v in validators)
        self.signed = 0  # power of the validators whose counted votes verified
        self.counted = 0  # how many such validators
        self.seen: set[bytes] = set()  # every validator that signed, counted or not

    def signer(self, address: bytes) -> Validator | None:
        """The trusted validator casting a vote from ``address``; None if it is not in the
        set or has already voted (the vote must then be refused)."""
        validator = self._by_address.get(address)
        if validator is None or address in self.seen:
            return None
        self.seen.add(address)
        return validator

    def add(
        self, validator: Validator, message: bytes, signature: bytes, *, counts: bool = True
    ) -> bool:
        """Check ``validator``'s signature of ``message``; False if it does not verify.

        ``counts``: a vote for the block (its power counts); a nil vote is checked
        all the same but adds nothing.
        """
        if not self._verify(validator.scheme, validator.public_key, message, signature):
            return False
        if counts:
            self.signed += validator.power
            self.counted += 1
        return True

    @property
    def reached(self) -> bool:
        """True iff the counted votes hold more than 2/3 of the set's power."""
        return 3 * self.signed > 2 * self.total
