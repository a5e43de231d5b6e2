"""governance module."""
