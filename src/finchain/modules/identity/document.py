"""Rendering: a stored record as a W3C DID Core 1.0 document, and DID Resolution results.

Keys are rendered by ``finchain.formats.keyformats`` (Multikey for Ed25519,
JsonWebKey for SM2 and secp256k1), the same code the off-chain verifier uses to
read them back, so the chain and the verifier cannot disagree on a key.
"""

from __future__ import annotations

from typing import Any

from finchain.formats.keyformats import verification_method
from finchain.modules.identity.types import RELATIONSHIPS, DidRecord, rfc3339

CONTEXT = (
    "https://www.w3.org/ns/did/v1",
    "https://w3id.org/security/multikey/v1",
    "https://w3id.org/security/jwk/v1",
)
CONTENT_TYPE = "application/did+ld+json"

INVALID_DID = "invalidDid"
INVALID_DID_URL = "invalidDidUrl"
NOT_FOUND = "notFound"


def document(record: DidRecord) -> dict[str, Any]:
    """The DID document of one version; a deactivated DID renders as just its id.

    ``controller`` is present only when controller DIDs are set, and then lists
    the DID itself first: its controller account keeps control (did-method.md).
    """
    did = record.did
    doc: dict[str, Any] = {"@context": list(CONTEXT), "id": did}
    if record.deactivated:
        return doc
    if record.controllers:
        doc["controller"] = [did, *record.controllers]
    if record.methods:
        doc["verificationMethod"] = [
            verification_method(did, m.id, m.scheme, m.public_key) for m in record.methods
        ]
    for relationship in RELATIONSHIPS:
        ids = [f"{did}#{m.id}" for m in record.methods if relationship in m.relationships]
        if ids:
            doc[relationship] = ids
    if record.services:
        doc["service"] = [
            {"id": f"{did}#{s.id}", "type": s.type, "serviceEndpoint": s.endpoint}
            for s in record.services
        ]
    return doc


def resolution(
    resolved: DidRecord, current: DidRecord, following: DidRecord | None
) -> dict[str, Any]:
    """A DID Resolution result for version ``resolved`` of a DID whose latest is ``current``.

    ``following`` is the version after ``resolved`` (None if it is the latest);
    it gives ``nextUpdate`` and ``nextVersionId``. ``deactivated`` describes the
    DID, not the version: a verifier reading an old version still learns that
    the DID has since been deactivated.
    """
    metadata: dict[str, Any] = {"created": rfc3339(resolved.created_ns)}
    if resolved.version > 1:
        metadata["updated"] = rfc3339(resolved.updated_ns)
    metadata["versionId"] = str(resolved.version)
    if following is not None:
        metadata["nextUpdate"] = rfc3339(following.updated_ns)
        metadata["nextVersionId"] = str(following.version)
    metadata["deactivated"] = current.deactivated
    return {
        "didDocument": document(resolved),
        "didDocumentMetadata": metadata,
        "didResolutionMetadata": {"contentType": CONTENT_TYPE},
    }


def resolution_error(error: str, message: str) -> dict[str, Any]:
    """A failed resolution: ``error`` is a DID Resolution error name, the message says why."""
    return {
        "didDocument": None,
        "didDocumentMetadata": {},
        "didResolutionMetadata": {"error": error, "errorMessage": message},
    }
