"""Build the pinned CometBFT: ``python -m finchain.engines.cometbft.build`` (``make cometbft``).

``go install`` into the shared cache (see ``toolchain``); a no-op when the
binary of the pinned version is already there, so a changed pin builds anew.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from finchain.engines.cometbft.toolchain import (
    COMETBFT_MODULE,
    COMETBFT_VERSION,
    ToolchainError,
    default_binary,
    go_env,
)


def build_cometbft() -> Path:
    """``go install`` the pinned CometBFT into the cache; a no-op when it is already there."""
    target = default_binary()
    if os.access(target, os.X_OK):
        return target
    go = shutil.which("go")
    if go is None:
        raise ToolchainError("`go` is not on PATH: install Go (1.22 or later) to build CometBFT")
    env = {**go_env(), "GOBIN": str(target.parent)}
    started = time.monotonic()
    subprocess.run(
        [go, "install", f"{COMETBFT_MODULE}/cmd/cometbft@{COMETBFT_VERSION}"], env=env, check=True
    )
    print(f"built cometbft {COMETBFT_VERSION} in {time.monotonic() - started:.0f}s: {target}")
    return target


if __name__ == "__main__":
    try:
        build_cometbft()
    except (ToolchainError, subprocess.CalledProcessError) as exc:
        sys.exit(f"cannot build cometbft: {exc}")
