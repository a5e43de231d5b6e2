"""Receipt material: what only the node knows about a committed tx, for an offline receipt.

``GET /v1/receipts/{tx_id}`` returns the tx, its inclusion proof to the
block's tx root, the block header, the commit (the solo validator's signature,
or CometBFT's precommits) and the validator set of that height. The client
adds the document side (``finchain.offchain.receipts.assemble``) and verifies offline
(``finchain.client.receipt_verify``); docs/receipts.md has the format.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter

from finchain.light.cometbft import FLAG_ABSENT, validator_address
from finchain.node.api.context import Ctx
from finchain.node.api.encode import b64, to_json
from finchain.node.api.models import ReceiptMaterialModel
from finchain.node.api.responses import JSONResponse
from finchain.node.api.routes.common import TxIdPath, committed_tx, errors
from finchain.service.interface import BlockValidator, TxView
from finchain.store import proof_to_json

router = APIRouter(tags=["receipts"])


@router.get(
    "/receipts/{tx_id}",
    summary="Material for an offline receipt of a committed transaction",
    responses={200: {"model": ReceiptMaterialModel}, **errors(400, 404)},
)
async def receipt_material(tx_id: TxIdPath, ctx: Ctx) -> JSONResponse:
    """Everything a verifier needs from the node, for the chain's engine; nothing is trusted
    from it: the verifier checks it all against its own genesis or validator set."""
    view = await committed_tx(ctx, tx_id)
    validators = await ctx.call(
        partial(ctx.node.validator_set, view.height), what="validator set lookup"
    )
    status = await ctx.call(ctx.node.status, what="status")
    return JSONResponse(material_json(view, validators, suite=status.suite, engine=status.engine))


def material_json(
    view: TxView, validators: tuple[BlockValidator, ...], *, suite: str, engine: str
) -> dict[str, Any]:
    """The material in receipt form (``docs/receipts.md``): bytes as hex, the tx as base64."""
    block = view.block
    header = {k: v for k, v in to_json(block.header).items() if k != "engine"}
    if engine == "solo":
        signer = block.validator["public_key"]
        commit: dict[str, Any] = {
            "signatures": [
                {
                    "validator_address": validator_address(signer).hex(),
                    "signature": block.signature.hex(),
                }
            ]
        }
    else:
        commit = to_json(block.commit)
        # absent validators signed nothing: a receipt lists only signatures
        commit["signatures"] = [
            s for s in commit["signatures"] if s["block_id_flag"] != FLAG_ABSENT
        ]
    result = view.result
    return {
        "chain": {"chain_id": header["chain_id"], "engine": engine, "suite": suite},
        # The node's word, not proven (CometBFT's results hash leaves out info): a receipt
        # does not carry it. info names the rule set (and sanctions list) that judged the tx.
        "result": {"code": result.code, "codespace": result.codespace, "info": result.info},
        "tx": {
            "bytes": b64(view.raw),
            "id": view.tx_id.hex(),
            "index": view.index,
            "proof": proof_to_json(view.proof),
        },
        "block": {
            "height": block.height,
            "hash": block.block_hash.hex(),
            "header": header,
            "commit": commit,
        },
        "validators": [
            {
                "address": v.address.hex(),
                "scheme": v.scheme,
                "public_key": v.public_key.hex(),
                "power": v.power,
            }
            for v in validators
        ],
    }
