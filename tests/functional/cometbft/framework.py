"""Real-process CometBFT networks for tests, in the manner of Bitcoin Core's test_framework.

A ``CometNode`` is one validator: its ABCI server process (which also serves
the node's finchain HTTP API) and its CometBFT process, each with a log in the
node home (``logs/abci.log``, ``logs/cometbft.log``; a banner marks every
start). A ``CometNetwork`` is N of them on 127.0.0.1, initialised by the
production ``init_testnet`` with ports from a per-run seed (so parallel pytest
workers never collide) and fast consensus timeouts. Every wait is bounded and
scaled by ``FINCHAIN_TIMEOUT_FACTOR``; failures say which node disagreed;
``cleanup`` kills whatever is left.
"""

from __future__ import annotations

import random
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from finchain.client import Client
from finchain.engines.cometbft.config import ConsensusSettings
from finchain.engines.cometbft.rpc import CometRpc
from finchain.engines.cometbft.server import CrashPoint
from finchain.node.cometbft import processes
from finchain.node.cometbft.serve import CRASH_ENV
from finchain.node.cometbft.testnet import PORT_STRIDE, TestnetNode, init_testnet
from tests.functional.cometbft.genesis import Accounts
from tests.harness import CHAIN_ID
from tests.support import TIMEOUT_FACTOR, port_is_free, wait_until

FAST = ConsensusSettings(
    timeout_propose="1s",
    timeout_prevote="300ms",
    timeout_precommit="300ms",
    timeout_commit="200ms",
)
PORT_RANGE = (11_000, 31_000)  # below Linux's ephemeral range (32768+)


def free_port_base(seed: int, nodes: int) -> int:
    """A base port whose ``nodes`` p2p/RPC pairs are all free, searched from ``seed``."""
    rng = random.Random(seed)
    for _ in range(100):
        base = rng.randrange(*PORT_RANGE, PORT_STRIDE)
        ports = [base + PORT_STRIDE * i + k for i in range(nodes) for k in (0, 1, 2)]
        if all(port_is_free(p) for p in ports):
            return base
    raise RuntimeError("no free port block found")


class CometNode:
    """One validator: its two processes and an RPC client (``__test__`` keeps pytest off)."""

    __test__ = False

    def __init__(self, index: int, spec: TestnetNode) -> None:
        self.index = index
        self.spec = spec
        self.home = spec.home
        self.rpc = CometRpc(spec.rpc_url, timeout=15.0)
        self.api = Client(spec.api_url, timeout=30.0)
        self.abci: subprocess.Popen[bytes] | None = None
        self.comet: subprocess.Popen[bytes] | None = None

    def __repr__(self) -> str:
        return f"[node {self.index}]"

    # -- processes ---------------------------------------------------------------------------

    def start(self, *, crash_at: CrashPoint | None = None) -> None:
        """Start the ABCI server (optionally armed to SIGKILL itself), then CometBFT."""
        self.start_abci(crash_at=crash_at)
        self.comet = processes.start_cometbft(self.home)

    def start_abci(self, *, crash_at: CrashPoint | None = None) -> None:
        env = {CRASH_ENV: f"{crash_at.kind}:{crash_at.height}"} if crash_at else {}
        self.abci = processes.start_abci(self.home, env=env, timeout=30 * TIMEOUT_FACTOR)

    def kill(self) -> None:
        """SIGKILL both processes: the validator's machine dies."""
        for proc in (self.comet, self.abci):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(10)
        self.abci = self.comet = None

    def stop(self) -> None:
        """SIGTERM CometBFT then the app, expecting clean exits."""
        for name, proc in (("cometbft", self.comet), ("abci", self.abci)):
            if proc is not None:
                code = processes.stop_process(proc, timeout=20 * TIMEOUT_FACTOR)
                assert code in (0, -signal.SIGTERM), f"{self} {name} exited with {code}"
        self.abci = self.comet = None

    def wait_exit(self, which: str, *, timeout: float) -> int:
        proc = self.abci if which == "abci" else self.comet
        assert proc is not None, f"{self} has no {which} process"
        try:
            return proc.wait(timeout * TIMEOUT_FACTOR)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self} {which} still running after {timeout}s") from None

    def cleanup(self) -> None:
        self.kill()
        self.rpc.close()
        self.api.close()

    def alive(self) -> bool:
        return all(p is not None and p.poll() is None for p in (self.abci, self.comet))

    # -- state -------------------------------------------------------------------------------

    def height(self) -> int:
        return self.rpc.height()

    def app_height(self) -> int:
        """The last height the application committed (CometBFT's ``/abci_info``).

        CometBFT stores a block, and reports it as its latest, before the application
        has executed and committed it: what the finchain API serves can lag ``height``.
        """
        answer = httpx.get(f"{self.spec.rpc_url}/abci_info", timeout=5).json()
        return int(answer["result"]["response"].get("last_block_height", 0))

    def consensus_state(self) -> tuple[int, int, int, float]:
        """``(height, round, step, prevoted share)`` of the round this node's consensus is in.

        Read from CometBFT's ``/consensus_state``: step 4 is Prevote, where a round waits
        for prevotes from more than 2/3 of the voting power before anything times out,
        so a node in step 4 whose round holds less than 2/3 of prevotes cannot commit:
        positive evidence of a halt, with no waiting for blocks that do not come.
        """
        answer = httpx.get(f"{self.spec.rpc_url}/consensus_state", timeout=5).json()
        state = answer["result"]["round_state"]
        height, round_, step = (int(x) for x in state["height/round/step"].split("/"))
        votes = state["height_vote_set"][round_]["prevotes_bit_array"]  # "BA{4:xx__} 20/40 = 0.50"
        share = float(votes.rsplit("=", 1)[1])
        return height, round_, step, share

    def app_root(self, height: int) -> bytes:
        """The app hash this node's own Application computed for ``height`` (a proven query)."""
        answer = self.rpc.abci_query(
            "store", {"key": b"app/chain".hex()}, height=height, prove=True
        )
        assert answer.ok, f"{self} query at {height}: {answer.log}"
        (entry,) = answer.proofs
        assert entry.verify(), f"{self} proof at {height} does not verify"
        return entry.root

    def log_since_start(self, which: str) -> str:
        text = self.home.log_file(which).read_text(errors="replace")
        return text[text.rfind("=== start") :]


class CometNetwork:
    """N validators on loopback sharing one genesis with funded accounts.

    ``full_nodes`` more nodes (indexes ``size``, …) start as non-validators;
    ``governance`` is the genesis ``app_state["governance"]`` section.
    """

    def __init__(
        self,
        directory: Path,
        size: int,
        *,
        seed: int,
        accounts: Accounts,
        suite: str = "intl",
        full_nodes: int = 0,
        governance: dict[str, Any] | None = None,
    ) -> None:
        self.directory = directory
        self.accounts = accounts
        app_state = accounts.app_state()
        if governance is not None:
            app_state["governance"] = governance
        testnet = init_testnet(
            directory,
            size,
            suite=suite,
            chain_id=CHAIN_ID,
            app_state=app_state,
            base_port=free_port_base(seed, size + full_nodes),
            settings=FAST,
            full_nodes=full_nodes,
        )
        self.nodes = [CometNode(i, spec) for i, spec in enumerate(testnet.nodes)]

    def start(self, *, crash: dict[int, CrashPoint] | None = None) -> None:
        for node in self.nodes:
            node.start(crash_at=(crash or {}).get(node.index))
        self.wait_height(1, timeout=60)

    def wait_apis(self, *, timeout: float = 30) -> None:
        """Until every node's HTTP API answers ``/v1/status`` past height 1."""
        for node in self.nodes:
            wait_until(
                lambda n=node: n.api.status().height >= 1, timeout=timeout, what=f"{node} API"
            )

    def cleanup(self) -> None:
        for node in self.nodes:
            node.cleanup()

    def log_paths(self) -> str:
        return "\n".join(f"  {n}: {n.home.logs}" for n in self.nodes)

    def wait_height(
        self, height: int, *, nodes: Sequence[CometNode] | None = None, timeout: float = 30
    ) -> None:
        group = list(nodes or self.nodes)

        def reached() -> bool:  # committed by CometBFT and by each application
            return all(min(n.height(), n.app_height()) >= height for n in group)

        try:
            wait_until(reached, timeout=timeout, what=f"height {height}")
        except AssertionError:
            raise AssertionError(f"height {height} not reached: {self._heights(group)}") from None

    def assert_same_history(self, nodes: Sequence[CometNode] | None = None) -> int:
        """All nodes hold the same headers, and their apps computed the same app hashes.

        Headers are compared at every height. Each node's Application is asked for
        its own app hash (a proven query) at every height whose block held txs and
        at the top: empty blocks leave the state as it was, and CometBFT itself
        refuses a block whose header disagrees with the node's app. Returns the
        top height checked: the lowest tip among ``nodes`` minus one, so the
        header carrying its app hash exists everywhere.
        """
        group = list(nodes or self.nodes)
        top = min(n.height() for n in group) - 1
        history = {n.index: self._app_hashes(n, top + 1) for n in group}
        reference = history[group[0].index]
        for n in group[1:]:
            differ = [h for h in range(1, top + 1) if history[n.index][h] != reference[h]]
            assert not differ, f"{n} and {group[0]} disagree at heights {differ[:10]}"
        busy = [h for h, (_, txs) in reference.items() if txs and h <= top]
        for height in [*busy, top]:
            for n in group:
                root = n.app_root(height)
                assert root == reference[height][0], (
                    f"{n} app computed {root.hex()} at height {height}; "
                    f"the header says {reference[height][0].hex()}"
                )
        return top

    @staticmethod
    def _app_hashes(node: CometNode, upto: int) -> dict[int, tuple[bytes, int]]:
        """height -> (app hash after it, number of txs in it), from headers up to ``upto``."""
        headers: dict[int, Any] = {}
        for low in range(1, upto + 1, 20):
            for meta in node.rpc.block_metas(low, min(low + 19, upto)):
                headers[int(meta["header"]["height"])] = meta
        return {
            h - 1: (bytes.fromhex(headers[h]["header"]["app_hash"]), int(headers[h - 1]["num_txs"]))
            for h in range(2, upto + 1)
        }

    def _heights(self, group: Sequence[CometNode]) -> str:
        parts = []
        for n in group:
            try:
                parts.append(f"{n} h={n.height()}")
            except (httpx.HTTPError, OSError) as exc:
                parts.append(f"{n} unreachable ({type(exc).__name__})")
        return ", ".join(parts)
