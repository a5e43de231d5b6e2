"""What the verifier needs to trust: DIDs, accreditations, schemas, status lists.

The verifier asks a :class:`TrustSource` everything it cannot compute from
the credential itself. The chain-backed source answers from finchain's DID,
accreditation, schema and status-anchor state over the node API;
:class:`InMemoryTrust` answers from values given to it (tests, offline
verification from files).

Shapes, so that every source answers alike:

- ``resolve(did, at=t)`` returns the W3C DID document as of ``t`` (the
  current one when ``t`` is None): ``{"id", "verificationMethod": [...],
  "assertionMethod": [...], "authentication": [...]}``. It raises
  ``ErrUnknownDid`` when the DID did not exist or was deactivated at ``t``.
- ``issuer_accredited(issuer, credential_type, at)`` is True iff governance
  had accredited ``issuer`` for ``credential_type`` at instant ``at``.
- ``schema(schema_id)`` returns the JSON Schema; the verifier re-hashes it
  against the id. ``ErrUnknownSchema`` if unknown.
- ``status_list_credential(url)`` returns the signed status list credential
  published at ``url``; ``ErrUnknownStatusList`` if it cannot be fetched.
- ``status_list_anchor(url)`` returns the latest :class:`StatusAnchor` the
  issuer put on chain for that list; ``ErrUnknownStatusList`` if none.

Sources raise only these registered errors for "not known"; any other
exception (a node that cannot be reached) propagates to the verifier's
caller, because "could not ask" is not "invalid".
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from finchain.crypto import HASH_NAMES
from finchain.formats.did import parse_did
from finchain.formats.times import aware, parse_time
from finchain.offchain.vc.errors import (
    ErrInvalidTrustData,
    ErrUnknownDid,
    ErrUnknownSchema,
    ErrUnknownStatusList,
)
from finchain.offchain.vc.schemas import schema_id as make_schema_id
from finchain.offchain.vc.statuslist import anchor_digest


@dataclass(frozen=True, slots=True)
class StatusAnchor:
    """The on-chain commitment to a status list credential.

    Attributes:
        digest: ``hash_name(JCS(status list credential))``, 32 bytes.
        hash_name: ``sha256`` or ``sm3``: the chain suite's hash.
        version: increases by one each time the issuer re-anchors the list.
        height: the block height at which this version was anchored.
    """

    digest: bytes
    hash_name: str
    version: int
    height: int


class TrustSource(Protocol):
    """The verifier's window on trusted state (see the module docstring for shapes)."""

    def resolve(self, did: str, *, at: datetime | None = None) -> dict[str, Any]: ...

    def issuer_accredited(self, issuer_did: str, credential_type: str, at: datetime) -> bool: ...

    def schema(self, schema_id: str) -> dict[str, Any]: ...

    def status_list_credential(self, url: str) -> dict[str, Any]: ...

    def status_list_anchor(self, url: str) -> StatusAnchor: ...


@dataclass(frozen=True, slots=True)
class _Version:
    since: datetime
    document: dict[str, Any] | None  # None: deactivated from ``since`` on


@dataclass(frozen=True, slots=True)
class _Accreditation:
    credential_type: str
    since: datetime
    until: datetime | None


class InMemoryTrust:
    """A :class:`TrustSource` over values held in memory.

    Example::

        trust = InMemoryTrust()
        trust.add_did_document(bank_doc, since=t0)
        trust.accredit(bank_did, "KycCredential", since=t0)
        sid = trust.add_schema(kyc_schema)
        trust.add_status_list(url, signed_list, hash_name="sha256", height=10)
        result = verify_credential(vc, trust, now=t1)

    Or load everything from one JSON bundle with :meth:`from_bundle`.
    """

    def __init__(self) -> None:
        self._dids: dict[str, list[_Version]] = {}
        self._accreditations: dict[str, list[_Accreditation]] = {}
        self._schemas: dict[str, dict[str, Any]] = {}
        self._lists: dict[str, dict[str, Any]] = {}
        self._anchors: dict[str, StatusAnchor] = {}

    # -- writing ---------------------------------------------------------------

    def add_did_document(self, document: dict[str, Any], *, since: datetime) -> None:
        """Record ``document`` as its DID's document from ``since`` on (a new version)."""
        did = document.get("id") if isinstance(document, dict) else None
        parse_did(did)
        self._add_version(str(did), _Version(aware(since), copy.deepcopy(document)))

    def deactivate(self, did: str, *, since: datetime) -> None:
        """Record that ``did`` is deactivated from ``since`` on."""
        parse_did(did)
        self._add_version(did, _Version(aware(since), None))

    def accredit(
        self,
        issuer_did: str,
        credential_type: str,
        *,
        since: datetime,
        until: datetime | None = None,
    ) -> None:
        """Accredit ``issuer_did`` for ``credential_type`` over ``[since, until)``."""
        parse_did(issuer_did)
        entry = _Accreditation(
            credential_type, aware(since), None if until is None else aware(until)
        )
        self._accreditations.setdefault(issuer_did, []).append(entry)

    def add_schema(self, schema: dict[str, Any], *, hash_name: str = "sha256") -> str:
        """Store a schema under its content-addressed id, and return the id."""
        identifier = make_schema_id(schema, hash_name)
        self._schemas[identifier] = copy.deepcopy(schema)
        return identifier

    def add_status_list(
        self,
        url: str,
        credential: dict[str, Any],
        *,
        hash_name: str,
        height: int,
        anchored: bool = True,
    ) -> StatusAnchor | None:
        """Publish a signed status list credential at ``url`` and, if ``anchored``, anchor it.

        Each anchoring increments the list's version, as the chain does.
        """
        self._lists[url] = copy.deepcopy(credential)
        if not anchored:
            return None
        previous = self._anchors.get(url)
        anchor = StatusAnchor(
            digest=anchor_digest(credential, hash_name),
            hash_name=hash_name,
            version=1 if previous is None else previous.version + 1,
            height=height,
        )
        self._anchors[url] = anchor
        return anchor

    @classmethod
    def from_bundle(cls, bundle: dict[str, Any]) -> InMemoryTrust:
        """A trust source from a JSON bundle (e.g. ``json.load`` of a file)::

            {"dids": [{"document": {...}, "since": "2025-01-01T00:00:00Z"},
                      {"deactivated": "did:finchain:...", "since": "..."}],
             "accreditations": [{"issuer": "did:...", "type": "KycCredential",
                                 "since": "...", "until": "..."}],
             "schemas": [{"hash": "sha256", "schema": {...}}],
             "status_lists": [{"url": "...", "credential": {...},
                               "hash": "sha256", "height": 10}]}

        Raises registered ``vc`` errors on malformed entries.
        """
        trust = cls()
        try:
            for item in bundle.get("dids", []):
                since = parse_time(item["since"])
                if "deactivated" in item:
                    trust.deactivate(item["deactivated"], since=since)
                else:
                    trust.add_did_document(item["document"], since=since)
            for item in bundle.get("accreditations", []):
                until = parse_time(item["until"]) if "until" in item else None
                trust.accredit(
                    item["issuer"], item["type"], since=parse_time(item["since"]), until=until
                )
            for item in bundle.get("schemas", []):
                trust.add_schema(item["schema"], hash_name=item.get("hash", "sha256"))
            for item in bundle.get("status_lists", []):
                if item.get("hash") not in HASH_NAMES:
                    raise ErrInvalidTrustData(f"status list hash must be one of {HASH_NAMES}")
                trust.add_status_list(
                    item["url"], item["credential"], hash_name=item["hash"], height=item["height"]
                )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ErrInvalidTrustData(f"trust bundle entry is malformed: {exc!r}") from None
        return trust

    # -- TrustSource -----------------------------------------------------------

    def resolve(self, did: str, *, at: datetime | None = None) -> dict[str, Any]:
        versions = self._dids.get(did, [])
        current = versions[-1] if versions else None
        if at is not None:
            moment = aware(at)
            current = next((v for v in reversed(versions) if v.since <= moment), None)
        if current is None or current.document is None:
            state = "deactivated" if current is not None else "unknown"
            when = "" if at is None else f" at {at.isoformat()}"
            raise ErrUnknownDid(f"DID {did[:80]} is {state}{when}")
        return copy.deepcopy(current.document)

    def issuer_accredited(self, issuer_did: str, credential_type: str, at: datetime) -> bool:
        moment = aware(at)
        return any(
            a.credential_type == credential_type
            and a.since <= moment
            and (a.until is None or moment < a.until)
            for a in self._accreditations.get(issuer_did, [])
        )

    def schema(self, schema_id: str) -> dict[str, Any]:
        try:
            return copy.deepcopy(self._schemas[schema_id])
        except KeyError:
            raise ErrUnknownSchema(f"schema {schema_id[:120]} is not known") from None

    def status_list_credential(self, url: str) -> dict[str, Any]:
        try:
            return copy.deepcopy(self._lists[url])
        except KeyError:
            raise ErrUnknownStatusList(f"no status list credential at {url[:120]}") from None

    def status_list_anchor(self, url: str) -> StatusAnchor:
        try:
            return self._anchors[url]
        except KeyError:
            raise ErrUnknownStatusList(f"status list {url[:120]} has no anchor") from None

    def _add_version(self, did: str, version: _Version) -> None:
        versions = self._dids.setdefault(did, [])
        if versions and versions[-1].since > version.since:
            raise ErrInvalidTrustData("DID document versions must be added in time order")
        versions.append(version)
