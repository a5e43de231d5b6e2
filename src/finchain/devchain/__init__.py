"""Development chains: homes with demo accounts, the dev chain's demo setup (above the SDK)."""
