"""credentials module."""
