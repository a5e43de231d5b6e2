"""Random interleavings of identity, evidence, data-rights and status-list messages, block by block.

Four accounts (all governance members) act on DIDs, evidence records, data
assets and status lists, validly and not. A Python model predicts, for every
transaction as it is queued, the exact result code (refusals included) and
its effect, in block order. After every block:

- each transaction's (codespace, code) is the model's, and every DID the
  chain assigns is the one the model expects;
- every module invariant holds (``app.check_invariants() == []``);
- the chain's queries agree with the model: who controls each DID, its
  controller DIDs, version, methods and services, which DIDs are deactivated,
  which account is bound to which DID; each evidence record's submitter, DIDs
  and co-sign status; each data asset's versions (forgotten or not), active
  grants and access count; each status list's issuer and latest version;
- R9: a block whose transactions are all refused changes no state key but the
  nonce of each sender whose transaction passed the ante chain (an ante
  refusal, a wrong nonce here, changes nothing at all).

Setup (in the recorded blocks): account 1 creates the issuer DID, and a
governance proposal accredits it to anchor status lists; every account creates
a DID with an SM2 keyAgreement key; account 2 registers a data asset and
records evidence naming accounts 3 and 4 as co-signers, so that the deeper
paths are reachable from the first step. At the end the same blocks are
replayed into an empty database and must give the same app hash at every
height.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from finchain.app import FinalizeBlockRequest, Genesis
from finchain.app.application import Application
from finchain.client import builders as b
from finchain.client import credentials_builders as cb
from finchain.client import datarights_builders as drb
from finchain.client import evidence_builders as eb
from finchain.client import identity_builders as ib
from finchain.codec import RawMsg
from finchain.core.errors import ErrBadNonce
from finchain.crypto import PrivateKey, generate_private_key
from finchain.modules.accounts.keys import NONCES
from finchain.modules.accounts.types import account_id
from finchain.modules.credentials.errors import ErrNotController as ErrCredentialsNotController
from finchain.modules.credentials.errors import (
    ErrStatusListOwner,
    ErrStatusListVersion,
    ErrUnknownIssuer,
)
from finchain.modules.credentials.errors import ErrUnknownDid as ErrCredentialsUnknownDid
from finchain.modules.datarights.errors import (
    ErrAssetNotFound,
    ErrBadKeyAgreement,
    ErrBadWraps,
    ErrGranteeInactive,
    ErrGrantExists,
    ErrNoActiveGrant,
    ErrNoKeyForVersion,
    ErrNotGrantee,
    ErrNotOwner,
    ErrOutsideWindow,
    ErrOwnerInactive,
    ErrPurposeNotAllowed,
    ErrPurposeNotGranted,
    ErrVersionForgotten,
    ErrVersionNotFound,
    ErrWindowOver,
)
from finchain.modules.evidence.errors import (
    ErrAlreadyCosigned,
    ErrInvalidCosigner,
    ErrNotCosigner,
    ErrRecordComplete,
    ErrRecordExists,
    ErrRecordNotFound,
)
from finchain.modules.governance.module import genesis_member, genesis_validator
from finchain.modules.identity.binding import binding_statement
from finchain.modules.identity.errors import (
    ErrAlreadyBound,
    ErrBadBindingProof,
    ErrDeactivated,
    ErrDidNotFound,
    ErrInvalidController,
    ErrMethodExists,
    ErrMethodNotFound,
    ErrNoChange,
    ErrNotBound,
    ErrServiceExists,
    ErrServiceNotFound,
    ErrStaleBindingNonce,
)
from finchain.modules.identity.errors import ErrNotController as ErrIdentityNotController
from finchain.modules.identity.types import did_for
from tests.harness import BLOCK_NS, CHAIN_ID, Chain
from tests.support import code
from tests.testmodule import with_test_module

N = 4
who = st.integers(1, N)
OK = ("", 0)
SECOND = 1_000_000_000
PURPOSES = ("audit", "risk", "scoring")
DIGESTS = [("sha256" if i % 2 else "sm3", bytes([i]) * 32) for i in range(1, 7)]
LIST_IDS = ("https://status.example/lists/1", "urn:finchain:status:2")
STATUS_TYPE = "BitstringStatusListCredential"
ENDPOINT = "https://svc.example/agent"
WINDOWS = ("open", "later", "short", "over")
Expect = tuple[str, int]


@dataclass
class DidModel:
    did: str
    controller: int
    auth: PrivateKey
    ka: PrivateKey | None
    svc: bool = False
    controllers: list[str] = field(default_factory=list)
    deactivated: bool = False
    version: int = 1


@dataclass
class GrantModel:
    id: int
    purposes: tuple[str, ...]
    not_before: int
    not_after: int
    versions: set[int]


@dataclass
class AssetModel:
    id: int
    owner: str
    purposes: tuple[str, ...]
    forgotten: list[bool] = field(default_factory=lambda: [False])
    active: dict[str, GrantModel] = field(default_factory=dict)
    grants: int = 0
    accesses: int = 0


@dataclass
class EvidenceModel:
    submitter: int
    submitter_did: str
    cosigners: dict[int, str | None]  # account -> DID bound when it signed ("" none), None unsigned


def replay_matches(
    genesis: Genesis, blocks: list[tuple[int, list[bytes]]], hashes: list[bytes], path: Path
) -> None:
    """Replay ``blocks`` into an empty database: the app hash must match at every height."""
    replay = with_test_module(path)
    try:
        assert replay.init_chain(genesis).app_hash == hashes[0]
        for height, (time_ns, txs) in enumerate(blocks, start=1):
            replay.finalize_block(FinalizeBlockRequest(height, time_ns, txs))
            replay.commit()
            assert replay.info().last_app_hash == hashes[height], f"diverged at height {height}"
    finally:
        replay.close()


class IdentityDataMachine(RuleBasedStateMachine):
    # -- setup -------------------------------------------------------------------------------

    @initialize()
    def start(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="finchain-id-sm-"))
        vkeys = [generate_private_key("ed25519") for _ in range(4)]
        self.chain = Chain(
            self.dir / "db",
            n_accounts=N,
            validators=[
                genesis_validator(f"v{i}", k.public_key(), 10) for i, k in enumerate(vkeys)
            ],
            governance={
                "members": [genesis_member(account_id(n), f"m{n}", 1) for n in range(1, N + 1)],
                "params": {
                    "voting_period": 1,
                    "execution_delay": 0,
                    "pass_threshold": "2/3",
                    "quorum": "1/2",
                    "min_validators": 3,
                },
            },
        )
        self.app = self.chain.app
        self.blocks: list[tuple[int, list[bytes]]] = []
        self.hashes = [self.chain.app_hash()]
        self.pending: list[bytes] = []
        self.expected: list[tuple[int, Expect, str]] = []
        self.snapshot = self._state()
        # the model
        self.dids: dict[str, DidModel] = {}
        self.next_number = 1
        self.bindings: dict[int, str] = {}
        self.evidence: dict[int, EvidenceModel] = {}
        self.assets: dict[int, AssetModel] = {}
        self.next_grant = 1
        self.accesses_by: dict[str, int] = {}
        self.lists: dict[str, tuple[str, int]] = {}
        # the issuer DID, accredited by a passed proposal
        self.issuer = self._create(1, ka=False, svc=False, controllers=[])
        self.end_block()
        pid = self.app.governance.next_proposal_id(self.app.state)
        accredit = cb.accredit_issuer(self.issuer, "Status bank", "bank", [STATUS_TYPE])
        self._raw(1, b.submit_proposal("accredit", [b.exec_msg(accredit)]), OK, "proposal")
        for n in range(1, N + 1):
            self._raw(n, b.vote(pid, "yes"), OK, "vote")
        self.end_block()
        self.end_block()
        proposal = self.app.query("gov/proposal", {"proposal_id": pid}).value
        assert proposal["status"] == "executed", proposal
        for n in range(1, N + 1):
            self._create(n, ka=True, svc=False, controllers=[])
        self.end_block()
        self._register(2, did_for(CHAIN_ID, 3), {"audit", "risk"})
        self.record_evidence(2, 0, {3, 4})
        self.end_block()

    # -- plumbing ----------------------------------------------------------------------------

    def _state(self) -> dict[bytes, bytes]:
        return dict(self.app.state.iterate(b""))

    def _raw(self, signer: int, msg: RawMsg, expect: Expect, label: str) -> None:
        self.pending.append(self.chain.signer(signer).sign(msg))
        self.expected.append((signer, expect, label))

    @property
    def _next_time(self) -> int:
        return self.chain.time_ns + BLOCK_NS

    def _controls(self, did: str, account: int) -> bool:
        found = self.dids.get(did)
        if found is None or found.deactivated:
            return False
        if found.controller == account:
            return True
        for other in found.controllers:
            c = self.dids[other]
            if not c.deactivated and c.controller == account:
                return True
        return False

    def _active(self, did: str) -> bool:
        return did in self.dids and not self.dids[did].deactivated

    def _require_controlled(self, did: str, signer: int) -> Expect:
        if did not in self.dids:
            return code(ErrDidNotFound)
        if self.dids[did].deactivated:
            return code(ErrDeactivated)
        if not self._controls(did, signer):
            return code(ErrIdentityNotController)
        return OK

    def _did(self, data: st.DataObject) -> str:
        """A known DID, or (sometimes) the next, unassigned one."""
        unknown = did_for(CHAIN_ID, self.next_number + 3)
        return data.draw(st.sampled_from([*self.dids, *self.dids, *self.dids, unknown]))

    def _asset_id(self, data: st.DataObject) -> int:
        """Mostly a registered asset, sometimes the next, unregistered one."""
        return data.draw(st.sampled_from([*self.assets, *self.assets, len(self.assets) + 1]))

    def _signer_for(self, data: st.DataObject, did: str) -> int:
        """Mostly the DID's controller account (so that changes succeed), else anyone."""
        model = self.dids.get(did)
        if model is not None and data.draw(st.integers(0, 3)):
            return model.controller
        return data.draw(who)

    def _create(self, signer: int, *, ka: bool, svc: bool, controllers: list[str]) -> str:
        auth = generate_private_key("ed25519")
        agreement = generate_private_key("sm2") if ka else None
        methods = [ib.did_key("auth", auth)]
        if agreement is not None:
            methods.append(ib.did_key("ka", agreement, ["keyAgreement"]))
        services = [ib.service("svc", "LinkedDomains", ENDPOINT)] if svc else []
        msg = ib.create_did(methods, services=services, controllers=controllers)
        bad = [c for c in controllers if not self._active(c)]
        if bad:
            self._raw(signer, msg, code(ErrInvalidController), "create_did")
            return ""
        did = did_for(CHAIN_ID, self.next_number)
        self.next_number += 1
        self.dids[did] = DidModel(did, signer, auth, agreement, svc, sorted(controllers))
        self._raw(signer, msg, OK, f"create_did {did}")
        return did

    # -- identity ----------------------------------------------------------------------------

    @rule(signer=who, ka=st.sampled_from([True, True, False]), svc=st.booleans(), data=st.data())
    def create_did(self, signer, ka, svc, data):
        controllers = []
        if self.dids:
            controllers = data.draw(
                st.lists(st.sampled_from(list(self.dids)), max_size=2, unique=True)
            )
        self._create(signer, ka=ka, svc=svc, controllers=controllers)

    @rule(
        change=st.sampled_from(
            ["handover", "add_ka", "remove_ka", "add_svc", "remove_svc", "controllers"]
        ),
        to=who,
        data=st.data(),
    )
    def update_did(self, change, to, data):
        did = self._did(data)
        signer = self._signer_for(data, did)
        expect = self._require_controlled(did, signer)
        model = self.dids.get(did)
        new_ka = generate_private_key("sm2")
        controllers: list[str] = []
        if change == "handover":
            msg = ib.update_did(did, controller_account=account_id(to))
            if expect == OK and model is not None and model.controller == to:
                expect = code(ErrNoChange)
        elif change == "add_ka":
            msg = ib.update_did(did, add_methods=[ib.did_key("ka", new_ka, ["keyAgreement"])])
            if expect == OK and model is not None and model.ka is not None:
                expect = code(ErrMethodExists)
        elif change == "remove_ka":
            msg = ib.update_did(did, remove_methods=["ka"])
            if expect == OK and model is not None and model.ka is None:
                expect = code(ErrMethodNotFound)
        elif change == "add_svc":
            msg = ib.update_did(did, add_services=[ib.service("svc", "LinkedDomains", ENDPOINT)])
            if expect == OK and model is not None and model.svc:
                expect = code(ErrServiceExists)
        elif change == "remove_svc":
            msg = ib.update_did(did, remove_services=["svc"])
            if expect == OK and model is not None and not model.svc:
                expect = code(ErrServiceNotFound)
        else:
            controllers = sorted(
                data.draw(st.lists(st.sampled_from(list(self.dids)), max_size=2, unique=True))
            )
            msg = ib.update_did(did, controllers=controllers)
            if expect == OK and model is not None:
                if any(c == did or not self._active(c) for c in controllers):
                    expect = code(ErrInvalidController)
                elif controllers == model.controllers:
                    expect = code(ErrNoChange)
        if expect == OK and model is not None:
            model.version += 1
            if change == "handover":
                model.controller = to
            elif change == "add_ka":
                model.ka = new_ka
            elif change == "remove_ka":
                model.ka = None
            elif change in ("add_svc", "remove_svc"):
                model.svc = change == "add_svc"
            else:
                model.controllers = controllers
        self._raw(signer, msg, expect, f"update_did {change} {did}")

    @rule(key_id=st.sampled_from(["auth", "ka", "missing"]), data=st.data())
    def rotate_key(self, key_id, data):
        did = self._did(data)
        signer = self._signer_for(data, did)
        new = generate_private_key("sm2" if key_id == "ka" else "ed25519")
        expect = self._require_controlled(did, signer)
        model = self.dids.get(did)
        if expect == OK and model is not None:
            if key_id == "missing" or (key_id == "ka" and model.ka is None):
                expect = code(ErrMethodNotFound)
            else:
                model.version += 1
                if key_id == "auth":
                    model.auth = new
                else:
                    model.ka = new
        self._raw(signer, ib.rotate_did_key(did, key_id, new), expect, f"rotate {did}#{key_id}")

    @rule(data=st.data())
    def deactivate_did(self, data):
        did = self._did(data)
        signer = self._signer_for(data, did)
        expect = self._require_controlled(did, signer)
        if expect == OK:
            model = self.dids[did]
            model.version += 1
            model.deactivated = True
            model.ka, model.svc, model.controllers = None, False, []
            for account in [a for a, d in self.bindings.items() if d == did]:
                del self.bindings[account]
        self._raw(signer, ib.deactivate_did(did), expect, f"deactivate {did}")

    @rule(signer=who, proof=st.sampled_from(["good", "good", "forged", "stale"]), data=st.data())
    def bind_account(self, signer, proof, data):
        did = self._did(data)
        nonce = self.chain.signer(signer).nonce
        model = self.dids.get(did)
        key = (
            model.auth
            if model is not None and proof != "forged"
            else generate_private_key("ed25519")
        )
        proof_nonce = nonce if proof != "stale" else (nonce - 1 if nonce else nonce + 1)
        signature = key.sign(binding_statement(CHAIN_ID, did, account_id(signer), proof_nonce))
        msg = RawMsg(
            "identity/bind_account",
            {"did": did, "key_id": "auth", "nonce": proof_nonce, "signature": signature},
        )
        if model is None:
            expect = code(ErrDidNotFound)
        elif model.deactivated:
            expect = code(ErrDeactivated)
        elif signer in self.bindings:
            expect = code(ErrAlreadyBound)
        elif proof == "stale":
            expect = code(ErrStaleBindingNonce)
        elif proof == "forged":
            expect = code(ErrBadBindingProof)
        else:
            expect = OK
            self.bindings[signer] = did
        self._raw(signer, msg, expect, f"bind {signer} to {did} ({proof})")

    @rule(account=who, by_account=st.booleans(), data=st.data())
    def unbind_account(self, account, by_account, data):
        did = self._did(data)
        bound = sorted(a for a, d in self.bindings.items() if d == did)
        if bound and data.draw(st.booleans()):
            account = data.draw(st.sampled_from(bound))
        signer = account if by_account else self._signer_for(data, did)
        if did not in self.dids:
            expect = code(ErrDidNotFound)
        elif signer != account and not self._controls(did, signer):
            expect = code(ErrIdentityNotController)
        elif self.bindings.get(account) != did:
            expect = code(ErrNotBound)
        else:
            expect = OK
            del self.bindings[account]
        self._raw(signer, ib.unbind_account(did, account_id(account)), expect, f"unbind {account}")

    # -- evidence ----------------------------------------------------------------------------

    @rule(
        signer=who,
        index=st.integers(0, len(DIGESTS) - 1),
        cosigners=st.sets(who, max_size=3),
    )
    def record_evidence(self, signer, index, cosigners):
        alg, digest = DIGESTS[index]
        msg = eb.record(alg, digest, kind="contract", cosigners=[account_id(c) for c in cosigners])
        if index in self.evidence:
            expect = code(ErrRecordExists)
        elif signer in cosigners:
            expect = code(ErrInvalidCosigner)
        else:
            expect = OK
            self.evidence[index] = EvidenceModel(
                signer, self.bindings.get(signer, ""), {c: None for c in cosigners}
            )
        self._raw(signer, msg, expect, f"record evidence {index}")

    @rule(index=st.integers(0, len(DIGESTS) - 1), data=st.data())
    def cosign(self, index, data):
        """Mostly a named co-signer of a recorded hash, else anyone on any hash."""
        named = sorted((i, a) for i, e in self.evidence.items() for a in e.cosigners)
        if named and data.draw(st.integers(0, 3)):
            index, signer = data.draw(st.sampled_from(named))
        else:
            signer = data.draw(who)
        alg, digest = DIGESTS[index]
        found = self.evidence.get(index)
        if found is None:
            expect = code(ErrRecordNotFound)
        elif all(v is not None for v in found.cosigners.values()):
            expect = code(ErrRecordComplete)
        elif signer not in found.cosigners:
            expect = code(ErrNotCosigner)
        elif found.cosigners[signer] is not None:
            expect = code(ErrAlreadyCosigned)
        else:
            expect = OK
            found.cosigners[signer] = self.bindings.get(signer, "")
        self._raw(signer, eb.cosign(alg, digest), expect, f"cosign {index}")

    @rule(signer=who, index=st.integers(0, len(DIGESTS) - 1))
    def create_and_record(self, signer, index):
        """Two messages in one transaction: a DID and a record. A refused record (the hash
        is already recorded) must take the DID with it, counter included."""
        alg, digest = DIGESTS[index]
        auth = generate_private_key("ed25519")
        create = ib.create_did([ib.did_key("auth", auth)])
        msgs = [create, eb.record(alg, digest, kind="invoice")]
        if index in self.evidence:
            self.pending.append(self.chain.signer(signer).sign(*msgs))
            self.expected.append((signer, code(ErrRecordExists), "create_and_record"))
            return
        did = did_for(CHAIN_ID, self.next_number)
        self.next_number += 1
        self.dids[did] = DidModel(did, signer, auth, None)
        self.evidence[index] = EvidenceModel(signer, self.bindings.get(signer, ""), {})
        self.pending.append(self.chain.signer(signer).sign(*msgs))
        self.expected.append((signer, OK, f"create_did {did} and record {index}"))

    # -- data rights -------------------------------------------------------------------------

    @rule(purposes=st.sets(st.sampled_from(PURPOSES), min_size=1), data=st.data())
    def register_asset(self, purposes, data):
        owner = self._did(data)
        self._register(self._signer_for(data, owner), owner, purposes)

    def _register(self, signer: int, owner: str, purposes: set[str]) -> None:
        msg = drb.register_asset(
            owner, b"\x11" * 32, b"\x22" * 32, title="ledger", purposes=sorted(purposes)
        )
        if self._controls(owner, signer):
            expect = OK
            asset = len(self.assets) + 1
            self.assets[asset] = AssetModel(asset, owner, tuple(sorted(purposes)))
        else:
            expect = code(ErrNotOwner)
        self._raw(signer, msg, expect, f"register asset by {owner}")

    def _owner_signer(self, data: st.DataObject, asset_id: int) -> int:
        asset = self.assets.get(asset_id)
        return self._signer_for(data, "" if asset is None else asset.owner)

    def _grantee(self, data: st.DataObject, asset_id: int) -> str:
        """Mostly a DID holding an active grant on the asset, else any DID."""
        asset = self.assets.get(asset_id)
        if asset is not None and asset.active and data.draw(st.integers(0, 3)):
            return data.draw(st.sampled_from(sorted(asset.active)))
        return self._did(data)

    def _owned(self, asset_id: int, signer: int) -> Expect:
        asset = self.assets.get(asset_id)
        if asset is None:
            return code(ErrAssetNotFound)
        if not self._controls(asset.owner, signer):
            return code(ErrNotOwner)
        return OK

    @precondition(lambda self: self.assets)
    @rule(
        purposes=st.sets(st.sampled_from(PURPOSES), min_size=1),
        window=st.sampled_from(WINDOWS),
        data=st.data(),
    )
    def grant(self, purposes, window, data):
        asset_id = self._asset_id(data)
        signer = self._owner_signer(data, asset_id)
        with_ka = [d for d, m in self.dids.items() if m.ka is not None]
        grantee = data.draw(st.sampled_from(with_ka)) if with_ka else self._did(data)
        if data.draw(st.integers(0, 3)) == 0:
            grantee = self._did(data)
        self._grant(signer, asset_id, grantee, purposes, window)

    def _grant(
        self, signer: int, asset_id: int, grantee: str, purposes: set[str], window: str
    ) -> None:
        now = self._next_time
        not_before, not_after = {
            "open": (now - SECOND, now + 20 * SECOND),
            "later": (now + 3 * SECOND, now + 30 * SECOND),
            "short": (0, now + 2 * SECOND),
            "over": (0, now),
        }[window]
        msg = drb.grant(
            asset_id,
            grantee,
            purposes=sorted(purposes),
            not_before=not_before,
            not_after=not_after,
            key_id="ka",
            wrapped_key=b"\x33" * 48,
        )
        expect = self._owned(asset_id, signer)
        asset = self.assets.get(asset_id)
        if expect == OK and asset is not None:
            if not self._active(grantee):
                expect = code(ErrGranteeInactive)
            elif not purposes <= set(asset.purposes):
                expect = code(ErrPurposeNotAllowed)
            elif grantee in asset.active:
                expect = code(ErrGrantExists)
            elif not_after <= now:
                expect = code(ErrWindowOver)
            elif asset.forgotten[-1]:
                expect = code(ErrVersionForgotten)
            elif self.dids[grantee].ka is None:
                expect = code(ErrBadKeyAgreement)
            else:
                asset.active[grantee] = GrantModel(
                    self.next_grant,
                    tuple(sorted(purposes)),
                    not_before,
                    not_after,
                    {len(asset.forgotten)},
                )
                self.next_grant += 1
                asset.grants += 1
        self._raw(signer, msg, expect, f"grant #{asset_id} to {grantee} ({window})")

    @precondition(lambda self: self.assets)
    @rule(data=st.data())
    def grant_then_access(self, data):
        """A grant by the owner's controller to a DID with a keyAgreement key, then, one to
        four blocks later (inside the window or not), a use of the current version by the
        grantee's controller: random draws rarely line these up."""
        asset_id = data.draw(st.sampled_from(sorted(self.assets)))
        asset = self.assets[asset_id]
        grantees = [d for d, m in self.dids.items() if m.ka is not None and d not in asset.active]
        if not grantees or not self._active(asset.owner):
            return
        grantee = data.draw(st.sampled_from(grantees))
        purpose = data.draw(st.sampled_from(asset.purposes))
        window = data.draw(st.sampled_from(["open", "open", "later", "short"]))
        self._grant(self.dids[asset.owner].controller, asset_id, grantee, {purpose}, window)
        for _ in range(data.draw(st.integers(1, 4))):
            self.end_block()
        signer = self.dids[grantee].controller
        self._access(signer, asset_id, grantee, purpose, len(asset.forgotten))

        asset_id = self._asset_id(data)
        signer = self._owner_signer(data, asset_id)
        grantee = self._grantee(data, asset_id)
        expect = self._owned(asset_id, signer)
        if expect == OK:
            if grantee not in self.assets[asset_id].active:
                expect = code(ErrNoActiveGrant)
            else:
                del self.assets[asset_id].active[grantee]
        self._raw(signer, drb.revoke(asset_id, grantee), expect, f"revoke #{asset_id} {grantee}")

    @precondition(lambda self: self.assets)
    @rule(purpose=st.sampled_from(PURPOSES), data=st.data())
    def record_access(self, purpose, data):
        asset_id = self._asset_id(data)
        grantee = self._grantee(data, asset_id)
        signer = self._signer_for(data, grantee)
        asset = self.assets.get(asset_id)
        count = 1 if asset is None else len(asset.forgotten)
        self._access(signer, asset_id, grantee, purpose, data.draw(st.integers(1, count + 1)))

    def _access(self, signer: int, asset_id: int, grantee: str, purpose: str, version: int) -> None:
        asset = self.assets.get(asset_id)
        now = self._next_time
        grant = None if asset is None else asset.active.get(grantee)
        if asset is None:
            expect = code(ErrAssetNotFound)
        elif version > len(asset.forgotten):
            expect = code(ErrVersionNotFound)
        elif not self._active(asset.owner):
            expect = code(ErrOwnerInactive)
        elif not self._controls(grantee, signer):
            expect = code(ErrNotGrantee)
        elif grant is None:
            expect = code(ErrNoActiveGrant)
        elif not grant.not_before <= now <= grant.not_after:
            expect = code(ErrOutsideWindow)
        elif purpose not in grant.purposes:
            expect = code(ErrPurposeNotGranted)
        elif asset.forgotten[version - 1]:
            expect = code(ErrVersionForgotten)
        elif version not in grant.versions:
            expect = code(ErrNoKeyForVersion)
        else:
            expect = OK
            asset.accesses += 1
            self.accesses_by[grantee] = self.accesses_by.get(grantee, 0) + 1
        msg = drb.record_access(asset_id, grantee, purpose=purpose, version=version)
        self._raw(signer, msg, expect, f"access #{asset_id} v{version} by {grantee}")

    @precondition(lambda self: self.assets)
    @rule(data=st.data())
    def add_version(self, data):
        asset_id = self._asset_id(data)
        signer = self._owner_signer(data, asset_id)
        asset = self.assets.get(asset_id)
        candidates = (
            list(self.dids) if asset is None else [*asset.active, *asset.active, *self.dids]
        )
        wrapped_for = sorted(data.draw(st.sets(st.sampled_from(candidates), max_size=2)))
        msg = drb.add_version(
            asset_id,
            b"\x44" * 32,
            b"\x55" * 32,
            wraps=[drb.rewrap(g, "ka", b"\x66" * 48) for g in wrapped_for],
        )
        expect = self._owned(asset_id, signer)
        if expect == OK:
            asset = self.assets[asset_id]
            for grantee in wrapped_for:
                if grantee not in asset.active:
                    expect = code(ErrBadWraps)
                    break
                if self.dids[grantee].ka is None:
                    expect = code(ErrBadKeyAgreement)
                    break
            else:
                asset.forgotten.append(False)
                for grantee in wrapped_for:
                    asset.active[grantee].versions.add(len(asset.forgotten))
        self._raw(signer, msg, expect, f"add version #{asset_id} for {wrapped_for}")

    @precondition(lambda self: self.assets)
    @rule(data=st.data())
    def forget(self, data):
        asset_id = self._asset_id(data)
        signer = self._owner_signer(data, asset_id)
        asset = self.assets.get(asset_id)
        version = data.draw(st.integers(1, (1 if asset is None else len(asset.forgotten)) + 1))
        expect = self._owned(asset_id, signer)
        if expect == OK and asset is not None:
            if version > len(asset.forgotten):
                expect = code(ErrVersionNotFound)
            elif asset.forgotten[version - 1]:
                expect = code(ErrVersionForgotten)
            else:
                asset.forgotten[version - 1] = True
        self._raw(signer, drb.forget(asset_id, version), expect, f"forget #{asset_id} v{version}")

    # -- credentials: status lists by the accredited issuer ----------------------------------

    @rule(
        signer=st.sampled_from([1, 1, 2, 3]),
        by_issuer=st.sampled_from([True, True, False]),
        list_index=st.integers(0, len(LIST_IDS) - 1),
        skew=st.sampled_from([0, 0, 1, -1]),
        data=st.data(),
    )
    def anchor_status_list(self, signer, by_issuer, list_index, skew, data):
        issuer = self.issuer if by_issuer else self._did(data)
        list_id = LIST_IDS[list_index]
        found = self.lists.get(list_id)
        expected = 1 if found is None else found[1] + 1
        version = max(1, expected + skew)
        if not self._active(issuer):
            expect = code(ErrCredentialsUnknownDid)
        elif not self._controls(issuer, signer):
            expect = code(ErrCredentialsNotController)
        elif found is None and issuer != self.issuer:
            expect = code(ErrUnknownIssuer)
        elif found is not None and found[0] != issuer:
            expect = code(ErrStatusListOwner)
        elif version != expected:
            expect = code(ErrStatusListVersion)
        else:
            expect = OK
            self.lists[list_id] = (issuer, version)
        msg = cb.anchor_status_list(issuer, list_id, version=version, digest=bytes([version]) * 32)
        self._raw(signer, msg, expect, f"anchor {list_id} v{version} by {issuer}")

    # -- the ante chain ----------------------------------------------------------------------

    @rule(signer=who, ahead=st.integers(1, 5))
    def wrong_nonce(self, signer, ahead):
        """Refused by the ante chain: changes nothing, not even the nonce (R9)."""
        chain_signer = self.chain.signer(signer)
        self.pending.append(
            chain_signer.sign(ib.deactivate_did(self.issuer), nonce=chain_signer.nonce + ahead)
        )
        self.expected.append((signer, code(ErrBadNonce), "wrong nonce"))

    # -- blocks ------------------------------------------------------------------------------

    @rule()
    def end_block(self) -> None:
        txs, expected = self.pending, self.expected
        self.pending, self.expected = [], []
        results = self.chain.block(*txs)
        self.blocks.append((self.chain.time_ns, txs))
        self.hashes.append(self.chain.app_hash())
        for result, (signer, expect, label) in zip(results, expected, strict=True):
            assert (result.codespace, result.code) == expect, (label, signer, result.log)
            created = [e.get("did") for e in result.events if e.type == "did_created"]
            assert created == ([label.split()[1]] if label.startswith("create_did ") else []), (
                label,
                created,
            )
        state = self._state()
        if expected and all(expect != OK for _, expect, _ in expected):
            changed = {
                k
                for k in state.keys() | self.snapshot.keys()
                if state.get(k) != self.snapshot.get(k)
            }
            nonces = {
                NONCES.key_bytes(account_id(s)) for s, expect, _ in expected if expect[0] != "tx"
            }
            assert changed == nonces, sorted(changed ^ nonces)
        self.snapshot = state
        for n in range(1, N + 1):
            assert self.chain.signer(n).nonce == self.app.accounts.nonce(
                self.app.state, account_id(n)
            )

    # -- checks after every step -------------------------------------------------------------

    @invariant()
    def chain_agrees_with_model(self) -> None:
        if not hasattr(self, "chain") or self.pending:
            return
        app = self.app
        assert app.check_invariants() == []
        self._check_identity(app)
        self._check_evidence(app)
        self._check_datarights(app)
        for list_id, (issuer, version) in self.lists.items():
            latest = app.query("credentials/status_list", {"list_id": list_id}).value["latest"]
            assert (latest["issuer"], latest["version"]) == (issuer, version)

    def _check_identity(self, app: Application) -> None:
        assert app.identity.next_number(app.state) == self.next_number
        for did, model in self.dids.items():
            resolved = app.query("identity/resolve", {"did": did}).value["didDocumentMetadata"]
            assert (resolved["deactivated"], resolved["versionId"]) == (
                model.deactivated,
                str(model.version),
            ), did
            answer = app.query("identity/record", {"did": did}).value
            record = answer["record"]
            assert record["controller_account"] == account_id(model.controller), did
            assert sorted(record["controllers"]) == model.controllers, did
            assert record["deactivated"] == model.deactivated, did
            assert record["version"] == model.version, did
            methods = {m["id"]: m["public_key"] for m in record["methods"]}
            want = {} if model.deactivated else {"auth": model.auth.public_key().data.hex()}
            if model.ka is not None:
                want["ka"] = model.ka.public_key().data.hex()
            assert methods == want, did
            assert [s["id"] for s in record["services"]] == (["svc"] if model.svc else []), did
            bound = sorted(account_id(a) for a, d in self.bindings.items() if d == did)
            assert sorted(answer["bound_accounts"]) == bound, did
            for n in range(1, N + 1):
                assert app.identity.controls(app.state, did, account_id(n)) == self._controls(
                    did, n
                )
        for n in range(1, N + 1):
            answer = app.query("identity/did_of_account", {"account": account_id(n)}).value
            assert answer["did"] == self.bindings.get(n), n
            page = app.query(
                "identity/dids_of_controller", {"account": account_id(n), "limit": 200}
            ).value
            listed = {d["did"]: d["deactivated"] for d in page["dids"]}
            assert listed == {d: m.deactivated for d, m in self.dids.items() if m.controller == n}

    def _check_evidence(self, app: Application) -> None:
        for index, (alg, digest) in enumerate(DIGESTS):
            model = self.evidence.get(index)
            if model is None:
                assert app.evidence.get(app.state, alg, digest) is None
                continue
            record = app.query("evidence/record", {"hash_alg": alg, "hash": digest.hex()}).value
            assert record["submitter"] == account_id(model.submitter)
            assert record["submitter_did"] == model.submitter_did
            signed = {
                c["account"]: (c["did"] if c["signed"] else None) for c in record["cosigners"]
            }
            assert signed == {account_id(a): d for a, d in model.cosigners.items()}
            complete = all(d is not None for d in model.cosigners.values())
            assert record["status"] == ("complete" if complete else "pending")
        for n in range(1, N + 1):
            page = app.query("evidence/by_submitter", {"submitter": account_id(n)}).value
            mine = [DIGESTS[i][1].hex() for i, e in self.evidence.items() if e.submitter == n]
            assert [r["hash"] for r in page["records"]] == mine, n

    def _check_datarights(self, app: Application) -> None:
        assert app.datarights.next_asset(app.state) == len(self.assets) + 1
        for asset_id, model in self.assets.items():
            asset = app.query("datarights/asset", {"asset": asset_id}).value
            assert asset["owner"] == model.owner
            assert [v["forgotten"] for v in asset["version_list"]] == model.forgotten
            assert (asset["grants"], asset["active_grants"], asset["accesses"]) == (
                model.grants,
                len(model.active),
                model.accesses,
            )
            grants = app.query("datarights/grants", {"asset": asset_id, "limit": 200}).value
            active = {g["grantee"]: g for g in grants["items"] if not g["revoked"]}
            assert active.keys() == model.active.keys(), asset_id
            for grantee, grant in model.active.items():
                found = active[grantee]
                assert (found["id"], tuple(found["purposes"])) == (grant.id, grant.purposes)
                assert (found["not_before"], found["not_after"]) == (
                    grant.not_before,
                    grant.not_after,
                )
                for number in range(1, len(model.forgotten) + 1):
                    wrapped = app.datarights.wrapped_key(app.state, grant.id, number)
                    assert (wrapped is not None) == (number in grant.versions)
        for did in self.dids:
            page = app.query("datarights/accesses_by", {"grantee": did, "limit": 200}).value
            assert len(page["items"]) == self.accesses_by.get(did, 0), did

    def teardown(self) -> None:
        if not hasattr(self, "chain"):
            return
        try:
            self.app.close()
            replay_matches(self.chain.genesis, self.blocks, self.hashes, self.dir / "replay")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


IdentityDataMachine.TestCase.settings = settings(
    max_examples=30,
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestIdentityDataMachine = IdentityDataMachine.TestCase
