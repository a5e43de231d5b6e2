"""The genesis document: the agreed starting point of a chain.

JSON for humans (amounts as decimal strings, keys in hex); its canonical form
is the DAG-CBOR encoding of the same JSON value, and the genesis hash is the
suite hash of that, recorded in state so a node can never be started against a
database of another chain.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from finchain.codec import encode
from finchain.core.errors import ErrBadGenesis
from finchain.core.params import ChainParams
from finchain.crypto import SUITES, get_suite

CHAIN_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,48}[a-z0-9]")
FIELDS = {
    "chain_id",
    "suite",
    "genesis_time",
    "initial_height",
    "params",
    "validators",
    "app_state",
}
MAX_GENESIS_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class Genesis:
    chain_id: str
    suite: str
    genesis_time: str
    params: ChainParams = field(default_factory=ChainParams)
    app_state: dict[str, Any] = field(default_factory=dict)
    validators: list[dict[str, Any]] = field(default_factory=list)
    initial_height: int = 1

    def to_json_obj(self) -> dict[str, Any]:
        return {
            "chain_id": self.chain_id,
            "suite": self.suite,
            "genesis_time": self.genesis_time,
            "initial_height": self.initial_height,
            "params": self.params.to_obj(),
            "validators": self.validators,
            "app_state": self.app_state,
        }

    def hash(self) -> bytes:
        return get_suite(self.suite).hash(encode(self.to_json_obj()))

    @property
    def time_ns(self) -> int:
        return parse_time_ns(self.genesis_time)

    def save(self, path: str | os.PathLike[str]) -> None:
        Path(path).write_text(json.dumps(self.to_json_obj(), indent=2, sort_keys=True) + "\n")

    @classmethod
    def from_json_obj(cls, obj: Any, *, source: str = "genesis") -> Genesis:
        if not isinstance(obj, dict):
            raise ErrBadGenesis(f"{source}: the document must be a JSON object")
        missing, unknown = sorted(FIELDS - obj.keys()), sorted(obj.keys() - FIELDS)
        if missing or unknown:
            raise ErrBadGenesis(f"{source}: missing keys {missing}, unknown keys {unknown}")
        chain_id = obj["chain_id"]
        if not isinstance(chain_id, str) or not CHAIN_ID.fullmatch(chain_id):
            raise ErrBadGenesis(
                f"{source}: chain_id must match {CHAIN_ID.pattern}, got {chain_id!r}"
            )
        if obj["suite"] not in SUITES:
            raise ErrBadGenesis(
                f"{source}: suite must be one of {sorted(SUITES)}, got {obj['suite']!r}"
            )
        initial_height = obj["initial_height"]
        if type(initial_height) is not int or not 1 <= initial_height < 2**62:
            raise ErrBadGenesis(
                f"{source}: initial_height must be an integer >= 1 (1 for a new chain, "
                "the exported height + 1 for a chain continued from an export)"
            )
        parse_time_ns(obj["genesis_time"], source=source)
        if not isinstance(obj["validators"], list) or not isinstance(obj["app_state"], dict):
            raise ErrBadGenesis(f"{source}: validators must be a list and app_state an object")
        try:
            params = ChainParams.from_obj(obj["params"])
        except Exception as exc:
            raise ErrBadGenesis(f"{source}: params: {exc}") from None
        return cls(
            chain_id,
            obj["suite"],
            obj["genesis_time"],
            params,
            obj["app_state"],
            obj["validators"],
            initial_height,
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Genesis:
        source = str(path)
        try:
            if os.path.getsize(path) > MAX_GENESIS_BYTES:
                raise ErrBadGenesis(f"{source}: larger than {MAX_GENESIS_BYTES} bytes")
            obj = json.loads(Path(path).read_text())
        except OSError as exc:
            raise ErrBadGenesis(f"{source}: cannot read: {exc.strerror}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ErrBadGenesis(f"{source}: not valid JSON: {exc}") from None
        return cls.from_json_obj(obj, source=source)


def parse_time_ns(text: Any, *, source: str = "genesis") -> int:
    """RFC 3339 UTC time with a ``Z`` suffix to integer nanoseconds since the epoch."""
    if not isinstance(text, str) or not text.endswith("Z"):
        raise ErrBadGenesis(
            f"{source}: genesis_time must be an RFC 3339 UTC time like 2026-01-01T00:00:00Z"
        )
    try:
        moment = datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)
    except ValueError:
        raise ErrBadGenesis(f"{source}: genesis_time {text!r} is not an RFC 3339 time") from None
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000
