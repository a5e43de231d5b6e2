"""Chain parameters: limits fixed in genesis and kept in state (governance may change them)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from finchain.core.errors import ErrBadGenesis


@dataclass(frozen=True, slots=True)
class ChainParams:
    max_tx_bytes: int = 64 * 1024
    max_msgs_per_tx: int = 32
    max_sigs_per_tx: int = 16
    max_memo_bytes: int = 256
    max_tx_cost: int = 2_000_000
    max_block_bytes: int = 16 * 1024 * 1024
    max_keys_per_account: int = 16
    reset_lock_blocks: int = 100

    def to_obj(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_obj(cls, obj: Any) -> ChainParams:
        if not isinstance(obj, dict):
            raise ErrBadGenesis("params must be a map")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(obj) - known)
        if unknown:
            raise ErrBadGenesis(f"unknown params {unknown}; allowed: {sorted(known)}")
        for name, value in obj.items():
            if type(value) is not int or value < 1:
                raise ErrBadGenesis(f"param {name} must be a positive integer, got {value!r}")
        params = cls(**obj)
        if params.max_tx_bytes > params.max_block_bytes:
            raise ErrBadGenesis("max_tx_bytes must not exceed max_block_bytes")
        return params
