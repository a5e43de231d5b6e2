"""What the composition root hands the application: its modules and the hooks around them.

The application imports no module. Everything module-specific it needs comes
through this: the modules in order, the router built from them, the ante
decorators and post handlers, what each result records in ``info``, the source
of the signature checks a block will need, the owner of the validator set, and
the owner of upgrade plans.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from finchain.app.router import Router
from finchain.app.upgrade import Migrator
from finchain.core.ante import AnteDecorator, SignatureSource
from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.core.module import Module
from finchain.core.signatures import SignatureCache
from finchain.core.validators import Misbehavior, ValidatorUpdate

__all__ = ["UpgradeSource", "ValidatorSource", "Wiring"]


class ValidatorSource(Protocol):
    """The module that owns the validator set (governance), as the engine needs it."""

    def init_validators(self, ctx: Context, entries: Sequence[Any]) -> tuple[ValidatorUpdate, ...]:
        """Load genesis ``validators``; the set for InitChain, in genesis order."""
        ...

    def genesis_validator_set(self, entries: Sequence[Any]) -> tuple[ValidatorUpdate, ...]:
        """What ``init_validators`` returned, without state (a repeated InitChain)."""
        ...

    def validator_updates(self, before: KVReader, after: KVReader) -> tuple[ValidatorUpdate, ...]:
        """The changes a block made to the set (power 0 removes)."""
        ...

    def record_misbehavior(self, ctx: Context, reports: Sequence[Misbehavior]) -> None: ...

    def genesis_validators(self, reader: KVReader) -> list[dict[str, Any]]:
        """The active set as a genesis document's ``validators`` (for an export)."""
        ...


class UpgradeSource(Protocol):
    """The module that keeps upgrade plans: which plan, if any, this version can run next."""

    def pending_upgrade(self, reader: KVReader) -> tuple[str, int] | None:
        """``(name, height)`` of the scheduled upgrade, or None."""
        ...

    def knows(self, name: str) -> bool:
        """Whether this version holds the handler of upgrade ``name``."""
        ...

    def apply(self, ctx: Context, name: str, migrator: Migrator) -> None:
        """Run upgrade ``name``'s handler (it migrates the modules) and mark the plan done."""
        ...


@dataclass(frozen=True)
class Wiring:
    modules: Sequence[Module]
    router: Router
    ante: Sequence[AnteDecorator]
    signature_cache: SignatureCache = field(default_factory=SignatureCache)
    signatures: SignatureSource | None = None
    validators: ValidatorSource | None = None
    upgrades: UpgradeSource | None = None
    post: Sequence[AnteDecorator] = ()
    """Post handlers (Cosmos SDK's PostHandler): run after all of a transaction's messages
    succeeded, on the messages' overlay; one that raises fails the transaction. They see
    only executed messages (e.g. rolling aggregates that count what moved)."""
    result_info: Callable[[KVReader], str] | None = None
    """The ``info`` of every transaction result (success or failure), read from the block's
    state as the transaction ran (e.g. the rule-set version that judged it)."""
