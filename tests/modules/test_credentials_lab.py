"""Support for the credentials tests (it holds no tests): the keeper over an in-memory
store, with fakes of the identity and accounts keepers (the Protocols of
credentials/deps.py), driven message by message.

Each message runs in a scratch overlay flushed only on success, as a
transaction's messages are, so a test can assert that a refusal left the
state exactly as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from finchain.core.authority import GOV_AUTHORITY
from finchain.core.context import Context, ExecMode
from finchain.core.errors import ErrInvalidMsg
from finchain.core.events import Event
from finchain.core.gas import GasMeter, MeteredStore
from finchain.core.kv import Overlay
from finchain.core.params import ChainParams
from finchain.crypto import generate_private_key
from finchain.errors import FinchainError
from finchain.formats.did import make_did
from finchain.modules.accounts.types import account_id
from finchain.modules.credentials.keeper import CredentialsKeeper
from finchain.modules.credentials.module import CredentialsModule

CHAIN = "test-chain"
T0 = 1_767_225_600 * 10**9
BLOCK_NS = 10**9
A = {n: account_id(n) for n in range(1, 12)}
KYC = "KycTierCredential"


def did(number: int) -> str:
    return make_did(CHAIN, number)


class Empty:
    def get(self, key: bytes) -> bytes | None:
        return None

    def iterate(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        return iter(())


class FakeIdentity:
    """DIDs with a controller account, an active flag and account bindings."""

    def __init__(self) -> None:
        self.controller: dict[str, str] = {}
        self.active: set[str] = set()
        self.bound: dict[str, str] = {}

    def add(self, number: int, controller: str, *, bind: bool = False) -> str:
        name = did(number)
        self.controller[name] = controller
        self.active.add(name)
        if bind:
            self.bound[controller] = name
        return name

    def controls(self, reader: Any, did_: str, account: str) -> bool:
        return did_ in self.active and self.controller.get(did_) == account

    def is_active(self, reader: Any, did_: str) -> bool:
        return did_ in self.active

    def did_of_account(self, reader: Any, account: str) -> str | None:
        return self.bound.get(account)


class FakeAccounts:
    def __init__(self) -> None:
        self.statuses = {a: "active" for a in A.values()}

    def status(self, reader: Any, account: str) -> str | None:
        return self.statuses.get(account)


def encryption_key(suite: str) -> dict[str, Any]:
    if suite == "gm":
        return {"scheme": "sm2", "public_key": generate_private_key("sm2").public_key().data}
    return {"scheme": "x25519", "public_key": bytes(range(1, 33))}


def escrow(regulators: list[str], threshold: int) -> dict[str, Any]:
    ordered = sorted(regulators)
    return {
        "threshold": threshold,
        "regulators": ordered,
        "ciphertext": b"\xc0" * 64,
        "shares": [b"share-of-" + r.encode() for r in ordered],
    }


class Lab:
    """The default world: issuer bank DID 1 (controller A1), KYC provider DID 2 (A2);
    customers A5..A7 bound to DIDs 5..7; regulator candidates A8..A10; nothing accredited."""

    def __init__(self, *, suite: str = "intl", genesis: dict[str, Any] | None = None) -> None:
        self.suite = suite
        self.identity = FakeIdentity()
        self.bank = self.identity.add(1, A[1])
        self.kyc_provider = self.identity.add(2, A[2])
        for n in (5, 6, 7):
            self.identity.add(n, A[n], bind=True)
        self.accounts = FakeAccounts()
        self.keeper = CredentialsKeeper(self.identity, self.accounts)
        self.module = CredentialsModule(self.keeper)
        self.routes = {cls.TYPE: (cls, h) for cls, h in self.module.msg_handlers().items()}
        self.state = Overlay(Empty())
        self.height = 0
        self.time_ns = T0
        self.events: list[Event] = []
        ctx = self.context(self.state, "")
        ctx.mode = ExecMode.GENESIS
        self.module.init_genesis(ctx, genesis or self.module.default_genesis())

    def context(self, store: Overlay, signer: str) -> Context:
        return Context(
            MeteredStore(store, GasMeter(10**12)),
            self.height,
            self.time_ns,
            CHAIN,
            self.suite,
            ChainParams(),
            ExecMode.FINALIZE,
            signer,
        )

    def run(self, signer: str, msg_type: str, value: dict[str, Any]) -> FinchainError | None:
        cls, handler = self.routes["credentials/" + msg_type]
        scratch = Overlay(self.state)
        ctx = self.context(scratch, signer)
        try:
            handler(ctx, cls.from_value(value))
        except FinchainError as exc:
            return exc
        scratch.flush_into(self.state)
        self.events.extend(ctx.events)
        return None

    def ok(self, signer: str, msg_type: str, **value: Any) -> None:
        error = self.run(signer, msg_type, value)
        assert error is None, str(error)

    def fails(self, code: int, signer: str, msg_type: str, **value: Any) -> FinchainError:
        """Refused with ``credentials:<code>`` (or ``tx:6`` for code 0), state untouched."""
        before = dict(self.state.writes)
        error = self.run(signer, msg_type, value)
        assert error is not None, f"{msg_type} was accepted"
        expected = (
            (ErrInvalidMsg.codespace, ErrInvalidMsg.code) if code == 0 else ("credentials", code)
        )
        assert (error.codespace, error.code) == expected, str(error)
        assert self.state.writes == before
        return error

    def gov(self, msg_type: str, **value: Any) -> None:
        self.ok(GOV_AUTHORITY, msg_type, **value)

    def next_block(self, count: int = 1) -> None:
        """End the current block (the module's end-block), then start the next, ``count`` times."""
        for _ in range(count):
            ctx = self.context(self.state, "")
            self.module.end_block(ctx)
            self.events.extend(ctx.events)
            self.height += 1
            self.time_ns += BLOCK_NS

    def query(self, path: str, **args: Any) -> Any:
        return self.module.queries()["credentials/" + path](self.state, args)

    def events_of(self, kind: str) -> list[dict[str, str]]:
        return [dict(e.attributes) for e in self.events if e.type == kind]

    # -- common set-ups ----------------------------------------------------------------------

    def accredit(self, issuer: str, *types: str, kind: str = "bank") -> None:
        self.gov("accredit_issuer", did=issuer, name="issuer", kind=kind, types=list(types))

    def add_regulators(self, *numbers: int, threshold: int = 1) -> None:
        for n in numbers:
            self.gov(
                "add_regulator",
                account=A[n],
                name=f"regulator-{n}",
                encryption_key=encryption_key(self.suite),
            )
        self.gov("set_params", disclosure_threshold=threshold, request_lifetime=5)

    def kyc_value(self, customer: int, tier: int = 2, **overrides: Any) -> dict[str, Any]:
        regulators = [r["account"] for r in self.query("regulators")["regulators"]]
        value: dict[str, Any] = {
            "issuer": self.bank,
            "account": A[customer],
            "subject": did(customer),
            "tier": tier,
            "expires": self.time_ns + 100 * BLOCK_NS,
            "credential_hash": b"\x11" * 32,
        }
        if tier:
            threshold = self.keeper.params(self.state).disclosure_threshold
            value["escrow"] = escrow(regulators, threshold)
        return {**value, **overrides}

    def record_kyc(self, customer: int, tier: int = 2, **overrides: Any) -> None:
        self.ok(A[1], "record_kyc", **self.kyc_value(customer, tier, **overrides))
