"""Error codes of the governance module (codespace ``gov``)."""

from finchain.core.errors import ErrGovernanceOnly as ErrGovernanceOnly
from finchain.core.errors import ErrNotGoverned as ErrNotGoverned
from finchain.errors import register

ErrNotMember = register("gov", 2, "signer is not a governance member")
ErrProposalNotFound = register("gov", 3, "proposal not found")
ErrVotingClosed = register("gov", 4, "proposal is not in its voting period")
ErrMemberExists = register("gov", 5, "account is already a member")
ErrMemberNotFound = register("gov", 6, "account is not a member")
ErrMemberAccount = register("gov", 7, "member account does not exist or is not active")
ErrLastMember = register("gov", 8, "change would leave governance without members")
ErrValidatorExists = register("gov", 9, "validator already in the set")
ErrValidatorNotFound = register("gov", 10, "validator not in the set")
ErrValidatorJailed = register("gov", 11, "validator is jailed")
ErrValidatorNotJailed = register("gov", 12, "validator is not jailed")
ErrInvalidValidator = register("gov", 13, "invalid validator")
ErrNoValidatorSet = register("gov", 14, "this chain has no on-chain validator set")
ErrMinValidators = register("gov", 15, "fewer active validators than min_validators")
ErrPowerChangeTooLarge = register("gov", 16, "proposal changes more than 1/3 of voting power")
ErrInvalidParam = register("gov", 17, "invalid parameter change")
ErrBadGenesis = register("gov", 18, "invalid governance genesis")
# gov:19 ErrNotGoverned and gov:20 ErrGovernanceOnly are registered by finchain.core.errors.
ErrMemberCloses = register("gov", 21, "a member's account cannot close")
