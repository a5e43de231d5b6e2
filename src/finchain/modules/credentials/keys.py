"""The credentials module's state: the only place its keys are spelled.

Histories (accreditation changes, status list versions, schema versions) are
numbered 1..n and read by ``get`` rather than by iteration, so each answer can
be proven with the state proofs of the query API. The expiry queue of
disclosure requests and the audit indexes (by account, by issuer) are
secondary indexes kept in step with their maps by the collections.
"""

from __future__ import annotations

from finchain.core.collections import (
    STR,
    U64,
    Index,
    IndexedMap,
    Item,
    Map,
    Pair,
    RecordValue,
    Sequence,
    StoreKey,
    StrValue,
)
from finchain.modules.credentials.types import (
    OPEN,
    AccreditationChange,
    Approval,
    AuditRecord,
    CredentialsParams,
    DisclosureRequest,
    Issuer,
    KycClaim,
    Regulator,
    Schema,
    SchemaName,
    StatusAnchor,
    StatusList,
)

PREFIX = b"cred/"
STORE = StoreKey("credentials", PREFIX)

BY_EXPIRY = "expiry"
BY_ACCOUNT = "account"
BY_ISSUER = "issuer"

PARAMS: Item[CredentialsParams] = Item(STORE, b"params", RecordValue(CredentialsParams.from_obj))
NEXT_REQUEST = Sequence(STORE, b"next_request")
"""The id the next disclosure request gets (1, 2, …)."""

ISSUERS: Map[str, Issuer] = Map(STORE, b"issuer/", STR, RecordValue(Issuer.from_obj))
"""issuer DID -> the issuer; kept after a revocation (its history stays)."""
ACCREDITATION: Map[tuple[str, int], AccreditationChange] = Map(
    STORE, b"issuer_change/", Pair(STR, U64), RecordValue(AccreditationChange.from_obj)
)
"""(issuer DID, seq) -> each accreditation change, numbered 1..``Issuer.changes``."""

SCHEMAS: Map[str, Schema] = Map(STORE, b"schema/", STR, RecordValue(Schema.from_obj))
"""schema id (hex of the suite hash of its document) -> the schema."""
SCHEMA_NAMES: Map[str, SchemaName] = Map(
    STORE, b"schema_name/", STR, RecordValue(SchemaName.from_obj)
)
"""schema name -> its owner and latest version."""
SCHEMA_VERSIONS: Map[tuple[str, int], str] = Map(
    STORE, b"schema_version/", Pair(STR, U64), StrValue()
)
"""(schema name, version) -> schema id."""

STATUS_LISTS: Map[str, StatusList] = Map(
    STORE, b"status_list/", STR, RecordValue(StatusList.from_obj)
)
"""status list id -> its owner, purpose and latest anchor."""
STATUS_ANCHORS: Map[tuple[str, int], StatusAnchor] = Map(
    STORE, b"status_version/", Pair(STR, U64), RecordValue(StatusAnchor.from_obj)
)
"""(status list id, version) -> the anchor of that version, exactly 1..latest."""

CLAIMS: Map[tuple[str, str], KycClaim] = Map(
    STORE, b"kyc/", Pair(STR, STR), RecordValue(KycClaim.from_obj)
)
"""(account, issuer DID) -> the issuer's claim on the account: listed by account."""

REGULATORS: Map[str, Regulator] = Map(STORE, b"regulator/", STR, RecordValue(Regulator.from_obj))
"""account -> regulator, in account order (the order of an escrow's regulator list)."""

REQUESTS: IndexedMap[int, DisclosureRequest] = IndexedMap(
    STORE,
    b"request/",
    U64,
    RecordValue(DisclosureRequest.from_obj),
    {BY_EXPIRY: Index(b"expiry/", U64, lambda _id, r: r.expires_at if r.status == OPEN else None)},
)
"""request id -> request; an open request is filed in the expiry queue under its
``expires_at`` height, and leaves it when granted or expired."""
APPROVALS: Map[tuple[int, str], Approval] = Map(
    STORE, b"approval/", Pair(U64, STR), RecordValue(Approval.from_obj)
)
"""(request id, approver) -> the approval and its re-sealed share."""

AUDIT: IndexedMap[int, AuditRecord] = IndexedMap(
    STORE,
    b"audit/",
    U64,
    RecordValue(AuditRecord.from_obj),
    {
        BY_ACCOUNT: Index(b"audit_account/", STR, lambda _id, r: r.account),
        BY_ISSUER: Index(b"audit_issuer/", STR, lambda _id, r: r.issuer),
    },
)
"""request id -> the audit record of a granted disclosure (written once, never removed);
indexed by the claim's account and by its issuer."""
