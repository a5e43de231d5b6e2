"""The finchain HTTP API and the SDK against CometBFT nodes: the same calls as on a solo node.

Steps (``gm`` on two validators, ``intl`` on one):
1. every node serves the API; ``/status`` says engine ``cometbft``, names the
   genesis validators and reports the genesis hash;
2. a transfer submitted in commit mode through one node's API commits;
3. its balance, read with ``prove=true`` from another node's API, verifies
   offline against the app hash in the header of the next height, and that
   header is committed by more than 2/3 of the genesis validators (checked
   offline with the trusted set taken from the genesis file, not the node);
4. the tx looked up by id verifies offline: raw → ``data_hash`` (CometBFT's
   SHA-256 tree, also on ``gm``) → commit; the solo header check refuses it;
5. a sync batch reports CheckTx's own codes; an async submission commits later;
6. the event stream delivers the tx events of a new block.
"""

from __future__ import annotations

import base64
import dataclasses
import logging

import pytest

from finchain.app import Genesis
from finchain.client import builders as b
from finchain.codec.errors import ErrMalformed
from finchain.core.errors import ErrBadNonce
from finchain.engines.solo.errors import ErrDuplicateTx
from finchain.modules.accounts.types import account_id
from tests.functional.cometbft.framework import CometNetwork, CometNode
from tests.functional.cometbft.genesis import FUNDS
from tests.support import code

pytestmark = pytest.mark.functional
log = logging.getLogger(__name__)
A1, A2, A3 = account_id(1), account_id(2), account_id(3)


@pytest.mark.parametrize(("suite", "size"), [("gm", 2), ("intl", 1)])
def test_sdk_against_cometbft_nodes(network, suite, size):
    net = network(size, suite=suite)
    net.start()
    net.wait_apis()
    reader, writer = net.nodes[0], net.nodes[-1]
    trusted = genesis_validators(reader)
    every_node_reports_cometbft(net, trusted)
    tx_id, height = commit_through_the_api(net, writer)
    net.wait_height(height, nodes=[reader])  # another node may commit the block a bit later
    proven_balance_anchored_in_a_committed_header(net, reader, trusted, suite)
    tx_lookup_verifies_offline(reader, tx_id, trusted, suite)
    sync_and_async_submission(net, writer)
    event_stream_delivers_tx_events(net, reader, writer)


def genesis_validators(node: CometNode) -> list[tuple[bytes, int]]:
    genesis = Genesis.load(node.home.genesis)
    return [(base64.b64decode(v["pub_key"]["value"]), int(v["power"])) for v in genesis.validators]


def every_node_reports_cometbft(net: CometNetwork, trusted: list[tuple[bytes, int]]) -> None:
    log.info("step 1: /status on every node")
    for node in net.nodes:
        status = node.api.status()
        assert status.engine == "cometbft" and status.suite == net.accounts.suite
        keys = {base64.b64decode(v["pub_key"]["value"]) for v in status.validators}
        assert keys == {key for key, _ in trusted}
        assert {v["name"] for v in status.validators} == {n.spec.name for n in net.nodes}
        assert status.genesis_hash == Genesis.load(node.home.genesis).hash().hex()


def commit_through_the_api(net: CometNetwork, writer: CometNode) -> tuple[str, int]:
    log.info("step 2: commit-mode transfer through %s", writer)
    raw = net.accounts.signer(1).sign(b.transfer((A2, "CNY", 25)))
    receipt = writer.api.submit_tx(raw, mode="commit", timeout=20)
    assert receipt.committed and receipt.ok, receipt
    assert receipt.deliver is not None
    assert any(e.type == "transfer" for e in receipt.deliver.events)
    again = writer.api.submit_tx(raw, mode="commit", timeout=20)
    assert again.height == receipt.height, "a committed tx resubmitted answers with its block"
    assert receipt.height is not None
    return receipt.tx_id, receipt.height


def proven_balance_anchored_in_a_committed_header(
    net: CometNetwork, reader: CometNode, trusted: list[tuple[bytes, int]], suite: str
) -> None:
    log.info("step 3: proven balance from %s, anchored by the next header's commit", reader)
    status = reader.api.status()
    balance = reader.api.balance(A2, "CNY", prove=True)
    assert balance.amount == FUNDS + 25
    assert balance.proof is not None and balance.proof.verify(status.hash_name)
    net.wait_height(balance.height + 1, nodes=[reader])
    anchor = reader.api.block(balance.height + 1)
    assert anchor.engine == "cometbft"
    assert anchor.header["app_hash"] == balance.proof.root.hex()
    assert anchor.verify_commit(trusted)
    stranger = [(bytes(32), 10)]
    assert not anchor.verify_commit(stranger), "another validator set must not verify"
    forged = dataclasses.replace(anchor, header={**anchor.header, "app_hash": "00" * 32})
    assert not forged.verify_commit(trusted), "an altered header must not verify"
    if len(trusted) > 1:
        assert not anchor.verify_commit(trusted[:1] + [(k, p * 10) for k, p in trusted[1:]])
    assert status.hash_name == ("sm3" if suite == "gm" else "sha256")


def tx_lookup_verifies_offline(
    reader: CometNode, tx_id: str, trusted: list[tuple[bytes, int]], suite: str
) -> None:
    log.info("step 4: tx %s… looked up and verified offline", tx_id[:12])
    info = reader.api.tx(tx_id)
    hash_name = "sm3" if suite == "gm" else "sha256"
    assert info.verify_inclusion(hash_name)
    assert not info.verify_inclusion("sha256" if suite == "gm" else "sm3"), "tx id uses the suite"
    assert info.verify_commit(trusted)
    with pytest.raises(ValueError, match="verify_commit"):
        info.verify_header(scheme="ed25519", public_key=trusted[0][0])
    block = reader.api.block(info.height)
    assert tx_id in block.tx_ids and block.block_hash == info.block_hash


def sync_and_async_submission(net: CometNetwork, writer: CometNode) -> None:
    log.info("step 5: sync batch with refusals; async submission")
    signer = net.accounts.signer(3)
    good = signer.sign(b.transfer((A1, "CNY", 5)))
    replayed = net.accounts.signer(1).sign(b.transfer((A2, "CNY", 1)), nonce=0)
    receipts = writer.api.submit_batch([good, replayed, b"\x00junk"], mode="sync")
    assert receipts[0].check is not None and receipts[0].check.ok
    assert [(r.check.codespace, r.check.code) for r in receipts[1:] if r.check] == [
        code(ErrBadNonce),
        code(ErrMalformed),
    ]
    # one transaction a request in sync mode: the native front end's path, CheckTx's codes
    single = [writer.api.submit_tx(r, mode="sync", check=False) for r in (replayed, b"\x00junk")]
    assert [(r.check.codespace, r.check.code) for r in single if r.check] == [
        code(ErrBadNonce),
        code(ErrMalformed),
    ]
    duplicate = writer.api.submit_batch([good], mode="sync")[0]
    assert duplicate.check is not None and (duplicate.check.codespace, duplicate.check.code) in {
        code(ErrDuplicateTx),
        code(ErrBadNonce),  # already committed: its nonce is spent
    }
    later = signer.sign(b.transfer((A1, "CNY", 6)))
    (queued,) = writer.api.submit_batch([later], mode="async")
    assert queued.check is None and not queued.timed_out
    assert writer.api.wait_for_tx(queued.tx_id, timeout=20).result.ok


def event_stream_delivers_tx_events(
    net: CometNetwork, reader: CometNode, writer: CometNode
) -> None:
    log.info("step 6: event stream from %s", reader)
    with reader.api.events(account=A3, types=["transfer"], idle_timeout=30) as stream:
        receipt = writer.api.submit_tx(
            net.accounts.signer(2).sign(b.transfer((A3, "CNY", 3))), mode="commit", timeout=20
        )
        for item in stream:
            if item.kind == "tx_event" and item.data["tx_id"] == receipt.tx_id:
                assert item.event is not None and item.event.get("recipient") == A3
                break
