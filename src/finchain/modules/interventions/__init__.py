"""Regulatory interventions under m-of-n officer control (JR/T 0184 17.3)."""
