"""Central-bank digital currency: two-tier issuance (issue 15, first step)."""
