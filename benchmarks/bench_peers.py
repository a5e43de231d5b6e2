"""Side by side: finchain's solo node and anvil under one load, driven by one client program.

``make bench-peers`` (anvil 1.7.1 from the npm registry, cached by mk/anvil.mk). The load:
``--txs`` pre-signed transfers from ``--senders`` funded accounts, each sender submitting
its own transactions in nonce order, one transaction per HTTP request, the next as soon
as the previous one is answered; commits are detected by polling blocks.

- **anvil**: EIP-1559 transfers of 1 wei between anvil's dev accounts (sender ``i`` pays
  sender ``i + 1``), signed with eth-account, sent with ``eth_sendRawTransaction``; a
  commit is a block from ``eth_getBlockByNumber``, whose receipts
  (``eth_getBlockReceipts``) must then say ``status == 1``: fetched once the timed window
  is over, as fetching them during it costs anvil about half its throughput here
  (``--receipts-during`` to see that).
- **finchain**: a real ``finchain node`` (solo engine) in a temp home; the senders are
  opened and funded by the genesis operator as ``finchain bench`` does, then send
  transfers of 1 unit, ``POST /v1/txs?mode=sync`` (``--batch N``: one more line with N
  transactions per request, ``/v1/txs/batch?mode=sync``); a commit is a block from
  ``GET /v1/blocks/{h}`` whose result for the transaction has code 0.

Every request is built in full (HTTP/1.1 head and JSON body) before the timed phase;
the client is the same asyncio code for both peers, one keep-alive connection per
sender, the senders spread over ``--client-processes`` processes, plus one poller (the
main process) that fetches each block once it exists, polling every ``--poll`` seconds.
Every transaction must be accepted and then seen committed with success, or the line
fails (exit status 1) with what is missing and what the node says of it. One exception,
and only for anvil: anvil 1.7.1 can leave a sender's transaction in its pool for ever
(a race in its pool, see ``AnvilWire.explain``); such an attempt is printed and the line
is measured again on a fresh anvil, up to ``--anvil-retries`` times.

Figures per line: committed tx/s = transactions / (last commit seen − first request
sent); latency = commit seen − request sent, per transaction (p50, p99); CPU of the server
(its process tree, from /proc) and of the client processes and the poller, over the
timed window, as a share of one core (the machine's cores are shared by both).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import math
import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol

import orjson

ANVIL_VERSION = "1.7.1"
ANVIL_DEFAULT = (
    Path(os.environ.get("FINCHAIN_CACHE_DIR", Path.home() / ".cache" / "finchain"))
    / f"anvil-{ANVIL_VERSION}"
    / "bin"
    / "anvil"
)
#: anvil's default block gas limit (30 M gas) holds 1,428 transfers: with 1 s blocks that
#: caps anvil at 1,428 tx/s. Raised so that no block-size limit caps either chain.
ANVIL_GAS_LIMIT = 2_000_000_000
ANVIL_CHAIN_ID = 31337
MAX_FEE = 10 * 10**9  # wei per gas; anvil's base fee starts at 1 gwei and falls in part-full blocks
PRIORITY_FEE = 10**9
FINCHAIN = str(Path(sys.executable).parent / "finchain")
PASSPHRASE = "bench passphrase"
ASSET = "CNY"
HOST = "127.0.0.1"


def free_port() -> int:
    """A port nobody listens on now: a fixed one could answer from a leftover node."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


# -- the HTTP client: one keep-alive HTTP/1.1 connection, raw ------------------------------


class Conn:
    """One HTTP/1.1 keep-alive connection; requests arrive fully encoded."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int) -> Conn:
        reader, writer = await asyncio.open_connection(HOST, port, limit=1 << 20)
        return cls(reader, writer)  # asyncio sets TCP_NODELAY

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        """Send one request; its status and body."""
        self.writer.write(request)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = -1
        chunked = False
        for line in head[:-4].split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
        if chunked:
            return status, await self._chunked()
        if length < 0:
            raise RuntimeError(f"answer without a length: {head!r}")
        return status, await self.reader.readexactly(length)

    async def _chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")  # no trailers expected
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)

    def close(self) -> None:
        self.writer.close()


def http_request(method: str, port: int, path: str, body: bytes | None = None) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
    if body is None:
        return (head + "\r\n").encode()
    head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


# -- what differs between the peers: the bodies and the answers ----------------------------


class Wire(Protocol):
    """A peer's side of the client: requests to build and answers to read."""

    def refusal(self, status: int, body: bytes, ids: tuple[str, ...]) -> str | None:
        """Why a submission's answer is not an acceptance of every tx in ``ids``, or None."""
        ...

    async def height(self, conn: Conn) -> int:
        """The latest block height."""
        ...

    async def block(self, conn: Conn, height: int) -> Block | None:
        """Block ``height``, None while it does not exist."""
        ...

    async def outcomes(self, conn: Conn, height: int) -> dict[str, str | None]:
        """Block ``height``'s transactions: id -> failure, None for success."""
        ...

    async def explain(self, conn: Conn, tx_id: str) -> tuple[str, bool]:
        """What the node says of a transaction that never showed up in a block, and whether
        that is anvil's pool race (below)."""
        ...


@dataclass
class Block:
    """A committed block's transaction ids, and their outcomes if the block carries them."""

    ids: list[str]
    outcomes: dict[str, str | None] | None = None


def _ok_json(status: int, body: bytes) -> Any:
    if status != 200:
        raise RuntimeError(f"HTTP {status}: {body[:300]!r}")
    return orjson.loads(body)


@dataclass
class AnvilWire:
    port: int

    def rpc(self, method: str, params: list[Any], ident: int = 1) -> bytes:
        body = orjson.dumps({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        return http_request("POST", self.port, "/", body)

    async def call(self, conn: Conn, method: str, params: list[Any]) -> Any:
        answer = _ok_json(*await conn.exchange(self.rpc(method, params)))
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    def refusal(self, status: int, body: bytes, ids: tuple[str, ...]) -> str | None:
        if status != 200:
            return f"HTTP {status}: {body[:300]!r}"
        answer = orjson.loads(body)
        if "error" in answer:
            return f"eth_sendRawTransaction: {answer['error']}"
        if answer.get("result") != ids[0]:
            return f"eth_sendRawTransaction answered {answer.get('result')}, not {ids[0]}"
        return None

    async def height(self, conn: Conn) -> int:
        return int(await self.call(conn, "eth_blockNumber", []), 16)

    async def block(self, conn: Conn, height: int) -> Block | None:
        block = await self.call(conn, "eth_getBlockByNumber", [hex(height), False])
        return None if block is None else Block(block["transactions"])

    async def explain(self, conn: Conn, tx_id: str) -> tuple[str, bool]:
        """anvil 1.7.1's ``eth_sendRawTransaction`` reads the sender's nonce, then adds the tx
        to its pool, requiring the tx of the nonce before when that one is not yet in a block.
        If a block mines that one in between, the new tx waits ("queued") for a tx that is
        gone, for ever, and every later tx of its sender behind it: its nonce is the
        account's, yet it is never mined. That is what ``True`` says."""
        pool = await self.call(conn, "txpool_status", [])
        tx = await self.call(conn, "eth_getTransactionByHash", [tx_id])
        if tx is None:
            return f"anvil does not know {tx_id}; txpool_status {pool}", False
        nonce = int(tx["nonce"], 16)
        account = int(await self.call(conn, "eth_getTransactionCount", [tx["from"], "latest"]), 16)
        race = tx.get("blockNumber") is None and nonce == account
        text = (
            f"anvil holds {tx_id} (nonce {nonce}) in its pool, not in a block, while its "
            f"sender's account nonce is {account}; txpool_status {pool}"
        )
        if race:
            text += (
                " — anvil's pool race: the tx was added as waiting for its predecessor just "
                "as a block mined that one, and is never promoted"
            )
        return text, race

    async def outcomes(self, conn: Conn, height: int) -> dict[str, str | None]:
        receipts = await self.call(conn, "eth_getBlockReceipts", [hex(height)])
        return {
            r["transactionHash"]: None if r["status"] == "0x1" else f"receipt status {r['status']}"
            for r in receipts
        }


@dataclass
class FinchainWire:
    port: int

    def refusal(self, status: int, body: bytes, ids: tuple[str, ...]) -> str | None:
        if status != 200:
            return f"HTTP {status}: {body[:300]!r}"
        answer = orjson.loads(body)
        results = answer.get("results", [answer])
        if len(results) != len(ids):
            return f"{len(results)} results for {len(ids)} transactions"
        for tx_id, result in zip(ids, results, strict=True):
            check = result.get("check") or {}
            if result.get("tx_id") != tx_id or check.get("code") != 0:
                return f"tx {tx_id} refused: {result}"
        return None

    async def height(self, conn: Conn) -> int:
        status = _ok_json(*await conn.exchange(http_request("GET", self.port, "/v1/status")))
        return int(status["height"])

    async def block(self, conn: Conn, height: int) -> Block | None:
        status, body = await conn.exchange(http_request("GET", self.port, f"/v1/blocks/{height}"))
        if status == 404:
            return None
        block = _ok_json(status, body)
        outcomes = {
            tx_id: None if r["code"] == 0 else f"[{r['codespace']}:{r['code']}] {r['log']}"
            for tx_id, r in zip(block["tx_ids"], block["results"], strict=True)
        }
        return Block(list(outcomes), outcomes)

    async def explain(self, conn: Conn, tx_id: str) -> tuple[str, bool]:
        status, _ = await conn.exchange(http_request("GET", self.port, f"/v1/txs/{tx_id}"))
        node = _ok_json(*await conn.exchange(http_request("GET", self.port, "/v1/status")))
        return (
            f"GET /v1/txs/{tx_id[:12]}…: {status}; mempool_size {node['mempool_size']}",
            False,
        )

    async def outcomes(self, conn: Conn, height: int) -> dict[str, str | None]:
        block = await self.block(conn, height)
        assert block is not None and block.outcomes is not None
        return block.outcomes


# -- the load: prepared requests per sender ------------------------------------------------


@dataclass
class Load:
    """Per sender, its requests in nonce order: the encoded request and the tx ids it carries."""

    senders: list[list[tuple[bytes, tuple[str, ...]]]]

    @property
    def txs(self) -> int:
        return sum(len(ids) for sender in self.senders for _, ids in sender)


def eth_load(
    port: int, keys: Sequence[str], txs: int, signed: dict[str, list[list[tuple[str, str]]]]
) -> Load:
    """Transfers of 1 wei, sender ``i`` paying sender ``i + 1``; signed once per key set."""
    from eth_account import Account

    count = len(keys)
    cache_key = ",".join(keys) + f"/{txs}"
    if cache_key not in signed:
        accounts = [Account.from_key(k) for k in keys]
        per_sender: list[list[tuple[str, str]]] = [[] for _ in keys]
        for n in range(txs):
            sender = n % count
            tx = {
                "type": 2,
                "chainId": ANVIL_CHAIN_ID,
                "nonce": len(per_sender[sender]),
                "to": accounts[(sender + 1) % count].address,
                "value": 1,
                "gas": 21_000,
                "maxFeePerGas": MAX_FEE,
                "maxPriorityFeePerGas": PRIORITY_FEE,
            }
            raw = accounts[sender].sign_transaction(tx)
            per_sender[sender].append(("0x" + raw.raw_transaction.hex(), "0x" + raw.hash.hex()))
        signed.clear()
        signed[cache_key] = per_sender
    wire = AnvilWire(port)
    return Load(
        [
            [
                (wire.rpc("eth_sendRawTransaction", [raw], nonce), (tx_hash,))
                for nonce, (raw, tx_hash) in enumerate(sender)
            ]
            for sender in signed[cache_key]
        ]
    )


def finchain_load(
    port: int, suite: str, chain_id: str, signers: Sequence[Any], txs: int, batch: int
) -> Load:
    """Transfers of 1 unit, sender ``i`` paying sender ``i + 1``; ``batch`` txs per request."""
    from finchain.client import builders as b
    from finchain.crypto import get_suite

    hash_ = get_suite(suite).hash
    count = len(signers)
    raws: list[list[bytes]] = [[] for _ in signers]
    for n in range(txs):
        sender = n % count
        receiver = signers[(sender + 1) % count].account
        raws[sender].append(signers[sender].sign(b.transfer((receiver, ASSET, 1))))
    senders = []
    for sender_raws in raws:
        requests = []
        for start in range(0, len(sender_raws), batch):
            chunk = sender_raws[start : start + batch]
            ids = tuple(hash_(raw).hex() for raw in chunk)
            b64 = [base64.b64encode(raw).decode() for raw in chunk]
            if batch == 1:
                request = http_request(
                    "POST", port, "/v1/txs?mode=sync", orjson.dumps({"tx": b64[0]})
                )
            else:
                request = http_request(
                    "POST", port, "/v1/txs/batch?mode=sync", orjson.dumps({"txs": b64})
                )
            requests.append((request, ids))
        senders.append(requests)
    return Load(senders)


# -- client processes ----------------------------------------------------------------------


async def _submit(
    port: int,
    wire: Wire,
    senders: dict[int, list[tuple[bytes, tuple[str, ...]]]],
    barrier: Any,
) -> tuple[list[tuple[list[float], list[float]]], float, float, float]:
    """Every sender's requests, one after another on its own connection; per sender the
    times each request was sent and answered, this process's CPU seconds, the first send
    and the last answer."""
    conns = [await Conn.open(port) for _ in senders]
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, barrier.wait)
    cpu0 = time.process_time()

    async def sender(conn: Conn, index: int) -> Any:
        sent: list[float] = []
        answered: list[float] = []
        clock = time.monotonic
        for request, ids in senders[index]:
            sent.append(clock())
            status, body = await conn.exchange(request)
            answered.append(clock())
            why = wire.refusal(status, body, ids)
            if why is not None:
                raise RuntimeError(f"sender {index}, request {len(sent) - 1}: {why}")
        return sent, answered

    times = await asyncio.gather(*(sender(c, s) for c, s in zip(conns, senders, strict=True)))
    cpu = time.process_time() - cpu0
    for conn in conns:
        conn.close()
    first = min(sent[0] for sent, _ in times if sent)
    last = max(answered[-1] for _, answered in times if answered)
    return times, cpu, first, last


def _client_process(port: int, wire: Wire, senders: dict[int, Any], barrier: Any, out: Any) -> None:
    """One client process (forked: the prepared requests are inherited, not sent)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us
    try:
        times, cpu, first, last = asyncio.run(_submit(port, wire, senders, barrier))
    except BaseException as exc:
        barrier.abort()
        out.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    out.send(("done", (cpu, first, last)))
    out.send(times)


# -- servers -------------------------------------------------------------------------------


@dataclass
class Server:
    pid: int
    port: int
    wire: Wire
    extra: dict[str, Any] = field(default_factory=dict)


def tree_cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid``, its reaped children and its live descendants."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        ppid = int(fields[1])
        own = int(fields[11]) + int(fields[12])
        reaped = int(fields[13]) + int(fields[14])
        stats[int(entry)] = (ppid, own + reaped)
    total = 0.0
    wanted = {pid}
    changed = True
    while changed:
        changed = False
        for child, (ppid, _) in stats.items():
            if ppid in wanted and child not in wanted:
                wanted.add(child)
                changed = True
    for member in wanted:
        if member in stats:
            total += stats[member][1]
    return total / tick


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(process: subprocess.Popen[bytes], probe: Any, log: Path, what: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if probe():
                return
        except (OSError, ValueError, RuntimeError):
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{what} did not start:\n{tail}")
        time.sleep(0.1)


def _sync_call(port: int, request: bytes) -> tuple[int, bytes]:
    async def go() -> tuple[int, bytes]:
        conn = await Conn.open(port)
        try:
            return await conn.exchange(request)
        finally:
            conn.close()

    return asyncio.run(go())


@contextlib.contextmanager
def anvil_server(
    binary: Path, block: float, senders: int, workdir: Path, *, logs: bool = False
) -> Iterator[Server]:
    """anvil on a free port; ``--quiet`` unless ``logs`` (its default log has a line per
    request and per transaction mined, and the finchain node logs neither)."""
    port = free_port()
    config_out = workdir / "anvil.json"
    log_path = workdir / "anvil.log"
    command = [
        str(binary),
        "--host",
        HOST,
        "--port",
        str(port),
        "--accounts",
        str(senders),
        "--block-time",
        f"{block:g}",
        "--gas-limit",
        str(ANVIL_GAS_LIMIT),
        "--config-out",
        str(config_out),
        *([] if logs else ["--quiet"]),
    ]
    wire = AnvilWire(port)
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    try:

        def ready() -> bool:
            status, _ = _sync_call(port, wire.rpc("eth_chainId", []))
            return status == 200 and config_out.exists() and config_out.stat().st_size > 0

        _wait_ready(process, ready, log_path, "anvil")
        info = json.loads(config_out.read_text())
        yield Server(process.pid, port, wire, {"keys": info["private_keys"][:senders]})
    finally:
        _stop(process)


@contextlib.contextmanager
def finchain_server(suite: str, block: float, workdir: Path) -> Iterator[Server]:
    from finchain.devchain.setup import DemoAsset, HomeSpec, init_home
    from finchain.node.home import PASSPHRASE_ENV, Home

    port = free_port()
    home = Home(workdir / "home")
    config = (
        f'[api]\nlisten = "{HOST}:{port}"\n\n'
        f"[solo]\nblock_interval = {block!r}\nmempool_max_txs = 400000\n\n"
        '[node]\nlog_level = "warning"\n'
    )
    init_home(
        home,
        HomeSpec(
            chain_id="bench-peers",
            suite=suite,
            passphrase=PASSPHRASE,
            account_names=("operator",),
            assets=(DemoAsset(ASSET, "Yuan", 2, 10**15),),
            config_text=config,
        ),
    )
    log_path = workdir / "node.log"
    env = {**os.environ, PASSPHRASE_ENV: PASSPHRASE}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [FINCHAIN, "node", "--home", str(home.path)],
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
            env=env,
        )
    try:

        def ready() -> bool:
            return _sync_call(port, http_request("GET", port, "/v1/health"))[0] == 200

        _wait_ready(process, ready, log_path, "finchain node")
        yield Server(process.pid, port, FinchainWire(port), {"home": home})
    finally:
        _stop(process)


def finchain_senders(server: Server, scheme: str, senders: int, txs: int) -> tuple[str, list[Any]]:
    """Open and fund ``senders`` accounts of ``scheme`` from the operator (not timed)."""
    from finchain.cli.bench import create_accounts, fund_accounts
    from finchain.client import Client, Signer
    from finchain.crypto import Keystore, generate_private_key
    from finchain.modules.accounts.types import account_id

    home = server.extra["home"]
    with Client(f"http://{HOST}:{server.port}", timeout=60) as client:
        chain_id = client.status().chain_id
        operator = Keystore(home.keystore_dir).load("operator", PASSPHRASE)
        # init_home: the first named account is genesis account number 1
        funder = Signer(chain_id, account_id(1), [("k1", operator)])
        keys = [generate_private_key(scheme) for _ in range(senders)]
        ids = create_accounts(client, funder, keys, lambda n: None)
        fund_accounts(client, funder, ids, ASSET, math.ceil(txs / senders), lambda n: None)
    signers = [Signer(chain_id, i, [("k1", k)]) for i, k in zip(ids, keys, strict=True)]
    return chain_id, signers


# -- one measured line ---------------------------------------------------------------------


@dataclass
class Line:
    peer: str
    block: float
    mode: str
    txs: int
    seconds: float
    tps: float
    p50_ms: float
    p99_ms: float
    server_cpu: float
    client_cpu: float
    busiest_client: float
    blocks: int
    load1: float = 0.0  # the machine's 1-minute load average before the line's node started

    def text(self) -> str:
        return (
            f"{self.peer:<14} blocks {_interval(self.block):>6}  {self.mode:<13} "
            f"{self.tps:>8,.0f} tx/s  p50/p99 {self.p50_ms:,.0f} / {self.p99_ms:,.0f} ms  "
            f"server CPU {self.server_cpu:.0f} %  client CPU {self.client_cpu:.0f} % "
            f"(busiest client process {self.busiest_client:.0f} %)  "
            f"[{self.txs:,} txs in {self.seconds:.1f} s, {self.blocks} blocks; "
            f"load before {self.load1:.1f}]"
        )

    def row(self) -> str:
        return (
            f"| {self.peer} | {_interval(self.block)} | {self.mode} | {self.tps:,.0f} | "
            f"{self.p50_ms:,.0f} / {self.p99_ms:,.0f} ms | {self.server_cpu:.0f} % | "
            f"{self.client_cpu:.0f} % |"
        )


def _interval(block: float) -> str:
    return f"{block:g} s" if block >= 1 else f"{block * 1000:g} ms"


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest rank (every figure is a measured latency)."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


class RunFailed(Exception):
    """A line that did not commit every transaction with success."""

    def __init__(self, message: str, *, anvil_race: bool = False) -> None:
        super().__init__(message)
        self.anvil_race = anvil_race


@dataclass(frozen=True)
class Method:
    """How a line is measured (the same for both peers)."""

    processes: int  # client processes the senders are spread over
    poll: float  # seconds between polls for a block that does not exist yet
    timeout: float  # seconds a line may take
    stall: float  # seconds without a commit after the last answer: the rest is lost
    outcomes_during: bool  # fetch outcomes a block lacks (anvil's receipts) during the window


def measure(server: Server, load: Load, method: Method) -> Line:
    """Submit ``load`` from ``method.processes`` client processes while polling blocks."""
    processes = max(1, min(method.processes, len(load.senders)))
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(processes + 1, timeout=120)
    groups = [list(range(w, len(load.senders), processes)) for w in range(processes)]
    pipes: list[Connection] = []
    workers = []
    try:
        for group in groups:
            receiver, sender = context.Pipe(duplex=False)
            worker = context.Process(
                target=_client_process,
                args=(
                    server.port,
                    server.wire,
                    {s: load.senders[s] for s in group},
                    barrier,
                    sender,
                ),
                daemon=True,
            )
            worker.start()
            sender.close()
            pipes.append(receiver)
            workers.append(worker)
        return asyncio.run(_poll(server, load, groups, barrier, pipes, workers, method))
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
            worker.join(timeout=10)
        for pipe in pipes:
            pipe.close()


@dataclass
class Watch:
    """What the poller saw: when each of our transactions was first seen in a block."""

    started: float
    committed: dict[str, float] = field(default_factory=dict)
    last_commit: float = 0.0
    blocks: int = 0
    server_cpu: float = 0.0
    poller_cpu: float = 0.0
    failures: list[str] = field(default_factory=list)


async def _poll(
    server: Server,
    load: Load,
    groups: list[list[int]],
    barrier: Any,
    pipes: list[Connection],
    workers: list[Any],
    method: Method,
) -> Line:
    """Start the clients at once, then fetch each block as soon as it exists.

    A block's arrival is the commit time of our transactions in it. Outcomes the block
    does not carry (anvil's receipts) are fetched by a second task on its own connection,
    once the window is over (they cannot change once the block exists), or during it with
    ``outcomes_during``, without ever delaying the sight of the next block.
    """
    poll, timeout, stall = method.poll, method.timeout, method.stall
    wire = server.wire
    conn = await Conn.open(server.port)
    pending = {tx_id for sender in load.senders for _, ids in sender for tx_id in ids}
    if len(pending) != load.txs:
        raise RunFailed("two transactions share an id")
    height = await wire.height(conn) + 1
    checks: asyncio.Queue[tuple[int, list[str]] | None] = asyncio.Queue()
    summaries: list[Any] = [None] * len(pipes)
    await asyncio.get_running_loop().run_in_executor(None, barrier.wait)
    watch = Watch(started=time.monotonic())
    server_cpu0 = tree_cpu_seconds(server.pid)
    poller_cpu0 = time.process_time()

    async def verify() -> None:
        other = await Conn.open(server.port)
        try:
            while (item := await checks.get()) is not None:
                at, ids = item
                outcomes = await wire.outcomes(other, at)
                for tx_id in ids:
                    why = outcomes.get(tx_id, "no outcome in its block")
                    if why is not None:
                        watch.failures.append(f"tx {tx_id} at height {at}: {why}")
        finally:
            other.close()

    verifier = asyncio.create_task(verify()) if method.outcomes_during else None
    clients_done = 0.0
    try:
        while pending:
            if watch.failures:
                raise RunFailed(_failed(watch.failures))
            block = await wire.block(conn, height)
            seen = time.monotonic()
            if block is None:
                if _check_clients(pipes, workers, summaries) and not clients_done:
                    clients_done = seen
                quiet = seen - max(watch.last_commit, clients_done or seen)
                if seen - watch.started > timeout or quiet > stall:
                    why = f"after {timeout:g} s" if quiet <= stall else f"{quiet:.0f} s after"
                    missing, first = _pending(load, pending)
                    said, race = await wire.explain(conn, first)
                    raise RunFailed(
                        f"{len(pending):,} transactions never committed ({why} the last answer "
                        f"or commit): {missing}; {said}",
                        anvil_race=race,
                    )
                await asyncio.sleep(poll)
                continue
            ours = [tx_id for tx_id in block.ids if tx_id in pending]
            if ours:
                pending.difference_update(ours)
                watch.committed.update(dict.fromkeys(ours, seen))
                watch.blocks += 1
                watch.last_commit = seen
                if block.outcomes is None:
                    checks.put_nowait((height, ours))
                else:
                    watch.failures.extend(
                        f"tx {tx_id} at height {height}: {block.outcomes[tx_id]}"
                        for tx_id in ours
                        if block.outcomes[tx_id] is not None
                    )
            height += 1
        watch.server_cpu = tree_cpu_seconds(server.pid) - server_cpu0
        watch.poller_cpu = time.process_time() - poller_cpu0
        checks.put_nowait(None)
        await (verifier or verify())
    finally:
        if verifier is not None:
            verifier.cancel()
        conn.close()
    if watch.failures:
        raise RunFailed(_failed(watch.failures))
    return _summarise(load, groups, pipes, summaries, watch)


def _failed(failures: list[str]) -> str:
    return f"{len(failures)} transactions failed; first: {failures[0]}"


def _pending(load: Load, pending: set[str]) -> tuple[str, str]:
    """Which senders' transactions are missing, from which of their requests on; and the
    first missing transaction of the first such sender."""
    parts = []
    first = ""
    for s, requests in enumerate(load.senders):
        missing = [k for k, (_, ids) in enumerate(requests) if pending.intersection(ids)]
        if missing:
            parts.append(f"sender {s} from request {missing[0]} ({len(missing)} requests)")
            first = first or next(i for i in requests[missing[0]][1] if i in pending)
    more = f" and {len(parts) - 5} more senders" if len(parts) > 5 else ""
    return ", ".join(parts[:5]) + more, first


def _check_clients(pipes: list[Connection], workers: list[Any], summaries: list[Any]) -> bool:
    """Stop the run as soon as a client process failed (a refused submission, a lost link);
    True once every client process is done."""
    for w, pipe in enumerate(pipes):
        if summaries[w] is None and pipe.poll():
            summaries[w] = pipe.recv()
            if summaries[w][0] == "error":
                raise RunFailed(f"client process {w}: {summaries[w][1]}")
        elif summaries[w] is None and not workers[w].is_alive():
            raise RunFailed(f"client process {w} exited ({workers[w].exitcode})")
    return all(summary is not None for summary in summaries)


def _summarise(
    load: Load,
    groups: list[list[int]],
    pipes: list[Connection],
    summaries: list[Any],
    watch: Watch,
) -> Line:
    window = watch.last_commit - watch.started
    client_cpu = watch.poller_cpu
    busiest = 0.0
    latencies: list[float] = []
    first_sent = math.inf
    for w, pipe in enumerate(pipes):
        summary = summaries[w] if summaries[w] is not None else pipe.recv()
        if summary[0] == "error":
            raise RunFailed(f"client process {w}: {summary[1]}")
        cpu, first, last = summary[1]
        client_cpu += cpu
        # a client process's own load while it was sending: near 100 % means it was the limit
        busiest = max(busiest, cpu / (last - watch.started) if last > watch.started else 0.0)
        first_sent = min(first_sent, first)
        times = pipe.recv()
        for s, (sent, _answered) in zip(groups[w], times, strict=True):
            for (_, ids), when in zip(load.senders[s], sent, strict=True):
                latencies.extend(watch.committed[tx_id] - when for tx_id in ids)
    seconds = watch.last_commit - first_sent
    return Line(
        peer="",
        block=0.0,
        mode="",
        txs=load.txs,
        seconds=seconds,
        tps=load.txs / seconds,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        server_cpu=100 * watch.server_cpu / window,
        client_cpu=100 * client_cpu / window,
        busiest_client=100 * busiest,
        blocks=watch.blocks,
    )


# -- the run -------------------------------------------------------------------------------


_SIGNED: dict[str, list[list[tuple[str, str]]]] = {}  # anvil's transfers, signed once per run


def _mode(batch: int) -> str:
    return "1 tx/request" if batch == 1 else f"{batch} txs/request"


def run_line(args: argparse.Namespace, peer: str, block: float, batch: int, scheme: str) -> Line:
    """A fresh node of ``peer`` with ``block`` s blocks, the load, one measured line."""
    method = Method(
        processes=args.client_processes,
        poll=args.poll if args.poll is not None else min(0.02, block / 10),
        timeout=args.timeout,
        stall=max(15.0, 20 * block),
        outcomes_during=args.receipts_during,
    )
    load1 = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="finchain-bench-peers-"))
    try:
        if peer == "anvil":
            name = "anvil"
            with anvil_server(
                args.anvil, block, args.senders, workdir, logs=args.anvil_logs
            ) as server:
                load = eth_load(server.port, server.extra["keys"], args.txs, _SIGNED)
                line = measure(server, load, method)
        else:
            plain = (args.suite, scheme) == ("intl", "ed25519")
            name = "finchain solo" + ("" if plain else f" ({args.suite}/{scheme})")
            with finchain_server(args.suite, block, workdir) as server:
                chain_id, signers = finchain_senders(server, scheme, args.senders, args.txs)
                load = finchain_load(server.port, args.suite, chain_id, signers, args.txs, batch)
                line = measure(server, load, method)
    except RunFailed as exc:
        raise RunFailed(f"{exc} (logs kept in {workdir})", anvil_race=exc.anvil_race) from None
    except BaseException:
        print(f"(logs kept in {workdir})", file=sys.stderr)
        raise
    shutil.rmtree(workdir, ignore_errors=True)
    line.peer, line.block, line.mode, line.load1 = name, block, _mode(batch), load1
    return line


def _anvil_version(binary: Path) -> str:
    out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True)
    return out.stdout.splitlines()[0].removeprefix("anvil Version: ").strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--txs", type=int, default=20_000, help="transfers per line")
    parser.add_argument("--senders", type=int, default=20, help="sending accounts")
    parser.add_argument(
        "--blocks", default="1,0.1", help="block intervals in seconds, comma-separated"
    )
    parser.add_argument("--peers", default="anvil,finchain", help="anvil, finchain or both")
    parser.add_argument("--suite", default="intl", choices=("intl", "gm"), help="finchain suite")
    parser.add_argument(
        "--scheme", default=None, help="finchain senders' key scheme (default: the suite's)"
    )
    parser.add_argument(
        "--batch",
        type=int,
        default=500,
        help="finchain only: one more line with this many txs per request (0: none)",
    )
    parser.add_argument(
        "--client-processes", type=int, default=2, help="processes the senders are spread over"
    )
    parser.add_argument(
        "--poll",
        type=float,
        default=None,
        help="seconds between polls for the next block (default: a tenth of the block "
        "interval, at most 0.02)",
    )
    parser.add_argument("--timeout", type=float, default=300, help="seconds a line may take")
    parser.add_argument(
        "--receipts-during",
        action="store_true",
        help="fetch anvil's receipts (eth_getBlockReceipts) as each block is seen, inside the "
        "timed window, rather than after it: on this machine that costs anvil about half its "
        "throughput (finchain's blocks carry their results, so nothing changes there)",
    )
    parser.add_argument("--anvil", type=Path, default=ANVIL_DEFAULT, help="anvil binary")
    parser.add_argument(
        "--anvil-retries",
        type=int,
        default=2,
        help="times an anvil line is measured again on a fresh anvil when anvil never mined "
        "some transactions because of its pool race (see AnvilWire.explain); any other "
        "failure fails the line at once",
    )
    parser.add_argument(
        "--anvil-logs",
        action="store_true",
        help="run anvil without --quiet (its log gets a line per request, into a temp file)",
    )
    args = parser.parse_args(argv)

    from finchain.crypto import SCHEMES, get_suite

    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    if not peers or set(peers) - {"anvil", "finchain"}:
        parser.error("--peers takes anvil, finchain or both")
    intervals = [float(b) for b in args.blocks.split(",") if b.strip()]
    scheme = args.scheme or get_suite(args.suite).default_scheme
    if scheme not in SCHEMES:
        parser.error(f"--scheme must be one of {', '.join(SCHEMES)}")
    if args.senders < 1 or args.txs < args.senders:
        parser.error("--txs must be at least --senders, which must be at least 1")
    anvil_name = "anvil"
    if "anvil" in peers:
        if not args.anvil.exists():
            parser.error(f"no anvil at {args.anvil}: `make anvil` fetches it (or --anvil PATH)")
        version = _anvil_version(args.anvil)
        anvil_name = f"anvil {version}"
        if version != ANVIL_VERSION:
            print(f"note: anvil {version}, not the pinned {ANVIL_VERSION}", flush=True)

    print(
        f"load: {args.txs:,} transfers from {args.senders} senders, each in nonce order, the "
        "next sent when the previous one is answered; commits seen by polling blocks; "
        f"{args.client_processes} client processes + 1 poller; "
        f"{os.cpu_count()} cores shared by server and client",
        flush=True,
    )
    lines: list[Line] = []
    failed = False
    retried = 0
    for block in intervals:
        runs: list[tuple[str, int]] = []
        if "anvil" in peers:
            runs.append(("anvil", 1))
        if "finchain" in peers:
            runs.append(("finchain", 1))
            if args.batch > 1:
                runs.append(("finchain", args.batch))
        for peer, batch in runs:
            line = None
            for attempt in range(1, args.anvil_retries + 2 if peer == "anvil" else 2):
                try:
                    line = run_line(args, peer, block, batch, scheme)
                    break
                except RunFailed as exc:
                    what = f"{peer} blocks {_interval(block)} {_mode(batch)}"
                    print(f"{what}: attempt {attempt} FAILED: {exc}", flush=True)
                    if not exc.anvil_race:
                        break
                    retried += 1
            if line is None:
                failed = True
                continue
            if peer == "anvil":
                line.peer = anvil_name
            lines.append(line)
            print(line.text(), flush=True)

    print()
    print(
        "| node | blocks | txs per request | committed tx/s | p50 / p99 submit→commit "
        "| server CPU (one core = 100 %) | client CPU |"
    )
    print("|---|---|---|---|---|---|---|")
    for line in lines:
        print(line.row())
    for block in intervals:
        ours = [x for x in lines if x.block == block and x.mode == "1 tx/request"]
        anvil = [x for x in ours if x.peer.startswith("anvil")]
        finchain = [x for x in ours if x.peer.startswith("finchain")]
        if anvil and finchain:
            print(
                f"finchain/anvil at {_interval(block)}: {finchain[0].tps / anvil[0].tps:.2f}× "
                "committed tx/s (1 tx/request)"
            )
    if retried:
        print(
            f"note: {retried} anvil attempt(s) lost transactions to anvil's pool race (above) "
            "and the line was measured again on a fresh anvil (--anvil-retries)"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
