"""Receipt format v1 and the trusted validator set: strict parsing, canonical bytes.

A receipt is one JSON document (``docs/receipts.md``). Everything in it is
either checked against something else in it (hashes, paths, signatures) or
against what the verifier trusts (the validator set, the chain), so one
altered byte anywhere makes verification fail. Two rules make that hold for
the JSON itself: parsing is strict (exact field sets, lowercase hex, canonical
base64, integers that are integers), and a receipt read from bytes must be in
its canonical serialisation (:func:`dumps`), so even whitespace is fixed.

Needs only the standard library, ``finchain.light`` and this package: the
offline verifier (``finchain.client.receipt_verify``) reads receipts through it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from finchain.errors import ErrorCode
from finchain.light.cometbft import HASH_FIELDS, merkle_root, validators_hash
from finchain.light.rfc6962 import MAX_PATH
from finchain.light.solo import HEADER_FIELDS as _SOLO_HEADER
from finchain.light.validators import Validator, validator_address
from finchain.offchain.receipts.errors import ErrMalformedReceipt, ErrMalformedTrust
from finchain.offchain.receipts.primitives import PUBLIC_KEY_SIZES, VALIDATOR_SCHEMES

VERSION = 1
ENGINES = ("solo", "cometbft")
SUITE_HASH = {"gm": "sm3", "intl": "sha256"}
HASH_ALGS = ("sm3", "sha256")
BATCH_ROOT_KIND = "batch_root"
RECORD_TYPE = "evidence/record"

MAX_RECEIPT_BYTES = 32 * 1024 * 1024  # a 16 MiB transaction (the largest block) in base64, and more
MAX_TX_BYTES = 16 * 1024 * 1024
MAX_VALIDATORS = 10_000  # CometBFT's MaxVotesCount
MAX_POWER = 2**60 // 8  # CometBFT's MaxTotalVotingPower
MAX_LEAVES = 2**40
SIDES = {"L": True, "R": False}  # True: the sibling is the left one

_HEX = re.compile(r"(?:[0-9a-f]{2})*")
_CHAIN_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,48}[a-z0-9]")  # the genesis rule
_COMET_KEY_TYPES = {"ed25519": "ed25519", "tendermint/PubKeyEd25519": "ed25519"}


@dataclass(frozen=True, slots=True)
class Batch:
    root: bytes
    leaf_index: int
    leaf_count: int
    path: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class Receipt:
    """A parsed receipt: bytes as bytes, headers and commits in the engine's hashing form."""

    chain_id: str
    engine: str
    suite: str
    hash_alg: str
    document_hash: bytes
    batch: Batch | None
    tx: bytes
    tx_id: bytes
    tx_path: tuple[tuple[bool, bytes], ...]  # (sibling is on the left, sibling hash), leaf up
    height: int
    block_hash: bytes
    header: dict[str, Any]
    commit: dict[str, Any]
    validators: tuple[Validator, ...]

    @property
    def hash_name(self) -> str:
        """The chain's suite hash: tx ids, solo headers and solo tx roots use it."""
        return SUITE_HASH[self.suite]


@dataclass(frozen=True, slots=True)
class TrustedSet:
    """What the verifier trusts: a chain and its validator set (and suite, from a genesis)."""

    chain_id: str
    validators: tuple[Validator, ...]
    suite: str | None
    source: str  # "genesis" | "cometbft genesis" | "validator set"


# -- canonical JSON ----------------------------------------------------------------------------


def dumps(document: Any) -> bytes:
    """The canonical bytes of a receipt or validator-set document (what tools write)."""
    return (json.dumps(document, indent=1, sort_keys=True, ensure_ascii=True) + "\n").encode()


def loads(data: bytes, error: ErrorCode, *, canonical: bool) -> Any:
    """Parse JSON strictly (no duplicate keys, NaN or floats); with ``canonical``, require
    the bytes to be exactly :func:`dumps` of what they hold."""
    if len(data) > MAX_RECEIPT_BYTES:
        raise error(f"{len(data)} bytes exceeds the limit of {MAX_RECEIPT_BYTES}")
    try:
        document = json.loads(
            data.decode("utf-8"),
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
            parse_float=_no_float,
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise error(f"not valid JSON: {exc}") from None
    if canonical and dumps(document) != data:
        raise error(
            "not in canonical form (bytes were added, removed or changed since it was "
            "written): use the receipt exactly as finchain wrote it"
        )
    return document


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("a key appears twice in one object")
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _no_float(text: str) -> Any:
    raise ValueError(f"{text} is not an integer")


# -- field readers -----------------------------------------------------------------------------


class _Reader:
    """Reads one object's fields, naming the full path of any field it refuses."""

    def __init__(self, obj: Any, where: str, fields: tuple[str, ...], error: ErrorCode) -> None:
        self.where, self.error = where, error
        if not isinstance(obj, dict):
            raise error(f"{where or 'the document'} must be a JSON object")
        if set(obj) != set(fields):
            missing = sorted(set(fields) - set(obj))
            unknown = sorted(set(obj) - set(fields))
            raise error(
                f"{where or 'the document'}: missing fields {missing}, unknown fields {unknown}"
            )
        self.obj = obj

    def name(self, field: str) -> str:
        return f"{self.where}.{field}" if self.where else field

    def fail(self, field: str, what: str) -> Exception:
        return self.error(f"{self.name(field)} must be {what}")

    def integer(self, field: str, low: int = 0, high: int = 2**63 - 1) -> int:
        value = self.obj[field]
        if type(value) is not int or not low <= value <= high:
            raise self.fail(field, f"an integer in [{low}, {high}]")
        return value

    def text(self, field: str, choices: tuple[str, ...] = ()) -> str:
        value = self.obj[field]
        if type(value) is not str or (choices and value not in choices):
            raise self.fail(field, f"one of {list(choices)}" if choices else "a string")
        return value

    def hex(self, field: str, sizes: tuple[int, ...] = (), max_size: int = 64) -> bytes:
        return _hex(self.obj[field], self.name(field), self.error, sizes, max_size)

    def items(self, field: str, limit: int) -> list[Any]:
        value = self.obj[field]
        if type(value) is not list or len(value) > limit:
            raise self.fail(field, f"a list of at most {limit} items")
        return value


def _hex(value: Any, name: str, error: ErrorCode, sizes: tuple[int, ...], max_size: int) -> bytes:
    if type(value) is not str or not _HEX.fullmatch(value) or len(value) > 2 * max_size:
        raise error(f"{name} must be lowercase hex of at most {max_size} bytes")
    data = bytes.fromhex(value)
    if sizes and len(data) not in sizes:
        raise error(f"{name} must be {' or '.join(map(str, sizes))} bytes, got {len(data)}")
    return data


def _b64(value: Any, name: str, error: ErrorCode) -> bytes:
    if type(value) is not str or len(value) > MAX_TX_BYTES * 4 // 3 + 4:
        raise error(f"{name} must be standard padded base64 of at most {MAX_TX_BYTES} bytes")
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise error(f"{name} is not standard padded base64") from None
    if base64.b64encode(data).decode() != value:
        raise error(f"{name} is not in canonical base64 (padding bits set)")
    return data


# -- receipts ----------------------------------------------------------------------------------


def parse_receipt(document: Any) -> Receipt:
    """A :class:`Receipt` from its JSON value; ErrMalformedReceipt naming the field otherwise."""
    err = ErrMalformedReceipt
    if isinstance(document, dict) and document.get("version") != VERSION:
        raise err(f"version is {document.get('version')!r}; this verifier reads version {VERSION}")
    top = _Reader(
        document, "", ("version", "chain", "document", "batch", "tx", "block", "validators"), err
    )
    chain = _Reader(top.obj["chain"], "chain", ("chain_id", "engine", "suite"), err)
    chain_id = chain.text("chain_id")
    if not _CHAIN_ID.fullmatch(chain_id):
        raise err(f"chain.chain_id {chain_id[:60]!r} is not a chain id")
    engine = chain.text("engine", ENGINES)
    suite = chain.text("suite", tuple(SUITE_HASH))
    doc = _Reader(top.obj["document"], "document", ("hash_alg", "hash"), err)
    hash_alg = doc.text("hash_alg", HASH_ALGS)
    document_hash = doc.hex("hash", (32,))
    batch = None if top.obj["batch"] is None else _batch(top.obj["batch"])
    tx = _Reader(top.obj["tx"], "tx", ("bytes", "id", "path"), err)
    raw = _b64(tx.obj["bytes"], "tx.bytes", err)
    tx_id = tx.hex("id", (32,))
    tx_path = tuple(
        _side(item, f"tx.path[{i}]") for i, item in enumerate(tx.items("path", MAX_PATH))
    )
    block = _Reader(top.obj["block"], "block", ("height", "hash", "header", "commit"), err)
    height = block.integer("height", 1)
    block_hash = block.hex("hash", (32,))
    if engine == "solo":
        header = _solo_header(block.obj["header"])
        commit = _solo_commit(block.obj["commit"])
    else:
        header = _comet_header(block.obj["header"])
        commit = _comet_commit(block.obj["commit"])
    validators = tuple(
        _validator(item, f"validators[{i}]", err)
        for i, item in enumerate(top.items("validators", MAX_VALIDATORS))
    )
    if not validators:
        raise err("validators must not be empty")
    return Receipt(
        chain_id, engine, suite, hash_alg, document_hash, batch, raw, tx_id, tx_path,
        height, block_hash, header, commit, validators,
    )  # fmt: skip


def _batch(obj: Any) -> Batch:
    r = _Reader(obj, "batch", ("root", "leaf_index", "leaf_count", "path"), ErrMalformedReceipt)
    count = r.integer("leaf_count", 1, MAX_LEAVES)
    index = r.integer("leaf_index", 0, count - 1)
    path = tuple(
        _hex(item, f"batch.path[{i}]", ErrMalformedReceipt, (32,), 32)
        for i, item in enumerate(r.items("path", MAX_PATH))
    )
    return Batch(r.hex("root", (32,)), index, count, path)


def _side(item: Any, name: str) -> tuple[bool, bytes]:
    if type(item) is not list or len(item) != 2 or item[0] not in SIDES:
        raise ErrMalformedReceipt(f'{name} must be ["L" or "R", sibling hash hex]')
    return SIDES[item[0]], _hex(item[1], f"{name}[1]", ErrMalformedReceipt, (32,), 32)


def _solo_header(obj: Any) -> dict[str, Any]:
    r = _Reader(obj, "block.header", _SOLO_HEADER, ErrMalformedReceipt)
    return {
        "chain_id": r.text("chain_id"),
        "height": r.integer("height", 1),
        "time_ns": r.integer("time_ns"),
        "last_block_hash": r.hex("last_block_hash", (32,)),
        "tx_root": r.hex("tx_root", (32,)),
        "app_hash": r.hex("app_hash", (32,)),
        "proposer": r.hex("proposer", tuple(PUBLIC_KEY_SIZES.values()), max_size=65),
    }


def _solo_commit(obj: Any) -> dict[str, Any]:
    r = _Reader(obj, "block.commit", ("signatures",), ErrMalformedReceipt)
    signatures = []
    for i, item in enumerate(r.items("signatures", MAX_VALIDATORS)):
        s = _Reader(
            item, f"block.commit.signatures[{i}]", ("validator_address", "signature"),
            ErrMalformedReceipt,
        )  # fmt: skip
        signatures.append(
            {
                "validator_address": s.hex("validator_address", (20,)),
                "signature": s.hex("signature"),
            }
        )
    return {"signatures": signatures}


def _block_id(obj: Any, where: str) -> dict[str, Any]:
    r = _Reader(obj, where, ("hash", "parts"), ErrMalformedReceipt)
    parts = _Reader(r.obj["parts"], f"{where}.parts", ("total", "hash"), ErrMalformedReceipt)
    return {
        "hash": r.hex("hash", (0, 32)),
        "parts": {
            "total": parts.integer("total", 0, 2**32 - 1),
            "hash": parts.hex("hash", (0, 32)),
        },
    }


def _comet_header(obj: Any) -> dict[str, Any]:
    fields = ("version", "chain_id", "height", "time_ns", "last_block_id", *HASH_FIELDS)
    r = _Reader(obj, "block.header", fields, ErrMalformedReceipt)
    version = _Reader(
        r.obj["version"], "block.header.version", ("block", "app"), ErrMalformedReceipt
    )
    header: dict[str, Any] = {
        "version": {"block": version.integer("block"), "app": version.integer("app")},
        "chain_id": r.text("chain_id"),
        "height": r.integer("height", 1),
        "time_ns": r.integer("time_ns"),
        "last_block_id": _block_id(r.obj["last_block_id"], "block.header.last_block_id"),
    }
    for name in HASH_FIELDS:
        header[name] = r.hex(name, (20,) if name == "proposer_address" else (0, 32))
    return header


def _comet_commit(obj: Any) -> dict[str, Any]:
    r = _Reader(
        obj, "block.commit", ("height", "round", "block_id", "signatures"), ErrMalformedReceipt
    )
    signatures = []
    for i, item in enumerate(r.items("signatures", MAX_VALIDATORS)):
        s = _Reader(
            item, f"block.commit.signatures[{i}]",
            ("block_id_flag", "validator_address", "time_ns", "signature"), ErrMalformedReceipt,
        )  # fmt: skip
        signatures.append(
            {
                "block_id_flag": s.integer("block_id_flag", 2, 3),  # commit or nil; absent omitted
                "validator_address": s.hex("validator_address", (20,)),
                "time_ns": s.integer("time_ns"),
                "signature": s.hex("signature", (64,)),
            }
        )
    return {
        "height": r.integer("height", 1),
        "round": r.integer("round", 0, 2**31 - 1),
        "block_id": _block_id(r.obj["block_id"], "block.commit.block_id"),
        "signatures": signatures,
    }


def _validator(obj: Any, where: str, error: ErrorCode) -> Validator:
    r = _Reader(obj, where, ("address", "scheme", "public_key", "power"), error)
    scheme = r.text("scheme", VALIDATOR_SCHEMES)
    public_key = r.hex("public_key", (PUBLIC_KEY_SIZES[scheme],), max_size=65)
    address = r.hex("address", (20,))
    if address != validator_address(public_key):
        raise error(f"{where}.address is not the address of its public key")
    return Validator(address, scheme, public_key, r.integer("power", 1, MAX_POWER))


# -- trusted validator sets --------------------------------------------------------------------


def set_hash(engine: str, validators: tuple[Validator, ...]) -> bytes:
    """The hash that identifies a validator set (order-independent).

    CometBFT: the header's ``validators_hash`` (Ed25519 keys and powers). Solo
    (any scheme): the same tree over ``scheme ‖ 0x00 ‖ key ‖ power`` leaves.
    """
    if engine == "cometbft":
        return validators_hash([(v.public_key, v.power) for v in validators])
    ordered = sorted(validators, key=lambda v: (-v.power, v.address))
    return merkle_root(
        [v.scheme.encode() + b"\x00" + v.public_key + v.power.to_bytes(8, "big") for v in ordered]
    )


def parse_trust(document: Any) -> TrustedSet:
    """A trusted set from a finchain genesis, a CometBFT genesis or a validator-set document."""
    err = ErrMalformedTrust
    if not isinstance(document, dict) or not isinstance(document.get("validators"), list):
        raise err("the trusted file must be a JSON object with a validators list")
    chain_id = document.get("chain_id")
    if not isinstance(chain_id, str) or not _CHAIN_ID.fullmatch(chain_id):
        raise err("the trusted file has no valid chain_id")
    entries = document["validators"]
    if not entries or len(entries) > MAX_VALIDATORS:
        raise err(f"the trusted file must name 1 to {MAX_VALIDATORS} validators")
    if document.get("version") == VERSION and set(document) == {
        "version",
        "chain_id",
        "validators",
    }:
        validators = tuple(_validator(e, f"validators[{i}]", err) for i, e in enumerate(entries))
        source, suite = "validator set", None
    else:
        validators = tuple(_genesis_validator(e, i) for i, e in enumerate(entries))
        finchain = "app_state" in document and document.get("suite") in SUITE_HASH
        source = "genesis" if finchain else "cometbft genesis"
        suite = document["suite"] if finchain else None
    if len({v.address for v in validators}) != len(validators):
        raise err("the trusted file names the same validator twice")
    return TrustedSet(chain_id, validators, suite, source)


def _genesis_validator(entry: Any, index: int) -> Validator:
    where = f"validators[{index}]"
    if not isinstance(entry, dict) or not isinstance(entry.get("pub_key"), dict):
        raise ErrMalformedTrust(f"{where} must be an object with pub_key")
    key = entry["pub_key"]
    scheme = _COMET_KEY_TYPES.get(key.get("type"), key.get("type"))
    if scheme not in VALIDATOR_SCHEMES:
        raise ErrMalformedTrust(f"{where}: key type {key.get('type')!r} cannot sign blocks")
    public_key = _b64(key.get("value"), f"{where}.pub_key.value", ErrMalformedTrust)
    if len(public_key) != PUBLIC_KEY_SIZES[scheme]:
        raise ErrMalformedTrust(f"{where}: an {scheme} key has {PUBLIC_KEY_SIZES[scheme]} bytes")
    power = entry.get("power")
    if not isinstance(power, str) or not power.isdigit() or not 1 <= int(power) <= MAX_POWER:
        raise ErrMalformedTrust(f'{where}: power must be a decimal string like "10"')
    return Validator(validator_address(public_key), scheme, public_key, int(power))


def valset_document(chain_id: str, validators: tuple[Validator, ...]) -> dict[str, Any]:
    """A validator-set document (``--trust``) for a chain whose set changed since genesis."""
    return {
        "version": VERSION,
        "chain_id": chain_id,
        "validators": [v.to_json() for v in validators],
    }
