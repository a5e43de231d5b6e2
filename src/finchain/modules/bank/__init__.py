"""bank module."""
