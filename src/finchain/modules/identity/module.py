"""The identity module: the ``did:finchain`` registry (docs/did-method.md).

Genesis: ``app_state["identity"] = {"next_number": 1, "dids": [], "bindings": []}``.
An exported chain carries every DID with its full version history (so past
versions still resolve after an upgrade) and every account binding. DIDs
name their chain, so an import refuses DIDs of another chain id: renaming
every DID would break every credential that names one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.core.module import BaseModule, Handler, Invariant, Query
from finchain.core.msgs import Msg
from finchain.core.schema import expect_fields, get_int, get_list, get_str, get_str_list
from finchain.errors import FinchainError
from finchain.formats.did import MAX_NUMBER
from finchain.modules.accounts.types import is_account_id
from finchain.modules.identity import handlers, keys, queries
from finchain.modules.identity.errors import ErrBadGenesis
from finchain.modules.identity.keeper import IdentityKeeper
from finchain.modules.identity.messages import (
    MsgBindAccount,
    MsgCreateDid,
    MsgDeactivateDid,
    MsgRetireDid,
    MsgRotateKey,
    MsgUnbindAccount,
    MsgUpdateDid,
)
from finchain.modules.identity.types import (
    MAX_BOUND_ACCOUNTS,
    MAX_CONTROLLERS,
    MAX_DID_BYTES,
    MAX_METHODS,
    MAX_SERVICES,
    DidRecord,
    Service,
    method_from_json,
    number_on_chain,
    parse_did,
    record_to_json,
)

NAME = "identity"
MAX_GENESIS_DIDS = 10_000_000
MAX_GENESIS_VERSIONS = 100_000
MAX_TIME = 2**63 - 1
_RECORD_FIELDS = {
    "did",
    "controller_account",
    "controllers",
    "methods",
    "services",
    "version",
    "created_ns",
    "created_height",
    "updated_ns",
    "updated_height",
    "deactivated",
}


class IdentityModule(BaseModule):
    name = NAME
    store_key = keys.STORE
    consensus_version = 1

    def __init__(self, keeper: IdentityKeeper) -> None:
        self.keeper = keeper

    def msg_handlers(self) -> Mapping[type[Msg], Handler]:
        k = self.keeper
        return {
            MsgCreateDid: partial(handlers.create_did, k),
            MsgUpdateDid: partial(handlers.update_did, k),
            MsgRotateKey: partial(handlers.rotate_key, k),
            MsgDeactivateDid: partial(handlers.deactivate_did, k),
            MsgRetireDid: partial(handlers.retire_did, k),
            MsgBindAccount: partial(handlers.bind_account, k),
            MsgUnbindAccount: partial(handlers.unbind_account, k),
        }

    def queries(self) -> Mapping[str, Query]:
        k = self.keeper
        return {
            "identity/resolve": partial(queries.resolve, k),
            "identity/record": partial(queries.record, k),
            "identity/did_of_account": partial(queries.did_of_account, k),
            "identity/dids_of_controller": partial(queries.dids_of_controller, k),
        }

    def validate_genesis(self, state: dict[str, Any]) -> None:
        """The section's shape; its contents are checked as ``init_genesis`` loads them."""
        if not isinstance(state, dict) or not state.keys() <= self.default_genesis().keys():
            raise ErrBadGenesis(f"{NAME} genesis must be a map of {sorted(self.default_genesis())}")

    def default_genesis(self) -> dict[str, Any]:
        return {"next_number": 1, "dids": [], "bindings": []}

    def init_genesis(self, ctx: Context, state: dict[str, Any]) -> None:
        """DIDs in number order with their versions, then bindings; accounts must exist."""
        try:
            expect_fields(state, {"next_number", "dids", "bindings"}, "identity genesis")
            next_number = get_int(state, "next_number", low=1, high=MAX_NUMBER + 1)
            imported: dict[str, DidRecord] = {}
            last = 0
            for index, entry in enumerate(get_list(state, "dids", max_items=MAX_GENESIS_DIDS)):
                versions = _versions(ctx, entry, f"dids[{index}]")
                current = versions[-1]
                number = parse_did(current.did)[1]
                if not last < number < next_number:
                    raise ErrBadGenesis(
                        f"dids[{index}]: {current.did} must come after DID number {last} and "
                        f"below next_number {next_number}"
                    )
                self.keeper.require_active_account(
                    ctx, current.controller_account, f"dids[{index}]: controller account"
                )
                last = number
                imported[current.did] = current
                self.keeper.import_did(ctx, versions)
            _check_controllers(imported)
            self.keeper.set_next_number(ctx, next_number)
            self._import_bindings(ctx, state, imported)
        except FinchainError as exc:
            if exc.error is ErrBadGenesis:
                raise
            raise ErrBadGenesis(f"identity genesis: {exc.message}") from None

    def _import_bindings(
        self, ctx: Context, state: dict[str, Any], imported: dict[str, DidRecord]
    ) -> None:
        counts: dict[str, int] = {}
        seen: set[str] = set()
        for index, entry in enumerate(get_list(state, "bindings", max_items=MAX_GENESIS_DIDS)):
            where = f"bindings[{index}]"
            expect_fields(entry, {"account", "did", "height"}, where)
            account = get_str(entry, "account", max_len=14)
            did = get_str(entry, "did", max_len=MAX_DID_BYTES)
            found = imported.get(did)
            if found is None or found.deactivated:
                raise ErrBadGenesis(f"{where}: {did!r} is not an active DID of this genesis")
            if not is_account_id(account) or account in seen:
                raise ErrBadGenesis(f"{where}: {account!r} is not a valid, not yet bound account")
            self.keeper.require_active_account(ctx, account, f"{where}: account")
            counts[did] = counts.get(did, 0) + 1
            if counts[did] > MAX_BOUND_ACCOUNTS:
                raise ErrBadGenesis(f"{where}: {did} has more than {MAX_BOUND_ACCOUNTS} accounts")
            seen.add(account)
            height = get_int(entry, "height", low=0, high=MAX_TIME)
            self.keeper.import_binding(ctx, parse_did(did)[1], account, height)

    def export_genesis(self, reader: KVReader) -> dict[str, Any]:
        k = self.keeper
        dids = [
            {
                "versions": [
                    record_to_json(r)
                    for r in [*k.history(reader, parse_did(current.did)[1]), current]
                ]
            }
            for current in k.records(reader)
        ]
        numbers = {parse_did(r.did)[1]: r.did for r in k.records(reader)}
        bindings = sorted(
            (
                {"account": account, "did": numbers[number], "height": height}
                for number, account, height in k.bound_entries(reader)
            ),
            key=lambda b: (b["did"], b["account"]),
        )
        return {"next_number": k.next_number(reader), "dids": dids, "bindings": bindings}

    def invariants(self) -> Sequence[tuple[str, Invariant]]:
        return [
            ("identity/numbers-below-counter", self._numbers_below_counter),
            ("identity/history-complete", self._history_complete),
            ("identity/bindings-to-active-dids", self._bindings_consistent),
            ("identity/controller-index", self._controller_index),
        ]

    def _numbers_below_counter(self, reader: KVReader) -> str | None:
        next_number = self.keeper.next_number(reader)
        for record in self.keeper.records(reader):
            if parse_did(record.did)[1] >= next_number:
                return f"{record.did} is at or above the DID counter {next_number}"
        return None

    def _history_complete(self, reader: KVReader) -> str | None:
        for record in self.keeper.records(reader):
            stored = [v.version for v in self.keeper.history(reader, parse_did(record.did)[1])]
            if stored != list(range(1, record.version)):
                return f"{record.did} at version {record.version} has history {stored}"
        return None

    def _bindings_consistent(self, reader: KVReader) -> str | None:
        forward = dict(self.keeper.bindings(reader))
        backward = {account: number for number, account, _ in self.keeper.bound_entries(reader)}
        if forward != backward:
            return "the account→DID and DID→account binding indexes differ"
        for account, number in forward.items():
            record = self.keeper.record(reader, number)
            if record is None or record.deactivated:
                return f"account {account} is bound to DID number {number}, which is not active"
        return None

    def _controller_index(self, reader: KVReader) -> str | None:
        expected = sorted(
            (r.controller_account, parse_did(r.did)[1]) for r in self.keeper.records(reader)
        )
        if sorted(self.keeper.controller_index(reader)) != expected:
            return "the controller-account index does not match the DIDs' controller accounts"
        return None

    def end_block(self, ctx: Context) -> None:
        return None


def _versions(ctx: Context, entry: Any, where: str) -> list[DidRecord]:
    expect_fields(entry, {"versions"}, where)
    items = get_list(entry, "versions", min_items=1, max_items=MAX_GENESIS_VERSIONS)
    versions = [
        _record_from_json(ctx, item, f"{where}.versions[{i}]") for i, item in enumerate(items)
    ]
    first = versions[0]
    for number, (previous, record) in enumerate(zip([None, *versions], versions, strict=False), 1):
        if record.version != number or record.did != first.did:
            raise ErrBadGenesis(f"{where}: versions must be 1, 2, ... of one DID")
        if record.created_ns != first.created_ns or record.created_height != first.created_height:
            raise ErrBadGenesis(f"{where}: every version must keep the creation time and height")
        if previous is None and record.updated_ns != record.created_ns:
            raise ErrBadGenesis(f"{where}: version 1 is updated when it is created")
        if previous is not None and (
            record.updated_ns < previous.updated_ns or previous.deactivated
        ):
            raise ErrBadGenesis(
                f"{where}: version {number} goes back in time or follows a deactivation"
            )
    return versions


def _record_from_json(ctx: Context, obj: Any, where: str) -> DidRecord:
    expect_fields(obj, _RECORD_FIELDS, where)
    did = get_str(obj, "did", max_len=MAX_DID_BYTES)
    number_on_chain(ctx.chain_id, did)
    account = get_str(obj, "controller_account", max_len=14)
    if not is_account_id(account):
        raise ErrBadGenesis(f"{where}: controller_account {account!r} is not an account id")
    controllers = get_str_list(obj, "controllers", max_items=MAX_CONTROLLERS, max_len=80)
    methods = [method_from_json(m) for m in get_list(obj, "methods", max_items=MAX_METHODS)]
    services = [Service.parse(s) for s in get_list(obj, "services", max_items=MAX_SERVICES)]
    deactivated = obj["deactivated"]
    if type(deactivated) is not bool:
        raise ErrBadGenesis(f"{where}: deactivated must be true or false")
    record = DidRecord(
        did,
        account,
        (),
        (),
        (),
        get_int(obj, "version", low=1, high=MAX_GENESIS_VERSIONS),
        get_int(obj, "created_ns", low=0, high=MAX_TIME),
        get_int(obj, "created_height", low=0, high=MAX_TIME),
        get_int(obj, "updated_ns", low=0, high=MAX_TIME),
        get_int(obj, "updated_height", low=0, high=MAX_TIME),
        deactivated,
    ).with_content(methods=methods, services=services, controllers=controllers)
    if record_to_json(record) != obj:
        raise ErrBadGenesis(f"{where}: entries must be in canonical (sorted) order")
    if deactivated and (methods or services or controllers):
        raise ErrBadGenesis(
            f"{where}: a deactivated version holds no methods, services or controllers"
        )
    record.check()
    return record


def _check_controllers(imported: dict[str, DidRecord]) -> None:
    """Controller DIDs of current versions must be other, active DIDs of the same genesis."""
    for record in imported.values():
        for controller in record.controllers:
            found = imported.get(controller)
            if controller == record.did or found is None or found.deactivated:
                raise ErrBadGenesis(
                    f"{record.did}: controller {controller} is not another active DID "
                    "of this genesis"
                )


__all__ = ["NAME", "IdentityModule"]
