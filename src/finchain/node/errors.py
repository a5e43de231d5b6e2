"""Error codes of node assembly: home directory and configuration (codespace ``node``)."""

from finchain.errors import register

ErrConfig = register("node", 2, "invalid node configuration")
ErrHome = register("node", 3, "invalid or missing node home directory")
ErrValidatorKey = register("node", 4, "validator key unavailable")
ErrShuttingDown = register("node", 5, "node is shutting down")
ErrNotFound = register("node", 6, "not found")
ErrHalted = register("node", 7, "block production halted")
