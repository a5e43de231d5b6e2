"""A solo node with its HTTP API, in this process, and SDK signers for its demo accounts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from finchain.cli.inprocess import LocalChain, local_chain
from finchain.client import Client, Signer
from finchain.node.home import DEV_PASSPHRASE_FILE, Home


@pytest.fixture(scope="module")
def api() -> Iterator[LocalChain]:
    with local_chain(suite="gm", instant=True, block_interval=0.2) as chain:
        yield chain


def signer_for(chain: LocalChain, client: Client, name: str) -> Signer:
    passphrase = (chain.home / DEV_PASSPHRASE_FILE).read_text()
    key = Home(chain.home).keystore().load(name, passphrase)
    return client.signer(chain.accounts[name], [("k1", key)])
