"""The genesis validator set of a CometBFT network, as written in the finchain genesis.

Shape of each entry of ``Genesis.validators``::

    {"name": "bank-a", "pub_key": {"type": "ed25519", "value": "<base64, 32 bytes>"},
     "power": "10"}

``power`` is a decimal string (like CometBFT's own genesis) and ``name`` is the
institution's label. Only Ed25519 is accepted: it is the key type CometBFT
signs its votes with (see docs/cometbft.md on the ``gm`` suite).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from typing import Any

from finchain.app.abci import ValidatorUpdate
from finchain.core.errors import ErrBadGenesis

SCHEME = "ed25519"
COMETBFT_KEY_TYPE = "tendermint/PubKeyEd25519"
MAX_TOTAL_POWER = 2**60 // 8  # CometBFT's MaxTotalVotingPower
_FIELDS = {"name", "pub_key", "power"}
_POWER = re.compile(r"[1-9][0-9]{0,18}")


def parse_validators(entries: Sequence[Any]) -> tuple[ValidatorUpdate, ...]:
    """Validate the genesis validators and return them as updates, in genesis order."""
    if not entries:
        raise ErrBadGenesis("a CometBFT network needs at least one validator in genesis")
    updates = [_parse_entry(i, entry) for i, entry in enumerate(entries)]
    if len({u.public_key for u in updates}) != len(updates):
        raise ErrBadGenesis("genesis validators: the same public key appears twice")
    if sum(u.power for u in updates) > MAX_TOTAL_POWER:
        raise ErrBadGenesis(f"genesis validators: total power exceeds {MAX_TOTAL_POWER}")
    return tuple(updates)


def validator_entry(name: str, public_key: bytes, power: int) -> dict[str, Any]:
    """The genesis entry for one validator (the inverse of :func:`parse_validators`)."""
    return {
        "name": name,
        "pub_key": {"type": SCHEME, "value": base64.b64encode(public_key).decode()},
        "power": str(power),
    }


def address(public_key: bytes) -> bytes:
    """CometBFT's validator address: the first 20 bytes of SHA-256 of the Ed25519 key."""
    return hashlib.sha256(public_key).digest()[:20]


def _parse_entry(index: int, entry: Any) -> ValidatorUpdate:
    where = f"genesis validators[{index}]"
    if not isinstance(entry, dict) or set(entry) != _FIELDS:
        raise ErrBadGenesis(f"{where} must be an object with exactly {sorted(_FIELDS)}")
    if not isinstance(entry["name"], str) or not entry["name"]:
        raise ErrBadGenesis(f"{where}: name must be a non-empty string")
    key = entry["pub_key"]
    if not isinstance(key, dict) or set(key) != {"type", "value"} or key["type"] != SCHEME:
        raise ErrBadGenesis(f'{where}: pub_key must be {{"type": "{SCHEME}", "value": base64}}')
    try:
        public_key = base64.b64decode(key["value"], validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise ErrBadGenesis(f"{where}: pub_key.value is not base64") from None
    if len(public_key) != 32:
        raise ErrBadGenesis(f"{where}: an Ed25519 key has 32 bytes, got {len(public_key)}")
    power = entry["power"]
    if not isinstance(power, str) or not _POWER.fullmatch(power):
        raise ErrBadGenesis(f'{where}: power must be a decimal string like "10", got {power!r}')
    if int(power) > MAX_TOTAL_POWER:
        raise ErrBadGenesis(f"{where}: power must be between 1 and {MAX_TOTAL_POWER}")
    return ValidatorUpdate(SCHEME, public_key, int(power))
