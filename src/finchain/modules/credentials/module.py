"""The credentials module: accredited issuers, credential schemas, status-list anchors,
KYC tier claims with escrowed identities, regulators and m-of-n de-anonymisation.

Genesis: ``app_state["credentials"] = {"params": {...}, "regulators": [...],
"issuers": [...]}``; regulators' encryption keys are hex strings; issuer DIDs
must already exist (the identity module's genesis runs first). The export
holds the same three sections; schemas, status-list anchors, claims and
disclosures are history and are not carried into a new genesis.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.core.module import BaseModule, Handler, Invariant, Query
from finchain.core.msgs import Msg
from finchain.core.schema import expect_fields, get_list, get_str
from finchain.errors import FinchainError
from finchain.modules.credentials import handlers, keys, queries
from finchain.modules.credentials.errors import ErrBadGenesis
from finchain.modules.credentials.keeper import CredentialsKeeper
from finchain.modules.credentials.messages import (
    MsgAccreditIssuer,
    MsgAddRegulator,
    MsgAnchorStatusList,
    MsgApproveDisclosure,
    MsgRecordKyc,
    MsgRegisterSchema,
    MsgRemoveRegulator,
    MsgRequestDisclosure,
    MsgRevokeIssuer,
    MsgRevokeKyc,
    MsgSetIssuerTypes,
    MsgSetParams,
)
from finchain.modules.credentials.types import CredentialsParams

NAME = "credentials"


class CredentialsModule(BaseModule):
    name = NAME
    store_key = keys.STORE
    consensus_version = 1

    def __init__(self, keeper: CredentialsKeeper) -> None:
        self.keeper = keeper

    def msg_handlers(self) -> Mapping[type[Msg], Handler]:
        k = self.keeper
        return {
            MsgAccreditIssuer: partial(handlers.accredit_issuer, k),
            MsgSetIssuerTypes: partial(handlers.set_issuer_types, k),
            MsgRevokeIssuer: partial(handlers.revoke_issuer, k),
            MsgAddRegulator: partial(handlers.add_regulator, k),
            MsgRemoveRegulator: partial(handlers.remove_regulator, k),
            MsgSetParams: partial(handlers.set_params, k),
            MsgRegisterSchema: partial(handlers.register_schema, k),
            MsgAnchorStatusList: partial(handlers.anchor_status_list, k),
            MsgRecordKyc: partial(handlers.record_kyc, k),
            MsgRevokeKyc: partial(handlers.revoke_kyc, k),
            MsgRequestDisclosure: partial(handlers.request_disclosure, k),
            MsgApproveDisclosure: partial(handlers.approve_disclosure, k),
        }

    def queries(self) -> Mapping[str, Query]:
        k = self.keeper
        return {
            "credentials/params": partial(queries.params, k),
            "credentials/issuer": partial(queries.issuer, k),
            "credentials/issuers": partial(queries.issuers, k),
            "credentials/accredited": partial(queries.accredited, k),
            "credentials/schema": partial(queries.schema, k),
            "credentials/status_list": partial(queries.status_list, k),
            "credentials/kyc": partial(queries.kyc, k),
            "credentials/kyc_tier": partial(queries.kyc_tier, k),
            "credentials/regulators": partial(queries.regulators, k),
            "credentials/disclosure": partial(queries.disclosure, k),
            "credentials/audit": partial(queries.audit, k),
        }

    def validate_genesis(self, state: dict[str, Any]) -> None:
        """The section's shape; its contents are checked as ``init_genesis`` loads them."""
        if not isinstance(state, dict) or not state.keys() <= self.default_genesis().keys():
            raise ErrBadGenesis(f"{NAME} genesis must be a map of {sorted(self.default_genesis())}")

    def default_genesis(self) -> dict[str, Any]:
        return {"params": CredentialsParams().to_obj(), "regulators": [], "issuers": []}

    def init_genesis(self, ctx: Context, state: dict[str, Any]) -> None:
        """Params, regulators, then issuers; the threshold is checked once all are in."""
        try:
            expect_fields(state, {"params", "regulators", "issuers"}, "credentials genesis")
            expect_fields(state["params"], {"disclosure_threshold", "request_lifetime"}, "params")
            params = MsgSetParams.from_value(state["params"])
            self.keeper.set_params(
                ctx, CredentialsParams(params.disclosure_threshold, params.request_lifetime)
            )
            entries = get_list(state, "regulators", max_items=32)
            for index, entry in enumerate(entries):
                expect_fields(entry, {"account", "name", "encryption_key"}, f"regulator #{index}")
                key = dict(entry["encryption_key"])
                key["public_key"] = _from_hex(key.get("public_key"))
                regulator = MsgAddRegulator.from_value({**entry, "encryption_key": key})
                self.keeper.add_regulator(
                    ctx, regulator.account, regulator.name, regulator.scheme, regulator.public_key
                )
            if entries and params.disclosure_threshold > len(entries):
                raise ErrBadGenesis(
                    f"disclosure_threshold {params.disclosure_threshold} exceeds the "
                    f"{len(entries)} genesis regulators"
                )
            for entry in get_list(state, "issuers", max_items=10_000):
                issuer = MsgAccreditIssuer.from_value(entry)
                self.keeper.accredit(ctx, issuer.did, issuer.name, issuer.kind, issuer.types)
        except FinchainError as exc:
            if exc.error is ErrBadGenesis:
                raise
            raise ErrBadGenesis(f"credentials genesis: {exc.message}") from None

    def export_genesis(self, reader: KVReader) -> dict[str, Any]:
        return {
            "params": self.keeper.params(reader).to_obj(),
            "regulators": [
                {
                    "account": r.account,
                    "name": r.name,
                    "encryption_key": {"scheme": r.scheme, "public_key": r.public_key.hex()},
                }
                for r in self.keeper.regulators(reader)
            ],
            "issuers": [
                {"did": i.did, "name": i.name, "kind": i.kind, "types": list(i.types)}
                for i in self.keeper.issuers(reader)
                if i.accredited
            ],
        }

    def invariants(self) -> Sequence[tuple[str, Invariant]]:
        return [
            ("credentials/threshold-within-regulators", self._threshold_within_regulators),
            ("credentials/claims-issuer-accredited", self._claims_issuer_accredited),
            ("credentials/status-versions-contiguous", self._status_versions_contiguous),
        ]

    def _threshold_within_regulators(self, reader: KVReader) -> str | None:
        count = sum(1 for _ in self.keeper.regulators(reader))
        threshold = self.keeper.params(reader).disclosure_threshold
        if count and not 1 <= threshold <= count:
            return f"disclosure threshold {threshold} is outside [1, {count} regulators]"
        return None

    def _claims_issuer_accredited(self, reader: KVReader) -> str | None:
        for claim in self.keeper.all_claims(reader):
            if not self.keeper.recorded_while_accredited(reader, claim):
                return (
                    f"claim on {claim.account} by {claim.issuer} was recorded while the issuer "
                    "was not accredited"
                )
        return None

    def _status_versions_contiguous(self, reader: KVReader) -> str | None:
        for listed in self.keeper.status_lists(reader):
            heights = []
            for version in range(1, listed.version + 2):
                anchor = self.keeper.status_anchor(reader, listed.list_id, version)
                if (anchor is None) != (version > listed.version):
                    return (
                        f"status list {listed.list_id} versions are not exactly 1..{listed.version}"
                    )
                if anchor is not None:
                    heights.append(anchor.height)
            if heights != sorted(heights):
                return f"status list {listed.list_id} has a version anchored before its predecessor"
        return None

    def end_block(self, ctx: Context) -> None:
        self.keeper.end_block(ctx)


def _from_hex(value: Any) -> bytes:
    text = get_str({"public_key": value}, "public_key", max_len=130)
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise ErrBadGenesis("a regulator's encryption_key.public_key must be hex") from None


__all__ = ["NAME", "CredentialsModule"]
