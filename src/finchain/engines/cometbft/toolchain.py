"""The pinned CometBFT toolchain: where the binary and the generated ABCI types live.

Both are built by ``make`` (mk/cometbft.mk runs ``build`` and ``protogen``),
outside anything git tracks:

* the binary, the Go module cache and the Go build cache in a cache shared by
  every clone (``$FINCHAIN_CACHE_DIR``, default ``~/.cache/finchain``), so a new
  clone reuses them and a new pin gets its own directory;
* the Python protobuf modules in the clone's git-ignored ``build/abci_gen``.

The pin is spelled once, here; the make rules read it from this file.
"""

from __future__ import annotations

import os
from pathlib import Path

COMETBFT_VERSION = "v0.38.25"
COMETBFT_MODULE = "github.com/cometbft/cometbft"

_REPO_ROOT = Path(__file__).resolve().parents[4]


class ToolchainError(RuntimeError):
    """The CometBFT binary or the generated ABCI types are missing or stale."""


def cache_dir() -> Path:
    return Path(os.environ.get("FINCHAIN_CACHE_DIR") or Path.home() / ".cache" / "finchain")


def go_env() -> dict[str, str]:
    """The environment for ``go``: module and build caches under :func:`cache_dir`."""
    root = cache_dir()
    return {
        **os.environ,
        "GOPATH": str(root / "go"),
        "GOMODCACHE": str(root / "go" / "pkg" / "mod"),
        "GOCACHE": str(root / "go-build"),
    }


def default_binary() -> Path:
    return cache_dir() / f"cometbft-{COMETBFT_VERSION}" / "bin" / "cometbft"


def cometbft_binary() -> Path:
    """The pinned ``cometbft`` executable (``$FINCHAIN_COMETBFT`` overrides the cache path)."""
    override = os.environ.get("FINCHAIN_COMETBFT")
    path = Path(override) if override else default_binary()
    if not os.access(path, os.X_OK):
        raise ToolchainError(f"no cometbft executable at {path}: run `make cometbft`")
    return path


def abci_gen_dir() -> Path:
    """Root of the generated protobuf packages (``$FINCHAIN_ABCI_GEN`` overrides it)."""
    override = os.environ.get("FINCHAIN_ABCI_GEN")
    return Path(override) if override else _REPO_ROOT / "build" / "abci_gen"


def abci_gen_stamp(root: Path) -> Path:
    """Written last by ``protogen``: its presence means ``root`` matches the pin."""
    return root / f"cometbft-{COMETBFT_VERSION}.stamp"
