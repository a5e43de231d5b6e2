"""DID-document lookups for verifiers; the ``did:finchain`` syntax is ``finchain.formats.did``."""

from __future__ import annotations

from typing import Any


def method_in_relationship(
    document: dict[str, Any], method_id: str, relationship: str
) -> dict[str, Any] | None:
    """The verification method ``method_id`` if ``document`` lists it under ``relationship``.

    ``relationship`` is ``assertionMethod`` or ``authentication``. Entries may
    be references (absolute, or relative ``#key-id``) to ``verificationMethod``
    or embedded methods (DID Core 5.3). The method's ``controller`` must be the
    document's subject: a key controlled by someone else does not speak for it.
    Returns None when the method is absent, not in the relationship, or
    malformed.
    """
    subject = document.get("id")
    entries = document.get(relationship)
    if not isinstance(subject, str) or not isinstance(entries, list):
        return None
    listed: dict[str, Any] | None = None
    for entry in entries:
        if isinstance(entry, str) and _absolute(subject, entry) == method_id:
            listed = _declared_method(document, subject, method_id)
        elif isinstance(entry, dict) and _absolute(subject, entry.get("id")) == method_id:
            listed = entry
        if listed is not None:
            break
    if listed is None or listed.get("controller") != subject:
        return None
    return listed


def _declared_method(
    document: dict[str, Any], subject: str, method_id: str
) -> dict[str, Any] | None:
    methods = document.get("verificationMethod")
    if not isinstance(methods, list):
        return None
    for method in methods:
        if isinstance(method, dict) and _absolute(subject, method.get("id")) == method_id:
            return method
    return None


def _absolute(subject: str, reference: object) -> str | None:
    if not isinstance(reference, str):
        return None
    return subject + reference if reference.startswith("#") else reference
