"""Sign, submit, and re-sign when another transaction took the nonce: one way for every sender.

A ``Signer`` carries the nonce read from the node when it was made. If another
transaction of the same account lands in between (another terminal, a script,
a dev chain's own setup), the node refuses ours at its check with ``[tx:13]``
and executes nothing, so the same messages may be signed again with the
account's current nonce. :func:`send_tx` does that, up to ``NONCE_RETRIES``
times, and tells ``on_resign`` each time (the CLI prints a note).

Example::

    with Client(url) as client:
        alice = client.signer(alice_id, [("k1", key)])
        receipt = send_tx(client, alice, b.transfer((bob_id, "CNY", 25)))
        assert receipt.ok and receipt.committed

Messages that name the nonce themselves (a DID binding proof) are rebuilt for
each attempt: ``send_built(client, alice, lambda: [msg_for(alice.nonce)])``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from finchain.client.builders import Signer
from finchain.client.client import Client
from finchain.client.types import SubmitReceipt
from finchain.codec import RawMsg
from finchain.core.errors import ErrBadNonce

NONCE_RETRIES = 3  # re-signs after a moved nonce before giving up
NONCE_WAIT = 5.0  # seconds to wait for a pending transaction of the account to commit

# ``on_resign(account, refused_nonce, new_nonce)``: called before each re-signed attempt.
OnResign = Callable[[str, int, int], None]
# What a workflow needs to put one message on chain: sign it, submit it, return the receipt.
Send = Callable[[RawMsg], SubmitReceipt]


def send_tx(
    client: Client,
    signer: Signer,
    *msgs: RawMsg,
    memo: str = "",
    wait: bool = True,
    timeout: float = 10.0,
    on_resign: OnResign | None = None,
) -> SubmitReceipt:
    """Sign ``msgs`` as one transaction of ``signer`` and submit it (commit mode when
    ``wait``); re-sign with the account's current nonce if the node refused the nonce.

    The receipt is returned whatever the outcome (``receipt.ok``, ``receipt.committed``);
    nothing raises for a refused or failed transaction.
    """
    return send_built(
        client, signer, lambda: msgs, memo=memo, wait=wait, timeout=timeout, on_resign=on_resign
    )


def send_built(
    client: Client,
    signer: Signer,
    build: Callable[[], Sequence[RawMsg]],
    *,
    memo: str = "",
    wait: bool = True,
    timeout: float = 10.0,
    on_resign: OnResign | None = None,
) -> SubmitReceipt:
    """:func:`send_tx` for messages built from the signer's current nonce (``signer.nonce``):
    ``build`` is called again after each nonce refresh."""
    for attempt in range(NONCE_RETRIES + 1):
        used = signer.nonce
        raw = signer.sign(*build(), memo=memo)
        receipt = submit(client, raw, wait=wait, timeout=timeout)
        if not nonce_moved(receipt) or attempt == NONCE_RETRIES:
            return receipt
        signer.nonce = fresh_nonce(client, signer.account, used)
        if on_resign is not None:
            on_resign(signer.account, used, signer.nonce)
    raise AssertionError("unreachable")


def sender(
    client: Client,
    signer: Signer,
    *,
    wait: bool = True,
    timeout: float = 10.0,
    on_resign: OnResign | None = None,
) -> Send:
    """A :data:`Send` for workflows that take one (``finchain.offchain.datarights``,
    ``finchain.client.status_lists``): each call is one :func:`send_tx`."""

    def send(msg: RawMsg) -> SubmitReceipt:
        return send_tx(client, signer, msg, wait=wait, timeout=timeout, on_resign=on_resign)

    return send


def submit(client: Client, raw: bytes, *, wait: bool, timeout: float) -> SubmitReceipt:
    """Submit signed bytes: commit mode (wait up to ``timeout``) or sync (mempool check)."""
    if wait:
        return client.submit_tx(raw, mode="commit", timeout=timeout, check=False)
    return client.submit_tx(raw, mode="sync", check=False)


def nonce_moved(receipt: SubmitReceipt) -> bool:
    """The node refused the transaction for its nonce (``[tx:13]``): nothing was executed,
    so the same messages may be re-signed with the account's current nonce."""
    result = receipt.deliver if receipt.deliver is not None else receipt.check
    return (
        result is not None
        and result.codespace == ErrBadNonce.codespace
        and result.code == ErrBadNonce.code
    )


def fresh_nonce(client: Client, account: str, stale: int, *, wait: float = NONCE_WAIT) -> int:
    """The nonce to re-sign with after the node refused ``stale``.

    The node checks a transaction against its pending state, the API reads the
    committed one: while a transaction of the account waits for its block, the
    committed nonce still says ``stale``. So when it does, this waits (up to
    ``wait`` seconds) for the nonce to change or for the next block, after
    which pending state and committed state agree again.
    """
    first = client.account(account)
    deadline = time.monotonic() + wait
    while first.nonce == stale and time.monotonic() < deadline:
        time.sleep(0.2)
        now = client.account(account)
        if now.nonce != stale or now.height > first.height:
            return now.nonce
    return first.nonce if first.nonce != stale else client.account(account).nonce
