"""The CometBFT engine: an ABCI 2.0 server over the one finchain ``Application``.

CometBFT (pinned in ``toolchain``) does BFT consensus, p2p, mempool gossip and
block sync; this package adapts its requests to the Application (``adapter``),
serves them on a socket (``server``, ``serve``), runs one institution's node
(``run``) and a local N-validator network (``testnet``). See docs/cometbft.md.
"""

from finchain.engines.cometbft.adapter import AbciAdapter, MalformedRequest, Misbehavior
from finchain.engines.cometbft.config import ConsensusSettings
from finchain.engines.cometbft.framing import FrameDecoder, FrameError
from finchain.engines.cometbft.home import NodeHome
from finchain.engines.cometbft.rpc import CometRpc, QueryResult, RpcError
from finchain.engines.cometbft.server import AbciServer, CrashPoint
from finchain.engines.cometbft.toolchain import COMETBFT_VERSION, ToolchainError

__all__ = [
    "COMETBFT_VERSION",
    "AbciAdapter",
    "AbciServer",
    "CometRpc",
    "ConsensusSettings",
    "CrashPoint",
    "FrameDecoder",
    "FrameError",
    "MalformedRequest",
    "Misbehavior",
    "NodeHome",
    "QueryResult",
    "RpcError",
    "ToolchainError",
]
