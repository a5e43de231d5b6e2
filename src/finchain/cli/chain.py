"""Commands that create and run chains: ``init``, ``node``, ``dev``."""

from __future__ import annotations

import os
import shlex
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from finchain.app.genesis import Genesis
from finchain.cli.common import (
    InsecurePassphraseOpt,
    checked_new_passphrase,
    secret_file,
    time_option,
)
from finchain.cli.output import CliError, emit, failures, stderr
from finchain.crypto import get_suite, read_passphrase_file
from finchain.devchain.demo import add_regulation_demo, ensure_did_key, seed_identity
from finchain.devchain.setup import (
    DemoAsset,
    HomeSpec,
    dev_home_exists,
    init_home,
    write_dev_passphrase,
)
from finchain.engines.solo.node import SoloClock
from finchain.indexer.follower import DEV_INDEX_FILE
from finchain.modules.accounts.types import account_id
from finchain.node.config import IndexerSection, load_config
from finchain.node.home import DEV_PASSPHRASE_FILE, PASSPHRASE_ENV, Home
from finchain.node.logs import setup_logging

HomeOpt = Annotated[Path, typer.Option("--home", help="node home directory")]
JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]
DEV_ACCOUNTS = ("operator", "alice", "bob", "carol")
DEV_ASSET = DemoAsset("CNY", "Demo yuan", 2, 100_000_000_00)
# The regulation walk-through's parts (docs/regulation.md): a regulator account, an asset
# only verified identities may hold once a rule set says so, and two intervention officers.
DEV_REGULATOR = "regulator"
DEV_REGULATED = DemoAsset("FUND", "Demo fund units (regulated)", 2, 1_000_000_00)
# One member (operator): voting ends 10 blocks after submission (time to run `finchain gov
# vote` after the command that proposed: a CLI command takes a few seconds), executes the
# block after.
DEV_GOVERNANCE: dict[str, int | str] = {
    "min_validators": 1,
    "voting_period": 10,
    "execution_delay": 1,
}


def _passphrase(passphrase_file: Path | None, *, insecure: bool) -> str:
    """The new keys' passphrase: --passphrase-file, else the environment, else a prompt;
    then the strength rule (finchain.crypto.passphrase) unless ``insecure``."""
    if passphrase_file is not None:
        secret = secret_file(passphrase_file, "passphrase")
    elif os.environ.get(PASSPHRASE_ENV):
        secret = os.environ[PASSPHRASE_ENV]
    else:
        secret = str(
            typer.prompt(
                "passphrase for the new keys",
                hide_input=True,
                confirmation_prompt=True,
                err=True,
            )
        )
    return checked_new_passphrase(secret, insecure=insecure, what="the new home's keys")


def init(
    home: HomeOpt = Path("~/.finchain"),
    chain_id: Annotated[str, typer.Option(help="chain id, e.g. bank-net-1")] = "finchain-local",
    suite: Annotated[str, typer.Option(help="crypto suite: gm (SM2/SM3/SM4) or intl")] = "gm",
    accounts: Annotated[
        str, typer.Option(help="comma-separated names of genesis accounts")
    ] = "operator",
    passphrase_file: Annotated[
        Path | None,
        typer.Option(help=f"file holding the key passphrase, mode 0600 (or ${PASSPHRASE_ENV})"),
    ] = None,
    insecure_passphrase: InsecurePassphraseOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Create a home: validator and account keys (encrypted), genesis.json, config.toml.

    The keys' passphrase needs 12+ characters and must not be a common one
    (docs/cli.md "Passphrases"); --insecure-passphrase lifts that for a
    throw-away home.
    """
    with failures():
        if suite not in ("gm", "intl"):
            raise CliError(f"--suite must be gm or intl, not {suite!r}")
        names = tuple(n.strip() for n in accounts.split(",") if n.strip())
        if not names:
            raise CliError("--accounts needs at least one name")
        target = Home(home.expanduser())
        spec = HomeSpec(
            chain_id=chain_id,
            suite=suite,
            passphrase=_passphrase(passphrase_file, insecure=insecure_passphrase),
            account_names=names,
        )
        ids = init_home(target, spec)
        emit(
            {"home": str(target.path), "chain_id": chain_id, "suite": suite, "accounts": ids},
            as_json=json_out,
        )


def node(
    home: HomeOpt = Path("~/.finchain"),
    engine: Annotated[
        str | None, typer.Option(help="solo or cometbft (default: config [node] engine)")
    ] = None,
    log_format: Annotated[str | None, typer.Option(help="text or json (overrides config)")] = None,
    instant: Annotated[bool | None, typer.Option("--instant/--interval", help="block mode")] = None,
    passphrase_file: Annotated[
        Path | None,
        typer.Option(
            help=f"validator key passphrase file, mode 0600 (wins over ${PASSPHRASE_ENV})"
        ),
    ] = None,
) -> None:
    """Run a node from its home until SIGTERM/SIGINT.

    ``--engine cometbft`` runs one institution's validator: the ABCI server (which
    serves the HTTP API) and its CometBFT, supervised together; docs/OPERATIONS.md.
    """
    from finchain.node.server import serve

    with failures():
        path = home.expanduser()
        config = load_config(path / "config.toml")
        chosen = engine or config.node.engine
        if chosen not in ("solo", "cometbft"):
            raise CliError(f"--engine must be solo or cometbft, not {chosen!r}")
        setup_logging(log_format or config.node.log_format, config.node.log_level)
        if chosen == "cometbft":
            if passphrase_file is not None:
                stderr.print(
                    "warning: --passphrase-file is not used by --engine cometbft: CometBFT "
                    "signs with its own cometbft/config/priv_validator_key.json",
                    highlight=False,
                    soft_wrap=True,
                    markup=False,
                )
            raise typer.Exit(_run_cometbft(path))
        target = Home(path)
        target.require()
        serve(target, config, instant=instant, passphrase_file=passphrase_file)


def _run_cometbft(path: Path) -> int:
    """Supervise the node's ABCI server and CometBFT; the exit code says how it ended."""
    from finchain.engines.cometbft.home import NodeHome
    from finchain.engines.cometbft.toolchain import ToolchainError
    from finchain.node.cometbft.processes import ProcessError
    from finchain.node.cometbft.run import run_node

    home = NodeHome(path)
    if not (home.cometbft / "config" / "config.toml").exists():
        raise CliError(
            f"{path} is not a CometBFT node home (no cometbft/config/config.toml): see "
            "docs/OPERATIONS.md, or make a local network with `finchain testnet init`"
        )
    try:
        return run_node(home)
    except (ProcessError, ToolchainError, OSError, ValueError) as exc:
        stderr.print(f"error: cannot run the node: {exc}", highlight=False, markup=False)
        return 1  # a failed start, like a crash: the service manager may retry


MAX_CLOCK_RATE = 86_400  # a day a second


def dev(
    home: HomeOpt = Path(".finchain-dev"),
    suite: Annotated[str, typer.Option(help="gm or intl")] = "gm",
    listen: Annotated[str, typer.Option(help="API host:port")] = "127.0.0.1:8640",
    log_format: Annotated[str, typer.Option(help="text or json")] = "text",
    clock_start: Annotated[
        str,
        typer.Option(
            help="block times start at this RFC 3339 time (e.g. 2027-06-28T00:00:00Z) "
            "instead of now; a restart continues from the last block"
        ),
    ] = "",
    clock_rate: Annotated[
        int,
        typer.Option(
            help="block time runs this many times faster than the wall clock "
            "(3600: an hour a second), to reach coupon dates and maturities in seconds",
            min=1,
            max=MAX_CLOCK_RATE,
        ),
    ] = 1,
) -> None:
    """A single-node development chain with funded demo accounts, in one command.

    The first run creates HOME with accounts operator, alice, bob, carol and regulator,
    each holding 100,000,000.00 CNY and 1,000,000.00 FUND (a regulated asset); the
    regulator is registered, and it and the operator are the intervention officers
    (both needed). Keys are in HOME/keystore under a random passphrase kept in
    HOME/validator.passphrase (development only). Later runs continue
    the same chain, and an indexer writes its blocks into HOME/index.db (SQLite; ``finchain
    index report``). ``--clock-start`` and ``--clock-rate`` move the chain's
    calendar (development chains only: a production node's blocks carry real time).
    """
    from finchain.node.server import serve

    with failures():
        clock = SoloClock(
            start_ns=time_option(clock_start, "--clock-start") if clock_start else 0,
            rate=clock_rate,
        )
        target = Home(home.expanduser().resolve())
        if not dev_home_exists(target.path):
            passphrase = write_dev_passphrase(target)
            config_text = (
                f'[api]\nlisten = "{listen}"\n\n[solo]\nblock_interval = 1.0\n\n'
                f'[node]\nlog_format = "{log_format}"\n'
            )
            init_home(
                target,
                HomeSpec(
                    chain_id="finchain-dev",
                    suite=suite,
                    passphrase=passphrase,
                    account_names=(*DEV_ACCOUNTS, DEV_REGULATOR),
                    assets=(DEV_ASSET, DEV_REGULATED),
                    config_text=config_text,
                    governance_params=DEV_GOVERNANCE,
                ),
            )
            add_regulation_demo(target)
        passphrase = read_passphrase_file(target.path / DEV_PASSPHRASE_FILE)
        genesis = Genesis.load(target.genesis_path)
        keystore = target.keystore()
        ensure_did_key(
            keystore,
            scheme=get_suite(genesis.suite).default_scheme,
            suite=genesis.suite,
            passphrase=passphrase,
        )
        operator = account_id(1)  # genesis account 1: the dev chain's operator
        config = load_config(target.config_path)
        setup_logging(log_format, config.node.log_level)
        if not config.indexer.db:  # the dev chain's index, unless its config.toml names one
            dev_index = IndexerSection(db=f"sqlite://{target.path / DEV_INDEX_FILE}", run=True)
            config = replace(config, indexer=dev_index)
        ready = dev_banner(target, genesis, f"http://{config.api.listen}", config.indexer.db)
        serve(
            target,
            config,
            instant=False,
            clock=clock,
            on_ready=ready,
            after_start=partial(
                seed_identity, keystore=keystore, passphrase=passphrase, operator=operator
            ),
        )


def dev_banner(home: Home, genesis: Genesis, url: str, index_db: str) -> str:
    """What ``finchain dev`` prints once it serves: where it is, and how to point the CLI at it.

    Every dev chain has the chain id ``finchain-dev`` (and, by default, the same
    port), so a CLI left on its defaults may reach another dev node; its genesis
    hash is what tells them apart, and the exports make every command use this one.
    """
    path = home.path
    exports = (
        f"FINCHAIN_URL={shlex.quote(url)} FINCHAIN_HOME={shlex.quote(str(path))} "
        f"FINCHAIN_INDEX_DB={shlex.quote(index_db)}"
    )
    return (
        f"finchain dev chain running\n"
        f"  chain    {genesis.chain_id} (genesis {genesis.hash().hex()})\n"
        f"  API      {url}/v1/status\n  docs     {url}/docs\n"
        f"  home     {path}\n  index    {index_db} (finchain index report)\n"
        f"  keys     {home.keystore_dir} "
        f"(passphrase in {path / DEV_PASSPHRASE_FILE})\n  accounts "
        + ", ".join((*DEV_ACCOUNTS, DEV_REGULATOR))
        + "\n  identity operator's DID (key operator-did), bound and accredited for "
        "KycTierCredential a few blocks after the first start (docs/identity.md)\n"
        "  use it   in another shell, point the CLI at this node and its home:\n"
        f"           export {exports}\n"
        "           (commands then warn, or refuse to sign, if another chain answers)"
    )
