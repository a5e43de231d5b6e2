"""``finchain bench``: signed transfers per second through the HTTP API, and their latency.

Method (also in docs/cli.md):

1. **Setup** (not timed): generate K keys of ``--scheme`` in memory, open K
   accounts signed by the funding account (``--from``, the dev ``operator``),
   32 creations per transaction, and fund each with what it will send. The
   funding account's nonce is read just before signing; if another
   transaction of that account takes a nonce meanwhile (``finchain dev``
   sends its demo setup as the operator in its first seconds), the refused
   transactions are re-signed with the current nonce.
2. **Pre-sign** (not timed): N transfers of 1 unit, account ``i % K`` paying
   account ``(i + 1) % K``, each account's nonces consecutive.
3. **Submit** (timed): accounts are split into ``--concurrency`` lanes; each
   lane sends its transactions in batches of ``--batch`` (``POST
   /v1/txs/batch?mode=commit``), one batch after another, so an account's
   nonces always arrive in order. A closed loop: ``concurrency × batch``
   transactions are in flight; the defaults (8 × 500 = 4,000) fit a CometBFT
   node's default mempool of 5,000, and a refusal for a full mempool is
   counted and reported as such. ``--processes P`` spreads the lanes over P
   client processes (one process's interpreter lock cannot decode every
   lane's answer in time when a block commits them all at once). A
   transaction's latency is from the moment its batch was sent to the moment
   the node answered that it is committed.
4. **Report**: ``tps`` = committed / (last commit − first submission); p50 and
   p99 of the per-transaction latencies; the last line is exactly
   ``tps=… p50_ms=… p99_ms=… committed=N failed=F``. Exit 1 if any failed.

``--in-process`` starts a solo node and its API inside this process (temp
home, demo accounts); client and node then share one interpreter, so the
figure is lower than against a separate ``finchain node``.
"""

from __future__ import annotations

import math
import multiprocessing
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from finchain.cli.common import (
    DEFAULT_HOME,
    DEFAULT_URL,
    HomeOpt,
    JsonOpt,
    KeystoreOpt,
    PassphraseFileOpt,
    UrlOpt,
)
from finchain.cli.online import AccountOpt, connect, signer
from finchain.cli.output import CliError, CommandFailed, emit, failures, stderr, stdout
from finchain.client import Client, Signer, SubmitReceipt
from finchain.client import builders as b
from finchain.client.sending import nonce_moved
from finchain.codec import RawMsg
from finchain.crypto import SCHEMES, PrivateKey, generate_private_key
from finchain.engines.solo.errors import ErrMempoolFull

MSGS_PER_TX = 32  # ChainParams.max_msgs_per_tx default
OUTPUTS_PER_MSG = 64  # bank MAX_OUTPUTS
FUND_MSGS_PER_TX = 4  # 256 payments per tx stays well inside ChainParams.max_tx_cost
COMMIT_WAIT = 20.0  # seconds a commit-mode batch may wait (<= the API's request_timeout)
DEFAULT_BATCH = 500
DEFAULT_CONCURRENCY = 8  # 8 x 500 = 4,000 in flight: inside COMETBFT_DEFAULT_MEMPOOL
COMETBFT_DEFAULT_MEMPOOL = 5_000  # `finchain testnet init --mempool-size` default
SETUP_NONCE_RETRIES = 5  # re-signs of setup transactions whose nonce another tx took


@dataclass
class BenchResult:
    """The figures of one run; ``line()`` is the contract other tools parse."""

    txs: int
    accounts: int
    scheme: str
    batch: int
    concurrency: int
    committed: int
    failed: int
    seconds: float
    tps: float
    p50_ms: float
    p99_ms: float
    setup_seconds: float
    sign_seconds: float
    first_error: str = ""
    mempool_full: int = 0  # of ``failed``: refused because the node's mempool was full

    def line(self) -> str:
        return (
            f"tps={self.tps:.1f} p50_ms={self.p50_ms:.1f} p99_ms={self.p99_ms:.1f} "
            f"committed={self.committed} failed={self.failed}"
        )


@dataclass
class _Tally:
    """Per-transaction outcomes, filled by the lane threads."""

    latencies: list[float] = field(default_factory=list)
    failed: int = 0
    mempool_full: int = 0
    first_error: str = ""
    last_commit: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, receipts: Sequence[SubmitReceipt], sent: float, answered: float) -> int:
        ok = [r for r in receipts if r.committed and r.ok]
        with self.lock:
            self.latencies.extend([answered - sent] * len(ok))
            if ok:
                self.last_commit = max(self.last_commit, answered)
            for receipt in receipts:
                if receipt.committed and receipt.ok:
                    continue
                self.failed += 1
                if _mempool_full(receipt):
                    self.mempool_full += 1
                if not self.first_error:
                    self.first_error = _describe(receipt)
        return len(ok)

    def fail(self, count: int, reason: str) -> None:
        with self.lock:
            self.failed += count
            self.first_error = self.first_error or reason


def _mempool_full(receipt: SubmitReceipt) -> bool:
    result = receipt.check
    return (
        result is not None
        and result.codespace == ErrMempoolFull.codespace
        and result.code == ErrMempoolFull.code
    )


def _describe(receipt: SubmitReceipt) -> str:
    result = receipt.deliver or receipt.check
    if result is not None and not result.ok:
        return f"[{result.codespace}:{result.code}] {result.log}"
    if receipt.timed_out:
        return "not committed within the wait"
    return "unknown failure"


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (no interpolation: every figure is a measured latency)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


# -- phases ----------------------------------------------------------------------------------


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _committed(
    client: Client, funder: Signer, txs: Sequence[Sequence[RawMsg]], what: str
) -> list[SubmitReceipt]:
    """Sign each message group as one funder transaction, submit them (commit mode) and
    insist that each succeeded; receipts in the order of ``txs``.

    The funder's nonce is read from the node first. A transaction refused for its
    nonce (another transaction of the funder took it: executed nothing) is re-signed
    with the nonce the node reports next, up to SETUP_NONCE_RETRIES rounds.
    """
    receipts: dict[int, SubmitReceipt] = {}
    pending = list(range(len(txs)))
    for attempt in range(SETUP_NONCE_RETRIES + 1):
        if attempt:
            time.sleep(0.5 * attempt)  # let the other transaction's block commit
        funder.nonce = client.account(funder.account).nonce
        raws = [funder.sign(*txs[i]) for i in pending]
        answers: list[SubmitReceipt] = []
        for chunk in _chunks(raws, 200):
            answers.extend(client.submit_batch(chunk, mode="commit", timeout=COMMIT_WAIT))
        moved = []
        for index, receipt in zip(pending, answers, strict=True):
            receipts[index] = receipt
            if nonce_moved(receipt):
                moved.append(index)
            elif not (receipt.committed and receipt.ok):
                raise CommandFailed(f"bench setup failed while {what}: {_describe(receipt)}")
        if not moved:
            return [receipts[i] for i in range(len(txs))]
        stderr.print(
            f"note: another transaction of the funding account {funder.account} took "
            f"{len(moved)} of the nonces signed for {what}; re-signing them",
            highlight=False,
            soft_wrap=True,
            markup=False,
        )
        pending = moved
    raise CommandFailed(
        f"bench setup failed while {what}: the funding account {funder.account}'s nonce kept "
        f"moving ({_describe(receipts[pending[0]])}); another client is sending as this "
        "account: stop it, or fund the bench from another account (--from)"
    )


def create_accounts(
    client: Client, funder: Signer, keys: Sequence[PrivateKey], advance: Callable[[int], None]
) -> list[str]:
    """Open one account per key (k1, weight 1, threshold 1); their ids in key order."""
    txs = [
        [b.create_account(b.policy([b.key_of("k1", key)])) for key in chunk]
        for chunk in _chunks(keys, MSGS_PER_TX)
    ]
    ids: list[str] = []
    for receipt in _committed(client, funder, txs, "creating accounts"):
        assert receipt.deliver is not None
        created = [e.get("account") for e in receipt.deliver.events if e.type == "account_created"]
        ids.extend(str(a) for a in created)
        advance(len(created))
    if len(ids) != len(keys):
        raise CommandFailed(f"bench setup created {len(ids)} accounts, expected {len(keys)}")
    return ids


def fund_accounts(
    client: Client,
    funder: Signer,
    ids: Sequence[str],
    asset: str,
    each: int,
    advance: Callable[[int], None],
) -> None:
    msgs = [
        b.transfer(*[(to, asset, each) for to in group]) for group in _chunks(ids, OUTPUTS_PER_MSG)
    ]
    _committed(client, funder, _chunks(msgs, FUND_MSGS_PER_TX), "funding accounts")
    advance(len(ids))


def presign(
    chain_id: str,
    ids: Sequence[str],
    keys: Sequence[PrivateKey],
    txs: int,
    asset: str,
    lanes: int,
    advance: Callable[[int], None],
) -> list[list[bytes]]:
    """N transfers split into lanes by sender (so one lane holds all of an account's nonces)."""
    signers = [Signer(chain_id, i, [("k1", k)]) for i, k in zip(ids, keys, strict=True)]
    per_lane: list[list[bytes]] = [[] for _ in range(lanes)]
    count = len(ids)
    for n in range(txs):
        sender = n % count
        receiver = ids[(sender + 1) % count]
        per_lane[sender % lanes].append(signers[sender].sign(b.transfer((receiver, asset, 1))))
        if n % 256 == 255:
            advance(256)
    advance(txs % 256)
    return per_lane


def submit_lanes(
    url: str, lanes: Sequence[Sequence[bytes]], batch: int, advance: Callable[[int], None]
) -> tuple[_Tally, float]:
    """Run every lane on its own thread and client; returns outcomes and the start time."""
    tally = _Tally()
    start_gate = threading.Barrier(len(lanes) + 1)

    def lane(raws: Sequence[bytes]) -> None:
        with Client(url, timeout=COMMIT_WAIT + 15, retries=0) as client:
            start_gate.wait()
            for chunk in _chunks(raws, batch):
                sent = time.monotonic()
                try:
                    receipts = client.submit_batch(chunk, mode="commit", timeout=COMMIT_WAIT)
                except Exception as exc:  # a lost batch is counted, not fatal to the run
                    tally.fail(len(chunk), f"{type(exc).__name__}: {exc}")
                    continue
                advance(tally.record(receipts, sent, time.monotonic()))

    threads = [threading.Thread(target=lane, args=(raws,), daemon=True) for raws in lanes]
    for thread in threads:
        thread.start()
    start_gate.wait()
    started = time.monotonic()
    for thread in threads:
        thread.join()
    return tally, started


def _lanes_in_child(
    url: str, lanes: Sequence[Sequence[bytes]], batch: int
) -> tuple[list[float], int, int, str, float, float]:
    """One client process's share of the lanes (module level: spawned processes import it)."""
    tally, started = submit_lanes(url, lanes, batch, lambda n: None)
    return (
        tally.latencies,
        tally.failed,
        tally.mempool_full,
        tally.first_error,
        tally.last_commit,
        started,
    )


def submit_lanes_in_processes(
    url: str,
    lanes: Sequence[Sequence[bytes]],
    batch: int,
    processes: int,
    advance: Callable[[int], None],
) -> tuple[_Tally, float]:
    """The lanes spread over ``processes`` client processes.

    One Python client decodes every answer on one interpreter lock: when a block
    commits, all lanes' 500-receipt answers arrive at once and are turned into
    objects one after another, so the last lanes resubmit late. Real clients
    are many processes; so is this option. Times are ``time.monotonic``, one
    clock for every process of the machine.
    """
    groups = [list(lanes[i::processes]) for i in range(processes)]
    tally = _Tally()
    starts = []
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
        futures = [pool.submit(_lanes_in_child, url, group, batch) for group in groups if group]
        for future in futures:
            latencies, failed, mempool_full, first_error, last_commit, started = future.result()
            tally.latencies.extend(latencies)
            tally.failed += failed
            tally.mempool_full += mempool_full
            tally.first_error = tally.first_error or first_error
            tally.last_commit = max(tally.last_commit, last_commit)
            starts.append(started)
            advance(len(latencies))
    return tally, min(starts)


def run_bench(
    url: str,
    funder: Signer,
    *,
    txs: int,
    accounts: int,
    scheme: str,
    batch: int,
    concurrency: int,
    asset: str,
    progress: Progress,
    processes: int = 1,
) -> BenchResult:
    """The four phases of the module docstring against the API at ``url``."""
    lanes = max(1, min(concurrency, accounts))
    with Client(url, timeout=COMMIT_WAIT + 15) as client:
        setup_started = time.perf_counter()
        task = progress.add_task("keys", total=accounts)
        keys = []
        for _ in range(accounts):
            keys.append(generate_private_key(scheme))
            progress.advance(task)
        task = progress.add_task("open accounts", total=accounts)
        ids = create_accounts(client, funder, keys, lambda n: progress.advance(task, n))
        task = progress.add_task("fund accounts", total=accounts)
        each = math.ceil(txs / accounts)
        fund_accounts(client, funder, ids, asset, each, lambda n: progress.advance(task, n))
        setup_seconds = time.perf_counter() - setup_started
        chain_id = client.status().chain_id

    sign_started = time.perf_counter()
    task = progress.add_task(f"sign ({scheme})", total=txs)
    per_lane = presign(chain_id, ids, keys, txs, asset, lanes, lambda n: progress.advance(task, n))
    sign_seconds = time.perf_counter() - sign_started

    task = progress.add_task("committed", total=txs)
    advance = partial(progress.advance, task)
    if processes > 1:
        tally, started = submit_lanes_in_processes(url, per_lane, batch, processes, advance)
    else:
        tally, started = submit_lanes(url, per_lane, batch, advance)
    committed = len(tally.latencies)
    seconds = (tally.last_commit - started) if committed else 0.0
    return BenchResult(
        txs=txs,
        accounts=accounts,
        scheme=scheme,
        batch=batch,
        concurrency=lanes,
        committed=committed,
        failed=tally.failed,
        seconds=round(seconds, 3),
        tps=round(committed / seconds, 1) if seconds > 0 else 0.0,
        p50_ms=round(percentile(tally.latencies, 0.50) * 1000, 1),
        p99_ms=round(percentile(tally.latencies, 0.99) * 1000, 1),
        setup_seconds=round(setup_seconds, 3),
        sign_seconds=round(sign_seconds, 3),
        first_error=tally.first_error,
        mempool_full=tally.mempool_full,
    )


# -- command ---------------------------------------------------------------------------------


def bench(
    url: UrlOpt = DEFAULT_URL,
    txs: Annotated[int, typer.Option("--txs", min=1, help="transfers to measure")] = 10_000,
    accounts: Annotated[
        int, typer.Option("--accounts", min=1, help="accounts to create and spread them over")
    ] = 1_000,
    scheme: Annotated[
        str, typer.Option("--scheme", help=f"key scheme of the accounts: {', '.join(SCHEMES)}")
    ] = "ed25519",
    batch: Annotated[
        int, typer.Option("--batch", min=1, help="transactions per request")
    ] = DEFAULT_BATCH,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency",
            min=1,
            help="lanes: batches in flight at once (keep concurrency x batch below the "
            "node's mempool size)",
        ),
    ] = DEFAULT_CONCURRENCY,
    processes: Annotated[
        int,
        typer.Option(
            "--processes", min=1, max=16, help="client processes the lanes are spread over"
        ),
    ] = 1,
    asset: Annotated[str, typer.Option("--asset", help="asset to transfer")] = "CNY",
    in_process: Annotated[
        bool, typer.Option("--in-process", help="run a solo node + API in this process (temp)")
    ] = False,
    suite: Annotated[
        str | None,
        typer.Option("--suite", help="--in-process chain suite (default: gm for sm2, else intl)"),
    ] = None,
    block_interval: Annotated[
        float, typer.Option("--block-interval", help="--in-process seconds between blocks")
    ] = 1.0,
    from_: Annotated[
        str, typer.Option("--from", help="keystore key of the funding account")
    ] = "operator",
    account: AccountOpt = None,
    home: HomeOpt = DEFAULT_HOME,
    keystore: KeystoreOpt = None,
    passphrase_file: PassphraseFileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Measure committed transfers per second and submit-to-commit latency over HTTP."""
    with failures(), ExitStack() as stack:
        if scheme not in SCHEMES:
            raise CliError(f"--scheme must be one of {', '.join(SCHEMES)}, not {scheme!r}")
        if in_process:
            from finchain.cli.inprocess import local_chain
            from finchain.node.home import DEV_PASSPHRASE_FILE

            chain_suite = suite or ("gm" if scheme == "sm2" else "intl")
            chain = stack.enter_context(
                local_chain(suite=chain_suite, block_interval=block_interval)
            )
            url, home, keystore = chain.url, chain.home, None
            passphrase_file = chain.home / DEV_PASSPHRASE_FILE
        elif suite is not None:
            raise CliError("--suite applies to --in-process only (a running chain has its own)")
        client = stack.enter_context(connect(url, home=home))
        _warn_if_overrunning(client, concurrency, batch, accounts)
        funder = signer(
            client,
            [from_],
            account=account,
            home=home,
            keystore=keystore,
            passphrase_file=passphrase_file,
        )
        progress = stack.enter_context(
            Progress(
                TextColumn("{task.description:>16}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=stderr,
                transient=json_out,
            )
        )
        result = run_bench(
            url,
            funder,
            txs=txs,
            accounts=accounts,
            scheme=scheme,
            batch=batch,
            concurrency=concurrency,
            asset=asset,
            progress=progress,
            processes=processes,
        )
        progress.stop()
        _show(result, url, json_out)
        if result.failed:
            raise CommandFailed(_failure(result))


def _warn_if_overrunning(client: Client, concurrency: int, batch: int, accounts: int) -> None:
    """Say before the run when the closed loop holds more than a CometBFT mempool by default."""
    in_flight = min(concurrency, accounts) * batch
    if in_flight > COMETBFT_DEFAULT_MEMPOOL and client.status().engine == "cometbft":
        stderr.print(
            f"warning: --concurrency x --batch puts {in_flight:,} transactions in flight; a "
            f"CometBFT node's mempool holds {COMETBFT_DEFAULT_MEMPOOL:,} unless its config.toml "
            "[mempool] size says more (`finchain testnet init --mempool-size`): expect "
            "[mempool:2] refusals",
            highlight=False,
            soft_wrap=True,
            markup=False,
        )


def _failure(result: BenchResult) -> str:
    """The one-line reason a run with failures exits 1."""
    reason = f"{result.failed} of {result.txs} transactions failed (first: {result.first_error})"
    if result.mempool_full:
        in_flight = result.concurrency * result.batch
        reason += (
            f"; {result.mempool_full} were refused because the node's mempool was full "
            f"([mempool:2]) with {in_flight:,} in flight (--concurrency {result.concurrency} x "
            f"--batch {result.batch}): lower them below the node's mempool size, or raise it "
            "(CometBFT: config.toml [mempool] size, `finchain testnet init --mempool-size`; "
            "solo: [solo] mempool_max_txs)"
        )
    return reason


def _show(result: BenchResult, url: str, json_out: bool) -> None:
    if json_out:
        emit({**asdict(result), "url": url, "line": result.line()}, as_json=True)
        return
    summary = {
        k: v for k, v in asdict(result).items() if k not in ("first_error", "mempool_full") or v
    }
    emit({**summary, "url": url}, as_json=False, title="bench")
    stdout.print(result.line(), highlight=False, soft_wrap=True)
