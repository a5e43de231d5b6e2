"""Libraries beside the chain: verifiable credentials, receipts, anchoring, data-rights client."""
