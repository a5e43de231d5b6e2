"""The only code that reads or writes the cbdc module's state (``keys.py``).

Two tiers: the central bank issues the CBDC (a bank asset whose issuer, sole
minter and sole burner it is) to authorised operators against reserves recorded
1:1 and under a quota, and destroys it when it redeems; operators move it
between their float and the wallets registered under them. The module mints and
burns only in ``issue`` and ``redeem``, in the central bank's name, so no
operator creates or destroys CBDC.

Reconciliation (``reconcile``): supply == sum of issued == sum of reserves ==
wallets' balances + operators' float.
"""

from __future__ import annotations

from collections.abc import Iterator

from finchain.core.authority import AccountStatus
from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.modules.bank.types import Asset
from finchain.modules.cbdc import events
from finchain.modules.cbdc.deps import AccountStatuses, BankLedger
from finchain.modules.cbdc.errors import (
    ErrAlreadyDesignated,
    ErrBadAccount,
    ErrBadDesignation,
    ErrBadQuota,
    ErrDuplicateReserve,
    ErrExceedsReserve,
    ErrNotCentralBank,
    ErrNotDesignated,
    ErrNotWalletOperator,
    ErrQuotaExceeded,
    ErrUnknownOperator,
    ErrUnknownReserve,
    ErrUnknownWallet,
    ErrWalletExists,
)
from finchain.modules.cbdc.keys import CONFIG, OPERATORS, RESERVES, WALLETS
from finchain.modules.cbdc.types import Config, Operator, Reserve, Wallet


class CbdcView:
    """Read-only access on any reader."""

    _bank: BankLedger

    def config(self, reader: KVReader) -> Config | None:
        return CONFIG.get(reader)

    def require_config(self, reader: KVReader) -> Config:
        found = CONFIG.get(reader)
        if found is None:
            raise ErrNotDesignated(
                "no CBDC is designated: governance must pass cbdc/designate first"
            )
        return found

    def operator(self, reader: KVReader, account: str) -> Operator | None:
        return OPERATORS.get(reader, account)

    def require_operator(self, reader: KVReader, account: str) -> Operator:
        found = OPERATORS.get(reader, account)
        if found is None:
            raise ErrUnknownOperator(
                f"{account} is not an authorised operator: the central bank must authorise it"
            )
        return found

    def operators(self, reader: KVReader) -> Iterator[Operator]:
        return OPERATORS.values(reader)

    def reserves(self, reader: KVReader, operator: str | None = None) -> Iterator[Reserve]:
        return RESERVES.values(reader, prefix=() if operator is None else (operator,))

    def wallet(self, reader: KVReader, owner: str) -> Wallet | None:
        return WALLETS.get(reader, owner)

    def wallets(self, reader: KVReader) -> Iterator[Wallet]:
        return WALLETS.values(reader)

    def wallets_of(self, reader: KVReader, operator: str) -> Iterator[Wallet]:
        for owner in WALLETS.by("by_operator", reader, operator):
            found = WALLETS.get(reader, owner)
            if found is not None:
                yield found

    def balance(self, reader: KVReader, account: str) -> int:
        config = self.config(reader)
        return 0 if config is None else self._bank.balance(reader, account, config.asset)

    def reconcile(self, reader: KVReader) -> str | None:
        """The two-tier books balance; a sentence naming the first disagreement, else None.

        Per operator: issued == its reserves' sum <= quota. Overall: supply == issued;
        every holder of the CBDC is an operator or a wallet.
        """
        config = self.config(reader)
        if config is None:
            return (
                None
                if next(iter(OPERATORS.keys(reader)), None) is None
                else "operators without a CBDC"
            )
        total_issued = 0
        for op in self.operators(reader):
            reserved = sum(r.amount for r in self.reserves(reader, op.account))
            if reserved != op.issued:
                return f"operator {op.account}: issued {op.issued} but reserves sum to {reserved}"
            if op.issued > op.quota:
                return f"operator {op.account}: issued {op.issued} above its quota {op.quota}"
            total_issued += op.issued
        supply = self._bank.supply(reader, config.asset)
        if supply != total_issued:
            return f"supply of {config.asset} is {supply} but {total_issued} is issued"
        held = 0
        for account, balance, _frozen in self._bank.holders(reader, config.asset):
            if not OPERATORS.has(reader, account) and not WALLETS.has(reader, account):
                return f"{account} holds {config.asset} but is neither an operator nor a wallet"
            held += balance
        if held != total_issued:
            return f"wallets and operators hold {held} {config.asset} but {total_issued} is issued"
        return None


class CbdcKeeper(CbdcView):
    """Designation, operators, issuance and redemption, wallets, distribution.

    Parameters:
        bank: the ledger the CBDC lives in (minted and burnt only here).
        accounts: operators and wallet owners must be active accounts.
    """

    def __init__(self, bank: BankLedger, accounts: AccountStatuses) -> None:
        self._bank = bank
        self._accounts = accounts

    # -- governance ---------------------------------------------------------------------

    def designate(self, ctx: Context, central_bank: str, symbol: str) -> None:
        """Fix the central bank and its CBDC once (governance only; the handler checks)."""
        if CONFIG.get(ctx.store) is not None:
            raise ErrAlreadyDesignated(
                "a CBDC is already designated: it cannot be replaced while it circulates"
            )
        self._require_active(ctx, central_bank, "central bank")
        asset = self._bank.get_asset(ctx.store, symbol)
        if asset is None:
            raise ErrBadDesignation(
                f"asset {symbol} does not exist: the central bank creates it first"
            )
        if asset.issuer != central_bank or set(asset.minters) | set(asset.burners) != {
            central_bank
        }:
            raise ErrBadDesignation(
                f"asset {symbol} must be issued by {central_bank} with it as sole minter and "
                "burner: create the asset from the central bank's account without other authorities"
            )
        if self._bank.supply(ctx.store, symbol):
            raise ErrBadDesignation(
                f"asset {symbol} already has supply outside the two tiers: designate a new asset"
            )
        CONFIG.set(ctx, Config(central_bank, symbol))
        ctx.emit(events.designated(central_bank, symbol))

    # -- central bank -------------------------------------------------------------------

    def authorise(self, ctx: Context, signer: str, operator: str, quota: int) -> None:
        config = self._require_central_bank(ctx, signer)
        if operator == config.central_bank or WALLETS.has(ctx.store, operator):
            raise ErrBadAccount(
                f"{operator} is the central bank or a wallet: choose another account"
            )
        self._require_active(ctx, operator, "operator")
        current = OPERATORS.get(ctx.store, operator)
        issued = 0 if current is None else current.issued
        if quota < issued:
            raise ErrBadQuota(
                f"operator {operator} holds {issued} issued: redeem first or set a quota "
                f">= {issued}"
            )
        OPERATORS.set(ctx, operator, Operator(operator, quota, issued))
        ctx.emit(events.operator_authorised(operator, quota))

    def issue(self, ctx: Context, signer: str, operator: str, amount: int, reference: str) -> None:
        config = self._require_central_bank(ctx, signer)
        op = self.require_operator(ctx.store, operator)
        if op.issued + amount > op.quota:
            raise ErrQuotaExceeded(
                f"operator {operator} has {op.issued} of its quota {op.quota} issued: at most "
                f"{op.quota - op.issued} more, or raise the quota"
            )
        if RESERVES.has(ctx.store, (operator, reference)):
            raise ErrDuplicateReserve(
                f"operator {operator} already has reserve {reference!r}: use a new reference"
            )
        self._bank.mint(ctx, config.central_bank, operator, self._asset(ctx, config), amount)
        RESERVES.set(ctx, (operator, reference), Reserve(operator, reference, amount))
        OPERATORS.set(ctx, operator, Operator(operator, op.quota, op.issued + amount))
        ctx.emit(events.issued(operator, amount, reference))

    def redeem(self, ctx: Context, signer: str, operator: str, amount: int, reference: str) -> None:
        config = self._require_central_bank(ctx, signer)
        op = self.require_operator(ctx.store, operator)
        reserve = RESERVES.get(ctx.store, (operator, reference))
        if reserve is None:
            raise ErrUnknownReserve(
                f"operator {operator} has no reserve {reference!r}: list them with cbdc/operator"
            )
        if amount > reserve.amount:
            raise ErrExceedsReserve(
                f"reserve {reference!r} of {operator} is {reserve.amount}: redeem at most that"
            )
        # The operator's float pays; the bank refuses (insufficient funds) if it is short.
        self._bank.burn(ctx, operator, self._asset(ctx, config), amount)
        if amount == reserve.amount:
            RESERVES.remove(ctx, (operator, reference))
        else:
            RESERVES.set(
                ctx, (operator, reference), Reserve(operator, reference, reserve.amount - amount)
            )
        OPERATORS.set(ctx, operator, Operator(operator, op.quota, op.issued - amount))
        ctx.emit(events.redeemed(operator, amount, reference))

    # -- operators and wallets ----------------------------------------------------------

    def open_wallet(self, ctx: Context, signer: str, owner: str, tier: int) -> None:
        config = self.require_config(ctx.store)
        self.require_operator(ctx.store, signer)
        if WALLETS.has(ctx.store, owner):
            raise ErrWalletExists(f"{owner} already has a wallet: one wallet per account")
        if owner == config.central_bank or OPERATORS.has(ctx.store, owner):
            raise ErrBadAccount(
                f"{owner} is the central bank or an operator: choose another account"
            )
        self._require_active(ctx, owner, "wallet owner")
        WALLETS.set(ctx, owner, Wallet(owner, signer, tier), previous=None)
        ctx.emit(events.wallet_opened(owner, signer, tier))

    def distribute(self, ctx: Context, signer: str, wallet: str, amount: int) -> None:
        config = self.require_config(ctx.store)
        self.require_operator(ctx.store, signer)
        self._require_wallet_of(ctx, wallet, signer)
        self._bank.transfer(ctx, signer, wallet, config.asset, amount)
        ctx.emit(events.distributed(signer, wallet, amount))

    def withdraw(self, ctx: Context, signer: str, amount: int) -> None:
        config = self.require_config(ctx.store)
        found = WALLETS.get(ctx.store, signer)
        if found is None:
            raise ErrUnknownWallet(f"{signer} has no wallet: an operator must open one")
        self._bank.transfer(ctx, signer, found.operator, config.asset, amount)
        ctx.emit(events.withdrawn(signer, found.operator, amount))

    # -- genesis ------------------------------------------------------------------------

    def import_state(
        self,
        ctx: Context,
        config: Config | None,
        operators: tuple[Operator, ...],
        reserves: tuple[Reserve, ...],
        wallets: tuple[Wallet, ...],
    ) -> None:
        if config is not None:
            CONFIG.set(ctx, config)
        for op in operators:
            OPERATORS.set(ctx, op.account, op)
        for reserve in reserves:
            RESERVES.set(ctx, (reserve.operator, reserve.reference), reserve)
        for found in wallets:
            WALLETS.set(ctx, found.owner, found, previous=None)

    # -- helpers ------------------------------------------------------------------------

    def _require_central_bank(self, ctx: Context, signer: str) -> Config:
        config = self.require_config(ctx.store)
        if signer != config.central_bank:
            raise ErrNotCentralBank(
                f"{signer} is not the central bank {config.central_bank}: have it sign"
            )
        return config

    def _require_wallet_of(self, ctx: Context, wallet: str, operator: str) -> Wallet:
        found = WALLETS.get(ctx.store, wallet)
        if found is None:
            raise ErrUnknownWallet(f"{wallet} has no wallet: open one first with cbdc/open_wallet")
        if found.operator != operator:
            raise ErrNotWalletOperator(
                f"wallet {wallet} is under operator {found.operator}, not {operator}: "
                "only its own operator may act on it"
            )
        return found

    def _require_active(self, ctx: Context, account: str, role: str) -> None:
        if self._accounts.status(ctx.store, account) is not AccountStatus.ACTIVE:
            raise ErrBadAccount(f"{role} {account} does not exist or is not active")

    def _asset(self, ctx: Context, config: Config) -> Asset:
        found = self._bank.get_asset(ctx.store, config.asset)
        if found is None:  # designation checked it exists and assets are never deleted
            raise ErrNotDesignated(f"asset {config.asset} is missing: the designation is broken")
        return found
