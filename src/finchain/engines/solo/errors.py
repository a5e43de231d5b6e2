"""Error codes of the solo engine: its mempool (``mempool``) and its signing record (``solo``)."""

from finchain.errors import register

ErrMempoolFull = register("mempool", 2, "mempool is full")
ErrDuplicateTx = register("mempool", 3, "transaction is already in the mempool")
ErrTxTooLarge = register("mempool", 4, "transaction larger than the mempool accepts")

# The validator's signing record (codespace ``solo``): see finchain.engines.solo.signstate.
ErrSignState = register("solo", 2, "the validator's signing record forbids starting on this state")
ErrDoubleSign = register("solo", 3, "refused to sign a second block at a signed height")
