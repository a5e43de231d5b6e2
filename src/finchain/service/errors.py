"""Error codes a running node answers with, whatever its engine (codespace ``node``).

Codes 2-4 of the same codespace belong to node assembly (``finchain.node.errors``).
"""

from finchain.errors import register

ErrShuttingDown = register("node", 5, "node is shutting down")
ErrNotFound = register("node", 6, "not found")
ErrHalted = register("node", 7, "block production halted")
