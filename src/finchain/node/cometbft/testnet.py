"""A local network of N validators on 127.0.0.1: ``init``, ``up``, ``down``, ``status``.

``init_testnet`` writes, under one directory, N node homes (see ``home``) that
share one finchain genesis, embedded as ``app_state`` in one CometBFT genesis.
Every node runs two processes (the ABCI server and CometBFT), so ``up`` starts
2N processes, detached, recorded in pid files; ``down`` stops them. Ports:
node ``i`` listens for p2p on ``base_port + 10*i``, CometBFT RPC on ``+1`` and
its finchain HTTP API (served by its ABCI process) on ``+2``. Every validator
lists all others as persistent peers.

Usage::

    python -m finchain.node.cometbft.testnet init --validators 4 --dir /tmp/net
    python -m finchain.node.cometbft.testnet up /tmp/net
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from finchain.app import ChainParams, Genesis
from finchain.engines.cometbft.config import (
    ConsensusSettings,
    cometbft_genesis,
    edit_toml,
    finchain_config,
    node_config,
    node_id,
    validator_public_key,
)
from finchain.engines.cometbft.home import NodeHome
from finchain.engines.cometbft.rpc import CometRpc
from finchain.engines.cometbft.toolchain import cometbft_binary
from finchain.engines.cometbft.validators import validator_entry
from finchain.errors import FinchainError
from finchain.node.cometbft import processes

MANIFEST = "testnet.json"
PORT_STRIDE = 10
DEFAULT_BASE_PORT = 26656
DEFAULT_POWER = 10


@dataclass(frozen=True, slots=True)
class TestnetNode:
    name: str
    home: NodeHome
    p2p_port: int
    rpc_port: int
    node_id: str
    api_port: int

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.rpc_port}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def peer_address(self) -> str:
        return f"{self.node_id}@127.0.0.1:{self.p2p_port}"


@dataclass(frozen=True, slots=True)
class Testnet:
    directory: Path
    chain_id: str
    nodes: tuple[TestnetNode, ...]

    def save(self) -> None:
        manifest = {
            "chain_id": self.chain_id,
            "nodes": [
                {
                    "name": n.name,
                    "home": n.home.root.name,
                    "p2p_port": n.p2p_port,
                    "rpc_port": n.rpc_port,
                    "api_port": n.api_port,
                    "node_id": n.node_id,
                }
                for n in self.nodes
            ],
        }
        (self.directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")

    @classmethod
    def load(cls, directory: Path) -> Testnet:
        try:
            manifest = json.loads((directory / MANIFEST).read_text())
        except OSError as exc:
            raise FileNotFoundError(f"{directory} is not a testnet (no {MANIFEST})") from exc
        nodes = tuple(
            TestnetNode(
                name=n["name"],
                home=NodeHome(directory / n["home"]),
                p2p_port=n["p2p_port"],
                rpc_port=n["rpc_port"],
                node_id=n["node_id"],
                api_port=n.get("api_port", n["rpc_port"] + 1),
            )
            for n in manifest["nodes"]
        )
        return cls(directory, manifest["chain_id"], nodes)


@dataclass(frozen=True, slots=True)
class NodeStatus:
    name: str
    abci_pid: int | None
    cometbft_pid: int | None
    height: int | None
    app_hash: str | None
    catching_up: bool | None
    peers: int | None = None
    api_url: str = ""
    error: str = ""

    def to_obj(self) -> dict[str, Any]:
        return asdict(self)


def init_testnet(
    directory: Path,
    validators: int,
    *,
    suite: str = "intl",
    chain_id: str = "finchain-testnet",
    genesis_time: str | None = None,
    app_state: dict[str, Any] | None = None,
    params: ChainParams | None = None,
    base_port: int = DEFAULT_BASE_PORT,
    settings: ConsensusSettings | None = None,
    full_nodes: int = 0,
) -> Testnet:
    """Write the homes of a ``validators``-node network into the new or empty ``directory``.

    Parameters:
        suite: the chain's crypto suite (``gm`` or ``intl``).
        genesis_time: RFC 3339 UTC; default now, to the second.
        app_state: the modules' genesis sections (default: each module's default).
        params: chain parameters (also sets CometBFT's block and tx size limits).
        base_port: node ``i`` uses ``base_port + 10*i`` (p2p) and ``+1`` (RPC).
        settings: consensus timeouts and block production (CometBFT's defaults if omitted).
        full_nodes: extra nodes after the validators (``node{validators}``, …), with
            their own consensus keys but not in the genesis validator set, peered with
            everyone like the validators (e.g. to be made validators by governance).
    """
    if not 1 <= validators <= 64:
        raise ValueError(f"a testnet has 1 to 64 validators, not {validators}")
    if not 0 <= full_nodes <= 64:
        raise ValueError(f"a testnet has 0 to 64 full nodes, not {full_nodes}")
    if directory.exists() and any(directory.iterdir()):
        raise FileExistsError(f"{directory} is not empty: choose a new directory")
    settings = settings or ConsensusSettings()
    params = params or ChainParams()
    binary = cometbft_binary()
    nodes = []
    for i in range(validators + full_nodes):
        home = NodeHome(directory / f"node{i}")
        subprocess.run(
            [str(binary), "init", "--home", str(home.cometbft)], check=True, capture_output=True
        )
        port = base_port + PORT_STRIDE * i
        nodes.append(
            TestnetNode(f"node{i}", home, port, port + 1, node_id(home.cometbft), port + 2)
        )
    genesis = Genesis(
        chain_id=chain_id,
        suite=suite,
        genesis_time=genesis_time or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        params=params,
        app_state=app_state or {},
        validators=[
            validator_entry(n.name, validator_public_key(n.home.cometbft), DEFAULT_POWER)
            for n in nodes[:validators]
        ],
    )
    genesis = Genesis.from_json_obj(genesis.to_json_obj(), source="testnet genesis")
    template = json.loads((nodes[0].home.cometbft / "config" / "genesis.json").read_text())
    comet_genesis = json.dumps(cometbft_genesis(template, genesis), indent=2) + "\n"
    for node in nodes:
        genesis.save(node.home.genesis)
        (node.home.cometbft / "config" / "genesis.json").write_text(comet_genesis)
        config_path = node.home.cometbft / "config" / "config.toml"
        values = node_config(
            moniker=node.name,
            proxy_app=node.home.proxy_app,
            p2p_port=node.p2p_port,
            rpc_port=node.rpc_port,
            persistent_peers=[p.peer_address for p in nodes if p is not node],
            max_tx_bytes=params.max_tx_bytes,
            settings=settings,
        )
        config_path.write_text(edit_toml(config_path.read_text(), values))
        node.home.config.write_text(finchain_config(api_listen=f"127.0.0.1:{node.api_port}"))
    testnet = Testnet(directory, chain_id, tuple(nodes))
    testnet.save()
    return testnet


def up(directory: Path) -> Testnet:
    """Start every node's processes that are not already running (detached)."""
    testnet = Testnet.load(directory)
    for node in testnet.nodes:
        if processes.running_pid(node.home, processes.ABCI) is None:
            processes.start_abci(node.home, detach=True)
        if processes.running_pid(node.home, processes.COMETBFT) is None:
            processes.start_cometbft(node.home, detach=True)
    return testnet


def down(directory: Path) -> list[str]:
    """Stop every node (CometBFT first, then its app); returns the names that were running."""
    stopped = []
    for node in Testnet.load(directory).nodes:
        comet = processes.stop_pid(node.home, processes.COMETBFT)
        abci = processes.stop_pid(node.home, processes.ABCI)
        if comet or abci:
            stopped.append(node.name)
    return stopped


def status(directory: Path) -> list[NodeStatus]:
    """Each node's processes and, when its RPC answers, its height, app hash and peers."""
    result = []
    for node in Testnet.load(directory).nodes:
        abci = processes.running_pid(node.home, processes.ABCI)
        comet = processes.running_pid(node.home, processes.COMETBFT)
        try:
            with CometRpc(node.rpc_url, timeout=2.0) as rpc:
                sync = rpc.status()["sync_info"]
                peers = int(rpc.net_info()["n_peers"])
            result.append(
                NodeStatus(
                    node.name,
                    abci,
                    comet,
                    int(sync["latest_block_height"]),
                    sync["latest_app_hash"],
                    bool(sync["catching_up"]),
                    peers=peers,
                    api_url=node.api_url,
                )
            )
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            result.append(
                NodeStatus(
                    node.name, abci, comet, None, None, None, api_url=node.api_url, error=str(exc)
                )
            )
    return result


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A local finchain network on CometBFT.")
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="write the node homes")
    init.add_argument("--validators", type=int, default=4)
    init.add_argument("--suite", choices=["gm", "intl"], default="intl")
    init.add_argument("--dir", type=Path, required=True)
    init.add_argument("--base-port", type=int, default=DEFAULT_BASE_PORT)
    for name in ("up", "down", "status"):
        commands.add_parser(name).add_argument("dir", type=Path)
    args = parser.parse_args(argv)
    if args.command == "init":
        net = init_testnet(args.dir, args.validators, suite=args.suite, base_port=args.base_port)
        for node in net.nodes:
            print(f"{node.name}: {node.home.root}  rpc {node.rpc_url}")
    elif args.command == "up":
        for node in up(args.dir).nodes:
            print(f"{node.name}: up, rpc {node.rpc_url}, logs {node.home.logs}")
    elif args.command == "down":
        print("stopped: " + (", ".join(down(args.dir)) or "nothing was running"))
    else:
        print(json.dumps([s.to_obj() for s in status(args.dir)], indent=2))


if __name__ == "__main__":
    try:
        main()
    except (OSError, ValueError, RuntimeError, FinchainError) as exc:
        sys.exit(f"testnet: {exc}")
