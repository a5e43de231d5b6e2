"""The context a handler runs in: the metered store, the block, the signer, and events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import Enum

from finchain.core.events import Event
from finchain.core.gas import MeteredStore
from finchain.core.kv import Overlay
from finchain.core.params import ChainParams


class ExecMode(Enum):
    """Which state a call runs against (CometBFT: check, recheck, finalize)."""

    CHECK = "check"
    RECHECK = "recheck"
    SIMULATE = "simulate"
    FINALIZE = "finalize"
    GENESIS = "genesis"


@dataclass(slots=True)
class Context:
    store: MeteredStore
    height: int
    time_ns: int
    chain_id: str
    suite: str
    params: ChainParams
    mode: ExecMode
    signer: str = ""
    events: list[Event] = field(default_factory=list)
    tx_id: bytes = b""  # the running transaction's id (empty outside a transaction)
    defer_msgs: bool = False
    """Set by an ante decorator that took custody of the transaction's messages (stored them
    to run later, e.g. a compliance hold awaiting approvals): the application then runs none
    of them now, and the transaction succeeds with the decorators' writes and events."""

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def cached(self) -> tuple[Context, Callable[[], None]]:
        """A branch of this context and the function that writes it back (Cosmos ``CacheContext``).

        The branch reads this context's state and its own writes; its writes and
        events reach this context only when ``write()`` is called, so several
        steps can be kept all or none::

            branch, write = ctx.cached()
            run_every_step(branch)  # raises: nothing reached ctx
            write()

        Both charge this context's meter, as if the steps ran here.
        """
        scratch = Overlay(self.store)
        branch = replace(self, store=MeteredStore(scratch, self.store.meter), events=[])

        def write() -> None:
            for key, value in scratch.writes.items():
                if value is None:
                    self.store.delete(key)
                else:
                    self.store.set(key, value)
            self.events.extend(branch.events)

        return branch, write
