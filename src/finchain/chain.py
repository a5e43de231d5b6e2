"""The composition root: which modules make the finchain chain, in which order, wired how.

The one place that names every module (the analogue of Cosmos ``simapp/app.go``).
``FinchainApp`` is the base ``Application`` with the standard modules; their
keepers are its attributes, so engines, tools and tests reach them by name::

    app = FinchainApp("/var/lib/finchain/data")
    app.init_chain(Genesis.load("genesis.json"))
    app.bank.balance(app.state, "FC…", "CNY")

Adding a module is a new package plus one entry in the module list below (or,
for a chain of one's own, ``extra_modules``; see docs/writing-a-module.md). The order
of the list is the order of genesis, begin-block and end-block hooks, and part
of the state machine: every node of a chain runs the same list.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from finchain.app.ante import check_expiry
from finchain.app.application import Application
from finchain.app.chainstate import ChainParamsKeeper
from finchain.app.router import Router
from finchain.app.wiring import Wiring
from finchain.core.ante import AnteDecorator, SignatureSources
from finchain.core.module import Module
from finchain.core.signatures import SignatureCache
from finchain.modules.accounts.ante import AccountSignatures, Authenticator
from finchain.modules.accounts.keeper import AccountsKeeper
from finchain.modules.accounts.module import AccountsModule
from finchain.modules.aml.keeper import AmlKeeper
from finchain.modules.aml.module import AmlModule
from finchain.modules.bank.keeper import BankKeeper
from finchain.modules.bank.module import BankModule
from finchain.modules.cbdc.keeper import CbdcKeeper
from finchain.modules.cbdc.module import CbdcModule
from finchain.modules.compliance.ante import ComplianceAggregates, ComplianceAnte
from finchain.modules.compliance.keeper import ComplianceKeeper
from finchain.modules.compliance.module import ComplianceModule
from finchain.modules.credentials.keeper import CredentialsKeeper
from finchain.modules.credentials.module import CredentialsModule
from finchain.modules.datarights.keeper import DataRightsKeeper
from finchain.modules.datarights.module import DataRightsModule
from finchain.modules.escrow.keeper import EscrowKeeper
from finchain.modules.escrow.module import EscrowModule
from finchain.modules.evidence.keeper import EvidenceKeeper
from finchain.modules.evidence.module import EvidenceModule
from finchain.modules.governance.keeper import GovernanceKeeper
from finchain.modules.governance.module import GovernanceModule
from finchain.modules.identity.keeper import IdentityKeeper
from finchain.modules.identity.module import IdentityModule
from finchain.modules.interventions.keeper import InterventionsKeeper
from finchain.modules.interventions.module import InterventionsModule
from finchain.modules.lending.keeper import LendingKeeper
from finchain.modules.lending.module import LendingModule
from finchain.modules.netting.keeper import NettingKeeper
from finchain.modules.netting.module import NettingModule
from finchain.modules.receivables.keeper import ReceivablesKeeper
from finchain.modules.receivables.module import ReceivablesModule
from finchain.modules.securities.keeper import SecuritiesKeeper
from finchain.modules.securities.module import SecuritiesModule
from finchain.modules.settlement.keeper import SettlementKeeper
from finchain.modules.settlement.module import SettlementModule
from finchain.modules.upgrade.deps import UpgradeHandler
from finchain.modules.upgrade.keeper import UpgradeKeeper, migrate_only
from finchain.modules.upgrade.module import UpgradeModule

__all__ = ["UPGRADES", "AppFactory", "FinchainApp"]

UPGRADES: Mapping[str, UpgradeHandler] = {"bank-v2-holders-index": migrate_only}
"""The upgrades this version knows, by the name governance schedules them under.

A release that changes a module's consensus version adds its upgrade here (usually
``finchain.modules.upgrade.keeper.migrate_only``); older versions halt at it.
"""

ExtraModules = Callable[["FinchainApp"], Sequence[Module]]


class AppFactory(Protocol):
    """Builds the application over a data directory: ``FinchainApp``, or a composition of one's
    own (a chain with extra modules; the old and new versions of an upgrade test)."""

    def __call__(self, data_dir: Path, *, keep_recent: int = ...) -> Application: ...


class FinchainApp(Application):
    """The finchain chain: the base application and the standard modules, wired.

    Parameters:
        data_dir: the node's RocksDB directory.
        keep_recent: state versions to retain (0: all).
        extra_modules: called with the app's keepers in place, returns modules to run
            after the standard ones (a chain of one's own, a test).
        upgrades: the upgrades this version knows (default ``UPGRADES``).
        extra_ante: ante decorators to run after the accounts module's (chain policies).
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        keep_recent: int = 0,
        extra_modules: ExtraModules | None = None,
        upgrades: Mapping[str, UpgradeHandler] | None = None,
        extra_ante: Sequence[AnteDecorator] = (),
    ) -> None:
        router = Router()
        cache = SignatureCache()
        self.accounts = AccountsKeeper()
        self.bank = BankKeeper(self.accounts)
        self.governance = GovernanceKeeper(self.accounts, ChainParamsKeeper(), router)
        self.identity = IdentityKeeper(self.accounts)
        self.credentials = CredentialsKeeper(self.identity, self.accounts)
        self.evidence = EvidenceKeeper(self.accounts, self.identity)
        self.datarights = DataRightsKeeper(self.identity)
        self.settlement = SettlementKeeper(
            self.bank, self.accounts, AccountSignatures(self.accounts, cache)
        )
        self.securities = SecuritiesKeeper(self.bank, self.accounts)
        self.receivables = ReceivablesKeeper(self.accounts, self.bank)
        self.netting = NettingKeeper(self.bank, self.accounts)
        self.escrow = EscrowKeeper(self.bank, self.accounts, self.evidence)
        self.lending = LendingKeeper(self.bank, self.escrow)
        self.interventions = InterventionsKeeper(self.bank, self.accounts)
        self.aml = AmlKeeper(self.credentials, self.identity)
        self.compliance = ComplianceKeeper(
            self.bank,
            self.identity,
            self.credentials,
            router,
            sanctions=self.aml,
            accounts=self.accounts,
        )
        self.cbdc = CbdcKeeper(self.bank, self.accounts)
        self.upgrade = UpgradeKeeper(UPGRADES if upgrades is None else upgrades)
        for guard in (
            self.bank.assert_can_close,
            self.identity.assert_can_close,
            self.credentials.assert_can_close,
            self.governance.assert_can_close,
            self.receivables.assert_can_close,
            self.lending.assert_can_close,
        ):
            self.accounts.add_close_guard(guard)
        governance = GovernanceModule(self.governance)
        modules: list[Module] = [
            AccountsModule(self.accounts),
            BankModule(self.bank),
            governance,
            IdentityModule(self.identity),
            CredentialsModule(self.credentials),
            EvidenceModule(self.evidence),
            DataRightsModule(self.datarights),
            SettlementModule(self.settlement),
            SecuritiesModule(self.securities),
            ReceivablesModule(self.receivables),
            NettingModule(self.netting),
            LendingModule(self.lending),
            EscrowModule(self.escrow),
            InterventionsModule(self.interventions),
            AmlModule(self.aml),
            ComplianceModule(self.compliance),
            CbdcModule(self.cbdc),
            UpgradeModule(self.upgrade),
        ]
        if extra_modules is not None:
            modules.extend(extra_modules(self))
        for module in modules:
            router.register(module)
        authenticator = Authenticator(self.accounts, cache)
        super().__init__(
            data_dir,
            Wiring(
                modules=modules,
                router=router,
                ante=(check_expiry, authenticator, ComplianceAnte(self.compliance), *extra_ante),
                post=(ComplianceAggregates(self.compliance),),
                result_info=self.compliance.info,
                signature_cache=cache,
                signatures=SignatureSources(authenticator, self.settlement),
                validators=governance,
                upgrades=self.upgrade,
            ),
            keep_recent=keep_recent,
        )
