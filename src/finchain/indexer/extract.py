"""From a committed block (the API's ``/v1/blocks/{height}`` JSON) to the index's rows.

Pure functions of the block plus the account → institution map as it stood before the
block, so the same block always gives the same rows on either database.

What becomes what:

- every event → ``events`` + ``event_attributes`` (generic: a module added later is
  indexed without a change here);
- bank ``transfer`` → a transfer of kind ``transfer``; ``mint`` → kind ``mint`` (sender
  = the minter, cash in); ``burn`` → kind ``burn`` (recipient empty, cash out). The
  bank's ``coin_spent``/``coin_received`` pairs are not counted again: every movement
  the bank makes emits exactly one of the three (``modules/bank/keeper.py``);
- ``compliance.alert`` → ``alerts`` (attributes of the shared contract);
- the interventions module's events (those carrying ``intervention_id``) → ``interventions``;
- credentials ``kyc_recorded`` / ``kyc_revoked`` → the account's institution (the DID of
  the KYC claim's issuer), which later transfers in the same block already see.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from finchain.indexer.errors import SourceError
from finchain.modules.bank import events as bank
from finchain.modules.credentials import events as credentials
from finchain.modules.interventions import events as interventions

#: The shared contract's alert type; the snake_case spelling is accepted too, since the
#: API's event filter only takes snake_case names and the compliance module may use it.
ALERT_TYPES = frozenset({"compliance.alert", "compliance_alert"})
INTERVENTION_TYPES = frozenset(
    {
        interventions.INTERVENTION_PROPOSED,
        interventions.INTERVENTION_APPROVED,
        interventions.INTERVENTION_EXECUTED,
        interventions.INTERVENTION_LIFTED,
        interventions.INTERVENTION_LAPSED,
        interventions.INTERVENTION_LIFT_FAILED,
    }
)
ALERT_FIELDS = (
    "rule",
    "report_type",
    "ruleset",
    "tx",
    "account",
    "counterparty",
    "asset",
    "amount",
    "institution",
    "counterparty_institution",
)
BLOCK_EVENTS = -1  # tx_index of begin/end-block events


@dataclass
class BlockRows:
    """Rows of one block, in the column order of the INSERTs in ``follower.py``."""

    height: int
    block: tuple[Any, ...]
    txs: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    attributes: list[tuple[Any, ...]] = field(default_factory=list)
    transfers: list[tuple[Any, ...]] = field(default_factory=list)
    alerts: list[tuple[Any, ...]] = field(default_factory=list)  # without the id
    interventions: list[tuple[Any, ...]] = field(default_factory=list)
    institutions: dict[str, str] = field(default_factory=dict)  # changed: account → DID ("" none)

    def row_count(self) -> int:
        return (
            1
            + len(self.txs)
            + len(self.events)
            + len(self.attributes)
            + len(self.transfers)
            + len(self.alerts)
            + len(self.interventions)
            + len(self.institutions)
        )


def _int_text(value: str | None, what: str) -> str:
    """An amount as canonical decimal text (exact at any size); refuses anything else."""
    if value is None or not value.isascii() or not value.lstrip("-").isdigit():
        raise SourceError(f"{what} {value!r} is not an integer")
    return str(int(value))


def block_rows(block: Mapping[str, Any], institution_of: Mapping[str, str]) -> BlockRows:
    """The rows for one block; ``institution_of`` gives an account's institution before it.

    Raises :class:`SourceError` when the block JSON lacks what every block carries.
    """
    try:
        height = int(block["height"])
        time_ns = int(block["time_ns"])
        tx_ids: list[str] = list(block["tx_ids"])
        results: list[Mapping[str, Any]] = list(block["results"])
        block_events: list[Mapping[str, Any]] = list(block.get("events") or ())
        block_hash = str(block["block_hash"])
    except (KeyError, TypeError, ValueError) as exc:
        raise SourceError(f"a block without the expected fields: {exc!r}") from exc
    if len(tx_ids) != len(results):
        raise SourceError(f"block {height}: {len(tx_ids)} txs but {len(results)} results")
    rows = BlockRows(height, (height, block_hash, time_ns, len(tx_ids)))
    known: dict[str, str] = {}

    def institution(account: str) -> str:
        if account in known:
            return known[account]
        return institution_of.get(account, "")

    groups: list[tuple[int, str, list[Mapping[str, Any]]]] = [(BLOCK_EVENTS, "", block_events)]
    for index, (tx_hash, result) in enumerate(zip(tx_ids, results, strict=True)):
        rows.txs.append(
            (
                height,
                index,
                tx_hash,
                time_ns,
                int(result["code"]),
                str(result.get("codespace", "")),
                str(result.get("info", "")),
                str(result.get("log", "")),
            )
        )
        groups.append((index, tx_hash, list(result.get("events") or ())))

    for tx_index, tx_hash, events in groups:
        for event_index, event in enumerate(events):
            kind = str(event["type"])
            attrs = [(str(k), str(v)) for k, v in event["attributes"]]
            rows.events.append((height, tx_index, event_index, kind, time_ns))
            rows.attributes.extend(
                (height, tx_index, event_index, i, k, v) for i, (k, v) in enumerate(attrs)
            )
            get = dict(attrs).get
            key = (height, tx_index, event_index, time_ns, tx_hash)
            where = f"block {height} event {kind}"
            if kind in (bank.TRANSFER, bank.MINT, bank.BURN):
                sender = get("sender", "") if kind == bank.TRANSFER else ""
                if kind == bank.MINT:
                    sender = get("minter", "")
                elif kind == bank.BURN:
                    sender = get("burner", "")
                recipient = "" if kind == bank.BURN else get("recipient", "")
                rows.transfers.append(
                    (
                        *key,
                        kind,
                        sender,
                        recipient,
                        get("asset", ""),
                        _int_text(get("amount"), f"{where}: amount"),
                        institution(sender) if sender else "",
                        institution(recipient) if recipient else "",
                    )
                )
            elif kind in ALERT_TYPES:
                values = [get(name, "") for name in ALERT_FIELDS]
                values[3] = values[3] or tx_hash
                values[7] = _int_text(get("amount", "0"), f"{where}: amount")
                # the contract's institutions; where the rule saw none, the KYC record's
                values[8] = values[8] or institution(values[4])
                values[9] = values[9] or institution(values[5])
                rows.alerts.append((*key[:4], *values))
            elif kind in INTERVENTION_TYPES:
                rows.interventions.append(
                    (
                        *key,
                        kind,
                        int(_int_text(get("intervention_id"), f"{where}: intervention_id")),
                        get("kind", ""),
                        get("account", ""),
                    )
                )
            elif kind == credentials.KYC_RECORDED:
                known[get("account", "")] = get("issuer", "")
            elif kind == credentials.KYC_REVOKED:
                known[get("account", "")] = ""
    rows.institutions = known
    return rows
