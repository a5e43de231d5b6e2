"""CometBFT's files for a finchain node: ``config.toml`` edits and the genesis document.

``cometbft init`` writes the defaults of the pinned version; we change only the
keys we own and fail loudly if one is missing, so a new CometBFT version whose
config moved is noticed at ``testnet init``, not as a silently ignored setting.
"""

from __future__ import annotations

import base64
import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finchain.app import Genesis
from finchain.engines.cometbft.validators import COMETBFT_KEY_TYPE, address, parse_validators

TomlValue = str | int | bool
#: JSON-RPC limits we set on our nodes: the API hands CometBFT a whole batch of txs
#: in one request (CometBFT's defaults: 10 requests, 1 MB).
RPC_MAX_BATCH = 2000
RPC_MAX_BODY_BYTES = 16 * 1024 * 1024
_SECTION = re.compile(r"^\[([A-Za-z0-9_.-]+)\]\s*$")
_KEY = re.compile(r"^([A-Za-z0-9_-]+)\s*=")


@dataclass(frozen=True, slots=True)
class ConsensusSettings:
    """The consensus and mempool knobs a network is initialised with.

    The defaults are CometBFT's own (``create_empty_blocks`` on: a block every
    ``timeout_commit`` even when idle, so liveness is visible and the latest
    header is never old; off suits a quiet production chain, see docs/cometbft.md),
    except ``tx_index``: CometBFT's own tx indexer is off (``"null"``), because the
    finchain API looks txs up in the Application's index (with proofs) and
    indexing every event again cost ~40% of CometBFT's CPU under load. ``"kv"``
    turns CometBFT's ``/tx`` and ``/tx_search`` back on. Tests shrink the timeouts.
    """

    timeout_propose: str = "3s"
    timeout_prevote: str = "1s"
    timeout_precommit: str = "1s"
    timeout_commit: str = "1s"
    create_empty_blocks: bool = True
    create_empty_blocks_interval: str = "0s"
    mempool_size: int = 5000
    log_level: str = "info"
    tx_index: str = "null"


def edit_toml(text: str, values: Mapping[str, Mapping[str, TomlValue]]) -> str:
    """Set existing ``key = value`` lines; ``values`` maps section ("" = top level) to keys."""
    pending = {(section, key) for section, keys in values.items() for key in keys}
    section = ""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        header = _SECTION.match(line)
        if header:
            section = header.group(1)
            continue
        key = _KEY.match(line)
        if key and (section, key.group(1)) in pending:
            lines[i] = f"{key.group(1)} = {_toml(values[section][key.group(1)])}"
            pending.discard((section, key.group(1)))
    if pending:
        raise ValueError(f"config.toml has no {sorted(pending)}: is this the pinned CometBFT?")
    return "\n".join(lines) + "\n"


def node_config(
    *,
    moniker: str,
    proxy_app: str,
    p2p_port: int,
    rpc_port: int,
    persistent_peers: Sequence[str],
    max_tx_bytes: int,
    settings: ConsensusSettings,
) -> dict[str, dict[str, TomlValue]]:
    """The config.toml values of one node of a loopback network."""
    return {
        "": {"moniker": moniker, "proxy_app": proxy_app, "log_level": settings.log_level},
        "rpc": {
            "laddr": f"tcp://127.0.0.1:{rpc_port}",
            "max_request_batch_size": RPC_MAX_BATCH,
            "max_body_bytes": RPC_MAX_BODY_BYTES,
        },
        "p2p": {
            "laddr": f"tcp://127.0.0.1:{p2p_port}",
            "persistent_peers": ",".join(persistent_peers),
            "addr_book_strict": False,  # peers are on 127.0.0.1
            "allow_duplicate_ip": True,
            "pex": False,  # the peer list is fixed: every validator dials every other
            "flush_throttle_timeout": "10ms",
            "dial_timeout": "1s",
            "handshake_timeout": "5s",
            "persistent_peers_max_dial_period": "2s",
        },
        "mempool": {"max_tx_bytes": max_tx_bytes, "size": settings.mempool_size},
        "consensus": {
            "timeout_propose": settings.timeout_propose,
            "timeout_prevote": settings.timeout_prevote,
            "timeout_precommit": settings.timeout_precommit,
            "timeout_commit": settings.timeout_commit,
            "create_empty_blocks": settings.create_empty_blocks,
            "create_empty_blocks_interval": settings.create_empty_blocks_interval,
        },
        "tx_index": {"indexer": settings.tx_index},
        "instrumentation": {"prometheus": False},
    }


@dataclass(frozen=True, slots=True)
class RpcSettings:
    """Where a node's own CometBFT RPC listens and how large a JSON-RPC batch it takes."""

    url: str = "http://127.0.0.1:26657"
    max_batch: int = 10  # 0: unlimited
    max_body_bytes: int = 1_000_000


def read_rpc_settings(cometbft_home: Path) -> RpcSettings:
    """The ``[rpc]`` settings of ``cometbft_home/config/config.toml``.

    A wildcard listen address (``0.0.0.0``) is reached on 127.0.0.1; a unix
    socket is refused, because the HTTP client speaks TCP.
    """
    path = cometbft_home / "config" / "config.toml"
    try:
        rpc = tomllib.loads(path.read_text())["rpc"]
        laddr = str(rpc["laddr"])
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"cannot read [rpc] laddr from {path}: {exc}") from None
    if not laddr.startswith("tcp://"):
        raise ValueError(f"{path}: rpc.laddr must be tcp://HOST:PORT for the API, got {laddr}")
    host, _, port = laddr.removeprefix("tcp://").rpartition(":")
    host = "127.0.0.1" if host in ("", "0.0.0.0") else host  # noqa: S104 - parsing, not binding
    return RpcSettings(
        url=f"http://{host}:{port}",
        max_batch=int(rpc.get("max_request_batch_size", 10)),
        max_body_bytes=int(rpc.get("max_body_bytes", 1_000_000)),
    )


def finchain_config(*, api_listen: str, keep_recent: int = 0) -> str:
    """The finchain ``config.toml`` of a CometBFT node home (``[node] engine = "cometbft"``)."""
    return (
        "# finchain node on CometBFT: consensus settings live in cometbft/config/config.toml\n\n"
        '[node]\nengine = "cometbft"\nlog_format = "text"\nlog_level = "info"\n\n'
        f'[api]\nlisten = "{api_listen}"\nmax_concurrency = 256\n\n'
        f"[storage]\nkeep_recent = {keep_recent}\n"
    )


def cometbft_genesis(template: Mapping[str, Any], genesis: Genesis) -> dict[str, Any]:
    """CometBFT's genesis for ``genesis``: same chain id, time and validators; ours as app_state.

    ``template`` is a genesis written by ``cometbft init`` (its consensus params
    are the pinned version's defaults); the block size limit becomes finchain's.
    """
    validators = parse_validators(genesis.validators)
    doc = dict(template)
    params = json.loads(json.dumps(template["consensus_params"]))
    params["block"]["max_bytes"] = str(genesis.params.max_block_bytes)
    doc.update(
        genesis_time=genesis.genesis_time,
        chain_id=genesis.chain_id,
        initial_height=str(genesis.initial_height),
        consensus_params=params,
        validators=[
            {
                "address": address(v.public_key).hex().upper(),
                "pub_key": {
                    "type": COMETBFT_KEY_TYPE,
                    "value": base64.b64encode(v.public_key).decode(),
                },
                "power": str(v.power),
                "name": entry["name"],
            }
            for v, entry in zip(validators, genesis.validators, strict=True)
        ],
        app_hash="",
        app_state=genesis.to_json_obj(),
    )
    return doc


def validator_public_key(cometbft_home: Path) -> bytes:
    """The Ed25519 public key in a CometBFT home's ``priv_validator_key.json``."""
    key = json.loads((cometbft_home / "config" / "priv_validator_key.json").read_text())
    if key["pub_key"]["type"] != COMETBFT_KEY_TYPE:
        raise ValueError(f"{cometbft_home}: validator key is {key['pub_key']['type']}")
    return base64.b64decode(key["pub_key"]["value"], validate=True)


def _toml(value: TomlValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value)


def node_id(cometbft_home: Path) -> str:
    """The p2p node ID: hex of the first 20 bytes of SHA-256 of the node key's public half."""
    key = json.loads((cometbft_home / "config" / "node_key.json").read_text())
    private = base64.b64decode(key["priv_key"]["value"], validate=True)
    return address(private[32:]).hex()
