"""securities module: bonds and equities as bank assets, with coupons, redemption and calls paid by the chain."""
