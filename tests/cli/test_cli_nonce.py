"""Signing commands cope with a nonce that moved between reading it and submitting.

Against a real node over HTTP (in this process): another transaction of the same
account lands after the command read the nonce, so the node refuses the command's
transaction with ``[tx:13]`` (executing nothing). The one sending path of every
command (``TxSession.send``, i.e. ``finchain.client.sending.send_tx``) reads the nonce
again, re-signs the same messages and succeeds, saying so on stderr; a message that
names the nonce itself (a DID binding) is rebuilt. The bench's setup does the same for
its funding transactions.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from finchain.cli.bench import create_accounts, fund_accounts
from finchain.cli.inprocess import LocalChain
from finchain.cli.online import connect, signer
from finchain.cli.txflags import TxOptions
from finchain.client import Client, Signer
from finchain.client import builders as b
from finchain.client.sending import NONCE_RETRIES, send_built, send_tx
from finchain.client.types import Account
from finchain.codec import RawMsg
from finchain.crypto import generate_private_key


def cli_signer(client: Client, chain: LocalChain, name: str) -> Signer:
    return signer(
        client, [name], account=None, home=chain.home, keystore=None, passphrase_file=None
    )


def move_nonce(client: Client, chain: LocalChain, name: str) -> None:
    """Commit one transaction of ``name``'s account behind the CLI signer's back."""
    other = cli_signer(client, chain, name)
    raw = other.sign(b.transfer((chain.accounts["operator"], "CNY", 1)))
    assert client.submit_tx(raw, mode="commit", timeout=10).committed


def test_send_re_signs_after_another_transaction_took_the_nonce(
    api: LocalChain, capsys: pytest.CaptureFixture[str]
) -> None:
    tx = TxOptions(home=api.home, url=api.url, signers=("alice",))
    with tx.session() as s:
        stale = s.signer.nonce
        move_nonce(s.client, api, "alice")
        receipt = s.send(b.transfer((api.accounts["bob"], "CNY", 7)))
        assert receipt.ok and receipt.committed, receipt
        assert s.client.account(api.accounts["alice"]).nonce == stale + 2
    err = capsys.readouterr().err
    assert f"refused nonce {stale} of account {api.accounts['alice']}" in err
    assert f"re-signed with nonce {stale + 1}" in err


def test_messages_that_name_the_nonce_are_rebuilt(api: LocalChain) -> None:
    seen: list[int] = []
    with connect(api.url, home=api.home) as client:
        who = cli_signer(client, api, "carol")
        move_nonce(client, api, "carol")

        def build() -> list[RawMsg]:
            seen.append(who.nonce)
            return [b.transfer((api.accounts["bob"], "CNY", 1))]

        receipt = send_built(client, who, build)
    assert receipt.ok and seen == [seen[0], seen[0] + 1]


def test_the_sdk_gives_up_after_its_retries_and_returns_the_refusal(api: LocalChain) -> None:
    """A nonce that keeps moving: NONCE_RETRIES re-signs, then the [tx:13] receipt, no raise."""
    with connect(api.url, home=api.home) as client:
        who = cli_signer(client, api, "bob")
        seen: list[tuple[str, int, int]] = []

        def build() -> list[RawMsg]:
            move_nonce(client, api, "bob")  # another transaction takes the nonce every time
            return [b.transfer((api.accounts["operator"], "CNY", 1))]

        def note(account: str, used: int, new: int) -> None:
            seen.append((account, used, new))

        receipt = send_built(client, who, build, on_resign=note)
    assert not receipt.ok and receipt.check is not None and receipt.check.code == 13
    assert len(seen) == NONCE_RETRIES
    assert all(account == who.account and new > used for account, used, new in seen)


def test_send_tx_is_the_plain_sdk_path(api: LocalChain) -> None:
    with connect(api.url, home=api.home) as client:
        who = cli_signer(client, api, "alice")
        receipt = send_tx(client, who, b.transfer((api.accounts["bob"], "CNY", 2)), memo="m")
    assert receipt.ok and receipt.committed


class StaleOnce:
    """A client whose first account read is one nonce behind: the race, made certain."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self.reads = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def account(self, account_id: str, **kwargs: Any) -> Account:
        found = self._client.account(account_id, **kwargs)
        self.reads += 1
        return dataclasses.replace(found, nonce=found.nonce - 1) if self.reads == 1 else found


def test_bench_setup_re_signs_funding_transactions_whose_nonce_was_taken(
    api: LocalChain, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = [generate_private_key("ed25519") for _ in range(40)]  # two creation transactions
    with connect(api.url, home=api.home) as client:
        funder = cli_signer(client, api, "operator")
        move_nonce(client, api, "operator")  # nonce >= 1, so "one behind" is a used nonce
        racing = StaleOnce(client)
        created: list[int] = []
        ids = create_accounts(racing, funder, keys, created.append)  # type: ignore[arg-type]
        assert len(ids) == 40 and sum(created) == 40
        for key, account_id in zip(keys, ids, strict=True):  # ids still in key order
            policy = client.account(account_id).policy["keys"]
            assert policy[0]["public_key"] == key.public_key().data.hex()
        fund_accounts(client, funder, ids, "CNY", 3, lambda n: None)
        assert client.balance(ids[-1], "CNY").amount == 3
    assert "took 1 of the nonces signed for creating accounts" in capsys.readouterr().err
