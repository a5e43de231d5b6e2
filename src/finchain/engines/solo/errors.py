"""Error codes of the solo engine's mempool (codespace ``mempool``)."""

from finchain.errors import register

ErrMempoolFull = register("mempool", 2, "mempool is full")
ErrDuplicateTx = register("mempool", 3, "transaction is already in the mempool")
ErrTxTooLarge = register("mempool", 4, "transaction larger than the mempool accepts")
