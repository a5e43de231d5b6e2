"""Error codes of the aml module (codespace ``aml``).

Malformed messages fail with ``tx:6`` and malformed queries with ``tx:25``. The
codes below are the refusals that depend on what the chain holds; every refusal
leaves the state untouched.

Exception tree::

    FinchainError (finchain.errors)    .codespace == "aml", .code below
"""

from finchain.errors import register

CODESPACE = "aml"

ErrNotRegulator = register(CODESPACE, 2, "signer is not a registered regulator")
ErrBadVersion = register(CODESPACE, 3, "sanctions list version is not the one being built")
ErrNotPublisher = register(CODESPACE, 4, "another regulator is building this list version")
ErrEntryOrder = register(CODESPACE, 5, "list entries must be added in strictly increasing order")
ErrListTooLarge = register(CODESPACE, 6, "sanctions list would exceed its maximum size")
ErrSealMismatch = register(CODESPACE, 7, "sealed hash or count differs from the entries on chain")
ErrUnknownList = register(CODESPACE, 8, "no sanctions list of that version")
ErrUnknownInstitution = register(CODESPACE, 9, "institution DID is not registered and active")
ErrTravelExists = register(CODESPACE, 10, "this account already recorded this envelope hash")
ErrUnknownTravel = register(CODESPACE, 11, "no travel-rule record has this envelope hash")
ErrBadGenesis = register(CODESPACE, 12, "invalid aml genesis")
