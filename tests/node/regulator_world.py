"""A real solo node with a regulator, a bank, DIDs and KYC claims, for the regulator's API tests.

Everything is built by committed transactions, as a consortium would: the
operator (sole governance member) accredits the bank's DID for KYC and adds
the regulator by an ``exec`` proposal; customers create and bind DIDs; the
bank records KYC claims (tier 1, identity escrowed to the regulator).

Accounts: operator, regulator, bank, alice, bob, carol, outsider. Alice's DID
is bound to alice and to bob (bob binds himself with the DID's key) and is
controlled by alice; carol has her own DID. The bank's claims: alice, bob,
carol. A second institution's DID (outsider's) has no claims. Every account starts with
1,000,000 CNY and 5,000 USD (base units); alice pays carol 250 CNY, bob pays alice
1,000 USD, and the operator (sole intervention officer) freezes 300 of alice's CNY.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from finchain.app import TxResult
from finchain.chain import ExtraModules, FinchainApp
from finchain.client import builders as b
from finchain.client import credentials_builders as cb
from finchain.client import identity_builders as ib
from finchain.client import interventions_builders as ivb
from finchain.client.escrow import build_escrow, encode_link
from finchain.codec import RawMsg
from finchain.core.collections import StoreKey
from finchain.core.context import Context
from finchain.core.events import Event
from finchain.core.fields import Text, wire
from finchain.core.module import BaseModule, Handler, Module
from finchain.core.msgs import Msg
from finchain.crypto import Keystore, PrivateKey, generate_private_key
from finchain.crypto.sealing import generate_encryption_key
from finchain.devchain.setup import DemoAsset, HomeSpec, init_home
from finchain.engines.solo.node import SoloNode
from finchain.modules.credentials.types import KYC_CREDENTIAL_TYPE
from finchain.node.api import ApiLimits, create_app
from finchain.node.home import Home
from finchain.node.solo import open_solo_node
from finchain.service.interface import SubmitMode

PASSPHRASE = "test passphrase"
NAMES = ("operator", "regulator", "bank", "alice", "bob", "carol", "outsider")
YEAR_NS = 365 * 86_400 * 10**9


@dataclass
class World:
    node: SoloNode
    app: FastAPI
    home: Path
    ids: dict[str, str]
    suite: str
    keys: dict[str, PrivateKey] = field(default_factory=dict)
    dids: dict[str, str] = field(default_factory=dict)

    @property
    def chain_id(self) -> str:
        return self.node.app.chain_id

    def key(self, name: str) -> PrivateKey:
        if name not in self.keys:
            self.keys[name] = Keystore(self.home / "keystore").load(name, PASSPHRASE)
        return self.keys[name]

    def query(self, path: str, **params: Any) -> Any:
        return self.node.query(path, params, height=None, prove=False).value

    def send(self, name: str, build: Callable[[int], RawMsg]) -> TxResult:
        """Sign ``build(nonce)`` as ``name`` and wait for its block; the deliver result."""
        account = self.ids[name]
        nonce = int(self.query("accounts/account", account=account)["nonce"])
        signer = b.Signer(self.chain_id, account, [("k1", self.key(name))], nonce=nonce)
        (result,) = self.node.submit([signer.sign(build(nonce))], SubmitMode.COMMIT, timeout=30)
        outcome = result.deliver or result.check
        assert outcome is not None and outcome.ok, outcome
        return outcome

    def create_did(self, name: str) -> str:
        did_key = generate_private_key(get_scheme(self.suite))
        self.keys[f"{name}-did"] = did_key
        created = self.send(name, lambda _: ib.create_did([ib.did_key("k1", did_key)]))
        (did,) = [e.get("did") for e in created.events if e.type == "did_created"]
        assert did
        self.dids[name] = did
        return did

    def bind(self, name: str, did_owner: str) -> None:
        did, did_key = self.dids[did_owner], self.keys[f"{did_owner}-did"]
        self.send(
            name,
            lambda nonce: ib.bind_account(
                self.chain_id, did, self.ids[name], nonce=nonce, key_id="k1", did_key=did_key
            ),
        )

    def govern(self, *msgs: RawMsg) -> None:
        submitted = self.send(
            "operator", lambda _: b.submit_proposal("regulation", [b.exec_msg(m) for m in msgs])
        )
        (pid,) = [e.get("proposal_id") for e in submitted.events if e.type == "proposal_submitted"]
        assert pid
        self.send("operator", lambda _: b.vote(int(pid), "yes"))
        deadline = time.monotonic() + 30
        while self.query("gov/proposal", proposal_id=int(pid))["status"] != "executed":
            assert time.monotonic() < deadline, self.query("gov/proposal", proposal_id=int(pid))
            time.sleep(0.05)

    def record_kyc(self, customer: str, did_owner: str, regulator_key: Any) -> None:
        link = encode_link(
            account=self.ids[customer],
            did=self.dids[did_owner],
            name=customer.title(),
            id_number="110101199001011234",
            issuer=self.dids["bank"],
            kyc_ref=f"kyc-{customer}",
        )
        escrow = build_escrow(
            link,
            [(self.ids["regulator"], regulator_key.scheme, regulator_key.public_key)],
            1,
            suite=self.suite,
            chain_id=self.chain_id,
        )
        expires = self.node.app.last_block_time_ns + YEAR_NS
        self.send(
            "bank",
            lambda _: cb.record_kyc(
                self.dids["bank"],
                self.ids[customer],
                self.dids[did_owner],
                tier=1,
                expires_ns=expires,
                credential_hash=bytes([len(customer)]) * 32,
                escrow=escrow,
            ),
        )


def get_scheme(suite: str) -> str:
    return "sm2" if suite == "gm" else "ed25519"


@contextmanager
def regulator_world(
    path: Path,
    *,
    suite: str = "intl",
    limits: ApiLimits | None = None,
    extra_modules: ExtraModules | None = None,
) -> Iterator[World]:
    """The world of the module docstring on a started solo node; stopped on exit."""
    home = Home(path / "home")
    ids = init_home(
        home,
        HomeSpec(
            chain_id="test-regulator",
            suite=suite,
            passphrase=PASSPHRASE,
            account_names=NAMES,
            assets=(DemoAsset("CNY", "Yuan", 2, 1_000_000), DemoAsset("USD", "Dollar", 2, 5_000)),
            scrypt_n=2**4,
            governance_params={"min_validators": 1, "voting_period": 1, "execution_delay": 0},
        ),
    )
    passphrase = path / "passphrase"
    passphrase.write_text(PASSPHRASE)
    passphrase.chmod(0o600)

    def factory(data_dir: Path, **kwargs: Any) -> FinchainApp:
        return FinchainApp(data_dir, extra_modules=extra_modules, **kwargs)

    node = open_solo_node(
        home, instant=True, block_interval=0.2, passphrase_file=passphrase, app_factory=factory
    )
    node.start()
    try:
        world = World(node, create_app(node, limits=limits or ApiLimits()), home.path, ids, suite)
        build(world)
        yield world
    finally:
        node.stop()


def build(world: World) -> None:
    regulator_key = generate_encryption_key("sm2" if world.suite == "gm" else "x25519")
    bank = world.create_did("bank")
    world.create_did("outsider")
    world.govern(
        cb.accredit_issuer(bank, "Bank A", "bank", [KYC_CREDENTIAL_TYPE]),
        cb.add_regulator(
            world.ids["regulator"], "CBIRC", regulator_key.scheme, regulator_key.public_key
        ),
        ivb.set_officers([world.ids["operator"]], 1),
    )
    world.create_did("alice")
    world.bind("alice", "alice")
    world.bind("bob", "alice")
    world.create_did("carol")
    world.bind("carol", "carol")
    for customer, did_owner in (("alice", "alice"), ("bob", "alice"), ("carol", "carol")):
        world.record_kyc(customer, did_owner, regulator_key)
    world.send("alice", lambda _: b.transfer((world.ids["carol"], "CNY", 250)))
    world.send("bob", lambda _: b.transfer((world.ids["alice"], "USD", 1_000)))
    height = world.node.app.height
    world.send(
        "operator",
        lambda _: ivb.freeze_amount(
            world.ids["alice"], "CNY", 300, legal_basis="court order 7", deadline_height=height + 50
        ),
    )


# -- a tiny module that emits compliance_alert (the compliance module's event contract) --------


@dataclass(frozen=True, slots=True)
class MsgFlag(Msg):
    """Emit one ``compliance_alert`` with these attributes (the rest are filled in)."""

    TYPE = "alertonly/flag"
    report_type: str = wire(Text())
    institution: str = wire(Text(allow_empty=True))
    counterparty_institution: str = wire(Text(allow_empty=True))
    amount: str = wire(Text())


class AlertForTestsModule(BaseModule):
    """Stands in for the compliance module: an alert per message, attributes in contract order."""

    name = "alertonly"
    store_key = StoreKey("alertonly", b"alertonly/")

    def msg_handlers(self) -> Mapping[type[Msg], Handler]:
        def flag(ctx: Context, msg: MsgFlag) -> None:
            ctx.emit(
                Event(
                    "compliance_alert",
                    (
                        ("rule", f"r-{msg.report_type}"),
                        ("report_type", msg.report_type),
                        ("ruleset", "1"),
                        ("tx", "00" * 32),
                        ("account", ctx.signer),
                        ("counterparty", ""),
                        ("asset", "CNY"),
                        ("amount", msg.amount),
                        ("institution", msg.institution),
                        ("counterparty_institution", msg.counterparty_institution),
                        ("height", str(ctx.height)),
                    ),
                )
            )

        return {MsgFlag: flag}


def alert_module(app: FinchainApp) -> Sequence[Module]:
    return [AlertForTestsModule()]


def flag(report_type: str, amount: int, institution: str = "", counterparty: str = "") -> RawMsg:
    return MsgFlag(report_type, institution, counterparty, str(amount)).to_raw()
