"""Demo identity for ``finchain dev``: a bank DID, bound and accredited, through real blocks.

A developer who runs ``make run`` should be able to issue a KYC credential at
once (docs/identity.md). So on a dev chain whose operator controls no DID yet,
this registers one for the operator (key ``operator-did`` in the dev
keystore), binds the operator account to it, and passes a governance proposal
accrediting it for ``KycTierCredential``: the same transactions a real
consortium would send, submitted to the running node from a background
thread. Failures are logged, never fatal: the chain itself is unaffected.

A client may send as the operator while this runs (``finchain bench`` right
after ``finchain dev``): a setup transaction whose nonce it took is refused
with ``[tx:13]``, executes nothing, and is re-signed with the operator's
current nonce.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from finchain.app.genesis import Genesis
from finchain.client import builders as b
from finchain.client import credentials_builders as cb
from finchain.client import identity_builders as ib
from finchain.codec import RawMsg
from finchain.core.errors import ErrBadNonce
from finchain.crypto import Keystore, PrivateKey
from finchain.crypto.sealing import encryption_public_key
from finchain.errors import FinchainError
from finchain.modules.accounts.types import account_id
from finchain.modules.compliance.module import ComplianceGenesis
from finchain.modules.credentials.module import CredentialsGenesis, RegulatorEntry
from finchain.modules.credentials.types import DEFAULT_PARAMS, KYC_CREDENTIAL_TYPE, EncryptionKey
from finchain.modules.interventions.module import InterventionsGenesis
from finchain.modules.interventions.types import Officers
from finchain.node.home import Home
from finchain.service.interface import NodeService, SubmitMode, SubmitResult

log = logging.getLogger(__name__)

DID_KEY = "operator-did"
BANK_NAME = "Demo Bank"
COMMIT_WAIT = 30.0
PROPOSAL_WAIT = 120.0
NONCE_RETRIES = 5


class DemoSetupError(Exception):
    """A demo setup transaction was refused or did not commit in time."""


def ensure_did_key(keystore: Keystore, *, scheme: str, suite: str, passphrase: str) -> None:
    """Create the operator's DID key in the dev keystore (encrypted like every key)."""
    if DID_KEY not in {info.name for info in keystore.list()}:
        keystore.create(DID_KEY, scheme, passphrase, suite=suite)


REGULATOR_NAME = "Demo Regulator"
REGULATED_ASSET = "FUND"


def add_regulation_demo(home: Home) -> None:
    """Genesis parts of the regulation walk-through (docs/regulation.md), for a new dev home.

    Genesis account 5 (key ``regulator``) becomes the chain's regulator, its keystore key
    the one envelopes and escrows are sealed to; it and the operator (account 1) are the
    intervention officers, both needed; ``FUND`` is a regulated asset. None of this acts
    before a rule set is active or an officer proposes: a plain dev chain is unchanged.
    """
    genesis = Genesis.load(home.genesis_path)
    regulator = account_id(5)
    scheme, public = encryption_public_key(home.keystore().info("regulator").public_key)
    key = EncryptionKey(scheme, public)
    state = genesis.app_state
    entry = RegulatorEntry(regulator, REGULATOR_NAME, key)
    state["credentials"] = CredentialsGenesis(DEFAULT_PARAMS, (entry,), ()).to_json()
    officers = Officers(tuple(sorted([account_id(1), regulator])), 2)
    state["interventions"] = InterventionsGenesis(officers).to_json()
    state["compliance"] = ComplianceGenesis(regulated=(REGULATED_ASSET,)).to_json()
    genesis.save(home.genesis_path)


def seed_identity(node: NodeService, keystore: Keystore, passphrase: str, operator: str) -> None:
    """Register, bind and accredit the operator's bank DID, unless it has one already."""
    try:
        bound = node.query(
            "identity/did_of_account", {"account": operator}, height=None, prove=False
        )
        if bound.value["did"]:
            log.info("demo identity present: operator's DID %s", bound.value["did"])
            return
        account_key = keystore.load("operator", passphrase)
        did = _seed(node, account_key, keystore.load(DID_KEY, passphrase), operator)
    except (DemoSetupError, FinchainError, OSError) as exc:
        log.warning("demo identity not set up: %s", exc)
        return
    log.info(
        "demo identity ready: operator's DID %s (key %s) is accredited for %s",
        did,
        DID_KEY,
        KYC_CREDENTIAL_TYPE,
    )


def _seed(node: NodeService, account_key: PrivateKey, did_key: PrivateKey, operator: str) -> str:
    chain_id = node.status().chain_id
    signer = b.Signer(chain_id, operator, [("k1", account_key)], nonce=_nonce(node, operator))
    created = _commit(node, signer, lambda: ib.create_did([ib.did_key("k1", did_key)]))
    did = _attribute(created, "did_created", "did")
    _commit(
        node,
        signer,
        lambda: ib.bind_account(
            chain_id, did, operator, nonce=signer.nonce, key_id="k1", did_key=did_key
        ),
    )
    accredit = b.exec_msg(cb.accredit_issuer(did, BANK_NAME, "bank", [KYC_CREDENTIAL_TYPE]))
    submitted = _commit(
        node, signer, lambda: b.submit_proposal("accredit the demo bank", [accredit])
    )
    proposal_id = int(_attribute(submitted, "proposal_submitted", "proposal_id"))
    _commit(node, signer, lambda: b.vote(proposal_id, "yes"))
    _wait_executed(node, proposal_id)
    return did


def _nonce(node: NodeService, account: str) -> int:
    answer = node.query("accounts/account", {"account": account}, height=None, prove=False)
    return int(answer.value["nonce"])


def _commit(node: NodeService, signer: b.Signer, build: Callable[[], RawMsg]) -> SubmitResult:
    """Sign ``build()`` at the signer's nonce and wait for its block; re-sign on a moved nonce."""
    for attempt in range(NONCE_RETRIES + 1):
        (result,) = node.submit([signer.sign(build())], SubmitMode.COMMIT, timeout=COMMIT_WAIT)
        outcome = result.deliver or result.check
        moved = outcome is not None and (outcome.codespace, outcome.code) == (
            ErrBadNonce.codespace,
            ErrBadNonce.code,
        )
        if moved and attempt < NONCE_RETRIES:
            time.sleep(0.5 * (attempt + 1))  # let the other transaction's block commit
            signer.nonce = _nonce(node, signer.account)
            continue
        if result.height == 0 or outcome is None or not outcome.ok:
            reason = "did not commit in time" if outcome is None or outcome.ok else outcome.log
            raise DemoSetupError(f"setup transaction {result.tx_id.hex()[:16]}: {reason}")
        return result
    raise AssertionError("unreachable")


def _attribute(result: SubmitResult, event_type: str, name: str) -> str:
    for event in result.deliver.events if result.deliver else ():
        value = event.get(name) if event.type == event_type else None
        if value is not None:
            return value
    raise DemoSetupError(f"no {event_type} event with {name!r} in the setup transaction")


def _wait_executed(node: NodeService, proposal_id: int) -> None:
    deadline = time.monotonic() + PROPOSAL_WAIT
    while time.monotonic() < deadline:
        status = node.query("gov/proposal", {"proposal_id": proposal_id}, height=None, prove=False)
        if status.value["status"] == "executed":
            return
        if status.value["status"] in ("rejected", "failed"):
            raise DemoSetupError(f"proposal {proposal_id} ended {status.value['status']}")
        time.sleep(0.5)
    raise DemoSetupError(f"proposal {proposal_id} did not execute within {PROPOSAL_WAIT:.0f} s")
