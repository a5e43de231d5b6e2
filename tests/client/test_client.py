"""The synchronous SDK against a real solo node over HTTP: typed results, errors, streams."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from finchain.client import (
    Account,
    Asset,
    Balance,
    Block,
    ClientClosedError,
    NotFoundError,
    Status,
    StreamEvent,
    SubmitReceipt,
    TxInfo,
    TxRejectedError,
    TxTimeoutError,
)
from finchain.client import builders as b
from finchain.client.client import Client
from finchain.client.errors import BadRequestError
from finchain.core.errors import ErrBadQuery
from finchain.modules.accounts.errors import ErrAccountNotFound
from finchain.modules.accounts.types import account_id
from finchain.modules.bank.errors import ErrInsufficientFunds, ErrUnknownAsset
from finchain.node.api.errors import ErrInvalidHex
from tests.client.live import LiveNode


@pytest.fixture
def client(url: str) -> Iterator[Client]:
    with Client(url, timeout=10, retries=2, backoff=0.01) as c:
        yield c


def test_status_block_and_typed_reads(client: Client, live: LiveNode) -> None:
    status = client.status()
    assert isinstance(status, Status) and status.chain_id == "test-solo"
    assert status.hash_name == "sha256" and status.engine == "solo"
    assert client.health() is True
    account = client.account(live.ids["alice"])
    assert isinstance(account, Account) and account.id == live.ids["alice"]
    assert account.policy["keys"][0]["id"] == "k1" and account.proof is None
    (cny,) = client.assets()
    assert isinstance(cny, Asset) and cny.symbol == "CNY" and cny.supply == 3_000_000
    assert client.balances(live.ids["bob"]).amounts["CNY"] >= 1_000_000


def test_commit_then_proofs_verify_offline(client: Client, live: LiveNode) -> None:
    alice = client.signer(live.ids["alice"], [("k1", live.key("alice"))])
    assert alice.chain_id == "test-solo"
    bob_before = client.balance(live.ids["bob"], "CNY").amount
    receipt = client.submit_tx(alice.sign(b.transfer((live.ids["bob"], "CNY", 40))), mode="commit")
    assert isinstance(receipt, SubmitReceipt) and receipt.committed and receipt.ok
    assert receipt.deliver is not None and receipt.deliver.events[-1].type == "transfer"

    info = client.tx(receipt.tx_id)
    assert isinstance(info, TxInfo) and info.height == receipt.height
    hash_name = client.status().hash_name
    assert info.verify_inclusion(hash_name)
    validator = live.node._public
    assert info.verify_header(scheme=validator.scheme, public_key=validator.data)
    assert not info.verify_header(
        scheme=validator.scheme, public_key=live.key("bob").public_key().data
    )

    block = client.block(info.height)
    assert isinstance(block, Block) and receipt.tx_id in block.tx_ids
    assert block.verify_signature(scheme=validator.scheme, public_key=validator.data)
    assert client.block().height >= block.height

    balance = client.balance(live.ids["bob"], "CNY", height=info.height, prove=True)
    assert isinstance(balance, Balance) and balance.amount == bob_before + 40
    assert balance.proof is not None and balance.proof.verify(hash_name)
    assert balance.proof.root.hex() == block.header["app_hash"]  # the signed header vouches
    asset = client.asset("CNY", prove=True)
    assert asset.proof is not None and asset.proof.verify(hash_name)
    account = client.account(live.ids["alice"], prove=True)
    assert account.proof is not None and account.proof.verify(hash_name)
    assert account.nonce == alice.nonce


def test_batch_async_then_wait_for_tx(client: Client, live: LiveNode) -> None:
    alice = client.signer(live.ids["alice"], [("k1", live.key("alice"))])
    raws = [alice.sign(b.transfer((live.ids["operator"], "CNY", 1))) for _ in range(5)]
    receipts = client.submit_batch(raws, mode="async")
    assert [r.check for r in receipts] == [None] * 5 and not any(r.committed for r in receipts)
    info = client.wait_for_tx(receipts[-1].tx_id, timeout=10)
    assert info.result.ok and info.raw == raws[-1]
    with pytest.raises(TxTimeoutError) as caught:
        client.wait_for_tx("00" * 32, timeout=0.3, poll_interval=0.05)
    assert caught.value.tx_id == "00" * 32


def test_errors_are_typed_and_carry_the_chain_code(client: Client, live: LiveNode) -> None:
    with pytest.raises(NotFoundError) as missing:
        client.account(account_id(77))
    assert missing.value.matches(ErrAccountNotFound) and missing.value.status == 404
    with pytest.raises(NotFoundError) as unknown_asset:
        client.asset("ZZZ")
    assert unknown_asset.value.matches(ErrUnknownAsset)
    with pytest.raises(BadRequestError) as bad:
        client.account("nonsense")
    assert bad.value.matches(ErrBadQuery) and "account" in bad.value.message
    with pytest.raises(BadRequestError) as bad_id:
        client.tx("not-hex")
    assert bad_id.value.matches(ErrInvalidHex)
    # an overdraft is refused at check_tx: typed, with the chain's code. The operator sends
    # nothing else in this module: a refused tx keeps its account's check-state nonce
    # advanced until the next block (an application issue, reported).
    operator = client.signer(live.ids["operator"], [("k1", live.key("operator"))])
    with pytest.raises(TxRejectedError) as refused:
        client.submit_tx(operator.sign(b.transfer((live.ids["bob"], "CNY", 10**15))))
    assert refused.value.matches(ErrInsufficientFunds) and refused.value.receipt is not None
    receipt = client.submit_tx(
        operator.sign(b.transfer((live.ids["bob"], "CNY", 10**15)), nonce=operator.nonce),
        check=False,
    )
    assert receipt.check is not None and not receipt.ok


def test_generic_query(client: Client, live: LiveNode) -> None:
    result = client.query("bank/balance", {"account": live.ids["bob"], "asset": "CNY"}, prove=True)
    assert result.value["asset"] == "CNY" and result.proof is not None
    assert result.proof.verify("sha256")
    with pytest.raises(ValueError):
        client.query("bank/balance", {"height": "1"})


def test_event_stream(client: Client, live: LiveNode) -> None:
    bob = live.ids["bob"]
    alice = client.signer(live.ids["alice"], [("k1", live.key("alice"))])
    raw = alice.sign(b.transfer((bob, "CNY", 2)))
    with client.events(account=bob, types=["transfer"]) as stream:
        submitter = threading.Timer(0.2, client.submit_tx, args=(raw,), kwargs={"mode": "async"})
        submitter.start()
        event = next(iter(stream))
        assert isinstance(event, StreamEvent) and event.kind == "tx_event"
        assert event.event is not None and event.event.get("recipient") == bob
    assert stream.closed
    submitter.join(timeout=10)  # its response must be read before the fixture closes the client


def test_closed_client_says_so(url: str) -> None:
    client = Client(url)
    client.close()
    client.close()  # idempotent
    with pytest.raises(ClientClosedError, match="cannot get the node status: the client is closed"):
        client.status()
    with pytest.raises(ClientClosedError, match="cannot submit a transaction"):
        client.submit_tx(b"x")
    with pytest.raises(ClientClosedError):
        client.events()
