"""The evidence module: proof of existence of documents by hash, with multi-party co-signing.

Genesis: ``app_state["evidence"] = {"records": [...]}``, the records in the
order they were written, in the form the ``evidence/record`` query answers
(what ``export_genesis`` produces), so a chain can carry its evidence over to
a new genesis with the original heights, times and transaction ids.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.core.module import BaseModule, Handler, Invariant, Query
from finchain.core.msgs import Msg
from finchain.core.schema import expect_fields, get_int, get_list, get_str
from finchain.errors import FinchainError
from finchain.modules.accounts.types import is_account_id
from finchain.modules.evidence import handlers, keys, queries
from finchain.modules.evidence.errors import ErrBadGenesis
from finchain.modules.evidence.keeper import EvidenceKeeper
from finchain.modules.evidence.messages import MsgCosign, MsgRecord
from finchain.modules.evidence.types import MAX_COSIGNERS, Cosignature, EvidenceRecord

NAME = "evidence"
_HEX = re.compile(r"(?:[0-9a-f]{2}){0,32}")
_MAX_GENESIS_RECORDS = 100_000_000
_MAX_INT = 2**63 - 1
_RECORD_FIELDS = {
    "hash_alg",
    "hash",
    "kind",
    "metadata",
    "cosigners",
    "submitter",
    "submitter_did",
    "height",
    "time_ns",
    "tx_id",
    "seq",
    "status",
    "completed_height",
}
_COSIGNER_FIELDS = {"account", "height", "time_ns", "tx_id", "did", "signed"}


class EvidenceModule(BaseModule):
    name = NAME
    store_key = keys.STORE
    consensus_version = 1

    def __init__(self, keeper: EvidenceKeeper) -> None:
        self.keeper = keeper

    def msg_handlers(self) -> Mapping[type[Msg], Handler]:
        k = self.keeper
        return {MsgRecord: partial(handlers.record, k), MsgCosign: partial(handlers.cosign, k)}

    def queries(self) -> Mapping[str, Query]:
        k = self.keeper
        return {
            "evidence/record": partial(queries.record, k),
            "evidence/by_submitter": partial(queries.by_submitter, k),
            "evidence/by_time": partial(queries.by_time, k),
        }

    def validate_genesis(self, state: dict[str, Any]) -> None:
        """The section's shape; its contents are checked as ``init_genesis`` loads them."""
        if not isinstance(state, dict) or not state.keys() <= self.default_genesis().keys():
            raise ErrBadGenesis(f"{NAME} genesis must be a map of {sorted(self.default_genesis())}")

    def default_genesis(self) -> dict[str, Any]:
        return {"records": []}

    def init_genesis(self, ctx: Context, state: dict[str, Any]) -> None:
        try:
            expect_fields(state, {"records"}, "evidence genesis")
            last_time = 0
            for position, entry in enumerate(
                get_list(state, "records", max_items=_MAX_GENESIS_RECORDS)
            ):
                record = _genesis_record(position, entry)
                if not last_time <= record.time_ns <= ctx.time_ns:
                    raise ErrBadGenesis(
                        f"evidence record #{position}: time_ns must not decrease from one record "
                        "to the next nor be after the genesis time"
                    )
                last_time = record.time_ns
                self.keeper.import_record(ctx, record)
        except FinchainError as exc:
            if exc.error is ErrBadGenesis:
                raise
            raise ErrBadGenesis(f"evidence genesis: {exc.message}") from None

    def export_genesis(self, reader: KVReader) -> dict[str, Any]:
        return {"records": [r.to_json() for r in self.keeper.iterate_records(reader)]}

    def invariants(self) -> Sequence[tuple[str, Invariant]]:
        return [("evidence/lists-match-records", self._lists_match_records)]

    def _lists_match_records(self, reader: KVReader) -> str | None:
        """Each record sits at its own position, in time order, and in its submitter's list."""
        per_submitter: dict[str, int] = {}
        last_time = 0
        for position, record in enumerate(self.keeper.iterate_records(reader)):
            if record.seq != position or record.time_ns < last_time:
                return f"record {record.hash.hex()} is out of place at position {position}"
            last_time = record.time_ns
            mine = per_submitter.get(record.submitter, 0)
            entry = self.keeper.submitter_entry(reader, record.submitter, mine)
            if (entry.hash_alg, entry.hash) != (record.hash_alg, record.hash):
                return f"submitter list of {record.submitter} disagrees at position {mine}"
            per_submitter[record.submitter] = mine + 1
        for account, count in per_submitter.items():
            if self.keeper.submitter_count(reader, account) != count:
                return f"submitter count of {account} is not {count}"
        return None

    def end_block(self, ctx: Context) -> None:
        return None


def _genesis_record(position: int, entry: Any) -> EvidenceRecord:
    """A record in query form, checked as strictly as a message (bytes as hex).

    ``status`` and ``completed_height`` are derived from the co-signatures and
    ignored here.
    """
    what = f"evidence record #{position}"
    expect_fields(entry, _RECORD_FIELDS, what)
    cosigners = tuple(
        _genesis_cosigner(f"{what} co-signer", c)
        for c in get_list(entry, "cosigners", max_items=MAX_COSIGNERS)
    )
    msg = MsgRecord.from_value(
        {
            "hash_alg": entry["hash_alg"],
            "hash": _hex(entry, "hash", what),
            "kind": entry["kind"],
            "metadata": entry["metadata"],
            "cosigners": [c.account for c in cosigners],
        }
    )
    if msg.cosigners != tuple(c.account for c in cosigners):
        raise ErrBadGenesis(f"{what}: co-signers must be listed in account order")
    submitter = get_str(entry, "submitter", max_len=14)
    if not is_account_id(submitter) or submitter in msg.cosigners:
        raise ErrBadGenesis(f"{what}: submitter must be an account id and not a co-signer")
    if get_int(entry, "seq", low=0, high=_MAX_INT) != position:
        raise ErrBadGenesis(f"{what}: seq must be {position} (records in the order written)")
    return EvidenceRecord(
        msg.hash_alg,
        msg.hash,
        msg.kind,
        msg.metadata,
        submitter,
        get_str(entry, "submitter_did", max_len=256, allow_empty=True),
        get_int(entry, "height", low=0, high=_MAX_INT),
        get_int(entry, "time_ns", low=0, high=_MAX_INT),
        _hex(entry, "tx_id", what, allow_empty=True),
        position,
        cosigners,
    )


def _genesis_cosigner(what: str, entry: Any) -> Cosignature:
    expect_fields(entry, _COSIGNER_FIELDS, what)
    return Cosignature(
        get_str(entry, "account", max_len=14),
        get_int(entry, "height", low=0, high=_MAX_INT),
        get_int(entry, "time_ns", low=0, high=_MAX_INT),
        _hex(entry, "tx_id", what, allow_empty=True),
        get_str(entry, "did", max_len=256, allow_empty=True),
    )


def _hex(entry: dict[str, Any], name: str, what: str, *, allow_empty: bool = False) -> bytes:
    text = entry.get(name)
    if not isinstance(text, str) or not _HEX.fullmatch(text) or (not text and not allow_empty):
        raise ErrBadGenesis(f"{what}: {name} must be lowercase hex of at most 32 bytes")
    return bytes.fromhex(text)


__all__ = ["NAME", "EvidenceModule"]
