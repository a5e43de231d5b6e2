"""The ante chain: every check a transaction passes before its messages run.

Order (cheap and stateless first, then state): decode → stateless checks →
expiry → signature policy (weight, then the account's multi-factor rules) →
nonce → account status → policy hooks. The steps
after decoding run against the transaction's own overlay, and the only write
they make is the nonce increment, so a transaction rejected here leaves state
exactly as it was.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence

from finchain.codec import Tx
from finchain.core import gas
from finchain.core.context import Context
from finchain.core.deps import AccountAuthority, SignerInfo
from finchain.core.errors import (
    ErrAccountClosed,
    ErrAccountFrozen,
    ErrBadNonce,
    ErrBadSignature,
    ErrDuplicateSignature,
    ErrEmptyTx,
    ErrExpired,
    ErrInsufficientWeight,
    ErrMemoTooLong,
    ErrResetLock,
    ErrTooManyMsgs,
    ErrTooManySigs,
    ErrUnknownAccount,
    ErrUnknownKey,
    ErrUnknownMsg,
    ErrWrongChain,
)
from finchain.core.module import Handler
from finchain.core.msgs import Msg, tx_operations
from finchain.core.params import ChainParams
from finchain.crypto import verify_signature
from finchain.errors import FinchainError

PolicyHook = Callable[[Context, Tx, Sequence[Msg]], None]
"""A chain policy (compliance, limits): raise a FinchainError to reject the transaction."""

_VERIFIED_CACHE_SIZE = 200_000


class SignatureCache:
    """Remembers signatures already verified, keyed by (tx id, scheme, public key).

    The tx id is the hash of the complete signed bytes, so the entry stands for a
    pure fact — this key's signature inside these bytes is valid — and can never
    vouch for anything else. A miss simply verifies again.
    """

    def __init__(self, size: int = _VERIFIED_CACHE_SIZE) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[bytes, str, bytes], None] = OrderedDict()

    def __contains__(self, entry: tuple[bytes, str, bytes]) -> bool:
        return entry in self._entries

    def add(self, entry: tuple[bytes, str, bytes]) -> None:
        self._entries[entry] = None
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)


def parse_msgs(tx: Tx, handlers: Mapping[str, tuple[type[Msg], Handler]]) -> list[Msg]:
    msgs = []
    for index, raw in enumerate(tx.body.msgs):
        route = handlers.get(raw.type)
        if route is None:
            raise ErrUnknownMsg(f"message #{index} has unknown type {raw.type!r}")
        try:
            msg = route[0].from_value(raw.value)
            msg.validate()
        except FinchainError as exc:
            raise exc.error(
                f"message #{index} ({raw.type}): {exc.message}", **exc.details
            ) from None
        msgs.append(msg)
    return msgs


def stateless_checks(tx: Tx, chain_id: str, params: ChainParams) -> None:
    body = tx.body
    if body.chain_id != chain_id:
        raise ErrWrongChain(f"transaction is for chain {body.chain_id!r}, this is {chain_id!r}")
    if not body.msgs or not tx.signatures:
        raise ErrEmptyTx("a transaction needs at least one message and one signature")
    if len(body.msgs) > params.max_msgs_per_tx:
        raise ErrTooManyMsgs(
            f"{len(body.msgs)} messages; at most {params.max_msgs_per_tx} per transaction"
        )
    if len(tx.signatures) > params.max_sigs_per_tx:
        raise ErrTooManySigs(f"{len(tx.signatures)} signatures; at most {params.max_sigs_per_tx}")
    if len(body.memo.encode()) > params.max_memo_bytes:
        raise ErrMemoTooLong(f"memo exceeds {params.max_memo_bytes} bytes")


class AnteChain:
    def __init__(
        self, accounts: AccountAuthority, hooks: Sequence[PolicyHook], cache: SignatureCache
    ) -> None:
        self._accounts = accounts
        self._hooks = list(hooks)
        self._cache = cache

    def add_hook(self, hook: PolicyHook) -> None:
        self._hooks.append(hook)

    def run(self, ctx: Context, tx: Tx, tx_id: bytes, msgs: Sequence[Msg]) -> None:
        body = tx.body
        if body.expiry and ctx.height > body.expiry:
            raise ErrExpired(
                f"transaction expired at height {body.expiry}; this block is {ctx.height}"
            )
        info = self._accounts.signer_info(ctx, body.account)
        if info is None:
            raise ErrUnknownAccount(f"account {body.account} does not exist")
        self._check_signatures(ctx, tx, tx_id, info)
        if info.factors is not None:
            # Every signature verified above; the account's rules decide whether the
            # factors of those keys suffice for what the messages do (docs/multifactor.md).
            info.factors.require([sig.key_id for sig in tx.signatures], tx_operations(msgs))
        if body.nonce != info.nonce:
            raise ErrBadNonce(
                f"nonce {body.nonce} does not match the account's next nonce {info.nonce}: "
                "re-sign with the current nonce (query the account)"
            )
        self._check_status(info, body.account, msgs)
        for hook in self._hooks:
            hook(ctx, tx, msgs)
        self._accounts.set_nonce(ctx, body.account, info.nonce + 1)

    def _check_signatures(self, ctx: Context, tx: Tx, tx_id: bytes, info: SignerInfo) -> None:
        seen: set[str] = set()
        weight = 0
        message = b""
        for sig in tx.signatures:
            if sig.key_id in seen:
                raise ErrDuplicateSignature(f"key {sig.key_id!r} signed twice")
            seen.add(sig.key_id)
            key = info.keys.get(sig.key_id)
            if key is None:
                raise ErrUnknownKey(f"key {sig.key_id!r} is not a key of account {tx.body.account}")
            ctx.store.meter.charge(gas.SIG_VERIFY[key.scheme], "verifying signatures")
            entry = (tx_id, key.scheme, key.public_key + sig.signature)
            if entry not in self._cache:
                message = message or tx.sign_bytes()
                if not verify_signature(key.scheme, key.public_key, message, sig.signature):
                    raise ErrBadSignature(f"signature by key {sig.key_id!r} does not verify")
                self._cache.add(entry)
            weight += key.weight
        if weight < info.threshold:
            raise ErrInsufficientWeight(
                f"signatures carry weight {weight}; account {tx.body.account} "
                f"needs {info.threshold}"
            )

    @staticmethod
    def _check_status(info: SignerInfo, account: str, msgs: Sequence[Msg]) -> None:
        if info.status == "frozen":
            raise ErrAccountFrozen(f"account {account} is frozen and cannot transact")
        if info.status == "closed":
            raise ErrAccountClosed(f"account {account} is closed")
        if info.reset_pending and any(m.ASSET_OPERATION for m in msgs):
            raise ErrResetLock(
                f"account {account} is in a key-reset lock window: asset operations are blocked "
                "until the reset completes or is cancelled"
            )


__all__ = ["AnteChain", "PolicyHook", "SignatureCache", "parse_msgs", "stateless_checks"]
