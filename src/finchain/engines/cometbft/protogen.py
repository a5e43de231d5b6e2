"""Generate the Python ABCI types from the ``.proto`` files of the pinned CometBFT module.

The sources come from the Go module cache (the same module version the binary
was built from, so the wire types match the engine exactly); gogoproto's
annotations come from the ``github.com/cosmos/gogoproto`` version that module
requires. Only ``tendermint/abci/types.proto`` and what it imports are compiled.
The output replaces ``--out`` atomically and ends with a stamp naming the pin.

Usage (make does this)::

    python -m finchain.engines.cometbft.protogen --out build/abci_gen
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from collections import deque
from pathlib import Path

from finchain.engines.cometbft.toolchain import (
    COMETBFT_MODULE,
    COMETBFT_VERSION,
    ToolchainError,
    abci_gen_dir,
    abci_gen_stamp,
    go_env,
)

ROOT_PROTO = "tendermint/abci/types.proto"
GOGOPROTO_MODULE = "github.com/cosmos/gogoproto"
BUNDLED_PREFIX = "google/protobuf/"  # shipped with grpcio-tools and the protobuf runtime
_IMPORT = re.compile(r'^import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;', re.MULTILINE)


def module_dir(module: str, version: str) -> Path:
    """Download (or find) ``module@version`` in the Go module cache and return its directory."""
    go = shutil.which("go")
    if go is None:
        raise ToolchainError("`go` is not on PATH: it fetches the .proto sources")
    out = subprocess.run(
        [go, "mod", "download", "-json", f"{module}@{version}"],
        env=go_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    info = json.loads(out.stdout or "{}")
    if out.returncode != 0 or "Dir" not in info:
        raise ToolchainError(f"go mod download {module}@{version} failed: {info or out.stderr}")
    return Path(info["Dir"])


def required_version(go_mod: Path, module: str) -> str:
    """The version of ``module`` that a ``go.mod`` requires."""
    match = re.search(rf"^\s*(?:require\s+)?{re.escape(module)}\s+(v\S+)", go_mod.read_text(), re.M)
    if match is None:
        raise ToolchainError(f"{go_mod} does not require {module}")
    return match.group(1)


def proto_closure(root: str, include: list[Path]) -> list[str]:
    """``root`` and every file it imports, transitively, except the bundled Google ones."""
    seen: dict[str, None] = {}
    queue = deque([root])
    while queue:
        name = queue.popleft()
        if name in seen or name.startswith(BUNDLED_PREFIX):
            continue
        source = next((d / name for d in include if (d / name).is_file()), None)
        if source is None:
            raise ToolchainError(f"{name} is in none of {[str(d) for d in include]}")
        seen[name] = None
        queue.extend(_IMPORT.findall(source.read_text()))
    return sorted(seen)


def generate(out: Path) -> None:
    cometbft = module_dir(COMETBFT_MODULE, COMETBFT_VERSION)
    gogo_version = required_version(cometbft / "go.mod", GOGOPROTO_MODULE)
    include = [cometbft / "proto", module_dir(GOGOPROTO_MODULE, gogo_version)]
    files = proto_closure(ROOT_PROTO, include)
    staging = out.with_name(out.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    # python -m grpc_tools.protoc adds its bundled google/protobuf includes itself.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            *(f"-I{d}" for d in include),
            f"--python_out={staging}",
            *files,
        ],
        check=True,
    )
    abci_gen_stamp(staging).write_text(
        f"{COMETBFT_MODULE}@{COMETBFT_VERSION}\n{GOGOPROTO_MODULE}@{gogo_version}\n"
        + "".join(f"{name}\n" for name in files)
    )
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=abci_gen_dir())
    args = parser.parse_args()
    try:
        generate(args.out)
    except (ToolchainError, subprocess.CalledProcessError) as exc:
        sys.exit(f"cannot generate the ABCI types: {exc}")
    print(f"generated the ABCI types of cometbft {COMETBFT_VERSION} in {args.out}")


if __name__ == "__main__":
    main()
