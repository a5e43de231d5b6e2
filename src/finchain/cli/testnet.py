"""``finchain testnet``: a local network of N CometBFT validators on 127.0.0.1.

``init`` writes N node homes that share one genesis (with funded demo accounts
whose keys land in ``DIR/keystore``), ``up`` starts the 2N processes in the
background (each node's ABCI server, which also serves its HTTP API, and its
CometBFT), ``status`` shows each node's height, app hash, peers and API URL,
``logs`` tails a node's logs, ``down`` stops everything. The work is done by
``finchain.node.cometbft.testnet``; this module only parses and reports.

Example::

    finchain testnet init --validators 4 --suite intl --dir ./net
    finchain testnet up ./net
    finchain account balance alice CNY --home ./net --url http://127.0.0.1:26658
    finchain testnet down ./net
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import httpx
import typer

from finchain.cli.output import CliError, emit, failures, stdout
from finchain.devchain.cometbft_demo import DemoAccounts
from finchain.engines.cometbft.config import ConsensusSettings
from finchain.engines.cometbft.toolchain import ToolchainError
from finchain.node.cometbft import testnet as net
from finchain.node.cometbft.processes import ABCI, COMETBFT, ProcessError

app = typer.Typer(help="A local multi-validator network on CometBFT.", no_args_is_help=True)

DirArg = Annotated[Path, typer.Argument(help="the testnet directory (from testnet init)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]
POLL_S = 0.2


@app.command()
def init(
    directory: Annotated[Path, typer.Option("--dir", help="new or empty directory")],
    validators: Annotated[int, typer.Option("--validators", min=1, max=64)] = 4,
    suite: Annotated[str, typer.Option("--suite", help="gm (SM2/SM3/SM4) or intl")] = "gm",
    chain_id: Annotated[str, typer.Option("--chain-id")] = "finchain-testnet",
    base_port: Annotated[
        int, typer.Option("--base-port", help="node i: p2p P+10i, RPC P+10i+1, API P+10i+2")
    ] = net.DEFAULT_BASE_PORT,
    timeout_commit: Annotated[
        str, typer.Option("--timeout-commit", help="CometBFT pause after each block")
    ] = "1s",
    empty_blocks: Annotated[
        bool, typer.Option("--empty-blocks/--no-empty-blocks", help="blocks while idle")
    ] = True,
    mempool_size: Annotated[int, typer.Option("--mempool-size", min=1)] = 5000,
    full_nodes: Annotated[
        int, typer.Option("--full-nodes", min=0, max=16, help="non-validator nodes to add")
    ] = 0,
    tx_index: Annotated[
        str, typer.Option("--tx-index", help="CometBFT's own tx indexer: null or kv")
    ] = "null",
    json_out: JsonOpt = False,
) -> None:
    """Write the node homes, one shared genesis and the demo accounts' keystore.

    ``--full-nodes`` adds nodes with their own consensus keys that are not in the
    genesis validator set: a governance proposal can make them validators.
    """
    with failures():
        if suite not in ("gm", "intl"):
            raise CliError(f"--suite must be gm or intl, not {suite!r}")
        if tx_index not in ("null", "kv"):
            raise CliError(f"--tx-index must be null or kv, not {tx_index!r}")
        settings = ConsensusSettings(
            timeout_commit=timeout_commit,
            create_empty_blocks=empty_blocks,
            mempool_size=mempool_size,
            tx_index=tx_index,
        )
        accounts = DemoAccounts.generate(suite)
        try:
            testnet = net.init_testnet(
                directory,
                validators,
                suite=suite,
                chain_id=chain_id,
                app_state=accounts.app_state(),
                base_port=base_port,
                settings=settings,
                full_nodes=full_nodes,
            )
        except (FileExistsError, ValueError, ToolchainError) as exc:
            raise CliError(str(exc)) from None
        keystore = accounts.save(directory)
        summary = {
            "dir": str(directory),
            "chain_id": chain_id,
            "suite": suite,
            "nodes": [_node_row(n) for n in testnet.nodes],
            "accounts": accounts.ids,
            "keystore": str(keystore),
        }
        if json_out:
            emit(summary, as_json=True)
            return
        emit(summary.pop("nodes"), as_json=False, title=f"testnet {chain_id} ({suite})")
        emit(summary, as_json=False)
        stdout.print(f"start it with `finchain testnet up {directory}`", highlight=False)


@app.command()
def up(
    directory: DirArg,
    wait: Annotated[
        float, typer.Option("--wait", help="seconds to wait for every API (0: do not wait)")
    ] = 60.0,
    json_out: JsonOpt = False,
) -> None:
    """Start every node that is not running (detached); wait until their APIs answer."""
    with failures():
        testnet = _load(directory)
        try:
            net.up(directory)
        except (ProcessError, ToolchainError, ValueError) as exc:
            raise CliError(f"{exc}; stop what started with `finchain testnet down`") from None
        if wait > 0:
            _wait_ready(testnet, wait)
        emit([_node_row(n) for n in testnet.nodes], as_json=json_out, title="testnet up")


@app.command()
def down(directory: DirArg, json_out: JsonOpt = False) -> None:
    """Stop every node: CometBFT first, then its ABCI server."""
    with failures():
        _load(directory)
        stopped = net.down(directory)
        emit({"stopped": stopped}, as_json=json_out)


@app.command()
def status(directory: DirArg, json_out: JsonOpt = False) -> None:
    """Each node's processes, height, app hash, peers and API URL."""
    with failures():
        _load(directory)
        rows = [s.to_obj() for s in net.status(directory)]
        if not json_out:
            rows = [
                {k: v for k, v in row.items() if k != "error" or v}
                | {"app_hash": (row["app_hash"] or "")[:16]}
                for row in rows
            ]
        emit(rows, as_json=json_out, title="testnet status")


@app.command()
def logs(
    directory: DirArg,
    node: Annotated[str, typer.Option("--node", help="node name or index")] = "node0",
    process: Annotated[str, typer.Option("--process", help="abci, cometbft or both")] = "both",
    lines: Annotated[int, typer.Option("--lines", "-n", min=1)] = 40,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="keep printing new lines")] = False,
) -> None:
    """The last lines of a node's logs (the ABCI server's log includes its HTTP API)."""
    with failures():
        testnet = _load(directory)
        name = f"node{node}" if node.isdecimal() else node
        spec = next((n for n in testnet.nodes if n.name == name), None)
        if spec is None:
            known = ", ".join(n.name for n in testnet.nodes)
            raise CliError(f"no node {node!r} in {directory}; nodes: {known}")
        if process not in (ABCI, COMETBFT, "both"):
            raise CliError(f"--process must be abci, cometbft or both, not {process!r}")
        names = [ABCI, COMETBFT] if process == "both" else [process]
        paths = [spec.home.log_file(p) for p in names]
        for path in paths:
            if len(paths) > 1:
                stdout.print(f"==> {path} <==", highlight=False)
            for line in _tail(path, lines):
                stdout.out(line, end="", highlight=False)
        if follow:
            _follow(paths)


# -- helpers -------------------------------------------------------------------------------------


def _load(directory: Path) -> net.Testnet:
    try:
        return net.Testnet.load(directory)
    except FileNotFoundError as exc:
        hint = f"create one with `finchain testnet init --dir {directory}`"
        raise CliError(f"{exc}: {hint}") from None


def _node_row(node: net.TestnetNode) -> dict[str, str]:
    return {
        "name": node.name,
        "api": node.api_url,
        "rpc": node.rpc_url,
        "p2p": f"127.0.0.1:{node.p2p_port}",
        "home": str(node.home.root),
    }


def _wait_ready(testnet: net.Testnet, timeout: float) -> None:
    """Until every node's API reports height >= 1; a node whose processes died fails at once."""
    deadline = time.monotonic() + timeout
    waiting = list(testnet.nodes)
    while waiting:
        waiting = [n for n in waiting if not _api_ready(n.api_url)]
        if not waiting:
            return
        states = net.status(testnet.directory)
        dead = [s.name for s in states if not (s.abci_pid and s.cometbft_pid)]
        if dead:
            raise CliError(
                f"{', '.join(dead)} stopped while starting: see `finchain testnet logs "
                f"{testnet.directory} --node {dead[0]}`"
            )
        if time.monotonic() > deadline:
            names = ", ".join(n.name for n in waiting)
            raise CliError(f"{names} not serving after {timeout:g} s: see `finchain testnet logs`")
        time.sleep(POLL_S)


def _api_ready(url: str) -> bool:
    try:
        reply = httpx.get(f"{url}/v1/status", timeout=2.0)
        return reply.status_code == 200 and int(reply.json()["height"]) >= 1
    except (httpx.HTTPError, ValueError, KeyError):
        return False


def _tail(path: Path, count: int) -> list[str]:
    if not path.exists():
        return [f"({path} does not exist yet)\n"]
    with path.open("rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - 256 * count))
        text = handle.read().decode(errors="replace")
    return text.splitlines(keepends=True)[-count:]


def _follow(paths: Sequence[Path]) -> None:
    """Print what is appended to ``paths`` until interrupted (Ctrl-C)."""
    offsets = {p: p.stat().st_size if p.exists() else 0 for p in paths}
    try:
        while True:
            for path in paths:
                if not path.exists():
                    continue
                with path.open("rb") as handle:
                    handle.seek(offsets[path])
                    chunk = handle.read()
                offsets[path] += len(chunk)
                if chunk:
                    stdout.out(chunk.decode(errors="replace"), end="", highlight=False)
            time.sleep(POLL_S)
    except KeyboardInterrupt:
        return
