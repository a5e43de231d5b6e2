"""Error codes of the securities module (codespace ``securities``; code 1 is reserved)."""

from finchain.errors import register

ErrBadIsin = register("securities", 2, "malformed ISIN or wrong check digit (ISO 6166)")
ErrSecurityExists = register("securities", 3, "a security with that ISIN already exists")
ErrUnknownSecurity = register("securities", 4, "no security with that ISIN")
ErrUnknownDayCount = register("securities", 5, "unknown day-count convention")
ErrBadDate = register("securities", 6, "not a calendar date YYYY-MM-DD")
ErrScheduleNotIncreasing = register("securities", 7, "coupon dates must strictly increase")
ErrBadRecordDate = register("securities", 8, "record date not before its payment date")
ErrMaturityBeforeIssue = register("securities", 9, "maturity is not after the issue date")
ErrRateOutOfRange = register("securities", 10, "coupon rate outside 0..10,000 basis points")
ErrNotIssuer = register("securities", 11, "only the issuer may do this")
ErrCallAfterMaturity = register("securities", 12, "call date not before maturity")
ErrCallTooLate = register("securities", 13, "call announced too late or already past")
ErrNotActive = register("securities", 14, "the security is no longer active")
ErrScheduleInPast = register("securities", 15, "a record date of the schedule has passed")
ErrUnknownCashAsset = register("securities", 16, "the cash asset does not exist")
ErrUnknownAccount = register("securities", 17, "the account does not exist or is closed")
ErrBadTerms = register("securities", 18, "terms inconsistent with the kind of security")
ErrUnknownPayment = register("securities", 19, "no payment of that index")
ErrBadGenesis = register("securities", 20, "invalid securities genesis")
ErrCallBeforeStart = register(
    "securities", 21, "call date not after the issue date or the last payment date"
)
ErrDateOutOfRange = register("securities", 22, "date before 1970-01-01 or after 2200-12-31")
