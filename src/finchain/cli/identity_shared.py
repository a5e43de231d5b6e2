"""What the ``did``, ``vc`` and ``kyc`` commands share: DIDs, times, JSON files.

A DID key is an ordinary keystore key named with ``--key`` (unlocked by
``KeyOptions.key``); it signs DID-side statements (binding proofs, credentials,
presentations), never transactions, which ``--from`` signs as everywhere else.
Times are RFC 3339 with a zone (``2026-01-31T12:00:00Z``); "now" is this
machine's clock, which is right for a client: the chain and the verifier never
read it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from finchain.cli.common import load_json_file
from finchain.cli.output import CliError
from finchain.errors import FinchainError
from finchain.offchain.vc import is_did, parse_time

DEFAULT_KEY_ID = "k1"

KeyIdOpt = Annotated[
    str, typer.Option("--key-id", help="the key's id in the DID document (<did>#<key-id>)")
]


def check_did(text: str, what: str = "DID") -> str:
    if not is_did(text):
        raise CliError(
            f"{what} {text[:120]!r} is not a did:finchain DID "
            "(did:finchain:<chain-id>:<12 digits>; copy it from `finchain did create`)"
        )
    return text


def when(text: str | None, option: str) -> datetime:
    """``text`` as an aware time, or now when not given."""
    if text is None:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        return parse_time(text)
    except FinchainError as exc:
        raise CliError(
            f"{option} {text!r} is not an RFC 3339 time with a zone, e.g. 2026-01-31T12:00:00Z"
        ) from exc


def time_ns(moment: datetime) -> int:
    """Nanoseconds since the epoch, the chain's clock unit (exact: no float)."""
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


def read_document(path: Path, what: str) -> dict[str, Any]:
    data = load_json_file(path, what)
    if not isinstance(data, dict):
        raise CliError(f"{what} file {path} must hold a JSON object")
    return data


def claims_argument(text: str | None) -> dict[str, Any]:
    """``--claims``: inline JSON, or ``@FILE``."""
    if text is None:
        return {}
    data = load_json_file(Path(text[1:]), "claims") if text.startswith("@") else _parse(text)
    if not isinstance(data, dict):
        raise CliError("--claims must be a JSON object, inline or as @FILE")
    return data


def _parse(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise CliError(f"--claims is not valid JSON: {exc}") from None
