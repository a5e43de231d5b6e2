"""Built-in rules: parameters, not code. Each template checks its parameters and renders a
rule (the dict ``compliance/publish`` takes) whose CEL expression carries them as literals,
so a stored rule is self-contained and reads the same on every node.

The legal text each follows, the parameters and the boundaries are in
``docs/regulation/builtins.md``. Every expression uses only the activation's variables
(``docs/regulation/compliance.md``), integer arithmetic, comparisons, ``in`` over a list
literal and the conditional operator: no function calls, no floats, no macros.

**Amounts.** Thresholds and limits are given in whole or decimal units of the asset
(yuan: ``"50000"`` or ``"49999.99"``, or an ``int`` of whole units) and converted to base
units with the asset's ``decimals``: ``"50000"`` with 2 decimals is ``5000000``; more
fractional digits than the asset has are refused (no rounding). CNY has 2 decimals on the
demo chain (``finchain dev``).

**Cumulative amounts** compare ``move.amount >= T - day_total`` rather than
``day_total + move.amount >= T``: the same verdict for every value the activation can
hold, and it cannot overflow int64 (an overflow is an error, and an error denies).

Example::

    from finchain.modules.compliance import builtins

    rules = builtins.default_ruleset(asset="CNY", decimals=2)   # {"rules": [...]}
    rules["rules"].append(builtins.tier_limits(asset="CNY", decimals=2, limits={
        0: {"balance": "10000", "per_payment": "2000", "per_day": "5000"},
        1: {"balance": "500000", "per_day": "100000"},
        2: {},
    }))

Errors: ``ErrBadParameter`` (codespace ``builtins``) names the parameter and the value
it expects.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from finchain.errors import register

CODESPACE = "builtins"
ErrBadParameter = register(CODESPACE, 2, "invalid built-in rule parameter")

MAX_TIER = 2
"""The highest KYC tier (credentials: 0 anonymous, 1 basic, 2 full)."""
MAX_DECIMALS = 18
MAX_INT64 = 2**63 - 1
MOVE_KINDS = ("transfer", "cash_in", "cash_out", "none")
PERIODS = ("day", "window")

_SYMBOL = re.compile(r"[A-Z][A-Z0-9]{0,15}")
_JURISDICTION = re.compile(r"[A-Z]{2}")
_AMOUNT = re.compile(r"(0|[1-9][0-9]*)(?:\.([0-9]+))?")

# PBoC Order [2016] No. 3, Art. 5 (in yuan, inclusive).
LARGE_CASH = "50000"
LARGE_ENTITY_TRANSFER = "2000000"
LARGE_INDIVIDUAL_DOMESTIC = "500000"
LARGE_INDIVIDUAL_CROSS_BORDER = "200000"
# FATF R.16 Interpretive Note, para 5: the de minimis threshold (USD/EUR 1,000).
TRAVEL_THRESHOLD = "1000"

Rule = dict[str, Any]


# -- parameters -----------------------------------------------------------------------------------


def _bad(name: str, expected: str, value: object) -> Exception:
    return ErrBadParameter(f"parameter {name!r} must be {expected}; got {str(value)[:60]!r}")


def _symbol(asset: object) -> str:
    if not isinstance(asset, str) or not _SYMBOL.fullmatch(asset):
        raise _bad("asset", "an asset symbol such as 'CNY' (A-Z, 0-9, at most 16)", asset)
    return asset


def _decimals(decimals: object) -> int:
    if type(decimals) is not int or not 0 <= decimals <= MAX_DECIMALS:
        raise _bad("decimals", f"the asset's decimals, an integer in [0, {MAX_DECIMALS}]", decimals)
    return decimals


def to_base_units(amount: object, decimals: int, name: str = "amount") -> int:
    """``amount`` (``"50000"``, ``"49999.99"`` or an ``int`` of whole units) in base units.

    Refuses negatives, floats, more fractional digits than ``decimals``, and results
    beyond int64 (the activation's ``int``).
    """
    if type(amount) is int:
        text = str(amount)
    elif isinstance(amount, str):
        text = amount
    else:
        raise _bad(name, "a decimal string such as '50000.00' or an int (no floats)", amount)
    found = _AMOUNT.fullmatch(text)
    if found is None:
        raise _bad(name, "a non-negative decimal such as '50000' or '49999.99'", amount)
    whole, fraction = found.group(1), found.group(2) or ""
    if len(fraction) > decimals:
        raise _bad(name, f"an amount with at most {decimals} decimal places", amount)
    units: int = int(whole) * 10**decimals + int(fraction.ljust(decimals, "0") or "0")
    if units > MAX_INT64:
        raise _bad(name, "at most 2^63 - 1 base units", amount)
    return units


def _positive(amount: object, decimals: int, name: str) -> int:
    units = to_base_units(amount, decimals, name)
    if units <= 0:
        raise _bad(name, "greater than zero", amount)
    return units


def _tier(value: object, name: str) -> int:
    if type(value) is not int or not 0 <= value <= MAX_TIER:
        raise _bad(name, f"a KYC tier in [0, {MAX_TIER}]", value)
    return value


def _kinds(kinds: Iterable[object], name: str, allowed: Sequence[str]) -> tuple[str, ...]:
    found = tuple(kinds)
    if not found or any(k not in allowed for k in found) or len(set(found)) != len(found):
        raise _bad(name, f"a non-empty list of distinct kinds from {list(allowed)}", found)
    return tuple(k for k in allowed if k in found)


def _count(value: object, name: str, low: int) -> int:
    if type(value) is not int or not low <= value <= MAX_INT64:
        raise _bad(name, f"an integer of at least {low}", value)
    return value


def _flag(value: object, name: str) -> bool:
    if type(value) is not bool:
        raise _bad(name, "true or false", value)
    return value


# -- CEL literals ---------------------------------------------------------------------------------


def _s(text: str) -> str:
    """A CEL string literal (JSON escapes are CEL escapes)."""
    return json.dumps(text, ensure_ascii=True)


def _list(items: Iterable[str]) -> str:
    return "[" + ", ".join(_s(item) for item in items) + "]"


def _kind_test(kinds: Sequence[str]) -> str:
    if len(kinds) == 1:
        return f"move.kind == {_s(kinds[0])}"
    return f"move.kind in {_list(kinds)}"


def _all(*parts: str) -> str:
    """``parts`` joined by ``&&``; a part holding ``||`` or ``?:`` (both bind looser than
    ``&&``) in parentheses."""
    return " && ".join(f"({p})" if " || " in p or " ? " in p else p for p in parts if p)


def _rule_id(*parts: str) -> str:
    return ".".join(p.lower() for p in parts)


def _deny(rule_id: str, expr: str, reason: str) -> Rule:
    return {"id": rule_id, "expr": expr, "action": "deny", "reason": reason}


def _flag_rule(rule_id: str, expr: str, reason: str, report_type: str) -> Rule:
    return {
        "id": rule_id,
        "expr": expr,
        "action": "flag",
        "reason": reason,
        "report_type": report_type,
    }


# -- templates ------------------------------------------------------------------------------------


def sanctions() -> Rule:
    """Deny any message whose sender or recipient is on the active sanctions list (aml).

    For a message that moves nothing both sides are the transaction's account: a listed
    account can do nothing at all. The result records the list version (``info``).
    """
    return _deny(
        "sanctions",
        "sender.listed || recipient.listed",
        "an account of this transaction is on the sanctions list: it cannot transact",
    )


def verified_identity(
    *,
    min_tier: int = 0,
    jurisdictions: Sequence[str] = (),
    check_sender: bool = False,
) -> Rule:
    """ERC-3643 ``isVerified``: a regulated asset goes only to verified identities.

    Fires (deny) when ``asset.regulated`` and the recipient of a transfer or cash-in is
    not ``verified`` (an active DID bound and a current KYC claim from an accredited
    issuer), or is below ``min_tier``, or (if ``jurisdictions`` is given) is outside
    them. ``check_sender`` applies the same to the sender of transfers and cash-outs.
    """
    tier = _tier(min_tier, "min_tier")
    places = tuple(jurisdictions)
    if any(not isinstance(j, str) or not _JURISDICTION.fullmatch(j) for j in places) or len(
        set(places)
    ) != len(places):
        raise _bad("jurisdictions", "distinct ISO 3166 alpha-2 codes such as 'CN'", places)
    places = tuple(sorted(places))
    sender = _flag(check_sender, "check_sender")

    def unverified(side: str) -> str:
        parts = [f"!{side}.verified"]
        if tier:
            parts.append(f"{side}.kyc_tier < {tier}")
        if places:
            parts.append(f"!({side}.jurisdiction in {_list(places)})")
        return " || ".join(parts)

    recipient_part = _all('move.kind in ["transfer", "cash_in"]', unverified("recipient"))
    expr = recipient_part
    if sender:
        sender_part = _all('move.kind in ["transfer", "cash_out"]', unverified("sender"))
        expr = f"{recipient_part} || {sender_part}"
    who = "both parties" if sender else "the recipient"
    terms = ["verified"]
    if tier:
        terms.append(f"KYC tier {tier} or above")
    if places:
        terms.append("in " + "/".join(places))
    return _deny(
        "verified_identity",
        _all("asset.regulated", expr),
        f"this asset is regulated: {who} must hold a " + ", ".join(terms) + " identity",
    )


_LIMITS = ("balance", "per_payment", "per_day", "per_year")


def tier_limits(
    *,
    asset: str,
    decimals: int,
    limits: Mapping[int, Mapping[str, object]],
    kinds: Sequence[str] = ("transfer",),
) -> list[Rule]:
    """Per-tier limits (deny above; a limit itself is allowed), one rule per kind of limit.

    ``limits`` maps tiers 0, 1, ... (consecutive from 0; the highest given applies to
    every tier above it) to any of ``balance`` (the recipient's balance after a transfer
    or cash-in), ``per_payment``, ``per_day`` and ``per_year`` (the sender's outgoing
    movements of ``kinds``, this one included), in units of ``asset``. A limit a tier
    leaves out does not bind that tier.
    """
    symbol, places = _symbol(asset), _decimals(decimals)
    outgoing = _kinds(kinds, "kinds", ("transfer", "cash_out"))
    tiers = sorted(limits)
    if not tiers or tiers != list(range(len(tiers))) or len(tiers) > MAX_TIER + 1:
        raise _bad("limits", f"a map from tiers 0, 1, ... (at most {MAX_TIER}) to limits", tiers)
    table: dict[str, list[int | None]] = {name: [] for name in _LIMITS}
    for tier in tiers:
        given = limits[tier]
        unknown = set(given) - set(_LIMITS)
        if unknown:
            raise _bad(f"limits[{tier}]", f"a map of {list(_LIMITS)}", sorted(unknown))
        for name in _LIMITS:
            value = given.get(name)
            table[name].append(
                None if value is None else _positive(value, places, f"limits[{tier}].{name}")
            )
    measures = {
        "balance": ("recipient", "move.amount > {L} - recipient.balance"),
        "per_payment": ("sender", "move.amount > {L}"),
        "per_day": ("sender", "move.amount > {L} - sender.day_total"),
        "per_year": ("sender", "move.amount > {L} - sender.year_total"),
    }
    rules = []
    for name in _LIMITS:
        values = table[name]
        if all(v is None for v in values):
            continue
        side, test = measures[name]
        branches = [("false" if v is None else test.format(L=v)) for v in values]
        expr = branches[-1]
        for tier in range(len(values) - 2, -1, -1):
            expr = f"{side}.kyc_tier == {tier} ? {branches[tier]} : {expr}"
        kind_test = (
            'move.kind in ["transfer", "cash_in"]' if name == "balance" else _kind_test(outgoing)
        )
        rules.append(
            _deny(
                _rule_id("tier_limit", name, symbol),
                _all(f"move.asset == {_s(symbol)}", kind_test, expr),
                f"over the {name.replace('_', ' ')} limit of the account's KYC tier for "
                f"{symbol}: raise the tier or lower the amount",
            )
        )
    return rules


def large_value(
    *,
    asset: str = "CNY",
    decimals: int = 2,
    cash: object = LARGE_CASH,
    entity_transfer: object = LARGE_ENTITY_TRANSFER,
    individual_domestic: object = LARGE_INDIVIDUAL_DOMESTIC,
    individual_cross_border: object = LARGE_INDIVIDUAL_CROSS_BORDER,
) -> list[Rule]:
    """Large-value transaction reports, PBoC Order [2016] No. 3 Art. 5: single or same-day
    cumulative amounts AT OR ABOVE (inclusive) each threshold, flagged ``large_value``.

    1. cash (``cash_in`` for the recipient, ``cash_out`` for the sender) >= ``cash``;
    2. transfers where a non-natural person is a party, cumulated per that party and
       direction >= ``entity_transfer``;
    3. domestic transfers of a natural person >= ``individual_domestic``;
    4. cross-border transfers of a natural person >= ``individual_cross_border``.

    "Same day" is the chain's configured zone; the cumulated total is the party's
    ``day_total`` in the asset and direction (every movement of that direction, not only
    those of the rule's kind: it may over-report, never under-report). Every movement
    from the one that reaches the threshold on is flagged: each is part of the
    reportable total.
    """
    symbol, places = _symbol(asset), _decimals(decimals)
    t_cash = _positive(cash, places, "cash")
    t_entity = _positive(entity_transfer, places, "entity_transfer")
    t_domestic = _positive(individual_domestic, places, "individual_domestic")
    t_cross = _positive(individual_cross_border, places, "individual_cross_border")
    on_asset = f"move.asset == {_s(symbol)}"

    def reached(side: str, threshold: int) -> str:
        return f"move.amount >= {threshold} - {side}.day_total"

    cash_expr = (
        f'(move.kind == "cash_in" && {reached("recipient", t_cash)}) || '
        f'(move.kind == "cash_out" && {reached("sender", t_cash)})'
    )
    entity_expr = (
        f"(!sender.natural_person && {reached('sender', t_entity)}) || "
        f"(!recipient.natural_person && {reached('recipient', t_entity)})"
    )

    def individual(threshold: int) -> str:
        return (
            f"(sender.natural_person && {reached('sender', threshold)}) || "
            f"(recipient.natural_person && {reached('recipient', threshold)})"
        )

    transfer = 'move.kind == "transfer"'
    return [
        _flag_rule(
            _rule_id("large_value", "cash", symbol),
            _all(on_asset, cash_expr),
            f"cash of {cash} {symbol} or more in a day (PBoC Order [2016] No. 3 Art. 5(1))",
            "large_value",
        ),
        _flag_rule(
            _rule_id("large_value", "entity_transfer", symbol),
            _all(on_asset, transfer, entity_expr),
            f"transfers of {entity_transfer} {symbol} or more in a day by a non-natural "
            "person (Art. 5(2))",
            "large_value",
        ),
        _flag_rule(
            _rule_id("large_value", "individual_domestic", symbol),
            _all(on_asset, transfer, "!move.cross_border", individual(t_domestic)),
            f"domestic transfers of {individual_domestic} {symbol} or more in a day by a "
            "natural person (Art. 5(3))",
            "large_value",
        ),
        _flag_rule(
            _rule_id("large_value", "individual_cross_border", symbol),
            _all(on_asset, transfer, "move.cross_border", individual(t_cross)),
            f"cross-border transfers of {individual_cross_border} {symbol} or more in a day "
            "by a natural person (Art. 5(4))",
            "large_value",
        ),
    ]


def structuring(
    *,
    asset: str = "CNY",
    decimals: int = 2,
    threshold: object = LARGE_CASH,
    min_count: int = 2,
    kinds: Sequence[str] = ("transfer", "cash_in", "cash_out"),
    period: str = "day",
) -> Rule:
    """Structuring: a movement below ``threshold`` that brings the party's total of the
    ``period`` (the zone's day, or the sliding window) from below ``threshold`` to or
    above it, as the ``min_count``-th movement or later, is flagged ``structuring``
    (e.g. 3 x 19,000 against 50,000 fires on the third payment; once, at the crossing).

    The party is the sender of transfers and cash-outs and the recipient of cash-ins.
    """
    symbol, places = _symbol(asset), _decimals(decimals)
    limit = _positive(threshold, places, "threshold")
    count = _count(min_count, "min_count", 2)
    chosen = _kinds(kinds, "kinds", ("transfer", "cash_in", "cash_out"))
    if period not in PERIODS:
        raise _bad("period", f"one of {list(PERIODS)}", period)
    total, counted = f"{period}_total", f"{period}_count"

    def split(side: str) -> str:
        return (
            f"{side}.{total} < {limit} && move.amount >= {limit} - {side}.{total} && "
            f"{side}.{counted} >= {count - 1}"
        )

    if "cash_in" in chosen and len(chosen) > 1:
        party = f'move.kind == "cash_in" ? {split("recipient")} : {split("sender")}'
    elif "cash_in" in chosen:
        party = split("recipient")
    else:
        party = split("sender")
    kind_test = _kind_test(chosen)
    return _flag_rule(
        _rule_id("structuring", symbol),
        _all(f"move.asset == {_s(symbol)}", kind_test, f"move.amount < {limit}", party),
        f"{count} or more movements each under {threshold} {symbol} reaching it in one {period}",
        "structuring",
    )


def travel_rule(
    *,
    asset: str = "CNY",
    decimals: int = 2,
    threshold: object = TRAVEL_THRESHOLD,
    cross_institution_only: bool = False,
) -> Rule:
    """FATF R.16: deny a transfer of ``threshold`` or more (inclusive) that no
    ``aml/travel_record`` of the same transaction covers (``tx.travel``).

    ``cross_institution_only`` exempts transfers between two customers of one KYC
    institution (whose own records hold both parties' information).
    """
    symbol, places = _symbol(asset), _decimals(decimals)
    limit = _positive(threshold, places, "threshold")
    parts = [f"move.asset == {_s(symbol)}", 'move.kind == "transfer"', f"move.amount >= {limit}"]
    if _flag(cross_institution_only, "cross_institution_only"):
        parts.append("sender.institution != recipient.institution")
    parts.append("!tx.travel")
    return _deny(
        _rule_id("travel_rule", symbol),
        _all(*parts),
        f"a transfer of {threshold} {symbol} or more must carry an aml/travel_record with "
        "originator and beneficiary information (FATF R.16)",
    )


def default_ruleset(
    *,
    asset: str = "CNY",
    decimals: int = 2,
    verified: bool = True,
    tiers: Mapping[int, Mapping[str, object]] | None = None,
) -> dict[str, Any]:
    """The standard set for one asset, as ``finchain rules publish`` takes it: sanctions,
    verified identity for regulated assets (if ``verified``), the travel rule, the four
    large-value reports, structuring, and tier limits when ``tiers`` is given."""
    rules: list[Rule] = [sanctions()]
    if _flag(verified, "verified"):
        rules.append(verified_identity())
    rules.append(travel_rule(asset=asset, decimals=decimals))
    rules.extend(large_value(asset=asset, decimals=decimals))
    rules.append(structuring(asset=asset, decimals=decimals))
    if tiers is not None:
        rules.extend(tier_limits(asset=asset, decimals=decimals, limits=tiers))
    return {"rules": rules}
