"""``config.toml``: how one node runs (never what the chain agrees on — that is genesis).

Every error names the file, the key and what is allowed, so an operator can fix
it without reading code.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from finchain.node.errors import ErrConfig

DEFAULT_CONFIG = """\
# finchain node configuration. Chain-wide rules live in genesis.json, not here.

[node]
engine = "solo"            # "solo" (embedded block producer) or "cometbft"
log_format = "text"        # "text" or "json"
log_level = "info"         # "debug", "info", "warning", "error"

[api]
listen = "127.0.0.1:8640"  # host:port of the HTTP API
max_body_bytes = 16777216  # larger requests get 413
max_concurrency = 64       # requests being processed; beyond that 429
max_uploads = 128          # request bodies being received at once; beyond that 429
max_connections = 4096     # client connections the native front end serves at once
head_timeout = 10.0        # seconds to send a request's head (line + headers); then closed
body_timeout = 10.0        # seconds of grace to send a body; then 408 and closed ...
body_min_rate = 65536      # ... plus 1 s per this many bytes received (bytes per second)
request_timeout = 30.0     # seconds per request
max_batch = 2000           # transactions per batch submission

# [api.auth]               # user logins (users: `finchain users add`); docs/OPERATIONS.md
# enabled = false          # true: the API authenticates users with bearer tokens
# required_for = ["submit", "read"]  # route groups that need a token
# max_failures = 5         # consecutive failed logins that lock a username
# max_failures_per_address = 20      # ... that lock a client address
# lockout_seconds = 900    # how long a lockout lasts
# token_ttl_seconds = 3600 # how long a login lasts
# max_sessions = 10000     # live sessions on this node; beyond, logins get 503

[solo]
block_interval = 1.0       # seconds between blocks
instant = false            # true: a block as soon as transactions wait
mempool_max_txs = 200000
mempool_max_bytes = 268435456

[storage]
keep_recent = 0            # state versions kept for historical queries; 0 keeps all

# [indexer]                # the SQL index of the chain: docs/regulation/indexer.md
# db = ""                  # sqlite:///PATH.db or postgresql://USER@HOST:PORT/DB
# run = false              # true: this (solo) node runs the indexer itself, into db
"""


@dataclass(frozen=True)
class NodeSection:
    engine: str = "solo"
    log_format: str = "text"
    log_level: str = "info"


#: Route groups ``[api.auth] required_for`` may name: posting transactions, everything else.
AUTH_GROUPS = ("submit", "read")


@dataclass(frozen=True)
class AuthSection:
    """``[api.auth]``: user logins with failed-login lockout (off unless enabled)."""

    enabled: bool = False
    required_for: tuple[str, ...] = AUTH_GROUPS
    max_failures: int = 5
    max_failures_per_address: int = 20
    lockout_seconds: int = 900
    token_ttl_seconds: int = 3600
    max_sessions: int = 10_000


@dataclass(frozen=True)
class ApiSection:
    """``[api]``: where the API listens, the request bounds an owner may set (``LIMIT_KEYS``,
    described in ``ApiLimits``; their defaults here are its defaults), and ``[api.auth]``."""

    listen: str = "127.0.0.1:8640"
    #: "native": the socket is served by the Rust front end, which answers single
    #: submissions itself and hands every other connection to the Python API
    #: (finchain.node.front); "python": uvicorn serves the socket directly.
    front: str = "native"
    max_body_bytes: int = 16 * 1024 * 1024
    max_concurrency: int = 64
    max_uploads: int = 128
    max_connections: int = 4096
    head_timeout: float = 10.0
    body_timeout: float = 10.0
    body_min_rate: int = 64 * 1024
    request_timeout: float = 30.0
    max_batch: int = 2000
    auth: AuthSection = field(default_factory=AuthSection)

    @property
    def host(self) -> str:
        return self.listen.rsplit(":", 1)[0]

    @property
    def port(self) -> int:
        return int(self.listen.rsplit(":", 1)[1])


@dataclass(frozen=True)
class SoloSection:
    block_interval: float = 1.0
    instant: bool = False
    mempool_max_txs: int = 200_000
    mempool_max_bytes: int = 256 * 1024 * 1024


@dataclass(frozen=True)
class StorageSection:
    keep_recent: int = 0


@dataclass(frozen=True)
class IndexerSection:
    """``[indexer]``: where the chain's SQL index is (``db``: a ``finchain index`` URL, "" for
    none), and whether the node runs the indexer itself (``run``, solo nodes) rather than
    leaving it to a ``finchain index run`` service of its own."""

    db: str = ""
    run: bool = False


@dataclass(frozen=True)
class NodeConfig:
    node: NodeSection = field(default_factory=NodeSection)
    api: ApiSection = field(default_factory=ApiSection)
    solo: SoloSection = field(default_factory=SoloSection)
    storage: StorageSection = field(default_factory=StorageSection)
    indexer: IndexerSection = field(default_factory=IndexerSection)


_SECTIONS: dict[str, type] = {
    "node": NodeSection,
    "api": ApiSection,
    "solo": SoloSection,
    "storage": StorageSection,
    "indexer": IndexerSection,
}
_CHOICES = {
    ("node", "engine"): ("solo", "cometbft"),
    ("node", "log_format"): ("text", "json"),
    ("node", "log_level"): ("debug", "info", "warning", "error"),
    ("api.auth", "required_for"): AUTH_GROUPS,
    ("api", "front"): ("native", "python"),
}
#: The ``[api]`` keys that set a bound of the API's ``ApiLimits`` (all greater than 0).
LIMIT_KEYS = tuple(f.name for f in fields(ApiSection) if f.name not in ("listen", "front", "auth"))
_POSITIVE = {("api", key) for key in LIMIT_KEYS} | {
    ("solo", "block_interval"),
    ("solo", "mempool_max_txs"),
    ("solo", "mempool_max_bytes"),
}
#: Upper bounds (inclusive) that keep a typo from disabling a protection in effect.
_MAXIMUM = {
    ("api", "max_uploads"): 100_000,
    ("api", "max_connections"): 1_000_000,
    ("api", "head_timeout"): 300,
    ("api", "body_timeout"): 3600,
    ("api.auth", "max_failures"): 1000,
    ("api.auth", "max_failures_per_address"): 100_000,
    ("api.auth", "lockout_seconds"): 366 * 86400,
    ("api.auth", "token_ttl_seconds"): 7 * 86400,
    ("api.auth", "max_sessions"): 1_000_000,
}
_POSITIVE |= set(_MAXIMUM)
#: Lower bounds (inclusive) with the same purpose: a body trickled at 1 byte per second
#: would meet a minimum rate of 1 and hold an upload slot for ever.
_MINIMUM = {
    ("api", "body_min_rate"): 1024,
}


def load_config(path: Path) -> NodeConfig:
    """Read and validate ``path``; a missing file means the defaults."""
    if not path.exists():
        return NodeConfig()
    try:
        raw = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise ErrConfig(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ErrConfig(f"{path}: not valid TOML: {exc}") from None
    return parse_config(raw, source=str(path))


def parse_config(raw: dict[str, Any], *, source: str) -> NodeConfig:
    unknown = sorted(set(raw) - set(_SECTIONS))
    if unknown:
        raise ErrConfig(f"{source}: unknown section [{unknown[0]}]; allowed: {sorted(_SECTIONS)}")
    sections: dict[str, Any] = {}
    for name, cls in _SECTIONS.items():
        table = raw.get(name, {})
        if not isinstance(table, dict):
            raise ErrConfig(f"{source}: [{name}] must be a table")
        if name == "api":
            table = dict(table)
            auth = table.pop("auth", {})
            if not isinstance(auth, dict):
                raise ErrConfig(f"{source}: [api.auth] must be a table")
            table["auth"] = _parse_section("api.auth", AuthSection, auth, source)
        sections[name] = _parse_section(name, cls, table, source)
    config = NodeConfig(**sections)
    _check_listen(config.api.listen, source)
    if config.indexer.run and not config.indexer.db:
        raise ErrConfig(f"{source}: indexer.run = true needs indexer.db, the index's URL")
    return config


def _parse_section(name: str, cls: type, table: dict[str, Any], source: str) -> Any:
    allowed = {f.name: f for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in allowed:
            raise ErrConfig(f"{source}: unknown key {name}.{key}; allowed: {sorted(allowed)}")
        if isinstance(value, AuthSection):  # the sub-table, already parsed
            values[key] = value
            continue
        default = allowed[key].default
        expected = type(default)
        if expected is tuple:
            values[key] = _parse_list(name, key, value, source)
            continue
        ok = type(value) is expected or (expected is float and type(value) is int)
        if not ok:
            raise ErrConfig(
                f"{source}: key {name}.{key} must be {expected.__name__}, "
                f"got {type(value).__name__} {value!r}"
            )
        choices = _CHOICES.get((name, key))
        if choices and value not in choices:
            raise ErrConfig(
                f"{source}: key {name}.{key} is {value!r}; allowed: {', '.join(choices)}"
            )
        if (name, key) in _POSITIVE and value <= 0:
            raise ErrConfig(f"{source}: key {name}.{key} must be greater than 0, got {value!r}")
        maximum = _MAXIMUM.get((name, key))
        if maximum is not None and value > maximum:
            raise ErrConfig(f"{source}: key {name}.{key} must be at most {maximum}, got {value!r}")
        minimum = _MINIMUM.get((name, key))
        if minimum is not None and value < minimum:
            raise ErrConfig(f"{source}: key {name}.{key} must be at least {minimum}, got {value!r}")
        if key == "keep_recent" and value < 0:
            raise ErrConfig(f"{source}: key {name}.{key} must be 0 (keep all) or more")
        values[key] = float(value) if expected is float else value
    return cls(**values)


def _parse_list(name: str, key: str, value: Any, source: str) -> tuple[str, ...]:
    """A list of distinct strings, each one of the key's choices."""
    choices = _CHOICES[(name, key)]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ErrConfig(
            f"{source}: key {name}.{key} must be a list of strings from: {', '.join(choices)}; "
            f"got {value!r}"
        )
    for item in value:
        if item not in choices:
            raise ErrConfig(
                f"{source}: key {name}.{key} has {item!r}; allowed: {', '.join(choices)}"
            )
    if len(set(value)) != len(value):
        raise ErrConfig(f"{source}: key {name}.{key} names a group twice: {value!r}")
    return tuple(value)


def _check_listen(listen: str, source: str) -> None:
    host, sep, port = listen.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ErrConfig(
            f"{source}: key api.listen must be host:port (e.g. 127.0.0.1:8640), got {listen!r}"
        )
