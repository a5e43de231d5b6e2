"""A chain for the securities tests: calendar-dated blocks, signers following the chain's nonce."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from finchain.app import FinalizeBlockRequest, FinalizeBlockResponse, TxResult
from finchain.client import securities_builders as sb
from finchain.codec import RawMsg
from finchain.modules.accounts.types import account_id
from finchain.modules.securities.types import start_ns
from tests.harness import Chain
from tests.testmodule import with_test_module

ISSUER, A2, A3, A4, AGENT = (account_id(n) for n in range(1, 6))
ISIN = "CND100001239"  # check digit computed by ISO 6166's Luhn (test_isin checks it)
HOUR = 3600 * 10**9


class Market:
    """Five accounts (1: issuer with the cash asset CNY, 5: the remainder account)."""

    def __init__(self, path: Path, *, funds: int = 10**12) -> None:
        self.chain = Chain(path, n_accounts=5, funds=funds)
        self.app = self.chain.app
        self.history: list[tuple[FinalizeBlockRequest, bytes]] = []

    def send(self, who: int, *msgs: RawMsg) -> TxResult:
        """One transaction of account ``who`` (nonce read from the chain) in its own block."""
        return self.block(self.tx(who, *msgs)).tx_results[0]

    def tx(self, who: int, *msgs: RawMsg) -> bytes:
        signer = self.chain.signer(who)
        signer.nonce = self.app.accounts.nonce(self.app.state, account_id(who))
        return signer.sign(*msgs)

    def block(self, *txs: bytes, at: int | None = None) -> FinalizeBlockResponse:
        """A block one second after the last, or at time ``at`` (ns)."""
        self.chain.time_ns = self.chain.time_ns + 10**9 if at is None else at
        request = FinalizeBlockRequest(self.app.height + 1, self.chain.time_ns, list(txs))
        response = self.app.finalize_block(request)
        self.app.commit()
        self.history.append((request, response.app_hash))
        return response

    def replay(self, path: Path) -> None:
        """Run every block again on a fresh node from the same genesis: same app hash at
        every height (determinism, including end_block's payments)."""
        other = with_test_module(path)
        other.init_chain(self.chain.genesis)
        for request, app_hash in self.history:
            assert other.finalize_block(request).app_hash == app_hash, request.height
            other.commit()
        other.close()

    def on(self, day: str, *txs: bytes, hour: int = 1) -> FinalizeBlockResponse:
        """A block at ``hour``:00 UTC on ``day``."""
        return self.block(*txs, at=start_ns(date.fromisoformat(day)) + hour * HOUR)

    def query(self, path: str, **params: Any) -> Any:
        return self.app.query(path, {k: str(v) for k, v in params.items()}).value

    def cash(self, account: str) -> int:
        return int(self.app.bank.balance(self.app.state, account, "CNY"))

    def bonds(self, account: str, isin: str = ISIN) -> int:
        return int(self.app.bank.balance(self.app.state, account, isin))


def bond(isin: str = ISIN, **terms: Any) -> RawMsg:
    """A 3-year annual 3.25 % ACT/365F bond of face 10,000 (CNY cents) issued 2026-01-15."""
    args: dict[str, Any] = {
        "cash_asset": "CNY",
        "face_value": 10_000,
        "coupon_bps": 325,
        "day_count": "ACT/365F",
        "issue_date": "2026-01-15",
        "maturity_date": "2029-01-15",
        "coupon_dates": ["2027-01-15", "2028-01-15"],
        "record_days": 1,
        "remainder_account": AGENT,
    }
    args.update(terms)
    return sb.register_bond(isin, "Test bond", **args)


def events_of(response: FinalizeBlockResponse, kind: str) -> list[dict[str, str]]:
    """Attributes of every event of type ``kind`` in the block (transactions and end_block)."""
    found = [dict(e.attributes) for e in response.events if e.type == kind]
    for result in response.tx_results:
        found += [dict(e.attributes) for e in result.events if e.type == kind]
    return found
