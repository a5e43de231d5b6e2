"""Event types of the cbdc module (attributes in a fixed order). The bank's ``mint``,
``burn`` and ``transfer`` events accompany the money movements."""

from __future__ import annotations

from finchain.core.events import Event

DESIGNATED = "cbdc_designated"
OPERATOR_AUTHORISED = "cbdc_operator_authorised"
ISSUED = "cbdc_issued"
REDEEMED = "cbdc_redeemed"
WALLET_OPENED = "cbdc_wallet_opened"
DISTRIBUTED = "cbdc_distributed"
WITHDRAWN = "cbdc_withdrawn"


def designated(central_bank: str, asset: str) -> Event:
    return Event(DESIGNATED, (("central_bank", central_bank), ("asset", asset)))


def operator_authorised(operator: str, quota: int) -> Event:
    return Event(OPERATOR_AUTHORISED, (("operator", operator), ("quota", str(quota))))


def issued(operator: str, amount: int, reference: str) -> Event:
    return Event(
        ISSUED, (("operator", operator), ("amount", str(amount)), ("reference", reference))
    )


def redeemed(operator: str, amount: int, reference: str) -> Event:
    return Event(
        REDEEMED, (("operator", operator), ("amount", str(amount)), ("reference", reference))
    )


def wallet_opened(owner: str, operator: str, tier: int) -> Event:
    return Event(WALLET_OPENED, (("owner", owner), ("operator", operator), ("tier", str(tier))))


def distributed(operator: str, wallet: str, amount: int) -> Event:
    return Event(DISTRIBUTED, (("operator", operator), ("wallet", wallet), ("amount", str(amount))))


def withdrawn(wallet: str, operator: str, amount: int) -> Event:
    return Event(WITHDRAWN, (("wallet", wallet), ("operator", operator), ("amount", str(amount))))
