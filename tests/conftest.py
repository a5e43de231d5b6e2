"""Settings for the whole suite: every random choice a test makes is reproducible.

Hypothesis runs derandomized (its examples come from a fixed seed derived from each
test), so `make test` draws the same cases on every machine and a failure reproduces
by running the test again; ``HYPOTHESIS_PROFILE=explore`` draws fresh cases, for a
developer hunting for new ones. Tests that draw their own randomness take a seed
from the ``seed`` fixture (functional tests), print it, and honour
``FINCHAIN_TEST_SEED``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", derandomize=True, print_blob=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
