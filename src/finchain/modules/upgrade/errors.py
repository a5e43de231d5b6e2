"""Error codes of the upgrade module (codespace ``upgrade``; 2-4 are the application's)."""

from finchain.errors import register

ErrInvalidPlan = register("upgrade", 5, "invalid upgrade plan")
ErrPlanConflict = register("upgrade", 6, "an upgrade is already scheduled")
ErrNoPlan = register("upgrade", 7, "no upgrade is scheduled")
ErrAlreadyApplied = register("upgrade", 8, "an upgrade of that name was applied before")
