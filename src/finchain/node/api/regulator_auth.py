"""Who may use the regulator's routes: an account the chain lists as a regulator, per request.

Authority comes from the chain, not from who runs the node: a request to
``/v1/regulator/…`` carries a ``Finchain-Signature`` header (the scheme and the
exact bytes signed: ``finchain.formats.request_signature``) made with the
keys of an account that the credentials module's governance-held registry
lists as a regulator. The node checks, in this order:

1. the header is there and well formed (one account id, a decimal time, a
   nonce of 16-64 URL-safe characters, one or more ``sig=<key id>:<base64>``);
2. the signed time is within ``MAX_SKEW_SECONDS`` of the node's clock;
3. the account exists; every signature is by a distinct key of its *current*
   key policy (a rotated or removed key stops working at the block that
   changed it) and verifies with that key's scheme (Ed25519, SM2, …); the
   keys' weights reach the policy's threshold, as for a transaction;
4. the account is active and is a regulator now;
5. the (account, nonce) pair was not seen within the skew window.

Signatures are checked before regulator status, so "not a regulator" is only
ever said to a caller who proved the account's keys. The nonce is recorded
only after all checks passed, so nobody without the keys can fill the replay
cache. Nothing secret is compared on the node (public-key signatures only),
so no comparison needs to be constant-time; signature verification is the
crypto library's.

The bearer-token gate (``[api.auth]``) is independent and runs first: it owns
``Authorization``, which is why this scheme has a header of its own. A node
that requires tokens for reads asks a regulator for both.

The replay cache is per node process: behind a load balancer, each node
refuses replays of requests it saw itself.
"""

from __future__ import annotations

import base64
import binascii
import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Annotated, Any, cast

from fastapi import Depends, Request

from finchain.core.authority import AccountStatus
from finchain.crypto import get_suite, verify_signature
from finchain.errors import FinchainError, register
from finchain.formats.request_signature import (
    HEADER,
    MAX_SKEW_SECONDS,
    NONCE,
    canonical_query,
    query_pairs,
    signing_text,
)
from finchain.modules.accounts.types import KEY_ID, Account, is_account_id
from finchain.node.api.context import ApiContext, Ctx
from finchain.service.interface import NodeService

CODESPACE = "regauth"
ErrNoSignature = register(CODESPACE, 2, "regulator routes need a Finchain-Signature header")
ErrMalformedSignature = register(CODESPACE, 3, "malformed Finchain-Signature header")
ErrStaleRequest = register(CODESPACE, 4, "signed time too far from the node's clock")
ErrReplayedRequest = register(CODESPACE, 5, "nonce already used: sign each request anew")
ErrUnknownSigner = register(CODESPACE, 6, "the signing account does not exist on this chain")
ErrUnknownSigningKey = register(CODESPACE, 7, "a signing key is not in the account's key policy")
ErrBadRequestSignature = register(CODESPACE, 8, "request signature does not verify")
ErrSignatureWeight = register(CODESPACE, 9, "signatures do not reach the account's threshold")
ErrSignerInactive = register(CODESPACE, 10, "the signing account is frozen or closed")
ErrNotRegulator = register(CODESPACE, 11, "the signing account is not a regulator")
ErrReplayCacheFull = register(CODESPACE, 12, "too many signed requests in flight; retry shortly")

MAX_SIGNATURES = 16
MAX_HEADER = 8192
REPLAY_CAPACITY = 100_000
_TIME = "0123456789"


@dataclass(frozen=True, slots=True)
class RegulatorAccount:
    """The regulator a request was proven to come from, as the chain listed it."""

    account: str
    name: str
    height: int  # the committed height the account and the registry were read at
    key_ids: tuple[str, ...]  # the keys that signed


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """A parsed ``Finchain-Signature`` header."""

    account: str
    time: int
    nonce: str
    sigs: tuple[tuple[str, bytes], ...]


def parse_header(value: str) -> SignedRequest:
    """The header's fields; ``regauth:3`` naming the first thing wrong."""
    if len(value) > MAX_HEADER:
        raise ErrMalformedSignature(f"{HEADER} is over {MAX_HEADER} characters")
    fields: dict[str, str] = {}
    sigs: list[tuple[str, bytes]] = []
    for item in value.split(","):
        name, eq, content = item.strip().partition("=")
        if not eq:
            raise ErrMalformedSignature(f"{HEADER}: {item.strip()[:40]!r} is not name=value")
        if name == "sig":
            sigs.append(_parse_sig(content))
        elif name in ("account", "time", "nonce"):
            if name in fields:
                raise ErrMalformedSignature(f"{HEADER}: {name} given twice")
            fields[name] = content
        else:
            raise ErrMalformedSignature(
                f"{HEADER}: unknown field {name[:20]!r}; the fields are account, time, nonce, sig"
            )
    missing = [n for n in ("account", "time", "nonce") if n not in fields]
    if missing or not sigs:
        raise ErrMalformedSignature(f"{HEADER} lacks {', '.join(missing or ['sig'])}")
    if len(sigs) > MAX_SIGNATURES:
        raise ErrMalformedSignature(f"{HEADER}: at most {MAX_SIGNATURES} signatures")
    if len({k for k, _ in sigs}) != len(sigs):
        raise ErrMalformedSignature(f"{HEADER}: a key signed twice; one sig= per key")
    account, stamp, nonce = fields["account"], fields["time"], fields["nonce"]
    if not is_account_id(account):
        raise ErrMalformedSignature(
            f"{HEADER}: account {account[:20]!r} is not an account id (FC + 12 digits)"
        )
    if not stamp or len(stamp) > 12 or stamp.strip(_TIME) or (stamp[0] == "0" and stamp != "0"):
        raise ErrMalformedSignature(f"{HEADER}: time must be Unix seconds in decimal")
    if not NONCE.fullmatch(nonce):
        raise ErrMalformedSignature(
            f"{HEADER}: nonce must be 16-64 characters of A-Z a-z 0-9 _ -; use a fresh random one"
        )
    return SignedRequest(account, int(stamp), nonce, tuple(sigs))


def _parse_sig(content: str) -> tuple[str, bytes]:
    key_id, colon, encoded = content.partition(":")
    if not colon or not KEY_ID.fullmatch(key_id):
        raise ErrMalformedSignature(f"{HEADER}: sig must be <key id>:<base64 signature>")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ErrMalformedSignature(
            f"{HEADER}: signature of key {key_id!r} is not base64"
        ) from None
    if not raw or base64.b64encode(raw).decode() != encoded:
        raise ErrMalformedSignature(
            f"{HEADER}: signature of key {key_id!r} must be standard padded base64"
        )
    return key_id, raw


@dataclass
class ReplayCache:
    """(account, nonce) pairs seen, each kept until its signed time is out of the window.

    Bounded: when ``capacity`` live pairs are held, new requests are refused
    (503) rather than an old pair forgotten, which would let it be replayed.
    """

    capacity: int = REPLAY_CAPACITY
    _seen: set[tuple[str, str]] = field(default_factory=set)
    _expiry: list[tuple[int, str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self._seen)

    def seen(self, account: str, nonce: str) -> bool:
        return (account, nonce) in self._seen

    def add(self, account: str, nonce: str, expires: int, now: int) -> None:
        """Remember the pair until ``expires`` (Unix seconds); forget what expired by ``now``."""
        while self._expiry and self._expiry[0][0] < now:
            _, old_account, old_nonce = heapq.heappop(self._expiry)
            self._seen.discard((old_account, old_nonce))
        if len(self._seen) >= self.capacity:
            raise ErrReplayCacheFull(
                f"the node holds {self.capacity} signed requests of the last "
                f"{2 * MAX_SKEW_SECONDS} s; retry in a few seconds"
            )
        self._seen.add((account, nonce))
        heapq.heappush(self._expiry, (expires, account, nonce))


@dataclass
class RegulatorAuth:
    """The node's state for regulator requests: its clock, the replay cache, the chain's id."""

    clock: Callable[[], float] = time.time
    max_skew: int = MAX_SKEW_SECONDS
    replays: ReplayCache = field(default_factory=ReplayCache)
    _chain: tuple[str, Callable[[bytes], bytes]] | None = None

    @property
    def known_chain(self) -> tuple[str, Callable[[bytes], bytes]] | None:
        """``chain``'s answer once read (no node call, no worker thread), else None."""
        return self._chain

    def chain(self, node: NodeService) -> tuple[str, Callable[[bytes], bytes]]:
        """(chain id, the suite's hash); read once: neither changes while a node runs."""
        if self._chain is None:
            status = node.status()
            self._chain = (status.chain_id, get_suite(status.suite).hash)
        return self._chain


def regulator_auth(request: Request) -> RegulatorAuth:
    """The app's ``RegulatorAuth`` (``create_app`` installs one; tests may swap its clock)."""
    found = getattr(request.app.state, "finchain_regulator", None)
    if found is None:
        found = request.app.state.finchain_regulator = RegulatorAuth()
    return cast(RegulatorAuth, found)


def _lookup(node: NodeService, account: str) -> tuple[dict[str, Any] | None, dict[str, Any], int]:
    """The account's query answer (None: no such account), the regulator entry, the height."""
    regulators = node.query("credentials/regulators", {}, height=None, prove=False)
    listed = {r["account"]: r for r in regulators.value["regulators"]}
    try:
        found = node.query("accounts/account", {"account": account}, height=None, prove=False)
    except FinchainError as exc:
        if (exc.codespace, exc.code) == ("accounts", 4):  # account not found
            return None, listed.get(account, {}), regulators.height
        raise
    return found.value["account"], listed.get(account, {}), regulators.height


def verify_policy(account: Account, message: bytes, sigs: tuple[tuple[str, bytes], ...]) -> None:
    """The transaction rule for a request: distinct current keys, all verify, weight ≥ threshold."""
    weight = 0
    for key_id, sig in sigs:
        key = account.policy.key(key_id)
        if key is None:
            known = ", ".join(k.id for k in account.policy.keys)
            raise ErrUnknownSigningKey(
                f"key {key_id!r} is not a key of account {account.id} (its keys: {known}); "
                "sign with a current key",
                key_id=key_id,
            )
        if not verify_signature(key.scheme, key.public_key, message, sig):
            raise ErrBadRequestSignature(
                f"the signature by key {key_id!r} does not verify over this request: sign the "
                "exact method, path, query and body sent, with this chain's id",
                key_id=key_id,
            )
        weight += key.weight
    if weight < account.policy.threshold:
        raise ErrSignatureWeight(
            f"signatures carry weight {weight}; account {account.id} needs "
            f"{account.policy.threshold}: add signatures of more of its keys",
            weight=weight,
            threshold=account.policy.threshold,
        )


async def authenticate(request: Request, ctx: ApiContext, auth: RegulatorAuth) -> RegulatorAccount:
    """The checks of the module docstring, in order; the first failure is raised."""
    raw = request.headers.get(HEADER)
    if raw is None:
        raise ErrNoSignature(
            f"send a {HEADER} header signed with the key of a regulator account "
            "(finchain regulator …, or Client(..., regulator=...))"
        )
    signed = parse_header(raw)
    now = int(auth.clock())
    if abs(now - signed.time) > auth.max_skew:
        raise ErrStaleRequest(
            f"the request was signed at {signed.time}, the node's time is {now}: more than "
            f"{auth.max_skew} s apart; check the client's clock and sign again",
            node_time=now,
        )
    if auth.replays.seen(signed.account, signed.nonce):
        raise ErrReplayedRequest("this nonce was already used: sign each request with a new one")
    known = auth.known_chain
    if known is None:
        known = await ctx.call(partial(auth.chain, ctx.node), what="node status")
    chain_id, suite_hash = known
    body = await request.body()
    message = signing_text(
        chain_id=chain_id,
        account=signed.account,
        time=signed.time,
        nonce=signed.nonce,
        method=request.method,
        path=request.scope["path"],
        query=canonical_query(query_pairs(request.scope["query_string"].decode("latin-1"))),
        body_hash=suite_hash(body),
    )
    obj, regulator, height = await ctx.call(
        partial(_lookup, ctx.node, signed.account), what="regulator lookup"
    )
    if obj is None:
        raise ErrUnknownSigner(
            f"account {signed.account} does not exist on chain {chain_id}: check the account id"
        )
    account = Account.from_json(obj)
    verify_policy(account, message, signed.sigs)
    if account.status is not AccountStatus.ACTIVE:
        raise ErrSignerInactive(
            f"account {account.id} is {account.status}: only an active account may use "
            "the regulator's routes"
        )
    if not regulator:
        raise ErrNotRegulator(
            f"account {account.id} is not a regulator on chain {chain_id}: governance adds "
            "regulators (credentials/add_regulator)"
        )
    if auth.replays.seen(signed.account, signed.nonce):  # a twin finished while we awaited
        raise ErrReplayedRequest("this nonce was already used: sign each request with a new one")
    auth.replays.add(signed.account, signed.nonce, signed.time + auth.max_skew, now)
    return RegulatorAccount(
        account.id, str(regulator.get("name", "")), height, tuple(k for k, _ in signed.sigs)
    )


async def require_regulator(
    request: Request, ctx: Ctx, auth: Annotated[RegulatorAuth, Depends(regulator_auth)]
) -> RegulatorAccount:
    """FastAPI dependency: the proven regulator, or the request fails with a ``regauth`` code.

    Use it as ``regulator: Regulator`` in a route's parameters (or
    ``dependencies=[Depends(require_regulator)]`` on a router).
    """
    return await authenticate(request, ctx, auth)


Regulator = Annotated[RegulatorAccount, Depends(require_regulator)]
