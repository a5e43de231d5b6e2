"""Turning a node's receipt material and a document's anchor proof into a receipt.

The node answers ``GET /v1/receipts/{tx_id}`` with everything it alone knows
(the tx, its inclusion proof, the header, the commit, the validator set: the
*material*). Which document the receipt is for comes from the submitter: the
anchor proof the batcher wrote for it (``finchain-anchor/v1``), or nothing
when the tx recorded the document's own hash. Assembly checks that the two
halves belong together, rewrites the tx proof as a path of sided siblings
(its position is not proven by the block's headers, so the receipt does not
claim one) and returns the receipt, parsed once to be sure it is well formed.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any

from finchain.light import cbor
from finchain.light.rfc6962 import sides
from finchain.offchain.receipts.errors import ErrMaterial
from finchain.offchain.receipts.format import (
    BATCH_ROOT_KIND,
    HASH_ALGS,
    MAX_TX_BYTES,
    RECORD_TYPE,
    VERSION,
    parse_receipt,
)

ANCHOR_VERSION = "finchain-anchor/v1"
_HEX32 = re.compile(r"[0-9a-f]{64}")
_MATERIAL = ("chain", "tx", "block", "validators")


def assemble(
    material: Mapping[str, Any], anchor: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The receipt (JSON value) for the tx of ``material``.

    Example::

        material = httpx.get(f"{url}/v1/receipts/{tx_id}").json()
        receipt = assemble(material, json.loads(anchor_line))
        Path("receipt.json").write_bytes(dumps(receipt))

    Parameters:
        material: the node's answer to ``GET /v1/receipts/{tx_id}``.
        anchor: the document's anchor proof when its hash went on chain inside a
            batch; None when the tx's ``evidence/record`` names the document itself.

    Raises ``receipts:14 ErrMaterial`` when the two do not belong together or the
    material is not of a tx recording a document.
    """
    if not isinstance(material, Mapping) or set(material) - {"result"} != set(_MATERIAL):
        raise ErrMaterial(
            f"receipt material must be an object with exactly {list(_MATERIAL)} "
            "(and optionally result, which a receipt does not carry)"
        )
    tx = material["tx"]
    if not isinstance(tx, Mapping) or set(tx) != {"bytes", "id", "index", "proof"}:
        raise ErrMaterial("material.tx must hold bytes, id, index and proof")
    if anchor is None:
        document, batch = _own_record(tx["bytes"]), None
    else:
        document, batch = _from_anchor(anchor, tx["id"], material["block"])
    receipt = {
        "version": VERSION,
        "chain": material["chain"],
        "document": document,
        "batch": batch,
        "tx": {"bytes": tx["bytes"], "id": tx["id"], "path": _sided(tx["proof"], tx["index"])},
        "block": material["block"],
        "validators": material["validators"],
    }
    try:
        parse_receipt(receipt)
    except Exception as exc:  # a registered error with the field's name, or a shape surprise
        message = getattr(exc, "message", str(exc))
        raise ErrMaterial(f"the node's material does not make a valid receipt: {message}") from None
    return receipt


def _sided(proof: Any, index: Any) -> list[list[str]]:
    """The node's CometBFT-style proof (index, total, aunts) as [side, sibling] pairs."""
    if not isinstance(proof, Mapping) or not isinstance(proof.get("aunts"), list):
        raise ErrMaterial("material.tx.proof must hold index, total and aunts")
    total = proof.get("total")
    shape = sides(index, total) if type(index) is int and type(total) is int else None
    if shape is None or proof.get("index") != index or len(shape) != len(proof["aunts"]):
        raise ErrMaterial("material.tx.proof does not fit its index and total")
    return [["L" if left else "R", aunt] for left, aunt in zip(shape, proof["aunts"], strict=True)]


def _own_record(tx_b64: Any) -> dict[str, Any]:
    """The document of an unbatched receipt: the one document hash the tx records."""
    try:
        raw = base64.b64decode(tx_b64, validate=True)
        tx = cbor.decode(raw, max_size=MAX_TX_BYTES)
        msgs = tx["body"]["msgs"]
        found = [
            m["value"] for m in msgs
            if m["type"] == RECORD_TYPE and m["value"]["kind"] != BATCH_ROOT_KIND
        ]  # fmt: skip
    except (binascii.Error, ValueError, TypeError, KeyError, cbor.CborError):
        raise ErrMaterial("material.tx is not a finchain transaction") from None
    if len(found) != 1:
        raise ErrMaterial(
            f"the tx holds {len(found)} document records (not batch roots): a receipt without "
            "an anchor proof needs exactly one; pass the anchor proof of a batched document"
        )
    value = found[0]
    if value.get("hash_alg") not in HASH_ALGS or type(value.get("hash")) is not bytes:
        raise ErrMaterial("the tx's evidence/record has no usable hash_alg and hash")
    return {"hash_alg": value["hash_alg"], "hash": value["hash"].hex()}


def _from_anchor(
    anchor: Mapping[str, Any], tx_id: Any, block: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    if not isinstance(anchor, Mapping) or anchor.get("version") != ANCHOR_VERSION:
        raise ErrMaterial(f"the anchor proof must be a {ANCHOR_VERSION} object")
    try:
        document, batch, where = anchor["document"], anchor["batch"], anchor["anchor"]
        height = block["height"]
        fields = (
            {
                "hash_alg": document["hash_alg"],
                "hash": document["hash"],
            },
            {
                "root": batch["root"],
                "leaf_index": batch["leaf_index"],
                "leaf_count": batch["leaf_count"],
                "path": list(batch["path"]),
            },
        )
        anchored_tx, anchored_height = where["tx_id"], where["height"]
    except (KeyError, TypeError):
        raise ErrMaterial("the anchor proof lacks document, batch or anchor fields") from None
    if anchored_tx != tx_id or anchored_height != height:
        raise ErrMaterial(
            f"the anchor proof points to tx {str(anchored_tx)[:16]}… at height "
            f"{anchored_height}; the material is tx {str(tx_id)[:16]}… at height {height}: "
            "fetch the material of the anchor's tx"
        )
    return fields
