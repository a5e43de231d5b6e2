"""Read-only queries of the credentials module, served on committed state.

Bytes are answered as lowercase hex; numbers in parameters may be ints or
decimal strings (the HTTP API passes every parameter as a string). Queries
that read single entries (issuer, accredited, schema, status_list,
disclosure) can be answered with state proofs; listings cannot.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from finchain.core.errors import ErrBadQuery
from finchain.core.kv import KVReader
from finchain.core.module import KeeperQuery
from finchain.core.query import str_param
from finchain.formats import did as dids
from finchain.modules.accounts.types import account_param
from finchain.modules.credentials.errors import (
    ErrUnknownIssuer,
    ErrUnknownRequest,
    ErrUnknownSchema,
    ErrUnknownStatusList,
)
from finchain.modules.credentials.keeper import CredentialsView
from finchain.modules.credentials.types import (
    CREDENTIAL_TYPE,
    MAX_TIME_NS,
    SCHEMA_NAME,
    STATUS_LIST_ID,
    Schema,
)

MAX_HISTORY = 100
DEFAULT_PAGE = 50
MAX_PAGE = 200


def _number(args: dict[str, Any], name: str, *, low: int = 1, default: int | None = None) -> int:
    value = args.get(name, default)
    if isinstance(value, str) and value.isdigit() and len(value) <= 19:
        value = int(value)
    if type(value) is not int or not low <= value <= MAX_TIME_NS:
        raise ErrBadQuery(f"parameter {name!r} must be an integer of at least {low}")
    return value


def _did(args: dict[str, Any], name: str = "did") -> str:
    return str_param(args, name, dids.is_did, "a did:finchain DID")


def params(view: CredentialsView, reader: KVReader, args: dict[str, Any]) -> dict[str, Any]:
    return view.params(reader).to_obj()


def issuer(view: CredentialsView, reader: KVReader, args: dict[str, Any]) -> dict[str, Any]:
    """The issuer and its whole accreditation history (grants, type changes, revocations)."""
    did = _did(args)
    found = view.issuer(reader, did)
    if found is None:
        raise ErrUnknownIssuer(f"{did} was never accredited")
    return {
        **found.to_obj(),
        "history": [c.to_obj() for c in view.accreditation_history(reader, did)],
    }


def issuers(view: CredentialsView, reader: KVReader, args: dict[str, Any]) -> dict[str, Any]:
    return {"issuers": [i.to_obj() for i in view.issuers(reader)]}


def accredited(view: CredentialsView, reader: KVReader, args: dict[str, Any]) -> dict[str, Any]:
    """Was ``did`` accredited for ``type`` at block time ``time_ns``? (the VC verifier asks
    this about a credential's issuance time)."""
    did = _did(args)
    credential_type = str_param(args, "type", CREDENTIAL_TYPE.fullmatch, "a credential type name")
    at = _number(args, "time_ns", low=0)
    return {
        "did": did,
        "type": credential_type,
        "time_ns": at,
        "accredited": view.accredited(reader, did, credential_type, at),
    }


def _schema(found: Schema) -> dict[str, Any]:
    obj = found.to_obj()
    return {**obj, "document": found.document.decode()}


def schema(view: CredentialsView, reader: KVReader, args: dict[str, Any]) -> dict[str, Any]:
    """By ``id`` (hex), or by ``name`` and optional ``version`` (default: the latest)."""
    if "id" in args:
        schema_id = args["id"]
        found = view.schema(reader, schema_id) if isinstance(schema_id, str) else None
        if found is None:
            raise ErrUnknownSchema(f"no schema has id {str(schema_id)[:80]!r}")
        return _schema(found)
    name = str_param(args, "name", SCHEMA_NAME.fullmatch, "a schema name (or give 'id')")
    head = view.schema_name(reader, name)
    if head is None:
        raise ErrUnknownSchema(f"no schema is named {name}")
    version = _number(args, "version", default=head.latest)
    schema_id = view.schema_id_of(reader, name, version)
    found = None if schema_id is None else view.schema(reader, schema_id)
    if found is None:
        raise ErrUnknownSchema(f"{name} has no version {version} (latest is {head.latest})")
    return _schema(found)


def status_list(view: CredentialsView, reader: KVReader, args: dict[str, Any]) -> dict[str, Any]:
    """The latest anchor of ``list_id`` and the anchors of versions ``from``..``to``
    (default: the latest only; at most 100)."""
    list_id = str_param(args, "list_id", STATUS_LIST_ID.fullmatch, "a status list id")
    found = view.status_list(reader, list_id)
    if found is None:
        raise ErrUnknownStatusList(f"status list {list_id} was never anchored")
    last = min(_number(args, "to", default=found.version), found.version)
    first = _number(args, "from", default=last)
    if first > last or last - first >= MAX_HISTORY:
        raise ErrBadQuery(f"'from'..'to' must be an ascending range of at most {MAX_HISTORY}")
    history = [view.status_anchor(reader, list_id, v) for v in range(first, last + 1)]
    return {
        "latest": found.to_json(),
        "history": [a.to_json() for a in history if a is not None],
    }


def kyc(view: CredentialsView, reader: KVReader, args: dict[str, Any]) -> dict[str, Any]:
    """Every claim on ``account``, with its escrow (hex)."""
    account = account_param(args)
    return {
        "account": account,
        "claims": [c.to_json() for c in view.kyc_claims(reader, account)],
    }


def claims_by_issuer(
    view: CredentialsView, reader: KVReader, args: dict[str, Any]
) -> dict[str, Any]:
    """A page of the claims ``issuer`` recorded (any status), in account id order after the
    account ``cursor`` (exclusive); ``next_cursor`` is null on the last page.

    What a regulator sees behind an institution. Claims are stored by account, so this
    walks them all: a supervisory read, not a hot path (an issuer index would change
    the state layout, hence the app hash, of every chain).
    """
    issuer = _did(args, "issuer")
    limit = _number(args, "limit", default=DEFAULT_PAGE)
    if limit > MAX_PAGE:
        raise ErrBadQuery(f"parameter 'limit' must be at most {MAX_PAGE}")
    cursor = account_param(args, "cursor") if args.get("cursor") else ""
    found: list[dict[str, Any]] = []
    next_cursor = None
    for claim in view.all_claims(reader):
        if claim.issuer != issuer or claim.account <= cursor:
            continue
        if len(found) == limit:
            next_cursor = found[-1]["account"]
            break
        found.append(claim.to_json())
    return {"issuer": issuer, "claims": found, "next_cursor": next_cursor}


def kyc_tier(view: CredentialsView, reader: KVReader, args: dict[str, Any]) -> dict[str, Any]:
    """The account's tier at block time ``time_ns`` (a query has no clock of its own)."""
    account = account_param(args)
    at = _number(args, "time_ns", low=0)
    return {"account": account, "time_ns": at, "tier": view.kyc_tier(reader, account, at)}


def regulators(view: CredentialsView, reader: KVReader, args: dict[str, Any]) -> dict[str, Any]:
    found = [r.to_json() for r in view.regulators(reader)]
    return {
        "regulators": found,
        "disclosure_threshold": view.params(reader).disclosure_threshold,
    }


def disclosure(view: CredentialsView, reader: KVReader, args: dict[str, Any]) -> dict[str, Any]:
    """A request with its approvals and their re-sealed shares (hex), and its audit record
    once granted."""
    request_id = _number(args, "request_id")
    found = view.request(reader, request_id)
    if found is None:
        raise ErrUnknownRequest(f"disclosure request {request_id} does not exist")
    approvals = [view.approval(reader, request_id, a) for a in found.approvers]
    record = view.audit(reader, request_id)
    return {
        **found.to_obj(),
        "approvals": [a.to_json() for a in approvals if a is not None],
        "audit": None if record is None else record.to_obj(),
    }


def audit(view: CredentialsView, reader: KVReader, args: dict[str, Any]) -> dict[str, Any]:
    """Granted disclosures about ``account`` or about claims of ``issuer`` (a bank sees
    every de-anonymisation of its customers)."""
    if "account" in args:
        found = view.audits_of_account(reader, account_param(args))
    else:
        found = view.audits_of_issuer(reader, _did(args, "issuer"))
    return {"audit": [r.to_obj() for r in found]}


QUERIES: Mapping[str, KeeperQuery] = {
    "credentials/params": params,
    "credentials/issuer": issuer,
    "credentials/issuers": issuers,
    "credentials/accredited": accredited,
    "credentials/schema": schema,
    "credentials/status_list": status_list,
    "credentials/kyc": kyc,
    "credentials/kyc_tier": kyc_tier,
    "credentials/claims_by_issuer": claims_by_issuer,
    "credentials/regulators": regulators,
    "credentials/disclosure": disclosure,
    "credentials/audit": audit,
}
