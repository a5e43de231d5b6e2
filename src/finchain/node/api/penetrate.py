"""Penetrating reads of chain state (JR/T 0184 ch. 15): what stands behind a DID, an institution,
an account, composed from the modules' own queries.

Each view is many queries; they must all describe one committed height, or a
holding could be counted before and after a transfer. ``Snapshot`` notes the
height of the first answer and restarts the whole read when a later answer
comes from another height (a block committed meanwhile). Reads are
milliseconds and blocks seconds apart, so a restart is rare; after
``MAX_TRIES`` the caller is told to retry.

Functions here block (they call the node); routes run them with ``ctx.call``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from finchain.errors import FinchainError
from finchain.node.api.errors import ErrOverloaded
from finchain.service.interface import NodeService

T = TypeVar("T")
MAX_TRIES = 5
#: Interventions, settlement instructions, escrows and loans shown per account: the first
#: page of each module's own listing (its ``next_cursor`` says there is more).
PAGE = 50
#: Statuses of records still open (money or securities still committed to them).
OPEN_SETTLEMENT = frozenset({"unmatched", "matched", "pending", "partially_settled"})
OPEN_LOANS = frozenset({"offered", "active", "defaulted"})


class _Moved(Exception):
    """A block committed between two reads of one view."""


class Snapshot:
    """Queries that must all answer at one height (see the module docstring)."""

    def __init__(self, node: NodeService) -> None:
        self.node = node
        self.height: int | None = None

    def q(self, path: str, **params: Any) -> Any:
        answer = self.node.query(path, params, height=None, prove=False)
        if self.height is None:
            self.height = answer.height
        elif answer.height != self.height:
            raise _Moved
        return answer.value


def consistent(node: NodeService, read: Callable[[Snapshot], T]) -> tuple[T, int]:
    """``read``'s result and the one height all its queries answered at."""
    for _ in range(MAX_TRIES):
        snap = Snapshot(node)
        try:
            result = read(snap)
        except _Moved:
            continue
        assert snap.height is not None
        return result, snap.height
    raise ErrOverloaded(
        f"blocks committed during each of {MAX_TRIES} attempts to read one consistent view; "
        "retry shortly"
    )


UNKNOWN_QUERY = ("tx", 24)
UNKNOWN_ISSUER = ("credentials", 6)


def _optional(
    snap: Snapshot, path: str, *, absent: tuple[str, int] = UNKNOWN_QUERY, **params: Any
) -> Any:
    """None where the answer is "no such thing": by default a query of a module this chain
    does not run (``tx:24``), or the error ``absent``."""
    try:
        return snap.q(path, **params)
    except FinchainError as exc:
        if (exc.codespace, exc.code) in (UNKNOWN_QUERY, absent):
            return None
        raise


def holdings(snap: Snapshot, account: str) -> list[dict[str, Any]]:
    """Every asset the account holds: amount, frozen (interventions, escrows…), spendable."""
    listed = snap.q("bank/balances", account=account)["balances"]
    out = []
    for entry in listed:
        one = snap.q("bank/balance", account=account, asset=entry["asset"])
        out.append(
            {
                "asset": one["asset"],
                "amount": one["amount"],
                "frozen": one["frozen"],
                "spendable": one["spendable"],
            }
        )
    return out


def account_summary(snap: Snapshot, account: str) -> dict[str, Any]:
    """The account's status, holdings and the interventions on it (first page)."""
    found = snap.q("accounts/account", account=account)["account"]
    interventions = _optional(snap, "interventions/by_account", account=account, limit=PAGE)
    return {
        "account": account,
        "status": found["status"],
        "holdings": holdings(snap, account),
        "interventions": [] if interventions is None else interventions["interventions"],
        "interventions_next_cursor": None
        if interventions is None
        else interventions["next_cursor"],
    }


def totals(accounts: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Per asset, the sum over ``accounts`` of amount and frozen (ints as strings)."""
    sums: dict[str, list[int]] = {}
    for entry in accounts:
        for holding in entry["holdings"]:
            pair = sums.setdefault(holding["asset"], [0, 0])
            pair[0] += int(holding["amount"])
            pair[1] += int(holding["frozen"])
    return [
        {"asset": asset, "amount": str(amount), "frozen": str(frozen)}
        for asset, (amount, frozen) in sorted(sums.items())
    ]


def did_view(snap: Snapshot, did: str) -> dict[str, Any]:
    """The DID's controller account and bound accounts (at most 65), each in full."""
    found = snap.q("identity/record", did=did)
    record, bound = found["record"], list(found["bound_accounts"])
    controller = record["controller_account"]
    accounts = []
    for account in sorted({controller, *bound}):
        roles = [
            r
            for r, yes in (("controller", account == controller), ("bound", account in bound))
            if yes
        ]
        accounts.append({**account_summary(snap, account), "roles": roles})
    return {
        "did": did,
        "controller_account": controller,
        "bound_accounts": sorted(bound),
        "version": record["version"],
        "deactivated": record.get("deactivated", False),
        "accounts": accounts,
        "totals": totals(accounts),
    }


def institution_view(snap: Snapshot, did: str, cursor: str, limit: int) -> dict[str, Any]:
    """A page of the accounts whose KYC claim ``did`` recorded, with the claim and holdings."""
    params: dict[str, Any] = {"issuer": did, "limit": limit}
    if cursor:
        params["cursor"] = cursor
    issuer = _optional(snap, "credentials/issuer", absent=UNKNOWN_ISSUER, did=did)
    page = snap.q("credentials/claims_by_issuer", **params)
    accounts = []
    for claim in page["claims"]:
        summary = account_summary(snap, claim["account"])
        summary["claim"] = {
            k: claim[k]
            for k in ("subject", "tier", "status", "expires_ns", "height", "time_ns")
            if k in claim
        }
        summary["did"] = snap.q("identity/did_of_account", account=claim["account"])["did"]
        accounts.append(summary)
    return {
        "institution": did,
        "issuer": issuer,
        "accounts": accounts,
        "totals": totals(accounts),
        "next_cursor": page["next_cursor"],
    }


def account_view(snap: Snapshot, account: str) -> dict[str, Any]:
    """Everything the chain holds about one account now: record, holdings, claims, DIDs,
    interventions, and its open settlement instructions, escrows and loans (first pages)."""
    found = snap.q("accounts/account", account=account)
    summary = account_summary(snap, account)
    view: dict[str, Any] = {
        "account": account,
        "record": found["account"],
        "nonce": found["nonce"],
        "pending_reset": found["pending_reset"],
        "holdings": summary["holdings"],
        "claims": [
            {k: v for k, v in claim.items() if k != "escrow"}
            for claim in snap.q("credentials/kyc", account=account)["claims"]
        ],
        "did": snap.q("identity/did_of_account", account=account)["did"],
        "controls": snap.q("identity/dids_of_controller", account=account, limit=PAGE)["dids"],
        "interventions": summary["interventions"],
        "interventions_next_cursor": summary["interventions_next_cursor"],
    }
    settlement = _optional(snap, "settlement/by_party", party=account, limit=PAGE)
    view["settlement"] = [
        s for s in (settlement or {}).get("instructions", []) if s["status"] in OPEN_SETTLEMENT
    ]
    paying = _optional(snap, "escrow/by_payer", payer=account, status="open", limit=PAGE)
    paid = _optional(snap, "escrow/by_payee", payee=account, status="open", limit=PAGE)
    view["escrows"] = [*(paying or {}).get("escrows", []), *(paid or {}).get("escrows", [])]
    loans = _optional(snap, "lending/loans", account=account, limit=PAGE)
    view["loans"] = [x for x in (loans or {}).get("loans", []) if x["state"] in OPEN_LOANS]
    return view
