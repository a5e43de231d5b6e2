"""A governed chain with a regulator, for the compliance tests.

Accounts 1..4 are governance members (1 issues CNY); account 5 is a customer.
Account 4 is registered as a regulator by a passed proposal. Blocks are 1 s apart
unless a test jumps the clock (``at``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from finchain.app import TxResult
from finchain.chain import FinchainApp
from finchain.client import builders as b
from finchain.client import compliance_builders as cb
from finchain.client import credentials_builders as crb
from finchain.codec import RawMsg
from finchain.crypto import generate_private_key
from finchain.errors import ErrorCode
from finchain.modules.governance.module import genesis_member, genesis_validator
from tests.harness import BLOCK_NS, Chain
from tests.modules.test_governance import DEFAULT_PARAMS, A, Gov, code, make_gov

REGULATOR = 4
CUSTOMER = 5


class World:
    def __init__(self, gov: Gov) -> None:
        self.gov = gov
        self.chain = gov.chain
        self.app = gov.app

    def send(self, who: int, *msgs: RawMsg) -> TxResult:
        (result,) = self.gov.block(self.gov.tx(who, *msgs)).tx_results
        return result

    def ok(self, who: int, *msgs: RawMsg) -> TxResult:
        result = self.send(who, *msgs)
        assert result.ok, (result.codespace, result.code, result.log)
        return result

    def refused(self, error: ErrorCode, who: int, *msgs: RawMsg) -> TxResult:
        """``who``'s transaction fails with ``error`` and leaves the compliance and bank
        state as it was."""
        before = self.state()
        result = self.send(who, *msgs)
        assert code(result) is error, (result.codespace, result.code, result.log)
        assert self.state() == before
        return result

    def state(self) -> list[tuple[bytes, bytes]]:
        return [*self.app.state.iterate(b"compliance/"), *self.app.state.iterate(b"bank/")]

    def at(self, time_ns: int, *txs: bytes) -> list[TxResult]:
        """A block whose time is exactly ``time_ns``."""
        self.chain.time_ns = time_ns - BLOCK_NS
        return list(self.gov.block(*txs).tx_results)

    @property
    def height(self) -> int:
        return self.app.height

    def query(self, path: str, **params: Any) -> Any:
        return self.app.query("compliance/" + path, params).value

    def balance(self, who: int, asset: str = "CNY") -> int:
        return self.app.bank.balance(self.app.state, A[who], asset)

    def publish(self, *rules: dict[str, Any]) -> int:
        result = self.ok(REGULATOR, cb.publish(list(rules)))
        (event,) = [e for e in result.events if e.type == "compliance_published"]
        return int(event.get("version") or 0)

    def activate(self, version: int, height: int) -> None:
        """Governance schedules ``version`` at ``height`` (the proposal must run before it)."""
        self.gov.pass_proposal(b.exec_msg(cb.activate(version, height)))
        assert self.query("ruleset", version=version)["status"] == "scheduled"

    def install(self, *rules: dict[str, Any]) -> int:
        """Publish and activate ``rules``; return with the set active (the next block judges)."""
        version = self.publish(*rules)
        height = self.height + 40
        self.activate(version, height)
        self.gov.run_until(height)
        assert self.query("active")["version"] == version
        return version


def make_world(tmp_path: Path) -> World:
    world = World(make_gov(tmp_path))
    world.gov.pass_proposal(
        b.exec_msg(crb.add_regulator(A[REGULATOR], "PBoC branch", "x25519", bytes(range(1, 33))))
    )
    return world


def deny(rule_id: str, expr: str, reason: str = "refused: contact your bank") -> dict[str, Any]:
    return {"id": rule_id, "expr": expr, "action": "deny", "reason": reason}


def flag(rule_id: str, expr: str, report_type: str = "large_value") -> dict[str, Any]:
    return {
        "id": rule_id,
        "expr": expr,
        "action": "flag",
        "reason": "report",
        "report_type": report_type,
    }


class _PlainChain(Chain):
    """The harness chain over the standard app (no test module): what a node home holds."""

    def _open(self) -> FinchainApp:
        return FinchainApp(self.path)


def make_home_world(home: Path) -> World:
    """A world whose app lives in node home ``home`` (``home/data``, ``home/genesis.json``),
    so that ``finchain rules simulate`` can replay its blocks."""
    keys = [generate_private_key("ed25519") for _ in range(5)]
    validators = [genesis_validator(f"v{i}", k.public_key(), 10) for i, k in enumerate(keys[:4])]
    members = [genesis_member(A[n], f"bank-{n}", 1) for n in range(1, 5)]
    home.mkdir(parents=True, exist_ok=True)
    chain = _PlainChain(
        home / "data",
        n_accounts=5,
        validators=validators,
        governance={"members": members, "params": DEFAULT_PARAMS},
    )
    chain.genesis.save(home / "genesis.json")
    world = World(Gov(chain, keys))
    world.gov.pass_proposal(
        b.exec_msg(crb.add_regulator(A[REGULATOR], "PBoC branch", "x25519", bytes(range(1, 33))))
    )
    return world
