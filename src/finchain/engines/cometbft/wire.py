"""The generated ABCI protobuf module, loaded from the build directory on first use.

The types are generated at build time (never committed), so they are imported
dynamically: the build directory joins ``sys.path`` only when the adapter
starts, and a missing or stale build says which make target fixes it. Values of
generated classes are typed ``Any`` on our side; the wire tests pin their shape.
"""

from __future__ import annotations

import importlib
import sys
from functools import cache
from types import ModuleType

from finchain.engines.cometbft.toolchain import (
    COMETBFT_VERSION,
    ToolchainError,
    abci_gen_dir,
    abci_gen_stamp,
)


@cache
def abci_types() -> ModuleType:
    """``tendermint.abci.types_pb2`` of the pinned CometBFT version."""
    root = abci_gen_dir()
    if not abci_gen_stamp(root).is_file():
        raise ToolchainError(
            f"no ABCI types for cometbft {COMETBFT_VERSION} in {root}: run `make abci-gen`"
        )
    if str(root) not in sys.path:
        sys.path.append(str(root))
    return importlib.import_module("tendermint.abci.types_pb2")


@cache
def decode_error() -> type[Exception]:
    """The exception protobuf raises on bytes that are not a valid message."""
    error: type[Exception] = importlib.import_module("google.protobuf.message").DecodeError
    return error
