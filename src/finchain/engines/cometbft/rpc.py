"""A small client of CometBFT's JSON-RPC: submit txs, query the app, read blocks.

Transactions reach the chain only through CometBFT's mempool (its CheckTx
calls our app), so the SDK, the HTTP API and the tests submit through here.
Query answers are decoded from the adapter's format: ``value`` is JSON, and
each proof op carries a state proof that :meth:`ProvenEntry.verify` checks
offline against the root it names.

Example::

    with CometRpc("http://127.0.0.1:26657") as rpc:
        rpc.broadcast_tx_commit(raw_tx)
        rpc.abci_query("bank/balance", {"account": acc, "asset": "CNY"}, prove=True)
"""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from finchain.engines.cometbft.adapter import PROOF_OP_PREFIX
from finchain.light.state import proof_from_json, verify_proof


class RpcError(RuntimeError):
    """CometBFT answered with a JSON-RPC error (``.data`` holds its details)."""

    def __init__(self, method: str, error: dict[str, Any]) -> None:
        super().__init__(f"{method}: {error.get('message')} {error.get('data', '')}".strip())
        self.data = error.get("data")


@dataclass(frozen=True, slots=True)
class ProvenEntry:
    """One state entry behind a query answer, with its proof against ``root``."""

    key: bytes
    value: bytes | None
    root: bytes
    height: int
    hash_name: str
    proof: Any

    def verify(self) -> bool:
        return verify_proof(self.root, self.key, self.value, self.proof, self.hash_name)


@dataclass(frozen=True, slots=True)
class QueryResult:
    code: int
    codespace: str
    log: str
    height: int
    value: Any
    proofs: tuple[ProvenEntry, ...]

    @property
    def ok(self) -> bool:
        return self.code == 0


class CometRpc:
    """JSON-RPC over HTTP to one CometBFT node.

    Parameters:
        url: the node's RPC address, e.g. ``http://127.0.0.1:26657``.
        timeout: seconds per call (``broadcast_tx_commit`` waits for a block).
    """

    def __init__(self, url: str, *, timeout: float = 15.0) -> None:
        self.url = url
        self._http = httpx.Client(base_url=url, timeout=timeout)
        self._ids = itertools.count(1)

    def __enter__(self) -> CometRpc:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def call(self, method: str, **params: Any) -> Any:
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        reply = self._http.post("/", json=body).json()
        if "error" in reply:
            raise RpcError(method, reply["error"])
        return reply["result"]

    def call_batch(self, method: str, params: Sequence[dict[str, Any]]) -> list[Any]:
        """One JSON-RPC batch of ``method`` calls: each item its result or an :class:`RpcError`.

        CometBFT answers a batch in one HTTP exchange (``rpc.max_request_batch_size``
        and ``rpc.max_body_bytes`` bound it); a refused batch raises RpcError.
        """
        body = [
            {"jsonrpc": "2.0", "id": i, "method": method, "params": p} for i, p in enumerate(params)
        ]
        reply = self._http.post("/", json=body).json()
        if isinstance(reply, dict) and len(body) == 1:
            reply = [reply]  # CometBFT answers a batch of one with a bare response
        if not isinstance(reply, list):
            error = reply.get("error") if isinstance(reply, dict) else None
            raise RpcError(method, error or {"message": f"unexpected batch reply {reply!r:.200}"})
        by_id = {item.get("id"): item for item in reply if isinstance(item, dict)}
        results: list[Any] = []
        for request in body:
            item = by_id.get(request["id"])
            if item is None:
                results.append(RpcError(method, {"message": "no answer in the batch reply"}))
            elif "error" in item:
                results.append(RpcError(method, item["error"]))
            else:
                results.append(item["result"])
        return results

    def broadcast_txs(
        self, txs: Sequence[bytes], *, method: str = "broadcast_tx_async"
    ) -> list[Any]:
        """Submit ``txs`` in one batch; per tx the RPC result or an RpcError (e.g. in cache)."""
        return self.call_batch(method, [{"tx": base64.b64encode(tx).decode()} for tx in txs])

    def status(self) -> dict[str, Any]:
        result: dict[str, Any] = self.call("status")
        return result

    def commit(self, height: int) -> dict[str, Any]:
        """The signed header of ``height``: ``{"signed_header": {header, commit}, "canonical"}``."""
        result: dict[str, Any] = self.call("commit", height=str(height))
        return result

    def validators(self, height: int | None = None) -> list[dict[str, Any]]:
        """The validator set at ``height`` (default latest), every page of it."""
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            params: dict[str, Any] = {"page": str(page), "per_page": "100"}
            if height is not None:
                params["height"] = str(height)
            result = self.call("validators", **params)
            found.extend(result["validators"])
            if len(found) >= int(result["total"]) or not result["validators"]:
                return found
            page += 1

    def net_info(self) -> dict[str, Any]:
        result: dict[str, Any] = self.call("net_info")
        return result

    def mempool_size(self) -> int:
        return int(self.call("num_unconfirmed_txs")["total"])

    def height(self) -> int:
        return int(self.status()["sync_info"]["latest_block_height"])

    def broadcast_tx_sync(self, tx: bytes) -> dict[str, Any]:
        """Submit ``tx`` and return CheckTx's answer (``code`` 0: in the mempool)."""
        result: dict[str, Any] = self.call("broadcast_tx_sync", tx=base64.b64encode(tx).decode())
        return result

    def broadcast_tx_commit(self, tx: bytes) -> dict[str, Any]:
        """Submit ``tx`` and wait for its block: ``check_tx``, ``tx_result``, ``height``."""
        result: dict[str, Any] = self.call("broadcast_tx_commit", tx=base64.b64encode(tx).decode())
        return result

    def block(self, height: int) -> dict[str, Any]:
        result: dict[str, Any] = self.call("block", height=str(height))
        return result

    def block_metas(self, low: int, high: int) -> list[dict[str, Any]]:
        """Headers of blocks ``low..high`` (at most 20 per call), highest first."""
        result = self.call("blockchain", minHeight=str(low), maxHeight=str(high))
        metas: list[dict[str, Any]] = result["block_metas"]
        return metas

    def app_hash_after(self, height: int) -> bytes:
        """The app hash of the state after block ``height`` (in header ``height + 1``)."""
        return bytes.fromhex(self.block(height + 1)["block"]["header"]["app_hash"])

    def abci_query(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        height: int = 0,
        prove: bool = False,
    ) -> QueryResult:
        data = json.dumps(params or {}, separators=(",", ":")).encode()
        response = self.call(
            "abci_query", path=path, data=data.hex(), height=str(height), prove=prove
        )["response"]
        code = int(response.get("code", 0))
        raw = base64.b64decode(response.get("value") or "")
        proofs = tuple(
            _proven_entry(op) for op in (response.get("proofOps") or {}).get("ops") or ()
        )
        return QueryResult(
            code=code,
            codespace=response.get("codespace", ""),
            log=response.get("log", ""),
            height=int(response.get("height", 0)),
            value=json.loads(raw) if code == 0 else None,
            proofs=proofs,
        )


def _proven_entry(op: dict[str, Any]) -> ProvenEntry:
    if not op["type"].startswith(PROOF_OP_PREFIX):
        raise ValueError(f"unknown proof op type {op['type']!r}")
    data = json.loads(base64.b64decode(op["data"]))
    return ProvenEntry(
        key=base64.b64decode(op["key"]),
        value=None if data["value"] is None else bytes.fromhex(data["value"]),
        root=bytes.fromhex(data["root"]),
        height=data["height"],
        hash_name=op["type"].removeprefix(PROOF_OP_PREFIX),
        proof=proof_from_json(data["proof"]),
    )
