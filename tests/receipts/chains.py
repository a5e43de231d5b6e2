"""Receipts built in-process, with real keys and real headers, for the unit tests and the benchmark.

A solo block is built the way ``SoloNode`` builds one (tx root over the raw
txs, header signed by the validator key); a CometBFT block the way CometBFT
does (``data_hash`` over the txs' SHA-256, header hash, precommits of every
validator over the vote sign bytes). The receipt material then goes through
the API's own ``material_json`` and ``assemble``, as a node's answer would.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from typing import Any

from finchain.app import TxResult
from finchain.codec import RawMsg, TxBody, sign_tx
from finchain.crypto import PrivateKey, generate_private_key, get_suite
from finchain.engines.solo.header import build_header, header_hash, header_sign_bytes
from finchain.engines.solo.node import validator_entry
from finchain.light import cometbft, rfc6962
from finchain.light.validators import validator_address
from finchain.node.api.routes.receipts import material_json
from finchain.offchain.receipts import assemble
from finchain.offchain.receipts.primitives import hash_function
from finchain.service.interface import BlockValidator, BlockView, TxView
from finchain.store import tx_proof, tx_root

CHAIN_ID = "receipts-test"
TIME_NS = 1_750_000_000_123_456_789


@dataclass
class Built:
    """A receipt with what it was made from: the document, the trust, the keys."""

    receipt: dict[str, Any]
    document: bytes
    trust: dict[str, Any]
    keys: list[PrivateKey]


def record_msg(hash_alg: str, digest: bytes, *, batch_of: int = 0) -> RawMsg:
    meta = {"count": str(batch_of), "tree": f"rfc6962-{hash_alg}"} if batch_of else {}
    return RawMsg(
        "evidence/record",
        {
            "hash_alg": hash_alg,
            "hash": digest,
            "kind": "batch_root" if batch_of else "contract",
            "metadata": meta,
            "cosigners": [],
        },
    )


def signed_tx(chain_id: str, msg: RawMsg, nonce: int = 0) -> bytes:
    key = generate_private_key("ed25519")
    body = TxBody(chain_id, "FC0000000001", nonce, (msg,))
    return sign_tx(body, [("k1", key.sign)])


def _filler(chain_id: str, count: int) -> list[bytes]:
    return [signed_tx(chain_id, RawMsg("bank/transfer", {"n": i}), i) for i in range(count)]


def _batch(hash_alg: str, document: bytes, leaves: int, index: int) -> tuple[bytes, dict[str, Any]]:
    h = hash_function(hash_alg)
    others = [hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(leaves)]
    others[index] = document
    root = rfc6962.root(h, others)
    return root, {
        "root": root.hex(),
        "leaf_index": index,
        "leaf_count": leaves,
        "path": [p.hex() for p in rfc6962.path(h, others, index)],
    }


def _anchor(
    hash_alg: str, document_hash: bytes, batch: dict[str, Any], tx_id: bytes, height: int
) -> dict[str, Any]:
    return {
        "version": "finchain-anchor/v1",
        "document": {"hash_alg": hash_alg, "hash": document_hash.hex()},
        "batch": batch,
        "anchor": {"tx_id": tx_id.hex(), "height": height},
    }


def _txs_and_anchor(
    chain_id: str, hash_alg: str, document: bytes, leaves: int, others: int, position: int
) -> tuple[list[bytes], bytes, dict[str, Any] | None]:
    digest = hashlib.new(hash_alg, document).digest()
    if leaves:
        root, batch = _batch(hash_alg, digest, leaves, leaves // 3)
        ours = signed_tx(chain_id, record_msg(hash_alg, root, batch_of=leaves))
    else:
        batch = None
        ours = signed_tx(chain_id, record_msg(hash_alg, digest))
    txs = _filler(chain_id, others)
    txs.insert(position, ours)
    return txs, digest, batch


def solo_receipt(
    *,
    suite: str = "intl",
    leaves: int = 0,
    others: int = 4,
    position: int = 2,
    chain_id: str = CHAIN_ID,
    hash_alg: str = "sha256",
) -> Built:
    """A receipt from a solo block of ``others + 1`` txs; batched when ``leaves``."""
    scheme = get_suite(suite).default_scheme
    hash_name = get_suite(suite).hash_name
    key = generate_private_key(scheme)
    public = key.public_key()
    document = os.urandom(300)
    txs, digest, batch = _txs_and_anchor(chain_id, hash_alg, document, leaves, others, position)
    height = 7
    header = build_header(
        chain_id=chain_id,
        height=height,
        time_ns=TIME_NS,
        last_block_hash=os.urandom(32),
        tx_root=tx_root(hash_name, txs),
        app_hash=os.urandom(32),
        proposer=public.data,
    )
    tx_ids = tuple(get_suite(suite).hash(t) for t in txs)
    block = BlockView(
        height=height,
        time_ns=TIME_NS,
        header=header,
        block_hash=header_hash(header, suite),
        signature=key.sign(header_sign_bytes(header)),
        validator={"scheme": public.scheme, "public_key": public.data},
        tx_ids=tx_ids,
        results=tuple(TxResult(0) for _ in txs),
    )
    view = TxView(
        tx_id=tx_ids[position],
        raw=txs[position],
        height=height,
        index=position,
        result=TxResult(0),
        proof=tx_proof(hash_name, txs, position),
        block=block,
    )
    validators = (BlockValidator(validator_address(public.data), public.scheme, public.data, 10),)
    material = material_json(view, validators, suite=suite, engine="solo")
    anchor = None if batch is None else _anchor(hash_alg, digest, batch, tx_ids[position], height)
    trust = {
        "chain_id": chain_id,
        "suite": suite,
        "genesis_time": "2025-01-01T00:00:00Z",
        "params": {},
        "validators": [validator_entry(key)],
        "app_state": {},
    }
    return Built(assemble(material, anchor), document, trust, [key])


def comet_validators(keys: list[PrivateKey], power: int = 10) -> tuple[BlockValidator, ...]:
    return tuple(
        BlockValidator(
            validator_address(k.public_key().data), "ed25519", k.public_key().data, power
        )
        for k in keys
    )


def comet_receipt(
    *,
    suite: str = "intl",
    validators: int = 4,
    leaves: int = 0,
    others: int = 4,
    position: int = 1,
    chain_id: str = CHAIN_ID,
    hash_alg: str = "sha256",
    keys: list[PrivateKey] | None = None,
) -> Built:
    """A receipt from a CometBFT block committed by every one of ``validators`` Ed25519 keys."""
    keys = keys or [generate_private_key("ed25519") for _ in range(validators)]
    members = comet_validators(keys)
    document = os.urandom(300)
    txs, digest, batch = _txs_and_anchor(chain_id, hash_alg, document, leaves, others, position)
    height = 12
    header: dict[str, Any] = {
        "version": {"block": 11, "app": 1},
        "chain_id": chain_id,
        "height": height,
        "time_ns": TIME_NS,
        "last_block_id": {"hash": os.urandom(32), "parts": {"total": 1, "hash": os.urandom(32)}},
        "last_commit_hash": os.urandom(32),
        "data_hash": cometbft.data_hash(txs),
        "validators_hash": cometbft.validators_hash([(v.public_key, v.power) for v in members]),
        "next_validators_hash": cometbft.validators_hash(
            [(v.public_key, v.power) for v in members]
        ),
        "consensus_hash": os.urandom(32),
        "app_hash": os.urandom(32),
        "last_results_hash": os.urandom(32),
        "evidence_hash": hashlib.sha256(b"").digest(),
        "proposer_address": members[0].address,
    }
    block_hash = cometbft.header_hash(header)
    commit: dict[str, Any] = {
        "height": height,
        "round": 0,
        "block_id": {"hash": block_hash, "parts": {"total": 1, "hash": os.urandom(32)}},
        "signatures": [],
    }
    for i, (key, member) in enumerate(zip(keys, members, strict=True)):
        sig = {
            "block_id_flag": cometbft.FLAG_COMMIT,
            "validator_address": member.address,
            "time_ns": TIME_NS + 1000 * (i + 1),
            "signature": b"",
        }
        sig["signature"] = key.sign(cometbft.vote_sign_bytes(chain_id, commit, sig))
        commit["signatures"].append(sig)
    tx_id = get_suite(suite).hash(txs[position])
    block = BlockView(
        height=height,
        time_ns=TIME_NS,
        header={"engine": "cometbft", **header},
        block_hash=block_hash,
        signature=b"",
        validator={},
        tx_ids=tuple(get_suite(suite).hash(t) for t in txs),
        results=tuple(TxResult(0) for _ in txs),
        commit=commit,
    )
    view = TxView(
        tx_id=tx_id,
        raw=txs[position],
        height=height,
        index=position,
        result=TxResult(0),
        proof=tx_proof("sha256", [hashlib.sha256(t).digest() for t in txs], position),
        block=block,
    )
    material = material_json(view, members, suite=suite, engine="cometbft")
    anchor = None if batch is None else _anchor(hash_alg, digest, batch, tx_id, height)
    trust = {
        "chain_id": chain_id,
        "validators": [
            {
                "address": m.address.hex().upper(),
                "pub_key": {"type": "tendermint/PubKeyEd25519", "value": _b64(m.public_key)},
                "power": str(m.power),
                "name": f"v{i}",
            }
            for i, m in enumerate(members)
        ],
    }
    return Built(assemble(material, anchor), document, trust, keys)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
