"""Error codes of a CometBFT-backed node (codespace ``cometbft``).

The mempool's own refusals (full, duplicate, too large) keep the ``mempool``
codes the solo engine uses, so a client matches them the same on either engine.
"""

from finchain.errors import internal, register

ErrInternal = internal("cometbft")
ErrEngineUnavailable = register(
    "cometbft", 2, "the node's CometBFT is unreachable or failed the request; retry later"
)
ErrRefused = register("cometbft", 3, "CometBFT refused the transaction before CheckTx")
