"""Python SDK: builders, signing (the HTTP client arrives with the node)."""
