"""The credentials module: accredited issuers, credential schemas, status-list anchors,
KYC tier claims with escrowed identities, regulators and m-of-n de-anonymisation.

Genesis: ``app_state["credentials"] = {"params": {...}, "regulators": [...],
"issuers": [...]}``; regulators' encryption keys are hex strings; issuer DIDs
must already exist (the identity module's genesis runs first). The export
holds the same three sections; schemas, status-list anchors, claims and
disclosures are history and are not carried into a new genesis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from finchain.core.context import Context
from finchain.core.fields import HEIGHT, ListOf, Nested, Record, wire
from finchain.core.kv import KVReader
from finchain.core.module import Invariant, KeeperModule, genesis_errors, parse_genesis
from finchain.modules.accounts.types import ACCOUNT
from finchain.modules.credentials import handlers, keys, queries
from finchain.modules.credentials.errors import ErrBadGenesis
from finchain.modules.credentials.keeper import CredentialsKeeper
from finchain.modules.credentials.messages import check_schema_document
from finchain.modules.credentials.types import (
    DEFAULT_PARAMS,
    DISPLAY_NAME,
    GRANT,
    GRANTED,
    ISSUER_KIND,
    MAX_REGULATORS,
    REQUEST_ID,
    REVOKE,
    STATUS_LIST_ID_FIELD,
    STATUS_PURPOSE,
    TYPE_SET,
    AccreditationChange,
    Approval,
    AuditRecord,
    CredentialsParams,
    DisclosureRequest,
    EncryptionKey,
    Issuer,
    KycClaim,
    Regulator,
    Schema,
    StatusAnchor,
    StatusList,
)
from finchain.modules.identity.types import DID_REF

NAME = "credentials"
MAX_GENESIS_ENTRIES = 10_000_000


@dataclass(frozen=True, slots=True)
class RegulatorEntry(Record):
    """A regulator; ``since``, the height it was added, is 0 for one added at genesis."""

    WHAT = "regulator"
    account: str = wire(ACCOUNT)
    name: str = wire(DISPLAY_NAME)
    encryption_key: EncryptionKey = wire(Nested(EncryptionKey))
    since: int = wire(HEIGHT, default=0)

    def regulator(self) -> Regulator:
        key = self.encryption_key
        return Regulator(self.account, self.name, key.scheme, key.public_key, self.since)


@dataclass(frozen=True, slots=True)
class IssuerEntry(Record):
    """An issuer and its accreditation history.

    Without ``history`` (a genesis written by hand) the issuer is accredited for
    ``types`` at genesis; with it (an exported chain), the issuer is as the
    history leaves it, revoked ones included.
    """

    WHAT = "issuer"
    did: str = wire(DID_REF)
    name: str = wire(DISPLAY_NAME)
    kind: str = wire(ISSUER_KIND)
    types: tuple[str, ...] = wire(TYPE_SET)
    history: tuple[AccreditationChange, ...] = wire(
        ListOf(Nested(AccreditationChange), max_items=MAX_GENESIS_ENTRIES), default=()
    )

    def check(self) -> None:
        if not self.history:
            if not self.types:
                raise ErrBadGenesis(f"issuer {self.did}: accredit it for at least one type")
            return
        if [c.seq for c in self.history] != list(range(1, len(self.history) + 1)):
            raise ErrBadGenesis(f"issuer {self.did}: history must be changes 1, 2, ...")
        if self.history[0].action != GRANT:
            raise ErrBadGenesis(f"issuer {self.did}: history must start with a grant")
        for before, after in pairwise(self.history):
            if (after.height, after.time_ns) < (before.height, before.time_ns):
                raise ErrBadGenesis(f"issuer {self.did}: change {after.seq} goes back in time")
        if self.history[-1].types != self.types:
            raise ErrBadGenesis(f"issuer {self.did}: types differ from its last change")

    def issuer(self) -> Issuer:
        accredited = self.history[-1].action != REVOKE
        return Issuer(self.did, self.name, self.kind, self.types, accredited, len(self.history))


@dataclass(frozen=True, slots=True)
class StatusListEntry(Record):
    """A status list, its owner and purpose, and the anchors of versions 1..n."""

    WHAT = "status list"
    list_id: str = wire(STATUS_LIST_ID_FIELD)
    issuer: str = wire(DID_REF)
    purpose: str = wire(STATUS_PURPOSE)
    anchors: tuple[StatusAnchor, ...] = wire(
        ListOf(Nested(StatusAnchor), min_items=1, max_items=MAX_GENESIS_ENTRIES)
    )

    def check(self) -> None:
        if [a.version for a in self.anchors] != list(range(1, len(self.anchors) + 1)):
            raise ErrBadGenesis(f"status list {self.list_id}: anchors must be versions 1, 2, ...")
        if any(b.height < a.height for a, b in pairwise(self.anchors)):
            raise ErrBadGenesis(f"status list {self.list_id}: a version predates the one before")

    def latest(self) -> StatusList:
        last = self.anchors[-1]
        return StatusList(
            self.list_id,
            self.issuer,
            self.purpose,
            last.version,
            last.digest,
            last.height,
            last.time_ns,
        )


def _entries(record: type[Record]) -> ListOf[Any]:
    return ListOf(Nested(record), max_items=MAX_GENESIS_ENTRIES)


@dataclass(frozen=True, slots=True)
class CredentialsGenesis(Record):
    """The whole state of the module: parameters, regulators, issuers with their history,
    schemas, status lists, KYC claims, disclosure requests with approvals and audit records.

    A genesis written by hand gives the first three; an exported chain gives them all.
    ``check`` holds the rules between entries that need no state.
    """

    WHAT = "credentials genesis"
    params: CredentialsParams = wire(Nested(CredentialsParams))
    regulators: tuple[RegulatorEntry, ...] = wire(
        ListOf(Nested(RegulatorEntry), max_items=MAX_REGULATORS)
    )
    issuers: tuple[IssuerEntry, ...] = wire(_entries(IssuerEntry))
    schemas: tuple[Schema, ...] = wire(_entries(Schema), default=())
    status_lists: tuple[StatusListEntry, ...] = wire(_entries(StatusListEntry), default=())
    claims: tuple[KycClaim, ...] = wire(_entries(KycClaim), default=())
    next_request: int = wire(REQUEST_ID, default=1)
    requests: tuple[DisclosureRequest, ...] = wire(_entries(DisclosureRequest), default=())
    approvals: tuple[Approval, ...] = wire(_entries(Approval), default=())
    audit: tuple[AuditRecord, ...] = wire(_entries(AuditRecord), default=())

    def check(self) -> None:
        accounts = [r.account for r in self.regulators]
        if len(set(accounts)) != len(accounts):
            raise ErrBadGenesis("a regulator is listed twice")
        threshold = self.params.disclosure_threshold
        if accounts and threshold > len(accounts):
            raise ErrBadGenesis(
                f"disclosure_threshold {threshold} exceeds the {len(accounts)} genesis regulators"
            )
        changes = {i.did: max(len(i.history), 1) for i in self.issuers}
        if len(changes) != len(self.issuers):
            raise ErrBadGenesis("an issuer is listed twice")
        self._check_schemas()
        _distinct([s.list_id for s in self.status_lists], "status list")
        _distinct([(c.account, c.issuer) for c in self.claims], "KYC claim")
        for claim in self.claims:
            if claim.accreditation > changes.get(claim.issuer, 0):
                raise ErrBadGenesis(
                    f"claim on {claim.account}: {claim.issuer} has no accreditation change "
                    f"{claim.accreditation}"
                )
        requests = {r.id: r for r in self.requests}
        if len(requests) != len(self.requests) or any(r >= self.next_request for r in requests):
            raise ErrBadGenesis("request ids must be distinct and below next_request")
        _distinct([(a.request_id, a.approver) for a in self.approvals], "approval")
        if any(a.request_id not in requests for a in self.approvals):
            raise ErrBadGenesis("an approval names an unknown request")
        _distinct([a.request_id for a in self.audit], "audit record")
        for record in self.audit:
            found = requests.get(record.request_id)
            if found is None or found.status != GRANTED:
                raise ErrBadGenesis(
                    f"audit record {record.request_id} names no granted disclosure request"
                )

    def _check_schemas(self) -> None:
        _distinct([s.id for s in self.schemas], "schema")
        _distinct([(s.name, s.version) for s in self.schemas], "schema version")
        owners: dict[str, str] = {}
        for schema in self.schemas:
            if owners.setdefault(schema.name, schema.issuer) != schema.issuer:
                raise ErrBadGenesis(f"schema name {schema.name} has versions of two issuers")
            check_schema_document(schema.document)


def _distinct(keys: list[Any], what: str) -> None:
    if len(set(keys)) != len(keys):
        raise ErrBadGenesis(f"a {what} is listed twice")


class CredentialsModule(KeeperModule[CredentialsKeeper]):
    name = NAME
    store_key = keys.STORE
    consensus_version = 1
    HANDLERS = handlers.HANDLERS
    QUERIES = queries.QUERIES

    def default_genesis(self) -> dict[str, Any]:
        return CredentialsGenesis(DEFAULT_PARAMS, (), ()).to_json()

    def validate_genesis(self, state: dict[str, Any]) -> None:
        parse_genesis(CredentialsGenesis, state, ErrBadGenesis)

    def init_genesis(self, ctx: Context, state: dict[str, Any]) -> None:
        """Params, regulators, issuers (a hand-written one is accredited at genesis and its
        DID must be active), then the history: schemas, status lists, claims, disclosures."""
        genesis = parse_genesis(CredentialsGenesis, state, ErrBadGenesis)
        k = self.keeper
        with genesis_errors(ErrBadGenesis, CredentialsGenesis.WHAT):
            k.set_params(ctx, genesis.params)
            for entry in genesis.regulators:
                k.import_regulator(ctx, entry.regulator())
            for issuer in genesis.issuers:
                if issuer.history:
                    k.import_issuer(ctx, issuer.issuer(), issuer.history)
                else:
                    k.accredit(ctx, issuer.did, issuer.name, issuer.kind, issuer.types)
            for schema in genesis.schemas:
                k.import_schema(ctx, schema)
            for listed in genesis.status_lists:
                k.import_status_list(ctx, listed.latest(), listed.anchors)
            for claim in genesis.claims:
                k.import_claim(ctx, claim)
            k.import_disclosures(
                ctx, genesis.next_request, genesis.requests, genesis.approvals, genesis.audit
            )

    def export_genesis(self, reader: KVReader) -> dict[str, Any]:
        """Everything, so that a fresh chain imports the same state entry for entry."""
        k = self.keeper
        return CredentialsGenesis(
            params=k.params(reader),
            regulators=tuple(
                RegulatorEntry(r.account, r.name, r.encryption_key, r.since)
                for r in k.regulators(reader)
            ),
            issuers=tuple(
                IssuerEntry(
                    i.did, i.name, i.kind, i.types, tuple(k.accreditation_history(reader, i.did))
                )
                for i in k.issuers(reader)
            ),
            schemas=tuple(k.schemas(reader)),
            status_lists=tuple(
                StatusListEntry(
                    s.list_id, s.issuer, s.purpose, tuple(k.status_anchors(reader, s.list_id))
                )
                for s in k.status_lists(reader)
            ),
            claims=tuple(k.all_claims(reader)),
            next_request=k.next_request_id(reader),
            requests=tuple(k.requests(reader)),
            approvals=tuple(k.approvals(reader)),
            audit=tuple(k.audits(reader)),
        ).to_json()

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


__all__ = ["NAME", "CredentialsModule"]
