"""escrow module: conditional payments (hash lock, time lock, M-of-N approval, evidence)."""
