"""The application's own state, beside the modules': chain identity, parameters, module versions.

Kept under the ``app/`` store key, which the composition root reserves: no
module's store key may overlap it. ``META_SUITE`` is node metadata outside the
authenticated state (the suite decides how the state itself is hashed).
"""

from __future__ import annotations

from typing import Any

from finchain.codec import decode, encode
from finchain.core.collections import CborValue, Item, StoreKey
from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.core.params import ChainParams

__all__ = ["APP_STORE", "CHAIN", "META_SUITE", "PARAMS", "VERSIONS", "ChainParamsKeeper"]

APP_STORE = StoreKey("app", b"app/")
CHAIN: Item[dict[str, Any]] = Item(APP_STORE, b"chain", CborValue())
"""``{chain_id, suite, genesis_hash, genesis_time_ns}``, written once at InitChain."""
VERSIONS: Item[dict[str, int]] = Item(APP_STORE, b"versions", CborValue())
"""Each module's consensus version: what its stored state is laid out for."""
META_SUITE = b"app-meta/suite"


class _ParamsValue:
    def encode(self, value: ChainParams) -> bytes:
        return encode(value.to_obj())

    def decode(self, raw: bytes) -> ChainParams:
        return ChainParams.from_obj(decode(raw, max_size=1 << 20))


PARAMS: Item[ChainParams] = Item(APP_STORE, b"params", _ParamsValue())


class ChainParamsKeeper:
    """The chain parameters in state, the one door through which governance changes them.

    The application reads them at start and reloads them at the commit of a
    block that wrote them, so a change applies from the next block on.
    """

    def chain_params(self, reader: KVReader) -> ChainParams:
        return PARAMS.get(reader) or ChainParams()

    def set_chain_params(self, ctx: Context, params: ChainParams) -> None:
        PARAMS.set(ctx, params)
