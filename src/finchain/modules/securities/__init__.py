"""securities module: bonds and equities as bank assets; the chain pays coupons and redemptions."""
