"""Error codes of node assembly: home directory and configuration (codespace ``node``).

Codes 5-7 are what a running node answers with: ``finchain.service.errors``.
"""

from finchain.errors import register

ErrConfig = register("node", 2, "invalid node configuration")
ErrHome = register("node", 3, "invalid or missing node home directory")
ErrValidatorKey = register("node", 4, "validator key unavailable")
ErrListen = register("node", 8, "the API cannot listen on its address")
