"""Atomic settlement of multi-leg instructions (DvP, PvP, DvD, free of payment)."""
