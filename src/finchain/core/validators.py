"""What the application and the engine exchange about validators (ABCI's shapes)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Misbehavior", "ValidatorUpdate"]


@dataclass(frozen=True, slots=True)
class ValidatorUpdate:
    scheme: str
    public_key: bytes
    power: int


@dataclass(frozen=True, slots=True)
class Misbehavior:
    """Validator misbehaviour the engine proved (ABCI ``Misbehavior``), reported in a block.

    ``kind`` is ``duplicate_vote`` or ``light_client_attack``; ``validator`` is the
    validator's 20-byte address as CometBFT gives it (first 20 bytes of SHA-256 of
    its public key); ``power`` its power then; ``height`` and ``time_ns`` when it
    misbehaved. The governance module records it as evidence and jails the validator.
    """

    kind: str
    validator: bytes
    power: int
    height: int
    time_ns: int
    total_voting_power: int
