"""Fetching receipt material from a node's HTTP API (the one online step of a receipt).

Not imported by the package: it needs httpx, and the rest of ``finchain.offchain.receipts``
stays standard-library only for the offline verifier.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from finchain.offchain.receipts.assemble import assemble
from finchain.offchain.receipts.errors import ErrMaterial


def fetch_material(url: str, tx_id: str, *, timeout: float = 10.0) -> dict[str, Any]:
    """``GET {url}/v1/receipts/{tx_id}``; ErrMaterial with the node's message on an error."""
    try:
        response = httpx.get(f"{url.rstrip('/')}/v1/receipts/{tx_id}", timeout=timeout)
    except httpx.HTTPError as exc:
        raise ErrMaterial(f"the node at {url} did not answer: {exc}") from None
    if response.status_code != 200:
        try:
            message = response.json().get("message", response.text)
        except ValueError:
            message = response.text[:200]
        raise ErrMaterial(
            f"the node refused the receipt material ({response.status_code}): {message}"
        )
    material: dict[str, Any] = response.json()
    return material


def fetch_receipt(
    url: str, tx_id: str, *, anchor: Mapping[str, Any] | None = None, timeout: float = 10.0
) -> dict[str, Any]:
    """The receipt of ``tx_id`` (for the document of ``anchor``, if batched), from a node.

    Example::

        receipt = fetch_receipt("http://127.0.0.1:8640", tx_id, anchor=proof)
        Path("receipt.json").write_bytes(dumps(receipt))
    """
    return assemble(fetch_material(url, tx_id, timeout=timeout), anchor)
