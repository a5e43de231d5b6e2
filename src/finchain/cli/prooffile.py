"""The saved-proof file (``finchain-proof/v1``): what ``--save`` writes and ``verify proof`` reads.

One JSON document per proof, self-describing, checkable offline with no node
and no database (format in ``docs/cli.md``). Every byte string is lowercase
hex; heights and indexes are integers. Two kinds:

- ``state``: state entries (key, value or null for absence, Merkle proof) of a
  query at ``height`` and the app hash ``root`` they are proven against;
- ``tx``: a raw transaction, its inclusion proof and the ``tx_root`` of its block.

Both may carry ``block``: the signed header of that height (``header``,
``signature``, ``validator``), so the root can be traced to a validator's
signature. What a verifier trusts comes from outside the file (``--root``,
``--header``, a genesis): a file can always be forged to agree with itself.

This module builds documents and checks them; it knows nothing of Typer or HTTP.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from finchain.client.types import Block, Proof, TxInfo
from finchain.engines.solo.header import HEADER_FIELDS, header_hash, verify_header
from finchain.store import proof_from_json, verify_proof, verify_tx_proof

FORMAT = "finchain-proof/v1"
KINDS = ("state", "tx")
SUITE_HASH = {"gm": "sm3", "intl": "sha256"}
_HEADER_BYTES = ("last_block_hash", "tx_root", "app_hash", "proposer")
_HEADER_INTS = ("height", "time_ns")

PASS, FAIL, SKIP = "pass", "fail", "skip"


class ProofFileError(ValueError):
    """The document is not a well-formed saved proof (the message names the field)."""


# -- building --------------------------------------------------------------------------------


def block_part(block: Block | TxInfo) -> dict[str, Any]:
    """The ``block`` member: the signed header a block or tx answer came with."""
    return {
        "header": dict(block.header),
        "signature": block.signature,
        "validator": dict(block.validator),
        "block_hash": block.block_hash,
    }


def state_document(
    *,
    chain_id: str,
    suite: str,
    proof: Proof,
    block: Block | None = None,
    query: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A state proof document from an SDK answer's ``proof`` and the block of its height."""
    document: dict[str, Any] = {
        "format": FORMAT,
        "kind": "state",
        "chain_id": chain_id,
        "suite": suite,
        "height": proof.height,
        "root": proof.root.hex(),
        "entries": [
            {
                "key": e.key.hex(),
                "value": None if e.value is None else e.value.hex(),
                "proof": e.proof,
            }
            for e in proof.entries
        ],
    }
    if query is not None:
        document["query"] = query
    if block is not None:
        document["block"] = block_part(block)
    return document


def tx_document(*, chain_id: str, suite: str, tx: TxInfo) -> dict[str, Any]:
    """A tx inclusion proof document from the SDK's ``TxInfo`` (raw, proof, signed header)."""
    return {
        "format": FORMAT,
        "kind": "tx",
        "chain_id": chain_id,
        "suite": suite,
        "height": tx.height,
        "tx_id": tx.tx_id,
        "tx": tx.raw.hex(),
        "index": tx.index,
        "tx_root": tx.header["tx_root"],
        "proof": tx.proof,
        "result": tx.result.to_obj(),
        "block": block_part(tx),
    }


# -- checking --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One step of a verification: what was checked, its outcome, and why."""

    name: str
    status: str
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"check": self.name, "status": self.status, "detail": self.detail}


@dataclass
class Trust:
    """What the verifier trusts, all from outside the proof file."""

    root: bytes | None = None
    header: dict[str, Any] | None = None  # an API block object: header, signature, validator
    genesis: dict[str, Any] | None = None  # a genesis.json document
    genesis_source: str = ""


@dataclass
class Report:
    kind: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.status != FAIL for c in self.checks)

    def add(self, name: str, ok: bool, good: str, bad: str) -> bool:
        self.checks.append(Check(name, PASS if ok else FAIL, good if ok else bad))
        return ok

    def skip(self, name: str, why: str) -> None:
        self.checks.append(Check(name, SKIP, why))

    def to_json(self) -> dict[str, Any]:
        return {"valid": self.ok, "kind": self.kind, "checks": [c.to_json() for c in self.checks]}


def verify_document(document: Any, trust: Trust) -> Report:
    """Check a saved proof against ``trust``; every step is recorded, nothing raises.

    The verdict is valid only if every check passes *and* the proven root is
    anchored to something trusted: ``trust.root``, a trusted header, or a
    header signed by a validator of a trusted genesis.
    """
    kind = document.get("kind", "?") if isinstance(document, dict) else "?"
    report = Report(str(kind))
    try:
        parsed = _parse(document)
    except ProofFileError as exc:
        report.add("format", False, "", str(exc))
        return report
    report.add(
        "format",
        True,
        f"{FORMAT} {parsed.kind} proof of chain {parsed.chain_id!r} "
        f"at height {parsed.height} ({parsed.hash_name})",
        "",
    )
    check = _check_state if parsed.kind == "state" else _check_tx
    root = check(report, parsed)
    _check_anchor(report, parsed, root, trust)
    return report


@dataclass(frozen=True)
class _Parsed:
    kind: str
    chain_id: str
    suite: str
    hash_name: str
    height: int
    raw: dict[str, Any]


def _parse(document: Any) -> _Parsed:
    if not isinstance(document, dict):
        raise ProofFileError("the file is not a JSON object")
    if document.get("format") != FORMAT:
        raise ProofFileError(f"field format is {document.get('format')!r}, expected {FORMAT!r}")
    kind = document.get("kind")
    if kind not in KINDS:
        raise ProofFileError(f"field kind is {kind!r}, expected one of {', '.join(KINDS)}")
    suite = document.get("suite")
    if suite not in SUITE_HASH:
        raise ProofFileError(f"field suite is {suite!r}, expected gm or intl")
    chain_id, height = document.get("chain_id"), document.get("height")
    if not isinstance(chain_id, str):
        raise ProofFileError("field chain_id must be a string")
    if type(height) is not int or height < 0:
        raise ProofFileError("field height must be a non-negative integer")
    return _Parsed(kind, chain_id, suite, SUITE_HASH[suite], height, document)


def _hex(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise ProofFileError(f"{what} must be a hex string")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise ProofFileError(f"{what} is not valid hex") from None


def _check_state(report: Report, parsed: _Parsed) -> bytes | None:
    raw = parsed.raw
    try:
        root = _hex(raw.get("root"), "field root")
        entries = raw.get("entries")
        if not isinstance(entries, list) or not entries:
            raise ProofFileError("field entries must be a non-empty list")
    except ProofFileError as exc:
        report.add("entries", False, "", str(exc))
        return None
    for number, entry in enumerate(entries, start=1):
        name = f"entry {number}"
        try:
            if not isinstance(entry, dict):
                raise ProofFileError("is not an object")
            key = _hex(entry.get("key"), f"{name} key")
            value = None if entry.get("value") is None else _hex(entry["value"], f"{name} value")
            proof = proof_from_json(entry.get("proof"))
        except (ProofFileError, ValueError) as exc:
            report.add(name, False, "", f"malformed: {exc}")
            continue
        what = (
            f"key {_show_key(key)} holds {len(value)} bytes {_preview(value)}"
            if value is not None
            else f"key {_show_key(key)} is absent"
        )
        report.add(
            name,
            verify_proof(root, key, value, proof, parsed.hash_name),
            f"{what}: its Merkle path recomputes root {root.hex()[:16]}…",
            f"{what}: the Merkle path does NOT recompute root {root.hex()[:16]}… "
            "(the proof, key, value or root was altered)",
        )
    if "query" in raw:
        report.skip(
            "answer",
            "the query answer in the file is informative; what is proven is the entries above",
        )
    return root


def _check_tx(report: Report, parsed: _Parsed) -> bytes | None:
    raw = parsed.raw
    try:
        tx = _hex(raw.get("tx"), "field tx")
        tx_id = _hex(raw.get("tx_id"), "field tx_id")
        tx_root = _hex(raw.get("tx_root"), "field tx_root")
        proof = proof_from_json(raw.get("proof"))
    except (ProofFileError, ValueError) as exc:
        report.add("transaction", False, "", f"malformed: {exc}")
        return None
    from finchain.crypto import hash_bytes

    computed = hash_bytes(parsed.hash_name, tx)
    report.add(
        "tx id",
        computed == tx_id,
        f"{parsed.hash_name}(tx) = {tx_id.hex()}: the id names exactly these {len(tx)} bytes",
        f"{parsed.hash_name}(tx) = {computed.hex()}, but the file claims {tx_id.hex()}",
    )
    where = f"index {proof.get('index')} of {proof.get('total')}" if isinstance(proof, dict) else ""
    report.add(
        "inclusion",
        verify_tx_proof(parsed.hash_name, tx_root, tx, proof),
        f"the tx at {where} recomputes tx root {tx_root.hex()[:16]}… (RFC 6962 path)",
        f"the inclusion path does NOT recompute tx root {tx_root.hex()[:16]}… "
        "(the tx, proof or root was altered)",
    )
    report.skip(
        "result",
        "the execution result (code, events) is not covered by the inclusion proof; "
        "it is informative",
    )
    return tx_root


def _check_anchor(report: Report, parsed: _Parsed, root: bytes | None, trust: Trust) -> None:
    """Tie ``root`` to something trusted: a given root, a given header, or a genesis validator."""
    what = "app hash" if parsed.kind == "state" else "tx root"
    field_name = "app_hash" if parsed.kind == "state" else "tx_root"
    if root is None:
        report.add("anchor", False, "", f"no {what} to anchor")
        return
    if trust.root is not None:
        report.add(
            "anchor",
            trust.root == root,
            f"the {what} equals the trusted root given with --root",
            f"the {what} {root.hex()} differs from the trusted root {trust.root.hex()}",
        )
        return
    if trust.header is not None:
        header = _check_block(report, "trusted header", trust.header, parsed, trust)
        if header is not None:
            report.add(
                "anchor",
                header[field_name] == root,
                f"the {what} equals the {field_name} of the trusted header (height "
                f"{header['height']})",
                f"the {what} {root.hex()} differs from the trusted header's {field_name} "
                f"{header[field_name].hex()}",
            )
        return
    block = parsed.raw.get("block")
    if block is None:
        report.add(
            "anchor",
            False,
            "",
            "the file has no signed header and no trusted root was given: pass --root HEX "
            "or --header FILE",
        )
        return
    header = _check_block(report, "embedded header", block, parsed, trust)
    if header is None:
        return
    same = report.add(
        "root in header",
        header[field_name] == root,
        f"the {what} equals the signed header's {field_name}",
        f"the {what} {root.hex()} differs from the signed header's {field_name}",
    )
    if same and trust.genesis is None:
        report.add(
            "anchor",
            False,
            "",
            "the header is signed, but by a key taken from the file itself: pass --genesis "
            "FILE (trusted validator set), --header FILE or --root HEX",
        )
    elif same:
        report.add("anchor", True, "the header's signer is a validator of the trusted genesis", "")


def _check_block(
    report: Report, label: str, block: Any, parsed: _Parsed, trust: Trust
) -> dict[str, Any] | None:
    """Check a block object's header: height, chain, signature, and signer vs genesis."""
    try:
        if not isinstance(block, dict):
            raise ProofFileError("is not an object")
        header = header_from_json(block.get("header"))
        signature = _hex(block.get("signature"), "signature")
        validator = block.get("validator")
        if not isinstance(validator, dict) or not isinstance(validator.get("scheme"), str):
            raise ProofFileError("validator must be an object with scheme and public_key")
        public_key = _hex(validator.get("public_key"), "validator.public_key")
    except ProofFileError as exc:
        report.add(label, False, "", f"malformed: {exc}")
        return None
    report.add(
        f"{label} height",
        header["height"] == parsed.height and header["chain_id"] == parsed.chain_id,
        f"height {header['height']} of chain {header['chain_id']!r}, as the proof",
        f"the header is height {header['height']} of chain {header['chain_id']!r}; the proof "
        f"is height {parsed.height} of chain {parsed.chain_id!r}",
    )
    scheme = validator["scheme"]
    signed = report.add(
        f"{label} signature",
        verify_header(header, signature, scheme, public_key),
        f"signed by {scheme} validator key {public_key.hex()[:16]}…",
        f"the signature does not verify under {scheme} key {public_key.hex()[:16]}… "
        "(header or signature altered)",
    )
    if block.get("block_hash"):
        try:
            claimed = _hex(block["block_hash"], "block_hash")
            report.add(
                f"{label} hash",
                claimed == header_hash(header, parsed.suite),
                "block hash matches the header",
                "block hash does not match the header",
            )
        except ProofFileError as exc:
            report.add(f"{label} hash", False, "", str(exc))
    if trust.genesis is not None and signed:
        _check_genesis(report, trust, header, scheme, public_key)
    return header


def _check_genesis(
    report: Report, trust: Trust, header: dict[str, Any], scheme: str, public_key: bytes
) -> None:
    genesis = trust.genesis or {}
    source = trust.genesis_source or "the genesis"
    validators = set()
    for entry in genesis.get("validators", []):
        pub = entry.get("pub_key", {}) if isinstance(entry, dict) else {}
        try:
            validators.add((pub.get("type"), base64.b64decode(pub.get("value", ""))))
        except (ValueError, TypeError):
            continue
    report.add(
        "validator",
        (scheme, public_key) in validators and genesis.get("chain_id") == header["chain_id"],
        f"key {public_key.hex()[:16]}… is a validator of chain {header['chain_id']!r} in {source}",
        f"key {public_key.hex()[:16]}… of chain {header['chain_id']!r} is not a validator "
        f"of chain {genesis.get('chain_id')!r} in {source}",
    )


def header_from_json(obj: Any) -> dict[str, Any]:
    """A header as signed (bytes fields as bytes) from its JSON form (bytes as hex)."""
    if not isinstance(obj, dict) or set(obj) != set(HEADER_FIELDS):
        raise ProofFileError(f"header must be an object with exactly {', '.join(HEADER_FIELDS)}")
    header: dict[str, Any] = {"chain_id": obj["chain_id"]}
    if not isinstance(obj["chain_id"], str):
        raise ProofFileError("header.chain_id must be a string")
    for name in _HEADER_INTS:
        if type(obj[name]) is not int or obj[name] < 0:
            raise ProofFileError(f"header.{name} must be a non-negative integer")
        header[name] = obj[name]
    for name in _HEADER_BYTES:
        header[name] = _hex(obj[name], f"header.{name}")
    return header


def _show_key(key: bytes) -> str:
    text = key.decode("ascii", "replace")
    if text.isprintable() and "\ufffd" not in text:
        return repr(text)
    return key.hex()


def _preview(value: bytes) -> str:
    """A short readable form of a state value (DAG-CBOR where it decodes)."""
    try:
        from finchain.codec import decode

        decoded = decode(value, max_size=1 << 20)
    except Exception:
        return f"= 0x{value.hex()}" if len(value) <= 32 else ""
    text = json.dumps(decoded, default=lambda v: v.hex() if isinstance(v, bytes) else str(v))
    return f"= {text[:120]}{'…' if len(text) > 120 else ''}"
