"""Error codes of the settlement module (codespace ``settlement``).

Every refusal leaves the state as it was. A malformed field (a string where an
amount belongs, an unknown field) fails with ``tx:6`` like in every module; the
codes below are the rules of settlement, stateless and stateful alike.
"""

from finchain.errors import register

CODESPACE = "settlement"

ErrUnknownInstruction = register(CODESPACE, 2, "no settlement instruction has this id")
ErrNotParty = register(CODESPACE, 3, "the signer is not a party to the instruction")
ErrBadLeg = register(CODESPACE, 4, "a leg is invalid (zero amount, or sender equals recipient)")
ErrUnknownAsset = register(CODESPACE, 5, "a leg names an asset that does not exist")
ErrTooManyLegs = register(CODESPACE, 6, "an instruction holds at most 16 legs")
ErrKindMismatch = register(
    CODESPACE, 7, "the declared kind (dvp/pvp/dvd/fop) disagrees with the legs"
)
ErrMissingEndorsement = register(CODESPACE, 8, "an account paying on a leg has not endorsed")
ErrBadEndorsement = register(
    CODESPACE, 9, "an endorsement does not satisfy its account's key policy"
)
ErrUnexpectedEndorsement = register(
    CODESPACE, 10, "an endorsement by an account that pays on no leg, by the submitter, or twice"
)
ErrExpired = register(CODESPACE, 11, "the instruction's deadline has passed")
ErrReferenceUsed = register(CODESPACE, 12, "the reference is already used by this account")
ErrNotCancellable = register(
    CODESPACE, 13, "the instruction is settled, cancelled, expired or failed"
)
ErrMismatch = register(CODESPACE, 14, "the counterparty's side does not match this instruction")
ErrBadSchedule = register(CODESPACE, 15, "invalid settlement date or deadline")
ErrBadLots = register(CODESPACE, 16, "invalid lots or minimum lots for partial settlement")
ErrNotBilateral = register(
    CODESPACE, 17, "a matched instruction has exactly two parties, the signer and the counterparty"
)
ErrCancelRequested = register(CODESPACE, 18, "the signer has already asked to cancel")
ErrBadGenesis = register(CODESPACE, 19, "invalid settlement genesis")
ErrWrongSubmitter = register(
    CODESPACE, 20, "the transaction's account is not the submitter the instruction names"
)
ErrDeadlineTooFar = register(
    CODESPACE, 21, "the deadline is further after submission than the settlement window allows"
)
ErrTooManyOpen = register(
    CODESPACE, 22, "an authorising account already has the most open instructions allowed"
)
ErrUnknownParty = register(CODESPACE, 23, "a leg names an account that does not exist or is closed")
