"""Content-addressed JSON Schemas (Draft 2020-12) for ``credentialSchema``.

A schema id is the lower-case hex of ``hash(JCS(schema))`` with the chain
suite's hash (SHA-256 or SM3), as finchain's on-chain schema registry assigns
it: the id names the exact schema, so whoever serves it (the chain, a file, a
cache) cannot swap it for a laxer one without the verifier noticing.
The schema validates the whole credential without its ``proof``, as the
W3C VC JSON Schema specification does; constrain claims under
``properties.credentialSubject``.
"""

from __future__ import annotations

import re
from typing import Any

import jsonschema  # type: ignore[import-untyped]
from jsonschema import Draft202012Validator
from referencing.exceptions import Unresolvable

from finchain.crypto import HASH_NAMES, hash_bytes
from finchain.offchain.vc.errors import ErrInvalidSchema
from finchain.offchain.vc.jcs import canonicalize

_SCHEMA_ID = re.compile(r"[0-9a-f]{64}")
MAX_ERRORS = 5


def schema_id(schema: dict[str, Any], hash_name: str = "sha256") -> str:
    """The content-addressed id of a valid Draft 2020-12 schema.

    Raises ``ErrInvalidSchema`` if the schema is not valid Draft 2020-12, or
    ``ErrUnknownHash`` (crypto) for another hash.
    """
    check_schema(schema)
    return hash_bytes(hash_name, canonicalize(schema)).hex()


def schema_matches_id(schema: dict[str, Any], identifier: str) -> bool:
    """True iff ``identifier`` is the SHA-256 or SM3 schema id of exactly ``schema``.

    Either hash is accepted because the id does not name its hash; finding a
    schema whose SHA-256 equals another's SM3 is as hard as breaking either.
    """
    if not isinstance(identifier, str) or not _SCHEMA_ID.fullmatch(identifier):
        return False
    canonical = canonicalize(schema)
    return any(hash_bytes(name, canonical).hex() == identifier for name in HASH_NAMES)


def check_schema(schema: object) -> None:
    """Raise ``ErrInvalidSchema`` unless ``schema`` is a valid Draft 2020-12 schema object."""
    if not isinstance(schema, dict):
        raise ErrInvalidSchema("a credential schema must be a JSON object")
    declared = schema.get("$schema", Draft202012Validator.META_SCHEMA["$id"])
    if declared != Draft202012Validator.META_SCHEMA["$id"]:
        raise ErrInvalidSchema(
            f"$schema {str(declared)[:80]!r} is not Draft 2020-12: "
            "use https://json-schema.org/draft/2020-12/schema"
        )
    try:
        Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise ErrInvalidSchema(f"schema is not valid Draft 2020-12: {exc.message}") from None


def schema_errors(schema: dict[str, Any], instance: object) -> list[str]:
    """Up to :data:`MAX_ERRORS` validation messages (empty when ``instance`` is valid).

    ``$ref`` to anything outside the schema is unresolvable here by design:
    fetching it would make the result depend on the network.
    """
    validator = Draft202012Validator(schema)
    messages: list[str] = []
    try:
        for error in validator.iter_errors(instance):
            location = "/".join(str(p) for p in error.absolute_path) or "(root)"
            messages.append(f"{location}: {error.message[:200]}")
            if len(messages) >= MAX_ERRORS:
                break
    except Unresolvable as exc:
        messages.append(f"schema reference cannot be resolved offline: {exc}"[:300])
    return messages
