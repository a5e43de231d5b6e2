"""identity module: the on-chain registry of ``did:finchain`` DIDs (docs/did-method.md)."""
